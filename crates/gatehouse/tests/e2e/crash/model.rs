//! What the clients know: the model of every token, policy and group, per owning thread.

use super::*;

/// How long the previous secret of the last acknowledged rotation stays accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Grace {
    /// Until the new secret is first used.
    UntilUsed,
    /// Until a deadline hours away (it never passes during the test).
    Deadline,
}

#[derive(Debug, Clone)]
pub(super) struct TokenModel {
    pub(super) id: String,
    pub(super) client_id: String,
    pub(super) name: String,
    /// The newest secret known to be stored (`None` after an in-flight create or rotation landed:
    /// its secret was never seen).
    pub(super) secret: Option<String>,
    /// The secret before it, while it may still be accepted, with its grace rule.
    pub(super) previous: Option<(String, Grace)>,
    /// A secret two rotations old: never accepted again.
    pub(super) retired: Option<String>,
    pub(super) version: u64,
    /// The newest secret authenticated since the last rotation (which ends an `UntilUsed` grace,
    /// in memory at once and in the database a moment later, which a kill may lose).
    pub(super) used: bool,
    /// Touched in this cycle (checked at the gateway after the restart).
    pub(super) touched: bool,
}

#[derive(Debug, Clone)]
pub(super) struct DocModel {
    pub(super) id: String,
    /// The name without its `-v<variant>` suffix.
    pub(super) name: String,
    /// The variant of the acknowledged body.
    pub(super) variant: usize,
    /// The application in front of it (policies of the initial set only).
    pub(super) host: Option<String>,
    /// Edited in this cycle (acknowledged or in flight): its enforcement is checked.
    pub(super) touched: bool,
}

#[derive(Debug, Default)]
pub(super) struct ThreadModel {
    pub(super) tokens: Vec<TokenModel>,
    pub(super) policies: Vec<DocModel>,
    pub(super) groups: Vec<DocModel>,
    /// Tokens deleted by an acknowledged request in this cycle: (client_id, last known secret).
    pub(super) deleted: Vec<(String, Option<String>)>,
    pub(super) created: u64,
}

/// The request a thread had in flight when the server died.
#[derive(Debug, Clone)]
pub(super) enum InFlight {
    CreateToken { name: String },
    Rotate { index: usize, grace: Grace },
    Refresh { index: usize },
    Delete { index: usize },
    CreatePolicy { name: String, variant: usize },
    UpdatePolicy { index: usize, variant: usize },
    CreateGroup { name: String, variant: usize },
    UpdateGroup { index: usize, variant: usize },
    Gateway,
}

/// What one thread saw in one cycle.
#[derive(Debug, Default)]
pub(super) struct ThreadLog {
    /// Acknowledged changes, as audit keys (action, resource type, resource id).
    pub(super) audited: Vec<(String, String, String)>,
    pub(super) acknowledged: u64,
    pub(super) in_flight: Option<InFlight>,
    /// Answers that should never happen (a 4xx/5xx for a valid request, a refused known secret).
    pub(super) problems: Vec<String>,
}

/// The fixed setup: probe tokens, the applications, a deadline string.
#[derive(Debug, Clone)]
pub(super) struct Fixture {
    pub(super) probes: Vec<(String, String, String)>,
    pub(super) deadline: String,
}

impl Fixture {
    pub(super) fn probe_id(&self, i: usize) -> &str {
        &self.probes[i % PROBES].0
    }

    /// Policy body number `variant`: admits probe `variant` only, through an include of two
    /// probes, an exclude of the second and a require of any valid token — three rule lists that
    /// each differ between variants, so a mix of two bodies shows.
    pub(super) fn policy_body(&self, name: &str, variant: usize) -> Value {
        json!({
            "name": format!("{name}-v{variant}"),
            "decision": "non_identity",
            "include": [{"service_token": {"token_id": self.probe_id(variant)}}, {"service_token": {"token_id": self.probe_id(variant + 1)}}],
            "require": [{"any_valid_service_token": {}}],
            "exclude": [{"service_token": {"token_id": self.probe_id(variant + 1)}}],
        })
    }

    pub(super) fn group_body(&self, name: &str, variant: usize) -> Value {
        json!({
            "name": format!("{name}-v{variant}"),
            "include": [{"service_token": {"token_id": self.probe_id(variant)}}],
            "exclude": [{"service_token": {"token_id": self.probe_id(variant + 2)}}],
        })
    }
}

/// Whether `stored` holds exactly the fields of `sent`.
pub(super) fn same_body(stored: &Value, sent: &Value) -> bool {
    sent.as_object().is_some_and(|fields| fields.iter().all(|(key, value)| stored.get(key) == Some(value)))
}

/// Which of the bodies `variants` a stored document is, if exactly one.
pub(super) fn variant_of(stored: &Value, body: impl Fn(usize) -> Value) -> Option<usize> {
    let matches: Vec<usize> = (0..PROBES).filter(|&v| same_body(stored, &body(v))).collect();
    (matches.len() == 1).then(|| matches[0])
}
