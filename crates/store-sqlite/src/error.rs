//! The one place where sqlx errors become [`StoreError`]s.
//!
//! Messages carry SQLite's own text (which names tables and columns, never bound values) or a
//! description written here, so no secret hash, name or id leaks into logs through an error.

use gatehouse_store::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::migrate::MigrateError;

/// Primary result codes (the low byte of SQLite's extended codes) that mean the file itself is
/// damaged or is not a database.
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_NOTADB: i32 = 26;

/// Translates a driver error.
pub(crate) fn from_sqlx(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => from_database(db.as_ref()),
        sqlx::Error::RowNotFound
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::Protocol(_) => StoreError::Corrupt(err.to_string()),
        // Pool timeouts, a closed pool, I/O, configuration, a crashed worker: nothing the caller
        // did wrong, and possibly transient.
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Translates a failure to bring the schema up to date.
pub(crate) fn from_migrate(err: MigrateError) -> StoreError {
    match err {
        MigrateError::Execute(err) => from_sqlx(err),
        other => StoreError::Unavailable(format!("cannot migrate the database: {other}")),
    }
}

/// A value read from a row that does not decode into its domain type.
pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

fn from_database(db: &dyn DatabaseError) -> StoreError {
    match db.kind() {
        ErrorKind::UniqueViolation => StoreError::Conflict(describe_unique(db.message())),
        ErrorKind::ForeignKeyViolation => StoreError::Conflict("the account does not exist".to_owned()),
        // The schema refused a row this crate wrote: a bug in the mapping, not in the request.
        ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
            StoreError::Corrupt(format!("a record breaks the schema: {}", db.message()))
        }
        _ => {
            let primary = db.code().and_then(|code| code.parse::<i32>().ok()).map(|code| code & 0xff);
            if matches!(primary, Some(SQLITE_CORRUPT | SQLITE_NOTADB)) {
                StoreError::Corrupt(db.message().to_owned())
            } else {
                // Busy, locked, read-only, disk full, I/O errors.
                StoreError::Unavailable(db.message().to_owned())
            }
        }
    }
}

/// Turns `UNIQUE constraint failed: service_tokens.client_id` into
/// `a service token with this client_id exists`.
fn describe_unique(message: &str) -> String {
    let Some(columns) = message.strip_prefix("UNIQUE constraint failed: ") else {
        return "a unique value is already taken".to_owned();
    };
    let (table, _) = columns.split_once('.').unwrap_or(("", ""));
    let noun = match table {
        "accounts" => "an account",
        "api_tokens" => "an API token",
        "service_tokens" => "a service token",
        "access_resources" => "an access resource",
        _ => "a record",
    };
    let fields: Vec<&str> =
        columns.split(", ").map(|column| column.split_once('.').map_or(column, |(_, name)| name)).collect();
    format!("{noun} with this {} exists", fields.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_name_the_resource_and_column() {
        assert_eq!(
            describe_unique("UNIQUE constraint failed: service_tokens.client_id"),
            "a service token with this client_id exists"
        );
        assert_eq!(
            describe_unique("UNIQUE constraint failed: api_tokens.id"),
            "an API token with this id exists"
        );
        assert_eq!(
            describe_unique("UNIQUE constraint failed: access_resources.kind, access_resources.id"),
            "an access resource with this kind and id exists"
        );
        assert_eq!(describe_unique("something else"), "a unique value is already taken");
    }
}
