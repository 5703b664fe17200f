//! `/accounts/{account_id}/access/apps/{app_id}/policies[/{policy_id}[/make_reusable]]`.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use gatehouse_api_types::{DeletedBody, Envelope, PolicyBody};
use serde_json::Value;

use super::groups::NameParams;
use super::{page, path_params, query_params, single};
use crate::access::{PolicyInput, app_policies};
use crate::auth::{Access, Caller};
use crate::body::RawBody;
use crate::error::ApiError;
use crate::state::AppState;

type AppPath = Result<Path<(String, String)>, PathRejection>;
type PolicyPath = Result<Path<(String, String, String)>, PathRejection>;

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}/policies",
    tag = "applications",
    params(crate::openapi::AppPath, NameParams),
    responses((status = 200, description = "A page of the application's policies", body = Envelope<Vec<PolicyBody>>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: AppPath,
    query: Result<Query<NameParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (account, app) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Read)?;
    let (_, pagination) = query_params(query)?.parse()?;
    let (items, total) = app_policies::list(&state, &account, &app, pagination).await?;
    Ok(page(items, pagination, total))
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}/policies",
    tag = "applications",
    params(crate::openapi::AppPath),
    request_body(content = PolicyInput, content_type = "application/json"),
    responses((status = 201, description = "The new app-scoped policy", body = Envelope<PolicyBody>))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: AppPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, app) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    let policy = app_policies::create(&state, &caller.actor(), &account, &app, body.json()?).await?;
    tracing::info!(app_id = %app, policy_id = %policy["id"], "app-scoped policy created");
    Ok(single(StatusCode::CREATED, policy))
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}/policies/{policy_id}",
    tag = "applications",
    params(crate::openapi::AppPolicyPath),
    responses((status = 200, description = "The policy", body = Envelope<PolicyBody>))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: PolicyPath,
) -> Result<Response, ApiError> {
    let (account, app, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Read)?;
    Ok(single(StatusCode::OK, app_policies::get(&state, &account, &app, &id).await?))
}

#[utoipa::path(
    put,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}/policies/{policy_id}",
    tag = "applications",
    params(crate::openapi::AppPolicyPath),
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
    let (account, app, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    let policy = app_policies::update(&state, &caller.actor(), &account, &app, &id, body.json()?).await?;
    tracing::info!(app_id = %app, policy_id = %id, "app-scoped policy updated");
    Ok(single(StatusCode::OK, policy))
}

#[utoipa::path(
    delete,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}/policies/{policy_id}",
    tag = "applications",
    params(crate::openapi::AppPolicyPath),
    responses((status = 200, description = "The id of the deleted policy", body = Envelope<DeletedBody>))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: PolicyPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, app, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    body.json_or_default::<Value>()?;
    let deleted = app_policies::delete(&state, &caller.actor(), &account, &app, &id).await?;
    tracing::info!(app_id = %app, policy_id = %id, "app-scoped policy deleted");
    Ok(single(StatusCode::OK, deleted))
}

#[utoipa::path(
    put,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}/policies/{policy_id}/make_reusable",
    tag = "applications",
    params(crate::openapi::AppPolicyPath),
    responses((status = 200, description = "The policy, now reusable", body = Envelope<PolicyBody>))
)]
pub async fn make_reusable(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: PolicyPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, app, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    body.json_or_default::<Value>()?;
    let policy = app_policies::make_reusable(&state, &caller.actor(), &account, &app, &id).await?;
    tracing::info!(app_id = %app, policy_id = %id, "policy made reusable");
    Ok(single(StatusCode::OK, policy))
}
