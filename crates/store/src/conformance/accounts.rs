//! Accounts, the bootstrap, and management API credentials.

use gatehouse_domain::{AccountId, ApiToken, ApiTokenKind, Permission};

use super::fixtures::{account, api_token, at, fresh_hash};
use crate::{Store, StoreError};

pub async fn bootstrap_creates_the_first_account_once(store: &dyn Store) {
    assert_eq!(store.list_accounts().await.unwrap(), vec![]);
    let first = account("First");
    let first_admin = api_token(&first.id);
    assert!(store.bootstrap(&first, &first_admin).await.unwrap());

    let second = account("Second");
    let second_admin = api_token(&second.id);
    assert!(!store.bootstrap(&second, &second_admin).await.unwrap());
    assert!(!store.bootstrap(&first, &first_admin).await.unwrap(), "a repeated bootstrap changes nothing");

    assert_eq!(store.list_accounts().await.unwrap(), vec![first]);
    assert_eq!(store.find_api_token(&first_admin.hash).await.unwrap(), Some(first_admin));
    assert_eq!(store.find_api_token(&second_admin.hash).await.unwrap(), None);
}

pub async fn concurrent_bootstraps_create_one_account(store: &dyn Store) {
    let accounts = [account("A"), account("B"), account("C")];
    let admins = accounts.each_ref().map(|a| api_token(&a.id));
    let (a, b, c) = tokio::join!(
        store.bootstrap(&accounts[0], &admins[0]),
        store.bootstrap(&accounts[1], &admins[1]),
        store.bootstrap(&accounts[2], &admins[2]),
    );
    let created = [a.unwrap(), b.unwrap(), c.unwrap()];
    assert_eq!(created.iter().filter(|c| **c).count(), 1, "exactly one bootstrap creates: {created:?}");

    let winner = created.iter().position(|c| *c).unwrap();
    assert_eq!(store.list_accounts().await.unwrap(), vec![accounts[winner].clone()]);
    for (i, admin) in admins.iter().enumerate() {
        let found = store.find_api_token(&admin.hash).await.unwrap();
        assert_eq!(found.is_some(), i == winner, "only the winner's admin token is stored");
    }
}

pub async fn get_account_finds_it_by_id(store: &dyn Store) {
    let first = account("Acme Corp — Ünïcode");
    store.bootstrap(&first, &api_token(&first.id)).await.unwrap();
    assert_eq!(store.get_account(&first.id).await.unwrap(), Some(first));
    assert_eq!(store.get_account(&AccountId::generate()).await.unwrap(), None);
}

pub async fn api_tokens_are_found_by_hash(store: &dyn Store) {
    let first = account("Acme");
    let admin = api_token(&first.id);
    store.bootstrap(&first, &admin).await.unwrap();

    let global_key = ApiToken {
        name: "legacy key".to_owned(),
        permission: Permission::Read,
        kind: ApiTokenKind::GlobalKey { email: "Ops@Example.com".to_owned() },
        created_at: at(10),
        expires_at: Some(at(3600)),
        enabled: false,
        ..api_token(&first.id)
    };
    store.insert_api_token(&global_key).await.unwrap();

    assert_eq!(store.find_api_token(&admin.hash).await.unwrap(), Some(admin));
    assert_eq!(store.find_api_token(&global_key.hash).await.unwrap(), Some(global_key));
    assert_eq!(store.find_api_token(&fresh_hash()).await.unwrap(), None);
}

pub async fn api_token_duplicates_are_conflicts(store: &dyn Store) {
    let first = account("Acme");
    let admin = api_token(&first.id);
    store.bootstrap(&first, &admin).await.unwrap();

    let same_hash = ApiToken { name: "copy".to_owned(), hash: admin.hash, ..api_token(&first.id) };
    let err = store.insert_api_token(&same_hash).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "duplicate hash: {err:?}");

    let same_id = ApiToken { id: admin.id.clone(), ..api_token(&first.id) };
    let err = store.insert_api_token(&same_id).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "duplicate id: {err:?}");

    assert_eq!(store.find_api_token(&same_id.hash).await.unwrap(), None);
    assert_eq!(store.find_api_token(&admin.hash).await.unwrap().map(|t| t.name), Some(admin.name));
}
