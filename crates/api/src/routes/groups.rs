//! `/accounts/{account_id}/access/groups[/{group_id}]`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_api_types::{DeletedBody, Envelope, GroupBody};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::extract::{Authorized, Read, UrlQuery, WithBody, Write};
use super::{page, single};
use crate::access::{GroupInput, NameFilter, groups};
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;

type GroupPath = (String, String);

/// `page`, `per_page`, `name`, `search`: the query of the group and policy lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NameParams {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// Items per page, 1 to 1000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    per_page: Option<String>,
    /// Exact name.
    name: Option<String>,
    /// Case-insensitive part of the name, or the exact id.
    search: Option<String>,
}

impl NameParams {
    pub fn parse(self) -> Result<(NameFilter, Pagination), ApiError> {
        let pagination = Pagination::parse(self.page.as_deref(), self.per_page.as_deref())?;
        let filter = NameFilter {
            name: self.name.filter(|s| !s.is_empty()),
            search: self.search.filter(|s| !s.is_empty()),
        };
        Ok((filter, pagination))
    }
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/groups",
    tag = "groups",
    params(crate::openapi::AccountPath, NameParams),
    responses((status = 200, description = "A page of the access groups", body = Envelope<Vec<GroupBody>>))
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { account, .. }: Authorized<Read>,
    UrlQuery(query): UrlQuery<NameParams>,
) -> Result<Response, ApiError> {
    let (filter, pagination) = query.parse()?;
    let (items, total) = groups::list(&state, &account, &filter, pagination).await?;
    Ok(page(items, pagination, total))
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/groups",
    tag = "groups",
    params(crate::openapi::AccountPath),
    request_body(content = GroupInput, content_type = "application/json"),
    responses((status = 201, description = "The new group", body = Envelope<GroupBody>))
)]
pub async fn create(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, .. }, body): WithBody<Write>,
) -> Result<Response, ApiError> {
    let group = groups::create(&state, &caller.actor(), &account, body.json()?).await?;
    tracing::info!(group_id = %group["id"], "access group created");
    Ok(single(StatusCode::CREATED, group))
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/groups/{group_id}",
    tag = "groups",
    params(crate::openapi::GroupPath),
    responses((status = 200, description = "The group", body = Envelope<GroupBody>))
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { account, ids: id, .. }: Authorized<Read, GroupPath>,
) -> Result<Response, ApiError> {
    Ok(single(StatusCode::OK, groups::get(&state, &account, &id).await?))
}

#[utoipa::path(
    put,
    path = "/client/v4/accounts/{account_id}/access/groups/{group_id}",
    tag = "groups",
    params(crate::openapi::GroupPath),
    request_body(content = GroupInput, content_type = "application/json"),
    responses((status = 200, description = "The changed group", body = Envelope<GroupBody>))
)]
pub async fn update(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, GroupPath>,
) -> Result<Response, ApiError> {
    let group = groups::update(&state, &caller.actor(), &account, &id, body.json()?).await?;
    tracing::info!(group_id = %id, "access group updated");
    Ok(single(StatusCode::OK, group))
}

#[utoipa::path(
    delete,
    path = "/client/v4/accounts/{account_id}/access/groups/{group_id}",
    tag = "groups",
    params(crate::openapi::GroupPath),
    responses((status = 200, description = "The id of the deleted group", body = Envelope<DeletedBody>))
)]
pub async fn delete(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, GroupPath>,
) -> Result<Response, ApiError> {
    body.json_or_default::<Value>()?;
    let deleted = groups::delete(&state, &caller.actor(), &account, &id).await?;
    tracing::info!(group_id = %id, "access group deleted");
    Ok(single(StatusCode::OK, deleted))
}
