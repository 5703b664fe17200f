//! Service tokens in memory, by client id: a concurrent map changed in place when the API
//! reports a change, read by every request. Checking a secret takes a shard read lock; recording
//! a use takes the write lock only when something changes (at most once per token, secret and
//! second), so the map is not a point of contention.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use dashmap::DashMap;
use gatehouse_domain::{
    AccountId, AuthFailure, Credentials, Grace, HashPurpose, KeyId, Secret, SecretHash, SecretMatch,
    ServerKey, ServiceToken, Timestamp, TokenId, authenticate_token, record_token_use,
};
use gatehouse_store::{TokenUsage, TokenVersion};

use crate::deny::Denial;

/// Every token of every account.
#[derive(Debug, Default)]
pub(crate) struct TokenSnapshot {
    /// Boxed: a map slot is then two pointers, and the table's spare capacity (up to half of
    /// it right after it grows) costs 24 bytes a slot instead of a whole token.
    by_client: DashMap<Box<str>, Box<Held>>,
    /// Each account once, shared by its tokens.
    accounts: Mutex<HashSet<Arc<AccountId>>>,
    /// Full reloads in flight, and the tokens that changes touched meanwhile: a reload read
    /// before such a change must not undo it (bring a deleted token back, say). Locked around
    /// every change and around applying a reload, always before the map.
    reloads: Mutex<Reloads>,
}

/// What the gateway keeps of a token: what verification, sessions and usage recording read.
/// Not its name or duration, nor its client id (the map's key); its account is shared with the
/// account's other tokens. About 130 bytes, against about 350 for a whole [`ServiceToken`].
#[derive(Debug)]
struct Held {
    id: TokenId,
    account_id: Arc<AccountId>,
    expires_at: Timestamp,
    last_seen_at: Option<Timestamp>,
    revision: i64,
    enabled: bool,
    credentials: Credentials,
}

impl Held {
    /// As [`ServiceToken::authenticate`].
    fn authenticate(&self, presented: &SecretHash, now: Timestamp) -> Result<SecretMatch, AuthFailure> {
        authenticate_token(&self.credentials, self.enabled, self.expires_at, presented, now)
    }

    /// What the store's [`TokenVersion`] of this token is compared with.
    fn version(&self) -> TokenVersion {
        TokenVersion::of(self.id, self.revision, &self.credentials)
    }

    /// As [`ServiceToken::record_use`].
    fn record_use(&mut self, matched: SecretMatch, now: Timestamp) {
        record_token_use(&mut self.last_seen_at, &mut self.credentials, matched, now);
    }
}

#[derive(Debug, Default)]
struct Reloads {
    active: usize,
    touched: HashSet<TokenId>,
}

/// A reload in flight: [`TokenSnapshot::begin_reload`] before reading from the store, then
/// either [`Reload::finish`] with every token, or [`Reload::stale`] with every token's version
/// and [`Reload::finish_stale`] with the stale ones read again. Dropped unfinished (the read failed), it
/// changes nothing.
#[derive(Debug)]
pub(crate) struct Reload<'a> {
    snapshot: &'a TokenSnapshot,
    finished: bool,
}

