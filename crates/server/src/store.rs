use std::sync::Arc;

use gatehouse_store::{ChangeFeed, SettingsStore, Store, StoreError};
use gatehouse_store_postgres::PostgresStore;
use gatehouse_store_sqlite::SqliteStore;

use crate::config::{Config, DatabaseUrl};

/// The opened storage backend, seen through each of the traits the server needs.
#[derive(Debug, Clone)]
pub struct Backend {
    pub store: Arc<dyn Store>,
    /// Server-wide settings (the server key's check value).
    pub settings: Arc<dyn SettingsStore>,
    /// How nodes sharing the database hear of each other's changes: PostgreSQL only (an SQLite
    /// file has one server).
    pub feed: Option<Arc<dyn ChangeFeed>>,
}

/// Opens the configured backend and returns its store; see [`open_backend`].
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StoreError> {
    Ok(open_backend(config).await?.store)
}

/// Opens the configured backend: SQLite in the data directory unless a database URL says
/// otherwise (`sqlite://PATH`, or `postgres://…` / `postgresql://…` for PostgreSQL, whose
/// libpq-style parameters such as `sslmode=require` travel in the URL).
pub async fn open_backend(config: &Config) -> Result<Backend, StoreError> {
    let path = match config.database_url.as_ref().map(DatabaseUrl::expose) {
        None => config.sqlite_path(),
        Some(url) if url.starts_with("sqlite://") => url.trim_start_matches("sqlite://").into(),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let store = Arc::new(PostgresStore::connect(url).await?);
            return Ok(Backend { store: store.clone(), settings: store.clone(), feed: Some(store) });
        }
        // The URL may hold a password: it stays out of the message.
        Some(_) => {
            return Err(StoreError::Unavailable(
                "unsupported database URL: expected sqlite://PATH, postgres://… or postgresql://…".into(),
            ));
        }
    };
    if let Some(parent) = path.parent() {
        create_private_dir(parent)
            .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", parent.display())))?;
    }
    let store = Arc::new(SqliteStore::open(&path).await?);
    Ok(Backend { store: store.clone(), settings: store, feed: None })
}

fn create_private_dir(path: &std::path::Path) -> std::io::Result<()> {
    if path.as_os_str().is_empty() || path.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}
