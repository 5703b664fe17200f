//! `GET …/access/logs/access_requests` (and `access-requests`): records written the way the
//! gateway writes them, read back through the API with Cloudflare's query parameters.

use axum::http::{Method, StatusCode};
use gatehouse_domain::access::{AppId, IdpId, PolicyId};
use gatehouse_domain::{AccountId, Timestamp, TokenId};
use gatehouse_store::{AccessLogRecord, AccessLogStore, RecordedPerson};
use gatehouse_store_sqlite::SqliteStore;
use serde_json::Value;

use crate::support::{OTHER, READER, START, TestApi};

struct Logged {
    api: TestApi,
    app: AppId,
    token: TokenId,
}

fn record(account: &AccountId, ray: &str, seconds: i64, app: AppId) -> AccessLogRecord {
    AccessLogRecord {
        account_id: account.clone(),
        ray_id: ray.to_owned(),
        created_at: Timestamp::from_unix(START + seconds),
        allowed: false,
        app_uid: app,
        app_domain: "app.example.com".to_owned(),
        ip_address: "127.0.0.1".to_owned(),
        is_service_token: true,
        service_token_id: None,
        client_id: Some("unknown.access".to_owned()),
        policy_id: None,
        decision: None,
        reason: Some("unknown_client_id".to_owned()),
        status: 403,
        method: "GET".to_owned(),
        person: None,
    }
}

/// Three records: a denied token attempt, an allowed token request, an anonymous refusal.
async fn logged() -> Logged {
    let api = TestApi::new().await;
    let store = SqliteStore::open(&api.dir.path().join("gatehouse.db")).await.unwrap();
    let app = AppId::generate();
    let token = TokenId::generate();
    let allowed = AccessLogRecord {
        allowed: true,
        service_token_id: Some(token),
        client_id: Some("0123456789abcdef0123456789abcdef.access".to_owned()),
        policy_id: Some(PolicyId::generate()),
        decision: Some("non_identity".to_owned()),
        reason: None,
        status: 200,
        ..record(&api.account, "00000000000000b2", 20, app)
    };
    let anonymous = AccessLogRecord {
        is_service_token: false,
        client_id: None,
        reason: Some("missing_credentials".to_owned()),
        app_uid: AppId::generate(),
        ..record(&api.account, "00000000000000c3", 30, app)
    };
    let elsewhere = record(&api.other_account, "00000000000000d4", 40, app);
    store
        .insert_access_logs(&[
            record(&api.account, "00000000000000a1", 10, app),
            allowed,
            anonymous,
            elsewhere,
        ])
        .await
        .unwrap();
    store.close().await;
    Logged { api, app, token }
}

fn path(api: &TestApi, query: &str) -> String {
    format!("/client/v4/accounts/{}/access/logs/access_requests{query}", api.account)
}

