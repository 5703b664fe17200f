//! Logging into the dashboard through a real OpenID Provider (npm `oidc-provider`, the harness
//! of [`crate::identity`]) in Debian's chromium (`tests/browser/dashboard_login.py`): gatehouse
//! is started with `dashboard_admins_app` and `dashboard_viewers_app`, the provider is
//! registered with the dashboard's callback, and three people log in: an admin (write
//! controls), a viewer (none) and someone neither application admits (refused). Without npm or a
//! browser the test says `SKIPPED`, unless `GATEHOUSE_REQUIRE_SDK_CLIENTS=1` /
//! `GATEHOUSE_REQUIRE_BROWSER=1`.

use std::fs;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::browser::{assert_success, browser_available, run_script};
use crate::identity::{Provider, op_project};
use crate::support::{Gatehouse, StartOptions, http, workspace_root};

const ADMINS: &str = "dash-admins.example.test";
const VIEWERS: &str = "dash-viewers.example.test";
/// The browser reaches the dashboard here (chromium maps `*.localhost` to the loopback).
const DASH_HOST: &str = "dash.localhost";

/// Where the screenshots go: `target/browser-artifacts/dashboard-login/`.
fn artifacts() -> PathBuf {
    let dir = workspace_root().join("target/browser-artifacts/dashboard-login");
    fs::create_dir_all(&dir).expect("create the artifacts folder");
    dir
}

/// `POST|PUT …/access/<rest>` as the admin; the `result`.
#[track_caller]
fn api(server: &Gatehouse, method: &str, rest: &str, body: Value) -> Value {
    let url = format!("{}/accounts/{}/access/{rest}", server.v4(), server.account_id());
    let reply = http(method, &url, Some(server.admin_token()), Some(&body));
    assert!((200..300).contains(&reply.status), "{method} {rest} → {}: {}", reply.status, reply.body);
    reply.json()["result"].clone()
}

/// An application named `domain` with one `allow` policy including `include`.
fn app(server: &Gatehouse, domain: &str, include: Value) {
    let policy =
        api(server, "POST", "policies", json!({"name": domain, "decision": "allow", "include": include}));
    let policy = policy["id"].as_str().unwrap();
    api(
        server,
        "POST",
        "apps",
        json!({"name": domain, "type": "self_hosted", "domain": domain,
            "policies": [{"id": policy, "precedence": 1}]}),
    );
}

#[test]
fn dashboard_login_through_a_real_provider_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let Some(project) = op_project() else { return };
    let config_dir = tempfile::tempdir().expect("a folder for the configuration");
    let config = config_dir.path().join("gatehouse.toml");
    fs::write(
        &config,
        format!("dashboard_admins_app = \"{ADMINS}\"\ndashboard_viewers_app = \"{VIEWERS}\"\n"),
    )
    .expect("write the configuration");
    let server = StartOptions::new().arg("--config").arg(config.to_string_lossy()).start();
    // The dashboard by a name of its own, so that the provider (at 127.0.0.1) is another site,
    // as in a deployment: its redirect back is a cross-site navigation.
    let port = server.api().rsplit(':').next().expect("the API's port").to_owned();
    let dash = format!("http://{DASH_HOST}:{port}");
    let callback = format!("{dash}/dash/login/callback");
    let provider = Provider::start(&project, &callback);
    let mut idp = provider.idp_body(&provider);
    idp["name"] = json!("Test OP");
    api(&server, "POST", "identity_providers", idp);
    app(&server, ADMINS, json!([{"email": {"email": "dev-alice@example.com"}}]));
    app(&server, VIEWERS, json!([{"email": {"email": "bob@example.com"}}]));

    let env = [
        ("DASH_URL", format!("{dash}/dash/")),
        ("LOGIN_PROVIDER", provider.issuer.clone()),
        ("DASH_ARTIFACTS", artifacts().display().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let output = run_script(server.scratch_dir(), "dashboard_login.py", &[], &env);
    assert_success(&output, "dashboard_login.py", &server);
    assert!(output.stdout.contains("OK dashboard login"), "{}", output.text);
    let logs = server.logs();
    assert!(logs.contains("dashboard: a person logged in"), "the login is in the server's log");
    assert!(
        logs.contains("dashboard: a person logged in whom no admission policy admits"),
        "so is the refusal"
    );
}
