use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

const FIELDS: [&str; 11] = [
    "id",
    "name",
    "client_id",
    "duration",
    "created_at",
    "updated_at",
    "expires_at",
    "last_seen_at",
    "client_secret_version",
    "previous_client_secret_expires_at",
    "enabled",
];

#[track_caller]
fn assert_token_shape(token: &Value, with_secret: bool) {
    for field in FIELDS {
        assert!(token.get(field).is_some(), "missing {field} in {token}");
    }
    assert_eq!(token.get("client_secret").is_some(), with_secret, "client_secret presence in {token}");
    let client_id = token["client_id"].as_str().unwrap();
    assert!(client_id.ends_with(".access") && client_id.len() == 39, "{client_id}");
}

#[tokio::test]
async fn create_returns_201_with_every_field_and_the_secret_once() {
    let api = TestApi::new().await;
    let token = api.create(json!({"name": "CI/CD Pipeline", "duration": "8760h"})).await;
    assert_token_shape(&token, true);
    assert_eq!(token["name"], "CI/CD Pipeline");
    assert_eq!(token["duration"], "8760h");
    assert_eq!(token["created_at"], at(0));
    assert_eq!(token["expires_at"], at(8760 * 3600));
    assert_eq!(token["client_secret_version"], 1);
    assert_eq!(token["enabled"], true);
    assert!(token["last_seen_at"].is_null());
    assert!(token["client_secret"].as_str().unwrap().starts_with("gatehouse_st_"));

    let fetched = api.call(Method::GET, &api.token_path(token["id"].as_str().unwrap()), None).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_token_shape(fetched.result(), false);
    // The user guide's `jq '{name, last_seen_at, expires_at}'` reads these at the top level.
    assert_eq!(fetched.json["name"], "CI/CD Pipeline");
    assert_eq!(fetched.json["expires_at"], at(8760 * 3600));
    assert!(fetched.json.get("last_seen_at").is_some());
    assert!(fetched.json.get("client_secret").is_none());
}

#[tokio::test]
async fn duration_defaults_to_a_year_and_forever_never_expires() {
    let api = TestApi::new().await;
    let default = api.create(json!({"name": "a"})).await;
    assert_eq!(default["duration"], "8760h");
    assert_eq!(default["expires_at"], at(8760 * 3600));
    let forever = api.create(json!({"name": "b", "duration": "forever"})).await;
    assert_eq!(forever["duration"], "forever");
    assert_eq!(forever["expires_at"], "9999-12-31T23:59:59Z");
    let short = api.create(json!({"name": "c", "duration": "2h45m"})).await;
    assert_eq!(short["expires_at"], at(2 * 3600 + 45 * 60));
}

#[tokio::test]
async fn bad_durations_are_400_12130_and_create_nothing() {
    let api = TestApi::new().await;
    for duration in [json!("0s"), json!("-1h"), json!("banana"), json!(""), json!("1d"), json!(5)] {
        let reply = api
            .call(Method::POST, &api.tokens_path(), Some(json!({"name": "x", "duration": duration})))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{duration}");
        assert_eq!(reply.code(), 12130, "{duration}");
        assert!(reply.json["errors"][0]["message"].as_str().unwrap().contains("duration"), "{}", reply.json);
    }
    let list = api.call(Method::GET, &api.tokens_path(), None).await;
    assert_eq!(list.json["result_info"]["total_count"], 0);
}

