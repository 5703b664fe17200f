//! The one place where sqlx errors become [`StoreError`]s.
//!
//! Messages carry PostgreSQL's primary message (which names tables, columns and constraints,
//! never bound values: those are in the `DETAIL` field, which is never used) or a description
//! written here, so no secret hash, name or id leaks into logs through an error. Data exceptions
//! (SQLSTATE class 22) are the exception: their primary message may quote the input, so only
//! their code is kept.

use gatehouse_store::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::migrate::MigrateError;

/// Translates a driver error.
pub(crate) fn from_sqlx(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => from_database(db.as_ref()),
        sqlx::Error::RowNotFound
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(err.to_string()),
        // Pool timeouts, a closed pool, I/O, TLS, configuration, an unexpected message from the
        // server (a proxy in between): nothing the caller did wrong, and possibly transient.
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
    let code = db.code().map(|code| code.into_owned()).unwrap_or_default();
    match db.kind() {
        ErrorKind::UniqueViolation => StoreError::Conflict(describe_unique(db.constraint())),
        ErrorKind::ForeignKeyViolation => StoreError::Conflict("the account does not exist".to_owned()),
        // The schema refused a row this crate wrote: a bug in the mapping, not in the request.
        ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
            StoreError::Corrupt(format!("a record breaks the schema: {}", db.message()))
        }
        _ => match code.get(..2) {
            // Data exceptions: a value PostgreSQL cannot take (a body that is not JSON, text with
            // a NUL character, a number out of range). The message may quote the value.
            Some("22") => StoreError::Corrupt(format!("a value does not fit its column (SQLSTATE {code})")),
            // Other integrity violations (exclusion constraints): a bug in the mapping.
            Some("23") => StoreError::Corrupt(format!("a record breaks the schema: {}", db.message())),
            // data_corrupted, index_corrupted.
            Some("XX") if code != "XX000" => StoreError::Corrupt(db.message().to_owned()),
            // Connection exceptions, shutdowns, serialization failures and deadlocks, lock and
            // statement timeouts, insufficient resources, missing privileges or schema objects.
            _ => StoreError::Unavailable(format!("{} (SQLSTATE {code})", db.message())),
        },
    }
}

/// Names the resource and column of a violated unique constraint, e.g.
/// `a service token with this client_id exists`: the same words as the SQLite adapter's.
fn describe_unique(constraint: Option<&str>) -> String {
    let described = match constraint {
        Some("accounts_pkey") => "an account with this id exists",
        Some("api_tokens_pkey") => "an API token with this id exists",
        Some("api_tokens_token_hash_key") => "an API token with this token_hash exists",
        Some("service_tokens_id_key") => "a service token with this id exists",
        Some("service_tokens_client_id_key") => "a service token with this client_id exists",
        Some("access_resources_kind_id_key") => "an access resource with this kind and id exists",
        _ => "a unique value is already taken",
    };
    described.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_name_the_resource_and_column() {
        assert_eq!(
            describe_unique(Some("service_tokens_client_id_key")),
            "a service token with this client_id exists"
        );
        assert_eq!(describe_unique(Some("api_tokens_pkey")), "an API token with this id exists");
        assert_eq!(
            describe_unique(Some("access_resources_kind_id_key")),
            "an access resource with this kind and id exists"
        );
        assert_eq!(describe_unique(Some("something_else")), "a unique value is already taken");
        assert_eq!(describe_unique(None), "a unique value is already taken");
    }

    #[test]
    fn every_unique_constraint_of_the_schema_is_described() {
        let schema: String = crate::MIGRATOR.iter().map(|migration| migration.sql.as_ref()).collect();
        let names: Vec<&str> = schema
            .split("CONSTRAINT ")
            .skip(1)
            .filter_map(|rest| rest.split_once(' '))
            .filter(|(_, kind)| kind.starts_with("PRIMARY KEY") || kind.starts_with("UNIQUE"))
            .map(|(name, _)| name)
            .filter(|name| {
                !matches!(*name, "accounts_seq_key" | "service_tokens_pkey" | "access_resources_pkey")
            })
            .collect();
        assert_eq!(names.len(), 6, "{names:?}");
        for name in names {
            assert_ne!(describe_unique(Some(name)), "a unique value is already taken", "{name}");
        }
    }
}
