//! gatehouse's gateway: the authenticating reverse proxy in front of the origins, wire-compatible
//! with Cloudflare Access for service tokens.
//!
//! A request goes through one module per stage, in this order:
//! 1. `route`: host + normalized path → application (404 when none, 400 when
//!    the path cannot be normalized); `/cdn-cgi/access/certs` and `/get-identity` (`certs`);
//!    the login flow of people (`login`: `/cdn-cgi/access/login/…`, `/callback`,
//!    `/authorized`, `/logout`).
//! 2. `credentials`: what the request presents — `CF-Access-Client-Id` + `-Secret`, the
//!    application's single JSON header, or a session JWT (`CF_Authorization` cookie or
//!    `cf-access-token` header).
//! 3. `verify`: against the in-memory `snapshot` — never the database — in constant time; a
//!    session JWT through `session`.
//!    Failed credentials go through `limit`: per client id and per address, past the limit of
//!    failures a failing request gets 429 (a valid client id and secret is never limited).
//! 4. `authorize`: the application's compiled policies (`gatehouse_domain::access::evaluate`).
//! 5. `forward`: to the origin with the application JWT (`session`, cached per token and
//!    application, never signed per request), or `deny`: 401/403 that says nothing useful to an
//!    attacker, the precise [`Denial`] kept for logs.
//!
//! Successful uses go to a bounded, batched background writer (`usage`), and every decision on
//! an application to the access log's (`access_log`, recorded by `Gateway::handle`); changes made through
//! the management API reach the snapshot through [`Gateway`]'s `ChangeListener` implementation
//! before the API answers. [`serve`] runs the listener (HTTP/1.1 and HTTP/2, optional TLS,
//! WebSocket upgrades, graceful shutdown).
//!
//! [`identity_login`] offers the people's logins (OpenID Connect, GitHub, one-time PIN) to the
//! dashboard (the same code, no second implementation).
//!
//! Main types: [`Gateway`], [`GatewayOptions`], [`FailureLimits`], [`Denial`], [`AccessOutcome`]; functions
//! [`serve`] and [`ensure_signing_keys`].
//!
//! Must not depend on the management API crate (axum) or a storage driver (sqlx): it sees
//! storage only through `gatehouse_store::Store`, and reads no clock or environment itself.

mod access_log;
mod authorize;
#[cfg(feature = "bench")]
#[doc(hidden)]
pub mod bench_support;
mod body;
mod certs;
mod credentials;
mod deny;
mod forward;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod gateway;
pub mod identity_login;
mod keys;
mod limit;
mod login;
mod metrics;
mod route;
mod serve;
mod session;
mod snapshot;
mod timer;
mod usage;
mod verify;

pub use body::{Body, BoxError};
pub use deny::{AccessOutcome, Denial, FailureSource};
pub use gateway::{Connection, GATEWAY_TRACE_TARGET, Gateway, GatewayError, GatewayOptions, TokensReread};
pub use keys::ensure_signing_keys;
pub use limit::FailureLimits;
pub use login::mail::{Mailer, SmtpSecurity, SmtpServer};
pub use metrics::{GatewayMetrics, GatewayStats};
pub use serve::serve;
