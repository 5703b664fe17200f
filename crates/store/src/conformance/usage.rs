//! The gateway's side of service tokens: the snapshot of every token, and usage records that
//! move last-seen times forward and end graceful rotations, racing with API updates.

use gatehouse_domain::{
    Grace, HashPurpose, Secret, SecretMatch, ServerKey, ServiceToken, TokenChanges, TokenId,
};

use super::fixtures::{
    T0, another_account, assert_same, at, bootstrapped, fresh_hash, service_token, stored,
};
use crate::{Store, StoreError, TokenUsage, TokenVersion, TokensFingerprint};

/// A use of `token`'s secret `matched` at `T0 + seconds`, while `token`'s version was current.
fn used(token: &ServiceToken, matched: SecretMatch, seconds: i64) -> TokenUsage {
    TokenUsage {
        token_id: token.id,
        seen_at: at(seconds),
        matched,
        secret_version: token.credentials.version(),
    }
}

/// Inserts a new token and returns it.
async fn inserted(store: &dyn Store, name: &str) -> ServiceToken {
    let account = bootstrapped(store).await;
    let token = service_token(&account, name, T0);
    store.insert_service_token(&token).await.unwrap();
    token
}

/// Rotates `token` at `T0 + seconds` and writes it.
async fn rotate(store: &dyn Store, token: &mut ServiceToken, deadline: Option<i64>, seconds: i64) {
    token.rotate(fresh_hash(), deadline.map(at), at(seconds));
    assert!(
        store.update_service_token(token).await.unwrap(),
        "rotation to version {}",
        token.credentials.version()
    );
}

fn renamed(token: &ServiceToken, name: &str, seconds: i64) -> ServiceToken {
    let mut renamed = token.clone();
    renamed.apply(TokenChanges { name: Some(name.to_owned()), ..TokenChanges::default() }, at(seconds));
    renamed
}

pub async fn all_service_tokens_spans_accounts(store: &dyn Store) {
    let first = bootstrapped(store).await;
    assert_eq!(store.all_service_tokens().await.unwrap(), vec![]);
    let second = another_account(store, "Second").await;

    let tokens =
        [service_token(&first, "a1", T0), service_token(&second, "b1", T0), service_token(&first, "a2", T0)];
    for token in &tokens {
        store.insert_service_token(token).await.unwrap();
    }
    assert_eq!(
        store.all_service_tokens().await.unwrap(),
        tokens,
        "every account's tokens, in creation order"
    );
}

pub async fn usage_moves_last_seen_forward_only(store: &dyn Store) {
    let token = inserted(store, "used").await;
    let mut expected = token.clone();

    store.record_token_usage(&[used(&token, SecretMatch::Current, 100)]).await.unwrap();
    expected.record_use(SecretMatch::Current, at(100));
    assert_same(stored(store, &token).await, &expected);

    store.record_token_usage(&[used(&token, SecretMatch::Current, 50)]).await.unwrap();
    assert_same(stored(store, &token).await, &expected);

    let batch = [used(&token, SecretMatch::Current, 300), used(&token, SecretMatch::Current, 200)];
    store.record_token_usage(&batch).await.unwrap();
    expected.record_use(SecretMatch::Current, at(300));
    assert_same(stored(store, &token).await, &expected);
    assert_eq!(expected.revision, token.revision, "uses alone do not move the revision");
    store.record_token_usage(&[]).await.unwrap();
}

pub async fn current_use_ends_a_graceful_rotation(store: &dyn Store) {
    let mut token = inserted(store, "graceful").await;
    rotate(store, &mut token, None, 10).await;
    let read_before_the_use = token.clone();

    store.record_token_usage(&[used(&token, SecretMatch::Current, 20)]).await.unwrap();
    let mut expected = token.clone();
    expected.record_use(SecretMatch::Current, at(20));
    expected.revision += 1;
    assert_eq!(expected.credentials.previous(), None);
    assert_same(stored(store, &token).await, &expected);

    let late = renamed(&read_before_the_use, "late", 30);
    let result = store.update_service_token(&late).await;
    assert!(
        matches!(result, Err(StoreError::Stale)),
        "an update would restore the previous secret: {result:?}"
    );

    store.record_token_usage(&[used(&token, SecretMatch::Current, 40)]).await.unwrap();
    expected.record_use(SecretMatch::Current, at(40));
    assert_same(stored(store, &token).await, &expected);
}

