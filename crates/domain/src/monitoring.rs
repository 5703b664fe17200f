//! The rules of token monitoring, as plain functions of a token and the current time: which
//! expiry alerts are due, whether a token counts as inactive, whether the previous secret was
//! still in use when its grace ended. The server's jobs apply them; nothing here does I/O.

mod age;

pub use age::{AgeError, parse_age};

use crate::clock::Timestamp;
use crate::service_token::{Grace, ServiceToken};

pub const SECS_PER_DAY: i64 = 86_400;

/// When the token was last active: its last successful authentication, or its creation if it
/// has never been used.
pub fn last_activity(token: &ServiceToken) -> Timestamp {
    token.last_seen_at.unwrap_or(token.created_at)
}

/// Cloudflare's inactivity rule: not used for `threshold_days` (counting from creation when
/// never used) and older than that. Whether a policy names the token is the caller's check.
pub fn is_inactive(token: &ServiceToken, threshold_days: u32, now: Timestamp) -> bool {
    let threshold = i64::from(threshold_days) * SECS_PER_DAY;
    now.unix() - last_activity(token).unix() >= threshold && now.unix() - token.created_at.unix() >= threshold
}

/// The expiry alerts due at `now`: each lead time (in days) with the expiry at most that far
/// ahead. An expired, disabled or never-expiring token has none.
pub fn due_expiry_leads(token: &ServiceToken, lead_days: &[u32], now: Timestamp) -> Vec<u32> {
    if !token.enabled || token.expires_at == Timestamp::FOREVER || token.expires_at <= now {
        return Vec::new();
    }
    let left = token.expires_at.unix() - now.unix();
    lead_days.iter().copied().filter(|days| left <= i64::from(*days) * SECS_PER_DAY).collect()
}

/// A rotation whose previous secret clients still sent during the grace period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleSecretUse {
    /// The previous secret's `client_secret_version`: one rotation, one alert.
    pub previous_version: u64,
    pub rotated_at: Timestamp,
    pub grace_ended_at: Timestamp,
    pub last_seen_at: Timestamp,
}

/// Some when the previous secret's deadline has passed (`deadline <= now`) and that secret was
/// used after the rotation (`last_seen_at > rotated_at`): clients that still send it now fail.
/// Rotations without a deadline end when the new secret is used, so they never qualify.
pub fn previous_secret_used_after_rotation(token: &ServiceToken, now: Timestamp) -> Option<StaleSecretUse> {
    let previous = token.credentials.previous()?;
    let Grace::Until(deadline) = previous.grace else { return None };
    let (rotated_at, last_seen_at) = (previous.rotated_at?, previous.last_seen_at?);
    (deadline <= now && last_seen_at > rotated_at).then_some(StaleSecretUse {
        previous_version: previous.version,
        rotated_at,
        grace_ended_at: deadline,
        last_seen_at,
    })
}

#[cfg(test)]
mod tests;
