//! `/accounts/{account_id}/access/service_tokens[/{token_id}[/rotate|/refresh]]`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_api_types::{
    CreateServiceTokenRequest, Envelope, Message, ResultInfo, RotateServiceTokenRequest, ServiceTokenBody,
    UpdateServiceTokenRequest,
};
use gatehouse_domain::ServiceToken;
use gatehouse_store::TokenFilter;
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Authorized, Read, UrlQuery, WithBody, Write};
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;
use crate::tokens;

type TokenPath = (String, String);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// Items per page, 1 to 1000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    per_page: Option<String>,
    /// Exact name.
    name: Option<String>,
    /// Case-insensitive part of the name, or the exact id or client id.
    search: Option<String>,
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/service_tokens",
    tag = "service tokens",
    params(crate::openapi::AccountPath, ListParams),
    responses((status = 200, description = "A page of the account's service tokens", body = Envelope<Vec<ServiceTokenBody>>))
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { account, .. }: Authorized<Read>,
    UrlQuery(params): UrlQuery<ListParams>,
) -> Result<Response, ApiError> {
    let pagination = Pagination::parse(params.page.as_deref(), params.per_page.as_deref())?;
    let filter = TokenFilter {
        name: params.name.filter(|s| !s.is_empty()),
        search: params.search.filter(|s| !s.is_empty()),
        ..TokenFilter::default()
    };
    let page = tokens::list(&state, &account, &filter, pagination).await?;
    let bodies: Vec<ServiceTokenBody> = page.items.iter().map(|t| tokens::body(t, None)).collect();
    let info = ResultInfo::new(pagination.page, pagination.per_page, bodies.len() as u64, page.total);
    Ok(Json(Envelope::list(bodies, info)).into_response())
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/service_tokens",
    tag = "service tokens",
    params(crate::openapi::AccountPath),
    request_body(content = CreateServiceTokenRequest, content_type = "application/json"),
    responses((status = 201, description = "The new token, with its client_secret (shown only here)", body = Envelope<ServiceTokenBody>))
)]
pub async fn create(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, .. }, body): WithBody<Write>,
) -> Result<Response, ApiError> {
    let shown = tokens::create(&state, &caller.actor(), account.clone(), body.json()?).await?;
    tracing::info!(token_id = %shown.token.id, client_id = %shown.token.client_id, "service token created");
    Ok(token_response(StatusCode::CREATED, shown.body()))
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/service_tokens/{token_id}",
    tag = "service tokens",
    params(crate::openapi::TokenPath),
    responses((status = 200, description = "The token", body = Envelope<ServiceTokenBody>))
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { account, ids: id, .. }: Authorized<Read, TokenPath>,
) -> Result<Response, ApiError> {
    let token = tokens::get(&state, &account, &id).await?;
    Ok(token_response(StatusCode::OK, tokens::body(&token, None)))
}

#[utoipa::path(
    put,
    path = "/client/v4/accounts/{account_id}/access/service_tokens/{token_id}",
    tag = "service tokens",
    params(crate::openapi::TokenPath),
    request_body(content = UpdateServiceTokenRequest, content_type = "application/json"),
    responses((status = 200, description = "The changed token (with a new client_secret when client_secret_version went up)", body = Envelope<ServiceTokenBody>))
)]
pub async fn update(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, TokenPath>,
) -> Result<Response, ApiError> {
    let shown = tokens::update(&state, &caller.actor(), &account, &id, body.json()?).await?;
    tracing::info!(token_id = %shown.token.id, rotated = shown.secret.is_some(), "service token updated");
    let messages = if shown.secret.is_some() { rotation_messages(&shown.token) } else { Vec::new() };
    Ok(token_response_with(StatusCode::OK, shown.body(), messages))
}

#[utoipa::path(
    delete,
    path = "/client/v4/accounts/{account_id}/access/service_tokens/{token_id}",
    tag = "service tokens",
    params(crate::openapi::TokenPath),
    responses((status = 200, description = "The deleted token", body = Envelope<ServiceTokenBody>))
)]
pub async fn delete(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, TokenPath>,
) -> Result<Response, ApiError> {
    body.json_or_default::<serde_json::Value>()?;
    let token = tokens::delete(&state, &caller.actor(), &account, &id).await?;
    tracing::info!(token_id = %token.id, "service token deleted");
    Ok(token_response(StatusCode::OK, tokens::body(&token, None)))
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/service_tokens/{token_id}/rotate",
    tag = "service tokens",
    params(crate::openapi::TokenPath),
    request_body(content = Option<RotateServiceTokenRequest>, content_type = "application/json", description = "Optional"),
    responses((status = 200, description = "The token with its new client_secret (the body is optional)", body = Envelope<ServiceTokenBody>))
)]
pub async fn rotate(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, TokenPath>,
) -> Result<Response, ApiError> {
    let shown = tokens::rotate(&state, &caller.actor(), &account, &id, body.json_or_default()?).await?;
    tracing::info!(token_id = %shown.token.id, version = shown.token.credentials.version(), "service token rotated");
    let messages = rotation_messages(&shown.token);
    Ok(token_response_with(StatusCode::OK, shown.body(), messages))
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/service_tokens/{token_id}/refresh",
    tag = "service tokens",
    params(crate::openapi::TokenPath),
    responses((status = 200, description = "The token, its expiry extended from now", body = Envelope<ServiceTokenBody>))
)]
pub async fn refresh(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, TokenPath>,
) -> Result<Response, ApiError> {
    body.json_or_default::<serde_json::Value>()?;
    let token = tokens::refresh(&state, &caller.actor(), &account, &id).await?;
    tracing::info!(token_id = %token.id, expires_at = %token.expires_at, "service token refreshed");
    Ok(token_response(StatusCode::OK, tokens::body(&token, None)))
}

/// One token in the v4 envelope. Its public fields are repeated beside `result` so that the
/// user guide's `jq '{name, last_seen_at, expires_at}'` on a GET answers as written; the secret
/// is never repeated.
fn token_response(status: StatusCode, body: ServiceTokenBody) -> Response {
    token_response_with(status, body, Vec::new())
}

/// [`token_response`] with `messages`.
fn token_response_with(status: StatusCode, body: ServiceTokenBody, messages: Vec<Message>) -> Response {
    let mut top_level = match serde_json::to_value(&body) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    top_level.remove("client_secret");
    let mut envelope = Envelope::ok(body);
    envelope.top_level = top_level;
    envelope.messages = messages;
    (status, Json(envelope)).into_response()
}

/// The code of the message a rotation without a deadline carries (see `docs/api.md`).
pub const PREVIOUS_SECRET_KEPT: u32 = 12150;

/// After a rotation: says how long the previous secret stays valid when the request gave no
/// `previous_client_secret_expires_at`. Cloudflare's SDKs document that the previous secret then
/// stops at once; gatehouse keeps it until the new secret is first used (the user guide's
/// behaviour), and says so here rather than leave an SDK user to guess.
fn rotation_messages(token: &ServiceToken) -> Vec<Message> {
    let credentials = &token.credentials;
    if credentials.previous().is_none() || credentials.previous_expires_at().is_some() {
        return Vec::new();
    }
    vec![Message::new(
        PREVIOUS_SECRET_KEPT,
        "The previous client secret stays valid until the new one is first used at the gateway, \
         because no previous_client_secret_expires_at was given; send one to set a deadline \
         (a time in the past ends the previous secret now).",
    )]
}
