//! How a person logs in, Cloudflare's way (spec `people-and-browsers.md`):
//! 1. A browser without a valid session on an application with an `allow` policy is sent
//!    (302) to `<auth_domain>/cdn-cgi/access/login/<app host>?kid=<aud>&redirect_url=<path>&meta=…`,
//!    and the application host gets a short-lived `CF_AppSession` cookie binding the login to
//!    that browser (`meta` is its SHA-256).
//! 2. The login page lists the application's identity providers (`allowed_idps`; with
//!    `auto_redirect_to_identity` and one provider it is skipped). Choosing one sends the
//!    browser to the provider with `state`, `nonce` and a PKCE challenge ([`oidc`]; GitHub's
//!    OAuth flow, [`github`], has no nonce); those and
//!    the login's target are sealed ([`sealed`]) in a cookie for this login only
//!    (`CF_Login_<hash of state>`, path `/cdn-cgi/access/callback`).
//! 3. The provider returns to `<auth_domain>/cdn-cgi/access/callback`, the one redirect URI every
//!    provider is registered with. The state must match that cookie; the code is exchanged and
//!    the ID token verified (for GitHub: the person, their primary address, organizations and
//!    teams read from its API); an address the provider says is unverified is refused. The
//!    person's identity is stored server-side, and the browser is sent to
//!    `<app host>/cdn-cgi/access/authorized` with a sealed hand-off valid for a minute.
//! 4. `authorized` checks the hand-off against the `CF_AppSession` cookie, evaluates the
//!    application's policies for the person, sets the application's `CF_Authorization` (a JWT
//!    signed with the account's keys) and sends the browser to `redirect_url`, which is always
//!    a path on the application's host (no open redirect).
//!
//! The auth domain and the application are reached with the scheme (TLS or not) and the port
//! the browser used, so one gateway listener serves both. Requests that are not top-level
//! browser navigations (`Accept` without `text/html`, `X-Requested-With`, methods other than
//! GET and HEAD) are never redirected: they get the usual 401/403.

mod cookies;
pub(crate) mod github;
mod idp;
pub mod mail;
pub(crate) mod oidc;
pub(crate) mod pages;
pub(crate) mod pin;
pub(crate) mod sealed;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::{ACCEPT, CACHE_CONTROL, LOCATION, SET_COOKIE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub(crate) use cookies::{clear as clear_cookie, get as cookie, set as set_cookie};
pub(crate) use idp::{Github, Idp, Oidc, Protocol};
pub(crate) use pages::page;
pub(crate) use pin::PinLogin;

use crate::body::{self, Body};
use crate::route::{bare_host, host};
use crate::snapshot::App;

pub(crate) const LOGIN_PREFIX: &str = "/cdn-cgi/access/login/";
pub(crate) const CALLBACK_PATH: &str = "/cdn-cgi/access/callback";
pub(crate) const AUTHORIZED_PATH: &str = "/cdn-cgi/access/authorized";
pub(crate) const LOGOUT_PATH: &str = "/cdn-cgi/access/logout";
/// Binds a login to the browser that started it, on the application's host.
pub(crate) const APP_SESSION_COOKIE: &str = "CF_AppSession";
/// One state cookie per login: this prefix and 16 hex digits of the state's SHA-256.
const STATE_COOKIE_PREFIX: &str = "CF_Login_";
/// How long a login may take, from the first redirect to the callback.
pub(crate) const LOGIN_SECS: i64 = 600;
/// How long the hand-off from the auth domain to the application is good for.
pub(crate) const HANDOFF_SECS: i64 = 60;
const MAX_REDIRECT_LEN: usize = 2048;

/// What the state cookie holds, sealed.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct LoginState {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub idp: String,
    pub aud: String,
    /// The application host, without port.
    pub host: String,
    pub redirect_url: String,
    /// SHA-256 (hex) of the `CF_AppSession` cookie.
    pub binding: String,
}

/// Where a login goes once the person is known: the application and the page they asked for,
/// bound to the browser that started it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LoginTarget {
    pub aud: String,
    /// The application host, without port.
    pub host: String,
    pub redirect_url: String,
    /// SHA-256 (hex) of the `CF_AppSession` cookie.
    pub binding: String,
}

/// What the auth domain hands to the application host, sealed.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Handoff {
    pub aud: String,
    pub host: String,
    pub redirect_url: String,
    pub binding: String,
    /// Lowercase.
    pub email: String,
    pub identity_nonce: String,
    pub idp: String,
    pub idp_type: String,
    /// When the provider's login completed.
    pub iat: i64,
    /// The person's sessions generation the login read as it stored the person's identity
    /// (`User::revoke_sessions`): sealed into the session the hand-off leads to.
    #[serde(default)]
    pub sessions_generation: u64,
}

