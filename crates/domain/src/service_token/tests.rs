use super::*;
use crate::clock::{Clock, ManualClock};
use crate::secret::{HashPurpose, Secret, ServerKey};

struct Fixture {
    key: ServerKey,
    clock: ManualClock,
}

impl Fixture {
    fn new() -> Self {
        Fixture { key: ServerKey::generate(), clock: ManualClock::new(Timestamp::from_unix(1_800_000_000)) }
    }

    fn hash(&self, secret: &str) -> SecretHash {
        self.key.hash(HashPurpose::ServiceTokenSecret, &Secret::new(secret.to_owned()))
    }

    fn token(&self, duration: &str) -> ServiceToken {
        ServiceToken::create(
            TokenId::generate(),
            NewServiceToken {
                account_id: AccountId::generate(),
                name: "CI/CD Pipeline".to_owned(),
                client_id: ClientId::generate(),
                duration: TokenDuration::parse(duration).unwrap(),
                enabled: true,
                secret_hash: self.hash("old"),
                secret_version: 1,
            },
            self.clock.now(),
        )
    }

    /// Authenticates and records the use, as the gateway does.
    fn login(&self, token: &mut ServiceToken, secret: &str) -> Result<SecretMatch, AuthFailure> {
        let now = self.clock.now();
        let matched = token.authenticate(&self.hash(secret), now)?;
        token.record_use(matched, now);
        Ok(matched)
    }
}

#[test]
fn new_token_expires_after_its_duration() {
    let f = Fixture::new();
    let token = f.token("8760h");
    assert_eq!(token.expires_at.unix() - token.created_at.unix(), 8760 * 3600);
    assert_eq!(token.credentials.version(), 1);
    assert!(token.last_seen_at.is_none());
}

#[test]
fn graceful_rotation_keeps_old_secret_until_new_one_is_used() {
    let f = Fixture::new();
    let mut token = f.token("8760h");
    token.rotate(f.hash("new"), None, f.clock.now());
    assert_eq!(token.credentials.version(), 2);
    assert_eq!(token.credentials.previous_expires_at(), None);

    f.clock.advance_secs(3600);
    assert_eq!(f.login(&mut token, "old"), Ok(SecretMatch::Previous));
    assert_eq!(f.login(&mut token, "old"), Ok(SecretMatch::Previous));
    assert_eq!(f.login(&mut token, "new"), Ok(SecretMatch::Current));
    assert_eq!(f.login(&mut token, "old"), Err(AuthFailure::WrongSecret));
    assert_eq!(f.login(&mut token, "new"), Ok(SecretMatch::Current));
    assert!(token.credentials.previous().is_none());
}

#[test]
fn deadline_rotation_keeps_both_until_the_deadline_even_after_new_use() {
    let f = Fixture::new();
    let mut token = f.token("8760h");
    let deadline = Timestamp::from_unix(f.clock.now().unix() + 600);
    token.rotate(f.hash("new"), Some(deadline), f.clock.now());
    assert_eq!(token.credentials.previous_expires_at(), Some(deadline));

    assert_eq!(f.login(&mut token, "new"), Ok(SecretMatch::Current));
    assert_eq!(f.login(&mut token, "old"), Ok(SecretMatch::Previous));
    f.clock.advance_secs(599);
    assert_eq!(f.login(&mut token, "old"), Ok(SecretMatch::Previous));
    f.clock.advance_secs(1);
    assert_eq!(f.login(&mut token, "old"), Err(AuthFailure::WrongSecret));
    assert_eq!(f.login(&mut token, "new"), Ok(SecretMatch::Current));
    assert!(token.credentials.expire_previous(f.clock.now()));
    assert!(token.credentials.previous().is_none());
}

#[test]
fn a_deadline_in_the_past_ends_the_previous_secret_at_once() {
    let f = Fixture::new();
    let mut token = f.token("8760h");
    token.rotate(f.hash("new"), None, f.clock.now());
    let past = Timestamp::from_unix(f.clock.now().unix() - 1);
    token.apply(TokenChanges { previous_secret_expires_at: Some(past), ..Default::default() }, f.clock.now());
    assert_eq!(f.login(&mut token, "old"), Err(AuthFailure::WrongSecret));
}

