//! `cloudflare_zero_trust_access_application` (self-hosted applications, linked to reusable
//! policies by id and precedence) and its data sources `cloudflare_zero_trust_access_application`
//! and `cloudflare_zero_trust_access_applications`.
//!
//! Besides the v5 attributes the resource has gatehouse's `origin` (where allowed requests go),
//! optional and computed: left out, the origin stays whatever gatehouse has (set by the API, the
//! CLI or an ingress file), so a configuration written for Cloudflare plans clean.

use gatehouse_api_types::ApplicationBody;
use serde_json::{Map, Value as Json, json};

use super::access_policy::max_items;
use super::access_rules::{
    account_path, false_as_known, lenient, parse_account_scoped_import_id, sorted_strings, to_json,
    validate_account,
};
use super::access_schemas;
use crate::client::Client;
use crate::resource::{DataSource, Diag, Resource};
use crate::schema::{Attr, Kind, Schema, object_type};
use crate::value::{Ty, Value};

pub const TYPE_NAME: &str = "cloudflare_zero_trust_access_application";

/// The only application type gatehouse's gateway routes.
const SELF_HOSTED: &str = "self_hosted";
/// gatehouse's (and Cloudflare's) session duration when none is given.
const DEFAULT_SESSION_DURATION: &str = "24h";
/// Computed v5 attributes gatehouse refuses: planned null rather than "known after apply".
const REFUSED_COMPUTED: [&str; 3] =
    ["app_launcher_visible", "http_only_cookie_attribute", "skip_app_launcher_login_page"];

/// The resource.
#[derive(Debug, Default)]
pub struct AccessApplication;

pub fn resource_schema() -> Schema {
    let mut attrs = access_schemas::application_resource();
    for attr in &mut attrs {
        // Sent back unchanged on every update, so it cannot change unless configured.
        if attr.name == "session_duration" {
            attr.keep_on_update = true;
        }
    }
    attrs.push(
        Attr::optional_computed(
            "origin",
            Ty::String,
            "gatehouse extension: where allowed requests go, an http:// or https:// URL such as `http://127.0.0.1:9000`. Left out, gatehouse keeps the origin it has (or uses its ingress file).",
        )
        .keep_on_update(),
    );
    Schema {
        version: 500,
        description: "A self-hosted Access application: a domain gatehouse protects, and the reusable policies that decide who passes.",
        attrs,
    }
}

fn nested_attrs(schema: &Schema, name: &str) -> Vec<Attr> {
    match schema.attr(name).map(|a| &a.kind) {
        Some(Kind::Nested(_, attrs)) => attrs.clone(),
        _ => Vec::new(),
    }
}

/// The public hostnames of a destination list (`None` while any is unknown).
fn public_uris(destinations: &Value) -> Option<Vec<String>> {
    let items = destinations.as_list()?;
    let mut uris = Vec::new();
    for item in items {
        if item.is_unknown() || item.get("type").is_unknown() || item.get("uri").is_unknown() {
            return None;
        }
        if item.get("type").as_str().unwrap_or("public") == "public"
            && let Some(uri) = item.get("uri").as_str()
        {
            uris.push(uri.to_string());
        }
    }
    Some(uris)
}

fn strings(items: &[String]) -> Value {
    Value::List(items.iter().map(Value::str).collect())
}

/// A public destination of the resource's destination type.
fn public_destination(uri: &str) -> Value {
    lenient(&json!({"type": "public", "uri": uri}), &object_type(&destination_attrs()))
}

fn destination_attrs() -> Vec<Attr> {
    nested_attrs(&resource_schema(), "destinations")
}

fn policy_link_attrs() -> Vec<Attr> {
    nested_attrs(&resource_schema(), "policies")
}

