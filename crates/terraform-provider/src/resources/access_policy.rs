//! `cloudflare_zero_trust_access_policy` (reusable, account-level policies) and its data sources
//! `cloudflare_zero_trust_access_policy` and `cloudflare_zero_trust_access_policies`.

use gatehouse_api_types::PolicyBody;
use serde_json::{Value as Json, json};

use super::access_rules::{
    Selectors, account_path, empty_as_known, lenient, rules_from_api, rules_to_api, validate_include_present,
    validate_rules,
};
use super::access_schemas;
use crate::client::Client;
use crate::resource::{DataSource, Diag, Resource, parse_account_import_id};
use crate::schema::{Schema, object_type};
use crate::value::Value;

pub const TYPE_NAME: &str = "cloudflare_zero_trust_access_policy";

/// The session duration Cloudflare (and gatehouse) give a policy that sets none.
const DEFAULT_SESSION_DURATION: &str = "24h";

const DECISIONS: [&str; 4] = ["allow", "deny", "non_identity", "bypass"];

/// The resource.
#[derive(Debug, Default)]
pub struct AccessPolicy;

pub fn resource_schema() -> Schema {
    Schema {
        version: 500,
        description: "A reusable Access policy: a decision and the include/require/exclude rules it applies to, linked by applications.",
        attrs: access_schemas::policy_resource(),
    }
}

/// The API's policy as state: every attribute by name, then what the API does not carry (the
/// account) and the v5 provider's normalizations (an empty optional rule list is null unless
/// configured as `[]`; a policy without a session duration has the default).
fn to_state(body: &PolicyBody, known: &Value) -> Value {
    let mut state = lenient(&serde_json::to_value(body).unwrap_or(Json::Null), &resource_schema().ty());
    state.set("account_id", known.get("account_id").clone());
    state.set("include", rules_from_api(&body.include, Selectors::All));
    state.set("require", empty_as_known(rules_from_api(&body.require, Selectors::All), known.get("require")));
    state.set("exclude", empty_as_known(rules_from_api(&body.exclude, Selectors::All), known.get("exclude")));
    if state.get("session_duration").is_null() {
        state.set("session_duration", Value::str(DEFAULT_SESSION_DURATION));
    }
    state
}

/// The request body of a create or a replace.
fn to_request(planned: &Value) -> Json {
    let mut body = json!({
        "name": planned.get("name").as_str(),
        "decision": planned.get("decision").as_str(),
        "include": rules_to_api(planned.get("include")),
        "require": rules_to_api(planned.get("require")),
        "exclude": rules_to_api(planned.get("exclude")),
    });
    if let Some(duration) = planned.get("session_duration").as_str() {
        body["session_duration"] = json!(duration);
    }
    body
}

fn policy_path(state: &Value) -> Result<String, Diag> {
    let id =
        state.get("id").as_str().ok_or_else(|| Diag::error("missing id", "the state has no policy id"))?;
    Ok(format!("{}/policies/{id}", account_path(state)?))
}

/// Checks shared by the resource: a known decision, at least one include rule, one selector per rule.
fn validate_policy(config: &Value) -> Vec<Diag> {
    let mut diags = Vec::new();
    if let Some(decision) = config.get("decision").as_str()
        && !DECISIONS.contains(&decision)
    {
        diags.push(
            Diag::error(
                "Invalid Attribute Value Match",
                format!("decision must be one of {}, got {decision:?}", DECISIONS.join(", ")),
            )
            .at("decision"),
        );
    }
    diags.extend(validate_include_present(config));
    for list in ["include", "require", "exclude"] {
        diags.extend(validate_rules(config, list));
    }
    diags
}

