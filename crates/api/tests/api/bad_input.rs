//! The management API under bad input, route by route: every write route is taken from the
//! OpenAPI document (so a new route is covered without editing this file) and sent malformed,
//! truncated, mistyped, oversized, deeply nested and invalid UTF-8 bodies, unknown, malformed and
//! another account's ids, and a read-only token. Each must answer a clear v4 error (non-2xx,
//! `success: false`, one error with a code) and leave every resource of both accounts, and the
//! audit log, exactly as they were.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

/// The resources of one account that the routes' `{…_id}` parameters name.
#[derive(Debug, Clone)]
struct Ids {
    token: String,
    app: String,
    policy: String,
    group: String,
    idp: String,
    list: String,
}

/// One operation of the document, its path filled in.
#[derive(Debug)]
struct Operation {
    method: Method,
    template: String,
    path: String,
    takes_body: bool,
}

impl Operation {
    fn label(&self) -> String {
        format!("{} {}", self.method, self.template)
    }
}

/// Creates a token, a group, an application with an app-scoped policy, and a reusable policy in
/// the account of `token`.
async fn populate(api: &TestApi, token: &str, account: &str, domain: &str) -> Ids {
    let base = format!("/client/v4/accounts/{account}/access");
    let create = |path: String, body: Value| async move {
        let reply = api.call_as(token, Method::POST, &path, Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{path}: {}", reply.json);
        reply.result()["id"].as_str().unwrap().to_owned()
    };
    let token_id = create(format!("{base}/service_tokens"), json!({"name": "ci"})).await;
    let group = create(
        format!("{base}/groups"),
        json!({"name": "ci", "include": [{"service_token": {"token_id": token_id}}]}),
    )
    .await;
    let app = create(
        format!("{base}/apps"),
        json!({"name": "app", "type": "self_hosted", "domain": domain,
               "policies": [{"name": "inline", "decision": "non_identity", "include": [{"group": {"id": group}}]}]}),
    )
    .await;
    create(
        format!("{base}/policies"),
        json!({"name": "reusable", "decision": "allow", "include": [{"everyone": {}}]}),
    )
    .await;
    let idp = create(format!("{base}/identity_providers"), oidc_provider("idp")).await;
    let lists = format!("/client/v4/accounts/{account}/gateway/lists");
    let body = json!({"name": "staff", "type": "EMAIL", "items": [{"value": "alice@example.com"}]});
    let reply = api.call_as(token, Method::POST, &lists, Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{lists}: {}", reply.json);
    let list = reply.result()["id"].as_str().unwrap().to_owned();
    let policies = api.call_as(token, Method::GET, &format!("{base}/apps/{app}/policies"), None).await;
    let policy = policies.result()[0]["id"].as_str().unwrap().to_owned();
    Ids { token: token_id, app, policy, group, idp, list }
}

/// An OpenID Connect identity provider the API accepts.
fn oidc_provider(name: &str) -> Value {
    json!({"name": name, "type": "oidc", "config": {
        "client_id": "gatehouse", "client_secret": "oidc-client-secret-for-bad-input",
        "auth_url": "https://idp.example.com/auth", "token_url": "https://idp.example.com/token",
        "certs_url": "https://idp.example.com/jwks", "scopes": ["openid", "email"]}})
}

/// Everything both accounts hold, as their own tokens read it, and the audit log's length.
async fn snapshot(api: &TestApi) -> Value {
    let mut all = serde_json::Map::new();
    for (token, account) in [(ADMIN, api.account.as_str()), (OTHER, api.other_account.as_str())] {
        for rest in [
            "access/service_tokens",
            "access/apps",
            "access/policies",
            "access/groups",
            "access/identity_providers",
            "access/organizations",
            "access/keys",
            "gateway/lists",
            "audit_logs?per_page=1",
        ] {
            let reply =
                api.call_as(token, Method::GET, &format!("/client/v4/accounts/{account}/{rest}"), None).await;
            assert_eq!(reply.status, StatusCode::OK, "{rest}: {}", reply.json);
            let value = if rest.starts_with("audit_logs") {
                reply.json["result_info"].clone()
            } else {
                reply.json["result"].clone()
            };
            all.insert(format!("{account}/{rest}"), value);
        }
    }
    Value::Object(all)
}

/// Every operation of the document that is not a GET, with `ids` in its path.
fn write_operations(api: &TestApi, ids: &Ids) -> Vec<Operation> {
    let document = serde_json::to_value(gatehouse_api::openapi_document()).unwrap();
    let mut operations = Vec::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if method == "get" || !operation.is_object() {
                continue;
            }
            operations.push(Operation {
                method: Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                template: template.clone(),
                path: fill(template, api.account.as_str(), ids),
                takes_body: operation.get("requestBody").is_some(),
            });
        }
    }
    assert!(operations.len() >= 20, "{} write operations", operations.len());
    operations
}

