//! The gateway's OpenID Connect login of people, for another front end of the same server (the
//! operators' dashboard): the same code the gateway's `/cdn-cgi/access/login` and `/callback`
//! run (`login::oidc`), behind a small interface.
//!
//! [`OidcProvider::compile`] checks a stored identity provider and unseals its client secret;
//! [`OidcProvider::start`] makes the authorization URL with a fresh `state`, `nonce` and PKCE
//! (S256) verifier; [`OidcProvider::finish`] exchanges the code and verifies the ID token
//! (signature from `certs_url`, audience, expiry, nonce, the issuer when configured) and
//! refuses an address the provider says is unverified. What the browser must carry between
//! the two is sealed with [`seal`] and opened with [`open`] (AES-256-GCM under the server key,
//! with a purpose and an expiry inside the seal).

use std::time::Duration;

use gatehouse_domain::access::{Identity, IdentityProvider, IdpId};
use gatehouse_domain::{ServerKey, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::login::{Idp, Protocol, oidc, sealed};

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

/// An `oidc` identity provider, ready for logins.
#[derive(Debug)]
pub struct OidcProvider(Idp);

/// Where to send the browser, and what the callback must check (keep it sealed).
#[derive(Debug)]
pub struct Started {
    /// The provider's authorization URL with this login's parameters.
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

impl OidcProvider {
    /// The provider stored under `id`; `Ok(None)` when it is not an `oidc` provider, an error
    /// when its configuration is incomplete or its secret does not open under `key`.
    pub fn compile(
        id: &str,
        doc: &IdentityProvider,
        key: &ServerKey,
    ) -> Result<Option<OidcProvider>, String> {
        if doc.kind != "oidc" {
            return Ok(None);
        }
        Idp::compile(id, doc, key).map(|idp| Some(OidcProvider(idp)))
    }

    pub fn id(&self) -> IdpId {
        self.0.id
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    fn oidc(&self) -> Result<&crate::login::Oidc, String> {
        match &self.0.protocol {
            Protocol::Oidc(oidc) => Ok(oidc),
            Protocol::Github(_) | Protocol::OneTimePin => Err("not an OpenID Connect provider".to_owned()),
        }
    }

    /// A new login that returns to `redirect_uri`.
    pub fn start(&self, redirect_uri: &str) -> Result<Started, String> {
        let started = oidc::start(self.oidc()?, redirect_uri)?;
        Ok(Started {
            url: started.url,
            state: started.state,
            nonce: started.nonce,
            verifier: started.verifier,
        })
    }

    /// The person the provider's `code` logs in: their e-mail address (normalized) and what the
    /// login established, once the code exchange (with the PKCE `verifier`) and the ID token
    /// (with this login's `nonce`) check out. The error says why, for the log only.
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
        let oidc = self.oidc()?;
        let claims = oidc::finish(&client.0, oidc, redirect_uri, code, verifier, nonce, now).await?;
        oidc::person(&self.0, oidc, claims, now).map_err(str::to_owned)
    }
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