async fn rays(api: &TestApi, query: &str) -> Vec<String> {
    let reply = api.call_as(READER, Method::GET, &path(api, query), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.json);
    reply.result().as_array().unwrap().iter().map(|r| r["ray_id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn lists_newest_first_in_cloudflare_shape_with_read_permission() {
    let Logged { api, app, token } = logged().await;
    let reply = api.call_as(READER, Method::GET, &path(&api, "?limit=100"), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let result = reply.result().as_array().unwrap();
    let rays: Vec<&str> = result.iter().map(|r| r["ray_id"].as_str().unwrap()).collect();
    assert_eq!(
        rays,
        ["00000000000000c3", "00000000000000b2", "00000000000000a1"],
        "another account's record is not listed"
    );
    let allowed = &result[1];
    let expected = serde_json::json!({
        "action": "login", "allowed": true, "app_domain": "app.example.com", "app_uid": app.to_string(),
        "connection": "service_token", "created_at": Timestamp::from_unix(START + 20).to_string(),
        "ip_address": "127.0.0.1", "ray_id": "00000000000000b2", "user_email": "", "idp_id": null, "is_service_token": true,
        "service_token_id": token.to_string(), "client_id": "0123456789abcdef0123456789abcdef.access",
        "policy_id": allowed["policy_id"], "decision": "non_identity", "reason": null, "status": 200, "method": "GET",
    });
    assert_eq!(allowed, &expected);
    assert_eq!(result[0]["connection"], "none");
    assert_eq!(result[2]["reason"], "unknown_client_id");
    let info = &reply.json["result_info"];
    assert_eq!(
        (info["page"].as_u64(), info["per_page"].as_u64(), info["count"].as_u64()),
        (Some(1), Some(100), Some(3))
    );
    assert_eq!((info["total_count"].as_u64(), info["total_pages"].as_u64()), (Some(3), Some(1)));

    // The seed's `jq '.result[] | select(.is_service_token == true)'`.
    let tokens: Vec<&Value> = result.iter().filter(|r| r["is_service_token"] == true).collect();
    assert_eq!(tokens.len(), 2);

    let hyphen = format!("/client/v4/accounts/{}/access/logs/access-requests", api.account);
    let reply = api.call_as(READER, Method::GET, &hyphen, None).await;
    assert_eq!(reply.result().as_array().unwrap().len(), 3, "cloudflare-go v0's spelling");
    let reply = api.call_as(OTHER, Method::GET, &path(&api, ""), None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "another account's token: {}", reply.json);
}

#[tokio::test]
async fn filters_order_and_pages() {
    let Logged { api, app, token } = logged().await;
    let since = Timestamp::from_unix(START + 20);
    let cases = [
        ("?direction=asc".to_owned(), vec!["00000000000000a1", "00000000000000b2", "00000000000000c3"]),
        ("?allowed=false".to_owned(), vec!["00000000000000c3", "00000000000000a1"]),
        ("?allowed=false&allowedOp=neq".to_owned(), vec!["00000000000000b2"]),
        (format!("?since={since}"), vec!["00000000000000c3", "00000000000000b2"]),
        (format!("?until={since}"), vec!["00000000000000b2", "00000000000000a1"]),
        (format!("?app_uid={app}&direction=asc"), vec!["00000000000000a1", "00000000000000b2"]),
        (format!("?app_uid={app}&app_uidOp=neq"), vec!["00000000000000c3"]),
        ("?ray_id=00000000000000B2".to_owned(), vec!["00000000000000b2"]),
        ("?ray_id=00000000000000b2&ray_idOp=neq".to_owned(), vec!["00000000000000c3", "00000000000000a1"]),
        ("?non_identity=false".to_owned(), vec!["00000000000000c3"]),
        (format!("?service_token_id={token}"), vec!["00000000000000b2"]),
        ("?client_id=unknown.access".to_owned(), vec!["00000000000000a1"]),
        ("?email=someone@example.com".to_owned(), vec![]),
        ("?email=someone@example.com&emailOp=neq&limit=1".to_owned(), vec!["00000000000000c3"]),
        ("?limit=2".to_owned(), vec!["00000000000000c3", "00000000000000b2"]),
        ("?per_page=2&page=2".to_owned(), vec!["00000000000000a1"]),
        ("?per_page=2&page=3".to_owned(), vec![]),
        (
            "?country_code=PT&idpOp=eq&user_id=x".to_owned(),
            vec!["00000000000000c3", "00000000000000b2", "00000000000000a1"],
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(rays(&api, &query).await, expected, "{query}");
    }
    let reply = api.call_as(READER, Method::GET, &path(&api, "?fields=ray_id,allowed&limit=1"), None).await;
    assert_eq!(reply.result(), &serde_json::json!([{"ray_id": "00000000000000c3", "allowed": false}]));
}

#[tokio::test]
async fn bad_values_are_400_12091() {
    let api = TestApi::new().await;
    for query in [
        "?limit=0",
        "?limit=1001",
        "?per_page=x",
        "?direction=sideways",
        "?since=yesterday",
        "?allowed=perhaps",
        "?allowedOp=gt",
        "?app_uid=42",
        "?service_token_id=nope",
        "?page=0",
    ] {
        let reply = api.call_as(READER, Method::GET, &path(&api, query), None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {}", reply.json);
        assert_eq!(reply.code(), 12091, "{query}");
    }
}

/// A person's request: their address, `is_service_token: false`, the provider's type as
/// `connection`; the e-mail filters find it (by substring, exactly, or not).
#[tokio::test]
async fn a_persons_request_carries_their_email_and_the_email_filters_find_it() {
    let api = TestApi::new().await;
    let store = SqliteStore::open(&api.dir.path().join("gatehouse.db")).await.unwrap();
    let app = AppId::generate();
    let idp = IdpId::generate();
    let person = AccessLogRecord {
        allowed: true,
        is_service_token: false,
        client_id: None,
        reason: None,
        status: 200,
        decision: Some("allow".to_owned()),
        policy_id: Some(PolicyId::generate()),
        person: Some(RecordedPerson {
            email: "dev-alice@example.com".to_owned(),
            idp_id: Some(idp),
            idp_type: Some("oidc".to_owned()),
        }),
        ..record(&api.account, "00000000000000e1", 10, app)
    };
    store.insert_access_logs(&[person, record(&api.account, "00000000000000e2", 20, app)]).await.unwrap();
    store.close().await;
    let reply = api.call_as(READER, Method::GET, &path(&api, "?direction=asc"), None).await;
    let result = reply.result().as_array().unwrap();
    assert_eq!(result[0]["user_email"], "dev-alice@example.com");
    assert_eq!(result[0]["is_service_token"], false);
    assert_eq!(result[0]["connection"], "oidc");
    assert_eq!(result[0]["idp_id"], idp.to_string());
    assert_eq!(result[1]["user_email"], "");
    assert_eq!(rays(&api, "?email=ALICE").await, ["00000000000000e1"]);
    assert_eq!(rays(&api, "?email=alice&email_exact=true").await, Vec::<String>::new());
    assert_eq!(rays(&api, "?email=dev-alice@example.com&emailOp=eq").await, ["00000000000000e1"]);
    assert_eq!(rays(&api, "?email=dev-alice@example.com&emailOp=neq").await, ["00000000000000e2"]);
    assert_eq!(rays(&api, "?non_identity=false").await, ["00000000000000e1"]);
}
