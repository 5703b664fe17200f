//! Migration 0009 on a database that already holds hashes: each gets the id of the key the
//! stored check value names (its first 16 hex characters). The SQLite adapter has the same test.

use sqlx::Row;
use sqlx::postgres::PgPool;

use crate::scratch::ScratchDatabase;

/// Applies the adapter's migration files numbered `versions`, in order.
async fn run_migrations(pool: &PgPool, versions: std::ops::RangeInclusive<u32>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let version: u32 = name.split('_').next().unwrap().parse().unwrap();
        if versions.contains(&version) {
            sqlx::raw_sql(&std::fs::read_to_string(&file).unwrap()).execute(pool).await.unwrap();
        }
    }
}

#[tokio::test]
async fn migration_0009_names_the_key_of_existing_hashes_from_the_stored_check_value() {
    let database = ScratchDatabase::create().await;
    let pool = PgPool::connect(&database.url()).await.unwrap();
    run_migrations(&pool, 1..=8).await;
    let key = gatehouse_domain::ServerKey::generate();
    let zero = vec![0u8; 32];
    sqlx::query("INSERT INTO settings (name, value) VALUES ('server_key_check', $1)")
        .bind(key.check_value())
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ('a', 'Acme', 0)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO api_tokens (id, account_id, name, token_hash, permission, kind, created_at, enabled) \
         VALUES ('t', 'a', 'admin', $1, 'edit', 'bearer', 0, TRUE)",
    )
    .bind(&zero)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO service_tokens (id, account_id, name, client_id, duration, created_at, updated_at, \
             expires_at, enabled, secret_hash, secret_version, previous_secret_hash, previous_secret_version, \
             previous_secret_grace, revision) \
         VALUES ('s1', 'a', 'rotated', 'c1', '1h', 0, 0, 3600, TRUE, $1, 2, $1, 1, 'first_use', 2), \
                ('s2', 'a', 'single', 'c2', '1h', 0, 0, 3600, TRUE, $1, 1, NULL, NULL, NULL, 1)",
    )
    .bind(&zero)
    .execute(&pool)
    .await
    .unwrap();
    run_migrations(&pool, 9..=9).await;

    let id = key.id().to_string();
    let rows = sqlx::query("SELECT secret_key_id, previous_secret_key_id FROM service_tokens ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let tokens: Vec<(String, Option<String>)> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    assert_eq!(tokens, vec![(id.clone(), Some(id.clone())), (id.clone(), None)]);
    let api: String = sqlx::query_scalar("SELECT key_id FROM api_tokens").fetch_one(&pool).await.unwrap();
    assert_eq!(api, id);
    pool.close().await;
}
