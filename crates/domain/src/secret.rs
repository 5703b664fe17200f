//! Secret material: generation from the OS CSPRNG, types that never print or serialize their
//! value and zeroize it on drop, and the keyed hash (HMAC-SHA-256 under a server key kept
//! outside the database) that is the only form in which a secret is ever stored.
//!
//! Formats: `gatehouse_st_` (service token client secrets) and `gatehouse_at_` (management API
//! tokens), each followed by 43 base62 characters (256 bits) and a 6-character base62 CRC-32 of
//! everything before it, so that secret scanners can find leaked values and tell them from
//! typos. Cloudflare's legacy format, 64 lowercase hex characters, is offered for service tokens.

use std::fmt;

use base62_alphabet::ALPHABET;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::server_key::KeyId;
// Older modules' tests name the server key through this module.
#[cfg(test)]
pub(crate) use crate::server_key::ServerKey;

mod base62_alphabet {
    pub const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
}

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) {
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
    /// A one-time PIN mailed to a person, hashed with its challenge id.
    LoginCode,
}

impl HashPurpose {
    pub(crate) fn tag(self) -> &'static [u8] {
        match self {
            HashPurpose::ServiceTokenSecret => b"gatehouse service token secret v1\0",
            HashPurpose::ApiToken => b"gatehouse api token v1\0",
            HashPurpose::LoginCode => b"gatehouse login code v1\0",
        }
    }
}

/// HMAC-SHA-256 of a secret under one server key, with the id of that key. Two hashes are equal
/// only when both the key and the MAC are; the MACs are compared in constant time.
#[derive(Clone, Copy, Eq)]
pub struct SecretHash {
    key: KeyId,
    mac: [u8; 32],
}

impl SecretHash {
    pub(crate) fn new(key: KeyId, mac: [u8; 32]) -> Self {
        SecretHash { key, mac }
    }

    /// Reads a stored hash and the id of the key it was made with; `None` unless the MAC is
    /// exactly 32 bytes.
    pub fn from_stored(key: KeyId, mac: &[u8]) -> Option<Self> {
        mac.try_into().ok().map(|mac| SecretHash { key, mac })
    }

    /// The MAC, as stored.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.mac
    }

    /// The server key this hash was made with.
    pub fn key_id(&self) -> KeyId {
        self.key
    }
}

impl PartialEq for SecretHash {
    fn eq(&self, other: &Self) -> bool {
        // The key id is public; only the MAC needs a constant-time comparison.
        self.key == other.key && bool::from(self.mac.ct_eq(&other.mac))
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
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
}
