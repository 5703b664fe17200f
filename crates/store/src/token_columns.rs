//! A stored service token as plain column values, and the mapping between them and
//! [`ServiceToken`]. Both adapters store the same columns; each only reads and binds them with its
//! own driver, so the encoding rules (grace kinds, hash length, version range) live here once.

use gatehouse_domain::{
    AccountId, ClientId, Credentials, Grace, KeyId, PreviousSecret, SecretHash, ServiceToken, Timestamp,
    TokenDuration, TokenId,
};

use crate::StoreError;

/// `previous_secret_grace` of a previous secret accepted until the new one is first used.
const FIRST_USE: &str = "first_use";
/// `previous_secret_grace` of a previous secret accepted until `previous_secret_expires_at`.
const DEADLINE: &str = "deadline";

/// Every column of `service_tokens` but `seq`, in the order the adapters bind them.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenColumns {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub client_id: String,
    pub duration: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
    pub last_seen_at: Option<i64>,
    pub enabled: bool,
    pub secret_hash: Vec<u8>,
    pub secret_version: i64,
    pub secret_last_seen_at: Option<i64>,
    pub previous_secret_hash: Option<Vec<u8>>,
    pub previous_secret_version: Option<i64>,
    pub previous_secret_grace: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub previous_secret_last_seen_at: Option<i64>,
    pub revision: i64,
    /// Added by a later migration, so bound after `revision`.
    pub previous_secret_rotated_at: Option<i64>,
    /// The server key `secret_hash` was made with ([`KeyId`] as hex); added by migration 0009,
    /// so bound after `previous_secret_rotated_at`.
    pub secret_key_id: String,
    /// The server key `previous_secret_hash` was made with; set with it.
    pub previous_secret_key_id: Option<String>,
}

/// One token's share of a [`crate::TokensFingerprint`], for a store that cannot hash in SQL: a
/// 64-bit hash of its id, revision and server-key ids, stable within one build of the program
/// (all a fingerprint is compared within).
pub fn fingerprint_hash(
    id: &str,
    revision: i64,
    secret_key_id: &str,
    previous_secret_key_id: Option<&str>,
) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    (id, revision, secret_key_id, previous_secret_key_id).hash(&mut hasher);
    hasher.finish()
}

