//! The real `terraform` binary against the real gatehouse, through gatehouse's provider installed
//! the documented way: `gatehouse terraform install-provider` lays out a filesystem mirror,
//! `terraform init` installs `cloudflare/cloudflare` from it (offline), and the user guide's HCL
//! applies. Every step is checked through the management API, and the secret in Terraform's
//! output through the gateway.
//!
//! Without `terraform` on PATH the tests print a loud `SKIPPED` line and pass, unless
//! `GATEHOUSE_REQUIRE_TERRAFORM=1` (set by `.ci/run`) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::scene::{Creds, Scene};
use crate::support::{
    Output, gatehouse_bin, gatehouse_command, remove_inherited_config, rfc3339_in, run_with_deadline,
};

/// Makes a missing `terraform` fail the tests instead of skipping them.
const REQUIRE_ENV: &str = "GATEHOUSE_REQUIRE_TERRAFORM";
/// One terraform command (init copies the provider; apply starts it a few times).
const TERRAFORM_TIMEOUT: Duration = Duration::from_secs(120);
const RESOURCE: &str = "cloudflare_zero_trust_access_service_token.cicd";
const HOST: &str = "terraform.example.com";

/// The user guide's example, unchanged, with the `terraform` block a configuration for
/// Cloudflare's v5 provider has.
pub(crate) const GUIDE_HCL: &str = r#"
terraform {
  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 5.0"
    }
  }
}

variable "cloudflare_account_id" {
  type = string
}

resource "cloudflare_zero_trust_access_service_token" "cicd" {
  account_id = var.cloudflare_account_id
  name       = "GitHub Actions"
  duration   = "8760h"
}

output "client_id" {
  value = cloudflare_zero_trust_access_service_token.cicd.client_id
}

output "client_secret" {
  value     = cloudflare_zero_trust_access_service_token.cicd.client_secret
  sensitive = true
}
"#;

/// `terraform` on PATH; `None` after a loud `SKIPPED` line, or a failure when [`REQUIRE_ENV`] is 1.
pub(crate) fn terraform_or_skip() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path).map(|dir| dir.join("terraform")).find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        let reason = "`terraform` is not on PATH";
        if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
            panic!("{reason} and {REQUIRE_ENV}=1");
        }
        let line = format!(
            "SKIPPED: {reason}, so this Terraform test did not run ({REQUIRE_ENV}=1 makes this a failure)"
        );
        eprintln!("{line}");
        println!("{line}");
    }
    found
}

/// A Terraform working directory with the provider installed from a fresh mirror, a CLI
/// configuration of its own and an environment without the developer's `TF_*`/`CLOUDFLARE_*`.
/// Other Terraform tests (applications, policies, groups) can reuse it.
pub(crate) struct Terraform {
    bin: PathBuf,
    dir: TempDir,
    env: Vec<(String, String)>,
}

impl Terraform {
    #[track_caller]
    pub(crate) fn new(bin: PathBuf, scene: &Scene) -> Terraform {
        let dir = tempfile::Builder::new().prefix("gatehouse-terraform-").tempdir().expect("temp dir");
        let home = dir.path().join("home");
        let work = dir.path().join("work");
        for d in [&home, &work] {
            std::fs::create_dir_all(d).expect("create dir");
        }
        // The provider binary cargo built for this package sits next to gatehouse, where
        // install-provider looks for it by default (as after `cargo build --release`).
        let provider = Path::new(env!("CARGO_BIN_EXE_terraform-provider-cloudflare"));
        assert_eq!(provider.parent(), Path::new(gatehouse_bin()).parent(), "both binaries in one directory");
        let mirror = dir.path().join("mirror");
        let mut install = gatehouse_command();
        install.args(["terraform", "install-provider", "--dir"]).arg(&mirror).env("HOME", &home);
        let installed = run_with_deadline(install, dir.path(), TERRAFORM_TIMEOUT);
        assert!(installed.status.success(), "install-provider failed:\n{}", installed.text);
        let platform = match std::env::consts::ARCH {
            "aarch64" => "linux_arm64",
            _ => "linux_amd64",
        };
        let binary = mirror
            .join("registry.terraform.io/cloudflare/cloudflare/5.999.0")
            .join(platform)
            .join("terraform-provider-cloudflare_v5.999.0");
        assert!(binary.is_file(), "the mirror holds {}:\n{}", binary.display(), installed.text);
        assert!(installed.stdout.starts_with("provider_installation {"), "{}", installed.text);
        let cli_config = dir.path().join("cli.tfrc");
        std::fs::write(&cli_config, &installed.stdout).expect("write the CLI configuration");

        let env = vec![
            ("HOME".to_string(), home.display().to_string()),
            ("TF_CLI_CONFIG_FILE".to_string(), cli_config.display().to_string()),
            ("TF_DATA_DIR".to_string(), dir.path().join("data").display().to_string()),
            ("TF_IN_AUTOMATION".to_string(), "1".to_string()),
            ("TF_INPUT".to_string(), "0".to_string()),
            ("CHECKPOINT_DISABLE".to_string(), "1".to_string()),
            ("TF_VAR_cloudflare_account_id".to_string(), scene.server.account_id().to_string()),
            ("CLOUDFLARE_API_TOKEN".to_string(), scene.server.admin_token().to_string()),
            ("CLOUDFLARE_BASE_URL".to_string(), scene.server.v4()),
        ];
        Terraform { bin, dir, env }
    }

