//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`, never enabled by the
//! binary): the gateway's parsers of untrusted request input, reachable without a running
//! gateway. They call the real code of `credentials` and `session`; nothing here is copied.

use std::collections::HashMap;
use std::sync::Arc;

use gatehouse_domain::access::AppId;
use gatehouse_domain::signing::SigningKeys;
use gatehouse_domain::{AccountId, ServerKey, Timestamp, TokenId};
use http::header::HeaderName;
use http::{HeaderMap, uri::Authority, uri::Scheme};

use crate::credentials::{self, Presented};
use crate::deny::Denial;
use crate::keys::AccountKeys;
use crate::session::Sessions;
use crate::snapshot::{AccountSettings, App, Authenticated, Origin};

/// What `credentials::read` found, without the secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    None,
    ServiceToken { client_id: String, secret_len: usize },
    Session(String),
}

/// Stage 2 of the gateway on `headers`: the credentials a request presents.
pub fn read_credentials(
    headers: &HeaderMap,
    token_header: Option<&HeaderName>,
    sessions: bool,
) -> Result<Credentials, Denial> {
    let presented = credentials::read(headers, token_header, sessions);
    // The access log's view of the same result must not fail either.
    let _ = credentials::describe(&presented);
    Ok(match presented? {
        Presented::None => Credentials::None,
        Presented::ServiceToken { client_id, secret } => {
            Credentials::ServiceToken { client_id, secret_len: secret.expose().len() }
        }
        Presented::Session(jwt) => Credentials::Session(jwt),
    })
}

/// One application with a real (small, fixed-size) signing key and one JWT issued for it, to
/// verify presented session JWTs against.
#[derive(Debug)]
pub struct SessionFixture {
    app: App,
    sessions: Sessions,
    issued: String,
    now: Timestamp,
}

impl SessionFixture {
    /// `bits`: the RSA key size (at least 2048: the key's certificate refuses smaller ones).
    pub fn new(bits: usize) -> Result<Self, String> {
        let server_key = ServerKey::generate();
        let now = Timestamp::from_unix(1_700_000_000);
        let stored = SigningKeys::generate(&server_key, now, bits).map_err(|e| e.to_string())?;
        let keys = AccountKeys::load(&stored, &server_key, &[])?;
        let account = Arc::new(AccountSettings {
            id: AccountId::generate(),
            auth_domain: "team.example.com".to_owned(),
            issuer: "https://team.example.com".to_owned(),
            strict: false,
            groups: HashMap::new(),
            keys,
            people: Default::default(),
        });
        let app = App {
            id: AppId::generate(),
            account,
            name: "fuzz".to_owned(),
            domain: "app.example.com".to_owned(),
            aud: "aud-fuzz".to_owned(),
            origin: Origin {
                scheme: Scheme::HTTP,
                authority: Authority::from_static("127.0.0.1:1"),
                base_path: String::new(),
            },
            policies: Vec::new(),
            policy_sessions: Vec::new(),
            session_secs: 3600,
            service_auth_401_redirect: false,
            token_header: None,
            has_allow_policy: true,
            has_service_auth_policy: false,
            sessions_revoked_at: None,
            broken: false,
            login: Default::default(),
        };
        let sessions = Sessions::default();
        let who = Authenticated {
            id: TokenId::generate(),
            client_id: "0123456789abcdef0123456789abcdef.access".to_owned(),
        };
        let (jwt, _) = sessions.issue(&app, &who, 3600, now)?;
        let issued = jwt.to_str().map_err(|e| e.to_string())?.to_owned();
        Ok(SessionFixture { app, sessions, issued, now })
    }

    /// The JWT this fixture issued (valid at [`SessionFixture::now`]).
    pub fn issued(&self) -> &str {
        &self.issued
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// `session::Sessions::verify`: the client id of a valid session, or the e-mail address of a
    /// person's.
    pub fn verify(&self, jwt: &str, now: Timestamp) -> Result<String, Denial> {
        self.sessions.verify(&self.app, jwt, now).map(|session| match session.subject {
            crate::session::Subject::Token(client_id) => client_id,
            crate::session::Subject::Person(person) => person.email,
        })
    }
}
