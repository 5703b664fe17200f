//! `/accounts/{account_id}/access/logs/access_requests` (and the `access-requests` spelling of
//! cloudflare-go v0): the access log, newest first, as a plain array with `result_info`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use gatehouse_api_types::{AccessLogEntry, Envelope, RecordExplainBody};
use gatehouse_store::Page;

use super::extract::{Authorized, Read, UrlQuery};
use super::page;
use crate::access_logs::{self, AccessLogParams};
use crate::error::ApiError;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/logs/access_requests",
    tag = "access logs",
    params(crate::openapi::AccountPath, AccessLogParams),
    responses((status = 200, description = "A page of the access log", body = Envelope<Vec<AccessLogEntry>>))
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { account, .. }: Authorized<Read>,
    UrlQuery(query): UrlQuery<AccessLogParams>,
) -> Result<Response, ApiError> {
    let request = query.parse()?;
    let found = match &request.query {
        Some(query) => state.store.list_access_logs(&account, query).await?,
        None => Page { items: Vec::new(), total: 0 },
    };
    let items = found
        .items
        .iter()
        .map(access_logs::body)
        .map(|body| match &request.fields {
            Some(fields) => access_logs::project(body, fields),
            None => body,
        })
        .collect();
    Ok(page(items, request.pagination, found.total))
}

/// The `access-requests` spelling of cloudflare-go v0, documented as its own operation.
#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/logs/access-requests",
    tag = "access logs",
    params(crate::openapi::AccountPath, AccessLogParams),
    responses((status = 200, description = "The same as access_requests (the spelling of older clients)", body = Envelope<Vec<AccessLogEntry>>))
)]
pub async fn list_v0(
    state: State<AppState>,
    authorized: Authorized<Read>,
    query: UrlQuery<AccessLogParams>,
) -> Result<Response, ApiError> {
    list(state, authorized, query).await
}

/// A recorded request explained again: the decision recorded then, beside the same request
/// decided now (gatehouse extension).
#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/logs/access_requests/{ray_id}/explain",
    tag = "access logs",
    params(
        ("account_id" = String, Path, description = "The account's id (32 lowercase hex)"),
        ("ray_id" = String, Path, description = "The record's ray id (the Cf-Ray header the client got)"),
    ),
    responses((status = 200, description = "The recorded decision and the decision now, with its trace", body = Envelope<RecordExplainBody>))
)]
pub async fn explain(
    State(state): State<AppState>,
    Authorized { account, ids: ray_id, .. }: Authorized<Read, (String, String)>,
) -> Result<Response, ApiError> {
    let explained = crate::access::explain::explain_record(&state, &account, &ray_id).await?;
    Ok(Json(Envelope::ok(explained)).into_response())
}
