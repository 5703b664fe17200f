//! Updates: every field is written, and the revision check lets one writer win.

use gatehouse_domain::{Grace, SecretMatch, ServiceToken, TokenChanges};

use super::fixtures::{T0, assert_same, at, bootstrapped, duration, fresh_hash, service_token, stored};
use crate::{Store, StoreError};

/// Updates `token` (whose revision is one past the stored one) and reads it back.
async fn write(store: &dyn Store, token: &ServiceToken) {
    let updated = store.update_service_token(token).await.unwrap();
    assert!(updated, "update to revision {}", token.revision);
    assert_same(stored(store, token).await, token);
}

/// Walks a token through the rotation state machine, writing after each step.
pub async fn update_persists_every_field(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let mut token = service_token(&account, "before", T0);
    store.insert_service_token(&token).await.unwrap();

    // Rename, change the lifetime, disable.
    let changes = TokenChanges {
        name: Some("after".to_owned()),
        duration: Some(duration("2h45m")),
        enabled: Some(false),
        ..TokenChanges::default()
    };
    token.apply(changes, at(60));
    write(store, &token).await;

    // Use, rotate with a deadline, then the previous secret is used.
    token.record_use(SecretMatch::Current, at(120));
    token.rotate(fresh_hash(), Some(at(3600)), at(180));
    token.record_use(SecretMatch::Previous, at(240));
    write(store, &token).await;
    let back = stored(store, &token).await.unwrap();
    assert_eq!(back.credentials.version(), 2);
    assert_eq!(back.credentials.current_last_seen_at(), None);
    let previous = back.credentials.previous().unwrap();
    assert_eq!(
        (previous.version, previous.grace, previous.last_seen_at),
        (1, Grace::Until(at(3600)), Some(at(240)))
    );
    assert_eq!(back.last_seen_at, Some(at(240)));

    // Rotate again without a deadline: the previous secret lasts until the new one is used.
    token.rotate(fresh_hash(), None, at(300));
    write(store, &token).await;
    let back = stored(store, &token).await.unwrap();
    assert_eq!(back.credentials.version(), 3);
    assert_eq!(
        back.credentials.previous().map(|p| (p.version, p.grace)),
        Some((2, Grace::UntilNewSecretUsed))
    );

    // Give the previous secret a deadline, and enable the token again.
    let changes = TokenChanges {
        previous_secret_expires_at: Some(at(7200)),
        enabled: Some(true),
        ..TokenChanges::default()
    };
    token.apply(changes, at(360));
    write(store, &token).await;
    assert_eq!(stored(store, &token).await.unwrap().credentials.previous_expires_at(), Some(at(7200)));

    // A graceful rotation ended by the first use of the new secret leaves no previous secret.
    token.rotate(fresh_hash(), None, at(420));
    token.record_use(SecretMatch::Current, at(480));
    write(store, &token).await;
    let back = stored(store, &token).await.unwrap();
    assert_eq!(back.credentials.previous(), None);
    assert_eq!(back.credentials.current_last_seen_at(), Some(at(480)));

    // A refresh restarts the lifetime.
    token.refresh(at(500));
    write(store, &token).await;
    assert_eq!(stored(store, &token).await.unwrap().expires_at, duration("2h45m").expires_from(at(500)));

    // Recording a use alone does not touch the revision; whoever persists it bumps it.
    token.record_use(SecretMatch::Current, at(540));
    token.revision += 1;
    write(store, &token).await;
    assert_eq!(stored(store, &token).await.unwrap().last_seen_at, Some(at(540)));
}

pub async fn update_with_a_stale_revision_fails(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let token = service_token(&account, "original", T0);
    store.insert_service_token(&token).await.unwrap();

    let mut first = token.clone();
    first.apply(TokenChanges { name: Some("first".to_owned()), ..TokenChanges::default() }, at(10));
    let mut second = token.clone();
    second.apply(TokenChanges { name: Some("second".to_owned()), ..TokenChanges::default() }, at(20));

    write(store, &first).await;
    assert_stale(store.update_service_token(&second).await, "a writer that read an older revision");
    assert_stale(store.update_service_token(&first).await, "the same revision written twice");
    let mut ahead = first.clone();
    ahead.refresh(at(30));
    ahead.refresh(at(40));
    assert_stale(store.update_service_token(&ahead).await, "a revision that skips one");
    assert_same(stored(store, &token).await, &first);
}

pub async fn concurrent_updates_let_one_writer_win(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let token = service_token(&account, "contended", T0);
    store.insert_service_token(&token).await.unwrap();

    let writers: Vec<ServiceToken> = (0..4)
        .map(|i| {
            let mut copy = token.clone();
            copy.apply(TokenChanges { name: Some(format!("writer {i}")), ..TokenChanges::default() }, at(i));
            copy
        })
        .collect();
    let (a, b, c, d) = tokio::join!(
        store.update_service_token(&writers[0]),
        store.update_service_token(&writers[1]),
        store.update_service_token(&writers[2]),
        store.update_service_token(&writers[3]),
    );
    let results = [a, b, c, d];
    let winners: Vec<usize> = (0..4).filter(|i| matches!(results[*i], Ok(true))).collect();
    assert_eq!(winners.len(), 1, "exactly one writer wins: {results:?}");
    let stale = results.iter().filter(|r| matches!(r, Err(StoreError::Stale))).count();
    assert_eq!(stale, 3, "the others are told to read again: {results:?}");
    assert_same(stored(store, &token).await, &writers[winners[0]]);
}

pub async fn update_of_a_missing_token_returns_false(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let mut token = service_token(&account, "deleted", T0);
    store.insert_service_token(&token).await.unwrap();
    store.delete_service_token(&account, &token.id).await.unwrap();

    token.apply(TokenChanges { enabled: Some(false), ..TokenChanges::default() }, at(10));
    assert!(!store.update_service_token(&token).await.unwrap(), "a deleted token");
    assert_eq!(stored(store, &token).await, None, "the update does not recreate it");

    let mut never = service_token(&account, "never inserted", T0);
    never.refresh(at(10));
    assert!(!store.update_service_token(&never).await.unwrap(), "a token never inserted");
}

#[track_caller]
fn assert_stale(result: Result<bool, StoreError>, what: &str) {
    assert!(matches!(result, Err(StoreError::Stale)), "{what}: expected Stale, got {result:?}");
}
