//! Entry points for the micro-benchmarks in `benches/` (not part of the API): the request path's
//! own stages — credentials, verification against the token snapshot, policy evaluation, the
//! application JWT cache — and snapshot loading, on real data structures with real keys.

#![allow(clippy::expect_used, reason = "benchmark fixtures: a failed setup is a failed benchmark")]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use gatehouse_domain::access::{
    AppId, Authentication, CompiledPolicy, Decided, Decision, PolicyId, Rule, Verdict,
};
use gatehouse_domain::signing::SigningKeys;
use gatehouse_domain::{
    AccountId, ClientId, HashPurpose, NewServiceToken, Secret, ServerKey, ServiceToken, Timestamp,
    TokenDuration, TokenId,
};
use http::{HeaderMap, HeaderValue};

use crate::authorize::authorize;
use crate::credentials;
use crate::keys::AccountKeys;
use crate::session::Sessions;
use crate::snapshot::{AccountSettings, App, Authenticated, Origin, TokenSnapshot};
use crate::verify;

/// The instant every fixture is built and checked at.
pub const NOW: i64 = 1_800_000_000;

/// `n` tokens of one account with the secrets `secret-<i>` (hashed under `server_key`).
pub fn tokens(server_key: &ServerKey, account: &AccountId, n: usize) -> Vec<ServiceToken> {
    let now = Timestamp::from_unix(NOW - 60);
    (0..n)
        .map(|i| {
            let secret = Secret::new(format!("secret-{i}"));
            let new = NewServiceToken {
                account_id: account.clone(),
                name: format!("token {i}"),
                client_id: ClientId::generate(),
                duration: TokenDuration::default_lifetime(),
                enabled: true,
                secret_hash: server_key.hash(HashPurpose::ServiceTokenSecret, &secret),
                secret_version: 1,
            };
            ServiceToken::create(TokenId::generate(), new, now)
        })
        .collect()
}

/// A loaded token snapshot (what a gateway holds in memory).
#[derive(Debug)]
pub struct Snapshot(TokenSnapshot);

impl Snapshot {
    /// Loads `tokens` the way a gateway's start (or full resync) does.
    pub fn load(tokens: Vec<ServiceToken>) -> Self {
        let snapshot = TokenSnapshot::default();
        snapshot.begin_reload().finish(tokens);
        Snapshot(snapshot)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// Adds or replaces `tokens` as changes made through the API do.
    pub fn add(&self, tokens: Vec<ServiceToken>) {
        for token in tokens {
            self.0.upsert(token);
        }
    }

    /// Deletes `token` as a deletion made through this node does (its client id known).
    pub fn remove_known(&self, token: &ServiceToken) {
        self.0.remove_known(token);
    }

    /// Deletes `token` as another node's deletion does when its event names the client id.
    pub fn remove_remote(&self, token: &ServiceToken) {
        self.0.remove_by_client_id(&token.account_id, &token.id, token.client_id.as_str());
    }

    /// Deletes `token` as another node's deletion does when only its id is known.
    pub fn remove_by_id(&self, token: &ServiceToken) {
        self.0.remove(&token.account_id, &token.id);
    }
}

/// A gateway's in-memory state for one application with a `non_identity` policy that admits
/// any valid service token, and `n` tokens.
#[derive(Debug)]
pub struct Fixture {
    server_key: ServerKey,
    snapshot: Snapshot,
    app: App,
    sessions: Sessions,
    /// The credential headers of a few tokens spread over the snapshot.
    requests: Vec<(HeaderMap, Authenticated)>,
}

impl Fixture {
    pub fn new(n: usize) -> Self {
        let server_key = ServerKey::generate();
        let account = AccountId::generate();
        let tokens = tokens(&server_key, &account, n);
        let step = (n / 16).max(1);
        let requests = (0..n)
            .step_by(step)
            .map(|i| {
                let token = &tokens[i];
                let mut headers = HeaderMap::new();
                headers.insert("host", HeaderValue::from_static("app.example.com"));
                headers.insert("user-agent", HeaderValue::from_static("ci/1.0"));
                headers.insert(
                    credentials::CLIENT_ID,
                    HeaderValue::from_str(token.client_id.as_str()).expect("client id is a header value"),
                );
                headers.insert(
                    credentials::CLIENT_SECRET,
                    HeaderValue::from_str(&format!("secret-{i}")).expect("secret is a header value"),
                );
                let who = Authenticated { id: token.id, client_id: token.client_id.as_str().to_owned() };
                (headers, who)
            })
            .collect();
        let snapshot = Snapshot::load(tokens);
        let stored = SigningKeys::generate(&server_key, Timestamp::from_unix(0), 2048).expect("signing key");
        let keys = AccountKeys::load(&stored, &server_key, &[]).expect("signing keys load");
        let app = app(account, keys);
        Fixture { server_key, snapshot, app, sessions: Sessions::default(), requests }
    }