pub async fn current_use_keeps_a_deadline_rotation(store: &dyn Store) {
    let mut token = inserted(store, "deadline").await;
    rotate(store, &mut token, Some(3600), 10).await;

    store.record_token_usage(&[used(&token, SecretMatch::Current, 20)]).await.unwrap();
    let mut expected = token.clone();
    expected.record_use(SecretMatch::Current, at(20));
    assert_eq!(expected.credentials.previous().map(|p| p.grace), Some(Grace::Until(at(3600))));
    assert_same(stored(store, &token).await, &expected);
}

/// A use of the then-current secret, recorded after a rotation through the API, is a use of
/// what is now the previous secret: it neither counts for the new secret nor ends its grace.
pub async fn an_older_use_does_not_end_a_newer_rotation(store: &dyn Store) {
    let token = inserted(store, "rotated meanwhile").await;
    let mut rotated = token.clone();
    rotate(store, &mut rotated, None, 10).await;

    store.record_token_usage(&[used(&token, SecretMatch::Current, 20)]).await.unwrap();
    let back = stored(store, &token).await.unwrap();
    assert_eq!(back.revision, rotated.revision);
    assert_eq!(back.last_seen_at, Some(at(20)));
    assert_eq!(back.credentials.version(), 2);
    assert_eq!(back.credentials.current_last_seen_at(), None, "the new secret was not used");
    let previous = back.credentials.previous().unwrap();
    assert_eq!(
        (previous.version, previous.grace, previous.last_seen_at),
        (1, Grace::UntilNewSecretUsed, Some(at(20)))
    );
}

pub async fn previous_use_updates_previous_last_seen(store: &dyn Store) {
    let mut token = inserted(store, "previous").await;
    rotate(store, &mut token, Some(3600), 10).await;

    store.record_token_usage(&[used(&token, SecretMatch::Previous, 30)]).await.unwrap();
    let mut expected = token.clone();
    expected.record_use(SecretMatch::Previous, at(30));
    assert_same(stored(store, &token).await, &expected);
    store.record_token_usage(&[used(&token, SecretMatch::Previous, 25)]).await.unwrap();
    assert_same(stored(store, &token).await, &expected);

    // Rotate again, gracefully: the version 2 secret is the previous one now.
    let before_second_rotation = token.clone();
    rotate(store, &mut token, None, 40).await;
    // The version 1 secret authenticated before the rotation: not a use of the version 2 secret.
    let older = used(&before_second_rotation, SecretMatch::Previous, 50);
    store.record_token_usage(&[older]).await.unwrap();
    let back = stored(store, &token).await.unwrap();
    assert_eq!((back.last_seen_at, back.credentials.previous().unwrap().last_seen_at), (Some(at(50)), None));

    // A use of the previous secret does not end a graceful rotation.
    store.record_token_usage(&[used(&token, SecretMatch::Previous, 60)]).await.unwrap();
    let mut expected = token.clone();
    expected.record_use(SecretMatch::Previous, at(60));
    assert_same(stored(store, &token).await, &expected);
    assert_eq!(expected.credentials.previous().map(|p| p.version), Some(2));
}

pub async fn usage_of_unknown_tokens_is_skipped(store: &dyn Store) {
    let token = inserted(store, "known").await;
    let deleted = service_token(&token.account_id, "deleted", T0);
    store.insert_service_token(&deleted).await.unwrap();
    store.delete_service_token(&deleted.account_id, &deleted.id).await.unwrap();
    let unknown = TokenUsage { token_id: TokenId::generate(), ..used(&token, SecretMatch::Current, 10) };

    let batch = [unknown, used(&token, SecretMatch::Current, 20), used(&deleted, SecretMatch::Previous, 30)];
    store.record_token_usage(&batch).await.unwrap();
    let mut expected = token.clone();
    expected.record_use(SecretMatch::Current, at(20));
    assert_same(stored(store, &token).await, &expected);
    assert_eq!(stored(store, &deleted).await, None, "a use does not bring a deleted token back");
    assert_eq!(store.all_service_tokens().await.unwrap(), vec![expected]);
}

