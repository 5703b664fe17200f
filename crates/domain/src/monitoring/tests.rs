use super::*;
use crate::duration::TokenDuration;
use crate::ids::{AccountId, ClientId, TokenId};
use crate::secret::{HashPurpose, Secret, ServerKey};
use crate::service_token::{NewServiceToken, SecretMatch};

const T0: Timestamp = Timestamp::from_unix(1_800_000_000);
const DAY: i64 = SECS_PER_DAY;

fn at_day(days: i64) -> Timestamp {
    Timestamp::from_unix(T0.unix() + days * DAY)
}

fn hash(secret: &str) -> crate::secret::SecretHash {
    static KEY: std::sync::OnceLock<ServerKey> = std::sync::OnceLock::new();
    KEY.get_or_init(ServerKey::generate)
        .hash(HashPurpose::ServiceTokenSecret, &Secret::new(secret.to_owned()))
}

fn token(duration: &str) -> ServiceToken {
    ServiceToken::create(
        TokenId::generate(),
        NewServiceToken {
            account_id: AccountId::generate(),
            name: "nightly".to_owned(),
            client_id: ClientId::generate(),
            duration: TokenDuration::parse(duration).unwrap(),
            enabled: true,
            secret_hash: hash("old"),
            secret_version: 1,
        },
        T0,
    )
}

#[test]
fn a_never_used_token_is_inactive_from_its_creation() {
    let token = token("forever");
    assert_eq!(last_activity(&token), T0);
    assert!(!is_inactive(&token, 30, Timestamp::from_unix(at_day(30).unix() - 1)));
    assert!(is_inactive(&token, 30, at_day(30)));
}

#[test]
fn a_use_restarts_the_inactivity_count() {
    let mut token = token("forever");
    token.record_use(SecretMatch::Current, at_day(20));
    assert!(!is_inactive(&token, 30, at_day(40)));
    assert!(is_inactive(&token, 30, at_day(50)));
}

#[test]
fn expiry_alerts_are_due_inside_each_lead_time() {
    let token = token("720h"); // expires at day 30
    let leads = [30, 7, 1];
    assert_eq!(due_expiry_leads(&token, &leads, T0), vec![30]);
    assert_eq!(due_expiry_leads(&token, &leads, at_day(23)), vec![30, 7]);
    assert_eq!(due_expiry_leads(&token, &leads, at_day(29)), vec![30, 7, 1]);
    assert_eq!(due_expiry_leads(&token, &leads, at_day(30)), Vec::<u32>::new(), "expired");
    assert!(due_expiry_leads(&self::token("forever"), &leads, T0).is_empty());
    let mut disabled = self::token("24h");
    disabled.enabled = false;
    assert!(due_expiry_leads(&disabled, &leads, T0).is_empty());
}

#[test]
fn the_previous_secret_counts_when_used_after_the_rotation_and_the_deadline_passed() {
    let mut token = token("forever");
    token.record_use(SecretMatch::Current, at_day(1));
    token.rotate(hash("new"), Some(at_day(3)), at_day(2));
    // Before the deadline, or never used since the rotation: nothing.
    assert_eq!(
        previous_secret_used_after_rotation(&token, at_day(4)),
        None,
        "last use was before the rotation"
    );
    token.record_use(SecretMatch::Previous, Timestamp::from_unix(at_day(2).unix() + 60));
    assert_eq!(previous_secret_used_after_rotation(&token, Timestamp::from_unix(at_day(3).unix() - 1)), None);
    let found = previous_secret_used_after_rotation(&token, at_day(3)).unwrap();
    assert_eq!(found.previous_version, 1);
    assert_eq!((found.rotated_at, found.grace_ended_at), (at_day(2), at_day(3)));
}

#[test]
fn a_graceful_rotation_never_counts() {
    let mut token = token("forever");
    token.rotate(hash("new"), None, at_day(1));
    token.record_use(SecretMatch::Previous, at_day(2));
    assert_eq!(previous_secret_used_after_rotation(&token, at_day(100)), None);
}

#[test]
fn ages_take_days_go_durations_or_both() {
    assert_eq!(parse_age("30d"), Ok(30 * 86_400));
    assert_eq!(parse_age("36h"), Ok(36 * 3600));
    assert_eq!(parse_age("1d12h"), Ok(36 * 3600));
    assert_eq!(parse_age("90s"), Ok(90));
    for bad in ["", "0d", "d", "-1d", "forever", "3w", "1d-2h", "1.5d"] {
        assert_eq!(parse_age(bad), Err(AgeError), "{bad:?}");
    }
}
