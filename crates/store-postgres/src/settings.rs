//! Server-wide settings: insert once, then read what the first writer stored; replaced only
//! when the server key is rotated.

use async_trait::async_trait;
use gatehouse_store::{SettingsStore, StoreError};

use crate::PostgresStore;
use crate::error::from_sqlx;

#[async_trait]
impl SettingsStore for PostgresStore {
    async fn setting_or_insert(&self, name: &str, value: &str) -> Result<String, StoreError> {
        // One statement: the CTE's insert and the fallback read see the same snapshot, so a
        // racing node's committed row is read when this insert did nothing.
        let stored: Option<String> = sqlx::query_scalar(
            "WITH inserted AS (
                 INSERT INTO settings (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO NOTHING
                 RETURNING value
             )
             SELECT value FROM inserted
             UNION ALL
             SELECT value FROM settings WHERE name = $1
             LIMIT 1",
        )
        .bind(name)
        .bind(value)
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?;
        match stored {
            Some(stored) => Ok(stored),
            // A racing insert committed after this statement's snapshot: read it now.
            None => sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await
                .map_err(from_sqlx),
        }
    }

    async fn replace_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }
}
