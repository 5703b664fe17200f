//! Server-wide settings: insert once, then read what the first writer stored; replaced only
//! when the server key is rotated.

use async_trait::async_trait;
use gatehouse_store::{SettingsStore, StoreError};

use crate::SqliteStore;
use crate::error::from_sqlx;

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn setting_or_insert(&self, name: &str, value: &str) -> Result<String, StoreError> {
        // On the writer: it serializes with every other write of this process, and SQLite's
        // write lock with those of other processes.
        sqlx::query("INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(value)
            .execute(&self.writer)
            .await
            .map_err(from_sqlx)?;
        sqlx::query_scalar("SELECT value FROM settings WHERE name = ?1")
            .bind(name)
            .fetch_one(&self.writer)
            .await
            .map_err(from_sqlx)
    }

    async fn replace_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.writer)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }
}
