//! `revoke_user`: the person's document records the revocation, the change is audited, and bad
//! addresses are refused.

use axum::http::{Method, StatusCode};
use gatehouse_domain::AccountId;
use gatehouse_domain::access::{User, user_uuid};
use gatehouse_store::{ResourceKind, ResourceStore};
use serde_json::json;

use crate::policies::assert_error;
use crate::support::*;

#[tokio::test]
async fn revoke_user_records_the_revocation_for_the_address_in_any_case() {
    let api = TestApi::new().await;
    let path = format!("/client/v4/accounts/{}/access/organizations/revoke_user", api.account);
    let reply = api.call(Method::POST, &path, Some(json!({"email": "Alice@Example.com"}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["result"], true);
    let account = AccountId::parse(api.account.as_str()).unwrap();
    let id = user_uuid(&account, "alice@example.com");
    let stored = api.store.get_resource(ResourceKind::User, &account, &id).await.unwrap().unwrap();
    let user: User = serde_json::from_str(&stored.body).unwrap();
    assert_eq!(user.email, "alice@example.com");
    assert!(user.sessions_revoked_at.is_some());
    // Again: the same document, a later revision.
    let reply = api.call(Method::POST, &path, Some(json!({"email": "alice@example.com"}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let again = api.store.get_resource(ResourceKind::User, &account, &id).await.unwrap().unwrap();
    assert_eq!(again.revision, stored.revision + 1);

    for bad in [json!({}), json!({"email": 3}), json!({"email": "not an address"}), json!({"email": "@x"})] {
        let reply = api.call(Method::POST, &path, Some(bad.clone())).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, 12130, "access.api.error.invalid_request: ");
    }
}
