use std::sync::Arc;

use gatehouse_domain::{Clock, SecretFormat, ServerKey};
use gatehouse_store::Store;

/// Everything a request handler needs, built once by the server.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// The HMAC key that secrets and API tokens are hashed with.
    pub key: Arc<ServerKey>,
    /// The format of newly generated client secrets.
    pub secret_format: SecretFormat,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
}
