//! `gatehouse access …`: questions about the gateway's decisions. `explain` asks
//! `POST …/apps/{app_id}/explain` how the gateway would decide a described request, and prints
//! the trace: routing, authentication, each policy in evaluation order and each of its rules.
//! `what-if` sends a draft policy set (a JSON file, not saved) to `POST …/apps/{app_id}/what-if`
//! and prints which recorded decisions it would change.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use gatehouse_api_types::{
    ExplainBody, ExplainRequest, RuleTraceBody, WhatIfBody, WhatIfOutcome, WhatIfRequest,
};
use serde_json::Value;

use super::access::{self, Failure};
use crate::client::{ClientArgs, ClientError};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Explain how the gateway decides a request: routing, authentication, every policy and rule.
    Explain(ExplainArgs),
    /// Replay recorded requests against a draft policy set (not saved): what would change.
    WhatIf(WhatIfArgs),
}

#[derive(Debug, Args)]
pub struct WhatIfArgs {
    /// The application's id (a UUID).
    #[arg(long)]
    app: String,
    /// The draft: a JSON file holding an array of policies (policy objects, or {"id", "precedence"}
    /// naming stored ones), or an object with a "policies" array; "-" reads standard input.
    #[arg(long, value_name = "FILE")]
    policies: std::path::PathBuf,
    /// Replay records since then (RFC 3339; default: 24 hours ago).
    #[arg(long)]
    since: Option<String>,
    /// At most this many records, the newest (default and maximum 1000000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    limit: Option<u64>,
    /// Example requests per group (default 3).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=20))]
    examples: Option<u32>,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The application's id (a UUID).
    #[arg(long)]
    app: String,
    /// The service token's client id (as sent in CF-Access-Client-Id); its secret is taken as right.
    #[arg(long, conflicts_with = "token_id")]
    client_id: Option<String>,
    /// The service token's id (a UUID), instead of its client id.
    #[arg(long, conflicts_with = "email")]
    token_id: Option<String>,
    /// A person who logged in, by e-mail, instead of a service token (the session is taken as valid).
    #[arg(long, conflicts_with = "client_id")]
    email: Option<String>,
    /// The identity provider the person logged in with (its id), for login_method rules.
    #[arg(long, requires = "email")]
    idp: Option<String>,
    /// The host the client addresses (default: the application's domain).
    #[arg(long)]
    host: Option<String>,
    /// The request path (default: the application's domain's path, or /).
    #[arg(long)]
    path: Option<String>,
    /// The client's IP address, as the gateway sees it.
    #[arg(long)]
    ip: String,
    /// When (RFC 3339; default: now): token expiry is judged then.
    #[arg(long)]
    time: Option<String>,
    #[command(flatten)]
    client: ClientArgs,
}

pub async fn run(command: AccessCommand) -> ExitCode {
    access::exit(match command {
        AccessCommand::Explain(args) => explain(args).await,
        AccessCommand::WhatIf(args) => what_if(args).await,
    })
}

async fn explain(args: ExplainArgs) -> Result<(), Failure> {
    let body = ExplainRequest {
        token_id: args.token_id,
        client_id: args.client_id,
        host: args.host,
        path: args.path,
        ip: args.ip,
        time: args.time,
        email: args.email,
        identity_provider_id: args.idp,
    };
    let client = args.client.connect().await?;
    let answer =
        client.api.post(&access::path(&client, &["apps", &args.app, "explain"]), Some(&body)).await?;
    if args.client.json {
        output::json(&answer.result)?;
    } else {
        output::line(render(&answer.decode::<ExplainBody>()?).trim_end())?;
    }
    Ok(())
}

async fn what_if(args: WhatIfArgs) -> Result<(), Failure> {
    let policies = read_draft(&args.policies).map_err(|e| Failure::Client(ClientError::Usage(e)))?;
    let body = WhatIfRequest { policies, since: args.since, limit: args.limit, examples: args.examples };
    let client = args.client.connect().await?;
    let answer =
        client.api.post(&access::path(&client, &["apps", &args.app, "what-if"]), Some(&body)).await?;
    if args.client.json {
        output::json(&answer.result)?;
    } else {
        output::line(render_what_if(&answer.decode::<WhatIfBody>()?).trim_end())?;
    }
    Ok(())
}

