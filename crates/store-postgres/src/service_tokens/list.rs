//! The filtered, paginated list of an account's service tokens, in creation order.

use gatehouse_domain::{AccountId, ServiceToken, Timestamp};
use gatehouse_store::token_list::{Start, TokenWalk, contains_pattern};
use gatehouse_store::{Page, PageRequest, StoreError, TokenFilter};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::row::TokenRow;
use crate::error::{corrupt, from_sqlx};
use crate::storable;

/// The filter both statements share. `$1` account, `$2` exact name or NULL, `$3` search text or
/// NULL, `$4` the search text as an ILIKE pattern (escaped with `\`), `$5` expires before or
/// NULL, `$6` unused since or NULL. ILIKE folds case by the
/// database's `LC_CTYPE`, so beyond ASCII too under a UTF-8 locale (SQLite folds ASCII only).
macro_rules! filtered {
    ($select:literal, $tail:literal) => {
        concat!(
            $select,
            " FROM service_tokens \
              WHERE account_id = $1 \
                AND ($2::text IS NULL OR name = $2) \
                AND ($3::text IS NULL OR name ILIKE $4 ESCAPE '\\' OR id = $3 OR client_id = $3) \
                AND ($5::bigint IS NULL OR expires_at < $5) \
                AND ($6::bigint IS NULL OR last_seen_at IS NULL OR last_seen_at < $6)",
            $tail
        )
    };
}

const PAGE: &str = filtered!("SELECT *", " ORDER BY seq LIMIT $7 OFFSET $8");
/// Keyset pages: `$9` the id of the token the page starts after or ends before. Each reads the
/// `(account_id, seq)` index from the cursor on, so the last page costs what the first does.
const AFTER: &str = filtered!(
    "SELECT *",
    " AND seq > (SELECT seq FROM service_tokens WHERE account_id = $1 AND id = $9) \
      ORDER BY seq LIMIT $7 OFFSET $8"
);
/// In reverse order: the rows are turned round after reading.
const BEFORE: &str = filtered!(
    "SELECT *",
    " AND seq < (SELECT seq FROM service_tokens WHERE account_id = $1 AND id = $9) \
      ORDER BY seq DESC LIMIT $7 OFFSET $8"
);
/// In reverse order, as [`BEFORE`].
const LAST: &str = filtered!("SELECT *", " ORDER BY seq DESC LIMIT $7 OFFSET $8");

/// Both statements in one snapshot, so the total and the page agree.
const SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

pub(super) async fn list(
    pool: &PgPool,
    account: &AccountId,
    filter: &TokenFilter,
    page: PageRequest,
) -> Result<Page<ServiceToken>, StoreError> {
    if ![&filter.name, &filter.search].into_iter().flatten().all(|text| storable(text)) {
        return Ok(Page { items: Vec::new(), total: 0 });
    }
    let pattern = filter.search.as_deref().map(contains_pattern);
    let mut tx = pool.begin_with(SNAPSHOT).await.map_err(from_sqlx)?;
    let total: i64 = count(filter, account, pattern.as_deref())
        .build_query_scalar()
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
    let walk = TokenWalk::new(filter, page);
    let statement = match walk.start {
        Start::First => PAGE,
        Start::After => AFTER,
        Start::Before => BEFORE,
        Start::Last => LAST,
    };
    let mut query = sqlx::query_as::<_, TokenRow>(statement)
        .bind(account.as_str())
        .bind(filter.name.as_deref())
        .bind(filter.search.as_deref())
        .bind(pattern.as_deref())
        .bind(filter.expires_before.map(Timestamp::unix))
        .bind(filter.unused_since.map(Timestamp::unix))
        .bind(walk.limit)
        .bind(walk.offset);
    if let Some(id) = walk.cursor_id {
        query = query.bind(id);
    }
    let mut rows: Vec<TokenRow> = query.fetch_all(&mut *tx).await.map_err(from_sqlx)?;
    if walk.reversed {
        rows.reverse();
    }
    tx.commit().await.map_err(from_sqlx)?;

    let items = rows.into_iter().map(ServiceToken::try_from).collect::<Result<_, _>>()?;
    let total = u64::try_from(total).map_err(|_| corrupt("a negative row count"))?;
    Ok(Page { items, total })
}

/// The statement counting the tokens that match `filter`, with only the conditions it sets (as
/// SQLite's): with every filter written as `($n IS NULL OR …)` the planner of a generic prepared
/// statement cannot tell which apply. The unused filter is the sum of two counts, "never used"
/// and "last seen before".
fn count<'a>(
    filter: &'a TokenFilter,
    account: &'a AccountId,
    pattern: Option<&'a str>,
) -> QueryBuilder<'a, Postgres> {
    let Some(since) = filter.unused_since else {
        let mut query = QueryBuilder::new("SELECT COUNT(*) FROM service_tokens WHERE ");
        conditions(&mut query, filter, account, pattern);
        return query;
    };
    let mut query = QueryBuilder::new("SELECT (SELECT COUNT(*) FROM service_tokens WHERE ");
    conditions(&mut query, filter, account, pattern);
    query.push(" AND last_seen_at IS NULL) + (SELECT COUNT(*) FROM service_tokens WHERE ");
    conditions(&mut query, filter, account, pattern);
    query.push(" AND last_seen_at < ").push_bind(since.unix()).push(")");
    query
}

/// The account and the filters set, but the unused one (`count` adds it).
fn conditions<'a>(
    query: &mut QueryBuilder<'a, Postgres>,
    filter: &'a TokenFilter,
    account: &'a AccountId,
    pattern: Option<&'a str>,
) {
    query.push("account_id = ").push_bind(account.as_str());
    if let Some(name) = &filter.name {
        query.push(" AND name = ").push_bind(name.as_str());
    }
    if let (Some(search), Some(pattern)) = (&filter.search, pattern) {
        query.push(" AND (name ILIKE ").push_bind(pattern).push(" ESCAPE '\\' OR id = ");
        query.push_bind(search.as_str()).push(" OR client_id = ").push_bind(search.as_str()).push(")");
    }
    if let Some(before) = filter.expires_before {
        query.push(" AND expires_at < ").push_bind(before.unix());
    }
}
