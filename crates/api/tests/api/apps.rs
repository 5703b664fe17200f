//! Applications (`/access/apps`).

mod app_policies;

use axum::http::{Method, StatusCode};
use gatehouse_domain::Timestamp;
use serde_json::{Value, json};

use crate::policies::{access, assert_error, created, id, token_policy};
use crate::support::*;

pub fn app_path(api: &TestApi, app: &Value) -> String {
    access(api, &format!("apps/{}", id(app)))
}

pub fn simple_app(domain: &str) -> Value {
    json!({"name": domain, "type": "self_hosted", "domain": domain})
}

#[tokio::test]
async fn create_returns_201_with_server_fields_and_defaults() {
    let api = TestApi::new().await;
    let app = created(
        &api,
        "apps",
        json!({"name": "API", "type": "self_hosted", "domain": "api.example.com",
        "origin": "http://127.0.0.1:9000", "service_auth_401_redirect": true,
        "read_service_tokens_from_header": "Authorization"}),
    )
    .await;
    assert_eq!(id(&app).len(), 36);
    let aud = app["aud"].as_str().unwrap();
    assert!(
        aud.len() == 64 && aud.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{aud}"
    );
    assert_eq!(app["destinations"], json!([{"type": "public", "uri": "api.example.com"}]));
    assert_eq!(app["session_duration"], "24h");
    assert_eq!(app["policies"], json!([]));
    assert_eq!(app["origin"], "http://127.0.0.1:9000");
    assert_eq!(app["service_auth_401_redirect"], true);
    assert_eq!(app["read_service_tokens_from_header"], "Authorization");
    assert_eq!((app["created_at"].clone(), app["updated_at"].clone()), (json!(at(0)), json!(at(0))));
    let fetched = api.call(Method::GET, &app_path(&api, &app), None).await;
    assert_eq!(fetched.result(), &app);
    let second = created(&api, "apps", simple_app("b.example.com")).await;
    assert_ne!(second["aud"], app["aud"]);
}

