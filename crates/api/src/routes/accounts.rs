//! `GET /accounts`: the accounts the caller can see (its own), so that clients can discover
//! their account id from a token alone.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_api_types::{Envelope, ResultInfo};
use serde_json::json;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let accounts: Vec<_> = state
        .store
        .get_account(&caller.token.account_id)
        .await?
        .into_iter()
        .map(|account| {
            json!({
                "id": account.id.as_str(),
                "name": account.name,
                "type": "standard",
                "settings": {},
                "created_on": account.created_at.to_string(),
            })
        })
        .collect();
    let info = ResultInfo::new(1, 1000, accounts.len() as u64, accounts.len() as u64);
    Ok(Json(Envelope::list(accounts, info)).into_response())
}