#[tokio::test]
async fn bad_bodies_get_clear_errors() {
    let api = TestApi::new().await;
    let auth = format!("Bearer {ADMIN}");
    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
    let cases: [(&[u8], u64, &str); 7] = [
        (br#"{"duration":"1h"}"#, 12130, "name"),
        (br#"{"name":""}"#, 12130, "name"),
        (br#"{"name":42}"#, 12130, "'name'"),
        (br#"{"name":"x","enabled":"yes"}"#, 12130, "'enabled'"),
        (br#"{"name":"x","client_secret_version":1.5}"#, 12130, "client_secret_version"),
        (br#"{"name":"#, 6007, "Malformed JSON"),
        (b"\xff\xfe", 6007, "Malformed JSON"),
    ];
    for (body, code, mention) in cases {
        let reply = api.raw(Method::POST, &api.tokens_path(), &headers, body.to_vec()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(body));
        assert_eq!(reply.code(), code, "{}", reply.json);
        assert!(reply.json["errors"][0]["message"].as_str().unwrap().contains(mention), "{}", reply.json);
    }
    let huge = format!(r#"{{"name":"{}"}}"#, "a".repeat(100 * 1024));
    let reply = api.raw(Method::POST, &api.tokens_path(), &headers, huge.into_bytes()).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), 6009);
    let list = api.call(Method::GET, &api.tokens_path(), None).await;
    assert_eq!(list.json["result_info"]["total_count"], 0);
}

#[tokio::test]
async fn curl_style_form_content_type_is_still_read_as_json() {
    let api = TestApi::new().await;
    let auth = format!("Bearer {ADMIN}");
    let headers = [("authorization", auth.as_str()), ("content-type", "application/x-www-form-urlencoded")];
    let reply = api.raw(Method::POST, &api.tokens_path(), &headers, br#"{"name":"curl"}"#.to_vec()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
}

#[tokio::test]
async fn list_paginates_the_way_both_client_families_expect() {
    let api = TestApi::new().await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(api.create(json!({"name": format!("token {i:02}")})).await["id"].clone());
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let reply =
            api.call(Method::GET, &format!("{}?page={page}&per_page=10", api.tokens_path()), None).await;
        assert_eq!(reply.status, StatusCode::OK);
        let info = &reply.json["result_info"];
        assert_eq!(info["page"], page);
        assert_eq!(info["per_page"], 10);
        assert_eq!(info["total_count"], 25);
        assert_eq!(info["total_pages"], 3);
        assert_eq!(info["count"], if page == 3 { 5 } else { 10 });
        seen.extend(reply.result().as_array().unwrap().iter().map(|t| t["id"].clone()));
    }
    assert_eq!(seen, ids, "creation order, every token once");
    let past = api.call(Method::GET, &format!("{}?page=4&per_page=10", api.tokens_path()), None).await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(past.result(), &json!([]));
    assert_eq!(past.json["result_info"]["count"], 0);
    assert_eq!(past.json["result_info"]["total_count"], 25);
    // No page given: one generous page with everything.
    let all = api.call(Method::GET, &api.tokens_path(), None).await;
    assert_eq!(all.result().as_array().unwrap().len(), 25);
    assert!(all.result()[0].get("client_secret").is_none());
}

#[tokio::test]
async fn list_filters_by_exact_name_and_by_search() {
    let api = TestApi::new().await;
    let deploy = api.create(json!({"name": "GitHub Actions - Production Deploy"})).await;
    api.create(json!({"name": "Jenkins - Staging Tests"})).await;
    api.create(json!({"name": "GitHub Actions"})).await;
    let by_name = api.call(Method::GET, &format!("{}?name=GitHub%20Actions", api.tokens_path()), None).await;
    assert_eq!(by_name.result().as_array().unwrap().len(), 1);
    assert_eq!(by_name.result()[0]["name"], "GitHub Actions");
    let by_search = api.call(Method::GET, &format!("{}?search=github", api.tokens_path()), None).await;
    assert_eq!(by_search.result().as_array().unwrap().len(), 2);
    let by_client_id = api
        .call(
            Method::GET,
            &format!("{}?search={}", api.tokens_path(), deploy["client_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(by_client_id.result().as_array().unwrap().len(), 1);
    let wildcard = api.call(Method::GET, &format!("{}?search=%25", api.tokens_path()), None).await;
    assert_eq!(wildcard.result().as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn bad_page_parameters_are_400_12091() {
    let api = TestApi::new().await;
    for query in ["per_page=0", "per_page=1001", "page=0", "page=abc", "per_page=-5"] {
        let reply = api.call(Method::GET, &format!("{}?{query}", api.tokens_path()), None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.code(), 12091, "{query}");
    }
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404() {
    let api = TestApi::new().await;
    for id in ["f174e90a-fafe-4643-bbbc-4a0ed4fc8415", "not-a-uuid", "%FF", "1"] {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let body = (method == Method::PUT).then(|| json!({"name": "x"}));
            let reply = api.call(method.clone(), &api.token_path(id), body).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {id}");
        }
        for action in ["rotate", "refresh"] {
            let reply = api.call(Method::POST, &format!("{}/{action}", api.token_path(id)), None).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{action} {id}");
        }
    }
}

#[tokio::test]
async fn update_changes_only_what_is_given() {
    let api = TestApi::new().await;
    let token = api.create(json!({"name": "before", "duration": "8760h"})).await;
    let path = api.token_path(token["id"].as_str().unwrap());
    api.clock.advance_secs(100);

    let renamed = api.call(Method::PUT, &path, Some(json!({"name": "after"}))).await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_token_shape(renamed.result(), false);
    assert_eq!(renamed.result()["name"], "after");
    assert_eq!(renamed.result()["expires_at"], token["expires_at"]);
    assert_eq!(renamed.result()["updated_at"], at(100));

    let reduration = api.call(Method::PUT, &path, Some(json!({"duration": "2h"}))).await;
    assert_eq!(reduration.result()["duration"], "2h");
    assert_eq!(reduration.result()["expires_at"], at(100 + 7200));
    assert_eq!(reduration.result()["name"], "after");

    let disabled = api.call(Method::PUT, &path, Some(json!({"enabled": false}))).await;
    assert_eq!(disabled.result()["enabled"], false);
    assert_eq!(disabled.result()["client_secret_version"], 1);

    let bad = api.call(Method::PUT, &path, Some(json!({"duration": "0s"}))).await;
    assert_eq!(bad.code(), 12130);
    let unchanged = api.call(Method::GET, &path, None).await;
    assert_eq!(unchanged.result()["duration"], "2h");
}

#[tokio::test]
async fn a_higher_client_secret_version_rotates_and_shows_the_new_secret() {
    let api = TestApi::new().await;
    let token = api.create(json!({"name": "tf"})).await;
    let path = api.token_path(token["id"].as_str().unwrap());
    let same = api.call(Method::PUT, &path, Some(json!({"client_secret_version": 1}))).await;
    assert!(same.result().get("client_secret").is_none());

    let deadline = at(3600);
    let bumped = api
        .call(
            Method::PUT,
            &path,
            Some(json!({"client_secret_version": 2.0, "previous_client_secret_expires_at": deadline})),
        )
        .await;
    assert_eq!(bumped.status, StatusCode::OK, "{}", bumped.json);
    assert_eq!(bumped.result()["client_secret_version"], 2);
    assert_eq!(bumped.result()["previous_client_secret_expires_at"], deadline);
    let secret = bumped.result()["client_secret"].as_str().unwrap();
    assert_ne!(secret, token["client_secret"].as_str().unwrap());
    assert!(bumped.json.get("client_secret").is_none(), "the secret is not repeated at the top level");
}

#[tokio::test]
async fn rotate_accepts_empty_bodies_and_returns_a_new_secret() {
    let api = TestApi::new().await;
    let token = api.create(json!({"name": "rot"})).await;
    let rotate = format!("{}/rotate", api.token_path(token["id"].as_str().unwrap()));
    let auth = format!("Bearer {ADMIN}");
    // The Python SDK sends Content-Type: application/json with no body.
    let empty_json = [("authorization", auth.as_str()), ("content-type", "application/json")];
    let first = api.raw(Method::POST, &rotate, &empty_json, Vec::new()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.json);
    assert_token_shape(first.result(), true);
    assert_eq!(first.result()["client_secret_version"], 2);
    assert!(first.result()["previous_client_secret_expires_at"].is_null());
    assert_ne!(first.result()["client_secret"], token["client_secret"]);

    let second = api.call(Method::POST, &rotate, Some(json!({}))).await;
    assert_eq!(second.result()["client_secret_version"], 3);
    assert_ne!(second.result()["client_secret"], first.result()["client_secret"]);

    let deadline = "2027-01-15T00:00:00Z";
    let third =
        api.call(Method::POST, &rotate, Some(json!({"previous_client_secret_expires_at": deadline}))).await;
    assert_eq!(third.result()["previous_client_secret_expires_at"], deadline);

    let bad =
        api.call(Method::POST, &rotate, Some(json!({"previous_client_secret_expires_at": "tomorrow"}))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), 12130);
    let get = api.call(Method::GET, &api.token_path(token["id"].as_str().unwrap()), None).await;
    assert_eq!(get.result()["client_secret_version"], 4);
    assert!(get.result().get("client_secret").is_none());
}

#[tokio::test]
async fn refresh_extends_from_now_without_a_secret() {
    let api = TestApi::new().await;
    let token = api.create(json!({"name": "r", "duration": "1h"})).await;
    let refresh = format!("{}/refresh", api.token_path(token["id"].as_str().unwrap()));
    api.clock.advance_secs(1800);
    let auth = format!("Bearer {ADMIN}");
    let reply = api
        .raw(
            Method::POST,
            &refresh,
            &[("authorization", auth.as_str()), ("content-type", "application/json")],
            Vec::new(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_token_shape(reply.result(), false);
    assert_eq!(reply.result()["expires_at"], at(1800 + 3600));
}

#[tokio::test]
async fn delete_returns_the_token_and_then_it_is_gone() {
    let api = TestApi::new().await;
    let token = api.create(json!({"name": "bye"})).await;
    let path = api.token_path(token["id"].as_str().unwrap());
    let deleted = api.call(Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_token_shape(deleted.result(), false);
    assert_eq!(deleted.result()["id"], token["id"]);
    let again = api.call(Method::GET, &path, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(api.call(Method::DELETE, &path, None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn import_keeps_an_existing_client_id_and_secret() {
    let api = TestApi::new().await;
    let client_id = "dfcafc3f102dd48b7d00256cfd940325.access";
    let secret = "bdd31cbc4dec990953e39163fbbb194c93313ca9f0a6e420346af9d326b1d2a5";
    let imported =
        api.create(json!({"name": "from cloudflare", "client_id": client_id, "client_secret": secret})).await;
    assert_eq!(imported["client_id"], client_id);
    let again = api
        .call(
            Method::POST,
            &api.tokens_path(),
            Some(json!({"name": "dup", "client_id": client_id, "client_secret": secret})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.headers.get("x-should-retry").unwrap(), "false");
    let half = api
        .call(Method::POST, &api.tokens_path(), Some(json!({"name": "half", "client_secret": secret})))
        .await;
    assert_eq!(half.code(), 12130);
    let weak = api
        .call(
            Method::POST,
            &api.tokens_path(),
            Some(json!({"name": "weak", "client_id": "abc.access", "client_secret": "short"})),
        )
        .await;
    assert_eq!(weak.code(), 12130);
    assert!(!weak.json.to_string().contains("short\""), "the rejected secret is not echoed");
}

#[tokio::test]
async fn secrets_never_reach_the_database_file() {
    let api = TestApi::new().await;
    let token = api.create(json!({"name": "hidden"})).await;
    let rotated = api
        .call(Method::POST, &format!("{}/rotate", api.token_path(token["id"].as_str().unwrap())), None)
        .await;
    let secrets = [
        token["client_secret"].as_str().unwrap(),
        rotated.result()["client_secret"].as_str().unwrap(),
        ADMIN,
        READER,
    ];
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(api.dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(bytes.len() > 4096, "the database files were read");
    let haystack = String::from_utf8_lossy(&bytes);
    assert!(
        haystack.contains(token["client_id"].as_str().unwrap()),
        "the client id is stored (sanity check)"
    );
    for secret in secrets {
        assert!(!haystack.contains(secret), "a secret is stored in clear");
    }
}
