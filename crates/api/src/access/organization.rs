//! The account's Access organization: one document per account (id = account id), created with
//! gatehouse's defaults the first time it is read or changed. PUT and PATCH both change only the
//! fields they give (the SDKs use PUT with a partial body, the docs PATCH).
//!
//! Default `strict_service_token_auth` is `false`, unlike new Cloudflare organizations: in
//! non-strict mode the user guide's "Allow Both Users and Service Tokens" (an `allow` policy
//! naming a token) admits the token.

use gatehouse_domain::AccountId;
use gatehouse_domain::access::Organization;
use serde_json::{Map, Value};

use super::document::load;
use super::input::name;
use super::{MAX_ATTEMPTS, Stored, commit, gave_up, output};
use crate::audit::{self, Change};
use crate::error::ApiError;
use crate::state::AppState;
use gatehouse_domain::AuditActor;

pub const DEFAULT_NAME: &str = "gatehouse";
/// The JWT issuer is `https://<auth_domain>`.
pub const DEFAULT_AUTH_DOMAIN: &str = "gatehouse.local";
const SERVER_FIELDS: [&str; 2] = ["created_at", "updated_at"];
const INACTIVITY_DAYS: std::ops::RangeInclusive<i64> = 30..=365;

pub async fn get(state: &AppState, account: &AccountId) -> Result<Value, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let (stored, exists) = load_or_default(state, account).await?;
        if exists || commit(state, account, &[stored.insert()?]).await? {
            return Ok(output::organization(&stored));
        }
    }
    Err(gave_up())
}

/// The organization as stored, without creating it (for the audit log's old value): `None`
/// before its first read or write.
pub async fn peek(state: &AppState, account: &AccountId) -> Result<Option<Value>, ApiError> {
    let (stored, exists) = load_or_default(state, account).await?;
    Ok(exists.then(|| output::organization(&stored)))
}

/// Changes the given fields; `service_token_inactivity: null` removes that setting.
pub async fn update(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    changes: Map<String, Value>,
) -> Result<Value, ApiError> {
    let changes = validate(changes)?;
    for _ in 0..MAX_ATTEMPTS {
        let now = state.clock.now();
        let (mut stored, exists) = load_or_default(state, account).await?;
        let old = exists.then(|| output::organization(&stored));
        apply(&mut stored.doc, changes.clone());
        let write = if exists { stored.update(now)? } else { stored.insert()? };
        let body = output::organization(&stored);
        let record =
            Change::new("update", "organization", account.as_str()).before(old).after(Some(body.clone()));
        if audit::commit(state, actor, account, &[write], record).await? {
            return Ok(body);
        }
    }
    Err(gave_up())
}

async fn load_or_default(
    state: &AppState,
    account: &AccountId,
) -> Result<(Stored<Organization>, bool), ApiError> {
    match load::<Organization>(state, account, account.as_str()).await? {
        Some(stored) => Ok((stored, true)),
        None => {
            let fresh =
                Stored::new(default_organization(), account.as_str().to_owned(), account, state.clock.now());
            Ok((fresh, false))
        }
    }
}

fn default_organization() -> Organization {
    Organization {
        name: DEFAULT_NAME.to_owned(),
        auth_domain: DEFAULT_AUTH_DOMAIN.to_owned(),
        strict_service_token_auth: false,
        service_token_inactivity: None,
        extra: Map::new(),
    }
}

/// Checks every field gatehouse interprets; returns the changes with server fields dropped.
fn validate(mut changes: Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    for field in SERVER_FIELDS {
        changes.remove(field);
    }
    if let Some(value) = changes.get_mut("name") {
        *value = Value::String(name(value.as_str().map(str::to_owned), "")?);
    }
    if let Some(value) = changes.get("auth_domain") {
        value.as_str().filter(|domain| is_hostname(domain)).ok_or_else(|| {
            ApiError::invalid("invalid 'auth_domain': expected a hostname such as \"access.example.com\"")
        })?;
    }
    if let Some(value) = changes.get("strict_service_token_auth") {
        value.as_bool().ok_or_else(|| {
            ApiError::invalid("invalid 'strict_service_token_auth': expected true or false")
        })?;
    }
    if let Some(value) = changes.get("service_token_inactivity") {
        check_inactivity(value)?;
    }
    Ok(changes)
}

fn apply(organization: &mut Organization, changes: Map<String, Value>) {
    for (key, value) in changes {
        match (key.as_str(), value) {
            ("name", Value::String(name)) => organization.name = name,
            ("auth_domain", Value::String(domain)) => organization.auth_domain = domain,
            ("strict_service_token_auth", Value::Bool(strict)) => {
                organization.strict_service_token_auth = strict
            }
            ("service_token_inactivity", Value::Null) => organization.service_token_inactivity = None,
            ("service_token_inactivity", value) => organization.service_token_inactivity = Some(value),
            (_, value) => {
                organization.extra.insert(key, value);
            }
        }
    }
}

/// `{enabled, inactivity_threshold_days (30–365), action: disable|delete}`; the threshold and
/// the action are required when enabled.
fn check_inactivity(value: &Value) -> Result<(), ApiError> {
    let field = |name: &str, expected: &str| {
        ApiError::invalid(format!("invalid 'service_token_inactivity.{name}': expected {expected}"))
    };
    let object = match value {
        Value::Null => return Ok(()),
        Value::Object(object) => object,
        _ => return Err(ApiError::invalid("invalid 'service_token_inactivity': expected an object or null")),
    };
    let enabled = match object.get("enabled") {
        None => false,
        Some(value) => value.as_bool().ok_or_else(|| field("enabled", "true or false"))?,
    };
    let days = object.get("inactivity_threshold_days");
    let days_wanted = "a whole number of days from 30 to 365";
    if let Some(days) = days {
        days.as_i64()
            .filter(|d| INACTIVITY_DAYS.contains(d))
            .ok_or_else(|| field("inactivity_threshold_days", days_wanted))?;
    }
    let action = object.get("action");
    if let Some(action) = action {
        action
            .as_str()
            .filter(|a| matches!(*a, "disable" | "delete"))
            .ok_or_else(|| field("action", "\"disable\" or \"delete\""))?;
    }
    if enabled && days.is_none() {
        return Err(field("inactivity_threshold_days", days_wanted));
    }
    if enabled && action.is_none() {
        return Err(field("action", "\"disable\" or \"delete\""));
    }
    Ok(())
}

/// Letters, digits and hyphens in dot-separated labels of 1–63 characters, at most 253 in all.
fn is_hostname(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}
