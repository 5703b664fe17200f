use axum::http::{Method, StatusCode};

use crate::support::*;

#[tokio::test]
async fn missing_credentials_are_400_9106() {
    let api = TestApi::new().await;
    let reply = api.raw(Method::GET, &api.tokens_path(), &[], Vec::new()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), 9106);
    assert_eq!(reply.json["success"], false);
    assert!(reply.json["result"].is_null());
}

#[tokio::test]
async fn malformed_authorization_is_400_6003_with_6111() {
    let api = TestApi::new().await;
    for value in ["Bearer", "Bearer a b", "Basic abc", "Bearer \"quoted\""] {
        let reply = api.raw(Method::GET, &api.tokens_path(), &[("authorization", value)], Vec::new()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{value}");
        assert_eq!(reply.code(), 6003);
        assert_eq!(reply.json["errors"][0]["error_chain"][0]["code"], 6111);
    }
}

#[tokio::test]
async fn an_unknown_token_is_401() {
    let api = TestApi::new().await;
    let reply = api
        .call_as("gatehouse_at_not-a-real-token-000000000000", Method::GET, &api.tokens_path(), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.code(), 10000);
}

#[tokio::test]
async fn another_accounts_token_gets_403_and_sees_nothing() {
    let api = TestApi::new().await;
    let created = api.create(serde_json::json!({"name": "mine"})).await;
    let id = created["id"].as_str().unwrap();
    for (method, path) in [
        (Method::GET, api.tokens_path()),
        (Method::GET, api.token_path(id)),
        (Method::DELETE, api.token_path(id)),
        (Method::POST, format!("{}/rotate", api.token_path(id))),
    ] {
        let reply = api.call_as(OTHER, method.clone(), &path, None).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(reply.code(), 10000);
    }
    // The other account's own list does not show it either.
    let theirs = format!("/client/v4/accounts/{}/access/service_tokens", api.other_account);
    let reply = api.call_as(OTHER, Method::GET, &theirs, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.result().as_array().unwrap().len(), 0);
    // And it cannot reach the token through its own account path.
    let reply = api.call_as(OTHER, Method::GET, &format!("{theirs}/{id}"), None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // Still there for its owner.
    assert_eq!(api.call(Method::GET, &api.token_path(id), None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn read_only_tokens_read_but_cannot_write() {
    let api = TestApi::new().await;
    let created = api.create(serde_json::json!({"name": "x"})).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(api.call_as(READER, Method::GET, &api.tokens_path(), None).await.status, StatusCode::OK);
    assert_eq!(api.call_as(READER, Method::GET, &api.token_path(id), None).await.status, StatusCode::OK);
    for (method, path, body) in [
        (Method::POST, api.tokens_path(), Some(serde_json::json!({"name": "y"}))),
        (Method::PUT, api.token_path(id), Some(serde_json::json!({"name": "z"}))),
        (Method::DELETE, api.token_path(id), None),
        (Method::POST, format!("{}/rotate", api.token_path(id)), None),
        (Method::POST, format!("{}/refresh", api.token_path(id)), None),
    ] {
        let reply = api.call_as(READER, method.clone(), &path, body).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(reply.code(), 9109);
    }
    let after = api.call(Method::GET, &api.token_path(id), None).await;
    assert_eq!(after.result()["name"], "x");
    assert_eq!(after.result()["client_secret_version"], 1);
}

#[tokio::test]
async fn the_legacy_email_and_key_pair_works() {
    let api = TestApi::new().await;
    let headers = [
        ("x-auth-email", "OPS@example.com"),
        ("x-auth-key", LEGACY_KEY),
        ("content-type", "application/json"),
    ];
    let reply = api.raw(Method::POST, &api.tokens_path(), &headers, br#"{"name":"legacy"}"#.to_vec()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);

    let wrong_email = [("x-auth-email", "eve@example.com"), ("x-auth-key", LEGACY_KEY)];
    let reply = api.raw(Method::GET, &api.tokens_path(), &wrong_email, Vec::new()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.code(), 9103);
    // A bearer token is not a global key.
    let bearer_as_key = [("x-auth-email", LEGACY_EMAIL), ("x-auth-key", ADMIN)];
    assert_eq!(
        api.raw(Method::GET, &api.tokens_path(), &bearer_as_key, Vec::new()).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn verify_endpoints_answer_as_cloudflare_does() {
    let api = TestApi::new().await;
    for path in [
        "/client/v4/user/tokens/verify".to_owned(),
        format!("/client/v4/accounts/{}/tokens/verify", api.account),
    ] {
        let reply = api.call(Method::GET, &path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.result()["status"], "active");
        assert_eq!(reply.result()["id"].as_str().unwrap().len(), 32);
        assert_eq!(reply.json["messages"][0]["code"], 10000);
        assert_eq!(reply.json["messages"][0]["message"], "This API Token is valid and active");
    }
    let reply = api
        .call_as(
            "gatehouse_at_wrong-token-0000000000000000",
            Method::GET,
            "/client/v4/user/tokens/verify",
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.code(), 1000);
    assert_eq!(reply.json["errors"][0]["message"], "Invalid API Token");
    let other = format!("/client/v4/accounts/{}/tokens/verify", api.other_account);
    assert_eq!(api.call(Method::GET, &other, None).await.code(), 1000);
}

#[tokio::test]
async fn accounts_lists_the_callers_account() {
    let api = TestApi::new().await;
    let reply = api.call_as(READER, Method::GET, "/client/v4/accounts", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let accounts = reply.result().as_array().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["id"], api.account.as_str());
}
