//! People: the identity providers they log in with, the stable id of a person in an account,
//! and the stored [`User`] document: what the person's latest login established ([`Identity`],
//! kept server-side, not in the cookie) and when an administrator or the person ended their
//! sessions.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::ids::AccountId;
use crate::secret::Secret;
use crate::server_key::ServerKey;

/// An identity provider as stored. `config` never holds the client secret; that is in
/// `sealed_client_secret` (AES-256-GCM under the server key, base64).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentityProvider {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub config: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_config: Option<Value>,
}

impl IdentityProvider {
    /// The client secret in clear, when one is stored and opens under the server key ring.
    pub fn client_secret(&self, key: &ServerKey) -> Option<Secret> {
        let sealed = BASE64.decode(self.sealed_client_secret.as_deref()?).ok()?;
        let opened = key.open(&sealed)?;
        String::from_utf8(opened.to_vec()).ok().map(Secret::new)
    }

    /// A string field of `config`.
    pub fn config_str(&self, field: &str) -> Option<&str> {
        self.config.get(field).and_then(Value::as_str)
    }
}

/// A person known to an account: someone who logged in, or whose sessions an administrator
/// revoked. Stored under the person's [`user_uuid`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// In lowercase ([`normalize_email`]).
    pub email: String,
    pub user_uuid: String,
    /// What the latest login established (`None` until the person logs in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// Sessions issued at or before this instant are refused (`revoke_user`, logout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_revoked_at: Option<Timestamp>,
}

impl User {
    pub fn new(account: &AccountId, email: &str) -> Self {
        User {
            email: normalize_email(email),
            user_uuid: user_uuid(account, email),
            identity: None,
            sessions_revoked_at: None,
        }
    }
}

/// What a login established about a person, returned by `/cdn-cgi/access/get-identity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// The JWT's `identity_nonce` of the session this login issued.
    pub identity_nonce: String,
    #[serde(default)]
    pub name: String,
    pub idp_id: String,
    pub idp_type: String,
    /// The provider's `groups` claim, when it sent one.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The claims named in the provider's `config.claims`, as the provider sent them.
    #[serde(default)]
    pub oidc_fields: Map<String, Value>,
    /// How the person authenticated (RFC 8176 values; `["otp"]` for a one-time PIN).
    #[serde(default)]
    pub amr: Vec<String>,
    /// When the person logged in.
    pub iat: Timestamp,
}

/// An e-mail address as gatehouse compares it: trimmed, in lowercase.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The stable id of the person with `email` in `account` (a UUID, the JWT's `sub`): the same on
/// every node, after every restart and every rotation of keys, and different in each account.
/// Derived, not random, so that it needs no storage; it is not a secret.
pub fn user_uuid(account: &AccountId, email: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"gatehouse user v1\0");
    hash.update(account.as_str().as_bytes());
    hash.update(b"\0");
    hash.update(normalize_email(email).as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid().hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_stable_per_account_and_case_blind() {
        let account = AccountId::generate();
        let id = user_uuid(&account, "Alice@Example.com ");
        assert_eq!(id, user_uuid(&account, "alice@example.com"));
        assert_eq!(id.len(), 36);
        assert_ne!(id, user_uuid(&AccountId::generate(), "alice@example.com"));
        assert_ne!(id, user_uuid(&account, "bob@example.com"));
    }

    #[test]
    fn the_client_secret_opens_under_the_server_key_only() {
        let key = ServerKey::generate();
        let sealed = BASE64.encode(key.seal(b"s3cret"));
        let idp = IdentityProvider {
            name: "op".into(),
            kind: "oidc".into(),
            config: Map::new(),
            sealed_client_secret: Some(sealed),
            scim_config: None,
        };
        assert_eq!(idp.client_secret(&key).unwrap().expose(), "s3cret");
        assert!(idp.client_secret(&ServerKey::generate()).is_none());
    }
}
