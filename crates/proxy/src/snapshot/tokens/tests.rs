use gatehouse_domain::{ClientId, HashPurpose, NewServiceToken, Secret, ServerKey, TokenDuration};

use super::*;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix(seconds)
}

struct Fixture {
    key: ServerKey,
    account: AccountId,
    tokens: TokenSnapshot,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            key: ServerKey::generate(),
            account: AccountId::generate(),
            tokens: TokenSnapshot::default(),
        }
    }

    fn hash(&self, secret: &str) -> SecretHash {
        self.key.hash(HashPurpose::ServiceTokenSecret, &Secret::new(secret.to_owned()))
    }

    fn token(&self, secret: &str) -> ServiceToken {
        let new = NewServiceToken {
            account_id: self.account.clone(),
            name: "ci".to_owned(),
            client_id: ClientId::generate(),
            duration: TokenDuration::parse("1h").unwrap(),
            enabled: true,
            secret_hash: self.hash(secret),
            secret_version: 1,
        };
        ServiceToken::create(TokenId::generate(), new, at(0))
    }

    fn check(&self, token: &ServiceToken, secret: &str, now: i64) -> Result<Use, Denial> {
        let hash = self.hash(secret);
        self.tokens
            .authenticate(token.client_id.as_str(), &hash, &self.account, at(now))
            .map(|(_, used)| used)
    }
}

#[test]
fn reasons_are_precise_and_accounts_are_separate() {
    let f = Fixture::new();
    let token = f.token("s1");
    f.tokens.upsert(token.clone());
    assert_eq!(f.check(&token, "s1", 10).unwrap().matched, SecretMatch::Current);
    assert_eq!(f.check(&token, "nope", 10), Err(Denial::WrongSecret));
    assert_eq!(f.check(&token, "s1", 3600), Err(Denial::Expired));
    let other = f.tokens.authenticate("unknown.access", &f.hash("s1"), &f.account, at(10));
    assert_eq!(other.unwrap_err(), Denial::UnknownClientId);
    let elsewhere =
        f.tokens.authenticate(token.client_id.as_str(), &f.hash("s1"), &AccountId::generate(), at(10));
    assert_eq!(elsewhere.unwrap_err(), Denial::WrongAccount);

    let mut disabled = token.clone();
    disabled.enabled = false;
    disabled.revision += 1;
    f.tokens.upsert(disabled);
    assert_eq!(f.check(&token, "s1", 10), Err(Denial::Disabled));
    assert_eq!(f.tokens.alive(token.client_id.as_str(), &f.account, at(10)), Err(Denial::Disabled));

    f.tokens.remove(&f.account, &token.id);
    assert_eq!(f.check(&token, "s1", 10), Err(Denial::UnknownClientId));
    assert_eq!(f.tokens.len(), 0);
}

#[test]
fn the_first_use_of_a_new_secret_ends_a_graceful_rotation_at_once() {
    let f = Fixture::new();
    let mut token = f.token("old");
    token.rotate(f.hash("new"), None, at(5));
    f.tokens.upsert(token.clone());
    let used = f.check(&token, "old", 10).unwrap();
    assert_eq!(used.matched, SecretMatch::Previous);
    let usage = f.tokens.record_use(token.client_id.as_str(), used, at(10)).unwrap();
    assert_eq!((usage.matched, usage.secret_version), (SecretMatch::Previous, 2));
    assert!(
        f.tokens.record_use(token.client_id.as_str(), used, at(10)).is_none(),
        "same second: nothing new"
    );

    let used = f.check(&token, "new", 11).unwrap();
    assert!(f.tokens.record_use(token.client_id.as_str(), used, at(11)).is_some());
    assert_eq!(f.check(&token, "old", 12), Err(Denial::WrongSecret));

    // The database has not heard yet; a change notification must not revive the old secret.
    let mut from_database = token.clone();
    from_database.revision += 1;
    f.tokens.upsert(from_database);
    assert_eq!(f.check(&token, "old", 13), Err(Denial::WrongSecret));
}

#[test]
fn stale_notifications_are_ignored() {
    let f = Fixture::new();
    let token = f.token("s1");
    let mut newer = token.clone();
    newer.enabled = false;
    newer.revision = 5;
    f.tokens.upsert(newer);
    f.tokens.upsert(token.clone());
    assert_eq!(f.check(&token, "s1", 10), Err(Denial::Disabled));
}

