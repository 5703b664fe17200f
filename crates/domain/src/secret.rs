//! Secret material: generation from the OS CSPRNG, types that never print or serialize their
//! value and zeroize it on drop, and the keyed hash (HMAC-SHA-256 under a server key kept
//! outside the database) that is the only form in which a secret is ever stored.
//!
//! Formats: `gatehouse_st_` (service token client secrets) and `gatehouse_at_` (management API
//! tokens), each followed by 43 base62 characters (256 bits) and a 6-character base62 CRC-32 of
//! everything before it, so that secret scanners can find leaked values and tell them from
//! typos. Cloudflare's legacy format, 64 lowercase hex characters, is offered for service tokens.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit as _};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base62_alphabet::ALPHABET;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

mod base62_alphabet {
    pub const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
}

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn random_bytes(buf: &mut [u8]) {
    // Without the OS random source no credential can be made safely, and nothing sensible can
    // be returned to a caller: stopping is the only correct answer.
    #[allow(clippy::expect_used)]
    getrandom::fill(buf).expect("the operating system's random number generator failed");
}

/// A secret value: a client secret or an API token, in clear. It has no `Display` and no
/// `Serialize`; its `Debug` is redacted; its memory is zeroed on drop. The value is reachable
/// only through [`Secret::expose`], to hash it or to show it once in a response.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// The shape of a newly generated service token secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretFormat {
    /// `gatehouse_st_` + 43 base62 + 6-character checksum (the default).
    #[default]
    Prefixed,
    /// 64 lowercase hex characters, as Cloudflare issued before 2026-08.
    LegacyHex,
}

const SERVICE_PREFIX: &str = "gatehouse_st_";
const API_PREFIX: &str = "gatehouse_at_";
const RANDOM_CHARS: usize = 43;
const CHECKSUM_CHARS: usize = 6;

impl Secret {
    /// Wraps a value that came from outside (a request header, an import, a file).
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The value in clear: only to hash it, or to return it once to the operator who made it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A new service token client secret.
    pub fn generate_client_secret(format: SecretFormat) -> Self {
        match format {
            SecretFormat::Prefixed => Self::generate_prefixed(SERVICE_PREFIX),
            SecretFormat::LegacyHex => {
                let mut bytes = Zeroizing::new([0u8; 32]);
                random_bytes(bytes.as_mut());
                Secret(hex::encode(bytes.as_ref()))
            }
        }
    }

    /// A new management API token.
    pub fn generate_api_token() -> Self {
        Self::generate_prefixed(API_PREFIX)
    }

    fn generate_prefixed(prefix: &str) -> Self {
        let mut value = String::with_capacity(prefix.len() + RANDOM_CHARS + CHECKSUM_CHARS);
        value.push_str(prefix);
        let mut pool = Zeroizing::new([0u8; 64]);
        let mut produced = 0;
        while produced < RANDOM_CHARS {
            random_bytes(pool.as_mut());
            // Rejection sampling keeps every character uniform over the 62 symbols.
            for &byte in pool.iter().filter(|b| **b < 248) {
                if produced == RANDOM_CHARS {
                    break;
                }
                value.push(char::from(ALPHABET[usize::from(byte % 62)]));
                produced += 1;
            }
        }
        let checksum = checksum(&value);
        value.push_str(&checksum);
        Secret(value)
    }

    /// True when the value is a gatehouse-format secret or API token with a valid checksum.
    pub fn has_valid_checksum(&self) -> bool {
        let body_len = self.0.len().saturating_sub(CHECKSUM_CHARS);
        let well_formed = (self.0.starts_with(SERVICE_PREFIX) || self.0.starts_with(API_PREFIX))
            && self.0.len() == SERVICE_PREFIX.len() + RANDOM_CHARS + CHECKSUM_CHARS
            && self.0.is_char_boundary(body_len);
        well_formed && checksum(&self.0[..body_len]) == self.0[body_len..]
    }
}

