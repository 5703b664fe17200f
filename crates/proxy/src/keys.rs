//! Signing keys in the gateway: loading an account's stored key set (creating it on first need,
//! rotating it when due), and the unsealed material the request path uses — a JWT signing key,
//! a verifying key, the JWK and the self-signed certificate published at
//! `/cdn-cgi/access/certs`.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_domain::signing::{PREVIOUS_KEY_OVERLAP_SECS, SealedSigningKey, SigningKey, SigningKeys};
use gatehouse_domain::{AccountId, Clock, ServerKey, Timestamp};
use gatehouse_store::{Resource, ResourceChange, ResourceKind, Store, StoreError};
use jsonwebtoken::{DecodingKey, EncodingKey};

/// One key pair, ready to sign, verify and publish.
pub(crate) struct KeyMaterial {
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    pub jwk: serde_json::Value,
    pub cert_pem: String,
    /// When it stopped being current; `None` for the current key.
    pub retired_at: Option<Timestamp>,
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMaterial").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// An account's keys: the current one signs; the previous one verifies and stays published
/// until its overlap ends.
#[derive(Debug, Clone)]
pub(crate) struct AccountKeys {
    pub current: Arc<KeyMaterial>,
    pub previous: Option<Arc<KeyMaterial>>,
}

impl AccountKeys {
    /// Unseals `stored`, reusing material of `known` keys with the same kid (unsealing and
    /// making a certificate cost milliseconds; a snapshot rebuild should not pay that each time).
    pub fn load(
        stored: &SigningKeys,
        server_key: &ServerKey,
        known: &[Arc<KeyMaterial>],
    ) -> Result<Self, String> {
        let material = |sealed: &SealedSigningKey, retired_at: Option<Timestamp>| match known
            .iter()
            .find(|k| k.kid == sealed.kid && k.retired_at == retired_at)
        {
            Some(found) => Ok(found.clone()),
            None => unseal(sealed, server_key, retired_at).map(Arc::new),
        };
        let current = material(&stored.current, None)?;
        let previous = match &stored.previous {
            Some(previous) => {
                Some(material(previous, Some(previous.retired_at.unwrap_or(stored.last_key_rotation_at)))?)
            }
            None => None,
        };
        Ok(AccountKeys { current, previous })
    }

    /// The previous key while its overlap lasts.
    pub fn previous_at(&self, now: Timestamp) -> Option<&Arc<KeyMaterial>> {
        self.previous.as_ref().filter(|key| {
            key.retired_at.is_some_and(|retired| now < retired.saturating_add_secs(PREVIOUS_KEY_OVERLAP_SECS))
        })
    }

    /// The key named `kid`, if it may verify tokens at `now`.
    pub fn verifying(&self, kid: &str, now: Timestamp) -> Option<&Arc<KeyMaterial>> {
        if self.current.kid == kid {
            return Some(&self.current);
        }
        self.previous_at(now).filter(|key| key.kid == kid)
    }

