//! What a resource or data source implements, and the diagnostics they return.

use crate::client::{ApiError, Client};
use crate::schema::Schema;
use crate::value::Value;

/// An error or warning shown by Terraform.
#[derive(Debug, Clone, PartialEq)]
pub struct Diag {
    pub error: bool,
    pub summary: String,
    pub detail: String,
    /// The top-level attribute the diagnostic is about.
    pub attribute: Option<String>,
}

impl Diag {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diag {
        Diag { error: true, summary: summary.into(), detail: detail.into(), attribute: None }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diag {
        Diag { error: false, summary: summary.into(), detail: detail.into(), attribute: None }
    }

    pub fn at(mut self, attribute: impl Into<String>) -> Diag {
        self.attribute = Some(attribute.into());
        self
    }

    /// An API failure: the gatehouse error codes and messages, as the summary says which call.
    pub fn api(error: &ApiError) -> Diag {
        Diag::error("failed to make http request", error.to_string())
    }
}

impl From<ApiError> for Diag {
    fn from(error: ApiError) -> Diag {
        Diag::api(&error)
    }
}

/// A managed resource type.
#[tonic::async_trait]
pub trait Resource: Send + Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks a configuration (which may hold unknown values) beyond what the schema says.
    fn validate(&self, _config: &Value) -> Vec<Diag> {
        Vec::new()
    }

    /// Plans a create (`prior` null) or an update; returns the planned state and the attributes
    /// that force a replacement.
    fn plan(&self, prior: &Value, proposed: &Value, config: &Value) -> (Value, Vec<&'static str>) {
        self.schema().plan(prior, proposed, config)
    }

    async fn create(&self, client: &Client, planned: &Value) -> Result<Value, Diag>;

    /// The current state, or `None` when the object is gone (Terraform then plans to recreate it).
    async fn read(&self, client: &Client, state: &Value) -> Result<Option<Value>, Diag>;

    async fn update(&self, client: &Client, prior: &Value, planned: &Value) -> Result<Value, Diag>;

    async fn delete(&self, client: &Client, state: &Value) -> Result<(), Diag>;

    /// The state of an existing object named by an import id.
    async fn import(&self, client: &Client, id: &str) -> Result<Value, Diag>;
}

/// A data source type.
#[tonic::async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value) -> Vec<Diag> {
        Vec::new()
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diag>;
}

/// Splits an import id of the form `<accounts|zones>/<scope id>/<object id>` (the v5 provider's
/// format) into the scope attribute name (`account_id` or `zone_id`), its value and the object id.
pub fn parse_scoped_import_id(id: &str, object: &str) -> Result<(&'static str, String, String), Diag> {
    let format = format!("<{{accounts|zones}}/{{account_id|zone_id}}>/<{object}>");
    let parts: Vec<&str> = id.split('/').collect();
    let [kind, scope, object_id] = parts.as_slice() else {
        return Err(Diag::error(
            "invalid import id",
            format!("expected an import id of the form {format}, got {id:?}"),
        ));
    };
    let scope_attr = match *kind {
        "accounts" => "account_id",
        "zones" => "zone_id",
        _ => {
            return Err(Diag::error(
                "invalid discriminator segment - <{accounts|zones}/{account_id|zone_id}>",
                "expected discriminator to be one of {accounts|zones}",
            ));
        }
    };
    if scope.is_empty() || object_id.is_empty() {
        return Err(Diag::error(
            "invalid import id",
            format!("expected an import id of the form {format}, got {id:?}"),
        ));
    }
    Ok((scope_attr, (*scope).to_string(), (*object_id).to_string()))
}

/// Splits an import id of the form `<account_id>/<object id>` (account-only resources).
pub fn parse_account_import_id(id: &str, object: &str) -> Result<(String, String), Diag> {
    match id.split('/').collect::<Vec<_>>().as_slice() {
        [account, object_id] if !account.is_empty() && !object_id.is_empty() => {
            Ok(((*account).to_string(), (*object_id).to_string()))
        }
        _ => Err(Diag::error(
            "invalid import id",
            format!("expected an import id of the form <account_id>/<{object}>, got {id:?}"),
        )),
    }
}

/// The `account_id`/`zone_id` of a state or plan, as the API path prefix.
pub fn scope_of(value: &Value) -> Result<String, Diag> {
    crate::client::scope_path(value.get("account_id").as_str(), value.get("zone_id").as_str())
        .map_err(|e| Diag::error("invalid scope", e))
}

/// Requires the configuration to set exactly one of `account_id` and `zone_id` (unknown counts
/// as set).
pub fn validate_scope(config: &Value) -> Vec<Diag> {
    let account = !config.get("account_id").is_null();
    let zone = !config.get("zone_id").is_null();
    match (account, zone) {
        (true, true) => vec![
            Diag::error(
                "Invalid Attribute Combination",
                "account_id and zone_id are mutually exclusive: set only one.",
            )
            .at("zone_id"),
        ],
        (false, false) => {
            vec![
                Diag::error("Missing required argument", "one of account_id or zone_id must be set.")
                    .at("account_id"),
            ]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_import_ids() {
        assert_eq!(
            parse_scoped_import_id("accounts/abc/tid", "service_token_id").unwrap(),
            ("account_id", "abc".to_string(), "tid".to_string())
        );
        assert_eq!(parse_scoped_import_id("zones/z/tid", "service_token_id").unwrap().0, "zone_id");
        assert!(parse_scoped_import_id("abc/tid", "service_token_id").is_err());
        assert!(parse_scoped_import_id("users/abc/tid", "service_token_id").is_err());
        assert!(parse_scoped_import_id("accounts//tid", "service_token_id").is_err());
    }

    #[test]
    fn account_import_ids() {
        assert_eq!(
            parse_account_import_id("abc/pid", "policy_id").unwrap(),
            ("abc".to_string(), "pid".to_string())
        );
        assert!(parse_account_import_id("accounts/abc/pid", "policy_id").is_err());
    }
}
