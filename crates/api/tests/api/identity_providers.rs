//! Identity providers (`/access/identity_providers`).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::policies::{access, assert_error, created, id};
use crate::support::*;

const SECRET: &str = "oidc-client-secret-d41d8cd98f00b204";

fn oidc(name: &str) -> Value {
    json!({"name": name, "type": "oidc", "config": {
        "client_id": "gatehouse", "client_secret": SECRET,
        "auth_url": "https://idp.example.com/auth", "token_url": "https://idp.example.com/token",
        "certs_url": "https://idp.example.com/jwks", "scopes": ["openid", "email", "profile"],
        "claims": ["groups"], "email_claim_name": "email", "pkce_enabled": true,
        "issuer": "https://idp.example.com"}})
}

fn github(name: &str) -> Value {
    json!({"name": name, "type": "github", "config": {"client_id": "Iv1.0123456789abcdef", "client_secret": SECRET}})
}

/// Every byte the SQLite database holds (the main file and its write-ahead log).
fn database_bytes(api: &TestApi) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in ["gatehouse.db", "gatehouse.db-wal"] {
        if let Ok(more) = std::fs::read(api.dir.path().join(name)) {
            bytes.extend(more);
        }
    }
    bytes
}

#[tokio::test]
async fn create_get_list_update_delete_without_returning_the_secret() {
    let api = TestApi::new().await;
    let made = created(&api, "identity_providers", oidc("Keycloak")).await;
    assert_eq!(made["name"], "Keycloak");
    assert_eq!(made["type"], "oidc");
    assert_eq!(made["config"]["client_id"], "gatehouse");
    assert_eq!(made["config"]["scopes"], json!(["openid", "email", "profile"]));
    assert_eq!(made["config"]["pkce_enabled"], true);
    assert_eq!(made["config"]["redirect_url"], "https://gatehouse.local/cdn-cgi/access/callback");
    assert!(made["config"].get("client_secret").is_none(), "{made}");
    assert!(!made.to_string().contains(SECRET));

    let path = access(&api, &format!("identity_providers/{}", id(&made)));
    let read = api.call(Method::GET, &path, None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.json);
    assert_eq!(read.result(), &made);
    let listed = api.call(Method::GET, &access(&api, "identity_providers"), None).await;
    assert_eq!(listed.result(), &json!([made.clone()]));
    assert_eq!(listed.json["result_info"]["total_count"], 1);

    // The secret is sealed in the database, not stored in clear.
    let db = database_bytes(&api);
    assert!(!db.is_empty());
    assert!(
        !db.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "the client secret is in the database in clear"
    );

    // A PUT of what was read (no secret) keeps the secret; a new secret replaces it.
    let mut body = made.clone();
    body["name"] = json!("Keycloak (staging)");
    let updated = api.call(Method::PUT, &path, Some(body)).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    assert_eq!(updated.result()["name"], "Keycloak (staging)");
    assert!(updated.result()["config"].get("client_secret").is_none());
    let mut without_secret = oidc("x");
    without_secret["config"].as_object_mut().unwrap().remove("client_secret");
    let refused = api.call(Method::POST, &access(&api, "identity_providers"), Some(without_secret)).await;
    assert_error(&refused, StatusCode::BAD_REQUEST, 12130, "'config.client_secret' is required");

    // The organization's auth domain names the callback.
    let org = api
        .call(
            Method::PUT,
            &format!("/client/v4/accounts/{}/access/organizations", api.account),
            Some(json!({"name": "Acme", "auth_domain": "login.acme.test"})),
        )
        .await;
    assert_eq!(org.status, StatusCode::OK, "{}", org.json);
    let read = api.call(Method::GET, &path, None).await;
    assert_eq!(read.result()["config"]["redirect_url"], "https://login.acme.test/cdn-cgi/access/callback");

    let deleted = api.call(Method::DELETE, &path, None).await;
    assert_eq!((deleted.status, deleted.result().clone()), (StatusCode::OK, json!({"id": id(&made)})));
    assert_error(
        &api.call(Method::GET, &path, None).await,
        StatusCode::NOT_FOUND,
        12137,
        "access.api.error.identity_provider_not_found",
    );
}

#[tokio::test]
async fn a_one_time_pin_provider_has_an_empty_config_and_no_secret() {
    let api = TestApi::new().await;
    let made =
        created(&api, "identity_providers", json!({"name": "PIN", "type": "onetimepin", "config": {}})).await;
    assert_eq!(made["type"], "onetimepin");
    assert_eq!(made["config"], json!({"redirect_url": "https://gatehouse.local/cdn-cgi/access/callback"}));
    let path = access(&api, &format!("identity_providers/{}", id(&made)));
    let renamed = api
        .call(Method::PUT, &path, Some(json!({"name": "Codes", "type": "onetimepin", "config": {}})))
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.json);
    assert_eq!(renamed.result()["name"], "Codes");
    let retyped = api.call(Method::PUT, &path, Some(oidc("x"))).await;
    assert_eq!(retyped.status, StatusCode::BAD_REQUEST, "{}", retyped.json);
}

