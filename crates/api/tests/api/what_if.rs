//! `POST …/apps/{app_id}/what-if`: recorded requests replayed against a draft policy set.

use axum::http::{Method, StatusCode};
use gatehouse_domain::access::{AppId, PolicyId};
use gatehouse_domain::{Timestamp, TokenId};
use gatehouse_store::{AccessLogRecord, AccessLogStore};
use gatehouse_store_sqlite::SqliteStore;
use serde_json::{Value, json};

use crate::support::*;

fn record(
    api: &TestApi,
    n: usize,
    app: &str,
    token: Option<&Value>,
    policy: Option<&str>,
) -> AccessLogRecord {
    AccessLogRecord {
        account_id: api.account.clone(),
        ray_id: format!("{n:016x}"),
        created_at: Timestamp::from_unix(START - 60 + i64::try_from(n).unwrap()),
        allowed: policy.is_some(),
        app_uid: AppId::parse(app).unwrap(),
        app_domain: "both.example.com".to_owned(),
        ip_address: "10.0.0.7".to_owned(),
        is_service_token: token.is_some(),
        service_token_id: token.map(|t| TokenId::parse(t["id"].as_str().unwrap()).unwrap()),
        client_id: token.map(|t| t["client_id"].as_str().unwrap().to_owned()),
        policy_id: policy.map(|p| PolicyId::parse(p).unwrap()),
        decision: policy.map(|_| "non_identity".to_owned()),
        reason: if policy.is_some() { None } else { Some("missing_credentials".to_owned()) },
        status: if policy.is_some() { 200 } else { 403 },
        method: "GET".to_owned(),
        person: None,
    }
}

async fn created(api: &TestApi, rest: &str, body: Value) -> String {
    let path = format!("/client/v4/accounts/{}/access/{rest}", api.account);
    let reply = api.call(Method::POST, &path, Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{rest}: {}", reply.json);
    reply.result()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn what_if_a_draft_removes_a_tokens_policy_reports_exactly_that_tokens_requests() {
    let api = TestApi::new().await;
    let cicd = api.create(json!({"name": "cicd"})).await;
    let other = api.create(json!({"name": "other"})).await;
    let only = |token: &Value, name: &str| json!({"name": name, "decision": "non_identity", "include": [{"service_token": {"token_id": token["id"]}}]});
    let cicd_policy = created(&api, "policies", only(&cicd, "CI/CD only")).await;
    let other_policy = created(&api, "policies", only(&other, "other only")).await;
    let app = created(
        &api,
        "apps",
        json!({"name": "both", "type": "self_hosted", "domain": "both.example.com", "origin": "http://127.0.0.1:9",
               "policies": [{"id": cicd_policy, "precedence": 1}, {"id": other_policy, "precedence": 2}]}),
    )
    .await;
    let mut records = Vec::new();
    for n in 0..5 {
        records.push(record(&api, n, &app, Some(&cicd), Some(&cicd_policy)));
    }
    for n in 5..8 {
        records.push(record(&api, n, &app, Some(&other), Some(&other_policy)));
    }
    for n in 8..10 {
        records.push(record(&api, n, &app, None, None));
    }
    let limited = AccessLogRecord {
        reason: Some("rate_limited".to_owned()),
        status: 429,
        ..record(&api, 10, &app, None, None)
    };
    records.push(limited);
    // Another application's record and one older than the window are not replayed.
    records.push(AccessLogRecord {
        app_uid: AppId::generate(),
        ..record(&api, 11, &app, Some(&cicd), Some(&cicd_policy))
    });
    records.push(AccessLogRecord {
        created_at: Timestamp::from_unix(START - 2 * 24 * 3600),
        ..record(&api, 12, &app, Some(&cicd), Some(&cicd_policy))
    });
    let store = SqliteStore::open(&api.dir.path().join("gatehouse.db")).await.unwrap();
    store.insert_access_logs(&records).await.unwrap();

    let path = format!("/client/v4/accounts/{}/access/apps/{app}/what-if", api.account);
    let draft = json!({"policies": [{"id": other_policy, "precedence": 1}]});
    let reply = api.call(Method::POST, &path, Some(draft)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let result = reply.result();
    assert_eq!(result["replayed"], 11, "{result}");
    assert_eq!(result["skipped"], 1);
    assert_eq!(result["changed"], 5);
    assert_eq!(result["newly_denied"], 5);
    assert_eq!(result["newly_allowed"], 0);
    assert_eq!(result["differs_from_recorded"], 0);
    assert_eq!(result["truncated"], false);
    let groups = result["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{result}");
    let group = &groups[0];
    assert_eq!(group["token_id"], cicd["id"]);
    assert_eq!(group["client_id"], cicd["client_id"]);
    assert_eq!(group["count"], 5);
    assert_eq!(group["now"], json!({"allowed": true, "policy_id": cicd_policy, "reason": null}));
    assert_eq!(group["draft"], json!({"allowed": false, "policy_id": null, "reason": "no_matching_policy"}));
    assert_eq!(group["examples"].as_array().unwrap().len(), 3);
    assert_eq!(group["examples"][0]["ray_id"], "0000000000000004", "newest first");

    // A draft that changes nothing, written out in full, changes nothing.
    let same = json!({"policies": [only(&cicd, "CI/CD only"), only(&other, "other only")], "examples": 0});
    let result = api.call(Method::POST, &path, Some(same)).await.result().clone();
    assert_eq!((result["changed"].clone(), result["other_policy"].clone()), (json!(0), json!(8)), "{result}");
    // Letting everyone in allows the anonymous requests; the limit bounds the replay.
    let open = json!({"policies": [{"name": "open", "decision": "bypass", "include": [{"everyone": {}}]}], "limit": 4});
    let result = api.call(Method::POST, &path, Some(open)).await.result().clone();
    assert_eq!(
        (result["replayed"].clone(), result["truncated"].clone()),
        (json!(4), json!(true)),
        "{result}"
    );
    let result = api
        .call(
            Method::POST,
            &path,
            Some(
                json!({"policies": [{"name": "open", "decision": "bypass", "include": [{"everyone": {}}]}]}),
            ),
        )
        .await
        .result()
        .clone();
    assert_eq!(result["newly_allowed"], 2, "{result}");
    assert_eq!(result["groups"][0]["draft"]["allowed"], true);
}

#[tokio::test]
async fn what_if_refuses_unclear_drafts_in_the_envelope() {
    let api = TestApi::new().await;
    let app =
        created(&api, "apps", json!({"name": "a", "type": "self_hosted", "domain": "a.example.com"})).await;
    let path = format!("/client/v4/accounts/{}/access/apps/{app}/what-if", api.account);
    for body in [
        json!({}),
        json!({"policies": [42]}),
        json!({"policies": [{"name": "x", "decision": "allow", "include": [{"ip": {"ip": "nope"}}]}]}),
        json!({"policies": [{"decision": "allow", "include": [{"everyone": {}}]}]}),
        json!({"policies": [{"precedence": 1}]}),
        json!({"policies": [], "limit": 0}),
        json!({"policies": [], "limit": 1_000_001}),
        json!({"policies": [], "since": "yesterday"}),
        json!({"policies": [], "examples": 21}),
    ] {
        let reply = api.call(Method::POST, &path, Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {}", reply.json);
        assert_eq!(reply.code(), 12130, "{body}: {}", reply.json);
    }
    let unknown = json!({"policies": [{"id": "6f1c2a3e-0000-4000-8000-000000000000"}]});
    let reply = api.call(Method::POST, &path, Some(unknown)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.json);
}
