//! One-time PIN logins at the auth domain (the `onetimepin` identity provider), Cloudflare's
//! way: the login page asks for an address and offers to "email me a code"; the code goes only
//! to an address that the application's policies admit, but the answer is the same page
//! whatever the address (no account enumeration, and the mail is sent in the background so
//! the answer takes as long either way); the person types the code and gets the same session as
//! with any other provider (`idp.type` `onetimepin`, `amr` `["otp"]`).
//!
//! The login in progress rides in one sealed cookie, [`PIN_COOKIE`] on [`PIN_PATH`]: the
//! application and target at first, then also the address and the challenge id once a code
//! was asked for. The code itself is stored only as a MAC ([`LoginCode`]), in the store so that
//! any node can check it. Requests are limited ([`PinLimiter`]): codes asked for per address
//! and per client, wrong guesses per client, and [`MAX_ATTEMPTS`] guesses per code.
//!
//! [`LoginCode`]: gatehouse_domain::access::one_time_pin::LoginCode
//! [`MAX_ATTEMPTS`]: gatehouse_domain::access::one_time_pin::MAX_ATTEMPTS

use std::net::IpAddr;

use bytes::Bytes;
use gatehouse_domain::access::Identity;
use gatehouse_domain::access::one_time_pin::{self, CodeRefusal, LoginCode};
use gatehouse_domain::{AccountId, Secret, ServerKey, Timestamp};
use gatehouse_store::{Resource, ResourceChange, ResourceKind, Store, StoreError};
use http_body_util::{BodyExt, Limited};
use serde::{Deserialize, Serialize};

use super::LoginTarget;
use crate::limit::Counter;

/// Where the forms post, on the auth domain.
pub(crate) const PIN_PATH: &str = "/cdn-cgi/access/otp";
pub(crate) const SEND_PATH: &str = "/cdn-cgi/access/otp/send";
pub(crate) const VERIFY_PATH: &str = "/cdn-cgi/access/otp/verify";
pub(crate) const PIN_COOKIE: &str = "CF_PinLogin";
/// The seal's purpose for [`PinLogin`].
pub(crate) const PURPOSE: &str = "pin-login";
/// Form bodies longer than this are refused unread.
const MAX_FORM_BYTES: usize = 2048;
/// The length of the limiter's windows.
const WINDOW_SECS: i64 = 600;
/// Codes asked for per e-mail address per window.
const CODES_PER_EMAIL: u32 = 5;
/// Codes asked for per client address per window.
const CODES_PER_CLIENT: u32 = 20;
/// Wrong codes per client address per window.
const GUESSES_PER_CLIENT: u32 = 30;
/// The longest address accepted (RFC 5321's path limit).
const MAX_EMAIL_LEN: usize = 254;
/// How often a guess is retried against concurrent guesses of the same code.
const MAX_WRITES: usize = 5;

/// A one-time PIN login in progress, sealed in [`PIN_COOKIE`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PinLogin {
    pub idp: String,
    pub aud: String,
    /// The application host, without port.
    pub host: String,
    pub redirect_url: String,
    pub binding: String,
    /// Set once a code was asked for: the id of the stored code.
    pub challenge: Option<String>,
    /// Lowercase; set with `challenge`.
    pub email: Option<String>,
}

impl PinLogin {
    pub(crate) fn target(&self) -> LoginTarget {
        LoginTarget {
            aud: self.aud.clone(),
            host: self.host.clone(),
            redirect_url: self.redirect_url.clone(),
            binding: self.binding.clone(),
        }
    }
}

/// The limits of one-time PIN requests, in memory on each node.
#[derive(Debug)]
pub struct PinLimiter {
    emails: Counter<Box<str>>,
    clients: Counter<IpAddr>,
    guesses: Counter<IpAddr>,
}

