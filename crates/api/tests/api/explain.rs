//! `POST …/apps/{app_id}/explain`: the decision on a described request, with its trace, for the
//! user guide's policies.

use axum::http::{Method, StatusCode};
use gatehouse_domain::access::{AppId, PolicyId};
use gatehouse_domain::{Timestamp, TokenId};
use gatehouse_store::{AccessLogRecord, AccessLogStore};
use gatehouse_store_sqlite::SqliteStore;
use serde_json::{Value, json};

use crate::support::*;

struct World {
    api: TestApi,
    cicd: Value,
    other: Value,
    /// Policies by name, apps by the name of their one policy.
    apps: Vec<(String, String, String)>,
}

impl World {
    fn base(&self) -> String {
        format!("/client/v4/accounts/{}/access", self.api.account)
    }

    fn app(&self, policy: &str) -> (&str, &str) {
        let (_, app, policy) = self.apps.iter().find(|(name, _, _)| name == policy).unwrap();
        (app, policy)
    }

    async fn explain(&self, app: &str, body: Value) -> Reply {
        self.api.call(Method::POST, &format!("{}/apps/{app}/explain", self.base()), Some(body)).await
    }
}

/// Two tokens, and one application per policy of the guide (API-only, CI/CD only, users and
/// services), each requiring the client to be in 10.0.0.0/8.
async fn world() -> World {
    let api = TestApi::new().await;
    let cicd = api.create(json!({"name": "cicd"})).await;
    let other = api.create(json!({"name": "other"})).await;
    let base = format!("/client/v4/accounts/{}/access", api.account);
    let developers = api
        .call(
            Method::POST,
            &format!("{base}/groups"),
            Some(json!({"name": "developers", "include": [{"email_domain": {"domain": "example.com"}}]})),
        )
        .await;
    let developers = developers.result()["id"].as_str().unwrap().to_owned();
    let office = json!([{"ip": {"ip": "10.0.0.0/8"}}]);
    let policies = [
        ("API-Only Access", "non_identity", json!([{"service_token": {}}])),
        ("CI/CD Pipeline Only", "non_identity", json!([{"service_token": {"token_id": cicd["id"]}}])),
        (
            "Users and Services",
            "allow",
            json!([{"group": {"id": developers}}, {"service_token": {"token_id": cicd["id"]}}]),
        ),
    ];
    let mut apps = Vec::new();
    for (i, (name, decision, include)) in policies.into_iter().enumerate() {
        let body = json!({"name": name, "decision": decision, "include": include, "require": office});
        let policy = api.call(Method::POST, &format!("{base}/policies"), Some(body)).await;
        assert_eq!(policy.status, StatusCode::CREATED, "{}", policy.json);
        let policy = policy.result()["id"].as_str().unwrap().to_owned();
        let app = api
            .call(
                Method::POST,
                &format!("{base}/apps"),
                Some(json!({"name": name, "type": "self_hosted", "domain": format!("app{i}.example.com"),
                            "origin": "http://127.0.0.1:9", "policies": [{"id": policy, "precedence": 1}]})),
            )
            .await;
        assert_eq!(app.status, StatusCode::CREATED, "{}", app.json);
        apps.push((name.to_owned(), app.result()["id"].as_str().unwrap().to_owned(), policy));
    }
    World { api, cicd, other, apps }
}

