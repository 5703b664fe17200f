//! The access log: batched appends from the gateway, filtered pages for the API, pruning for
//! the retention task. Every filter is a bound parameter that is NULL when unused, so each
//! statement is fixed text; the time bounds use `COALESCE` so the `(account_id, created_at)`
//! index serves them. Mirrors the SQLite adapter's `access_logs.rs`.

use async_trait::async_trait;
use gatehouse_domain::access::AppId;
use gatehouse_domain::{AccountId, Timestamp};
use gatehouse_store::rows::AccessLogRow as Row;
use gatehouse_store::{
    AccessLogQuery, AccessLogRecord, AccessLogStore, ActivityCount, ActivityQuery, Direction, Page,
    StoreError,
};

use crate::error::{corrupt, from_sqlx};
use crate::{PostgresStore, storable};

/// Rows per `INSERT`: the batch goes as one array per column, so the statement text is fixed
/// (prepared once per connection, whatever the batch size) and there is no parameter limit.
const ROWS_PER_INSERT: usize = 10_000;

/// The rows in array order (`WITH ORDINALITY`), so that `seq` follows the batch's order.
const INSERT: &str = "INSERT INTO access_logs (account_id, ray_id, created_at, allowed, app_uid, \
    app_domain, ip_address, is_service_token, service_token_id, client_id, policy_id, decision, \
    reason, status, method, user_email, idp_id, idp_type) \
    SELECT account_id, ray_id, created_at, allowed, app_uid, app_domain, ip_address, \
        is_service_token, service_token_id, client_id, policy_id, decision, reason, status, method, \
        user_email, idp_id, idp_type \
    FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::boolean[], $5::text[], $6::text[], \
        $7::text[], $8::boolean[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], \
        $14::integer[], $15::text[], $16::text[], $17::text[], $18::text[]) WITH ORDINALITY \
        AS batch (account_id, ray_id, created_at, allowed, app_uid, app_domain, ip_address, \
            is_service_token, service_token_id, client_id, policy_id, decision, reason, status, \
            method, user_email, idp_id, idp_type, position) \
    ORDER BY position";

/// `$1` account, `$2` since, `$3` until, `$4` allowed, `$5` is_service_token, `$6` app_uid and
/// `$7` whether to negate it, `$8` ray_id and `$9` whether to negate it, `$10` token id,
/// `$11` client id, `$12` the e-mail filter's value (lowercase) and `$13` its operator (`eq`,
/// `neq`, `contains`; a record without a person has the e-mail address `""`).
macro_rules! filtered {
    ($select:literal, $tail:literal) => {
        concat!(
            $select,
            " FROM access_logs \
              WHERE account_id = $1 \
                AND created_at >= COALESCE($2::bigint, -9223372036854775807) \
                AND created_at <= COALESCE($3::bigint, 9223372036854775807) \
                AND ($4::boolean IS NULL OR allowed = $4) \
                AND ($5::boolean IS NULL OR is_service_token = $5) \
                AND ($6::text IS NULL OR (app_uid = $6) <> $7) \
                AND ($8::text IS NULL OR (ray_id = $8) <> $9) \
                AND ($10::text IS NULL OR service_token_id = $10) \
                AND ($11::text IS NULL OR client_id = $11) \
                AND ($12::text IS NULL OR CASE $13::text \
                    WHEN 'eq' THEN COALESCE(user_email, '') = $12 \
                    WHEN 'neq' THEN COALESCE(user_email, '') <> $12 \
                    ELSE strpos(COALESCE(user_email, ''), $12) > 0 END)",
            $tail
        )
    };
}

const COUNT: &str = filtered!("SELECT COUNT(*)", "");
const PAGE_DESC: &str = filtered!(
    "SELECT account_id, ray_id, created_at, allowed, app_uid, app_domain, ip_address, is_service_token, \
        service_token_id, client_id, policy_id, decision, reason, status::bigint AS status, method, \
        user_email, idp_id, idp_type",
    " ORDER BY created_at DESC, seq DESC LIMIT $14 OFFSET $15"
);
const PAGE_ASC: &str = filtered!(
    "SELECT account_id, ray_id, created_at, allowed, app_uid, app_domain, ip_address, is_service_token, \
        service_token_id, client_id, policy_id, decision, reason, status::bigint AS status, method, \
        user_email, idp_id, idp_type",
    " ORDER BY created_at, seq LIMIT $14 OFFSET $15"
);

