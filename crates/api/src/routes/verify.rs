//! `GET /user/tokens/verify` and `GET /accounts/{account_id}/tokens/verify`: Cloudflare's way
//! for a script to check its API token. gatehouse's tokens belong to one account and are
//! accepted on both paths (on the account path only for their own account).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_api_types::{Envelope, Message, TokenVerifyBody};
use gatehouse_domain::{ApiToken, ApiTokenKind, HashPurpose};

use crate::auth::{Presented, presented_credential};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/client/v4/user/tokens/verify",
    tag = "api tokens",
    responses((status = 200, description = "The token is valid and active", body = Envelope<TokenVerifyBody>))
)]
pub async fn user(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let token = verify(&state, &headers).await?;
    Ok(render(&token))
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/tokens/verify",
    tag = "api tokens",
    params(crate::openapi::AccountPath),
    responses((status = 200, description = "The token is valid, active and of this account", body = Envelope<TokenVerifyBody>))
)]
pub async fn account(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let token = verify(&state, &headers).await?;
    let matches = path.is_ok_and(|Path(account)| account == token.account_id.as_str());
    if !matches {
        return Err(invalid());
    }
    Ok(render(&token))
}

async fn verify(state: &AppState, headers: &HeaderMap) -> Result<ApiToken, ApiError> {
    let Presented::Bearer(secret) = presented_credential(headers)? else {
        return Err(invalid());
    };
    let hash = state.key.hash(HashPurpose::ApiToken, &secret);
    match state.store.find_api_token(&hash).await? {
        Some(token) if token.kind == ApiTokenKind::Bearer && token.status(state.clock.now()) == "active" => {
            Ok(token)
        }
        _ => Err(invalid()),
    }
}

fn invalid() -> ApiError {
    ApiError::new(ErrorCode::InvalidApiToken, "Invalid API Token")
}

fn render(token: &ApiToken) -> Response {
    let body = TokenVerifyBody {
        id: token.id.clone(),
        status: "active".to_owned(),
        expires_on: token.expires_at.map(|t| t.to_string()),
    };
    let mut envelope = Envelope::ok(body);
    envelope.messages.push(Message::new(10000, "This API Token is valid and active"));
    (StatusCode::OK, Json(envelope)).into_response()
}
