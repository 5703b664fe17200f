//! Every node that shares a database must hash secrets with the same server key, or tokens
//! created on one node fail on another. The first start stores a check value of its key (an
//! HMAC of a fixed label under the key: it reveals nothing about the key) in the database;
//! every later start, on any node, compares its own and refuses to start on a mismatch.

use gatehouse_domain::{HashPurpose, Secret, ServerKey};
use gatehouse_store::SettingsStore;

use crate::keys::KeyError;
use crate::serve::ServerError;

/// The settings row holding the check value.
const SETTING: &str = "server_key_check";
/// Hashed under the server key. Spaces make it impossible as an API token, so the value can
/// never equal a stored token hash.
const LABEL: &str = "gatehouse server key check v1";

/// Stores this key's check value on first start; afterwards fails unless it matches.
pub async fn verify(settings: &dyn SettingsStore, key: &ServerKey) -> Result<(), ServerError> {
    let mine = check_value(key);
    let stored = settings.setting_or_insert(SETTING, &mine).await?;
    if stored == mine { Ok(()) } else { Err(KeyError::Mismatch.into()) }
}

fn check_value(key: &ServerKey) -> String {
    let hash = key.hash(HashPurpose::ApiToken, &Secret::new(LABEL.to_owned()));
    hash.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_differ_per_key_and_stay_stable() {
        let key = ServerKey::generate();
        assert_eq!(check_value(&key), check_value(&key));
        assert_eq!(check_value(&key).len(), 64);
        assert_ne!(check_value(&key), check_value(&ServerKey::generate()));
    }
}
