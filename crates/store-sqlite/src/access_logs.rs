//! The access log: batched appends from the gateway, filtered pages for the API, pruning for
//! the retention task. Every filter is a bound parameter that is NULL when unused, so each
//! statement is fixed text; the time bounds use `COALESCE` so the `(account_id, created_at)`
//! index serves them.

use std::borrow::Cow;
use std::sync::LazyLock;

use async_trait::async_trait;
use gatehouse_domain::access::AppId;
use gatehouse_domain::{AccountId, Timestamp};
use gatehouse_store::rows::AccessLogRow as Row;
use gatehouse_store::{
    AccessLogQuery, AccessLogRecord, AccessLogStore, ActivityCount, ActivityQuery, Direction, Page,
    StoreError, insert_chunks,
};

use sqlx::Arguments;
use sqlx::error::BoxDynError;
use sqlx::sqlite::SqliteArguments;

use crate::SqliteStore;
use crate::error::{corrupt, from_sqlx};

/// Rows per `INSERT` statement. Preparing one costs about as much as inserting its rows, once per
/// statement shape and process; 64 rows keep that first preparation of every shape (1, 2, 4 …
/// 64 rows) under the cost of 150 rows' inserts, and the writer's 256-record batch is 4 statements.
const ROWS_PER_INSERT: usize = 64;

/// The `INSERT` of `rows` rows. [`insert_chunks`] cuts every batch into at most seven sizes
/// ([`ROWS_PER_INSERT`] rows, then powers of two), whose texts are built once per process and kept prepared by
/// the writer's connection: neither the SQL text nor SQLite's parse of it is redone per batch.
fn insert_statement(rows: usize) -> Cow<'static, str> {
    static SHAPES: LazyLock<Vec<(usize, String)>> = LazyLock::new(|| {
        let powers = (0..ROWS_PER_INSERT.ilog2()).map(|log| 1 << log);
        powers.chain([ROWS_PER_INSERT]).map(|rows| (rows, insert_text(rows))).collect()
    });
    match SHAPES.iter().find(|(n, _)| *n == rows) {
        Some((_, text)) => Cow::Borrowed(text.as_str()),
        None => Cow::Owned(insert_text(rows)),
    }
}

/// `OR FAIL`, not the default `ABORT`: a statement that may abort after changing some of its rows
/// makes SQLite keep a statement journal (a copy of every page it touches) to undo them, and a
/// failure here fails the whole batch, whose transaction is then rolled back anyway.
///
/// Most records of a chunk share their account, application, peer, client, token and policy with
/// the chunk's first record, and each text bound is copied into SQLite and freed again, a NULL
/// not. So the statement's first [`SHARED`] parameters are the first record's values of the
/// shared columns (first in [`COLUMNS`]), and each row binds NULL for a value equal to those
/// (`ifnull(column1, ?)`), or, for a nullable column, the integer 0 for a NULL the first record
/// does not share (`nullif(ifnull(column5, ?), 0)`). Every parameter is an anonymous `?`, so
/// that binding one does not search a list of named ones (sqlx looks each name up), and the rows
/// are a `VALUES` list read in order.
fn insert_text(rows: usize) -> String {
    let select = (0..COLUMN_COUNT).map(|column| {
        let name = format!("column{}", column + 1);
        match NULLABLE.get(column) {
            Some(false) => format!("ifnull({name}, ?)"),
            Some(true) => format!("nullif(ifnull({name}, ?), 0)"),
            None => name,
        }
    });
    let row = format!("({})", vec!["?"; COLUMN_COUNT].join(", "));
    format!(
        "INSERT OR FAIL INTO access_logs ({COLUMNS}) SELECT {} FROM (VALUES {})",
        select.collect::<Vec<_>>().join(", "),
        vec![row; rows].join(", ")
    )
}

