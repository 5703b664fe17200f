//! How times and states read on the pages: relative ages ("3 days ago", "in 2 hours") beside
//! the exact RFC 3339 time, and the badges of a token's expiry.

use gatehouse_domain::{ServiceToken, Timestamp};

/// Days ahead within which a token counts as "expires soon".
pub const EXPIRES_SOON_DAYS: i64 = 30;
/// Days without use after which a token counts as unused.
pub const UNUSED_DAYS: i64 = 90;
pub const DAY: i64 = 86_400;

/// `when` relative to `now`: "just now", "5 minutes ago", "in 3 days".
pub fn relative(when: Timestamp, now: Timestamp) -> String {
    if when == Timestamp::FOREVER {
        return "never".to_owned();
    }
    let delta = when.unix() - now.unix();
    let span = delta.unsigned_abs();
    let (n, unit) = match span {
        0..60 => return "just now".to_owned(),
        60..3_600 => (span / 60, "minute"),
        3_600..86_400 => (span / 3_600, "hour"),
        86_400..2_592_000 => (span / 86_400, "day"),
        2_592_000..31_536_000 => (span / 2_592_000, "month"),
        _ => (span / 31_536_000, "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if delta < 0 { format!("{n} {unit}{plural} ago") } else { format!("in {n} {unit}{plural}") }
}

/// The state of a token as a word and a CSS class.
pub fn status(token: &ServiceToken, now: Timestamp) -> (&'static str, &'static str) {
    if token.expires_at <= now {
        ("expired", "bad")
    } else if !token.enabled {
        ("disabled", "muted")
    } else {
        ("active", "good")
    }
}

/// The expiry badge, if any: "expired" or "expires soon".
pub fn expiry_badge(token: &ServiceToken, now: Timestamp) -> Option<(&'static str, &'static str)> {
    if token.expires_at <= now {
        Some(("expired", "bad"))
    } else if token.expires_at.unix() - now.unix() <= EXPIRES_SOON_DAYS * DAY {
        Some(("expires soon", "warn"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = Timestamp::from_unix(1_000_000_000);
        let at = |d: i64| Timestamp::from_unix(now.unix() + d);
        assert_eq!(relative(at(-10), now), "just now");
        assert_eq!(relative(at(-120), now), "2 minutes ago");
        assert_eq!(relative(at(3_600), now), "in 1 hour");
        assert_eq!(relative(at(3 * DAY), now), "in 3 days");
        assert_eq!(relative(Timestamp::FOREVER, now), "never");
    }
}