    /// Credential headers of the `i`-th sample token (modulo the sample count).
    pub fn request(&self, i: usize) -> &HeaderMap {
        &self.requests[i % self.requests.len()].0
    }

    pub fn samples(&self) -> usize {
        self.requests.len()
    }

    /// Stages 2–4 of a request: read the credentials, verify them against the snapshot, evaluate
    /// the application's policies. True when the request would be forwarded.
    pub fn verify_and_authorize(&self, headers: &HeaderMap) -> bool {
        let now = Timestamp::from_unix(NOW);
        let Ok(presented) = credentials::read(headers, None, false) else { return false };
        let verified =
            verify::verify(presented, &self.app, &self.snapshot.0, &self.sessions, &self.server_key, now);
        let authentication = match verified {
            Ok(Some(verify::Principal::Token(who, _))) => Authentication::Token(who.id),
            Ok(Some(verify::Principal::Person(..))) | Err(_) => Authentication::Failed,
            Ok(None) => Authentication::None,
        };
        let decided = authorize(&self.app, authentication, IpAddr::V4(Ipv4Addr::LOCALHOST));
        matches!(decided, Decided::Verdict(Verdict::Allow { .. }))
    }

    /// The application JWT for the `i`-th sample token: signed on a miss, from the cache on a hit.
    pub fn issue_jwt(&self, i: usize, now: i64) -> HeaderValue {
        let who = &self.requests[i % self.requests.len()].1;
        self.sessions.issue(&self.app, who, 3600, Timestamp::from_unix(now)).expect("JWT issued").0
    }

    /// Forgets every cached JWT, so that the next [`Fixture::issue_jwt`] signs.
    pub fn clear_jwt_cache(&self) {
        self.sessions.sweep(Timestamp::from_unix(i64::MAX / 2));
    }
}

fn app(account: AccountId, keys: AccountKeys) -> App {
    let settings = Arc::new(AccountSettings {
        id: account,
        auth_domain: "team.example.com".to_owned(),
        issuer: "https://team.example.com".to_owned(),
        strict: false,
        groups: HashMap::new(),
        keys,
        people: Default::default(),
    });
    let policy = CompiledPolicy {
        id: PolicyId::generate(),
        decision: Decision::NonIdentity,
        precedence: 1,
        include: vec![Rule::AnyValidServiceToken],
        require: Vec::new(),
        exclude: Vec::new(),
    };
    App {
        id: AppId::generate(),
        account: settings,
        name: "bench".to_owned(),
        domain: "app.example.com".to_owned(),
        aud: "bench-aud".to_owned(),
        origin: Origin {
            scheme: http::uri::Scheme::HTTP,
            authority: http::uri::Authority::from_static("127.0.0.1:9"),
            base_path: String::new(),
        },
        policies: vec![policy],
        policy_sessions: Vec::new(),
        session_secs: 3600,
        service_auth_401_redirect: false,
        token_header: None,
        has_allow_policy: false,
        has_service_auth_policy: true,
        sessions_revoked_at: None,
        broken: false,
        login: Default::default(),
    }
}
