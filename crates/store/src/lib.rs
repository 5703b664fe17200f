//! The storage contract of gatehouse: small async traits over the domain types, implemented by
//! one adapter crate per backend (`gatehouse-store-sqlite`, later PostgreSQL), and the
//! conformance suite (feature `conformance`) that every adapter must pass.
//!
//! Main types: [`Store`] (everything a server needs), [`AccountStore`], [`ApiTokenStore`],
//! [`ServiceTokenStore`], [`StoreError`]. Adapters translate driver errors into [`StoreError`]
//! at their boundary; no SQL or driver type appears here.
//!
//! Must not depend on HTTP, SQL drivers or the CLI.

#[cfg(feature = "conformance")]
pub mod conformance;

use async_trait::async_trait;
use gatehouse_domain::{AccountId, ApiToken, ClientId, SecretHash, ServiceToken, TokenId};

/// A storage failure, classified by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value (an id, a `client_id`) is taken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The row changed since it was read (optimistic concurrency); read again and retry.
    #[error("the record was changed concurrently")]
    Stale,
    /// The database cannot be reached or refused the operation for a transient reason.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Stored data does not decode (a bug or a hand-edited database).
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

/// An account, the owner of every other resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub created_at: gatehouse_domain::Timestamp,
}

/// A page request: `offset` items skipped, at most `limit` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub offset: u64,
    pub limit: u64,
}

/// One page of results and the number of items across all pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// Filters of the service token list. Results are in creation order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenFilter {
    /// Exact name.
    pub name: Option<String>,
    /// Case-insensitive substring of the name, or an exact `id` or `client_id`.
    pub search: Option<String>,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the first account and its admin credential in one transaction, unless an account
    /// exists already; returns whether it created them. Two servers starting at once on an empty
    /// database create one account, not two.
    async fn bootstrap(&self, account: &Account, admin: &ApiToken) -> Result<bool, StoreError>;
    /// Adds another account; [`StoreError::Conflict`] when the id exists.
    async fn insert_account(&self, account: &Account) -> Result<(), StoreError>;
    async fn get_account(&self, id: &AccountId) -> Result<Option<Account>, StoreError>;
    /// Every account, oldest first.
    async fn list_accounts(&self) -> Result<Vec<Account>, StoreError>;
}

#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the id or hash exists.
    async fn insert_api_token(&self, token: &ApiToken) -> Result<(), StoreError>;
    async fn find_api_token(&self, hash: &SecretHash) -> Result<Option<ApiToken>, StoreError>;
}

#[async_trait]
pub trait ServiceTokenStore: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the id or `client_id` exists.
    async fn insert_service_token(&self, token: &ServiceToken) -> Result<(), StoreError>;
    async fn get_service_token(&self, account: &AccountId, id: &TokenId) -> Result<Option<ServiceToken>, StoreError>;
    async fn find_service_token_by_client_id(&self, client_id: &ClientId) -> Result<Option<ServiceToken>, StoreError>;
    async fn list_service_tokens(
        &self,
        account: &AccountId,
        filter: &TokenFilter,
        page: PageRequest,
    ) -> Result<Page<ServiceToken>, StoreError>;
    /// Writes `token` if the stored revision is `token.revision - 1`, else [`StoreError::Stale`]
    /// (or `Ok(false)` when the token no longer exists).
    async fn update_service_token(&self, token: &ServiceToken) -> Result<bool, StoreError>;
    /// Deletes and returns the token, if it exists.
    async fn delete_service_token(&self, account: &AccountId, id: &TokenId) -> Result<Option<ServiceToken>, StoreError>;
}

/// Everything the server needs from storage.
pub trait Store: AccountStore + ApiTokenStore + ServiceTokenStore + std::fmt::Debug + 'static {}

impl<T> Store for T where T: AccountStore + ApiTokenStore + ServiceTokenStore + std::fmt::Debug + 'static {}
