//! The audit log's storage: append to an account's hash chain, list records for the API, and
//! read a chain back in order for `gatehouse audit verify`. The chain itself (what is hashed,
//! how it is checked) is `gatehouse_domain::audit`.

use async_trait::async_trait;
use gatehouse_domain::{AccountId, AuditEntry, AuditRecord, ServiceToken, Timestamp, TokenId};

use crate::{Page, PageRequest, ResourceChange, StoreError};

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
    /// Exact record id.
    pub id: Option<String>,
    /// Newest first (the default of the API); otherwise oldest first.
    pub newest_first: bool,
}

/// A change made through the management API, written together with its audit record by
/// [`AuditStore::write_audited`].
#[derive(Debug, Clone, Copy)]
pub enum AuditedChange<'a> {
    /// As [`ServiceTokenStore::insert_service_token`](crate::ServiceTokenStore::insert_service_token).
    InsertToken(&'a ServiceToken),
    /// As [`ServiceTokenStore::update_service_token`](crate::ServiceTokenStore::update_service_token).
    UpdateToken(&'a ServiceToken),
    /// As [`ServiceTokenStore::delete_service_token`](crate::ServiceTokenStore::delete_service_token).
    DeleteToken(&'a AccountId, &'a TokenId),
    /// As [`ResourceStore::apply`](crate::ResourceStore::apply): every change or none.
    Resources(&'a [ResourceChange]),
}

/// What [`AuditStore::write_audited`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditedOutcome {
    /// The change and its record are stored.
    Written,
    /// The token was deleted (it is returned) and the record stored.
    Deleted(Box<ServiceToken>),
    /// The token to update or delete does not exist: nothing was written, no record either.
    Missing,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Makes `change` and appends `entry` to its account's chain in **one transaction**: after a
    /// crash at any moment, either both are stored or neither, so no change can stand without
    /// its audit record. Fails as the plain write would ([`StoreError::Conflict`],
    /// [`StoreError::Stale`], …), and with [`StoreError::Stale`] when the chain's next position
    /// stays taken by concurrent appends; on any error nothing is written.
    async fn write_audited(
        &self,
        change: AuditedChange<'_>,
        entry: &AuditEntry,
    ) -> Result<AuditedOutcome, StoreError>;
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
