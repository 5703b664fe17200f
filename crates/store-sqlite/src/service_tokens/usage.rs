//! Usage recorded by the gateway: last-seen times that only move forward, and the end of a
//! graceful rotation when the new secret is first used.
//!
//! Each statement re-checks the stored state it depends on instead of trusting what the gateway
//! saw: a rotation made through the API after the authentication moved `secret_version` on, so
//! the use belongs to a secret that is no longer current (the previous one now, or none) and
//! must neither count as the new secret's nor end the new rotation's grace.

use gatehouse_domain::SecretMatch;
use gatehouse_store::{StoreError, TokenUsage};
use sqlx::{SqliteConnection, SqlitePool};

use super::row::storable_version;
use crate::error::from_sqlx;

// Every statement is bound to the same parameters: `?1` the token id, `?2` when it
// authenticated, `?3` the `secret_version` it authenticated at (unused by `SEEN`).

/// Any secret authenticated.
const SEEN: &str = "UPDATE service_tokens SET last_seen_at = MAX(IFNULL(last_seen_at, ?2), ?2) WHERE id = ?1";

/// The current secret authenticated, and it is still the secret at version `?3`.
const CURRENT_SEEN: &str = "UPDATE service_tokens \
    SET secret_last_seen_at = MAX(IFNULL(secret_last_seen_at, ?2), ?2) \
    WHERE id = ?1 AND secret_version = ?3";

/// The current secret at version `?3` authenticated, but a rotation since made it the previous
/// secret: the use is that secret's.
const DEMOTED_SEEN: &str = "UPDATE service_tokens \
    SET previous_secret_last_seen_at = MAX(IFNULL(previous_secret_last_seen_at, ?2), ?2) \
    WHERE id = ?1 AND previous_secret_version = ?3";

/// The first use of the secret at version `?3` ends a rotation whose previous secret lasts until
/// then. The revision moves so that an API update that read the token before fails as stale
/// instead of restoring the previous secret.
const END_GRACE: &str = "UPDATE service_tokens \
    SET previous_secret_hash = NULL, previous_secret_version = NULL, previous_secret_grace = NULL, \
        previous_secret_expires_at = NULL, previous_secret_last_seen_at = NULL, \
        previous_secret_rotated_at = NULL, previous_secret_key_id = NULL, revision = revision + 1 \
    WHERE id = ?1 AND secret_version = ?3 AND previous_secret_grace = 'first_use'";

/// The previous secret authenticated while the secret at version `?3` was current; once a newer
/// rotation replaced both, the previous secret stored now is another one.
const PREVIOUS_SEEN: &str = "UPDATE service_tokens \
    SET previous_secret_last_seen_at = MAX(IFNULL(previous_secret_last_seen_at, ?2), ?2) \
    WHERE id = ?1 AND secret_version = ?3 AND previous_secret_hash IS NOT NULL";

pub(super) async fn record(writer: &SqlitePool, usage: &[TokenUsage]) -> Result<(), StoreError> {
    if usage.is_empty() {
        return Ok(());
    }
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await.map_err(from_sqlx)?;
    for one in usage {
        // On failure `tx` is dropped uncommitted, which rolls the whole batch back.
        record_one(&mut tx, one).await?;
    }
    tx.commit().await.map_err(from_sqlx)
}

/// Runs the statements for one use. A token that does not exist (any more) matches no row.
async fn record_one(conn: &mut SqliteConnection, usage: &TokenUsage) -> Result<(), StoreError> {
    let id = usage.token_id.to_string();
    let seen_at = usage.seen_at.unix();
    let version = storable_version(usage.secret_version)?;
    let statements: &[&str] = match usage.matched {
        SecretMatch::Current => &[SEEN, CURRENT_SEEN, DEMOTED_SEEN, END_GRACE],
        SecretMatch::Previous => &[SEEN, PREVIOUS_SEEN],
    };
    for statement in statements {
        sqlx::query(statement)
            .bind(&id)
            .bind(seen_at)
            .bind(version)
            .execute(&mut *conn)
            .await
            .map_err(from_sqlx)?;
    }
    Ok(())
}
