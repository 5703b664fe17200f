//! The gateway's Prometheus series, recorded in one place ([`GatewayMetrics::observe`], called by
//! `Gateway::handle` with the [`AccessOutcome`] the stages attached to the response).
//!
//! Handles are registered with the recorder the server passes in (no global recorder) and kept:
//! the request path looks its label set up in a small map under a read lock and increments an
//! atomic; label strings are built once per (application, decision, reason), never per request.
//!
//! Series: `gatehouse_gateway_requests_total{app,decision,reason}`,
//! `gatehouse_gateway_request_duration_seconds` (until the response head),
//! `gatehouse_origin_errors_total{kind}`. The gauges (`gatehouse_snapshot_*`, queue depths and
//! drop counts) are read at scrape time from [`crate::Gateway::stats`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use gatehouse_domain::access::AppId;
use http::StatusCode;
use metrics::{Counter, Histogram, Key, Label, Metadata, Recorder};

use crate::deny::AccessOutcome;
use crate::forward::OriginError;

/// (application, allowed, reason).
type RequestKey = (Option<AppId>, bool, &'static str);

/// The gateway's registered metric handles.
pub struct GatewayMetrics {
    recorder: Arc<dyn Recorder + Send + Sync>,
    /// Keyed by application ids the server made and static reasons: a fast hash, not SipHash.
    requests: RwLock<HashMap<RequestKey, Counter, rustc_hash::FxBuildHasher>>,
    duration: Histogram,
    origin_connect: Counter,
    origin_timeout: Counter,
    origin_other: Counter,
}

impl std::fmt::Debug for GatewayMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayMetrics").finish_non_exhaustive()
    }
}

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

impl GatewayMetrics {
    pub fn new(recorder: Arc<dyn Recorder + Send + Sync>) -> Self {
        let origin = |kind: &'static str| {
            recorder.register_counter(
                &Key::from_parts("gatehouse_origin_errors_total", vec![Label::new("kind", kind)]),
                &METADATA,
            )
        };
        GatewayMetrics {
            duration: recorder.register_histogram(
                &Key::from_static_name("gatehouse_gateway_request_duration_seconds"),
                &METADATA,
            ),
            origin_connect: origin("connect"),
            origin_timeout: origin("timeout"),
            origin_other: origin("other"),
            requests: RwLock::default(),
            recorder,
        }
    }

    /// Records one answered request: its decision (from `outcome`, or from the status for the
    /// gateway's own endpoints and unrouted requests), its origin failure, and its duration.
    pub(crate) fn observe(
        &self,
        outcome: Option<&AccessOutcome>,
        status: StatusCode,
        origin_error: Option<OriginError>,
        elapsed: Duration,
    ) {
        let key = match outcome {
            Some(outcome) => (outcome.app, outcome.allowed, outcome.denial.map_or("none", |d| d.as_str())),
            None => match status {
                StatusCode::NOT_FOUND => (None, false, "no_application"),
                StatusCode::BAD_REQUEST => (None, false, "bad_request"),
                s if s.is_success() || s.is_redirection() => (None, true, "none"),
                _ => (None, false, "other"),
            },
        };
        self.count_request(key);
        self.duration.record(elapsed.as_secs_f64());
        match origin_error {
            Some(OriginError::Connect) => self.origin_connect.increment(1),
            Some(OriginError::Timeout) => self.origin_timeout.increment(1),
            Some(OriginError::Failed) => self.origin_other.increment(1),
            // The client's failure, not the origin's.
            Some(OriginError::ClientBody) | None => {}
        }
    }

    /// Increments the series of `key`, registered the first time it is seen.
    fn count_request(&self, key: RequestKey) {
        if let Ok(known) = self.requests.read()
            && let Some(counter) = known.get(&key)
        {
            counter.increment(1);
            return;
        }
        self.request_counter(key).increment(1);
    }

    fn request_counter(&self, key: RequestKey) -> Counter {
        let (app, allowed, reason) = key;
        let labels = vec![
            Label::new("app", app.map_or_else(|| "none".to_owned(), |id| id.to_string())),
            Label::new("decision", if allowed { "allowed" } else { "denied" }),
            Label::new("reason", reason),
        ];
        let counter = self
            .recorder
            .register_counter(&Key::from_parts("gatehouse_gateway_requests_total", labels), &METADATA);
        if let Ok(mut known) = self.requests.write() {
            known.entry(key).or_insert_with(|| counter.clone());
        }
        counter
    }
}

/// What the gauges show, read at scrape time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayStats {
    /// Service tokens in the in-memory snapshot.
    pub snapshot_tokens: u64,
    /// Seconds since the snapshot was last fully loaded from the database.
    pub snapshot_age_seconds: i64,
    /// Token uses waiting for the usage writer.
    pub usage_queue_depth: u64,
    /// Token uses dropped because the usage writer could not keep up.
    pub usage_dropped: u64,
    /// Access-log records waiting for their writer.
    pub access_log_queue_depth: u64,
    /// Access-log records dropped because their writer could not keep up.
    pub access_log_dropped: u64,
    /// Enabled, unexpired tokens that expire within 7 days.
    pub tokens_expiring_7d: u64,
    /// Enabled, unexpired tokens that expire within 30 days.
    pub tokens_expiring_30d: u64,
}
