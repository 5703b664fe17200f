//! `gatehouse access …`: questions about the gateway's decisions. `explain` asks
//! `POST …/apps/{app_id}/explain` how the gateway would decide a described request, and prints
//! the trace: routing, authentication, each policy in evaluation order and each of its rules.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use gatehouse_api_types::{ExplainBody, ExplainRequest, RuleTraceBody};

use super::access::{self, Failure};
use crate::client::ClientArgs;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Explain how the gateway decides a request: routing, authentication, every policy and rule.
    Explain(ExplainArgs),
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
    #[arg(long)]
    token_id: Option<String>,
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
        email: None,
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
