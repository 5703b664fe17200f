//! `/accounts/{account_id}/gateway/lists[/{list_id}[/items]]`: Zero Trust lists.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_api_types::{
    CreateListRequest, DeletedBody, EditListRequest, Envelope, ListBody, ListItemBody, UpdateListRequest,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::extract::{Authorized, Read, UrlQuery, WithBody, Write};
use super::{page, single};
use crate::access::lists;
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;

type ListPath = (String, String);

/// `type`: the query of the collection.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only the lists of this type: SERIAL, URL, DOMAIN, EMAIL or IP.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
}

/// `page`, `per_page`: the query of a list's items.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemParams {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// Items per page, 1 to 1000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    per_page: Option<String>,
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/gateway/lists",
    tag = "gateway_lists",
    params(crate::openapi::AccountPath, ListParams),
    responses((status = 200, description = "The account's lists, without their items", body = Envelope<Vec<ListBody>>))
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { account, .. }: Authorized<Read>,
    UrlQuery(query): UrlQuery<ListParams>,
) -> Result<Response, ApiError> {
    let kind = query.kind.as_deref().filter(|k| !k.is_empty()).map(lists::parse_type).transpose()?;
    let items = lists::list(&state, &account, kind).await?;
    let total = items.len() as u64;
    Ok(page(items, Pagination { page: 1, per_page: total.max(1) }, total))
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/gateway/lists",
    tag = "gateway_lists",
    params(crate::openapi::AccountPath),
    request_body(content = CreateListRequest, content_type = "application/json"),
    responses((status = 200, description = "The new list, with its items", body = Envelope<ListBody>))
)]
pub async fn create(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, .. }, body): WithBody<Write>,
) -> Result<Response, ApiError> {
    let list = lists::create(&state, &caller.actor(), &account, body.json()?).await?;
    tracing::info!(list_id = %list["id"], "zero trust list created");
    Ok(single(StatusCode::OK, list))
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/gateway/lists/{list_id}",
    tag = "gateway_lists",
    params(crate::openapi::ListPath),
    responses((status = 200, description = "The list, with its items", body = Envelope<ListBody>))
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { account, ids: id, .. }: Authorized<Read, ListPath>,
) -> Result<Response, ApiError> {
    Ok(single(StatusCode::OK, lists::get(&state, &account, &id).await?))
}

#[utoipa::path(
    put,
    path = "/client/v4/accounts/{account_id}/gateway/lists/{list_id}",
    tag = "gateway_lists",
    params(crate::openapi::ListPath),
    request_body(content = UpdateListRequest, content_type = "application/json"),
    responses((status = 200, description = "The changed list", body = Envelope<ListBody>))
)]
pub async fn update(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, ListPath>,
) -> Result<Response, ApiError> {
    let list = lists::update(&state, &caller.actor(), &account, &id, body.json()?).await?;
    tracing::info!(list_id = %id, "zero trust list updated");
    Ok(single(StatusCode::OK, list))
}

#[utoipa::path(
    patch,
    path = "/client/v4/accounts/{account_id}/gateway/lists/{list_id}",
    tag = "gateway_lists",
    params(crate::openapi::ListPath),
    request_body(content = EditListRequest, content_type = "application/json"),
    responses((status = 200, description = "The changed list", body = Envelope<ListBody>))
)]
pub async fn edit(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, ListPath>,
) -> Result<Response, ApiError> {
    let list = lists::edit(&state, &caller.actor(), &account, &id, body.json::<EditListRequest>()?).await?;
    tracing::info!(list_id = %id, "zero trust list edited");
    Ok(single(StatusCode::OK, list))
}

#[utoipa::path(
    delete,
    path = "/client/v4/accounts/{account_id}/gateway/lists/{list_id}",
    tag = "gateway_lists",
    params(crate::openapi::ListPath),
    responses((status = 200, description = "The id of the deleted list", body = Envelope<DeletedBody>))
)]
pub async fn delete(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, ListPath>,
) -> Result<Response, ApiError> {
    body.json_or_default::<Value>()?;
    let deleted = lists::delete(&state, &caller.actor(), &account, &id).await?;
    tracing::info!(list_id = %id, "zero trust list deleted");
    Ok(single(StatusCode::OK, deleted))
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/gateway/lists/{list_id}/items",
    tag = "gateway_lists",
    params(crate::openapi::ListPath, ItemParams),
    responses((status = 200, description = "A page of the list's items, in the order they were added", body = Envelope<Vec<ListItemBody>>))
)]
pub async fn items(
    State(state): State<AppState>,
    Authorized { account, ids: id, .. }: Authorized<Read, ListPath>,
    UrlQuery(query): UrlQuery<ItemParams>,
) -> Result<Response, ApiError> {
    let pagination = Pagination::parse(query.page.as_deref(), query.per_page.as_deref())?;
    let (items, total) = lists::items(&state, &account, &id, pagination).await?;
    Ok(page(items, pagination, total))
}
