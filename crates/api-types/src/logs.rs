//! Read-only records: accounts, the audit log and the access log.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// An account the caller can see (`GET /accounts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountBody {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub account_type: String,
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    pub created_on: String,
}

/// One change in the audit log, in Cloudflare's shape plus gatehouse's hash chain (`seq`,
/// `prev_hash`, `hash`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditLogEntry {
    pub id: String,
    /// `{"type": "create", "result": true, "info": "create service_token"}`.
    #[schema(value_type = Object)]
    pub action: Map<String, Value>,
    /// `{"id", "email", "name", "type", "ip", "context", "token_id", "token_name"}` of who made
    /// the change: `type` in Cloudflare's vocabulary (`user`); `context` is `api_token` (then
    /// `token_id`, `token_name` name the API token) or `api_key` (the legacy key; `email` is its owner).
    #[schema(value_type = Object)]
    pub actor: Map<String, Value>,
    pub interface: String,
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// The resource's public JSON after the change, if it still exists (never a secret).
    #[serde(rename = "newValue")]
    pub new_value: Option<String>,
    #[serde(rename = "newValueJson")]
    #[schema(value_type = Option<Object>)]
    pub new_value_json: Option<Value>,
    #[serde(rename = "oldValue")]
    pub old_value: Option<String>,
    #[serde(rename = "oldValueJson")]
    #[schema(value_type = Option<Object>)]
    pub old_value_json: Option<Value>,
    #[schema(value_type = Object)]
    pub owner: Map<String, Value>,
    /// `{"id", "type"}` of the changed resource.
    #[schema(value_type = Object)]
    pub resource: Map<String, Value>,
    pub when: String,
    pub seq: u64,
    pub prev_hash: String,
    pub hash: String,
}

/// One request the gateway decided on. `fields=` keeps only the named fields, so every field is
/// optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccessLogEntry {
    pub action: Option<String>,
    pub allowed: Option<bool>,
    pub app_domain: Option<String>,
    pub app_uid: Option<String>,
    /// A person's identity provider type (`oidc`, …), `service_token`, or `none`.
    pub connection: Option<String>,
    pub created_at: Option<String>,
    pub ip_address: Option<String>,
    pub ray_id: Option<String>,
    /// The person whose session authenticated (`""` for others).
    pub user_email: Option<String>,
    /// The identity provider of that person's login (gatehouse's extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp_id: Option<String>,
    pub is_service_token: Option<bool>,
    pub service_token_id: Option<String>,
    pub client_id: Option<String>,
    pub policy_id: Option<String>,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub status: Option<u16>,
    pub method: Option<String>,
}
