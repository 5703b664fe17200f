//! The audit log: appends to an account's hash chain, filtered pages for the API, and the chain
//! in order for verification. Every filter is a bound parameter that is NULL when unused, so
//! each statement is fixed text.
//!
//! Appends take SQLite's write lock first (`BEGIN IMMEDIATE`), so reading the chain's head and
//! inserting the next record cannot interleave with another writer of this file; the primary
//! key (account_id, seq) still refuses a duplicate position, and the append retries
//! (`gatehouse_store::audit_writes`, shared with the PostgreSQL adapter).

use async_trait::async_trait;
use gatehouse_domain::{AccountId, AuditEntry, AuditRecord, ServiceToken, Timestamp, TokenId};
use gatehouse_store::audit_writes::{self, AuditBackend};
use gatehouse_store::rows::AuditRow as Row;
use gatehouse_store::{
    AuditFilter, AuditStore, AuditedChange, AuditedOutcome, Page, PageRequest, ResourceChange, StoreError,
};
use sqlx::{Sqlite, Transaction};

use crate::error::from_sqlx;
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

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The audited write path of `gatehouse_store::audit_writes`, on SQLite.
#[async_trait]
impl AuditBackend for SqliteStore {
    type Tx = Transaction<'static, Sqlite>;

    /// Takes the write lock first, so that the head read stays the head.
    async fn begin(&self) -> Result<Self::Tx, StoreError> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(from_sqlx)
    }

    async fn commit(&self, tx: Self::Tx) -> Result<(), StoreError> {
        tx.commit().await.map_err(from_sqlx)
    }

    async fn chain_head(
        &self,
        tx: &mut Self::Tx,
        account: &AccountId,
    ) -> Result<Option<(i64, String)>, StoreError> {
        sqlx::query_as(HEAD).bind(account.as_str()).fetch_optional(&mut **tx).await.map_err(from_sqlx)
    }

    async fn insert_record(&self, tx: &mut Self::Tx, record: &AuditRecord) -> Result<(), StoreError> {
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
            .execute(&mut **tx)
            .await
            .map_err(from_sqlx)?;
        Ok(())
    }

    async fn insert_token(&self, tx: &mut Self::Tx, token: &ServiceToken) -> Result<(), StoreError> {
        service_tokens::insert(tx, token).await
    }

    async fn update_token(&self, tx: &mut Self::Tx, token: &ServiceToken) -> Result<bool, StoreError> {
        service_tokens::update(tx, token).await
    }

    async fn delete_token(
        &self,
        tx: &mut Self::Tx,
        account: &AccountId,
        id: &TokenId,
    ) -> Result<Option<ServiceToken>, StoreError> {
        service_tokens::delete(tx, account, id).await
    }

    async fn apply_resource(&self, tx: &mut Self::Tx, change: &ResourceChange) -> Result<(), StoreError> {
        resources::apply_one(tx, change).await
    }

    /// A conflict on an existing id is the caller's duplicate, not a lost race.
    async fn audit_id_exists(&self, id: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM audit_log WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(from_sqlx)?;
        Ok(found.is_some())
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<AuditRecord, StoreError> {
        audit_writes::append_audit(self, entry).await
    }

    async fn write_audited(
        &self,
        change: AuditedChange<'_>,
        entry: &AuditEntry,
    ) -> Result<AuditedOutcome, StoreError> {
        audit_writes::write_audited(self, change, entry).await
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