    /// Sets the Terraform input variable `name` for every later command.
    pub(crate) fn var(&mut self, name: &str, value: &str) {
        self.env.push((format!("TF_VAR_{name}"), value.to_string()));
    }

    pub(crate) fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub(crate) fn write_config(&self, hcl: &str) {
        std::fs::write(self.work().join("main.tf"), hcl).expect("write main.tf");
    }

    #[track_caller]
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(&self.bin);
        remove_inherited_config(&mut command);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("TF_") || key.starts_with("CHECKPOINT_") {
                command.env_remove(&*key);
            }
        }
        command
            .args(args)
            .arg("-no-color")
            .current_dir(self.work())
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        run_with_deadline(command, self.dir.path(), TERRAFORM_TIMEOUT)
    }

    /// Runs a command that must succeed; its output.
    #[track_caller]
    pub(crate) fn ok(&self, args: &[&str]) -> Output {
        let output = self.run(args);
        assert!(output.status.success(), "terraform {args:?} failed ({}):\n{}", output.status, output.text);
        output
    }

    /// `terraform plan -detailed-exitcode`: 0 no changes, 2 changes; anything else fails.
    #[track_caller]
    pub(crate) fn plan(&self) -> (i32, Output) {
        let output = self.run(&["plan", "-detailed-exitcode"]);
        let code = output.status.code().unwrap_or(-1);
        assert!(code == 0 || code == 2, "terraform plan failed ({}):\n{}", output.status, output.text);
        (code, output)
    }

    #[track_caller]
    pub(crate) fn apply(&self) -> Output {
        self.ok(&["apply", "-auto-approve"])
    }

    #[track_caller]
    pub(crate) fn output(&self, name: &str) -> String {
        self.ok(&["output", "-raw", name]).stdout
    }

    /// An output as JSON (lists and numbers as well as strings).
    #[track_caller]
    pub(crate) fn output_json(&self, name: &str) -> Value {
        let output = self.ok(&["output", "-json", name]);
        serde_json::from_str(&output.stdout)
            .unwrap_or_else(|e| panic!("output {name}: {e}: {}", output.stdout))
    }

    /// The attributes of the resource at `address` in the state (null when it has none).
    #[track_caller]
    pub(crate) fn resource_state(&self, address: &str) -> Value {
        let text = self.ok(&["show", "-json"]).stdout;
        let show: Value = serde_json::from_str(&text).expect("terraform show -json");
        show["values"]["root_module"]["resources"]
            .as_array()
            .and_then(|resources| resources.iter().find(|r| r["address"] == address))
            .map(|r| r["values"].clone())
            .unwrap_or(Value::Null)
    }
}

/// The guide's HCL with a rotation: `client_secret_version` and the previous secret's deadline.
fn rotated_hcl(version: u32, previous_expires_at: &str) -> String {
    GUIDE_HCL.replace(
        "  duration   = \"8760h\"\n",
        &format!(
            "  duration   = \"8760h\"\n  client_secret_version             = {version}\n  previous_client_secret_expires_at = \"{previous_expires_at}\"\n"
        ),
    )
}