impl Reload<'_> {
    /// Makes the snapshot hold exactly `tokens`, except for tokens changed since the reload
    /// began, which keep what the change made of them.
    pub fn finish(mut self, tokens: Vec<ServiceToken>) {
        self.finished = true;
        let mut reloads = self.snapshot.lock_reloads();
        let loaded: HashSet<TokenId> = tokens.iter().map(|t| t.id).collect();
        let touched = &reloads.touched;
        self.snapshot.by_client.retain(|_, token| loaded.contains(&token.id) || touched.contains(&token.id));
        for token in tokens {
            if !touched.contains(&token.id) {
                self.snapshot.put(token);
            }
        }
        end(&mut reloads);
    }

    /// The tokens the snapshot holds in another version than `versions` (every stored token's,
    /// read after the reload began), or not at all, or holds though they are no longer stored:
    /// what [`Reload::finish_stale`] needs, after the first are read again. One pass over the
    /// snapshot; `versions` is sorted in place.
    pub fn stale(&self, versions: &mut [TokenVersion]) -> Stale {
        versions.sort_unstable_by_key(|v| v.id);
        let mut matched = vec![false; versions.len()];
        let mut stale = Stale::default();
        for entry in self.snapshot.by_client.iter() {
            let held = entry.value();
            let found = versions.binary_search_by_key(&held.id, |v| v.id).ok();
            if let Some(at) = found {
                matched[at] = true;
                if versions[at] == held.version() {
                    continue;
                }
                stale.read.push(held.id);
            }
            stale.held.insert(held.id, entry.key().clone());
        }
        stale.read.extend(versions.iter().zip(matched).filter(|(_, m)| !m).map(|(v, _)| v.id));
        stale
    }

    /// Makes the snapshot hold `tokens` (the store's answer to reading `stale.read` again) and
    /// drop the stale tokens the store no longer has, except for tokens changed since the reload
    /// began, which keep what the change made of them. Returns how many tokens it dropped.
    pub fn finish_stale(mut self, stale: Stale, tokens: Vec<ServiceToken>) -> usize {
        self.finished = true;
        let Stale { mut held, .. } = stale;
        let mut reloads = self.snapshot.lock_reloads();
        let touched = &reloads.touched;
        for token in tokens {
            let moved = held.remove(&token.id).filter(|key| **key != *token.client_id.as_str());
            if touched.contains(&token.id) {
                continue;
            }
            if let Some(key) = moved {
                self.snapshot.by_client.remove_if(&key, |_, h| h.id == token.id);
            }
            self.snapshot.put(token);
        }
        let mut dropped = 0;
        for (id, key) in held {
            if !touched.contains(&id) && self.snapshot.by_client.remove_if(&key, |_, h| h.id == id).is_some()
            {
                dropped += 1;
            }
        }
        end(&mut reloads);
        dropped
    }
}

/// What [`Reload::stale`] found.
#[derive(Debug, Default)]
pub(crate) struct Stale {
    /// The tokens to read again: held in another version, or not held.
    pub read: Vec<TokenId>,
    /// The client ids of the stale tokens held: those read again (dropped if the store no longer
    /// returns them) and those no longer stored.
    held: HashMap<TokenId, Box<str>>,
}

impl Drop for Reload<'_> {
    fn drop(&mut self) {
        if !self.finished {
            end(&mut self.snapshot.lock_reloads());
        }
    }
}

fn end(reloads: &mut Reloads) {
    reloads.active = reloads.active.saturating_sub(1);
    if reloads.active == 0 {
        reloads.touched.clear();
    }
}

/// A token that authenticated this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authenticated {
    pub id: TokenId,
    pub client_id: String,
}

/// Which secret matched, at which version: what [`TokenSnapshot::record_use`] needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Use {
    pub matched: SecretMatch,
    pub version: u64,
    /// Set when the secret matched a hash made under a previous server key: the store should
    /// replace that hash by the one under the current key (the snapshot already did).
    pub rehash: Option<Rehash>,
}

/// A stored hash to move to the current server key: `old` (under a previous key) becomes `new`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rehash {
    pub old: SecretHash,
    pub new: SecretHash,
}

