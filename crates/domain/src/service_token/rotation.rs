//! The rotation state machine. A token has a current secret and at most one previous secret.
//!
//! ```text
//!            rotate(deadline = None)                 new secret first used
//! [Single] ───────────────────────────▶ [Graceful] ─────────────────────────▶ [Single]
//!     │      rotate(deadline = Some(t))                 now ≥ t
//!     └───────────────────────────────▶ [Deadline t] ───────────────────────▶ [Single]
//! ```
//! Rotating again while a previous secret is still accepted replaces it: only the secret that was
//! current a moment ago stays valid beside the new one.

use crate::clock::Timestamp;
use crate::secret::SecretHash;

/// How long the previous secret keeps working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grace {
    /// Until the new secret authenticates for the first time.
    UntilNewSecretUsed,
    /// Until this instant (exclusive).
    Until(Timestamp),
}

/// The secret that was current before the last rotation.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousSecret {
    pub hash: SecretHash,
    pub version: u64,
    pub grace: Grace,
    /// Last successful authentication with this secret.
    pub last_seen_at: Option<Timestamp>,
    /// When the rotation that made this secret the previous one happened (`None` for rotations
    /// stored before gatehouse recorded it). A `last_seen_at` later than this means clients still
    /// sent the old secret during the grace period.
    pub rotated_at: Option<Timestamp>,
}

/// Which secret a request presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretMatch {
    Current,
    Previous,
}

/// The accepted secrets of one token.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    current: SecretHash,
    version: u64,
    current_last_seen_at: Option<Timestamp>,
    /// Boxed: most tokens have no previous secret, and every token is held in the gateway's
    /// memory, so the common case costs a pointer instead of the whole record.
    previous: Option<Box<PreviousSecret>>,
}

impl Credentials {
    pub fn new(current: SecretHash, version: u64) -> Self {
        Credentials { current, version: version.max(1), current_last_seen_at: None, previous: None }
    }

    /// Rebuilds stored state.
    pub fn from_parts(
        current: SecretHash,
        version: u64,
        current_last_seen_at: Option<Timestamp>,
        previous: Option<PreviousSecret>,
    ) -> Self {
        Credentials {
            current,
            version: version.max(1),
            current_last_seen_at,
            previous: previous.map(Box::new),
        }
    }

    pub fn current(&self) -> &SecretHash {
        &self.current
    }

    /// `client_secret_version`.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn current_last_seen_at(&self) -> Option<Timestamp> {
        self.current_last_seen_at
    }

    pub fn previous(&self) -> Option<&PreviousSecret> {
        self.previous.as_deref()
    }

    /// `previous_client_secret_expires_at`: the deadline of the previous secret, when it has one.
    pub fn previous_expires_at(&self) -> Option<Timestamp> {
        match self.previous.as_ref()?.grace {
            Grace::Until(t) => Some(t),
            Grace::UntilNewSecretUsed => None,
        }
    }

    /// Makes `new` current at `version`; the old current secret becomes the previous one.
    pub(crate) fn rotate(
        &mut self,
        new: SecretHash,
        version: u64,
        deadline: Option<Timestamp>,
        now: Timestamp,
    ) {
        let grace = deadline.map_or(Grace::UntilNewSecretUsed, Grace::Until);
        let old = std::mem::replace(&mut self.current, new);
        self.previous = Some(Box::new(PreviousSecret {
            hash: old,
            version: self.version,
            grace,
            last_seen_at: self.current_last_seen_at,
            rotated_at: Some(now),
        }));
        self.version = version.max(self.version.saturating_add(1));
        self.current_last_seen_at = None;
    }

    /// Moves the previous secret's deadline (later for more time, into the past to end it).
    pub(crate) fn set_previous_deadline(&mut self, deadline: Timestamp) {
        if let Some(previous) = self.previous.as_mut() {
            previous.grace = Grace::Until(deadline);
        }
    }

    /// Which secret `presented` is, if it is accepted at `now`.
    pub fn check(&self, presented: &SecretHash, now: Timestamp) -> Option<SecretMatch> {
        // Both comparisons always run, so timing does not reveal which one matched.
        let is_current = self.current == *presented;
        let is_previous = self.previous.as_ref().is_some_and(|p| p.hash == *presented && p.accepts(now));
        if is_current {
            Some(SecretMatch::Current)
        } else if is_previous {
            Some(SecretMatch::Previous)
        } else {
            None
        }
    }

    /// Replaces the hash of the `matched` secret by the same secret's hash under the current
    /// server key, after it matched under a previous one; nothing else changes. The caller
    /// passes the hash of the secret that has just matched.
    pub fn rehash(&mut self, matched: SecretMatch, hash: SecretHash) {
        match matched {
            SecretMatch::Current => self.current = hash,
            SecretMatch::Previous => {
                if let Some(previous) = self.previous.as_mut() {
                    previous.hash = hash;
                }
            }
        }
    }

    /// Records a successful use. The first use of the new secret ends a graceful rotation.
    pub(crate) fn record_use(&mut self, matched: SecretMatch, now: Timestamp) {
        match matched {
            SecretMatch::Current => {
                self.current_last_seen_at = Some(now);
                if self.previous.as_ref().is_some_and(|p| p.grace == Grace::UntilNewSecretUsed) {
                    self.previous = None;
                }
            }
            SecretMatch::Previous => {
                if let Some(previous) = self.previous.as_mut() {
                    previous.last_seen_at = Some(now);
                }
            }
        }
    }

    /// Drops a previous secret whose deadline has passed; true when something changed.
    pub fn expire_previous(&mut self, now: Timestamp) -> bool {
        if self.previous.as_ref().is_some_and(|p| !p.accepts(now)) {
            self.previous = None;
            return true;
        }
        false
    }
}

impl PreviousSecret {
    fn accepts(&self, now: Timestamp) -> bool {
        match self.grace {
            Grace::UntilNewSecretUsed => true,
            Grace::Until(deadline) => now < deadline,
        }
    }
}
