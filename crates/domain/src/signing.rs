//! The JWT signing keys of an account: an RS256 key pair that signs the application tokens the
//! gateway issues (`Cf-Access-Jwt-Assertion`, the `CF_Authorization` cookie), the key it
//! replaced (still published for [`PREVIOUS_KEY_OVERLAP_SECS`] so that origins caching the
//! certificate list keep verifying tokens signed just before a rotation), and the rotation
//! schedule. Stored as one JSON document per account with the private keys sealed under the
//! server key ([`ServerKey::seal`]): they are never in clear in the database.
//!
//! `kid` is the SHA-256 of the public key (SubjectPublicKeyInfo DER) in lowercase hex.
//!
//! Keys are made and opened with aws-lc (through `aws-lc-rs`), whose RSA private-key
//! operations are constant-time; the encodings (PKCS#8 private key, SPKI public key) are the
//! standard DER ones, so keys stored by earlier versions open unchanged.

use std::fmt;
use std::ops::RangeInclusive;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::clock::Timestamp;
use crate::server_key::{KeyId, ServerKey};

/// RSA modulus size of new keys (what Cloudflare Access uses).
pub const DEFAULT_KEY_BITS: usize = 2048;
/// The modulus sizes new keys may have.
pub const KEY_BITS: [usize; 4] = [2048, 3072, 4096, 8192];
/// Days between automatic rotations, unless the operator sets another interval (six weeks).
pub const DEFAULT_ROTATION_INTERVAL_DAYS: u32 = 42;
/// The intervals an operator may choose.
pub const ROTATION_INTERVAL_DAYS: RangeInclusive<u32> = 21..=365;
/// How long the previous key stays published after a rotation (seven days).
pub const PREVIOUS_KEY_OVERLAP_SECS: u64 = 7 * DAY;

const DAY: u64 = 86_400;

/// Why signing keys could not be made, changed or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    #[error("key_rotation_interval_days must be between 21 and 365")]
    IntervalOutOfRange,
    #[error("RSA key generation failed: {0}")]
    Generation(String),
    /// The private key does not open under this server key (another key, or altered data).
    #[error("a signing key cannot be unsealed with this server key")]
    Unseal,
    #[error("a stored signing key is malformed: {0}")]
    Corrupt(&'static str),
}

/// An account's signing keys as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigningKeys {
    pub current: SealedSigningKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<SealedSigningKey>,
    pub key_rotation_interval_days: u32,
    pub last_key_rotation_at: Timestamp,
}

/// One key pair, its private half sealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedSigningKey {
    pub kid: String,
    /// SubjectPublicKeyInfo DER, base64.
    pub public_key: String,
    /// PKCS#8 DER, sealed under the server key, base64.
    pub sealed_private_key: String,
    pub created_at: Timestamp,
    /// When it stopped being the current key (set on the previous key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<Timestamp>,
}

impl SigningKeys {
    /// A new key set with the default rotation interval.
    pub fn generate(server_key: &ServerKey, now: Timestamp, bits: usize) -> Result<Self, SigningError> {
        Ok(SigningKeys {
            current: SealedSigningKey::generate(server_key, now, bits)?,
            previous: None,
            key_rotation_interval_days: DEFAULT_ROTATION_INTERVAL_DAYS,
            last_key_rotation_at: now,
        })
    }

    /// Makes a new current key; the current one becomes the previous one (replacing any older).
    pub fn rotate(
        &mut self,
        server_key: &ServerKey,
        now: Timestamp,
        bits: usize,
    ) -> Result<(), SigningError> {
        let new = SealedSigningKey::generate(server_key, now, bits)?;
        let mut old = std::mem::replace(&mut self.current, new);
        old.retired_at = Some(now);
        self.previous = Some(old);
        self.last_key_rotation_at = now;
        Ok(())
    }

    pub fn set_rotation_interval(&mut self, days: u32) -> Result<(), SigningError> {
        if !ROTATION_INTERVAL_DAYS.contains(&days) {
            return Err(SigningError::IntervalOutOfRange);
        }
        self.key_rotation_interval_days = days;
        Ok(())
    }

    /// When the next automatic rotation is due.
    pub fn next_rotation_at(&self) -> Timestamp {
        self.last_key_rotation_at.saturating_add_secs(u64::from(self.key_rotation_interval_days) * DAY)
    }

    pub fn rotation_due(&self, now: Timestamp) -> bool {
        now >= self.next_rotation_at()
    }

    /// Whole days (rounded up) until the next automatic rotation; 0 when it is due.
    pub fn days_until_next_rotation(&self, now: Timestamp) -> u32 {
        let remaining = self.next_rotation_at().unix().saturating_sub(now.unix()).max(0);
        let days = remaining.unsigned_abs().div_ceil(DAY);
        u32::try_from(days).unwrap_or(u32::MAX)
    }

    /// Re-seals every private key not sealed under the current server key, after a rotation of
    /// the server key; the key pairs (and so their kids and certificates) do not change. True
    /// when something was re-sealed and the key set must be stored again.
    pub fn reseal(&mut self, server_key: &ServerKey) -> Result<bool, SigningError> {
        let mut changed = false;
        for key in std::iter::once(&mut self.current).chain(self.previous.as_mut()) {
            changed |= key.reseal(server_key)?;
        }
        Ok(changed)
    }

