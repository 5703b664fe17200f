//! What the monitoring jobs have already notified or acted on: expiry alerts per lead time,
//! inactivity actions, "previous secret still in use" alerts. One record per (token, kind), kept
//! in the database so that neither a restart nor a second node repeats a notification.

use async_trait::async_trait;
use gatehouse_domain::{AccountId, Timestamp, TokenId};

use crate::StoreError;

/// One notification of one token. `kind` names the event and what makes it unique, e.g.
/// `expiring:7d:1798761600` (the 7-day alert before that expiry) or `previous_secret_used:3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NotificationKey {
    pub account_id: AccountId,
    pub token_id: TokenId,
    pub kind: String,
}

#[async_trait]
pub trait NotificationLog: Send + Sync {
    /// Records `key` as sent at `at`, unless it was recorded before; true when this call recorded
    /// it. Atomic: of several callers claiming the same key at once, exactly one gets `true`.
    async fn claim_notification(&self, key: &NotificationKey, at: Timestamp) -> Result<bool, StoreError>;
    /// Forgets a claim whose action failed, so that a later run tries again. Forgetting a key
    /// that was never claimed is not an error.
    async fn release_notification(&self, key: &NotificationKey) -> Result<(), StoreError>;
}