#[tokio::test]
async fn explain_the_specific_token_policy_for_each_kind_of_request() {
    let world = world().await;
    let (app, policy) = world.app("CI/CD Pipeline Only");
    let cicd = world.cicd["client_id"].as_str().unwrap();

    let allowed = world.explain(app, json!({"client_id": cicd, "ip": "10.1.2.3"})).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.json);
    let result = allowed.result();
    assert_eq!(result["allowed"], true, "{result}");
    assert_eq!(result["policy_id"], policy);
    assert_eq!(result["decision"], "non_identity");
    assert_eq!(result["reason"], Value::Null);
    assert_eq!(result["routing"]["app_id"], app);
    assert_eq!(result["routing"]["pattern"], "app1.example.com");
    assert_eq!(result["authentication"]["outcome"], "authenticated");
    assert_eq!(result["authentication"]["token_id"], world.cicd["id"]);
    let trace = &result["policies"][0];
    assert_eq!(trace["name"], "CI/CD Pipeline Only");
    assert_eq!(trace["outcome"], "decides");
    assert_eq!(trace["include"][0]["outcome"], "matched");
    assert_eq!(trace["require"][0]["outcome"], "matched");
    assert_eq!(trace["require"][0]["reason"], "10.1.2.3 is in 10.0.0.0/8");

    // Another token of the account: authenticated, but not the one the policy names.
    let other = world.other["id"].as_str().unwrap();
    let result = world.explain(app, json!({"token_id": other, "ip": "10.1.2.3"})).await.result().clone();
    assert_eq!(
        (result["allowed"].clone(), result["reason"].clone()),
        (json!(false), json!("no_matching_policy"))
    );
    assert_eq!(result["policies"][0]["outcome"], "not_matched");
    assert_eq!(result["policies"][0]["include"][0]["outcome"], "not_matched");
    assert!(result["policies"][0]["include"][0]["reason"].as_str().unwrap().contains(other));
    assert_eq!(result["policies"][0]["require"][0]["outcome"], "not_evaluated");

    // No credentials.
    let result = world.explain(app, json!({"ip": "10.1.2.3"})).await.result().clone();
    assert_eq!(result["reason"], "missing_credentials");
    assert_eq!(result["authentication"]["outcome"], "none");

    // The right token from the wrong address.
    let result = world.explain(app, json!({"client_id": cicd, "ip": "192.0.2.9"})).await.result().clone();
    assert_eq!(result["reason"], "no_matching_policy");
    assert_eq!(result["policies"][0]["reason"], "require rule 0 (ip) is not satisfied");

    // The right token, once expired (judged two years on).
    let later = at(2 * 365 * 24 * 3600);
    let result = world.explain(app, json!({"client_id": cicd, "ip": "10.1.2.3", "time": later})).await;
    let result = result.result();
    assert_eq!(result["reason"], "expired", "{result}");
    assert_eq!(result["authentication"]["outcome"], "expired");
    assert_eq!(result["policies"][0]["include"][0]["reason"], "no service token authenticated");
}

#[tokio::test]
async fn explain_the_any_token_and_the_users_and_services_policies() {
    let world = world().await;
    let other = world.other["client_id"].as_str().unwrap();
    let (app, policy) = world.app("API-Only Access");
    let result = world.explain(app, json!({"client_id": other, "ip": "10.0.0.1"})).await.result().clone();
    assert_eq!((result["allowed"].clone(), result["policy_id"].clone()), (json!(true), json!(policy)));

    let (app, _) = world.app("Users and Services");
    let result = world.explain(app, json!({"client_id": other, "ip": "10.0.0.1"})).await.result().clone();
    assert_eq!(result["allowed"], false);
    let include = &result["policies"][0]["include"];
    // The developers group holds only a people selector, which a token never matches.
    assert_eq!(include[0]["outcome"], "not_matched", "{include}");
    assert_eq!(include[0]["group"]["include"][0]["selector"], "email_domain");
    assert_eq!(include[0]["group"]["include"][0]["reason"], "no person logged in", "{include}");
    let cicd = world.cicd["client_id"].as_str().unwrap();
    let result = world.explain(app, json!({"client_id": cicd, "ip": "10.0.0.1"})).await.result().clone();
    assert_eq!(result["allowed"], true, "{result}");
    assert_eq!(result["decision"], "allow");

    // A person: the developers group (e-mail domain example.com) admits one and not another.
    let (_, policy) = world.app("Users and Services");
    let result =
        world.explain(app, json!({"email": "Dev@Example.com", "ip": "10.0.0.1"})).await.result().clone();
    assert_eq!((result["allowed"].clone(), result["policy_id"].clone()), (json!(true), json!(policy)));
    assert_eq!(result["authentication"]["outcome"], "person", "{result}");
    let group = &result["policies"][0]["include"][0]["group"]["include"][0];
    assert_eq!(group["reason"], "dev@example.com is in the domain example.com", "{result}");
    let result =
        world.explain(app, json!({"email": "eve@example.org", "ip": "10.0.0.1"})).await.result().clone();
    assert_eq!(
        (result["allowed"].clone(), result["reason"].clone()),
        (json!(false), json!("no_matching_policy"))
    );
    let group = &result["policies"][0]["include"][0]["group"]["include"][0];
    assert_eq!(group["reason"], "eve@example.org is not in the domain example.com", "{result}");
    // A service-token-only policy never admits a person.
    let (app, _) = world.app("API-Only Access");
    let result =
        world.explain(app, json!({"email": "dev@example.com", "ip": "10.0.0.1"})).await.result().clone();
    assert_eq!(result["allowed"], false, "{result}");
}

