//! Access resources: JSON documents keyed by (kind, id), read per account or across accounts,
//! and changed in atomic batches.

use async_trait::async_trait;
use gatehouse_domain::{AccountId, Timestamp};
use gatehouse_store::{Resource, ResourceChange, ResourceKind, ResourceStore, StoreError};
use sqlx::SqliteConnection;

use crate::SqliteStore;
use crate::error::{corrupt, from_sqlx};

/// `SELECT` of the columns of a [`ResourceRow`], followed by the rest of the statement. Every
/// read asks for one kind, so the kind is not read back.
macro_rules! select {
    ($rest:literal) => {
        concat!("SELECT id, account_id, body, created_at, updated_at, revision FROM access_resources ", $rest)
    };
}

const GET: &str = select!("WHERE kind = ?1 AND id = ?2 AND account_id = ?3");
const LIST: &str = select!("WHERE kind = ?1 AND account_id = ?2 ORDER BY seq");
const ALL: &str = select!("WHERE kind = ?1 ORDER BY seq");

const INSERT: &str = "INSERT INTO access_resources \
        (kind, id, account_id, body, created_at, updated_at, revision) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Writes the document and its bookkeeping if the stored revision is `?7`.
const UPDATE: &str = "UPDATE access_resources SET body = ?4, updated_at = ?5, revision = ?6 \
    WHERE kind = ?1 AND id = ?2 AND account_id = ?3 AND revision = ?7";

const DELETE: &str = "DELETE FROM access_resources WHERE kind = ?1 AND id = ?2 AND account_id = ?3";

/// A row of one kind: every column but `seq` and `kind`.
#[derive(sqlx::FromRow)]
struct ResourceRow {
    id: String,
    account_id: String,
    body: String,
    created_at: i64,
    updated_at: i64,
    revision: i64,
}

impl ResourceRow {
    fn decode(self, kind: ResourceKind) -> Result<Resource, StoreError> {
        Ok(Resource {
            kind,
            id: self.id,
            account_id: AccountId::parse(&self.account_id)
                .map_err(|_| corrupt("an access resource's account id is malformed"))?,
            body: self.body,
            created_at: Timestamp::from_unix(self.created_at),
            updated_at: Timestamp::from_unix(self.updated_at),
            revision: self.revision,
        })
    }
}

#[async_trait]
impl ResourceStore for SqliteStore {
    async fn get_resource(
        &self,
        kind: ResourceKind,
        account: &AccountId,
        id: &str,
    ) -> Result<Option<Resource>, StoreError> {
        let row: Option<ResourceRow> = sqlx::query_as(GET)
            .bind(kind.as_str())
            .bind(id)
            .bind(account.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(from_sqlx)?;
        row.map(|row| row.decode(kind)).transpose()
    }

    async fn list_resources(
        &self,
        kind: ResourceKind,
        account: &AccountId,
    ) -> Result<Vec<Resource>, StoreError> {
        let rows: Vec<ResourceRow> = sqlx::query_as(LIST)
            .bind(kind.as_str())
            .bind(account.as_str())
            .fetch_all(&self.reader)
            .await
            .map_err(from_sqlx)?;
        rows.into_iter().map(|row| row.decode(kind)).collect()
    }

    async fn all_resources(&self, kind: ResourceKind) -> Result<Vec<Resource>, StoreError> {
        let rows: Vec<ResourceRow> =
            sqlx::query_as(ALL).bind(kind.as_str()).fetch_all(&self.reader).await.map_err(from_sqlx)?;
        rows.into_iter().map(|row| row.decode(kind)).collect()
    }

    async fn apply(&self, changes: &[ResourceChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(from_sqlx)?;
        for change in changes {
            // On the first failure `tx` is dropped uncommitted, which rolls the whole batch back.
            apply_one(&mut tx, change).await?;
        }
        tx.commit().await.map_err(from_sqlx)
    }
}

pub(crate) async fn apply_one(
    conn: &mut SqliteConnection,
    change: &ResourceChange,
) -> Result<(), StoreError> {
    let affected = match change {
        ResourceChange::Insert(resource) => sqlx::query(INSERT)
            .bind(resource.kind.as_str())
            .bind(&resource.id)
            .bind(resource.account_id.as_str())
            .bind(&resource.body)
            .bind(resource.created_at.unix())
            .bind(resource.updated_at.unix())
            .bind(resource.revision),
        ResourceChange::Update(resource) => sqlx::query(UPDATE)
            .bind(resource.kind.as_str())
            .bind(&resource.id)
            .bind(resource.account_id.as_str())
            .bind(&resource.body)
            .bind(resource.updated_at.unix())
            .bind(resource.revision)
            .bind(resource.revision.saturating_sub(1)),
        ResourceChange::Delete { kind, account_id, id } => {
            sqlx::query(DELETE).bind(kind.as_str()).bind(id).bind(account_id.as_str())
        }
    }
    .execute(conn)
    .await
    .map_err(from_sqlx)?
    .rows_affected();
    // An insert either writes its row or fails with a conflict; an update or delete that finds
    // no row (wrong revision, another account's resource, already gone) makes the batch stale.
    if affected == 0 { Err(StoreError::Stale) } else { Ok(()) }
}
