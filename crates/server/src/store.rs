use std::sync::Arc;

use gatehouse_store::{Store, StoreError};
use gatehouse_store_postgres::PostgresStore;
use gatehouse_store_sqlite::SqliteStore;

use crate::config::Config;

/// Opens the configured backend: SQLite in the data directory unless a database URL says
/// otherwise (`sqlite://PATH`, or `postgres://…` / `postgresql://…` for PostgreSQL, whose
/// libpq-style parameters such as `sslmode=require` travel in the URL).
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StoreError> {
    let path = match config.database_url.as_deref() {
        None => config.sqlite_path(),
        Some(url) if url.starts_with("sqlite://") => url.trim_start_matches("sqlite://").into(),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            return Ok(Arc::new(PostgresStore::connect(url).await?));
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
    Ok(Arc::new(SqliteStore::open(&path).await?))
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
