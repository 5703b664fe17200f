//! Hostile requests: spoofed headers, secrets that must not travel on, and path tricks against a
//! more specific application.

use serde_json::json;

use crate::scene::{Creds, Scene, echoed, origin_header};

#[test]
fn a_spoofed_assertion_and_the_client_secret_never_reach_the_origin() {
    let scene = Scene::start();
    let policy =
        scene.policy(json!({"name": "p", "decision": "non_identity", "include": [{"service_token": {}}]}));
    scene.app("app.example.com", &[&policy]);
    let token = scene.token("ci", "8760h");
    let spoofed = "eyJhbGciOiJub25lIn0.eyJjb21tb25fbmFtZSI6ImFkbWluIn0.";
    let response = scene.get_with(
        "app.example.com",
        "/api/data",
        Creds::Token(&token),
        &[("Cf-Access-Jwt-Assertion", spoofed), ("X-Forwarded-For", "10.9.8.7")],
    );
    let echo = echoed(&response);
    let assertion = origin_header(&echo, "cf-access-jwt-assertion").expect("the gateway's assertion");
    assert_ne!(assertion, spoofed);
    assert_eq!(
        echo["headers"]["cf-access-jwt-assertion"].as_array().unwrap().len(),
        1,
        "exactly one assertion"
    );
    assert_eq!(assertion.split('.').count(), 3);
    assert!(!echo.to_string().contains(&token.secret), "the client secret reached the origin: {echo}");
    let forwarded_for = origin_header(&echo, "x-forwarded-for").unwrap();
    assert!(forwarded_for.ends_with("127.0.0.1"), "the real peer is appended: {forwarded_for}");
}

#[test]
fn a_spoofed_forwarded_for_does_not_satisfy_an_ip_rule() {
    let scene = Scene::start();
    let policy = scene.policy(
        json!({"name": "office", "decision": "non_identity", "include": [{"ip": {"ip": "10.0.0.0/8"}}]}),
    );
    scene.app("office.example.com", &[&policy]);
    let spoofed =
        scene.get_with("office.example.com", "/", Creds::Nothing, &[("X-Forwarded-For", "10.1.2.3")]);
    assert_eq!(spoofed.status, 403);
    let local = scene.policy(
        json!({"name": "loopback", "decision": "non_identity", "include": [{"ip": {"ip": "127.0.0.0/8"}}]}),
    );
    scene.app("local.example.com", &[&local]);
    assert_eq!(
        scene.get("local.example.com", "/", Creds::Nothing).status,
        200,
        "the TCP peer is what ip rules see"
    );
}

#[test]
fn path_tricks_cannot_escape_a_more_specific_application() {
    let scene = Scene::start();
    let admin_token = scene.token("admin", "8760h");
    let other_token = scene.token("anyone", "8760h");
    let open = scene
        .policy(json!({"name": "any token", "decision": "non_identity", "include": [{"service_token": {}}]}));
    let strict = scene.policy(json!({
        "name": "admin only", "decision": "non_identity",
        "include": [{"service_token": {"token_id": admin_token.id}}]
    }));
    scene.app("paths.example.com", &[&open]);
    scene.app("paths.example.com/admin", &[&strict]);

    assert_eq!(scene.get("paths.example.com", "/public", Creds::Token(&other_token)).status, 200);
    assert_eq!(scene.get("paths.example.com", "/admin", Creds::Token(&admin_token)).status, 200);
    for trick in [
        "/admin",
        "/admin/",
        "/admin/users",
        "/ADMIN",
        "/Admin/users",
        "//admin",
        "/./admin",
        "/x/../admin",
        "/admin/../admin/users",
        "/%61dmin",
        "/%41DMIN",
        "/admin%2fusers",
        "/public/%2e%2e/admin",
        "/public/..%2fadmin",
        "/admin?x=/public",
        "/admin;x",
    ] {
        let response = scene.get("paths.example.com", trick, Creds::Token(&other_token));
        assert!(
            response.status == 403 || response.status == 400,
            "{trick}: a token the admin app does not admit got {}: {}",
            response.status,
            response.body
        );
    }
    let host_case = scene.get("PATHS.Example.COM:443", "/admin", Creds::Token(&other_token));
    assert_eq!(host_case.status, 403, "host case and port do not change the route");
}
