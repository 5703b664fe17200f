//! Stage 2: what credentials a request presents, in this order:
//! 1. `CF-Access-Client-Id` + `CF-Access-Client-Secret` (header names are case-insensitive);
//!    one without the other, or either one repeated, is malformed — never guessed at;
//! 2. the application's `read_service_tokens_from_header` header, holding
//!    `{"cf-access-client-id": …, "cf-access-client-secret": …}` (exactly these lowercase keys);
//! 3. a session JWT this gateway issued: the `cf-access-token` header or the `CF_Authorization`
//!    cookie — only where sessions count (non-strict mode, an application with an allow policy).

use gatehouse_domain::Secret;
use http::HeaderMap;
use http::header::{COOKIE, HeaderName};
use serde::Deserialize;

use crate::deny::Denial;

pub(crate) const CLIENT_ID: HeaderName = HeaderName::from_static("cf-access-client-id");
pub(crate) const CLIENT_SECRET: HeaderName = HeaderName::from_static("cf-access-client-secret");
pub(crate) const TOKEN_HEADER: HeaderName = HeaderName::from_static("cf-access-token");
pub(crate) const SESSION_COOKIE: &str = "CF_Authorization";

const MAX_SECRET_LEN: usize = 512;
const MAX_CLIENT_ID_LEN: usize = 128;

/// The credentials of a request.
#[derive(Debug)]
pub(crate) enum Presented {
    None,
    ServiceToken {
        client_id: String,
        secret: Secret,
    },
    /// A JWT, not yet verified.
    Session(String),
}

/// The single-header form. Field names are exact: `CF-Access-Client-Id` does not count.
#[derive(Deserialize)]
struct JsonCredentials {
    #[serde(rename = "cf-access-client-id")]
    client_id: String,
    #[serde(rename = "cf-access-client-secret")]
    client_secret: String,
}

pub(crate) fn read(
    headers: &HeaderMap,
    token_header: Option<&HeaderName>,
    sessions: bool,
) -> Result<Presented, Denial> {
    if let Some(pair) = header_pair(headers)? {
        return Ok(pair);
    }
    if let Some(name) = token_header
        && let Some(value) = single(headers, name)?
    {
        let parsed: JsonCredentials =
            serde_json::from_slice(value).map_err(|_| Denial::MalformedCredentials)?;
        let JsonCredentials { client_id, client_secret } = parsed;
        return service_token(client_id.as_bytes(), Secret::new(client_secret));
    }
    if sessions {
        if let Some(value) = single(headers, &TOKEN_HEADER)? {
            return jwt(value).map(Presented::Session).ok_or(Denial::InvalidSession);
        }
        if let Some(value) = session_cookie(headers) {
            return jwt(value.as_bytes()).map(Presented::Session).ok_or(Denial::InvalidSession);
        }
    }
    Ok(Presented::None)
}

fn header_pair(headers: &HeaderMap) -> Result<Option<Presented>, Denial> {
    let id = single(headers, &CLIENT_ID);
    let secret = single(headers, &CLIENT_SECRET);
    match (id?, secret?) {
        (None, None) => Ok(None),
        (Some(id), Some(secret)) => {
            let secret = std::str::from_utf8(secret).map_err(|_| Denial::MalformedCredentials)?;
            service_token(id, Secret::new(secret.to_owned())).map(Some)
        }
        _ => Err(Denial::MalformedCredentials),
    }
}

fn service_token(client_id: &[u8], secret: Secret) -> Result<Presented, Denial> {
    let client_id = std::str::from_utf8(client_id).map_err(|_| Denial::MalformedCredentials)?.trim();
    let secret_ok = !secret.expose().is_empty() && secret.expose().len() <= MAX_SECRET_LEN;
    let id_ok = !client_id.is_empty() && client_id.len() <= MAX_CLIENT_ID_LEN;
    if !(secret_ok && id_ok) {
        return Err(Denial::MalformedCredentials);
    }
    Ok(Presented::ServiceToken { client_id: client_id.to_owned(), secret })
}

/// For the access log: whether service-token credentials were presented (malformed ones
/// count), and the client id when one was sent in a printable form. Never the secret.
pub(crate) fn describe(presented: &Result<Presented, Denial>) -> (bool, Option<String>) {
    match presented {
        Ok(Presented::None) => (false, None),
        Ok(Presented::ServiceToken { client_id, .. }) => {
            let printable = client_id.bytes().all(|b| b.is_ascii_graphic());
            (true, printable.then(|| client_id.clone()))
        }
        Ok(Presented::Session(_)) | Err(_) => (true, None),
    }
}

/// The one value of `name`; a repeated header is malformed.
fn single<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Result<Option<&'h [u8]>, Denial> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(Denial::MalformedCredentials);
    }
    Ok(Some(first.as_bytes()))
}

/// The first `CF_Authorization` cookie of any `Cookie` header.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim_matches('"'))
}

/// Three base64url parts separated by dots; anything else is not worth verifying.
fn jwt(value: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let shaped = text.len() <= 8192
        && text.split('.').count() == 3
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    shaped.then(|| text.to_owned())
}

#[cfg(test)]
mod tests;