/// The state's `policies`: only `id` and `precedence` of each linked policy (the v5 provider
/// keeps the expanded policy out of the application, its source of truth being the policy
/// resource), in the order the known value lists them, new ones after in precedence order.
fn policies_state(body: &ApplicationBody, known: &Value) -> Value {
    let ty = object_type(&policy_link_attrs());
    let mut links: Vec<(String, i64)> = body
        .policies
        .iter()
        .enumerate()
        .map(|(index, p)| (p.id.clone(), p.precedence.unwrap_or(i64::try_from(index).unwrap_or(0) + 1)))
        .collect();
    if links.is_empty() {
        return match known {
            Value::List(items) if items.is_empty() => Value::List(Vec::new()),
            _ => Value::Null,
        };
    }
    let order: Vec<&str> =
        known.as_list().unwrap_or_default().iter().filter_map(|p| p.get("id").as_str()).collect();
    links.sort_by_key(|(id, precedence)| {
        (order.iter().position(|known_id| known_id == id).unwrap_or(usize::MAX), *precedence)
    });
    Value::List(
        links
            .iter()
            .map(|(id, precedence)| lenient(&json!({"id": id, "precedence": precedence}), &ty))
            .collect(),
    )
}

/// The API's application as state.
fn to_state(body: &ApplicationBody, known: &Value) -> Value {
    let mut state = lenient(&serde_json::to_value(body).unwrap_or(Json::Null), &resource_schema().ty());
    state.set("account_id", known.get("account_id").clone());
    state.set("zone_id", Value::Null);
    let redirect = false_as_known(
        state.get("service_auth_401_redirect").clone(),
        known.get("service_auth_401_redirect"),
    );
    state.set("service_auth_401_redirect", redirect);
    state.set("policies", policies_state(body, known.get("policies")));
    let uris = public_uris(state.get("destinations")).unwrap_or_default();
    state.set("self_hosted_domains", sorted_strings(strings(&uris)));
    state
}

/// The request body of a create or a replace (every client-settable field: a `PUT` replaces).
fn to_request(planned: &Value) -> Json {
    let mut body = Map::new();
    for name in ["name", "type", "domain", "session_duration", "read_service_tokens_from_header", "origin"] {
        if let Some(text) = planned.get(name).as_str() {
            body.insert(name.to_string(), json!(text));
        }
    }
    if let Some(redirect) = planned.get("service_auth_401_redirect").as_bool() {
        body.insert("service_auth_401_redirect".into(), json!(redirect));
    }
    if let Value::List(_) = planned.get("destinations") {
        body.insert("destinations".into(), to_json(planned.get("destinations")));
    }
    let links: Vec<Json> = planned
        .get("policies")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|link| to_json(&object_of(link, &["id", "precedence"])))
        .collect();
    body.insert("policies".into(), Json::Array(links));
    Json::Object(body)
}

/// Just the named attributes of an object.
fn object_of(value: &Value, names: &[&str]) -> Value {
    let mut out = Value::Null;
    for name in names {
        out.set(name, value.get(name).clone());
    }
    out
}

fn app_path(state: &Value) -> Result<String, Diag> {
    let id = state
        .get("id")
        .as_str()
        .ok_or_else(|| Diag::error("missing id", "the state has no application id"))?;
    Ok(format!("{}/apps/{id}", account_path(state)?))
}