/// How many of [`COLUMNS`], from the first, a chunk's records usually share.
const SHARED: usize = 9;
/// Whether each shared column may be NULL.
const NULLABLE: [bool; SHARED] = [false, false, false, false, true, true, true, true, false];

/// One value to bind.
#[derive(Debug, Clone, PartialEq)]
enum Value<'q> {
    Text(Option<Cow<'q, str>>),
    Int(i64),
}

/// One record's values, in [`COLUMNS`] order; text borrowed from the record where it can be.
fn row_values(r: &AccessLogRecord) -> [Value<'_>; COLUMN_COUNT] {
    fn text(text: &str) -> Value<'_> {
        Value::Text(Some(Cow::Borrowed(text)))
    }
    fn owned(text: Option<String>) -> Value<'static> {
        Value::Text(text.map(Cow::Owned))
    }
    fn optional(text: Option<&str>) -> Value<'_> {
        Value::Text(text.map(Cow::Borrowed))
    }
    let person = r.person.as_ref();
    [
        text(r.account_id.as_str()),
        owned(Some(r.app_uid.to_string())),
        text(&r.app_domain),
        text(&r.ip_address),
        owned(r.service_token_id.map(|id| id.to_string())),
        optional(r.client_id.as_deref()),
        owned(r.policy_id.map(|id| id.to_string())),
        optional(r.decision.as_deref()),
        text(&r.method),
        text(&r.ray_id),
        Value::Int(r.created_at.unix()),
        Value::Int(i64::from(r.allowed)),
        Value::Int(i64::from(r.is_service_token)),
        optional(r.reason.as_deref()),
        Value::Int(i64::from(r.status)),
        optional(person.map(|p| p.email.as_str())),
        owned(person.and_then(|p| p.idp_id).map(|id| id.to_string())),
        optional(person.and_then(|p| p.idp_type.as_deref())),
    ]
}

fn add<'q>(arguments: &mut SqliteArguments<'q>, value: Value<'q>) -> Result<(), BoxDynError> {
    match value {
        Value::Text(Some(Cow::Borrowed(text))) => arguments.add(text),
        Value::Text(Some(Cow::Owned(text))) => arguments.add(text),
        Value::Text(None) => arguments.add(None::<&str>),
        Value::Int(n) => arguments.add(n),
    }
}

/// A chunk's values in parameter order (see [`insert_text`]).
fn bind_chunk<'q>(
    arguments: &mut SqliteArguments<'q>,
    chunk: &'q [AccessLogRecord],
) -> Result<(), BoxDynError> {
    let Some(first) = chunk.first().map(row_values) else { return Ok(()) };
    for value in first.iter().take(SHARED).cloned() {
        add(arguments, value)?;
    }
    for record in chunk {
        let mut values = row_values(record);
        for (at, nullable) in NULLABLE.into_iter().enumerate() {
            if values[at] == first[at] {
                values[at] = Value::Text(None);
            } else if nullable && values[at] == Value::Text(None) {
                values[at] = Value::Int(0);
            }
        }
        for value in values {
            add(arguments, value)?;
        }
    }
    Ok(())
}

/// The columns in [`COLUMNS`], each bound once per row.
const COLUMN_COUNT: usize = 18;

const COLUMNS: &str = "account_id, app_uid, app_domain, ip_address, service_token_id, client_id, \
    policy_id, decision, method, ray_id, created_at, allowed, is_service_token, reason, status, \
    user_email, idp_id, idp_type";

