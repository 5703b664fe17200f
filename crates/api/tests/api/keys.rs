//! `/accounts/{id}/access/keys`: the signing keys' rotation schedule.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{READER, TestApi, at};

const DAY: i64 = 86_400;

fn keys_path(api: &TestApi) -> String {
    format!("/client/v4/accounts/{}/access/keys", api.account)
}

#[tokio::test]
async fn the_first_read_creates_keys_on_the_default_schedule() {
    let api = TestApi::new().await;
    let reply = api.call(Method::GET, &keys_path(&api), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["success"], true);
    assert_eq!(
        reply.result(),
        &json!({"key_rotation_interval_days": 42, "days_until_next_rotation": 42, "last_key_rotation_at": at(0)})
    );
    api.clock.advance_secs(2 * DAY);
    let again = api.call(Method::GET, &keys_path(&api), None).await;
    assert_eq!(again.result()["days_until_next_rotation"], 40);
    assert_eq!(again.result()["last_key_rotation_at"], at(0), "reading does not make new keys");
}

#[tokio::test]
async fn the_interval_can_be_changed_within_21_to_365_days() {
    let api = TestApi::new().await;
    let reply =
        api.call(Method::PUT, &keys_path(&api), Some(json!({"key_rotation_interval_days": 30}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.result()["key_rotation_interval_days"], 30);
    assert_eq!(reply.result()["days_until_next_rotation"], 30);
    for bad in [
        json!({"key_rotation_interval_days": 20}),
        json!({"key_rotation_interval_days": 366}),
        json!({}),
        json!({"key_rotation_interval_days": "30"}),
    ] {
        let reply = api.call(Method::PUT, &keys_path(&api), Some(bad.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {}", reply.json);
        assert_eq!(reply.code(), 12130);
    }
    let read_only = api
        .call_as(READER, Method::PUT, &keys_path(&api), Some(json!({"key_rotation_interval_days": 30})))
        .await;
    assert_eq!(read_only.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn rotating_restarts_the_schedule() {
    let api = TestApi::new().await;
    api.call(Method::PUT, &keys_path(&api), Some(json!({"key_rotation_interval_days": 21}))).await;
    api.clock.advance_secs(10 * DAY);
    let reply = api.call(Method::POST, &format!("{}/rotate", keys_path(&api)), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(
        reply.result(),
        &json!({"key_rotation_interval_days": 21, "days_until_next_rotation": 21, "last_key_rotation_at": at(10 * DAY)})
    );
}

#[tokio::test]
async fn another_accounts_keys_are_out_of_reach() {
    let api = TestApi::new().await;
    let path = format!("/client/v4/accounts/{}/access/keys", api.other_account);
    let reply = api.call(Method::GET, &path, None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}
