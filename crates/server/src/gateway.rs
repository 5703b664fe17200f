//! The gateway listener. Applications and policies are not configurable yet, so no request can
//! match one: every request is answered 404, never passed through to anything. The routing,
//! authentication and forwarding stages replace this module.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

pub fn router() -> Router {
    Router::new().fallback(no_application)
}

async fn no_application(headers: HeaderMap) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({"error": "no application matches this host and path"}))).into_response()
    } else {
        (StatusCode::NOT_FOUND, "no application matches this host and path\n").into_response()
    }
}
