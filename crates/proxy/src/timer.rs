//! Timer entries reused instead of registered anew: free lists per serving thread, one for
//! hyper's header read timeout (one sleep per request head) and one for the origin timeout (one
//! per forwarded request), so that an entry is always reused for the same timeout.
//!
//! A new tokio sleep is inserted into the runtime's timer wheel on its first poll and removed
//! when dropped: two trips through the driver per sleep, two sleeps per request. A sleep taken
//! from the free list was registered by its previous use with an earlier deadline; moving its
//! deadline later only records the new one (tokio's `extend_expiration`), and the wheel looks at
//! it again only when the old deadline comes, once per timeout at most. The deadlines are the
//! same as before: a timeout still fires when its own deadline passes (an earlier one, should a
//! list be used for another timeout, is registered anew as before).
//!
//! Each serving thread has its own runtime, and a sleep belongs to the runtime that made it,
//! so a [`Timers`] is made by, and used on, one serving thread only.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Free sleeps kept per thread; beyond them, released sleeps are dropped.
const MAX_FREE: usize = 4_096;

type Entry = Pin<Box<tokio::time::Sleep>>;

/// One serving thread's free timer entries (cheap to clone: a shared list).
#[derive(Clone, Default)]
pub(crate) struct Timers {
    free: Arc<Mutex<Vec<Entry>>>,
}

impl std::fmt::Debug for Timers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timers").finish_non_exhaustive()
    }
}

impl PartialEq for Timers {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.free, &other.free)
    }
}

impl Eq for Timers {}

impl Timers {
    /// A sleep until `deadline`, a free entry when there is one.
    pub(crate) fn sleep_until(&self, deadline: tokio::time::Instant) -> PooledSleep {
        let reused = self.free.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let entry = match reused {
            Some(mut entry) => {
                entry.as_mut().reset(deadline);
                entry
            }
            None => Box::pin(tokio::time::sleep_until(deadline)),
        };
        PooledSleep { entry: Some(entry), free: self.free.clone() }
    }

    /// `future`'s output, or `None` when it has not finished within `timeout`.
    pub(crate) async fn timeout<F: Future>(&self, timeout: Duration, future: F) -> Option<F::Output> {
        let mut future = std::pin::pin!(future);
        let mut sleep = self.sleep_until(tokio::time::Instant::now() + timeout);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            Pin::new(&mut sleep).poll(cx).map(|()| None)
        })
        .await
    }

    #[cfg(test)]
    fn free(&self) -> usize {
        self.free.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// A sleep whose timer entry goes back to its thread's free list when dropped.
pub(crate) struct PooledSleep {
    entry: Option<Entry>,
    free: Arc<Mutex<Vec<Entry>>>,
}

impl PooledSleep {
    fn reset(&mut self, deadline: tokio::time::Instant) {
        if let Some(entry) = &mut self.entry {
            entry.as_mut().reset(deadline);
        }
    }
}

impl Future for PooledSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.get_mut().entry {
            Some(entry) => entry.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

impl Drop for PooledSleep {
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take() {
            let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
            if free.len() < MAX_FREE {
                free.push(entry);
            }
        }
    }
}

impl hyper::rt::Sleep for PooledSleep {}

impl hyper::rt::Timer for Timers {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(Timers::sleep_until(self, tokio::time::Instant::now() + duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(Timers::sleep_until(self, deadline.into()))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<PooledSleep>() {
            Some(pooled) => pooled.get_mut().reset(deadline.into()),
            None => *sleep = Box::pin(Timers::sleep_until(self, deadline.into())),
        }
    }

    /// tokio's clock, as hyper's own tokio timer has it (paused in tests).
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll_once(sleep: &mut PooledSleep) -> Poll<()> {
        Pin::new(sleep).poll(&mut Context::from_waker(std::task::Waker::noop()))
    }

    #[tokio::test]
    async fn a_reused_entry_fires_at_its_new_later_deadline_not_its_old_one() {
        let timers = Timers::default();
        let mut first = timers.sleep_until(tokio::time::Instant::now() + Duration::from_millis(20));
        assert!(poll_once(&mut first).is_pending(), "registered with the driver");
        drop(first);
        assert_eq!(timers.free(), 1);
        let started = Instant::now();
        let outcome = timers.timeout(Duration::from_millis(300), std::future::pending::<()>()).await;
        assert_eq!(outcome, None);
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(300), "fired after {waited:?}, at the old deadline");
        assert_eq!(timers.free(), 1, "the entry went back to the list once more");
    }

    #[tokio::test]
    async fn a_reused_entry_fires_at_an_earlier_deadline_too() {
        let timers = Timers::default();
        let mut long = timers.sleep_until(tokio::time::Instant::now() + Duration::from_secs(30));
        assert!(poll_once(&mut long).is_pending());
        drop(long);
        let started = Instant::now();
        assert_eq!(timers.timeout(Duration::from_millis(50), std::future::pending::<()>()).await, None);
        assert!(started.elapsed() < Duration::from_secs(10), "waited {:?}", started.elapsed());
        assert_eq!(timers.timeout(Duration::from_secs(30), std::future::ready(7)).await, Some(7));
    }
}