fn checksum(body: &str) -> String {
    let mut crc = u64::from(crc32fast::hash(body.as_bytes()));
    let mut out = [b'0'; CHECKSUM_CHARS];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[usize::try_from(crc % 62).unwrap_or(0)];
        crc /= 62;
    }
    out.iter().map(|b| char::from(*b)).collect()
}

/// What a hash is for; part of the HMAC input so that a value hashed for one purpose can never
/// match where another is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashPurpose {
    ServiceTokenSecret,
    ApiToken,
}

impl HashPurpose {
    fn tag(self) -> &'static [u8] {
        match self {
            HashPurpose::ServiceTokenSecret => b"gatehouse service token secret v1\0",
            HashPurpose::ApiToken => b"gatehouse api token v1\0",
        }
    }
}

/// HMAC-SHA-256 of a secret under the server key. Equality is constant-time.
#[derive(Clone, Copy, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretHash(bytes)
    }

    /// Reads a stored hash; `None` unless exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(SecretHash)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for SecretHash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// The first byte of a sealed value: the sealing scheme, so that it can change later.
const SEAL_FORMAT: u8 = 1;
const SEAL_NONCE_LEN: usize = 12;
/// HKDF `info`: the sealing key is independent of the HMAC use of the same server key.
const SEAL_INFO: &[u8] = b"gatehouse sealing key v1";

/// The server's HMAC key. It lives outside the database (a 0600 file in the data directory, or
/// the environment), so a stolen database alone does not allow offline guessing of secrets.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ServerKey(Vec<u8>);

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
        f.write_str("ServerKey([REDACTED])")
    }
}

impl ServerKey {
    pub fn generate() -> Self {
        let mut key = vec![0u8; 32];
        random_bytes(&mut key);
        ServerKey(key)
    }

