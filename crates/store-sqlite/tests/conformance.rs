//! The store conformance suite against SQLite, each case on a new file in its own temporary
//! directory, and the properties that only a file shared by several connections can show.

// Helpers outside `#[test]` functions panic on failure too; that is what a test wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use gatehouse_domain::{
    AccountId, ApiToken, ApiTokenKind, ClientId, HashPurpose, NewServiceToken, Permission, Secret,
    SecretHash, ServerKey, ServiceToken, Timestamp, TokenDuration, TokenId,
};
use gatehouse_store::{
    Account, AccountStore, PageRequest, Resource, ResourceChange, ResourceKind, ResourceStore,
    ServiceTokenStore, StoreError, TokenFilter,
};
use gatehouse_store_sqlite::SqliteStore;
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use tempfile::TempDir;

async fn fresh_store() -> (SqliteStore, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&db_path(&dir)).await.unwrap();
    (store, dir)
}

gatehouse_store::store_conformance_tests!(fresh_store);

const T0: Timestamp = Timestamp::from_unix(1_800_000_000);

fn db_path(dir: &TempDir) -> std::path::PathBuf {
    dir.path().join("gatehouse.db")
}

fn hash() -> SecretHash {
    ServerKey::generate().hash(HashPurpose::ApiToken, &Secret::new("sqlite tests".to_owned()))
}

fn account_and_admin(name: &str) -> (Account, ApiToken) {
    let account = Account { id: AccountId::generate(), name: name.to_owned(), created_at: T0 };
    let admin = ApiToken {
        id: AccountId::generate().to_string(),
        account_id: account.id.clone(),
        name: "admin".to_owned(),
        hash: hash(),
        permission: Permission::Edit,
        kind: ApiTokenKind::Bearer,
        created_at: T0,
        expires_at: None,
        enabled: true,
    };
    (account, admin)
}

fn token(account: &AccountId, name: &str) -> ServiceToken {
    let new = NewServiceToken {
        account_id: account.clone(),
        name: name.to_owned(),
        client_id: ClientId::generate(),
        duration: TokenDuration::default_lifetime(),
        enabled: true,
        secret_hash: hash(),
        secret_version: 1,
    };
    ServiceToken::create(TokenId::generate(), new, T0)
}

fn application(account: &AccountId, body: &str) -> Resource {
    Resource {
        kind: ResourceKind::Application,
        id: TokenId::generate().to_string(),
        account_id: account.clone(),
        body: body.to_owned(),
        created_at: T0,
        updated_at: T0,
        revision: 1,
    }
}

/// A raw connection, to inspect or damage the file behind the store's back.
async fn raw(path: &Path) -> sqlx::SqliteConnection {
    SqliteConnectOptions::new().filename(path).connect().await.unwrap()
}

/// Two servers starting at once on a new file: both migrate it, one account is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_racing_on_a_new_file_create_one_account() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (a, b) = tokio::join!(SqliteStore::open(&path), SqliteStore::open(&path));
    let (a, b) = (a.unwrap(), b.unwrap());

    let (first, first_admin) = account_and_admin("First");
    let (second, second_admin) = account_and_admin("Second");
    let (created_a, created_b) =
        tokio::join!(a.bootstrap(&first, &first_admin), b.bootstrap(&second, &second_admin));
    let (created_a, created_b) = (created_a.unwrap(), created_b.unwrap());
    assert!(created_a ^ created_b, "exactly one bootstrap creates: {created_a} {created_b}");

    let winner = if created_a { first } else { second };
    assert_eq!(a.list_accounts().await.unwrap(), vec![winner.clone()]);
    assert_eq!(b.list_accounts().await.unwrap(), vec![winner]);
}

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (account, admin) = account_and_admin("Acme");
    let token = token(&account.id, "persistent");
    {
        let store = SqliteStore::open(&db_path(&dir)).await.unwrap();
        assert!(store.bootstrap(&account, &admin).await.unwrap());
        store.insert_service_token(&token).await.unwrap();
        store.close().await;
    }
    let store = SqliteStore::open(&db_path(&dir)).await.unwrap();
    assert_eq!(store.list_accounts().await.unwrap(), vec![account.clone()]);
    assert_eq!(store.get_service_token(&account.id, &token.id).await.unwrap(), Some(token));
    assert!(!store.bootstrap(&account, &admin).await.unwrap(), "the reopened file is already bootstrapped");
}

