//! A service token and the rules that change it: creation, update, refresh, rotation, and the
//! check of a presented secret. Every function takes the current time as a parameter.

mod rotation;

pub use rotation::{Credentials, Grace, PreviousSecret, SecretMatch};

use crate::clock::Timestamp;
use crate::duration::TokenDuration;
use crate::ids::{AccountId, ClientId, TokenId};
use crate::secret::SecretHash;

/// A service token as stored. It holds hashes only; the secret in clear exists once, in the
/// response that creates or rotates it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceToken {
    pub id: TokenId,
    pub account_id: AccountId,
    pub name: String,
    pub client_id: ClientId,
    pub duration: TokenDuration,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub expires_at: Timestamp,
    /// Last successful authentication with any secret.
    pub last_seen_at: Option<Timestamp>,
    pub enabled: bool,
    pub credentials: Credentials,
    /// Incremented by every change, so that concurrent writers detect each other.
    pub revision: i64,
}

/// What an operator asks for when creating a token.
#[derive(Debug)]
pub struct NewServiceToken {
    pub account_id: AccountId,
    pub name: String,
    pub client_id: ClientId,
    pub duration: TokenDuration,
    pub enabled: bool,
    pub secret_hash: SecretHash,
    /// Starting version (Terraform can create at a version above 1).
    pub secret_version: u64,
}

/// The fields of an update; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct TokenChanges {
    pub name: Option<String>,
    /// A new lifetime, counted from the time of the update.
    pub duration: Option<TokenDuration>,
    pub enabled: Option<bool>,
    /// A rotation to this version, with the new secret's hash.
    pub rotate_to: Option<(u64, SecretHash)>,
    /// When the previous secret stops working (may move it later, or into the past to end it now).
    pub previous_secret_expires_at: Option<Timestamp>,
}

/// Why a presented secret did not authenticate. The gateway logs the precise reason and tells
/// the client nothing more than "denied".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    WrongSecret,
    Expired,
    Disabled,
}

impl ServiceToken {
    pub fn create(id: TokenId, new: NewServiceToken, now: Timestamp) -> Self {
        ServiceToken {
            id,
            account_id: new.account_id,
            name: new.name,
            client_id: new.client_id,
            expires_at: new.duration.expires_from(now),
            duration: new.duration,
            created_at: now,
            updated_at: now,
            last_seen_at: None,
            enabled: new.enabled,
            credentials: Credentials::new(new.secret_hash, new.secret_version),
            revision: 1,
        }
    }

    /// Applies an update. A new `duration` restarts the lifetime from `now`, as Cloudflare does.
    pub fn apply(&mut self, changes: TokenChanges, now: Timestamp) {
        if let Some(name) = changes.name {
            self.name = name;
        }
        if let Some(duration) = changes.duration {
            self.expires_at = duration.expires_from(now);
            self.duration = duration;
        }
        if let Some(enabled) = changes.enabled {
            self.enabled = enabled;
        }
        if let Some((version, hash)) = changes.rotate_to {
            self.credentials.rotate(hash, version, None, now);
        }
        if let Some(deadline) = changes.previous_secret_expires_at {
            self.credentials.set_previous_deadline(deadline);
        }
        self.touch(now);
    }

    /// Extends the lifetime: `expires_at = now + duration` (`forever` stays forever).
    pub fn refresh(&mut self, now: Timestamp) {
        self.expires_at = self.duration.expires_from(now);
        self.touch(now);
    }

    /// Replaces the secret. The previous one keeps working until `previous_expires_at` when given,
    /// otherwise until the new secret is first used.
    pub fn rotate(&mut self, new_hash: SecretHash, previous_expires_at: Option<Timestamp>, now: Timestamp) {
        let version = self.credentials.version().saturating_add(1);
        self.credentials.rotate(new_hash, version, previous_expires_at, now);
        self.touch(now);
    }

    /// Checks a presented secret's hash. On success the caller should record the use with
    /// [`ServiceToken::record_use`], which may end the previous secret's grace.
    pub fn authenticate(&self, presented: &SecretHash, now: Timestamp) -> Result<SecretMatch, AuthFailure> {
        authenticate(&self.credentials, self.enabled, self.expires_at, presented, now)
    }

    /// [`standing`]: enabled and unexpired at `now`, the secret aside.
    pub fn standing(&self, now: Timestamp) -> Result<(), AuthFailure> {
        standing(self.enabled, self.expires_at, now)
    }

    /// Records a successful authentication.
    pub fn record_use(&mut self, matched: SecretMatch, now: Timestamp) {
        record_use(&mut self.last_seen_at, &mut self.credentials, matched, now);
    }

    fn touch(&mut self, now: Timestamp) {
        self.updated_at = now;
        self.revision += 1;
    }
}

/// [`ServiceToken::authenticate`] on the parts it reads, for holders of a token's state that keep
/// only those (the gateway's in-memory snapshot): the secret first, so that a wrong secret never
/// learns whether the token is disabled or expired.
pub fn authenticate(
    credentials: &Credentials,
    enabled: bool,
    expires_at: Timestamp,
    presented: &SecretHash,
    now: Timestamp,
) -> Result<SecretMatch, AuthFailure> {
    let matched = credentials.check(presented, now).ok_or(AuthFailure::WrongSecret)?;
    standing(enabled, expires_at, now)?;
    Ok(matched)
}

/// Whether a token whose secret was right may authenticate at `now`: enabled and unexpired.
/// Explanations (which take no secret) ask this alone.
pub fn standing(enabled: bool, expires_at: Timestamp, now: Timestamp) -> Result<(), AuthFailure> {
    if !enabled {
        return Err(AuthFailure::Disabled);
    }
    if expires_at <= now {
        return Err(AuthFailure::Expired);
    }
    Ok(())
}

/// [`ServiceToken::record_use`] on the parts it changes.
pub fn record_use(
    last_seen_at: &mut Option<Timestamp>,
    credentials: &mut Credentials,
    matched: SecretMatch,
    now: Timestamp,
) {
    *last_seen_at = Some(last_seen_at.map_or(now, |seen| seen.max(now)));
    credentials.record_use(matched, now);
}

#[cfg(test)]
mod tests;
