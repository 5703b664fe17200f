//! Brute-force limiting of failed authentications, per presented client id and per source
//! address (the TCP peer; never `X-Forwarded-For`).
//!
//! Design, so that an attacker hammering a client id cannot lock its legitimate client out:
//! - Only failures count, and only after the credentials were verified: a request's
//!   credentials are always checked first (in memory, in constant time), and the limiter is
//!   consulted only for a request whose credentials failed. A request with a valid client id
//!   and secret is never refused by either limit, whatever its address or client id has seen.
//! - A failing request whose address or client id is over its limit is answered 429 with
//!   `Retry-After` instead of the usual refusal; it is not counted again, so hammering a
//!   blocked key does not keep it blocked beyond its window.
//! - Unknown client ids are counted like known ones: the answer (403, then 429 after the same
//!   number of attempts) does not reveal whether a client id exists.
//! - Each key has a fixed window of [`WINDOW_SECS`] opened by its first failure; the window's
//!   failures are counted, and at the limit the key is refused until the window ends. Time is
//!   the gateway's clock, passed in.
//! - Memory is bounded: at most [`MAX_TRACKED_KEYS`] keys per limit. A full map first drops
//!   expired windows (at most once a second); if it is still full, a new key is not tracked —
//!   a flood of distinct keys cannot push out a key that is being limited. Maintenance drops
//!   expired windows regularly.

use std::borrow::Borrow;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};

use dashmap::DashMap;
use gatehouse_domain::Timestamp;

use crate::deny::Denial;

/// The length of a key's window, in seconds: the limits are failures per minute.
pub const WINDOW_SECS: i64 = 60;

/// Keys tracked per limit at most (about 10 MB of client ids at their longest).
const MAX_TRACKED_KEYS: usize = 65_536;

/// Failed authentications allowed per minute before further failing requests get 429; `0`
/// disables a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureLimits {
    /// Per presented client id (default 10).
    pub per_client_id: u32,
    /// Per source address (default 30).
    pub per_address: u32,
}

impl Default for FailureLimits {
    fn default() -> Self {
        FailureLimits { per_client_id: 10, per_address: 30 }
    }
}

impl FailureLimits {
    /// Both limits off.
    pub const DISABLED: FailureLimits = FailureLimits { per_client_id: 0, per_address: 0 };
}

/// Whether a failure counts towards the limits: credentials that were presented and did not
/// authenticate (a guess). Missing credentials, and a right secret of an expired or disabled
/// token, are not guesses.
pub(crate) fn counted(denial: Denial) -> bool {
    matches!(
        denial,
        Denial::MalformedCredentials
            | Denial::UnknownClientId
            | Denial::WrongSecret
            | Denial::WrongAccount
            | Denial::InvalidSession
    )
}

/// The failure counters of the gateway.
#[derive(Debug)]
pub(crate) struct FailureLimiter {
    client_ids: Counter<Box<str>>,
    addresses: Counter<IpAddr>,
}

impl FailureLimiter {
    pub fn new(limits: FailureLimits) -> Self {
        FailureLimiter {
            client_ids: Counter::new(limits.per_client_id),
            addresses: Counter::new(limits.per_address),
        }
    }

    /// For a request whose credentials failed: `Some(seconds to wait)` when its address or its
    /// client id is over its limit (the request is then refused and not counted), else `None`
    /// after counting the failure.
    pub fn check_failure(&self, address: IpAddr, client_id: Option<&str>, now: Timestamp) -> Option<u64> {
        let now = now.unix();
        let by_address = self.addresses.blocked(&address, now);
        let by_client = client_id.and_then(|id| self.client_ids.blocked(id, now));
        let wait = by_address.max(by_client);
        if wait.is_none() {
            self.addresses.record(address, now);
            if let Some(id) = client_id {
                self.client_ids.record(id.into(), now);
            }
        }
        wait
    }

