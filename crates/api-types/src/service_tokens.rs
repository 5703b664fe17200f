use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A service token as the API returns it. `client_secret` is present only in the responses of
/// create, rotate and a `client_secret_version` bump.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServiceTokenBody {
    pub id: String,
    pub name: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub duration: String,
    pub created_at: String,
    pub updated_at: String,
    pub expires_at: String,
    pub last_seen_at: Option<String>,
    pub client_secret_version: u64,
    pub previous_client_secret_expires_at: Option<String>,
    pub enabled: bool,
    /// gatehouse extension: last successful use of the current secret.
    #[serde(default)]
    pub client_secret_last_seen_at: Option<String>,
    /// gatehouse extension: last successful use of the previous secret while it is still accepted,
    /// so an operator can see whether clients still send it during a rotation.
    #[serde(default)]
    pub previous_client_secret_last_seen_at: Option<String>,
}

/// `POST …/access/service_tokens`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CreateServiceTokenRequest {
    /// 1 to 350 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 350,
        pattern = "^[^\\x00-\\x1f\\x7f]*[^\\s\\x00-\\x1f\\x7f][^\\x00-\\x1f\\x7f]*$"
    )]
    pub name: String,
    /// A Go duration (`8760h`, `2h45m`) or `forever`; default `8760h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(forever|[1-9][0-9]{0,5}h([1-5]?[0-9]m)?)$")]
    pub duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Terraform sends this as a float; whole numbers ≥ 1 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, multiple_of = 1)]
    pub client_secret_version: Option<f64>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub previous_client_secret_expires_at: Option<String>,
    /// gatehouse extension (import): keep an existing client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// gatehouse extension (import): keep an existing client secret; requires `client_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// `PUT …/access/service_tokens/{id}`: omitted fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct UpdateServiceTokenRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 350,
        pattern = "^[^\\x00-\\x1f\\x7f]*[^\\s\\x00-\\x1f\\x7f][^\\x00-\\x1f\\x7f]*$"
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(forever|[1-9][0-9]{0,5}h([1-5]?[0-9]m)?)$")]
    pub duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// A higher version rotates the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, multiple_of = 1)]
    pub client_secret_version: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub previous_client_secret_expires_at: Option<String>,
}

/// `POST …/access/service_tokens/{id}/rotate` (the body is optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct RotateServiceTokenRequest {
    /// RFC 3339: until when the previous secret is still accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub previous_client_secret_expires_at: Option<String>,
}
