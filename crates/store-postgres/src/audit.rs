//! The audit log: appends to an account's hash chain, filtered pages for the API, and the chain
//! in order for verification. Every filter is a bound parameter that is NULL when unused, so
//! each statement is fixed text.
//!
//! Appends run at READ COMMITTED: a transaction reads the chain's head and inserts the next
//! position. Two nodes that read the same head both try the same (account_id, seq); the primary
//! key lets one commit, the other's insert fails once the first commits, and it rolls back,
//! reads the new head and tries again (`gatehouse_store::audit_writes`, shared with the SQLite
//! adapter).

use async_trait::async_trait;
use gatehouse_domain::{AccountId, AuditEntry, AuditRecord, ServiceToken, Timestamp, TokenId};
use gatehouse_store::audit_writes::{self, AuditBackend};
use gatehouse_store::rows::AuditRow as Row;
use gatehouse_store::{
    AuditFilter, AuditStore, AuditedChange, AuditedOutcome, Page, PageRequest, ResourceChange, StoreError,
};
use sqlx::{Postgres, Transaction};

use crate::error::from_sqlx;
use crate::{PostgresStore, resources, service_tokens, storable};

/// Serializes the appends of one account (a transaction-scoped advisory lock on its id).
const LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('gatehouse audit ' || $1))";

const HEAD: &str = "SELECT seq, hash FROM audit_log WHERE account_id = $1 ORDER BY seq DESC LIMIT 1";

const INSERT: &str = "INSERT INTO audit_log (account_id, seq, id, occurred_at, actor_id, actor_name, \
        actor_type, actor_ip, action, resource_type, resource_id, old_value, new_value, prev_hash, hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

/// `$1` account, `$2` since, `$3` before, `$4` action, `$5` resource type, `$6` resource id,
/// `$7` actor id, `$8` record id.
macro_rules! filtered {
    ($select:literal, $tail:literal) => {
        concat!(
            $select,
            " FROM audit_log \
              WHERE account_id = $1 \
                AND occurred_at >= COALESCE($2::bigint, -9223372036854775807) \
                AND occurred_at < COALESCE($3::bigint, 9223372036854775807) \
                AND ($4::text IS NULL OR action = $4) \
                AND ($5::text IS NULL OR resource_type = $5) \
                AND ($6::text IS NULL OR resource_id = $6) \
                AND ($7::text IS NULL OR actor_id = $7) \
                AND ($8::text IS NULL OR id = $8)",
            $tail
        )
    };
}

const COUNT: &str = filtered!("SELECT COUNT(*)", "");
const PAGE_DESC: &str = filtered!("SELECT *", " ORDER BY seq DESC LIMIT $9 OFFSET $10");
const PAGE_ASC: &str = filtered!("SELECT *", " ORDER BY seq LIMIT $9 OFFSET $10");
const CHAIN: &str = "SELECT * FROM audit_log WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The audited write path of `gatehouse_store::audit_writes`, on PostgreSQL.
#[async_trait]
impl AuditBackend for PostgresStore {
    type Tx = Transaction<'static, Postgres>;

    async fn begin(&self) -> Result<Self::Tx, StoreError> {
        self.pool.begin().await.map_err(from_sqlx)
    }

    async fn commit(&self, tx: Self::Tx) -> Result<(), StoreError> {
        tx.commit().await.map_err(from_sqlx)
    }

    async fn chain_head(
        &self,
        tx: &mut Self::Tx,
        account: &AccountId,
    ) -> Result<Option<(i64, String)>, StoreError> {
        // One appender per account at a time across every node: the head read below stays the
        // head until this transaction ends (a writer without the lock still meets the primary
        // key).
        sqlx::query(LOCK).bind(account.as_str()).execute(&mut **tx).await.map_err(from_sqlx)?;
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
        let found: Option<i64> = sqlx::query_scalar("SELECT 1::bigint FROM audit_log WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(found.is_some())
    }
}

#[async_trait]
impl AuditStore for PostgresStore {
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
        let texts =
            [&filter.action, &filter.resource_type, &filter.resource_id, &filter.actor_id, &filter.id];
        if texts.iter().any(|text| text.as_deref().is_some_and(|t| !storable(t))) {
            // No stored value holds a NUL character: nothing can match.
            return Ok(Page { items: Vec::new(), total: 0 });
        }
        let total: i64 =
            bind_filter!(sqlx::query_scalar(COUNT)).fetch_one(&self.pool).await.map_err(from_sqlx)?;
        let statement = if filter.newest_first { PAGE_DESC } else { PAGE_ASC };
        let rows: Vec<Row> = bind_filter!(sqlx::query_as(statement))
            .bind(to_i64(page.limit))
            .bind(to_i64(page.offset))
            .fetch_all(&self.pool)
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
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        rows.into_iter().map(AuditRecord::try_from).collect()
    }
}
