//! Authentication: who gets through, what the origin sees, and that refusals say nothing.

use serde_json::{Value, json};

use crate::origin;
use crate::support::{Scene, Token, echoed, seen, token_rule};
use gatehouse_proxy::TokensReread;

const HOST: &str = "app.example.com";

/// A scene with an app on HOST admitting `token` through a Service Auth policy.
async fn service_auth_scene() -> (Scene, Token, String) {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("non_identity", vec![token_rule(&token)]).await;
    let (_, aud) = scene.app(HOST, origin::start().await, &[policy], json!({})).await;
    (scene, token, aud)
}

async fn verify_with_jwks(scene: &Scene, jwt: &str, aud: &str) -> Value {
    let certs: Value = scene.get(HOST, "/cdn-cgi/access/certs").send().await.unwrap().json().await.unwrap();
    let kid = jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap();
    let jwk = certs["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).unwrap();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[aud]);
    validation.set_issuer(&["https://gatehouse.local"]);
    jsonwebtoken::decode::<Value>(jwt, &key, &validation).unwrap().claims
}

#[tokio::test]
async fn an_allowed_token_reaches_the_origin_with_a_verifiable_jwt_and_without_its_secret() {
    let (scene, token, aud) = service_auth_scene().await;
    let response = scene
        .get_as(HOST, "/api/items?page=2", &token)
        .header("Cf-Access-Jwt-Assertion", "forged.by.client")
        .header("X-Forwarded-For", "198.51.100.7")
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("set-cookie").is_none(), "no allow policy: no cookie");
    let echo = echoed(response).await;
    assert_eq!(echo["path"], "/api/items?page=2");
    assert!(echo["headers"].get("cf-access-client-secret").is_none(), "the secret never reaches the origin");
    assert_eq!(seen(&echo, "cf-access-client-id"), Some(token.client_id()));
    assert_eq!(seen(&echo, "x-forwarded-for"), Some("198.51.100.7, 127.0.0.1"));
    assert_eq!(seen(&echo, "x-forwarded-proto"), Some("http"));
    assert_eq!(seen(&echo, "x-forwarded-host"), Some(HOST));
    assert_eq!(seen(&echo, "host"), Some(HOST));
    let jwt = seen(&echo, "cf-access-jwt-assertion").unwrap();
    assert_ne!(jwt, "forged.by.client");
    let claims = verify_with_jwks(&scene, jwt, &aud).await;
    assert_eq!(claims["type"], "app");
    assert_eq!(claims["aud"], json!([aud]));
    assert_eq!(claims["common_name"], token.client_id());
    assert_eq!(claims["sub"], "");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 86_400);
}

#[tokio::test]
async fn the_jwt_is_cached_not_signed_per_request() {
    let (scene, token, _) = service_auth_scene().await;
    let first = echoed(scene.get_as(HOST, "/", &token).send().await.unwrap()).await;
    scene.clock.advance_secs(120);
    let second = echoed(scene.get_as(HOST, "/", &token).send().await.unwrap()).await;
    assert_eq!(seen(&first, "cf-access-jwt-assertion"), seen(&second, "cf-access-jwt-assertion"));
}

#[tokio::test]
async fn unknown_client_ids_wrong_secrets_and_missing_credentials_get_the_same_answer() {
    let (scene, token, _) = service_auth_scene().await;
    let wrong_secret = scene
        .get(HOST, "/")
        .header("CF-Access-Client-Id", token.client_id())
        .header("CF-Access-Client-Secret", "nope");
    let unknown = scene
        .get(HOST, "/")
        .header("CF-Access-Client-Id", "0000.access")
        .header("CF-Access-Client-Secret", &token.secret);
    let half = scene.get(HOST, "/").header("CF-Access-Client-Id", token.client_id());
    let mut answers = Vec::new();
    for request in [wrong_secret, unknown, half, scene.get(HOST, "/")] {
        let response = request.header("accept", "application/json").send().await.unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(response.headers()["cf-access-error"], "access.denied");
        let mut body: Value = response.json().await.unwrap();
        body["ray_id"] = Value::Null;
        answers.push(body);
    }
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]), "{answers:?}");
    assert_eq!(answers[0]["errors"][0]["message"], "Forbidden");
}

