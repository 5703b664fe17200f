//! What a rotation of the server key needs from storage: moving one stored hash to the current
//! key after it verified under a previous one, recording the key of hashes stored before key
//! ids existed, and counting the hashes still under each key, so the operator knows when a
//! previous key can be dropped.

use async_trait::async_trait;
use gatehouse_domain::{KeyId, SecretHash, SecretMatch, TokenId};

use crate::StoreError;

/// How many stored hashes were made under one server key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCount {
    /// `None`: hashes stored before key ids were recorded (until the next start records them).
    pub key_id: Option<KeyId>,
    pub hashes: u64,
}

#[async_trait]
pub trait ServerKeyStore: Send + Sync {
    /// Stored hashes (service token secrets, current and previous, and API tokens) by the key
    /// they were made with, ordered by key id.
    async fn hashes_by_key(&self) -> Result<Vec<KeyCount>, StoreError>;
    /// Replaces the stored hash `old` of a service token's `matched` secret by `new` (the same
    /// secret under the current key). Nothing happens, and `false` is returned, when the token
    /// no longer stores `old` there (rotated, deleted, or moved already by another node). The
    /// revision does not change: the secret is the same.
    async fn rehash_service_token_secret(
        &self,
        id: &TokenId,
        matched: SecretMatch,
        old: &SecretHash,
        new: &SecretHash,
    ) -> Result<bool, StoreError>;
    /// Replaces the stored hash `old` of the API token `id` by `new`, as above.
    async fn rehash_api_token(
        &self,
        id: &str,
        old: &SecretHash,
        new: &SecretHash,
    ) -> Result<bool, StoreError>;
    /// Records `key` as the key of every hash stored before key ids were recorded; returns how
    /// many hashes it named.
    async fn record_unnamed_key_ids(&self, key: KeyId) -> Result<u64, StoreError>;
}

/// Turns the counts adapters read (key id text, count) into [`KeyCount`]s.
pub fn key_counts(rows: Vec<(String, i64)>) -> Vec<KeyCount> {
    rows.into_iter()
        .map(|(key_id, hashes)| KeyCount {
            key_id: KeyId::parse(&key_id),
            hashes: u64::try_from(hashes).unwrap_or(0),
        })
        .collect()
}
