//! The gateway end to end, in process: a real SQLite store, a real origin on 127.0.0.1:0 that
//! echoes what it received, and the gateway serving on 127.0.0.1:0.

// Helpers outside `#[test]` functions panic on failure too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth;
mod forwarding;
mod hostile;
mod limits;
mod listener;
mod origin;
mod policies;
mod routing;
mod sessions;
mod support;