    /// Drops windows that have ended.
    pub fn sweep(&self, now: Timestamp) {
        self.client_ids.sweep(now.unix());
        self.addresses.sweep(now.unix());
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    opened: i64,
    failures: u32,
}

impl Window {
    fn ends(self, length: i64) -> i64 {
        self.opened.saturating_add(length)
    }
}

/// One limit's windows, by key: at most `limit` events per window of `window` seconds opened by
/// a key's first event (see the module's design notes).
#[derive(Debug)]
pub(crate) struct Counter<K: Hash + Eq> {
    limit: u32,
    window: i64,
    windows: DashMap<K, Window>,
    /// When expired windows were last dropped because the map was full.
    last_sweep: AtomicI64,
}

impl<K: Hash + Eq> Counter<K> {
    fn new(limit: u32) -> Self {
        Self::with_window(limit, WINDOW_SECS)
    }

    /// `limit` events per `window` seconds; a limit of 0 never blocks.
    pub(crate) fn with_window(limit: u32, window: i64) -> Self {
        Counter { limit, window, windows: DashMap::new(), last_sweep: AtomicI64::new(i64::MIN) }
    }

    /// Seconds until `key` may fail again, when it is at its limit.
    pub(crate) fn blocked<Q>(&self, key: &Q, now: i64) -> Option<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.limit == 0 {
            return None;
        }
        let window = *self.windows.get(key)?;
        let left = window.ends(self.window).saturating_sub(now);
        (window.failures >= self.limit && left > 0).then(|| u64::try_from(left).unwrap_or(1))
    }

    pub(crate) fn record(&self, key: K, now: i64) {
        if self.limit == 0 {
            return;
        }
        if self.windows.len() >= MAX_TRACKED_KEYS && !self.windows.contains_key(&key) {
            if self.last_sweep.swap(now, Ordering::Relaxed) != now {
                self.sweep(now);
            }
            if self.windows.len() >= MAX_TRACKED_KEYS {
                return;
            }
        }
        let mut window = self.windows.entry(key).or_insert(Window { opened: now, failures: 0 });
        if now >= window.ends(self.window) {
            *window = Window { opened: now, failures: 0 };
        }
        window.failures = window.failures.saturating_add(1);
    }

    pub(crate) fn sweep(&self, now: i64) {
        let length = self.window;
        self.windows.retain(|_, window| now < window.ends(length));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn a_client_id_is_refused_at_its_limit_until_its_window_ends() {
        let limiter = FailureLimiter::new(FailureLimits { per_client_id: 3, per_address: 0 });
        let t0 = Timestamp::from_unix(1_000);
        for _ in 0..3 {
            assert_eq!(limiter.check_failure(HOME, Some("a"), t0), None);
        }
        assert_eq!(limiter.check_failure(HOME, Some("a"), t0), Some(60));
        assert_eq!(limiter.check_failure(HOME, Some("b"), t0), None, "another client id is not limited");
        assert_eq!(limiter.check_failure(HOME, Some("a"), Timestamp::from_unix(1_059)), Some(1));
        assert_eq!(limiter.check_failure(HOME, Some("a"), Timestamp::from_unix(1_060)), None);
    }

    #[test]
    fn an_address_is_limited_whatever_the_client_id_and_zero_disables() {
        let limiter = FailureLimiter::new(FailureLimits { per_client_id: 0, per_address: 2 });
        let now = Timestamp::from_unix(5);
        assert_eq!(limiter.check_failure(HOME, Some("a"), now), None);
        assert_eq!(limiter.check_failure(HOME, None, now), None);
        assert_eq!(limiter.check_failure(HOME, Some("c"), now), Some(60));
        let other = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(limiter.check_failure(other, Some("c"), now), None);

        let off = FailureLimiter::new(FailureLimits::DISABLED);
        assert!((0..1_000).all(|_| off.check_failure(HOME, Some("a"), now).is_none()));
    }

    #[test]
    fn a_full_map_keeps_the_keys_it_is_limiting() {
        let counter: Counter<u32> = Counter::new(1);
        for key in 0..u32::try_from(MAX_TRACKED_KEYS).unwrap() {
            counter.record(key, 0);
        }
        counter.record(u32::MAX, 1);
        assert_eq!(counter.windows.len(), MAX_TRACKED_KEYS, "bounded");
        assert_eq!(counter.blocked(&0, 1), Some(59), "a limited key is not pushed out");
        counter.record(u32::MAX, 60);
        assert_eq!(counter.windows.len(), 1, "expired windows make room");
    }
}
