//! The crate's one integration-test binary: end-to-end tests that start the real `gatehouse`
//! binary (see `support`) and talk to it the way users and their tools do.

// Test helpers outside #[test] functions may panic too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

mod support;

mod access_logs;
mod audit;
mod browser;
mod cli;
mod clients;
mod cluster;
mod crash;
mod dashboard;
mod dashboard_login;
mod deploy;
mod email_lists;
mod expiry;
mod explain;
mod gateway;
mod github;
mod health;
mod hostile;
mod identity;
mod identity_pkce;
mod lifecycle;
mod metrics;
mod openapi;
mod operator_cli;
mod otlp;
mod pin_login;
mod rotation;
mod scene;
mod sdk;
mod secrets;
mod server_key;
mod sessions;
mod terraform;
mod terraform_access;