/// The API reads a token, the gateway records uses, the API writes its change: the uses stay.
pub async fn api_updates_do_not_move_usage_times_back(store: &dyn Store) {
    let mut token = inserted(store, "raced").await;
    rotate(store, &mut token, Some(3600), 10).await;
    let read = token.clone();

    let uses = [used(&token, SecretMatch::Current, 100), used(&token, SecretMatch::Previous, 90)];
    store.record_token_usage(&uses).await.unwrap();
    let mut change = renamed(&read, "renamed", 80);
    change.record_use(SecretMatch::Current, at(70));
    assert!(store.update_service_token(&change).await.unwrap());
    let back = stored(store, &token).await.unwrap();
    assert_eq!((back.name.as_str(), back.revision), ("renamed", change.revision));
    assert_eq!(back.last_seen_at, Some(at(100)));
    assert_eq!(back.credentials.current_last_seen_at(), Some(at(100)));
    assert_eq!(back.credentials.previous().unwrap().last_seen_at, Some(at(90)));

    // A rotation through the API: the secret it demotes keeps the use the API did not see.
    let read = back;
    store.record_token_usage(&[used(&read, SecretMatch::Current, 200)]).await.unwrap();
    let mut rotated = read.clone();
    rotated.rotate(fresh_hash(), Some(at(7200)), at(210));
    assert!(store.update_service_token(&rotated).await.unwrap());
    let back = stored(store, &token).await.unwrap();
    assert_eq!(back.last_seen_at, Some(at(200)));
    assert_eq!((back.credentials.version(), back.credentials.current_last_seen_at()), (3, None));
    let previous = back.credentials.previous().unwrap();
    assert_eq!((previous.version, previous.last_seen_at), (2, Some(at(200))));

    // Later times from the API are written as they are.
    let mut later = back.clone();
    later.record_use(SecretMatch::Previous, at(300));
    later.revision += 1;
    assert!(store.update_service_token(&later).await.unwrap());
    assert_same(stored(store, &token).await, &later);
}

/// The fingerprint now, checked to be stable when read twice, then to differ from every one
/// `seen` before (each step below leaves the tokens in a state they were never in before).
async fn moved(store: &dyn Store, seen: &mut Vec<TokensFingerprint>, step: &str) {
    let now = store.service_tokens_fingerprint().await.unwrap();
    assert_eq!(store.service_tokens_fingerprint().await.unwrap(), now, "{step}: read twice");
    assert!(!seen.contains(&now), "{step} left the fingerprint where it was: {now:?}");
    seen.push(now);
}

/// The fingerprint now equals the last one `seen`.
async fn still(store: &dyn Store, seen: &[TokensFingerprint], step: &str) {
    let now = store.service_tokens_fingerprint().await.unwrap();
    assert_eq!(Some(&now), seen.last(), "{step} moved the fingerprint");
}

pub async fn the_tokens_fingerprint_moves_with_every_change_but_usage(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let empty = store.service_tokens_fingerprint().await.unwrap();
    assert_eq!(empty, TokensFingerprint { tokens: 0, last_seq: 0, digest: 0 });
    let mut seen = vec![empty];

    let mut token = service_token(&account, "fingerprinted", T0);
    store.insert_service_token(&token).await.unwrap();
    moved(store, &mut seen, "a creation").await;
    let other = service_token(&account, "other", T0);
    store.insert_service_token(&other).await.unwrap();
    moved(store, &mut seen, "a second creation").await;

    store.record_token_usage(&[used(&token, SecretMatch::Current, 5)]).await.unwrap();
    still(store, &seen, "a recorded use").await;

    token = renamed(&token, "renamed", 6);
    assert!(store.update_service_token(&token).await.unwrap());
    moved(store, &mut seen, "a rename").await;

    rotate(store, &mut token, None, 10).await;
    moved(store, &mut seen, "a rotation").await;
    store.record_token_usage(&[used(&token, SecretMatch::Previous, 11)]).await.unwrap();
    still(store, &seen, "a use of the previous secret").await;
    store.record_token_usage(&[used(&token, SecretMatch::Current, 12)]).await.unwrap();
    moved(store, &mut seen, "the first use of the new secret, ending the grace").await;

    let rehashed =
        ServerKey::generate().hash(HashPurpose::ServiceTokenSecret, &Secret::new("new key".to_owned()));
    let current = *token.credentials.current();
    assert!(
        store
            .rehash_service_token_secret(&token.id, SecretMatch::Current, &current, &rehashed)
            .await
            .unwrap()
    );
    moved(store, &mut seen, "a re-hash under a new server key").await;

    store.delete_service_token(&other.account_id, &other.id).await.unwrap();
    moved(store, &mut seen, "a deletion").await;
    let again = service_token(&account, "other", T0);
    store.insert_service_token(&again).await.unwrap();
    moved(store, &mut seen, "a creation after a deletion, with the same count").await;
    assert_eq!(seen.last().map(|f| f.tokens), Some(2));
}