/// Both statements in one snapshot, so the total and the page agree.
const SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// `$1` account, `$2` since, `$3` the client ids or NULL, `$4` bucket seconds, `$5` whether to
/// split by reason. With client ids, the `(client_id, created_at)` index serves it.
const ACTIVITY: &str = "SELECT CASE WHEN $3::text[] IS NULL THEN NULL ELSE client_id END AS client_id, \
        (created_at - $2::bigint) / $4::bigint AS bucket, allowed, CASE WHEN $5::boolean THEN reason END AS reason, COUNT(*) AS count \
      FROM access_logs \
      WHERE account_id = $1 AND created_at >= $2 \
        AND ($3::text[] IS NULL OR client_id = ANY($3)) \
      GROUP BY 1, 2, 3, 4";

const PRUNE: &str = "DELETE FROM access_logs WHERE created_at < $1";

/// A replay batch: the records of one application from `since`, newest first, after the
/// (created_at, seq) key of the last record of the previous batch (a range scan of
/// `access_logs_by_account`; nothing is counted).
const REPLAY: &str = "SELECT seq, account_id, ray_id, created_at, allowed, app_uid, app_domain, ip_address, \
        is_service_token, service_token_id, client_id, policy_id, decision, reason, status::bigint AS status, \
        method, user_email, idp_id, idp_type FROM access_logs \
      WHERE account_id = $1 AND app_uid = $2 AND created_at >= $3 \
        AND (created_at, seq) < ($4, $5) \
      ORDER BY created_at DESC, seq DESC LIMIT $6";

/// A row with its insertion order, the replay's key.
#[derive(sqlx::FromRow)]
struct Keyed {
    seq: i64,
    #[sqlx(flatten)]
    row: Row,
}

