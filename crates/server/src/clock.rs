use gatehouse_domain::{Clock, Timestamp};

/// The system clock: the one place that reads the time of day.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the composition root is where the real clock is read
    fn now(&self) -> Timestamp {
        Timestamp::from_unix(time::OffsetDateTime::now_utc().unix_timestamp())
    }
}
