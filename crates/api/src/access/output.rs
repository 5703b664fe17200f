//! Response bodies: the stored document as the client sent it (unknown fields included), plus
//! what Cloudflare's objects carry beside it (`created_at`, `updated_at`, `reusable`,
//! `precedence`, `app_count`), minus gatehouse's internal bookkeeping.

use std::collections::HashMap;

use gatehouse_domain::access::{Application, Group, Organization, Policy, PolicyId};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Stored;

/// A policy; `precedence` where it is shown as part of an application, `app_count` in the
/// reusable policy routes.
pub fn policy(stored: &Stored<Policy>, precedence: Option<i64>, app_count: Option<usize>) -> Value {
    let mut map = fields(&stored.doc);
    map.remove("app_id");
    map.remove("precedence");
    if let Some(precedence) = precedence.or(stored.doc.precedence) {
        map.insert("precedence".into(), precedence.into());
    }
    map.insert("reusable".into(), stored.doc.is_reusable().into());
    if let Some(count) = app_count {
        map.insert("app_count".into(), count.into());
    }
    stamped(map, stored)
}

/// An application, its policy links expanded to the full policies in precedence order.
pub fn application(stored: &Stored<Application>, policies: &HashMap<PolicyId, &Stored<Policy>>) -> Value {
    let mut map = fields(&stored.doc);
    let expanded: Vec<Value> = stored
        .doc
        .policies
        .iter()
        .filter_map(|link| policies.get(&link.id).map(|p| policy(p, Some(link.precedence), None)))
        .collect();
    map.insert("policies".into(), Value::Array(expanded));
    stamped(map, stored)
}

pub fn group(stored: &Stored<Group>) -> Value {
    stamped(fields(&stored.doc), stored)
}

pub fn organization(stored: &Stored<Organization>) -> Value {
    stamped(fields(&stored.doc), stored)
}

/// `{"id": …}`, the result of a delete.
pub fn deleted(id: &str) -> Value {
    serde_json::json!({ "id": id })
}

fn fields(doc: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(doc) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn stamped<T>(mut map: Map<String, Value>, stored: &Stored<T>) -> Value {
    map.insert("created_at".into(), stored.created_at.to_string().into());
    map.insert("updated_at".into(), stored.updated_at.to_string().into());
    Value::Object(map)
}
