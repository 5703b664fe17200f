//! `/accounts/{account_id}/access/policies[/{policy_id}]`: reusable policies.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_api_types::{DeletedBody, Envelope, PolicyBody};
use serde_json::Value;

use super::extract::{Authorized, Read, UrlQuery, WithBody, Write};
use super::groups::NameParams;
use super::{page, single};
use crate::access::{PolicyInput, policies};
use crate::error::ApiError;
use crate::state::AppState;

type PolicyPath = (String, String);

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/policies",
    tag = "policies",
    params(crate::openapi::AccountPath, NameParams),
    responses((status = 200, description = "A page of the reusable policies", body = Envelope<Vec<PolicyBody>>))
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { account, .. }: Authorized<Read>,
    UrlQuery(query): UrlQuery<NameParams>,
) -> Result<Response, ApiError> {
    let (filter, pagination) = query.parse()?;
    let (items, total) = policies::list(&state, &account, &filter, pagination).await?;
    Ok(page(items, pagination, total))
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/policies",
    tag = "policies",
    params(crate::openapi::AccountPath),
    request_body(content = PolicyInput, content_type = "application/json"),
    responses((status = 201, description = "The new reusable policy", body = Envelope<PolicyBody>))
)]
pub async fn create(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, .. }, body): WithBody<Write>,
) -> Result<Response, ApiError> {
    let policy = policies::create(&state, &caller.actor(), &account, body.json()?).await?;
    tracing::info!(policy_id = %policy["id"], "reusable policy created");
    Ok(single(StatusCode::CREATED, policy))
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/policies/{policy_id}",
    tag = "policies",
    params(crate::openapi::PolicyPath),
    responses((status = 200, description = "The policy", body = Envelope<PolicyBody>))
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { account, ids: id, .. }: Authorized<Read, PolicyPath>,
) -> Result<Response, ApiError> {
    Ok(single(StatusCode::OK, policies::get(&state, &account, &id).await?))
}

#[utoipa::path(
    put,
    path = "/client/v4/accounts/{account_id}/access/policies/{policy_id}",
    tag = "policies",
    params(crate::openapi::PolicyPath),
    request_body(content = PolicyInput, content_type = "application/json"),
    responses((status = 200, description = "The changed policy", body = Envelope<PolicyBody>))
)]
pub async fn update(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, PolicyPath>,
) -> Result<Response, ApiError> {
    let policy = policies::update(&state, &caller.actor(), &account, &id, body.json()?).await?;
    tracing::info!(policy_id = %id, "reusable policy updated");
    Ok(single(StatusCode::OK, policy))
}

#[utoipa::path(
    delete,
    path = "/client/v4/accounts/{account_id}/access/policies/{policy_id}",
    tag = "policies",
    params(crate::openapi::PolicyPath),
    responses((status = 200, description = "The id of the deleted policy", body = Envelope<DeletedBody>))
)]
pub async fn delete(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, PolicyPath>,
) -> Result<Response, ApiError> {
    body.json_or_default::<Value>()?;
    let deleted = policies::delete(&state, &caller.actor(), &account, &id).await?;
    tracing::info!(policy_id = %id, "reusable policy deleted");
    Ok(single(StatusCode::OK, deleted))
}
