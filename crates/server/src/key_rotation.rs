//! A rotation of the server key, seen from the server: at start, hashes stored before key ids
//! existed are named, signing private keys are re-sealed under the current key (their key
//! pairs, kids and certificates stay the same), and the operator is told how many hashes are
//! still under a previous key — or under a key that is no longer configured, whose secrets can
//! no longer be verified. [`status`] counts the same for `gatehouse admin server-key status`.
//!
//! Client secrets and API tokens cannot be re-hashed here (only their hashes are stored): the
//! gateway and the API move each one to the current key when it is next used.

use std::collections::BTreeMap;

use gatehouse_domain::{Clock, KeyId, ServerKey, SigningKeys};
use gatehouse_store::{ResourceChange, ResourceKind, Store, StoreError};
use serde::Serialize;

/// What a server key is to this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    Current,
    Previous,
    /// Neither current nor previous: what is stored under it cannot be verified or opened.
    NotConfigured,
    /// Stored before key ids were recorded (until the next start of the server names them).
    Unrecorded,
}

/// What is stored under one server key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyStatus {
    /// `None` for [`KeyRole::Unrecorded`].
    pub key_id: Option<String>,
    pub role: KeyRole,
    /// Client secrets (current and previous) and API tokens hashed under the key.
    pub hashes: u64,
    /// Signing private keys sealed under the key.
    pub signing_keys: u64,
}

/// Counts what is stored under each key: the current and previous keys always appear (a
/// previous key with nothing left can be dropped), then any other key something is stored under.
pub async fn status(store: &dyn Store, key: &ServerKey) -> Result<Vec<KeyStatus>, StoreError> {
    let mut counts: BTreeMap<Option<KeyId>, (u64, u64)> = BTreeMap::new();
    for id in std::iter::once(key.id()).chain(key.previous_ids()) {
        counts.entry(Some(id)).or_default();
    }
    for count in store.hashes_by_key().await? {
        counts.entry(count.key_id).or_default().0 += count.hashes;
    }
    for resource in store.all_resources(ResourceKind::SigningKeys).await? {
        for sealed_with in signing_keys(&resource.body, &resource.account_id.to_string())?.sealed_with() {
            counts.entry(sealed_with).or_default().1 += 1;
        }
    }
    let mut statuses: Vec<KeyStatus> = counts
        .into_iter()
        .map(|(id, (hashes, signing_keys))| KeyStatus {
            key_id: id.map(|id| id.to_string()),
            role: match id {
                None => KeyRole::Unrecorded,
                Some(id) if id == key.id() => KeyRole::Current,
                Some(id) if key.holds(id) => KeyRole::Previous,
                Some(_) => KeyRole::NotConfigured,
            },
            hashes,
            signing_keys,
        })
        .collect();
    statuses.sort_by(|a, b| a.role.cmp(&b.role).then_with(|| a.key_id.cmp(&b.key_id)));
    Ok(statuses)
}

/// The start-time part of a rotation; `database_key` is the key the database's check value
/// named (see `key_check`).
pub async fn on_start(
    store: &dyn Store,
    key: &ServerKey,
    database_key: KeyId,
    clock: &dyn Clock,
) -> Result<(), StoreError> {
    let named = store.record_unnamed_key_ids(database_key).await?;
    if named > 0 {
        tracing::info!(hashes = named, key_id = %database_key, "recorded the server key of hashes stored before key ids were");
    }
    reseal_signing_keys(store, key, clock).await?;
    for status in status(store, key).await? {
        let key_id = status.key_id.as_deref().unwrap_or("unrecorded");
        match status.role {
            KeyRole::Current => {}
            KeyRole::Previous if status.hashes > 0 => tracing::info!(
                key_id,
                hashes = status.hashes,
                "hashes are still under a previous server key; they move to the current key as they are used"
            ),
            KeyRole::Previous => tracing::info!(
                key_id,
                "nothing is stored under this previous server key any more: it can be dropped"
            ),
            KeyRole::NotConfigured | KeyRole::Unrecorded => tracing::warn!(
                key_id,
                hashes = status.hashes,
                signing_keys = status.signing_keys,
                "secrets and API tokens hashed under a server key that is no longer configured cannot be \
                 verified: put that key back in GATEHOUSE_PREVIOUS_SECRET_KEYS (or <key file>.previous), \
                 or rotate those secrets and reissue those API tokens"
            ),
        }
    }
    Ok(())
}

/// Re-seals every account's signing private keys not sealed under the current key.
async fn reseal_signing_keys(
    store: &dyn Store,
    key: &ServerKey,
    clock: &dyn Clock,
) -> Result<(), StoreError> {
    for mut resource in store.all_resources(ResourceKind::SigningKeys).await? {
        let account = resource.account_id.to_string();
        let mut keys = signing_keys(&resource.body, &account)?;
        match keys.reseal(key) {
            Ok(false) => continue,
            Ok(true) => {}
            Err(error) => {
                // The gateway reports it too when it loads the account; nothing else to do here.
                tracing::warn!(%account, %error, "cannot re-seal the account's signing keys under the current server key");
                continue;
            }
        }
        resource.body = serde_json::to_string(&keys).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        resource.updated_at = clock.now();
        resource.revision += 1;
        match store.apply(&[ResourceChange::Update(resource)]).await {
            Ok(()) => {
                tracing::info!(%account, "re-sealed the account's signing keys under the current server key")
            }
            // Another node changed them meanwhile (re-sealed them, or rotated them under its key).
            Err(StoreError::Stale) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(())
}

fn signing_keys(body: &str, account: &str) -> Result<SigningKeys, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("signing keys of {account}: {e}")))
}
