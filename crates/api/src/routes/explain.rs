//! `POST /accounts/{account_id}/access/apps/{app_id}/explain`: the gateway's decision on a
//! described request, with its trace; and `…/what-if`: recorded requests replayed against a draft
//! policy set. Both change nothing, but are POSTs: as every non-GET route, they need a token that
//! may write.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use gatehouse_api_types::{Envelope, ExplainBody, ExplainRequest, WhatIfBody, WhatIfRequest};
use gatehouse_domain::AccountId;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::path_params;
use crate::access::{explain, what_if};
use crate::auth::{Access, Caller};
use crate::body::RawBody;
use crate::error::ApiError;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}/explain",
    tag = "applications",
    params(crate::openapi::AppPath),
    request_body(content = ExplainRequest, content_type = "application/json"),
    responses((status = 200, description = "The gateway's decision on the described request, with its trace", body = Envelope<ExplainBody>))
)]
pub async fn explain(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, app, request) = app_post(&caller, &uri, path, &body)?;
    answer(explain::explain(&state, &account, &app, request).await?)
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}/what-if",
    tag = "applications",
    params(crate::openapi::AppPath),
    request_body(content = WhatIfRequest, content_type = "application/json"),
    responses((status = 200, description = "The decisions a draft policy set would change over the recorded requests", body = Envelope<WhatIfBody>))
)]
pub async fn what_if(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, app, request) = app_post(&caller, &uri, path, &body)?;
    answer(what_if::what_if(&state, &account, &app, request).await?)
}

/// What both handlers read first: the account and application of the path, a caller that may
/// write to the account, the JSON body.
fn app_post<T: DeserializeOwned>(
    caller: &Caller,
    uri: &Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    body: &RawBody,
) -> Result<(AccountId, String, T), ApiError> {
    let (account, app) = path_params(path, uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    Ok((account, app, body.json()?))
}

fn answer<T: Serialize>(result: T) -> Result<Response, ApiError> {
    Ok((StatusCode::OK, Json(Envelope::ok(result))).into_response())
}