/// `?1` account, `?2` since, `?3` until, `?4` allowed, `?5` is_service_token, `?6` app_uid and
/// `?7` whether to negate it, `?8` ray_id and `?9` whether to negate it, `?10` token id,
/// `?11` client id, `?12` the e-mail filter's value (lowercase) and `?13` its operator (`eq`,
/// `neq`, `contains`; a record without a person has the e-mail address `""`).
macro_rules! filtered {
    ($select:literal, $tail:literal) => {
        concat!(
            $select,
            " FROM access_logs \
              WHERE account_id = ?1 \
                AND created_at >= COALESCE(?2, -9223372036854775807) \
                AND created_at <= COALESCE(?3, 9223372036854775807) \
                AND (?4 IS NULL OR allowed = ?4) \
                AND (?5 IS NULL OR is_service_token = ?5) \
                AND (?6 IS NULL OR (app_uid = ?6) <> ?7) \
                AND (?8 IS NULL OR (ray_id = ?8) <> ?9) \
                AND (?10 IS NULL OR service_token_id = ?10) \
                AND (?11 IS NULL OR client_id = ?11) \
                AND (?12 IS NULL OR CASE ?13 \
                    WHEN 'eq' THEN COALESCE(user_email, '') = ?12 \
                    WHEN 'neq' THEN COALESCE(user_email, '') <> ?12 \
                    ELSE instr(COALESCE(user_email, ''), ?12) > 0 END)",
            $tail
        )
    };
}

const COUNT: &str = filtered!("SELECT COUNT(*)", "");
const PAGE_DESC: &str = filtered!("SELECT *", " ORDER BY created_at DESC, seq DESC LIMIT ?14 OFFSET ?15");
const PAGE_ASC: &str = filtered!("SELECT *", " ORDER BY created_at, seq LIMIT ?14 OFFSET ?15");

/// `?1` account, `?2` since, `?3` the client ids as a JSON array or NULL, `?4` bucket seconds,
/// `?5` whether to split by reason. The `(account_id, created_at)` range serves it, with client ids too.
const ACTIVITY: &str = "SELECT CASE WHEN ?3 IS NULL THEN NULL ELSE client_id END AS client_id, \
        (created_at - ?2) / ?4 AS bucket, allowed, CASE WHEN ?5 THEN reason END AS reason, COUNT(*) AS count \
      FROM access_logs \
      WHERE account_id = ?1 AND created_at >= ?2 \
        AND (?3 IS NULL OR client_id IN (SELECT value FROM json_each(?3))) \
      GROUP BY 1, 2, 3, 4";

/// A replay batch: the records of one application from `since`, newest first, after the
/// (created_at, seq) key of the last record of the previous batch. The range scan of
/// `access_logs_by_account` does the work; nothing is counted.
const REPLAY: &str = "SELECT * FROM access_logs \
      WHERE account_id = ?1 AND app_uid = ?2 AND created_at >= ?3 \
        AND (created_at, seq) < (?4, ?5) \
      ORDER BY created_at DESC, seq DESC LIMIT ?6";

const PRUNE: &str = "DELETE FROM access_logs WHERE created_at < ?1";

/// `values` as a JSON array of strings, for `json_each`.
pub(crate) fn json_strings(values: &[String]) -> String {
    let mut out = String::from("[");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in value.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out
}

fn activity_count(
    (client_id, bucket, allowed, reason, count): (Option<String>, i64, bool, Option<String>, i64),
) -> Result<ActivityCount, StoreError> {
    Ok(ActivityCount {
        client_id,
        bucket,
        allowed,
        reason,
        count: u64::try_from(count).map_err(|_| corrupt("a negative row count"))?,
    })
}

/// A row with its insertion order, the replay's key.
#[derive(sqlx::FromRow)]
struct Keyed {
    seq: i64,
    #[sqlx(flatten)]
    row: Row,
}

