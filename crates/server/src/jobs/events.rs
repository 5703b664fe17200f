//! The events the monitoring jobs raise, and their JSON body as webhook destinations receive it:
//!
//! ```json
//! {"id":"<uuid>","type":"service_token.expiring","created_at":"2026-11-01T00:00:00Z",
//!  "account_id":"<32 hex>","data":{"token":{…},"lead_days":7,"expires_in_seconds":604000}}
//! ```
//! `data.token` carries the token's public fields only (never a secret or a hash).

use gatehouse_domain::monitoring::StaleSecretUse;
use gatehouse_domain::{AccountId, ServiceToken, Timestamp};
use serde::Serialize;
use serde_json::{Value, json};

/// `type` of an expiry alert.
pub const EXPIRING: &str = "service_token.expiring";
/// `type` of a token disabled or deleted for inactivity.
pub const INACTIVE: &str = "service_token.inactive";
/// `type` of a rotation whose previous secret was still sent after the rotation when its grace
/// period ended.
pub const PREVIOUS_SECRET_STILL_USED: &str = "service_token.previous_secret_still_used";

/// Every event type, for validating `events` filters in the configuration.
pub const ALL: [&str; 3] = [EXPIRING, INACTIVE, PREVIOUS_SECRET_STILL_USED];

/// One event, ready to be delivered to every destination that wants its type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Unique per event (the same for every destination and every retry).
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub created_at: Timestamp,
    pub account_id: String,
    pub data: Value,
}

impl Event {
    fn new(kind: &'static str, account: &AccountId, now: Timestamp, data: Value) -> Event {
        Event {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            created_at: now,
            account_id: account.to_string(),
            data,
        }
    }

    /// The token expires within `lead_days` (the tightest lead time not announced before).
    pub fn expiring(token: &ServiceToken, lead_days: u32, now: Timestamp) -> Event {
        let data = json!({
            "token": public(token),
            "lead_days": lead_days,
            "expires_in_seconds": token.expires_at.unix() - now.unix(),
        });
        Event::new(EXPIRING, &token.account_id, now, data)
    }

    /// The token was disabled (`action` `disable`) or deleted (`delete`) for inactivity.
    pub fn inactive(
        token: &ServiceToken,
        action: &str,
        threshold_days: u32,
        last_activity: Timestamp,
        now: Timestamp,
    ) -> Event {
        let data = json!({
            "token": public(token),
            "action": action,
            "inactivity_threshold_days": threshold_days,
            "last_activity_at": last_activity,
        });
        Event::new(INACTIVE, &token.account_id, now, data)
    }

    /// The previous secret was used after the rotation and its grace period has now ended.
    pub fn previous_secret_still_used(token: &ServiceToken, found: StaleSecretUse, now: Timestamp) -> Event {
        let data = json!({
            "token": public(token),
            "previous_client_secret_version": found.previous_version,
            "rotated_at": found.rotated_at,
            "previous_client_secret_expires_at": found.grace_ended_at,
            "previous_client_secret_last_seen_at": found.last_seen_at,
        });
        Event::new(PREVIOUS_SECRET_STILL_USED, &token.account_id, now, data)
    }

    /// The exact bytes that are signed and sent.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The token's public fields, as the API shows them.
fn public(token: &ServiceToken) -> Value {
    json!({
        "id": token.id.to_string(),
        "name": token.name,
        "client_id": token.client_id.as_str(),
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_seen_at": token.last_seen_at,
        "enabled": token.enabled,
        "client_secret_version": token.credentials.version(),
    })
}
