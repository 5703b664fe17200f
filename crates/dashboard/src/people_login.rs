//! Logging in through one of the account's identity providers that send the browser away and
//! back (OpenID Connect, GitHub), for the people the [`admission`](crate::admission)
//! applications admit. The protocol is the gateway's own ([`gatehouse_proxy::identity_login`]);
//! this module only carries it over the dashboard's routes (one-time PINs: [`crate::pin_login`]):
//!
//! 1. `GET /dash/login/idp/{id}` (a link of the login page) sends the browser to the provider
//!    with a fresh `state`, `nonce` and PKCE (S256) challenge. A link, not a form: the login
//!    page's CSP (`form-action 'self'`) would stop a form whose answer redirects to the
//!    provider. Starting a login changes nothing, so another site linking here gains nothing:
//!    the login can only end in a session for whoever signs in at the provider, in the browser
//!    that holds the state cookie. Those are sealed under the server key, with a ten
//!    minute expiry, in a cookie of this login only (`gatehouse_dash_login_<hash of state>`,
//!    path `/dash/login/callback`, `HttpOnly`, `Secure`, `SameSite=Lax`: it must come back on
//!    the provider's cross-site redirect, which a `Strict` cookie would not).
//! 2. `GET /dash/login/callback?code&state`: the state must match the cookie and is used once
//!    (a replayed callback is refused before the code is exchanged); the code is exchanged and
//!    the ID token verified (GitHub: the person, their primary verified address, organizations
//!    and teams read from its API); [`admit`] decides the permission, with the identity the
//!    login just established (so `oidc` claim and `github-organization` rules work). Refused: 401 (a broken login) or 403 (a person neither application
//!    admits).
//! 3. The session starts ([`Principal::Person`], the usual `__Host-`/`Strict` cookie). The
//!    browser is still on a navigation that began at the provider, on which it would not send
//!    a `Strict` cookie, so the answer is a small page that moves on to `/dash/` by itself
//!    (`<meta http-equiv="refresh">`, no script): a navigation this origin starts.
//!
//! Every later request of the session decides the permission again (`recheck`): a person
//! removed from the admins' policy loses the write controls, or the session, at once.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use gatehouse_api::ApiError;
use gatehouse_api::access::identity_providers;
use gatehouse_domain::access::{Identity, IdpId};
use gatehouse_domain::{AccountId, Permission};
use gatehouse_proxy::Mailer;
use gatehouse_proxy::identity_login::{self, IdentityClient, PinLimiter, RedirectProvider};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Dash;
use crate::admission::{Admission, admit};
use crate::error::{Failure, render};
use crate::session::Principal;

/// Where every provider sends the browser back to (register `<dashboard URL>` + this).
pub const CALLBACK_PATH: &str = "/dash/login/callback";
/// How long a login may take, from the button to the callback.
const LOGIN_SECS: i64 = 600;
/// The purpose sealed into the state cookie (nothing else the server seals opens as one).
const PURPOSE: &str = "dashboard-login";
const STATE_COOKIE_PREFIX: &str = "gatehouse_dash_login_";
/// More used states than this remembered and the expired ones are forgotten, then the oldest.
const MAX_USED_STATES: usize = 100_000;

/// The identity logins of the dashboard: which account's providers, who is admitted.
#[derive(Debug)]
pub struct IdentityLogins {
    /// The account whose identity providers and applications are used.
    pub account: AccountId,
    pub admission: Admission,
    /// `scheme://host[:port]` the browser reaches the dashboard at; `None`: `http://` and the
    /// request's `Host` (fine on `localhost`; set it behind TLS or a proxy).
    pub public_url: Option<String>,
    client: IdentityClient,
    /// SHA-256 of every state used at the callback, with its expiry (Unix seconds).
    used: Mutex<HashMap<[u8; 32], i64>>,
    /// Mails the one-time PINs (the gateway's `smtp` settings); `None`: PIN logins answer 503.
    pub(crate) mailer: Option<Arc<Mailer>>,
    /// The limits of PIN requests, as the gateway's (in memory, on this node).
    pub(crate) pins: PinLimiter,
    /// When `pins` was last swept of ended windows (Unix seconds).
    pub(crate) pins_swept: std::sync::atomic::AtomicI64,
}

