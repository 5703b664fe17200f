//! Server-wide settings in the database: small named values that every node sharing the
//! database must agree on (such as the check value of the server key).

use async_trait::async_trait;

use crate::StoreError;

#[async_trait]
pub trait SettingsStore: Send + Sync + std::fmt::Debug {
    /// Stores `value` under `name` unless a value is stored already, and returns the stored value
    /// (`value` itself when this call stored it). Racing callers all get the winner's value.
    async fn setting_or_insert(&self, name: &str, value: &str) -> Result<String, StoreError>;
    /// Stores `value` under `name`, replacing what was stored (after a rotation of the server
    /// key, its new check value).
    async fn replace_setting(&self, name: &str, value: &str) -> Result<(), StoreError>;
}
