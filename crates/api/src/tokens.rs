//! Service-token operations, between the HTTP handlers and the store: validate the request,
//! apply the domain rule, save with optimistic concurrency (re-reading and re-applying when
//! another writer got there first), and build the response body. A new secret exists in clear
//! only inside the value returned to the one response that shows it.

use gatehouse_api_types::{
    CreateServiceTokenRequest, RotateServiceTokenRequest, ServiceTokenBody, UpdateServiceTokenRequest,
};
use gatehouse_domain::{
    AccountId, AuditActor, ClientId, HashPurpose, NewServiceToken, Secret, ServiceToken, Timestamp,
    TokenChanges, TokenDuration, TokenId,
};
use gatehouse_store::{AuditedChange, AuditedOutcome, Page, StoreError, TokenFilter};

use crate::access::references::{token_in_use, token_is_referenced};
use crate::audit::{self, Change};
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;

/// How many times a write is re-applied when it keeps losing a race.
const MAX_ATTEMPTS: usize = 8;
const MAX_NAME_LEN: usize = 350;
const MIN_IMPORTED_SECRET_LEN: usize = 16;
const MAX_IMPORTED_SECRET_LEN: usize = 512;

/// A token, and its secret when this response is the one that shows it.
#[derive(Debug)]
pub struct Shown {
    pub token: ServiceToken,
    pub secret: Option<Secret>,
}

impl Shown {
    pub fn body(&self) -> ServiceTokenBody {
        body(&self.token, self.secret.as_ref())
    }
}

pub async fn create(
    state: &AppState,
    actor: &AuditActor,
    account: AccountId,
    request: CreateServiceTokenRequest,
) -> Result<Shown, ApiError> {
    let name = validate_name(&request.name)?;
    let duration =
        parse_duration(request.duration.as_deref())?.unwrap_or_else(TokenDuration::default_lifetime);
    let secret_version = parse_version(request.client_secret_version)?.unwrap_or(1);
    if let Some(text) = &request.previous_client_secret_expires_at {
        parse_time("previous_client_secret_expires_at", text)?;
    }
    let (client_id, secret) = match (request.client_id.as_deref(), request.client_secret) {
        (None, None) => (ClientId::generate(), Secret::generate_client_secret(state.secret_format)),
        (Some(client_id), Some(secret)) => (
            ClientId::parse(client_id).map_err(|e| ApiError::invalid(format!("invalid 'client_id': {e}")))?,
            validate_imported_secret(Secret::new(secret))?,
        ),
        (None, Some(_)) => {
            return Err(ApiError::invalid("'client_secret' can only be imported together with 'client_id'"));
        }
        (Some(_), None) => {
            return Err(ApiError::invalid("'client_id' can only be imported together with 'client_secret'"));
        }
    };
    let new = NewServiceToken {
        account_id: account,
        name,
        client_id,
        duration,
        enabled: request.enabled.unwrap_or(true),
        secret_hash: state.key.hash(HashPurpose::ServiceTokenSecret, &secret),
        secret_version,
    };
    let token = ServiceToken::create(TokenId::generate(), new, state.clock.now());
    let change = token_change("create", None, &token);
    let account = token.account_id.clone();
    audit::write(state, actor, &account, AuditedChange::InsertToken(&token), change).await.map_err(
        |error| match error {
            StoreError::Conflict(_) => ApiError::new(
                crate::ErrorCode::Conflict,
                "access.api.error.conflict: a service token with this client_id exists",
            ),
            other => other.into(),
        },
    )?;
    state.changes.token_changed(&token).await;
    Ok(Shown { token, secret: Some(secret) })
}

pub async fn get(state: &AppState, account: &AccountId, id: &str) -> Result<ServiceToken, ApiError> {
    let id = parse_id(id)?;
    state.store.get_service_token(account, &id).await?.ok_or_else(ApiError::token_not_found)
}

pub async fn list(
    state: &AppState,
    account: &AccountId,
    filter: &TokenFilter,
    pagination: Pagination,
) -> Result<Page<ServiceToken>, ApiError> {
    Ok(state.store.list_service_tokens(account, filter, pagination.request()).await?)
}

pub async fn update(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
    request: UpdateServiceTokenRequest,
) -> Result<Shown, ApiError> {
    let name = request.name.as_deref().map(validate_name).transpose()?;
    let duration = parse_duration(request.duration.as_deref())?;
    let version = parse_version(request.client_secret_version)?;
    let deadline = request
        .previous_client_secret_expires_at
        .as_deref()
        .map(|text| parse_time("previous_client_secret_expires_at", text))
        .transpose()?;
    // Generated once, so every retry stores the secret this response shows.
    let new_secret = version.map(|_| Secret::generate_client_secret(state.secret_format));
    let mut rotated = false;
    let token = modify(state, actor, account, id, "update", |token, now| {
        let bump = version.filter(|v| *v > token.credentials.version());
        rotated = bump.is_some();
        let rotate_to = bump
            .zip(new_secret.as_ref())
            .map(|(v, secret)| (v, state.key.hash(HashPurpose::ServiceTokenSecret, secret)));
        let changes = TokenChanges {
            name: name.clone(),
            duration: duration.clone(),
            enabled: request.enabled,
            rotate_to,
            previous_secret_expires_at: deadline,
        };
        token.apply(changes, now);
    })
    .await?;
    Ok(Shown { token, secret: new_secret.filter(|_| rotated) })
}

pub async fn rotate(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
    request: RotateServiceTokenRequest,
) -> Result<Shown, ApiError> {
    let deadline = request
        .previous_client_secret_expires_at
        .as_deref()
        .map(|text| parse_time("previous_client_secret_expires_at", text))
        .transpose()?;
    let secret = Secret::generate_client_secret(state.secret_format);
    let hash = state.key.hash(HashPurpose::ServiceTokenSecret, &secret);
    let token =
        modify(state, actor, account, id, "rotate", |token, now| token.rotate(hash, deadline, now)).await?;
    Ok(Shown { token, secret: Some(secret) })
}

