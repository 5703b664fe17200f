//! gatehouse's domain: the rules of service tokens and of access decisions, independent of any I/O.
//!
//! Main types:
//! - [`ServiceToken`] and its rotation state machine [`Credentials`] (which secrets are
//!   accepted, and when the previous one stops working);
//! - [`Secret`], [`SecretHash`] and [`ServerKey`]: secret material is generated here, kept in
//!   types that zeroize and never print, and stored only as a keyed hash that names its key
//!   ([`KeyId`]); the server key is a ring of the current key and previous ones still accepted;
//! - [`TokenDuration`]: Go's duration grammar or `forever`;
//! - [`ApiToken`]: credentials for the management API;
//! - [`access`]: applications, policies and groups as stored, the rule parser, the policy engine
//!   (`access::evaluate`) and the host/path router (`access::RouteTable`) the gateway uses;
//! - [`SigningKeys`] ([`signing`]): an account's RS256 JWT keys, their private halves sealed
//!   under the server key ([`ServerKey::seal`]), and their rotation schedule;
//! - [`audit`]: audit log records and their per-account hash chain ([`ChainVerifier`]);
//! - [`monitoring`]: expiry alerts, inactivity, and old secrets still in use after a rotation;
//! - [`Timestamp`] and [`Clock`]: time is always passed in, never read here.
//!
//! This crate must not depend on an async runtime, HTTP, SQL or CLI crates: everything here is plain
//! synchronous code, tested with an injected clock.

pub mod access;
mod api_token;
pub mod audit;
mod clock;
mod duration;
mod ids;
pub mod monitoring;
mod secret;
mod server_key;
mod service_token;
pub mod signing;

pub use api_token::{ApiToken, ApiTokenKind, Permission};
pub use audit::{AuditActor, AuditEntry, AuditRecord, ChainBreak, ChainVerifier};
pub use clock::{Clock, ManualClock, Timestamp, TimestampError};
pub use duration::{DurationError, TokenDuration};
pub use ids::{AccountId, ClientId, IdError, TokenId};
pub use secret::{HashPurpose, Secret, SecretFormat, SecretHash, random_bytes};
pub use server_key::{KeyId, ServerKey, ServerKeyError};
pub use service_token::{
    AuthFailure, Credentials, Grace, NewServiceToken, PreviousSecret, SecretMatch, ServiceToken,
    TokenChanges, authenticate as authenticate_token, record_use as record_token_use,
    standing as token_standing,
};
pub use signing::{SealedSigningKey, SigningError, SigningKey, SigningKeys};
