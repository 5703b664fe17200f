//! Every node that shares a database must hash secrets with the same server key, or tokens
//! created on one node fail on another. The first start stores a check value of its key (an
//! HMAC of a fixed label under the key: it reveals nothing about the key) in the database;
//! every later start, on any node, compares its own and refuses to start unless the stored
//! value is of a key it holds: its current key, or one of its previous keys (a rotation of the
//! server key, after which the current key's check value is recorded).

use gatehouse_domain::{KeyId, ServerKey};
use gatehouse_store::SettingsStore;

use crate::keys::KeyError;
use crate::serve::ServerError;

/// The settings row holding the check value.
const SETTING: &str = "server_key_check";

/// Stores this key's check value on first start; afterwards fails unless the stored value is of
/// a key of the ring, and records the current key's after a rotation. Returns the id of the key
/// the database named: hashes stored before key ids were recorded were made with it.
pub async fn verify(settings: &dyn SettingsStore, key: &ServerKey) -> Result<KeyId, ServerError> {
    let mine = key.check_value();
    let stored = settings.setting_or_insert(SETTING, &mine).await?;
    let Some(named) = key.key_with_check_value(&stored) else {
        return Err(KeyError::Mismatch.into());
    };
    if named != key.id() {
        settings.replace_setting(SETTING, &mine).await?;
        tracing::info!(
            previous_key_id = %named,
            key_id = %key.id(),
            "the server key was rotated: stored hashes move to the current key as they are used \
             (`gatehouse admin server-key status` counts those left)"
        );
    }
    Ok(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_are_those_stored_before_key_ids_existed() {
        // The value this module stored before the key ring: an API-token hash of a fixed label.
        let key = ServerKey::generate();
        let label = gatehouse_domain::Secret::new("gatehouse server key check v1".to_owned());
        let hash = key.hash(gatehouse_domain::HashPurpose::ApiToken, &label);
        let legacy: String = hash.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(key.check_value(), legacy);
        assert_eq!(key.key_with_check_value(&legacy), Some(key.id()));
    }

    #[tokio::test]
    async fn a_rotation_is_accepted_and_recorded_and_an_unknown_key_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = gatehouse_store_sqlite::SqliteStore::open(&dir.path().join("db")).await.unwrap();
        let (k1, k2) = (ServerKey::generate(), ServerKey::generate());
        let refused =
            |result: Result<KeyId, ServerError>| matches!(result, Err(ServerError::Key(KeyError::Mismatch)));

        assert_eq!(verify(&store, &k1).await.unwrap(), k1.id(), "the first start stores its key");
        assert!(refused(verify(&store, &k2).await), "another key alone is refused");
        let rotated = k2.clone().with_previous([k1.clone()]);
        assert_eq!(verify(&store, &rotated).await.unwrap(), k1.id(), "the database's key was K1");
        assert_eq!(verify(&store, &k2).await.unwrap(), k2.id(), "K2 was recorded: K1 may go");
        assert!(refused(verify(&store, &k1).await), "K1 alone is now the unknown key");
    }
}
