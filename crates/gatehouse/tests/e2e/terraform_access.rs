//! The Access application, policy and group resources of the Terraform provider, with the real
//! `terraform` binary, the real provider binary and the real server (and the echo origin behind
//! the gateway): apply, a second plan without changes, the gateway letting the token through,
//! drift (a policy renamed and an application deleted through the API), import, reordering
//! policy links, refused attributes, destroy; checked with the API after each step.
//!
//! Terraform reaches the provider through `TF_REATTACH_PROVIDERS` (the provider is started here,
//! as `terraform` would start it): this module is about what the resources do; the plugin
//! handshake and installation are covered by the provider's own end-to-end test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use crate::scene::{Creds, Scene, Token};
use crate::support::{Output, gatehouse_bin, remove_inherited_config, run_with_deadline};

/// How long one terraform command may take on a loaded 2-core machine.
const TERRAFORM_TIMEOUT: Duration = Duration::from_secs(180);
/// How long building the provider may take when the test run did not build it.
const BUILD_TIMEOUT: Duration = Duration::from_secs(900);

/// go-plugin's handshake cookie for Terraform providers.
const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

const CONFIG: &str = r#"
terraform {
  required_providers {
    cloudflare = { source = "cloudflare/cloudflare" }
  }
}
variable "cloudflare_account_id" { type = string }
variable "token_id" { type = string }
variable "origin" { type = string }

resource "cloudflare_zero_trust_access_group" "ci" {
  account_id = var.cloudflare_account_id
  name       = "CI tokens"
  include    = [{ service_token = { token_id = var.token_id } }]
}

resource "cloudflare_zero_trust_access_policy" "ci_only" {
  account_id = var.cloudflare_account_id
  name       = "CI only"
  decision   = "non_identity"
  include    = [{ group = { id = cloudflare_zero_trust_access_group.ci.id } }]
  exclude    = [{ ip = { ip = "192.0.2.0/24" } }]
}

resource "cloudflare_zero_trust_access_policy" "any_token" {
  account_id = var.cloudflare_account_id
  name       = "Any token"
  decision   = "non_identity"
  include    = [{ any_valid_service_token = {} }]
}

resource "cloudflare_zero_trust_access_application" "api" {
  account_id       = var.cloudflare_account_id
  name             = "Internal API"
  domain           = "tf-api.example.com"
  type             = "self_hosted"
  session_duration = "24h"
  origin           = var.origin
  policies = [
    { id = cloudflare_zero_trust_access_policy.ci_only.id, precedence = 1 },
    { id = cloudflare_zero_trust_access_policy.any_token.id, precedence = 2 },
  ]
}

data "cloudflare_zero_trust_access_application" "api" {
  account_id = var.cloudflare_account_id
  app_id     = cloudflare_zero_trust_access_application.api.id
}
data "cloudflare_zero_trust_access_applications" "all" {
  account_id = var.cloudflare_account_id
  domain     = cloudflare_zero_trust_access_application.api.domain
}
data "cloudflare_zero_trust_access_policy" "ci_only" {
  account_id = var.cloudflare_account_id
  policy_id  = cloudflare_zero_trust_access_policy.ci_only.id
}
data "cloudflare_zero_trust_access_policies" "all" {
  account_id = var.cloudflare_account_id
  depends_on = [cloudflare_zero_trust_access_policy.ci_only, cloudflare_zero_trust_access_policy.any_token]
}
data "cloudflare_zero_trust_access_group" "ci" {
  account_id = var.cloudflare_account_id
  group_id   = cloudflare_zero_trust_access_group.ci.id
}
data "cloudflare_zero_trust_access_groups" "all" {
  account_id = var.cloudflare_account_id
  name       = cloudflare_zero_trust_access_group.ci.name
}

output "aud" { value = cloudflare_zero_trust_access_application.api.aud }
output "app_policy_decisions" {
  value = [for p in data.cloudflare_zero_trust_access_application.api.policies : p.decision]
}
output "apps_by_domain" { value = length(data.cloudflare_zero_trust_access_applications.all.result) }
output "policy_decision" { value = data.cloudflare_zero_trust_access_policy.ci_only.decision }
output "policies" { value = length(data.cloudflare_zero_trust_access_policies.all.result) }
output "group_name" { value = data.cloudflare_zero_trust_access_group.ci.name }
output "groups_by_name" { value = length(data.cloudflare_zero_trust_access_groups.all.result) }
"#;

