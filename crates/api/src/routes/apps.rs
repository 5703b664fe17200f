//! `/accounts/{account_id}/access/apps[/{app_id}[/revoke_tokens]]`.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use gatehouse_api_types::{ApplicationBody, DeletedBody, Envelope};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::extract::{Authorized, Read, UrlQuery, WithBody, Write};
use super::{page, single};
use crate::access::AppInput;
use crate::access::apps::{self, AppFilter};
use crate::error::{ApiError, ErrorCode};
use crate::openapi::EmptyEnvelope;
use crate::pagination::Pagination;
use crate::state::AppState;

type AppPath = (String, String);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// Items per page, 1 to 1000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    per_page: Option<String>,
    name: Option<String>,
    domain: Option<String>,
    aud: Option<String>,
    /// Case-insensitive part of the name or domain, or the exact id.
    search: Option<String>,
    /// Match `name`, `domain` and `aud` exactly (`true` or `false`).
    #[param(value_type = Option<bool>)]
    exact: Option<String>,
}

impl ListParams {
    fn filter(self) -> Result<AppFilter, ApiError> {
        let exact = match self.exact.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidUrlParameter,
                    "access.api.error.invalid_url_parameter_value: 'exact' must be true or false",
                ));
            }
        };
        let given = |value: Option<String>| value.filter(|s| !s.is_empty());
        Ok(AppFilter {
            name: given(self.name),
            domain: given(self.domain),
            aud: given(self.aud),
            search: given(self.search),
            exact,
        })
    }
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/apps",
    tag = "applications",
    params(crate::openapi::AccountPath, ListParams),
    responses((status = 200, description = "A page of the applications", body = Envelope<Vec<ApplicationBody>>))
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { account, .. }: Authorized<Read>,
    UrlQuery(query): UrlQuery<ListParams>,
) -> Result<Response, ApiError> {
    let params = query;
    let pagination = Pagination::parse(params.page.as_deref(), params.per_page.as_deref())?;
    let (items, total) = apps::list(&state, &account, &params.filter()?, pagination).await?;
    Ok(page(items, pagination, total))
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/apps",
    tag = "applications",
    params(crate::openapi::AccountPath),
    request_body(content = AppInput, content_type = "application/json"),
    responses((status = 201, description = "The new application", body = Envelope<ApplicationBody>))
)]
pub async fn create(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, .. }, body): WithBody<Write>,
) -> Result<Response, ApiError> {
    let app = apps::create(&state, &caller.actor(), &account, body.json()?).await?;
    tracing::info!(app_id = %app["id"], "application created");
    Ok(single(StatusCode::CREATED, app))
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}",
    tag = "applications",
    params(crate::openapi::AppPath),
    responses((status = 200, description = "The application", body = Envelope<ApplicationBody>))
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { account, ids: id, .. }: Authorized<Read, AppPath>,
    uri: Uri,
) -> Result<Response, ApiError> {
    // `GET …/apps/ca` (the SDKs' `applications.cas.list`) lands here: say it is not supported.
    if let Some(error) = crate::unsupported::answer(uri.path()) {
        return Err(error);
    }
    Ok(single(StatusCode::OK, apps::get(&state, &account, &id).await?))
}

#[utoipa::path(
    put,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}",
    tag = "applications",
    params(crate::openapi::AppPath),
    request_body(content = AppInput, content_type = "application/json"),
    responses((status = 200, description = "The changed application", body = Envelope<ApplicationBody>))
)]
pub async fn update(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, AppPath>,
) -> Result<Response, ApiError> {
    let app = apps::update(&state, &caller.actor(), &account, &id, body.json()?).await?;
    tracing::info!(app_id = %id, "application updated");
    Ok(single(StatusCode::OK, app))
}

#[utoipa::path(
    delete,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}",
    tag = "applications",
    params(crate::openapi::AppPath),
    responses((status = 200, description = "The id of the deleted application", body = Envelope<DeletedBody>))
)]
pub async fn delete(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, AppPath>,
) -> Result<Response, ApiError> {
    body.json_or_default::<Value>()?;
    let deleted = apps::delete(&state, &caller.actor(), &account, &id).await?;
    tracing::info!(app_id = %id, "application deleted");
    Ok(single(StatusCode::OK, deleted))
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/apps/{app_id}/revoke_tokens",
    tag = "applications",
    params(crate::openapi::AppPath),
    responses((status = 200, description = "Sessions issued before now are refused; result is null", body = EmptyEnvelope))
)]
pub async fn revoke_tokens(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, ids: id, .. }, body): WithBody<Write, AppPath>,
) -> Result<Response, ApiError> {
    body.json_or_default::<Value>()?;
    apps::revoke_tokens(&state, &caller.actor(), &account, &id).await?;
    tracing::info!(app_id = %id, "application sessions revoked");
    Ok(single(StatusCode::OK, Value::Null))
}
