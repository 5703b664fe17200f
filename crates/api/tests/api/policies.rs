//! Reusable policies (`/access/policies`), and the in-use refusals of policy and token deletes.
//! Also holds the small helpers the other access tests share.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

/// `/client/v4/accounts/<account>/access/<rest>`.
pub fn access(api: &TestApi, rest: &str) -> String {
    format!("/client/v4/accounts/{}/access/{rest}", api.account)
}

/// POSTs to `/access/<rest>`, asserts 201 and returns the `result`.
pub async fn created(api: &TestApi, rest: &str, body: Value) -> Value {
    let reply = api.call(Method::POST, &access(api, rest), Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    reply.result().clone()
}

/// A reusable policy admitting one service token.
pub async fn token_policy(api: &TestApi, name: &str, token_id: &str) -> Value {
    let body = json!({"name": name, "decision": "non_identity", "include": [{"service_token": {"token_id": token_id}}]});
    created(api, "policies", body).await
}

/// Asserts a 4xx with the code, and that the first message contains `needle`.
#[track_caller]
pub fn assert_error(reply: &Reply, status: StatusCode, code: u64, needle: &str) {
    assert_eq!(reply.status, status, "{}", reply.json);
    assert_eq!(reply.code(), code, "{}", reply.json);
    let message = reply.json["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{message:?} does not contain {needle:?}");
}

pub fn id(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

#[tokio::test]
async fn create_returns_the_reusable_policy_with_unknown_fields_kept() {
    let api = TestApi::new().await;
    let token = api.create(json!({"name": "ci"})).await;
    let body = json!({
        "name": "CI only", "decision": "non_identity",
        "include": [{"service_token": {"token_id": id(&token)}}],
        "purpose_justification_required": false, "connection_rules": {"ssh": {"usernames": ["root"]}},
        "id": "ignored", "app_count": 99, "reusable": false
    });
    let policy = created(&api, "policies", body).await;
    assert_eq!(policy["name"], "CI only");
    assert_eq!(policy["reusable"], true);
    assert_eq!(policy["app_count"], 0);
    assert_eq!(policy["require"], json!([]));
    assert_eq!(policy["exclude"], json!([]));
    assert_eq!(policy["created_at"], at(0));
    assert_eq!(policy["connection_rules"], json!({"ssh": {"usernames": ["root"]}}));
    assert_eq!(policy["purpose_justification_required"], false);
    assert_ne!(policy["id"], "ignored");
    assert!(policy.get("app_id").is_none());
    let fetched = api.call(Method::GET, &access(&api, &format!("policies/{}", id(&policy))), None).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.result(), &policy);
}

#[tokio::test]
async fn the_seed_policies_are_accepted_with_real_ids() {
    let api = TestApi::new().await;
    let token = api.create(json!({"name": "cicd"})).await;
    let group = created(
        &api,
        "groups",
        json!({"name": "developers", "include": [{"email_domain": {"domain": "example.com"}}]}),
    )
    .await;
    let seeds = [
        json!({"name": "API-Only Access", "decision": "non_identity", "include": [{"service_token": {}}]}),
        json!({"name": "CI/CD Pipeline Only", "decision": "non_identity", "include": [{"service_token": {"token_id": id(&token)}}]}),
        json!({"name": "Users and Services", "decision": "allow",
               "include": [{"group": {"id": id(&group)}}, {"service_token": {"token_id": id(&token)}}]}),
    ];
    for seed in seeds {
        let policy = created(&api, "policies", seed.clone()).await;
        for field in ["name", "decision", "include"] {
            assert_eq!(policy[field], seed[field], "{field} stored exactly as sent");
        }
    }
    // The guide's placeholders are not ids: refused, naming the rule, as Cloudflare does.
    let placeholder = json!({"name": "x", "decision": "non_identity", "include": [{"service_token": {"token_id": "token-uuid"}}]});
    let reply = api.call(Method::POST, &access(&api, "policies"), Some(placeholder)).await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        12130,
        "access.api.error.invalid_request: invalid 'include[0]' configuration: ",
    );
}

