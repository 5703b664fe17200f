//! One-time PIN logins (Cloudflare's `onetimepin` identity provider): a short code mailed to a
//! person, good for [`CODE_SECS`], for one login, and for at most [`MAX_ATTEMPTS`] guesses.
//!
//! A [`LoginCode`] is what is stored for one request of a code (its *challenge*, named by a
//! random id): the address, the HMAC-SHA-256 of the code under the server key (with the
//! challenge id, so one code cannot be replayed against another challenge), when it expires
//! and how many guesses are left. The code in clear exists only in the mail. Checking compares
//! the MACs in constant time; every guess, right or wrong, is counted before it is judged.
//! Time is passed in.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::secret::{HashPurpose, Secret, SecretHash};
use crate::server_key::{KeyId, ServerKey};

/// Digits in a code.
pub const CODE_DIGITS: usize = 6;
/// How long a code is good for: ten minutes, as Cloudflare's.
pub const CODE_SECS: u64 = 600;
/// Guesses allowed per code; then the code is dead and a new one must be asked for.
pub const MAX_ATTEMPTS: u32 = 5;
/// The `amr` of a one-time PIN login (RFC 8176: a one-time password).
pub const AMR: &str = "otp";

/// One code as stored (never the code itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginCode {
    /// In lowercase.
    pub email: String,
    /// The identity provider the code was asked for.
    pub idp_id: String,
    /// The server key the MAC was made with (hex).
    pub key_id: String,
    /// HMAC-SHA-256 of `<challenge id>:<code>` (hex).
    pub mac: String,
    pub expires_at: Timestamp,
    pub attempts_left: u32,
    /// Set by the guess that got it right: a code logs in once.
    #[serde(default)]
    pub used: bool,
}

/// Why a guess was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    Wrong,
    Expired,
    /// No guess left (the last wrong guess used it up).
    TooManyAttempts,
    Used,
}

impl LoginCode {
    /// A fresh code for `email`, with what to store for it under `challenge`.
    pub fn issue(
        key: &ServerKey,
        challenge: &str,
        email: &str,
        idp_id: &str,
        now: Timestamp,
    ) -> (Self, Secret) {
        let code = generate_code();
        let hash = key.hash(HashPurpose::LoginCode, &keyed(challenge, code.expose()));
        let stored = LoginCode {
            email: crate::access::normalize_email(email),
            idp_id: idp_id.to_owned(),
            key_id: hash.key_id().to_string(),
            mac: hex::encode(hash.as_bytes()),
            expires_at: now.saturating_add_secs(CODE_SECS),
            attempts_left: MAX_ATTEMPTS,
            used: false,
        };
        (stored, code)
    }

    /// Judges one guess, counting it first: on `Ok` the code is marked used; either way the
    /// caller stores the changed code before answering (so concurrent guesses are counted).
    pub fn check(
        &mut self,
        key: &ServerKey,
        challenge: &str,
        guess: &str,
        now: Timestamp,
    ) -> Result<(), CodeRefusal> {
        if self.used {
            return Err(CodeRefusal::Used);
        }
        if now >= self.expires_at {
            return Err(CodeRefusal::Expired);
        }
        if self.attempts_left == 0 {
            return Err(CodeRefusal::TooManyAttempts);
        }
        self.attempts_left -= 1;
        let guess = guess.trim();
        let well_formed = guess.len() == CODE_DIGITS && guess.bytes().all(|b| b.is_ascii_digit());
        let expected = KeyId::parse(&self.key_id)
            .zip(hex::decode(&self.mac).ok())
            .and_then(|(id, mac)| SecretHash::from_stored(id, &mac));
        let presented = expected.and_then(|expected| {
            key.hash_with(expected.key_id(), HashPurpose::LoginCode, &keyed(challenge, guess))
        });
        // A malformed guess is still hashed, so its answer takes as long as a wrong one.
        if well_formed && expected.is_some() && presented == expected {
            self.used = true;
            Ok(())
        } else if self.attempts_left == 0 {
            Err(CodeRefusal::TooManyAttempts)
        } else {
            Err(CodeRefusal::Wrong)
        }
    }

