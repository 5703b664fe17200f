//! Who is calling: `Authorization: Bearer <api token>`, or the legacy `X-Auth-Email` +
//! `X-Auth-Key` pair. Credentials are looked up by their keyed hash (under a previous server key
//! too, during a rotation of the key); the value itself is never logged or echoed.
//! [`Caller::authorize`] then checks the account in the path and whether the credential may
//! write.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use gatehouse_api_types::Message;
use gatehouse_domain::{AccountId, ApiToken, ApiTokenKind, HashPurpose, Permission, Secret};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Who is calling the management API's operations, authenticated: an API token (the v4 API's
/// only credential), or a person logged into the dashboard through an identity provider.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: AccountId,
    /// What the caller may do: writes need [`Permission::Edit`].
    pub permission: Permission,
    pub acting_as: ActingAs,
    /// The TCP peer, when the server passes it (`ConnectInfo`), for the audit log.
    pub ip: Option<std::net::IpAddr>,
}

/// The credential or person behind a [`Caller`], as the audit log names it.
#[derive(Debug, Clone)]
pub enum ActingAs {
    ApiToken(ApiToken),
    /// A person who logged into the dashboard through one of the account's identity providers,
    /// admitted by the dashboard's login setting (which also decided the permission).
    Person {
        /// Lowercase.
        email: String,
        /// The identity provider's id.
        idp: String,
    },
}

/// Whether a route reads or changes state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Caller {
    /// A caller acting with `token` (already authenticated, by [`authenticate_bearer`] or a
    /// dashboard session).
    pub fn acting(token: ApiToken, ip: Option<std::net::IpAddr>) -> Caller {
        Caller::new(token.account_id.clone(), token.permission, ActingAs::ApiToken(token), ip)
    }

    /// A person of `account` acting with `permission`, already authenticated by an identity
    /// provider and admitted by the dashboard; the audit log names them by `email`.
    pub fn person(
        account: AccountId,
        permission: Permission,
        email: String,
        idp: String,
        ip: Option<std::net::IpAddr>,
    ) -> Caller {
        Caller::new(account, permission, ActingAs::Person { email, idp }, ip)
    }

    fn new(
        account_id: AccountId,
        permission: Permission,
        acting_as: ActingAs,
        ip: Option<std::net::IpAddr>,
    ) -> Caller {
        Caller { account_id, permission, acting_as, ip }
    }

    /// Who acts, as the audit log records it (every change an operation makes carries it).
    pub fn actor(&self) -> gatehouse_domain::AuditActor {
        crate::audit::actor(self)
    }

    /// Checks that the credential belongs to the account in the path and may do `access`.
    pub fn authorize(&self, account: &str, access: Access) -> Result<AccountId, ApiError> {
        let account =
            AccountId::parse(account).map_err(|_| ApiError::no_route(&format!("/accounts/{account}")))?;
        if self.account_id != account {
            return Err(ApiError::new(ErrorCode::AuthenticationError, "Authentication error"));
        }
        if access == Access::Write && !self.permission.allows_writes() {
            return Err(ApiError::new(ErrorCode::Unauthorized, "Unauthorized to access requested resource"));
        }
        Ok(account)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let presented = presented_credential(&parts.headers)?;
        let (secret, email) = match presented {
            Presented::Bearer(secret) => (secret, None),
            Presented::GlobalKey { email, key } => (key, Some(email)),
        };
        let found = find(state, &secret).await?;
        let now = state.clock.now();
        let token = match (found, email) {
            (Some(token), None) if token.kind == ApiTokenKind::Bearer && token.status(now) == "active" => {
                token
            }
            (Some(token), Some(email)) if matches_email(&token, &email) && token.status(now) == "active" => {
                token
            }
            (_, None) => {
                return Err(ApiError::new(ErrorCode::AuthenticationError, "Authentication error")
                    .with_status(StatusCode::UNAUTHORIZED));
            }
            (_, Some(_)) => {
                return Err(ApiError::new(ErrorCode::UnknownAuthKey, "Unknown X-Auth-Key or X-Auth-Email"));
            }
        };
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|axum::extract::ConnectInfo(peer)| peer.ip());
        Ok(Caller::acting(token, ip))
    }
}

/// The active bearer API token whose value is `secret`, or `None` (unknown, disabled, expired,
/// or a legacy global key): the check the `Authorization: Bearer` header gets, for a token
/// presented another way (the dashboard's login form).
pub async fn authenticate_bearer(state: &AppState, secret: &Secret) -> Result<Option<ApiToken>, ApiError> {
    let now = state.clock.now();
    Ok(find(state, secret)
        .await?
        .filter(|token| token.kind == ApiTokenKind::Bearer && token.status(now) == "active"))
}