#[tokio::test]
async fn policies_are_accepted_as_ids_links_and_inline_objects() {
    let api = TestApi::new().await;
    let token = api.create(json!({"name": "ci"})).await;
    let first = token_policy(&api, "first", id(&token)).await;
    let second = token_policy(&api, "second", id(&token)).await;
    let inline =
        json!({"name": "inline", "decision": "non_identity", "include": [{"any_valid_service_token": {}}]});
    let body = json!({"type": "self_hosted", "domain": "api.example.com",
        "policies": [id(&first), {"id": id(&second), "precedence": 5}, inline]});
    let app = created(&api, "apps", body).await;
    let policies = app["policies"].as_array().unwrap();
    let summary: Vec<_> = policies
        .iter()
        .map(|p| (p["name"].clone(), p["precedence"].clone(), p["reusable"].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (json!("first"), json!(1), json!(true)),
            (json!("inline"), json!(3), json!(false)),
            (json!("second"), json!(5), json!(true))
        ]
    );
    assert_eq!(policies[0]["include"], first["include"]);
    for field in ["id", "decision", "created_at", "updated_at", "require", "exclude"] {
        assert!(policies[1].get(field).is_some(), "inline policy lacks {field}");
    }
    // The inline policy is app-scoped: not in the reusable list, in the app's.
    let reusable = api.call(Method::GET, &access(&api, "policies"), None).await;
    assert_eq!(reusable.json["result_info"]["total_count"], 2);
    let scoped = api.call(Method::GET, &format!("{}/policies", app_path(&api, &app)), None).await;
    assert_eq!(scoped.result().as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn bad_policy_items_are_400_naming_the_item() {
    let api = TestApi::new().await;
    let policy = token_policy(&api, "p", "f174e90a-fafe-4643-bbbc-4a0ed4fc8415").await;
    let cases = [
        (json!(["a1b2c3d4-0000-4000-8000-000000000001"]), "invalid 'policies[0]'"),
        (json!([id(&policy), "nope"]), "invalid 'policies[1]'"),
        (json!([id(&policy), id(&policy)]), "listed twice"),
        (
            json!([{"id": id(&policy), "precedence": 2}, {"name": "x", "decision": "allow", "include": [{"everyone": {}}]}]),
            "'policies[1].precedence'",
        ),
        (
            json!([{"name": "x", "decision": "allow", "include": [{"ip": {"ip": "bad"}}]}]),
            "invalid 'policies[0].include[0]' configuration",
        ),
        (
            json!([{"name": "x", "decision": "nope", "include": [{"everyone": {}}]}]),
            "invalid 'policies[0].decision'",
        ),
        (json!([{"id": 5}]), "invalid 'policies[0].id'"),
        (json!([7]), "invalid 'policies[0]'"),
    ];
    for (policies, needle) in cases {
        let body = json!({"type": "self_hosted", "domain": "a.example.com", "policies": policies});
        assert_error(
            &api.call(Method::POST, &access(&api, "apps"), Some(body)).await,
            StatusCode::BAD_REQUEST,
            12130,
            needle,
        );
    }
    assert_eq!(api.call(Method::GET, &access(&api, "apps"), None).await.result(), &json!([]));
}

#[tokio::test]
async fn bad_fields_are_400_12130_naming_the_field() {
    let api = TestApi::new().await;
    let base = simple_app("a.example.com");
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let cases = [
        (json!({"domain": "a.example.com"}), "'type' is required"),
        (with("type", json!("castle")), "invalid 'type'"),
        (json!({"type": "self_hosted"}), "'domain' is required"),
        (with("domain", json!("exa mple.com")), "invalid 'domain'"),
        (with("domain", json!("")), "invalid 'domain'"),
        (
            with("destinations", json!([{"type": "public", "uri": "bad host"}])),
            "invalid 'destinations[0].uri'",
        ),
        (with("session_duration", json!("forever")), "invalid 'session_duration'"),
        (with("session_duration", json!("1d")), "invalid 'session_duration'"),
        (with("origin", json!("ftp://example.com")), "invalid 'origin'"),
        (with("origin", json!("127.0.0.1:9000")), "invalid 'origin'"),
        (
            with("read_service_tokens_from_header", json!("bad header")),
            "invalid 'read_service_tokens_from_header'",
        ),
        (with("service_auth_401_redirect", json!("yes")), "invalid 'service_auth_401_redirect'"),
    ];
    for (body, needle) in cases {
        assert_error(
            &api.call(Method::POST, &access(&api, "apps"), Some(body)).await,
            StatusCode::BAD_REQUEST,
            12130,
            needle,
        );
    }
}

#[tokio::test]
async fn put_replaces_the_fields_and_keeps_id_aud_and_unknown_fields_sent() {
    let api = TestApi::new().await;
    let mut body = simple_app("a.example.com");
    body["cors_headers"] = json!({"allow_all_origins": true, "max_age": 600});
    body["tags"] = json!(["engineers"]);
    let app = created(&api, "apps", body).await;
    assert_eq!(app["cors_headers"], json!({"allow_all_origins": true, "max_age": 600}));
    assert_eq!(app["tags"], json!(["engineers"]));

    api.clock.set(Timestamp::from_unix(START + 30));
    // Echoing the GET back (server fields included) with changes is a valid PUT.
    let mut replacement = app.clone();
    replacement["name"] = json!("renamed");
    replacement["aud"] = json!("0".repeat(64));
    replacement.as_object_mut().unwrap().remove("tags");
    let updated = api.call(Method::PUT, &app_path(&api, &app), Some(replacement)).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    let result = updated.result();
    assert_eq!((result["id"].clone(), result["aud"].clone()), (app["id"].clone(), app["aud"].clone()));
    assert_eq!(result["name"], "renamed");
    assert!(result.get("tags").is_none());
    assert_eq!(result["cors_headers"], app["cors_headers"]);
    assert_eq!((result["created_at"].clone(), result["updated_at"].clone()), (json!(at(0)), json!(at(30))));
    assert_eq!(api.call(Method::GET, &app_path(&api, &app), None).await.result(), result);
}

#[tokio::test]
async fn put_without_origin_keeps_it_and_null_removes_it() {
    let api = TestApi::new().await;
    let mut body = simple_app("a.example.com");
    body["origin"] = json!("http://127.0.0.1:9000");
    let app = created(&api, "apps", body).await;

    // What Cloudflare's SDKs send: they have no `origin` field.
    let renamed = json!({"name": "renamed", "type": "self_hosted", "domain": "a.example.com"});
    let kept = api.call(Method::PUT, &app_path(&api, &app), Some(renamed)).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.json);
    assert_eq!(kept.result()["name"], "renamed");
    assert_eq!(kept.result()["origin"], "http://127.0.0.1:9000");
    assert_eq!(
        api.call(Method::GET, &app_path(&api, &app), None).await.result()["origin"],
        "http://127.0.0.1:9000"
    );

    let mut moved = simple_app("a.example.com");
    moved["origin"] = json!("https://10.0.0.1:8443");
    let changed = api.call(Method::PUT, &app_path(&api, &app), Some(moved)).await;
    assert_eq!(changed.result()["origin"], "https://10.0.0.1:8443");

    let mut cleared = simple_app("a.example.com");
    cleared["origin"] = Value::Null;
    let removed = api.call(Method::PUT, &app_path(&api, &app), Some(cleared)).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.json);
    assert!(removed.result()["origin"].is_null(), "{}", removed.json);
}

