//! `/accounts/{account_id}/access/policies[/{policy_id}]`: reusable policies.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use gatehouse_api_types::{DeletedBody, Envelope, PolicyBody};
use serde_json::Value;

use super::groups::NameParams;
use super::{page, path_params, query_params, single};
use crate::access::{PolicyInput, policies};
use crate::auth::{Access, Caller};
use crate::body::RawBody;
use crate::error::ApiError;
use crate::state::AppState;

type AccountPath = Result<Path<String>, PathRejection>;
type PolicyPath = Result<Path<(String, String)>, PathRejection>;

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/policies",
    tag = "policies",
    params(crate::openapi::AccountPath, NameParams),
    responses((status = 200, description = "A page of the reusable policies", body = Envelope<Vec<PolicyBody>>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: AccountPath,
    query: Result<Query<NameParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let account = caller.authorize(&path_params(path, &uri)?, Access::Read)?;
    let (filter, pagination) = query_params(query)?.parse()?;
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
    caller: Caller,
    uri: Uri,
    path: AccountPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let account = caller.authorize(&path_params(path, &uri)?, Access::Write)?;
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
    caller: Caller,
    uri: Uri,
    path: PolicyPath,
) -> Result<Response, ApiError> {
    let (account, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Read)?;
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
    caller: Caller,
    uri: Uri,
    path: PolicyPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
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
    caller: Caller,
    uri: Uri,
    path: PolicyPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    body.json_or_default::<Value>()?;
    let deleted = policies::delete(&state, &caller.actor(), &account, &id).await?;
    tracing::info!(policy_id = %id, "reusable policy deleted");
    Ok(single(StatusCode::OK, deleted))
}