#[tokio::test]
async fn explain_routing_disabled_tokens_unknown_client_ids_and_strict_mode() {
    let world = world().await;
    let (app, _) = world.app("API-Only Access");
    // A host no application covers: the gateway answers 404.
    let result = world.explain(app, json!({"host": "nowhere.example.com", "ip": "10.0.0.1"})).await;
    assert_eq!(result.result()["reason"], "no_application", "{}", result.json);
    assert_eq!(result.result()["routing"]["app_id"], Value::Null);
    let result =
        world.explain(app, json!({"client_id": "0123456789abcdef0123456789abcdef.access", "ip": "10.0.0.1"}));
    assert_eq!(result.await.result()["authentication"]["outcome"], "unknown_client_id");

    let token = world.cicd["id"].as_str().unwrap();
    let path = world.api.token_path(token);
    let disable = world.api.call(Method::PUT, &path, Some(json!({"name": "cicd", "enabled": false}))).await;
    assert_eq!(disable.status, StatusCode::OK, "{}", disable.json);
    let result = world.explain(app, json!({"token_id": token, "ip": "10.0.0.1"})).await.result().clone();
    assert_eq!((result["allowed"].clone(), result["reason"].clone()), (json!(false), json!("disabled")));

    // Strict mode refuses failed credentials before any policy.
    let org = format!("{}/organizations", world.base());
    let strict = world.api.call(Method::PUT, &org, Some(json!({"strict_service_token_auth": true}))).await;
    assert_eq!(strict.status, StatusCode::OK, "{}", strict.json);
    let result = world.explain(app, json!({"token_id": token, "ip": "10.0.0.1"})).await.result().clone();
    assert_eq!(result["reason"], "disabled");
    assert_eq!(result["policies"], json!([]));
    assert!(result["summary"].as_str().unwrap().contains("strict_service_token_auth"), "{result}");
}

