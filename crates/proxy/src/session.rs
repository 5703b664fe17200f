//! Application JWTs (spec §5.6): issued for allowed service-token requests as
//! `Cf-Access-Jwt-Assertion` and, where sessions count, as the `CF_Authorization` cookie; issued
//! for a person at the end of a login (`login`) as that cookie; and verified when a client
//! presents one back. A token's JWT names it by `common_name`; a person's carries `email`,
//! `sub` (the person's user id), `identity_nonce`, `nbf`, and gatehouse's `idp` claim
//! (`{"id","type"}` of the identity provider, for `login_method` rules).
//!
//! RS256 signing costs about a millisecond, so a JWT is cached per (token, application) and
//! reused until less than a tenth of its lifetime (at least a minute, at most half of it)
//! remains; a key rotation, a session revocation or a new lifetime makes a new one. Verifying
//! caches the signature check per JWT; the claims, the key's validity and the token's state are
//! checked on every request.
//!
//! An application's revocation (`sessions_revoked_at`) refuses JWTs issued before it.
//! Timestamps are whole seconds, so a JWT issued in the very second of the revocation is
//! ambiguous: only those this gateway issued after it saw the revocation count (a client with
//! any other gets refused and authenticates again with its secret — failing closed). A
//! person's own revocations (`revoke_user`, logout) are told apart by the generation a
//! person's JWT carries instead (`sessions_generation`, `verify::revoked`), the same on every
//! node.

use std::collections::{HashMap, HashSet};

use dashmap::DashMap;
use gatehouse_domain::access::{AppId, IdpId};
use gatehouse_domain::{Timestamp, TokenId};
use http::HeaderValue;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::deny::Denial;
use crate::snapshot::{App, Authenticated};

/// Beyond this many cached entries a cache is emptied (a flood of distinct JWTs must not grow
/// memory without bound); normal traffic never gets near it.
const MAX_VERIFIED: usize = 10_000;
const MAX_ISSUED: usize = 1_000_000;
/// Tolerated clock difference between nodes for `iat`.
const CLOCK_SKEW_SECS: i64 = 60;

/// The claims of an application token (spec §5.6), for a service token or a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AppClaims {
    #[serde(rename = "type")]
    pub kind: String,
    pub aud: Vec<String>,
    pub exp: i64,
    pub iat: i64,
    pub iss: String,
    /// The token's client id (service tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// `""` for a service token; the person's user id.
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<IdpClaim>,
    /// gatehouse's: the person's sessions generation their login read
    /// (`User::revoke_sessions`); absent from sessions issued before generations existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_generation: Option<u64>,
}

/// The identity provider a person logged in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IdpClaim {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// Who a person's new session is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PersonLogin {
    /// Lowercase.
    pub email: String,
    pub user_uuid: String,
    pub identity_nonce: String,
    pub idp: IdpClaim,
    /// The person's sessions generation the login read from the stored document.
    pub generation: u64,
}

/// A JWT issued and still reusable.
#[derive(Debug)]
struct Issued {
    jwt: HeaderValue,
    iat: i64,
    exp: i64,
    kid: String,
}

/// A JWT whose signature checked out.
#[derive(Debug)]
struct Verified {
    kid: String,
    claims: AppClaims,
}

/// A valid session presented by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub subject: Subject,
    pub iat: i64,
}

/// Whose session it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    /// A service token, by client id.
    Token(String),
    Person(PersonSession),
}

/// A person's session, as its JWT says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PersonSession {
    /// Lowercase.
    pub email: String,
    pub user_uuid: String,
    pub identity_nonce: String,
    /// `None` when the claim is missing or malformed (then no `login_method` rule matches).
    pub idp: Option<IdpId>,
    pub exp: i64,
    /// The person's sessions generation sealed in the session (`None` in a session issued
    /// before generations existed).
    pub generation: Option<u64>,
}

/// JWTs by their text, with their expiry.
type JwtExpiries = HashMap<Box<str>, i64>;

/// Issued and verified JWTs.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    /// Keyed by ids this server generated (no client chooses them): a fast hash, not SipHash.
    issued: DashMap<(TokenId, AppId), Issued, rustc_hash::FxBuildHasher>,
    verified: DashMap<Box<str>, Verified>,
    /// Per application: the second its sessions were revoked, and the JWTs issued in that second
    /// after the revocation was seen, with their expiry.
    same_second: DashMap<AppId, (i64, JwtExpiries)>,
}