impl IdentityLogins {
    /// Fails when the HTTP client for the identity providers cannot be built.
    pub fn new(account: AccountId, admission: Admission, public_url: Option<String>) -> Result<Self, String> {
        let public_url = public_url.map(|url| url.trim_end_matches('/').to_owned());
        Ok(IdentityLogins {
            account,
            admission,
            public_url,
            client: IdentityClient::new()?,
            used: Mutex::new(HashMap::new()),
            mailer: None,
            pins: PinLimiter::default(),
            pins_swept: std::sync::atomic::AtomicI64::new(0),
        })
    }

    /// One-time PIN logins mail their codes through `mailer` (the gateway's).
    #[must_use]
    pub fn with_mailer(mut self, mailer: Option<Arc<Mailer>>) -> Self {
        self.mailer = mailer;
        self
    }

    /// Records `state` as used; `false` when it was already.
    fn first_use(&self, state: &str, exp: i64, now: i64) -> bool {
        let key: [u8; 32] = Sha256::digest(state.as_bytes()).into();
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        if used.len() >= MAX_USED_STATES {
            used.retain(|_, until| *until >= now);
            while used.len() >= MAX_USED_STATES {
                let Some(oldest) = used.iter().min_by_key(|(_, until)| **until).map(|(k, _)| *k) else {
                    break;
                };
                used.remove(&oldest);
            }
        }
        used.insert(key, exp).is_none()
    }

    /// The callback URL for a request with `headers`.
    fn redirect_uri(&self, headers: &HeaderMap) -> Option<String> {
        let base = match &self.public_url {
            Some(url) => url.clone(),
            None => {
                let host = headers.get(header::HOST)?.to_str().ok()?;
                let plain = !host.is_empty()
                    && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
                if !plain {
                    return None;
                }
                format!("http://{host}")
            }
        };
        Some(format!("{base}{CALLBACK_PATH}"))
    }
}

/// What the state cookie holds, sealed.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    idp: String,
    redirect_uri: String,
    exp: i64,
}

/// An identity provider button of the login page.
#[derive(Debug)]
pub struct Choice {
    pub id: String,
    pub name: String,
    /// Where its button goes: [`start`] (`oidc`, `github`) or the one-time PIN's address form.
    pub href: String,
}

/// The account's OpenID Connect, GitHub and one-time PIN providers, for the login page; empty
/// when identity logins are off.
pub async fn choices(dash: &Dash) -> Result<Vec<Choice>, ApiError> {
    let Some(logins) = &dash.logins else { return Ok(Vec::new()) };
    let mut choices: Vec<Choice> = identity_providers::all(&dash.api, &logins.account)
        .await?
        .into_iter()
        .filter_map(|stored| {
            let href = match stored.doc.kind.as_str() {
                "oidc" | "github" => format!("/dash/login/idp/{}", stored.id),
                "onetimepin" => format!("{}/{}", crate::pin_login::PIN_PATH, stored.id),
                _ => return None,
            };
            Some(Choice { id: stored.id, name: stored.doc.name, href })
        })
        .collect();
    choices.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(choices)
}

/// The `oidc` or `github` provider `id` of the account, ready for a login.
async fn provider(
    dash: &Dash,
    logins: &IdentityLogins,
    id: &str,
) -> Result<Option<RedirectProvider>, Failure> {
    let stored = identity_providers::all(&dash.api, &logins.account).await?;
    let Some(stored) = stored.into_iter().find(|stored| stored.id == id) else { return Ok(None) };
    RedirectProvider::compile(&stored.id, &stored.doc, &dash.api.key).map_err(|error| {
        tracing::error!(idp = %stored.id, %error, "dashboard: the identity provider is misconfigured");
        Failure::page(StatusCode::INTERNAL_SERVER_ERROR, "The identity provider is misconfigured.")
    })
}

fn state_cookie_name(state: &str) -> String {
    let hash = Sha256::digest(state.as_bytes());
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{STATE_COOKIE_PREFIX}{hex}")
}

fn state_cookie(name: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
    HeaderValue::try_from(format!(
        "{name}={value}; Path={CALLBACK_PATH}; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age}"
    ))
    .ok()
}

