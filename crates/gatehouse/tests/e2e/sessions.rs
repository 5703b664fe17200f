//! `CF_Authorization` sessions: issued to service tokens on applications with an `allow` policy,
//! usable instead of the headers, and killed at once by revoking, disabling or expiring the token
//! or by `revoke_tokens` on the application.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::scene::{Creds, Scene, Token};
use crate::support::HttpResponse;

fn allow_app(scene: &Scene, host: &str) -> String {
    let policy = scene
        .policy(json!({"name": "tokens", "decision": "allow", "include": [{"any_valid_service_token": {}}]}));
    scene.app(host, &[&policy])["id"].as_str().unwrap().to_owned()
}

/// The `CF_Authorization` cookie a response sets.
#[track_caller]
fn session_cookie(response: &HttpResponse) -> String {
    assert_eq!(response.status, 200, "{}", response.body);
    let header = response
        .headers
        .iter()
        .find(|(name, value)| name == "set-cookie" && value.starts_with("CF_Authorization="))
        .map(|(_, value)| value.clone())
        .unwrap_or_else(|| panic!("no CF_Authorization cookie in {:?}", response.headers));
    assert!(header.contains("HttpOnly"), "{header}");
    header.trim_start_matches("CF_Authorization=").split(';').next().unwrap().to_owned()
}

fn login(scene: &Scene, host: &str, token: &Token) -> String {
    session_cookie(&scene.get(host, "/", Creds::Token(token)))
}

#[test]
fn a_session_cookie_replaces_the_headers_until_the_token_is_disabled_or_deleted() {
    let scene = Scene::start();
    allow_app(&scene, "session.example.com");
    let token = scene.token("browser-ish client", "8760h");
    let cookie = login(&scene, "session.example.com", &token);
    assert_eq!(scene.get("session.example.com", "/again", Creds::Cookie(&cookie)).status, 200);
    let header =
        scene.get_with("session.example.com", "/again", Creds::Nothing, &[("cf-access-token", &cookie)]);
    assert_eq!(header.status, 200, "the cf-access-token header carries the session too");

    scene.api("PUT", &format!("service_tokens/{}", token.id), Some(json!({"enabled": false})));
    assert_eq!(
        scene.get("session.example.com", "/", Creds::Cookie(&cookie)).status,
        403,
        "disabled: the cookie dies at once"
    );
    scene.api("PUT", &format!("service_tokens/{}", token.id), Some(json!({"enabled": true})));
    assert_eq!(scene.get("session.example.com", "/", Creds::Cookie(&cookie)).status, 200);

    scene.api("DELETE", &format!("service_tokens/{}", token.id), None);
    assert_eq!(
        scene.get("session.example.com", "/", Creds::Cookie(&cookie)).status,
        403,
        "deleted: the cookie dies at once"
    );
}

#[test]
fn revoke_tokens_on_an_application_kills_its_sessions() {
    let scene = Scene::start();
    let app = allow_app(&scene, "revoke-sessions.example.com");
    let token = scene.token("ci", "8760h");
    let cookie = login(&scene, "revoke-sessions.example.com", &token);
    assert_eq!(scene.get("revoke-sessions.example.com", "/", Creds::Cookie(&cookie)).status, 200);
    scene.api("POST", &format!("apps/{app}/revoke_tokens"), None);
    assert_eq!(scene.get("revoke-sessions.example.com", "/", Creds::Cookie(&cookie)).status, 403);
    // The token itself still works, and gets a fresh session.
    let fresh = login(&scene, "revoke-sessions.example.com", &token);
    assert_eq!(scene.get("revoke-sessions.example.com", "/", Creds::Cookie(&fresh)).status, 200);
}

#[test]
fn an_expired_tokens_session_is_refused() {
    let scene = Scene::start();
    allow_app(&scene, "expiring.example.com");
    let token = scene.token("short-lived", "2s");
    let cookie = login(&scene, "expiring.example.com", &token);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = scene.get("expiring.example.com", "/", Creds::Cookie(&cookie));
        if response.status == 403 {
            break;
        }
        assert_eq!(response.status, 200, "{}", response.body);
        assert!(Instant::now() < deadline, "a 2s token's session was still accepted after 15s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_session_for_one_application_does_not_open_another() {
    let scene = Scene::start();
    allow_app(&scene, "one.example.com");
    allow_app(&scene, "two.example.com");
    let token = scene.token("ci", "8760h");
    let cookie = login(&scene, "one.example.com", &token);
    assert_eq!(
        scene.get("two.example.com", "/", Creds::Cookie(&cookie)).status,
        403,
        "the audience is one.example.com's"
    );
}

#[test]
fn service_auth_only_applications_set_no_cookie() {
    let scene = Scene::start();
    let policy =
        scene.policy(json!({"name": "svc", "decision": "non_identity", "include": [{"service_token": {}}]}));
    scene.app("svc.example.com", &[&policy]);
    let token = scene.token("ci", "8760h");
    let response = scene.get("svc.example.com", "/", Creds::Token(&token));
    assert_eq!(response.status, 200);
    assert!(response.headers.iter().all(|(name, _)| name != "set-cookie"), "{:?}", response.headers);
}
