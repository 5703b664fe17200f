//! The filtered, paginated list of an account's service tokens, in creation order.

use gatehouse_domain::{AccountId, ServiceToken, Timestamp};
use gatehouse_store::{Page, PageRequest, StoreError, TokenFilter};
use sqlx::SqlitePool;

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

const COUNT: &str = filtered!("SELECT COUNT(*)", "");
const PAGE: &str = filtered!("SELECT *", " ORDER BY seq LIMIT ?7 OFFSET ?8");

pub(super) async fn list(
    reader: &SqlitePool,
    account: &AccountId,
    filter: &TokenFilter,
    page: PageRequest,
) -> Result<Page<ServiceToken>, StoreError> {
    let pattern = filter.search.as_deref().map(|text| format!("%{}%", escape_like(text)));
    // One read transaction, so the total and the page come from the same snapshot.
    let mut tx = reader.begin().await.map_err(from_sqlx)?;
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

/// Makes `%`, `_` and the escape character itself match literally in a LIKE pattern.
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