fn validate_application(config: &Value) -> Vec<Diag> {
    let mut diags = validate_account(config);
    match config.get("type") {
        Value::Null => diags.push(
            Diag::error(
                "Missing required argument",
                "type must be set: gatehouse protects applications of type \"self_hosted\".",
            )
            .at("type"),
        ),
        Value::String(kind) if kind != SELF_HOSTED => diags.push(
            Diag::error(
                "Unsupported application type",
                format!("type {kind:?} is not supported by gatehouse, which protects \"self_hosted\" applications only."),
            )
            .at("type"),
        ),
        _ => {}
    }
    let destinations = config.get("destinations");
    let domains = config.get("self_hosted_domains");
    if config.get("domain").is_null() && destinations.is_null() && domains.is_null() {
        diags.push(
            Diag::error(
                "Missing required argument",
                "set domain (or destinations): the hostname gatehouse protects.",
            )
            .at("domain"),
        );
    }
    if !destinations.is_null() && !domains.is_null() {
        diags.push(
            Diag::error(
                "Invalid Attribute Combination",
                "Attribute \"self_hosted_domains\" cannot be specified when \"destinations\" is specified",
            )
            .at("self_hosted_domains"),
        );
    }
    for (index, destination) in destinations.as_list().unwrap_or_default().iter().enumerate() {
        if let Some(kind) = destination.get("type").as_str()
            && kind != "public"
        {
            diags.push(
                Diag::error(
                    "Unsupported destination",
                    format!("destinations[{index}].type {kind:?} is not supported: gatehouse protects public hostnames only."),
                )
                .at("destinations"),
            );
        }
        if destination.get("uri").is_null() && !destination.is_unknown() {
            diags.push(
                Diag::error("Missing required argument", format!("destinations[{index}].uri must be set."))
                    .at("destinations"),
            );
        }
    }
    for (index, link) in config.get("policies").as_list().unwrap_or_default().iter().enumerate() {
        if link.get("id").is_null() && !link.is_unknown() {
            diags.push(
                Diag::error(
                    "Missing required argument",
                    format!("policies[{index}].id must be set: gatehouse links reusable policies by id (create them with cloudflare_zero_trust_access_policy)."),
                )
                .at("policies"),
            );
        }
        if let Some(precedence) = link.get("precedence").as_f64()
            && (precedence < 1.0 || precedence.fract() != 0.0)
        {
            diags.push(
                Diag::error(
                    "Invalid Attribute Value",
                    format!(
                        "policies[{index}].precedence must be a whole number of at least 1, got {precedence}"
                    ),
                )
                .at("policies"),
            );
        }
    }
    diags
}

