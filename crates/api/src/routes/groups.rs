//! `/accounts/{account_id}/access/groups[/{group_id}]`.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::{page, path_params, query_params, single};
use crate::access::{NameFilter, groups};
use crate::audit::{self, Change};
use crate::auth::{Access, Caller};
use crate::body::RawBody;
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;

type AccountPath = Result<Path<String>, PathRejection>;
type GroupPath = Result<Path<(String, String)>, PathRejection>;

/// `page`, `per_page`, `name`, `search`: the query of the group and policy lists.
#[derive(Debug, Deserialize)]
pub struct NameParams {
    page: Option<String>,
    per_page: Option<String>,
    name: Option<String>,
    search: Option<String>,
}

impl NameParams {
    pub fn parse(self) -> Result<(NameFilter, Pagination), ApiError> {
        let pagination = Pagination::parse(self.page.as_deref(), self.per_page.as_deref())?;
        let filter = NameFilter {
            name: self.name.filter(|s| !s.is_empty()),
            search: self.search.filter(|s| !s.is_empty()),
        };
        Ok((filter, pagination))
    }
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: AccountPath,
    query: Result<Query<NameParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let account = caller.authorize(&path_params(path, &uri)?, Access::Read)?;
    let (filter, pagination) = query_params(query)?.parse()?;
    let (items, total) = groups::list(&state, &account, &filter, pagination).await?;
    Ok(page(items, pagination, total))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: AccountPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let account = caller.authorize(&path_params(path, &uri)?, Access::Write)?;
    let group = groups::create(&state, &account, body.json()?).await?;
    tracing::info!(group_id = %group["id"], "access group created");
    audit::record(&state, &caller, &account, Change::new("create", "group", audit::id_of(&group)).after(Some(group.clone()))).await;
    Ok(single(StatusCode::CREATED, group))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: GroupPath,
) -> Result<Response, ApiError> {
    let (account, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Read)?;
    Ok(single(StatusCode::OK, groups::get(&state, &account, &id).await?))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: GroupPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    let old = groups::get(&state, &account, &id).await.ok();
    let group = groups::update(&state, &account, &id, body.json()?).await?;
    tracing::info!(group_id = %id, "access group updated");
    audit::record(&state, &caller, &account, Change::new("update", "group", &id).before(old).after(Some(group.clone()))).await;
    Ok(single(StatusCode::OK, group))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: GroupPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    body.json_or_default::<Value>()?;
    let old = groups::get(&state, &account, &id).await.ok();
    let deleted = groups::delete(&state, &account, &id).await?;
    tracing::info!(group_id = %id, "access group deleted");
    audit::record(&state, &caller, &account, Change::new("delete", "group", &id).before(old)).await;
    Ok(single(StatusCode::OK, deleted))
}
