//! Session cookies: issued where an app has an allow policy, reused instead of the secret, and
//! killed at once by revoking the app's sessions or disabling or deleting the token.

use serde_json::{Value, json};

use crate::origin;
use crate::support::{Scene, Token, echoed, seen, token_rule};

const HOST: &str = "portal.example.com";

async fn allow_scene() -> (Scene, Token, gatehouse_domain::access::AppId) {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("allow", vec![token_rule(&token)]).await;
    let (app, _) = scene.app(HOST, origin::start().await, &[policy], json!({})).await;
    (scene, token, app)
}

/// The cookie pair (`CF_Authorization=<jwt>`) of a successful request with the secret.
async fn login(scene: &Scene, token: &Token) -> String {
    let response = scene.get_as(HOST, "/", token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("CF_Authorization="), "{set_cookie}");
    for attribute in ["Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(set_cookie.contains(attribute), "{attribute} missing from {set_cookie}");
    }
    let max_age: i64 =
        set_cookie.split("Max-Age=").nth(1).unwrap().split(';').next().unwrap().parse().unwrap();
    // A day, one second less when issued in the very second of a session revocation.
    assert!((86_399..=86_400).contains(&max_age), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "a plain-HTTP listener cannot set Secure cookies");
    set_cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_cookie_is_reused_instead_of_the_secret() {
    let (scene, token, _) = allow_scene().await;
    let cookie = login(&scene, &token).await;
    let response = scene.get(HOST, "/next").header("cookie", &cookie).send().await.unwrap();
    assert!(response.headers().get("set-cookie").is_none(), "a session request gets no new cookie");
    let echo = echoed(response).await;
    let jwt = seen(&echo, "cf-access-jwt-assertion").unwrap();
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(jwt).unwrap();
    assert_eq!(claims["common_name"], token.client_id());

    let as_header =
        scene.get(HOST, "/").header("cf-access-token", cookie.trim_start_matches("CF_Authorization="));
    assert_eq!(as_header.send().await.unwrap().status(), 200);
    let tampered = format!("{cookie}x");
    assert_eq!(scene.get(HOST, "/").header("cookie", tampered).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn a_cookie_is_only_good_for_its_own_application() {
    let (scene, token, _) = allow_scene().await;
    let policy = scene.policy("allow", vec![token_rule(&token)]).await;
    scene.app("other.example.com", origin::start().await, &[policy], json!({})).await;
    let cookie = login(&scene, &token).await;
    let elsewhere = scene.get("other.example.com", "/").header("cookie", &cookie).send().await.unwrap();
    assert_eq!(elsewhere.status(), 403);
    // get-identity answers for the application of the host, not for the one the cookie names:
    // on another application's host, or on a host that serves none, the cookie is refused.
    for host in ["other.example.com", "nothing-here.example.com"] {
        let identity =
            scene.get(host, "/cdn-cgi/access/get-identity").header("cookie", &cookie).send().await.unwrap();
        assert_eq!(identity.status(), 401, "get-identity on {host}");
    }
    let own = scene.get(HOST, "/cdn-cgi/access/get-identity").header("cookie", &cookie).send().await.unwrap();
    assert_eq!(own.status(), 200, "and answered on its own host");
}

#[tokio::test]
async fn get_identity_answers_for_each_path_scoped_application_of_a_host() {
    // Two applications share a host, each covering some paths: the gateway's endpoint path
    // (`/cdn-cgi/access/get-identity`) is under neither, yet each one's cookie is answered
    // there, for its own application.
    let scene = Scene::start().await;
    let mut cookies = Vec::new();
    for path in ["/admin", "/reports/*"] {
        let token = scene.token("8760h").await;
        let policy = scene.policy("allow", vec![token_rule(&token)]).await;
        let (_, aud) = scene.app(&format!("{HOST}{path}"), origin::start().await, &[policy], json!({})).await;
        let below = format!("{}/x", path.trim_end_matches("/*"));
        let response = scene.get_as(HOST, &below, &token).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
        cookies.push((token, aud, set_cookie.split(';').next().unwrap().to_owned()));
    }
    for (token, aud, cookie) in &cookies {
        let response =
            scene.get(HOST, "/cdn-cgi/access/get-identity").header("cookie", cookie).send().await.unwrap();
        assert_eq!(response.status(), 200, "get-identity for {aud}");
        let identity: Value = response.json().await.unwrap();
        assert_eq!(identity["common_name"], token.client_id(), "{identity}");
        let jwt = cookie.trim_start_matches("CF_Authorization=");
        let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(jwt).unwrap();
        assert_eq!(claims["aud"], json!([aud]));
        // The host's other paths do not make the cookie good on another host.
        let elsewhere = scene
            .get("other.example.com", "/cdn-cgi/access/get-identity")
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(elsewhere.status(), 401, "another host");
    }
}

#[tokio::test]
async fn revoking_sessions_disabling_or_deleting_the_token_kills_its_cookie() {
    let (scene, token, app) = allow_scene().await;
    let cookie = login(&scene, &token).await;
    scene.clock.advance_secs(5);
    scene.change_app(app, json!({"sessions_revoked_at": scene.now().to_string()})).await;
    assert_eq!(scene.get(HOST, "/").header("cookie", &cookie).send().await.unwrap().status(), 403);

    let cookie = login(&scene, &token).await;
    assert_eq!(scene.get(HOST, "/").header("cookie", &cookie).send().await.unwrap().status(), 200);
    let disable = gatehouse_domain::TokenChanges { enabled: Some(false), ..Default::default() };
    scene.change_token(&token, move |t, _, now| t.apply(disable, now)).await;
    assert_eq!(scene.get(HOST, "/").header("cookie", &cookie).send().await.unwrap().status(), 403);
    let enable = gatehouse_domain::TokenChanges { enabled: Some(true), ..Default::default() };
    scene.change_token(&token, move |t, _, now| t.apply(enable, now)).await;
    assert_eq!(scene.get(HOST, "/").header("cookie", &cookie).send().await.unwrap().status(), 200);

    scene.delete_token(&token).await;
    assert_eq!(scene.get(HOST, "/").header("cookie", &cookie).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn get_identity_describes_the_session() {
    let (scene, token, _) = allow_scene().await;
    let cookie = login(&scene, &token).await;
    let response =
        scene.get(HOST, "/cdn-cgi/access/get-identity").header("cookie", &cookie).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let identity: Value = response.json().await.unwrap();
    assert_eq!(identity["account_id"], scene.account.as_str());
    assert_eq!(identity["common_name"], token.client_id());
    assert_eq!(identity["service_token_id"], token.client_id());
    assert_eq!(identity["service_token_status"], true);
    assert_eq!(identity["ip"], "127.0.0.1");
    assert_eq!(identity["auth_status"], "NONE");
    let anonymous = scene.get(HOST, "/cdn-cgi/access/get-identity").send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}
