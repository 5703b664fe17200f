//! Response bodies: the stored document as the client sent it (unknown fields included), plus
//! what Cloudflare's objects carry beside it (`created_at`, `updated_at`, `reusable`,
//! `precedence`, `app_count`), minus gatehouse's internal bookkeeping. Applications, policies
//! groups and the organization are rendered through the typed bodies of `gatehouse_api_types` (the fields kept
//! verbatim flattened into them), the same types the OpenAPI document describes, so the two
//! cannot drift.

use std::collections::HashMap;

use gatehouse_api_types::{ApplicationBody, GroupBody, OrganizationBody, PolicyBody, Rule};
use gatehouse_domain::access::{Application, Group, Organization, Policy, PolicyId};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Stored;
use super::explain::decision_name;

/// A policy; `precedence` where it is shown as part of an application, `app_count` in the
/// reusable policy routes.
pub fn policy_body(stored: &Stored<Policy>, precedence: Option<i64>, app_count: Option<usize>) -> PolicyBody {
    let doc = &stored.doc;
    PolicyBody {
        extra: doc.extra.clone(),
        id: doc.id.to_string(),
        name: doc.name.clone(),
        decision: decision_name(doc.decision),
        include: rules(&doc.include),
        require: rules(&doc.require),
        exclude: rules(&doc.exclude),
        session_duration: doc.session_duration.clone(),
        precedence: precedence.or(doc.precedence),
        reusable: doc.is_reusable(),
        app_count: app_count.map(|count| u64::try_from(count).unwrap_or(u64::MAX)),
        created_at: stored.created_at.to_string(),
        updated_at: stored.updated_at.to_string(),
    }
}

/// An application, its policy links expanded to the full policies in precedence order.
pub fn application_body(
    stored: &Stored<Application>,
    policies: &HashMap<PolicyId, &Stored<Policy>>,
) -> ApplicationBody {
    let doc = &stored.doc;
    ApplicationBody {
        extra: doc.extra.clone(),
        id: doc.id.to_string(),
        aud: doc.aud.clone(),
        name: doc.name.clone(),
        app_type: doc.app_type.clone(),
        domain: doc.domain.clone(),
        destinations: objects(&doc.destinations),
        session_duration: doc.session_duration.clone(),
        policies: doc
            .policies
            .iter()
            .filter_map(|link| policies.get(&link.id).map(|p| policy_body(p, Some(link.precedence), None)))
            .collect(),
        service_auth_401_redirect: doc.service_auth_401_redirect,
        read_service_tokens_from_header: doc.read_service_tokens_from_header.clone(),
        origin: doc.origin.clone(),
        sessions_revoked_at: doc.sessions_revoked_at.map(|at| at.to_string()),
        created_at: stored.created_at.to_string(),
        updated_at: stored.updated_at.to_string(),
    }
}

pub fn group_body(stored: &Stored<Group>) -> GroupBody {
    let doc = &stored.doc;
    GroupBody {
        extra: doc.extra.clone(),
        id: doc.id.to_string(),
        name: doc.name.clone(),
        include: rules(&doc.include),
        require: rules(&doc.require),
        exclude: rules(&doc.exclude),
        created_at: stored.created_at.to_string(),
        updated_at: stored.updated_at.to_string(),
    }
}

/// [`policy_body`] as JSON, for the operations that also record it in the audit log.
pub fn policy(stored: &Stored<Policy>, precedence: Option<i64>, app_count: Option<usize>) -> Value {
    json(&policy_body(stored, precedence, app_count))
}

/// [`application_body`] as JSON.
pub fn application(stored: &Stored<Application>, policies: &HashMap<PolicyId, &Stored<Policy>>) -> Value {
    json(&application_body(stored, policies))
}

/// [`group_body`] as JSON.
pub fn group(stored: &Stored<Group>) -> Value {
    json(&group_body(stored))
}

/// Stored rules are objects (the input refuses anything else), as the body's type says.
fn rules(rules: &[Value]) -> Vec<Rule> {
    objects(rules)
}

fn objects(values: &[Value]) -> Vec<Map<String, Value>> {
    values.iter().filter_map(Value::as_object).cloned().collect()
}

pub(super) fn json(body: &impl Serialize) -> Value {
    serde_json::to_value(body).unwrap_or(Value::Null)
}

pub fn organization_body(stored: &Stored<Organization>) -> OrganizationBody {
    let doc = &stored.doc;
    OrganizationBody {
        extra: doc.extra.clone(),
        name: doc.name.clone(),
        auth_domain: doc.auth_domain.clone(),
        strict_service_token_auth: doc.strict_service_token_auth,
        // An object (`{"days": …}`): the input refuses anything else.
        service_token_inactivity: doc.service_token_inactivity.as_ref().and_then(Value::as_object).cloned(),
        created_at: stored.created_at.to_string(),
        updated_at: stored.updated_at.to_string(),
    }
}

/// [`organization_body`] as JSON.
pub fn organization(stored: &Stored<Organization>) -> Value {
    json(&organization_body(stored))
}

/// `{"id": …}`, the result of a delete.
pub fn deleted(id: &str) -> Value {
    serde_json::json!({ "id": id })
}