#[tokio::test]
async fn unevaluated_selectors_are_accepted_and_named_in_messages() {
    let api = TestApi::new().await;
    let body = json!({"name": "not admins", "decision": "non_identity",
        "include": [{"any_valid_service_token": {}}],
        "exclude": [{"geo": {"country_code": "FR"}}]});
    let reply = api.call(Method::POST, &access(&api, "policies"), Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(reply.json["messages"][0]["code"], 10110, "{}", reply.json);
    let message = reply.json["messages"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("'exclude[0]': the 'geo' selector is stored but not evaluated"), "{message}");
    let fetched =
        api.call(Method::GET, &access(&api, &format!("policies/{}", id(reply.result()))), None).await;
    assert_eq!(fetched.json["messages"], reply.json["messages"]);
    let plain =
        json!({"name": "ci", "decision": "non_identity", "include": [{"any_valid_service_token": {}}]});
    let reply = api.call(Method::POST, &access(&api, "policies"), Some(plain)).await;
    assert_eq!(reply.json["messages"], json!([]));
}

#[tokio::test]
async fn bad_policies_are_400_12130_naming_the_field_and_create_nothing() {
    let api = TestApi::new().await;
    let token = json!({"service_token": {}});
    let cases = [
        (json!({"decision": "allow", "include": [token]}), "'name' is required"),
        (json!({"name": " ", "decision": "allow", "include": [token]}), "'name' is required"),
        (json!({"name": "p", "include": [token]}), "'decision' is required"),
        (json!({"name": "p", "decision": "maybe", "include": [token]}), "invalid 'decision'"),
        (json!({"name": "p", "decision": "allow"}), "invalid 'include' configuration: at least one rule"),
        (json!({"name": "p", "decision": "allow", "include": []}), "invalid 'include' configuration"),
        (
            json!({"name": "p", "decision": "allow", "include": [{"service_token": {"token_id": "CI token"}}]}),
            "invalid 'include[0]' configuration",
        ),
        (
            json!({"name": "p", "decision": "allow", "include": [token], "require": [{"everyone": {}}, {"ip": {"ip": "nope"}}]}),
            "invalid 'require[1]' configuration",
        ),
        (
            json!({"name": "p", "decision": "allow", "include": [token], "exclude": [{"a": {}, "b": {}}]}),
            "invalid 'exclude[0]' configuration",
        ),
        (
            json!({"name": "p", "decision": "allow", "include": [token], "exclude": ["everyone"]}),
            "invalid 'exclude[0]' configuration",
        ),
        (json!({"name": "p", "decision": "allow", "include": "everyone"}), "invalid 'include'"),
        (
            json!({"name": "p", "decision": "allow", "include": [token], "session_duration": "forever"}),
            "invalid 'session_duration'",
        ),
        (
            json!({"name": "p", "decision": "allow", "include": [token], "session_duration": "0s"}),
            "invalid 'session_duration'",
        ),
    ];
    for (body, needle) in cases {
        let reply = api.call(Method::POST, &access(&api, "policies"), Some(body)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, 12130, needle);
    }
    let list = api.call(Method::GET, &access(&api, "policies"), None).await;
    assert_eq!(list.json["result_info"]["total_count"], 0);
}

#[tokio::test]
async fn update_replaces_the_policy_and_delete_returns_its_id() {
    let api = TestApi::new().await;
    let policy = created(
        &api,
        "policies",
        json!({"name": "a", "decision": "allow", "include": [{"everyone": {}}], "tag": 1}),
    )
    .await;
    let path = access(&api, &format!("policies/{}", id(&policy)));
    api.clock.set(gatehouse_domain::Timestamp::from_unix(START + 60));
    let body = json!({"name": "b", "decision": "bypass", "include": [{"ip": {"ip": "10.0.0.0/8"}}], "session_duration": "30m"});
    let updated = api.call(Method::PUT, &path, Some(body)).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    let result = updated.result();
    assert_eq!(
        (result["id"].clone(), result["name"].clone(), result["decision"].clone()),
        (policy["id"].clone(), json!("b"), json!("bypass"))
    );
    assert_eq!(result["session_duration"], "30m");
    assert!(result.get("tag").is_none(), "a PUT replaces: fields not sent are gone");
    assert_eq!((result["created_at"].clone(), result["updated_at"].clone()), (json!(at(0)), json!(at(60))));

    let deleted = api.call(Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.result(), &json!({"id": id(&policy)}));
    assert_error(&api.call(Method::GET, &path, None).await, StatusCode::NOT_FOUND, 12134, "policy_not_found");
}

#[tokio::test]
async fn unknown_and_malformed_policy_ids_are_404_12134() {
    let api = TestApi::new().await;
    let body = json!({"name": "a", "decision": "allow", "include": [{"everyone": {}}]});
    for id in ["a1b2c3d4-0000-4000-8000-000000000001", "not-a-uuid"] {
        let path = access(&api, &format!("policies/{id}"));
        for (method, body) in [(Method::GET, None), (Method::PUT, Some(body.clone())), (Method::DELETE, None)]
        {
            let reply = api.call(method.clone(), &path, body).await;
            assert_error(&reply, StatusCode::NOT_FOUND, 12134, "access.api.error.policy_not_found");
        }
    }
}

#[tokio::test]
async fn read_only_tokens_read_and_other_accounts_see_nothing() {
    let api = TestApi::new().await;
    let policy =
        created(&api, "policies", json!({"name": "a", "decision": "allow", "include": [{"everyone": {}}]}))
            .await;
    let path = access(&api, &format!("policies/{}", id(&policy)));
    assert_eq!(api.call_as(READER, Method::GET, &path, None).await.status, StatusCode::OK);
    let body = json!({"name": "b", "decision": "allow", "include": [{"everyone": {}}]});
    assert_error(
        &api.call_as(READER, Method::PUT, &path, Some(body.clone())).await,
        StatusCode::FORBIDDEN,
        9109,
        "",
    );
    assert_error(&api.call_as(READER, Method::DELETE, &path, None).await, StatusCode::FORBIDDEN, 9109, "");
    assert_error(
        &api.call_as(READER, Method::POST, &access(&api, "policies"), Some(body)).await,
        StatusCode::FORBIDDEN,
        9109,
        "",
    );
    assert_error(&api.call_as(OTHER, Method::GET, &path, None).await, StatusCode::FORBIDDEN, 10000, "");
    // Through the other account's own path, this account's policy does not exist.
    let theirs = format!("/client/v4/accounts/{}/access/policies", api.other_account);
    let reply = api.call_as(OTHER, Method::GET, &format!("{theirs}/{}", id(&policy)), None).await;
    assert_error(&reply, StatusCode::NOT_FOUND, 12134, "");
    assert_eq!(api.call_as(OTHER, Method::GET, &theirs, None).await.result(), &json!([]));
}

#[tokio::test]
async fn list_paginates_filters_and_counts_apps() {
    let api = TestApi::new().await;
    let mut ids = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        ids.push(
            id(&created(
                &api,
                "policies",
                json!({"name": name, "decision": "allow", "include": [{"everyone": {}}]}),
            )
            .await)
            .to_owned(),
        );
    }
    created(&api, "apps", json!({"type": "self_hosted", "domain": "a.example.com", "policies": [ids[1]]}))
        .await;
    let page = |n: u32| access(&api, &format!("policies?page={n}&per_page=2"));
    let first = api.call(Method::GET, &page(1), None).await;
    let names: Vec<_> = first.result().as_array().unwrap().iter().map(|p| p["name"].clone()).collect();
    assert_eq!(names, [json!("alpha"), json!("beta")]);
    assert_eq!(first.result()[1]["app_count"], 1);
    assert_eq!(
        first.json["result_info"],
        json!({"page": 1, "per_page": 2, "count": 2, "total_count": 3, "total_pages": 2})
    );
    assert_eq!(api.call(Method::GET, &page(2), None).await.result().as_array().unwrap().len(), 1);
    let past = api.call(Method::GET, &page(3), None).await;
    assert_eq!((past.status, past.result().clone()), (StatusCode::OK, json!([])));
    let named = api.call(Method::GET, &access(&api, "policies?name=gamma"), None).await;
    assert_eq!(named.result()[0]["id"], ids[2].as_str());
    let searched = api.call(Method::GET, &access(&api, "policies?search=ET"), None).await;
    assert_eq!(searched.result().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_policy_that_apps_link_is_not_deleted_until_unlinked() {
    let api = TestApi::new().await;
    let policy =
        created(&api, "policies", json!({"name": "a", "decision": "allow", "include": [{"everyone": {}}]}))
            .await;
    let app = created(
        &api,
        "apps",
        json!({"type": "self_hosted", "domain": "a.example.com", "policies": [id(&policy)]}),
    )
    .await;
    let path = access(&api, &format!("policies/{}", id(&policy)));
    let refused = api.call(Method::DELETE, &path, None).await;
    assert_error(&refused, StatusCode::CONFLICT, 12135, "access.api.error.policy_in_use");
    assert_eq!(refused.headers.get("x-should-retry").unwrap(), "false");
    assert_eq!(api.call(Method::GET, &path, None).await.result()["app_count"], 1);

    let unlink = json!({"type": "self_hosted", "domain": "a.example.com", "policies": []});
    assert_eq!(
        api.call(Method::PUT, &access(&api, &format!("apps/{}", id(&app))), Some(unlink)).await.status,
        StatusCode::OK
    );
    assert_eq!(api.call(Method::DELETE, &path, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_token_named_by_a_policy_or_group_is_not_deleted_12139() {
    let api = TestApi::new().await;
    let token = api.create(json!({"name": "ci"})).await;
    let other = api.create(json!({"name": "unused"})).await;
    let policy = created(
        &api,
        "policies",
        json!({"name": "p", "decision": "allow", "include": [{"everyone": {}}],
        "exclude": [{"service_token": {"token_id": id(&token)}}]}),
    )
    .await;
    let refused = api.call(Method::DELETE, &api.token_path(id(&token)), None).await;
    assert_error(
        &refused,
        StatusCode::CONFLICT,
        12139,
        "access.api.error.service_token_in_use: cannot delete service token because it is used by a policy, group, or app SCIM configuration",
    );
    assert_eq!(refused.headers.get("x-should-retry").unwrap(), "false");
    assert_eq!(api.call(Method::GET, &api.token_path(id(&token)), None).await.status, StatusCode::OK);
    // Tokens no rule names are deleted as before; unknown ids stay 404.
    assert_eq!(api.call(Method::DELETE, &api.token_path(id(&other)), None).await.status, StatusCode::OK);
    assert_error(
        &api.call(Method::DELETE, &api.token_path(id(&other)), None).await,
        StatusCode::NOT_FOUND,
        12133,
        "",
    );

    assert_eq!(
        api.call(Method::DELETE, &access(&api, &format!("policies/{}", id(&policy))), None).await.status,
        StatusCode::OK
    );
    let group = created(
        &api,
        "groups",
        json!({"name": "g", "include": [{"service_token": {"token_id": id(&token)}}]}),
    )
    .await;
    assert_error(
        &api.call(Method::DELETE, &api.token_path(id(&token)), None).await,
        StatusCode::CONFLICT,
        12139,
        "",
    );
    assert_eq!(
        api.call(Method::DELETE, &access(&api, &format!("groups/{}", id(&group))), None).await.status,
        StatusCode::OK
    );
    let deleted = api.call(Method::DELETE, &api.token_path(id(&token)), None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.json);
}

#[tokio::test]
async fn linking_and_deleting_a_policy_at_once_never_leaves_a_dangling_link() {
    let api = TestApi::new().await;
    for round in 0..6 {
        let policy = created(
            &api,
            "policies",
            json!({"name": "p", "decision": "allow", "include": [{"everyone": {}}]}),
        )
        .await;
        let path = access(&api, &format!("policies/{}", id(&policy)));
        let body = json!({"type": "self_hosted", "domain": format!("r{round}.example.com"), "policies": [id(&policy)]});
        let apps = access(&api, "apps");
        let (linked, deleted) =
            tokio::join!(api.call(Method::POST, &apps, Some(body)), api.call(Method::DELETE, &path, None));
        let policy_exists = api.call(Method::GET, &path, None).await.status == StatusCode::OK;
        match (linked.status, deleted.status) {
            (StatusCode::CREATED, StatusCode::CONFLICT) => assert!(policy_exists),
            (StatusCode::BAD_REQUEST, StatusCode::OK) => assert!(!policy_exists),
            other => panic!("round {round}: {other:?}: {} / {}", linked.json, deleted.json),
        }
    }
}
