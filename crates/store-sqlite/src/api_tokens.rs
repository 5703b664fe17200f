//! Management API credentials, stored by keyed hash and found by it.

use async_trait::async_trait;
use gatehouse_domain::{AccountId, ApiToken, ApiTokenKind, Permission, SecretHash, Timestamp};
use gatehouse_store::token_columns::decode_key_id;
use gatehouse_store::{ApiTokenStore, StoreError};
use sqlx::SqliteConnection;

use crate::SqliteStore;
use crate::error::{corrupt, from_sqlx};

const BEARER: &str = "bearer";
const GLOBAL_KEY: &str = "global_key";

#[derive(sqlx::FromRow)]
struct ApiTokenRow {
    id: String,
    account_id: String,
    name: String,
    token_hash: Vec<u8>,
    key_id: String,
    permission: String,
    kind: String,
    email: Option<String>,
    created_at: i64,
    expires_at: Option<i64>,
    enabled: bool,
}

impl TryFrom<ApiTokenRow> for ApiToken {
    type Error = StoreError;

    fn try_from(row: ApiTokenRow) -> Result<Self, StoreError> {
        let kind = match (row.kind.as_str(), row.email) {
            (BEARER, None) => ApiTokenKind::Bearer,
            (GLOBAL_KEY, Some(email)) => ApiTokenKind::GlobalKey { email },
            _ => return Err(corrupt("an API token's kind and email disagree")),
        };
        Ok(ApiToken {
            id: row.id,
            account_id: AccountId::parse(&row.account_id)
                .map_err(|_| corrupt("an API token's account id is malformed"))?,
            name: row.name,
            hash: SecretHash::from_stored(decode_key_id(&row.key_id)?, &row.token_hash)
                .ok_or_else(|| corrupt("an API token hash is not 32 bytes"))?,
            permission: Permission::parse(&row.permission)
                .ok_or_else(|| corrupt("an API token's permission is unknown"))?,
            kind,
            created_at: Timestamp::from_unix(row.created_at),
            expires_at: row.expires_at.map(Timestamp::from_unix),
            enabled: row.enabled,
        })
    }
}

/// Inserts `token` on `conn`, which may be inside a transaction (the bootstrap's).
pub(crate) async fn insert(conn: &mut SqliteConnection, token: &ApiToken) -> Result<(), StoreError> {
    let (kind, email) = match &token.kind {
        ApiTokenKind::Bearer => (BEARER, None),
        ApiTokenKind::GlobalKey { email } => (GLOBAL_KEY, Some(email.as_str())),
    };
    sqlx::query(
        "INSERT INTO api_tokens \
             (id, account_id, name, token_hash, permission, kind, email, created_at, expires_at, enabled, key_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .bind(&token.id)
    .bind(token.account_id.as_str())
    .bind(&token.name)
    .bind(token.hash.as_bytes().as_slice())
    .bind(token.permission.as_str())
    .bind(kind)
    .bind(email)
    .bind(token.created_at.unix())
    .bind(token.expires_at.map(Timestamp::unix))
    .bind(token.enabled)
    .bind(token.hash.key_id().to_string())
    .execute(conn)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}

#[async_trait]
impl ApiTokenStore for SqliteStore {
    async fn insert_api_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let mut conn = self.writer.acquire().await.map_err(from_sqlx)?;
        insert(&mut conn, token).await
    }

    async fn find_api_token(&self, hash: &SecretHash) -> Result<Option<ApiToken>, StoreError> {
        let row: Option<ApiTokenRow> = sqlx::query_as(
            "SELECT id, account_id, name, token_hash, key_id, permission, kind, email, created_at, expires_at, \
                 enabled \
             FROM api_tokens WHERE token_hash = ?1 AND key_id = ?2",
        )
        .bind(hash.as_bytes().as_slice())
        .bind(hash.key_id().to_string())
        .fetch_optional(&self.reader)
        .await
        .map_err(from_sqlx)?;
        row.map(ApiToken::try_from).transpose()
    }
}
