//! `GET /accounts/{account_id}/access/users`: the people of the account.

use axum::extract::State;
use axum::response::Response;
use gatehouse_api_types::{Envelope, UserBody};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Authorized, Read, UrlQuery};
use super::page;
use crate::access::users::{self, UserFilter};
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;

/// `page`, `per_page`, `email`, `name`, `search`: the query of the users list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserParams {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// Items per page, 1 to 1000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    per_page: Option<String>,
    /// Exact e-mail address (case folded).
    email: Option<String>,
    /// Exact name.
    name: Option<String>,
    /// Case-insensitive part of the e-mail address or the name.
    search: Option<String>,
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/users",
    tag = "users",
    params(crate::openapi::AccountPath, UserParams),
    responses((status = 200, description = "A page of the people of the account, by e-mail address", body = Envelope<Vec<UserBody>>))
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { account, .. }: Authorized<Read>,
    UrlQuery(query): UrlQuery<UserParams>,
) -> Result<Response, ApiError> {
    let params = query;
    let pagination = Pagination::parse(params.page.as_deref(), params.per_page.as_deref())?;
    let non_empty = |text: Option<String>| text.filter(|s| !s.is_empty());
    let filter = UserFilter {
        email: non_empty(params.email),
        name: non_empty(params.name),
        search: non_empty(params.search),
    };
    let (items, total) = users::list(&state, &account, &filter, pagination).await?;
    Ok(page(items, pagination, total))
}
