//! No secret in any log line: the binary runs with known secrets in every setting that takes one
//! (the admin token, the server key and a previous key, webhook secrets, a database password),
//! given directly and through their `_FILE` variants, at the most verbose log level; it serves
//! tokens, refuses wrong ones and fails to reach a database, and every line it printed on
//! stdout and stderr is searched for each secret.

use std::time::Duration;

use serde_json::json;

use crate::scene::{Creds, Origin, Scene};
use crate::support::{Gatehouse, StartOptions, gatehouse_command, http, random_hex, run_with_deadline};

const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Fails naming the secret and the line when any line of `output` contains one of `secrets`.
#[track_caller]
fn assert_no_secret(what: &str, output: &str, secrets: &[(&str, &str)]) {
    let lines = output.lines().count();
    assert!(lines > 0, "{what}: nothing was printed, so nothing was checked");
    for (number, line) in output.lines().enumerate() {
        for (name, secret) in secrets {
            assert!(secret.len() >= 12, "{name}: too short to search for");
            assert!(!line.contains(secret), "{what}: line {} shows the {name}: {line}", number + 1);
        }
    }
}

#[test]
fn no_secret_reaches_the_logs_of_a_serving_gateway() {
    let scratch = tempfile::tempdir().unwrap();
    let previous_key = random_hex(64);
    let previous_file = scratch.path().join("previous-keys");
    std::fs::write(&previous_file, format!("# the key before\n{previous_key}\n")).unwrap();
    let inline_webhook_secret = format!("inline-webhook-{}", random_hex(24));
    let file_webhook_secret = format!("file-webhook-{}", random_hex(24));
    let webhook_file = scratch.path().join("webhook-secret");
    std::fs::write(&webhook_file, format!("{file_webhook_secret}\n")).unwrap();
    let config = scratch.path().join("gatehouse.toml");
    std::fs::write(
        &config,
        format!(
            "[[webhooks]]\nurl = \"http://127.0.0.1:9/inline\"\nsecret = \"{inline_webhook_secret}\"\n\n\
             [[webhooks]]\nurl = \"http://127.0.0.1:9/file\"\nsecret_file = {:?}\n",
            webhook_file.display().to_string()
        ),
    )
    .unwrap();

    let options = StartOptions::new()
        .admin_token_from_file()
        .env("GATEHOUSE_LOG", "trace")
        .env("GATEHOUSE_PREVIOUS_SECRET_KEYS_FILE", previous_file.display().to_string())
        .arg("--config")
        .arg(config.display().to_string());
    let scene = Scene { origin: Origin::start(), server: Gatehouse::start_with(options) };
    let server_key = std::fs::read_to_string(scene.server.data_dir().join("secret.key")).unwrap();
    let server_key = server_key.trim().to_owned();

    // Traffic: a token allowed through, a wrong secret, a wrong API token, a minted API token.
    let token = scene.token("logged", "8760h");
    let policy = scene.policy(json!({
        "name": "logged", "decision": "non_identity", "include": [{"service_token": {"token_id": token.id}}]
    }));
    scene.app("secrets.example.com", &[&policy]);
    let allowed = scene.get("secrets.example.com", "/", Creds::Token(&token));
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    let wrong_secret = format!("wrong-secret-{}", random_hex(32));
    let refused = scene.get("secrets.example.com", "/", Creds::Pair(&token.client_id, &wrong_secret));
    assert_eq!(refused.status, 403, "{}", refused.body);
    let wrong_api_token = format!("gatehouse_at_{}", random_hex(40));
    assert_eq!(http("GET", &scene.url("service_tokens"), Some(&wrong_api_token), None).status, 401);
    let minted = scene.server.mint_api_token(true);
    assert_eq!(http("GET", &scene.url("service_tokens"), Some(&minted), None).status, 200);
    scene.api("POST", "keys/rotate", None);

    let logs = format!("{}\n{}", scene.server.ready_line(), scene.server.logs());
    assert!(logs.lines().count() > 20, "trace logging should say a lot:\n{logs}");
    assert_no_secret(
        "gatehouse serve",
        &logs,
        &[
            ("admin API token", scene.server.admin_token()),
            ("server key", &server_key),
            ("previous server key", &previous_key),
            ("inline webhook secret", &inline_webhook_secret),
            ("webhook secret from a file", &file_webhook_secret),
            ("client secret", &token.secret),
            ("wrong client secret", &wrong_secret),
            ("wrong API token", &wrong_api_token),
            ("minted API token", &minted),
        ],
    );
}

#[test]
fn database_passwords_stay_out_of_start_failures() {
    let scratch = tempfile::tempdir().unwrap();
    let password = format!("db-password-{}", random_hex(24));
    // Nothing listens on port 1: the start fails connecting, and says so.
    let url = format!("postgres://gatehouse:{password}@127.0.0.1:1/gatehouse?connect_timeout=2");
    let url_file = scratch.path().join("database-url");
    std::fs::write(&url_file, format!("{url}\n")).unwrap();
    let serve = |envs: &[(&str, &str)]| {
        let mut command = gatehouse_command();
        command
            .args(["serve", "--api-listen", "127.0.0.1:0", "--gateway-listen", "127.0.0.1:0", "--data-dir"])
            .arg(scratch.path().join("data"))
            .env("GATEHOUSE_LOG", "trace");
        for (key, value) in envs {
            command.env(key, value);
        }
        run_with_deadline(command, scratch.path(), COMMAND_TIMEOUT)
    };
    let url_file_text = url_file.display().to_string();
    let secrets = [("database password", password.as_str())];

    for envs in [
        vec![("GATEHOUSE_DATABASE_URL", url.as_str())],
        vec![("GATEHOUSE_DATABASE_URL_FILE", &url_file_text)],
    ] {
        let output = serve(&envs);
        assert!(!output.status.success(), "{envs:?}: the start cannot succeed\n{}", output.text);
        assert!(output.text.contains("storage"), "{envs:?}: the failure names its cause\n{}", output.text);
        assert_no_secret("gatehouse serve (unreachable database)", &output.text, &secrets);
    }

    let both = serve(&[("GATEHOUSE_DATABASE_URL", &url), ("GATEHOUSE_DATABASE_URL_FILE", &url_file_text)]);
    assert_eq!(both.status.code(), Some(64), "{}", both.text);
    assert!(
        both.text.contains("GATEHOUSE_DATABASE_URL and GATEHOUSE_DATABASE_URL_FILE are both set"),
        "{}",
        both.text
    );
    assert_no_secret("gatehouse serve (both set)", &both.text, &secrets);

    let missing = serve(&[("GATEHOUSE_DATABASE_URL_FILE", "/nonexistent/database-url")]);
    assert_eq!(missing.status.code(), Some(64), "{}", missing.text);
    assert!(
        missing.text.contains("GATEHOUSE_DATABASE_URL_FILE: cannot read /nonexistent/database-url"),
        "{}",
        missing.text
    );

    let mut audit = gatehouse_command();
    audit
        .args(["audit", "verify", "--data-dir"])
        .arg(scratch.path().join("data"))
        .env("GATEHOUSE_DATABASE_URL_FILE", &url_file);
    let audit = run_with_deadline(audit, scratch.path(), COMMAND_TIMEOUT);
    assert!(!audit.status.success(), "{}", audit.text);
    assert_no_secret("gatehouse audit verify", &audit.text, &secrets);
}
