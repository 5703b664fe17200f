//! Stage 3: who the credentials belong to, checked against the in-memory snapshot only. A
//! secret is hashed with the server key and compared in constant time by the domain
//! (`ServiceToken::authenticate`); a session JWT is verified (`session`) and the token it
//! names must still exist, be enabled and unexpired. The token must belong to the
//! application's account. A person's session JWT must not predate the revocation of the
//! person's sessions (by its generation, [`revoked`]), and the identity provider it names
//! must still exist. A secret stored under a previous server key (during a rotation of
//! the server key) is checked with that key, and the snapshot moves it to the current key.

use gatehouse_domain::{HashPurpose, ServerKey, Timestamp};

use crate::credentials::Presented;
use crate::deny::Denial;
use crate::session::{PersonSession, Sessions, Subject};
use crate::snapshot::{App, Authenticated, Revocation, TokenSnapshot, Use};

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
                    person_alive(app, &person, session.iat)?;
                    Ok(Some(Principal::Person(person, jwt)))
                }
            }
        }
    }
}

/// A person's session (or a login's hand-off) is refused once the person's sessions were
/// revoked after its login, or when the identity provider it came from is gone. `iat` is when
/// it was issued; `person.generation` decides when it has one ([`revoked`]).
pub(crate) fn person_alive(app: &App, person: &PersonSession, iat: i64) -> Result<(), Denial> {
    let people = &app.account.people;
    if revoked(people.revoked.get(&person.email), person.generation, iat) {
        return Err(Denial::InvalidSession);
    }
    match person.idp {
        Some(idp) if people.idp(idp).is_some() => Ok(()),
        _ => Err(Denial::InvalidSession),
    }
}

/// Whether a session whose login read `generation` of the person's sessions, issued at `iat`,
/// is ended by `revocation`, the person's last one as this node's snapshot has it.
///
/// The generation is compared, never the clock: a session is ended exactly by the revocations
/// the store wrote after its login read the person's document, on whichever nodes, however
/// their clocks are set (`User::revoke_sessions`). A node that has not seen the latest
/// revocation yet has a lower generation and refuses less, until it catches up; no node ever
/// refuses a session that a node with a newer document accepts. Only a session issued before
/// generations existed (no `generation`) is judged by its whole second, refused at or before
/// the revocation's.
pub(crate) fn revoked(revocation: Option<&Revocation>, generation: Option<u64>, iat: i64) -> bool {
    match (revocation, generation) {
        (None, _) => false,
        (Some(revocation), Some(generation)) => generation < revocation.generation,
        (Some(revocation), None) => iat <= revocation.at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REVOKED_AT: i64 = 1_000;

    fn revocation(generation: u64) -> Revocation {
        Revocation { at: REVOKED_AT, generation }
    }

    #[test]
    fn a_session_is_ended_by_the_revocations_after_its_login_whatever_the_clocks_say() {
        // Never revoked: alive.
        assert!(!revoked(None, Some(0), REVOKED_AT));
        // A login that read generation 2 after the second revocation: alive on every node, in
        // the very second of the revocation, and even stamped earlier by a slower clock.
        for iat in [REVOKED_AT - 5, REVOKED_AT, REVOKED_AT + 1] {
            assert!(!revoked(Some(&revocation(2)), Some(2), iat), "iat {iat}");
        }
        // A node that has not seen that revocation yet (generation 1) accepts it too.
        assert!(!revoked(Some(&revocation(1)), Some(2), REVOKED_AT));
        // A login before the revocation (generation 1): ended, even stamped later by a faster
        // clock than the revoking node's.
        for iat in [REVOKED_AT - 1, REVOKED_AT, REVOKED_AT + 5] {
            assert!(revoked(Some(&revocation(2)), Some(1), iat), "iat {iat}");
        }
    }

    #[test]
    fn a_session_without_a_generation_is_judged_by_its_second() {
        assert!(revoked(Some(&revocation(0)), None, REVOKED_AT - 1));
        assert!(revoked(Some(&revocation(0)), None, REVOKED_AT), "the revocation's second is refused");
        assert!(!revoked(Some(&revocation(0)), None, REVOKED_AT + 1));
        assert!(!revoked(None, None, REVOKED_AT));
    }
}
