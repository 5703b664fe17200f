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
fn stale_notifications_are_ignored_and_names_are_not_kept() {
    let f = Fixture::new();
    let token = f.token("s1");
    let mut newer = token.clone();
    newer.enabled = false;
    newer.revision = 5;
    f.tokens.upsert(newer);
    f.tokens.upsert(token.clone());
    assert_eq!(f.check(&token, "s1", 10), Err(Denial::Disabled));
    assert!(f.tokens.by_client.iter().all(|t| t.name.is_empty()));
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
