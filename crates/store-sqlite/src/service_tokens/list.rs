//! The filtered, paginated list of an account's service tokens, in creation order.
//!
//! The page is one fixed statement that walks the account's tokens in `seq` order and stops at
//! the page's end. The total is counted by a statement holding only the filters given, so that
//! each count reads an index alone: the account's tokens (`service_tokens_by_use`), a range of
//! expiry times (`service_tokens_by_expiry`), or the two ranges of "never used" and "last seen
//! before" (`service_tokens_by_use`). With every filter written into one statement as
//! `(? IS NULL OR …)`, SQLite cannot tell which apply and reads every token's row: at 100,000
//! tokens that made the "unused for 90 days" count several times slower than the page itself.

use gatehouse_domain::{AccountId, ServiceToken, Timestamp};
use gatehouse_store::token_list::{Start, TokenWalk, contains_pattern};
use gatehouse_store::{Page, PageRequest, StoreError, TokenFilter};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::row::TokenRow;
use crate::error::{corrupt, from_sqlx};

/// The filter both statements share. `?1` account, `?2` exact name or NULL, `?3` search text or
/// NULL, `?4` the search text as a LIKE pattern (escaped with `\`), `?5` expires before or NULL,
/// `?6` unused since or NULL. SQLite's LIKE ignores ASCII case only.
macro_rules! filtered {
    ($select:literal, $tail:literal) => {
        concat!(
            $select,
            " FROM service_tokens \
              WHERE account_id = ?1 \
                AND (?2 IS NULL OR name = ?2) \
                AND (?3 IS NULL OR name LIKE ?4 ESCAPE '\\' OR id = ?3 OR client_id = ?3) \
                AND (?5 IS NULL OR expires_at < ?5) \
                AND (?6 IS NULL OR last_seen_at IS NULL OR last_seen_at < ?6)",
            $tail
        )
    };
}

const PAGE: &str = filtered!("SELECT *", " ORDER BY seq LIMIT ?7 OFFSET ?8");
/// Keyset pages: `?9` the id of the token the page starts after or ends before. Each reads the
/// `(account_id, seq)` index from the cursor on, so the last page costs what the first does.
const AFTER: &str = filtered!(
    "SELECT *",
    " AND seq > (SELECT seq FROM service_tokens WHERE account_id = ?1 AND id = ?9) \
      ORDER BY seq LIMIT ?7 OFFSET ?8"
);
/// In reverse order: the rows are turned round after reading.
const BEFORE: &str = filtered!(
    "SELECT *",
    " AND seq < (SELECT seq FROM service_tokens WHERE account_id = ?1 AND id = ?9) \
      ORDER BY seq DESC LIMIT ?7 OFFSET ?8"
);
/// In reverse order, as [`BEFORE`].
const LAST: &str = filtered!("SELECT *", " ORDER BY seq DESC LIMIT ?7 OFFSET ?8");

pub(super) async fn list(
    reader: &SqlitePool,
    account: &AccountId,
    filter: &TokenFilter,
    page: PageRequest,
) -> Result<Page<ServiceToken>, StoreError> {
    let pattern = filter.search.as_deref().map(contains_pattern);
    // One read transaction, so the total and the page come from the same snapshot.
    let mut tx = reader.begin().await.map_err(from_sqlx)?;
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

/// The statement counting the tokens that match `filter`, with only the conditions it sets. The
/// unused filter is the sum of two counts, "never used" and "last seen before", each a range of
/// `service_tokens_by_use`.
fn count<'a>(
    filter: &'a TokenFilter,
    account: &'a AccountId,
    pattern: Option<&'a str>,
) -> QueryBuilder<'a, Sqlite> {
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
    query: &mut QueryBuilder<'a, Sqlite>,
    filter: &'a TokenFilter,
    account: &'a AccountId,
    pattern: Option<&'a str>,
) {
    query.push("account_id = ").push_bind(account.as_str());
    if let Some(name) = &filter.name {
        query.push(" AND name = ").push_bind(name.as_str());
    }
    if let (Some(search), Some(pattern)) = (&filter.search, pattern) {
        query.push(" AND (name LIKE ").push_bind(pattern).push(" ESCAPE '\\' OR id = ");
        query.push_bind(search.as_str()).push(" OR client_id = ").push_bind(search.as_str()).push(")");
    }
    if let Some(before) = filter.expires_before {
        query.push(" AND expires_at < ").push_bind(before.unix());
    }
}
