//! In-process tests of the management API: the real router over a real SQLite store in a
//! temporary directory, driven with `tower::ServiceExt::oneshot` and a manual clock.

// Test helpers outside #[test] functions may panic too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

mod support;

mod access_changes;
mod access_logs;
mod apps;
mod audit_logs;
mod auth;
mod bad_input;
mod errors;
mod explain;
mod groups;
mod identity_providers;
mod keys;
mod lists;
mod openapi;
mod organizations;
mod policies;
mod service_tokens;
mod users;
mod what_if;
