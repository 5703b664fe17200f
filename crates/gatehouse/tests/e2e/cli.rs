//! The `gatehouse token …` client, run as a user runs it: the real binary, configured only by
//! `GATEHOUSE_API_URL` and `GATEHOUSE_API_TOKEN`, against a real server. The account is not
//! given, so every run also discovers it through `GET /accounts`.

use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::support::{Gatehouse, gatehouse_command, http, wait_with_deadline};

/// How long one client command may take (a cold debug binary on a loaded machine).
const CLI_TIMEOUT: Duration = Duration::from_secs(30);

#[test]
fn token_lifecycle_through_the_cli() {
    let server = Gatehouse::start();
    let cli = Cli::new(server.api(), server.admin_token(), server.scratch_dir());

    let created = cli.run(&["token", "create", "--name", "ci-deploy", "--json"]).success();
    let created = created.json();
    let id = text(&created, "id");
    let first_secret = text(&created, "client_secret");
    assert_eq!(created["name"], "ci-deploy");
    assert!(text(&created, "client_id").ends_with(".access"), "{created}");
    assert_eq!(created["client_secret_version"], 1);

    let table = cli.run(&["token", "list"]).success();
    assert!(
        table.stdout.contains("ci-deploy") && table.stdout.contains(&id),
        "list table:\n{}",
        table.stdout
    );
    assert!(table.stdout.contains("CLIENT ID"), "list table has a header:\n{}", table.stdout);
    let listed = cli.run(&["token", "list", "--json"]).success().json();
    assert!(ids(&listed).contains(&id), "list --json: {listed}");

    let got = cli.run(&["token", "get", &id, "--json"]).success().json();
    assert_eq!(got["id"], created["id"]);
    assert_eq!(got["client_id"], created["client_id"]);
    assert_eq!(got["duration"], "8760h");
    assert_eq!(got["enabled"], true);
    assert!(got.get("client_secret").is_none(), "get must not show the secret: {got}");

    let rotated = cli.run(&["token", "rotate", &id, "--json"]).success();
    assert!(
        rotated.stderr.contains("shown only"),
        "rotate warns that the secret is shown once: {}",
        rotated.stderr
    );
    let rotated = rotated.json();
    assert_ne!(text(&rotated, "client_secret"), first_secret, "rotate must issue a new secret");
    assert_eq!(rotated["client_id"], created["client_id"]);
    assert_eq!(rotated["client_secret_version"], 2);

    let refreshed = cli.run(&["token", "refresh", &id]).success();
    assert!(refreshed.stdout.contains(&id), "refresh prints the token:\n{}", refreshed.stdout);

    cli.run(&["token", "delete", &id]).success();
    let missing = cli.run(&["token", "get", &id]);
    missing.fails_with(1);
    assert!(
        missing.stderr.starts_with("error: ") && missing.stderr.contains("(code "),
        "stderr: {}",
        missing.stderr
    );
}

#[test]
fn create_prints_the_secret_once_in_a_table() {
    let server = Gatehouse::start();
    let cli = Cli::new(server.api(), server.admin_token(), server.scratch_dir());

    let created = cli.run(&["token", "create", "--name", "table-view", "--duration", "forever"]).success();
    assert!(created.stdout.contains("table-view"), "{}", created.stdout);
    assert!(
        created.stdout.contains("CF-Access-Client-Secret: "),
        "the secret is on its own line:\n{}",
        created.stdout
    );
    assert!(
        created.stderr.contains("warning:") && created.stderr.contains("shown only"),
        "stderr: {}",
        created.stderr
    );
    assert!(!created.stdout.contains(server.admin_token()) && !created.stderr.contains(server.admin_token()));
}

#[test]
fn update_disables_and_bumps_the_secret_version() {
    let server = Gatehouse::start();
    let cli = Cli::new(server.api(), server.admin_token(), server.scratch_dir());
    let id = text(&cli.run(&["token", "create", "--name", "before", "--json"]).success().json(), "id");

    let updated = cli
        .run(&["token", "update", &id, "--name", "after", "--disable", "--rotate-secret", "--json"])
        .success();
    let updated = updated.json();
    assert_eq!(updated["name"], "after");
    assert_eq!(updated["enabled"], false);
    assert_eq!(updated["client_secret_version"], 2);
    assert!(updated["client_secret"].is_string(), "a version bump returns the new secret: {updated}");

    cli.run(&["token", "update", &id]).fails_with(2);
}

