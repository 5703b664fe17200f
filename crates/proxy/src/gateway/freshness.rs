//! How old the snapshot may grow while the database cannot be reached. Every successful full
//! resync marks the snapshot fresh; when the last one is older than the maximum staleness the
//! gateway fails closed (503) rather than keep honouring tokens that may have been revoked
//! elsewhere in the meantime. Without a maximum (a single node on SQLite, where every change
//! passes through this process) it never goes stale.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use gatehouse_domain::Timestamp;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use super::Gateway;
use crate::body::{self, Body};

#[derive(Debug)]
pub(crate) struct Freshness {
    max_staleness_secs: Option<i64>,
    /// Unix seconds of the last successful full sync.
    synced_at: AtomicI64,
}

impl Freshness {
    pub fn new(max_staleness: Option<Duration>, now: Timestamp) -> Self {
        Freshness {
            max_staleness_secs: max_staleness.map(|max| i64::try_from(max.as_secs()).unwrap_or(i64::MAX)),
            synced_at: AtomicI64::new(now.unix()),
        }
    }

    pub fn mark(&self, now: Timestamp) {
        self.synced_at.fetch_max(now.unix(), Ordering::Relaxed);
    }

    /// When the snapshot was last fully synced (for `gatehouse_snapshot_age_seconds`).
    pub fn synced_at(&self) -> Timestamp {
        Timestamp::from_unix(self.synced_at.load(Ordering::Relaxed))
    }

    pub fn is_stale(&self, now: Timestamp) -> bool {
        self.max_staleness_secs
            .is_some_and(|max| now.unix().saturating_sub(self.synced_at.load(Ordering::Relaxed)) > max)
    }
}

impl Gateway {
    /// Whether the snapshot is past its maximum staleness (requests to applications get 503).
    pub fn is_stale(&self) -> bool {
        self.freshness.is_stale(self.clock.now())
    }

    /// The answer to every application request while the snapshot is too old.
    pub(crate) fn fail_closed(&self, now: Timestamp, wants_json: bool) -> Option<Response<Body>> {
        if !self.freshness.is_stale(now) {
            return None;
        }
        tracing::warn!(
            "refusing a request: the gateway has not synchronized with the database for longer than max_staleness_secs"
        );
        Some(stale_response(wants_json))
    }
}

const STALE_MESSAGE: &str = "gatehouse cannot reach its database and its copy of the access configuration is older than the \
     allowed staleness (max_staleness_secs); requests are refused until the database is back";

fn stale_response(wants_json: bool) -> Response<Body> {
    let (content_type, text) = if wants_json {
        let value = serde_json::json!({
            "success": false,
            "errors": [{"code": 1503, "message": STALE_MESSAGE}],
            "messages": [],
            "result": null,
        });
        ("application/json", value.to_string())
    } else {
        ("text/plain; charset=utf-8", format!("503 Service Unavailable: {STALE_MESSAGE}\n"))
    };
    let mut response = Response::new(body::full(text));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    headers.insert("cf-access-error", HeaderValue::from_static("access.unavailable"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goes_stale_only_past_the_maximum_and_only_with_one() {
        let start = Timestamp::from_unix(1_000);
        let bounded = Freshness::new(Some(Duration::from_secs(300)), start);
        assert!(!bounded.is_stale(Timestamp::from_unix(1_300)));
        assert!(bounded.is_stale(Timestamp::from_unix(1_301)));
        bounded.mark(Timestamp::from_unix(1_250));
        assert!(!bounded.is_stale(Timestamp::from_unix(1_550)));
        let unbounded = Freshness::new(None, start);
        assert!(!unbounded.is_stale(Timestamp::from_unix(1_000_000)));
    }
}
