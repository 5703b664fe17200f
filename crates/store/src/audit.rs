//! The audit log's storage: append to an account's hash chain, list records for the API, and
//! read a chain back in order for `gatehouse audit verify`. The chain itself (what is hashed,
//! how it is checked) is `gatehouse_domain::audit`.

use async_trait::async_trait;
use gatehouse_domain::{AccountId, AuditEntry, AuditRecord, Timestamp};

use crate::{Page, PageRequest, StoreError};

/// How many times an append re-reads the chain's head after another writer took its position.
pub const AUDIT_APPEND_ATTEMPTS: usize = 64;

/// Filters of the audit log list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Records at or after this time.
    pub since: Option<Timestamp>,
    /// Records strictly before this time.
    pub before: Option<Timestamp>,
    /// Exact action (`create`, `update`, …).
    pub action: Option<String>,
    /// Exact resource type (`service_token`, `application`, …).
    pub resource_type: Option<String>,
    /// Exact resource id.
    pub resource_id: Option<String>,
    /// Exact actor (API token) id.
    pub actor_id: Option<String>,
    /// Newest first (the default of the API); otherwise oldest first.
    pub newest_first: bool,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends `entry` to its account's chain and returns it sealed (`seq`, `prev_hash`,
    /// `hash`). In one transaction it reads the chain's last record and inserts the next
    /// position, which (account, seq) makes unique; when a concurrent writer (this process or
    /// another node) took that position first, it reads again and retries, up to
    /// [`AUDIT_APPEND_ATTEMPTS`] times, then fails with [`StoreError::Stale`].
    async fn append_audit(&self, entry: &AuditEntry) -> Result<AuditRecord, StoreError>;
    /// One page of the account's records matching `filter`, and how many match in all.
    async fn list_audit(
        &self,
        account: &AccountId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, StoreError>;
    /// At most `limit` records of the account's chain with `seq > after`, in sequence order,
    /// exactly as stored (for verification).
    async fn audit_chain(
        &self,
        account: &AccountId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<AuditRecord>, StoreError>;
}
