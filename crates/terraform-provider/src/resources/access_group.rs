//! `cloudflare_zero_trust_access_group` and its data sources `cloudflare_zero_trust_access_group`
//! and `cloudflare_zero_trust_access_groups`.

use gatehouse_api_types::GroupBody;
use serde_json::{Value as Json, json};

use super::access_policy::max_items;
use super::access_rules::{
    Selectors, account_path, empty_as_known, lenient, parse_account_scoped_import_id, rules_from_api,
    rules_to_api, validate_account, validate_include_present, validate_rules,
};
use super::access_schemas;
use crate::client::Client;
use crate::resource::{DataSource, Diag, Resource};
use crate::schema::{Attr, Kind, Schema, object_type};
use crate::value::Value;

pub const TYPE_NAME: &str = "cloudflare_zero_trust_access_group";

/// The resource.
#[derive(Debug, Default)]
pub struct AccessGroup;

pub fn resource_schema() -> Schema {
    Schema {
        version: 500,
        description: "An Access group: a named set of include/require/exclude rules that policies use as { group = { id = ... } }.",
        attrs: access_schemas::group_resource(),
    }
}

/// The API's group as state; an empty optional rule list is null unless configured as `[]`.
fn to_state(body: &GroupBody, known: &Value) -> Value {
    let mut state = lenient(&serde_json::to_value(body).unwrap_or(Json::Null), &resource_schema().ty());
    state.set("account_id", known.get("account_id").clone());
    state.set("include", rules_from_api(&body.include, Selectors::All));
    state.set("require", empty_as_known(rules_from_api(&body.require, Selectors::All), known.get("require")));
    state.set("exclude", empty_as_known(rules_from_api(&body.exclude, Selectors::All), known.get("exclude")));
    state
}

fn to_request(planned: &Value) -> Json {
    json!({
        "name": planned.get("name").as_str(),
        "include": rules_to_api(planned.get("include")),
        "require": rules_to_api(planned.get("require")),
        "exclude": rules_to_api(planned.get("exclude")),
    })
}

fn group_path(state: &Value) -> Result<String, Diag> {
    let id =
        state.get("id").as_str().ok_or_else(|| Diag::error("missing id", "the state has no group id"))?;
    Ok(format!("{}/groups/{id}", account_path(state)?))
}

