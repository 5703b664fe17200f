//! The route table. Handlers live in one file per resource and stay short: extract (the
//! caller authorized for the path's account, the query: `extract`), call the operation, wrap
//! the result in the v4 envelope.

mod access_logs;
mod accounts;
mod app_policies;
mod apps;
mod audit_logs;
mod explain;
mod extract;
mod groups;
mod identity_providers;
mod keys;
mod lists;
mod organizations;
mod policies;
mod service_tokens;
mod users;
mod verify;

use axum::extract::{MatchedPath, OriginalUri};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use gatehouse_api_types::{Envelope, ResultInfo};
use serde_json::Value;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorCode};
use crate::openapi;
use crate::pagination::Pagination;
use crate::state::AppState;
use crate::unsupported;

/// The management API, under `/client/v4`, with its OpenAPI document at
/// `/client/v4/openapi.json`.
pub fn router(state: AppState) -> Router {
    let (router, document) = documented_routes().split_for_parts();
    let served = openapi::Served::new(&openapi::finish(document));
    router
        .route(openapi::PATH, get(move || std::future::ready(served.clone())))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(CatchPanicLayer::custom(|_| internal_error()))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// The OpenAPI document, as served.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi::finish(documented_routes().into_openapi())
}

/// Every route with its handler's `#[utoipa::path]`: each `routes!` both mounts the handlers and
/// adds their operations to the document, so the two cannot disagree.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(accounts::list))
        .routes(routes!(verify::user))
        .routes(routes!(verify::account))
        .routes(routes!(service_tokens::list, service_tokens::create))
        .routes(routes!(service_tokens::get, service_tokens::update, service_tokens::delete))
        .routes(routes!(service_tokens::rotate))
        .routes(routes!(service_tokens::refresh))
        .routes(routes!(keys::get, keys::update))
        .routes(routes!(keys::rotate))
        .routes(routes!(audit_logs::list))
        .routes(routes!(access_logs::list))
        .routes(routes!(access_logs::list_v0))
        .routes(routes!(access_logs::explain))
        .routes(routes!(apps::list, apps::create))
        .routes(routes!(apps::get, apps::update, apps::delete))
        .routes(routes!(apps::revoke_tokens))
        .routes(routes!(explain::explain))
        .routes(routes!(explain::what_if))
        .routes(routes!(app_policies::list, app_policies::create))
        .routes(routes!(app_policies::get, app_policies::update, app_policies::delete))
        .routes(routes!(app_policies::make_reusable))
        .routes(routes!(policies::list, policies::create))
        .routes(routes!(policies::get, policies::update, policies::delete))
        .routes(routes!(groups::list, groups::create))
        .routes(routes!(groups::get, groups::update, groups::delete))
        .routes(routes!(organizations::get, organizations::update))
        .routes(routes!(organizations::revoke_user))
        .routes(routes!(identity_providers::list, identity_providers::create))
        .routes(routes!(identity_providers::get, identity_providers::update, identity_providers::delete))
        .routes(routes!(users::list))
        .routes(routes!(lists::list, lists::create))
        .routes(routes!(lists::get, lists::update, lists::edit, lists::delete))
        .routes(routes!(lists::items))
}

/// The request span names the route template, never the raw path: a caller who pastes a secret
/// into a URL must not find it in the server log.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or("<no route>", MatchedPath::as_str);
    tracing::debug_span!("request", method = %request.method(), route)
}

/// An unknown path; a part of Cloudflare's API that gatehouse does not serve says so.
async fn no_route(OriginalUri(uri): OriginalUri, body: axum::body::Body) -> ApiError {
    drain(body).await;
    unsupported::answer(uri.path())
        .unwrap_or_else(|| ApiError::new(ErrorCode::NoRoute, format!("No route for the URI: {}", uri.path())))
}

async fn method_not_allowed(method: Method, uri: Uri, body: axum::body::Body) -> ApiError {
    drain(body).await;
    unsupported::answer_method(&method, uri.path()).unwrap_or_else(|| {
        ApiError::new(ErrorCode::MethodNotAllowed, format!("Method not allowed for {}", uri.path()))
    })
}

/// Reads and drops an unrouted request's body (up to 64 KiB), so that the connection stays
/// usable: answering before the body is read makes hyper close the connection, and a client
/// that pools connections (the official SDKs do) sees its next request fail with "server
/// disconnected". A larger body is left unread and the connection closes, as it should.
async fn drain(body: axum::body::Body) {
    let _ = axum::body::to_bytes(body, 64 * 1024).await;
}

fn internal_error() -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(ErrorCode::Internal, "access.api.error.internal_server_error").into_response()
}

/// One resource in the v4 envelope. A policy, group or application with selectors gatehouse does not evaluate says so in `messages`.
fn single(status: StatusCode, result: Value) -> Response {
    let messages = crate::access::selectors::unevaluated(&result);
    (status, Json(Envelope { messages, ..Envelope::ok(result) })).into_response()
}

/// One page of a list in the v4 envelope, with complete `result_info`.
fn page(items: Vec<Value>, pagination: Pagination, total: u64) -> Response {
    let info = ResultInfo::new(pagination.page, pagination.per_page, items.len() as u64, total);
    Json(Envelope::list(items, info)).into_response()
}
