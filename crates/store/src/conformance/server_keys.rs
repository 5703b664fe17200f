//! A rotation of the server key: every stored hash keeps the id of the key that made it, a hash
//! moves to the new key only while it is still the one stored, and the counts per key tell
//! when a previous key can be dropped.

use gatehouse_domain::{HashPurpose, Secret, SecretMatch, ServerKey};

use super::fixtures::{T0, api_token, at, bootstrapped, service_token, stored};
use crate::{KeyCount, Store};

fn hash(key: &ServerKey, value: &str) -> gatehouse_domain::SecretHash {
    key.hash(HashPurpose::ServiceTokenSecret, &Secret::new(value.to_owned()))
}

fn count(counts: &[KeyCount], key: &ServerKey) -> u64 {
    counts.iter().filter(|c| c.key_id == Some(key.id())).map(|c| c.hashes).sum()
}

pub async fn hashes_keep_their_server_key_and_move_to_a_new_one(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let (old, new) = (ServerKey::generate(), ServerKey::generate());

    // A token whose current and previous secrets were hashed under the old key.
    let mut token = service_token(&account, "rotating", T0);
    token.credentials = gatehouse_domain::Credentials::new(hash(&old, "first"), 1);
    token.rotate(hash(&old, "second"), Some(at(3600)), at(1));
    store.insert_service_token(&token).await.unwrap();
    let mut api = api_token(&account);
    api.hash = old.hash(HashPurpose::ApiToken, &Secret::new("api".to_owned()));
    store.insert_api_token(&api).await.unwrap();

    let read = stored(store, &token).await.unwrap();
    assert_eq!(read.credentials.current().key_id(), old.id());
    assert_eq!(read.credentials.previous().unwrap().hash.key_id(), old.id());
    assert_eq!(read, token);
    assert_eq!(store.find_api_token(&api.hash).await.unwrap().unwrap().hash.key_id(), old.id());
    let relabelled = gatehouse_domain::SecretHash::from_stored(new.id(), api.hash.as_bytes()).unwrap();
    assert!(store.find_api_token(&relabelled).await.unwrap().is_none(), "the same MAC under another key");
    assert_eq!(count(&store.hashes_by_key().await.unwrap(), &old), 3);

    // Moving the current secret, then the previous one, then the API token.
    let moved = hash(&new, "second");
    assert!(
        store
            .rehash_service_token_secret(&token.id, SecretMatch::Current, &hash(&old, "second"), &moved)
            .await
            .unwrap()
    );
    assert!(
        !store
            .rehash_service_token_secret(&token.id, SecretMatch::Current, &hash(&old, "second"), &moved)
            .await
            .unwrap(),
        "the old hash is no longer stored: nothing to do"
    );
    assert!(
        store
            .rehash_service_token_secret(
                &token.id,
                SecretMatch::Previous,
                &hash(&old, "first"),
                &hash(&new, "first")
            )
            .await
            .unwrap()
    );
    let api_moved = new.hash(HashPurpose::ApiToken, &Secret::new("api".to_owned()));
    assert!(store.rehash_api_token(&api.id, &api.hash, &api_moved).await.unwrap());
    assert!(!store.rehash_api_token(&api.id, &api.hash, &api_moved).await.unwrap());

    let read = stored(store, &token).await.unwrap();
    assert_eq!(*read.credentials.current(), moved);
    assert_eq!(read.credentials.previous().unwrap().hash, hash(&new, "first"));
    assert_eq!(read.revision, token.revision, "the secret is the same: the revision does not move");
    assert!(store.find_api_token(&api.hash).await.unwrap().is_none());
    assert_eq!(store.find_api_token(&api_moved).await.unwrap().unwrap().id, api.id);
    let counts = store.hashes_by_key().await.unwrap();
    assert_eq!((count(&counts, &old), count(&counts, &new)), (0, 3));
    assert_eq!(store.record_unnamed_key_ids(new.id()).await.unwrap(), 0, "every hash names its key");
}
