//! What-if (`POST …/access/apps/{app_id}/what-if`): recorded requests replayed against a draft
//! set of policies that is not saved, and the decisions that would change.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A draft policy set for one application, and which recorded requests to replay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WhatIfRequest {
    /// The draft, replacing the application's policies: each a policy object (`name`,
    /// `decision`, `include`, optional `require`, `exclude`, `precedence`, and `id` to stand for
    /// that stored policy), or `{"id": …, "precedence": …}` naming a stored policy as it is.
    /// Precedence defaults to the position (1, 2, …).
    #[schema(value_type = Vec<Object>)]
    pub policies: Vec<Value>,
    /// RFC 3339; default: 24 hours ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// At most this many records, the newest (default and maximum 1,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub limit: Option<u64>,
    /// Example requests per group (default 3, at most 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 20)]
    pub examples: Option<u32>,
}

/// What the draft would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WhatIfBody {
    pub since: String,
    pub limit: u64,
    /// Records replayed.
    pub replayed: u64,
    /// The limit was reached: older records were not replayed.
    pub truncated: bool,
    /// Records that cannot be replayed (refused by the failure limits, or an unparsable address).
    pub skipped: u64,
    /// Decisions that would change: allowed now and refused with the draft, or the reverse.
    pub changed: u64,
    pub newly_allowed: u64,
    pub newly_denied: u64,
    /// Same outcome, decided by another policy.
    pub other_policy: u64,
    /// Records whose replay with the current policies differs from what was recorded (the
    /// policies or tokens changed since): `changed` compares the draft with the current policies.
    pub differs_from_recorded: u64,
    /// The changes grouped by (token, application domain, outcome now, outcome with the draft),
    /// largest first.
    pub groups: Vec<WhatIfGroup>,
    /// More groups than listed (the first 1,000 are).
    pub groups_truncated: bool,
}

/// Changed decisions of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WhatIfGroup {
    /// The token that authenticated, if one did.
    pub token_id: Option<String>,
    /// The client id presented, if any.
    pub client_id: Option<String>,
    /// The person whose session authenticated, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_email: Option<String>,
    /// The application's domain as recorded (the access log does not keep request paths).
    pub app_domain: String,
    pub now: WhatIfOutcome,
    pub draft: WhatIfOutcome,
    pub count: u64,
    pub examples: Vec<WhatIfExample>,
}

/// A decision: allowed or not, by which policy, and why refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct WhatIfOutcome {
    pub allowed: bool,
    pub policy_id: Option<String>,
    /// The access log's name for a refusal.
    pub reason: Option<String>,
}

/// One recorded request of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WhatIfExample {
    pub ray_id: String,
    pub created_at: String,
    pub ip_address: String,
}