impl Default for PinLimiter {
    fn default() -> Self {
        PinLimiter {
            emails: Counter::with_window(CODES_PER_EMAIL, WINDOW_SECS),
            clients: Counter::with_window(CODES_PER_CLIENT, WINDOW_SECS),
            guesses: Counter::with_window(GUESSES_PER_CLIENT, WINDOW_SECS),
        }
    }
}

impl PinLimiter {
    /// Counts a request for a code for `email` from `client`; `Err(seconds to wait)` when either
    /// is over its limit (the request is then not counted).
    pub fn code_requested(&self, email: &str, client: IpAddr, now: Timestamp) -> Result<(), u64> {
        let now = now.unix();
        if let Some(wait) = self.clients.blocked(&client, now).max(self.emails.blocked(email, now)) {
            return Err(wait);
        }
        self.clients.record(client, now);
        self.emails.record(email.into(), now);
        Ok(())
    }

    /// `Err(seconds to wait)` when `client` made too many wrong guesses lately.
    pub fn may_guess(&self, client: IpAddr, now: Timestamp) -> Result<(), u64> {
        self.guesses.blocked(&client, now.unix()).map_or(Ok(()), Err)
    }

    pub fn wrong_guess(&self, client: IpAddr, now: Timestamp) {
        self.guesses.record(client, now.unix());
    }

    pub fn sweep(&self, now: Timestamp) {
        self.emails.sweep(now.unix());
        self.clients.sweep(now.unix());
        self.guesses.sweep(now.unix());
    }
}

/// Why a typed code did not log in.
#[derive(Debug)]
pub enum CodeFailure {
    Refused(CodeRefusal),
    /// No such code (never asked for, already dropped) or not this login's.
    Unknown,
    Store(StoreError),
}

/// A fresh code for `email` at the provider `idp` of `account`, stored as a MAC under a new
/// challenge id: `(challenge, code)`; the code is for the mail only.
pub(crate) async fn issue(
    store: &dyn Store,
    key: &ServerKey,
    account: &AccountId,
    email: &str,
    idp: &str,
    now: Timestamp,
) -> Result<(String, Secret), StoreError> {
    let challenge = one_time_pin::challenge_id();
    let (stored, code) = LoginCode::issue(key, &challenge, email, idp, now);
    let resource = Resource {
        kind: ResourceKind::LoginCode,
        id: challenge.clone(),
        account_id: account.clone(),
        body: serde_json::to_string(&stored).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_at: now,
        updated_at: now,
        revision: 1,
    };
    store.apply(&[ResourceChange::Insert(resource)]).await?;
    Ok((challenge, code))
}

/// Judges one guess against the stored code. Every guess is written back (revision-checked,
/// so concurrent guesses are each counted against the fresh state) before it is answered;
/// a code that can no longer log in is then dropped.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn check(
    store: &dyn Store,
    key: &ServerKey,
    account: &AccountId,
    challenge: &str,
    email: &str,
    idp: &str,
    guess: &str,
    now: Timestamp,
) -> Result<(), CodeFailure> {
    for _ in 0..MAX_WRITES {
        let stored = store.get_resource(ResourceKind::LoginCode, account, challenge).await;
        let stored = stored.map_err(CodeFailure::Store)?.ok_or(CodeFailure::Unknown)?;
        let mut code: LoginCode = serde_json::from_str(&stored.body).map_err(|_| CodeFailure::Unknown)?;
        if code.email != email || code.idp_id != idp {
            return Err(CodeFailure::Unknown);
        }
        let outcome = code.check(key, challenge, guess, now);
        let body = serde_json::to_string(&code)
            .map_err(|e| CodeFailure::Store(StoreError::Corrupt(e.to_string())))?;
        let write = Resource { body, updated_at: now, revision: stored.revision + 1, ..stored };
        match store.apply(&[ResourceChange::Update(write)]).await {
            Ok(()) => {
                if code.is_dead(now) {
                    let drop = ResourceChange::Delete {
                        kind: ResourceKind::LoginCode,
                        account_id: account.clone(),
                        id: challenge.to_owned(),
                    };
                    if let Err(error) = store.apply(&[drop]).await {
                        tracing::debug!(%error, "a dead one-time PIN was not dropped");
                    }
                }
                return outcome.map_err(CodeFailure::Refused);
            }
            Err(StoreError::Stale) => continue,
            Err(other) => return Err(CodeFailure::Store(other)),
        }
    }
    Err(CodeFailure::Store(StoreError::Stale))
}

