//! The audit log: appends to an account's hash chain, filtered pages for the API, and the chain
//! in order for verification. Every filter is a bound parameter that is NULL when unused, so
//! each statement is fixed text.
//!
//! Appends take SQLite's write lock first (`BEGIN IMMEDIATE`), so reading the chain's head and
//! inserting the next record cannot interleave with another writer of this file; the primary
//! key (account_id, seq) still refuses a duplicate position, and the append retries.

use async_trait::async_trait;
use gatehouse_domain::audit::GENESIS_HASH;
use gatehouse_domain::{AccountId, AuditActor, AuditEntry, AuditRecord, Timestamp};
use gatehouse_store::{
    AUDIT_APPEND_ATTEMPTS, AuditFilter, AuditStore, AuditedChange, AuditedOutcome, Page, PageRequest,
    StoreError,
};
use sqlx::SqliteConnection;

use crate::error::{corrupt, from_sqlx};
use crate::{SqliteStore, resources, service_tokens};

const HEAD: &str = "SELECT seq, hash FROM audit_log WHERE account_id = ?1 ORDER BY seq DESC LIMIT 1";

const INSERT: &str = "INSERT INTO audit_log (account_id, seq, id, occurred_at, actor_id, actor_name, \
        actor_type, actor_ip, action, resource_type, resource_id, old_value, new_value, prev_hash, hash) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

/// `?1` account, `?2` since, `?3` before, `?4` action, `?5` resource type, `?6` resource id,
/// `?7` actor id, `?8` record id.
macro_rules! filtered {
    ($select:literal, $tail:literal) => {
        concat!(
            $select,
            " FROM audit_log \
              WHERE account_id = ?1 \
                AND occurred_at >= COALESCE(?2, -9223372036854775807) \
                AND occurred_at < COALESCE(?3, 9223372036854775807) \
                AND (?4 IS NULL OR action = ?4) \
                AND (?5 IS NULL OR resource_type = ?5) \
                AND (?6 IS NULL OR resource_id = ?6) \
                AND (?7 IS NULL OR actor_id = ?7) \
                AND (?8 IS NULL OR id = ?8)",
            $tail
        )
    };
}

const COUNT: &str = filtered!("SELECT COUNT(*)", "");
const PAGE_DESC: &str = filtered!("SELECT *", " ORDER BY seq DESC LIMIT ?9 OFFSET ?10");
const PAGE_ASC: &str = filtered!("SELECT *", " ORDER BY seq LIMIT ?9 OFFSET ?10");
const CHAIN: &str = "SELECT * FROM audit_log WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";

#[derive(sqlx::FromRow)]
struct Row {
    account_id: String,
    seq: i64,
    id: String,
    occurred_at: i64,
    actor_id: String,
    actor_name: String,
    actor_type: String,
    actor_ip: Option<String>,
    action: String,
    resource_type: String,
    resource_id: String,
    old_value: Option<String>,
    new_value: Option<String>,
    prev_hash: String,
    hash: String,
}

impl TryFrom<Row> for AuditRecord {
    type Error = StoreError;

