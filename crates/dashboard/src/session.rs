//! Server-side sessions. The browser holds only a random session id in a
//! `__Host-gatehouse_session` cookie (`Secure`, `HttpOnly`, `SameSite=Strict`, `Path=/`); the
//! server keeps, under the SHA-256 of that id, who is logged in ([`Principal`]) and when the
//! session started and was last used. A session ends at logout, after
//! [`SessionSettings::idle_secs`] without a request, after [`SessionSettings::absolute_secs`]
//! whatever happens, and as soon as its API token stops being active.
//!
//! A login through an identity provider (`people_login`) creates its session with
//! [`Sessions::start`] and a [`Principal::Person`]; [`Operator`] resolves it, deciding the
//! person's permission again at every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_api::ApiError;
use gatehouse_api::auth::{Access, Caller};
use gatehouse_domain::access::Identity;
use gatehouse_domain::{AccountId, ApiToken, Clock, Permission, SecretHash, Timestamp};
use sha2::{Digest, Sha256};

use crate::Dash;

/// The session cookie. `__Host-` makes the browser refuse it unless it is `Secure`, has
/// `Path=/` and no `Domain`: no sibling host can set or read it.
pub const COOKIE: &str = "__Host-gatehouse_session";
/// More live sessions than this and the oldest are ended (a bound on memory).
const MAX_SESSIONS: usize = 10_000;

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    /// Ends a session this long after its last request.
    pub idle_secs: u64,
    /// Ends a session this long after login, however active.
    pub absolute_secs: u64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings { idle_secs: 30 * 60, absolute_secs: 12 * 3600 }
    }
}

/// Who a session acts for.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A management API token pasted at login; held by its keyed hash, looked up again at every
    /// request so that disabling or deleting the token ends the session.
    ApiToken(SecretHash),
    /// A person of `account` who logged in through the identity provider `idp` and was
    /// admitted with `permission` (read-only or full); the audit log names them by `email`.
    /// `identity` is what that login established (claims, `amr`), which the admission policies
    /// are evaluated with again at every request.
    Person {
        account: AccountId,
        email: String,
        idp: String,
        permission: Permission,
        identity: Option<Arc<Identity>>,
    },
}

#[derive(Debug)]
struct Session {
    principal: Principal,
    started_at: Timestamp,
    last_seen_at: Timestamp,
}

/// The live sessions of this process.
#[derive(Debug)]
pub struct Sessions {
    clock: Arc<dyn Clock>,
    settings: SessionSettings,
    live: Mutex<HashMap<[u8; 32], Session>>,
}

/// A new session's id, to be sent once in its cookie.
#[derive(Debug)]
pub struct SessionId(String);

impl Sessions {
    pub fn new(clock: Arc<dyn Clock>, settings: SessionSettings) -> Self {
        Sessions { clock, settings, live: Mutex::new(HashMap::new()) }
    }

    /// Starts a session for `principal` under a fresh random id (never one the browser chose).
    ///
    /// Fails when the operating system's random source does: without it no session id can be
    /// made safely, so no session is started.
    pub fn start(&self, principal: Principal) -> Result<SessionId, getrandom::Error> {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw)?;
        let id = URL_SAFE_NO_PAD.encode(raw);
        let now = self.clock.now();
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.retain(|_, session| self.alive(session, now));
        if live.len() >= MAX_SESSIONS
            && let Some(oldest) = live.iter().min_by_key(|(_, s)| s.started_at).map(|(k, _)| *k)
        {
            live.remove(&oldest);
        }
        live.insert(key(&id), Session { principal, started_at: now, last_seen_at: now });
        Ok(SessionId(id))
    }

    /// The principal of a live session, marking it used; `None` when unknown or timed out.
    pub fn resume(&self, id: &str) -> Option<Principal> {
        let now = self.clock.now();
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        let key = key(id);
        let session = live.get_mut(&key)?;
        if !self.alive(session, now) {
            live.remove(&key);
            return None;
        }
        session.last_seen_at = now;
        Some(session.principal.clone())
    }

    /// Changes the permission of a person's session (the admission policies changed).
    pub fn set_permission(&self, id: &str, permission: Permission) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(Session { principal: Principal::Person { permission: held, .. }, .. }) =
            live.get_mut(&key(id))
        {
            *held = permission;
        }
    }

    pub fn end(&self, id: &str) {
        self.live.lock().unwrap_or_else(PoisonError::into_inner).remove(&key(id));
    }

    fn alive(&self, session: &Session, now: Timestamp) -> bool {
        now < session.last_seen_at.saturating_add_secs(self.settings.idle_secs)
            && now < session.started_at.saturating_add_secs(self.settings.absolute_secs)
    }

    /// The `Set-Cookie` value that gives the browser `id`.
    pub fn cookie(&self, id: &SessionId) -> String {
        format!(
            "{COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={}",
            id.0, self.settings.absolute_secs
        )
    }
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie() -> String {
    format!("{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// The session id the request's cookie carries.
pub fn presented(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE)
}

/// The value of the first cookie named `name` the request carries.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_owned())
}

/// The logged-in operator of a request. Without a live session the request is sent to the login
/// page.
#[derive(Debug, Clone)]
pub struct Operator {
    pub account: AccountId,
    pub permission: Permission,
    pub who: Who,
    pub ip: Option<std::net::IpAddr>,
}

