//! Keeping a node's snapshot in step with changes other nodes made: [`Gateway::apply_remote`]
//! applies one change event (reading the new state from the store), [`Gateway::resync`] reloads
//! everything after every (re)connect of the change feed, [`Gateway::resync_if_changed`]
//! (only what changed) periodically, as the safety net for lost events; both mark the snapshot fresh.

use gatehouse_domain::{AccountId, TokenId};
use gatehouse_store::{Change, StoreError, TokensFingerprint};

use super::Gateway;

/// Which tokens a resync read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokensReread {
    /// None: the store's token fingerprint had not moved.
    None,
    /// Only those that differed from the snapshot: `read` tokens read again (changed or new),
    /// `dropped` ones no longer stored.
    Stale { read: usize, dropped: usize },
    /// Every token.
    All,
}

impl Gateway {
    /// Applies a change made elsewhere. Idempotent: it reads the current state, so a repeated or
    /// late event changes nothing.
    pub async fn apply_remote(&self, change: &Change) -> Result<(), StoreError> {
        match change {
            Change::TokenChanged { account, id } => self.refresh_token(account, id, None).await,
            Change::TokenDeleted { account, id, client_id } => {
                self.refresh_token(account, id, client_id.as_deref()).await
            }
            Change::AccessChanged { account } => self.reload_account(account).await,
        }
    }

    /// Reads token `id` from the store and holds what it says: the token, or nothing. A token
    /// that is gone is dropped with one lookup when its `client_id` is known (deletion events
    /// name it), else with a scan of every token.
    async fn refresh_token(
        &self,
        account: &AccountId,
        id: &TokenId,
        client_id: Option<&str>,
    ) -> Result<(), StoreError> {
        match self.store.get_service_token(account, id).await? {
            Some(token) => self.tokens.upsert(token),
            None => {
                let removed = client_id.is_some_and(|c| self.tokens.remove_by_client_id(account, id, c));
                if !removed {
                    self.tokens.remove(account, id);
                }
            }
        }
        Ok(())
    }

    /// Re-reads every token and account from the store and marks the snapshot fresh.
    pub async fn resync(&self) -> Result<(), StoreError> {
        self.resync_with(true).await.map(|_| ())
    }

    /// The periodic safety net: as [`Gateway::resync`], except for how the tokens are re-read.
    /// Not at all when the store's [`TokensFingerprint`] has not moved since they were last
    /// brought in step, which every change does, one whose event was lost included (the
    /// fingerprint is one aggregate query). When it moved, only the tokens whose
    /// [`gatehouse_store::TokenVersion`] differs from what the snapshot holds are read again and
    /// the ones no longer stored dropped: reading every token takes seconds at a million, their
    /// versions a fraction of that. In full only the first time. Accounts (a few rows each) are
    /// re-read every time.
    pub async fn resync_if_changed(&self) -> Result<TokensReread, StoreError> {
        self.resync_with(false).await
    }

    async fn resync_with(&self, full: bool) -> Result<TokensReread, StoreError> {
        let started = self.clock.now();
        // Read before the tokens: a change committed in between makes the next check re-read
        // once more, never the reverse.
        let fingerprint = self.store.service_tokens_fingerprint().await?;
        let last = *self.lock_tokens_read();
        let reread = if full || last.is_none() {
            self.reload_tokens().await?;
            TokensReread::All
        } else if last != Some(fingerprint) {
            self.reload_stale_tokens().await?
        } else {
            TokensReread::None
        };
        *self.lock_tokens_read() = Some(fingerprint);
        for account in self.store.list_accounts().await? {
            self.reload_account(&account.id).await?;
        }
        // Fresh as of when the reads began, not when they ended.
        self.freshness.mark(started);
        tracing::debug!(tokens = self.tokens.len(), ?reread, "gateway snapshot resynchronized");
        Ok(reread)
    }

    /// Reads every token's version, then only the tokens the snapshot holds in another version
    /// or not at all, and drops the ones no longer stored; changes that arrive meanwhile are
    /// kept, as by a full reload.
    async fn reload_stale_tokens(&self) -> Result<TokensReread, StoreError> {
        let reload = self.tokens.begin_reload();
        let mut versions = self.store.service_token_versions().await?;
        let stale = reload.stale(&mut versions);
        drop(versions);
        let tokens = self.store.service_tokens_by_ids(&stale.read).await?;
        let read = tokens.len();
        let dropped = reload.finish_stale(stale, tokens);
        Ok(TokensReread::Stale { read, dropped })
    }

    fn lock_tokens_read(&self) -> std::sync::MutexGuard<'_, Option<TokensFingerprint>> {
        self.tokens_read.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replaces the token snapshot with the store's tokens, keeping changes that arrive while
    /// the store is read.
    pub(crate) async fn reload_tokens(&self) -> Result<(), StoreError> {
        let reload = self.tokens.begin_reload();
        let tokens = self.store.all_service_tokens().await?;
        reload.finish(tokens);
        Ok(())
    }
}
