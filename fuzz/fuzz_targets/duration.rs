//! `TokenDuration::parse` (Go's duration grammar or `forever`) and the expiry arithmetic.
//! Never panics; a parsed duration is positive, within Go's range, echoes its text, parses to
//! itself again, equals its value written in nanoseconds, and moves an expiry forward by its
//! length rounded up to whole seconds (saturating, never past the far future).
#![no_main]

use gatehouse_domain::{DurationError, Timestamp, TokenDuration};
use libfuzzer_sys::fuzz_target;

const NANOS_PER_SEC: u64 = 1_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = TokenDuration::parse(text);
    match &parsed {
        Err(DurationError::Invalid(echo) | DurationError::NotPositive(echo)) => {
            assert_eq!(echo, text);
            // The message never repeats the value: it is the same whatever the input.
            let message = parsed.as_ref().err().map(ToString::to_string).unwrap_or_default();
            let fixed = [DurationError::Invalid(String::new()), DurationError::NotPositive(String::new())]
                .map(|e| e.to_string());
            assert!(fixed.contains(&message), "error message depends on the input: {message:?}");
            return;
        }
        Ok(TokenDuration::Forever) => {
            assert_eq!(text, "forever");
            assert_eq!(TokenDuration::Forever.expires_from(Timestamp::EPOCH), Timestamp::FOREVER);
            return;
        }
        Ok(TokenDuration::Finite { text: kept, nanos }) => {
            assert_eq!(kept, text);
            assert!(*nanos > 0);
            assert!(*nanos <= i64::MAX as u64, "beyond Go's range: {nanos}");
        }
    }
    let Ok(duration) = parsed else { return };
    let TokenDuration::Finite { nanos, .. } = &duration else { return };
    let nanos = *nanos;
    assert_eq!(duration.as_str(), text);
    assert_eq!(duration.to_string(), text);
    assert_eq!(TokenDuration::parse(duration.as_str()).as_ref(), Ok(&duration), "round trip");

    // The same length spelled in nanoseconds, and as `<secs>s<rest>ns`, parses to the same value.
    let canonical = TokenDuration::parse(&format!("{nanos}ns"));
    assert!(matches!(canonical, Ok(TokenDuration::Finite { nanos: n, .. }) if n == nanos), "{text:?}");
    let split = format!("{}s{}ns", nanos / NANOS_PER_SEC, nanos % NANOS_PER_SEC);
    assert!(matches!(TokenDuration::parse(&split), Ok(TokenDuration::Finite { nanos: n, .. }) if n == nanos));
    // A leading `+` changes nothing; a leading `-` makes it not positive.
    if !text.starts_with(['+', '-']) {
        assert!(
            matches!(TokenDuration::parse(&format!("+{text}")), Ok(TokenDuration::Finite { nanos: n, .. }) if n == nanos)
        );
        assert_eq!(
            TokenDuration::parse(&format!("-{text}")),
            Err(DurationError::NotPositive(format!("-{text}")))
        );
    }

    let secs = nanos.div_ceil(NANOS_PER_SEC);
    for start in [0, 1_700_000_000, Timestamp::FOREVER.unix() - 1, Timestamp::FOREVER.unix(), i64::MAX - 1] {
        let start = Timestamp::from_unix(start);
        let expiry = duration.expires_from(start);
        assert!(expiry > start || start >= Timestamp::FOREVER, "{text:?} from {start:?}");
        let exact = i64::try_from(secs).ok().and_then(|s| start.unix().checked_add(s));
        if let Some(exact) = exact
            && exact <= Timestamp::FOREVER.unix()
        {
            assert_eq!(expiry.unix(), exact, "{text:?} from {start:?}");
        }
    }
});
