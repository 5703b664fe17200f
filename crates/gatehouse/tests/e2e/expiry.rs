//! `gatehouse token list --expiring-within AGE` and `--unused-for AGE`, run as a user runs
//! them against a real server: the filters apply over every page, in the table and in `--json`.

use std::time::Duration;

use serde_json::Value;

use crate::support::{Gatehouse, Output, gatehouse_command, run_with_deadline};

const CLI_TIMEOUT: Duration = Duration::from_secs(30);

#[track_caller]
fn cli(server: &Gatehouse, args: &[&str]) -> Output {
    let mut command = gatehouse_command();
    command
        .args(args)
        .env("GATEHOUSE_API_URL", server.api())
        .env("GATEHOUSE_API_TOKEN", server.admin_token());
    run_with_deadline(command, server.scratch_dir(), CLI_TIMEOUT)
}

#[track_caller]
fn names(output: &Output) -> Vec<String> {
    assert!(output.status.success(), "{}", output.text);
    let list: Value =
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", output.text));
    let mut names: Vec<String> =
        list.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

#[test]
fn list_filters_by_expiry_window_and_idle_time() {
    let server = Gatehouse::start();
    for (name, duration) in
        [("ten-days", "240h"), ("two-hours", "2h"), ("yearly", "8760h"), ("eternal", "forever")]
    {
        let created = cli(&server, &["token", "create", "--name", name, "--duration", duration, "--json"]);
        assert!(created.status.success(), "{}", created.text);
    }

    let list = |args: &[&str]| {
        let mut all = vec!["token", "list", "--json", "--per-page", "1"];
        all.extend_from_slice(args);
        names(&cli(&server, &all))
    };
    assert_eq!(list(&["--expiring-within", "30d"]), vec!["ten-days", "two-hours"]);
    assert_eq!(list(&["--expiring-within", "3h"]), vec!["two-hours"]);
    assert_eq!(list(&["--expiring-within", "1d12h"]), vec!["two-hours"]);
    assert_eq!(
        list(&["--expiring-within", "400d"]),
        vec!["ten-days", "two-hours", "yearly"],
        "never-expiring ones are left out"
    );
    // Every token was created moments ago and never used.
    assert_eq!(list(&["--unused-for", "90d"]), Vec::<String>::new());
    assert_eq!(list(&["--unused-for", "90d", "--expiring-within", "30d"]), Vec::<String>::new());
    assert_eq!(list(&[]).len(), 4);

    let table = cli(&server, &["token", "list", "--expiring-within", "30d"]);
    assert!(table.status.success(), "{}", table.text);
    assert!(table.stdout.contains("ten-days") && !table.stdout.contains("yearly"), "{}", table.text);
}

#[test]
fn a_malformed_age_is_a_usage_error() {
    let server = Gatehouse::start();
    for bad in ["3w", "0d", "soon"] {
        let output = cli(&server, &["token", "list", "--unused-for", bad]);
        assert_eq!(output.status.code(), Some(2), "{bad}: {}", output.text);
        assert!(output.text.contains("30d"), "the error shows the expected form: {}", output.text);
    }
}
