//! The Access application, policy and group resources of the Terraform provider, with the real
//! `terraform` binary, the real provider binary and the real server (and the echo origin behind
//! the gateway): apply, a second plan without changes, the gateway letting the token through,
//! drift (a policy renamed and an application deleted through the API), import, reordering
//! policy links, refused attributes, destroy; checked with the API after each step.
//!
//! Terraform installs the provider from the mirror `gatehouse terraform install-provider` writes,
//! through the harness of the service-token tests ([`super::terraform`]), so a missing
//! `terraform` skips loudly or fails under `GATEHOUSE_REQUIRE_TERRAFORM=1` the same way.

use std::path::PathBuf;

use serde_json::json;

use crate::scene::{Creds, Scene, Token};
use crate::terraform::{Terraform, terraform_or_skip};

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
  include           = [{ geo = { country_code = "US" } }]
}
resource "cloudflare_zero_trust_access_group" "g" {
  zone_id = "0123456789abcdef0123456789abcdef"
  name    = "g"
  include = [{ everyone = {}, ip = { ip = "10.0.0.0/8" } }]
}
"#;

/// The id Terraform recorded for the resource at `address`.
#[track_caller]
fn id_of(tf: &Terraform, address: &str) -> String {
    tf.resource_state(address)["id"].as_str().unwrap_or_else(|| panic!("{address} is in state")).to_owned()
}

/// A Terraform working directory for [`CONFIG`], initialised from the mirror.
fn workspace(bin: PathBuf, scene: &Scene, config: &str) -> Terraform {
    let tf = Terraform::new(bin, scene);
    tf.write_config(config);
    tf.ok(&["init"]);
    tf
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
    let Some(bin) = terraform_or_skip() else { return };
    let scene = Scene::start();
    let token: Token = scene.token("terraform-ci", "8760h");
    let mut workspace = Terraform::new(bin, &scene);
    workspace.var("token_id", &token.id);
    workspace.var("origin", &scene.origin.url());
    workspace.write_config(CONFIG);
    workspace.ok(&["init"]);

    // Apply: the API holds what the configuration says.
    workspace.apply();
    let app_id = id_of(&workspace, "cloudflare_zero_trust_access_application.api");
    let ci_only = id_of(&workspace, "cloudflare_zero_trust_access_policy.ci_only");
    let any_token = id_of(&workspace, "cloudflare_zero_trust_access_policy.any_token");
    let group_id = id_of(&workspace, "cloudflare_zero_trust_access_group.ci");
    let app = scene.api("GET", &format!("apps/{app_id}"), None);
    assert_eq!(app["domain"], "tf-api.example.com");
    assert_eq!(app["origin"], scene.origin.url());
    assert_eq!(app_links(&scene, &app_id), [(ci_only.clone(), 1), (any_token.clone(), 2)]);
    let policy = scene.api("GET", &format!("policies/{ci_only}"), None);
    assert_eq!(policy["include"], json!([{"group": {"id": group_id}}]));
    assert_eq!(policy["exclude"], json!([{"ip": {"ip": "192.0.2.0/24"}}]));
    let group = scene.api("GET", &format!("groups/{group_id}"), None);
    assert_eq!(group["include"], json!([{"service_token": {"token_id": token.id}}]));
    assert_eq!(workspace.output_json("aud"), app["aud"]);
    assert_eq!(workspace.output_json("app_policy_decisions"), json!(["non_identity", "non_identity"]));
    assert_eq!(workspace.output_json("policy_decision"), "non_identity");
    assert_eq!(workspace.output_json("apps_by_domain"), 1);
    assert_eq!(workspace.output_json("policies"), 2);
    assert_eq!(workspace.output_json("group_name"), "CI tokens");
    assert_eq!(workspace.output_json("groups_by_name"), 1);

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
    workspace.apply();
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
    workspace.apply();
    let new_app_id = id_of(&workspace, "cloudflare_zero_trust_access_application.api");
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
        workspace.ok(&["state", "rm", address]);
        let output = workspace.ok(&["import", address, &id]);
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
    workspace.write_config(&reordered);
    workspace.apply();
    assert_eq!(app_links(&scene, &new_app_id), [(any_token.clone(), 1), (ci_only.clone(), 2)]);
    let (code, output) = workspace.plan();
    assert_eq!(code, 0, "{}", output.text);

    // Destroy removes everything it created, and nothing else.
    workspace.ok(&["destroy", "-auto-approve"]);
    for kind in ["apps", "policies", "groups"] {
        assert_eq!(scene.api("GET", kind, None), json!([]), "{kind} after destroy");
    }
    assert_eq!(scene.api("GET", &format!("service_tokens/{}", token.id), None)["id"], token.id);
}

#[test]
fn attributes_gatehouse_does_not_implement_are_refused_by_name() {
    let Some(bin) = terraform_or_skip() else { return };
    let scene = Scene::start();
    let workspace = workspace(bin, &scene, REFUSED);
    let output = workspace.run(&["validate"]);
    assert!(!output.status.success(), "validate fails:\n{}", output.text);
    for expected in [
        "Unsupported argument: custom_deny_url",
        "Unsupported argument: policies[0].decision",
        "Unsupported argument: approval_required",
        "Unsupported argument: zone_id",
        "sets 2 selectors (everyone, ip)",
        // A selector gatehouse stores but does not evaluate is a warning, not an error.
        "Selector not evaluated by gatehouse: geo",
    ] {
        assert!(output.text.contains(expected), "{expected:?} in:\n{}", output.text);
    }
}
