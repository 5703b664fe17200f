//! Liveness and readiness on the management API listener, for load balancers and Kubernetes
//! probes; both unauthenticated, both without anything secret in their answer.
//!
//! - `GET /healthz`: 200 while the process serves HTTP (a liveness probe: restart when it fails).
//! - `GET /readyz`: 200 when the database answers within [`DATABASE_TIMEOUT`] and the gateway's
//!   snapshot is within its staleness bound (`max_staleness_secs`); 503 otherwise, with the
//!   failing check named (a readiness probe: take the node out of rotation, do not restart it).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gatehouse_proxy::Gateway;
use gatehouse_store::Store;
use serde_json::json;
use tokio::sync::watch;

use crate::metrics::Metrics;

/// How long `/readyz` waits for the database before calling it unreachable.
pub const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
struct Probe {
    store: Arc<dyn Store>,
    gateway: Arc<Gateway>,
}

/// `/healthz` and `/readyz`.
pub fn router(store: Arc<dyn Store>, gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(Probe { store, gateway })
}

/// How often the database is checked for `gatehouse_database_up`.
pub const DATABASE_CHECK_INTERVAL: Duration = Duration::from_secs(10);

/// Whether the database answers within [`DATABASE_TIMEOUT`].
async fn database_answers(store: &dyn Store) -> bool {
    match tokio::time::timeout(DATABASE_TIMEOUT, store.list_accounts()).await {
        Ok(Ok(_)) => true,
        Ok(Err(error)) => {
            tracing::warn!(%error, "the database did not answer a health check");
            false
        }
        Err(_) => {
            tracing::warn!(
                timeout_secs = DATABASE_TIMEOUT.as_secs(),
                "the database timed out on a health check"
            );
            false
        }
    }
}

/// Checks the database every [`DATABASE_CHECK_INTERVAL`] into `gatehouse_database_up` (1 or 0),
/// the series that alerts on a database outage read, until `stop` turns true.
pub fn watch_database(store: Arc<dyn Store>, metrics: Arc<Metrics>, mut stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(DATABASE_CHECK_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let stopping = tokio::select! {
                _ = tick.tick() => false,
                _ = stop.wait_for(|stopped| *stopped) => true,
            };
            if stopping {
                return;
            }
            metrics.set_database_up(database_answers(store.as_ref()).await);
        }
    });
}

async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

async fn readyz(State(probe): State<Probe>) -> Response {
    let database = if database_answers(probe.store.as_ref()).await { "ok" } else { "unreachable" };
    let snapshot = if probe.gateway.is_stale() { "stale" } else { "fresh" };
    let ready = database == "ok" && snapshot == "fresh";
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": {"database": database, "snapshot": snapshot},
    });
    (status, Json(body)).into_response()
}