fn fill(template: &str, account: &str, ids: &Ids) -> String {
    template
        .replace("{account_id}", account)
        .replace("{token_id}", &ids.token)
        .replace("{app_id}", &ids.app)
        .replace("{policy_id}", &ids.policy)
        .replace("{group_id}", &ids.group)
        .replace("{identity_provider_id}", &ids.idp)
        .replace("{list_id}", &ids.list)
}

/// A body the route would accept (so that what is refused is the id or the credential).
fn valid_body(operation: &Operation) -> Option<Value> {
    if !operation.takes_body {
        return None;
    }
    let t = operation.template.as_str();
    let policy =
        json!({"name": "p2", "decision": "non_identity", "include": [{"any_valid_service_token": {}}]});
    Some(if t.contains("/gateway/lists") {
        match operation.method {
            Method::POST => json!({"name": "l2", "type": "EMAIL", "items": [{"value": "bob@example.com"}]}),
            Method::PATCH => {
                json!({"append": [{"value": "carol@example.com"}], "remove": ["alice@example.com"]})
            }
            _ => json!({"name": "renamed", "items": [{"value": "dan@example.com"}]}),
        }
    } else if t.ends_with("/rotate") {
        json!({})
    } else if t.ends_with("/explain") {
        json!({"ip": "192.0.2.1"})
    } else if t.ends_with("/what-if") {
        json!({"policies": []})
    } else if t.contains("service_tokens") {
        json!({"name": "renamed"})
    } else if t.contains("/policies") {
        policy
    } else if t.contains("/apps") {
        json!({"name": "app2", "type": "self_hosted", "domain": "new.example.com"})
    } else if t.contains("/groups") {
        json!({"name": "g2", "include": [{"any_valid_service_token": {}}]})
    } else if t.contains("/identity_providers") {
        oidc_provider("idp2")
    } else if t.ends_with("/keys") {
        json!({"key_rotation_interval_days": 30})
    } else if t.ends_with("/organizations") {
        json!({"name": "renamed"})
    } else if t.ends_with("/organizations/revoke_user") {
        // A revocation is only seen in the audit log, which the snapshot counts.
        json!({"email": "someone@example.com"})
    } else {
        panic!("no valid body known for {}", operation.label())
    })
}

/// A clear v4 failure: the status, `success: false`, a null result and one error with a code.
#[track_caller]
fn assert_failure(reply: &Reply, status: StatusCode, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.json);
    assert_eq!(reply.json["success"], false, "{what}: {}", reply.json);
    assert_eq!(reply.json["result"], Value::Null, "{what}");
    assert!(reply.json["errors"][0]["code"].as_u64().is_some(), "{what}: {}", reply.json);
    assert!(!reply.json["errors"][0]["message"].as_str().unwrap_or_default().is_empty(), "{what}");
}

async fn send(api: &TestApi, token: &str, operation: &Operation, path: &str, body: &[u8]) -> Reply {
    let auth = format!("Bearer {token}");
    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
    api.raw(operation.method.clone(), path, &headers, body.to_vec()).await
}

async fn world() -> (TestApi, Ids, Ids) {
    let api = TestApi::new().await;
    let mine = populate(&api, ADMIN, api.account.as_str(), "mine.example.com").await;
    let theirs = populate(&api, OTHER, api.other_account.as_str(), "theirs.example.com").await;
    (api, mine, theirs)
}

