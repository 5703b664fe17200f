//! Keeping a node's snapshot in step with changes other nodes made: [`Gateway::apply_remote`]
//! applies one change event (reading the new state from the store), [`Gateway::resync`] reloads
//! everything — after every (re)connect of the change feed and periodically, as the safety net
//! for lost events — and marks the snapshot fresh.

use gatehouse_domain::{AccountId, TokenId};
use gatehouse_store::{Change, StoreError};

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
    async fn refresh_token(&self, account: &AccountId, id: &TokenId, client_id: Option<&str>) -> Result<(), StoreError> {
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
        let started = self.clock.now();
        self.reload_tokens().await?;
        for account in self.store.list_accounts().await? {
            self.reload_account(&account.id).await?;
        }
        // Fresh as of when the reads began, not when they ended.
        self.freshness.mark(started);
        tracing::debug!(tokens = self.tokens.len(), "gateway snapshot resynchronized");
        Ok(())
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
