//! The gateway's own endpoints, on any host:
//! - `/cdn-cgi/access/certs` (spec §5.7): the signing keys of one account as JWKs and
//!   self-signed certificates, the previous key (while it is still accepted) first. The account
//!   is that of the application matching the host, else the one whose `auth_domain` is the
//!   host, else the first account.
//! - `/cdn-cgi/access/get-identity` (spec §5.8): the identity behind a valid session JWT
//!   (`CF_Authorization` cookie or `cf-access-token` header), in the shape proposed for service
//!   tokens; a person's session is answered by the gateway (`gateway/login.rs`). Anything else
//!   is 401.
//!
//! `get-identity` and `logout` answer for an application of the request's host (the one of
//! them the JWT names, [`host_session`]), never for an application on another host: a JWT of
//! another host's application is refused there, whatever its signature.

use std::net::IpAddr;
use std::sync::Arc;

use gatehouse_domain::Timestamp;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::request::Parts;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::body::{self, Body};
use crate::credentials::{self, Presented};
use crate::deny::{self, wants_json};
use crate::route::{CERTS_PATH, bare_host, host};
use crate::session::{AppClaims, Sessions, Subject};
use crate::snapshot::{AccessSnapshot, AccountSettings, App, TokenSnapshot};

pub(crate) fn certs(snapshot: &AccessSnapshot, parts: &Parts, now: Timestamp) -> Response<Body> {
    let Some(account) = account_for(snapshot, parts) else {
        return deny::render(StatusCode::NOT_FOUND, wants_json(&parts.headers));
    };
    let published = account.keys.published(now);
    let keys: Vec<&Value> = published.iter().map(|k| &k.jwk).collect();
    let certs: Vec<Value> = published.iter().map(|k| json!({"kid": k.kid, "cert": k.cert_pem})).collect();
    let current = &account.keys.current;
    let document = json!({
        "keys": keys,
        "public_cert": {"kid": current.kid, "cert": current.cert_pem},
        "public_certs": certs,
    });
    json_response(StatusCode::OK, &document)
}

fn account_for<'s>(snapshot: &'s AccessSnapshot, parts: &Parts) -> Option<&'s Arc<AccountSettings>> {
    let host = host(&parts.uri, &parts.headers);
    if let Some(app) = host.and_then(|h| snapshot.routes.lookup(h, CERTS_PATH)) {
        return Some(&app.account);
    }
    if let Some(account) = host.and_then(|h| snapshot.account_by_auth_domain(bare_host(h))) {
        return Some(account);
    }
    snapshot.accounts.first().map(|a| &a.settings)
}

pub(crate) fn identity(
    snapshot: &AccessSnapshot,
    tokens: &TokenSnapshot,
    sessions: &Sessions,
    parts: &Parts,
    peer: IpAddr,
    now: Timestamp,
) -> Response<Body> {
    match identity_document(snapshot, tokens, sessions, parts, peer, now) {
        Some(document) => json_response(StatusCode::OK, &document),
        None => deny::render(StatusCode::UNAUTHORIZED, wants_json(&parts.headers)),
    }
}

fn identity_document(
    snapshot: &AccessSnapshot,
    tokens: &TokenSnapshot,
    sessions: &Sessions,
    parts: &Parts,
    peer: IpAddr,
    now: Timestamp,
) -> Option<Value> {
    let HostSession::Presented(app, jwt) = host_session(snapshot, parts) else { return None };
    if app.account.strict {
        return None;
    }
    let session = sessions.verify(&app, &jwt, now).ok()?;
    let Subject::Token(client_id) = session.subject else { return None };
    tokens.alive(&client_id, &app.account.id, now).ok()?;
    Some(json!({
        "account_id": app.account.id.as_str(),
        "common_name": client_id,
        "service_token_id": client_id,
        "service_token_status": true,
        "email": "",
        "user_uuid": "",
        "ip": peer.to_canonical().to_string(),
        "iat": session.iat,
        "auth_status": "NONE",
        "is_warp": false,
        "is_gateway": false,
        "version": 2,
    }))
}

/// The session JWT a request to one of the gateway's endpoints presents, against the
/// application of the request's host.
#[derive(Debug)]
pub(crate) enum HostSession {
    /// No session credential, or one that is not a JWT.
    Absent,
    /// A JWT whose audience is none of the host's applications (or the host serves none).
    OtherApp,
    /// A JWT whose audience is one of the host's applications; its signature is not checked yet.
    Presented(Arc<App>, String),
}

/// The application of the request's host that the session JWT the request presents is for:
/// among the applications whose `domain` (or a destination) has the request's host, whatever
/// their paths, the one the JWT's `aud` names. The endpoint's own path (`/cdn-cgi/access/…`)
/// is not routed: on a host whose applications each cover some paths (`example.com/admin`,
/// `example.com/reports`) it belongs to none of them. A JWT naming no application of the host
/// (or a host serving none) is [`HostSession::OtherApp`] (and logged).
pub(crate) fn host_session(snapshot: &AccessSnapshot, parts: &Parts) -> HostSession {
    let Ok(Presented::Session(jwt)) = credentials::read(&parts.headers, None, true) else {
        return HostSession::Absent;
    };
    let Ok(unverified) = jsonwebtoken::dangerous::insecure_decode_claims::<AppClaims>(&jwt) else {
        return HostSession::Absent;
    };
    let app = host(&parts.uri, &parts.headers).and_then(|host| {
        snapshot.routes.find_on_host(host, |app| unverified.aud.iter().any(|aud| *aud == app.aud))
    });
    match app {
        Some(app) => HostSession::Presented(app.clone(), jwt),
        None => {
            tracing::info!(endpoint = parts.uri.path(), "a session JWT was refused: cookie from another app");
            HostSession::OtherApp
        }
    }
}

pub(crate) fn json_response(status: StatusCode, document: &Value) -> Response<Body> {
    let mut response = Response::new(body::full(document.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
