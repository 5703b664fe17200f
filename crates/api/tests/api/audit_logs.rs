//! `GET /accounts/{account_id}/audit_logs`: every write path leaves a record; reading needs read
//! permission and the caller's account; filters and bad parameters.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{LEGACY_EMAIL, LEGACY_KEY, OTHER, READER, TestApi, at};

fn audit_path(api: &TestApi) -> String {
    format!("/client/v4/accounts/{}/audit_logs", api.account)
}

async fn records(api: &TestApi, query: &str) -> Vec<Value> {
    let reply = api.call_as(READER, Method::GET, &format!("{}{query}", audit_path(api)), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.result().as_array().unwrap().clone()
}

#[tokio::test]
async fn every_kind_of_change_is_recorded_with_the_actor_and_values() {
    let api = TestApi::new().await;
    let access = format!("/client/v4/accounts/{}/access", api.account);
    let token = api.create(json!({"name": "ci"})).await;
    let id = token["id"].as_str().unwrap();
    api.call(Method::POST, &format!("{}/rotate", api.token_path(id)), None).await;
    let group = api
        .call(
            Method::POST,
            &format!("{access}/groups"),
            Some(json!({"name": "g", "include": [{"everyone": {}}]})),
        )
        .await;
    let policy = json!({"name": "p", "decision": "non_identity", "include": [{"service_token": {}}]});
    let policy = api.call(Method::POST, &format!("{access}/policies"), Some(policy)).await;
    let app = json!({"name": "a", "domain": "a.example.test", "type": "self_hosted", "policies": [policy.result()["id"]]});
    let app = api.call(Method::POST, &format!("{access}/apps"), Some(app)).await;
    let app_id = app.result()["id"].as_str().unwrap();
    api.call(Method::POST, &format!("{access}/apps/{app_id}/revoke_tokens"), None).await;
    api.call(Method::PATCH, &format!("{access}/organizations"), Some(json!({"name": "Acme"}))).await;
    api.call(Method::PUT, &format!("{access}/keys"), Some(json!({"key_rotation_interval_days": 30}))).await;
    api.call(Method::DELETE, &format!("{access}/groups/{}", group.result()["id"].as_str().unwrap()), None)
        .await;

    let listed = records(&api, "?direction=asc").await;
    let kinds: Vec<String> = listed
        .iter()
        .map(|r| {
            format!("{} {}", r["action"]["type"].as_str().unwrap(), r["resource"]["type"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "create service_token",
            "rotate service_token",
            "create group",
            "create policy",
            "create application",
            "revoke_tokens application",
            "update organization",
            "update keys",
            "delete group",
        ]
    );
    let rotate = &listed[1];
    assert_eq!(rotate["actor"]["type"], "user", "Cloudflare's vocabulary: user, admin or Cloudflare");
    assert_eq!(rotate["actor"]["name"], "admin");
    assert_eq!(rotate["actor"]["context"], "api_token");
    assert_eq!(rotate["actor"]["token_name"], "admin");
    assert_eq!(rotate["actor"]["token_id"], rotate["actor"]["id"]);
    assert_eq!(rotate["actor"]["email"], Value::Null);
    assert_eq!(rotate["oldValueJson"]["client_secret_version"], 1);
    assert_eq!(rotate["newValueJson"]["client_secret_version"], 2);
    assert_eq!(rotate["when"], at(0));
    assert_eq!(rotate["metadata"]["seq"], 2);
    assert_eq!(rotate["prev_hash"], listed[0]["hash"]);
    assert!(
        !Value::Array(listed.clone()).to_string().contains("client_secret\""),
        "no secret field is recorded"
    );
    let keys = &listed[7];
    assert_eq!(keys["newValueJson"]["key_rotation_interval_days"], 30);
    assert!(!keys["newValue"].as_str().unwrap().contains("sealed"));
    let by_id = records(&api, &format!("?id={}", rotate["id"].as_str().unwrap())).await;
    assert_eq!(by_id, vec![rotate.clone()], "`id` selects that one record");
}

#[tokio::test]
async fn reading_needs_the_account_and_bad_parameters_are_12091() {
    let api = TestApi::new().await;
    api.create(json!({"name": "one"})).await;
    let other = api.call_as(OTHER, Method::GET, &audit_path(&api), None).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    for query in ["?direction=sideways", "?since=yesterday", "?per_page=0"] {
        let reply = api.call_as(READER, Method::GET, &format!("{}{query}", audit_path(&api)), None).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, 12091), "{query}");
    }
    assert_eq!(records(&api, "?since=2020-01-01&action.type=create").await.len(), 1);
    assert_eq!(records(&api, &format!("?before={}", at(0))).await.len(), 0, "before is exclusive");
    assert_eq!(records(&api, "?resource.type=group").await.len(), 0);
}

#[tokio::test]
async fn the_legacy_key_is_a_user_known_by_email() {
    let api = TestApi::new().await;
    let headers =
        [("x-auth-email", LEGACY_EMAIL), ("x-auth-key", LEGACY_KEY), ("content-type", "application/json")];
    let reply = api.raw(Method::POST, &api.tokens_path(), &headers, br#"{"name":"legacy"}"#.to_vec()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let listed = records(&api, "").await;
    let actor = &listed[0]["actor"];
    assert_eq!(actor["type"], "user");
    assert_eq!(actor["context"], "api_key");
    assert_eq!(actor["email"], LEGACY_EMAIL);
    assert_eq!((&actor["token_id"], &actor["token_name"]), (&Value::Null, &Value::Null));
}

#[tokio::test]
async fn the_id_filter_selects_one_record_or_none() {
    let api = TestApi::new().await;
    for name in ["one", "two", "three"] {
        api.create(json!({"name": name})).await;
    }
    let listed = records(&api, "").await;
    assert_eq!(listed.len(), 3);
    for record in &listed {
        let id = record["id"].as_str().unwrap();
        assert_eq!(records(&api, &format!("?id={id}")).await, vec![record.clone()], "{id}");
        let combined = format!("?id={id}&action.type=update");
        assert_eq!(records(&api, &combined).await.len(), 0, "`id` combines with the other filters");
    }
    assert_eq!(records(&api, &format!("?id={}", "0".repeat(32))).await.len(), 0);
    assert_eq!(records(&api, "?id=").await.len(), 3, "an empty `id` is no filter");
}
