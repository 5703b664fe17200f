//! gatehouse storage on PostgreSQL: [`PostgresStore`] implements the traits of
//! `gatehouse-store` over a pool of connections to one database, which several gatehouse nodes
//! may share.
//!
//! Layout: [`PostgresStore::connect`], the pool and the migrations live here; `accounts`,
//! `api_tokens`, `service_tokens` and `resources` (access configuration as JSON documents) each
//! hold their SQL beside the code that runs it and the mapping between rows and domain types;
//! `error` translates sqlx errors into [`StoreError`]. The schema is in `migrations/` (the same
//! tables as the SQLite adapter's, in PostgreSQL types), embedded at build time and applied on
//! connect. This crate mirrors `gatehouse-store-sqlite` file for file; the shared conformance
//! suite holds both to the same behaviour.
//!
//! Concurrency: statements run at READ COMMITTED. Optimistic updates are single conditional
//! `UPDATE`s, which PostgreSQL re-checks against the newest row version after waiting on a
//! concurrent writer's row lock, so exactly one of several racing writers wins. The bootstrap
//! locks the `accounts` table for its transaction; usage batches lock their tokens' rows in id
//! order, so that overlapping batches from two nodes cannot deadlock; migrations run under
//! sqlx's advisory lock.
//!
//! Must not depend on HTTP or CLI crates, and never reads the clock: every timestamp comes in
//! with the domain values it stores.

mod access_logs;
mod accounts;
mod api_tokens;
mod audit;
mod changes;
mod error;
mod notifications;
mod resources;
mod server_keys;
mod service_tokens;
mod settings;

use std::str::FromStr;
use std::time::Duration;

use gatehouse_store::StoreError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use crate::error::{from_migrate, from_sqlx};

/// The schema, one file per migration.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long `connect` waits for its first connection (TCP, TLS, authentication).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a call waits for a pooled connection, including opening a new one while the server
/// is unreachable, before it fails with [`StoreError::Unavailable`].
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections per node: the API's writes and the gateway's snapshot reloads and usage batches.
/// Several nodes share the server's `max_connections` (100 by default).
const MAX_CONNECTIONS: u32 = 10;
/// Shown in `pg_stat_activity` unless the URL names the application itself.
const APPLICATION_NAME: &str = "gatehouse";

/// Whether PostgreSQL can hold `text`: its text types cannot hold NUL, so no stored value has
/// one, and a statement given one fails instead of matching nothing. A lookup by such text
/// answers "not found" without asking, as it would on SQLite.
pub(crate) fn storable(text: &str) -> bool {
    !text.contains('\0')
}

/// A gatehouse store in one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, with
    /// libpq's query parameters such as `sslmode=require` or `sslrootcert=…`) and brings its
    /// schema up to date. The database must exist.
    ///
    /// Several nodes may connect to a new database at once: migrations run under a PostgreSQL
    /// advisory lock, so one node applies them and the others wait, then find them applied.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|err| StoreError::Unavailable(format!("invalid PostgreSQL URL: {err}")))?;
        if options.get_application_name().is_none() {
            options = options.application_name(APPLICATION_NAME);
        }
        migrate(&options).await?;

        // Lazy: the connection `migrate` just made proved the server reachable, and a node
        // that loses it later should fail its calls, not its start.
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        tracing::debug!("connected to the PostgreSQL store");
        Ok(PostgresStore { pool })
    }

    /// Closes every connection, waiting for calls in progress to finish. Later calls fail with
    /// [`StoreError::Unavailable`].
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Applies pending migrations on a connection of its own. sqlx takes a session-level advisory
/// lock (keyed on the database name) before reading which migrations are applied, so nodes
/// connecting at once apply them one after the other; each migration runs in its own
/// transaction.
///
/// This is also the first connection: a server that is down, refuses the credentials or lacks
/// the database fails here at once, with the driver's own reason. Closing the connection
/// afterwards (rather than pooling it) ends the advisory lock even when a migration failed
/// halfway and left it held.
async fn migrate(options: &PgConnectOptions) -> Result<(), StoreError> {
    // Notices ("relation _sqlx_migrations already exists, skipping" on every start) would be
    // logged at INFO; warnings and errors still come through.
    let quiet = options.clone().options([("client_min_messages", "warning")]);
    let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, quiet.connect())
        .await
        .map_err(|_| {
            StoreError::Unavailable(format!(
                "no answer from PostgreSQL at {}:{} within {}s",
                options.get_host(),
                options.get_port(),
                CONNECT_TIMEOUT.as_secs()
            ))
        })?
        .map_err(from_sqlx)?;
    let migrated = MIGRATOR.run(&mut conn).await.map_err(from_migrate);
    let closed = conn.close().await.map_err(from_sqlx);
    migrated.and(closed)
}