#[tokio::test]
async fn put_without_policies_keeps_them_and_an_empty_list_removes_them() {
    let api = TestApi::new().await;
    let reusable = token_policy(&api, "r", "f174e90a-fafe-4643-bbbc-4a0ed4fc8415").await;
    let inline = json!({"name": "inline", "decision": "allow", "include": [{"everyone": {}}]});
    let mut body = simple_app("a.example.com");
    body["policies"] = json!([id(&reusable), inline]);
    let app = created(&api, "apps", body).await;
    let scoped_id = app["policies"][1]["id"].as_str().unwrap().to_owned();

    let kept = api.call(Method::PUT, &app_path(&api, &app), Some(simple_app("a.example.com"))).await;
    assert_eq!(kept.result()["policies"], app["policies"]);

    let mut emptied = simple_app("a.example.com");
    emptied["policies"] = json!([]);
    let removed = api.call(Method::PUT, &app_path(&api, &app), Some(emptied)).await;
    assert_eq!(removed.result()["policies"], json!([]));
    // The app-scoped policy went with its link; the reusable one stays.
    let scoped = api.call(Method::GET, &format!("{}/policies/{scoped_id}", app_path(&api, &app)), None).await;
    assert_error(&scoped, StatusCode::NOT_FOUND, 12134, "");
    let reusable_now =
        api.call(Method::GET, &access(&api, &format!("policies/{}", id(&reusable))), None).await;
    assert_eq!(reusable_now.result()["app_count"], 0);
}

