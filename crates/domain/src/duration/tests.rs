use proptest::prelude::*;

use super::*;

fn nanos(text: &str) -> u64 {
    match TokenDuration::parse(text).unwrap() {
        TokenDuration::Finite { nanos, .. } => nanos,
        TokenDuration::Forever => panic!("{text} parsed as forever"),
    }
}

#[test]
fn parses_go_examples() {
    assert_eq!(nanos("8760h"), 8760 * 3600 * NANOS_PER_SEC);
    assert_eq!(nanos("2h45m"), (2 * 3600 + 45 * 60) * NANOS_PER_SEC);
    assert_eq!(nanos("300ms"), 300_000_000);
    assert_eq!(nanos("1.5h"), 5400 * NANOS_PER_SEC);
    assert_eq!(nanos(".5s"), 500_000_000);
    assert_eq!(nanos("5.s"), 5 * NANOS_PER_SEC);
    assert_eq!(nanos("1h1m1s1ms1us1ns"), 3_661_001_001_001);
    assert_eq!(nanos("3\u{b5}s"), 3_000);
    assert_eq!(nanos("3\u{3bc}s"), 3_000);
    assert_eq!(nanos("+60m"), 3600 * NANOS_PER_SEC);
    assert_eq!(nanos("2562047h"), 2_562_047 * 3600 * NANOS_PER_SEC);
}

#[test]
fn forever_is_its_own_value() {
    assert_eq!(TokenDuration::parse("forever").unwrap(), TokenDuration::Forever);
    assert_eq!(TokenDuration::Forever.expires_from(Timestamp::from_unix(5)), Timestamp::FOREVER);
}

#[test]
fn refuses_zero_and_negative() {
    for text in ["0", "0s", "-1h", "-0", "0h0m"] {
        assert_eq!(TokenDuration::parse(text), Err(DurationError::NotPositive(text.to_owned())), "{text}");
    }
}

#[test]
fn refuses_garbage() {
    for text in [
        "",
        "h",
        "1",
        "1d",
        "1 h",
        "1.h.",
        ".h",
        "-",
        "+",
        "1hh",
        "Forever",
        "1H",
        "9999999999h",
        "1h-1m",
        ".",
    ] {
        assert!(
            matches!(TokenDuration::parse(text), Err(DurationError::Invalid(_))),
            "{text:?} should be invalid"
        );
    }
}

#[test]
fn expiry_rounds_up_to_whole_seconds() {
    let start = Timestamp::from_unix(1000);
    assert_eq!(TokenDuration::parse("1ns").unwrap().expires_from(start).unix(), 1001);
    assert_eq!(TokenDuration::parse("60m").unwrap().expires_from(start).unix(), 4600);
}

#[test]
fn keeps_the_text_as_supplied() {
    assert_eq!(TokenDuration::parse("17520h").unwrap().to_string(), "17520h");
    assert_eq!(TokenDuration::default_lifetime().to_string(), "8760h");
}

fn unit() -> impl Strategy<Value = (&'static str, u64)> {
    prop_oneof![
        Just(("ns", 1)),
        Just(("us", 1_000)),
        Just(("ms", 1_000_000)),
        Just(("s", NANOS_PER_SEC)),
        Just(("m", 60 * NANOS_PER_SEC)),
        Just(("h", 3600 * NANOS_PER_SEC)),
    ]
}

proptest! {
    #[test]
    fn never_panics(text in "\\PC{0,40}") {
        let _ = TokenDuration::parse(&text);
    }

    #[test]
    fn never_panics_on_duration_like_text(text in "[-+]?[0-9.]{0,25}(ns|us|ms|s|m|h|x)?([0-9.]{0,5}(h|m|s))?") {
        let _ = TokenDuration::parse(&text);
    }

    #[test]
    fn round_trips_generated_durations(parts in proptest::collection::vec((1u64..100_000, unit()), 1..5)) {
        let text: String = parts.iter().map(|(n, (u, _))| format!("{n}{u}")).collect();
        let expected: u64 = parts.iter().map(|(n, (_, mult))| n * mult).sum();
        let parsed = TokenDuration::parse(&text).unwrap();
        prop_assert_eq!(parsed.to_string(), text.clone());
        prop_assert_eq!(parsed, TokenDuration::Finite { text, nanos: expected });
    }

    #[test]
    fn seconds_round_trip_through_expiry(secs in 1u64..10_000_000) {
        let text = format!("{secs}s");
        let start = Timestamp::from_unix(1_700_000_000);
        let expires = TokenDuration::parse(&text).unwrap().expires_from(start);
        prop_assert_eq!(expires.unix() - start.unix(), secs as i64);
    }
}
