//! `gatehouse logs`: the gateway's access log through the management API
//! (`/accounts/{account_id}/access/logs/access_requests`), newest last, as a table or `--json`;
//! `--follow` keeps polling every second for newer records, like `tail -f`.

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use gatehouse_domain::{Clock, Timestamp, TokenDuration, TokenId};
use serde_json::Value;

use super::access::{self, Failure, table, text};
use crate::client::{AccountClient, ClientArgs, ClientError};
use crate::output;

const POLL: Duration = Duration::from_secs(1);

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogsArgs {
    #[command(subcommand)]
    command: Option<LogsCommand>,
    /// Only requests of this service token: its id (UUID) or its client id.
    #[arg(long, value_name = "ID_OR_CLIENT_ID")]
    token: Option<String>,
    /// Only requests for this application (its id).
    #[arg(long, value_name = "APP_ID")]
    app: Option<String>,
    /// Only refused requests.
    #[arg(long)]
    denied: bool,
    /// Only requests since then: RFC 3339, or a duration ago such as 15m, 1h, 24h.
    #[arg(long, value_name = "TIME_OR_DURATION", value_parser = parse_since)]
    since: Option<String>,
    /// How many records (the newest ones), 1 to 1000.
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..=1000))]
    limit: u64,
    /// Keep running and print new records as they arrive (polls every second).
    #[arg(long, short = 'f')]
    follow: bool,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, clap::Subcommand)]
enum LogsCommand {
    /// Explain a recorded request: the decision recorded then, and the same request decided now
    /// against the current policies, with its trace.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
struct ExplainArgs {
    /// The record's ray id (the Cf-Ray header the client got, also in `gatehouse logs`).
    ray_id: String,
    #[command(flatten)]
    client: ClientArgs,
}

pub async fn run(mut args: LogsArgs) -> ExitCode {
    match args.command.take() {
        Some(LogsCommand::Explain(explain)) => access::exit(explain_record(explain).await),
        None => access::exit(logs(args).await),
    }
}

async fn explain_record(args: ExplainArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let path = access::path(&client, &["logs", "access_requests", &args.ray_id, "explain"]);
    let answer = client.api.get(&path, &[]).await?;
    if args.client.json {
        return Ok(output::json(&answer.result)?);
    }
    let explained: gatehouse_api_types::RecordExplainBody = answer.decode()?;
    let then = &explained.then;
    let verdict = if then.allowed { "ALLOWED" } else { "DENIED" };
    let reason = then.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
    let policy = then.policy_id.as_deref().map(|p| format!(" by policy {p}")).unwrap_or_default();
    output::line(&format!("then ({}): {verdict}{reason}{policy}, status {}", then.created_at, then.status))?;
    match &explained.now {
        Some(now) => {
            let change = if explained.changed { "CHANGED" } else { "unchanged" };
            output::line(&format!("now ({change}): {}", super::decisions::render(now).trim_end()))?;
        }
        None => output::line(&format!("now: {}", explained.note))?,
    }
    Ok(())
}

async fn logs(args: LogsArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let filters = filters(&args);
    let mut query = filters.clone();
    query.push(("limit", args.limit.to_string()));
    if let Some(since) = &args.since {
        query.push(("since", since.clone()));
    }
    // Newest first from the API; shown oldest first, so the newest is at the bottom.
    let mut records = fetch(&client, &query).await?;
    records.reverse();
    if args.client.json && !args.follow {
        return Ok(output::json(&Value::Array(records))?);
    }
    if !args.follow {
        if records.is_empty() {
            return Ok(output::line("No access log records.")?);
        }
        return Ok(print_rows(&records, true)?);
    }
    let mut cursor = Cursor::default();
    emit(&records, args.client.json, true)?;
    cursor.advance(&records);
    loop {
        tokio::time::sleep(POLL).await;
        let mut query = filters.clone();
        query.extend([("direction", "asc".to_owned()), ("limit", "1000".to_owned())]);
        if let Some(since) = cursor.since.clone().or_else(|| args.since.clone()) {
            query.push(("since", since));
        }
        let fresh = cursor.unseen(fetch(&client, &query).await?);
        emit(&fresh, args.client.json, false)?;
        cursor.advance(&fresh);
    }
}

fn filters(args: &LogsArgs) -> Vec<(&'static str, String)> {
    let mut filters = Vec::new();
    if let Some(token) = &args.token {
        let key = if TokenId::parse(token).is_ok() { "service_token_id" } else { "client_id" };
        filters.push((key, token.clone()));
    }
    if let Some(app) = &args.app {
        filters.push(("app_uid", app.clone()));
    }
    if args.denied {
        filters.push(("allowed", "false".to_owned()));
    }
    filters
}

async fn fetch(client: &AccountClient, query: &[(&str, String)]) -> Result<Vec<Value>, ClientError> {
    let path = access::path(client, &["logs", "access_requests"]);
    let answer = client.api.get(&path, query).await?;
    Ok(match answer.result {
        Value::Array(items) => items,
        _ => Vec::new(),
    })
}

/// Where `--follow` is: the newest second printed, and the Ray IDs printed for that second
/// (records have second precision, so the next poll asks from that second again).
#[derive(Debug, Default)]
struct Cursor {
    since: Option<String>,
    seen: HashSet<String>,
}

impl Cursor {
    fn unseen(&self, records: Vec<Value>) -> Vec<Value> {
        records.into_iter().filter(|r| !self.seen.contains(&text(r, "ray_id"))).collect()
    }

