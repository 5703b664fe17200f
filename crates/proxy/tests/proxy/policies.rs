//! Policy semantics at the gateway: selectors gatehouse stores but does not evaluate (geo,
//! device posture, other providers' groups, …) fail closed — not matching in `include`, not satisfied in `require`,
//! matching in `exclude` — so they can never admit a request.

use serde_json::{Value, json};

use crate::origin;
use crate::support::{Scene, Token, token_rule};

/// A selector gatehouse stores but does not evaluate.
fn unevaluated() -> Value {
    json!({"device_posture": {"integration_uid": "6a1f0c2e-5b3d-4e8f-9a7c-1d2e3f4a5b6c"}})
}

/// The status `token` gets from an app on `host` guarded by one policy of `decision` and `rules`.
async fn status(scene: &Scene, host: &str, token: &Token, decision: &str, rules: Value) -> u16 {
    let policy = scene.policy_with(decision, rules).await;
    scene.app(host, origin::start().await, &[policy], json!({})).await;
    scene.get_as(host, "/", token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn an_unevaluated_exclude_counts_as_matching_and_keeps_the_token_out() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let plain = json!({"include": [token_rule(&token)]});
    assert_eq!(status(&scene, "plain.example.com", &token, "non_identity", plain).await, 200);
    let excluded = json!({"include": [token_rule(&token)], "exclude": [unevaluated()]});
    assert_eq!(status(&scene, "exclude.example.com", &token, "non_identity", excluded).await, 403);
    let allow = json!({"include": [{"any_valid_service_token": {}}], "exclude": [unevaluated()]});
    assert_eq!(status(&scene, "allow.example.com", &token, "allow", allow).await, 403);
}

#[tokio::test]
async fn an_unevaluated_require_is_not_satisfied() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let rules = json!({"include": [token_rule(&token)], "require": [{"geo": {"country_code": "FR"}}]});
    assert_eq!(status(&scene, "require.example.com", &token, "non_identity", rules).await, 403);
}

#[tokio::test]
async fn an_unevaluated_include_does_not_match_but_others_still_do() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let only = json!({"include": [unevaluated()]});
    assert_eq!(status(&scene, "only.example.com", &token, "non_identity", only).await, 403);
    let either = json!({"include": [unevaluated(), token_rule(&token)]});
    assert_eq!(status(&scene, "either.example.com", &token, "non_identity", either).await, 200);
}

#[tokio::test]
async fn a_deny_with_an_unevaluated_exclude_still_denies() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let deny =
        scene.policy_with("deny", json!({"include": [{"everyone": {}}], "exclude": [unevaluated()]})).await;
    let admit = scene.policy("allow", vec![token_rule(&token)]).await;
    scene.app("deny.example.com", origin::start().await, &[deny, admit], json!({})).await;
    assert_eq!(scene.get_as("deny.example.com", "/", &token).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn people_selectors_are_evaluated_and_never_match_a_token() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let person = json!({"email": {"email": "admin@example.com"}});
    let excluded = json!({"include": [token_rule(&token)], "exclude": [person.clone()]});
    assert_eq!(status(&scene, "people-exclude.example.com", &token, "allow", excluded).await, 200);
    let only = json!({"include": [person, {"email_domain": {"domain": "example.com"}}]});
    assert_eq!(status(&scene, "people-only.example.com", &token, "allow", only).await, 403);
}