/// A [`crate::TokenVersion`] from its stored columns; [`StoreError::Corrupt`] when they do not
/// describe one.
pub fn token_version(
    id: &str,
    revision: i64,
    secret_key_id: &str,
    previous_secret_key_id: Option<&str>,
) -> Result<crate::TokenVersion, StoreError> {
    Ok(crate::TokenVersion {
        id: TokenId::parse(id).map_err(|_| corrupt("a service token id is malformed"))?,
        revision,
        secret_key_id: decode_key_id(secret_key_id)?,
        previous_secret_key_id: previous_secret_key_id.map(decode_key_id).transpose()?,
    })
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

impl TokenColumns {
    pub fn encode(token: &ServiceToken) -> Result<TokenColumns, StoreError> {
        let credentials = &token.credentials;
        let previous = credentials.previous();
        let (grace, deadline) = match previous.map(|p| p.grace) {
            None => (None, None),
            Some(Grace::UntilNewSecretUsed) => (Some(FIRST_USE), None),
            Some(Grace::Until(deadline)) => (Some(DEADLINE), Some(deadline.unix())),
        };
        Ok(TokenColumns {
            id: token.id.to_string(),
            account_id: token.account_id.as_str().to_owned(),
            name: token.name.clone(),
            client_id: token.client_id.as_str().to_owned(),
            duration: token.duration.as_str().to_owned(),
            created_at: token.created_at.unix(),
            updated_at: token.updated_at.unix(),
            expires_at: token.expires_at.unix(),
            last_seen_at: token.last_seen_at.map(Timestamp::unix),
            enabled: token.enabled,
            secret_hash: credentials.current().as_bytes().to_vec(),
            secret_version: storable_version(credentials.version())?,
            secret_last_seen_at: credentials.current_last_seen_at().map(Timestamp::unix),
            previous_secret_hash: previous.map(|p| p.hash.as_bytes().to_vec()),
            previous_secret_version: previous.map(|p| storable_version(p.version)).transpose()?,
            previous_secret_grace: grace.map(str::to_owned),
            previous_secret_expires_at: deadline,
            previous_secret_last_seen_at: previous.and_then(|p| p.last_seen_at).map(Timestamp::unix),
            revision: token.revision,
            previous_secret_rotated_at: previous.and_then(|p| p.rotated_at).map(Timestamp::unix),
            secret_key_id: credentials.current().key_id().to_string(),
            previous_secret_key_id: previous.map(|p| p.hash.key_id().to_string()),
        })
    }

    /// The token these columns describe; [`StoreError::Corrupt`] (never quoting a stored value)
    /// when they do not describe one.
    pub fn decode(self) -> Result<ServiceToken, StoreError> {
        let previous = self.decode_previous()?;
        let current = decode_hash(&self.secret_key_id, &self.secret_hash)?;
        Ok(ServiceToken {
            id: TokenId::parse(&self.id).map_err(|_| corrupt("a service token id is malformed"))?,
            account_id: AccountId::parse(&self.account_id)
                .map_err(|_| corrupt("a service token's account id is malformed"))?,
            name: self.name,
            client_id: ClientId::parse(&self.client_id)
                .map_err(|_| corrupt("a service token's client id is malformed"))?,
            duration: TokenDuration::parse(&self.duration)
                .map_err(|_| corrupt("a service token's duration does not parse"))?,
            created_at: Timestamp::from_unix(self.created_at),
            updated_at: Timestamp::from_unix(self.updated_at),
            expires_at: Timestamp::from_unix(self.expires_at),
            last_seen_at: self.last_seen_at.map(Timestamp::from_unix),
            enabled: self.enabled,
            credentials: Credentials::from_parts(
                current,
                decode_version(self.secret_version)?,
                self.secret_last_seen_at.map(Timestamp::from_unix),
                previous,
            ),
            revision: self.revision,
        })
    }

    fn decode_previous(&self) -> Result<Option<PreviousSecret>, StoreError> {
        let grace = match (self.previous_secret_grace.as_deref(), self.previous_secret_expires_at) {
            (None, None) => None,
            (Some(FIRST_USE), None) => Some(Grace::UntilNewSecretUsed),
            (Some(DEADLINE), Some(deadline)) => Some(Grace::Until(Timestamp::from_unix(deadline))),
            _ => return Err(corrupt("a service token's previous secret grace is malformed")),
        };
        match (&self.previous_secret_hash, self.previous_secret_version, grace) {
            (None, None, None) if self.previous_secret_last_seen_at.is_none() => Ok(None),
            (Some(hash), Some(version), Some(grace)) => Ok(Some(PreviousSecret {
                hash: decode_hash(self.previous_secret_key_id.as_deref().unwrap_or_default(), hash)?,
                version: decode_version(version)?,
                grace,
                last_seen_at: self.previous_secret_last_seen_at.map(Timestamp::from_unix),
                rotated_at: self.previous_secret_rotated_at.map(Timestamp::from_unix),
            })),
            _ => Err(corrupt("a service token's previous secret is incomplete")),
        }
    }
}

fn decode_hash(key_id: &str, bytes: &[u8]) -> Result<SecretHash, StoreError> {
    let key = decode_key_id(key_id)?;
    SecretHash::from_stored(key, bytes).ok_or_else(|| corrupt("a service token secret hash is not 32 bytes"))
}

/// Reads a stored server key id. An empty one is a hash stored before key ids were recorded,
/// which the server records at its next start (before anything reads tokens).
pub fn decode_key_id(text: &str) -> Result<KeyId, StoreError> {
    KeyId::parse(text).ok_or_else(|| {
        corrupt("a stored hash does not name its server key (start `gatehouse serve` once to record it)")
    })
}

fn decode_version(version: i64) -> Result<u64, StoreError> {
    u64::try_from(version).map_err(|_| corrupt("a service token secret version is negative"))
}

/// Both databases store signed 64-bit integers; a version beyond that range cannot be stored
/// faithfully.
pub fn storable_version(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| corrupt("a secret version above 2^63-1 cannot be stored"))
}
