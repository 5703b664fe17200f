//! Brute-force limiting: failed authentications per client id and per address get 429 with
//! `Retry-After` past their limit, a valid client never does, and the limits recover after their
//! window (driven with the scene's manual clock). Also the time to refuse an unknown client id
//! against a wrong secret, measured.

use std::time::{Duration, Instant};

use gatehouse_proxy::{FailureLimits, GatewayOptions};
use serde_json::{Value, json};

use crate::origin;
use crate::support::{Scene, Token, token_rule};

const HOST: &str = "limits.example.com";

/// A scene with `limits`, and an app on HOST admitting one token (Service Auth).
async fn scene(limits: FailureLimits) -> (Scene, Token) {
    let scene =
        Scene::with_options(GatewayOptions { failure_limits: limits, ..GatewayOptions::default() }).await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("non_identity", vec![token_rule(&token)]).await;
    scene.app(HOST, origin::start().await, &[policy], json!({})).await;
    (scene, token)
}

/// The status of a request with `client_id` and `secret`, and its `Retry-After`.
async fn attempt(scene: &Scene, client_id: &str, secret: &str) -> (u16, Option<u64>) {
    let response = scene
        .get(HOST, "/")
        .header("CF-Access-Client-Id", client_id)
        .header("CF-Access-Client-Secret", secret)
        .send()
        .await
        .unwrap();
    let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status().as_u16(), retry)
}

#[tokio::test]
async fn wrong_secrets_for_a_client_id_are_limited_while_its_valid_client_keeps_getting_200() {
    let limits = FailureLimits { per_client_id: 5, per_address: 0 };
    let (scene, token) = scene(limits).await;
    let mut refused = Vec::new();
    for round in 0..40 {
        refused.push(attempt(&scene, token.client_id(), "wrong-secret").await);
        // The legitimate client, between every attack: never an error.
        let (status, retry) = attempt(&scene, token.client_id(), &token.secret).await;
        assert_eq!((status, retry), (200, None), "valid client refused at round {round}");
        if round % 10 == 9 {
            scene.clock.advance_secs(1);
        }
    }
    assert!(refused[..5].iter().all(|r| *r == (403, None)), "{refused:?}");
    for (status, retry) in &refused[5..] {
        assert_eq!(*status, 429);
        assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "{retry:?}");
    }

    // The refusal's shape is the gateway's usual one, naming only the status.
    let response = scene
        .get(HOST, "/")
        .header("accept", "application/json")
        .header("CF-Access-Client-Id", token.client_id())
        .header("CF-Access-Client-Secret", "still-wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("cf-ray").is_some());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["errors"][0]["code"], 1429);
    assert_eq!(body["errors"][0]["message"], "Too Many Requests");

    // Another client id is not limited by this one's failures.
    assert_eq!(attempt(&scene, "0000.access", "nope").await, (403, None));
}

#[tokio::test]
async fn unknown_client_ids_are_limited_like_known_ones() {
    let (scene, token) = scene(FailureLimits { per_client_id: 3, per_address: 0 }).await;
    let mut unknown = Vec::new();
    let mut known = Vec::new();
    for _ in 0..5 {
        unknown.push(attempt(&scene, "does-not-exist.access", &token.secret).await.0);
        known.push(attempt(&scene, token.client_id(), "wrong").await.0);
    }
    assert_eq!(unknown, [403, 403, 403, 429, 429]);
    assert_eq!(known, unknown, "the limit does not tell a real client id from an invented one");
}

#[tokio::test]
async fn failures_from_one_address_are_limited_whatever_the_client_id_but_valid_requests_pass() {
    let (scene, token) = scene(FailureLimits { per_client_id: 0, per_address: 8 }).await;
    for i in 0..8 {
        assert_eq!(attempt(&scene, &format!("guess-{i}.access"), "nope").await, (403, None));
    }
    let (status, retry) = attempt(&scene, "guess-new.access", "nope").await;
    assert_eq!(status, 429);
    assert_eq!(retry, Some(60));
    // Malformed credentials from this address are limited too.
    let half = scene.get(HOST, "/").header("CF-Access-Client-Id", "guess.access").send().await.unwrap();
    assert_eq!(half.status(), 429);
    // The valid client on the same address is not.
    for _ in 0..20 {
        assert_eq!(attempt(&scene, token.client_id(), &token.secret).await, (200, None));
    }
    // Nor is a request without credentials, which is not a guess: it gets the usual refusal.
    assert_eq!(scene.get(HOST, "/").send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn limits_recover_after_the_window() {
    let (scene, token) = scene(FailureLimits { per_client_id: 3, per_address: 6 }).await;
    for _ in 0..3 {
        assert_eq!(attempt(&scene, token.client_id(), "wrong").await.0, 403);
    }
    assert_eq!(attempt(&scene, token.client_id(), "wrong").await, (429, Some(60)));
    scene.clock.advance_secs(45);
    assert_eq!(attempt(&scene, token.client_id(), "wrong").await, (429, Some(15)));
    scene.clock.advance_secs(15);
    for _ in 0..3 {
        assert_eq!(attempt(&scene, token.client_id(), "wrong").await.0, 403, "a new window");
    }
    // The address's first window (3 failures) ended with the client id's; its new one holds
    // the 3 failures just made, so 3 more reach its limit of 6.
    for i in 0..3 {
        assert_eq!(attempt(&scene, &format!("other-{i}.access"), "x").await.0, 403);
    }
    assert_eq!(attempt(&scene, "other-9.access", "x").await.0, 429, "the address is at 6");
    scene.clock.advance_secs(60);
    assert_eq!(attempt(&scene, "other-9.access", "x").await.0, 403, "the address recovered");
    assert_eq!(attempt(&scene, token.client_id(), &token.secret).await.0, 200);
}

#[tokio::test]
async fn refusing_an_unknown_client_id_and_a_wrong_secret_take_the_same_time() {
    const ATTEMPTS: u32 = 2_000;
    let (scene, token) = scene(FailureLimits::DISABLED).await;
    // Warm the connection pool and the code paths.
    for _ in 0..50 {
        attempt(&scene, "0000.access", &token.secret).await;
        attempt(&scene, token.client_id(), "wrong").await;
    }
    let mut unknown = Duration::ZERO;
    let mut wrong = Duration::ZERO;
    // Interleaved, so drift (other tests, the machine) falls on both alike.
    for i in 0..ATTEMPTS {
        let started = Instant::now();
        let (status, _) = attempt(&scene, &format!("{i:04}.unknown.access"), &token.secret).await;
        unknown += started.elapsed();
        assert_eq!(status, 403);
        let started = Instant::now();
        let (status, _) = attempt(&scene, token.client_id(), &format!("wrong-{i:04}")).await;
        wrong += started.elapsed();
        assert_eq!(status, 403);
    }
    let mean = |total: Duration| total.as_secs_f64() * 1e6 / f64::from(ATTEMPTS);
    let (unknown, wrong) = (mean(unknown), mean(wrong));
    println!(
        "time to refuse over {ATTEMPTS} attempts each: unknown client id {unknown:.1} µs, \
         wrong secret {wrong:.1} µs, ratio {:.3}",
        unknown / wrong
    );
}
