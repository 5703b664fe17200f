//! What `gatehouse app`, `policy` and `group` share: paths under `/accounts/{id}/access`, the
//! walk over every page of a list, rule arguments given as JSON, key/value tables, and the exit
//! codes (0 success; 1 the API refused or answered something unexpected; 2 usage; 69 the API
//! could not be reached).

use std::collections::HashSet;
use std::io::{self, Write};
use std::process::ExitCode;

use comfy_table::{Table, presets};
use serde_json::Value;

use crate::client::{AccountClient, Answer, ClientArgs, ClientError};
use crate::output;

/// `["accounts", <id>, "access", rest…]`.
pub fn path<'a>(client: &'a AccountClient, rest: &[&'a str]) -> Vec<&'a str> {
    let mut segments = vec!["accounts", client.account_id.as_str(), "access"];
    segments.extend_from_slice(rest);
    segments
}

/// Parses a rule argument: one JSON object, e.g. `{"service_token":{}}`. The server checks
/// the selector itself; this only catches what cannot be JSON.
pub fn parse_rule(text: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(rule @ Value::Object(_)) => Ok(rule),
        Ok(_) => Err("a rule is a JSON object such as '{\"service_token\":{}}'".to_owned()),
        Err(error) => Err(format!("not JSON: {error}")),
    }
}

/// One page when `page` is given, else every page (like the SDKs: until a page brings nothing
/// new, so a server that ignores `page` cannot make it loop forever).
pub async fn list(
    client: &AccountClient,
    segments: &[&str],
    filters: &[(&str, String)],
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Answer, ClientError> {
    let fetch = |page: u64, per_page: Option<u64>| {
        let mut query = filters.to_vec();
        query.push(("page", page.to_string()));
        query.extend(per_page.map(|n| ("per_page", n.to_string())));
        async move { client.api.get(segments, &query).await }
    };
    if let Some(page) = page {
        return fetch(page, per_page).await;
    }
    let per_page = Some(per_page.unwrap_or(100));
    let first = fetch(1, per_page).await?;
    let mut items: Vec<Value> = Vec::new();
    let mut seen = HashSet::new();
    let mut page = 1;
    let mut answer = first;
    loop {
        let before = items.len();
        for item in answer.decode::<Vec<Value>>()? {
            if seen.insert(item.get("id").and_then(Value::as_str).unwrap_or_default().to_owned()) {
                items.push(item);
            }
        }
        if items.len() == before {
            break;
        }
        page += 1;
        answer = fetch(page, per_page).await?;
    }
    Ok(Answer { result: Value::Array(items), ..answer })
}

/// Prints the result as JSON with `--json`, else with `table`.
pub fn show(
    client: &ClientArgs,
    answer: &Answer,
    table: impl FnOnce(&Value) -> Table,
) -> Result<(), Failure> {
    if client.json {
        output::json(&answer.result)?;
    } else {
        print_table(table(&answer.result))?;
    }
    Ok(())
}

/// A borderless table with a header row.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(header.to_vec());
    table
}

/// A borderless two-column table of `(key, value)` rows.
pub fn details(rows: Vec<(&str, String)>) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    for (key, value) in rows {
        table.add_row([key.to_owned(), value]);
    }
    table
}

/// Columns two spaces apart, no trailing blanks (as `gatehouse token` prints).
pub fn print_table(mut table: Table) -> io::Result<()> {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let text = table.to_string();
    let lines: Vec<_> = text.lines().map(str::trim_end).collect();
    writeln!(io::stdout().lock(), "{}", lines.join("\n"))
}

/// A field as text: strings bare, missing or null as `-`, anything else as compact JSON.
pub fn text(value: &Value, field: &str) -> String {
    match value.get(field) {
        None | Some(Value::Null) => "-".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Rules one per line, as compact JSON.
pub fn rules(value: &Value, field: &str) -> String {
    match value.get(field).and_then(Value::as_array) {
        Some(rules) if !rules.is_empty() => rules.iter().map(Value::to_string).collect::<Vec<_>>().join("\n"),
        _ => "-".to_owned(),
    }
}

/// Why a command failed, and the exit code that tells a script so.
#[derive(Debug)]
pub enum Failure {
    Client(ClientError),
    Output(io::Error),
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Failure::Client(error)
    }
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        Failure::Output(error)
    }
}

/// The exit code of a finished command, with its errors on stderr.
pub fn exit(outcome: Result<(), Failure>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Client(error)) => {
            for line in error.lines() {
                eprintln!("error: {line}");
            }
            match error {
                ClientError::Api { .. } | ClientError::UnexpectedResponse { .. } => ExitCode::FAILURE,
                ClientError::Usage(_) => ExitCode::from(2),
                ClientError::Unreachable { .. } => ExitCode::from(69),
            }
        }
        // The reader went away (`| head`): nothing left to tell it.
        Err(Failure::Output(error)) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(error)) => {
            eprintln!("error: cannot write the output: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_must_be_json_objects() {
        assert_eq!(parse_rule(r#"{"service_token":{}}"#).unwrap(), serde_json::json!({"service_token": {}}));
        assert!(parse_rule("service_token").unwrap_err().starts_with("not JSON"));
        assert!(parse_rule(r#"["everyone"]"#).unwrap_err().contains("JSON object"));
    }

    #[test]
    fn fields_print_plainly() {
        let value = serde_json::json!({"name": "a", "n": 3, "none": null, "include": [{"everyone": {}}]});
        assert_eq!(text(&value, "name"), "a");
        assert_eq!(text(&value, "n"), "3");
        assert_eq!(text(&value, "none"), "-");
        assert_eq!(text(&value, "missing"), "-");
        assert_eq!(rules(&value, "include"), r#"{"everyone":{}}"#);
        assert_eq!(rules(&value, "exclude"), "-");
    }
}
