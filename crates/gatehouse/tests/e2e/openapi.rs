//! Property-based tests of the management API from its own OpenAPI document: schemathesis
//! (pinned with hashes by `tests/openapi/requirements.txt`, installed into the test-client cache like the SDKs) reads
//! `/client/v4/openapi.json` from the real binary and sends generated requests to every
//! operation, checking that none is answered with a server error, and that every status, content
//! type and body is the one the document promises: 2xx in the v4 envelope with `success: true`,
//! every failure a documented non-2xx status in the envelope with `success: false`.
//!
//! The account id and one id of each resource kind are given to schemathesis, so generated
//! requests reach the handlers instead of stopping at "no such account". The number of examples
//! per operation is bounded so the run takes well under a minute; `GATEHOUSE_SCHEMATHESIS_EXAMPLES`
//! raises it for a longer run by hand.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::sdk::{install_once, run_checked};
use crate::support::{Gatehouse, http, remove_inherited_config, run_with_deadline};

/// The version `tests/openapi/requirements.txt` pins.
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Examples per operation and phase in the test.
const DEFAULT_EXAMPLES: u32 = 10;
const RUN_TIMEOUT: Duration = Duration::from_secs(900);
const CHECKS: &str =
    "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance";

#[test]
fn generated_requests_get_documented_answers_and_no_server_error() {
    let venv = schemathesis();
    let server = Gatehouse::start();
    let ids = seed(&server);
    let config = server.scratch_dir().join("schemathesis.toml");
    std::fs::write(&config, config_file(server.account_id(), &ids)).expect("write schemathesis.toml");
    let examples = std::env::var("GATEHOUSE_SCHEMATHESIS_EXAMPLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_EXAMPLES);

    let mut command = Command::new(venv.join("bin/schemathesis"));
    remove_inherited_config(&mut command);
    for proxy in ["http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        command.env_remove(proxy);
    }
    command
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{}/client/v4/openapi.json", server.api()))
        .args(["--url", server.api()])
        .args(["--header", &format!("Authorization: Bearer {}", server.admin_token())])
        .args(["--checks", CHECKS])
        .args(["--max-examples", &examples.to_string()])
        .args(["--seed", &seed_value().to_string()])
        // One worker: two threads of hypothesis parsing lambdas with `ast.parse` at once hit
        // CPython 3.11's "AST constructor recursion depth mismatch" SystemError (a run error, not a
        // finding); one worker takes as long here.
        .args(["--workers", "1", "--no-color", "--output-sanitize", "true", "--generation-database", "none"])
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(server.scratch_dir());
    let output = run_with_deadline(command, server.scratch_dir(), RUN_TIMEOUT);
    let generated = generated_cases(&output.stdout);

    assert!(
        output.status.success() && !output.stdout.contains("FAILURES"),
        "schemathesis found failures ({}):\n{}\n--- gatehouse log (last 60 lines) ---\n{}",
        output.status,
        output.text,
        tail(&server.logs(), 60)
    );
    // Every operation of the document was tested ("Selected: 41/41", "Tested: 41").
    let selected = summary_number(&output.stdout, "Selected:");
    println!(
        "schemathesis: {generated} requests generated for {selected} operations ({examples} examples each)"
    );
    assert!(selected > 0 && summary_number(&output.stdout, "Tested:") == selected, "{}", output.stdout);
    assert!(generated >= selected * 5, "schemathesis generated only {generated} requests:\n{}", output.text);
}

/// The venv holding schemathesis, installed on first use from the hash-pinned
/// `tests/openapi/requirements.txt` (its dependencies pinned too, so every run tests with the same
/// versions and a warm cache needs no registry).
fn schemathesis() -> PathBuf {
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi/requirements.txt");
    let spec = std::fs::read_to_string(&requirements).expect("read tests/openapi/requirements.txt");
    install_once("schemathesis", &spec, |venv, scratch| {
        let mut create = Command::new("python3");
        create.args(["-m", "venv"]).arg(venv);
        run_checked(create, scratch, "python3 -m venv");
        let mut pip = Command::new(venv.join("bin/python"));
        pip.args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--require-hashes"])
            .arg("-r")
            .arg(&requirements);
        run_checked(pip, scratch, "pip install -r tests/openapi/requirements.txt");
        let mut version = Command::new(venv.join("bin/schemathesis"));
        version.arg("--version");
        let installed = run_checked(version, scratch, "schemathesis --version");
        assert!(
            installed.contains(SCHEMATHESIS_VERSION),
            "pip installed {installed:?}, expected schemathesis {SCHEMATHESIS_VERSION}"
        );
    })
}

/// One resource of each kind, so that generated requests on `{token_id}`, `{app_id}`,
/// `{policy_id}` and `{group_id}` reach a real one (until a generated DELETE removes it).
struct Seeded {
    token: String,
    app: String,
    policy: String,
    group: String,
}

fn seed(server: &Gatehouse) -> Seeded {
    let base = format!("{}/accounts/{}/access", server.v4(), server.account_id());
    let create = |path: &str, body: Value| -> String {
        let response = http("POST", &format!("{base}/{path}"), Some(server.admin_token()), Some(&body));
        assert_eq!(response.status, 201, "seed {path}: {}", response.body);
        response.json()["result"]["id"].as_str().expect("an id").to_owned()
    };
    let token = create("service_tokens", json!({"name": "seed"}));
    let group =
        create("groups", json!({"name": "seed", "include": [{"service_token": {"token_id": token}}]}));
    let app = create(
        "apps",
        json!({"name": "seed", "type": "self_hosted", "domain": "seed.example.com",
               "policies": [{"name": "inline", "decision": "non_identity", "include": [{"group": {"id": group}}]}]}),
    );
    let app_policies = http("GET", &format!("{base}/apps/{app}/policies"), Some(server.admin_token()), None);
    let policy = app_policies.json()["result"][0]["id"].as_str().expect("the app's policy").to_owned();
    Seeded { token, app, policy, group }
}

fn config_file(account: &str, ids: &Seeded) -> String {
    format!(
        "[parameters]\n\"path.account_id\" = \"{account}\"\n\"path.token_id\" = \"{}\"\n\"path.app_id\" = \"{}\"\n\
         \"path.policy_id\" = \"{}\"\n\"path.group_id\" = \"{}\"\n",
        ids.token, ids.app, ids.policy, ids.group
    )
}

/// A fixed seed, so a failure reproduces; `GATEHOUSE_SCHEMATHESIS_SEED` picks another.
fn seed_value() -> u64 {
    std::env::var("GATEHOUSE_SCHEMATHESIS_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(20261128)
}

/// "Test cases:\n  2289 generated, 2289 passed" in schemathesis' summary.
fn generated_cases(stdout: &str) -> u64 {
    let after = stdout.split("Test cases:").nth(1).unwrap_or_default();
    after.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// The number after `label` in schemathesis' summary (`Selected: 41/41` gives 41).
fn summary_number(stdout: &str, label: &str) -> u64 {
    let after = stdout.rsplit(label).next().unwrap_or_default();
    after
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
