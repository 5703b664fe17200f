//! Applications, policies, groups and the organization as the API returns them. The server keeps
//! every field a client sent and returns it unchanged, so these objects may carry more fields
//! than listed here; the listed ones are those gatehouse sets or interprets.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// What a matching policy does (dashboard names: Allow, Block, Service Auth, Bypass).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionName {
    Allow,
    Deny,
    NonIdentity,
    Bypass,
}

/// A rule of `include`, `require` or `exclude`: one key naming the selector, e.g.
/// `{"service_token": {"token_id": "…"}}`, `{"any_valid_service_token": {}}`,
/// `{"group": {"id": "…"}}`, `{"ip": {"ip": "10.0.0.0/8"}}`.
pub type Rule = Map<String, Value>;

/// The schema of a rule list: objects with exactly one key whose value is an object (what
/// `gatehouse_domain::access::parse_rules` accepts; selectors it does not know are stored).
pub fn rule_list() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Type};
    let selector = ObjectBuilder::new().schema_type(Type::Object);
    let rule = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("One selector: {\"everyone\": {}}, {\"ip\": {\"ip\": \"10.0.0.0/8\"}}, {\"service_token\": {\"token_id\": …}}, {\"group\": {\"id\": …}}"))
        .min_properties(Some(1))
        .max_properties(Some(1))
        .additional_properties(Some(AdditionalProperties::RefOr(selector.build().into())));
    ArrayBuilder::new().items(rule).build()
}

/// A policy: reusable (account-level) or app-scoped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PolicyBody {
    /// The fields gatehouse keeps without interpreting them, returned as the client sent them.
    /// First, so that where one shares a name with a field above (which the input refuses),
    /// the field above wins, as a map that is written in order keeps the last value.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    pub id: String,
    pub name: String,
    pub decision: DecisionName,
    #[schema(schema_with = rule_list)]
    pub include: Vec<Rule>,
    #[schema(schema_with = rule_list)]
    pub require: Vec<Rule>,
    #[schema(schema_with = rule_list)]
    pub exclude: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration: Option<String>,
    /// Order within an application: present where the policy is shown as part of one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precedence: Option<i64>,
    pub reusable: bool,
    /// How many applications link the policy (reusable policy routes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_count: Option<u64>,
    pub created_at: String,
    pub updated_at: String,
}

/// A protected application, its policies expanded in precedence order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApplicationBody {
    /// The fields gatehouse keeps without interpreting them, returned as the client sent them.
    /// First, so that where one shares a name with a field above (which the input refuses),
    /// the field above wins, as a map that is written in order keeps the last value.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    pub id: String,
    /// 64 lowercase hex, stable for the application's life: the JWT audience.
    pub aud: String,
    pub name: String,
    #[serde(rename = "type")]
    pub app_type: String,
    pub domain: String,
    #[schema(value_type = Vec<Object>)]
    pub destinations: Vec<Map<String, Value>>,
    pub session_duration: String,
    pub policies: Vec<PolicyBody>,
    pub service_auth_401_redirect: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_service_tokens_from_header: Option<String>,
    /// gatehouse extension: where allowed requests go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Sessions issued before this instant are refused (`revoke_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_revoked_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// An access group: a named set of rules, used in policies as `{"group":{"id":…}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupBody {
    /// The fields gatehouse keeps without interpreting them, returned as the client sent them.
    /// First, so that where one shares a name with a field above (which the input refuses),
    /// the field above wins, as a map that is written in order keeps the last value.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    pub id: String,
    pub name: String,
    #[schema(schema_with = rule_list)]
    pub include: Vec<Rule>,
    #[schema(schema_with = rule_list)]
    pub require: Vec<Rule>,
    #[schema(schema_with = rule_list)]
    pub exclude: Vec<Rule>,
    pub created_at: String,
    pub updated_at: String,
}

/// An identity provider people log in with. `config` never holds `client_secret`; it holds the
/// server-made `redirect_url` to register at the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdentityProviderBody {
    pub id: String,
    pub name: String,
    /// `oidc`.
    #[serde(rename = "type")]
    pub kind: String,
    pub config: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_config: Option<Map<String, Value>>,
}

/// A person known to the account (Cloudflare's Access user): someone who logged in, or whose
/// sessions an administrator revoked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserBody {
    /// The person's stable id (the JWT's `sub`).
    pub id: String,
    pub uid: String,
    pub email: String,
    pub name: Option<String>,
    /// When the person last logged in (RFC 3339); `null` if never.
    pub last_successful_login: Option<String>,
    /// When an administrator or the person last ended their sessions; `null` if never.
    pub sessions_revoked_at: Option<String>,
    pub access_seat: bool,
    pub gateway_seat: bool,
    pub active_device_count: u32,
    pub created_at: String,
    pub updated_at: String,
}

/// The account's Access organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrganizationBody {
    /// The fields gatehouse keeps without interpreting them, returned as the client sent them.
    /// First, so that where one shares a name with a field above (which the input refuses),
    /// the field above wins, as a map that is written in order keeps the last value.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    pub name: String,
    /// The JWT issuer host (`iss` = `https://<auth_domain>`).
    pub auth_domain: String,
    pub strict_service_token_auth: bool,
    /// `{"days": 30..365}`: disable tokens unused for that long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub service_token_inactivity: Option<Map<String, Value>>,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST …/access/organizations/revoke_user`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RevokeUserRequest {
    /// The person whose sessions end.
    pub email: String,
}

/// `PUT` or `PATCH …/access/organizations`: only the fields given change; other fields are kept
/// and returned unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrganizationRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict_service_token_auth: Option<bool>,
    /// `{"days": 30..365}`, or `null` to remove the setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub service_token_inactivity: Option<Map<String, Value>>,
}

/// The result of a delete: the id of what was deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeletedBody {
    pub id: String,
}