/// The credential or person behind an [`Operator`].
#[derive(Debug, Clone)]
pub enum Who {
    ApiToken(ApiToken),
    Person { email: String, idp: String },
}

impl Operator {
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// The name the pages show: the API token's, or the person's e-mail address.
    pub fn name(&self) -> &str {
        match &self.who {
            Who::ApiToken(token) => &token.name,
            Who::Person { email, .. } => email,
        }
    }

    /// Whether the credential may change things (the pages hide write controls otherwise; the
    /// operations refuse anyway).
    pub fn can_write(&self) -> bool {
        self.permission.allows_writes()
    }

    /// The API caller this operator acts as, with the API's permission check for `access`.
    pub fn caller(&self, access: Access) -> Result<(Caller, AccountId), ApiError> {
        let caller = match &self.who {
            Who::ApiToken(token) => Caller::acting(token.clone(), self.ip),
            Who::Person { email, idp } => {
                Caller::person(self.account.clone(), self.permission, email.clone(), idp.clone(), self.ip)
            }
        };
        let account = caller.authorize(self.account.as_str(), access)?;
        Ok((caller, account))
    }
}

impl FromRequestParts<Dash> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, dash: &Dash) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/dash/login").into_response();
        let id = presented(&parts.headers).ok_or_else(to_login)?;
        let principal = dash.sessions.resume(&id).ok_or_else(to_login)?;
        let ip = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|ConnectInfo(a)| a.ip());
        let hash = match principal {
            Principal::ApiToken(hash) => hash,
            Principal::Person { account, email, idp, permission, identity } => {
                let peer = crate::people_login::peer(&parts.extensions);
                let now = crate::people_login::recheck(dash, &email, &idp, identity.as_deref(), peer).await;
                let permission = match now {
                    Ok(Some(now)) if now == permission => now,
                    Ok(Some(now)) => {
                        tracing::info!(%email, ?now, "dashboard: a person's permission changed with the admission policies");
                        dash.sessions.set_permission(&id, now);
                        now
                    }
                    Ok(None) => {
                        tracing::info!(%email, "dashboard: a person is no longer admitted; session ended");
                        dash.sessions.end(&id);
                        return Err(to_login());
                    }
                    Err(error) => return Err(crate::error::Failure::from(error).into_response()),
                };
                return Ok(Operator { account, permission, who: Who::Person { email, idp }, ip });
            }
        };
        let now = dash.api.clock.now();
        let token = match dash.api.store.find_api_token(&hash).await {
            Ok(Some(token)) if token.status(now) == "active" => token,
            Ok(_) => {
                dash.sessions.end(&id);
                return Err(to_login());
            }
            Err(error) => return Err(crate::error::Failure::from(ApiError::from(error)).into_response()),
        };
        Ok(Operator {
            account: token.account_id.clone(),
            permission: token.permission,
            who: Who::ApiToken(token),
            ip,
        })
    }
}

#[cfg(test)]
mod tests {
    use gatehouse_domain::ManualClock;

    use super::*;

    fn hash() -> SecretHash {
        let key = gatehouse_domain::ServerKey::generate();
        key.hash(gatehouse_domain::HashPurpose::ApiToken, &gatehouse_domain::Secret::new("t".repeat(40)))
    }

    #[test]
    fn sessions_end_when_idle_and_after_the_absolute_limit() {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix(1_000)));
        let sessions = Sessions::new(clock.clone(), SessionSettings { idle_secs: 10, absolute_secs: 25 });
        let id = sessions.start(Principal::ApiToken(hash())).unwrap();
        for t in [1_009, 1_018, 1_024] {
            clock.set(Timestamp::from_unix(t));
            assert!(sessions.resume(&id.0).is_some(), "active at {t}");
        }
        clock.set(Timestamp::from_unix(1_025));
        assert!(sessions.resume(&id.0).is_none(), "absolute limit");

        let idle = sessions.start(Principal::ApiToken(hash())).unwrap();
        clock.set(Timestamp::from_unix(1_035));
        assert!(sessions.resume(&idle.0).is_none(), "idle limit");
    }

    #[test]
    fn logout_ends_the_session_and_ids_are_not_guessable() {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix(1_000)));
        let sessions = Sessions::new(clock, SessionSettings::default());
        let a = sessions.start(Principal::ApiToken(hash())).unwrap();
        let b = sessions.start(Principal::ApiToken(hash())).unwrap();
        assert_ne!(a.0, b.0);
        assert_eq!(a.0.len(), 43, "256 random bits");
        sessions.end(&a.0);
        assert!(sessions.resume(&a.0).is_none());
        assert!(sessions.resume(&b.0).is_some());
        assert!(sessions.resume("made-up").is_none());
    }

    #[test]
    fn the_cookie_is_host_only_secure_http_only_and_strict() {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix(1_000)));
        let sessions = Sessions::new(clock, SessionSettings::default());
        let cookie = sessions.cookie(&sessions.start(Principal::ApiToken(hash())).unwrap());
        assert!(cookie.starts_with("__Host-gatehouse_session="));
        for part in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
            assert!(cookie.contains(part), "{cookie}");
        }
        assert!(!cookie.contains("Domain"));
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "other=1; __Host-gatehouse_session=abc".parse().unwrap());
        assert_eq!(presented(&headers).as_deref(), Some("abc"));
    }
}
