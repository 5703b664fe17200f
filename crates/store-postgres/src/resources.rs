//! Access resources: JSON documents keyed by (kind, id), read per account or across accounts,
//! and changed in atomic batches.
//!
//! Bodies are stored in a `JSON` column, which keeps the text exactly as written; they cross
//! the wire as text (`$4::json` on the way in, `body::text` on the way out).

use async_trait::async_trait;
use gatehouse_domain::{AccountId, Timestamp};
use gatehouse_store::{Resource, ResourceChange, ResourceKind, ResourceStore, StoreError};
use sqlx::PgConnection;

use crate::error::{corrupt, from_sqlx};
use crate::{PostgresStore, storable};

/// `SELECT` of every column but `seq`, followed by the rest of the statement.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT kind, id, account_id, body::text AS body, created_at, updated_at, revision \
             FROM access_resources ",
            $rest
        )
    };
}

const GET: &str = select!("WHERE kind = $1 AND id = $2 AND account_id = $3");
const LIST: &str = select!("WHERE kind = $1 AND account_id = $2 ORDER BY seq");
const ALL: &str = select!("WHERE kind = $1 ORDER BY seq");

const INSERT: &str = "INSERT INTO access_resources \
        (kind, id, account_id, body, created_at, updated_at, revision) \
    VALUES ($1, $2, $3, $4::json, $5, $6, $7)";

/// Writes the document and its bookkeeping if the stored revision is `$7`. A concurrent writer
/// of the same row makes this wait for its commit and then match nothing.
const UPDATE: &str = "UPDATE access_resources SET body = $4::json, updated_at = $5, revision = $6 \
    WHERE kind = $1 AND id = $2 AND account_id = $3 AND revision = $7";

const DELETE: &str = "DELETE FROM access_resources WHERE kind = $1 AND id = $2 AND account_id = $3";

#[derive(sqlx::FromRow)]
struct ResourceRow {
    kind: String,
    id: String,
    account_id: String,
    body: String,
    created_at: i64,
    updated_at: i64,
    revision: i64,
}

impl TryFrom<ResourceRow> for Resource {
    type Error = StoreError;

    fn try_from(row: ResourceRow) -> Result<Self, StoreError> {
        let kind = ResourceKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == row.kind)
            .ok_or_else(|| corrupt("an access resource's kind is unknown"))?;
        Ok(Resource {
            kind,
            id: row.id,
            account_id: AccountId::parse(&row.account_id)
                .map_err(|_| corrupt("an access resource's account id is malformed"))?,
            body: row.body,
            created_at: Timestamp::from_unix(row.created_at),
            updated_at: Timestamp::from_unix(row.updated_at),
            revision: row.revision,
        })
    }
}

#[async_trait]
impl ResourceStore for PostgresStore {
    async fn get_resource(
        &self,
        kind: ResourceKind,
        account: &AccountId,
        id: &str,
    ) -> Result<Option<Resource>, StoreError> {
        if !storable(id) {
            return Ok(None);
        }
        let row: Option<ResourceRow> = sqlx::query_as(GET)
            .bind(kind.as_str())
            .bind(id)
            .bind(account.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?;
        row.map(Resource::try_from).transpose()
    }

    async fn list_resources(
        &self,
        kind: ResourceKind,
        account: &AccountId,
    ) -> Result<Vec<Resource>, StoreError> {
        let rows: Vec<ResourceRow> = sqlx::query_as(LIST)
            .bind(kind.as_str())
            .bind(account.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        rows.into_iter().map(Resource::try_from).collect()
    }

    async fn all_resources(&self, kind: ResourceKind) -> Result<Vec<Resource>, StoreError> {
        let rows: Vec<ResourceRow> =
            sqlx::query_as(ALL).bind(kind.as_str()).fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.into_iter().map(Resource::try_from).collect()
    }

    async fn apply(&self, changes: &[ResourceChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        for change in changes {
            // On the first failure `tx` is dropped uncommitted, which rolls the whole batch back.
            apply_one(&mut tx, change).await?;
        }
        tx.commit().await.map_err(from_sqlx)
    }
}

pub(crate) async fn apply_one(conn: &mut PgConnection, change: &ResourceChange) -> Result<(), StoreError> {
    let affected = match change {
        ResourceChange::Update(Resource { id, .. }) | ResourceChange::Delete { id, .. } if !storable(id) => {
            return Err(StoreError::Stale);
        }
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
