//! Delivering events to the configured webhook destinations: a JSON body signed with
//! HMAC-SHA-256 under the destination's secret, POSTed with retries and exponential backoff.
//!
//! Headers of every delivery:
//! - `X-Gatehouse-Event`: the event type;
//! - `X-Gatehouse-Delivery`: a UUID per (event, destination), the same on every retry, so a
//!   receiver can drop duplicates;
//! - `X-Gatehouse-Timestamp`: when this attempt was sent, Unix seconds;
//! - `X-Gatehouse-Signature`: `sha256=<hex of HMAC-SHA-256(secret, raw body)>`.
//!
//! [`WebhookQueue`] is the background sender the server runs: the monitoring loop hands it
//! events without waiting for any destination.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_domain::Clock;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::events::Event;
use super::settings::Destination;

pub const EVENT_HEADER: &str = "x-gatehouse-event";
pub const DELIVERY_HEADER: &str = "x-gatehouse-delivery";
pub const TIMESTAMP_HEADER: &str = "x-gatehouse-timestamp";
pub const SIGNATURE_HEADER: &str = "x-gatehouse-signature";

/// How hard a delivery is tried: `max_attempts` in all, waiting `first_backoff`, then twice as
/// long each time, at most `max_backoff`.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// For each attempt (a destination that hangs must not hold its delivery forever).
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts over about 4 minutes.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            first_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(120),
            timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.first_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// `sha256=<hex>`: the signature of `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC accepts keys of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// How one delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer, after this many attempts.
    Delivered { attempts: u32 },
    /// Every attempt failed; the last reason.
    GaveUp { attempts: u32, last_error: String },
}

/// The destinations and the HTTP client that reaches them.
#[derive(Debug, Clone)]
pub struct Webhooks {
    client: reqwest::Client,
    destinations: Arc<Vec<Destination>>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

impl Webhooks {
    /// Fails when the HTTP client cannot be built (no TLS roots, say): falling back to a default
    /// client would follow redirects and wait without a timeout.
    pub fn new(
        destinations: Vec<Destination>,
        clock: Arc<dyn Clock>,
        retry: RetryPolicy,
    ) -> Result<Webhooks, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(retry.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Webhooks { client, destinations: Arc::new(destinations), clock, retry })
    }

    pub fn is_empty(&self) -> bool {
        self.destinations.is_empty()
    }

    /// Delivers `event` to every destination that wants it, concurrently; one outcome each.
    pub async fn deliver(&self, event: &Event) -> Vec<Outcome> {
        let body = event.body();
        let mut sends = JoinSet::new();
        for index in 0..self.destinations.len() {
            if self.destinations[index].wants(event.kind) {
                let (this, body, kind) = (self.clone(), body.clone(), event.kind);
                sends.spawn(async move { this.deliver_to(index, kind, body).await });
            }
        }
        let mut outcomes = Vec::new();
        while let Some(done) = sends.join_next().await {
            if let Ok(outcome) = done {
                outcomes.push(outcome);
            }
        }
        outcomes
    }

    async fn deliver_to(&self, index: usize, kind: &'static str, body: Vec<u8>) -> Outcome {
        let Some(destination) = self.destinations.get(index) else {
            return Outcome::GaveUp { attempts: 0, last_error: "no such destination".into() };
        };
        let delivery = uuid::Uuid::new_v4().to_string();
        let signature = sign(destination.secret.expose().as_bytes(), &body);
        let mut last_error = String::new();
        for attempt in 1..=self.retry.max_attempts {
            let sent = self
                .client
                .post(destination.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(EVENT_HEADER, kind)
                .header(DELIVERY_HEADER, &delivery)
                .header(TIMESTAMP_HEADER, self.clock.now().unix().to_string())
                .header(SIGNATURE_HEADER, &signature)
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status().is_success() => {
                    tracing::info!(event = kind, %delivery, host = destination.url.host_str(), attempt, "webhook delivered");
                    return Outcome::Delivered { attempts: attempt };
                }
                Ok(answer) => last_error = format!("status {}", answer.status()),
                Err(error) => last_error = error.without_url().to_string(),
            }
            tracing::warn!(event = kind, %delivery, host = destination.url.host_str(), attempt, error = %last_error, "webhook delivery failed");
            if attempt < self.retry.max_attempts {
                tokio::time::sleep(self.retry.backoff(attempt)).await;
            }
        }
        tracing::error!(event = kind, %delivery, host = destination.url.host_str(), "webhook delivery gave up");
        Outcome::GaveUp { attempts: self.retry.max_attempts, last_error }
    }
}

/// The background sender: events queue here and are delivered by one task, each delivery
/// (with its retries) running on its own so that a slow destination delays no other.
#[derive(Debug, Clone)]
pub struct WebhookQueue {
    tx: mpsc::Sender<Event>,
}

/// How many events may wait before new ones are dropped (with an error in the log).
const QUEUE_LIMIT: usize = 10_000;

impl WebhookQueue {
    pub fn start(webhooks: Webhooks) -> WebhookQueue {
        let (tx, mut rx) = mpsc::channel::<Event>(QUEUE_LIMIT);
        tokio::spawn(async move {
            let mut running = JoinSet::new();
            while let Some(event) = rx.recv().await {
                let webhooks = webhooks.clone();
                running.spawn(async move { webhooks.deliver(&event).await });
                while running.try_join_next().is_some() {}
            }
            while running.join_next().await.is_some() {}
        });
        WebhookQueue { tx }
    }

    /// Queues `event` without waiting for its delivery.
    pub fn send(&self, event: Event) {
        if let Err(error) = self.tx.try_send(event) {
            tracing::error!(%error, "webhook queue full or closed; event dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_in_hex() {
        // RFC 4231 test case 2.
        let signature = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(signature, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let retry = RetryPolicy::default();
        let waits: Vec<u64> = (1..=8).map(|a| retry.backoff(a).as_secs()).collect();
        assert_eq!(waits, vec![2, 4, 8, 16, 32, 64, 120, 120]);
    }
}
