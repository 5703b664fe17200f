//! The user guide's client examples (curl, Python `requests`, Node `fetch`) against the gateway,
//! and an origin verifying the gateway's JWT with standard libraries, across a key rotation.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::scene::{Creds, Scene, Token, echoed, origin_header};
use crate::sdk::{SdkScript, python_sdk, sdk_script};

fn clients_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

fn guide_app(scene: &Scene) -> Token {
    let policy = scene.policy(
        json!({"name": "API-Only Access", "decision": "non_identity", "include": [{"service_token": {}}]}),
    );
    scene.app("app.example.com", &[&policy]);
    scene.token("CI/CD Pipeline", "8760h")
}

fn port(scene: &Scene) -> String {
    scene.gateway_addr().rsplit(':').next().unwrap().to_owned()
}

/// Runs a client and returns (status line, body) from its two-part output.
#[track_caller]
fn run_client(mut command: Command, token: &Token, url: &str) -> (String, Value) {
    let output = command
        .env("APP_URL", url)
        .env("CF_ACCESS_CLIENT_ID", &token.client_id)
        .env("CF_ACCESS_CLIENT_SECRET", &token.secret)
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let (status, body) = stdout.split_once('\n').unwrap();
    (
        status.trim().to_owned(),
        serde_json::from_str(body.trim()).unwrap_or_else(|_| panic!("origin JSON: {body}")),
    )
}

#[test]
fn curl_with_the_two_headers_works_as_the_guide_shows() {
    let scene = Scene::start();
    let token = guide_app(&scene);
    let port = port(&scene);
    let output = Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}"])
        .args(["-H", &format!("CF-Access-Client-Id: {}", token.client_id)])
        .args(["-H", &format!("CF-Access-Client-Secret: {}", token.secret)])
        .args(["--resolve", &format!("app.example.com:{port}:127.0.0.1")])
        .arg(format!("http://app.example.com:{port}/api/data"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (body, status) = stdout.rsplit_once('\n').unwrap();
    assert_eq!(status, "200", "{body}");
    let echo: Value = serde_json::from_str(body).unwrap();
    assert_eq!(echo["path"], "/api/data");
    assert!(origin_header(&echo, "cf-access-jwt-assertion").is_some());
}

#[test]
fn the_guides_python_requests_example_works() {
    let Some(SdkScript { command, copy: _copy }) = sdk_script(&clients_dir().join("seed_requests.py")) else {
        return;
    };
    let scene = Scene::start();
    let token = guide_app(&scene);
    let (status, echo) =
        run_client(command, &token, &format!("http://app.example.com:{}/api/data", port(&scene)));
    assert_eq!(status, "200");
    assert_eq!(echo["path"], "/api/data");
}

#[test]
fn the_guides_node_fetch_example_works() {
    let Some(SdkScript { command, copy: _copy }) = sdk_script(&clients_dir().join("seed_fetch.mjs")) else {
        return;
    };
    let scene = Scene::start();
    let token = guide_app(&scene);
    let (status, echo) =
        run_client(command, &token, &format!("http://app.example.com:{}/api/data", port(&scene)));
    assert_eq!(status, "200");
    assert_eq!(echo["path"], "/api/data");
}

/// Verifies `jwt` as an origin would (PyJWT's PyJWKClient against the gateway's certs URL).
#[track_caller]
fn verify_like_an_origin(scene: &Scene, jwt: &str, aud: &str, issuer: &str) -> Result<Value, String> {
    let venv = python_sdk().expect("PyJWT's venv: the calling test checks that it is installed");
    let certs = format!("{}/cdn-cgi/access/certs", scene.server.gateway());
    let mut child = Command::new(venv.join("bin/python"))
        .arg(clients_dir().join("verify_jwt.py"))
        .args([&certs, aud, issuer])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(jwt.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    if output.status.success() {
        Ok(serde_json::from_slice(&output.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn an_origin_verifies_the_assertion_with_pyjwt_also_across_a_key_rotation() {
    if python_sdk().is_none() {
        return;
    }
    let scene = Scene::start();
    let token = guide_app(&scene);
    let apps = scene.api("GET", "apps", None);
    let aud = apps[0]["aud"].as_str().unwrap().to_owned();
    let auth_domain = scene.api("GET", "organizations", None)["auth_domain"].as_str().unwrap().to_owned();
    let issuer = format!("https://{auth_domain}");

    let echo = echoed(&scene.get("app.example.com", "/api/data", Creds::Token(&token)));
    let jwt = origin_header(&echo, "cf-access-jwt-assertion").unwrap().to_owned();
    let claims = verify_like_an_origin(&scene, &jwt, &aud, &issuer).expect("the assertion verifies");
    assert_eq!(claims["common_name"], token.client_id.as_str());
    assert_eq!(claims["sub"], "");
    assert_eq!(claims["type"], "app");
    assert_eq!(claims["aud"], json!([aud]));
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());

    // A forged audience or issuer is refused by the same check.
    assert!(verify_like_an_origin(&scene, &jwt, &"0".repeat(64), &issuer).is_err());
    assert!(verify_like_an_origin(&scene, &jwt, &aud, "https://evil.example.com").is_err());

    // After a key rotation the old JWT still verifies (the previous key stays published), and new
    // requests carry a JWT signed with the new key.
    scene.api("POST", "keys/rotate", None);
    verify_like_an_origin(&scene, &jwt, &aud, &issuer).expect("the previous key is still published");
    let echo = echoed(&scene.get("app.example.com", "/api/data", Creds::Token(&token)));
    let fresh = origin_header(&echo, "cf-access-jwt-assertion").unwrap().to_owned();
    assert_ne!(kid(&fresh), kid(&jwt), "new assertions use the new key");
    verify_like_an_origin(&scene, &fresh, &aud, &issuer).expect("the new assertion verifies");
}

fn kid(jwt: &str) -> String {
    use base64::Engine as _;
    let header = jwt.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap();
    serde_json::from_slice::<Value>(&bytes).unwrap()["kid"].as_str().unwrap().to_owned()
}
