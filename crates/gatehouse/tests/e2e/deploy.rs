//! The deployment files against the real server: every series the Grafana dashboard and the
//! Prometheus alert rules query exists in `/metrics`; the Kubernetes manifests, compose.yaml
//! and the rules pass `deploy/check.py` (a schema check in Python), which fails on broken ones.
//! Also `gatehouse probe`, the image's healthcheck command.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::scene::{Creds, Scene};
use crate::sdk::{install_once, run_checked};
use crate::support::{gatehouse_command, http, run_with_deadline, workspace_root};

/// Every `gatehouse_…` name in `text` (the dashboard's and the rules' expressions).
fn series_named(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("gatehouse_") {
        let tail = &rest[at..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
        names.insert(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}

#[test]
fn every_series_the_dashboard_and_alerts_query_exists() {
    let root = workspace_root();
    let dashboard = std::fs::read_to_string(root.join("deploy/grafana/gatehouse.json")).unwrap();
    let alerts = std::fs::read_to_string(root.join("deploy/grafana/alerts.yaml")).unwrap();
    let wanted: BTreeSet<String> =
        series_named(&dashboard).into_iter().chain(series_named(&alerts)).collect();
    assert!(wanted.len() >= 10, "{wanted:?}");

    // Traffic that makes every labelled series appear: allowed, denied, an origin error, API calls.
    let scene = Scene::start();
    let token = scene.token("soon", "72h");
    let policy = scene
        .policy(json!({"name": "tokens", "decision": "non_identity", "include": [{"service_token": {}}]}));
    scene.app("deploy.example.test", &[&policy]);
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    drop(std::net::TcpListener::bind(unused));
    scene.api(
        "POST",
        "apps",
        Some(json!({"name": "dead", "type": "self_hosted", "domain": "dead.example.test", "origin": format!("http://{unused}"), "policies": [{"id": policy, "precedence": 1}]})),
    );
    assert_eq!(scene.get("deploy.example.test", "/", Creds::Token(&token)).status, 200);
    assert_eq!(
        scene
            .get("deploy.example.test", "/", Creds::Pair(&token.client_id, "wrong-secret-0123456789"))
            .status,
        403
    );
    assert_eq!(scene.get("dead.example.test", "/", Creds::Token(&token)).status, 502);

    let text = http("GET", &format!("{}/metrics", scene.server.api()), None, None).body;
    let exposed: BTreeSet<&str> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split(['{', ' ']).next())
        .collect();
    let missing: Vec<&String> = wanted.iter().filter(|name| !exposed.contains(name.as_str())).collect();
    assert!(missing.is_empty(), "queried but not in /metrics: {missing:?}\n{text}");

    // The two series added for the alerts say what they should.
    let line = |prefix: &str| text.lines().find(|l| l.starts_with(prefix)).map(str::to_owned);
    assert_eq!(line("gatehouse_database_up").as_deref(), Some("gatehouse_database_up 1"), "{text}");
    assert_eq!(
        line(r#"gatehouse_service_tokens_expiring{within_days="7"}"#).as_deref(),
        Some(r#"gatehouse_service_tokens_expiring{within_days="7"} 1"#),
        "the 72h token expires within 7 days\n{text}"
    );
}

/// The venv with PyYAML for deploy/check.py, from the pinned, hashed requirements.
fn python() -> PathBuf {
    let requirements = workspace_root().join("deploy/requirements.txt");
    let spec = std::fs::read_to_string(&requirements).unwrap();
    install_once("deploy", &spec, |venv, scratch| {
        let mut create = Command::new("python3");
        create.args(["-m", "venv"]).arg(venv);
        run_checked(create, scratch, "python3 -m venv");
        let mut pip = Command::new(venv.join("bin/python"));
        pip.args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--require-hashes",
            "-r",
        ])
        .arg(&requirements);
        run_checked(pip, scratch, "pip install -r deploy/requirements.txt");
    })
    .join("bin/python")
}

fn check(root: &Path) -> crate::support::Output {
    let mut command = Command::new(python());
    command.arg(workspace_root().join("deploy/check.py")).arg(root);
    run_with_deadline(command, root, std::time::Duration::from_secs(60))
}

/// A copy of the files deploy/check.py reads, with `edit` applied to one of them.
fn broken_copy(file: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let root = workspace_root();
    let copy = tempfile::tempdir().unwrap();
    for dir in ["deploy/kubernetes", "deploy/grafana"] {
        std::fs::create_dir_all(copy.path().join(dir)).unwrap();
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, copy.path().join(dir).join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(root.join("compose.yaml"), copy.path().join("compose.yaml")).unwrap();
    let target = copy.path().join(file);
    let text = std::fs::read_to_string(&target).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit of {file} changed nothing");
    std::fs::write(&target, edited).unwrap();
    copy
}

/// A change that breaks a file.
type Edit = fn(&str) -> String;

#[test]
fn the_manifests_pass_their_schema_check_and_broken_ones_do_not() {
    let out = check(&workspace_root());
    assert!(out.status.success(), "{}", out.text);

    let cases: [(&str, Edit, &str); 5] = [
        (
            "deploy/kubernetes/deployment.yaml",
            |t| t.replacen("path: /readyz", "path: /healthz", 1),
            "/readyz",
        ),
        (
            "deploy/kubernetes/deployment.yaml",
            |t| t.replacen("key: secret-key", "key: no-such-key", 1),
            "no key",
        ),
        (
            "deploy/kubernetes/service.yaml",
            |t| t.replacen("targetPort: api", "targetPort: admin", 1),
            "targetPort",
        ),
        ("deploy/kubernetes/deployment.yaml", |t| t.replacen("replicas: 2", "replicas: two", 1), "replicas"),
        ("compose.yaml", |t| t.replacen("  gatehouse-b:", "  other-b:", 1), "two gatehouse nodes"),
    ];
    for (file, edit, complaint) in cases {
        let copy = broken_copy(file, edit);
        let out = check(copy.path());
        assert_eq!(out.status.code(), Some(1), "{file}: {}", out.text);
        assert!(out.stdout.contains(complaint), "{file}: want {complaint:?}\n{}", out.text);
    }
}

#[test]
fn probe_exits_0_on_2xx_and_1_otherwise() {
    let scene = Scene::start();
    let api = scene.server.api().to_owned();
    let probe = |url: &str| {
        let mut command = gatehouse_command();
        command.arg("probe").arg(url).args(["--timeout", "5"]);
        run_with_deadline(command, scene.server.scratch_dir(), std::time::Duration::from_secs(30))
    };
    assert!(probe(&format!("{api}/healthz")).status.success());
    assert!(probe(&format!("{api}/readyz")).status.success());
    let missing = probe(&format!("{api}/no-such-path"));
    assert_eq!(missing.status.code(), Some(1), "{}", missing.text);
    assert!(missing.text.contains("404"), "{}", missing.text);
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let down = probe(&format!("http://{unused}/healthz"));
    assert_eq!(down.status.code(), Some(1), "{}", down.text);
}