#[test]
fn import_reads_the_secret_from_stdin() {
    let server = Gatehouse::start();
    let cli = Cli::new(server.api(), server.admin_token(), server.scratch_dir());
    let client_id = "0123456789abcdef0123456789abcdef.access";
    let secret = "a".repeat(64);

    let imported = cli
        .run_with_stdin(
            &[
                "token",
                "create",
                "--name",
                "imported",
                "--import-client-id",
                client_id,
                "--import-client-secret-file",
                "-",
                "--json",
            ],
            &format!("{secret}\n"),
        )
        .success()
        .json();
    assert_eq!(imported["client_id"], client_id);
}

#[test]
fn list_follows_every_page() {
    let server = Gatehouse::start();
    let cli = Cli::new(server.api(), server.admin_token(), server.scratch_dir());
    let mut created = Vec::new();
    for name in ["one", "two", "three"] {
        created.push(text(&cli.run(&["token", "create", "--name", name, "--json"]).success().json(), "id"));
    }

    let all = cli.run(&["token", "list", "--per-page", "1", "--json"]).success().json();
    let mut listed = ids(&all);
    listed.sort();
    created.sort();
    assert_eq!(listed, created, "every page, each token once: {all}");

    let second = cli.run(&["token", "list", "--page", "2", "--per-page", "2", "--json"]).success().json();
    assert_eq!(ids(&second).len(), 1, "page 2 of 3 tokens at 2 per page: {second}");
}

#[test]
fn a_wrong_token_exits_1_with_the_apis_message() {
    let server = Gatehouse::start();
    let cli = Cli::new(server.api(), "gatehouse_at_wrong", server.scratch_dir());

    let refused = cli.run(&["token", "list"]);
    refused.fails_with(1);

    let answer = http("GET", &format!("{}/accounts", server.v4()), Some("gatehouse_at_wrong"), None).json();
    let message =
        answer["errors"][0]["message"].as_str().unwrap_or_else(|| panic!("an error message: {answer}"));
    assert!(refused.stderr.contains(&format!("error: {message} (code ")), "stderr: {}", refused.stderr);
}

#[test]
fn an_unreachable_api_exits_69_and_names_the_url() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let url = format!("http://{}", unused_address());
    let cli = Cli::new(&url, "gatehouse_at_whatever", scratch.path());

    let refused = cli.run(&["token", "list", "--account-id", "0123456789abcdef0123456789abcdef"]);
    refused.fails_with(69);
    assert!(refused.stderr.contains(&url), "stderr names the URL it tried: {}", refused.stderr);
}

/// An address nothing listens on: bound by us, then released.
fn unused_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").to_string()
}

