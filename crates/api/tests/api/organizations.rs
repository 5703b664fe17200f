//! The Access organization (`/access/organizations`).

use axum::http::{Method, StatusCode};
use gatehouse_domain::Timestamp;
use serde_json::json;

use crate::policies::{access, assert_error};
use crate::support::*;

#[tokio::test]
async fn the_first_read_creates_gatehouse_defaults() {
    let api = TestApi::new().await;
    let path = access(&api, "organizations");
    let reply = api.call_as(READER, Method::GET, &path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let org = reply.result();
    assert_eq!(org["name"], "gatehouse");
    assert_eq!(org["auth_domain"], "gatehouse.local");
    assert_eq!(org["strict_service_token_auth"], false);
    assert!(org.get("service_token_inactivity").is_none());
    assert_eq!(org["created_at"], at(0));
    api.clock.set(Timestamp::from_unix(START + 10));
    assert_eq!(api.call(Method::GET, &path, None).await.result(), org, "created once");
}

#[tokio::test]
async fn put_and_patch_change_only_the_fields_given() {
    let api = TestApi::new().await;
    let path = access(&api, "organizations");
    api.clock.set(Timestamp::from_unix(START + 5));
    let patch = json!({"strict_service_token_auth": true,
        "service_token_inactivity": {"enabled": true, "inactivity_threshold_days": 90, "action": "disable"}});
    let patched = api.call(Method::PATCH, &path, Some(patch)).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.json);
    assert_eq!(patched.result()["strict_service_token_auth"], true);
    assert_eq!(patched.result()["name"], "gatehouse");
    assert_eq!(patched.result()["service_token_inactivity"]["inactivity_threshold_days"], 90);

    api.clock.set(Timestamp::from_unix(START + 20));
    let put = json!({"name": "Acme", "auth_domain": "acme.cloudflareaccess.com", "is_ui_read_only": true, "created_at": "x"});
    let replaced = api.call(Method::PUT, &path, Some(put)).await;
    let org = replaced.result();
    assert_eq!(
        (org["name"].clone(), org["auth_domain"].clone()),
        (json!("Acme"), json!("acme.cloudflareaccess.com"))
    );
    assert_eq!(org["strict_service_token_auth"], true, "PUT keeps fields it does not give");
    assert_eq!(org["is_ui_read_only"], true);
    assert_eq!((org["created_at"].clone(), org["updated_at"].clone()), (json!(at(5)), json!(at(20))));
    assert_eq!(api.call(Method::GET, &path, None).await.result(), org);

    let cleared = api.call(Method::PATCH, &path, Some(json!({"service_token_inactivity": null}))).await;
    assert!(cleared.result().get("service_token_inactivity").is_none());
}

#[tokio::test]
async fn bad_settings_are_400_naming_the_field() {
    let api = TestApi::new().await;
    let path = access(&api, "organizations");
    let inactivity = |value| json!({"service_token_inactivity": value});
    let cases = [
        (json!({"name": ""}), "'name'"),
        (json!({"auth_domain": "https://acme.example.com"}), "invalid 'auth_domain'"),
        (json!({"strict_service_token_auth": "yes"}), "invalid 'strict_service_token_auth'"),
        (
            inactivity(json!({"enabled": true, "inactivity_threshold_days": 29, "action": "disable"})),
            "inactivity_threshold_days",
        ),
        (
            inactivity(json!({"enabled": true, "inactivity_threshold_days": 366, "action": "disable"})),
            "inactivity_threshold_days",
        ),
        (
            inactivity(json!({"enabled": true, "inactivity_threshold_days": 30, "action": "archive"})),
            "'service_token_inactivity.action'",
        ),
        (inactivity(json!({"enabled": true, "action": "delete"})), "inactivity_threshold_days"),
        (inactivity(json!({"enabled": "yes"})), "'service_token_inactivity.enabled'"),
        (inactivity(json!(90)), "invalid 'service_token_inactivity'"),
        (json!(["not", "an", "object"]), ""),
    ];
    for (body, needle) in cases {
        assert_error(
            &api.call(Method::PATCH, &path, Some(body)).await,
            StatusCode::BAD_REQUEST,
            12130,
            needle,
        );
    }
    let fine = inactivity(json!({"enabled": true, "inactivity_threshold_days": 365, "action": "delete"}));
    assert_eq!(api.call(Method::PUT, &path, Some(fine)).await.status, StatusCode::OK);
    assert_eq!(api.call(Method::GET, &path, None).await.result()["strict_service_token_auth"], false);
}

#[tokio::test]
async fn read_only_tokens_cannot_change_it_and_other_accounts_are_refused() {
    let api = TestApi::new().await;
    let path = access(&api, "organizations");
    for method in [Method::PUT, Method::PATCH] {
        let body = Some(json!({"strict_service_token_auth": true}));
        assert_error(
            &api.call_as(READER, method.clone(), &path, body.clone()).await,
            StatusCode::FORBIDDEN,
            9109,
            "",
        );
        assert_error(&api.call_as(OTHER, method, &path, body).await, StatusCode::FORBIDDEN, 10000, "");
    }
    assert_error(&api.call_as(OTHER, Method::GET, &path, None).await, StatusCode::FORBIDDEN, 10000, "");
    assert_eq!(api.call(Method::GET, &path, None).await.result()["strict_service_token_auth"], false);
    assert_error(&api.call(Method::DELETE, &path, None).await, StatusCode::METHOD_NOT_ALLOWED, 7001, "");
}
