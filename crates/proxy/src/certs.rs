//! The gateway's own endpoints, on any host:
//! - `/cdn-cgi/access/certs` (spec §5.7): the signing keys of one account as JWKs and
//!   self-signed certificates, the previous key (while it is still accepted) first. The account
//!   is that of the application matching the host, else the one whose `auth_domain` is the
//!   host, else the first account.
//! - `/cdn-cgi/access/get-identity` (spec §5.8): the identity behind a valid session JWT
//!   (`CF_Authorization` cookie or `cf-access-token` header), in the shape proposed for service
//!   tokens; a person's session is answered by the gateway (`gateway/login.rs`). Anything else
//!   is 401.

use std::net::IpAddr;

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
use crate::snapshot::{AccessSnapshot, AccountSettings, TokenSnapshot};

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

fn account_for<'s>(
    snapshot: &'s AccessSnapshot,
    parts: &Parts,
) -> Option<&'s std::sync::Arc<AccountSettings>> {
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
    let Ok(Presented::Session(jwt)) = credentials::read(&parts.headers, None, true) else { return None };
    // The audience names the application; the signature is checked right after.
    let unverified = jsonwebtoken::dangerous::insecure_decode_claims::<AppClaims>(&jwt).ok()?;
    let app = unverified.aud.iter().find_map(|aud| snapshot.app_by_aud(aud))?;
    if app.account.strict {
        return None;
    }
    let session = sessions.verify(app, &jwt, now).ok()?;
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

pub(crate) fn json_response(status: StatusCode, document: &Value) -> Response<Body> {
    let mut response = Response::new(body::full(document.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
