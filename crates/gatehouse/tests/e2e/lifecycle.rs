//! The server's life as an operator sees it: first start, a full token lifecycle, a clean stop,
//! a restart that keeps everything and prints no new token — and, after all of it, no secret in
//! the database files, the server's logs or any error body.

use serde_json::{Value, json};

use crate::support::{Gatehouse, StartOptions, banner_token, http};

/// Every byte of every file under `dir`, recursively.
fn read_tree(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            bytes.extend(read_tree(&path));
        } else {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

#[test]
fn no_secret_reaches_the_database_the_logs_or_an_error_body() {
    let server = Gatehouse::start_with(StartOptions::new().env("GATEHOUSE_LOG", "debug"));
    let admin = server.admin_token().to_owned();
    let reader = server.mint_api_token(true);
    let tokens = server.service_tokens_url();
    let mut secrets = vec![admin.clone(), reader.clone()];
    let mut error_bodies = Vec::new();

    let created =
        http("POST", &tokens, Some(&admin), Some(&json!({"name": "audit", "duration": "8760h"}))).json();
    let id = created["result"]["id"].as_str().unwrap().to_owned();
    secrets.push(created["result"]["client_secret"].as_str().unwrap().to_owned());
    let token_url = format!("{tokens}/{id}");

    let rotated = http("POST", &format!("{token_url}/rotate"), Some(&admin), None).json();
    secrets.push(rotated["result"]["client_secret"].as_str().unwrap().to_owned());
    let bumped = http("PUT", &token_url, Some(&admin), Some(&json!({"client_secret_version": 3}))).json();
    secrets.push(bumped["result"]["client_secret"].as_str().unwrap().to_owned());
    let imported_secret = "imported-secret-value-0123456789abcdef";
    let imported = http(
        "POST",
        &tokens,
        Some(&admin),
        Some(
            &json!({"name": "imported", "client_id": "0123456789abcdef0123456789abcdef.access", "client_secret": imported_secret}),
        ),
    );
    assert_eq!(imported.status, 201, "{}", imported.body);
    secrets.push(imported_secret.to_owned());
    assert_eq!(http("POST", &format!("{token_url}/refresh"), Some(&admin), None).status, 200);
    assert_eq!(http("GET", &tokens, Some(&admin), None).status, 200);

    // Failures, some of them carrying secrets where they do not belong.
    for (method, url, bearer, body) in [
        ("GET", tokens.clone(), Some(secrets[2].clone()), None),
        ("POST", tokens.clone(), Some(reader.clone()), Some(json!({"name": "nope"}))),
        (
            "POST",
            tokens.clone(),
            Some(admin.clone()),
            Some(json!({"name": secrets[3].clone(), "duration": secrets[3].clone()})),
        ),
        (
            "POST",
            tokens.clone(),
            Some(admin.clone()),
            Some(json!({"name": "x", "client_id": "bad id", "client_secret": secrets[4].clone()})),
        ),
        ("GET", format!("{tokens}/{}", secrets[2]), Some(admin.clone()), None),
        ("GET", format!("{}/user/tokens/verify", server.v4()), Some(format!("{admin}x")), None),
    ] {
        let reply = http(method, &url, bearer.as_deref(), body.as_ref());
        assert!(reply.status >= 400, "{method} {url} should fail: {}", reply.body);
        error_bodies.push(reply.body);
    }
    assert_eq!(http("DELETE", &token_url, Some(&admin), None).status, 200);

    let (status, dir) = server.stop_and_keep();
    assert!(status.success(), "SIGTERM should exit 0, got {status}");

    let database = read_tree(&dir.path().join("data"));
    assert!(database.len() > 4096, "the data directory was read");
    let database = String::from_utf8_lossy(&database).into_owned();
    let logs = std::fs::read_to_string(dir.path().join("server.stderr.log")).unwrap();
    assert!(logs.contains("service token created"), "debug logs were captured: {logs}");
    for secret in &secrets {
        assert!(!database.contains(secret.as_str()), "a secret is in the data directory");
        if let Some(line) = logs.lines().find(|line| line.contains(secret.as_str())) {
            panic!("a secret is in the server log: {line}");
        }
        for body in &error_bodies {
            assert!(!body.contains(secret.as_str()), "a secret is in an error body: {body}");
        }
    }
}

#[test]
fn first_start_shows_a_generated_admin_token_once_and_a_restart_keeps_everything() {
    let server = Gatehouse::start_with(StartOptions::new().generated_admin_token());
    let first_logs = server.logs();
    let token = banner_token(&first_logs).expect("the first start prints the admin token");
    assert!(
        first_logs.contains(&format!("{}/client/v4", server.api())),
        "banner shows the API URL: {first_logs}"
    );
    assert_eq!(server.admin_token(), token);

    let created =
        http("POST", &server.service_tokens_url(), Some(&token), Some(&json!({"name": "survivor"}))).json();
    let id = created["result"]["id"].as_str().unwrap().to_owned();

    let (status, server) = server.restart();
    assert!(status.success(), "SIGTERM should exit 0, got {status}");
    let all_logs = server.logs();
    assert_eq!(
        all_logs.matches("export GATEHOUSE_API_TOKEN=").count(),
        1,
        "a restart prints no new token:\n{all_logs}"
    );

    let list = http("GET", &server.service_tokens_url(), Some(&token), None).json();
    let ids: Vec<&Value> = list["result"].as_array().unwrap().iter().map(|t| &t["id"]).collect();
    assert_eq!(ids, vec![&Value::String(id)], "the token survived the restart");
}

#[test]
fn bad_configuration_exits_64_with_one_clear_line() {
    let mut command = crate::support::gatehouse_command();
    command.args(["serve", "--api-listen", "127.0.0.1:0", "--gateway-listen", "127.0.0.1:0"]);
    command.env("GATEHOUSE_BOOTSTRAP_ACCOUNT_ID", "not-hex");
    let dir = tempfile::tempdir().unwrap();
    command.arg("--data-dir").arg(dir.path().join("data"));
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("GATEHOUSE_BOOTSTRAP_ACCOUNT_ID"), "{stderr}");
}
