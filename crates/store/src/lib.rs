//! The storage contract of gatehouse: small async traits over the domain types, implemented by
//! one adapter crate per backend (`gatehouse-store-sqlite`, `gatehouse-store-postgres`), and the
//! conformance suite (feature `conformance`) that every adapter must pass.
//!
//! Main types: [`Store`] (everything a server needs), [`AccountStore`], [`ApiTokenStore`],
//! [`ServiceTokenStore`], [`StoreError`]. Adapters translate driver errors into [`StoreError`]
//! at their boundary; no SQL or driver type appears here. What both adapters would otherwise
//! write twice lives here too: the audited write path ([`audit_writes`], behind a small
//! per-backend trait), the decoding of stored rows ([`rows`], [`token_columns`]) and the
//! choice of a token page's keyset statement ([`token_list`]).
//!
//! Must not depend on HTTP, SQL drivers or the CLI; with the feature `sqlx` (the adapters')
//! the [`rows`] derive `sqlx::FromRow`, generically over the driver.

mod access_logs;
mod audit;
pub mod audit_writes;
mod changes;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod rows;
mod server_keys;
mod settings;
pub mod token_columns;
pub mod token_list;

pub use changes::{Change, ChangeEvent, ChangeFeed, ChangeSubscription};
pub use server_keys::{KeyCount, ServerKeyStore, key_counts};
pub use settings::SettingsStore;

pub use access_logs::{
    AccessLogQuery, AccessLogRecord, AccessLogStore, ActivityCount, ActivityQuery, Direction, Match,
    REPLAY_BATCH, RecordedPerson, TextMatch, insert_chunks,
};
pub use audit::{AUDIT_APPEND_ATTEMPTS, AuditFilter, AuditStore, AuditedChange, AuditedOutcome};
mod notifications;

pub use notifications::{NotificationKey, NotificationLog};

use async_trait::async_trait;
use gatehouse_domain::{
    AccountId, ApiToken, ClientId, Credentials, KeyId, SecretHash, SecretMatch, ServiceToken, Timestamp,
    TokenId,
};

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
    /// Tokens whose `expires_at` is before this time (the expired ones included).
    pub expires_before: Option<Timestamp>,
    /// Tokens not used since this time: never used, or last seen before it.
    pub unused_since: Option<Timestamp>,
    /// Keyset paging: where the page starts, instead of the [`PageRequest::offset`] (which is
    /// then ignored). A page found through a cursor costs the same wherever it is in the list.
    pub cursor: Option<TokenCursor>,
}

/// Where a page of [`TokenFilter`]'s list starts, by a token of the list rather than a count of
/// tokens skipped. The page is always in creation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCursor {
    /// The tokens created after this one (the next page).
    After(TokenId),
    /// The last tokens created before this one (the previous page).
    Before(TokenId),
    /// The last page: the tokens created last.
    Last,
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
    /// The token stored with `hash` (the same MAC under the same server key).
    async fn find_api_token(&self, hash: &SecretHash) -> Result<Option<ApiToken>, StoreError>;
}

