//! Request bodies of policies and groups, and the checks every access document shares: a name,
//! rule lists that the policy engine can read (stored exactly as sent), a session duration.
//! Fields the server owns (`id`, timestamps, counts) are dropped from what a client sends, so
//! that echoing a GET back as a PUT works; every other unknown field is kept in `extra`.

use gatehouse_api_types::{DecisionName, rule_list};
use gatehouse_domain::access::{AppId, Decision, Group, GroupId, Policy, PolicyId, RuleError, parse_rules};
use gatehouse_domain::{DurationError, TokenDuration};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::ApiError;

const MAX_NAME_LEN: usize = 350;

/// Fields of a policy that only the server sets.
const POLICY_SERVER_FIELDS: [&str; 7] =
    ["id", "created_at", "updated_at", "reusable", "app_count", "app_id", "account_id"];
/// Fields of a group that only the server sets.
const GROUP_SERVER_FIELDS: [&str; 4] = ["id", "created_at", "updated_at", "account_id"];

/// A policy as a client sends it, reusable or app-scoped (inline in an application too).
/// Fields not listed are kept and returned unchanged.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PolicyInput {
    /// Required: 1 to 350 characters, no control characters.
    #[schema(value_type = String, min_length = 1, max_length = 350)]
    name: Option<String>,
    /// Required.
    #[schema(value_type = DecisionName)]
    decision: Option<Decision>,
    /// Required: at least one rule; the policy matches when any matches.
    #[schema(schema_with = rule_list, required = true)]
    include: Option<Vec<Value>>,
    /// Every rule must match.
    #[schema(schema_with = rule_list)]
    require: Option<Vec<Value>>,
    /// No rule may match.
    #[schema(schema_with = rule_list)]
    exclude: Option<Vec<Value>>,
    /// A positive Go duration, e.g. `24h`.
    session_duration: Option<String>,
    /// Only meaningful for app-scoped policies; the caller reads it.
    pub precedence: Option<i64>,
    #[serde(flatten)]
    #[schema(ignore)]
    extra: Map<String, Value>,
}

impl PolicyInput {
    /// Validates the policy. `at` says where it is in the request: `""`, or `"policies[2]."` for
    /// an application's inline policy, so that messages name the exact field.
    pub fn into_policy(self, id: PolicyId, app_id: Option<AppId>, at: &str) -> Result<Policy, ApiError> {
        let name = name(self.name, at)?;
        let decision = self.decision.ok_or_else(|| {
            ApiError::invalid(format!("'{at}decision' is required: one of allow, deny, non_identity, bypass"))
        })?;
        let Rules { include, require, exclude } = Rules::check(self.include, self.require, self.exclude, at)?;
        let session_duration = session_duration(self.session_duration, at)?;
        Ok(Policy {
            id,
            name,
            decision,
            include,
            require,
            exclude,
            session_duration,
            app_id,
            precedence: None,
            extra: without(self.extra, &POLICY_SERVER_FIELDS),
        })
    }
}

/// An access group as a client sends it; `is_default` and the like stay in `extra`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GroupInput {
    /// Required: 1 to 350 characters, no control characters.
    #[schema(value_type = String, min_length = 1, max_length = 350)]
    name: Option<String>,
    /// Required: at least one rule.
    #[schema(schema_with = rule_list, required = true)]
    include: Option<Vec<Value>>,
    #[schema(schema_with = rule_list)]
    require: Option<Vec<Value>>,
    #[schema(schema_with = rule_list)]
    exclude: Option<Vec<Value>>,
    #[serde(flatten)]
    #[schema(ignore)]
    extra: Map<String, Value>,
}

impl GroupInput {
    pub fn into_group(self, id: GroupId) -> Result<Group, ApiError> {
        let name = name(self.name, "")?;
        let Rules { include, require, exclude } = Rules::check(self.include, self.require, self.exclude, "")?;
        Ok(Group { id, name, include, require, exclude, extra: without(self.extra, &GROUP_SERVER_FIELDS) })
    }
}

/// The three rule lists, validated.
struct Rules {
    include: Vec<Value>,
    require: Vec<Value>,
    exclude: Vec<Value>,
}

impl Rules {
    fn check(
        include: Option<Vec<Value>>,
        require: Option<Vec<Value>>,
        exclude: Option<Vec<Value>>,
        at: &str,
    ) -> Result<Self, ApiError> {
        let include = include.unwrap_or_default();
        if include.is_empty() {
            return Err(ApiError::invalid(format!(
                "invalid '{at}include' configuration: at least one rule is required"
            )));
        }
        let require = require.unwrap_or_default();
        let exclude = exclude.unwrap_or_default();
        for (list, rules) in [("include", &include), ("require", &require), ("exclude", &exclude)] {
            parse_rules(list, rules).map_err(|error| rule_error(&error, at))?;
        }
        Ok(Rules { include, require, exclude })
    }
}

/// `invalid 'include[0]' configuration: …`, with the position of an inline policy in front.
fn rule_error(error: &RuleError, at: &str) -> ApiError {
    ApiError::invalid(format!(
        "invalid '{at}{}[{}]' configuration: {}",
        error.list, error.index, error.message
    ))
}

/// A required display name: trimmed, not empty, bounded, no control characters.
pub fn name(name: Option<String>, at: &str) -> Result<String, ApiError> {
    let name = name.unwrap_or_default();
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(ApiError::invalid(format!("'{at}name' is required and must not be empty")));
    }
    if trimmed.chars().count() > MAX_NAME_LEN || trimmed.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "invalid '{at}name': at most {MAX_NAME_LEN} characters, no control characters"
        )));
    }
    Ok(trimmed.to_owned())
}

/// An optional session lifetime: a positive Go duration (`forever` makes no sense for a session).
pub fn session_duration(text: Option<String>, at: &str) -> Result<Option<String>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    match TokenDuration::parse(&text) {
        Ok(TokenDuration::Finite { .. }) => Ok(Some(text)),
        Err(error @ DurationError::NotPositive(_)) => {
            Err(ApiError::invalid(format!("invalid '{at}session_duration': {error}")))
        }
        Ok(TokenDuration::Forever) | Err(DurationError::Invalid(_)) => Err(ApiError::invalid(format!(
            "invalid '{at}session_duration': expected a Go duration such as \"24h\" or \"30m\""
        ))),
    }
}

/// `extra` without the fields only the server sets.
pub fn without(mut extra: Map<String, Value>, server_fields: &[&str]) -> Map<String, Value> {
    for field in server_fields {
        extra.remove(*field);
    }
    extra
}

/// Parses a JSON value as `T`, naming the failing field below `at` (e.g. `policies[1].`).
pub fn from_value<T: serde::de::DeserializeOwned>(value: Value, at: &str) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { at.trim_end_matches('.').to_owned() } else { format!("{at}{path}") };
        ApiError::invalid(format!("invalid '{field}': {}", error.into_inner()))
    })
}
