//! The background writer of successful authentications (`last_seen_at`, per-secret usage, the
//! end of graceful rotations in the database). The request path only pushes into a bounded
//! queue and never waits: when the queue is full a use is dropped (the in-memory snapshot has
//! it already). The writer merges uses per token and secret and writes at least every
//! `interval`, on demand ([`UsageQueue::flush`]), and when the gateway goes away.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
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
}

impl UsageQueue {
    /// Starts the writer on the current Tokio runtime.
    pub fn start(store: Arc<dyn Store>, capacity: usize, interval: Duration) -> Self {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        tokio::spawn(run(store, rx, interval));
        UsageQueue { tx }
    }

    pub fn push(&self, usage: TokenUsage) {
        if self.tx.try_send(Message::Use(usage)).is_err() {
            tracing::debug!(token_id = %usage.token_id, "usage queue full; a use was not recorded in the database");
        }
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

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Message>, interval: Duration) {
    let mut pending: HashMap<Key, TokenUsage> = HashMap::new();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = rx.recv() => match message {
                Some(Message::Use(usage)) => {
                    merge(&mut pending, usage);
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

fn merge(pending: &mut HashMap<Key, TokenUsage>, usage: TokenUsage) {
    let key = (usage.token_id, usage.matched == SecretMatch::Current, usage.secret_version);
    let room = pending.len() < MAX_PENDING;
    match pending.entry(key) {
        Entry::Occupied(mut held) => {
            let held = held.get_mut();
            held.seen_at = held.seen_at.max(usage.seen_at);
        }
        Entry::Vacant(slot) if room => {
            slot.insert(usage);
        }
        Entry::Vacant(_) => tracing::warn!("too many unwritten token uses; dropping one"),
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
