//! The filtered, paginated list of an account's service tokens, in creation order.

use gatehouse_domain::{AccountId, ServiceToken, Timestamp};
use gatehouse_store::{Page, PageRequest, StoreError, TokenFilter};
use sqlx::PgPool;

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

const COUNT: &str = filtered!("SELECT COUNT(*)", "");
const PAGE: &str = filtered!("SELECT *", " ORDER BY seq LIMIT $7 OFFSET $8");

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
    let pattern = filter.search.as_deref().map(|text| format!("%{}%", escape_like(text)));
    let mut tx = pool.begin_with(SNAPSHOT).await.map_err(from_sqlx)?;
    let total: i64 = sqlx::query_scalar(COUNT)
        .bind(account.as_str())
        .bind(filter.name.as_deref())
        .bind(filter.search.as_deref())
        .bind(pattern.as_deref())
        .bind(filter.expires_before.map(Timestamp::unix))
        .bind(filter.unused_since.map(Timestamp::unix))
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
    let rows: Vec<TokenRow> = sqlx::query_as(PAGE)
        .bind(account.as_str())
        .bind(filter.name.as_deref())
        .bind(filter.search.as_deref())
        .bind(pattern.as_deref())
        .bind(filter.expires_before.map(Timestamp::unix))
        .bind(filter.unused_since.map(Timestamp::unix))
        .bind(i64::try_from(page.limit).unwrap_or(i64::MAX))
        .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
    tx.commit().await.map_err(from_sqlx)?;

    let items = rows.into_iter().map(ServiceToken::try_from).collect::<Result<_, _>>()?;
    let total = u64::try_from(total).map_err(|_| corrupt("a negative row count"))?;
    Ok(Page { items, total })
}

/// Makes `%`, `_` and the escape character itself match literally in an ILIKE pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn wildcards_and_the_escape_character_are_escaped() {
        assert_eq!(escape_like("100%_done\\x"), "100\\%\\_done\\\\x");
        assert_eq!(escape_like("plain"), "plain");
    }
}