#[async_trait]
pub trait ServiceTokenStore: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the id or `client_id` exists.
    async fn insert_service_token(&self, token: &ServiceToken) -> Result<(), StoreError>;
    async fn get_service_token(
        &self,
        account: &AccountId,
        id: &TokenId,
    ) -> Result<Option<ServiceToken>, StoreError>;
    async fn find_service_token_by_client_id(
        &self,
        client_id: &ClientId,
    ) -> Result<Option<ServiceToken>, StoreError>;
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
    async fn delete_service_token(
        &self,
        account: &AccountId,
        id: &TokenId,
    ) -> Result<Option<ServiceToken>, StoreError>;
    /// Every token of every account, for the gateway's in-memory snapshot.
    async fn all_service_tokens(&self) -> Result<Vec<ServiceToken>, StoreError>;
    /// The [`TokensFingerprint`] of every stored token, for a node to tell whether its snapshot
    /// needs [`Self::all_service_tokens`] again. PostgreSQL computes it in one aggregate query;
    /// SQLite (a single node, which never resyncs) reads the rows.
    async fn service_tokens_fingerprint(&self) -> Result<TokensFingerprint, StoreError>;
    /// The [`TokenVersion`] of every stored token (in no particular order): what a node compares
    /// with its snapshot when the fingerprint moved, to read only the tokens that changed with
    /// [`Self::service_tokens_by_ids`] instead of all of them.
    async fn service_token_versions(&self) -> Result<Vec<TokenVersion>, StoreError>;
    /// The stored tokens among `ids`, of any account, in no particular order; an id not stored
    /// (or named twice) adds nothing.
    async fn service_tokens_by_ids(&self, ids: &[TokenId]) -> Result<Vec<ServiceToken>, StoreError>;
    /// Records successful authentications, written in batches by the gateway. Usage times only
    /// move forward (`max`). A use of the current secret at `secret_version` ends a graceful
    /// rotation: a previous secret whose grace is "until the new secret is used" is removed and
    /// the revision incremented, so a concurrent API update re-reads. Unknown tokens are skipped.
    async fn record_token_usage(&self, usage: &[TokenUsage]) -> Result<(), StoreError>;
}

/// A digest of the stored service tokens: how many, the highest `seq`, and a sum of one hash per
/// token of its id, revision and server-key ids. Every write to a token moves its revision,
/// except recorded uses (usage times, which a node's snapshot need not hear from the others) and
/// re-hashes under a new server key (which move a key id); a creation takes a `seq` never used
/// before. So two equal fingerprints mean no token was created, changed, rotated, re-hashed or
/// deleted in between, and a snapshot read after the first is still whole at the second.
/// Comparable only with fingerprints of the same store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokensFingerprint {
    /// How many tokens are stored.
    pub tokens: i64,
    /// The highest `seq` stored (0 with none).
    pub last_seq: i64,
    /// The sum of one 64-bit hash per token (wrapping).
    pub digest: i64,
}

/// What a stored token's share of the [`TokensFingerprint`] is made of: its id, revision and
/// server-key ids. A token whose version equals what a snapshot holds of it needs no re-reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenVersion {
    pub id: TokenId,
    pub revision: i64,
    /// The server key of the current secret's hash.
    pub secret_key_id: KeyId,
    /// The server key of the previous secret's hash, while there is one.
    pub previous_secret_key_id: Option<KeyId>,
}

impl TokenVersion {
    /// The version of token `id` at `revision` holding `credentials`.
    pub fn of(id: TokenId, revision: i64, credentials: &Credentials) -> TokenVersion {
        TokenVersion {
            id,
            revision,
            secret_key_id: credentials.current().key_id(),
            previous_secret_key_id: credentials.previous().map(|p| p.hash.key_id()),
        }
    }
}

/// One successful authentication of a service token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenUsage {
    pub token_id: TokenId,
    pub seen_at: Timestamp,
    /// Which secret authenticated.
    pub matched: SecretMatch,
    /// The token's `client_secret_version` when it authenticated (a use recorded after a newer
    /// rotation must not end that rotation's grace).
    pub secret_version: u64,
}

