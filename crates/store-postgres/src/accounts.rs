//! Accounts, and the bootstrap that creates the first one with its admin credential.

use async_trait::async_trait;
use gatehouse_domain::{AccountId, ApiToken, Timestamp};
use gatehouse_store::{Account, AccountStore, StoreError};
use sqlx::PgConnection;

use crate::PostgresStore;
use crate::api_tokens;
use crate::error::{corrupt, from_sqlx};

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: String,
    name: String,
    created_at: i64,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Self, StoreError> {
        Ok(Account {
            id: AccountId::parse(&row.id).map_err(|_| corrupt("an account id is malformed"))?,
            name: row.name,
            created_at: Timestamp::from_unix(row.created_at),
        })
    }
}

async fn insert(conn: &mut PgConnection, account: &Account) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(account.id.as_str())
        .bind(&account.name)
        .bind(account.created_at.unix())
        .execute(conn)
        .await
        .map_err(from_sqlx)?;
    Ok(())
}

#[async_trait]
impl AccountStore for PostgresStore {
    async fn bootstrap(&self, account: &Account, admin: &ApiToken) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        // EXCLUSIVE lets readers in but queues every other writer of `accounts` (another node's
        // bootstrap included) until this transaction ends, so nobody can create an account
        // between our check and our insert. The check runs after the lock is granted, and at
        // READ COMMITTED it then sees an account committed while we waited.
        sqlx::query("LOCK TABLE accounts IN EXCLUSIVE MODE").execute(&mut *tx).await.map_err(from_sqlx)?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts)")
            .fetch_one(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if exists {
            tx.rollback().await.map_err(from_sqlx)?;
            return Ok(false);
        }
        insert(&mut tx, account).await?;
        api_tokens::insert(&mut tx, admin).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(true)
    }

    async fn insert_account(&self, account: &Account) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(from_sqlx)?;
        insert(&mut conn, account).await
    }

    async fn get_account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountRow> =
            sqlx::query_as("SELECT id, name, created_at FROM accounts WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(from_sqlx)?;
        row.map(Account::try_from).transpose()
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows: Vec<AccountRow> =
            sqlx::query_as("SELECT id, name, created_at FROM accounts ORDER BY created_at, seq")
                .fetch_all(&self.pool)
                .await
                .map_err(from_sqlx)?;
        rows.into_iter().map(Account::try_from).collect()
    }
}
