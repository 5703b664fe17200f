//! The monitoring jobs' record of what was notified (`sent_notifications`): a claim is an
//! `INSERT … ON CONFLICT DO NOTHING`, so of several callers exactly one inserts the row.

use async_trait::async_trait;
use gatehouse_domain::Timestamp;
use gatehouse_store::{NotificationKey, NotificationLog, StoreError};

use crate::SqliteStore;
use crate::error::from_sqlx;

const CLAIM: &str = "INSERT INTO sent_notifications (token_id, kind, account_id, sent_at) \
    VALUES (?1, ?2, ?3, ?4) ON CONFLICT (token_id, kind) DO NOTHING";

const RELEASE: &str = "DELETE FROM sent_notifications WHERE token_id = ?1 AND kind = ?2";

#[async_trait]
impl NotificationLog for SqliteStore {
    async fn claim_notification(&self, key: &NotificationKey, at: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query(CLAIM)
            .bind(key.token_id.to_string())
            .bind(&key.kind)
            .bind(key.account_id.as_str())
            .bind(at.unix())
            .execute(&self.writer)
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_notification(&self, key: &NotificationKey) -> Result<(), StoreError> {
        sqlx::query(RELEASE)
            .bind(key.token_id.to_string())
            .bind(&key.kind)
            .execute(&self.writer)
            .await
            .map_err(from_sqlx)?;
        Ok(())
    }
}