    /// Published keys: the previous one (while its overlap lasts) first, then the current one.
    pub fn published(&self, now: Timestamp) -> Vec<&Arc<KeyMaterial>> {
        self.previous_at(now).into_iter().chain(std::iter::once(&self.current)).collect()
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<KeyMaterial>> {
        std::iter::once(&self.current).chain(self.previous.iter())
    }
}

fn unseal(
    sealed: &SealedSigningKey,
    server_key: &ServerKey,
    retired_at: Option<Timestamp>,
) -> Result<KeyMaterial, String> {
    let key = sealed.unseal(server_key).map_err(|e| e.to_string())?;
    let jwk = serde_json::json!({
        "kid": key.kid(),
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "e": URL_SAFE_NO_PAD.encode(key.exponent()),
        "n": URL_SAFE_NO_PAD.encode(key.modulus()),
    });
    Ok(KeyMaterial {
        kid: key.kid().to_owned(),
        encoding: EncodingKey::from_rsa_der(key.private_pkcs1_der()),
        decoding: DecodingKey::from_rsa_raw_components(key.modulus(), key.exponent()),
        jwk,
        cert_pem: certificate(&key)?,
        retired_at,
    })
}

/// A self-signed certificate of the key. rcgen's defaults (fixed validity, serial derived from
/// the public key) and PKCS#1 v1.5's deterministic signatures make it the same on every node
/// and after every restart.
fn certificate(key: &SigningKey) -> Result<String, String> {
    let pair =
        rcgen::KeyPair::try_from(key.private_pkcs8_der()).map_err(|e| format!("certificate key: {e}"))?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, "gatehouse access signing key");
    params.self_signed(&pair).map(|cert| cert.pem()).map_err(|e| format!("certificate: {e}"))
}

/// The account's stored key set and its revision, generating and saving one when it has none
/// (`bits`: RSA modulus size). Two nodes racing here keep whichever was saved first.
pub async fn ensure_signing_keys(
    store: &dyn Store,
    server_key: &Arc<ServerKey>,
    clock: &dyn Clock,
    account: &AccountId,
    bits: usize,
) -> Result<(SigningKeys, i64), StoreError> {
    if let Some(found) = read(store, account).await? {
        return Ok(found);
    }
    let now = clock.now();
    let key = server_key.clone();
    let keys = tokio::task::spawn_blocking(move || SigningKeys::generate(&key, now, bits))
        .await
        .map_err(|e| StoreError::Unavailable(format!("signing key generation stopped: {e}")))?
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    match store.apply(&[ResourceChange::Insert(resource(account, &keys, now, 1)?)]).await {
        Ok(()) => {
            tracing::info!(%account, kid = %keys.current.kid, "created the account's signing keys");
            Ok((keys, 1))
        }
        Err(StoreError::Conflict(_)) => read(store, account).await?.ok_or(StoreError::Stale),
        Err(other) => Err(other),
    }
}

/// Rotates the account's keys when their interval has passed, and returns the kid of the
/// stored current key (rotated here, by another node, or unchanged); `None` without keys.
pub(crate) async fn rotate_if_due(
    store: &dyn Store,
    server_key: &Arc<ServerKey>,
    now: Timestamp,
    account: &AccountId,
    bits: usize,
) -> Result<Option<String>, StoreError> {
    let Some((keys, revision)) = read(store, account).await? else { return Ok(None) };
    if !keys.rotation_due(now) {
        return Ok(Some(keys.current.kid));
    }
    let key = server_key.clone();
    let rotated = tokio::task::spawn_blocking(move || {
        let mut keys = keys;
        keys.rotate(&key, now, bits).map(|()| keys)
    })
    .await
    .map_err(|e| StoreError::Unavailable(format!("signing key rotation stopped: {e}")))?
    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    match store.apply(&[ResourceChange::Update(resource(account, &rotated, now, revision + 1)?)]).await {
        Ok(()) => {
            tracing::info!(%account, kid = %rotated.current.kid, "rotated the account's signing keys (interval reached)");
            Ok(Some(rotated.current.kid))
        }
        // Another node or an API call changed them first: report what is stored now.
        Err(StoreError::Stale) => Ok(read(store, account).await?.map(|(keys, _)| keys.current.kid)),
        Err(other) => Err(other),
    }
}

pub(crate) async fn read(
    store: &dyn Store,
    account: &AccountId,
) -> Result<Option<(SigningKeys, i64)>, StoreError> {
    let Some(stored) = store.get_resource(ResourceKind::SigningKeys, account, account.as_str()).await? else {
        return Ok(None);
    };
    let keys = serde_json::from_str(&stored.body)
        .map_err(|e| StoreError::Corrupt(format!("signing keys of {account}: {e}")))?;
    Ok(Some((keys, stored.revision)))
}

fn resource(
    account: &AccountId,
    keys: &SigningKeys,
    now: Timestamp,
    revision: i64,
) -> Result<Resource, StoreError> {
    Ok(Resource {
        kind: ResourceKind::SigningKeys,
        id: account.as_str().to_owned(),
        account_id: account.clone(),
        body: serde_json::to_string(keys).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_at: now,
        updated_at: now,
        revision,
    })
}
