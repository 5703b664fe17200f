//! Service tokens: insert, lookups, optimistic updates and deletion. Listing is in `list`, the
//! row mapping in `row`, the gateway's usage records in `usage`.

mod list;
mod row;
mod usage;

use async_trait::async_trait;
use gatehouse_domain::{AccountId, ClientId, ServiceToken, TokenId};
use gatehouse_store::token_columns::{fingerprint_hash, token_version};
use gatehouse_store::{
    Page, PageRequest, ServiceTokenStore, StoreError, TokenFilter, TokenUsage, TokenVersion,
    TokensFingerprint,
};
use sqlx::SqliteConnection;

use crate::SqliteStore;
use crate::access_logs::json_strings;
use crate::error::from_sqlx;
use row::TokenRow;

const INSERT: &str = "INSERT INTO service_tokens (\
        id, account_id, name, client_id, duration, created_at, updated_at, expires_at, last_seen_at, \
        enabled, secret_hash, secret_version, secret_last_seen_at, previous_secret_hash, \
        previous_secret_version, previous_secret_grace, previous_secret_expires_at, \
        previous_secret_last_seen_at, revision, previous_secret_rotated_at, secret_key_id, \
        previous_secret_key_id) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, \
        ?22)";

/// The later of two nullable times: `MAX` of the two, with `IFNULL` making a NULL lose.
macro_rules! later {
    ($a:literal, $b:literal) => {
        concat!("MAX(IFNULL(", $a, ", ", $b, "), IFNULL(", $b, ", ", $a, "))")
    };
}

/// Writes every column but the keys, if the stored revision is `?23`.
///
/// The API updates a token it read a moment ago, while the gateway records uses without
/// changing the revision; a use recorded in between must not be undone. So each usage time
/// becomes the later of the stored one and the written one, provided both belong to the same
/// secret (the expressions see the row as it was before this update):
/// - `last_seen_at` covers any secret: always the later one;
/// - `secret_last_seen_at`: the later one unless the update rotates (`secret_version` changes),
///   when the new secret's own time (none yet) is written;
/// - `previous_secret_last_seen_at`: the later one when the previous secret stays; after a
///   rotation through this update it is the secret that was current, so its stored current time
///   counts; with no previous secret it is NULL, as the schema requires.
const UPDATE: &str = concat!(
    "UPDATE service_tokens SET \
        name = ?3, client_id = ?4, duration = ?5, created_at = ?6, updated_at = ?7, expires_at = ?8, \
        last_seen_at = ",
    later!("last_seen_at", "?9"),
    ", enabled = ?10, secret_hash = ?11, secret_version = ?12, \
        secret_last_seen_at = CASE WHEN secret_version = ?12 THEN ",
    later!("secret_last_seen_at", "?13"),
    " ELSE ?13 END, \
        previous_secret_hash = ?14, previous_secret_version = ?15, \
        previous_secret_grace = ?16, previous_secret_expires_at = ?17, \
        previous_secret_last_seen_at = CASE \
            WHEN previous_secret_version = ?15 THEN ",
    later!("previous_secret_last_seen_at", "?18"),
    " WHEN secret_version = ?15 THEN ",
    later!("secret_last_seen_at", "?18"),
    " ELSE ?18 END, \
        revision = ?19, previous_secret_rotated_at = ?20, secret_key_id = ?21, \
        previous_secret_key_id = ?22 \
    WHERE id = ?1 AND account_id = ?2 AND revision = ?23"
);

#[async_trait]
impl ServiceTokenStore for SqliteStore {
    async fn insert_service_token(&self, token: &ServiceToken) -> Result<(), StoreError> {
        let mut conn = self.writer.acquire().await.map_err(from_sqlx)?;
        insert(&mut conn, token).await
    }

    async fn get_service_token(
        &self,
        account: &AccountId,
        id: &TokenId,
    ) -> Result<Option<ServiceToken>, StoreError> {
        let row: Option<TokenRow> =
            sqlx::query_as("SELECT * FROM service_tokens WHERE id = ?1 AND account_id = ?2")
                .bind(id.to_string())
                .bind(account.as_str())
                .fetch_optional(&self.reader)
                .await
                .map_err(from_sqlx)?;
        row.map(ServiceToken::try_from).transpose()
    }

