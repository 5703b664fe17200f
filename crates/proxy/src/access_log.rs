//! The background writer of the access log: one record per gateway decision on a request that
//! matched an application. The request path appends to a shared buffer under a short lock and
//! never waits, and wakes the writer only when a whole batch is ready: the gateway's threads do
//! not hand every record to another task. When [`capacity`](AccessLogQueue::start) records are
//! waiting the record is dropped and counted ([`AccessLogQueue::dropped`], exported as
//! `gatehouse_access_log_dropped_total`). The writer appends in batches of up to [`MAX_BATCH`]
//! records, at least every `interval`, on demand ([`AccessLogQueue::flush`]) and when the
//! gateway goes away. A failed write is retried on the next tick; past [`MAX_PENDING`]
//! unwritten records (the database is down) the oldest are dropped and counted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use gatehouse_domain::access::PolicyId;
use gatehouse_domain::{Timestamp, TokenId};
use gatehouse_store::{AccessLogRecord, Store};
use http::Method;
use tokio::sync::{Notify, oneshot};

use crate::deny::{Denial, RayId};
use crate::gateway::PeerText;
use crate::snapshot::App;

/// A decision as the request path queues it: what the record needs, held without allocating
/// (the application shared, the Ray ID and peer address inline, the client id moved in). The
/// writer turns it into an [`AccessLogRecord`], off the request path.
#[derive(Debug)]
pub(crate) struct Decision {
    /// The application as it decided, for its account, id, domain and the policy's decision.
    pub app: Arc<App>,
    pub policy: Option<PolicyId>,
    pub ray_id: RayId,
    pub created_at: Timestamp,
    pub allowed: bool,
    pub peer: PeerText,
    pub is_service_token: bool,
    pub token: Option<TokenId>,
    pub client_id: Option<String>,
    pub denial: Option<Denial>,
    pub status: u16,
    pub method: Method,
    /// The person whose session the request carried, if any (boxed: most decisions have none,
    /// and every queued decision is this size).
    pub person: Option<Box<gatehouse_store::RecordedPerson>>,
}

impl Decision {
    /// The matched policy's decision (`allow`, `deny`, `non_identity`, `bypass`), if a policy matched.
    pub fn policy_decision(&self) -> Option<gatehouse_domain::access::Decision> {
        let id = self.policy?;
        self.app.policies.iter().find(|p| p.id == id).map(|p| p.decision)
    }

    fn into_record(self) -> AccessLogRecord {
        let decision = self.policy_decision().map(|d| d.as_str().to_owned());
        let app = &self.app;
        AccessLogRecord {
            account_id: app.account.id.clone(),
            ray_id: self.ray_id.as_str().to_owned(),
            created_at: self.created_at,
            allowed: self.allowed,
            app_uid: app.id,
            app_domain: app.domain.clone(),
            ip_address: self.peer.as_str().to_owned(),
            is_service_token: self.is_service_token,
            service_token_id: self.token,
            client_id: self.client_id,
            policy_id: self.policy,
            decision,
            reason: self.denial.map(|d| d.as_str().to_owned()),
            status: self.status,
            method: self.method.as_str().to_owned(),
            person: self.person.map(|person| *person),
        }
    }
}

/// A batch this large is written without waiting for the tick, in one transaction; a longer
/// backlog is written as several. Under load the writer's threads share the gateway's core, and a
/// transaction holds SQLite's thread for every record in it: 256 records keep a transaction near
/// 5M instructions (docs/benchmarks.md), where 1,000 made the gateway's slowest requests wait for
/// a whole batch. Smaller transactions cost about as much per record.
const MAX_BATCH: usize = 256;
/// Records kept for a retry while the database fails; older ones are dropped beyond this.
const MAX_PENDING: usize = 100_000;

/// What the request path and the writer share.
#[derive(Debug)]
struct Shared {
    /// Records not yet taken by the writer.
    buffer: Mutex<Vec<Decision>>,
    /// Callers of [`AccessLogQueue::flush`] waiting for what was queued before them.
    flushes: Mutex<Vec<oneshot::Sender<()>>>,
    capacity: usize,
    dropped: AtomicU64,
    /// Set when the last handle goes away: the writer writes what is left and ends.
    closed: AtomicBool,
    wake: Notify,
}

/// The request path's handle on the writer.
#[derive(Debug, Clone)]
pub(crate) struct AccessLogQueue {
    shared: Arc<Shared>,
    _close: Arc<CloseOnDrop>,
}

/// Tells the writer to finish when the last [`AccessLogQueue`] is dropped.
#[derive(Debug)]
struct CloseOnDrop(Arc<Shared>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        self.0.wake.notify_one();
    }
}

impl AccessLogQueue {
    /// Starts the writer on the current Tokio runtime.
    pub fn start(store: Arc<dyn Store>, capacity: usize, interval: Duration) -> Self {
        let shared = Arc::new(Shared {
            buffer: Mutex::new(Vec::new()),
            flushes: Mutex::new(Vec::new()),
            capacity: capacity.max(1),
            dropped: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            wake: Notify::new(),
        });
        tokio::spawn(run(store, shared.clone(), interval.max(Duration::from_millis(1))));
        AccessLogQueue { _close: Arc::new(CloseOnDrop(shared.clone())), shared }
    }

    /// Queues a record without waiting; a full queue drops it.
    pub fn push(&self, record: Decision) {
        let waiting = {
            let mut buffer = self.shared.buffer.lock().unwrap_or_else(PoisonError::into_inner);
            if buffer.len() >= self.shared.capacity {
                None
            } else {
                buffer.push(record);
                Some(buffer.len())
            }
        };
        match waiting {
            None => count(&self.shared.dropped, 1),
            Some(MAX_BATCH) => self.shared.wake.notify_one(),
            Some(_) => {}
        }
    }

    /// Records waiting for the writer (`gatehouse_access_log_queue_depth`).
    pub fn depth(&self) -> u64 {
        self.shared.buffer.lock().unwrap_or_else(PoisonError::into_inner).len() as u64
    }

    /// Records dropped so far (queue full, or the database failing for too long).
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Writes everything queued so far; returns when it is written (or failed).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        self.shared.flushes.lock().unwrap_or_else(PoisonError::into_inner).push(done);
        self.shared.wake.notify_one();
        let _ = written.await;
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

async fn run(store: Arc<dyn Store>, shared: Arc<Shared>, interval: Duration) {
    let mut pending: VecDeque<AccessLogRecord> = VecDeque::new();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shared.wake.notified() => {}
            _ = tick.tick() => {}
        }
        // Flush requests first: every record queued before one was asked for is in the buffer.
        let flushes = std::mem::take(&mut *shared.flushes.lock().unwrap_or_else(PoisonError::into_inner));
        let taken = std::mem::take(&mut *shared.buffer.lock().unwrap_or_else(PoisonError::into_inner));
        pending.extend(taken.into_iter().map(Decision::into_record));
        write(store.as_ref(), &mut pending, &shared.dropped).await;
        for done in flushes {
            let _ = done.send(());
        }
        if shared.closed.load(Ordering::Acquire) {
            let rest = std::mem::take(&mut *shared.buffer.lock().unwrap_or_else(PoisonError::into_inner));
            pending.extend(rest.into_iter().map(Decision::into_record));
            write(store.as_ref(), &mut pending, &shared.dropped).await;
            return;
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
