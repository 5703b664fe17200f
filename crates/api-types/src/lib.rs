//! The wire format of gatehouse's management API, which is Cloudflare's v4 API: the envelope
//! every response uses ([`Envelope`]), its messages and pagination info, and the request and
//! response bodies of each resource. Shared by the server (which renders them) and the CLI
//! (which reads them), so both agree by construction.
//!
//! Plain serde types only: no HTTP, no domain logic.

mod envelope;
mod service_tokens;
mod verify;

pub use envelope::{Envelope, Message, ResultInfo};
pub use service_tokens::{CreateServiceTokenRequest, RotateServiceTokenRequest, ServiceTokenBody, UpdateServiceTokenRequest};
pub use verify::TokenVerifyBody;
