//! `GET /accounts`: the accounts the caller can see (its own), so that clients can discover
//! their account id from a token alone.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use gatehouse_api_types::{AccountBody, Envelope, ResultInfo};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/client/v4/accounts",
    tag = "accounts",
    responses((status = 200, description = "The caller's account", body = Envelope<Vec<AccountBody>>))
)]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let accounts: Vec<_> = state
        .store
        .get_account(&caller.token.account_id)
        .await?
        .into_iter()
        .map(|account| AccountBody {
            id: account.id.as_str().to_owned(),
            name: account.name,
            account_type: "standard".to_owned(),
            settings: serde_json::Map::new(),
            created_on: account.created_at.to_string(),
        })
        .collect();
    let info = ResultInfo::new(1, 1000, accounts.len() as u64, accounts.len() as u64);
    Ok(Json(Envelope::list(accounts, info)).into_response())
}
