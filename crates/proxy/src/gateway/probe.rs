//! What the metrics read from the gateway: the stats behind the gauges, and the one call that
//! records a request's series.

use std::time::Duration;

use http::Response;

use super::Gateway;
use crate::body::Body;
use crate::deny::AccessOutcome;
use crate::forward::OriginError;
use crate::metrics::GatewayStats;

impl Gateway {
    /// The snapshot's size and age and the background writers' queues, for the gauges.
    pub fn stats(&self) -> GatewayStats {
        const DAY: i64 = 86_400;
        let now = self.clock.now();
        GatewayStats {
            snapshot_tokens: self.tokens.len() as u64,
            snapshot_age_seconds: self
                .clock
                .now()
                .unix()
                .saturating_sub(self.freshness.synced_at().unix())
                .max(0),
            usage_queue_depth: self.usage.depth(),
            usage_dropped: self.usage.dropped(),
            access_log_queue_depth: self.access_log.depth(),
            access_log_dropped: self.access_log.dropped(),
            tokens_expiring_7d: self.tokens.expiring_within(now, 7 * DAY),
            tokens_expiring_30d: self.tokens.expiring_within(now, 30 * DAY),
        }
    }

    /// Records `response` in the gateway's series, when metrics are on.
    pub(super) fn observe(
        &self,
        response: &Response<Body>,
        outcome: Option<&AccessOutcome>,
        elapsed: Duration,
    ) {
        if let Some(metrics) = &self.options.metrics {
            let origin_error = response.extensions().get::<OriginError>().copied();
            metrics.observe(outcome, response.status(), origin_error, elapsed);
        }
    }
}
