//! The route table. Handlers live in one file per resource and stay short: extract, call the
//! operation, wrap the result in the v4 envelope.

mod access_logs;
mod accounts;
mod app_policies;
mod apps;
mod audit_logs;
mod groups;
mod keys;
mod organizations;
mod policies;
mod service_tokens;
mod verify;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{MatchedPath, OriginalUri, Path, Query};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use gatehouse_api_types::{Envelope, ResultInfo};
use serde_json::Value;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;
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
        .route("/client/v4/accounts/{account_id}/access/keys", get(keys::get).put(keys::update))
        .route("/client/v4/accounts/{account_id}/access/keys/rotate", post(keys::rotate))
        .route("/client/v4/accounts/{account_id}/audit_logs", get(audit_logs::list))
        .route("/client/v4/accounts/{account_id}/access/logs/access_requests", get(access_logs::list))
        .route("/client/v4/accounts/{account_id}/access/logs/access-requests", get(access_logs::list))
        .merge(access_routes())
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(CatchPanicLayer::custom(|_| internal_error()))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// Applications, policies, groups and the organization.
fn access_routes() -> Router<AppState> {
    let access = "/client/v4/accounts/{account_id}/access";
    let app = format!("{access}/apps/{{app_id}}");
    let app_policy = format!("{app}/policies/{{policy_id}}");
    Router::new()
        .route(&format!("{access}/apps"), get(apps::list).post(apps::create))
        .route(&app, get(apps::get).put(apps::update).delete(apps::delete))
        .route(&format!("{app}/revoke_tokens"), post(apps::revoke_tokens))
        .route(&format!("{app}/policies"), get(app_policies::list).post(app_policies::create))
        .route(&app_policy, get(app_policies::get).put(app_policies::update).delete(app_policies::delete))
        .route(&format!("{app_policy}/make_reusable"), put(app_policies::make_reusable))
        .route(&format!("{access}/policies"), get(policies::list).post(policies::create))
        .route(
            &format!("{access}/policies/{{policy_id}}"),
            get(policies::get).put(policies::update).delete(policies::delete),
        )
        .route(&format!("{access}/groups"), get(groups::list).post(groups::create))
        .route(&format!("{access}/groups/{{group_id}}"), get(groups::get).put(groups::update).delete(groups::delete))
        .route(
            &format!("{access}/organizations"),
            get(organizations::get).put(organizations::update).patch(organizations::update),
        )
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

/// Query parameters, with undecodable ones answered as 12091.
fn query_params<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(params)| params).map_err(|error| {
        ApiError::new(ErrorCode::InvalidUrlParameter, format!("access.api.error.invalid_url_parameter_value: {error}"))
    })
}

/// One resource in the v4 envelope.
fn single(status: StatusCode, result: Value) -> Response {
    (status, Json(Envelope::ok(result))).into_response()
}

/// One page of a list in the v4 envelope, with complete `result_info`.
fn page(items: Vec<Value>, pagination: Pagination, total: u64) -> Response {
    let info = ResultInfo::new(pagination.page, pagination.per_page, items.len() as u64, total);
    Json(Envelope::list(items, info)).into_response()
}