#[tokio::test]
async fn disabled_expired_and_deleted_tokens_are_refused_at_once() {
    let (scene, token, _) = service_auth_scene().await;
    assert_eq!(scene.get_as(HOST, "/", &token).send().await.unwrap().status(), 200);
    scene
        .change_token(&token, |t, _, now| {
            t.apply(gatehouse_domain::TokenChanges { enabled: Some(false), ..Default::default() }, now)
        })
        .await;
    assert_eq!(scene.get_as(HOST, "/", &token).send().await.unwrap().status(), 403);
    scene
        .change_token(&token, |t, _, now| {
            t.apply(gatehouse_domain::TokenChanges { enabled: Some(true), ..Default::default() }, now)
        })
        .await;
    assert_eq!(scene.get_as(HOST, "/", &token).send().await.unwrap().status(), 200);

    let short = scene.token("1h").await;
    let policy = scene.policy("non_identity", vec![token_rule(&short)]).await;
    scene.app("short.example.com", origin::start().await, &[policy], json!({})).await;
    assert_eq!(scene.get_as("short.example.com", "/", &short).send().await.unwrap().status(), 200);
    scene.clock.advance_secs(3600);
    assert_eq!(scene.get_as("short.example.com", "/", &short).send().await.unwrap().status(), 403);

    scene.delete_token(&token).await;
    assert_eq!(scene.get_as(HOST, "/", &token).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn a_graceful_rotation_keeps_the_old_secret_until_the_new_one_is_used() {
    let (scene, token, _) = service_auth_scene().await;
    let new_secret =
        gatehouse_domain::Secret::generate_client_secret(gatehouse_domain::SecretFormat::Prefixed);
    let hash = scene.key.hash(gatehouse_domain::HashPurpose::ServiceTokenSecret, &new_secret);
    scene.change_token(&token, |t, _, now| t.rotate(hash, None, now)).await;
    let rotated = Token { token: token.token.clone(), secret: new_secret.expose().to_owned() };

    assert_eq!(scene.get_as(HOST, "/", &token).send().await.unwrap().status(), 200, "old secret still works");
    assert_eq!(scene.get_as(HOST, "/", &token).send().await.unwrap().status(), 200);
    scene.clock.advance_secs(1);
    assert_eq!(scene.get_as(HOST, "/", &rotated).send().await.unwrap().status(), 200, "new secret works");
    assert_eq!(scene.get_as(HOST, "/", &token).send().await.unwrap().status(), 403, "then the old one stops");

    scene.gateway.flush_usage().await;
    let stored = scene.store.get_service_token(&scene.account, &token.token.id).await.unwrap().unwrap();
    assert!(stored.credentials.previous().is_none(), "the database heard that the rotation ended");
    assert_eq!(stored.last_seen_at, Some(scene.now()));
}

#[tokio::test]
async fn the_single_header_form_works_where_the_app_asks_for_it() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("non_identity", vec![token_rule(&token)]).await;
    let extra = json!({"read_service_tokens_from_header": "X-Service-Auth"});
    scene.app(HOST, origin::start().await, &[policy], extra).await;
    let value = json!({"cf-access-client-id": token.client_id(), "cf-access-client-secret": token.secret})
        .to_string();
    let echo = echoed(scene.get(HOST, "/").header("x-service-auth", &value).send().await.unwrap()).await;
    assert!(echo["headers"].get("x-service-auth").is_none(), "the credential header is stripped");
    assert!(seen(&echo, "cf-access-jwt-assertion").is_some());
}

#[tokio::test]
async fn strict_mode_answers_401_for_bad_credentials_and_403_for_no_policy() {
    let scene = Scene::start().await;
    scene.organization(true).await;
    let allowed = scene.token("8760h").await;
    let other = scene.token("8760h").await;
    let service_auth = scene.policy("non_identity", vec![token_rule(&allowed)]).await;
    let allow = scene.policy("allow", vec![token_rule(&other)]).await;
    scene.app(HOST, origin::start().await, &[service_auth, allow], json!({})).await;

    let ok = scene.get_as(HOST, "/", &allowed).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.headers().get("set-cookie").is_none(), "strict mode issues no cookie");
    let wrong = scene
        .get(HOST, "/")
        .header("CF-Access-Client-Id", allowed.client_id())
        .header("CF-Access-Client-Secret", "x");
    assert_eq!(wrong.send().await.unwrap().status(), 401);
    assert_eq!(scene.get(HOST, "/").send().await.unwrap().status(), 401);
    assert_eq!(
        scene.get_as(HOST, "/", &other).send().await.unwrap().status(),
        403,
        "allow policies do not count"
    );
}

