//! The audited write path both adapters share: a change and its audit record in one
//! transaction, retried when a concurrent writer took the chain's next position. An adapter
//! implements [`AuditBackend`] (its transactions and the statements they run) and answers
//! [`AuditStore::append_audit`](crate::AuditStore::append_audit) and
//! [`AuditStore::write_audited`](crate::AuditStore::write_audited) with [`append_audit`] and
//! [`write_audited`]; the retries, the dispatch of an [`AuditedChange`] and the sealing of the
//! record live here once.

use async_trait::async_trait;
use gatehouse_domain::audit::GENESIS_HASH;
use gatehouse_domain::{AccountId, AuditEntry, AuditRecord, ServiceToken, TokenId};

use crate::{AUDIT_APPEND_ATTEMPTS, AuditedChange, AuditedOutcome, ResourceChange, StoreError};

/// What one backend runs for the shared write path. Every method but
/// [`audit_id_exists`](AuditBackend::audit_id_exists) works inside the transaction it is given.
#[async_trait]
pub trait AuditBackend: Send + Sync {
    /// A write transaction; dropped uncommitted, it rolls back.
    type Tx: Send;

    /// Begins a write transaction.
    async fn begin(&self) -> Result<Self::Tx, StoreError>;
    /// Commits `tx`.
    async fn commit(&self, tx: Self::Tx) -> Result<(), StoreError>;
    /// The last `(seq, hash)` of the account's chain, `None` while it is empty. A backend that
    /// can lets it stay the head until `tx` ends (a lock); otherwise the insert that follows
    /// meets the primary key (account, seq) and the write is tried again.
    async fn chain_head(
        &self,
        tx: &mut Self::Tx,
        account: &AccountId,
    ) -> Result<Option<(i64, String)>, StoreError>;
    /// Inserts a sealed record: [`StoreError::Conflict`] when its position (or id) is taken.
    async fn insert_record(&self, tx: &mut Self::Tx, record: &AuditRecord) -> Result<(), StoreError>;
    /// As [`ServiceTokenStore::insert_service_token`](crate::ServiceTokenStore::insert_service_token).
    async fn insert_token(&self, tx: &mut Self::Tx, token: &ServiceToken) -> Result<(), StoreError>;
    /// `Ok(false)` when the token does not exist, [`StoreError::Stale`] when another revision
    /// is stored.
    async fn update_token(&self, tx: &mut Self::Tx, token: &ServiceToken) -> Result<bool, StoreError>;
    /// The deleted token, `None` when it does not exist.
    async fn delete_token(
        &self,
        tx: &mut Self::Tx,
        account: &AccountId,
        id: &TokenId,
    ) -> Result<Option<ServiceToken>, StoreError>;
    /// One change of [`ResourceStore::apply`](crate::ResourceStore::apply).
    async fn apply_resource(&self, tx: &mut Self::Tx, change: &ResourceChange) -> Result<(), StoreError>;
    /// Whether a record with this id exists (outside any transaction).
    async fn audit_id_exists(&self, id: &str) -> Result<bool, StoreError>;
}

/// [`AuditStore::append_audit`](crate::AuditStore::append_audit) on `backend`.
pub async fn append_audit<B: AuditBackend>(
    backend: &B,
    entry: &AuditEntry,
) -> Result<AuditRecord, StoreError> {
    for _ in 0..AUDIT_APPEND_ATTEMPTS {
        let tx = backend.begin().await?;
        if let Some(record) = append_and_commit(backend, tx, entry).await? {
            return Ok(record);
        }
        // Another writer took this position: read the head again.
    }
    Err(StoreError::Stale)
}

/// [`AuditStore::write_audited`](crate::AuditStore::write_audited) on `backend`.
pub async fn write_audited<B: AuditBackend>(
    backend: &B,
    change: AuditedChange<'_>,
    entry: &AuditEntry,
) -> Result<AuditedOutcome, StoreError> {
    for _ in 0..AUDIT_APPEND_ATTEMPTS {
        // On any early return `tx` is dropped uncommitted: neither the change nor the record is
        // written.
        let mut tx = backend.begin().await?;
        let outcome = apply(backend, &mut tx, change).await?;
        if outcome == AuditedOutcome::Missing {
            return Ok(outcome);
        }
        if append_and_commit(backend, tx, entry).await?.is_some() {
            return Ok(outcome);
        }
        // Another writer took the chain's next position: the whole change again.
    }
    Err(StoreError::Stale)
}

async fn apply<B: AuditBackend>(
    backend: &B,
    tx: &mut B::Tx,
    change: AuditedChange<'_>,
) -> Result<AuditedOutcome, StoreError> {
    Ok(match change {
        AuditedChange::InsertToken(token) => {
            backend.insert_token(tx, token).await?;
            AuditedOutcome::Written
        }
        AuditedChange::UpdateToken(token) => match backend.update_token(tx, token).await? {
            true => AuditedOutcome::Written,
            false => AuditedOutcome::Missing,
        },
        AuditedChange::DeleteToken(account, id) => match backend.delete_token(tx, account, id).await? {
            Some(token) => AuditedOutcome::Deleted(Box::new(token)),
            None => AuditedOutcome::Missing,
        },
        AuditedChange::Resources(changes) => {
            for change in changes {
                backend.apply_resource(tx, change).await?;
            }
            AuditedOutcome::Written
        }
    })
}

/// Appends `entry` to its chain in `tx` and commits: `Ok(None)` when another writer took the
/// position (`tx` is rolled back, the caller tries again), [`StoreError::Conflict`] when the
/// record's id is taken (the caller's duplicate: retrying would not help).
async fn append_and_commit<B: AuditBackend>(
    backend: &B,
    mut tx: B::Tx,
    entry: &AuditEntry,
) -> Result<Option<AuditRecord>, StoreError> {
    match append_in(backend, &mut tx, entry).await {
        Ok(record) => {
            backend.commit(tx).await?;
            Ok(Some(record))
        }
        Err(StoreError::Conflict(conflict)) => {
            // Rolled back first: the check below must not wait for this transaction.
            drop(tx);
            if backend.audit_id_exists(&entry.id).await? {
                return Err(StoreError::Conflict(conflict));
            }
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

async fn append_in<B: AuditBackend>(
    backend: &B,
    tx: &mut B::Tx,
    entry: &AuditEntry,
) -> Result<AuditRecord, StoreError> {
    let head = backend.chain_head(tx, &entry.account_id).await?;
    let (last, prev_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
    let seq = u64::try_from(last).map_err(|_| corrupt("an audit record's seq is negative"))? + 1;
    let record =
        AuditRecord::seal(entry.clone(), seq, &prev_hash).map_err(|error| corrupt(&error.to_string()))?;
    backend.insert_record(tx, &record).await?;
    Ok(record)
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}
