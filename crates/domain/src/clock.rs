//! Time as a value: whole seconds since the Unix epoch, rendered as RFC 3339 in UTC, the
//! precision Cloudflare's Access objects use. Code below the composition root gets the current
//! time from a [`Clock`]; tests drive a [`ManualClock`].

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// A timestamp that could not be parsed or is out of the supported range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected an RFC 3339 date-time such as 2026-12-31T23:59:59Z")]
pub struct TimestampError;

impl Timestamp {
    /// `9999-12-31T23:59:59Z`: what a token that never expires reports as `expires_at`.
    pub const FOREVER: Timestamp = Timestamp(253_402_300_799);
    /// The earliest supported instant (the epoch).
    pub const EPOCH: Timestamp = Timestamp(0);

    pub const fn from_unix(seconds: i64) -> Self {
        Timestamp(seconds)
    }

    pub const fn unix(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 (any offset, fractional seconds allowed and truncated).
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimestampError> {
        let parsed = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|_| TimestampError)?;
        let seconds = parsed.unix_timestamp();
        if !(0..=Self::FOREVER.0).contains(&seconds) {
            return Err(TimestampError);
        }
        Ok(Timestamp(seconds))
    }

    /// Adds seconds, saturating at [`Timestamp::FOREVER`].
    pub fn saturating_add_secs(self, seconds: u64) -> Self {
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(seconds).min(Self::FOREVER.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(t) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            Err(_) => write!(f, "@{}", self.0),
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

/// The source of the current time. The server passes the system clock; tests pass a
/// [`ManualClock`].
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock(AtomicI64::new(start.0))
    }

    pub fn advance_secs(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    pub fn set(&self, to: Timestamp) {
        self.0.store(to.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_second_precision_utc() {
        assert_eq!(Timestamp::from_unix(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp::FOREVER.to_string(), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn parses_offsets_and_fractions() {
        let t = Timestamp::parse_rfc3339("2026-12-01T01:00:00.75+01:00").unwrap();
        assert_eq!(t.to_string(), "2026-12-01T00:00:00Z");
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
        assert!(Timestamp::parse_rfc3339("1969-12-31T23:59:59Z").is_err());
    }

    #[test]
    fn adding_saturates_at_forever() {
        assert_eq!(Timestamp::from_unix(10).saturating_add_secs(u64::MAX), Timestamp::FOREVER);
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp::from_unix(100));
        assert_eq!(clock.now().unix(), 100);
        clock.advance_secs(5);
        assert_eq!(clock.now().unix(), 105);
    }
}