impl Sessions {
    /// The JWT for `who` at `app` with a `lifetime` in seconds, and its expiry: cached, or
    /// signed now with the account's current key.
    pub fn issue(
        &self,
        app: &App,
        who: &Authenticated,
        lifetime: u64,
        now: Timestamp,
    ) -> Result<(HeaderValue, i64), String> {
        let key = (who.id, app.id);
        let lifetime = i64::try_from(lifetime).unwrap_or(i64::MAX / 4);
        if let Some(hit) = self.issued.get(&key)
            && reusable(&hit, app, lifetime, now.unix())
            && self.survives_revocation_with(app, hit.iat, || hit.jwt.to_str().ok())
        {
            return Ok((hit.jwt.clone(), hit.exp));
        }
        let signing = &app.account.keys.current;
        let iat = now.unix();
        // In the second of a revocation, one second less of life makes the new JWT differ from
        // any issued earlier that second (same claims would sign to the same bytes).
        let revocation_second = app.sessions_revoked_at.map(Timestamp::unix) == Some(iat) && lifetime > 1;
        let claims = AppClaims {
            kind: "app".to_owned(),
            aud: vec![app.aud.clone()],
            exp: iat.saturating_add(lifetime - i64::from(revocation_second)),
            iat,
            iss: app.account.issuer.clone(),
            common_name: Some(who.client_id.clone()),
            sub: String::new(),
            nbf: None,
            email: None,
            identity_nonce: None,
            idp: None,
            sessions_generation: None,
        };
        let jwt = self.sign(app, &claims, revocation_second)?;
        if self.issued.len() >= MAX_ISSUED {
            self.issued.clear();
        }
        let issued = Issued { jwt: jwt.clone(), iat, exp: claims.exp, kid: signing.kid.clone() };
        self.issued.insert(key, issued);
        Ok((jwt, claims.exp))
    }

    /// A new JWT for a person who just logged in to `app`, living `lifetime` seconds, and its
    /// expiry. Never cached: a login happens once per session.
    pub fn issue_person(
        &self,
        app: &App,
        person: &PersonLogin,
        lifetime: u64,
        now: Timestamp,
    ) -> Result<(HeaderValue, i64), String> {
        let lifetime = i64::try_from(lifetime).unwrap_or(i64::MAX / 4);
        let iat = now.unix();
        let revocation_second = app.sessions_revoked_at.map(Timestamp::unix) == Some(iat);
        let claims = AppClaims {
            kind: "app".to_owned(),
            aud: vec![app.aud.clone()],
            exp: iat.saturating_add(lifetime),
            iat,
            iss: app.account.issuer.clone(),
            common_name: None,
            sub: person.user_uuid.clone(),
            nbf: Some(iat),
            email: Some(person.email.clone()),
            identity_nonce: Some(person.identity_nonce.clone()),
            idp: Some(person.idp.clone()),
            sessions_generation: Some(person.generation),
        };
        let jwt = self.sign(app, &claims, revocation_second)?;
        Ok((jwt, claims.exp))
    }

    /// Signs `claims` with the account's current key; in the second of a revocation, the JWT is
    /// remembered as issued after it.
    fn sign(&self, app: &App, claims: &AppClaims, revocation_second: bool) -> Result<HeaderValue, String> {
        let signing = &app.account.keys.current;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(signing.kid.clone());
        header.typ = Some("JWT".to_owned());
        let jwt = jsonwebtoken::encode(&header, claims, &signing.encoding)
            .map_err(|e| format!("signing a JWT: {e}"))?;
        let jwt = HeaderValue::try_from(jwt).map_err(|e| format!("a JWT is not a header value: {e}"))?;
        if revocation_second && let Ok(text) = jwt.to_str() {
            let mut entry = self.same_second.entry(app.id).or_insert_with(|| (claims.iat, HashMap::new()));
            if entry.0 != claims.iat {
                *entry = (claims.iat, HashMap::new());
            }
            entry.1.insert(text.into(), claims.exp);
        }
        Ok(jwt)
    }

    /// Checks a JWT presented for `app`: our signature with the account's current or previous
    /// key, issuer, audience, expiry, and not issued before the application's sessions were
    /// revoked. The caller checks that the token it names is still usable.
    pub fn verify(&self, app: &App, jwt: &str, now: Timestamp) -> Result<Session, Denial> {
        let keys = &app.account.keys;
        let now = now.unix();
        if let Some(known) = self.verified.get(jwt) {
            if keys.verifying(&known.kid, Timestamp::from_unix(now)).is_none() {
                return Err(Denial::InvalidSession);
            }
            let session = check_claims(&known.claims, app, now)?;
            return self.revocation_check(app, session, jwt);
        }
        let header = jsonwebtoken::decode_header(jwt).map_err(|_| Denial::InvalidSession)?;
        let kid = header.kid.ok_or(Denial::InvalidSession)?;
        let key = keys.verifying(&kid, Timestamp::from_unix(now)).ok_or(Denial::InvalidSession)?;
        let claims = jsonwebtoken::decode::<AppClaims>(jwt, &key.decoding, &validation())
            .map_err(|_| Denial::InvalidSession)?
            .claims;
        let session = check_claims(&claims, app, now)?;
        let session = self.revocation_check(app, session, jwt)?;
        if self.verified.len() >= MAX_VERIFIED {
            self.verified.clear();
        }
        self.verified.insert(jwt.into(), Verified { kid, claims });
        Ok(session)
    }