#[tonic::async_trait]
impl Resource for AccessPolicy {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        resource_schema()
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        validate_policy(config)
    }

    async fn create(&self, client: &Client, planned: &Value) -> Result<Value, Diag> {
        let path = format!("{}/policies", account_path(planned)?);
        let body: PolicyBody = client.post(&path, &to_request(planned)).await?;
        Ok(to_state(&body, planned))
    }

    async fn read(&self, client: &Client, state: &Value) -> Result<Option<Value>, Diag> {
        match client.get::<PolicyBody>(&policy_path(state)?).await {
            Ok(body) => Ok(Some(to_state(&body, state))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn update(&self, client: &Client, prior: &Value, planned: &Value) -> Result<Value, Diag> {
        let body: PolicyBody = client.put(&policy_path(prior)?, &to_request(planned)).await?;
        Ok(to_state(&body, planned))
    }

    async fn delete(&self, client: &Client, state: &Value) -> Result<(), Diag> {
        match client.delete(&policy_path(state)?).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn import(&self, client: &Client, id: &str) -> Result<Value, Diag> {
        let (account, policy_id) = parse_account_import_id(id, "policy_id")?;
        let mut known = Value::Null;
        known.set("account_id", Value::str(account));
        known.set("id", Value::str(policy_id));
        let body: PolicyBody = client.get(&policy_path(&known)?).await?;
        Ok(to_state(&body, &known))
    }
}

/// A policy as the data sources show it: every attribute the API returns, by name.
fn data_item(body: &PolicyBody, schema_attrs: &[crate::schema::Attr]) -> Value {
    let mut item = lenient(&serde_json::to_value(body).unwrap_or(Json::Null), &object_type(schema_attrs));
    item.set("include", rules_from_api(&body.include, Selectors::All));
    item.set("require", rules_from_api(&body.require, Selectors::All));
    item.set("exclude", rules_from_api(&body.exclude, Selectors::All));
    item
}

fn require_account(config: &Value) -> Vec<Diag> {
    if config.get("account_id").is_null() {
        vec![Diag::error("Missing required argument", "account_id must be set.").at("account_id")]
    } else {
        Vec::new()
    }
}

/// `data "cloudflare_zero_trust_access_policy"`: one reusable policy by `policy_id`.
#[derive(Debug, Default)]
pub struct AccessPolicyData;

#[tonic::async_trait]
impl DataSource for AccessPolicyData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            description: "A reusable Access policy, by id.",
            attrs: access_schemas::policy_data(),
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        require_account(config)
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diag> {
        let id = config.get("policy_id").as_str().ok_or_else(|| {
            Diag::error("Missing required argument", "policy_id must be set.").at("policy_id")
        })?;
        let body: PolicyBody = client.get(&format!("{}/policies/{id}", account_path(config)?)).await?;
        let mut state = data_item(&body, &self.schema().attrs);
        state.set("account_id", config.get("account_id").clone());
        state.set("policy_id", Value::str(&body.id));
        Ok(state)
    }
}

/// `data "cloudflare_zero_trust_access_policies"`: the account's reusable policies.
#[derive(Debug, Default)]
pub struct AccessPoliciesData;

#[tonic::async_trait]
impl DataSource for AccessPoliciesData {
    fn type_name(&self) -> &'static str {
        "cloudflare_zero_trust_access_policies"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            description: "The account's reusable Access policies.",
            attrs: access_schemas::policies_data(),
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        require_account(config)
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diag> {
        let policies: Vec<PolicyBody> =
            client.list(&format!("{}/policies", account_path(config)?), &[]).await?;
        let schema = self.schema();
        let item_attrs = match schema.attr("result").map(|a| &a.kind) {
            Some(crate::schema::Kind::Nested(_, attrs)) => attrs.clone(),
            _ => Vec::new(),
        };
        let max = max_items(config);
        let items = policies.iter().take(max).map(|body| data_item(body, &item_attrs)).collect();
        let mut state = config.clone();
        state.set("result", Value::List(items));
        Ok(state)
    }
}

/// A list data source's `max_items` (default 1000; negative is none).
pub fn max_items(config: &Value) -> usize {
    let max = config.get("max_items").as_f64().unwrap_or(1000.0);
    if max <= 0.0 {
        0
    } else {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "positive, and any count beyond usize is all items"
        )]
        let max = max as usize;
        max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Kind;

    fn body() -> PolicyBody {
        serde_json::from_value(json!({
            "id": "5b2a1c3e-0000-4000-8000-000000000001",
            "name": "CI only",
            "decision": "non_identity",
            "include": [{"service_token": {"token_id": "7c0e5a8e-0000-4000-8000-000000000001"}}, {"any_valid_service_token": {}}],
            "require": [],
            "exclude": [{"ip": {"ip": "192.0.2.0/24"}}],
            "session_duration": "24h",
            "reusable": true,
            "app_count": 0,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    /// The configuration Terraform would send for `body()`, with `require` left out.
    fn config() -> Value {
        let mut known = to_state(&body(), &{
            let mut v = Value::Null;
            v.set("account_id", Value::str("acc"));
            v
        });
        known.set("id", Value::Null);
        known
    }

    #[test]
    fn schema_matches_the_v5_provider() {
        let schema = resource_schema();
        assert_eq!(schema.version, 500);
        let names: Vec<_> = schema.attrs.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "id",
                "account_id",
                "decision",
                "name",
                "approval_required",
                "isolation_required",
                "purpose_justification_prompt",
                "purpose_justification_required",
                "approval_groups",
                "connection_rules",
                "mfa_config",
                "session_duration",
                "exclude",
                "include",
                "require"
            ]
        );
        let account = schema.attr("account_id").unwrap();
        assert!(account.required && account.requires_replace);
        let include = schema.attr("include").unwrap();
        assert!(include.optional && include.computed);
        assert!(matches!(include.kind, Kind::Nested(crate::schema::Nesting::Set, _)));
        assert_eq!(schema.attr("session_duration").unwrap().default, Some(Value::str("24h")));
        for refused in
            ["approval_required", "approval_groups", "isolation_required", "mfa_config", "connection_rules"]
        {
            assert!(schema.attr(refused).unwrap().unsupported.is_some(), "{refused}");
        }
        assert!(schema.attr("decision").unwrap().unsupported.is_none());
    }

    #[test]
    fn state_maps_the_api_policy_and_keeps_unset_lists_null() {
        let state = config();
        assert_eq!(state.get("name"), &Value::str("CI only"));
        assert_eq!(state.get("decision"), &Value::str("non_identity"));
        assert_eq!(state.get("account_id"), &Value::str("acc"));
        assert_eq!(state.get("require"), &Value::Null, "an empty answer for an unset list");
        assert_eq!(state.get("include").as_list().unwrap().len(), 2);
        assert_eq!(
            state.get("include").as_list().unwrap()[0].get("service_token").get("token_id"),
            &Value::str("7c0e5a8e-0000-4000-8000-000000000001")
        );
        assert_eq!(state.get("approval_required"), &Value::Null);
        let mut known = config();
        known.set("require", Value::List(Vec::new()));
        assert_eq!(to_state(&body(), &known).get("require"), &Value::List(Vec::new()));
    }

    #[test]
    fn request_carries_rules_in_the_api_shape() {
        let request = to_request(&config());
        assert_eq!(request["decision"], "non_identity");
        assert_eq!(request["include"][1], json!({"any_valid_service_token": {}}));
        assert_eq!(request["exclude"][0], json!({"ip": {"ip": "192.0.2.0/24"}}));
        assert_eq!(request["require"], json!([]));
        assert_eq!(request["session_duration"], "24h");
    }

    #[test]
    fn second_plan_has_no_changes() {
        let mut prior = config();
        prior.set("id", Value::str("5b2a1c3e-0000-4000-8000-000000000001"));
        let mut config = prior.clone();
        config.set("id", Value::Null);
        config.set("session_duration", Value::Null);
        let (planned, replace) = AccessPolicy.plan(&prior, &prior, &config);
        assert_eq!(planned, prior);
        assert!(replace.is_empty());
    }

    #[test]
    fn create_plan_defaults_the_session_and_leaves_the_id_unknown() {
        let mut config = config();
        config.set("session_duration", Value::Null);
        let (planned, _) = AccessPolicy.plan(&Value::Null, &config, &config);
        assert_eq!(planned.get("session_duration"), &Value::str("24h"));
        assert!(planned.get("id").is_unknown());
    }

    #[test]
    fn validation_refuses_bad_decisions_and_missing_include() {
        let mut config = config();
        assert!(AccessPolicy.validate(&config).is_empty());
        config.set("decision", Value::str("Allow"));
        assert_eq!(AccessPolicy.validate(&config).len(), 1);
        config.set("decision", Value::str("allow"));
        config.set("include", Value::Null);
        assert!(AccessPolicy.validate(&config)[0].detail.contains("include"));
    }

    #[test]
    fn refused_attributes_are_reported_when_set() {
        let mut config = config();
        config.set("approval_required", Value::Bool(true));
        let found = resource_schema().unsupported_in(&config);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "approval_required");
    }

    #[test]
    fn data_sources_have_the_v5_shape() {
        let data = AccessPolicyData.schema();
        assert!(data.attr("policy_id").unwrap().required);
        assert!(data.attr("app_count").unwrap().computed);
        let list = AccessPoliciesData.schema();
        assert!(list.attr("max_items").unwrap().optional);
        let item = data_item(&body(), &data.attrs);
        assert_eq!(item.get("app_count"), &Value::Number(0.0));
        assert_eq!(item.get("reusable"), &Value::Bool(true));
        assert_eq!(item.get("require"), &Value::List(Vec::new()));
    }

    #[test]
    fn import_id_is_account_and_policy() {
        assert!(parse_account_import_id("acc/5b2a", "policy_id").is_ok());
        assert!(parse_account_import_id("accounts/acc/5b2a", "policy_id").is_err());
    }
}
