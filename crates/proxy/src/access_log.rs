//! The background writer of the access log: one record per gateway decision on a request that
//! matched an application. The request path only `try_send`s into a bounded queue and never
//! waits; when the queue is full the record is dropped and counted ([`AccessLogQueue::dropped`],
//! exported as `gatehouse_access_log_dropped_total`). The writer appends in batches of up to
//! [`MAX_BATCH`] records, at least every `interval`, on demand ([`AccessLogQueue::flush`]) and
//! when the gateway goes away. A failed write is retried on the next tick; past
//! [`MAX_PENDING`] unwritten records (the database is down) the oldest are dropped and counted.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use gatehouse_store::{AccessLogRecord, Store};
use tokio::sync::{mpsc, oneshot};

/// A batch this large is written without waiting for the tick.
const MAX_BATCH: usize = 1_000;
/// Records kept for a retry while the database fails; older ones are dropped beyond this.
const MAX_PENDING: usize = 100_000;

#[derive(Debug)]
enum Message {
    Record(Box<AccessLogRecord>),
    Flush(oneshot::Sender<()>),
}

/// The request path's handle on the writer.
#[derive(Debug, Clone)]
pub(crate) struct AccessLogQueue {
    tx: mpsc::Sender<Message>,
    dropped: Arc<AtomicU64>,
}

impl AccessLogQueue {
    /// Starts the writer on the current Tokio runtime.
    pub fn start(store: Arc<dyn Store>, capacity: usize, interval: Duration) -> Self {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        tokio::spawn(run(store, rx, interval.max(Duration::from_millis(1)), dropped.clone()));
        AccessLogQueue { tx, dropped }
    }

    /// Queues a record without waiting; a full queue drops it.
    pub fn push(&self, record: AccessLogRecord) {
        if self.tx.try_send(Message::Record(Box::new(record))).is_err() {
            self.count_dropped(1);
        }
    }

    /// Records waiting in the queue for the writer (`gatehouse_access_log_queue_depth`).
    pub fn depth(&self) -> u64 {
        (self.tx.max_capacity().saturating_sub(self.tx.capacity())) as u64
    }

    /// Records dropped so far (queue full, or the database failing for too long).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn count_dropped(&self, n: u64) {
        count(&self.dropped, n);
    }

    /// Writes everything queued so far; returns when it is written (or failed).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

fn count(dropped: &AtomicU64, n: u64) {
    let before = dropped.fetch_add(n, Ordering::Relaxed);
    // Warn on the first drop and then at every power of two, not once per record.
    let after = before + n;
    if before == 0 || (after.is_power_of_two() && after > 1) {
        tracing::warn!(dropped_total = after, "access log records dropped: the writer cannot keep up");
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Message>, interval: Duration, dropped: Arc<AtomicU64>) {
    let mut pending: VecDeque<AccessLogRecord> = VecDeque::new();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = rx.recv() => match message {
                Some(Message::Record(record)) => {
                    pending.push_back(*record);
                    if pending.len() >= MAX_BATCH {
                        write(store.as_ref(), &mut pending, &dropped).await;
                    }
                }
                Some(Message::Flush(done)) => {
                    write(store.as_ref(), &mut pending, &dropped).await;
                    let _ = done.send(());
                }
                None => {
                    write(store.as_ref(), &mut pending, &dropped).await;
                    return;
                }
            },
            _ = tick.tick() => write(store.as_ref(), &mut pending, &dropped).await,
        }
    }
}

/// Appends everything pending, a batch at a time; on failure keeps the rest for the next try.
async fn write(store: &dyn Store, pending: &mut VecDeque<AccessLogRecord>, dropped: &AtomicU64) {
    while !pending.is_empty() {
        let n = pending.len().min(MAX_BATCH);
        // The batch is written from where it waits, not copied.
        let written = store.insert_access_logs(&pending.make_contiguous()[..n]).await;
        match written {
            Ok(()) => {
                pending.drain(..n);
            }
            Err(error) => {
                tracing::warn!(%error, records = pending.len(), "could not write the access log; will retry");
                let excess = pending.len().saturating_sub(MAX_PENDING);
                if excess > 0 {
                    pending.drain(..excess);
                    count(dropped, excess as u64);
                }
                return;
            }
        }
    }
}
