//! `cloudflare_zero_trust_access_service_token` and its data sources.

use gatehouse_api_types::{CreateServiceTokenRequest, ServiceTokenBody, UpdateServiceTokenRequest};

use crate::client::Client;
use crate::resource::{DataSource, Diag, Resource, parse_scoped_import_id, scope_of, validate_scope};
use crate::schema::{Attr, Nesting, Schema};
use crate::value::{Ty, Value};

pub const TYPE_NAME: &str = "cloudflare_zero_trust_access_service_token";

/// Why `zone_id` is refused: gatehouse's API has no zones.
pub const NO_ZONES: &str = "gatehouse has accounts only (no zone-scoped Access paths); use account_id.";

/// The resource.
#[derive(Debug, Default)]
pub struct ServiceToken;

pub fn resource_schema() -> Schema {
    Schema {
        version: 500,
        description: "A service token: a client id and secret that machines send to pass Access policies.",
        attrs: vec![
            Attr::computed("id", Ty::String, "The ID of the service token.").keep_on_update(),
            Attr::optional("account_id", Ty::String, "The Account ID to use for this endpoint. Mutually exclusive with the Zone ID.")
                .requires_replace(),
            Attr::optional("zone_id", Ty::String, "The Zone ID to use for this endpoint. Mutually exclusive with the Account ID.")
                .requires_replace()
                .unsupported(NO_ZONES),
            Attr::required("name", Ty::String, "The name of the service token."),
            Attr::optional(
                "previous_client_secret_expires_at",
                Ty::String,
                "The expiration of the previous `client_secret` (RFC 3339). Requires `client_secret_version`.",
            ),
            Attr::optional_computed(
                "client_secret_version",
                Ty::Number,
                "A version number identifying the current `client_secret`. Incrementing it rotates the secret; the previous secret is still accepted until `previous_client_secret_expires_at`.",
            )
            .default(Value::Number(1.0)),
            Attr::optional_computed(
                "duration",
                Ty::String,
                "How long the service token is valid: a Go duration such as `8760h` or `2h45m`, or `forever`. Default 8760h.",
            )
            .default(Value::str("8760h")),
            Attr::computed("client_id", Ty::String, "The Client ID, sent in the `CF-Access-Client-Id` header.").keep_on_update(),
            Attr::computed("client_secret", Ty::String, "The Client Secret, sent in the `CF-Access-Client-Secret` header.")
                .sensitive()
                .keep_on_update(),
            Attr::computed("expires_at", Ty::String, "When the service token expires (RFC 3339)."),
        ],
    }
}

/// The state of a token as the API returns it. `known` supplies what the API does not return or
/// what the v5 provider does not refresh: the secret (only in create/rotate answers), the secret
/// version and the previous secret's expiry (`no_refresh`), and the scope.
fn to_state(body: &ServiceTokenBody, known: &Value) -> Value {
    let mut state = Value::Null;
    state.set("id", Value::str(&body.id));
    state.set("account_id", known.get("account_id").clone());
    state.set("zone_id", known.get("zone_id").clone());
    state.set("name", Value::str(&body.name));
    state.set("duration", Value::str(&body.duration));
    state.set("client_id", Value::str(&body.client_id));
    let secret = match &body.client_secret {
        Some(secret) => Value::str(secret),
        None => known.get("client_secret").clone(),
    };
    state.set("client_secret", if secret.is_unknown() { Value::Null } else { secret });
    state.set("expires_at", Value::str(&body.expires_at));
    let version = match known.get("client_secret_version") {
        Value::Number(n) => Value::Number(*n),
        #[allow(clippy::cast_precision_loss, reason = "secret versions are small integers")]
        _ => Value::Number(body.client_secret_version as f64),
    };
    state.set("client_secret_version", version);
    let previous = match known.get("previous_client_secret_expires_at") {
        Value::String(s) => Value::str(s),
        _ => Value::Null,
    };
    state.set("previous_client_secret_expires_at", previous);
    state
}

fn token_path(state: &Value) -> Result<String, Diag> {
    let id = state
        .get("id")
        .as_str()
        .ok_or_else(|| Diag::error("missing id", "the state has no service token id"))?;
    Ok(format!("{}/service_tokens/{id}", scope_of(state)?))
}

