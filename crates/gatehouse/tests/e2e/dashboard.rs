//! The dashboard in a real browser (`tests/browser/dashboard.py`, see [`crate::browser`]): a
//! gateway scene with traffic, an admin and a read-only API token, then login, the screens, the
//! once-shown secret, rotation, deletion, a read-only session, an XSS attempt, the CSP and the
//! accessibility basics. The secrets the script saw are checked against the server's log here.

use std::fs;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::browser::{assert_success, run_script};
use crate::scene::{Creds, Scene};
use crate::support::{Gatehouse, http, send, workspace_root};

/// How long gateway records may take to reach the access log (flushed every second).
const RECORD_DEADLINE: Duration = Duration::from_secs(20);

/// Where the screenshots go: `target/browser-artifacts/dashboard/`.
fn artifacts() -> PathBuf {
    let dir = workspace_root().join("target/browser-artifacts/dashboard");
    fs::create_dir_all(&dir).expect("create the artifacts folder");
    dir
}

#[test]
fn the_dashboard_works_in_a_real_browser() {
    let scene = Scene::start();
    let policy = scene.policy(json!({"name": "Service tokens", "decision": "non_identity", "include": [{"any_valid_service_token": {}}]}));
    scene.app("dash.example.test", &[&policy]);
    scene.api(
        "POST",
        "groups",
        Some(json!({"name": "Deployers", "include": [{"any_valid_service_token": {}}]})),
    );
    let deploy = scene.token("ci-deploy", "8760h");
    scene.token("nightly-backup", "8760h");
    scene.token("old-cron", "240h");
    for _ in 0..6 {
        assert_eq!(scene.get("dash.example.test", "/", Creds::Token(&deploy)).status, 200);
    }
    for _ in 0..3 {
        scene.get("dash.example.test", "/", Creds::Pair(&deploy.client_id, "wrong-secret-value-123"));
    }
    scene.get("dash.example.test", "/", Creds::Nothing);
    wait_for_records(&scene, 10);
    let read_only = scene.server.mint_api_token(true);

    let secrets_file = scene.server.scratch_dir().join("dashboard-secrets.txt");
    let docs_images = std::env::var("GATEHOUSE_DOCS_IMAGES")
        .map(|_| workspace_root().join("docs/images").display().to_string())
        .unwrap_or_default();
    let artifacts = artifacts().display().to_string();
    let env = [
        ("DASH_URL", format!("{}/dash/", scene.server.api())),
        ("DASH_ADMIN_TOKEN", scene.server.admin_token().to_owned()),
        ("DASH_READ_ONLY_TOKEN", read_only),
        ("DASH_ARTIFACTS", artifacts),
        ("DASH_DOCS_IMAGES", docs_images),
        ("DASH_SECRETS_FILE", secrets_file.display().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let output = run_script(scene.server.scratch_dir(), "dashboard.py", &[], &env);
    assert_success(&output, "dashboard.py", &scene.server);
    assert!(output.stdout.contains("OK dashboard"), "{}", output.text);

    // The secrets the browser was shown appear nowhere in the server's log.
    let secrets = fs::read_to_string(&secrets_file).expect("dashboard.py writes the secrets it saw");
    let logs = scene.server.logs();
    let mut checked = 0;
    for secret in secrets.lines().filter(|s| !s.is_empty()) {
        assert!(!logs.contains(secret), "a secret shown by the dashboard is in the server log");
        assert!(!output.text.contains(secret), "a secret shown by the dashboard is in the script's output");
        checked += 1;
    }
    assert!(checked >= 2, "the create and the rotation secrets were checked");
    fs::remove_file(&secrets_file).expect("remove the secrets file");
}

/// The v4 API stays Bearer-only: a dashboard session cookie is no credential there.
#[test]
fn the_api_ignores_dashboard_cookies() {
    let server = Gatehouse::start();
    let path = format!("/client/v4/accounts/{}/access/service_tokens", server.account_id());
    let api = server.api().trim_start_matches("http://").to_owned();
    let cookie = [("Cookie", "__Host-gatehouse_session=anything")];
    for headers in [&[][..], &cookie[..]] {
        let reply = send(&api, "GET", &path, headers, b"");
        assert_eq!(reply.status, 400, "no bearer token, no access: {}", reply.body);
        assert_eq!(reply.json()["errors"][0]["code"], 9106, "{}", reply.body);
    }
}

#[track_caller]
fn wait_for_records(scene: &Scene, count: u64) {
    let start = Instant::now();
    loop {
        let url = format!(
            "{}/accounts/{}/access/logs/access_requests?per_page=1",
            scene.server.v4(),
            scene.server.account_id()
        );
        let reply = http("GET", &url, Some(scene.server.admin_token()), None);
        let total = reply.json()["result_info"]["total_count"].as_u64().unwrap_or(0);
        if total >= count {
            return;
        }
        assert!(
            start.elapsed() < RECORD_DEADLINE,
            "only {total} access-log records after {RECORD_DEADLINE:?}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}