    async fn find_service_token_by_client_id(
        &self,
        client_id: &ClientId,
    ) -> Result<Option<ServiceToken>, StoreError> {
        let row: Option<TokenRow> = sqlx::query_as("SELECT * FROM service_tokens WHERE client_id = ?1")
            .bind(client_id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(from_sqlx)?;
        row.map(ServiceToken::try_from).transpose()
    }

    async fn list_service_tokens(
        &self,
        account: &AccountId,
        filter: &TokenFilter,
        page: PageRequest,
    ) -> Result<Page<ServiceToken>, StoreError> {
        list::list(&self.reader, account, filter, page).await
    }

    async fn update_service_token(&self, token: &ServiceToken) -> Result<bool, StoreError> {
        // Both statements on the one writer connection: nothing else writes in between.
        let mut conn = self.writer.acquire().await.map_err(from_sqlx)?;
        update(&mut conn, token).await
    }

    async fn delete_service_token(
        &self,
        account: &AccountId,
        id: &TokenId,
    ) -> Result<Option<ServiceToken>, StoreError> {
        let mut conn = self.writer.acquire().await.map_err(from_sqlx)?;
        delete(&mut conn, account, id).await
    }

    async fn all_service_tokens(&self) -> Result<Vec<ServiceToken>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as("SELECT * FROM service_tokens ORDER BY seq")
            .fetch_all(&self.reader)
            .await
            .map_err(from_sqlx)?;
        rows.into_iter().map(ServiceToken::try_from).collect()
    }

    async fn service_tokens_fingerprint(&self) -> Result<TokensFingerprint, StoreError> {
        // SQLite has no hash function of its own: the columns are read and hashed here. A single
        // node never resyncs, so this runs in tests only.
        let rows: Vec<(i64, String, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT seq, id, revision, secret_key_id, previous_secret_key_id FROM service_tokens",
        )
        .fetch_all(&self.reader)
        .await
        .map_err(from_sqlx)?;
        let mut fingerprint = TokensFingerprint { tokens: 0, last_seq: 0, digest: 0 };
        for (seq, id, revision, key_id, previous_key_id) in rows {
            fingerprint.tokens += 1;
            fingerprint.last_seq = fingerprint.last_seq.max(seq);
            let hash = fingerprint_hash(&id, revision, &key_id, previous_key_id.as_deref());
            fingerprint.digest = fingerprint.digest.wrapping_add_unsigned(hash);
        }
        Ok(fingerprint)
    }

    async fn service_token_versions(&self) -> Result<Vec<TokenVersion>, StoreError> {
        let rows: Vec<(String, i64, String, Option<String>)> =
            sqlx::query_as("SELECT id, revision, secret_key_id, previous_secret_key_id FROM service_tokens")
                .fetch_all(&self.reader)
                .await
                .map_err(from_sqlx)?;
        rows.iter()
            .map(|(id, revision, key_id, previous)| token_version(id, *revision, key_id, previous.as_deref()))
            .collect()
    }

    async fn service_tokens_by_ids(&self, ids: &[TokenId]) -> Result<Vec<ServiceToken>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One JSON array bound once: no limit on the number of ids, unlike an `IN` list.
        let ids: Vec<String> = ids.iter().map(TokenId::to_string).collect();
        let rows: Vec<TokenRow> =
            sqlx::query_as("SELECT * FROM service_tokens WHERE id IN (SELECT value FROM json_each(?1))")
                .bind(json_strings(&ids))
                .fetch_all(&self.reader)
                .await
                .map_err(from_sqlx)?;
        rows.into_iter().map(ServiceToken::try_from).collect()
    }

    async fn record_token_usage(&self, usage: &[TokenUsage]) -> Result<(), StoreError> {
        usage::record(&self.writer, usage).await
    }
}

// The writes on a given connection, so that `write_audited` can run them in the transaction that
// also appends the audit record.

pub(crate) async fn insert(conn: &mut SqliteConnection, token: &ServiceToken) -> Result<(), StoreError> {
    TokenRow::encode(token)?.bind(sqlx::query(INSERT)).execute(conn).await.map_err(from_sqlx)?;
    Ok(())
}

/// `Ok(true)` when written, `Ok(false)` when the token does not exist, [`StoreError::Stale`]
/// when another revision is stored.
pub(crate) async fn update(conn: &mut SqliteConnection, token: &ServiceToken) -> Result<bool, StoreError> {
    let updated = TokenRow::encode(token)?
        .bind(sqlx::query(UPDATE))
        .bind(token.revision.saturating_sub(1))
        .execute(&mut *conn)
        .await
        .map_err(from_sqlx)?;
    if updated.rows_affected() > 0 {
        return Ok(true);
    }
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM service_tokens WHERE id = ?1 AND account_id = ?2)")
            .bind(token.id.to_string())
            .bind(token.account_id.as_str())
            .fetch_one(&mut *conn)
            .await
            .map_err(from_sqlx)?;
    if exists { Err(StoreError::Stale) } else { Ok(false) }
}

pub(crate) async fn delete(
    conn: &mut SqliteConnection,
    account: &AccountId,
    id: &TokenId,
) -> Result<Option<ServiceToken>, StoreError> {
    let row: Option<TokenRow> =
        sqlx::query_as("DELETE FROM service_tokens WHERE id = ?1 AND account_id = ?2 RETURNING *")
            .bind(id.to_string())
            .bind(account.as_str())
            .fetch_optional(conn)
            .await
            .map_err(from_sqlx)?;
    row.map(ServiceToken::try_from).transpose()
}
