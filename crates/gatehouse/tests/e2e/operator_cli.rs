//! What operators run besides the server: `--version` with the commit, shell completions,
//! manual pages, `config check` with line-precise errors, and the configuration reference,
//! which must equal `docs/configuration.md`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::{Output, gatehouse_command, run_with_deadline, workspace_root};

fn gatehouse(args: &[&str], scratch: &Path) -> Output {
    let mut command = gatehouse_command();
    command.args(args);
    run_with_deadline(command, scratch, Duration::from_secs(30))
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let scratch = tempfile::tempdir().unwrap();
    let out = gatehouse(&["--version"], scratch.path());
    assert!(out.status.success(), "{}", out.text);
    let version = out.stdout.trim();
    assert!(version.starts_with(&format!("gatehouse {} (commit ", env!("CARGO_PKG_VERSION"))), "{version}");
    // Built from a git checkout without GATEHOUSE_COMMIT: the commit is git's HEAD.
    let head =
        Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).current_dir(workspace_root()).output();
    if let Some(head) = head.ok().filter(|h| h.status.success())
        && std::env::var_os("GATEHOUSE_COMMIT").is_none()
    {
        let head = String::from_utf8_lossy(&head.stdout).trim().to_owned();
        assert!(version.ends_with(&format!("(commit {head})")), "{version} is not HEAD {head}");
    }
}

#[test]
fn completions_and_manual_pages_come_from_the_command_line_definition() {
    let scratch = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = gatehouse(&["completions", shell], scratch.path());
        assert!(out.status.success(), "{shell}: {}", out.text);
        for word in ["serve", "token", "api-listen"] {
            assert!(out.stdout.contains(word), "{shell} completions lack {word}");
        }
    }
    // The bash script is valid bash.
    let script = scratch.path().join("gatehouse.bash");
    std::fs::write(&script, gatehouse(&["completions", "bash"], scratch.path()).stdout).unwrap();
    let syntax = Command::new("bash").arg("-n").arg(&script).output().expect("run bash -n");
    assert!(syntax.status.success(), "{}", String::from_utf8_lossy(&syntax.stderr));
    let bad = gatehouse(&["completions", "tcsh"], scratch.path());
    assert_eq!(bad.status.code(), Some(2), "{}", bad.text);

    let page = gatehouse(&["man"], scratch.path());
    assert!(page.status.success(), "{}", page.text);
    assert!(page.stdout.contains(".TH gatehouse 1"), "{}", page.stdout);
    let dir = scratch.path().join("man");
    let out = gatehouse(&["man", "--dir", dir.to_str().unwrap()], scratch.path());
    assert!(out.status.success(), "{}", out.text);
    for name in ["gatehouse.1", "gatehouse-serve.1", "gatehouse-token-create.1", "gatehouse-config-check.1"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{name}: {text}");
    }
    let serve = std::fs::read_to_string(dir.join("gatehouse-serve.1")).unwrap();
    assert!(serve.contains("api\\-listen"), "{serve}");
}

#[test]
fn config_check_accepts_a_good_file_and_points_at_the_bad_line() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("gatehouse.toml");
    let path = file.to_str().unwrap();
    let check = |text: &str| {
        std::fs::write(&file, text).unwrap();
        gatehouse(&["config", "check", path], scratch.path())
    };

    let good = check("api_listen = \"0.0.0.0:8787\"\nmax_staleness_secs = 120\n");
    assert!(good.status.success(), "{}", good.text);
    assert!(good.stdout.contains(&format!("{path}: ok")), "{}", good.text);

    let cases = [
        // A syntax error: the line and the column where the value is missing.
        ("data_dir = \"/var/lib/gatehouse\"\ngateway_listen =\n", "2:17", "string"),
        // An unknown key (a typo).
        ("# gatehouse\n\napi_lisen = \"127.0.0.1:8787\"\n", "3:1", "unknown field `api_lisen`"),
        // The wrong type.
        ("data_dir = \"/x\"\ngateway_workers = \"four\"\n", "2:19", "invalid type"),
        // A value out of bounds, on the line of its key.
        ("data_dir = \"/x\"\n\n\ngateway_workers = 0\n", "4:1", "gateway_workers must be 1 to 1024"),
    ];
    for (text, at, reason) in cases {
        let out = check(text);
        assert_eq!(out.status.code(), Some(1), "{text}: {}", out.text);
        assert!(out.text.contains(&format!("{path}:{at}: ")), "{text}: want {at}\n{}", out.text);
        assert!(out.text.contains(reason), "{text}: want {reason:?}\n{}", out.text);
    }

    let missing = gatehouse(&["config", "check", "/nonexistent/gatehouse.toml"], scratch.path());
    assert_eq!(missing.status.code(), Some(66), "{}", missing.text);
}

#[test]
fn the_configuration_reference_in_docs_matches_the_code() {
    let scratch = tempfile::tempdir().unwrap();
    let out = gatehouse(&["config", "reference"], scratch.path());
    assert!(out.status.success(), "{}", out.text);
    let path = workspace_root().join("docs/configuration.md");
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == out.stdout,
        "docs/configuration.md is out of date: run `gatehouse config reference > docs/configuration.md`"
    );
    // Its example file is a valid configuration (one of each pair of alternatives).
    let example =
        written.split("```toml\n").nth(1).and_then(|rest| rest.split("```").next()).unwrap_or_default();
    assert!(example.contains("data_dir = "), "the reference has an example file");
    // The secret files it names, written here.
    let webhook_secret = scratch.path().join("webhook-secret");
    std::fs::write(&webhook_secret, "a webhook secret long enough to sign with\n").unwrap();
    let smtp_password = scratch.path().join("smtp-password");
    std::fs::write(&smtp_password, "an SMTP password\n").unwrap();
    let example = example
        .replace("/run/secrets/gatehouse-webhook", webhook_secret.to_str().unwrap())
        .replace("/run/secrets/smtp-password", smtp_password.to_str().unwrap());
    let file = scratch.path().join("example.toml");
    std::fs::write(&file, example).unwrap();
    let checked = gatehouse(&["config", "check", file.to_str().unwrap()], scratch.path());
    assert!(checked.status.success(), "the example in docs/configuration.md: {}", checked.text);
    // Every flag of `gatehouse serve` is in it.
    let help = gatehouse(&["serve", "--help"], scratch.path());
    for flag in help.stdout.split_whitespace().filter(|w| w.starts_with("--") && w.len() > 2) {
        let end =
            flag[2..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).map_or(flag.len(), |i| i + 2);
        let flag = &flag[..end];
        if flag != "--help" {
            assert!(written.contains(&format!("`{flag}`")), "{flag} is not in docs/configuration.md");
        }
    }
}