#[tokio::test]
async fn service_auth_401_redirect_turns_403_into_401() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("non_identity", vec![token_rule(&token)]).await;
    scene.app(HOST, origin::start().await, &[policy], json!({"service_auth_401_redirect": true})).await;
    let response = scene
        .get(HOST, "/")
        .header("CF-Access-Client-Id", token.client_id())
        .header("CF-Access-Client-Secret", "x");
    let response = response.send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["cf-access-error"], "access.unauthorized");
}

#[tokio::test]
async fn a_lost_change_is_caught_by_the_periodic_resync_which_reads_only_changed_tokens() {
    let (scene, token, _) = service_auth_scene().await;
    let resync = || async { scene.gateway.resync_if_changed().await.unwrap() };
    let stale = |read, dropped| TokensReread::Stale { read, dropped };
    assert_eq!(resync().await, TokensReread::All, "never read by a resync yet: all read");
    assert_eq!(resync().await, TokensReread::None, "nothing changed: none read");

    // Two tokens created in the database with no word to this gateway (another node's events
    // were lost): those two read, not the one already held.
    let others = [scene.stored_token("8760h").await, scene.stored_token("8760h").await];
    assert_eq!(resync().await, stale(2, 0), "two new tokens: those read");

    // Disabled the same way: that token alone read.
    let mut stored = scene.store.get_service_token(&scene.account, &token.token.id).await.unwrap().unwrap();
    stored.apply(gatehouse_domain::TokenChanges { enabled: Some(false), ..Default::default() }, scene.now());
    assert!(scene.store.update_service_token(&stored).await.unwrap());
    assert_eq!(scene.get_as(HOST, "/", &token).send().await.unwrap().status(), 200, "not heard of yet");
    assert_eq!(resync().await, stale(1, 0), "one token changed: one read");
    assert_eq!(scene.get_as(HOST, "/", &token).send().await.unwrap().status(), 403);

    // Uses recorded by other nodes change only usage times: no re-read.
    let usage = gatehouse_store::TokenUsage {
        token_id: token.token.id,
        seen_at: scene.now(),
        matched: gatehouse_domain::SecretMatch::Current,
        secret_version: 1,
    };
    scene.store.record_token_usage(&[usage]).await.unwrap();
    assert_eq!(resync().await, TokensReread::None, "a recorded use: none read");

    // Enabled again, then deleted, the same way: each caught; a full resync always reads.
    let mut stored = scene.store.get_service_token(&scene.account, &token.token.id).await.unwrap().unwrap();
    stored.apply(gatehouse_domain::TokenChanges { enabled: Some(true), ..Default::default() }, scene.now());
    assert!(scene.store.update_service_token(&stored).await.unwrap());
    assert_eq!(resync().await, stale(1, 0), "enabled again: one read");
    assert_eq!(scene.get_as(HOST, "/", &token).send().await.unwrap().status(), 200);
    scene.store.delete_service_token(&scene.account, &token.token.id).await.unwrap();
    scene.store.delete_service_token(&scene.account, &others[0].token.id).await.unwrap();
    assert_eq!(resync().await, stale(0, 2), "two deletions: none read, two dropped");
    assert_eq!(scene.get_as(HOST, "/", &token).send().await.unwrap().status(), 403);
    scene.gateway.resync().await.unwrap();
    assert_eq!(resync().await, TokensReread::None, "read in full just now");
}