    /// Drops what has expired.
    pub fn sweep(&self, now: Timestamp) {
        let now = now.unix();
        self.issued.retain(|_, issued| issued.exp > now);
        self.verified.retain(|_, verified| verified.claims.exp > now);
        self.same_second.retain(|_, (_, jwts)| {
            jwts.retain(|_, exp| *exp > now);
            !jwts.is_empty()
        });
    }

    fn revocation_check(&self, app: &App, session: Session, jwt: &str) -> Result<Session, Denial> {
        if self.survives_revocation(app, session.iat, jwt) {
            Ok(session)
        } else {
            Err(Denial::InvalidSession)
        }
    }

    /// Whether a JWT issued at `iat` is still good after the application's last revocation.
    fn survives_revocation(&self, app: &App, iat: i64, jwt: &str) -> bool {
        self.survives_revocation_with(app, iat, || Some(jwt))
    }

    /// The same, with the JWT's text asked for only in the second of a revocation (a cached
    /// JWT is a header value: its text is checked byte by byte).
    fn survives_revocation_with<'j>(
        &self,
        app: &App,
        iat: i64,
        jwt: impl FnOnce() -> Option<&'j str>,
    ) -> bool {
        match app.sessions_revoked_at.map(Timestamp::unix) {
            None => true,
            Some(revoked) if iat > revoked => true,
            Some(revoked) if iat == revoked => jwt().is_some_and(|jwt| {
                self.same_second
                    .get(&app.id)
                    .is_some_and(|entry| entry.0 == revoked && entry.1.contains_key(jwt))
            }),
            Some(_) => false,
        }
    }

    #[cfg(test)]
    pub fn issued_len(&self) -> usize {
        self.issued.len()
    }
}

fn reusable(issued: &Issued, app: &App, lifetime: i64, now: i64) -> bool {
    let margin = (lifetime / 10).max(60).min(lifetime / 2);
    issued.kid == app.account.keys.current.kid
        && (issued.exp - issued.iat == lifetime || issued.exp - issued.iat == lifetime - 1)
        && issued.iat <= now
        && issued.exp - now > margin
}

fn check_claims(claims: &AppClaims, app: &App, now: i64) -> Result<Session, Denial> {
    let valid = claims.kind == "app"
        && claims.iss == app.account.issuer
        && claims.aud.contains(&app.aud)
        && claims.exp > now
        && claims.iat <= now + CLOCK_SKEW_SECS
        && claims.nbf.is_none_or(|nbf| nbf <= now + CLOCK_SKEW_SECS);
    if !valid {
        return Err(Denial::InvalidSession);
    }
    let subject = match (&claims.common_name, &claims.email, &claims.identity_nonce) {
        (Some(client_id), None, None) => Subject::Token(client_id.clone()),
        (None, Some(email), Some(nonce)) if !claims.sub.is_empty() => Subject::Person(PersonSession {
            email: email.clone(),
            user_uuid: claims.sub.clone(),
            identity_nonce: nonce.clone(),
            idp: claims.idp.as_ref().and_then(|idp| IdpId::parse(&idp.id).ok()),
            exp: claims.exp,
            generation: claims.sessions_generation,
        }),
        _ => return Err(Denial::InvalidSession),
    };
    Ok(Session { subject, iat: claims.iat })
}

/// Signature and algorithm only: time and audience are checked against the gateway's clock and
/// the application in [`check_claims`].
fn validation() -> Validation {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    validation
}

/// `Set-Cookie` for a session: host-only, every path, not readable by scripts, sent on
/// top-level navigations; `Secure` when the client reached the gateway over TLS.
pub(crate) fn cookie(jwt: &HeaderValue, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let jwt = jwt.to_str().ok()?;
    let secure = if secure { "; Secure" } else { "" };
    let max_age = max_age.max(0);
    HeaderValue::try_from(format!(
        "CF_Authorization={jwt}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

#[cfg(test)]
mod tests;
