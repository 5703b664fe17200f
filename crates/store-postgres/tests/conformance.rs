//! The store conformance suite against a real PostgreSQL server, each case in a database of its
//! own, and the properties that only a server shared by several stores can show.
//!
//! The server is named by `GATEHOUSE_TEST_DATABASE_URL`; `scripts/test` starts a throwaway one
//! and sets it. Without it every test that needs the server fails and says how to run it.

// Helpers outside `#[test]` functions panic on failure too; that is what a test wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "conformance/migration_0009.rs"]
mod migration_0009;
#[path = "conformance/postgres.rs"]
mod postgres;
#[path = "conformance/scratch.rs"]
mod scratch;

use gatehouse_store_postgres::PostgresStore;

use crate::scratch::ScratchDatabase;

async fn fresh_store() -> (PostgresStore, ScratchDatabase) {
    let database = ScratchDatabase::create().await;
    let store = PostgresStore::connect(&database.url()).await.unwrap();
    (store, database)
}

gatehouse_store::store_conformance_tests!(fresh_store);
