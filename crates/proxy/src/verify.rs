//! Stage 3: who the credentials belong to, checked against the in-memory snapshot only. A
//! secret is hashed with the server key and compared in constant time by the domain
//! (`ServiceToken::authenticate`); a session JWT is verified (`session`) and the token it
//! names must still exist, be enabled and unexpired. The token must belong to the
//! application's account. A person's session JWT must not predate the revocation of the
//! person's sessions, and the identity provider it names must still exist. A secret stored under a previous server key (during a rotation of
//! the server key) is checked with that key, and the snapshot moves it to the current key.

use gatehouse_domain::{HashPurpose, ServerKey, Timestamp};

use crate::credentials::Presented;
use crate::deny::Denial;
use crate::session::{PersonSession, Sessions, Subject};
use crate::snapshot::{App, Authenticated, TokenSnapshot, Use};

/// How a token authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// Client id and secret; the use is recorded.
    Secret(Use),
    /// A session JWT issued earlier.
    Session,
}

/// Who the credentials belong to.
#[derive(Debug)]
pub(crate) enum Principal {
    Token(Authenticated, Via),
    /// A person's session, with the JWT they presented (forwarded as the assertion).
    Person(PersonSession, String),
}

/// Who authenticated, `None` when nothing was presented.
pub(crate) fn verify(
    presented: Presented,
    app: &App,
    tokens: &TokenSnapshot,
    sessions: &Sessions,
    server_key: &ServerKey,
    now: Timestamp,
) -> Result<Option<Principal>, Denial> {
    match presented {
        Presented::None => Ok(None),
        Presented::ServiceToken { client_id, secret } => {
            // Hashed before the lookup, so an unknown client id costs what a wrong secret does.
            let hash = server_key.hash(HashPurpose::ServiceTokenSecret, &secret);
            let (who, used) = match tokens.authenticate(&client_id, &hash, &app.account.id, now) {
                // During a rotation of the server key, a token may still hold hashes made under a
                // previous key: only then is the secret hashed again, with that key.
                Err(Denial::WrongSecret) => tokens.authenticate_under_previous_key(
                    &client_id,
                    &secret,
                    hash,
                    server_key,
                    &app.account.id,
                    now,
                )?,
                other => other?,
            };
            drop(secret);
            Ok(Some(Principal::Token(who, Via::Secret(used))))
        }
        Presented::Session(jwt) => {
            let session = sessions.verify(app, &jwt, now)?;
            match session.subject {
                Subject::Token(client_id) => {
                    let id = tokens.alive(&client_id, &app.account.id, now)?;
                    Ok(Some(Principal::Token(Authenticated { id, client_id }, Via::Session)))
                }
                Subject::Person(person) => {
                    person_alive(app, sessions, &person, session.iat, Some(&jwt))?;
                    Ok(Some(Principal::Person(person, jwt)))
                }
            }
        }
    }
}

/// A person's session is refused once their sessions were revoked at or after it was issued,
/// or when the identity provider it came from is gone. Timestamps are whole seconds: a `jwt`
/// issued in the very second of the revocation counts only when this gateway issued it after it
/// saw the revocation; without a JWT (a login's hand-off), that second counts as after.
pub(crate) fn person_alive(
    app: &App,
    sessions: &Sessions,
    person: &PersonSession,
    iat: i64,
    jwt: Option<&str>,
) -> Result<(), Denial> {
    let people = &app.account.people;
    if let Some(&revoked) = people.revoked.get(&person.email) {
        let refused = match jwt {
            _ if iat < revoked.at => true,
            Some(jwt) if iat == revoked.at => {
                !sessions.person_issued_after_revocation(&person.email, revoked, jwt)
            }
            _ => false,
        };
        if refused {
            return Err(Denial::InvalidSession);
        }
    }
    match person.idp {
        Some(idp) if people.idp(idp).is_some() => Ok(()),
        _ => Err(Denial::InvalidSession),
    }
}
