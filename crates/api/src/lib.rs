//! gatehouse's management API: Cloudflare's v4 API for Access service tokens, served by axum.
//!
//! Layout: [`router`] assembles the routes (`routes/`, one file per resource); [`auth`]
//! authenticates callers (bearer API tokens and the legacy email + key pair) and checks their
//! account and permission; [`error`] is the one place that renders failures in the v4 envelope,
//! with the table of error codes; [`openapi`] holds the frame of the OpenAPI document that the
//! handlers' `#[utoipa::path]` attributes fill in; [`body`] and [`pagination`] read request input
//! leniently but precisely; [`audit`] records every change in the audit log; [`tokens`] holds the
//! service-token operations that handlers call, [`access`] those
//! of applications, policies, groups and the organization.
//!
//! Must not depend on a particular storage backend (it sees only `gatehouse_store::Store`),
//! on the CLI, or read the clock or the environment: [`AppState`] carries all of that in.

pub mod access;
pub mod access_logs;
pub mod audit;
pub mod auth;
pub mod body;
pub mod error;
pub mod openapi;
pub mod pagination;
mod routes;
mod state;
pub mod tokens;
mod unsupported;

pub use error::{ApiError, ErrorCode};
pub use routes::{openapi_document, router};
pub use state::AppState;
