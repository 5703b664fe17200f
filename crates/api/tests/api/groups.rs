//! Access groups (`/access/groups`).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::policies::{access, assert_error, created, id};
use crate::support::*;

fn group(name: &str) -> Value {
    json!({"name": name, "include": [{"any_valid_service_token": {}}]})
}

fn group_path(api: &TestApi, group: &Value) -> String {
    access(api, &format!("groups/{}", id(group)))
}

#[tokio::test]
async fn create_get_update_delete_with_unknown_fields_kept() {
    let api = TestApi::new().await;
    let body = json!({"name": "CI tokens", "is_default": false,
        "include": [{"service_token": {"token_id": "f174e90a-fafe-4643-bbbc-4a0ed4fc8415"}}, {"any_valid_service_token": {}}],
        "exclude": [], "require": [{"ip": {"ip": "10.0.0.0/8"}}]});
    let created_group = created(&api, "groups", body.clone()).await;
    for field in ["name", "include", "exclude", "require", "is_default"] {
        assert_eq!(created_group[field], body[field], "{field}");
    }
    assert_eq!(created_group["created_at"], at(0));
    let path = group_path(&api, &created_group);
    assert_eq!(api.call(Method::GET, &path, None).await.result(), &created_group);

    let updated =
        api.call(Method::PUT, &path, Some(json!({"name": "renamed", "include": [{"everyone": {}}]}))).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    assert_eq!(updated.result()["name"], "renamed");
    assert_eq!(updated.result()["require"], json!([]));
    assert!(updated.result().get("is_default").is_none(), "a PUT replaces the group");

    let deleted = api.call(Method::DELETE, &path, None).await;
    assert_eq!(
        (deleted.status, deleted.result().clone()),
        (StatusCode::OK, json!({"id": id(&created_group)}))
    );
    assert_error(
        &api.call(Method::GET, &path, None).await,
        StatusCode::NOT_FOUND,
        12109,
        "access.api.error.group_not_found",
    );
}

#[tokio::test]
async fn bad_groups_are_400_naming_the_rule() {
    let api = TestApi::new().await;
    let cases = [
        (json!({"include": [{"everyone": {}}]}), "'name' is required"),
        (json!({"name": "g"}), "invalid 'include' configuration"),
        (
            json!({"name": "g", "include": [{"service_token": {"token_id": "ci"}}]}),
            "invalid 'include[0]' configuration",
        ),
        (
            json!({"name": "g", "include": [{"everyone": {}}], "exclude": [{"group": {}}]}),
            "invalid 'exclude[0]' configuration",
        ),
        (
            json!({"name": "g", "include": [{"everyone": {}}], "require": [{"ip": {"ip": "300.0.0.1"}}]}),
            "invalid 'require[0]' configuration",
        ),
    ];
    for (body, needle) in cases {
        assert_error(
            &api.call(Method::POST, &access(&api, "groups"), Some(body)).await,
            StatusCode::BAD_REQUEST,
            12130,
            needle,
        );
    }
    let own = created(&api, "groups", group("g")).await;
    let itself =
        json!({"name": "g", "include": [{"everyone": {}}], "require": [{"group": {"id": id(&own)}}]});
    assert_error(
        &api.call(Method::PUT, &group_path(&api, &own), Some(itself)).await,
        StatusCode::BAD_REQUEST,
        12130,
        "'require[0]'",
    );
}

#[tokio::test]
async fn a_group_used_by_a_rule_is_not_deleted_until_unused() {
    let api = TestApi::new().await;
    let used = created(&api, "groups", group("used")).await;
    let rule = json!({"group": {"id": id(&used)}});
    let policy =
        created(&api, "policies", json!({"name": "p", "decision": "allow", "include": [rule]})).await;
    let path = group_path(&api, &used);
    let refused = api.call(Method::DELETE, &path, None).await;
    assert_error(&refused, StatusCode::CONFLICT, 12136, "access.api.error.group_in_use");
    assert_eq!(refused.headers.get("x-should-retry").unwrap(), "false");

    assert_eq!(
        api.call(Method::DELETE, &access(&api, &format!("policies/{}", id(&policy))), None).await.status,
        StatusCode::OK
    );
    let outer =
        created(&api, "groups", json!({"name": "outer", "include": [{"everyone": {}}], "require": [rule]}))
            .await;
    assert_error(&api.call(Method::DELETE, &path, None).await, StatusCode::CONFLICT, 12136, "");
    assert_eq!(api.call(Method::DELETE, &group_path(&api, &outer), None).await.status, StatusCode::OK);
    assert_eq!(api.call(Method::DELETE, &path, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn list_paginates_and_filters() {
    let api = TestApi::new().await;
    for name in ["ops", "devs", "ci"] {
        created(&api, "groups", group(name)).await;
    }
    let first = api.call(Method::GET, &access(&api, "groups?per_page=2"), None).await;
    assert_eq!(first.result().as_array().unwrap().len(), 2);
    assert_eq!(
        first.json["result_info"],
        json!({"page": 1, "per_page": 2, "count": 2, "total_count": 3, "total_pages": 2})
    );
    assert_eq!(
        api.call(Method::GET, &access(&api, "groups?per_page=2&page=5"), None).await.result(),
        &json!([])
    );
    assert_eq!(
        api.call(Method::GET, &access(&api, "groups?name=devs"), None).await.result()[0]["name"],
        "devs"
    );
    assert_eq!(api.call(Method::GET, &access(&api, "groups?search=C"), None).await.result()[0]["name"], "ci");
}

#[tokio::test]
async fn unknown_ids_read_only_tokens_and_other_accounts() {
    let api = TestApi::new().await;
    for group_id in ["a1b2c3d4-0000-4000-8000-000000000001", "nope"] {
        let path = access(&api, &format!("groups/{group_id}"));
        for (method, body) in [(Method::GET, None), (Method::PUT, Some(group("g"))), (Method::DELETE, None)] {
            assert_error(&api.call(method, &path, body).await, StatusCode::NOT_FOUND, 12109, "");
        }
    }
    let mine = created(&api, "groups", group("g")).await;
    let path = group_path(&api, &mine);
    assert_eq!(api.call_as(READER, Method::GET, &path, None).await.status, StatusCode::OK);
    assert_error(
        &api.call_as(READER, Method::PUT, &path, Some(group("h"))).await,
        StatusCode::FORBIDDEN,
        9109,
        "",
    );
    assert_error(&api.call_as(READER, Method::DELETE, &path, None).await, StatusCode::FORBIDDEN, 9109, "");
    assert_error(
        &api.call_as(READER, Method::POST, &access(&api, "groups"), Some(group("h"))).await,
        StatusCode::FORBIDDEN,
        9109,
        "",
    );
    assert_error(&api.call_as(OTHER, Method::GET, &path, None).await, StatusCode::FORBIDDEN, 10000, "");
    let theirs = format!("/client/v4/accounts/{}/access/groups/{}", api.other_account, id(&mine));
    assert_error(&api.call_as(OTHER, Method::GET, &theirs, None).await, StatusCode::NOT_FOUND, 12109, "");
}