#[tokio::test]
async fn malformed_truncated_and_invalid_utf8_bodies_are_400_6007_on_every_write_route() {
    let (api, ids, _) = world().await;
    let before = snapshot(&api).await;
    let bodies: [&[u8]; 8] = [
        b"{\"name\":\"ok\",\"unread\":\"\xff\"}",
        br#"{"name":"#,
        br#"{"name":"x","include":[{"everyone":{}}"#,
        br#"{"name":"x"} {"name":"y"}"#,
        b"{'name': 'single quotes'}",
        b"{\"name\":\"\xff\xfe\"}",
        b"\xef\xbb\xbf{\"name\":\"bom\"}",
        b"\x00",
    ];
    for operation in write_operations(&api, &ids) {
        for body in bodies {
            let reply = send(&api, ADMIN, &operation, &operation.path, body).await;
            let what = format!("{} with {:?}", operation.label(), String::from_utf8_lossy(body));
            assert_failure(&reply, StatusCode::BAD_REQUEST, &what);
            // Two JSON values: the first is read (and may already be refused for its fields).
            let codes: &[u64] = if body.starts_with(br#"{"name":"x"} "#) { &[6007, 12130] } else { &[6007] };
            assert!(codes.contains(&reply.code()), "{what}: {}", reply.json);
        }
    }
    assert_eq!(snapshot(&api).await, before);
}

#[tokio::test]
async fn bodies_of_the_wrong_type_are_400_on_every_route_that_reads_one() {
    let (api, ids, _) = world().await;
    let before = snapshot(&api).await;
    let bodies = [
        json!([]),
        json!("name"),
        json!(42),
        json!(true),
        json!({"name": 42}),
        json!({"name": ["x"], "include": "everyone", "decision": 7}),
        json!({"name": {"nested": true}, "type": [], "domain": 1, "duration": 8760, "key_rotation_interval_days": "30"}),
        json!({"name": "x", "enabled": "yes", "include": {}, "require": 1, "precedence": "first"}),
        json!({"key_rotation_interval_days": -1, "name": "", "previous_client_secret_expires_at": 5}),
    ];
    let mut checked = 0;
    for operation in write_operations(&api, &ids).into_iter().filter(|o| o.takes_body) {
        for body in &bodies {
            let what = format!("{} with {body}", operation.label());
            let unread = |field: &str| body.as_object().is_some_and(|o| !o.contains_key(field));
            if operation.template.ends_with("/rotate") && unread("previous_client_secret_expires_at") {
                continue; // rotate reads only previous_client_secret_expires_at
            }
            if operation.template.ends_with("/organizations") && body["name"] == "x" {
                continue; // a well-formed name, and the organization keeps fields it does not know
            }
            let put_list = operation.method == Method::PUT && operation.template.contains("/gateway/lists");
            if put_list && body["name"] == "x" {
                continue; // a well-formed name, and a list's PUT ignores fields it does not know
            }
            let reply = send(&api, ADMIN, &operation, &operation.path, body.to_string().as_bytes()).await;
            assert_failure(&reply, StatusCode::BAD_REQUEST, &what);
            assert!([6007, 12130].contains(&reply.code()), "{what}: {}", reply.json);
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
    assert_eq!(snapshot(&api).await, before);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_6009_in_the_envelope_on_every_write_route() {
    let (api, ids, _) = world().await;
    let before = snapshot(&api).await;
    let huge = format!(r#"{{"name":"{}"}}"#, "a".repeat(64 * 1024));
    for operation in write_operations(&api, &ids) {
        for token in [ADMIN, READER] {
            let reply = send(&api, token, &operation, &operation.path, huge.as_bytes()).await;
            assert_failure(&reply, StatusCode::PAYLOAD_TOO_LARGE, &operation.label());
            assert_eq!(reply.code(), 6009);
            assert_eq!(reply.headers["x-should-retry"], "false");
        }
    }
    assert_eq!(snapshot(&api).await, before);
}

/// 10,000 nested arrays (or objects) would overflow a recursive parser's stack; the JSON reader
/// stops at its depth limit and the route answers 400 at once.
#[tokio::test]
async fn ten_thousand_nested_arrays_in_a_rule_are_a_clear_400() {
    let (api, ids, _) = world().await;
    let before = snapshot(&api).await;
    let arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    for deep in [&arrays, &objects] {
        let rule = format!(r#"{{"ip":{{"ip":{deep}}}}}"#);
        let policy = format!(r#"{{"name":"deep","decision":"allow","include":[{rule}]}}"#);
        let cases = [
            ("access/policies".to_owned(), Method::POST, policy.clone()),
            (format!("access/policies/{}", ids.policy), Method::PUT, policy.clone()),
            (format!("access/apps/{}/policies", ids.app), Method::POST, policy.clone()),
            ("access/groups".to_owned(), Method::POST, format!(r#"{{"name":"deep","include":[{rule}]}}"#)),
            (
                "access/apps".to_owned(),
                Method::POST,
                format!(
                    r#"{{"name":"deep","type":"self_hosted","domain":"deep.example.com","policies":[{policy}]}}"#
                ),
            ),
            (
                "access/organizations".to_owned(),
                Method::PUT,
                format!(r#"{{"service_token_inactivity":{deep}}}"#),
            ),
        ];
        for (rest, method, body) in cases {
            let path = format!("/client/v4/accounts/{}/{rest}", api.account);
            let operation =
                Operation { method, template: rest.clone(), path: path.clone(), takes_body: true };
            let reply = send(&api, ADMIN, &operation, &path, body.as_bytes()).await;
            assert_failure(&reply, StatusCode::BAD_REQUEST, &operation.label());
            assert_eq!(reply.code(), 6007, "{}", reply.json);
            let message = reply.json["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("recursion limit"), "{message}");
            assert!(message.len() < 200, "the error does not echo the body: {message}");
        }
    }
    assert_eq!(snapshot(&api).await, before);
    // A field the route does not read is skipped without recursion, at any depth, and not kept.
    let path = format!("/client/v4/accounts/{}/access/service_tokens", api.account);
    let body = format!(r#"{{"name":"deep","unread":{arrays}}}"#);
    let operation =
        Operation { method: Method::POST, template: path.clone(), path: path.clone(), takes_body: true };
    let reply = send(&api, ADMIN, &operation, &path, body.as_bytes()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert!(reply.result().get("unread").is_none());
}

/// Below the reader's depth limit, a deeply nested field the server does not interpret is kept,
/// returned, and recorded in the audit log like any other.
#[tokio::test]
async fn nesting_below_the_limit_in_an_unknown_field_round_trips() {
    let api = TestApi::new().await;
    let deep: Value = serde_json::from_str(&format!("{}{}", "[".repeat(100), "]".repeat(100))).unwrap();
    let body = json!({"name": "deep", "type": "self_hosted", "domain": "deep.example.com", "custom": deep});
    let path = format!("/client/v4/accounts/{}/access/apps", api.account);
    let created = api.call(Method::POST, &path, Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.result()["id"].as_str().unwrap();
    let read = api.call(Method::GET, &format!("{path}/{id}"), None).await;
    assert_eq!(read.result()["custom"], deep);
    let audit = api.call(Method::GET, &format!("/client/v4/accounts/{}/audit_logs", api.account), None).await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.json);
    assert_eq!(audit.result()[0]["newValueJson"]["custom"], deep);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_on_every_route_that_names_one() {
    let (api, ids, _) = world().await;
    let before = snapshot(&api).await;
    let long = "7".repeat(5000);
    let bad_ids = [
        "6f1c2a3e-0000-4000-8000-000000000000",
        "not-a-uuid",
        "%FF%FE",
        "..%2F..%2Faccess%2Fkeys",
        "%00",
        long.as_str(),
        "6f1c2a3e-0000-4000-8000-000000000000%20OR%201=1",
    ];
    let mut checked = 0;
    let document = serde_json::to_value(gatehouse_api::openapi_document()).unwrap();
    for (template, item) in document["paths"].as_object().unwrap() {
        for param in ["{token_id}", "{app_id}", "{policy_id}", "{group_id}", "{list_id}"] {
            if !template.contains(param) {
                continue;
            }
            for method in item.as_object().unwrap().keys() {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let takes_body = item[method.as_str().to_lowercase()].get("requestBody").is_some();
                for bad in bad_ids {
                    let path = fill(&template.replace(param, bad), api.account.as_str(), &ids);
                    let operation = Operation {
                        method: method.clone(),
                        template: template.clone(),
                        path: path.clone(),
                        takes_body,
                    };
                    let body = valid_body(&operation).map(|b| b.to_string()).unwrap_or_default();
                    let reply = send(&api, ADMIN, &operation, &path, body.as_bytes()).await;
                    assert_failure(
                        &reply,
                        StatusCode::NOT_FOUND,
                        &format!("{} with {param} = {bad}", operation.label()),
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "{checked}");
    assert_eq!(snapshot(&api).await, before);
}

/// Another account's resources are out of reach by id: through the caller's own account path
/// they do not exist (404, the answer for an unknown id, so their existence is not revealed),
/// and the other account's path is refused as a whole (403 10000, the same for an account that
/// does not exist).
#[tokio::test]
async fn another_accounts_ids_are_never_visible_nor_writable() {
    let (api, _, theirs) = world().await;
    let before = snapshot(&api).await;
    let document = serde_json::to_value(gatehouse_api::openapi_document()).unwrap();
    let mut checked = 0;
    for (template, item) in document["paths"].as_object().unwrap() {
        let names_an_id = ["{token_id}", "{app_id}", "{policy_id}", "{group_id}", "{list_id}"]
            .iter()
            .any(|p| template.contains(p));
        for (method, operation) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let takes_body = operation.get("requestBody").is_some();
            if names_an_id {
                let path = fill(template, api.account.as_str(), &theirs);
                let op = Operation {
                    method: method.clone(),
                    template: template.clone(),
                    path: path.clone(),
                    takes_body,
                };
                let body = valid_body(&op).map(|b| b.to_string()).unwrap_or_default();
                let reply = send(&api, ADMIN, &op, &path, body.as_bytes()).await;
                assert_failure(&reply, StatusCode::NOT_FOUND, &format!("{} with their ids", op.label()));
                checked += 1;
            }
            if template.contains("{account_id}") {
                for account in [api.other_account.as_str(), "0123456789abcdef0123456789abcdef"] {
                    let path = fill(template, account, &theirs);
                    let op = Operation {
                        method: method.clone(),
                        template: template.clone(),
                        path: path.clone(),
                        takes_body,
                    };
                    let body = valid_body(&op).map(|b| b.to_string()).unwrap_or_default();
                    let reply = send(&api, ADMIN, &op, &path, body.as_bytes()).await;
                    if template.ends_with("/tokens/verify") {
                        // Cloudflare's answer for a token used on another account's verify path.
                        assert_failure(
                            &reply,
                            StatusCode::UNAUTHORIZED,
                            &format!("{} on account {account}", op.label()),
                        );
                        continue;
                    }
                    assert_failure(
                        &reply,
                        StatusCode::FORBIDDEN,
                        &format!("{} on account {account}", op.label()),
                    );
                    assert_eq!(reply.code(), 10000);
                }
            }
        }
    }
    assert!(checked >= 20, "{checked}");
    // Searching by their ids finds nothing either.
    for (rest, id) in [("service_tokens", &theirs.token), ("apps", &theirs.app), ("groups", &theirs.group)] {
        let path = format!("/client/v4/accounts/{}/access/{rest}?search={id}", api.account);
        let reply = api.call(Method::GET, &path, None).await;
        assert_eq!(reply.result().as_array().unwrap().len(), 0, "{rest}: {}", reply.json);
    }
    assert_eq!(snapshot(&api).await, before);
}

#[tokio::test]
async fn a_read_only_token_gets_403_9109_on_every_write_route() {
    let (api, ids, _) = world().await;
    let before = snapshot(&api).await;
    let operations = write_operations(&api, &ids);
    for operation in &operations {
        let body = valid_body(operation).map(|b| b.to_string()).unwrap_or_default();
        let reply = send(&api, READER, operation, &operation.path, body.as_bytes()).await;
        assert_failure(&reply, StatusCode::FORBIDDEN, &operation.label());
        assert_eq!(reply.code(), 9109, "{}", operation.label());
    }
    assert_eq!(snapshot(&api).await, before);
    // The same requests with the admin token succeed, so the refusals above were about the token.
    for operation in operations.iter().filter(|o| o.method != Method::DELETE) {
        let body = valid_body(operation).map(|b| b.to_string()).unwrap_or_default();
        let reply = send(&api, ADMIN, operation, &operation.path, body.as_bytes()).await;
        assert!(reply.status.is_success(), "{}: {}", operation.label(), reply.json);
    }
}