#[tokio::test]
async fn a_github_provider_keeps_its_secret_sealed_and_may_name_an_enterprise_server() {
    let api = TestApi::new().await;
    let made = created(&api, "identity_providers", github("GitHub")).await;
    assert_eq!(made["type"], "github");
    assert_eq!(
        made["config"],
        json!({"client_id": "Iv1.0123456789abcdef", "redirect_url": "https://gatehouse.local/cdn-cgi/access/callback"})
    );
    assert!(!made.to_string().contains(SECRET));
    let db = database_bytes(&api);
    assert!(
        !db.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "the secret is in the database in clear"
    );
    let path = access(&api, &format!("identity_providers/{}", id(&made)));
    assert_eq!(api.call(Method::GET, &path, None).await.result(), &made);

    // GitHub Enterprise Server: its own web and API base URLs; the secret is kept on a PUT without one.
    let mut enterprise = made.clone();
    enterprise["config"]["base_url"] = json!("https://github.acme.test");
    enterprise["config"]["api_url"] = json!("https://github.acme.test/api/v3");
    let updated = api.call(Method::PUT, &path, Some(enterprise)).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    assert_eq!(updated.result()["config"]["api_url"], "https://github.acme.test/api/v3");
    assert!(updated.result()["config"].get("client_secret").is_none());
    let retyped = api.call(Method::PUT, &path, Some(oidc("x"))).await;
    assert_eq!(retyped.status, StatusCode::BAD_REQUEST, "{}", retyped.json);
    // Plain http only to this host (a test stand-in, a tunnel).
    for local in ["http://127.0.0.1:8080", "http://[::1]:9", "http://localhost", "http://ghe.localhost"] {
        let mut body = github("local");
        body["config"]["base_url"] = json!(local);
        body["config"]["api_url"] = json!(format!("{local}/api/v3"));
        let reply = api.call(Method::POST, &access(&api, "identity_providers"), Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{local}: {}", reply.json);
    }
}

#[tokio::test]
async fn bad_and_unsupported_providers_are_400_naming_the_field() {
    let api = TestApi::new().await;
    let mut cases = vec![
        (json!({"type": "oidc", "config": {}}), "'name' is required".to_owned()),
        (json!({"name": "x", "config": {}}), "'type' is required".to_owned()),
        (json!({"name": "x", "type": "oidc"}), "'config' is required".to_owned()),
        (json!({"name": "x", "type": "oidc", "config": []}), "invalid 'config'".to_owned()),
        (json!({"name": "x", "type": "kerberos", "config": {}}), "invalid 'type'".to_owned()),
    ];
    cases.push((
        json!({"name": "x", "type": "onetimepin", "config": {"client_secret": "s"}}),
        "a onetimepin identity provider has no 'config.client_secret'".to_owned(),
    ));
    for kind in ["google", "saml"] {
        cases.push((
            json!({"name": "x", "type": kind, "config": {}}),
            format!("identity provider type '{kind}' is not supported by gatehouse"),
        ));
    }
    for (field, value) in [
        ("client_id", json!(3)),
        ("base_url", json!("github.example.com")),
        ("api_url", json!("https://github.example.com/api/v3?x=1")),
        // The client secret and the access tokens would cross the network in clear.
        ("base_url", json!("http://github.example.com")),
        ("api_url", json!("http://10.0.0.7/api/v3")),
    ] {
        let mut body = github("x");
        body["config"][field] = value;
        cases.push((body, format!("invalid 'config.{field}'")));
    }
    for field in ["client_id", "client_secret"] {
        let mut body = github("x");
        body["config"].as_object_mut().unwrap().remove(field);
        cases.push((body, format!("'config.{field}' is required")));
    }
    for (field, value) in [
        ("client_id", json!("")),
        ("auth_url", json!("ftp://idp.example.com/auth")),
        ("token_url", json!(7)),
        ("certs_url", json!("https:///jwks")),
        ("scopes", json!("openid")),
        ("claims", json!([1])),
        ("pkce_enabled", json!("yes")),
        ("issuer", json!(true)),
    ] {
        let mut body = oidc("x");
        body["config"][field] = value;
        cases.push((body, format!("invalid 'config.{field}'")));
    }
    for field in ["client_id", "auth_url", "token_url", "certs_url"] {
        let mut body = oidc("x");
        body["config"].as_object_mut().unwrap().remove(field);
        cases.push((body, format!("'config.{field}' is required")));
    }
    for (body, needle) in cases {
        let reply = api.call(Method::POST, &access(&api, "identity_providers"), Some(body.clone())).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, 12130, &needle);
    }
    let listed = api.call(Method::GET, &access(&api, "identity_providers"), None).await;
    assert_eq!(listed.result(), &json!([]));
}