/// What the store should say of `token`'s version.
fn version_of(token: &ServiceToken) -> TokenVersion {
    TokenVersion::of(token.id, token.revision, &token.credentials)
}

/// Every stored version, by id.
async fn versions(store: &dyn Store) -> Vec<TokenVersion> {
    let mut versions = store.service_token_versions().await.unwrap();
    versions.sort_by_key(|v| v.id);
    versions
}

/// The tokens among `ids`, by id.
async fn by_ids(store: &dyn Store, ids: &[TokenId]) -> Vec<ServiceToken> {
    let mut tokens = store.service_tokens_by_ids(ids).await.unwrap();
    tokens.sort_by_key(|t| t.id);
    tokens
}

fn sorted<T: Clone, K: Ord>(items: &[T], key: impl FnMut(&T) -> K) -> Vec<T> {
    let mut items = items.to_vec();
    items.sort_by_key(key);
    items
}

pub async fn token_versions_and_reads_by_id_follow_every_change(store: &dyn Store) {
    let first = bootstrapped(store).await;
    assert_eq!(versions(store).await, vec![]);
    assert_eq!(by_ids(store, &[]).await, vec![]);
    assert_eq!(by_ids(store, &[TokenId::generate()]).await, vec![]);

    let second = another_account(store, "Second").await;
    let mut tokens =
        [service_token(&first, "a1", T0), service_token(&second, "b1", T0), service_token(&first, "a2", T0)];
    for token in &tokens {
        store.insert_service_token(token).await.unwrap();
    }
    let expected: Vec<TokenVersion> = tokens.iter().map(version_of).collect();
    assert_eq!(versions(store).await, sorted(&expected, |v| v.id), "every account's tokens");

    let [a1, b1, _] = &tokens;
    let unknown = TokenId::generate();
    assert_eq!(
        by_ids(store, &[b1.id, unknown, a1.id, b1.id]).await,
        sorted(&[a1.clone(), b1.clone()], |t| t.id),
        "the named tokens of any account, each once, unknown ids skipped"
    );

    rotate(store, &mut tokens[0], None, 10).await;
    let rotated = tokens[0].clone();
    assert!(version_of(&rotated).previous_secret_key_id.is_some());
    let expected: Vec<TokenVersion> = tokens.iter().map(version_of).collect();
    assert_eq!(versions(store).await, sorted(&expected, |v| v.id), "a rotation moves the revision");
    assert_eq!(by_ids(store, &[rotated.id]).await, vec![rotated.clone()]);

    let rehashed =
        ServerKey::generate().hash(HashPurpose::ServiceTokenSecret, &Secret::new("new key".to_owned()));
    let current = *rotated.credentials.current();
    assert!(
        store
            .rehash_service_token_secret(&rotated.id, SecretMatch::Current, &current, &rehashed)
            .await
            .unwrap()
    );
    let moved = versions(store).await.into_iter().find(|v| v.id == rotated.id).unwrap();
    assert_eq!(
        moved,
        TokenVersion { secret_key_id: rehashed.key_id(), ..version_of(&rotated) },
        "a re-hash moves the key id, not the revision"
    );

    let b1 = tokens[1].clone();
    store.delete_service_token(&b1.account_id, &b1.id).await.unwrap();
    let expected = [moved, version_of(&tokens[2])];
    assert_eq!(versions(store).await, sorted(&expected, |v| v.id), "a deleted token has no version");
    assert_eq!(by_ids(store, &[b1.id]).await, vec![]);
}
