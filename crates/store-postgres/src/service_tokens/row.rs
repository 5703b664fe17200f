//! A `service_tokens` row as read and bound with the PostgreSQL driver; the mapping to and from
//! [`ServiceToken`] is shared with the other adapter in `gatehouse_store::token_columns`.

use gatehouse_domain::ServiceToken;
use gatehouse_store::StoreError;
use gatehouse_store::token_columns::TokenColumns;
pub(super) use gatehouse_store::token_columns::storable_version;
use sqlx::postgres::{PgArguments, PgRow, Postgres};
use sqlx::query::Query;
use sqlx::{FromRow, Row};

/// Every column but `seq` (see [`TokenRow::bind`] for their placeholder order).
pub(super) struct TokenRow(TokenColumns);

impl TokenRow {
    pub(super) fn encode(token: &ServiceToken) -> Result<TokenRow, StoreError> {
        TokenColumns::encode(token).map(TokenRow)
    }

    /// Binds the columns as `$1` (`id`) to `$19` (`revision`), in declaration order,
    /// then `previous_secret_rotated_at` as `$20` and the key ids as `$21` and `$22`.
    pub(super) fn bind<'q>(
        self,
        query: Query<'q, Postgres, PgArguments>,
    ) -> Query<'q, Postgres, PgArguments> {
        let c = self.0;
        query
            .bind(c.id)
            .bind(c.account_id)
            .bind(c.name)
            .bind(c.client_id)
            .bind(c.duration)
            .bind(c.created_at)
            .bind(c.updated_at)
            .bind(c.expires_at)
            .bind(c.last_seen_at)
            .bind(c.enabled)
            .bind(c.secret_hash)
            .bind(c.secret_version)
            .bind(c.secret_last_seen_at)
            .bind(c.previous_secret_hash)
            .bind(c.previous_secret_version)
            .bind(c.previous_secret_grace)
            .bind(c.previous_secret_expires_at)
            .bind(c.previous_secret_last_seen_at)
            .bind(c.revision)
            .bind(c.previous_secret_rotated_at)
            .bind(c.secret_key_id)
            .bind(c.previous_secret_key_id)
    }
}

impl<'r> FromRow<'r, PgRow> for TokenRow {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(TokenRow(TokenColumns {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            name: row.try_get("name")?,
            client_id: row.try_get("client_id")?,
            duration: row.try_get("duration")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            expires_at: row.try_get("expires_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            enabled: row.try_get("enabled")?,
            secret_hash: row.try_get("secret_hash")?,
            secret_version: row.try_get("secret_version")?,
            secret_last_seen_at: row.try_get("secret_last_seen_at")?,
            previous_secret_hash: row.try_get("previous_secret_hash")?,
            previous_secret_version: row.try_get("previous_secret_version")?,
            previous_secret_grace: row.try_get("previous_secret_grace")?,
            previous_secret_expires_at: row.try_get("previous_secret_expires_at")?,
            previous_secret_last_seen_at: row.try_get("previous_secret_last_seen_at")?,
            revision: row.try_get("revision")?,
            previous_secret_rotated_at: row.try_get("previous_secret_rotated_at")?,
            secret_key_id: row.try_get("secret_key_id")?,
            previous_secret_key_id: row.try_get("previous_secret_key_id")?,
        }))
    }
}

impl TryFrom<TokenRow> for ServiceToken {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> Result<Self, StoreError> {
        row.0.decode()
    }
}
