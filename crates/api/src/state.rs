use std::sync::Arc;

use gatehouse_domain::{Clock, SecretFormat, ServerKey};
use gatehouse_store::{ChangeListener, Store};

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
    /// Told about every change before the response is sent (the gateway's snapshot).
    pub changes: Arc<dyn ChangeListener>,
}
