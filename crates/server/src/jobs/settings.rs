//! The monitoring part of the configuration file:
//!
//! ```toml
//! monitor_interval_secs = 3600        # how often the jobs run (default: hourly)
//! expiry_lead_days = [30, 7, 1]       # expiry alerts this many days ahead (default)
//!
//! [[webhooks]]
//! url = "https://alerts.example.com/gatehouse"
//! secret_file = "/run/secrets/gatehouse-webhook"   # or: secret = "…"
//! events = ["service_token.expiring"]              # optional; default: every event
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use gatehouse_domain::Secret;
use serde::Deserialize;

use super::events;
use crate::config::ConfigError;

const DEFAULT_INTERVAL_SECS: u64 = 3600;
const DEFAULT_LEAD_DAYS: [u32; 3] = [30, 7, 1];
const MIN_SECRET_LEN: usize = 16;

/// One `[[webhooks]]` entry as written in the file. Its `Debug` leaves the secret out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEntry {
    url: String,
    secret: Option<String>,
    secret_file: Option<PathBuf>,
    events: Option<Vec<String>>,
}

impl std::fmt::Debug for WebhookEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEntry")
            .field("url", &self.url)
            .field("secret", &self.secret.as_ref().map(|_| "[REDACTED]"))
            .field("secret_file", &self.secret_file)
            .field("events", &self.events)
            .finish()
    }
}

/// A webhook destination: where to POST, the key the bodies are signed with, which events.
#[derive(Debug)]
pub struct Destination {
    pub url: reqwest::Url,
    pub secret: Secret,
    /// `None`: every event.
    pub events: Option<Vec<String>>,
}

impl Destination {
    pub fn wants(&self, kind: &str) -> bool {
        self.events.as_ref().is_none_or(|events| events.iter().any(|e| e == kind))
    }
}

/// The resolved monitoring settings.
#[derive(Debug)]
pub struct MonitoringConfig {
    pub interval: Duration,
    /// Distinct, largest first.
    pub expiry_lead_days: Vec<u32>,
    pub webhooks: Vec<Destination>,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        MonitoringConfig {
            interval: Duration::from_secs(DEFAULT_INTERVAL_SECS),
            expiry_lead_days: DEFAULT_LEAD_DAYS.to_vec(),
            webhooks: Vec::new(),
        }
    }
}

impl MonitoringConfig {
    /// Checks the file's values; a relative `secret_file` is read relative to the working directory.
    pub fn resolve(
        interval_secs: Option<u64>,
        lead_days: Option<Vec<u32>>,
        webhooks: Option<Vec<WebhookEntry>>,
    ) -> Result<MonitoringConfig, ConfigError> {
        let interval_secs = interval_secs.unwrap_or(DEFAULT_INTERVAL_SECS);
        if interval_secs == 0 {
            return Err(ConfigError::Invalid("monitor_interval_secs must be at least 1".into()));
        }
        let mut lead_days = lead_days.unwrap_or_else(|| DEFAULT_LEAD_DAYS.to_vec());
        if lead_days.iter().any(|days| !(1..=3650).contains(days)) {
            return Err(ConfigError::Invalid("expiry_lead_days: each must be 1 to 3650 days".into()));
        }
        lead_days.sort_unstable_by(|a, b| b.cmp(a));
        lead_days.dedup();
        let webhooks = webhooks.unwrap_or_default().into_iter().map(destination).collect::<Result<_, _>>()?;
        Ok(MonitoringConfig {
            interval: Duration::from_secs(interval_secs),
            expiry_lead_days: lead_days,
            webhooks,
        })
    }
}

fn destination(entry: WebhookEntry) -> Result<Destination, ConfigError> {
    let url = reqwest::Url::parse(&entry.url)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
        .ok_or_else(|| ConfigError::Invalid("webhooks: 'url' must be an http:// or https:// URL".into()))?;
    let secret = match (entry.secret, entry.secret_file) {
        (Some(secret), None) => Secret::new(secret),
        (None, Some(path)) => read_secret(&path)?.ok_or_else(|| {
            ConfigError::Invalid(format!("webhooks: secret_file {} is empty", path.display()))
        })?,
        _ => {
            return Err(ConfigError::Invalid(format!(
                "webhooks: {}: give exactly one of 'secret' and 'secret_file'",
                url.host_str().unwrap_or_default()
            )));
        }
    };
    if secret.expose().len() < MIN_SECRET_LEN {
        return Err(ConfigError::Invalid(format!(
            "webhooks: the secret must be at least {MIN_SECRET_LEN} characters"
        )));
    }
    if let Some(unknown) = entry.events.iter().flatten().find(|e| !events::ALL.contains(&e.as_str())) {
        return Err(ConfigError::Invalid(format!(
            "webhooks: unknown event {unknown:?}; expected one of {}",
            events::ALL.join(", ")
        )));
    }
    Ok(Destination { url, secret, events: entry.events })
}

fn read_secret(path: &Path) -> Result<Option<Secret>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    let text = Secret::new(text);
    Ok(Some(text.expose().trim()).filter(|s| !s.is_empty()).map(|s| Secret::new(s.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(url: &str, secret: Option<&str>, events: Option<Vec<&str>>) -> WebhookEntry {
        WebhookEntry {
            url: url.to_owned(),
            secret: secret.map(str::to_owned),
            secret_file: None,
            events: events.map(|e| e.into_iter().map(str::to_owned).collect()),
        }
    }

    #[test]
    fn defaults_are_hourly_with_30_7_1_day_leads() {
        let config = MonitoringConfig::resolve(None, None, None).unwrap();
        assert_eq!(config.interval, Duration::from_secs(3600));
        assert_eq!(config.expiry_lead_days, vec![30, 7, 1]);
        assert!(config.webhooks.is_empty());
    }

    #[test]
    fn leads_are_sorted_and_deduplicated() {
        let config = MonitoringConfig::resolve(Some(60), Some(vec![1, 14, 1, 3]), None).unwrap();
        assert_eq!(config.expiry_lead_days, vec![14, 3, 1]);
        assert!(MonitoringConfig::resolve(None, Some(vec![0]), None).is_err());
        assert!(MonitoringConfig::resolve(Some(0), None, None).is_err());
    }

    #[test]
    fn webhooks_need_a_url_one_secret_and_known_events() {
        let good = entry("https://hooks.example/x", Some("0123456789abcdef"), Some(vec![events::EXPIRING]));
        let config = MonitoringConfig::resolve(None, None, Some(vec![good])).unwrap();
        assert!(config.webhooks[0].wants(events::EXPIRING));
        assert!(!config.webhooks[0].wants(events::INACTIVE));

        let bad = [
            entry("ftp://hooks.example/x", Some("0123456789abcdef"), None),
            entry("https://hooks.example/x", None, None),
            entry("https://hooks.example/x", Some("short"), None),
            entry("https://hooks.example/x", Some("0123456789abcdef"), Some(vec!["token.exploded"])),
        ];
        for entry in bad {
            let error = MonitoringConfig::resolve(None, None, Some(vec![entry])).unwrap_err();
            assert!(!error.to_string().contains("0123456789abcdef"), "secrets stay out of errors: {error}");
        }
    }

    #[test]
    fn the_secret_can_come_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("webhook.secret");
        std::fs::write(&path, "from-a-file-0123456789\n").unwrap();
        let entry = WebhookEntry { secret_file: Some(path), ..entry("http://127.0.0.1:9/hook", None, None) };
        let config = MonitoringConfig::resolve(None, None, Some(vec![entry])).unwrap();
        assert_eq!(config.webhooks[0].secret.expose(), "from-a-file-0123456789");
    }
}
