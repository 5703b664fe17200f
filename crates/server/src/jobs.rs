//! Background monitoring of service tokens: expiry alerts, inactivity enforcement, and alerts
//! for old secrets still in use after a rotation's grace period, delivered to webhooks.
//!
//! Layout: [`Monitor::run_once`] is one tick — every rule checked at the `now` it is given,
//! returning the events to send — and what tests call directly with a `ManualClock`'s time;
//! [`spawn`] runs it every interval with the server's clock and hands the events to the
//! background [`WebhookQueue`]. `inactivity` acts on tokens, `expiry` only alerts; both record
//! what they did in the store's notification log so that no event repeats, across restarts and
//! nodes. `settings` is the configuration, `events` the payloads, `webhooks` signing and
//! delivery with retries.

pub mod events;
mod expiry;
pub mod inactivity;
pub mod settings;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gatehouse_api::AppState;
use gatehouse_domain::{AccountId, Clock, ServiceToken, Timestamp};
use gatehouse_store::StoreError;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use events::Event;
use webhooks::WebhookQueue;

/// The monitoring jobs over one store.
#[derive(Debug, Clone)]
pub struct Monitor {
    /// The store, and the gateway as change listener (inactivity actions apply at once).
    state: AppState,
    /// Distinct, largest first.
    expiry_lead_days: Vec<u32>,
}

impl Monitor {
    pub fn new(state: AppState, expiry_lead_days: Vec<u32>) -> Monitor {
        Monitor { state, expiry_lead_days }
    }

    /// One run of every job at `now`: inactivity first (a token it deletes gets no expiry
    /// alert), then expiry and previous-secret alerts. Returns the events to deliver.
    pub async fn run_once(&self, now: Timestamp) -> Result<Vec<Event>, StoreError> {
        let mut by_account: HashMap<AccountId, Vec<ServiceToken>> = HashMap::new();
        for token in self.state.store.all_service_tokens().await? {
            by_account.entry(token.account_id.clone()).or_default().push(token);
        }
        let mut events = Vec::new();
        for (account, tokens) in &mut by_account {
            if let Some(setting) = inactivity::setting(&self.state, account).await? {
                let acted = inactivity::enforce(&self.state, account, setting, tokens, now).await?;
                tokens.retain(|t| !acted.iter().any(|(id, _)| *id == t.id));
                events.extend(acted.into_iter().map(|(_, event)| event));
            }
        }
        let log = self.state.store.as_ref();
        for token in by_account.values().flatten() {
            events.extend(expiry::expiring(log, token, &self.expiry_lead_days, now).await?);
            events.extend(expiry::previous_secret(log, token, now).await?);
        }
        Ok(events)
    }
}

/// Everything the server starts for monitoring: the jobs, their interval and the webhooks.
#[derive(Debug)]
pub struct Monitoring {
    monitor: Monitor,
    interval: Duration,
    webhooks: webhooks::Webhooks,
}

impl Monitoring {
    /// Fails when the webhook sender's HTTP client cannot be built.
    pub fn new(
        state: AppState,
        config: settings::MonitoringConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Monitoring, reqwest::Error> {
        let webhooks = webhooks::Webhooks::new(config.webhooks, clock, webhooks::RetryPolicy::default())?;
        Ok(Monitoring {
            monitor: Monitor::new(state, config.expiry_lead_days),
            interval: config.interval,
            webhooks,
        })
    }

    /// Starts the webhook sender and the periodic jobs; they stop when `stop` turns true.
    pub fn start(self, clock: Arc<dyn Clock>, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        let webhooks = self.webhooks;
        if webhooks.is_empty() {
            tracing::info!("no webhooks configured: monitoring events are only logged");
        }
        spawn(self.monitor, clock, self.interval, WebhookQueue::start(webhooks), stop)
    }
}

/// Runs `monitor` now and then every `interval` until `stop` turns true, sending the events to
/// `queue`. A failed run is logged and retried at the next interval.
pub fn spawn(
    monitor: Monitor,
    clock: Arc<dyn Clock>,
    interval: Duration,
    queue: WebhookQueue,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match monitor.run_once(clock.now()).await {
                Ok(events) => events.into_iter().for_each(|event| queue.send(event)),
                Err(error) => {
                    tracing::warn!(%error, "token monitoring run failed; retrying at the next interval")
                }
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = stop.wait_for(|stop| *stop) => return,
            }
        }
    })
}

#[cfg(test)]
mod tests;