#[test]
fn a_use_recorded_across_a_rotation_is_dropped() {
    let f = Fixture::new();
    let token = f.token("s1");
    f.tokens.upsert(token.clone());
    let used = f.check(&token, "s1", 10).unwrap();
    let mut rotated = token.clone();
    rotated.rotate(f.hash("s2"), None, at(10));
    f.tokens.upsert(rotated);
    assert!(f.tokens.record_use(token.client_id.as_str(), used, at(10)).is_none());
    assert!(f.check(&token, "s1", 11).is_ok(), "the rotation's grace is not ended by an older use");
}

#[test]
fn a_secret_hashed_under_a_previous_server_key_verifies_with_it_and_moves_to_the_current_key() {
    let f = Fixture::new();
    let mut token = f.token("s1");
    token.rotate(f.hash("s2"), Some(at(600)), at(1));
    f.tokens.upsert(token.clone());
    let ring = ServerKey::generate().with_previous([f.key.clone()]);
    let client_id = token.client_id.as_str();
    let slow = |secret: &str, key: &ServerKey| {
        let secret = Secret::new(secret.to_owned());
        let current = key.hash(HashPurpose::ServiceTokenSecret, &secret);
        f.tokens.authenticate_under_previous_key(client_id, &secret, current, key, &f.account, at(10))
    };
    let new_hash = |secret: &str| ring.hash(HashPurpose::ServiceTokenSecret, &Secret::new(secret.to_owned()));

    // Under the current key alone, the stored hashes do not match.
    let fast = f.tokens.authenticate(client_id, &new_hash("s2"), &f.account, at(10));
    assert_eq!(fast.unwrap_err(), Denial::WrongSecret);
    assert_eq!(slow("wrong", &ring).unwrap_err(), Denial::WrongSecret);
    let without_old_key = ServerKey::from_hex(&ring.to_hex()).unwrap();
    assert_eq!(slow("s2", &without_old_key).unwrap_err(), Denial::WrongSecret);

    let (who, used) = slow("s2", &ring).unwrap();
    assert_eq!(who.id, token.id);
    assert_eq!(used.matched, SecretMatch::Current);
    assert_eq!(used.rehash, Some(Rehash { old: f.hash("s2"), new: new_hash("s2") }));
    // From now on the current-key hash matches at once, with nothing to move.
    let (_, again) = f.tokens.authenticate(client_id, &new_hash("s2"), &f.account, at(11)).unwrap();
    assert_eq!(again.rehash, None);

    // The previous secret moves on its own.
    let (_, used) = slow("s1", &ring).unwrap();
    assert_eq!(used.matched, SecretMatch::Previous);
    assert_eq!(used.rehash, Some(Rehash { old: f.hash("s1"), new: new_hash("s1") }));
    let (_, again) = f.tokens.authenticate(client_id, &new_hash("s1"), &f.account, at(12)).unwrap();
    assert_eq!((again.matched, again.rehash), (SecretMatch::Previous, None));
}

#[test]
fn tokens_of_one_account_share_one_copy_of_its_id() {
    let f = Fixture::new();
    let (a, b) = (f.token("s1"), f.token("s2"));
    f.tokens.upsert(a.clone());
    f.tokens.upsert(b.clone());
    // A change to a held token keeps the shared copy too.
    let mut changed = a.clone();
    changed.revision += 1;
    f.tokens.upsert(changed);
    let held = |t: &ServiceToken| f.tokens.by_client.get(t.client_id.as_str()).unwrap().account_id.clone();
    assert!(Arc::ptr_eq(&held(&a), &held(&b)));
    assert_eq!(*held(&a), f.account);
    let other = Fixture::new();
    let c = ServiceToken { account_id: other.account.clone(), ..other.token("s3") };
    f.tokens.upsert(c.clone());
    assert!(!Arc::ptr_eq(&held(&a), &held(&c)));
    assert_eq!(*held(&c), other.account);
}