#[test]
fn rotating_twice_forgets_the_oldest_secret() {
    let f = Fixture::new();
    let mut token = f.token("8760h");
    token.rotate(f.hash("second"), None, f.clock.now());
    token.rotate(f.hash("third"), None, f.clock.now());
    assert_eq!(token.credentials.version(), 3);
    assert_eq!(f.login(&mut token, "old"), Err(AuthFailure::WrongSecret));
    assert_eq!(f.login(&mut token, "second"), Ok(SecretMatch::Previous));
    assert_eq!(f.login(&mut token, "third"), Ok(SecretMatch::Current));
}

#[test]
fn version_bump_through_update_rotates() {
    let f = Fixture::new();
    let mut token = f.token("8760h");
    token.apply(TokenChanges { rotate_to: Some((5, f.hash("new"))), ..Default::default() }, f.clock.now());
    assert_eq!(token.credentials.version(), 5);
    assert_eq!(f.login(&mut token, "old"), Ok(SecretMatch::Previous));
    assert_eq!(f.login(&mut token, "new"), Ok(SecretMatch::Current));
}

#[test]
fn disabled_and_expired_tokens_fail_with_either_secret() {
    let f = Fixture::new();
    let mut token = f.token("1h");
    token.rotate(f.hash("new"), None, f.clock.now());
    token.apply(TokenChanges { enabled: Some(false), ..Default::default() }, f.clock.now());
    assert_eq!(f.login(&mut token, "new"), Err(AuthFailure::Disabled));
    assert_eq!(f.login(&mut token, "old"), Err(AuthFailure::Disabled));
    assert_eq!(f.login(&mut token, "wrong"), Err(AuthFailure::WrongSecret));

    token.apply(TokenChanges { enabled: Some(true), ..Default::default() }, f.clock.now());
    f.clock.advance_secs(3600);
    assert_eq!(f.login(&mut token, "new"), Err(AuthFailure::Expired));
    assert_eq!(f.login(&mut token, "old"), Err(AuthFailure::Expired));
}

#[test]
fn refresh_extends_from_now_and_forever_stays_forever() {
    let f = Fixture::new();
    let mut token = f.token("1h");
    f.clock.advance_secs(3000);
    token.refresh(f.clock.now());
    assert_eq!(token.expires_at.unix(), f.clock.now().unix() + 3600);
    assert_eq!(token.updated_at, f.clock.now());

    let mut forever = f.token("forever");
    forever.refresh(f.clock.now());
    assert_eq!(forever.expires_at, Timestamp::FOREVER);
}

#[test]
fn update_with_duration_restarts_the_lifetime() {
    let f = Fixture::new();
    let mut token = f.token("8760h");
    f.clock.advance_secs(100);
    token.apply(
        TokenChanges {
            duration: Some(TokenDuration::parse("2h").unwrap()),
            name: Some("renamed".into()),
            ..Default::default()
        },
        f.clock.now(),
    );
    assert_eq!(token.expires_at.unix(), f.clock.now().unix() + 7200);
    assert_eq!(token.name, "renamed");
    assert_eq!(token.duration.to_string(), "2h");
}

#[test]
fn every_change_bumps_the_revision() {
    let f = Fixture::new();
    let mut token = f.token("8760h");
    let start = token.revision;
    token.refresh(f.clock.now());
    token.rotate(f.hash("new"), None, f.clock.now());
    token.apply(TokenChanges::default(), f.clock.now());
    assert_eq!(token.revision, start + 3);
}

#[test]
fn usage_is_tracked_per_secret_version() {
    let f = Fixture::new();
    let mut token = f.token("8760h");
    f.login(&mut token, "old").unwrap();
    let deadline = Timestamp::from_unix(f.clock.now().unix() + 600);
    token.rotate(f.hash("new"), Some(deadline), f.clock.now());
    f.clock.advance_secs(10);
    f.login(&mut token, "old").unwrap();
    let previous = token.credentials.previous().unwrap();
    assert_eq!(previous.version, 1);
    assert_eq!(previous.last_seen_at, Some(f.clock.now()));
    assert_eq!(token.credentials.current_last_seen_at(), None);
    f.clock.advance_secs(10);
    f.login(&mut token, "new").unwrap();
    assert_eq!(token.credentials.current_last_seen_at(), Some(f.clock.now()));
    assert_eq!(token.last_seen_at, Some(f.clock.now()));
}