    /// True once the code can never log in again (stored codes in this state can be dropped).
    pub fn is_dead(&self, now: Timestamp) -> bool {
        self.used || self.attempts_left == 0 || now >= self.expires_at
    }
}

/// A fresh random challenge id (128 bits, hex): names a stored [`LoginCode`].
pub fn challenge_id() -> String {
    let mut bytes = [0u8; 16];
    crate::random_bytes(&mut bytes);
    hex::encode(bytes)
}

fn keyed(challenge: &str, code: &str) -> Secret {
    Secret::new(format!("{challenge}:{code}"))
}

/// [`CODE_DIGITS`] uniform random digits (rejection sampling, so no digit is more likely).
fn generate_code() -> Secret {
    const SPAN: u32 = 1_000_000;
    const LIMIT: u32 = u32::MAX - u32::MAX % SPAN;
    loop {
        let mut bytes = [0u8; 4];
        crate::random_bytes(&mut bytes);
        let value = u32::from_le_bytes(bytes);
        if value < LIMIT {
            return Secret::new(format!("{:06}", value % SPAN));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_unix(1_800_000_000);

    fn issued() -> (ServerKey, LoginCode, Secret) {
        let key = ServerKey::generate();
        let (stored, code) = LoginCode::issue(&key, "c1", "Alice@Example.com", "idp", T0);
        (key, stored, code)
    }

    #[test]
    fn a_code_is_six_digits_stored_only_as_a_mac() {
        let (_, stored, code) = issued();
        assert_eq!(code.expose().len(), CODE_DIGITS);
        assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
        let json = serde_json::to_string(&stored).unwrap();
        assert!(!json.contains(code.expose()), "{json}");
        assert_eq!(stored.email, "alice@example.com");
        assert_eq!(stored.expires_at, T0.saturating_add_secs(CODE_SECS));
    }

    #[test]
    fn the_right_code_logs_in_once() {
        let (key, mut stored, code) = issued();
        assert_eq!(stored.check(&key, "c1", &format!(" {} ", code.expose()), T0), Ok(()));
        assert!(stored.is_dead(T0));
        assert_eq!(stored.check(&key, "c1", code.expose(), T0), Err(CodeRefusal::Used));
    }

    #[test]
    fn a_code_is_bound_to_its_challenge_and_its_key() {
        let (key, mut stored, code) = issued();
        assert_eq!(stored.check(&key, "c2", code.expose(), T0), Err(CodeRefusal::Wrong));
        assert_eq!(stored.check(&ServerKey::generate(), "c1", code.expose(), T0), Err(CodeRefusal::Wrong));
        assert_eq!(stored.check(&key, "c1", code.expose(), T0), Ok(()));
    }

    #[test]
    fn an_expired_code_is_refused_even_when_right() {
        let (key, mut stored, code) = issued();
        let late = T0.saturating_add_secs(CODE_SECS);
        assert_eq!(stored.check(&key, "c1", code.expose(), late), Err(CodeRefusal::Expired));
        assert!(stored.is_dead(late));
        assert!(!stored.is_dead(T0));
    }

    #[test]
    fn guesses_are_limited_and_the_last_wrong_one_kills_the_code() {
        let (key, mut stored, code) = issued();
        let wrong = if code.expose() == "000000" { "000001" } else { "000000" };
        for _ in 1..MAX_ATTEMPTS {
            assert_eq!(stored.check(&key, "c1", wrong, T0), Err(CodeRefusal::Wrong));
        }
        assert_eq!(stored.check(&key, "c1", "not a code", T0), Err(CodeRefusal::TooManyAttempts));
        assert_eq!(stored.attempts_left, 0);
        assert_eq!(stored.check(&key, "c1", code.expose(), T0), Err(CodeRefusal::TooManyAttempts));
    }

    #[test]
    fn codes_and_challenges_are_fresh() {
        let key = ServerKey::generate();
        let codes: std::collections::HashSet<String> =
            (0..50).map(|_| LoginCode::issue(&key, "c", "a@b", "i", T0).1.expose().to_owned()).collect();
        assert!(codes.len() > 45, "{} distinct codes of 50", codes.len());
        assert_ne!(challenge_id(), challenge_id());
        assert_eq!(challenge_id().len(), 32);
    }
}