#[test]
fn a_token_deleted_here_is_removed_by_its_client_id_and_a_reload_does_not_bring_it_back() {
    let f = Fixture::new();
    let (a, b) = (f.token("s1"), f.token("s2"));
    f.tokens.upsert(a.clone());
    f.tokens.upsert(b.clone());
    // Another token's id under a's client id removes nothing.
    f.tokens.remove_known(&ServiceToken { id: TokenId::generate(), ..a.clone() });
    assert!(f.check(&a, "s1", 10).is_ok());

    // Deleted while a reload read the store before the deletion: it stays deleted.
    let reload = f.tokens.begin_reload();
    f.tokens.remove_known(&a);
    assert_eq!(f.check(&a, "s1", 10), Err(Denial::UnknownClientId));
    reload.finish(vec![a.clone(), b.clone()]);
    assert_eq!(f.check(&a, "s1", 10), Err(Denial::UnknownClientId));
    assert!(f.check(&b, "s2", 10).is_ok());
    assert_eq!(f.tokens.len(), 1);
}

#[test]
fn a_token_another_node_deleted_is_removed_by_the_client_id_its_event_names() {
    let f = Fixture::new();
    let (a, b) = (f.token("s1"), f.token("s2"));
    f.tokens.upsert(a.clone());
    f.tokens.upsert(b.clone());
    let other_account = AccountId::generate();
    // A wrong id, account or client id removes nothing, and says so.
    assert!(!f.tokens.remove_by_client_id(&f.account, &TokenId::generate(), a.client_id.as_str()));
    assert!(!f.tokens.remove_by_client_id(&other_account, &a.id, a.client_id.as_str()));
    assert!(!f.tokens.remove_by_client_id(&f.account, &a.id, b.client_id.as_str()));
    assert!(f.check(&a, "s1", 10).is_ok());

    // Deleted while a reload read the store before the deletion: it stays deleted.
    let reload = f.tokens.begin_reload();
    assert!(f.tokens.remove_by_client_id(&f.account, &a.id, a.client_id.as_str()));
    assert_eq!(f.check(&a, "s1", 10), Err(Denial::UnknownClientId));
    reload.finish(vec![a.clone(), b.clone()]);
    assert_eq!(f.check(&a, "s1", 10), Err(Denial::UnknownClientId));
    assert!(f.check(&b, "s2", 10).is_ok());
    assert!(!f.tokens.remove_by_client_id(&f.account, &a.id, a.client_id.as_str()), "already gone");
}

fn version(token: &ServiceToken) -> gatehouse_store::TokenVersion {
    gatehouse_store::TokenVersion::of(token.id, token.revision, &token.credentials)
}

#[test]
fn a_stale_reload_reads_only_what_differs_and_keeps_changes_made_meanwhile() {
    let f = Fixture::new();
    let (a, b, c, d, e) = (f.token("a"), f.token("b"), f.token("c"), f.token("d"), f.token("e"));
    for token in [&a, &b, &c] {
        f.tokens.upsert(token.clone());
    }
    // The store: a as held, b disabled (a new revision), c gone, d new.
    let mut disabled = b.clone();
    disabled.apply(gatehouse_domain::TokenChanges { enabled: Some(false), ..Default::default() }, at(1));
    let reload = f.tokens.begin_reload();
    let mut versions = vec![version(&d), version(&a), version(&disabled)];
    let stale = reload.stale(&mut versions);
    let mut read = stale.read.clone();
    read.sort();
    let mut expected = vec![b.id, d.id];
    expected.sort();
    assert_eq!(read, expected, "the changed and the new token, not the unchanged one");

    // Created here while the store was read: not dropped although the versions lack it.
    f.tokens.upsert(e.clone());
    assert_eq!(reload.finish_stale(stale, vec![disabled.clone(), d.clone()]), 1, "c dropped");
    assert!(f.check(&a, "a", 10).is_ok());
    assert_eq!(f.check(&b, "b", 10), Err(Denial::Disabled));
    assert_eq!(f.check(&c, "c", 10), Err(Denial::UnknownClientId));
    assert!(f.check(&d, "d", 10).is_ok());
    assert!(f.check(&e, "e", 10).is_ok());

    // Stale by its versions, then deleted before it was read again: dropped.
    let reload = f.tokens.begin_reload();
    let mut versions = [&a, &b, &d, &e].map(version).to_vec();
    let stale = reload.stale(&mut versions);
    assert_eq!(stale.read, vec![b.id], "held as disabled, stored (so it said) as enabled");
    assert_eq!(reload.finish_stale(stale, vec![]), 1);
    assert_eq!(f.check(&b, "b", 10), Err(Denial::UnknownClientId));
    assert_eq!(f.tokens.len(), 3);
}