fn token_by_id(scene: &Scene, id: &str) -> (u16, Value) {
    let reply = crate::support::http(
        "GET",
        &scene.url(&format!("service_tokens/{id}")),
        Some(scene.server.admin_token()),
        None,
    );
    (reply.status, reply.json())
}

fn tokens_named(scene: &Scene, name: &str) -> Vec<Value> {
    let all = scene.api("GET", "service_tokens", None);
    all.as_array().unwrap().iter().filter(|t| t["name"] == name).cloned().collect()
}

#[test]
fn terraform_applies_the_guides_hcl_and_manages_the_token_through_drift_import_rotation_and_destroy() {
    let Some(bin) = terraform_or_skip() else { return };
    let scene = Scene::start();
    let policy = scene.policy(
        json!({"name": "terraform tokens", "decision": "non_identity", "include": [{"service_token": {}}]}),
    );
    scene.app(HOST, &[&policy]);
    let tf = Terraform::new(bin, &scene);
    tf.write_config(GUIDE_HCL);

    // init installs cloudflare/cloudflare from the mirror, with no network.
    let init = tf.ok(&["init"]);
    assert!(init.text.contains("Installing cloudflare/cloudflare v5.999.0"), "{}", init.text);
    assert!(init.text.contains("Terraform has been successfully initialized"), "{}", init.text);

    // apply: the token exists, and the output's secret passes the gateway.
    let applied = tf.apply();
    assert!(
        applied.text.contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed."),
        "{}",
        applied.text
    );
    let state = tf.resource_state(RESOURCE);
    let id = state["id"].as_str().expect("an id in state").to_string();
    let (status, token) = token_by_id(&scene, &id);
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["result"]["name"], "GitHub Actions");
    assert_eq!(token["result"]["duration"], "8760h");
    assert_eq!(state["expires_at"], token["result"]["expires_at"]);
    let client_id = tf.output("client_id");
    let secret = tf.output("client_secret");
    assert_eq!(client_id, token["result"]["client_id"].as_str().unwrap());
    assert!(secret.starts_with("gatehouse_st_"), "a client secret in the output");
    assert!(!applied.text.contains(&secret), "the secret is never printed by apply");
    assert_eq!(scene.get(HOST, "/", Creds::Pair(&client_id, &secret)).status, 200);
    assert_eq!(scene.get(HOST, "/", Creds::Pair(&client_id, "wrong")).status, 403);

    // A second plan has nothing to do.
    let (code, plan) = tf.plan();
    assert_eq!(code, 0, "no changes after apply:\n{}", plan.text);
    assert!(!plan.text.contains(&secret), "the secret is never printed by plan");

    // Drift: renamed through the API → the plan renames it back, in place.
    scene.api("PUT", &format!("service_tokens/{id}"), Some(json!({"name": "renamed by hand"})));
    let (code, plan) = tf.plan();
    assert_eq!(code, 2, "{}", plan.text);
    assert!(plan.text.contains("will be updated in-place"), "{}", plan.text);
    assert!(
        plan.text.contains(r#"~ name                  = "renamed by hand" -> "GitHub Actions""#),
        "{}",
        plan.text
    );
    tf.apply();
    assert_eq!(token_by_id(&scene, &id).1["result"]["name"], "GitHub Actions");
    assert_eq!(tf.plan().0, 0);

    // Drift: deleted through the API → the plan creates it again; the new secret works.
    scene.api("DELETE", &format!("service_tokens/{id}"), None);
    let (code, plan) = tf.plan();
    assert_eq!(code, 2, "{}", plan.text);
    assert!(plan.text.contains("has been deleted"), "{}", plan.text);
    assert!(plan.text.contains(&format!("# {RESOURCE} will be created")), "{}", plan.text);
    tf.apply();
    let id = tf.resource_state(RESOURCE)["id"].as_str().unwrap().to_string();
    assert_eq!(token_by_id(&scene, &id).0, 200);
    assert_eq!(tokens_named(&scene, "GitHub Actions").len(), 1);
    let (client_id, secret) = (tf.output("client_id"), tf.output("client_secret"));
    assert_eq!(scene.get(HOST, "/", Creds::Pair(&client_id, &secret)).status, 200);

    // Import with the v5 id format, after forgetting the token (which stays in gatehouse).
    tf.ok(&["state", "rm", RESOURCE]);
    assert_eq!(token_by_id(&scene, &id).0, 200, "state rm deletes nothing");
    let account = scene.server.account_id().to_string();
    let bad = tf.run(&["import", RESOURCE, &id]);
    assert!(!bad.status.success());
    assert!(bad.text.contains("<{accounts|zones}/{account_id|zone_id}>/<service_token_id>"), "{}", bad.text);
    let imported = tf.ok(&["import", RESOURCE, &format!("accounts/{account}/{id}")]);
    assert!(imported.text.contains("Import successful!"), "{}", imported.text);
    let state = tf.resource_state(RESOURCE);
    assert_eq!(state["id"], id.as_str());
    assert_eq!(state["account_id"], account.as_str());
    assert_eq!(state["client_id"], client_id.as_str());
    assert_eq!(state["name"], "GitHub Actions");
    let (code, plan) = tf.plan();
    assert_eq!(code, 0, "an imported token matches the configuration:\n{}", plan.text);

    // Rotation: bumping client_secret_version puts a new secret in state; the old one keeps
    // working until the previous secret's deadline, here an hour away.
    let old_secret = secret;
    tf.write_config(&rotated_hcl(2, &rfc3339_in(3600)));
    let (code, plan) = tf.plan();
    assert_eq!(code, 2, "{}", plan.text);
    assert!(plan.text.contains("client_secret_version             = 1 -> 2"), "{}", plan.text);
    assert!(plan.text.contains("client_secret                     = (sensitive value)"), "{}", plan.text);
    let rotated = tf.apply();
    assert!(rotated.text.contains("0 added, 1 changed, 0 destroyed"), "{}", rotated.text);
    let new_secret = tf.output("client_secret");
    assert_ne!(new_secret, old_secret, "a new secret in state");
    assert_eq!(tf.output("client_id"), client_id, "the client id stays");
    assert_eq!(tf.resource_state(RESOURCE)["id"], id.as_str(), "rotated in place");
    let (_, token) = token_by_id(&scene, &id);
    assert_eq!(token["result"]["client_secret_version"], 2);
    assert_eq!(
        scene.get(HOST, "/", Creds::Pair(&client_id, &old_secret)).status,
        200,
        "old secret in the grace period"
    );
    assert_eq!(scene.get(HOST, "/", Creds::Pair(&client_id, &new_secret)).status, 200, "new secret");
    assert_eq!(tf.plan().0, 0, "no changes after a rotation");

    // Moving the deadline into the past ends the old secret now (an in-place update that keeps
    // the secret).
    tf.write_config(&rotated_hcl(2, &rfc3339_in(-60)));
    tf.apply();
    assert_eq!(tf.output("client_secret"), new_secret);
    assert_eq!(
        scene.get(HOST, "/", Creds::Pair(&client_id, &old_secret)).status,
        403,
        "old secret after its deadline"
    );
    assert_eq!(scene.get(HOST, "/", Creds::Pair(&client_id, &new_secret)).status, 200);
    assert_eq!(tf.plan().0, 0);

    // destroy deletes it in gatehouse.
    let destroyed = tf.ok(&["destroy", "-auto-approve"]);
    assert!(destroyed.text.contains("Destroy complete! Resources: 1 destroyed."), "{}", destroyed.text);
    assert_eq!(token_by_id(&scene, &id).0, 404);
    assert!(tokens_named(&scene, "GitHub Actions").is_empty());
    assert_eq!(scene.get(HOST, "/", Creds::Pair(&client_id, &new_secret)).status, 403);
}

