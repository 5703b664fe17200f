//! What the shared suite cannot show: several stores on one database, reconnecting, an
//! unreachable server, TLS, the stored representation and damaged rows.

use std::time::{Duration, Instant};

use gatehouse_domain::{
    AccountId, ApiToken, ApiTokenKind, ClientId, HashPurpose, NewServiceToken, Permission, Secret,
    SecretHash, ServerKey, ServiceToken, Timestamp, TokenDuration, TokenId,
};
use gatehouse_store::{
    Account, AccountStore, PageRequest, Resource, ResourceChange, ResourceKind, ResourceStore,
    ServiceTokenStore, StoreError, TokenFilter,
};
use gatehouse_store_postgres::PostgresStore;

use crate::fresh_store;
use crate::scratch::{ScratchDatabase, server_url, with_database};

const T0: Timestamp = Timestamp::from_unix(1_800_000_000);

fn hash() -> SecretHash {
    ServerKey::generate().hash(HashPurpose::ApiToken, &Secret::new("postgres tests".to_owned()))
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

/// A bootstrapped store and its account.
async fn bootstrapped() -> (PostgresStore, ScratchDatabase, AccountId) {
    let (store, database) = fresh_store().await;
    let (account, admin) = account_and_admin("Acme");
    assert!(store.bootstrap(&account, &admin).await.unwrap());
    (store, database, account.id)
}

#[track_caller]
fn assert_unavailable(result: Result<PostgresStore, StoreError>, what: &str) -> String {
    match result {
        Err(StoreError::Unavailable(message)) => message,
        other => panic!("{what}: expected Unavailable, got {other:?}"),
    }
}

/// Two nodes starting at once on a new database: both migrate it (one waits on the other's
/// advisory lock), and one account is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_racing_on_a_new_database_create_one_account() {
    let database = ScratchDatabase::create().await;
    let url = database.url();
    let (a, b) = tokio::join!(PostgresStore::connect(&url), PostgresStore::connect(&url));
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

    let mut raw = database.raw().await;
    let migrations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().extension().is_some_and(|ext| ext == "sql"))
        .count();
    assert_eq!(migrations, i64::try_from(files).unwrap(), "each migration applied once");
}

#[tokio::test]
async fn data_survives_reconnecting() {
    let database = ScratchDatabase::create().await;
    let (account, admin) = account_and_admin("Acme");
    let token = token(&account.id, "persistent");
    {
        let store = PostgresStore::connect(&database.url()).await.unwrap();
        assert!(store.bootstrap(&account, &admin).await.unwrap());
        store.insert_service_token(&token).await.unwrap();
        store.close().await;
    }
    let store = PostgresStore::connect(&database.url()).await.unwrap();
    assert_eq!(store.list_accounts().await.unwrap(), vec![account.clone()]);
    assert_eq!(store.get_service_token(&account.id, &token.id).await.unwrap(), Some(token));
    assert!(!store.bootstrap(&account, &admin).await.unwrap(), "the database is already bootstrapped");
}

/// Writers from two stores (two nodes) on one database all succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_from_two_stores_all_succeed() {
    let (a, database, account) = bootstrapped().await;
    let b = PostgresStore::connect(&database.url()).await.unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let token = token(&account, &format!("token {i}"));
        tasks.spawn(async move { store.insert_service_token(&token).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    let all = PageRequest { offset: 0, limit: 1000 };
    let page = b.list_service_tokens(&account, &TokenFilter::default(), all).await.unwrap();
    assert_eq!(page.total, 40);
}

/// Nothing listens on the port: `connect` fails at once, with the reason.
#[tokio::test]
async fn an_unreachable_server_is_unavailable_quickly() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let started = Instant::now();
    let result =
        PostgresStore::connect(&format!("postgres://gatehouse:hunter2@127.0.0.1:{port}/gatehouse")).await;
    let message = assert_unavailable(result, "a closed port");
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    assert!(!message.contains("hunter2"), "the password stays out of errors: {message}");
}

#[tokio::test]
async fn a_missing_database_or_a_closed_store_is_unavailable() {
    let missing = with_database(&server_url(), "gatehouse_test_does_not_exist");
    let message = assert_unavailable(PostgresStore::connect(&missing).await, "a missing database");
    assert!(message.contains("does not exist"), "{message}");
    assert_unavailable(PostgresStore::connect("postgres://[::1").await, "a malformed URL");

    let (store, _database) = fresh_store().await;
    store.close().await;
    let err = store.list_accounts().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

/// `sslmode` in the URL is honoured: `require` connects over TLS when the server offers it
/// (scripts/test's server does) and fails when it does not; `disable` connects in clear.
#[tokio::test]
async fn the_url_decides_on_tls() {
    let database = ScratchDatabase::create().await;
    let mut raw = database.raw().await;
    let server_has_tls: String = sqlx::query_scalar("SHOW ssl").fetch_one(&mut raw).await.unwrap();

    let required = PostgresStore::connect(&format!("{}&sslmode=require", database.url())).await;
    if server_has_tls == "on" {
        let store = required.unwrap();
        store.list_accounts().await.unwrap();
        let encrypted: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
             WHERE ssl AND application_name = 'gatehouse'",
        )
        .fetch_one(&mut raw)
        .await
        .unwrap();
        assert!(encrypted >= 1, "the store's connection uses TLS");
    } else {
        assert_unavailable(required, "sslmode=require without TLS on the server");
    }

    let store = PostgresStore::connect(&format!("{}&sslmode=disable", database.url())).await.unwrap();
    store.list_accounts().await.unwrap();
}