#[async_trait]
impl AccessLogStore for PostgresStore {
    async fn replay_access_logs(
        &self,
        account: &AccountId,
        app: &AppId,
        since: Timestamp,
        limit: u64,
        each: &mut (dyn FnMut(AccessLogRecord) + Send),
    ) -> Result<u64, StoreError> {
        let app = app.to_string();
        let mut after = (i64::MAX, i64::MAX);
        let mut handed = 0;
        while handed < limit {
            let batch = (limit - handed).min(gatehouse_store::REPLAY_BATCH);
            let rows: Vec<Keyed> = sqlx::query_as(REPLAY)
                .bind(account.as_str())
                .bind(app.as_str())
                .bind(since.unix())
                .bind(after.0)
                .bind(after.1)
                .bind(i64::try_from(batch).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await
                .map_err(from_sqlx)?;
            let Some(last) = rows.last() else { break };
            after = (last.row.created_at, last.seq);
            for keyed in rows {
                handed += 1;
                each(AccessLogRecord::try_from(keyed.row)?);
            }
        }
        Ok(handed)
    }

    async fn insert_access_logs(&self, records: &[AccessLogRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        for chunk in records.chunks(ROWS_PER_INSERT) {
            // One array per column, borrowed from the records where they hold the text.
            let column = |f: fn(&AccessLogRecord) -> &str| chunk.iter().map(f).collect::<Vec<&str>>();
            let optional =
                |f: fn(&AccessLogRecord) -> Option<&str>| chunk.iter().map(f).collect::<Vec<Option<&str>>>();
            let ids = |f: fn(&AccessLogRecord) -> Option<String>| chunk.iter().map(f).collect::<Vec<_>>();
            sqlx::query(INSERT)
                .bind(column(|r| r.account_id.as_str()))
                .bind(column(|r| r.ray_id.as_str()))
                .bind(chunk.iter().map(|r| r.created_at.unix()).collect::<Vec<i64>>())
                .bind(chunk.iter().map(|r| r.allowed).collect::<Vec<bool>>())
                .bind(chunk.iter().map(|r| r.app_uid.to_string()).collect::<Vec<String>>())
                .bind(column(|r| r.app_domain.as_str()))
                .bind(column(|r| r.ip_address.as_str()))
                .bind(chunk.iter().map(|r| r.is_service_token).collect::<Vec<bool>>())
                .bind(ids(|r| r.service_token_id.map(|id| id.to_string())))
                .bind(optional(|r| r.client_id.as_deref()))
                .bind(ids(|r| r.policy_id.map(|id| id.to_string())))
                .bind(optional(|r| r.decision.as_deref()))
                .bind(optional(|r| r.reason.as_deref()))
                .bind(chunk.iter().map(|r| i32::from(r.status)).collect::<Vec<i32>>())
                .bind(column(|r| r.method.as_str()))
                .bind(optional(|r| r.person.as_ref().map(|p| p.email.as_str())))
                .bind(ids(|r| r.person.as_ref().and_then(|p| p.idp_id).map(|id| id.to_string())))
                .bind(optional(|r| r.person.as_ref().and_then(|p| p.idp_type.as_deref())))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        }
        tx.commit().await.map_err(from_sqlx)
    }

    async fn list_access_logs(
        &self,
        account: &AccountId,
        query: &AccessLogQuery,
    ) -> Result<Page<AccessLogRecord>, StoreError> {
        let app = query.app_uid.as_ref().map(|m| m.parts());
        let ray = query.ray_id.as_ref().map(|m| m.parts());
        let token = query.service_token_id.map(|id| id.to_string());
        let email = query.user_email.as_ref().map(|m| m.parts());
        let statement = match query.direction {
            Direction::Desc => PAGE_DESC,
            Direction::Asc => PAGE_ASC,
        };
        macro_rules! bound {
            ($q:expr) => {
                $q.bind(account.as_str())
                    .bind(query.since.map(Timestamp::unix))
                    .bind(query.until.map(Timestamp::unix))
                    .bind(query.allowed)
                    .bind(query.is_service_token)
                    .bind(app.map(|(id, _)| id.to_string()))
                    .bind(app.is_some_and(|(_, negate)| negate))
                    .bind(ray.map(|(id, _)| id.as_str()))
                    .bind(ray.is_some_and(|(_, negate)| negate))
                    .bind(token.as_deref())
                    .bind(query.client_id.as_deref())
                    .bind(email.map(|(value, _)| value.to_lowercase()))
                    .bind(email.map(|(_, op)| op))
            };
        }
        let texts = [query.client_id.as_deref(), ray.map(|(id, _)| id.as_str())];
        if !texts.into_iter().flatten().all(storable) {
            return Ok(Page { items: Vec::new(), total: 0 });
        }
        let mut tx = self.pool.begin_with(SNAPSHOT).await.map_err(from_sqlx)?;
        let total: i64 = bound!(sqlx::query_scalar(COUNT)).fetch_one(&mut *tx).await.map_err(from_sqlx)?;
        let rows: Vec<Row> = bound!(sqlx::query_as(statement))
            .bind(i64::try_from(query.page.limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(query.page.offset).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        let items = rows.into_iter().map(AccessLogRecord::try_from).collect::<Result<_, _>>()?;
        let total = u64::try_from(total).map_err(|_| corrupt("a negative row count"))?;
        Ok(Page { items, total })
    }

    async fn access_activity(
        &self,
        account: &AccountId,
        query: &ActivityQuery,
    ) -> Result<Vec<ActivityCount>, StoreError> {
        if query.client_ids.iter().flatten().any(|id| !storable(id)) {
            return Ok(Vec::new());
        }
        let client_ids = query.client_ids.as_deref();
        let rows: Vec<(Option<String>, i64, bool, Option<String>, i64)> = sqlx::query_as(ACTIVITY)
            .bind(account.as_str())
            .bind(query.since.unix())
            .bind(client_ids)
            .bind(query.bucket_secs.max(1))
            .bind(query.by_reason)
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        rows.into_iter()
            .map(|(client_id, bucket, allowed, reason, count)| {
                Ok(ActivityCount {
                    client_id,
                    bucket,
                    allowed,
                    reason,
                    count: u64::try_from(count).map_err(|_| corrupt("a negative row count"))?,
                })
            })
            .collect()
    }

    async fn prune_access_logs(&self, older_than: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query(PRUNE).bind(older_than.unix()).execute(&self.pool).await.map_err(from_sqlx)?;
        Ok(done.rows_affected())
    }
}
