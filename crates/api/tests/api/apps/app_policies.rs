//! App-scoped policies (`/access/apps/{app_id}/policies`) and `make_reusable`.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{app_path, simple_app};
use crate::policies::{access, assert_error, created, id, token_policy};
use crate::support::*;

fn allow(name: &str) -> Value {
    json!({"name": name, "decision": "allow", "include": [{"everyone": {}}]})
}

/// An application and the path of its policies.
async fn app_with_policies(api: &TestApi) -> (Value, String) {
    let app = created(api, "apps", simple_app("a.example.com")).await;
    let path = format!("{}/policies", app_path(api, &app));
    (app, path)
}

async fn post(api: &TestApi, path: &str, body: Value) -> Value {
    let reply = api.call(Method::POST, path, Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    reply.result().clone()
}

#[tokio::test]
async fn create_links_the_policy_after_the_last_one_unless_told() {
    let api = TestApi::new().await;
    let (app, path) = app_with_policies(&api).await;
    let first = post(&api, &path, allow("first")).await;
    assert_eq!((first["precedence"].clone(), first["reusable"].clone()), (json!(1), json!(false)));
    let mut body = allow("third");
    body["precedence"] = json!(10);
    body["approval_required"] = json!(false);
    let third = post(&api, &path, body).await;
    assert_eq!(third["approval_required"], false);
    let second = post(
        &api,
        &path,
        json!({"name": "second", "decision": "non_identity",
        "include": [{"service_token": {}}], "precedence": 5}),
    )
    .await;
    let listed = api.call(Method::GET, &path, None).await;
    let order: Vec<_> = listed.result().as_array().unwrap().iter().map(|p| p["name"].clone()).collect();
    assert_eq!(order, [json!("first"), json!("second"), json!("third")]);
    assert_eq!(listed.json["result_info"]["total_count"], 3);
    let app_now = api.call(Method::GET, &app_path(&api, &app), None).await;
    let precedences: Vec<_> =
        app_now.result()["policies"].as_array().unwrap().iter().map(|p| p["precedence"].clone()).collect();
    assert_eq!(precedences, [json!(1), json!(5), json!(10)]);
    let fetched = api.call(Method::GET, &format!("{path}/{}", id(&second)), None).await;
    assert_eq!(fetched.result(), &second);
    assert_eq!(
        api.call(Method::GET, &format!("{path}?page=2&per_page=2"), None)
            .await
            .result()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(api.call(Method::GET, &format!("{path}?page=3&per_page=2"), None).await.result(), &json!([]));
}

#[tokio::test]
async fn bad_bodies_and_taken_precedences_are_400() {
    let api = TestApi::new().await;
    let (_, path) = app_with_policies(&api).await;
    post(&api, &path, allow("first")).await;
    let mut taken = allow("x");
    taken["precedence"] = json!(1);
    let cases = [
        (taken, "invalid 'precedence'"),
        (
            json!({"name": "x", "decision": "allow", "include": [{"group": {"id": "developers-uuid"}}]}),
            "invalid 'include[0]' configuration",
        ),
        (json!({"name": "x", "decision": "allow"}), "invalid 'include' configuration"),
        (json!({"decision": "allow", "include": [{"everyone": {}}]}), "'name' is required"),
        (
            json!({"name": "x", "decision": "allow", "include": [{"everyone": {}}], "precedence": "high"}),
            "invalid 'precedence'",
        ),
    ];
    for (body, needle) in cases {
        assert_error(
            &api.call(Method::POST, &path, Some(body)).await,
            StatusCode::BAD_REQUEST,
            12130,
            needle,
        );
    }
    assert_eq!(api.call(Method::GET, &path, None).await.json["result_info"]["total_count"], 1);
}

#[tokio::test]
async fn update_replaces_the_policy_and_moves_it_when_told() {
    let api = TestApi::new().await;
    let (app, path) = app_with_policies(&api).await;
    let first = post(&api, &path, allow("first")).await;
    post(&api, &path, allow("second")).await;
    let target = format!("{path}/{}", id(&first));
    let renamed = api
        .call(
            Method::PUT,
            &target,
            Some(json!({"name": "renamed", "decision": "deny", "include": [{"everyone": {}}]})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.json);
    assert_eq!(
        (renamed.result()["name"].clone(), renamed.result()["precedence"].clone()),
        (json!("renamed"), json!(1))
    );
    let mut moved = allow("renamed");
    moved["precedence"] = json!(3);
    assert_eq!(api.call(Method::PUT, &target, Some(moved)).await.result()["precedence"], 3);
    let app_now = api.call(Method::GET, &app_path(&api, &app), None).await;
    let order: Vec<_> =
        app_now.result()["policies"].as_array().unwrap().iter().map(|p| p["name"].clone()).collect();
    assert_eq!(order, [json!("second"), json!("renamed")]);
    let mut clash = allow("renamed");
    clash["precedence"] = json!(2);
    assert_error(
        &api.call(Method::PUT, &target, Some(clash)).await,
        StatusCode::BAD_REQUEST,
        12130,
        "precedence 2",
    );
}

#[tokio::test]
async fn delete_removes_the_policy_and_its_link() {
    let api = TestApi::new().await;
    let (app, path) = app_with_policies(&api).await;
    let policy = post(&api, &path, allow("gone")).await;
    let target = format!("{path}/{}", id(&policy));
    let deleted = api.call(Method::DELETE, &target, None).await;
    assert_eq!((deleted.status, deleted.result().clone()), (StatusCode::OK, json!({"id": id(&policy)})));
    assert_error(&api.call(Method::GET, &target, None).await, StatusCode::NOT_FOUND, 12134, "");
    assert_eq!(api.call(Method::GET, &app_path(&api, &app), None).await.result()["policies"], json!([]));
}

#[tokio::test]
async fn reusable_policies_are_listed_but_changed_only_through_their_own_route() {
    let api = TestApi::new().await;
    let reusable = token_policy(&api, "shared", "f174e90a-fafe-4643-bbbc-4a0ed4fc8415").await;
    let mut body = simple_app("a.example.com");
    body["policies"] = json!([id(&reusable)]);
    let app = created(&api, "apps", body).await;
    let target = format!("{}/policies/{}", app_path(&api, &app), id(&reusable));
    let fetched = api.call(Method::GET, &target, None).await;
    assert_eq!(
        (fetched.result()["reusable"].clone(), fetched.result()["precedence"].clone()),
        (json!(true), json!(1))
    );
    assert_error(
        &api.call(Method::PUT, &target, Some(allow("x"))).await,
        StatusCode::BAD_REQUEST,
        12130,
        "reusable",
    );
    assert_error(&api.call(Method::DELETE, &target, None).await, StatusCode::BAD_REQUEST, 12130, "reusable");
}

#[tokio::test]
async fn make_reusable_keeps_the_link_and_protects_the_policy() {
    let api = TestApi::new().await;
    let (app, path) = app_with_policies(&api).await;
    let policy = post(&api, &path, allow("legacy")).await;
    let target = format!("{path}/{}/make_reusable", id(&policy));
    let reply =
        api.raw(Method::PUT, &target, &[("authorization", &format!("Bearer {ADMIN}"))], Vec::new()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.result()["reusable"], true);
    let shared = api.call(Method::GET, &access(&api, &format!("policies/{}", id(&policy))), None).await;
    assert_eq!((shared.status, shared.result()["app_count"].clone()), (StatusCode::OK, json!(1)));
    assert_eq!(
        api.call(Method::GET, &app_path(&api, &app), None).await.result()["policies"][0]["reusable"],
        true
    );
    let refused = api.call(Method::DELETE, &access(&api, &format!("policies/{}", id(&policy))), None).await;
    assert_error(&refused, StatusCode::CONFLICT, 12135, "");
    assert_eq!(api.call(Method::PUT, &target, None).await.status, StatusCode::OK, "idempotent");
}

#[tokio::test]
async fn policies_of_another_app_or_unknown_ids_are_404_12134() {
    let api = TestApi::new().await;
    let (_, path) = app_with_policies(&api).await;
    let theirs = created(&api, "apps", simple_app("b.example.com")).await;
    let policy = post(&api, &format!("{}/policies", app_path(&api, &theirs)), allow("theirs")).await;
    for policy_id in [id(&policy), "a1b2c3d4-0000-4000-8000-000000000001", "nope"] {
        let target = format!("{path}/{policy_id}");
        assert_error(
            &api.call(Method::GET, &target, None).await,
            StatusCode::NOT_FOUND,
            12134,
            "policy_not_found",
        );
        assert_error(
            &api.call(Method::PUT, &target, Some(allow("x"))).await,
            StatusCode::NOT_FOUND,
            12134,
            "",
        );
        assert_error(&api.call(Method::DELETE, &target, None).await, StatusCode::NOT_FOUND, 12134, "");
        assert_error(
            &api.call(Method::PUT, &format!("{target}/make_reusable"), None).await,
            StatusCode::NOT_FOUND,
            12134,
            "",
        );
    }
    // Nor can an application link another application's policy.
    let mut body = simple_app("c.example.com");
    body["policies"] = json!([id(&policy)]);
    assert_error(
        &api.call(Method::POST, &access(&api, "apps"), Some(body)).await,
        StatusCode::BAD_REQUEST,
        12130,
        "policies[0]",
    );
}

#[tokio::test]
async fn read_only_tokens_cannot_change_app_policies() {
    let api = TestApi::new().await;
    let (_, path) = app_with_policies(&api).await;
    let policy = post(&api, &path, allow("p")).await;
    let target = format!("{path}/{}", id(&policy));
    assert_eq!(api.call_as(READER, Method::GET, &target, None).await.status, StatusCode::OK);
    let writes = [
        (Method::POST, path.clone(), Some(allow("q"))),
        (Method::PUT, target.clone(), Some(allow("q"))),
        (Method::DELETE, target.clone(), None),
        (Method::PUT, format!("{target}/make_reusable"), None),
    ];
    for (method, target, body) in writes {
        assert_error(&api.call_as(READER, method, &target, body).await, StatusCode::FORBIDDEN, 9109, "");
    }
}
