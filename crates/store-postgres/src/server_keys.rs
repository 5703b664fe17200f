//! Rotation of the server key: hashes moved to the current key one by one, key ids recorded
//! for hashes stored before they were, and the count of hashes under each key. Kept in
//! lock-step with the other adapter's `server_keys.rs`.

use async_trait::async_trait;
use gatehouse_domain::{KeyId, SecretHash, SecretMatch, TokenId};
use gatehouse_store::{KeyCount, ServerKeyStore, StoreError, key_counts};

use crate::PostgresStore;
use crate::error::from_sqlx;

const COUNT: &str = "SELECT key_id, COUNT(*) FROM ( \
        SELECT secret_key_id AS key_id FROM service_tokens \
        UNION ALL SELECT COALESCE(previous_secret_key_id, '') FROM service_tokens \
            WHERE previous_secret_hash IS NOT NULL \
        UNION ALL SELECT key_id FROM api_tokens \
    ) AS hashes GROUP BY key_id ORDER BY key_id";

const REHASH_CURRENT: &str = "UPDATE service_tokens SET secret_hash = $1, secret_key_id = $2 \
    WHERE id = $3 AND secret_hash = $4 AND secret_key_id = $5";
const REHASH_PREVIOUS: &str = "UPDATE service_tokens SET previous_secret_hash = $1, previous_secret_key_id = $2 \
    WHERE id = $3 AND previous_secret_hash = $4 AND previous_secret_key_id = $5";
const REHASH_API: &str = "UPDATE api_tokens SET token_hash = $1, key_id = $2 \
    WHERE id = $3 AND token_hash = $4 AND key_id = $5";

const NAME_UNNAMED: [&str; 3] = [
    "UPDATE service_tokens SET secret_key_id = $1 WHERE secret_key_id = ''",
    "UPDATE service_tokens SET previous_secret_key_id = $1 \
        WHERE previous_secret_hash IS NOT NULL AND COALESCE(previous_secret_key_id, '') = ''",
    "UPDATE api_tokens SET key_id = $1 WHERE key_id = ''",
];

#[async_trait]
impl ServerKeyStore for PostgresStore {
    async fn hashes_by_key(&self) -> Result<Vec<KeyCount>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as(COUNT).fetch_all(&self.pool).await.map_err(from_sqlx)?;
        Ok(key_counts(rows))
    }

    async fn rehash_service_token_secret(
        &self,
        id: &TokenId,
        matched: SecretMatch,
        old: &SecretHash,
        new: &SecretHash,
    ) -> Result<bool, StoreError> {
        let statement = match matched {
            SecretMatch::Current => REHASH_CURRENT,
            SecretMatch::Previous => REHASH_PREVIOUS,
        };
        rehash(self, statement, &id.to_string(), old, new).await
    }

    async fn rehash_api_token(
        &self,
        id: &str,
        old: &SecretHash,
        new: &SecretHash,
    ) -> Result<bool, StoreError> {
        rehash(self, REHASH_API, id, old, new).await
    }

    async fn record_unnamed_key_ids(&self, key: KeyId) -> Result<u64, StoreError> {
        let mut named = 0;
        for statement in NAME_UNNAMED {
            let done =
                sqlx::query(statement).bind(key.to_string()).execute(&self.pool).await.map_err(from_sqlx)?;
            named += done.rows_affected();
        }
        Ok(named)
    }
}

async fn rehash(
    store: &PostgresStore,
    statement: &str,
    id: &str,
    old: &SecretHash,
    new: &SecretHash,
) -> Result<bool, StoreError> {
    let done = sqlx::query(statement)
        .bind(new.as_bytes().as_slice())
        .bind(new.key_id().to_string())
        .bind(id)
        .bind(old.as_bytes().as_slice())
        .bind(old.key_id().to_string())
        .execute(&store.pool)
        .await
        .map_err(from_sqlx)?;
    Ok(done.rows_affected() > 0)
}
