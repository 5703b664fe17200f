//! Values the login flow hands to the browser and gets back (the state cookie, the hand-off
//! from the auth domain to the application): JSON sealed with AES-256-GCM under a key derived
//! from the server key ([`ServerKey::seal`]), base64url. Each carries its purpose and expiry
//! inside the seal, so one kind can never be replayed as another, nor after it expires, and
//! any node of a cluster opens what another sealed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_domain::ServerKey;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Sealed values longer than this are refused unopened (cookies and URLs stay small).
const MAX_SEALED_LEN: usize = 4096;

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    /// What the value is for.
    p: String,
    /// Unix second after which it is refused.
    exp: i64,
    v: T,
}

pub(crate) fn seal<T: Serialize>(key: &ServerKey, purpose: &str, exp: i64, value: &T) -> Option<String> {
    let json = serde_json::to_vec(&Envelope { p: purpose.to_owned(), exp, v: value }).ok()?;
    Some(URL_SAFE_NO_PAD.encode(key.seal(&json)))
}

/// The value, when `text` was sealed by [`seal`] under this server key ring for `purpose` and
/// has not expired at `now`.
pub(crate) fn open<T: DeserializeOwned>(key: &ServerKey, purpose: &str, text: &str, now: i64) -> Option<T> {
    if text.len() > MAX_SEALED_LEN {
        return None;
    }
    let sealed = URL_SAFE_NO_PAD.decode(text).ok()?;
    let json = key.open(&sealed)?;
    let envelope: Envelope<T> = serde_json::from_slice(&json).ok()?;
    (envelope.p == purpose && now <= envelope.exp).then_some(envelope.v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_for_its_purpose_before_expiry_and_under_its_key() {
        let key = ServerKey::generate();
        let sealed = seal(&key, "login", 100, &"state".to_owned()).unwrap();
        assert_eq!(open::<String>(&key, "login", &sealed, 100).as_deref(), Some("state"));
        assert!(open::<String>(&key, "login", &sealed, 101).is_none());
        assert!(open::<String>(&key, "handoff", &sealed, 0).is_none());
        assert!(open::<String>(&ServerKey::generate(), "login", &sealed, 0).is_none());
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(open::<String>(&key, "login", std::str::from_utf8(&altered).unwrap(), 0).is_none());
    }
}
