use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The result of `GET /user/tokens/verify` and `GET /accounts/{id}/tokens/verify`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct TokenVerifyBody {
    pub id: String,
    /// `active`, `disabled` or `expired`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
}