impl TokenSnapshot {
    /// Starts a full reload; see [`Reload`].
    pub fn begin_reload(&self) -> Reload<'_> {
        self.lock_reloads().active += 1;
        Reload { snapshot: self, finished: false }
    }

    fn lock_reloads(&self) -> std::sync::MutexGuard<'_, Reloads> {
        // A panic while holding the lock leaves nothing half-done that matters here.
        self.reloads.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records that a change touched `id`, when a reload is in flight.
    fn touch(reloads: &mut Reloads, id: TokenId) {
        if reloads.active > 0 {
            reloads.touched.insert(id);
        }
    }

    pub fn len(&self) -> usize {
        self.by_client.len()
    }

    /// Enabled tokens that are still valid at `now` but expire within `seconds` of it.
    pub fn expiring_within(&self, now: Timestamp, seconds: i64) -> u64 {
        let (now, until) = (now.unix(), now.unix().saturating_add(seconds));
        self.by_client
            .iter()
            .filter(|entry| entry.enabled && (now..until).contains(&entry.expires_at.unix()))
            .count() as u64
    }

    /// Adds or replaces a token. A notification older than what is held is ignored; a graceful
    /// rotation that this node already ended (the new secret was used, the database not yet
    /// told) stays ended.
    pub fn upsert(&self, token: ServiceToken) {
        let mut reloads = self.lock_reloads();
        Self::touch(&mut reloads, token.id);
        self.put(token);
    }

    fn put(&self, token: ServiceToken) {
        let ServiceToken {
            id,
            account_id,
            client_id,
            expires_at,
            mut last_seen_at,
            enabled,
            mut credentials,
            revision,
            ..
        } = token;
        let key: Box<str> = client_id.as_str().into();
        let held = |account_id, last_seen_at, credentials| {
            Box::new(Held { id, account_id, expires_at, last_seen_at, revision, enabled, credentials })
        };
        match self.by_client.entry(key) {
            dashmap::Entry::Occupied(mut slot) => {
                let old = slot.get();
                if old.revision > revision {
                    return;
                }
                if let Some(used_at) = ended_grace(&old.credentials, &credentials) {
                    record_token_use(&mut last_seen_at, &mut credentials, SecretMatch::Current, used_at);
                }
                let account = if *old.account_id == account_id {
                    old.account_id.clone()
                } else {
                    self.intern(account_id)
                };
                slot.insert(held(account, last_seen_at, credentials));
            }
            dashmap::Entry::Vacant(slot) => {
                slot.insert(held(self.intern(account_id), last_seen_at, credentials));
            }
        }
    }

    /// The one shared copy of `account`.
    fn intern(&self, account: AccountId) -> Arc<AccountId> {
        let mut accounts = self.accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(held) = accounts.get(&account) {
            return held.clone();
        }
        let held = Arc::new(account);
        accounts.insert(held.clone());
        held
    }

    /// Removes a token whose client id is known (a deletion made through this node): one
    /// lookup.
    pub fn remove_known(&self, token: &ServiceToken) {
        self.remove_by_client_id(&token.account_id, &token.id, token.client_id.as_str());
    }

    /// Removes the token `id` held under `client_id` (another node deleted it and said which):
    /// one lookup. False when no such token is held there.
    pub fn remove_by_client_id(&self, account: &AccountId, id: &TokenId, client_id: &str) -> bool {
        let mut reloads = self.lock_reloads();
        Self::touch(&mut reloads, *id);
        self.by_client
            .remove_if(client_id, |_, held| held.id == *id && *held.account_id == *account)
            .is_some()
    }

    /// Removes a token known only by its id (another node deleted it): a scan of every token.
    pub fn remove(&self, account: &AccountId, id: &TokenId) {
        let mut reloads = self.lock_reloads();
        Self::touch(&mut reloads, *id);
        self.by_client.retain(|_, token| !(token.id == *id && *token.account_id == *account));
    }

    /// Checks a presented secret (already hashed, so an unknown client id costs the same).
    pub fn authenticate(
        &self,
        client_id: &str,
        presented: &SecretHash,
        account: &AccountId,
        now: Timestamp,
    ) -> Result<(Authenticated, Use), Denial> {
        let token = self.by_client.get(client_id).ok_or(Denial::UnknownClientId)?;
        if *token.account_id != *account {
            return Err(Denial::WrongAccount);
        }
        let matched = token.authenticate(presented, now).map_err(|failure| match failure {
            AuthFailure::WrongSecret => Denial::WrongSecret,
            AuthFailure::Expired => Denial::Expired,
            AuthFailure::Disabled => Denial::Disabled,
        })?;
        let used = Use { matched, version: token.credentials.version(), rehash: None };
        Ok((Authenticated { id: token.id, client_id: client_id.to_owned() }, used))
    }

    /// After [`TokenSnapshot::authenticate`] refused `current` (the secret's hash under the
    /// current key) as a wrong secret: checks the secret against the token's hashes made under
    /// a previous server key, each with its own key. On success the token holds `current` in
    /// their place from now on, and the returned use says what the store should move. A token
    /// whose hashes are all under the current key costs one map lookup and no hashing.
    pub fn authenticate_under_previous_key(
        &self,
        client_id: &str,
        secret: &Secret,
        current: SecretHash,
        server_key: &ServerKey,
        account: &AccountId,
        now: Timestamp,
    ) -> Result<(Authenticated, Use), Denial> {
        let older = self.older_key_ids(client_id, current.key_id());
        for key_id in older.into_iter().flatten() {
            let Some(old) = server_key.hash_with(key_id, HashPurpose::ServiceTokenSecret, secret) else {
                continue;
            };
            let Ok((who, mut used)) = self.authenticate(client_id, &old, account, now) else { continue };
            if let Some(mut token) = self.by_client.get_mut(client_id)
                && token.credentials.version() == used.version
            {
                token.credentials.rehash(used.matched, current);
            }
            used.rehash = Some(Rehash { old, new: current });
            return Ok((who, used));
        }
        Err(Denial::WrongSecret)
    }

    /// The keys of the token's stored hashes other than `current_key` (at most two: the current
    /// and the previous secret's).
    fn older_key_ids(&self, client_id: &str, current_key: KeyId) -> [Option<KeyId>; 2] {
        let Some(token) = self.by_client.get(client_id) else { return [None, None] };
        let credentials = &token.credentials;
        let first = Some(credentials.current().key_id()).filter(|id| *id != current_key);
        let second = credentials
            .previous()
            .map(|p| p.hash.key_id())
            .filter(|id| *id != current_key && Some(*id) != first);
        [first, second]
    }

    /// Whether the token named in a session is still usable (exists, same account, enabled,
    /// unexpired): revoking, disabling or expiring a token ends its sessions at once.
    pub fn alive(&self, client_id: &str, account: &AccountId, now: Timestamp) -> Result<TokenId, Denial> {
        let token = self.by_client.get(client_id).ok_or(Denial::InvalidSession)?;
        if *token.account_id != *account {
            return Err(Denial::InvalidSession);
        }
        if !token.enabled {
            return Err(Denial::Disabled);
        }
        if token.expires_at <= now {
            return Err(Denial::Expired);
        }
        Ok(token.id)
    }

    /// Records a successful use in memory at once (the first use of a new secret ends a
    /// graceful rotation here, before the database hears of it) and returns what the usage
    /// writer should store — `None` when nothing changed since the last use this second.
    pub fn record_use(&self, client_id: &str, used: Use, now: Timestamp) -> Option<TokenUsage> {
        {
            let token = self.by_client.get(client_id)?;
            if token.credentials.version() != used.version || unchanged(&token, used.matched, now) {
                return None;
            }
        }
        let mut token = self.by_client.get_mut(client_id)?;
        // A rotation between the check and now: this use was of the older state; drop it.
        if token.credentials.version() != used.version {
            return None;
        }
        token.record_use(used.matched, now);
        Some(TokenUsage {
            token_id: token.id,
            seen_at: now,
            matched: used.matched,
            secret_version: used.version,
        })
    }
}

/// True when recording this use would change nothing.
fn unchanged(token: &Held, matched: SecretMatch, now: Timestamp) -> bool {
    let credentials = &token.credentials;
    let seen = match matched {
        SecretMatch::Current => {
            let grace_pending = credentials.previous().is_some_and(|p| p.grace == Grace::UntilNewSecretUsed);
            credentials.current_last_seen_at() == Some(now) && !grace_pending
        }
        SecretMatch::Previous => credentials.previous().and_then(|p| p.last_seen_at) == Some(now),
    };
    seen && token.last_seen_at == Some(now)
}

/// When `old` (held) already ended the graceful rotation that `new` (from the database) still
/// shows, the time its new secret was first used.
fn ended_grace(old: &Credentials, new: &Credentials) -> Option<Timestamp> {
    let same_version = old.version() == new.version();
    let new_waits = new.previous().is_some_and(|p| p.grace == Grace::UntilNewSecretUsed);
    if same_version && new_waits && old.previous().is_none() { old.current_last_seen_at() } else { None }
}

#[cfg(test)]
mod tests;
