//! Storing a secret's hash under the current server key after it verified under a previous
//! one, off the request path. The snapshot holds the new hash at once, so this happens about
//! once per token and node; two nodes (or two requests) racing both ask, and the store's check
//! on the old hash makes the second a no-op.

use gatehouse_domain::{SecretMatch, TokenId};

use super::Gateway;
use crate::snapshot::Rehash;

impl Gateway {
    /// Stores `rehash` for the token's `matched` secret in a task of its own. A write that fails
    /// is redone when the token is next loaded from the database with its old hash and used.
    pub(super) fn store_rehash(&self, token: TokenId, matched: SecretMatch, rehash: Rehash) {
        let store = self.store.clone();
        self.background.spawn(async move {
            match store.rehash_service_token_secret(&token, matched, &rehash.old, &rehash.new).await {
                Ok(moved) => {
                    tracing::debug!(%token, moved, "stored a secret's hash under the current server key")
                }
                Err(error) => tracing::warn!(
                    %token,
                    %error,
                    "could not store a secret's hash under the current server key; retried after the next reload"
                ),
            }
        });
    }
}
