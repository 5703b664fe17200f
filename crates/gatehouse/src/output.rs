//! What the client commands print: borderless tables for people, the API's `result` as JSON for
//! scripts, and a freshly issued client secret on lines of its own so it is easy to copy.
//!
//! Everything goes through a locked stdout with `writeln!` rather than `println!`, so a closed
//! pipe (`gatehouse token list | head -1`) is an error to ignore, not a panic.

use std::io::{self, Write};

use comfy_table::{Table, presets};
use gatehouse_api_types::ServiceTokenBody;
use serde_json::Value;

/// Prints a JSON value, pretty, followed by a newline.
pub fn json(value: &Value) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)
}

/// Prints one line of text.
pub fn line(text: &str) -> io::Result<()> {
    writeln!(io::stdout().lock(), "{text}")
}

/// Prints tokens as a table with one row each.
pub fn token_list(tokens: &[ServiceTokenBody]) -> io::Result<()> {
    if tokens.is_empty() {
        return line("No service tokens.");
    }
    let mut table = new_table();
    table.set_header(["ID", "NAME", "CLIENT ID", "EXPIRES", "LAST SEEN", "VERSION", "ENABLED"]);
    for token in tokens {
        table.add_row([
            token.id.clone(),
            token.name.clone(),
            token.client_id.clone(),
            expires(token),
            or_never(token.last_seen_at.as_deref()),
            token.client_secret_version.to_string(),
            yes_no(token.enabled),
        ]);
    }
    writeln!(io::stdout().lock(), "{}", render(table))
}

/// Prints one token as a key/value table, then its client secret when the answer carries one.
pub fn token_detail(token: &ServiceTokenBody) -> io::Result<()> {
    let mut table = new_table();
    let rows = [
        ("ID", token.id.clone()),
        ("Name", token.name.clone()),
        ("Client ID", token.client_id.clone()),
        ("Enabled", yes_no(token.enabled)),
        ("Duration", token.duration.clone()),
        ("Expires", expires(token)),
        ("Created", token.created_at.clone()),
        ("Updated", token.updated_at.clone()),
        ("Last seen", or_never(token.last_seen_at.as_deref())),
        ("Secret version", token.client_secret_version.to_string()),
        ("Current secret last seen", or_never(token.client_secret_last_seen_at.as_deref())),
        ("Previous secret expires", or_dash(token.previous_client_secret_expires_at.as_deref())),
        ("Previous secret last seen", or_never(token.previous_client_secret_last_seen_at.as_deref())),
    ];
    for (key, value) in rows {
        table.add_row([key.to_owned(), value]);
    }
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{}", render(table))?;
    if let Some(secret) = &token.client_secret {
        writeln!(stdout)?;
        writeln!(stdout, "CF-Access-Client-Id: {}", token.client_id)?;
        writeln!(stdout, "CF-Access-Client-Secret: {secret}")?;
    }
    Ok(())
}

/// Printed on stderr whenever an answer carries a client secret, in table and JSON mode alike.
pub fn warn_secret_shown_once() {
    eprintln!(
        "warning: the client secret is shown only this once; store it now (e.g. in your secrets manager)"
    );
}

fn new_table() -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table
}

/// Columns two spaces apart, flush left, no trailing blanks: easy to read, `grep` and `awk`.
fn render(mut table: Table) -> String {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let text = table.to_string();
    text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

fn expires(token: &ServiceTokenBody) -> String {
    if token.duration == "forever" { "never".to_owned() } else { token.expires_at.clone() }
}

fn or_never(value: Option<&str>) -> String {
    value.unwrap_or("never").to_owned()
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}
