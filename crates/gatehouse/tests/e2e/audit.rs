//! The audit log end to end: management actions through the API are listed at
//! `…/audit_logs` without secrets, and `gatehouse audit verify` accepts the untouched chain and
//! names the record that was edited directly in the SQLite file.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Gatehouse, gatehouse_command, http, run_with_deadline};

const VERIFY_TIMEOUT: Duration = Duration::from_secs(30);

fn audit_logs(server: &Gatehouse, query: &str) -> Value {
    let url = format!("{}/accounts/{}/audit_logs{query}", server.v4(), server.account_id());
    let reply = http("GET", &url, Some(server.admin_token()), None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

#[track_caller]
fn verify(data_dir: &Path, scratch: &Path) -> crate::support::Output {
    let mut command = gatehouse_command();
    command.args(["audit", "verify", "--data-dir"]).arg(data_dir);
    run_with_deadline(command, scratch, VERIFY_TIMEOUT)
}

#[test]
fn changes_are_audited_without_secrets_and_tampering_is_detected() {
    let server = Gatehouse::start();
    let tokens = server.service_tokens_url();
    let admin = Some(server.admin_token());
    let created = http("POST", &tokens, admin, Some(&json!({"name": "CI", "duration": "8760h"}))).json();
    let id = created["result"]["id"].as_str().unwrap().to_owned();
    let first_secret = created["result"]["client_secret"].as_str().unwrap().to_owned();
    let rotated = http("POST", &format!("{tokens}/{id}/rotate"), admin, None).json();
    let second_secret = rotated["result"]["client_secret"].as_str().unwrap().to_owned();
    http("PUT", &format!("{tokens}/{id}"), admin, Some(&json!({"name": "CI renamed"})));
    http("POST", &format!("{tokens}/{id}/refresh"), admin, None);
    let group_url = format!("{}/accounts/{}/access/groups", server.v4(), server.account_id());
    let group =
        http("POST", &group_url, admin, Some(&json!({"name": "ops", "include": [{"everyone": {}}]}))).json();
    let group_id = group["result"]["id"].as_str().unwrap().to_owned();
    http("DELETE", &format!("{group_url}/{group_id}"), admin, None);
    http("DELETE", &format!("{tokens}/{id}"), admin, None);

    let listed = audit_logs(&server, "");
    let records = listed["result"].as_array().unwrap();
    let actions: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r["action"]["type"].as_str().unwrap(), r["resource"]["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("delete", "service_token"),
            ("delete", "group"),
            ("create", "group"),
            ("refresh", "service_token"),
            ("update", "service_token"),
            ("rotate", "service_token"),
            ("create", "service_token"),
        ],
        "newest first"
    );
    let update = &records[4];
    assert_eq!(update["oldValueJson"]["name"], "CI");
    assert_eq!(update["newValueJson"]["name"], "CI renamed");
    assert_eq!(update["actor"]["type"], "user");
    assert_eq!(update["actor"]["context"], "api_token");
    assert_eq!(update["actor"]["token_id"], update["actor"]["id"]);
    assert_eq!(update["actor"]["ip"], "127.0.0.1");
    assert_eq!(update["interface"], "API");
    assert_eq!(update["owner"]["id"], server.account_id());
    assert_eq!(update["resource"]["id"], id.as_str());
    assert_eq!(listed["result_info"]["total_count"], 7);

    let text = listed.to_string();
    for secret in [&first_secret, &second_secret, &server.admin_token().to_owned()] {
        assert!(!text.contains(secret.as_str()), "a secret reached the audit log");
    }
    let rotations = audit_logs(&server, "?action.type=rotate&direction=asc");
    assert_eq!(rotations["result"].as_array().unwrap().len(), 1);
    let groups = audit_logs(&server, "?resource.type=group&per_page=1&page=2");
    assert_eq!(groups["result"][0]["action"]["type"], "create");

    // Verified while the server runs, and again after it stopped.
    let output = verify(&server.data_dir(), server.scratch_dir());
    assert!(output.status.success(), "{}", output.text);
    assert!(output.stdout.contains("7 records verified"), "{}", output.text);

    let (status, dir) = server.stop_and_keep();
    assert!(status.success());
    let data_dir = dir.path().join("data");
    let output = verify(&data_dir, dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", output.text);

    // Someone with write access to the file changes who renamed the token (record 3). The
    // append-only trigger stops plain mistakes; a deliberate edit drops it first.
    let script = "import sqlite3, sys\n\
        db = sqlite3.connect(sys.argv[1])\n\
        db.execute('DROP TRIGGER audit_log_no_update')\n\
        db.execute(\"UPDATE audit_log SET actor_name = 'someone else' WHERE seq = 3\")\n\
        db.commit()\n";
    let edited =
        Command::new("python3").arg("-c").arg(script).arg(data_dir.join("gatehouse.db")).status().unwrap();
    assert!(edited.success());
    let output = verify(&data_dir, dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", output.text);
    assert!(output.stdout.contains("audit record 3:"), "names the edited record: {}", output.text);
}

#[test]
fn a_deleted_record_is_named_too() {
    let server = Gatehouse::start();
    let tokens = server.service_tokens_url();
    for name in ["a", "b", "c"] {
        http("POST", &tokens, Some(server.admin_token()), Some(&json!({"name": name})));
    }
    let (_, dir) = server.stop_and_keep();
    let data_dir = dir.path().join("data");
    let script = "import sqlite3, sys\n\
        db = sqlite3.connect(sys.argv[1])\n\
        db.execute('DROP TRIGGER audit_log_no_delete')\n\
        db.execute('DELETE FROM audit_log WHERE seq = 2')\n\
        db.commit()\n";
    assert!(
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(data_dir.join("gatehouse.db"))
            .status()
            .unwrap()
            .success()
    );
    let output = verify(&data_dir, dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", output.text);
    assert!(output.stdout.contains("audit record 2: is missing"), "{}", output.text);
}
