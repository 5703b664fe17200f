//! The stored shape of access resources. Each keeps the fields gatehouse interprets as typed
//! values and everything else in `extra`, so a client gets back exactly what it sent. Rules stay
//! JSON values here: the policy engine parses and validates them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ids::{AppId, GroupId, PolicyId};
use crate::clock::Timestamp;

/// What a matching policy does (dashboard names: Allow, Block, Service Auth, Bypass).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
    NonIdentity,
    Bypass,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::NonIdentity => "non_identity",
            Decision::Bypass => "bypass",
        }
    }
}

/// A policy: reusable (account-level, `app_id` is `None`) or app-scoped (legacy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub id: PolicyId,
    pub name: String,
    pub decision: Decision,
    /// At least one rule; the policy matches when any matches.
    pub include: Vec<Value>,
    /// Every rule must match.
    #[serde(default)]
    pub require: Vec<Value>,
    /// No rule may match.
    #[serde(default)]
    pub exclude: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration: Option<String>,
    /// The application owning an app-scoped policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<AppId>,
    /// Order within its application, for app-scoped policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precedence: Option<i64>,
    /// Fields gatehouse does not interpret, returned unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Policy {
    pub fn is_reusable(&self) -> bool {
        self.app_id.is_none()
    }
}

/// An access group: a named set of rules, used in policies as `{"group":{"id":…}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub include: Vec<Value>,
    #[serde(default)]
    pub require: Vec<Value>,
    #[serde(default)]
    pub exclude: Vec<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An application's link to one of its policies, in precedence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyLink {
    pub id: PolicyId,
    pub precedence: i64,
}

/// A protected application (`self_hosted`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub id: AppId,
    /// 64 lowercase hex, stable for the application's life: the JWT audience.
    pub aud: String,
    pub name: String,
    #[serde(rename = "type")]
    pub app_type: String,
    /// Primary hostname with optional path, wildcards allowed.
    pub domain: String,
    /// Every public destination (`{"type":"public","uri":…}`), the first being `domain`.
    #[serde(default)]
    pub destinations: Vec<Value>,
    /// Lifetime of issued JWTs and cookies (Go duration), default `24h`.
    pub session_duration: String,
    #[serde(default)]
    pub policies: Vec<PolicyLink>,
    #[serde(default)]
    pub service_auth_401_redirect: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_service_tokens_from_header: Option<String>,
    /// gatehouse extension: where allowed requests go (`http://` or `https://` URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Sessions (cookies, JWTs) issued before this instant are refused (`revoke_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_revoked_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Account-wide Access settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub name: String,
    /// The JWT issuer host, e.g. `acme.cloudflareaccess.com` (`iss` = `https://<auth_domain>`).
    pub auth_domain: String,
    /// Cloudflare's strict mode: 401 on failed authentication, only Service Auth and Bypass
    /// policies count, no cookie.
    #[serde(default)]
    pub strict_service_token_auth: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_token_inactivity: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