/// The kinds of access configuration, each stored as a JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    Application,
    Policy,
    Group,
    /// One per account; its id is the account id.
    Organization,
    /// The account's JWT signing keys (private keys sealed under the server key); one per account.
    SigningKeys,
    /// An identity provider people log in with (its client secret sealed under the server key).
    IdentityProvider,
    /// A person known to the account (logged in, or had their sessions revoked); its id is the
    /// person's user id, derived from the account and the e-mail address.
    User,
    /// A one-time PIN asked for by a person logging in (only its MAC); its id is the random
    /// challenge id. Short-lived: dropped when used, dead or expired.
    LoginCode,
    /// A Zero Trust list (`/gateway/lists`) with its items; `email_list` rules name `EMAIL` ones.
    GatewayList,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 9] = [
        ResourceKind::Application,
        ResourceKind::Policy,
        ResourceKind::Group,
        ResourceKind::Organization,
        ResourceKind::SigningKeys,
        ResourceKind::IdentityProvider,
        ResourceKind::User,
        ResourceKind::LoginCode,
        ResourceKind::GatewayList,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Application => "application",
            ResourceKind::Policy => "policy",
            ResourceKind::Group => "group",
            ResourceKind::Organization => "organization",
            ResourceKind::SigningKeys => "signing_keys",
            ResourceKind::IdentityProvider => "identity_provider",
            ResourceKind::User => "user",
            ResourceKind::LoginCode => "login_code",
            ResourceKind::GatewayList => "gateway_list",
        }
    }
}

/// A stored access resource: a JSON document with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub kind: ResourceKind,
    /// Unique per kind (a UUID, or the account id for one-per-account kinds).
    pub id: String,
    pub account_id: AccountId,
    /// The document, as JSON text.
    pub body: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Incremented by every update, as for service tokens.
    pub revision: i64,
}

/// One part of an atomic change to access resources.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceChange {
    /// Fails the batch with [`StoreError::Conflict`] when (kind, id) exists.
    Insert(Resource),
    /// Writes if the stored revision is `revision - 1`; otherwise (or when missing) the batch
    /// fails with [`StoreError::Stale`].
    Update(Resource),
    /// Removes (kind, id) of that account; a missing resource fails the batch with `Stale`.
    Delete { kind: ResourceKind, account_id: AccountId, id: String },
}

#[async_trait]
pub trait ResourceStore: Send + Sync {
    async fn get_resource(
        &self,
        kind: ResourceKind,
        account: &AccountId,
        id: &str,
    ) -> Result<Option<Resource>, StoreError>;
    /// The account's resources of `kind`, in creation order.
    async fn list_resources(
        &self,
        kind: ResourceKind,
        account: &AccountId,
    ) -> Result<Vec<Resource>, StoreError>;
    /// Every account's resources of `kind`, for the gateway's snapshot.
    async fn all_resources(&self, kind: ResourceKind) -> Result<Vec<Resource>, StoreError>;
    /// Applies every change or none.
    async fn apply(&self, changes: &[ResourceChange]) -> Result<(), StoreError>;
}

/// Everything the server needs from storage.
pub trait Store:
    AccountStore
    + ApiTokenStore
    + ServiceTokenStore
    + ResourceStore
    + NotificationLog
    + AccessLogStore
    + AuditStore
    + ServerKeyStore
    + std::fmt::Debug
    + 'static
{
}

impl<T> Store for T where
    T: AccountStore
        + ApiTokenStore
        + ServiceTokenStore
        + ResourceStore
        + NotificationLog
        + AccessLogStore
        + AuditStore
        + ServerKeyStore
        + std::fmt::Debug
        + 'static
{
}

/// Told about every change made through the API, before the API answers, so that the
/// gateway's in-memory snapshot serves the new state from the very next request. (Across
/// several nodes the database will carry the same events.)
#[async_trait]
pub trait ChangeListener: Send + Sync + std::fmt::Debug {
    /// A token was created or changed (rotated, refreshed, disabled, …).
    async fn token_changed(&self, token: &ServiceToken);
    /// A token was deleted; `token` is what it was.
    async fn token_deleted(&self, token: &ServiceToken);
    /// Applications, policies, groups, lists, the organization or signing keys of `account`
    /// changed.
    async fn access_changed(&self, account: &AccountId);
}

/// A listener that ignores everything (no gateway in this process, or in tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct IgnoreChanges;

#[async_trait]
impl ChangeListener for IgnoreChanges {
    async fn token_changed(&self, _token: &ServiceToken) {}
    async fn token_deleted(&self, _token: &ServiceToken) {}
    async fn access_changed(&self, _account: &AccountId) {}
}