/// The draft's policies from `path` (`-`: standard input): an array, or `{"policies": [...]}`.
fn read_draft(path: &std::path::Path) -> Result<Vec<Value>, String> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("cannot read standard input: {e}"))?
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
    };
    draft_policies(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn draft_policies(text: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(text).map_err(|e| format!("not JSON: {e}"))? {
        Value::Array(policies) => Ok(policies),
        Value::Object(mut object) => match object.remove("policies") {
            Some(Value::Array(policies)) => Ok(policies),
            _ => Err("an object must hold a \"policies\" array".to_owned()),
        },
        _ => Err("expected an array of policies, or {\"policies\": [...]}".to_owned()),
    }
}

/// The what-if answer for a reader: the totals, then each group of changed decisions.
pub fn render_what_if(changes: &WhatIfBody) -> String {
    let mut text = String::new();
    let more =
        if changes.truncated { " (the limit was reached: older records were not replayed)" } else { "" };
    let _ = writeln!(
        text,
        "replayed {} records since {}{more}; {} skipped",
        changes.replayed, changes.since, changes.skipped
    );
    let _ = writeln!(
        text,
        "{} decisions would change: {} newly denied, {} newly allowed; {} decided by another policy",
        changes.changed, changes.newly_denied, changes.newly_allowed, changes.other_policy
    );
    if changes.differs_from_recorded > 0 {
        let _ = writeln!(
            text,
            "note: {} records are decided otherwise by the current policies than recorded (changes since)",
            changes.differs_from_recorded
        );
    }
    for group in &changes.groups {
        let who = match (&group.token_id, &group.client_id) {
            (Some(id), _) => format!("token {id}"),
            (None, Some(client_id)) => format!("client id {client_id}"),
            (None, None) => "no credentials".to_owned(),
        };
        let _ = writeln!(
            text,
            "  {} x {who} on {}: {} -> {}",
            group.count,
            group.app_domain,
            outcome(&group.now),
            outcome(&group.draft)
        );
        for example in &group.examples {
            let _ = writeln!(
                text,
                "      ray {} at {} from {}",
                example.ray_id, example.created_at, example.ip_address
            );
        }
    }
    if changes.groups_truncated {
        let _ = writeln!(text, "  (more groups not shown)");
    }
    text
}

fn outcome(outcome: &WhatIfOutcome) -> String {
    match (outcome.allowed, &outcome.policy_id, &outcome.reason) {
        (true, Some(policy), _) => format!("allowed by {policy}"),
        (true, None, _) => "allowed".to_owned(),
        (false, _, Some(reason)) => format!("denied ({reason})"),
        (false, _, None) => "denied".to_owned(),
    }
}

/// The explanation for a reader: the decision first, then each step.
pub fn render(explained: &ExplainBody) -> String {
    let mut text = String::new();
    let verdict = if explained.allowed { "ALLOWED".to_owned() } else { "DENIED".to_owned() };
    let reason = explained.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
    let _ = writeln!(text, "{verdict}{reason}: {}", explained.summary);
    let routing = &explained.routing;
    let app = routing.app_id.as_deref().unwrap_or("no application");
    let _ = writeln!(text, "at:             {}", explained.time);
    let _ = writeln!(text, "routing:        {}{} -> {app}: {}", routing.host, routing.path, routing.reason);
    let auth = &explained.authentication;
    let _ = writeln!(text, "authentication: {}: {}", auth.outcome, auth.reason);
    if explained.policies.is_empty() {
        return text;
    }
    let _ = writeln!(text, "policies, in evaluation order:");
    for (n, policy) in explained.policies.iter().enumerate() {
        let name = policy.name.as_deref().unwrap_or("");
        let decision = serde_json::to_value(policy.decision).ok();
        let decision = decision.as_ref().and_then(|d| d.as_str()).unwrap_or("");
        let _ = writeln!(
            text,
            "  {}. '{name}' ({}) [{decision}, precedence {}]: {}: {}",
            n + 1,
            policy.id,
            policy.precedence,
            policy.outcome,
            policy.reason
        );
        rules(&mut text, "include", &policy.include, 6);
        rules(&mut text, "require", &policy.require, 6);
        rules(&mut text, "exclude", &policy.exclude, 6);
    }
    text
}

fn rules(text: &mut String, list: &str, traced: &[RuleTraceBody], indent: usize) {
    for (i, rule) in traced.iter().enumerate() {
        let _ =
            writeln!(text, "{:indent$}{list}[{i}] {}: {}: {}", "", rule.selector, rule.outcome, rule.reason);
        if let Some(group) = &rule.group {
            rules(text, "include", &group.include, indent + 4);
            rules(text, "require", &group.require, indent + 4);
            rules(text, "exclude", &group.exclude, indent + 4);
        }
    }
}

#[cfg(test)]
mod tests {
    use gatehouse_api_types::{AuthenticationTrace, DecisionName, PolicyTraceBody, RoutingTrace};

    use super::*;

    fn rule(selector: &str, outcome: &str, reason: &str) -> RuleTraceBody {
        RuleTraceBody {
            selector: selector.into(),
            outcome: outcome.into(),
            reason: reason.into(),
            group: None,
        }
    }

    #[test]
    fn drafts_are_an_array_or_an_object_with_policies() {
        assert_eq!(draft_policies(r#"[{"id": "x"}]"#).unwrap().len(), 1);
        assert_eq!(draft_policies(r#"{"policies": [{}, {}]}"#).unwrap().len(), 2);
        assert!(draft_policies(r#"{"rules": []}"#).unwrap_err().contains("policies"));
        assert!(draft_policies("nope").unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn the_decision_comes_first_then_each_step_indented() {
        let explained = ExplainBody {
            allowed: false,
            policy_id: None,
            decision: None,
            reason: Some("no_matching_policy".into()),
            summary: "denied".into(),
            time: "2026-12-03T10:00:00Z".into(),
            routing: RoutingTrace {
                host: "api.example.com".into(),
                path: "/".into(),
                app_id: Some("app-id".into()),
                pattern: Some("api.example.com".into()),
                reason: "most specific".into(),
            },
            authentication: AuthenticationTrace {
                outcome: "authenticated".into(),
                token_id: None,
                client_id: None,
                reason: "enabled".into(),
            },
            policies: vec![PolicyTraceBody {
                id: "p".into(),
                name: Some("CI".into()),
                decision: DecisionName::NonIdentity,
                precedence: 1,
                outcome: "not_matched".into(),
                reason: "require rule 0 (ip) is not satisfied".into(),
                include: vec![rule("service_token", "matched", "yes")],
                require: vec![rule("ip", "not_matched", "192.0.2.9 is not in 10.0.0.0/8")],
                exclude: vec![],
            }],
        };
        let text = render(&explained);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "DENIED (no_matching_policy): denied");
        assert!(lines[2].starts_with("routing:        api.example.com/ -> app-id"), "{text}");
        assert_eq!(
            lines[5],
            "  1. 'CI' (p) [non_identity, precedence 1]: not_matched: require rule 0 (ip) is not satisfied"
        );
        assert_eq!(lines[7], "      require[0] ip: not_matched: 192.0.2.9 is not in 10.0.0.0/8");
    }
}