/// Written for Cloudflare, refused by gatehouse: each refused attribute is named.
const REFUSED: &str = r#"
terraform {
  required_providers {
    cloudflare = { source = "cloudflare/cloudflare" }
  }
}
resource "cloudflare_zero_trust_access_application" "saas" {
  account_id      = "0123456789abcdef0123456789abcdef"
  type            = "self_hosted"
  domain          = "x.example.com"
  custom_deny_url = "https://example.com/denied"
  policies        = [{ decision = "allow", include = [{ everyone = {} }] }]
}
resource "cloudflare_zero_trust_access_policy" "p" {
  account_id        = "0123456789abcdef0123456789abcdef"
  name              = "p"
  decision          = "allow"
  approval_required = true
  include           = [{ email = { email = "a@example.com" } }]
}
resource "cloudflare_zero_trust_access_group" "g" {
  zone_id = "0123456789abcdef0123456789abcdef"
  name    = "g"
  include = [{ everyone = {}, ip = { ip = "10.0.0.0/8" } }]
}
"#;

/// The `terraform` binary: `$TERRAFORM`, else the first on `PATH`.
fn terraform_bin() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TERRAFORM").map(PathBuf::from) {
        return path.is_file().then_some(path);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join("terraform")).find(|p| p.is_file())
}

/// The provider binary next to `gatehouse`, built first when this test run did not build it.
fn provider_bin() -> PathBuf {
    let path = Path::new(gatehouse_bin()).with_file_name("terraform-provider-cloudflare");
    if !path.is_file() {
        let target_dir = Path::new(gatehouse_bin()).parent().and_then(Path::parent).expect("a target dir");
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "-p", "gatehouse-terraform-provider", "--bin", "terraform-provider-cloudflare"]);
        build.env("CARGO_TARGET_DIR", target_dir);
        let scratch = tempfile::tempdir().expect("scratch dir");
        let output = run_with_deadline(build, scratch.path(), BUILD_TIMEOUT);
        assert!(output.status.success(), "cannot build the provider:\n{}", output.text);
    }
    assert!(path.is_file(), "{} exists", path.display());
    path
}

/// The provider, started as Terraform starts it, but without mutual TLS; Terraform attaches to
/// it through `TF_REATTACH_PROVIDERS`.
struct Provider {
    child: Child,
    address: String,
}