#[test]
fn terraform_shows_api_errors_and_refused_arguments_as_diagnostics() {
    let Some(bin) = terraform_or_skip() else { return };
    let scene = Scene::start();
    let tf = Terraform::new(bin, &scene);
    // Gatehouse refuses a duration it cannot parse: the API's error code and message reach the
    // user as a Terraform error, and nothing is created.
    tf.write_config(&GUIDE_HCL.replace("\"8760h\"", "\"a fortnight\""));
    tf.ok(&["init"]);
    let failed = tf.run(&["apply", "-auto-approve"]);
    assert_eq!(failed.status.code(), Some(1), "{}", failed.text);
    assert!(failed.text.contains("Error: failed to make http request"), "{}", failed.text);
    // Terraform wraps diagnostics: compare with the whitespace collapsed.
    let flat = failed.text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("(HTTP 400): access.api.error.invalid_request: invalid 'duration'"), "{flat}");
    assert!(flat.contains("(12130)"), "{flat}");
    assert!(tokens_named(&scene, "GitHub Actions").is_empty());
    // A version without the previous secret's deadline is refused as Cloudflare's provider does.
    tf.write_config(
        &GUIDE_HCL
            .replace("  duration   = \"8760h\"\n", "  duration   = \"8760h\"\n  client_secret_version = 2\n"),
    );
    let refused = tf.run(&["plan"]);
    assert_eq!(refused.status.code(), Some(1), "{}", refused.text);
    assert!(refused.text.contains("previous_client_secret_expires_at"), "{}", refused.text);
    // zone_id is part of the v5 schema but gatehouse has no zones: refused with a reason.
    tf.write_config(
        &GUIDE_HCL.replace("account_id = var.cloudflare_account_id", "zone_id    = \"0123abcd\""),
    );
    let refused = tf.run(&["plan"]);
    assert_eq!(refused.status.code(), Some(1), "{}", refused.text);
    let flat = refused.text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Error: Unsupported argument: zone_id"), "{flat}");
    assert!(flat.contains("gatehouse has accounts only"), "{flat}");
    // v4's min_days_for_renewal is not part of the v5 schema: Terraform refuses it.
    tf.write_config(
        &GUIDE_HCL
            .replace("  duration   = \"8760h\"\n", "  duration   = \"8760h\"\n  min_days_for_renewal = 30\n"),
    );
    let refused = tf.run(&["plan"]);
    assert_eq!(refused.status.code(), Some(1), "{}", refused.text);
    assert!(refused.text.contains("Unsupported argument"), "{}", refused.text);
    assert!(tokens_named(&scene, "GitHub Actions").is_empty());
}

