//! Stage 3: who the credentials belong to, checked against the in-memory snapshot only. A
//! secret is hashed with the server key and compared in constant time by the domain
//! (`ServiceToken::authenticate`); a session JWT is verified (`session`) and the token it
//! names must still exist, be enabled and unexpired. The token must belong to the
//! application's account.

use gatehouse_domain::{HashPurpose, ServerKey, Timestamp};

use crate::credentials::Presented;
use crate::deny::Denial;
use crate::session::Sessions;
use crate::snapshot::{App, Authenticated, TokenSnapshot, Use};

/// How a token authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// Client id and secret; the use is recorded.
    Secret(Use),
    /// A session JWT issued earlier.
    Session,
}

/// The token that authenticated, `None` when nothing was presented.
pub(crate) fn verify(
    presented: Presented,
    app: &App,
    tokens: &TokenSnapshot,
    sessions: &Sessions,
    server_key: &ServerKey,
    now: Timestamp,
) -> Result<Option<(Authenticated, Via)>, Denial> {
    match presented {
        Presented::None => Ok(None),
        Presented::ServiceToken { client_id, secret } => {
            // Hashed before the lookup, so an unknown client id costs what a wrong secret does.
            let hash = server_key.hash(HashPurpose::ServiceTokenSecret, &secret);
            drop(secret);
            let (who, used) = tokens.authenticate(&client_id, &hash, &app.account.id, now)?;
            Ok(Some((who, Via::Secret(used))))
        }
        Presented::Session(jwt) => {
            let session = sessions.verify(app, &jwt, now)?;
            let id = tokens.alive(&session.client_id, &app.account.id, now)?;
            Ok(Some((Authenticated { id, client_id: session.client_id }, Via::Session)))
        }
    }
}
