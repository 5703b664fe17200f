//! The background writer of successful authentications (`last_seen_at`, per-secret usage, the
//! end of graceful rotations in the database). The request path only pushes into a bounded
//! queue and never waits: when the queue is full a use is dropped (the in-memory snapshot has
//! it already). The writer merges uses per token and secret and writes at least every
//! `interval`, on demand ([`UsageQueue::flush`]), and when the gateway goes away.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use gatehouse_domain::{SecretMatch, TokenId};
use gatehouse_store::{Store, TokenUsage};
use tokio::sync::{mpsc, oneshot};

/// Past this many distinct pending uses (the database is down), new ones are dropped.
const MAX_PENDING: usize = 100_000;
/// A batch this large is written without waiting for the tick.
const MAX_BATCH: usize = 1_000;

#[derive(Debug)]
enum Message {
    Use(TokenUsage),
    Flush(oneshot::Sender<()>),
}

/// The request path's handle on the writer.
#[derive(Debug, Clone)]
pub(crate) struct UsageQueue {
    tx: mpsc::Sender<Message>,
    /// Uses dropped (queue full, or too many unwritten), for `gatehouse_usage_dropped_total`.
    dropped: Arc<AtomicU64>,
}

impl UsageQueue {
    /// Starts the writer on the current Tokio runtime.
    pub fn start(store: Arc<dyn Store>, capacity: usize, interval: Duration) -> Self {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        tokio::spawn(run(store, rx, interval, dropped.clone()));
        UsageQueue { tx, dropped }
    }

    pub fn push(&self, usage: TokenUsage) {
        if self.tx.try_send(Message::Use(usage)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(token_id = %usage.token_id, "usage queue full; a use was not recorded in the database");
        }
    }

    /// Uses waiting in the queue for the writer.
    pub fn depth(&self) -> u64 {
        (self.tx.max_capacity().saturating_sub(self.tx.capacity())) as u64
    }

    /// Uses dropped so far because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Writes everything queued so far; returns when it is written (or failed).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

type Key = (TokenId, bool, u64);

async fn run(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Message>,
    interval: Duration,
    dropped: Arc<AtomicU64>,
) {
    let mut pending: HashMap<Key, TokenUsage> = HashMap::new();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = rx.recv() => match message {
                Some(Message::Use(usage)) => {
                    if !merge(&mut pending, usage) {
                        dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    if pending.len() >= MAX_BATCH {
                        write(store.as_ref(), &mut pending).await;
                    }
                }
                Some(Message::Flush(done)) => {
                    write(store.as_ref(), &mut pending).await;
                    let _ = done.send(());
                }
                None => {
                    write(store.as_ref(), &mut pending).await;
                    return;
                }
            },
            _ = tick.tick() => write(store.as_ref(), &mut pending).await,
        }
    }
}

/// Adds a use to the pending batch; false when it had to be dropped.
fn merge(pending: &mut HashMap<Key, TokenUsage>, usage: TokenUsage) -> bool {
    let key = (usage.token_id, usage.matched == SecretMatch::Current, usage.secret_version);
    let room = pending.len() < MAX_PENDING;
    match pending.entry(key) {
        Entry::Occupied(mut held) => {
            let held = held.get_mut();
            held.seen_at = held.seen_at.max(usage.seen_at);
            true
        }
        Entry::Vacant(slot) if room => {
            slot.insert(usage);
            true
        }
        Entry::Vacant(_) => {
            tracing::warn!("too many unwritten token uses; dropping one");
            false
        }
    }
}

async fn write(store: &dyn Store, pending: &mut HashMap<Key, TokenUsage>) {
    if pending.is_empty() {
        return;
    }
    let batch: Vec<TokenUsage> = pending.values().copied().collect();
    match store.record_token_usage(&batch).await {
        Ok(()) => pending.clear(),
        // Kept for the next tick: usage times only move forward, so a retry is harmless.
        Err(error) => tracing::warn!(%error, uses = batch.len(), "could not record token usage; will retry"),
    }
}
