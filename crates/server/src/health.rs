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

async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

async fn readyz(State(probe): State<Probe>) -> Response {
    let database = match tokio::time::timeout(DATABASE_TIMEOUT, probe.store.list_accounts()).await {
        Ok(Ok(_)) => "ok",
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database did not answer");
            "unreachable"
        }
        Err(_) => {
            tracing::warn!(timeout_secs = DATABASE_TIMEOUT.as_secs(), "readiness: the database timed out");
            "unreachable"
        }
    };
    let snapshot = if probe.gateway.is_stale() { "stale" } else { "fresh" };
    let ready = database == "ok" && snapshot == "fresh";
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": {"database": database, "snapshot": snapshot},
    });
    (status, Json(body)).into_response()
}
