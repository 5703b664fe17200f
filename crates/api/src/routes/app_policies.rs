//! `/accounts/{account_id}/access/apps/{app_id}/policies[/{policy_id}[/make_reusable]]`.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde_json::Value;

use super::groups::NameParams;
use super::{page, path_params, query_params, single};
use crate::access::app_policies;
use crate::audit::{self, Change};
use crate::auth::{Access, Caller};
use crate::body::RawBody;
use crate::error::ApiError;
use crate::state::AppState;

type AppPath = Result<Path<(String, String)>, PathRejection>;
type PolicyPath = Result<Path<(String, String, String)>, PathRejection>;

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: AppPath,
    query: Result<Query<NameParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (account, app) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Read)?;
    let (_, pagination) = query_params(query)?.parse()?;
    let (items, total) = app_policies::list(&state, &account, &app, pagination).await?;
    Ok(page(items, pagination, total))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: AppPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, app) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    let policy = app_policies::create(&state, &account, &app, body.json()?).await?;
    tracing::info!(app_id = %app, policy_id = %policy["id"], "app-scoped policy created");
    audit::record(&state, &caller, &account, Change::new("create", "policy", audit::id_of(&policy)).after(Some(policy.clone()))).await;
    Ok(single(StatusCode::CREATED, policy))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: PolicyPath,
) -> Result<Response, ApiError> {
    let (account, app, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Read)?;
    Ok(single(StatusCode::OK, app_policies::get(&state, &account, &app, &id).await?))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: PolicyPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, app, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    let old = app_policies::get(&state, &account, &app, &id).await.ok();
    let policy = app_policies::update(&state, &account, &app, &id, body.json()?).await?;
    tracing::info!(app_id = %app, policy_id = %id, "app-scoped policy updated");
    audit::record(&state, &caller, &account, Change::new("update", "policy", &id).before(old).after(Some(policy.clone()))).await;
    Ok(single(StatusCode::OK, policy))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: PolicyPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, app, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    body.json_or_default::<Value>()?;
    let old = app_policies::get(&state, &account, &app, &id).await.ok();
    let deleted = app_policies::delete(&state, &account, &app, &id).await?;
    tracing::info!(app_id = %app, policy_id = %id, "app-scoped policy deleted");
    audit::record(&state, &caller, &account, Change::new("delete", "policy", &id).before(old)).await;
    Ok(single(StatusCode::OK, deleted))
}

pub async fn make_reusable(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    path: PolicyPath,
    body: RawBody,
) -> Result<Response, ApiError> {
    let (account, app, id) = path_params(path, &uri)?;
    let account = caller.authorize(&account, Access::Write)?;
    body.json_or_default::<Value>()?;
    let old = app_policies::get(&state, &account, &app, &id).await.ok();
    let policy = app_policies::make_reusable(&state, &account, &app, &id).await?;
    tracing::info!(app_id = %app, policy_id = %id, "policy made reusable");
    audit::record(&state, &caller, &account, Change::new("make_reusable", "policy", &id).before(old).after(Some(policy.clone()))).await;
    Ok(single(StatusCode::OK, policy))
}
