//! gatehouse storage on embedded SQLite: [`SqliteStore`] implements the traits of
//! `gatehouse-store` over one database file.
//!
//! Layout: [`SqliteStore::open`] and the connection pools live here; `accounts`, `api_tokens`,
//! `service_tokens` and `resources` (access configuration as JSON documents) each hold their SQL
//! beside the code that runs it and the mapping between rows and domain types; `error`
//! translates sqlx errors into [`StoreError`]. The schema is in `migrations/`, embedded at build
//! time and applied on open.
//!
//! Concurrency: SQLite allows one writer at a time, so every write goes through a pool of one
//! connection and queues there instead of failing with `SQLITE_BUSY`; reads use a few more
//! connections, which WAL mode lets run beside the writer. The busy timeout covers other
//! processes sharing the file.
//!
//! Must not depend on HTTP or CLI crates, and never reads the clock: every timestamp comes in
//! with the domain values it stores.

mod access_logs;
mod accounts;
mod api_tokens;
mod audit;
mod error;
mod notifications;
mod resources;
mod server_keys;
mod service_tokens;
mod settings;

use std::path::Path;
use std::time::Duration;

use gatehouse_store::StoreError;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::{from_migrate, from_sqlx};

/// The schema, one file per migration.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a statement waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a call waits for a free connection of this process.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Reader connections: enough for the gateway's lookups to proceed while the API writes.
const READERS: u32 = 4;

/// A gatehouse store in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// `query_only` connections for reads.
    reader: SqlitePool,
    /// The single connection every write uses, so that writes queue in the pool.
    writer: SqlitePool,
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file when it is missing (but not its
    /// directory), and brings its schema up to date.
    ///
    /// Several processes may open the same file at once: migrations run under SQLite's write
    /// lock, so one of them applies them and the others find them applied.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);

        // A multi-row INSERT inside a transaction (an access-log batch) keeps a statement journal,
        // which SQLite spills to a temporary file past 64 KiB: an open, unlink and a write per
        // page on every batch. The writer keeps its temporary data in memory instead; it is
        // bounded by the pages one statement changes.
        let writer = connect(
            SqlitePoolOptions::new().max_connections(1),
            &options.clone().pragma("temp_store", "MEMORY"),
        )
        .await?;
        migrate(&writer).await?;
        let reader =
            connect(SqlitePoolOptions::new().max_connections(READERS), &options.pragma("query_only", "ON"))
                .await?;

        tracing::debug!(path = %path.display(), "opened the SQLite store");
        Ok(SqliteStore { reader, writer })
    }

    /// Closes every connection, waiting for calls in progress to finish. Later calls fail with
    /// [`StoreError::Unavailable`].
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Opens a pool, retrying while another process holds the lock that switching a new file to WAL
/// needs: SQLite answers that switch with "database is locked" at once, without waiting for the
/// busy timeout, when two processes open a new file at the same moment.
async fn connect(pool: SqlitePoolOptions, options: &SqliteConnectOptions) -> Result<SqlitePool, StoreError> {
    let pool = pool.acquire_timeout(ACQUIRE_TIMEOUT);
    let mut attempt = 0u32;
    loop {
        match pool.clone().connect_with(options.clone()).await {
            Ok(pool) => return Ok(pool),
            Err(error) if is_locked(&error) && attempt < LOCKED_RETRIES => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20 * u64::from(attempt))).await;
            }
            Err(error) => return Err(from_sqlx(error)),
        }
    }
}

/// How often opening is retried on "database is locked" (about 3 s in all).
const LOCKED_RETRIES: u32 = 16;

fn is_locked(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("5" | "6" | "261" | "517")) || db.message().contains("locked")
        }
        _ => false,
    }
}

/// Applies pending migrations inside one `BEGIN IMMEDIATE` transaction: it takes the write lock
/// before reading which migrations are applied, so two processes opening a new file at once do
/// not both try to create the schema.
async fn migrate(writer: &SqlitePool) -> Result<(), StoreError> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await.map_err(from_sqlx)?;
    MIGRATOR.run(&mut *tx).await.map_err(from_migrate)?;
    tx.commit().await.map_err(from_sqlx)
}

#[cfg(test)]
mod tests {
    use super::SqliteStore;

    #[tokio::test]
    async fn the_writer_keeps_temporary_data_in_memory_and_the_readers_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("gatehouse.db")).await.unwrap();
        // 2 is MEMORY, 0 the compile-time default (a file).
        let writer: i64 = sqlx::query_scalar("PRAGMA temp_store").fetch_one(&store.writer).await.unwrap();
        let reader: i64 = sqlx::query_scalar("PRAGMA temp_store").fetch_one(&store.reader).await.unwrap();
        assert_eq!((writer, reader), (2, 0));
    }
}
