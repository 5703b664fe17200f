//! The access log's server side: its settings from the configuration file, and the retention
//! task that deletes records older than `access_log_retention_days` once an hour (and once at
//! start). With several nodes on one PostgreSQL database each prunes; deleting what another
//! node already deleted is harmless.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_domain::{Clock, Timestamp};
use gatehouse_store::Store;
use tokio::sync::watch;

use crate::config::ConfigError;

pub const DEFAULT_RETENTION_DAYS: u32 = 30;
const DEFAULT_QUEUE_CAPACITY: usize = 65_536;
const DEFAULT_FLUSH_MS: u64 = 1_000;
/// How often old records are pruned.
const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);

/// How the access log is written and kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogSettings {
    /// Records older than this many days are deleted; 0 keeps them forever.
    pub retention_days: u32,
    /// Records that may wait for the writer before new ones are dropped (and counted).
    pub queue_capacity: usize,
    /// How often queued records are written at the latest.
    pub flush_interval: Duration,
}

impl Default for AccessLogSettings {
    fn default() -> Self {
        AccessLogSettings {
            retention_days: DEFAULT_RETENTION_DAYS,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            flush_interval: Duration::from_millis(DEFAULT_FLUSH_MS),
        }
    }
}

impl AccessLogSettings {
    /// From the configuration file's `access_log_retention_days`, `access_log_queue_capacity`
    /// and `access_log_flush_ms`.
    pub fn resolve(
        retention_days: Option<u32>,
        queue_capacity: Option<usize>,
        flush_ms: Option<u64>,
    ) -> Result<Self, ConfigError> {
        let defaults = AccessLogSettings::default();
        let queue_capacity = queue_capacity.unwrap_or(defaults.queue_capacity);
        if queue_capacity == 0 {
            return Err(ConfigError::Invalid("access_log_queue_capacity must be at least 1".into()));
        }
        let flush_ms = flush_ms.unwrap_or(DEFAULT_FLUSH_MS);
        if !(1..=60_000).contains(&flush_ms) {
            return Err(ConfigError::Invalid("access_log_flush_ms must be from 1 to 60000".into()));
        }
        Ok(AccessLogSettings {
            retention_days: retention_days.unwrap_or(defaults.retention_days),
            queue_capacity,
            flush_interval: Duration::from_millis(flush_ms),
        })
    }

    /// The oldest creation time kept at `now`; `None` when records are kept forever.
    pub fn cutoff(&self, now: Timestamp) -> Option<Timestamp> {
        (self.retention_days > 0)
            .then(|| Timestamp::from_unix(now.unix() - i64::from(self.retention_days) * 86_400))
    }
}

/// Prunes at start and then every hour until `stop` turns true.
pub fn start_pruning(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: AccessLogSettings,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PRUNE_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stopped = stopped(stop);
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                _ = tick.tick() => prune(store.as_ref(), clock.as_ref(), &settings).await,
                () = &mut stopped => return,
            }
        }
    })
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

async fn prune(store: &dyn Store, clock: &dyn Clock, settings: &AccessLogSettings) {
    let Some(cutoff) = settings.cutoff(clock.now()) else { return };
    match store.prune_access_logs(cutoff).await {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, %cutoff, "pruned old access log records"),
        Err(error) => tracing::warn!(%error, "could not prune the access log; will retry"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_limits() {
        let settings = AccessLogSettings::resolve(None, None, None).unwrap();
        assert_eq!(settings, AccessLogSettings::default());
        assert_eq!(settings.retention_days, 30);
        let now = Timestamp::from_unix(100 * 86_400);
        assert_eq!(settings.cutoff(now), Some(Timestamp::from_unix(70 * 86_400)));
        let forever = AccessLogSettings::resolve(Some(0), None, None).unwrap();
        assert_eq!(forever.cutoff(now), None);
        assert!(AccessLogSettings::resolve(None, Some(0), None).is_err());
        assert!(AccessLogSettings::resolve(None, None, Some(0)).is_err());
    }
}
