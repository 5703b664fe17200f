//! `/accounts/{account_id}/access/identity_providers[/{identity_provider_id}]`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_api_types::{DeletedBody, Envelope, IdentityProviderBody};
use serde_json::Value;

use super::extract::{Authorized, Read, UrlQuery, WithBody, Write};
use super::groups::NameParams;
use super::{page, single};
use crate::access::identity_providers;
use crate::error::ApiError;
use crate::state::AppState;

type IdpPath = (String, String);

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/identity_providers",
    tag = "identity_providers",
    params(crate::openapi::AccountPath, NameParams),
    responses((status = 200, description = "A page of the identity providers", body = Envelope<Vec<IdentityProviderBody>>))
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { account, .. }: Authorized<Read>,
    UrlQuery(query): UrlQuery<NameParams>,
) -> Result<Response, ApiError> {
    let (filter, pagination) = query.parse()?;
    let (items, total) = identity_providers::list(&state, &account, &filter, pagination).await?;
    Ok(page(items, pagination, total))
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/identity_providers",
    tag = "identity_providers",
    params(crate::openapi::AccountPath),
    request_body(content = IdentityProviderBody, content_type = "application/json"),
    responses((status = 201, description = "The new identity provider", body = Envelope<IdentityProviderBody>))
)]
pub async fn create(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, .. }, body): WithBody<Write>,
) -> Result<Response, ApiError> {
    let idp = identity_providers::create(&state, &caller.actor(), &account, body.json()?).await?;
    tracing::info!(identity_provider_id = %idp["id"], "identity provider created");
    Ok(single(StatusCode::CREATED, idp))
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/identity_providers/{identity_provider_id}",
    tag = "identity_providers",
    params(crate::openapi::IdentityProviderPath),
    responses((status = 200, description = "The identity provider", body = Envelope<IdentityProviderBody>))
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { account, ids: id, .. }: Authorized<Read, IdpPath>,
) -> Result<Response, ApiError> {
    Ok(single(StatusCode::OK, identity_providers::get(&state, &account, &id).await?))
}

#[utoipa::path(
    put,
    path = "/client/v4/accounts/{account_id}/access/identity_providers/{identity_provider_id}",
    tag = "identity_providers",
    params(crate::openapi::IdentityProviderPath),
    request_body(content = IdentityProviderBody, content_type = "application/json"),
    responses((status = 200, description = "The changed identity provider", body = Envelope<IdentityProviderBody>))
)]
pub async fn update(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, IdpPath>,
) -> Result<Response, ApiError> {
    let idp = identity_providers::update(&state, &caller.actor(), &account, &id, body.json()?).await?;
    tracing::info!(identity_provider_id = %id, "identity provider updated");
    Ok(single(StatusCode::OK, idp))
}

#[utoipa::path(
    delete,
    path = "/client/v4/accounts/{account_id}/access/identity_providers/{identity_provider_id}",
    tag = "identity_providers",
    params(crate::openapi::IdentityProviderPath),
    responses((status = 200, description = "The id of the deleted identity provider", body = Envelope<DeletedBody>))
)]
pub async fn delete(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, IdpPath>,
) -> Result<Response, ApiError> {
    body.json_or_default::<Value>()?;
    let deleted = identity_providers::delete(&state, &caller.actor(), &account, &id).await?;
    tracing::info!(identity_provider_id = %id, "identity provider deleted");
    Ok(single(StatusCode::OK, deleted))
}