/// Writers from one store and from a second one on the same file all succeed: the first queue in
/// the store's writer pool, the second wait on SQLite's lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_do_not_see_busy_errors() {
    let (a, dir) = fresh_store().await;
    let b = SqliteStore::open(&db_path(&dir)).await.unwrap();
    let (account, admin) = account_and_admin("Acme");
    a.bootstrap(&account, &admin).await.unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let token = token(&account.id, &format!("token {i}"));
        tasks.spawn(async move { store.insert_service_token(&token).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    let all = PageRequest { offset: 0, limit: 1000 };
    let page = a.list_service_tokens(&account.id, &TokenFilter::default(), all).await.unwrap();
    assert_eq!(page.total, 40);
}

#[tokio::test]
async fn the_file_uses_wal_and_32_byte_hashes() {
    let (store, dir) = fresh_store().await;
    let (account, admin) = account_and_admin("Acme");
    store.bootstrap(&account, &admin).await.unwrap();
    store.insert_service_token(&token(&account.id, "t")).await.unwrap();

    let mut conn = raw(&db_path(&dir)).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut conn).await.unwrap();
    assert_eq!(mode, "wal");
    let lengths: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT length(token_hash) FROM api_tokens), \
                    (SELECT length(secret_hash) FROM service_tokens)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(lengths, (32, 32));
}

#[tokio::test]
async fn undecodable_rows_are_reported_as_corrupt() {
    let (store, dir) = fresh_store().await;
    let (account, admin) = account_and_admin("Acme");
    store.bootstrap(&account, &admin).await.unwrap();
    let token = token(&account.id, "damaged");
    store.insert_service_token(&token).await.unwrap();

    let mut conn = raw(&db_path(&dir)).await;
    sqlx::query("UPDATE service_tokens SET duration = 'a fortnight'").execute(&mut conn).await.unwrap();
    let err = store.get_service_token(&account.id, &token.id).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert!(!err.to_string().contains("fortnight"), "stored values stay out of errors: {err}");
}

#[tokio::test]
async fn a_missing_directory_or_a_closed_store_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteStore::open(&dir.path().join("missing").join("gatehouse.db")).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");

    let (store, _dir) = fresh_store().await;
    store.close().await;
    let err = store.list_accounts().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn a_token_of_an_unknown_account_is_refused() {
    let (store, _dir) = fresh_store().await;
    let err = store.insert_service_token(&token(&AccountId::generate(), "orphan")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn a_resource_of_an_unknown_account_is_refused() {
    let (store, _dir) = fresh_store().await;
    let orphan = application(&AccountId::generate(), "{}");
    let err = store.apply(&[ResourceChange::Insert(orphan)]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

/// The API writes JSON it serialized itself; text that is not JSON is a bug the schema catches.
#[tokio::test]
async fn a_resource_body_that_is_not_json_is_refused() {
    let (store, _dir) = fresh_store().await;
    let (account, admin) = account_and_admin("Acme");
    store.bootstrap(&account, &admin).await.unwrap();
    let broken = application(&account.id, "{\"name\": unquoted}");
    let err = store.apply(&[ResourceChange::Insert(broken)]).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert_eq!(store.list_resources(ResourceKind::Application, &account.id).await.unwrap(), vec![]);
}

/// Two stores on one file (two processes, say) appending to one account's audit log at once:
/// every record lands and the chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_appending_audit_records_keep_one_chain() {
    let (a, dir) = fresh_store().await;
    let b = SqliteStore::open(&db_path(&dir)).await.unwrap();
    let (account, admin) = account_and_admin("Acme");
    a.bootstrap(&account, &admin).await.unwrap();
    gatehouse_store::conformance::concurrent_appends(&a, &b, &account.id).await;
}
