//! Why an access-log record was decided as it was: the API's explanation of a recorded request
//! (`gatehouse_api::access::explain::explain_record`, the operation behind `GET
//! …/logs/access_requests/{ray_id}/explain`) — the decision recorded then, and the same request
//! decided now by the gateway's own decision function with its trace, policy by policy and
//! rule by rule.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use gatehouse_api::auth::Access;
use gatehouse_api_types::{RecordExplainBody, RuleTraceBody};

use super::Chrome;
use crate::Dash;
use crate::error::{Failure, render};
use crate::session::Operator;

/// A rule of the trace, flattened: a group's rules follow it, indented by `depth`.
#[derive(Debug)]
pub struct RuleLine {
    pub list: &'static str,
    pub depth: usize,
    pub selector: String,
    pub outcome: String,
    pub reason: String,
}

/// A policy of the trace.
#[derive(Debug)]
pub struct PolicyLine {
    pub name: String,
    pub id: String,
    pub decision: String,
    pub precedence: i64,
    pub outcome: String,
    pub reason: String,
    pub rules: Vec<RuleLine>,
}

#[derive(Template)]
#[template(path = "explain.html")]
struct ExplainPage {
    chrome: Chrome,
    ray_id: String,
    body: RecordExplainBody,
    policies: Vec<PolicyLine>,
}

impl ExplainPage {
    fn record_field(&self, field: &str) -> String {
        let record = &self.body.record;
        let value = match field {
            "created_at" => record.created_at.clone(),
            "app_domain" => record.app_domain.clone(),
            "client_id" => record.client_id.clone(),
            "ip_address" => record.ip_address.clone(),
            "method" => record.method.clone(),
            _ => None,
        };
        value.unwrap_or_else(|| "—".to_owned())
    }
}

pub async fn show(
    State(dash): State<Dash>,
    operator: Operator,
    Path(ray_id): Path<String>,
) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let body = gatehouse_api::access::explain::explain_record(&dash.api, &account, &ray_id).await?;
    let policies =
        body.now.as_ref().map(|now| now.policies.iter().map(policy_line).collect()).unwrap_or_default();
    let title = format!("Why request {ray_id} was decided so");
    render(&ExplainPage { chrome: Chrome::new(&operator, "logs", title), ray_id, body, policies })
}

fn policy_line(policy: &gatehouse_api_types::PolicyTraceBody) -> PolicyLine {
    let mut rules = Vec::new();
    for (list, traced) in
        [("include", &policy.include), ("require", &policy.require), ("exclude", &policy.exclude)]
    {
        flatten(list, traced, 0, &mut rules);
    }
    PolicyLine {
        name: policy.name.clone().unwrap_or_else(|| policy.id.clone()),
        id: policy.id.clone(),
        decision: serde_json::to_value(policy.decision)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        precedence: policy.precedence,
        outcome: policy.outcome.clone(),
        reason: policy.reason.clone(),
        rules,
    }
}

fn flatten(list: &'static str, traced: &[RuleTraceBody], depth: usize, out: &mut Vec<RuleLine>) {
    for rule in traced {
        out.push(RuleLine {
            list,
            depth,
            selector: rule.selector.clone(),
            outcome: rule.outcome.clone(),
            reason: rule.reason.clone(),
        });
        if let Some(group) = &rule.group {
            for (inner, rules) in
                [("include", &group.include), ("require", &group.require), ("exclude", &group.exclude)]
            {
                flatten(inner, rules, depth + 1, out);
            }
        }
    }
}
