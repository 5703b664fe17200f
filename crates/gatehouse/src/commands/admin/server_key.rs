//! `gatehouse admin server-key generate | status`.

use std::process::ExitCode;

use gatehouse_domain::ServerKey;
use gatehouse_server::Config;
use gatehouse_server::admin::server_key_status;
use gatehouse_server::key_rotation::{KeyRole, KeyStatus};

use crate::output;

/// Prints a new key. It is shown once and stored nowhere: the operator puts it where the
/// server reads its key.
pub fn generate() -> ExitCode {
    let key = ServerKey::generate();
    match output::line(&key.to_hex()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(74),
    }
}

pub async fn status(config: &Config, json: bool) -> ExitCode {
    let statuses = match server_key_status(config).await {
        Ok(statuses) => statuses,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::from(70);
        }
    };
    let printed = if json {
        serde_json::to_value(&statuses).map_err(std::io::Error::other).and_then(|value| output::json(&value))
    } else {
        print_table(&statuses)
    };
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(74),
    }
}

fn print_table(statuses: &[KeyStatus]) -> std::io::Result<()> {
    output::line(&format!("{:<18}{:<16}{:>8}{:>14}", "KEY ID", "ROLE", "HASHES", "SIGNING KEYS"))?;
    for status in statuses {
        output::line(&format!(
            "{:<18}{:<16}{:>8}{:>14}",
            status.key_id.as_deref().unwrap_or("-"),
            role(status.role),
            status.hashes,
            status.signing_keys
        ))?;
    }
    for status in statuses {
        let id = status.key_id.as_deref().unwrap_or("-");
        let empty = status.hashes == 0 && status.signing_keys == 0;
        match status.role {
            KeyRole::Previous if empty => {
                output::line(&format!("Previous key {id} holds nothing any more: it can be dropped."))?;
            }
            KeyRole::Previous => output::line(&format!(
                "Previous key {id} is still needed: its hashes move to the current key as the secrets and API tokens are used."
            ))?,
            KeyRole::NotConfigured | KeyRole::Unrecorded => output::line(&format!(
                "Key {id} is not configured: what is stored under it cannot be verified."
            ))?,
            KeyRole::Current => {}
        }
    }
    Ok(())
}

fn role(role: KeyRole) -> &'static str {
    match role {
        KeyRole::Current => "current",
        KeyRole::Previous => "previous",
        KeyRole::NotConfigured => "not configured",
        KeyRole::Unrecorded => "unrecorded",
    }
}