#[tonic::async_trait]
impl Resource for AccessApplication {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        resource_schema()
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        validate_application(config)
    }

    /// The framework's plan, then what gatehouse will compute, planned as known values where the
    /// configuration decides them: destinations from `domain` or `self_hosted_domains` (and the
    /// reverse), the domain from the first public destination, the name from the domain, the
    /// default session duration and each policy's precedence (its position, 1-based).
    fn plan(&self, prior: &Value, proposed: &Value, config: &Value) -> (Value, Vec<&'static str>) {
        let (mut planned, replace) = self.schema().plan(prior, proposed, config);
        let creating = prior.is_null();
        for name in REFUSED_COMPUTED {
            if config.get(name).is_null() {
                planned.set(name, Value::Null);
            }
        }
        let destinations =
            match (config.get("destinations"), config.get("self_hosted_domains"), config.get("domain")) {
                (Value::List(items), _, _) => Value::List(
                    items
                        .iter()
                        .map(|item| {
                            let mut item = item.clone();
                            if item.get("type").is_null() && !item.is_unknown() {
                                item.set("type", Value::str("public"));
                            }
                            item
                        })
                        .collect(),
                ),
                (Value::Null, Value::List(_), _) if !config.get("self_hosted_domains").contains_unknown() => {
                    let sorted = sorted_strings(config.get("self_hosted_domains").clone());
                    Value::List(
                        sorted
                            .as_list()
                            .unwrap_or_default()
                            .iter()
                            .filter_map(Value::as_str)
                            .map(public_destination)
                            .collect(),
                    )
                }
                (Value::Null, Value::Null, Value::String(domain)) => {
                    Value::List(vec![public_destination(domain)])
                }
                _ => Value::Unknown,
            };
        let uris = public_uris(&destinations);
        planned.set("destinations", destinations);
        if config.get("domain").is_null() {
            let domain = uris.as_ref().and_then(|u| u.first()).map_or(Value::Unknown, Value::str);
            planned.set("domain", domain);
        }
        if config.get("self_hosted_domains").is_null() {
            planned.set(
                "self_hosted_domains",
                uris.as_deref().map_or(Value::Unknown, |u| sorted_strings(strings(u))),
            );
        }
        if creating {
            if config.get("name").is_null() {
                let name = planned.get("domain").clone();
                planned.set("name", name);
            }
            if config.get("session_duration").is_null() {
                planned.set("session_duration", Value::str(DEFAULT_SESSION_DURATION));
            }
            if config.get("origin").is_null() {
                planned.set("origin", Value::Null);
            }
        }
        if let Value::List(links) = planned.get("policies").clone() {
            let links = links
                .into_iter()
                .enumerate()
                .map(|(index, mut link)| {
                    if link.get("precedence").is_null() && !link.is_unknown() {
                        #[allow(clippy::cast_precision_loss, reason = "positions are small")]
                        link.set("precedence", Value::Number((index + 1) as f64));
                    }
                    link
                })
                .collect();
            planned.set("policies", Value::List(links));
        }
        (planned, replace)
    }

    async fn create(&self, client: &Client, planned: &Value) -> Result<Value, Diag> {
        let path = format!("{}/apps", account_path(planned)?);
        let body: ApplicationBody = client.post(&path, &to_request(planned)).await?;
        Ok(to_state(&body, planned))
    }

    async fn read(&self, client: &Client, state: &Value) -> Result<Option<Value>, Diag> {
        match client.get::<ApplicationBody>(&app_path(state)?).await {
            Ok(body) => Ok(Some(to_state(&body, state))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn update(&self, client: &Client, prior: &Value, planned: &Value) -> Result<Value, Diag> {
        let body: ApplicationBody = client.put(&app_path(prior)?, &to_request(planned)).await?;
        Ok(to_state(&body, planned))
    }

    async fn delete(&self, client: &Client, state: &Value) -> Result<(), Diag> {
        match client.delete(&app_path(state)?).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn import(&self, client: &Client, id: &str) -> Result<Value, Diag> {
        let (account, app_id) = parse_account_scoped_import_id(id, "app_id")?;
        let mut known = Value::Null;
        known.set("account_id", Value::str(account));
        known.set("id", Value::str(app_id));
        let body: ApplicationBody = client.get(&app_path(&known)?).await?;
        Ok(to_state(&body, &known))
    }
}

/// An application as the data sources show it: every attribute the API returns, by name (linked
/// policies expanded).
fn data_item(body: &ApplicationBody, attrs: &[Attr]) -> Value {
    let mut item = lenient(&serde_json::to_value(body).unwrap_or(Json::Null), &object_type(attrs));
    let uris = public_uris(item.get("destinations")).unwrap_or_default();
    item.set("self_hosted_domains", strings(&uris));
    item
}

/// The list query of the application filters (`aud`, `domain`, `exact`, `name`, `search`).
fn app_query(filter: &Value) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    for key in ["aud", "domain", "name", "search"] {
        if let Some(value) = filter.get(key).as_str() {
            query.push((key, value.to_string()));
        }
    }
    if let Some(exact) = filter.get("exact").as_bool() {
        query.push(("exact", exact.to_string()));
    }
    query
}

/// `data "cloudflare_zero_trust_access_application"`: one application by `app_id`, or the single
/// application matching `filter`.
#[derive(Debug, Default)]
pub struct AccessApplicationData;

#[tonic::async_trait]
impl DataSource for AccessApplicationData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            description: "An Access application, by id or by filter.",
            attrs: access_schemas::application_data(),
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        let mut diags = validate_account(config);
        if config.get("app_id").is_null() && config.get("filter").is_null() {
            diags.push(Diag::error("Missing required argument", "set app_id or filter."));
        }
        diags
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diag> {
        let apps = format!("{}/apps", account_path(config)?);
        let body: ApplicationBody = match config.get("app_id").as_str() {
            Some(id) => client.get(&format!("{apps}/{id}")).await?,
            None => {
                let mut found: Vec<ApplicationBody> =
                    client.list(&apps, &app_query(config.get("filter"))).await?;
                match found.len() {
                    1 => found.remove(0),
                    0 => {
                        return Err(Diag::error(
                            "no application found",
                            "no Access application matches the filter",
                        ));
                    }
                    n => {
                        return Err(Diag::error(
                            "more than one application found",
                            format!("{n} Access applications match the filter; narrow it or use app_id"),
                        ));
                    }
                }
            }
        };
        let mut state = data_item(&body, &self.schema().attrs);
        for kept in ["account_id", "zone_id", "filter"] {
            state.set(kept, config.get(kept).clone());
        }
        state.set("app_id", Value::str(&body.id));
        Ok(state)
    }
}

/// `data "cloudflare_zero_trust_access_applications"`: the account's applications, filtered.
#[derive(Debug, Default)]
pub struct AccessApplicationsData;

#[tonic::async_trait]
impl DataSource for AccessApplicationsData {
    fn type_name(&self) -> &'static str {
        "cloudflare_zero_trust_access_applications"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            description: "The account's Access applications.",
            attrs: access_schemas::applications_data(),
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        validate_account(config)
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diag> {
        let apps: Vec<ApplicationBody> =
            client.list(&format!("{}/apps", account_path(config)?), &app_query(config)).await?;
        let item_attrs = nested_attrs(&self.schema(), "result");
        let items = apps.iter().take(max_items(config)).map(|body| data_item(body, &item_attrs)).collect();
        let mut state = config.clone();
        state.set("result", Value::List(items));
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY_A: &str = "5b2a1c3e-0000-4000-8000-00000000000a";
    const POLICY_B: &str = "5b2a1c3e-0000-4000-8000-00000000000b";

    fn policy(id: &str, precedence: i64) -> Json {
        json!({"id": id, "name": id, "decision": "non_identity", "include": [{"any_valid_service_token": {}}],
               "require": [], "exclude": [], "session_duration": "24h", "precedence": precedence, "reusable": true,
               "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"})
    }

    /// What gatehouse answers for `config()` (policies in precedence order: B before A).
    fn body() -> ApplicationBody {
        serde_json::from_value(json!({
            "id": "1f0e0e0e-0000-4000-8000-000000000001",
            "aud": "a".repeat(64),
            "name": "Internal API",
            "type": "self_hosted",
            "domain": "api.example.com",
            "destinations": [{"type": "public", "uri": "api.example.com"}],
            "session_duration": "24h",
            "policies": [policy(POLICY_B, 1), policy(POLICY_A, 2)],
            "service_auth_401_redirect": false,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    fn link(id: &str, precedence: Option<f64>) -> Value {
        let mut link = lenient(&json!({"id": id}), &object_type(&policy_link_attrs()));
        link.set("precedence", precedence.map_or(Value::Null, Value::Number));
        link
    }

    /// `account_id`, `name`, `domain`, `type`, and `policies = [{ id = A, precedence = 2 }, { id = B, precedence = 1 }]`.
    fn config() -> Value {
        let mut config = lenient(&json!({}), &resource_schema().ty());
        config.set("account_id", Value::str("acc"));
        config.set("name", Value::str("Internal API"));
        config.set("domain", Value::str("api.example.com"));
        config.set("type", Value::str("self_hosted"));
        config.set("policies", Value::List(vec![link(POLICY_A, Some(2.0)), link(POLICY_B, Some(1.0))]));
        config
    }

    /// Terraform's proposed new state: the configuration, computed attributes from `prior`.
    fn proposed(prior: &Value, config: &Value) -> Value {
        let mut proposed = config.clone();
        for attr in resource_schema().attrs {
            if attr.computed && config.get(attr.name).is_null() {
                proposed.set(attr.name, prior.get(attr.name).clone());
            }
        }
        proposed
    }

    #[test]
    fn schema_matches_the_v5_provider_plus_origin() {
        let schema = resource_schema();
        assert_eq!(schema.version, 500);
        assert_eq!(schema.attrs.len(), 43, "the 42 v5 attributes and gatehouse's origin");
        for supported in [
            "id",
            "account_id",
            "domain",
            "name",
            "type",
            "session_duration",
            "service_auth_401_redirect",
            "read_service_tokens_from_header",
            "destinations",
            "self_hosted_domains",
            "policies",
            "aud",
            "origin",
        ] {
            assert!(schema.attr(supported).unwrap().unsupported.is_none(), "{supported}");
        }
        let refused = schema.attrs.iter().filter(|a| a.unsupported.is_some()).count();
        assert_eq!(refused, 30);
        let aud = schema.attr("aud").unwrap();
        assert!(aud.computed && !aud.optional && aud.keep_on_update);
        let precedence = policy_link_attrs().into_iter().find(|a| a.name == "precedence").unwrap();
        assert!(precedence.optional && precedence.computed);
        let kind = destination_attrs().into_iter().find(|a| a.name == "type").unwrap();
        assert_eq!(kind.default, Some(Value::str("public")));
    }

    #[test]
    fn state_keeps_only_links_in_configured_order() {
        let state = to_state(&body(), &config());
        let links = state.get("policies").as_list().unwrap();
        assert_eq!(links, [link(POLICY_A, Some(2.0)), link(POLICY_B, Some(1.0))]);
        assert_eq!(state.get("service_auth_401_redirect"), &Value::Null, "false is null when not configured");
        assert_eq!(state.get("self_hosted_domains"), &Value::List(vec![Value::str("api.example.com")]));
        assert_eq!(state.get("aud"), &Value::str("a".repeat(64)));
        assert_eq!(state.get("account_id"), &Value::str("acc"));
        // Import: no known order, precedence order.
        let imported = to_state(&body(), &Value::Null);
        assert_eq!(imported.get("policies").as_list().unwrap()[0].get("id"), &Value::str(POLICY_B));
    }

    #[test]
    fn create_plan_is_known_where_gatehouse_is_predictable() {
        let mut config = config();
        config.set("name", Value::Null);
        config.set("policies", Value::List(vec![link(POLICY_A, None), link(POLICY_B, None)]));
        let (planned, replace) = AccessApplication.plan(&Value::Null, &config, &config);
        assert!(replace.is_empty());
        assert_eq!(planned.get("name"), &Value::str("api.example.com"));
        assert_eq!(planned.get("session_duration"), &Value::str("24h"));
        assert_eq!(planned.get("destinations"), &Value::List(vec![public_destination("api.example.com")]));
        assert_eq!(planned.get("self_hosted_domains"), &Value::List(vec![Value::str("api.example.com")]));
        assert_eq!(
            planned.get("policies"),
            &Value::List(vec![link(POLICY_A, Some(1.0)), link(POLICY_B, Some(2.0))])
        );
        assert_eq!(planned.get("app_launcher_visible"), &Value::Null);
        assert_eq!(planned.get("origin"), &Value::Null);
        assert!(planned.get("id").is_unknown() && planned.get("aud").is_unknown());
        let request = to_request(&planned);
        assert_eq!(
            request["policies"],
            json!([{"id": POLICY_A, "precedence": 1}, {"id": POLICY_B, "precedence": 2}])
        );
        assert_eq!(request["destinations"], json!([{"type": "public", "uri": "api.example.com"}]));
        assert_eq!(request["type"], "self_hosted");
        assert!(request.get("origin").is_none());
    }

    #[test]
    fn second_plan_has_no_changes() {
        let config = config();
        let prior = to_state(&body(), &config);
        let (planned, replace) = AccessApplication.plan(&prior, &proposed(&prior, &config), &config);
        assert_eq!(planned, prior);
        assert!(replace.is_empty());
    }

    #[test]
    fn a_new_domain_replans_destinations_and_keeps_identity() {
        let mut config = config();
        let prior = to_state(&body(), &config);
        config.set("domain", Value::str("new.example.com"));
        let (planned, replace) = AccessApplication.plan(&prior, &proposed(&prior, &config), &config);
        assert!(replace.is_empty());
        assert_eq!(planned.get("destinations"), &Value::List(vec![public_destination("new.example.com")]));
        assert_eq!(planned.get("self_hosted_domains"), &Value::List(vec![Value::str("new.example.com")]));
        assert_eq!(planned.get("id"), prior.get("id"));
        assert_eq!(planned.get("aud"), prior.get("aud"));
        assert_eq!(planned.get("session_duration"), &Value::str("24h"));
    }

    #[test]
    fn self_hosted_domains_become_public_destinations() {
        let mut config = config();
        config.set("domain", Value::Null);
        config.set(
            "self_hosted_domains",
            Value::List(vec![Value::str("b.example.com"), Value::str("a.example.com")]),
        );
        let (planned, _) = AccessApplication.plan(&Value::Null, &config, &config);
        assert_eq!(
            planned.get("destinations"),
            &Value::List(vec![public_destination("a.example.com"), public_destination("b.example.com")])
        );
        assert_eq!(planned.get("domain"), &Value::str("a.example.com"));
    }

    #[test]
    fn validation_refuses_what_gatehouse_cannot_protect() {
        assert!(AccessApplication.validate(&config()).is_empty());
        let mut saas = config();
        saas.set("type", Value::str("saas"));
        assert!(AccessApplication.validate(&saas)[0].detail.contains("self_hosted"));
        let mut nowhere = config();
        nowhere.set("domain", Value::Null);
        assert!(AccessApplication.validate(&nowhere)[0].detail.contains("domain"));
        let mut inline = config();
        inline.set("policies", Value::List(vec![link(POLICY_A, Some(1.0))]));
        if let Value::List(items) = inline.get("policies").clone() {
            let mut item = items[0].clone();
            item.set("id", Value::Null);
            item.set("decision", Value::str("allow"));
            inline.set("policies", Value::List(vec![item]));
        }
        assert!(AccessApplication.validate(&inline)[0].detail.contains("by id"));
        let refused = resource_schema().unsupported_in(&inline);
        assert_eq!(refused[0].0, "policies[0].decision");
        let mut private = config();
        let mut destination = public_destination("x");
        destination.set("type", Value::str("private"));
        destination.set("cidr", Value::str("10.0.0.0/8"));
        private.set("destinations", Value::List(vec![destination]));
        assert!(
            resource_schema().unsupported_in(&private).iter().any(|(path, _)| path == "destinations[0].cidr")
        );
        assert!(AccessApplication.validate(&private).iter().any(|d| d.summary == "Unsupported destination"));
    }

    #[test]
    fn data_sources_expand_policies() {
        let data = AccessApplicationData.schema();
        assert!(data.attr("app_id").unwrap().optional);
        let item = data_item(&body(), &data.attrs);
        assert_eq!(item.get("domain"), &Value::str("api.example.com"));
        let policies = item.get("policies").as_list().unwrap();
        assert_eq!(policies[0].get("decision"), &Value::str("non_identity"));
        assert_eq!(policies[0].get("precedence"), &Value::Number(1.0));
        assert!(!policies[0].get("include").as_list().unwrap()[0].get("any_valid_service_token").is_null());
        assert_eq!(item.get("self_hosted_domains"), &Value::List(vec![Value::str("api.example.com")]));
        let mut filter = Value::Null;
        filter.set("domain", Value::str("api.example.com"));
        filter.set("exact", Value::Bool(true));
        assert_eq!(
            app_query(&filter),
            [("domain", "api.example.com".to_string()), ("exact", "true".to_string())]
        );
        assert!(AccessApplicationsData.schema().attr("result").unwrap().computed);
    }
}