impl Provider {
    fn start(scene: &Scene) -> Self {
        let mut command = Command::new(provider_bin());
        remove_inherited_config(&mut command);
        command
            .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env_remove("PLUGIN_CLIENT_CERT")
            .env("CLOUDFLARE_API_TOKEN", scene.server.admin_token())
            .env("CLOUDFLARE_BASE_URL", scene.server.v4())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().expect("start the provider");
        let stdout = child.stdout.take().expect("provider stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).expect("the provider prints its handshake line");
        // 1|6|tcp|127.0.0.1:PORT|grpc|
        let fields: Vec<&str> = line.trim().split('|').collect();
        assert_eq!(fields.get(..3), Some(&["1", "6", "tcp"][..]), "handshake line {line:?}");
        let address = fields.get(3).expect("an address").to_string();
        Provider { child, address }
    }

    fn reattach(&self) -> String {
        json!({
            "registry.terraform.io/cloudflare/cloudflare": {
                "Protocol": "grpc",
                "ProtocolVersion": 6,
                "Pid": self.child.id(),
                "Test": true,
                "Addr": {"Network": "tcp", "String": self.address},
            }
        })
        .to_string()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Terraform working directory attached to the provider.
struct Workspace {
    terraform: PathBuf,
    dir: PathBuf,
    cli_config: PathBuf,
    reattach: String,
    vars: Vec<(String, String)>,
}

impl Workspace {
    fn new(terraform: PathBuf, scratch: &Path, name: &str, provider: &Provider, config: &str) -> Self {
        let dir = scratch.join(name);
        std::fs::create_dir_all(&dir).expect("workspace dir");
        std::fs::write(dir.join("main.tf"), config).expect("write main.tf");
        // dev_overrides spares `terraform init`; the provider itself is the reattached one.
        let cli_config = dir.join("terraformrc");
        let provider_dir = provider_bin().parent().expect("provider dir").display().to_string();
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"cloudflare/cloudflare\" = {provider_dir:?}\n  }}\n  direct {{}}\n}}\n"
            ),
        )
        .expect("write the CLI config");
        Workspace { terraform, dir, cli_config, reattach: provider.reattach(), vars: Vec::new() }
    }

    fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(&self.terraform);
        remove_inherited_config(&mut command);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TF_") {
                command.env_remove(&key);
            }
        }
        command
            .current_dir(&self.dir)
            .args(args)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_REATTACH_PROVIDERS", &self.reattach)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1");
        for (name, value) in &self.vars {
            command.env(format!("TF_VAR_{name}"), value);
        }
        run_with_deadline(command, &self.dir, TERRAFORM_TIMEOUT)
    }

    /// Runs a command that must succeed.
    #[track_caller]
    fn ok(&self, args: &[&str]) -> Output {
        let output = self.run(args);
        assert!(output.status.success(), "terraform {args:?} failed:\n{}", output.text);
        output
    }

    /// `terraform plan -detailed-exitcode`: 0 no changes, 2 changes.
    #[track_caller]
    fn plan(&self) -> (i32, Output) {
        let output = self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        let code = output.status.code().expect("an exit code");
        assert!(code == 0 || code == 2, "terraform plan failed:\n{}", output.text);
        (code, output)
    }

    fn output(&self, name: &str) -> Value {
        let output = self.ok(&["output", "-json", name]);
        serde_json::from_str(&output.stdout)
            .unwrap_or_else(|e| panic!("output {name}: {e}: {}", output.stdout))
    }

    /// The managed resources in state: address → attributes.
    fn state(&self) -> Vec<(String, Value)> {
        let output = self.ok(&["show", "-json"]);
        let state: Value = serde_json::from_str(&output.stdout).expect("state JSON");
        state["values"]["root_module"]["resources"]
            .as_array()
            .map(|resources| {
                resources
                    .iter()
                    .filter(|r| r["mode"] == "managed")
                    .map(|r| (r["address"].as_str().unwrap_or_default().to_owned(), r["values"].clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn id_of(&self, address: &str) -> String {
        self.state()
            .into_iter()
            .find(|(a, _)| a == address)
            .and_then(|(_, values)| values["id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("{address} is in state"))
    }
}

fn skip(why: &str) {
    eprintln!("SKIPPED terraform_access: {why}");
}

fn apply(workspace: &Workspace) {
    workspace.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
}

/// The ids of an application's policy links in precedence order.
fn app_links(scene: &Scene, app_id: &str) -> Vec<(String, i64)> {
    scene.api("GET", &format!("apps/{app_id}"), None)["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .map(|p| {
            (p["id"].as_str().unwrap_or_default().to_owned(), p["precedence"].as_i64().unwrap_or_default())
        })
        .collect()
}

#[test]
fn applications_policies_and_groups_apply_plan_clean_drift_import_and_destroy() {
    let Some(terraform) = terraform_bin() else {
        return skip("no terraform binary (set TERRAFORM or put terraform on PATH)");
    };
    let scene = Scene::start();
    let token: Token = scene.token("terraform-ci", "8760h");
    let provider = Provider::start(&scene);
    let workspace = Workspace::new(terraform, scene.server.scratch_dir(), "access", &provider, CONFIG)
        .var("cloudflare_account_id", scene.server.account_id())
        .var("token_id", &token.id)
        .var("origin", &scene.origin.url());

    // Apply: the API holds what the configuration says.
    apply(&workspace);
    let app_id = workspace.id_of("cloudflare_zero_trust_access_application.api");
    let ci_only = workspace.id_of("cloudflare_zero_trust_access_policy.ci_only");
    let any_token = workspace.id_of("cloudflare_zero_trust_access_policy.any_token");
    let group_id = workspace.id_of("cloudflare_zero_trust_access_group.ci");
    let app = scene.api("GET", &format!("apps/{app_id}"), None);
    assert_eq!(app["domain"], "tf-api.example.com");
    assert_eq!(app["origin"], scene.origin.url());
    assert_eq!(app_links(&scene, &app_id), [(ci_only.clone(), 1), (any_token.clone(), 2)]);
    let policy = scene.api("GET", &format!("policies/{ci_only}"), None);
    assert_eq!(policy["include"], json!([{"group": {"id": group_id}}]));
    assert_eq!(policy["exclude"], json!([{"ip": {"ip": "192.0.2.0/24"}}]));
    let group = scene.api("GET", &format!("groups/{group_id}"), None);
    assert_eq!(group["include"], json!([{"service_token": {"token_id": token.id}}]));
    assert_eq!(workspace.output("aud"), app["aud"]);
    assert_eq!(workspace.output("app_policy_decisions"), json!(["non_identity", "non_identity"]));
    assert_eq!(workspace.output("policy_decision"), "non_identity");
    assert_eq!(workspace.output("apps_by_domain"), 1);
    assert_eq!(workspace.output("policies"), 2);
    assert_eq!(workspace.output("group_name"), "CI tokens");
    assert_eq!(workspace.output("groups_by_name"), 1);

    // The gateway applies the policies Terraform wrote.
    assert_eq!(scene.get("tf-api.example.com", "/", Creds::Token(&token)).status, 200);
    assert_eq!(scene.get("tf-api.example.com", "/", Creds::Nothing).status, 403);

    // A second plan has nothing to do.
    let (code, output) = workspace.plan();
    assert_eq!(code, 0, "a second plan has no changes:\n{}", output.text);

    // Drift: a policy renamed and its rules changed through the API show up, and apply puts back
    // the configuration.
    scene.api(
        "PUT",
        &format!("policies/{any_token}"),
        Some(json!({"name": "renamed by hand", "decision": "non_identity", "include": [{"everyone": {}}]})),
    );
    let (code, output) = workspace.plan();
    assert_eq!(code, 2, "the rename is drift:\n{}", output.text);
    assert!(output.stdout.contains("\"renamed by hand\" -> \"Any token\""), "{}", output.stdout);
    apply(&workspace);
    let policy = scene.api("GET", &format!("policies/{any_token}"), None);
    assert_eq!(policy["name"], "Any token");
    assert_eq!(policy["include"], json!([{"any_valid_service_token": {}}]));

    // Drift: an application deleted through the API is planned again, and recreated.
    scene.api("DELETE", &format!("apps/{app_id}"), None);
    let (code, output) = workspace.plan();
    assert_eq!(code, 2);
    assert!(
        output.stdout.contains("cloudflare_zero_trust_access_application.api will be created"),
        "{}",
        output.stdout
    );
    apply(&workspace);
    let new_app_id = workspace.id_of("cloudflare_zero_trust_access_application.api");
    assert_ne!(new_app_id, app_id);
    assert_eq!(app_links(&scene, &new_app_id), [(ci_only.clone(), 1), (any_token.clone(), 2)]);
    let (code, output) = workspace.plan();
    assert_eq!(code, 0, "{}", output.text);

    // Import, with the v5 id formats, gives a state that plans clean.
    let account = scene.server.account_id().to_owned();
    for (address, id) in [
        ("cloudflare_zero_trust_access_application.api", format!("accounts/{account}/{new_app_id}")),
        ("cloudflare_zero_trust_access_policy.ci_only", format!("{account}/{ci_only}")),
        ("cloudflare_zero_trust_access_policy.any_token", format!("{account}/{any_token}")),
        ("cloudflare_zero_trust_access_group.ci", format!("accounts/{account}/{group_id}")),
    ] {
        workspace.ok(&["state", "rm", "-no-color", address]);
        let output = workspace.ok(&["import", "-input=false", "-no-color", address, &id]);
        assert!(output.stdout.contains("Import successful"), "{}", output.text);
    }
    let (code, output) = workspace.plan();
    assert_eq!(code, 0, "an imported state plans clean:\n{}", output.text);

    // Links without precedence, in a new order: precedence follows the position.
    let reordered = CONFIG.replace(
        "    { id = cloudflare_zero_trust_access_policy.ci_only.id, precedence = 1 },\n    { id = cloudflare_zero_trust_access_policy.any_token.id, precedence = 2 },",
        "    { id = cloudflare_zero_trust_access_policy.any_token.id },\n    { id = cloudflare_zero_trust_access_policy.ci_only.id },",
    );
    assert_ne!(reordered, CONFIG);
    std::fs::write(workspace.dir.join("main.tf"), reordered).expect("rewrite main.tf");
    apply(&workspace);
    assert_eq!(app_links(&scene, &new_app_id), [(any_token.clone(), 1), (ci_only.clone(), 2)]);
    let (code, output) = workspace.plan();
    assert_eq!(code, 0, "{}", output.text);

    // Destroy removes everything it created, and nothing else.
    workspace.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    for kind in ["apps", "policies", "groups"] {
        assert_eq!(scene.api("GET", kind, None), json!([]), "{kind} after destroy");
    }
    assert_eq!(scene.api("GET", &format!("service_tokens/{}", token.id), None)["id"], token.id);
}

#[test]
fn attributes_gatehouse_does_not_implement_are_refused_by_name() {
    let Some(terraform) = terraform_bin() else {
        return skip("no terraform binary (set TERRAFORM or put terraform on PATH)");
    };
    let scene = Scene::start();
    let provider = Provider::start(&scene);
    let workspace = Workspace::new(terraform, scene.server.scratch_dir(), "refused", &provider, REFUSED);
    let output = workspace.run(&["validate", "-no-color"]);
    assert!(!output.status.success(), "validate fails:\n{}", output.text);
    for expected in [
        "Unsupported argument: custom_deny_url",
        "Unsupported argument: policies[0].decision",
        "Unsupported argument: approval_required",
        "Unsupported argument: zone_id",
        "sets 2 selectors (everyone, ip)",
        // A selector gatehouse stores but does not evaluate is a warning, not an error.
        "Selector not evaluated by gatehouse: email",
    ] {
        assert!(output.text.contains(expected), "{expected:?} in:\n{}", output.text);
    }
}