/// The token stored with the hash of `secret`: under the current server key, else (during a
/// rotation of the server key) under each previous key, in which case the stored hash moves to
/// the current key at once.
async fn find(state: &AppState, secret: &Secret) -> Result<Option<ApiToken>, ApiError> {
    let hash = state.key.hash(HashPurpose::ApiToken, secret);
    if let Some(token) = state.store.find_api_token(&hash).await? {
        return Ok(Some(token));
    }
    for old in state.key.previous_hashes(HashPurpose::ApiToken, secret) {
        let Some(mut token) = state.store.find_api_token(&old).await? else { continue };
        match state.store.rehash_api_token(&token.id, &old, &hash).await {
            Ok(_) => token.hash = hash,
            // The token is valid either way; the move is tried again at its next use.
            Err(error) => {
                tracing::warn!(token = %token.id, %error, "could not store an API token's hash under the current key");
            }
        }
        return Ok(Some(token));
    }
    Ok(None)
}

fn matches_email(token: &ApiToken, email: &str) -> bool {
    matches!(&token.kind, ApiTokenKind::GlobalKey { email: stored } if stored.eq_ignore_ascii_case(email.trim()))
}

/// The credential a request carries, before it is looked up.
#[derive(Debug)]
pub enum Presented {
    Bearer(Secret),
    GlobalKey { email: String, key: Secret },
}

/// Reads the credential headers, refusing missing and malformed ones as Cloudflare does.
pub fn presented_credential(headers: &HeaderMap) -> Result<Presented, ApiError> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        return parse_bearer(value.as_bytes()).map(Presented::Bearer).ok_or_else(malformed_authorization);
    }
    let email = headers.get("x-auth-email").and_then(|v| v.to_str().ok()).map(str::trim);
    let key = headers.get("x-auth-key").and_then(|v| v.to_str().ok()).map(str::trim);
    match (email, key) {
        (Some(email), Some(key)) if !email.is_empty() && !key.is_empty() => {
            Ok(Presented::GlobalKey { email: email.to_owned(), key: Secret::new(key.to_owned()) })
        }
        _ => Err(ApiError::new(
            ErrorCode::MissingAuth,
            "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
        )),
    }
}

fn malformed_authorization() -> ApiError {
    ApiError::new(ErrorCode::InvalidRequestHeaders, "Invalid request headers")
        .with_chain(vec![Message::new(6111, "Invalid format for Authorization header")])
}

/// `Bearer <token>`: one scheme word, one space, a token of visible ASCII without quotes.
fn parse_bearer(value: &[u8]) -> Option<Secret> {
    let value = std::str::from_utf8(value).ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token_ok = !token.is_empty()
        && token.len() <= 512
        && token.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'');
    (scheme.eq_ignore_ascii_case("bearer") && token_ok).then(|| Secret::new(token.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn reads_bearer_tokens() {
        let Presented::Bearer(secret) =
            presented_credential(&headers(&[("authorization", "Bearer abc_123")])).unwrap()
        else {
            panic!("expected a bearer token");
        };
        assert_eq!(secret.expose(), "abc_123");
    }

    #[test]
    fn refuses_malformed_authorization_with_6003_and_6111() {
        for value in
            ["Bearer", "Bearer ", "Bearer  two", "Bearer \"quoted\"", "Basic abc def", "Token abc", "abc"]
        {
            let error = presented_credential(&headers(&[("authorization", value)])).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidRequestHeaders, "{value:?}");
            assert_eq!(error.chain[0].code, 6111);
        }
    }

    #[test]
    fn missing_credentials_are_9106() {
        let error = presented_credential(&HeaderMap::new()).unwrap_err();
        assert_eq!(error.code, ErrorCode::MissingAuth);
        let only_email = presented_credential(&headers(&[("x-auth-email", "a@example.com")])).unwrap_err();
        assert_eq!(only_email.code, ErrorCode::MissingAuth);
    }

    #[test]
    fn reads_the_legacy_pair() {
        let presented =
            presented_credential(&headers(&[("x-auth-email", "ops@example.com"), ("x-auth-key", "k3y")]))
                .unwrap();
        assert!(matches!(presented, Presented::GlobalKey { ref email, .. } if email == "ops@example.com"));
    }
}