/// `GET /dash/login/idp/{id}`: off to the provider.
pub async fn start(
    State(dash): State<Dash>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let not_found = || Failure::page(StatusCode::NOT_FOUND, "There is no such identity provider.");
    let Some(logins) = dash.logins.clone() else { return Err(not_found()) };
    if IdpId::parse(&id).is_err() {
        return Err(not_found());
    }
    let Some(provider) = provider(&dash, &logins, &id).await? else { return Err(not_found()) };
    let Some(redirect_uri) = logins.redirect_uri(&headers) else {
        return Err(Failure::page(StatusCode::BAD_REQUEST, "The request names no usable host."));
    };
    let failed = |error: String| {
        tracing::error!(idp = %id, %error, "dashboard: cannot start a login with the identity provider");
        Failure::page(StatusCode::INTERNAL_SERVER_ERROR, "The login could not be started.")
    };
    let started = provider.start(&redirect_uri).map_err(failed)?;
    let exp = dash.api.clock.now().unix() + LOGIN_SECS;
    let name = state_cookie_name(&started.state);
    let pending = Pending {
        state: started.state,
        nonce: started.nonce,
        verifier: started.verifier,
        idp: id.clone(),
        redirect_uri,
        exp,
    };
    let cookie = identity_login::seal(&dash.api.key, PURPOSE, exp, &pending)
        .and_then(|sealed| state_cookie(&name, &sealed, LOGIN_SECS))
        .ok_or_else(|| failed("the state cookie could not be made".to_owned()))?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&started.url)).into_response())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

impl std::fmt::Debug for CallbackQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallbackQuery { .. }")
    }
}

#[derive(Template)]
#[template(path = "logged_in.html")]
struct LoggedIn<'a> {
    email: &'a str,
}

/// `GET /dash/login/callback?code&state`: the provider's answer.
pub async fn callback(
    State(dash): State<Dash>,
    headers: HeaderMap,
    extensions: Extensions,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let state = query.state.clone().unwrap_or_default();
    let name = state_cookie_name(&state);
    let clear = state_cookie(&name, "", 0);
    let mut response = match complete(&dash, &headers, &extensions, query).await {
        Ok(response) => response,
        Err(failure) => failure.into_response(),
    };
    if let Some(clear) = clear {
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    response
}

async fn complete(
    dash: &Dash,
    headers: &HeaderMap,
    extensions: &Extensions,
    query: CallbackQuery,
) -> Result<Response, Failure> {
    let failed = |why: &str| {
        tracing::info!(reason = why, "dashboard: an identity login failed at the callback");
        Failure::page(StatusCode::UNAUTHORIZED, "The login could not be completed. Please log in again.")
    };
    let Some(logins) = dash.logins.clone() else {
        return Err(Failure::page(StatusCode::NOT_FOUND, "Identity logins are not enabled."));
    };
    if query.error.is_some() {
        return Err(failed("the identity provider answered with an error"));
    }
    let (Some(state), Some(code)) = (query.state, query.code) else { return Err(failed("no state or code")) };
    let now = dash.api.clock.now();
    let Some(sealed) = crate::session::cookie(headers, &state_cookie_name(&state)) else {
        return Err(failed("no state cookie for this state (another browser, or a replay)"));
    };
    let Some(pending) = identity_login::open::<Pending>(&dash.api.key, PURPOSE, &sealed, now.unix()) else {
        return Err(failed("the state cookie does not open or has expired"));
    };
    if pending.state != state {
        return Err(failed("the state does not match the state cookie"));
    }
    if !logins.first_use(&pending.state, pending.exp, now.unix()) {
        return Err(failed("the state was used already (a replay)"));
    }
    let Some(provider) = provider(dash, &logins, &pending.idp).await? else {
        return Err(failed("the identity provider is gone"));
    };
    let finished = provider
        .finish(&logins.client, &pending.redirect_uri, &code, &pending.verifier, &pending.nonce, now)
        .await;
    let (email, identity) = match finished {
        Ok(person) => person,
        Err(error) => {
            tracing::info!(idp = %pending.idp, %error, "dashboard: the identity provider's answer was refused");
            return Err(failed("the code exchange or the ID token failed"));
        }
    };
    let cookie = session_for(dash, &logins, &email, provider.id(), identity, peer(extensions)).await?;
    let page = render(&LoggedIn { email: &email })?;
    Ok((AppendHeaders([(header::SET_COOKIE, cookie)]), page).into_response())
}

/// The end of every identity login: [`admit`] decides the permission of `email`, logged in
/// through `idp` with `identity`, and the session starts (its `Set-Cookie` value is returned);
/// 403 for a person neither application admits.
pub(crate) async fn session_for(
    dash: &Dash,
    logins: &IdentityLogins,
    email: &str,
    idp: IdpId,
    identity: Identity,
    ip: IpAddr,
) -> Result<String, Failure> {
    let permission =
        admit(&dash.api, &logins.account, &logins.admission, email, idp, Some(&identity), ip).await?;
    let Some(permission) = permission else {
        tracing::info!(%idp, %email, "dashboard: a person logged in whom no admission policy admits");
        return Err(Failure::page(
            StatusCode::FORBIDDEN,
            format!(
                "{email} is not allowed to use this dashboard. Ask an administrator to add you to its policy."
            ),
        ));
    };
    let kind = identity.idp_type.clone();
    let principal = Principal::Person {
        account: logins.account.clone(),
        email: email.to_owned(),
        idp: idp.to_string(),
        permission,
        identity: Some(Arc::new(identity)),
    };
    let id = dash.sessions.start(principal).map_err(|error| {
        tracing::error!(%error, "dashboard: no session started, the random source failed");
        Failure::page(
            StatusCode::SERVICE_UNAVAILABLE,
            "No session could be started: the server's random source failed.",
        )
    })?;
    tracing::info!(%idp, %kind, %email, ?permission, "dashboard: a person logged in");
    Ok(dash.sessions.cookie(&id))
}

/// The TCP peer of the request, as the server passes it.
pub(crate) fn peer(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |ConnectInfo(addr)| addr.ip())
}

