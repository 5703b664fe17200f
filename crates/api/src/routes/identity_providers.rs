//! `/accounts/{account_id}/access/identity_providers[/{identity_provider_id}]`.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use gatehouse_api_types::{DeletedBody, Envelope, IdentityProviderBody};
use serde_json::Value;

use super::groups::NameParams;
use super::{page, path_params, query_params, single};
use crate::access::identity_providers;
use crate::auth::{Access, Caller};
use crate::body::RawBody;
use crate::error::ApiError;
use crate::state::AppState;

type AccountPath = Result<axum::extract::Path<String>, PathRejection>;
type IdpPath = Result<axum::extract::Path<(String, String)>, PathRejection>;

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/identity_providers",
    tag = "identity_providers",
    params(crate::openapi::AccountPath, NameParams),
    responses((status = 200, description = "A page of the identity providers", body = Envelope<Vec<IdentityProviderBody>>))
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
    caller: Caller,
    uri: Uri,
    path: AccountPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let account = caller.authorize(&path_params(path, &uri)?, Access::Write)?;
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
    caller: Caller,
    uri: Uri,
    path: IdpPath,
) -> Result<Response, ApiError> {
    let (account, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Read)?;
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
    caller: Caller,
    uri: Uri,
    path: IdpPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
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
    caller: Caller,
    uri: Uri,
    path: IdpPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    body.json_or_default::<Value>()?;
    let deleted = identity_providers::delete(&state, &caller.actor(), &account, &id).await?;
    tracing::info!(identity_provider_id = %id, "identity provider deleted");
    Ok(single(StatusCode::OK, deleted))
}
