//! Service tokens: insert, lookups, uniqueness, deletion and the range of stored values.

use gatehouse_domain::{AccountId, ClientId, SecretMatch, ServiceToken, Timestamp, TokenId};

use super::fixtures::{ALL, T0, assert_same, bootstrapped, duration, fresh_hash, service_token, stored};
use crate::{Store, StoreError, TokenFilter};

pub async fn service_token_round_trips(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let token = service_token(&account, "CI/CD Pipeline", T0);
    store.insert_service_token(&token).await.unwrap();

    assert_same(stored(store, &token).await, &token);
    assert_same(store.find_service_token_by_client_id(&token.client_id).await.unwrap(), &token);
}

pub async fn service_tokens_of_another_account_are_invisible(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let token = service_token(&account, "mine", T0);
    store.insert_service_token(&token).await.unwrap();
    let other = AccountId::generate();

    assert_eq!(store.get_service_token(&other, &token.id).await.unwrap(), None);
    let page = store.list_service_tokens(&other, &TokenFilter::default(), ALL).await.unwrap();
    assert_eq!((page.items.len(), page.total), (0, 0));
    assert_eq!(store.delete_service_token(&other, &token.id).await.unwrap(), None);

    let foreign = ServiceToken { account_id: other, name: "stolen".to_owned(), revision: 2, ..token.clone() };
    assert!(!store.update_service_token(&foreign).await.unwrap(), "an update through another account");
    assert_same(stored(store, &token).await, &token);
}

pub async fn unknown_ids_find_nothing(store: &dyn Store) {
    let account = bootstrapped(store).await;
    store.insert_service_token(&service_token(&account, "present", T0)).await.unwrap();
    assert_eq!(store.get_service_token(&account, &TokenId::generate()).await.unwrap(), None);
    assert_eq!(store.find_service_token_by_client_id(&ClientId::generate()).await.unwrap(), None);
}

pub async fn duplicate_client_id_or_id_is_a_conflict(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let token = service_token(&account, "first", T0);
    store.insert_service_token(&token).await.unwrap();

    let same_client =
        ServiceToken { client_id: token.client_id.clone(), ..service_token(&account, "second", T0) };
    let err = store.insert_service_token(&same_client).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "duplicate client_id: {err:?}");

    let same_id = ServiceToken { id: token.id, ..service_token(&account, "third", T0) };
    let err = store.insert_service_token(&same_id).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "duplicate id: {err:?}");

    let page = store.list_service_tokens(&account, &TokenFilter::default(), ALL).await.unwrap();
    assert_eq!(page.items, vec![token]);
}

pub async fn delete_returns_the_token_and_removes_it(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let token = service_token(&account, "doomed", T0);
    let kept = service_token(&account, "kept", T0);
    store.insert_service_token(&token).await.unwrap();
    store.insert_service_token(&kept).await.unwrap();

    assert_same(store.delete_service_token(&account, &token.id).await.unwrap(), &token);
    assert_eq!(stored(store, &token).await, None);
    assert_eq!(store.find_service_token_by_client_id(&token.client_id).await.unwrap(), None);
    assert_eq!(store.delete_service_token(&account, &token.id).await.unwrap(), None, "a second delete");

    let page = store.list_service_tokens(&account, &TokenFilter::default(), ALL).await.unwrap();
    assert_eq!((page.items, page.total), (vec![kept], 1));
}

pub async fn delete_of_an_unknown_token_is_none(store: &dyn Store) {
    let account = bootstrapped(store).await;
    assert_eq!(store.delete_service_token(&account, &TokenId::generate()).await.unwrap(), None);
}

/// `forever` tokens report `9999-12-31T23:59:59Z`; every timestamp column must hold it.
pub async fn forever_timestamps_round_trip(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let mut token = ServiceToken { duration: duration("forever"), ..service_token(&account, "eternal", T0) };
    token.expires_at = Timestamp::FOREVER;
    store.insert_service_token(&token).await.unwrap();
    assert_same(stored(store, &token).await, &token);

    token.record_use(SecretMatch::Current, Timestamp::FOREVER);
    token.rotate(fresh_hash(), Some(Timestamp::FOREVER), Timestamp::FOREVER);
    token.record_use(SecretMatch::Previous, Timestamp::FOREVER);
    assert_eq!(token.expires_at, Timestamp::FOREVER);
    assert!(store.update_service_token(&token).await.unwrap());
    assert_same(stored(store, &token).await, &token);
    let stored = stored(store, &token).await.unwrap();
    assert_eq!(stored.credentials.previous_expires_at(), Some(Timestamp::FOREVER));
    assert_eq!(stored.credentials.previous().and_then(|p| p.last_seen_at), Some(Timestamp::FOREVER));
}

/// Durations come back exactly as written, and the epoch is a valid instant.
pub async fn durations_and_the_epoch_round_trip(store: &dyn Store) {
    let account = bootstrapped(store).await;
    for (i, text) in ["2h45m", "1.5h", "300ms", "1h0m0.000000001s", "8760h"].into_iter().enumerate() {
        let name = format!("token {i}");
        let token =
            ServiceToken { duration: duration(text), ..service_token(&account, &name, Timestamp::EPOCH) };
        store.insert_service_token(&token).await.unwrap();
        let back = stored(store, &token).await.unwrap();
        assert_eq!(back.duration.as_str(), text);
        assert_eq!(back, token);
    }
}
