//! `POST /accounts/{account_id}/access/apps/{app_id}/explain`: the gateway's decision on a
//! described request, with its trace; and `…/what-if`: recorded requests replayed against a draft
//! policy set. Both change nothing, but are POSTs: as every non-GET route, they need a token that
//! may write.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_api_types::{Envelope, ExplainBody, ExplainRequest, WhatIfBody, WhatIfRequest};
use serde::Serialize;

use super::extract::{Authorized, WithBody, Write};
use crate::access::{explain, what_if};
use crate::error::ApiError;
use crate::state::AppState;

type AppPath = (String, String);

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
    WithBody(Authorized { account, ids: app, .. }, body): WithBody<Write, AppPath>,
) -> Result<Response, ApiError> {
    let request = body.json()?;
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
    WithBody(Authorized { account, ids: app, .. }, body): WithBody<Write, AppPath>,
) -> Result<Response, ApiError> {
    let request = body.json()?;
    answer(what_if::what_if(&state, &account, &app, request).await?)
}

fn answer<T: Serialize>(result: T) -> Result<Response, ApiError> {
    Ok((StatusCode::OK, Json(Envelope::ok(result))).into_response())
}
