//! `/accounts/{account_id}/access/keys` (GET, PUT) and `…/keys/rotate` (POST): the rotation
//! schedule of the account's JWT signing keys. The keys themselves are never shown here; their
//! public halves are served by the gateway at `/cdn-cgi/access/certs`. The key set is created on
//! first need, so the first call may take the time of an RSA key generation.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use gatehouse_api_types::{Envelope, SigningKeysBody, UpdateKeysRequest};
use gatehouse_domain::signing::{DEFAULT_KEY_BITS, SigningError, SigningKeys};
use gatehouse_domain::{AccountId, AuditActor, Timestamp};
use gatehouse_store::{Resource, ResourceChange, ResourceKind, StoreError};

use super::extract::{Authorized, Read, WithBody, Write};
use crate::audit::{self, Change};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// How many times a change is re-applied when a concurrent writer got there first.
const MAX_ATTEMPTS: usize = 8;

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/access/keys",
    tag = "signing keys",
    params(crate::openapi::AccountPath),
    responses((status = 200, description = "The rotation schedule of the JWT signing keys", body = Envelope<SigningKeysBody>))
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { account, .. }: Authorized<Read>,
) -> Result<Response, ApiError> {
    let (keys, _) = load_or_create(&state, &account).await?;
    Ok(respond(&state, &keys))
}

#[utoipa::path(
    put,
    path = "/client/v4/accounts/{account_id}/access/keys",
    tag = "signing keys",
    params(crate::openapi::AccountPath),
    request_body(content = UpdateKeysRequest, content_type = "application/json"),
    responses((status = 200, description = "The new schedule", body = Envelope<SigningKeysBody>))
)]
pub async fn update(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, .. }, body): WithBody<Write>,
) -> Result<Response, ApiError> {
    let request: UpdateKeysRequest = body.json()?;
    let days = request.key_rotation_interval_days;
    let keys = modify(&state, &caller.actor(), &account, "update", move |keys, _| {
        keys.set_rotation_interval(days).map_err(invalid)
    })
    .await?;
    tracing::info!(%account, days, "signing key rotation interval changed");
    Ok(respond(&state, &keys))
}

#[utoipa::path(
    post,
    path = "/client/v4/accounts/{account_id}/access/keys/rotate",
    tag = "signing keys",
    params(crate::openapi::AccountPath),
    responses((status = 200, description = "The schedule after rotating now", body = Envelope<SigningKeysBody>))
)]
pub async fn rotate(
    State(state): State<AppState>,
    WithBody(Authorized { caller, account, .. }, body): WithBody<Write>,
) -> Result<Response, ApiError> {
    body.json_or_default::<serde_json::Value>()?;
    let key = state.key.clone();
    let keys = modify(&state, &caller.actor(), &account, "rotate", move |keys, now| {
        keys.rotate(&key, now, DEFAULT_KEY_BITS).map_err(internal)
    })
    .await?;
    tracing::info!(%account, kid = %keys.current.kid, "signing keys rotated");
    Ok(respond(&state, &keys))
}

fn respond(state: &AppState, keys: &SigningKeys) -> Response {
    let body = SigningKeysBody {
        key_rotation_interval_days: keys.key_rotation_interval_days,
        days_until_next_rotation: keys.days_until_next_rotation(state.clock.now()),
        last_key_rotation_at: keys.last_key_rotation_at.to_string(),
    };
    Json(Envelope::ok(body)).into_response()
}

/// The account's keys with their stored revision, generating and saving them on first use.
async fn load_or_create(state: &AppState, account: &AccountId) -> Result<(SigningKeys, i64), ApiError> {
    if let Some(found) = read(state, account).await? {
        return Ok(found);
    }
    let now = state.clock.now();
    let key = state.key.clone();
    let keys = tokio::task::spawn_blocking(move || SigningKeys::generate(&key, now, DEFAULT_KEY_BITS))
        .await
        .map_err(|_| internal("key generation was interrupted"))?
        .map_err(internal)?;
    let resource = resource(account, &keys, now, now, 1)?;
    match state.store.apply(&[ResourceChange::Insert(resource)]).await {
        Ok(()) => {
            state.changes.access_changed(account).await;
            Ok((keys, 1))
        }
        // Another request created them meanwhile: use those.
        Err(StoreError::Conflict(_)) => read(state, account).await?.ok_or_else(|| StoreError::Stale.into()),
        Err(other) => Err(other.into()),
    }
}

async fn read(state: &AppState, account: &AccountId) -> Result<Option<(SigningKeys, i64)>, ApiError> {
    let Some(stored) = state.store.get_resource(ResourceKind::SigningKeys, account, account.as_str()).await?
    else {
        return Ok(None);
    };
    let keys =
        serde_json::from_str(&stored.body).map_err(|e| StoreError::Corrupt(format!("signing keys: {e}")))?;
    Ok(Some((keys, stored.revision)))
}

/// Reads, changes and writes the keys, re-applying the change when a concurrent writer won.
async fn modify(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    action: &'static str,
    change: impl Fn(&mut SigningKeys, Timestamp) -> Result<(), ApiError> + Send + Clone + 'static,
) -> Result<SigningKeys, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let (mut keys, revision) = load_or_create(state, account).await?;
        let old = summary(&keys);
        let now = state.clock.now();
        let apply = change.clone();
        // Rotation generates an RSA key: keep it off the async workers.
        keys = tokio::task::spawn_blocking(move || apply(&mut keys, now).map(|()| keys))
            .await
            .map_err(|_| internal("the key change was interrupted"))??;
        let created_at = now; // ignored by updates: the store keeps the original
        let updated = resource(account, &keys, created_at, now, revision + 1)?;
        let record =
            Change::new(action, "keys", account.as_str()).before(Some(old)).after(Some(summary(&keys)));
        if audit::commit(state, actor, account, &[ResourceChange::Update(updated)], record).await? {
            return Ok(keys);
        }
    }
    Err(StoreError::Stale.into())
}

fn resource(
    account: &AccountId,
    keys: &SigningKeys,
    created_at: Timestamp,
    now: Timestamp,
    revision: i64,
) -> Result<Resource, ApiError> {
    let body = serde_json::to_string(keys).map_err(|e| internal(format!("signing keys: {e}")))?;
    Ok(Resource {
        kind: ResourceKind::SigningKeys,
        id: account.as_str().to_owned(),
        account_id: account.clone(),
        body,
        created_at,
        updated_at: now,
        revision,
    })
}

fn invalid(error: SigningError) -> ApiError {
    ApiError::invalid(format!("invalid 'key_rotation_interval_days': {error}"))
}

fn internal(detail: impl std::fmt::Display) -> ApiError {
    tracing::error!(%detail, "signing keys");
    ApiError::new(ErrorCode::Internal, "access.api.error.internal_server_error")
}

/// The keys as the audit log records them: the schedule and the key ids, never key material
/// (not even sealed).
fn summary(keys: &SigningKeys) -> serde_json::Value {
    serde_json::json!({
        "key_rotation_interval_days": keys.key_rotation_interval_days,
        "last_key_rotation_at": keys.last_key_rotation_at.to_string(),
        "current_kid": keys.current.kid,
        "previous_kid": keys.previous.as_ref().map(|key| key.kid.clone()),
    })
}