#[test]
fn terraform_reads_service_tokens_through_the_data_sources_with_no_diff_on_the_next_plan() {
    let Some(bin) = terraform_or_skip() else { return };
    let scene = Scene::start();
    let other = scene.token("made elsewhere", "forever");
    let tf = Terraform::new(bin, &scene);
    tf.write_config(&format!(
        r#"{GUIDE_HCL}
data "cloudflare_zero_trust_access_service_token" "by_id" {{
  account_id       = var.cloudflare_account_id
  service_token_id = cloudflare_zero_trust_access_service_token.cicd.id
}}

data "cloudflare_zero_trust_access_service_token" "by_name" {{
  account_id = var.cloudflare_account_id
  filter     = {{ name = "made elsewhere" }}
}}

data "cloudflare_zero_trust_access_service_tokens" "all" {{
  account_id = var.cloudflare_account_id
  depends_on = [cloudflare_zero_trust_access_service_token.cicd]
}}

output "by_id_client_id" {{
  value = data.cloudflare_zero_trust_access_service_token.by_id.client_id
}}

output "by_name_id" {{
  value = data.cloudflare_zero_trust_access_service_token.by_name.id
}}

output "names" {{
  value = join(",", sort([for t in data.cloudflare_zero_trust_access_service_tokens.all.result : t.name]))
}}
"#
    ));
    tf.ok(&["init"]);
    tf.apply();
    assert_eq!(tf.output("by_id_client_id"), tf.output("client_id"));
    assert_eq!(tf.output("by_name_id"), other.id);
    assert_eq!(tf.output("names"), "GitHub Actions,made elsewhere");
    let (code, plan) = tf.plan();
    assert_eq!(code, 0, "no changes with the data sources:\n{}", plan.text);
    let show = tf.ok(&["show", "-json"]).stdout;
    assert!(!show.contains(&other.secret), "no data source reads a secret");
}
