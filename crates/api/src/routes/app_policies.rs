//! `/accounts/{account_id}/access/apps/{app_id}/policies[/{policy_id}[/make_reusable]]`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_api_types::{DeletedBody, Envelope, PolicyBody};
use serde_json::Value;

use super::extract::{Authorized, Read, UrlQuery, WithBody, Write};
use super::groups::NameParams;
use super::{page, single};
use crate::access::{PolicyInput, app_policies};
use crate::error::ApiError;
use crate::state::AppState;

type AppPath = (String, String);
type PolicyPath = (String, String, String);

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}/policies",
    tag = "applications",
    params(crate::openapi::AppPath, NameParams),
    responses((status = 200, description = "A page of the application's policies", body = Envelope<Vec<PolicyBody>>))
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { account, ids: app, .. }: Authorized<Read, AppPath>,
    UrlQuery(query): UrlQuery<NameParams>,
) -> Result<Response, ApiError> {
    let (_, pagination) = query.parse()?;
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
    WithBody(Authorized { caller, account, ids: app, .. }, body): WithBody<Write, AppPath>,
) -> Result<Response, ApiError> {
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
    Authorized { account, ids: (app, id), .. }: Authorized<Read, PolicyPath>,
) -> Result<Response, ApiError> {
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
    WithBody(Authorized { caller, account, ids: (app, id), .. }, body): WithBody<Write, PolicyPath>,
) -> Result<Response, ApiError> {
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
    WithBody(Authorized { caller, account, ids: (app, id), .. }, body): WithBody<Write, PolicyPath>,
) -> Result<Response, ApiError> {
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
    WithBody(Authorized { caller, account, ids: (app, id), .. }, body): WithBody<Write, PolicyPath>,
) -> Result<Response, ApiError> {
    body.json_or_default::<Value>()?;
    let policy = app_policies::make_reusable(&state, &caller.actor(), &account, &app, &id).await?;
    tracing::info!(app_id = %app, policy_id = %id, "policy made reusable");
    Ok(single(StatusCode::OK, policy))
}
