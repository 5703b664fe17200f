//! The rotation schedule of an account's JWT signing keys (`…/access/keys`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The schedule; the keys themselves are never shown (the gateway serves their public halves).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SigningKeysBody {
    pub key_rotation_interval_days: u32,
    pub days_until_next_rotation: u32,
    pub last_key_rotation_at: String,
}

/// `PUT …/access/keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateKeysRequest {
    /// 21 to 365.
    #[schema(minimum = 21, maximum = 365)]
    pub key_rotation_interval_days: u32,
}
