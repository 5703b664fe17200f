//! Explanations of gateway decisions (`POST …/access/apps/{app_id}/explain`), and the trace they
//! carry: routing, authentication, each policy in evaluation order with each of its rules.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::DecisionName;

/// A request to explain: a service token (by `token_id` or `client_id`; the secret is taken as
/// right, none is needed), a person (by `email`; the session is taken as valid) or none, and
/// where the request comes from and goes to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExplainRequest {
    /// The service token's id (a UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// The service token's client id, as sent in `CF-Access-Client-Id`; it need not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The host the client addresses; default: the application's domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The request path; default: the application's domain's path, or `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The client's address (the TCP peer the gateway sees).
    pub ip: String,
    /// RFC 3339; default: now. Token expiry is judged at this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// A person who logged in (their session taken as valid), instead of a service token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The identity provider the person logged in with (its id), for `login_method` rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_provider_id: Option<String>,
}

/// The gateway's decision on the described request, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExplainBody {
    /// Whether the gateway would forward the request to the origin.
    pub allowed: bool,
    /// The deciding policy, if one decided.
    pub policy_id: Option<String>,
    /// That policy's decision.
    pub decision: Option<DecisionName>,
    /// Why it would be refused, as the access log names it (`no_matching_policy`,
    /// `denied_by_policy`, `expired`, `unknown_client_id`, …); `null` when allowed.
    pub reason: Option<String>,
    /// One sentence.
    pub summary: String,
    /// The instant the request is judged at.
    pub time: String,
    pub routing: RoutingTrace,
    pub authentication: AuthenticationTrace,
    /// Every policy of the application that decided, in evaluation order.
    pub policies: Vec<PolicyTraceBody>,
}

/// Which application the gateway routes the request to, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RoutingTrace {
    pub host: String,
    /// The path as the gateway normalizes it.
    pub path: String,
    /// The application the request reaches (another than the one asked about when a more
    /// specific one of the account claims it); `null` when none does (the gateway answers 404).
    pub app_id: Option<String>,
    /// The route pattern (`domain` or destination) that matched.
    pub pattern: Option<String>,
    pub reason: String,
}

/// What the gateway's verification stage finds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuthenticationTrace {
    /// `none` (no credentials), `authenticated`, `person`, `unknown_client_id`, `expired`,
    /// `disabled`.
    pub outcome: String,
    pub token_id: Option<String>,
    pub client_id: Option<String>,
    pub reason: String,
}

/// One policy, as evaluation sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PolicyTraceBody {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub decision: DecisionName,
    pub precedence: i64,
    /// `decides`, `matched` (beaten by a lower precedence), `not_matched`, `unknown` (a rule
    /// could not be evaluated: never grants) or `not_evaluated`.
    pub outcome: String,
    pub reason: String,
    pub include: Vec<RuleTraceBody>,
    pub require: Vec<RuleTraceBody>,
    pub exclude: Vec<RuleTraceBody>,
}

/// One rule of a policy or group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleTraceBody {
    /// The selector key: `service_token`, `ip`, `group`, `email`, …
    pub selector: String,
    /// `matched`, `not_matched`, `unknown` (not evaluated by gatehouse or an unresolvable group:
    /// fails closed) or `not_evaluated` (the list's answer was already known).
    pub outcome: String,
    pub reason: String,
    /// For a `group` rule whose rules were evaluated: those rules (a `GroupTraceBody`: `id` and
    /// the `include`, `require` and `exclude` lists of rules in this shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub group: Option<GroupTraceBody>,
}

/// The rules of a group, as evaluated for a `group` rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupTraceBody {
    pub id: String,
    pub include: Vec<RuleTraceBody>,
    pub require: Vec<RuleTraceBody>,
    pub exclude: Vec<RuleTraceBody>,
}

/// A recorded request explained again (`GET …/access/logs/access_requests/{ray_id}/explain`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecordExplainBody {
    /// The access-log record.
    pub record: crate::logs::AccessLogEntry,
    /// The decision recorded then. (The policies of that time are not kept: this is what the
    /// gateway decided with them.)
    pub then: RecordedDecision,
    /// The same request decided now, against the current policies and the token's current
    /// standing; `null` when it cannot be replayed (`note` says why).
    pub now: Option<ExplainBody>,
    /// Whether the request would be decided otherwise now (allowed or refused, or by another policy).
    pub changed: bool,
    pub note: String,
}

/// A decision as the access log recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecordedDecision {
    pub allowed: bool,
    pub policy_id: Option<String>,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub status: u16,
    pub created_at: String,
}