/// What a one-time PIN login through `idp` establishes about the person.
pub(crate) fn identity(idp: &str, now: Timestamp) -> Identity {
    Identity {
        identity_nonce: super::random_token(),
        name: String::new(),
        idp_id: idp.to_owned(),
        idp_type: "onetimepin".to_owned(),
        groups: Vec::new(),
        oidc_fields: serde_json::Map::new(),
        amr: vec![one_time_pin::AMR.to_owned()],
        github: None,
        iat: now,
    }
}

/// The first value of `name` in an `application/x-www-form-urlencoded` body of at most
/// [`MAX_FORM_BYTES`]; `None` when the body is too long or unreadable.
pub(crate) async fn form_field<B>(body: B, name: &str) -> Option<String>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let bytes = Limited::new(body, MAX_FORM_BYTES).collect().await.ok()?.to_bytes();
    form_urlencoded::parse(&bytes).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// The address as typed, normalized, when it can be an e-mail address.
pub fn email_of(typed: &str) -> Option<String> {
    let email = gatehouse_domain::access::normalize_email(typed);
    let plausible = email.len() <= MAX_EMAIL_LEN
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && super::mail::Mailer::deliverable(&email);
    plausible.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn codes_are_limited_per_address_and_per_client() {
        let limiter = PinLimiter::default();
        let t0 = Timestamp::from_unix(1_000);
        for _ in 0..CODES_PER_EMAIL {
            assert_eq!(limiter.code_requested("a@example.com", HOME, t0), Ok(()));
        }
        assert_eq!(limiter.code_requested("a@example.com", HOME, t0), Err(600));
        assert_eq!(limiter.code_requested("b@example.com", HOME, t0), Ok(()));
        let later = Timestamp::from_unix(1_000 + WINDOW_SECS);
        assert_eq!(limiter.code_requested("a@example.com", HOME, later), Ok(()));
        let other = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
        for n in 0..CODES_PER_CLIENT {
            assert_eq!(limiter.code_requested(&format!("{n}@example.com"), other, t0), Ok(()));
        }
        assert!(limiter.code_requested("new@example.com", other, t0).is_err());
    }

    #[test]
    fn wrong_guesses_are_limited_per_client() {
        let limiter = PinLimiter::default();
        let t0 = Timestamp::from_unix(1_000);
        for _ in 0..GUESSES_PER_CLIENT {
            assert_eq!(limiter.may_guess(HOME, t0), Ok(()));
            limiter.wrong_guess(HOME, t0);
        }
        assert!(limiter.may_guess(HOME, t0).is_err());
    }

    #[test]
    fn only_plausible_addresses_are_mailed() {
        assert_eq!(email_of(" Alice@Example.COM ").as_deref(), Some("alice@example.com"));
        for bad in ["", "alice", "@example.com", "alice@localhost", "a b@example.com", "a@b.c\r\nBcc: x@y.z"]
        {
            assert_eq!(email_of(bad), None, "{bad:?}");
        }
        assert_eq!(email_of(&format!("{}@example.com", "a".repeat(250))), None);
    }

    #[tokio::test]
    async fn form_bodies_are_read_up_to_a_limit() {
        let body = http_body_util::Full::new(Bytes::from_static(b"email=alice%40example.com&x=1"));
        assert_eq!(form_field(body, "email").await.as_deref(), Some("alice@example.com"));
        let long = http_body_util::Full::new(Bytes::from(vec![b'a'; MAX_FORM_BYTES + 1]));
        assert_eq!(form_field(long, "email").await, None);
    }
}