    fn advance(&mut self, printed: &[Value]) {
        for record in printed {
            let at = text(record, "created_at");
            if self.since.as_deref() != Some(at.as_str()) {
                self.since = Some(at);
                self.seen.clear();
            }
            self.seen.insert(text(record, "ray_id"));
        }
    }
}

fn emit(records: &[Value], json: bool, header: bool) -> std::io::Result<()> {
    if json {
        for record in records {
            output::line(&record.to_string())?;
        }
        return Ok(());
    }
    if records.is_empty() {
        return Ok(());
    }
    print_rows(records, header)
}

fn print_rows(records: &[Value], header: bool) -> std::io::Result<()> {
    // Without a header when following: later polls continue the same listing.
    let mut rows = if header {
        table(&["TIME", "RAY ID", "RESULT", "STATUS", "REASON", "METHOD", "APP", "CLIENT ID", "IP"])
    } else {
        access::details(Vec::new())
    };
    for record in records {
        let allowed = record.get("allowed").and_then(Value::as_bool).unwrap_or(false);
        rows.add_row([
            text(record, "created_at"),
            text(record, "ray_id"),
            (if allowed { "allowed" } else { "denied" }).to_owned(),
            record.get("status").map(Value::to_string).unwrap_or_default(),
            or_dash(text(record, "reason")),
            text(record, "method"),
            text(record, "app_domain"),
            or_dash(text(record, "client_id")),
            text(record, "ip_address"),
        ]);
    }
    access::print_table(rows)
}

fn or_dash(text: String) -> String {
    if text.is_empty() { "-".to_owned() } else { text }
}

/// RFC 3339 as given, or a Go duration ago (`1h`, `15m`), as RFC 3339.
fn parse_since(text: &str) -> Result<String, String> {
    if Timestamp::parse_rfc3339(text).is_ok() {
        return Ok(text.trim().to_owned());
    }
    let nanos = match TokenDuration::parse(text.trim()) {
        Ok(TokenDuration::Finite { nanos, .. }) => nanos,
        _ => {
            return Err(
                "expected an RFC 3339 time (2026-01-31T12:00:00Z) or a duration such as 1h".to_owned()
            );
        }
    };
    // The binary is a composition root: the server's one system clock.
    let now = gatehouse_server::SystemClock.now().unix();
    let ago = i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX);
    Ok(Timestamp::from_unix(now.saturating_sub(ago).max(0)).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_time_or_a_duration_ago() {
        assert_eq!(parse_since("2026-01-31T12:00:00Z").unwrap(), "2026-01-31T12:00:00Z");
        let ago = parse_since("1h").unwrap();
        assert!(Timestamp::parse_rfc3339(&ago).is_ok(), "{ago}");
        assert!(parse_since("yesterday").is_err());
    }

    #[test]
    fn follow_skips_what_it_printed_in_the_same_second() {
        let record = |ray: &str, at: &str| serde_json::json!({"ray_id": ray, "created_at": at});
        let mut cursor = Cursor::default();
        cursor.advance(&[record("a", "2026-01-01T00:00:00Z"), record("b", "2026-01-01T00:00:01Z")]);
        assert_eq!(cursor.since.as_deref(), Some("2026-01-01T00:00:01Z"));
        let fresh =
            cursor.unseen(vec![record("b", "2026-01-01T00:00:01Z"), record("c", "2026-01-01T00:00:01Z")]);
        assert_eq!(fresh, vec![record("c", "2026-01-01T00:00:01Z")]);
    }
}
