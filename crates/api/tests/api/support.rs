use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use gatehouse_api::AppState;
use gatehouse_domain::{
    AccountId, ApiToken, ApiTokenKind, HashPurpose, ManualClock, Permission, Secret, SecretFormat, ServerKey,
    Timestamp,
};
use gatehouse_store::{Account, AccountStore, ApiTokenStore};
use gatehouse_store_sqlite::SqliteStore;
use http_body_util::BodyExt;
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

pub const START: i64 = 1_800_000_000;
pub const ADMIN: &str = "gatehouse_at_admin-token-for-tests-0000000000";
pub const READER: &str = "gatehouse_at_read-only-token-for-tests-00000000";
pub const OTHER: &str = "gatehouse_at_other-account-token-for-tests-000";
pub const LEGACY_KEY: &str = "legacy-global-api-key-for-tests-0000000";
pub const LEGACY_EMAIL: &str = "ops@example.com";

/// A management API over a fresh database, with an admin, a read-only and another account's
/// token, and a legacy email + key pair.
pub struct TestApi {
    pub router: Router,
    pub clock: Arc<ManualClock>,
    pub account: AccountId,
    pub other_account: AccountId,
    /// The store under the router, to look at what the API wrote.
    pub store: Arc<SqliteStore>,
    pub dir: TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

impl Reply {
    /// The first error's code.
    #[track_caller]
    pub fn code(&self) -> u64 {
        self.json["errors"][0]["code"].as_u64().unwrap_or_else(|| panic!("no error code in {}", self.json))
    }

    pub fn result(&self) -> &Value {
        &self.json["result"]
    }
}

impl TestApi {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("gatehouse.db")).await.unwrap();
        let key = ServerKey::generate();
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix(START)));
        let account = AccountId::generate();
        let other_account = AccountId::generate();
        let token = |name: &str, account: &AccountId, secret: &str, permission, kind| ApiToken {
            id: AccountId::generate().as_str().to_owned(),
            account_id: account.clone(),
            name: name.to_owned(),
            hash: key.hash(HashPurpose::ApiToken, &Secret::new(secret.to_owned())),
            permission,
            kind,
            created_at: Timestamp::from_unix(START),
            expires_at: None,
            enabled: true,
        };
        let admin = token("admin", &account, ADMIN, Permission::Edit, ApiTokenKind::Bearer);
        let created = Timestamp::from_unix(START);
        assert!(
            store
                .bootstrap(&Account { id: account.clone(), name: "test".into(), created_at: created }, &admin)
                .await
                .unwrap()
        );
        store
            .insert_account(&Account { id: other_account.clone(), name: "other".into(), created_at: created })
            .await
            .unwrap();
        store
            .insert_api_token(&token("reader", &account, READER, Permission::Read, ApiTokenKind::Bearer))
            .await
            .unwrap();
        store
            .insert_api_token(&token(
                "legacy",
                &account,
                LEGACY_KEY,
                Permission::Edit,
                ApiTokenKind::GlobalKey { email: LEGACY_EMAIL.into() },
            ))
            .await
            .unwrap();
        store
            .insert_api_token(&token("other", &other_account, OTHER, Permission::Edit, ApiTokenKind::Bearer))
            .await
            .unwrap();
        let store = Arc::new(store);
        let state = AppState {
            store: store.clone(),
            clock: clock.clone(),
            key: Arc::new(key),
            secret_format: SecretFormat::Prefixed,
            body_limit: 64 * 1024,
            changes: Arc::new(gatehouse_store::IgnoreChanges),
        };
        TestApi { router: gatehouse_api::router(state), clock, account, other_account, store, dir }
    }

    pub fn tokens_path(&self) -> String {
        format!("/client/v4/accounts/{}/access/service_tokens", self.account)
    }

    /// Sends a request with the given headers and raw body.
    pub async fn raw(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self.router.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{status}: body is not JSON: {}", String::from_utf8_lossy(&bytes)));
        Reply { status, headers, json }
    }

    /// Sends a request as the admin token, with a JSON body when given.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call_as(ADMIN, method, path, body).await
    }

    pub async fn call_as(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
        let auth = format!("Bearer {token}");
        let mut headers = vec![("authorization", auth.as_str())];
        let body = match body {
            Some(value) => {
                headers.push(("content-type", "application/json"));
                serde_json::to_vec(&value).unwrap()
            }
            None => Vec::new(),
        };
        self.raw(method, path, &headers, body).await
    }

    /// Creates a token and returns its `result`.
    pub async fn create(&self, body: Value) -> Value {
        let reply = self.call(Method::POST, &self.tokens_path(), Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
        reply.json["result"].clone()
    }

    pub fn token_path(&self, id: &str) -> String {
        format!("{}/{id}", self.tokens_path())
    }
}

/// RFC 3339 of `START + seconds`.
pub fn at(seconds: i64) -> String {
    Timestamp::from_unix(START + seconds).to_string()
}
