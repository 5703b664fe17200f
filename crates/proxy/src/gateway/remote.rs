//! Keeping a node's snapshot in step with changes other nodes made: [`Gateway::apply_remote`]
//! applies one change event (reading the new state from the store), [`Gateway::resync`] reloads
//! everything after every (re)connect of the change feed, [`Gateway::resync_if_changed`]
//! periodically, as the safety net for lost events; both mark the snapshot fresh.

use gatehouse_domain::{AccountId, TokenId};
use gatehouse_store::{Change, StoreError, TokensFingerprint};

use super::Gateway;

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

    /// The periodic safety net: as [`Gateway::resync`], except that the tokens are re-read only
    /// when the store's [`TokensFingerprint`] moved since they were last read in full, which
    /// every change does, one whose event was lost included. Re-reading takes seconds at a
    /// million tokens; the fingerprint is one aggregate query. Accounts (a few rows each) are
    /// re-read every time. Returns whether the tokens were re-read.
    pub async fn resync_if_changed(&self) -> Result<bool, StoreError> {
        self.resync_with(false).await
    }

    async fn resync_with(&self, full: bool) -> Result<bool, StoreError> {
        let started = self.clock.now();
        // Read before the tokens: a change committed in between makes the next check re-read
        // them once more, never the reverse.
        let fingerprint = self.store.service_tokens_fingerprint().await?;
        let reread = full || *self.lock_tokens_read() != Some(fingerprint);
        if reread {
            self.reload_tokens().await?;
            *self.lock_tokens_read() = Some(fingerprint);
        }
        for account in self.store.list_accounts().await? {
            self.reload_account(&account.id).await?;
        }
        // Fresh as of when the reads began, not when they ended.
        self.freshness.mark(started);
        tracing::debug!(
            tokens = self.tokens.len(),
            tokens_reread = reread,
            "gateway snapshot resynchronized"
        );
        Ok(reread)
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
