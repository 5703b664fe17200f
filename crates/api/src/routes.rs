//! The route table. Handlers live in one file per resource and stay short: extract, call the
//! operation, wrap the result in the v4 envelope.

mod accounts;
mod service_tokens;
mod verify;

use axum::extract::rejection::PathRejection;
use axum::extract::{MatchedPath, OriginalUri, Path};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The management API, under `/client/v4`.
pub fn router(state: AppState) -> Router {
    let tokens = "/client/v4/accounts/{account_id}/access/service_tokens";
    Router::new()
        .route("/client/v4/accounts", get(accounts::list))
        .route("/client/v4/user/tokens/verify", get(verify::user))
        .route("/client/v4/accounts/{account_id}/tokens/verify", get(verify::account))
        .route(tokens, get(service_tokens::list).post(service_tokens::create))
        .route(
            &format!("{tokens}/{{token_id}}"),
            get(service_tokens::get).put(service_tokens::update).delete(service_tokens::delete),
        )
        .route(&format!("{tokens}/{{token_id}}/rotate"), post(service_tokens::rotate))
        .route(&format!("{tokens}/{{token_id}}/refresh"), post(service_tokens::refresh))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(CatchPanicLayer::custom(|_| internal_error()))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// The request span names the route template, never the raw path: a caller who pastes a secret
/// into a URL must not find it in the server log.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or("<no route>", MatchedPath::as_str);
    tracing::debug_span!("request", method = %request.method(), route)
}

async fn no_route(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::new(ErrorCode::NoRoute, format!("No route for the URI: {}", uri.path()))
}

async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, format!("Method not allowed for {}", uri.path()))
}

fn internal_error() -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(ErrorCode::Internal, "access.api.error.internal_server_error").into_response()
}

/// Path parameters, with undecodable ones answered as an unknown route.
fn path_params<T>(path: Result<Path<T>, PathRejection>, uri: &Uri) -> Result<T, ApiError> {
    path.map(|Path(params)| params).map_err(|_| ApiError::no_route(uri.path()))
}