    /// The server key each private key is sealed under (`None`: sealed before key ids were
    /// recorded), current key first.
    pub fn sealed_with(&self) -> Vec<Option<KeyId>> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .map(SealedSigningKey::sealed_with)
            .collect()
    }

    /// The previous key while it is still published (and accepted for verification).
    pub fn previous_in_overlap(&self, now: Timestamp) -> Option<&SealedSigningKey> {
        self.previous.as_ref().filter(|key| {
            let retired = key.retired_at.unwrap_or(self.last_key_rotation_at);
            now < retired.saturating_add_secs(PREVIOUS_KEY_OVERLAP_SECS)
        })
    }
}

impl SealedSigningKey {
    fn generate(server_key: &ServerKey, now: Timestamp, bits: usize) -> Result<Self, SigningError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            _ => {
                return Err(SigningError::Generation(format!(
                    "unsupported key size {bits} (one of {KEY_BITS:?})"
                )));
            }
        };
        let pair = KeyPair::generate(size).map_err(|e| SigningError::Generation(e.to_string()))?;
        let pkcs8 = Zeroizing::new(
            pair.as_der().map_err(|e| SigningError::Generation(e.to_string()))?.as_ref().to_vec(),
        );
        let spki = spki_der(&pair)?;
        Ok(SealedSigningKey {
            kid: kid_of(&spki),
            public_key: STANDARD.encode(&spki),
            sealed_private_key: STANDARD.encode(server_key.seal(&pkcs8)),
            created_at: now,
            retired_at: None,
        })
    }

    fn sealed_bytes(&self) -> Result<Vec<u8>, SigningError> {
        STANDARD
            .decode(&self.sealed_private_key)
            .map_err(|_| SigningError::Corrupt("sealed_private_key is not base64"))
    }

    fn sealed_with(&self) -> Option<KeyId> {
        self.sealed_bytes().ok().and_then(|sealed| ServerKey::sealed_with(&sealed))
    }

    fn reseal(&mut self, server_key: &ServerKey) -> Result<bool, SigningError> {
        if self.sealed_with() == Some(server_key.id()) {
            return Ok(false);
        }
        // Opened and checked against its public half before anything is replaced.
        let opened = self.unseal(server_key)?;
        self.sealed_private_key = STANDARD.encode(server_key.seal(opened.private_pkcs8_der()));
        Ok(true)
    }

    /// Opens the private key and checks that it is the half of the stored public key.
    pub fn unseal(&self, server_key: &ServerKey) -> Result<SigningKey, SigningError> {
        let sealed = self.sealed_bytes()?;
        let pkcs8 = server_key.open(&sealed).ok_or(SigningError::Unseal)?;
        let pair = KeyPair::from_pkcs8(&pkcs8)
            .map_err(|_| SigningError::Corrupt("the private key is not PKCS#8 RSA"))?;
        let spki = spki_der(&pair)?;
        if kid_of(&spki) != self.kid || STANDARD.encode(&spki) != self.public_key {
            return Err(SigningError::Corrupt("the private key does not match its kid"));
        }
        // PKCS#8 wraps the PKCS#1 `RSAPrivateKey` in an octet string: that is what JWT signers take.
        let pkcs1 = pkcs8::PrivateKeyInfo::try_from(pkcs8.as_slice())
            .map_err(|_| SigningError::Corrupt("the private key is not PKCS#8"))?
            .private_key
            .to_vec();
        let public = pair.public_key();
        Ok(SigningKey {
            kid: self.kid.clone(),
            private_pkcs1_der: Zeroizing::new(pkcs1),
            private_pkcs8_der: Zeroizing::new(pkcs8.to_vec()),
            modulus: public.modulus().big_endian_without_leading_zero().to_vec(),
            exponent: public.exponent().big_endian_without_leading_zero().to_vec(),
            created_at: self.created_at,
        })
    }
}

/// A signing key in clear, in the encodings JWT and certificate libraries take. Its `Debug`
/// shows only the `kid`; the private encodings are zeroed on drop.
pub struct SigningKey {
    kid: String,
    private_pkcs1_der: Zeroizing<Vec<u8>>,
    private_pkcs8_der: Zeroizing<Vec<u8>>,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
    created_at: Timestamp,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The private key as PKCS#1 DER (what `jsonwebtoken` signs with).
    pub fn private_pkcs1_der(&self) -> &[u8] {
        &self.private_pkcs1_der
    }

    /// The private key as PKCS#8 DER (what certificate builders take).
    pub fn private_pkcs8_der(&self) -> &[u8] {
        &self.private_pkcs8_der
    }

    /// The public modulus `n`, big-endian.
    pub fn modulus(&self) -> &[u8] {
        &self.modulus
    }

    /// The public exponent `e`, big-endian.
    pub fn exponent(&self) -> &[u8] {
        &self.exponent
    }

    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

fn spki_der(pair: &KeyPair) -> Result<Vec<u8>, SigningError> {
    pair.public_key()
        .as_der()
        .map(|der| der.as_ref().to_vec())
        .map_err(|_| SigningError::Corrupt("the public key cannot be encoded"))
}

fn kid_of(spki_der: &[u8]) -> String {
    hex::encode(Sha256::digest(spki_der))
}

#[cfg(test)]
mod tests;