    fn try_from(row: Row) -> Result<Self, StoreError> {
        Ok(AuditRecord {
            seq: u64::try_from(row.seq).map_err(|_| corrupt("an audit record's seq is negative"))?,
            entry: AuditEntry {
                id: row.id,
                account_id: AccountId::parse(&row.account_id)
                    .map_err(|_| corrupt("an audit record's account id"))?,
                when: Timestamp::from_unix(row.occurred_at),
                actor: AuditActor {
                    id: row.actor_id,
                    name: row.actor_name,
                    kind: row.actor_type,
                    ip: row.actor_ip,
                },
                action: row.action,
                resource_type: row.resource_type,
                resource_id: row.resource_id,
                old_value: row.old_value,
                new_value: row.new_value,
            },
            prev_hash: row.prev_hash,
            hash: row.hash,
        })
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Appends `entry` to its account's chain on `conn`, inside the caller's transaction.
/// [`StoreError::Conflict`] when its position (or id) is taken.
async fn append_in(conn: &mut SqliteConnection, entry: &AuditEntry) -> Result<AuditRecord, StoreError> {
    let head: Option<(i64, String)> = sqlx::query_as(HEAD)
        .bind(entry.account_id.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(from_sqlx)?;
    let (last, prev_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
    let seq = u64::try_from(last).map_err(|_| corrupt("an audit record's seq is negative"))? + 1;
    let record =
        AuditRecord::seal(entry.clone(), seq, &prev_hash).map_err(|error| corrupt(&error.to_string()))?;
    let e = &record.entry;
    sqlx::query(INSERT)
        .bind(e.account_id.as_str())
        .bind(to_i64(record.seq))
        .bind(&e.id)
        .bind(e.when.unix())
        .bind(&e.actor.id)
        .bind(&e.actor.name)
        .bind(&e.actor.kind)
        .bind(e.actor.ip.as_deref())
        .bind(&e.action)
        .bind(&e.resource_type)
        .bind(&e.resource_id)
        .bind(e.old_value.as_deref())
        .bind(e.new_value.as_deref())
        .bind(&record.prev_hash)
        .bind(&record.hash)
        .execute(&mut *conn)
        .await
        .map_err(from_sqlx)?;
    Ok(record)
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<AuditRecord, StoreError> {
        for _ in 0..AUDIT_APPEND_ATTEMPTS {
            let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(from_sqlx)?;
            match append_in(&mut tx, entry).await {
                Ok(record) => {
                    tx.commit().await.map_err(from_sqlx)?;
                    return Ok(record);
                }
                Err(StoreError::Conflict(conflict)) => {
                    // Rolled back first: the check below must not wait for this transaction.
                    drop(tx);
                    if self.audit_id_exists(&entry.id).await? {
                        return Err(StoreError::Conflict(conflict));
                    }
                    // Another writer took this position: read the head again.
                }
                Err(other) => return Err(other),
            }
        }
        Err(StoreError::Stale)
    }

    async fn write_audited(
        &self,
        change: AuditedChange<'_>,
        entry: &AuditEntry,
    ) -> Result<AuditedOutcome, StoreError> {
        for _ in 0..AUDIT_APPEND_ATTEMPTS {
            // On any early return `tx` is dropped uncommitted: neither the change nor the record
            // is written.
            let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(from_sqlx)?;
            let outcome = match change {
                AuditedChange::InsertToken(token) => {
                    service_tokens::insert(&mut tx, token).await?;
                    AuditedOutcome::Written
                }
                AuditedChange::UpdateToken(token) => {
                    if !service_tokens::update(&mut tx, token).await? {
                        return Ok(AuditedOutcome::Missing);
                    }
                    AuditedOutcome::Written
                }
                AuditedChange::DeleteToken(account, id) => {
                    match service_tokens::delete(&mut tx, account, id).await? {
                        Some(token) => AuditedOutcome::Deleted(Box::new(token)),
                        None => return Ok(AuditedOutcome::Missing),
                    }
                }
                AuditedChange::Resources(changes) => {
                    for change in changes {
                        resources::apply_one(&mut tx, change).await?;
                    }
                    AuditedOutcome::Written
                }
            };
            match append_in(&mut tx, entry).await {
                Ok(_) => {
                    tx.commit().await.map_err(from_sqlx)?;
                    return Ok(outcome);
                }
                Err(StoreError::Conflict(conflict)) => {
                    drop(tx);
                    if self.audit_id_exists(&entry.id).await? {
                        return Err(StoreError::Conflict(conflict));
                    }
                    // Another writer took the chain's next position: the whole change again.
                }
                Err(other) => return Err(other),
            }
        }
        Err(StoreError::Stale)
    }

    async fn list_audit(
        &self,
        account: &AccountId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, StoreError> {
        macro_rules! bind_filter {
            ($query:expr) => {
                $query
                    .bind(account.as_str())
                    .bind(filter.since.map(Timestamp::unix))
                    .bind(filter.before.map(Timestamp::unix))
                    .bind(filter.action.as_deref())
                    .bind(filter.resource_type.as_deref())
                    .bind(filter.resource_id.as_deref())
                    .bind(filter.actor_id.as_deref())
                    .bind(filter.id.as_deref())
            };
        }
        let total: i64 =
            bind_filter!(sqlx::query_scalar(COUNT)).fetch_one(&self.reader).await.map_err(from_sqlx)?;
        let statement = if filter.newest_first { PAGE_DESC } else { PAGE_ASC };
        let rows: Vec<Row> = bind_filter!(sqlx::query_as(statement))
            .bind(to_i64(page.limit))
            .bind(to_i64(page.offset))
            .fetch_all(&self.reader)
            .await
            .map_err(from_sqlx)?;
        let items = rows.into_iter().map(AuditRecord::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, total: u64::try_from(total).unwrap_or(0) })
    }

    async fn audit_chain(
        &self,
        account: &AccountId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(CHAIN)
            .bind(account.as_str())
            .bind(to_i64(after))
            .bind(to_i64(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(from_sqlx)?;
        rows.into_iter().map(AuditRecord::try_from).collect()
    }
}

impl SqliteStore {
    /// Whether a record with this id exists: a conflict on it is the caller's duplicate, not a
    /// lost race, and retrying would not help.
    async fn audit_id_exists(&self, id: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM audit_log WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(from_sqlx)?;
        Ok(found.is_some())
    }
}
