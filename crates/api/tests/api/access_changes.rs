//! Every write to access configuration tells the gateway (`ChangeListener::access_changed`)
//! before the API answers, so the next request through the gateway sees it; reads do not.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use gatehouse_api::AppState;
use gatehouse_domain::{
    AccountId, ApiToken, ApiTokenKind, HashPurpose, ManualClock, Permission, Secret, SecretFormat, ServerKey,
    ServiceToken, Timestamp,
};
use gatehouse_store::{Account, AccountStore, ChangeListener};
use gatehouse_store_sqlite::SqliteStore;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{ADMIN, START};

#[derive(Debug, Default)]
struct Counter(AtomicUsize);

#[async_trait]
impl ChangeListener for Counter {
    async fn token_changed(&self, _token: &ServiceToken) {}
    async fn token_deleted(&self, _token: &ServiceToken) {}
    async fn access_changed(&self, _account: &AccountId) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn every_access_write_tells_the_gateway_before_answering() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("gatehouse.db")).await.unwrap();
    let key = ServerKey::generate();
    let account = AccountId::generate();
    let now = Timestamp::from_unix(START);
    let admin = ApiToken {
        id: "admin".into(),
        account_id: account.clone(),
        name: "admin".into(),
        hash: key.hash(HashPurpose::ApiToken, &Secret::new(ADMIN.to_owned())),
        permission: Permission::Edit,
        kind: ApiTokenKind::Bearer,
        created_at: now,
        expires_at: None,
        enabled: true,
    };
    store
        .bootstrap(&Account { id: account.clone(), name: "t".into(), created_at: now }, &admin)
        .await
        .unwrap();
    let counter = Arc::new(Counter::default());
    let router = gatehouse_api::router(AppState {
        store: Arc::new(store),
        clock: Arc::new(ManualClock::new(now)),
        key: Arc::new(key),
        secret_format: SecretFormat::Prefixed,
        body_limit: 64 * 1024,
        changes: counter.clone(),
    });
    let call = |method: Method, rest: String, body: Option<Value>| {
        let request = Request::builder()
            .method(method)
            .uri(format!("/client/v4/accounts/{account}/access/{rest}"))
            .header("authorization", format!("Bearer {ADMIN}"))
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap())
        }
    };
    let changes = || counter.0.load(Ordering::SeqCst);
    let rule = json!([{"everyone": {}}]);

    let (status, policy) = call(
        Method::POST,
        "policies".into(),
        Some(json!({"name": "p", "decision": "allow", "include": rule})),
    )
    .await;
    assert_eq!((status, changes()), (StatusCode::CREATED, 1));
    let policy_id = policy["result"]["id"].as_str().unwrap().to_owned();
    let app_body = json!({"type": "self_hosted", "domain": "a.example.com", "policies": [policy_id]});
    let (_, app) = call(Method::POST, "apps".into(), Some(app_body.clone())).await;
    let app_id = app["result"]["id"].as_str().unwrap().to_owned();
    assert_eq!(changes(), 2);
    call(Method::GET, format!("apps/{app_id}"), None).await;
    call(Method::GET, "policies".into(), None).await;
    assert_eq!(changes(), 2, "reads change nothing");
    let writes = [
        (Method::PUT, format!("apps/{app_id}"), Some(app_body)),
        (Method::POST, format!("apps/{app_id}/revoke_tokens"), None),
        (
            Method::POST,
            format!("apps/{app_id}/policies"),
            Some(json!({"name": "s", "decision": "allow", "include": rule})),
        ),
        (Method::POST, "groups".into(), Some(json!({"name": "g", "include": rule}))),
        (Method::PATCH, "organizations".into(), Some(json!({"strict_service_token_auth": true}))),
        (Method::DELETE, format!("apps/{app_id}"), None),
        (Method::DELETE, format!("policies/{policy_id}"), None),
    ];
    for (expected, (method, rest, body)) in (3..).zip(writes) {
        let (status, json) = call(method, rest.clone(), body).await;
        assert!(status.is_success(), "{rest}: {json}");
        assert_eq!(changes(), expected, "{rest}");
    }
    // A refused write tells nobody.
    let (status, _) = call(Method::DELETE, format!("policies/{policy_id}"), None).await;
    assert_eq!((status, changes()), (StatusCode::NOT_FOUND, 9));
}
