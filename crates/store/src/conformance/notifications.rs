//! The monitoring jobs' record of what was notified: claimed once per (token, kind), across
//! callers racing for it, and released when the action behind it failed. Also the rotation time
//! that tells uses of the previous secret during its grace from uses before the rotation.

use gatehouse_domain::TokenId;

use super::fixtures::{T0, at, bootstrapped, fresh_hash, service_token, stored};
use crate::{NotificationKey, Store};

fn key(account: &gatehouse_domain::AccountId, token: TokenId, kind: &str) -> NotificationKey {
    NotificationKey { account_id: account.clone(), token_id: token, kind: kind.to_owned() }
}

pub async fn a_notification_is_claimed_once(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let token = TokenId::generate();
    let seven = key(&account, token, "expiring:7d:1800604800");
    assert!(store.claim_notification(&seven, T0).await.unwrap(), "the first claim records it");
    assert!(!store.claim_notification(&seven, at(60)).await.unwrap(), "a second claim finds it");

    // Another kind of the same token, and the same kind of another token, are separate.
    let one = key(&account, token, "expiring:1d:1800604800");
    assert!(store.claim_notification(&one, T0).await.unwrap());
    let other = key(&account, TokenId::generate(), "expiring:7d:1800604800");
    assert!(store.claim_notification(&other, T0).await.unwrap());
}

pub async fn a_released_notification_can_be_claimed_again(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let inactive = key(&account, TokenId::generate(), "inactive:1800000000");
    store.release_notification(&inactive).await.unwrap();
    assert!(store.claim_notification(&inactive, T0).await.unwrap());
    store.release_notification(&inactive).await.unwrap();
    assert!(store.claim_notification(&inactive, at(1)).await.unwrap(), "claimable after release");
    assert!(!store.claim_notification(&inactive, at(2)).await.unwrap());
}

/// Two nodes running the same job at once: exactly one of them sends.
pub async fn concurrent_claims_let_one_caller_win(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let contested = key(&account, TokenId::generate(), "previous_secret_used:2");
    let (a, b, c, d) = tokio::join!(
        store.claim_notification(&contested, T0),
        store.claim_notification(&contested, T0),
        store.claim_notification(&contested, at(1)),
        store.claim_notification(&contested, at(1)),
    );
    let claims = [a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()];
    assert_eq!(claims.iter().filter(|won| **won).count(), 1, "{claims:?}");
}

pub async fn the_rotation_time_round_trips(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let mut token = service_token(&account, "rotated", T0);
    store.insert_service_token(&token).await.unwrap();
    token.rotate(fresh_hash(), Some(at(3600)), at(60));
    assert!(store.update_service_token(&token).await.unwrap());
    let read = stored(store, &token).await.unwrap();
    assert_eq!(read.credentials.previous().and_then(|p| p.rotated_at), Some(at(60)));

    token.rotate(fresh_hash(), Some(at(7200)), at(120));
    assert!(store.update_service_token(&token).await.unwrap());
    let read = stored(store, &token).await.unwrap();
    assert_eq!(read.credentials.previous().and_then(|p| p.rotated_at), Some(at(120)));
}
