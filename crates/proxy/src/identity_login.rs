//! The gateway's logins of people, for another front end of the same server (the operators'
//! dashboard): the same code the gateway's `/cdn-cgi/access/login`, `/callback` and
//! `/otp/…` run (`login::oidc`, `login::github`, `login::pin`), behind a small interface. Only
//! login pages call it, never the gateway's request path.
//!
//! Providers the browser is sent to and back from (`oidc`, `github`): [`RedirectProvider::compile`]
//! checks a stored identity provider and unseals its client secret; [`RedirectProvider::start`]
//! makes the authorization URL with a fresh `state`, PKCE (S256) verifier and, for OpenID
//! Connect, `nonce`; [`RedirectProvider::finish`] exchanges the code and establishes the person:
//! for OpenID Connect the ID token verified (signature from `certs_url`, audience, expiry,
//! nonce, the issuer when configured), for GitHub the primary, verified address and the
//! organizations and teams from its API; an address the provider says is unverified is
//! refused.
//!
//! One-time PINs (`onetimepin`): [`issue_pin`] stores a fresh code (as a MAC) and returns it
//! for the mail ([`Mailer::send_code`](crate::Mailer::send_code)); [`check_pin`] judges a guess
//! (each code takes five guesses, then is dead); [`PinLimiter`] limits the codes asked for per
//! address and per client and the wrong guesses per client; [`pin_email`] checks a typed address;
//! [`pin_identity`] is what such a login establishes.
//!
//! What the browser must carry between the steps is sealed with [`seal`] and opened with
//! [`open`] (AES-256-GCM under the server key, with a purpose and an expiry inside the seal).

use std::time::Duration;

use gatehouse_domain::access::{Identity, IdentityProvider, IdpId};
use gatehouse_domain::{AccountId, Secret, ServerKey, Timestamp};
use gatehouse_store::{Store, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::login::pin::{CodeFailure, PinLimiter, email_of as pin_email};
use crate::login::{Idp, Protocol, github, oidc, pin, sealed};

/// How long an identity provider has to answer a token or key request during a login.
const IDENTITY_PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client that talks to identity providers: never follows redirects, times out.
#[derive(Debug, Clone)]
pub struct IdentityClient(pub(crate) reqwest::Client);

impl IdentityClient {
    pub fn new() -> Result<IdentityClient, String> {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(IDENTITY_PROVIDER_TIMEOUT)
            .build()
            .map(IdentityClient)
            .map_err(|e| e.to_string())
    }
}

/// An `oidc` or `github` identity provider, ready for logins.
#[derive(Debug)]
pub struct RedirectProvider(Idp);

/// Where to send the browser, and what the callback must check (keep it sealed).
#[derive(Debug)]
pub struct Started {
    /// The provider's authorization URL with this login's parameters.
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

impl RedirectProvider {
    /// The provider stored under `id`; `Ok(None)` when it is neither an `oidc` nor a `github`
    /// provider, an error when its configuration is incomplete or its secret does not open
    /// under `key`.
    pub fn compile(
        id: &str,
        doc: &IdentityProvider,
        key: &ServerKey,
    ) -> Result<Option<RedirectProvider>, String> {
        if doc.kind != "oidc" && doc.kind != "github" {
            return Ok(None);
        }
        Idp::compile(id, doc, key).map(|idp| Some(RedirectProvider(idp)))
    }

    pub fn id(&self) -> IdpId {
        self.0.id
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// `oidc` or `github`.
    pub fn kind(&self) -> &str {
        &self.0.kind
    }

    /// A new login that returns to `redirect_uri` (GitHub's has no nonce: an empty one).
    pub fn start(&self, redirect_uri: &str) -> Result<Started, String> {
        let started = match &self.0.protocol {
            Protocol::Oidc(provider) => oidc::start(provider, redirect_uri)?,
            Protocol::Github(provider) => github::start(provider, redirect_uri)?,
            Protocol::OneTimePin => return Err("a one-time PIN provider sends no browser away".to_owned()),
        };
        Ok(Started {
            url: started.url,
            state: started.state,
            nonce: started.nonce,
            verifier: started.verifier,
        })
    }

    /// The person the provider's `code` logs in: their e-mail address (normalized) and what the
    /// login established, once the code exchange (with the PKCE `verifier`) and the ID token
    /// (with this login's `nonce`) or GitHub's account details check out. The error says why,
    /// for the log only.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish(
        &self,
        client: &IdentityClient,
        redirect_uri: &str,
        code: &str,
        verifier: &str,
        nonce: &str,
        now: Timestamp,
    ) -> Result<(String, Identity), String> {
        match &self.0.protocol {
            Protocol::Oidc(provider) => {
                let claims =
                    oidc::finish(&client.0, provider, redirect_uri, code, verifier, nonce, now).await?;
                oidc::person(&self.0, provider, claims, now).map_err(str::to_owned)
            }
            Protocol::Github(provider) => {
                let person = github::finish(&client.0, provider, redirect_uri, code, verifier).await?;
                github::person(&self.0, person, now).map_err(str::to_owned)
            }
            Protocol::OneTimePin => Err("a one-time PIN provider has no code exchange".to_owned()),
        }
    }
}

/// A fresh one-time PIN for `email` (normalized, see [`pin_email`]) at the `onetimepin`
/// provider `idp` of `account`, stored as a MAC under a new challenge id: `(challenge, code)`.
/// The code is for the mail only.
pub async fn issue_pin(
    store: &dyn Store,
    key: &ServerKey,
    account: &AccountId,
    email: &str,
    idp: IdpId,
    now: Timestamp,
) -> Result<(String, Secret), StoreError> {
    pin::issue(store, key, account, email, &idp.to_string(), now).await
}

/// Judges the `guess` for the code stored under `challenge` for `email` at `idp`: each guess
/// counts (five per code), a code works once and for ten minutes.
#[allow(clippy::too_many_arguments)]
pub async fn check_pin(
    store: &dyn Store,
    key: &ServerKey,
    account: &AccountId,
    challenge: &str,
    email: &str,
    idp: IdpId,
    guess: &str,
    now: Timestamp,
) -> Result<(), CodeFailure> {
    pin::check(store, key, account, challenge, email, &idp.to_string(), guess, now).await
}

/// What a one-time PIN login through `idp` establishes (`idp.type` `onetimepin`, `amr` `otp`).
pub fn pin_identity(idp: IdpId, now: Timestamp) -> Identity {
    pin::identity(&idp.to_string(), now)
}

/// `value` sealed for `purpose` until the Unix second `exp`, as base64url text.
pub fn seal<T: Serialize>(key: &ServerKey, purpose: &str, exp: i64, value: &T) -> Option<String> {
    sealed::seal(key, purpose, exp, value)
}

/// What [`seal`] sealed under this server key ring for `purpose`, when it has not expired at
/// the Unix second `now`.
pub fn open<T: DeserializeOwned>(key: &ServerKey, purpose: &str, text: &str, now: i64) -> Option<T> {
    sealed::open(key, purpose, text, now)
}