fn version_of(value: &Value) -> Option<f64> {
    value.get("client_secret_version").as_f64()
}

#[tonic::async_trait]
impl Resource for ServiceToken {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        resource_schema()
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        let mut diags = validate_scope(config);
        let version = config.get("client_secret_version");
        let previous = config.get("previous_client_secret_expires_at");
        // stringvalidator.AlsoRequires / float64validator.AlsoRequires in the v5 schema.
        if !version.is_null() && previous.is_null() {
            diags.push(
                Diag::error(
                    "Invalid Attribute Combination",
                    "Attribute \"previous_client_secret_expires_at\" must be specified when \"client_secret_version\" is specified",
                )
                .at("client_secret_version"),
            );
        }
        if !previous.is_null() && version.is_null() {
            diags.push(
                Diag::error(
                    "Invalid Attribute Combination",
                    "Attribute \"client_secret_version\" must be specified when \"previous_client_secret_expires_at\" is specified",
                )
                .at("previous_client_secret_expires_at"),
            );
        }
        if let Some(v) = version.as_f64()
            && (v < 1.0 || v.fract() != 0.0)
        {
            diags.push(
                Diag::error("Invalid client_secret_version", format!("must be a whole number ≥ 1, got {v}"))
                    .at("client_secret_version"),
            );
        }
        diags
    }

    fn plan(&self, prior: &Value, proposed: &Value, config: &Value) -> (Value, Vec<&'static str>) {
        let (mut planned, replace) = self.schema().plan(prior, proposed, config);
        // The v5 provider's ModifyPlan: a new secret version means a new secret.
        if !prior.is_null() && version_of(prior) != version_of(&planned) {
            planned.set("client_secret", Value::Unknown);
        }
        (planned, replace)
    }

    async fn create(&self, client: &Client, planned: &Value) -> Result<Value, Diag> {
        let request = CreateServiceTokenRequest {
            name: planned.get("name").as_str().unwrap_or_default().to_string(),
            duration: planned.get("duration").as_str().map(str::to_string),
            client_secret_version: version_of(planned),
            previous_client_secret_expires_at: planned
                .get("previous_client_secret_expires_at")
                .as_str()
                .map(str::to_string),
            ..Default::default()
        };
        let path = format!("{}/service_tokens", scope_of(planned)?);
        let body: ServiceTokenBody = client.post(&path, &request).await?;
        Ok(to_state(&body, planned))
    }

    async fn read(&self, client: &Client, state: &Value) -> Result<Option<Value>, Diag> {
        match client.get::<ServiceTokenBody>(&token_path(state)?).await {
            Ok(body) => Ok(Some(to_state(&body, state))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn update(&self, client: &Client, prior: &Value, planned: &Value) -> Result<Value, Diag> {
        let changed = |name: &str| planned.get(name) != prior.get(name);
        let text =
            |name: &str| if changed(name) { planned.get(name).as_str().map(str::to_string) } else { None };
        let request = UpdateServiceTokenRequest {
            name: text("name"),
            duration: text("duration"),
            enabled: None,
            client_secret_version: if changed("client_secret_version") { version_of(planned) } else { None },
            previous_client_secret_expires_at: text("previous_client_secret_expires_at"),
        };
        let body: ServiceTokenBody = client.put(&token_path(prior)?, &request).await?;
        let mut known = planned.clone();
        // The secret stays what it was unless the answer carries a new one.
        if known.get("client_secret").is_unknown() {
            known.set("client_secret", prior.get("client_secret").clone());
        }
        Ok(to_state(&body, &known))
    }

    async fn delete(&self, client: &Client, state: &Value) -> Result<(), Diag> {
        match client.delete(&token_path(state)?).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn import(&self, client: &Client, id: &str) -> Result<Value, Diag> {
        let (scope_attr, scope, token_id) = parse_scoped_import_id(id, "service_token_id")?;
        if scope_attr == "zone_id" {
            return Err(Diag::error("zone-scoped import is not supported", NO_ZONES));
        }
        let mut known = Value::Null;
        known.set(scope_attr, Value::str(scope));
        known.set("id", Value::str(&token_id));
        let body: ServiceTokenBody = client.get(&token_path(&known)?).await?;
        Ok(to_state(&body, &known))
    }
}

/// The attributes a data source reports for one token (the secret is never readable).
fn token_data_attrs() -> Vec<Attr> {
    vec![
        Attr::computed("id", Ty::String, "The ID of the service token."),
        Attr::computed("name", Ty::String, "The name of the service token."),
        Attr::computed("client_id", Ty::String, "The Client ID for the service token."),
        Attr::computed("duration", Ty::String, "The duration for how long the service token will be valid."),
        Attr::computed("expires_at", Ty::String, "When the service token expires (RFC 3339)."),
        Attr::computed("created_at", Ty::String, "When the service token was created (RFC 3339)."),
        Attr::computed("updated_at", Ty::String, "When the service token was last changed (RFC 3339)."),
        Attr::computed(
            "last_seen_at",
            Ty::String,
            "The last successful authentication with the token (RFC 3339).",
        ),
    ]
}

fn token_data(body: &ServiceTokenBody, into: &mut Value) {
    into.set("id", Value::str(&body.id));
    into.set("name", Value::str(&body.name));
    into.set("client_id", Value::str(&body.client_id));
    into.set("duration", Value::str(&body.duration));
    into.set("expires_at", Value::str(&body.expires_at));
    into.set("created_at", Value::str(&body.created_at));
    into.set("updated_at", Value::str(&body.updated_at));
    into.set("last_seen_at", Value::opt_str(body.last_seen_at.as_deref()));
}

/// `data "cloudflare_zero_trust_access_service_token"`: one token by `service_token_id`, or the
/// single token matching `filter`.
#[derive(Debug, Default)]
pub struct ServiceTokenData;

#[tonic::async_trait]
impl DataSource for ServiceTokenData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let mut attrs = vec![
            Attr::optional("service_token_id", Ty::String, "UUID of the service token."),
            Attr::optional(
                "account_id",
                Ty::String,
                "The Account ID to use for this endpoint. Mutually exclusive with the Zone ID.",
            ),
            Attr::optional(
                "zone_id",
                Ty::String,
                "The Zone ID to use for this endpoint. Mutually exclusive with the Account ID.",
            )
            .unsupported(NO_ZONES),
            Attr::nested(
                "filter",
                Nesting::Single,
                vec![
                    Attr::optional("name", Ty::String, "The name of the service token."),
                    Attr::optional(
                        "search",
                        Ty::String,
                        "Search for service tokens by other listed query parameters.",
                    ),
                ],
                "Find the token by name instead of by id.",
            )
            .with_optional(),
        ];
        attrs.extend(token_data_attrs().into_iter().filter(|a| a.name != "id").chain([Attr::computed(
            "id",
            Ty::String,
            "The ID of the service token.",
        )]));
        Schema { version: 0, description: "A service token, by id or by name.", attrs }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        let mut diags = validate_scope(config);
        if config.get("service_token_id").is_null() && config.get("filter").is_null() {
            diags.push(Diag::error("Missing required argument", "set service_token_id or filter."));
        }
        diags
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diag> {
        let scope = scope_of(config)?;
        let body: ServiceTokenBody = match config.get("service_token_id").as_str() {
            Some(id) => client.get(&format!("{scope}/service_tokens/{id}")).await?,
            None => {
                let filter = config.get("filter");
                let mut query = Vec::new();
                if let Some(name) = filter.get("name").as_str() {
                    query.push(("name", name.to_string()));
                }
                if let Some(search) = filter.get("search").as_str() {
                    query.push(("search", search.to_string()));
                }
                let mut found: Vec<ServiceTokenBody> =
                    client.list(&format!("{scope}/service_tokens"), &query).await?;
                match found.len() {
                    1 => found.remove(0),
                    0 => {
                        return Err(Diag::error(
                            "no service token found",
                            "no service token matches the filter",
                        ));
                    }
                    n => {
                        return Err(Diag::error(
                            "more than one service token found",
                            format!("{n} service tokens match the filter; narrow it or use service_token_id"),
                        ));
                    }
                }
            }
        };
        let mut state = config.clone();
        token_data(&body, &mut state);
        state.set("service_token_id", Value::str(&body.id));
        Ok(state)
    }
}

/// `data "cloudflare_zero_trust_access_service_tokens"`: every token of the account or zone.
#[derive(Debug, Default)]
pub struct ServiceTokensData;

#[tonic::async_trait]
impl DataSource for ServiceTokensData {
    fn type_name(&self) -> &'static str {
        "cloudflare_zero_trust_access_service_tokens"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            description: "The service tokens of an account or zone.",
            attrs: vec![
                Attr::optional(
                    "account_id",
                    Ty::String,
                    "The Account ID to use for this endpoint. Mutually exclusive with the Zone ID.",
                ),
                Attr::optional(
                    "zone_id",
                    Ty::String,
                    "The Zone ID to use for this endpoint. Mutually exclusive with the Account ID.",
                )
                .unsupported(NO_ZONES),
                Attr::optional("name", Ty::String, "The name of the service token."),
                Attr::optional(
                    "search",
                    Ty::String,
                    "Search for service tokens by other listed query parameters.",
                ),
                Attr::optional("max_items", Ty::Number, "Max items to fetch, default: 1000"),
                Attr::nested(
                    "result",
                    Nesting::List,
                    token_data_attrs(),
                    "The items returned by the data source",
                )
                .with_computed(),
            ],
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        validate_scope(config)
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diag> {
        let scope = scope_of(config)?;
        let mut query = Vec::new();
        for key in ["name", "search"] {
            if let Some(v) = config.get(key).as_str() {
                query.push((key, v.to_string()));
            }
        }
        let tokens: Vec<ServiceTokenBody> = client.list(&format!("{scope}/service_tokens"), &query).await?;
        let max = config.get("max_items").as_f64().unwrap_or(1000.0);
        let items = tokens
            .iter()
            .take(if max < 0.0 { 0 } else { max as usize })
            .map(|body| {
                let mut item = Value::Null;
                token_data(body, &mut item);
                item
            })
            .collect();
        let mut state = config.clone();
        state.set("result", Value::List(items));
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(secret: Option<&str>) -> ServiceTokenBody {
        ServiceTokenBody {
            id: "7c0e5a8e-0000-4000-8000-000000000001".into(),
            name: "GitHub Actions".into(),
            client_id: "0123456789abcdef0123456789abcdef.access".into(),
            client_secret: secret.map(str::to_string),
            duration: "8760h".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            expires_at: "2027-01-01T00:00:00Z".into(),
            last_seen_at: None,
            client_secret_version: 3,
            previous_client_secret_expires_at: Some("2026-02-01T00:00:00Z".into()),
            enabled: true,
            client_secret_last_seen_at: None,
            previous_client_secret_last_seen_at: None,
        }
    }

    fn config() -> Value {
        let mut config = Value::Null;
        config.set("account_id", Value::str("acc"));
        config.set("name", Value::str("GitHub Actions"));
        config.set("duration", Value::str("8760h"));
        config
    }

    #[test]
    fn schema_matches_the_v5_provider() {
        let schema = resource_schema();
        assert_eq!(schema.version, 500);
        let secret = schema.attr("client_secret").unwrap();
        assert!(secret.computed && secret.sensitive && !secret.optional);
        let version = schema.attr("client_secret_version").unwrap();
        assert!(version.optional && version.computed);
        assert_eq!(version.ty(), Ty::Number);
        assert_eq!(version.default, Some(Value::Number(1.0)));
        assert_eq!(schema.attr("duration").unwrap().default, Some(Value::str("8760h")));
        assert!(schema.attr("account_id").unwrap().requires_replace);
        assert!(schema.attr("name").unwrap().required);
        let names: Vec<_> = schema.attrs.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "id",
                "account_id",
                "zone_id",
                "name",
                "previous_client_secret_expires_at",
                "client_secret_version",
                "duration",
                "client_id",
                "client_secret",
                "expires_at"
            ]
        );
    }

    #[test]
    fn create_plan_fills_defaults_and_unknowns() {
        let mut config = config();
        config.set("duration", Value::Null);
        let (planned, replace) = ServiceToken.plan(&Value::Null, &config, &config);
        assert!(replace.is_empty());
        assert_eq!(planned.get("duration"), &Value::str("8760h"));
        assert_eq!(planned.get("client_secret_version"), &Value::Number(1.0));
        for computed in ["id", "client_id", "client_secret", "expires_at"] {
            assert!(planned.get(computed).is_unknown(), "{computed}");
        }
    }

    #[test]
    fn state_keeps_the_secret_the_api_no_longer_returns() {
        let mut known = config();
        known.set("client_secret", Value::str("cfast_old"));
        let state = to_state(&body(None), &known);
        assert_eq!(state.get("client_secret"), &Value::str("cfast_old"));
        assert_eq!(state.get("account_id"), &Value::str("acc"));
        // Without a known version (import), the API's version.
        assert_eq!(state.get("client_secret_version"), &Value::Number(3.0));
        known.set("client_secret_version", Value::Number(2.0));
        // Otherwise not refreshed: the version the configuration asked for.
        assert_eq!(to_state(&body(None), &known).get("client_secret_version"), &Value::Number(2.0));
        let rotated = to_state(&body(Some("cfast_new")), &known);
        assert_eq!(rotated.get("client_secret"), &Value::str("cfast_new"));
    }

    #[test]
    fn unchanged_state_plans_no_change_and_bumped_version_plans_a_new_secret() {
        let mut known = config();
        known.set("client_secret_version", Value::Number(1.0));
        let prior = to_state(&body(Some("cfast_s")), &known);
        let mut proposed = prior.clone();
        let (planned, replace) = ServiceToken.plan(&prior, &proposed, &config());
        assert_eq!(planned, prior);
        assert!(replace.is_empty());

        let mut config = config();
        config.set("client_secret_version", Value::Number(2.0));
        config.set("previous_client_secret_expires_at", Value::str("2030-01-01T00:00:00Z"));
        proposed.set("client_secret_version", Value::Number(2.0));
        proposed.set("previous_client_secret_expires_at", Value::str("2030-01-01T00:00:00Z"));
        let (planned, _) = ServiceToken.plan(&prior, &proposed, &config);
        assert!(planned.get("client_secret").is_unknown());
        assert!(planned.get("expires_at").is_unknown());
        assert_eq!(planned.get("client_id"), prior.get("client_id"));
        assert_eq!(planned.get("id"), prior.get("id"));
    }

    #[test]
    fn moving_account_replaces() {
        let prior = to_state(&body(Some("s")), &config());
        let mut proposed = prior.clone();
        proposed.set("account_id", Value::str("other"));
        let mut config = config();
        config.set("account_id", Value::str("other"));
        let (_, replace) = ServiceToken.plan(&prior, &proposed, &config);
        assert_eq!(replace, ["account_id"]);
    }

    #[test]
    fn version_and_previous_expiry_go_together() {
        let mut config = config();
        config.set("client_secret_version", Value::Number(2.0));
        let diags = ServiceToken.validate(&config);
        assert_eq!(diags.len(), 1);
        assert!(diags[0].detail.contains("previous_client_secret_expires_at"));
        config.set("previous_client_secret_expires_at", Value::str("2030-01-01T00:00:00Z"));
        assert!(ServiceToken.validate(&config).is_empty());
        config.set("zone_id", Value::str("z"));
        assert_eq!(ServiceToken.validate(&config).len(), 1);
    }

    #[test]
    fn zone_id_is_refused_not_ignored() {
        let mut config = config();
        config.set("account_id", Value::Null);
        config.set("zone_id", Value::str("z"));
        let refused = resource_schema().unsupported_in(&config);
        assert_eq!(refused, [("zone_id".to_string(), NO_ZONES)]);
        assert_eq!(ServiceTokenData.schema().unsupported_in(&config).len(), 1);
        assert_eq!(ServiceTokensData.schema().unsupported_in(&config).len(), 1);
        assert!(resource_schema().unsupported_in(&self::config()).is_empty());
    }

    #[tokio::test]
    async fn zone_import_ids_are_refused_before_any_call() {
        // Nothing listens on port 9: a call would fail with a transport error instead.
        let client = Client::new("http://127.0.0.1:9/client/v4", None, "test").unwrap();
        let err = ServiceToken.import(&client, "zones/z/7c0e").await.unwrap_err();
        assert_eq!(err.summary, "zone-scoped import is not supported");
        let err = ServiceToken.import(&client, "7c0e").await.unwrap_err();
        assert!(err.detail.contains("<{accounts|zones}/{account_id|zone_id}>/<service_token_id>"), "{err:?}");
    }

    #[test]
    fn import_ids_follow_the_v5_format() {
        assert!(parse_scoped_import_id("accounts/acc/7c0e", "service_token_id").is_ok());
    }
}