#[async_trait]
impl AccessLogStore for SqliteStore {
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
                .fetch_all(&self.reader)
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
        let mut tx = self.writer.begin().await.map_err(from_sqlx)?;
        for chunk in insert_chunks(records, ROWS_PER_INSERT) {
            let statement = insert_statement(chunk.len());
            // Room for every value up front: the arguments do not grow one bind at a time.
            let mut arguments = SqliteArguments::default();
            arguments.reserve(SHARED + chunk.len() * COLUMN_COUNT, 0);
            bind_chunk(&mut arguments, chunk).map_err(|error| {
                StoreError::Unavailable(format!("cannot encode an access-log record: {error}"))
            })?;
            sqlx::query_with(&statement, arguments).execute(&mut *tx).await.map_err(from_sqlx)?;
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
        // One read transaction, so the total and the page come from the same snapshot.
        let mut tx = self.reader.begin().await.map_err(from_sqlx)?;
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
        let client_ids = query.client_ids.as_ref().map(|ids| json_strings(ids));
        let rows: Vec<(Option<String>, i64, bool, Option<String>, i64)> = sqlx::query_as(ACTIVITY)
            .bind(account.as_str())
            .bind(query.since.unix())
            .bind(client_ids)
            .bind(query.bucket_secs.max(1))
            .bind(query.by_reason)
            .fetch_all(&self.reader)
            .await
            .map_err(from_sqlx)?;
        rows.into_iter().map(activity_count).collect()
    }

    async fn prune_access_logs(&self, older_than: Timestamp) -> Result<u64, StoreError> {
        let done =
            sqlx::query(PRUNE).bind(older_than.unix()).execute(&self.writer).await.map_err(from_sqlx)?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::{
        ACTIVITY, COLUMN_COUNT, COLUMNS, COUNT, PAGE_ASC, PAGE_DESC, PRUNE, REPLAY, ROWS_PER_INSERT, SHARED,
        insert_statement,
    };
    use crate::SqliteStore;

    /// SQLite's plan for `statement`, its parameters unbound (NULL), one line per step.
    async fn plan(store: &SqliteStore, statement: &str) -> String {
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {statement}"))
            .fetch_all(&store.reader)
            .await
            .unwrap();
        rows.into_iter().map(|(.., detail)| detail).collect::<Vec<_>>().join("; ")
    }

    /// The indexes each read and the pruning use: the access log keeps no index these do not
    /// need, since every record the gateway writes updates every index.
    #[tokio::test]
    async fn every_access_log_query_reads_an_index_range() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("gatehouse.db")).await.unwrap();
        for (name, statement, index) in [
            ("count", COUNT, "access_logs_by_account (account_id=? AND created_at>? AND created_at<?)"),
            (
                "page, newest first",
                PAGE_DESC,
                "access_logs_by_account (account_id=? AND created_at>? AND created_at<?)",
            ),
            (
                "page, oldest first",
                PAGE_ASC,
                "access_logs_by_account (account_id=? AND created_at>? AND created_at<?)",
            ),
            ("activity", ACTIVITY, "access_logs_by_account (account_id=? AND created_at>?)"),
            ("replay", REPLAY, "access_logs_by_account (account_id=? AND created_at>? AND created_at<?)"),
            ("prune", PRUNE, "access_logs_by_time (created_at<?)"),
        ] {
            let plan = plan(&store, statement).await;
            assert!(plan.contains(&format!("SEARCH access_logs USING INDEX {index}")), "{name}: {plan}");
            assert!(!plan.contains("SCAN access_logs"), "{name}: {plan}");
        }
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'access_logs' ORDER BY name",
        )
        .fetch_all(&store.reader)
        .await
        .unwrap();
        assert_eq!(indexes, ["access_logs_by_account", "access_logs_by_time"]);
    }

    #[test]
    fn every_shape_binds_the_shared_values_and_each_column_of_each_row_once() {
        assert_eq!(COLUMNS.split(',').count(), COLUMN_COUNT);
        for rows in [1, 2, 64, 256, ROWS_PER_INSERT, 3] {
            let text = insert_statement(rows);
            assert_eq!(text.matches('?').count(), SHARED + rows * COLUMN_COUNT, "{rows} rows");
            let named = text.split('?').skip(1).any(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
            assert!(!named, "anonymous parameters only: {text}");
            assert_eq!(text.matches("), (").count(), rows - 1, "{rows} rows");
        }
        assert!(matches!(insert_statement(32), std::borrow::Cow::Borrowed(_)), "built once, kept");
    }
}
