//! Alerts that need no action, only a notification, each sent once (claimed in the
//! notification log before it is queued):
//! - a token expiring within a lead time: one alert per (token, lead time, expiry), so a
//!   refresh re-arms them; when several lead times are first due at once (the job was off, or
//!   the token was created with a short lifetime) one alert names the tightest of them;
//! - a rotation whose previous secret clients still sent when its grace period ended
//!   (`previous_client_secret_expires_at` passed, and that secret was seen after the rotation):
//!   one alert per rotation.

use gatehouse_domain::monitoring::{due_expiry_leads, previous_secret_used_after_rotation};
use gatehouse_domain::{ServiceToken, Timestamp};
use gatehouse_store::{NotificationKey, NotificationLog, StoreError};

use super::events::Event;

/// The expiry alert of `token` due at `now`, if one is and no earlier run sent it.
pub async fn expiring(
    log: &dyn NotificationLog,
    token: &ServiceToken,
    lead_days: &[u32],
    now: Timestamp,
) -> Result<Option<Event>, StoreError> {
    let mut tightest = None;
    for days in due_expiry_leads(token, lead_days, now) {
        let kind = format!("expiring:{days}d:{}", token.expires_at.unix());
        if log.claim_notification(&key(token, kind), now).await? {
            tightest = Some(tightest.map_or(days, |t: u32| t.min(days)));
        }
    }
    Ok(tightest.map(|days| Event::expiring(token, days, now)))
}

/// The "previous secret still in use" alert of `token` due at `now`, if no earlier run sent it.
pub async fn previous_secret(
    log: &dyn NotificationLog,
    token: &ServiceToken,
    now: Timestamp,
) -> Result<Option<Event>, StoreError> {
    let Some(found) = previous_secret_used_after_rotation(token, now) else { return Ok(None) };
    let kind = format!("previous_secret_used:{}", found.previous_version);
    Ok(log
        .claim_notification(&key(token, kind), now)
        .await?
        .then(|| Event::previous_secret_still_used(token, found, now)))
}

fn key(token: &ServiceToken, kind: String) -> NotificationKey {
    NotificationKey { account_id: token.account_id.clone(), token_id: token.id, kind }
}
