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

#[tokio::test]
async fn the_users_list_names_the_people_of_the_account_and_filters_them() {
    let api = TestApi::new().await;
    let base = format!("/client/v4/accounts/{}/access", api.account);
    let empty = api.call(Method::GET, &format!("{base}/users"), None).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.json);
    assert_eq!(empty.json["result"], json!([]));
    for email in ["Bob@example.com", "alice@example.com"] {
        let path = format!("{base}/organizations/revoke_user");
        assert_eq!(api.call(Method::POST, &path, Some(json!({"email": email}))).await.status, StatusCode::OK);
    }
    let all = api.call(Method::GET, &format!("{base}/users"), None).await;
    let users = all.json["result"].as_array().unwrap().clone();
    let emails: Vec<&str> = users.iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["alice@example.com", "bob@example.com"], "{}", all.json);
    let account = AccountId::parse(api.account.as_str()).unwrap();
    assert_eq!(users[0]["id"], user_uuid(&account, "alice@example.com"));
    assert_eq!(users[0]["last_successful_login"], json!(null), "never logged in");
    assert!(users[0]["sessions_revoked_at"].as_str().is_some(), "{}", users[0]);
    assert_eq!(all.json["result_info"]["total_count"], 2, "{}", all.json);

    let api = &api;
    let by = |query: &str| {
        let path = format!("{base}/users?{query}");
        async move { api.call(Method::GET, &path, None).await.json["result"].clone() }
    };
    assert_eq!(by("email=BOB@example.com").await.as_array().unwrap().len(), 1);
    assert_eq!(by("search=ali").await[0]["email"], "alice@example.com");
    assert_eq!(by("search=nobody").await, json!([]));
    assert_eq!(by("per_page=1&page=2").await[0]["email"], "bob@example.com");

    // Another account's token sees none of them.
    let other = format!("/client/v4/accounts/{}/access/users", api.other_account);
    let reply = api.call(Method::GET, &other, None).await;
    assert_ne!(reply.status, StatusCode::OK, "{}", reply.json);
}