#[test]
fn identity_providers_and_people_through_the_cli() {
    let server = Gatehouse::start();
    let cli = Cli::new(server.api(), server.admin_token(), server.scratch_dir());
    let secret = "oidc-client-secret-never-shown";
    let args = [
        "idp",
        "create-oidc",
        "--name",
        "Okta",
        "--client-id",
        "gatehouse",
        "--client-secret-file",
        "-",
        "--auth-url",
        "https://example.okta.com/oauth2/v1/authorize",
        "--token-url",
        "https://example.okta.com/oauth2/v1/token",
        "--certs-url",
        "https://example.okta.com/oauth2/v1/keys",
        "--scope",
        "openid",
        "--scope",
        "email",
        "--scope",
        "groups",
        "--claim",
        "groups",
        "--pkce",
        "--json",
    ];
    let created = cli.run_with_stdin(&args, &format!("{secret}\n")).success();
    assert!(!created.stdout.contains(secret), "the secret is never shown: {}", created.stdout);
    let created = created.json();
    let id = text(&created, "id");
    assert_eq!(created["type"], "oidc");
    assert_eq!(created["config"]["scopes"], serde_json::json!(["openid", "email", "groups"]));
    assert!(text(&created["config"], "redirect_url").ends_with("/cdn-cgi/access/callback"), "{created}");

    let got = cli.run(&["idp", "get", &id]).success();
    assert!(got.stdout.contains("Okta") && !got.stdout.contains(secret), "{}", got.stdout);
    let listed = cli.run(&["idp", "list", "--json"]).success().json();
    assert!(ids(&listed).contains(&id), "{listed}");

    // A policy for people, explained for one person and for another.
    let group = cli
        .run(&[
            "group",
            "create",
            "--name",
            "developers",
            "--include",
            r#"{"email_domain":{"domain":"example.com"}}"#,
            "--json",
        ])
        .success()
        .json();
    let rule = format!(r#"{{"group":{{"id":"{}"}}}}"#, text(&group, "id"));
    let policy = cli
        .run(&["policy", "create", "--name", "people", "--decision", "allow", "--include", &rule, "--json"])
        .success()
        .json();
    let app = cli
        .run(&[
            "app",
            "create",
            "--name",
            "wiki",
            "--domain",
            "wiki.example.com",
            "--origin",
            "http://127.0.0.1:9",
            "--policy",
            &text(&policy, "id"),
            "--json",
        ])
        .success()
        .json();
    let explain = |email: &str| {
        cli.run(&[
            "access",
            "explain",
            "--app",
            &text(&app, "id"),
            "--email",
            email,
            "--ip",
            "192.0.2.1",
            "--json",
        ])
        .success()
        .json()
    };
    assert_eq!(explain("dev@example.com")["allowed"], true);
    assert_eq!(explain("eve@example.org")["allowed"], false);

    let revoked = cli.run(&["idp", "revoke-user", "--email", "dev@example.com"]).success();
    assert!(revoked.stdout.contains("dev@example.com"), "{}", revoked.stdout);
    cli.run(&["idp", "revoke-user", "--email", "not an address"]).fails_with(1);
    cli.run(&["idp", "delete", &id]).success();
    cli.run(&["idp", "get", &id]).fails_with(1);
}

/// The CLI pointed at one API with one token, and nothing else from the environment.
struct Cli<'a> {
    api_url: String,
    token: String,
    scratch: &'a Path,
}

/// What one CLI run printed.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    command: String,
}

impl<'a> Cli<'a> {
    fn new(api_url: &str, token: &str, scratch: &'a Path) -> Self {
        Cli { api_url: api_url.to_owned(), token: token.to_owned(), scratch }
    }

    #[track_caller]
    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, Stdio::null())
    }

    #[track_caller]
    fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut file = tempfile::NamedTempFile::new_in(self.scratch).expect("stdin file");
        std::io::Write::write_all(&mut file, input.as_bytes()).expect("write stdin file");
        self.run_with(args, Stdio::from(file.reopen().expect("reopen stdin file")))
    }

    #[track_caller]
    fn run_with(&self, args: &[&str], stdin: Stdio) -> Run {
        let stdout = tempfile::NamedTempFile::new_in(self.scratch).expect("stdout file");
        let stderr = tempfile::NamedTempFile::new_in(self.scratch).expect("stderr file");
        let mut command = gatehouse_command();
        command
            .args(args)
            .env("GATEHOUSE_API_URL", &self.api_url)
            .env("GATEHOUSE_API_TOKEN", &self.token)
            .stdin(stdin)
            .stdout(stdout.reopen().expect("reopen stdout file"))
            .stderr(stderr.reopen().expect("reopen stderr file"));
        let description = format!("gatehouse {}", args.join(" "));
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot spawn {description}: {e}"));
        let status = wait_with_deadline(&mut child, CLI_TIMEOUT);
        let run = Run {
            code: status.and_then(|status| status.code()),
            stdout: std::fs::read_to_string(stdout.path()).unwrap_or_default(),
            stderr: std::fs::read_to_string(stderr.path()).unwrap_or_default(),
            command: description,
        };
        assert!(status.is_some(), "did not finish within {CLI_TIMEOUT:?}: {run:#?}");
        run
    }
}

impl Run {
    #[track_caller]
    fn success(self) -> Self {
        assert_eq!(self.code, Some(0), "expected success: {self:#?}");
        self
    }

    #[track_caller]
    fn fails_with(&self, code: i32) {
        assert_eq!(self.code, Some(code), "expected exit code {code}: {self:#?}");
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout of {} is not JSON ({e}):\n{}", self.command, self.stdout))
    }
}

#[track_caller]
fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_else(|| panic!("{key:?} is not a string in {value}")).to_owned()
}

/// The ids of a JSON array of tokens.
#[track_caller]
fn ids(list: &Value) -> Vec<String> {
    let items = list.as_array().unwrap_or_else(|| panic!("expected an array: {list}"));
    items.iter().map(|item| text(item, "id")).collect()
}