#[tokio::test]
async fn explain_refuses_unclear_requests_in_the_envelope() {
    let world = world().await;
    let (app, _) = world.app("API-Only Access");
    let token = world.cicd["id"].as_str().unwrap();
    let cases = [
        json!({}),
        json!({"ip": "not an address"}),
        json!({"ip": "10.0.0.1", "time": "yesterday"}),
        json!({"ip": "10.0.0.1", "token_id": token, "client_id": "x.access"}),
        json!({"ip": "10.0.0.1", "email": "dev@example.com", "token_id": token}),
        json!({"ip": "10.0.0.1", "email": "not an address"}),
        json!({"ip": "10.0.0.1", "email": "dev@example.com", "identity_provider_id": "nope"}),
        json!({"ip": "10.0.0.1", "identity_provider_id": "6f1c2a3e-0000-4000-8000-000000000000"}),
        json!({"ip": "10.0.0.1", "path": "/a%2Fb"}),
        json!({"ip": "10.0.0.1", "client_id": " "}),
    ];
    for body in cases {
        let reply = world.explain(app, body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {}", reply.json);
        assert_eq!(reply.json["success"], false);
        assert_eq!(reply.code(), 12130, "{body}: {}", reply.json);
    }
    let unknown =
        world.explain(app, json!({"ip": "10.0.0.1", "token_id": "6f1c2a3e-0000-4000-8000-000000000000"}));
    assert_eq!(unknown.await.status, StatusCode::NOT_FOUND);
}

fn record(world: &World, ray: &str, app: &str, token: Option<&Value>, ip: &str) -> AccessLogRecord {
    AccessLogRecord {
        account_id: world.api.account.clone(),
        ray_id: ray.to_owned(),
        created_at: Timestamp::from_unix(START + 5),
        allowed: token.is_some(),
        app_uid: AppId::parse(app).unwrap(),
        app_domain: "app1.example.com".to_owned(),
        ip_address: ip.to_owned(),
        is_service_token: token.is_some(),
        service_token_id: token.map(|t| TokenId::parse(t["id"].as_str().unwrap()).unwrap()),
        client_id: token.map(|t| t["client_id"].as_str().unwrap().to_owned()),
        policy_id: None,
        decision: None,
        reason: None,
        status: 200,
        method: "GET".to_owned(),
        person: None,
    }
}

#[tokio::test]
async fn explain_a_recorded_request_then_and_now() {
    let world = world().await;
    let (app, policy) = world.app("CI/CD Pipeline Only");
    let store = SqliteStore::open(&world.api.dir.path().join("gatehouse.db")).await.unwrap();
    let allowed = AccessLogRecord {
        policy_id: Some(PolicyId::parse(policy).unwrap()),
        decision: Some("non_identity".to_owned()),
        ..record(&world, "00000000000000a1", app, Some(&world.cicd), "10.1.2.3")
    };
    let limited = AccessLogRecord {
        allowed: false,
        reason: Some("rate_limited".to_owned()),
        status: 429,
        ..record(&world, "00000000000000a2", app, None, "10.1.2.3")
    };
    store.insert_access_logs(&[allowed, limited]).await.unwrap();
    let path = |ray: &str| format!("{}/logs/access_requests/{ray}/explain", world.base());

    let reply = world.api.call(Method::GET, &path("00000000000000a1"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let result = reply.result();
    assert_eq!(result["then"]["allowed"], true);
    assert_eq!(result["now"]["allowed"], true, "{result}");
    assert_eq!(result["now"]["policy_id"], policy);
    assert_eq!(result["changed"], false);
    assert_eq!(result["record"]["ray_id"], "00000000000000a1");

    // The token is disabled since: the same request is refused now.
    let token = world.cicd["id"].as_str().unwrap();
    let path_of_token = world.api.token_path(token);
    let disable =
        world.api.call(Method::PUT, &path_of_token, Some(json!({"name": "cicd", "enabled": false}))).await;
    assert_eq!(disable.status, StatusCode::OK, "{}", disable.json);
    let result = world.api.call(Method::GET, &path("00000000000000a1"), None).await.result().clone();
    assert_eq!(result["changed"], true, "{result}");
    assert_eq!(result["now"]["reason"], "disabled");

    let result = world.api.call(Method::GET, &path("00000000000000a2"), None).await.result().clone();
    assert_eq!(result["now"], Value::Null);
    assert!(result["note"].as_str().unwrap().contains("failure limits"), "{result}");

    for unknown in ["00000000000000ff", "not%20a%20ray"] {
        let reply = world.api.call(Method::GET, &path(unknown), None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.json);
    }
    // Read permission suffices; another account sees nothing.
    let reply = world.api.call_as(READER, Method::GET, &path("00000000000000a1"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let theirs = format!(
        "/client/v4/accounts/{}/access/logs/access_requests/00000000000000a1/explain",
        world.api.other_account
    );
    let reply = world.api.call_as(OTHER, Method::GET, &theirs, None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.json);
}
