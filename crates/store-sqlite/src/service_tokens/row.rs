//! A `service_tokens` row and its mapping to and from [`ServiceToken`].

use gatehouse_domain::{
    AccountId, ClientId, Credentials, Grace, PreviousSecret, SecretHash, ServiceToken, Timestamp,
    TokenDuration, TokenId,
};
use gatehouse_store::StoreError;
use sqlx::Sqlite;
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;

use crate::error::corrupt;

/// `previous_secret_grace` of a previous secret accepted until the new one is first used.
const FIRST_USE: &str = "first_use";
/// `previous_secret_grace` of a previous secret accepted until `previous_secret_expires_at`.
const DEADLINE: &str = "deadline";

/// Every column but `seq`, in the order of the `?1`…`?19` placeholders of the statements that
/// write a token (see [`TokenRow::bind`]).
#[derive(sqlx::FromRow)]
pub(super) struct TokenRow {
    id: String,
    account_id: String,
    name: String,
    client_id: String,
    duration: String,
    created_at: i64,
    updated_at: i64,
    expires_at: i64,
    last_seen_at: Option<i64>,
    enabled: bool,
    secret_hash: Vec<u8>,
    secret_version: i64,
    secret_last_seen_at: Option<i64>,
    previous_secret_hash: Option<Vec<u8>>,
    previous_secret_version: Option<i64>,
    previous_secret_grace: Option<String>,
    previous_secret_expires_at: Option<i64>,
    previous_secret_last_seen_at: Option<i64>,
    revision: i64,
    /// Added by a later migration, so bound after `revision` (placeholder 20).
    previous_secret_rotated_at: Option<i64>,
}

impl TokenRow {
    pub(super) fn encode(token: &ServiceToken) -> Result<TokenRow, StoreError> {
        let credentials = &token.credentials;
        let previous = credentials.previous();
        let (grace, deadline) = match previous.map(|p| p.grace) {
            None => (None, None),
            Some(Grace::UntilNewSecretUsed) => (Some(FIRST_USE), None),
            Some(Grace::Until(deadline)) => (Some(DEADLINE), Some(deadline.unix())),
        };
        Ok(TokenRow {
            id: token.id.to_string(),
            account_id: token.account_id.as_str().to_owned(),
            name: token.name.clone(),
            client_id: token.client_id.as_str().to_owned(),
            duration: token.duration.as_str().to_owned(),
            created_at: token.created_at.unix(),
            updated_at: token.updated_at.unix(),
            expires_at: token.expires_at.unix(),
            last_seen_at: token.last_seen_at.map(Timestamp::unix),
            enabled: token.enabled,
            secret_hash: credentials.current().as_bytes().to_vec(),
            secret_version: storable_version(credentials.version())?,
            secret_last_seen_at: credentials.current_last_seen_at().map(Timestamp::unix),
            previous_secret_hash: previous.map(|p| p.hash.as_bytes().to_vec()),
            previous_secret_version: previous.map(|p| storable_version(p.version)).transpose()?,
            previous_secret_grace: grace.map(str::to_owned),
            previous_secret_expires_at: deadline,
            previous_secret_last_seen_at: previous.and_then(|p| p.last_seen_at).map(Timestamp::unix),
            revision: token.revision,
            previous_secret_rotated_at: previous.and_then(|p| p.rotated_at).map(Timestamp::unix),
        })
    }

    /// Binds the columns as `?1` (`id`) to `?19` (`revision`), in declaration order,
    /// then `previous_secret_rotated_at` as `?20`.
    pub(super) fn bind<'q>(
        self,
        query: Query<'q, Sqlite, SqliteArguments<'q>>,
    ) -> Query<'q, Sqlite, SqliteArguments<'q>> {
        query
            .bind(self.id)
            .bind(self.account_id)
            .bind(self.name)
            .bind(self.client_id)
            .bind(self.duration)
            .bind(self.created_at)
            .bind(self.updated_at)
            .bind(self.expires_at)
            .bind(self.last_seen_at)
            .bind(self.enabled)
            .bind(self.secret_hash)
            .bind(self.secret_version)
            .bind(self.secret_last_seen_at)
            .bind(self.previous_secret_hash)
            .bind(self.previous_secret_version)
            .bind(self.previous_secret_grace)
            .bind(self.previous_secret_expires_at)
            .bind(self.previous_secret_last_seen_at)
            .bind(self.revision)
            .bind(self.previous_secret_rotated_at)
    }
}

impl TryFrom<TokenRow> for ServiceToken {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> Result<Self, StoreError> {
        let previous = decode_previous(&row)?;
        let current = decode_hash(&row.secret_hash)?;
        Ok(ServiceToken {
            id: TokenId::parse(&row.id).map_err(|_| corrupt("a service token id is malformed"))?,
            account_id: AccountId::parse(&row.account_id)
                .map_err(|_| corrupt("a service token's account id is malformed"))?,
            name: row.name,
            client_id: ClientId::parse(&row.client_id)
                .map_err(|_| corrupt("a service token's client id is malformed"))?,
            duration: TokenDuration::parse(&row.duration)
                .map_err(|_| corrupt("a service token's duration does not parse"))?,
            created_at: Timestamp::from_unix(row.created_at),
            updated_at: Timestamp::from_unix(row.updated_at),
            expires_at: Timestamp::from_unix(row.expires_at),
            last_seen_at: row.last_seen_at.map(Timestamp::from_unix),
            enabled: row.enabled,
            credentials: Credentials::from_parts(
                current,
                decode_version(row.secret_version)?,
                row.secret_last_seen_at.map(Timestamp::from_unix),
                previous,
            ),
            revision: row.revision,
        })
    }
}

fn decode_previous(row: &TokenRow) -> Result<Option<PreviousSecret>, StoreError> {
    let grace = match (row.previous_secret_grace.as_deref(), row.previous_secret_expires_at) {
        (None, None) => None,
        (Some(FIRST_USE), None) => Some(Grace::UntilNewSecretUsed),
        (Some(DEADLINE), Some(deadline)) => Some(Grace::Until(Timestamp::from_unix(deadline))),
        _ => return Err(corrupt("a service token's previous secret grace is malformed")),
    };
    match (&row.previous_secret_hash, row.previous_secret_version, grace) {
        (None, None, None) if row.previous_secret_last_seen_at.is_none() => Ok(None),
        (Some(hash), Some(version), Some(grace)) => Ok(Some(PreviousSecret {
            hash: decode_hash(hash)?,
            version: decode_version(version)?,
            grace,
            last_seen_at: row.previous_secret_last_seen_at.map(Timestamp::from_unix),
            rotated_at: row.previous_secret_rotated_at.map(Timestamp::from_unix),
        })),
        _ => Err(corrupt("a service token's previous secret is incomplete")),
    }
}

fn decode_hash(bytes: &[u8]) -> Result<SecretHash, StoreError> {
    SecretHash::from_slice(bytes).ok_or_else(|| corrupt("a service token secret hash is not 32 bytes"))
}

fn decode_version(version: i64) -> Result<u64, StoreError> {
    u64::try_from(version).map_err(|_| corrupt("a service token secret version is negative"))
}

/// SQLite integers are signed 64-bit; a version beyond that range cannot be stored faithfully.
pub(super) fn storable_version(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| corrupt("a secret version above 2^63-1 cannot be stored"))
}
