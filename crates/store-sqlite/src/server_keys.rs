//! Rotation of the server key: hashes moved to the current key one by one, key ids recorded
//! for hashes stored before they were, and the count of hashes under each key. Kept in
//! lock-step with the other adapter's `server_keys.rs`.

use async_trait::async_trait;
use gatehouse_domain::{KeyId, SecretHash, SecretMatch, TokenId};
use gatehouse_store::{KeyCount, ServerKeyStore, StoreError, key_counts};

use crate::SqliteStore;
use crate::error::from_sqlx;

const COUNT: &str = "SELECT key_id, COUNT(*) FROM ( \
        SELECT secret_key_id AS key_id FROM service_tokens \
        UNION ALL SELECT COALESCE(previous_secret_key_id, '') FROM service_tokens \
            WHERE previous_secret_hash IS NOT NULL \
        UNION ALL SELECT key_id FROM api_tokens \
    ) AS hashes GROUP BY key_id ORDER BY key_id";

const REHASH_CURRENT: &str = "UPDATE service_tokens SET secret_hash = ?1, secret_key_id = ?2 \
    WHERE id = ?3 AND secret_hash = ?4 AND secret_key_id = ?5";
const REHASH_PREVIOUS: &str = "UPDATE service_tokens SET previous_secret_hash = ?1, previous_secret_key_id = ?2 \
    WHERE id = ?3 AND previous_secret_hash = ?4 AND previous_secret_key_id = ?5";
const REHASH_API: &str = "UPDATE api_tokens SET token_hash = ?1, key_id = ?2 \
    WHERE id = ?3 AND token_hash = ?4 AND key_id = ?5";

const NAME_UNNAMED: [&str; 3] = [
    "UPDATE service_tokens SET secret_key_id = ?1 WHERE secret_key_id = ''",
    "UPDATE service_tokens SET previous_secret_key_id = ?1 \
        WHERE previous_secret_hash IS NOT NULL AND COALESCE(previous_secret_key_id, '') = ''",
    "UPDATE api_tokens SET key_id = ?1 WHERE key_id = ''",
];

#[async_trait]
impl ServerKeyStore for SqliteStore {
    async fn hashes_by_key(&self) -> Result<Vec<KeyCount>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as(COUNT).fetch_all(&self.reader).await.map_err(from_sqlx)?;
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
            let done = sqlx::query(statement)
                .bind(key.to_string())
                .execute(&self.writer)
                .await
                .map_err(from_sqlx)?;
            named += done.rows_affected();
        }
        Ok(named)
    }
}

async fn rehash(
    store: &SqliteStore,
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
        .execute(&store.writer)
        .await
        .map_err(from_sqlx)?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use sqlx::Row;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

    use crate::MIGRATOR;

    async fn run_migrations(pool: &SqlitePool, versions: std::ops::RangeInclusive<i64>) {
        for migration in MIGRATOR.iter().filter(|m| versions.contains(&m.version)) {
            sqlx::raw_sql(&migration.sql).execute(pool).await.unwrap();
        }
    }

    /// Rows stored before migration 0009 get the id of the key the database's check value names:
    /// its first 16 hex characters.
    #[tokio::test]
    async fn migration_0009_names_the_key_of_existing_hashes_from_the_stored_check_value() {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new().filename(dir.path().join("old.db")).create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.unwrap();
        run_migrations(&pool, 1..=8).await;
        let key = gatehouse_domain::ServerKey::generate();
        let statements = [
            format!("INSERT INTO settings (name, value) VALUES ('server_key_check', '{}')", key.check_value()),
            "INSERT INTO accounts (id, name, created_at) VALUES ('a', 'Acme', 0)".to_owned(),
            "INSERT INTO api_tokens (id, account_id, name, token_hash, permission, kind, created_at, enabled) \
             VALUES ('t', 'a', 'admin', zeroblob(32), 'edit', 'bearer', 0, 1)"
                .to_owned(),
            "INSERT INTO service_tokens (id, account_id, name, client_id, duration, created_at, updated_at, \
                 expires_at, enabled, secret_hash, secret_version, previous_secret_hash, previous_secret_version, \
                 previous_secret_grace, revision) \
             VALUES ('s1', 'a', 'rotated', 'c1', '1h', 0, 0, 3600, 1, zeroblob(32), 2, zeroblob(32), 1, 'first_use', 2), \
                    ('s2', 'a', 'single', 'c2', '1h', 0, 0, 3600, 1, zeroblob(32), 1, NULL, NULL, NULL, 1)"
                .to_owned(),
        ];
        for statement in statements {
            sqlx::query(&statement).execute(&pool).await.unwrap();
        }
        run_migrations(&pool, 9..=9).await;

        let id = key.id().to_string();
        let tokens =
            sqlx::query("SELECT secret_key_id, previous_secret_key_id FROM service_tokens ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap();
        let tokens: Vec<(String, Option<String>)> =
            tokens.iter().map(|row| (row.get(0), row.get(1))).collect();
        assert_eq!(tokens, vec![(id.clone(), Some(id.clone())), (id.clone(), None)]);
        let api: String = sqlx::query_scalar("SELECT key_id FROM api_tokens").fetch_one(&pool).await.unwrap();
        assert_eq!(api, id);
    }
}