#[tokio::test]
async fn hashes_are_32_byte_bytea_and_bodies_keep_their_text() {
    let (store, database, account) = bootstrapped().await;
    store.insert_service_token(&token(&account, "t")).await.unwrap();
    let body = "{ \"b\": 1,\n  \"a\": [true, null], \"a\": \"dup\" }";
    let resource = Resource {
        kind: ResourceKind::Policy,
        id: "p".to_owned(),
        account_id: account.clone(),
        body: body.to_owned(),
        created_at: T0,
        updated_at: T0,
        revision: 1,
    };
    store.apply(&[ResourceChange::Insert(resource.clone())]).await.unwrap();

    let mut raw = database.raw().await;
    let lengths: (i32, i32) = sqlx::query_as(
        "SELECT (SELECT octet_length(token_hash) FROM api_tokens), \
                (SELECT octet_length(secret_hash) FROM service_tokens)",
    )
    .fetch_one(&mut raw)
    .await
    .unwrap();
    assert_eq!(lengths, (32, 32));
    let stored: String =
        sqlx::query_scalar("SELECT body::text FROM access_resources").fetch_one(&mut raw).await.unwrap();
    assert_eq!(stored, body, "a JSON column keeps the text as written");
    assert_eq!(store.get_resource(resource.kind, &account, "p").await.unwrap(), Some(resource));
}

#[tokio::test]
async fn undecodable_rows_are_reported_as_corrupt() {
    let (store, database, account) = bootstrapped().await;
    let token = token(&account, "damaged");
    store.insert_service_token(&token).await.unwrap();

    let mut raw = database.raw().await;
    sqlx::query("UPDATE service_tokens SET duration = 'a fortnight'").execute(&mut raw).await.unwrap();
    let err = store.get_service_token(&account, &token.id).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert!(!err.to_string().contains("fortnight"), "stored values stay out of errors: {err}");
}

/// Errors name columns, never the values that were bound.
#[tokio::test]
async fn refused_writes_keep_values_out_of_errors() {
    let (store, _database, account) = bootstrapped().await;
    let first = token(&account, "first");
    store.insert_service_token(&first).await.unwrap();

    let copy = ServiceToken { client_id: first.client_id.clone(), ..token(&account, "copy") };
    let err = store.insert_service_token(&copy).await.unwrap_err();
    assert_eq!(err.to_string(), "conflict: a service token with this client_id exists");

    let orphan = token(&AccountId::generate(), "orphan");
    let err = store.insert_service_token(&orphan).await.unwrap_err();
    assert_eq!(err.to_string(), "conflict: the account does not exist");

    let not_json = Resource {
        kind: ResourceKind::Application,
        id: "a".to_owned(),
        account_id: account.clone(),
        body: "{\"secret-ish\": ".to_owned(),
        created_at: T0,
        updated_at: T0,
        revision: 1,
    };
    let err = store.apply(&[ResourceChange::Insert(not_json)]).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert!(!err.to_string().contains("secret-ish"), "{err}");
}

/// PostgreSQL text cannot hold NUL; a lookup by such text (a search or an id from a URL) finds
/// nothing, as on SQLite, instead of failing the statement.
#[tokio::test]
async fn lookups_by_text_with_nul_find_nothing() {
    let (store, _database, account) = bootstrapped().await;
    store.insert_service_token(&token(&account, "a b")).await.unwrap();
    let all = PageRequest { offset: 0, limit: 10 };

    for filter in [
        TokenFilter { search: Some("a\0b".to_owned()), ..TokenFilter::default() },
        TokenFilter { name: Some("a b\0".to_owned()), ..TokenFilter::default() },
    ] {
        let page = store.list_service_tokens(&account, &filter, all).await.unwrap();
        assert_eq!((page.items.len(), page.total), (0, 0), "{filter:?}");
    }
    assert_eq!(store.get_resource(ResourceKind::Application, &account, "x\0").await.unwrap(), None);
    let delete =
        ResourceChange::Delete { kind: ResourceKind::Application, account_id: account, id: "\0".to_owned() };
    assert!(matches!(store.apply(&[delete]).await, Err(StoreError::Stale)));
}

/// Two nodes appending to one account's audit log at once: the loser of each position retries,
/// every record lands, and the chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_appending_audit_records_keep_one_chain() {
    let (a, database, account) = bootstrapped().await;
    let b = PostgresStore::connect(&database.url()).await.unwrap();
    gatehouse_store::conformance::concurrent_appends(&a, &b, &account).await;
}
