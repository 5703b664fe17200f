//! The server key: the HMAC key every client secret and API token is hashed with, and (through
//! HKDF) the AES-256-GCM key every signing private key is sealed under. It lives outside the
//! database, so a stolen database alone allows neither offline guessing of secrets nor reading
//! the signing keys.
//!
//! A [`ServerKey`] is a small key ring: the current key, which makes every new hash and seal,
//! and the previous keys still accepted while the server key is being rotated. Every hash
//! ([`SecretHash::key_id`]) and every sealed value records the [`KeyId`] of the key that made it,
//! so verification uses exactly that key, and nothing is hashed twice for values made under the
//! current key.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit as _};
use aes_gcm::{Aes256Gcm, Key as AesKey, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::{HashPurpose, Secret, SecretHash, random_bytes};

/// The first byte of a sealed value made before key ids were recorded: nonce, then ciphertext.
const SEAL_FORMAT_V1: u8 = 1;
/// The first byte of a sealed value that names its key: key id, nonce, then ciphertext.
const SEAL_FORMAT_V2: u8 = 2;
const SEAL_NONCE_LEN: usize = 12;
const SEAL_TAG_LEN: usize = 16;
/// HKDF `info`: the sealing key is independent of the HMAC use of the same server key.
const SEAL_INFO: &[u8] = b"gatehouse sealing key v1";
/// Hashed (as an API token) to make a key's check value, whose first 8 bytes are its id. Spaces
/// make it impossible as an API token, so the value can never equal a stored token hash. The
/// check value is what the database has stored since before key ids existed, which lets a
/// migration record the id of the key existing hashes were made with.
const CHECK_LABEL: &str = "gatehouse server key check v1";

/// The public name of a server key: the first 8 bytes of its check value, written as 16 hex
/// characters. It reveals nothing about the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// Reads the 16 hex characters [`KeyId`]'s `Display` writes.
    pub fn parse(text: &str) -> Option<KeyId> {
        let bytes = hex::decode(text).ok()?;
        bytes.try_into().ok().map(KeyId)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// One key of the ring.
#[derive(Clone)]
struct Key {
    bytes: Zeroizing<Vec<u8>>,
    /// HMAC of [`CHECK_LABEL`]; stored by the database to recognise the key.
    check: [u8; 32],
}

impl Key {
    fn new(bytes: Vec<u8>) -> Key {
        let mut key = Key { bytes: Zeroizing::new(bytes), check: [0; 32] };
        key.check = key.mac(HashPurpose::ApiToken, CHECK_LABEL.as_bytes());
        key
    }

    fn id(&self) -> KeyId {
        let mut id = [0; 8];
        id.copy_from_slice(&self.check[..8]);
        KeyId(id)
    }

    fn mac(&self, purpose: HashPurpose, value: &[u8]) -> [u8; 32] {
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.bytes) {
            Ok(mac) => mac,
            // HMAC accepts keys of any length; this arm cannot be reached.
            Err(_) => return [0; 32],
        };
        mac.update(purpose.tag());
        mac.update(value);
        mac.finalize().into_bytes().into()
    }

    fn hash(&self, purpose: HashPurpose, secret: &Secret) -> SecretHash {
        SecretHash::new(self.id(), self.mac(purpose, secret.expose().as_bytes()))
    }

    fn cipher(&self) -> Aes256Gcm {
        let mut derived = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA-256's output limit, so expansion cannot fail.
        let _ = Hkdf::<Sha256>::new(None, &self.bytes).expand(SEAL_INFO, derived.as_mut());
        Aes256Gcm::new(AesKey::<Aes256Gcm>::from_slice(derived.as_ref()))
    }

    fn open(&self, nonce_and_ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if nonce_and_ciphertext.len() < SEAL_NONCE_LEN + SEAL_TAG_LEN {
            return None;
        }
        let (nonce, ciphertext) = nonce_and_ciphertext.split_at(SEAL_NONCE_LEN);
        self.cipher().decrypt(Nonce::from_slice(nonce), ciphertext).ok().map(Zeroizing::new)
    }
}

/// The server key ring: the current key and the previous keys still accepted. Its `Debug`
/// shows key ids only; it has no `Display` and no `Serialize`; its key bytes are zeroed on drop.
#[derive(Clone)]
pub struct ServerKey {
    current: Key,
    previous: Vec<Key>,
}

/// A server key that is too short or not in a readable encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerKeyError {
    #[error("the server key must be at least 32 bytes, given as 64 or more hex characters")]
    TooShort,
    #[error("the server key must be written as hex characters")]
    NotHex,
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerKey")
            .field("id", &self.id())
            .field("previous", &self.previous_ids().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ServerKey {
    pub fn generate() -> Self {
        let mut key = vec![0u8; 32];
        random_bytes(&mut key);
        ServerKey { current: Key::new(key), previous: Vec::new() }
    }

    /// Reads a key written as hex (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, ServerKeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| ServerKeyError::NotHex)?;
        if bytes.len() < 32 {
            return Err(ServerKeyError::TooShort);
        }
        Ok(ServerKey { current: Key::new(bytes), previous: Vec::new() })
    }

    /// This key as current, with the current keys of `previous` still accepted (a key equal to
    /// the current one, or given twice, is kept once).
    pub fn with_previous(mut self, previous: impl IntoIterator<Item = ServerKey>) -> Self {
        for ring in previous {
            let key = ring.current.clone();
            if !self.holds(key.id()) {
                self.previous.push(key);
            }
        }
        self
    }

    /// The current key as hex, for writing the key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.current.bytes.as_slice()))
    }

    /// The id of the current key.
    pub fn id(&self) -> KeyId {
        self.current.id()
    }

    /// The ids of the previous keys, in the order they were given.
    pub fn previous_ids(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.previous.iter().map(Key::id)
    }

    /// Whether the ring holds the key `id` (current or previous).
    pub fn holds(&self, id: KeyId) -> bool {
        self.key(id).is_some()
    }

    fn key(&self, id: KeyId) -> Option<&Key> {
        std::iter::once(&self.current).chain(&self.previous).find(|key| key.id() == id)
    }

    /// The current key's check value (hex), stored by the database to recognise the key.
    pub fn check_value(&self) -> String {
        hex::encode(self.current.check)
    }

    /// The key of the ring whose check value is `stored`, if any.
    pub fn key_with_check_value(&self, stored: &str) -> Option<KeyId> {
        let stored = hex::decode(stored).ok()?;
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.check[..] == stored[..])
            .map(Key::id)
    }

    /// The hash of `secret` under the current key: what is stored for a new secret.
    pub fn hash(&self, purpose: HashPurpose, secret: &Secret) -> SecretHash {
        self.current.hash(purpose, secret)
    }

    /// The hash of `secret` under the key `id`, to verify a value stored under that key; `None`
    /// when the ring does not hold it.
    pub fn hash_with(&self, id: KeyId, purpose: HashPurpose, secret: &Secret) -> Option<SecretHash> {
        self.key(id).map(|key| key.hash(purpose, secret))
    }

    /// The hashes of `secret` under each previous key, for a lookup by hash that missed under
    /// the current key.
    pub fn previous_hashes<'a>(
        &'a self,
        purpose: HashPurpose,
        secret: &'a Secret,
    ) -> impl Iterator<Item = SecretHash> + 'a {
        self.previous.iter().map(move |key| key.hash(purpose, secret))
    }

    /// Encrypts `plaintext` (a signing key, say) so that it can be stored beside data that must
    /// not reveal it: AES-256-GCM under a key derived from the current server key with
    /// HKDF-SHA-256, with a random 96-bit nonce. Output: a format byte, the key id, the nonce,
    /// then ciphertext and tag.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let cipher = self.current.cipher();
        let mut nonce = [0u8; SEAL_NONCE_LEN];
        random_bytes(&mut nonce);
        let mut sealed = Vec::with_capacity(1 + 8 + SEAL_NONCE_LEN + plaintext.len() + SEAL_TAG_LEN);
        sealed.push(SEAL_FORMAT_V2);
        sealed.extend_from_slice(&self.id().0);
        sealed.extend_from_slice(&nonce);
        // Encryption fails only for inputs of gigabytes; nothing gatehouse seals comes near.
        if let Ok(ciphertext) = cipher.encrypt(Nonce::from_slice(&nonce), plaintext) {
            sealed.extend_from_slice(&ciphertext);
        }
        sealed
    }

    /// Decrypts what [`ServerKey::seal`] made with a key of this ring; `None` when it was sealed
    /// under a key the ring does not hold, altered, or truncated. A value sealed before key ids
    /// were recorded is tried with every key of the ring (the GCM tag tells the right one).
    pub fn open(&self, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        match sealed.split_first()? {
            (&SEAL_FORMAT_V2, _) => self.key(Self::sealed_with(sealed)?)?.open(sealed.get(9..)?),
            (&SEAL_FORMAT_V1, rest) => {
                std::iter::once(&self.current).chain(&self.previous).find_map(|key| key.open(rest))
            }
            _ => None,
        }
    }

    /// The key a sealed value names; `None` for values sealed before key ids were recorded
    /// (or malformed ones).
    pub fn sealed_with(sealed: &[u8]) -> Option<KeyId> {
        match sealed {
            [SEAL_FORMAT_V2, rest @ ..] => rest.get(..8)?.try_into().ok().map(KeyId),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
