//! Inactivity enforcement: for each account whose organization has
//! `service_token_inactivity.enabled`, every token unused for `inactivity_threshold_days`
//! (counting from creation when never used) and older than that is disabled or deleted, as the
//! setting's `action` says. A token that a policy or group rule names is never touched (the
//! same check that refuses its deletion with 12139). The gateway is told at once.
//!
//! Each action is claimed in the notification log under the token's last activity first, so
//! that two nodes do not both act, and an operator who re-enables a disabled token is not
//! overruled by the next run: the token is disabled again only after a new idle period.

use gatehouse_api::AppState;
use gatehouse_api::access::references::token_is_referenced;
use gatehouse_domain::access::Organization;
use gatehouse_domain::monitoring::{is_inactive, last_activity};
use gatehouse_domain::{AccountId, ServiceToken, Timestamp, TokenChanges, TokenId};
use gatehouse_store::{NotificationKey, ResourceKind, StoreError};
use serde::Deserialize;

use super::events::Event;

/// How many times a disable is re-applied when a concurrent writer keeps changing the token.
const MAX_ATTEMPTS: usize = 8;

/// What to do with an inactive token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Disable,
    Delete,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Disable => "disable",
            Action::Delete => "delete",
        }
    }
}

/// An organization's `service_token_inactivity`, when enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub threshold_days: u32,
    pub action: Action,
}

#[derive(Deserialize)]
struct Stored {
    #[serde(default)]
    enabled: bool,
    inactivity_threshold_days: Option<u32>,
    action: Option<Action>,
}

/// The account's enabled inactivity setting, if any.
pub async fn setting(state: &AppState, account: &AccountId) -> Result<Option<Setting>, StoreError> {
    let Some(resource) =
        state.store.get_resource(ResourceKind::Organization, account, account.as_str()).await?
    else {
        return Ok(None);
    };
    let organization: Organization = serde_json::from_str(&resource.body)
        .map_err(|e| StoreError::Corrupt(format!("organization of {account} does not decode: {e}")))?;
    let Some(value) = organization.service_token_inactivity else { return Ok(None) };
    let stored: Stored = serde_json::from_value(value).map_err(|e| {
        StoreError::Corrupt(format!("service_token_inactivity of {account} does not decode: {e}"))
    })?;
    Ok(match (stored.enabled, stored.inactivity_threshold_days, stored.action) {
        (true, Some(threshold_days), Some(action)) => Some(Setting { threshold_days, action }),
        _ => None,
    })
}

/// Applies `setting` to the account's `tokens` at `now`; returns each token acted on, with its event.
pub async fn enforce(
    state: &AppState,
    account: &AccountId,
    setting: Setting,
    tokens: &[ServiceToken],
    now: Timestamp,
) -> Result<Vec<(TokenId, Event)>, StoreError> {
    let mut events = Vec::new();
    for token in tokens {
        if !is_inactive(token, setting.threshold_days, now)
            || (setting.action == Action::Disable && !token.enabled)
        {
            continue;
        }
        match token_is_referenced(state, account, token.id).await {
            Ok(false) => {}
            Ok(true) => {
                tracing::debug!(token = %token.id, "inactive token kept: a policy or group names it");
                continue;
            }
            Err(error) => {
                tracing::warn!(token = %token.id, ?error, "inactive token kept: could not check its references");
                continue;
            }
        }
        let activity = last_activity(token);
        let key = NotificationKey {
            account_id: account.clone(),
            token_id: token.id,
            kind: format!("inactive:{}", activity.unix()),
        };
        if !state.store.claim_notification(&key, now).await? {
            continue;
        }
        let acted = match setting.action {
            Action::Disable => disable(state, account, token, setting, now).await,
            Action::Delete => delete(state, account, token, setting, now).await,
        };
        match acted {
            Ok(Some(token)) => {
                tracing::info!(token = %token.id, action = setting.action.as_str(), "inactive service token");
                events.push((
                    token.id,
                    Event::inactive(&token, setting.action.as_str(), setting.threshold_days, activity, now),
                ));
            }
            // Used or changed meanwhile: nothing done, so nothing claimed.
            Ok(None) => state.store.release_notification(&key).await?,
            Err(error) => {
                state.store.release_notification(&key).await?;
                return Err(error);
            }
        }
    }
    Ok(events)
}

/// Disables the token if, read again, it is still enabled and inactive.
async fn disable(
    state: &AppState,
    account: &AccountId,
    token: &ServiceToken,
    setting: Setting,
    now: Timestamp,
) -> Result<Option<ServiceToken>, StoreError> {
    for _ in 0..MAX_ATTEMPTS {
        let Some(mut current) = state.store.get_service_token(account, &token.id).await? else {
            return Ok(None);
        };
        if !current.enabled || !is_inactive(&current, setting.threshold_days, now) {
            return Ok(None);
        }
        current.apply(TokenChanges { enabled: Some(false), ..TokenChanges::default() }, now);
        match state.store.update_service_token(&current).await {
            Ok(true) => {
                state.changes.token_changed(&current).await;
                return Ok(Some(current));
            }
            Ok(false) => return Ok(None),
            Err(StoreError::Stale) => continue,
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::Stale)
}

/// Deletes the token if, read again, it is still inactive.
async fn delete(
    state: &AppState,
    account: &AccountId,
    token: &ServiceToken,
    setting: Setting,
    now: Timestamp,
) -> Result<Option<ServiceToken>, StoreError> {
    let Some(current) = state.store.get_service_token(account, &token.id).await? else { return Ok(None) };
    if !is_inactive(&current, setting.threshold_days, now) {
        return Ok(None);
    }
    let deleted = state.store.delete_service_token(account, &token.id).await?;
    if let Some(deleted) = &deleted {
        state.changes.token_deleted(deleted).await;
    }
    Ok(deleted)
}