#[tonic::async_trait]
impl Resource for AccessGroup {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        resource_schema()
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        let mut diags = validate_account(config);
        diags.extend(validate_include_present(config));
        for list in ["include", "require", "exclude"] {
            diags.extend(validate_rules(config, list));
        }
        diags
    }

    async fn create(&self, client: &Client, planned: &Value) -> Result<Value, Diag> {
        let path = format!("{}/groups", account_path(planned)?);
        let body: GroupBody = client.post(&path, &to_request(planned)).await?;
        Ok(to_state(&body, planned))
    }

    async fn read(&self, client: &Client, state: &Value) -> Result<Option<Value>, Diag> {
        match client.get::<GroupBody>(&group_path(state)?).await {
            Ok(body) => Ok(Some(to_state(&body, state))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn update(&self, client: &Client, prior: &Value, planned: &Value) -> Result<Value, Diag> {
        let body: GroupBody = client.put(&group_path(prior)?, &to_request(planned)).await?;
        Ok(to_state(&body, planned))
    }

    async fn delete(&self, client: &Client, state: &Value) -> Result<(), Diag> {
        match client.delete(&group_path(state)?).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn import(&self, client: &Client, id: &str) -> Result<Value, Diag> {
        let (account, group_id) = parse_account_scoped_import_id(id, "group_id")?;
        let mut known = Value::Null;
        known.set("account_id", Value::str(account));
        known.set("id", Value::str(group_id));
        let body: GroupBody = client.get(&group_path(&known)?).await?;
        Ok(to_state(&body, &known))
    }
}

/// A group as the data sources show it. (The v5 data sources type `is_default` as a rule list,
/// a quirk of its generator; gatehouse has no default group, so it is always null.)
fn data_item(body: &GroupBody, attrs: &[Attr]) -> Value {
    let mut item = lenient(&serde_json::to_value(body).unwrap_or(Json::Null), &object_type(attrs));
    item.set("include", rules_from_api(&body.include, Selectors::All));
    item.set("require", rules_from_api(&body.require, Selectors::All));
    item.set("exclude", rules_from_api(&body.exclude, Selectors::All));
    item.set("is_default", Value::Null);
    item
}

/// The `name`/`search` query of a group list.
fn name_query(name: &Value, search: &Value) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    if let Some(name) = name.as_str() {
        query.push(("name", name.to_string()));
    }
    if let Some(search) = search.as_str() {
        query.push(("search", search.to_string()));
    }
    query
}

/// `data "cloudflare_zero_trust_access_group"`: one group by `group_id`, or the single group
/// matching `filter`.
#[derive(Debug, Default)]
pub struct AccessGroupData;

#[tonic::async_trait]
impl DataSource for AccessGroupData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            description: "An Access group, by id or by name.",
            attrs: access_schemas::group_data(),
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        let mut diags = validate_account(config);
        if config.get("group_id").is_null() && config.get("filter").is_null() {
            diags.push(Diag::error("Missing required argument", "set group_id or filter."));
        }
        diags
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diag> {
        let groups = format!("{}/groups", account_path(config)?);
        let body: GroupBody = match config.get("group_id").as_str() {
            Some(id) => client.get(&format!("{groups}/{id}")).await?,
            None => {
                let filter = config.get("filter");
                let query = name_query(filter.get("name"), filter.get("search"));
                let mut found: Vec<GroupBody> = client.list(&groups, &query).await?;
                match found.len() {
                    1 => found.remove(0),
                    0 => return Err(Diag::error("no group found", "no Access group matches the filter")),
                    n => {
                        return Err(Diag::error(
                            "more than one group found",
                            format!("{n} Access groups match the filter; narrow it or use group_id"),
                        ));
                    }
                }
            }
        };
        let mut state = data_item(&body, &self.schema().attrs);
        for kept in ["account_id", "zone_id", "filter"] {
            state.set(kept, config.get(kept).clone());
        }
        state.set("group_id", Value::str(&body.id));
        Ok(state)
    }
}

/// `data "cloudflare_zero_trust_access_groups"`: the account's groups, optionally by name.
#[derive(Debug, Default)]
pub struct AccessGroupsData;

#[tonic::async_trait]
impl DataSource for AccessGroupsData {
    fn type_name(&self) -> &'static str {
        "cloudflare_zero_trust_access_groups"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            description: "The account's Access groups.",
            attrs: access_schemas::groups_data(),
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        validate_account(config)
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diag> {
        let query = name_query(config.get("name"), config.get("search"));
        let groups: Vec<GroupBody> =
            client.list(&format!("{}/groups", account_path(config)?), &query).await?;
        let item_attrs = match self.schema().attr("result").map(|a| &a.kind) {
            Some(Kind::Nested(_, attrs)) => attrs.clone(),
            _ => Vec::new(),
        };
        let items = groups.iter().take(max_items(config)).map(|body| data_item(body, &item_attrs)).collect();
        let mut state = config.clone();
        state.set("result", Value::List(items));
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Nesting;

    fn body() -> GroupBody {
        serde_json::from_value(json!({
            "id": "9d0c0c0c-0000-4000-8000-000000000001",
            "name": "CI tokens",
            "include": [{"service_token": {"token_id": "7c0e5a8e-0000-4000-8000-000000000001"}},
                        {"service_token": {"token_id": "7c0e5a8e-0000-4000-8000-000000000002"}}],
            "require": [],
            "exclude": [],
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    fn known() -> Value {
        let mut known = Value::Null;
        known.set("account_id", Value::str("acc"));
        known
    }

    #[test]
    fn schema_matches_the_v5_provider() {
        let schema = resource_schema();
        let names: Vec<_> = schema.attrs.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            ["id", "account_id", "zone_id", "name", "include", "is_default", "exclude", "require"]
        );
        let include = schema.attr("include").unwrap();
        assert!(include.required);
        assert!(matches!(include.kind, Kind::Nested(Nesting::List, _)));
        assert!(schema.attr("zone_id").unwrap().unsupported.is_some());
        assert!(schema.attr("is_default").unwrap().unsupported.is_some());
        assert!(schema.attr("id").unwrap().keep_on_update);
    }

    #[test]
    fn state_keeps_rule_order_and_null_lists() {
        let state = to_state(&body(), &known());
        assert_eq!(state.get("name"), &Value::str("CI tokens"));
        let include = state.get("include").as_list().unwrap();
        assert_eq!(
            include[1].get("service_token").get("token_id"),
            &Value::str("7c0e5a8e-0000-4000-8000-000000000002")
        );
        assert_eq!(state.get("require"), &Value::Null);
        assert_eq!(state.get("exclude"), &Value::Null);
        assert_eq!(state.get("zone_id"), &Value::Null);
        assert_eq!(to_request(&state)["include"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_second_plan_is_empty_and_a_rename_keeps_the_id() {
        let prior = to_state(&body(), &known());
        let mut config = prior.clone();
        config.set("id", Value::Null);
        let (planned, replace) = AccessGroup.plan(&prior, &prior, &config);
        assert_eq!(planned, prior);
        assert!(replace.is_empty());
        let mut proposed = prior.clone();
        proposed.set("name", Value::str("renamed"));
        config.set("name", Value::str("renamed"));
        let (planned, _) = AccessGroup.plan(&prior, &proposed, &config);
        assert_eq!(planned.get("id"), prior.get("id"));
    }

    #[test]
    fn validation_wants_an_account() {
        let mut config = to_state(&body(), &known());
        assert!(AccessGroup.validate(&config).is_empty());
        config.set("account_id", Value::Null);
        assert_eq!(AccessGroup.validate(&config).len(), 1);
    }

    #[test]
    fn data_sources_have_the_v5_shape() {
        let data = AccessGroupData.schema();
        assert!(data.attr("group_id").unwrap().optional);
        assert!(data.attr("filter").unwrap().optional);
        let item = data_item(&body(), &data.attrs);
        assert_eq!(item.get("name"), &Value::str("CI tokens"));
        assert_eq!(item.get("is_default"), &Value::Null);
        let list = AccessGroupsData.schema();
        assert!(list.attr("search").unwrap().optional && list.attr("result").unwrap().computed);
    }
}