    /// Reads a key written as hex (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, ServerKeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| ServerKeyError::NotHex)?;
        if bytes.len() < 32 {
            return Err(ServerKeyError::TooShort);
        }
        Ok(ServerKey(bytes))
    }

    /// The key as hex, for writing the key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(&self.0))
    }

    /// Encrypts `plaintext` (a signing key, say) so that it can be stored beside data that must
    /// not reveal it: AES-256-GCM under a key derived from the server key with HKDF-SHA-256, with
    /// a random 96-bit nonce. Output: a format byte, the nonce, then ciphertext and tag.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let cipher = self.sealing_cipher();
        let mut nonce = [0u8; SEAL_NONCE_LEN];
        random_bytes(&mut nonce);
        let mut sealed = Vec::with_capacity(1 + SEAL_NONCE_LEN + plaintext.len() + 16);
        sealed.push(SEAL_FORMAT);
        sealed.extend_from_slice(&nonce);
        // Encryption fails only for inputs of gigabytes; nothing gatehouse seals comes near.
        if let Ok(ciphertext) = cipher.encrypt(Nonce::from_slice(&nonce), plaintext) {
            sealed.extend_from_slice(&ciphertext);
        }
        sealed
    }

    /// Decrypts what [`ServerKey::seal`] made with this key; `None` when it was sealed under
    /// another key, altered, or truncated.
    pub fn open(&self, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let (&format, rest) = sealed.split_first()?;
        if format != SEAL_FORMAT || rest.len() < SEAL_NONCE_LEN + 16 {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(SEAL_NONCE_LEN);
        self.sealing_cipher().decrypt(Nonce::from_slice(nonce), ciphertext).ok().map(Zeroizing::new)
    }

    fn sealing_cipher(&self) -> Aes256Gcm {
        let mut derived = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA-256's output limit, so expansion cannot fail.
        let _ = Hkdf::<Sha256>::new(None, &self.0).expand(SEAL_INFO, derived.as_mut());
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(derived.as_ref()))
    }

    pub fn hash(&self, purpose: HashPurpose, secret: &Secret) -> SecretHash {
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            // HMAC accepts keys of any length; this arm cannot be reached.
            Err(_) => return SecretHash([0; 32]),
        };
        mac.update(purpose.tag());
        mac.update(secret.expose().as_bytes());
        SecretHash(mac.finalize().into_bytes().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_prefixed_checksummed_and_distinct() {
        let a = Secret::generate_client_secret(SecretFormat::Prefixed);
        let b = Secret::generate_client_secret(SecretFormat::Prefixed);
        assert!(a.expose().starts_with("gatehouse_st_"));
        assert_eq!(a.expose().len(), 13 + 43 + 6);
        assert!(a.has_valid_checksum());
        assert_ne!(a.expose(), b.expose());
        let api = Secret::generate_api_token();
        assert!(api.expose().starts_with("gatehouse_at_"));
        assert!(api.has_valid_checksum());
    }

    #[test]
    fn a_typo_breaks_the_checksum() {
        let secret = Secret::generate_client_secret(SecretFormat::Prefixed);
        let mut chars: Vec<char> = secret.expose().chars().collect();
        chars[20] = if chars[20] == 'a' { 'b' } else { 'a' };
        let typo = Secret::new(chars.into_iter().collect());
        assert!(!typo.has_valid_checksum());
    }

    #[test]
    fn legacy_format_is_64_hex() {
        let secret = Secret::generate_client_secret(SecretFormat::LegacyHex);
        assert_eq!(secret.expose().len(), 64);
        assert!(secret.expose().bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }

    #[test]
    fn debug_output_never_shows_the_value() {
        let secret = Secret::new("super-secret-value".to_owned());
        assert_eq!(format!("{secret:?}"), "Secret([REDACTED])");
        let key = ServerKey::generate();
        assert!(!format!("{key:?}").contains(&key.to_hex()[..8]));
    }

    #[test]
    fn hashes_depend_on_key_purpose_and_value() {
        let key = ServerKey::generate();
        let secret = Secret::new("value".to_owned());
        let h1 = key.hash(HashPurpose::ServiceTokenSecret, &secret);
        assert_eq!(h1, key.hash(HashPurpose::ServiceTokenSecret, &Secret::new("value".to_owned())));
        assert_ne!(h1, key.hash(HashPurpose::ApiToken, &secret));
        assert_ne!(h1, key.hash(HashPurpose::ServiceTokenSecret, &Secret::new("other".to_owned())));
        assert_ne!(h1, ServerKey::generate().hash(HashPurpose::ServiceTokenSecret, &secret));
    }

    #[test]
    fn sealed_values_open_only_under_the_same_key_and_unaltered() {
        let key = ServerKey::generate();
        let sealed = key.seal(b"private key bytes");
        assert!(!sealed.windows(7).any(|w| w == b"private"), "the plaintext must not show");
        assert_eq!(key.open(&sealed).unwrap().as_slice(), b"private key bytes");
        assert_ne!(sealed, key.seal(b"private key bytes"), "each seal uses a fresh nonce");
        assert!(ServerKey::generate().open(&sealed).is_none());
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(key.open(&altered).is_none());
        assert!(key.open(&sealed[..sealed.len() - 1]).is_none());
        assert!(key.open(&[]).is_none());
        assert!(key.open(&[2; 40]).is_none());
        assert_eq!(key.open(&key.seal(b"")).unwrap().as_slice(), b"");
    }

    #[test]
    fn server_key_round_trips_through_hex_and_refuses_short_keys() {
        let key = ServerKey::generate();
        let again = ServerKey::from_hex(&key.to_hex()).unwrap();
        let s = Secret::new("x".to_owned());
        assert_eq!(key.hash(HashPurpose::ApiToken, &s), again.hash(HashPurpose::ApiToken, &s));
        assert_eq!(ServerKey::from_hex("abcd").unwrap_err(), ServerKeyError::TooShort);
        assert_eq!(ServerKey::from_hex("zz").unwrap_err(), ServerKeyError::NotHex);
    }
}
