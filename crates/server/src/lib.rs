//! The composition root of gatehouse: it turns configuration into a running server.
//!
//! [`Config`] layers defaults, the `--config` file and the command line (which carries the
//! environment); [`open_store`] picks the storage backend; [`keys`] loads or creates the server
//! key that secrets are hashed with; [`bootstrap`] creates the first account and admin API
//! token; [`Server::bind`] binds every listener (port 0 works) and [`Server::run`] serves until
//! the shutdown signal, then drains in-flight requests. [`admin`] holds offline operations on a
//! data directory.
//!
//! This is the only library crate that knows every other crate; none of them depends on it.

pub mod access_log;
pub mod admin;
pub mod audit;
pub mod bootstrap;
mod clock;
mod cluster;
pub mod config;
mod gateway;
pub mod health;
pub mod jobs;
mod key_check;
pub mod key_rotation;
pub mod keys;
mod mail;
pub mod metrics;
mod serve;
mod store;

pub use clock::SystemClock;
pub use config::{
    Config, ConfigError, DatabaseUrl, FILE_SETTINGS, FileSetting, Location, LogFormat, Overrides, TlsFiles,
    secret_setting,
};
pub use gatehouse_proxy::GATEWAY_TRACE_TARGET;
pub use serve::{Ready, Server, ServerError};
pub use store::{Backend, open_backend, open_store};