pub async fn refresh(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
) -> Result<ServiceToken, ApiError> {
    modify(state, actor, account, id, "refresh", |token, now| token.refresh(now)).await
}

/// Deletes a token that no policy or group rule names (12139 otherwise, as Cloudflare does).
pub async fn delete(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
) -> Result<ServiceToken, ApiError> {
    let id = parse_id(id)?;
    let before = state.store.get_service_token(account, &id).await?.ok_or_else(ApiError::token_not_found)?;
    if token_is_referenced(state, account, id).await? {
        return Err(token_in_use());
    }
    let mut change = token_change("delete", Some(&before), &before);
    change.new = None;
    let token =
        match audit::write(state, actor, account, AuditedChange::DeleteToken(account, &id), change).await? {
            AuditedOutcome::Deleted(token) => *token,
            AuditedOutcome::Written | AuditedOutcome::Missing => return Err(ApiError::token_not_found()),
        };
    state.changes.token_deleted(&token).await;
    Ok(token)
}

/// Reads, changes and writes a token, retrying when a concurrent writer changed it meanwhile.
/// `action` names the change in the audit log; its record is written with it (see [`audit`]).
async fn modify(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
    action: &'static str,
    mut change: impl FnMut(&mut ServiceToken, Timestamp),
) -> Result<ServiceToken, ApiError> {
    let id = parse_id(id)?;
    for _ in 0..MAX_ATTEMPTS {
        let mut token =
            state.store.get_service_token(account, &id).await?.ok_or_else(ApiError::token_not_found)?;
        let before = token.clone();
        change(&mut token, state.clock.now());
        let record = token_change(action, Some(&before), &token);
        match audit::write(state, actor, account, AuditedChange::UpdateToken(&token), record).await {
            Ok(AuditedOutcome::Written | AuditedOutcome::Deleted(_)) => {
                state.changes.token_changed(&token).await;
                return Ok(token);
            }
            Ok(AuditedOutcome::Missing) => return Err(ApiError::token_not_found()),
            Err(StoreError::Stale) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(StoreError::Stale.into())
}

/// The audit description of a change of `token` (public bodies only, never a secret).
fn token_change(action: &'static str, before: Option<&ServiceToken>, token: &ServiceToken) -> Change {
    Change {
        action,
        resource_type: "service_token",
        resource_id: token.id.to_string(),
        old: before.and_then(|t| audit::public(&body(t, None))),
        new: audit::public(&body(token, None)),
    }
}

/// The response body of a token; `secret` only where this response is the one that shows it.
pub fn body(token: &ServiceToken, secret: Option<&Secret>) -> ServiceTokenBody {
    let credentials = &token.credentials;
    let previous = credentials.previous();
    ServiceTokenBody {
        id: token.id.to_string(),
        name: token.name.clone(),
        client_id: token.client_id.to_string(),
        client_secret: secret.map(|s| s.expose().to_owned()),
        duration: token.duration.to_string(),
        created_at: token.created_at.to_string(),
        updated_at: token.updated_at.to_string(),
        expires_at: token.expires_at.to_string(),
        last_seen_at: token.last_seen_at.map(|t| t.to_string()),
        client_secret_version: credentials.version(),
        previous_client_secret_expires_at: credentials.previous_expires_at().map(|t| t.to_string()),
        enabled: token.enabled,
        client_secret_last_seen_at: credentials.current_last_seen_at().map(|t| t.to_string()),
        previous_client_secret_last_seen_at: previous.and_then(|p| p.last_seen_at).map(|t| t.to_string()),
    }
}

fn parse_id(id: &str) -> Result<TokenId, ApiError> {
    // An id that cannot exist is the same answer as one that does not.
    TokenId::parse(id).map_err(|_| ApiError::token_not_found())
}

fn validate_name(name: &str) -> Result<String, ApiError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(ApiError::invalid("'name' is required and must not be empty"));
    }
    if trimmed.chars().count() > MAX_NAME_LEN || trimmed.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "invalid 'name': at most {MAX_NAME_LEN} characters, no control characters"
        )));
    }
    Ok(trimmed.to_owned())
}

fn parse_duration(text: Option<&str>) -> Result<Option<TokenDuration>, ApiError> {
    text.map(|t| TokenDuration::parse(t).map_err(|e| ApiError::invalid(format!("invalid 'duration': {e}"))))
        .transpose()
}

fn parse_version(version: Option<f64>) -> Result<Option<u64>, ApiError> {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: the largest whole number a JSON client keeps exact
    match version {
        None => Ok(None),
        Some(v) if v.is_finite() && v.fract() == 0.0 && (1.0..=MAX_EXACT).contains(&v) =>
        {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(Some(v as u64))
        }
        Some(_) => {
            Err(ApiError::invalid("invalid 'client_secret_version': expected a whole number of at least 1"))
        }
    }
}

fn parse_time(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse_rfc3339(text).map_err(|e| ApiError::invalid(format!("invalid '{field}': {e}")))
}

fn validate_imported_secret(secret: Secret) -> Result<Secret, ApiError> {
    let value = secret.expose();
    let ok = (MIN_IMPORTED_SECRET_LEN..=MAX_IMPORTED_SECRET_LEN).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(secret)
    } else {
        Err(ApiError::invalid(format!(
            "invalid 'client_secret': {MIN_IMPORTED_SECRET_LEN} to {MAX_IMPORTED_SECRET_LEN} visible ASCII characters"
        )))
    }
}
