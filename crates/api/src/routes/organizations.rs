//! `/accounts/{account_id}/access/organizations`: GET, and PUT or PATCH (both partial);
//! `POST …/organizations/revoke_user`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_api_types::{Envelope, OrganizationBody, OrganizationRequest, RevokeUserRequest};

use super::extract::{Authorized, Read, WithBody, Write};
use super::single;
use crate::access::{organization, users};
use crate::error::ApiError;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/organizations",
    tag = "organization",
    params(crate::openapi::AccountPath),
    responses((status = 200, description = "The organization (created with defaults on first read)", body = Envelope<OrganizationBody>))
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { account, .. }: Authorized<Read>,
) -> Result<Response, ApiError> {
    Ok(single(StatusCode::OK, organization::get(&state, &account).await?))
}

#[utoipa::path(
    method(put, patch),
    path = "/client/v4/accounts/{account_id}/access/organizations",
    tag = "organization",
    params(crate::openapi::AccountPath),
    request_body(content = OrganizationRequest, content_type = "application/json"),
    responses((status = 200, description = "The organization with the given fields changed", body = Envelope<OrganizationBody>))
)]
pub async fn update(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, .. }, body): WithBody<Write>,
) -> Result<Response, ApiError> {
    let organization = organization::update(&state, &caller.actor(), &account, body.json()?).await?;
    tracing::info!("access organization updated");
    Ok(single(StatusCode::OK, organization))
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/organizations/revoke_user",
    tag = "organization",
    params(crate::openapi::AccountPath),
    request_body(content = RevokeUserRequest, content_type = "application/json"),
    responses((status = 200, description = "Every session of the person issued up to now is refused; result is true", body = Envelope<bool>))
)]
pub async fn revoke_user(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, .. }, body): WithBody<Write>,
) -> Result<Response, ApiError> {
    users::revoke(&state, &caller.actor(), &account, body.json()?).await?;
    tracing::info!("a person's sessions revoked");
    Ok(single(StatusCode::OK, serde_json::Value::Bool(true)))
}