/// The client secret and the codes travel to an OpenID provider's endpoints: as for GitHub,
/// plain `http://` only to this host, refused on create and on update with the field named.
#[tokio::test]
async fn an_oidc_provider_is_reached_over_https_or_on_this_host_only() {
    let api = TestApi::new().await;
    let list = access(&api, "identity_providers");
    for field in ["auth_url", "token_url", "certs_url", "issuer"] {
        let mut body = oidc("plain");
        body["config"][field] = json!("http://idp.example.com/x");
        let reply = api.call(Method::POST, &list, Some(body)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, 12130, &format!("invalid 'config.{field}'"));
        assert!(reply.json.to_string().contains("https"), "{field}: {}", reply.json);
    }
    for local in ["http://127.0.0.1:8080", "http://[::1]:9", "http://localhost", "http://op.localhost"] {
        let mut body = oidc("local");
        for (field, path) in
            [("auth_url", "/auth"), ("token_url", "/token"), ("certs_url", "/jwks"), ("issuer", "")]
        {
            body["config"][field] = json!(format!("{local}{path}"));
        }
        let reply = api.call(Method::POST, &list, Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{local}: {}", reply.json);
    }
    // An issuer that is no URL at all is compared as written.
    let mut legacy = oidc("legacy");
    legacy["config"]["issuer"] = json!("accounts.google.com");
    assert_eq!(api.call(Method::POST, &list, Some(legacy)).await.status, StatusCode::CREATED);

    let made = created(&api, "identity_providers", oidc("Keycloak")).await;
    let path = access(&api, &format!("identity_providers/{}", id(&made)));
    let mut downgraded = made.clone();
    downgraded["config"]["token_url"] = json!("http://idp.example.com/token");
    let reply = api.call(Method::PUT, &path, Some(downgraded)).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, 12130, "invalid 'config.token_url'");
    assert_eq!(api.call(Method::GET, &path, None).await.result(), &made, "unchanged");
}

#[tokio::test]
async fn providers_of_another_account_and_bad_ids_are_404() {
    let api = TestApi::new().await;
    let made = created(&api, "identity_providers", oidc("Okta")).await;
    for path in [
        format!("/client/v4/accounts/{}/access/identity_providers/{}", api.other_account, id(&made)),
        access(&api, "identity_providers/not-a-uuid"),
        access(&api, "identity_providers/7d9a3c5e-0b1f-4c2a-9e8d-6f5a4b3c2d1e"),
    ] {
        let reply = api.call(Method::GET, &path, None).await;
        assert!(
            reply.status == StatusCode::NOT_FOUND || reply.status == StatusCode::FORBIDDEN,
            "{path}: {}",
            reply.json
        );
    }
}

#[tokio::test]
async fn a_github_organization_rule_must_name_a_github_provider() {
    let api = TestApi::new().await;
    let github = id(&created(&api, "identity_providers", github("GitHub")).await).to_owned();
    let okta = id(&created(&api, "identity_providers", oidc("Okta")).await).to_owned();
    let rule = |idp: &str| json!({"github-organization": {"name": "acme", "team": "platform", "identity_provider_id": idp}});
    let policy = |rule: Value| json!({"name": "acme", "decision": "allow", "include": [{"everyone": {}}], "require": [rule]});
    let reply = api.call(Method::POST, &access(&api, "policies"), Some(policy(rule(&github)))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(reply.json["messages"], json!([]), "evaluated: no unevaluated-selector notice");
    let made = reply.result().clone();
    assert_eq!(made["require"], json!([rule(&github)]), "stored as sent");
    let missing = "7d9a3c5e-0b1f-4c2a-9e8d-6f5a4b3c2d1e";
    for wrong in [okta.as_str(), missing] {
        let reply = api.call(Method::POST, &access(&api, "policies"), Some(policy(rule(wrong)))).await;
        assert_error(
            &reply,
            StatusCode::BAD_REQUEST,
            12130,
            "invalid 'require[0]' configuration: github-organization",
        );
        let group = json!({"name": "g", "include": [rule(wrong)]});
        let reply = api.call(Method::POST, &access(&api, "groups"), Some(group)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, 12130, "invalid 'include[0]' configuration");
        let app = json!({"name": "app", "type": "self_hosted", "domain": "app.example.com",
            "policies": [policy(rule(wrong))]});
        let reply = api.call(Method::POST, &access(&api, "apps"), Some(app)).await;
        assert_error(
            &reply,
            StatusCode::BAD_REQUEST,
            12130,
            "invalid 'policies[0].require[0]' configuration",
        );
    }
    let path = access(&api, &format!("policies/{}", id(&made)));
    let reply = api.call(Method::PUT, &path, Some(policy(rule(&okta)))).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, 12130, "must name a github identity provider");
}