/// A person's permission now: the admission applications decide again, with the identity of
/// their login. `None` ends the session (identity logins are off, or neither application
/// admits the person any more).
pub(crate) async fn recheck(
    dash: &Dash,
    email: &str,
    idp: &str,
    identity: Option<&Identity>,
    ip: IpAddr,
) -> Result<Option<Permission>, ApiError> {
    let (Some(logins), Ok(idp)) = (&dash.logins, IdpId::parse(idp)) else { return Ok(None) };
    admit(&dash.api, &logins.account, &logins.admission, email, idp, identity, ip).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logins(public_url: Option<&str>) -> IdentityLogins {
        let admission = Admission { admins_app: Some("admins.example.test".into()), viewers_app: None };
        IdentityLogins::new(AccountId::generate(), admission, public_url.map(str::to_owned)).unwrap()
    }

    #[test]
    fn the_callback_is_on_the_configured_origin_or_the_requests_host() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8787"));
        let configured = logins(Some("https://gatehouse.example.com/"));
        assert_eq!(
            configured.redirect_uri(&headers).as_deref(),
            Some("https://gatehouse.example.com/dash/login/callback"),
            "the setting wins over the Host header"
        );
        let derived = logins(None);
        assert_eq!(
            derived.redirect_uri(&headers).as_deref(),
            Some("http://127.0.0.1:8787/dash/login/callback")
        );
        for bad in ["evil.example/x?", "a@b", "", "a b"] {
            headers.insert(header::HOST, HeaderValue::from_str(bad).unwrap());
            assert_eq!(derived.redirect_uri(&headers), None, "{bad:?}");
        }
        assert_eq!(derived.redirect_uri(&HeaderMap::new()), None, "no Host");
    }

    #[test]
    fn a_state_is_used_once_and_the_memory_of_used_states_is_bounded() {
        let logins = logins(None);
        assert!(logins.first_use("s1", 100, 0));
        assert!(!logins.first_use("s1", 100, 0), "a replay");
        assert!(logins.first_use("s2", 100, 0));
        let used = || logins.used.lock().unwrap().len();
        for i in 0..MAX_USED_STATES {
            logins.first_use(&format!("x{i}"), 50, 0);
        }
        assert!(used() <= MAX_USED_STATES);
        // Past their expiry, states are forgotten first (the sealed cookie refuses them anyway).
        logins.first_use("late", 200, 60);
        assert!(used() <= 3, "only the unexpired states are kept: {}", used());
        assert!(!logins.first_use("s1", 100, 60), "an unexpired state is still remembered");
    }

    #[test]
    fn each_login_has_a_state_cookie_of_its_own_that_comes_back_from_the_provider() {
        assert_ne!(state_cookie_name("a"), state_cookie_name("b"));
        assert!(state_cookie_name("a").starts_with(STATE_COOKIE_PREFIX));
        let cookie = state_cookie("n", "v", LOGIN_SECS).unwrap();
        assert_eq!(cookie, "n=v; Path=/dash/login/callback; Secure; HttpOnly; SameSite=Lax; Max-Age=600");
    }
}
