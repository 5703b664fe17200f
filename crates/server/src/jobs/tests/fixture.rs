//! A store with one account, an `AppState` over it with a `ManualClock`, and a change listener
//! that records what the gateway would have been told.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use gatehouse_api::AppState;
use gatehouse_api::access::{GroupInput, PolicyInput};
use gatehouse_domain::{
    AccountId, ApiToken, ApiTokenKind, AuditActor, ClientId, HashPurpose, ManualClock, NewServiceToken,
    Permission, Secret, SecretFormat, SecretHash, SecretMatch, ServerKey, ServiceToken, Timestamp,
    TokenDuration, TokenId,
};
use gatehouse_store::{Account, AccountStore, ChangeListener, Store, TokenUsage};
use gatehouse_store_sqlite::SqliteStore;
use serde_json::{Map, json};
use tempfile::TempDir;

use crate::jobs::Monitor;

pub const T0: Timestamp = Timestamp::from_unix(1_800_000_000);
pub const DAY: i64 = 86_400;

/// The operator the fixture's API calls act as (every change carries its actor).
pub fn operator() -> AuditActor {
    AuditActor { id: "fixture".into(), name: "jobs test operator".into(), kind: "token".into(), ip: None }
}

pub fn day(n: i64) -> Timestamp {
    Timestamp::from_unix(T0.unix() + n * DAY)
}

/// What the gateway was told.
#[derive(Debug, Default)]
pub struct Recorder {
    pub changed: Mutex<Vec<ServiceToken>>,
    pub deleted: Mutex<Vec<TokenId>>,
}

#[async_trait]
impl ChangeListener for Recorder {
    async fn token_changed(&self, token: &ServiceToken) {
        self.changed.lock().unwrap().push(token.clone());
    }
    async fn token_deleted(&self, token: &ServiceToken) {
        self.deleted.lock().unwrap().push(token.id);
    }
    async fn access_changed(&self, _account: &AccountId) {}
}

pub struct Fixture {
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub account: AccountId,
    pub gateway: Arc<Recorder>,
    key: ServerKey,
    _dir: TempDir,
}

impl Fixture {
    pub async fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("gatehouse.db")).await.unwrap();
        let key = ServerKey::generate();
        let account = Account { id: AccountId::generate(), name: "Acme".into(), created_at: T0 };
        let admin = ApiToken {
            id: AccountId::generate().to_string(),
            account_id: account.id.clone(),
            name: "admin".into(),
            hash: key.hash(HashPurpose::ApiToken, &Secret::new("admin".into())),
            permission: Permission::Edit,
            kind: ApiTokenKind::Bearer,
            created_at: T0,
            expires_at: None,
            enabled: true,
        };
        assert!(store.bootstrap(&account, &admin).await.unwrap());
        let clock = Arc::new(ManualClock::new(T0));
        let gateway = Arc::new(Recorder::default());
        let state = AppState {
            store: Arc::new(store) as Arc<dyn Store>,
            clock: clock.clone(),
            key: Arc::new(ServerKey::generate()),
            secret_format: SecretFormat::Prefixed,
            body_limit: 1 << 20,
            changes: gateway.clone(),
        };
        Fixture { state, clock, account: account.id, gateway, key, _dir: dir }
    }

    pub fn monitor(&self) -> Monitor {
        Monitor::new(self.state.clone(), vec![30, 7, 1])
    }

    pub fn hash(&self, secret: &str) -> SecretHash {
        self.key.hash(HashPurpose::ServiceTokenSecret, &Secret::new(secret.to_owned()))
    }

    /// A token created at `created` with the given lifetime.
    pub async fn token(&self, name: &str, duration: &str, created: Timestamp) -> ServiceToken {
        let new = NewServiceToken {
            account_id: self.account.clone(),
            name: name.to_owned(),
            client_id: ClientId::generate(),
            duration: TokenDuration::parse(duration).unwrap(),
            enabled: true,
            secret_hash: self.hash("v1"),
            secret_version: 1,
        };
        let token = ServiceToken::create(TokenId::generate(), new, created);
        self.state.store.insert_service_token(&token).await.unwrap();
        token
    }

    /// Records a use, as the gateway's usage writer does.
    pub async fn used(&self, token: &ServiceToken, matched: SecretMatch, at: Timestamp) {
        let usage = TokenUsage {
            token_id: token.id,
            seen_at: at,
            matched,
            secret_version: token.credentials.version(),
        };
        self.state.store.record_token_usage(&[usage]).await.unwrap();
    }

    pub async fn reload(&self, token: &ServiceToken) -> Option<ServiceToken> {
        self.state.store.get_service_token(&self.account, &token.id).await.unwrap()
    }

    pub async fn set_inactivity(&self, days: u32, action: &str) {
        let mut changes = Map::new();
        changes.insert(
            "service_token_inactivity".into(),
            json!({"enabled": true, "inactivity_threshold_days": days, "action": action}),
        );
        gatehouse_api::access::organization::update(&self.state, &operator(), &self.account, changes)
            .await
            .unwrap();
    }

    /// A reusable policy whose rule names `token`.
    pub async fn policy_naming(&self, token: &ServiceToken) {
        let input: PolicyInput = serde_json::from_value(json!({
            "name": "deploy",
            "decision": "non_identity",
            "include": [{"service_token": {"token_id": token.id.to_string()}}],
        }))
        .unwrap();
        gatehouse_api::access::policies::create(&self.state, &operator(), &self.account, input)
            .await
            .unwrap();
    }

    /// A group whose rule names `token`.
    pub async fn group_naming(&self, token: &ServiceToken) {
        let input: GroupInput = serde_json::from_value(json!({
            "name": "robots",
            "include": [{"service_token": {"token_id": token.id.to_string()}}],
        }))
        .unwrap();
        gatehouse_api::access::groups::create(&self.state, &operator(), &self.account, input).await.unwrap();
    }
}

/// The ids of the tokens events name.
pub fn token_ids(events: &[crate::jobs::events::Event]) -> Vec<String> {
    events.iter().map(|e| e.data["token"]["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
}

pub fn kinds(events: &[crate::jobs::events::Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind).collect()
}