/// True for a top-level browser navigation, the only kind of request sent to a login page.
pub(crate) fn is_navigation(method: &Method, headers: &HeaderMap) -> bool {
    let html = headers.get_all(ACCEPT).iter().any(|v| v.to_str().is_ok_and(|v| v.contains("text/html")));
    (method == Method::GET || method == Method::HEAD) && html && !headers.contains_key("x-requested-with")
}

/// The 302 to the auth domain's login for `app`, setting the `CF_AppSession` binding cookie;
/// `None` when the request has no usable host.
pub(crate) fn redirect_to_login(app: &App, parts: &Parts, tls: bool) -> Option<Response<Body>> {
    let request_host = host(&parts.uri, &parts.headers)?;
    let app_host = bare_host(request_host).to_ascii_lowercase();
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let binding = random_token();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("kid", &app.aud)
        .append_pair("redirect_url", target)
        .append_pair("meta", &sha256_hex(&binding))
        .finish();
    let location = format!(
        "{}{LOGIN_PREFIX}{app_host}?{query}",
        origin_for(tls, request_host, &app.account.auth_domain)
    );
    let cookie = set_cookie(APP_SESSION_COOKIE, &binding, "/", LOGIN_SECS, tls)?;
    redirect(&location, [cookie])
}

/// A 302 to `location`, with cookies set; never cached.
pub(crate) fn redirect(
    location: &str,
    cookies: impl IntoIterator<Item = HeaderValue>,
) -> Option<Response<Body>> {
    let mut response = Response::new(body::full(String::new()));
    *response.status_mut() = StatusCode::FOUND;
    let headers = response.headers_mut();
    headers.insert(LOCATION, HeaderValue::try_from(location).ok()?);
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for cookie in cookies {
        headers.append(SET_COOKIE, cookie);
    }
    Some(response)
}

/// `scheme://host[:port]` for `host`, with the scheme of this connection and the port the
/// client addressed in `request_host` (none when it gave none).
pub(crate) fn origin_for(tls: bool, request_host: &str, host: &str) -> String {
    let scheme = if tls { "https" } else { "http" };
    let port = request_host
        .rsplit_once(':')
        .map(|(_, port)| port)
        .filter(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
    match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    }
}

/// A path on the same host: starts with one `/`, no `\`, no control characters. Anything else
/// (`//evil.example`, `https://…`, `/\evil`) could leave the application.
pub(crate) fn is_local_path(url: &str) -> bool {
    url.len() <= MAX_REDIRECT_LEN
        && url.starts_with('/')
        && !url.starts_with("//")
        && !url.contains('\\')
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The first value of `name` in the request's query.
pub(crate) fn query_param(parts: &Parts, name: &str) -> Option<String> {
    let query = parts.uri.query()?;
    form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// The state cookie's name for `state`.
pub(crate) fn state_cookie_name(state: &str) -> String {
    format!("{STATE_COOKIE_PREFIX}{}", &sha256_hex(state)[..16])
}

pub(crate) fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// 256 random bits, base64url.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    gatehouse_domain::random_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_the_same_host_are_redirect_targets() {
        for good in ["/", "/a/b?c=d", "/x#frag"] {
            assert!(is_local_path(good), "{good}");
        }
        for bad in
            ["", "//evil.example/", "https://evil.example/", "/\\evil.example", "evil", "/a b", "/\r\nx"]
        {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn origins_keep_the_scheme_and_the_port_the_client_used() {
        assert_eq!(origin_for(false, "app.localhost:8080", "team.localhost"), "http://team.localhost:8080");
        assert_eq!(origin_for(true, "app.example.com", "team.example.com"), "https://team.example.com");
        assert_eq!(origin_for(true, "[::1]", "team.example.com"), "https://team.example.com");
    }

    #[test]
    fn navigations_are_browser_gets_for_html() {
        let mut headers = HeaderMap::new();
        assert!(!is_navigation(&Method::GET, &headers));
        headers.insert(ACCEPT, HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(is_navigation(&Method::GET, &headers));
        assert!(!is_navigation(&Method::POST, &headers));
        headers.insert("x-requested-with", HeaderValue::from_static("XMLHttpRequest"));
        assert!(!is_navigation(&Method::GET, &headers));
    }
}
