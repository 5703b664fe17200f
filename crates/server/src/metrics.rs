//! Prometheus metrics: the recorder (built here, installed nowhere globally: handles are passed
//! to the gateway and the API layer), the API's series, and the `/metrics` endpoint.
//!
//! `/metrics` is served without authentication on the management API listener (which binds
//! 127.0.0.1 by default), or on a listener of its own with `--metrics-listen` /
//! `GATEHOUSE_METRICS_LISTEN` / `metrics_listen` (then not on the API listener). It shows
//! counts, latencies, application ids and route templates: nothing secret, no raw path.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gatehouse_proxy::{Gateway, GatewayMetrics};
use metrics::{Counter, Gauge, Histogram, Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

/// Latency buckets, in seconds: the gateway aims at well under 2 ms at p99.
const BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// The process's metrics: one recorder, its render handle, and the handles of every series
/// that is not the gateway's.
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    gateway: Arc<GatewayMetrics>,
    /// route template → status → counter; label strings are built once per pair.
    api_requests: RwLock<HashMap<String, HashMap<u16, Counter>>>,
    api_latency: RwLock<HashMap<String, Histogram>>,
    gauges: Gauges,
}

struct Gauges {
    snapshot_tokens: Gauge,
    snapshot_age: Gauge,
    usage_depth: Gauge,
    usage_dropped: Counter,
    access_log_depth: Gauge,
    access_log_dropped: Counter,
    expiring_7d: Gauge,
    expiring_30d: Gauge,
    database_up: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("duration_seconds".to_owned()), BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = Arc::new(builder.build_recorder());
        let handle = recorder.handle();
        let gauge = |name: &'static str| recorder.register_gauge(&Key::from_static_name(name), &METADATA);
        let counter = |name: &'static str| recorder.register_counter(&Key::from_static_name(name), &METADATA);
        let expiring = |days: &'static str| {
            let labels = vec![Label::new("within_days", days)];
            recorder.register_gauge(&Key::from_parts("gatehouse_service_tokens_expiring", labels), &METADATA)
        };
        let gauges = Gauges {
            snapshot_tokens: gauge("gatehouse_snapshot_tokens"),
            snapshot_age: gauge("gatehouse_snapshot_age_seconds"),
            usage_depth: gauge("gatehouse_usage_queue_depth"),
            usage_dropped: counter("gatehouse_usage_dropped_total"),
            access_log_depth: gauge("gatehouse_access_log_queue_depth"),
            access_log_dropped: counter("gatehouse_access_log_dropped_total"),
            expiring_7d: expiring("7"),
            expiring_30d: expiring("30"),
            database_up: gauge("gatehouse_database_up"),
        };
        let shared: Arc<dyn Recorder + Send + Sync> = recorder.clone();
        Arc::new(Metrics {
            gateway: Arc::new(GatewayMetrics::new(shared)),
            recorder,
            handle,
            api_requests: RwLock::default(),
            api_latency: RwLock::default(),
            gauges,
        })
    }

    /// Drains the latency histograms' recorded samples into their buckets every `interval`
    /// until `stop` turns true. Without it every sample would be kept until the next scrape of
    /// `/metrics`: memory growing with every request on a server nobody scrapes.
    pub fn start_upkeep(self: &Arc<Self>, interval: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        let metrics = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => metrics.handle.run_upkeep(),
                    _ = stop.wait_for(|stopped| *stopped) => return,
                }
            }
        });
    }

    /// `gatehouse_database_up`: whether the last database check answered (see `health`).
    pub fn set_database_up(&self, up: bool) {
        self.gauges.database_up.set(if up { 1.0 } else { 0.0 });
    }

    /// The gateway's handles (`GatewayOptions::metrics`).
    pub fn gateway(&self) -> Arc<GatewayMetrics> {
        self.gateway.clone()
    }

    /// The text exposition, with the gauges read from `gateway` now.
    pub fn render(&self, gateway: &Gateway) -> String {
        let stats = gateway.stats();
        let g = &self.gauges;
        g.snapshot_tokens.set(stats.snapshot_tokens as f64);
        g.snapshot_age.set(stats.snapshot_age_seconds as f64);
        g.usage_depth.set(stats.usage_queue_depth as f64);
        g.usage_dropped.absolute(stats.usage_dropped);
        g.access_log_depth.set(stats.access_log_queue_depth as f64);
        g.access_log_dropped.absolute(stats.access_log_dropped);
        g.expiring_7d.set(stats.tokens_expiring_7d as f64);
        g.expiring_30d.set(stats.tokens_expiring_30d as f64);
        self.handle.render()
    }

    fn observe_api(&self, route: &str, status: u16, seconds: f64) {
        self.api_counter(route, status).increment(1);
        self.api_histogram(route).record(seconds);
    }

    fn api_counter(&self, route: &str, status: u16) -> Counter {
        if let Ok(known) = self.api_requests.read()
            && let Some(counter) = known.get(route).and_then(|by_status| by_status.get(&status))
        {
            return counter.clone();
        }
        let labels = vec![Label::new("route", route.to_owned()), Label::new("status", status.to_string())];
        let counter = self
            .recorder
            .register_counter(&Key::from_parts("gatehouse_api_requests_total", labels), &METADATA);
        if let Ok(mut known) = self.api_requests.write() {
            known.entry(route.to_owned()).or_default().entry(status).or_insert_with(|| counter.clone());
        }
        counter
    }

    fn api_histogram(&self, route: &str) -> Histogram {
        if let Ok(known) = self.api_latency.read()
            && let Some(histogram) = known.get(route)
        {
            return histogram.clone();
        }
        let key = Key::from_parts(
            "gatehouse_api_request_duration_seconds",
            vec![Label::new("route", route.to_owned())],
        );
        let histogram = self.recorder.register_histogram(&key, &METADATA);
        if let Ok(mut known) = self.api_latency.write() {
            known.entry(route.to_owned()).or_insert_with(|| histogram.clone());
        }
        histogram
    }
}

/// Middleware of the management API: counts each request under its route template (never the
/// raw path: ids stay out of label values) and its status, and times it.
pub async fn track_api(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let route = route.as_deref().unwrap_or("none");
    metrics.observe_api(route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`, in Prometheus' text format.
pub fn router(metrics: Arc<Metrics>, gateway: Arc<Gateway>) -> Router {
    Router::new().route("/metrics", get(render)).with_state((metrics, gateway))
}

async fn render(State((metrics, gateway)): State<(Arc<Metrics>, Arc<Gateway>)>) -> Response {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics.render(&gateway)).into_response()
}

/// The management API's service: `api` with the metrics layer, and `/metrics` beside it unless
/// it has a listener of its own. Peers' addresses reach the handlers (`ConnectInfo`) for the
/// audit log.
pub fn api_service(
    api: Router,
    metrics: &Arc<Metrics>,
    gateway: &Arc<Gateway>,
    separate_listener: bool,
) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<Router, std::net::SocketAddr> {
    let api = api.layer(axum::middleware::from_fn_with_state(metrics.clone(), track_api));
    let app = if separate_listener { api } else { api.merge(router(metrics.clone(), gateway.clone())) };
    app.into_make_service_with_connect_info::<std::net::SocketAddr>()
}

/// Serves `/metrics` alone on `listener` until `stop` completes.
pub async fn serve_separately(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    gateway: Arc<Gateway>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(metrics, gateway)).with_graceful_shutdown(stop).await
}
