//! `GET /accounts`: the accounts the caller can see (its own), so that clients can discover
//! their account id from a token alone. Paginated like every list: the SDKs ask for page N+1
//! until a page is empty, so page 2 and later are `[]`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use gatehouse_api_types::{AccountBody, Envelope, ResultInfo};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::UrlQuery;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// Items per page, 1 to 1000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    per_page: Option<String>,
    /// Exact account name.
    name: Option<String>,
    /// `asc` or `desc`: with one account, either order is the same.
    direction: Option<String>,
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts",
    tag = "accounts",
    params(ListParams),
    responses((status = 200, description = "The caller's account", body = Envelope<Vec<AccountBody>>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    UrlQuery(params): UrlQuery<ListParams>,
) -> Result<Response, ApiError> {
    let pagination = Pagination::parse(params.page.as_deref(), params.per_page.as_deref())?;
    if let Some(direction) = params.direction.as_deref()
        && !matches!(direction, "asc" | "desc")
    {
        return Err(ApiError::new(
            ErrorCode::InvalidUrlParameter,
            "access.api.error.invalid_url_parameter_value: 'direction' must be asc or desc",
        ));
    }
    let name = params.name.filter(|s| !s.is_empty());
    let accounts: Vec<_> = state
        .store
        .get_account(&caller.account_id)
        .await?
        .into_iter()
        .filter(|account| name.as_deref().is_none_or(|wanted| wanted == account.name))
        .map(|account| AccountBody {
            id: account.id.as_str().to_owned(),
            name: account.name,
            account_type: "standard".to_owned(),
            settings: serde_json::Map::new(),
            created_on: account.created_at.to_string(),
        })
        .collect();
    let total = accounts.len() as u64;
    let request = pagination.request();
    let items: Vec<AccountBody> = accounts
        .into_iter()
        .skip(usize::try_from(request.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(request.limit).unwrap_or(usize::MAX))
        .collect();
    let info = ResultInfo::new(pagination.page, pagination.per_page, items.len() as u64, total);
    Ok(Json(Envelope::list(items, info)).into_response())
}