#[tokio::test]
async fn delete_returns_the_id_and_removes_the_app_scoped_policies() {
    let api = TestApi::new().await;
    let reusable = token_policy(&api, "r", "f174e90a-fafe-4643-bbbc-4a0ed4fc8415").await;
    let mut body = simple_app("a.example.com");
    body["policies"] =
        json!([id(&reusable), {"name": "inline", "decision": "allow", "include": [{"everyone": {}}]}]);
    let app = created(&api, "apps", body).await;
    let deleted = api.call(Method::DELETE, &app_path(&api, &app), None).await;
    assert_eq!((deleted.status, deleted.result().clone()), (StatusCode::OK, json!({"id": id(&app)})));
    assert_error(&api.call(Method::GET, &app_path(&api, &app), None).await, StatusCode::NOT_FOUND, 11021, "");
    // The reusable policy is now unused and can go.
    let path = access(&api, &format!("policies/{}", id(&reusable)));
    assert_eq!(api.call(Method::DELETE, &path, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn revoke_tokens_records_the_time_and_returns_null() {
    let api = TestApi::new().await;
    let app = created(&api, "apps", simple_app("a.example.com")).await;
    api.clock.set(Timestamp::from_unix(START + 90));
    let reply = api.call(Method::POST, &format!("{}/revoke_tokens", app_path(&api, &app)), None).await;
    assert_eq!((reply.status, reply.result().clone()), (StatusCode::OK, Value::Null));
    assert_eq!(reply.json["success"], true);
    let fetched = api.call(Method::GET, &app_path(&api, &app), None).await;
    assert_eq!(fetched.result()["sessions_revoked_at"], at(90));
}

#[tokio::test]
async fn unknown_and_malformed_app_ids_are_404_11021() {
    let api = TestApi::new().await;
    for app in ["a1b2c3d4-0000-4000-8000-000000000001", "nope"] {
        let path = access(&api, &format!("apps/{app}"));
        let policy = json!({"name": "p", "decision": "allow", "include": [{"everyone": {}}]});
        let requests = [
            (Method::GET, path.clone(), None),
            (Method::PUT, path.clone(), Some(simple_app("a.example.com"))),
            (Method::DELETE, path.clone(), None),
            (Method::POST, format!("{path}/revoke_tokens"), None),
            (Method::GET, format!("{path}/policies"), None),
            (Method::POST, format!("{path}/policies"), Some(policy)),
        ];
        for (method, path, body) in requests {
            let reply = api.call(method.clone(), &path, body).await;
            assert_error(&reply, StatusCode::NOT_FOUND, 11021, "access.api.error.unknown_application");
        }
    }
}

#[tokio::test]
async fn list_filters_and_paginates_in_creation_order() {
    let api = TestApi::new().await;
    let mut apps = Vec::new();
    for domain in ["one.example.com", "two.example.com", "three.example.org"] {
        apps.push(created(&api, "apps", simple_app(domain)).await);
    }
    let names = |reply: &Reply| {
        reply
            .result()
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let api = &api;
    let get = |query: String| async move {
        api.call(Method::GET, &access(api, &format!("apps?{query}")), None).await
    };
    let first = get("per_page=2".into()).await;
    assert_eq!(names(&first), ["one.example.com", "two.example.com"]);
    assert_eq!(first.json["result_info"]["total_pages"], 2);
    assert_eq!(names(&get("per_page=2&page=2".into()).await), ["three.example.org"]);
    assert_eq!(get("per_page=2&page=3".into()).await.result(), &json!([]));
    assert_eq!(names(&get("domain=EXAMPLE.COM".into()).await).len(), 2);
    assert_eq!(names(&get("domain=example.com&exact=true".into()).await).len(), 0);
    assert_eq!(names(&get("name=two.example.com&exact=true".into()).await), ["two.example.com"]);
    assert_eq!(names(&get(format!("aud={}", apps[2]["aud"].as_str().unwrap())).await), ["three.example.org"]);
    assert_eq!(names(&get("search=org".into()).await), ["three.example.org"]);
    assert_eq!(names(&get(format!("search={}", id(&apps[0]))).await), ["one.example.com"]);
    assert_error(&get("exact=maybe".into()).await, StatusCode::BAD_REQUEST, 12091, "");
    assert_error(&get("per_page=0".into()).await, StatusCode::BAD_REQUEST, 12091, "");
}

#[tokio::test]
async fn read_only_tokens_cannot_write_and_other_accounts_are_refused() {
    let api = TestApi::new().await;
    let app = created(&api, "apps", simple_app("a.example.com")).await;
    let path = app_path(&api, &app);
    assert_eq!(api.call_as(READER, Method::GET, &path, None).await.status, StatusCode::OK);
    assert_eq!(api.call_as(READER, Method::GET, &access(&api, "apps"), None).await.status, StatusCode::OK);
    let writes = [
        (Method::POST, access(&api, "apps"), Some(simple_app("b.example.com"))),
        (Method::PUT, path.clone(), Some(simple_app("a.example.com"))),
        (Method::DELETE, path.clone(), None),
        (Method::POST, format!("{path}/revoke_tokens"), None),
    ];
    for (method, target, body) in writes {
        assert_error(
            &api.call_as(READER, method.clone(), &target, body.clone()).await,
            StatusCode::FORBIDDEN,
            9109,
            "",
        );
        assert_error(&api.call_as(OTHER, method, &target, body).await, StatusCode::FORBIDDEN, 10000, "");
    }
    let theirs = format!("/client/v4/accounts/{}/access/apps", api.other_account);
    assert_error(
        &api.call_as(OTHER, Method::GET, &format!("{theirs}/{}", id(&app)), None).await,
        StatusCode::NOT_FOUND,
        11021,
        "",
    );
    assert_eq!(api.call(Method::GET, &path, None).await.status, StatusCode::OK);
}
