//! Routing: no application is a 404 from the gateway; no spelling of a path reaches an
//! application other than the one that owns it; the certificate endpoint answers on any host.

use std::time::Duration;

use gatehouse_proxy::GatewayOptions;
use serde_json::{Value, json};

use crate::origin;
use crate::support::{Scene, token_rule};

#[tokio::test]
async fn no_application_is_a_404_never_a_pass_through() {
    let scene = Scene::start().await;
    let response =
        scene.get("nothing.example.com", "/").header("accept", "application/json").send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], 1404);
    let page = scene.get("nothing.example.com", "/").send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("404 Not Found"));
}

#[tokio::test]
async fn path_tricks_cannot_reach_a_more_specific_application() {
    let scene = Scene::start().await;
    let user = scene.token("8760h").await;
    let admin = scene.token("8760h").await;
    let public = scene.policy("non_identity", vec![token_rule(&user)]).await;
    let admins = scene.policy("non_identity", vec![token_rule(&admin)]).await;
    let origin = origin::start().await;
    scene.app("app.example.com", origin, &[public], json!({})).await;
    scene.app("app.example.com/admin", origin, &[admins], json!({})).await;

    assert_eq!(scene.get_as("app.example.com", "/public", &user).send().await.unwrap().status(), 200);
    assert_eq!(scene.get_as("APP.example.com:443", "/public", &user).send().await.unwrap().status(), 200);
    for trick in [
        "/admin",
        "/ADMIN/x",
        "/public/../admin",
        "//admin",
        "/admin;jsessionid=1",
        "/%61dmin",
        "/./admin/",
        "/public/%2e%2e/admin",
    ] {
        let status = scene.get_as("app.example.com", trick, &user).send().await.unwrap().status();
        assert_eq!(status, 403, "{trick} must be judged by the admin application");
    }
    assert_eq!(scene.get_as("app.example.com", "/admin/x", &admin).send().await.unwrap().status(), 200);
    for malformed in ["/public/..%2fadmin", "/public%5c..%5cadmin", "/%zz"] {
        let status = scene.get_as("app.example.com", malformed, &user).send().await.unwrap().status();
        assert_eq!(status, 400, "{malformed}");
    }
}

#[tokio::test]
async fn certs_publish_the_current_key_as_jwk_and_certificate() {
    let scene = Scene::start().await;
    let certs: Value =
        scene.get("any.example.com", "/cdn-cgi/access/certs").send().await.unwrap().json().await.unwrap();
    let keys = certs["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let kid = keys[0]["kid"].as_str().unwrap();
    assert_eq!(kid.len(), 64);
    assert_eq!(keys[0]["kty"], "RSA");
    assert_eq!(keys[0]["alg"], "RS256");
    assert_eq!(keys[0]["use"], "sig");
    assert_eq!(keys[0]["e"], "AQAB");
    assert_eq!(certs["public_cert"]["kid"], kid);
    assert!(certs["public_cert"]["cert"].as_str().unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(certs["public_certs"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn keys_rotate_on_schedule_and_the_previous_key_stays_published_for_a_week() {
    let options =
        GatewayOptions { maintenance_interval: Duration::from_millis(50), ..GatewayOptions::default() };
    let scene = Scene::with_options(options).await;
    let kids = |certs: &Value| -> Vec<String> {
        certs["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    };
    let certs = || async {
        scene.get("x", "/cdn-cgi/access/certs").send().await.unwrap().json::<Value>().await.unwrap()
    };
    let first = kids(&certs().await);
    scene.clock.advance_secs(42 * 86_400);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let rotated = loop {
        let now = certs().await;
        if kids(&now).len() == 2 {
            break now;
        }
        assert!(tokio::time::Instant::now() < deadline, "no rotation after the interval");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(kids(&rotated)[0], first[0], "the previous key is listed first");
    assert_eq!(rotated["public_cert"]["kid"], kids(&rotated)[1].as_str(), "the current key signs");
    scene.clock.advance_secs(7 * 86_400);
    assert_eq!(
        kids(&certs().await),
        vec![kids(&rotated)[1].clone()],
        "a week later only the current key is published"
    );
}
