//! The crate's one integration-test binary: end-to-end tests that start the real `gatehouse`
//! binary (see `support`) and talk to it the way users and their tools do.

// Test helpers outside #[test] functions may panic too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

mod support;

mod sdk;
mod access_logs;
mod audit;
mod metrics;
mod cli;
mod cluster;
mod crash;
mod clients;
mod expiry;
mod gateway;
mod hostile;
mod lifecycle;
mod openapi;
mod rotation;
mod scene;
mod server_key;
mod sessions;
