//! `token list --expiring-within AGE` and `--unused-for AGE`: filters applied by the CLI to
//! every token the API listed (all pages, or the one page asked for), so that they work against
//! any Cloudflare-compatible API. AGE is whole days (`30d`), a Go duration (`36h`), or both
//! (`1d12h`).

use gatehouse_domain::monitoring::parse_age;
use gatehouse_domain::{Clock, Timestamp};
use serde_json::Value;

/// The filters given on the command line, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgeFilter {
    /// Tokens whose `expires_at` is at most this far ahead (already expired ones included;
    /// never-expiring ones never).
    pub expiring_within: Option<u64>,
    /// Tokens whose `last_seen_at` (or `created_at` when never used) is at least this far back.
    pub unused_for: Option<u64>,
}

impl AgeFilter {
    pub fn is_empty(&self) -> bool {
        self.expiring_within.is_none() && self.unused_for.is_none()
    }

    /// Whether the listed token `item` passes every filter at `now`. A token whose times do not
    /// parse is kept, so that nothing disappears silently.
    pub fn keeps(&self, item: &Value, now: Timestamp) -> bool {
        let time = |field: &str| {
            item.get(field).and_then(Value::as_str).and_then(|t| Timestamp::parse_rfc3339(t).ok())
        };
        if let Some(window) = self.expiring_within {
            match time("expires_at") {
                Some(Timestamp::FOREVER) => return false,
                Some(expires) if expires > now.saturating_add_secs(window) => return false,
                _ => {}
            }
        }
        let active = time("last_seen_at").or_else(|| time("created_at"));
        match (self.unused_for, active) {
            (Some(age), Some(active)) => active.saturating_add_secs(age) <= now,
            _ => true,
        }
    }
}

/// clap's parser for AGE arguments.
pub fn parse_age_arg(text: &str) -> Result<u64, String> {
    parse_age(text).map_err(|error| error.to_string())
}

/// The time the filters compare against: the binary is a composition root, so it may read the
/// system clock (through the server's one `SystemClock`).
pub fn now() -> Timestamp {
    gatehouse_server::SystemClock.now()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: Timestamp = Timestamp::from_unix(1_800_000_000);
    const DAY: i64 = 86_400;

    fn at(days: i64) -> String {
        Timestamp::from_unix(NOW.unix() + days * DAY).to_string()
    }

    fn token(created: i64, expires: &str, last_seen: Option<i64>) -> Value {
        json!({"created_at": at(created), "expires_at": expires, "last_seen_at": last_seen.map(at)})
    }

    #[test]
    fn expiring_within_keeps_tokens_expiring_inside_the_window() {
        let filter = AgeFilter { expiring_within: Some(30 * 86_400), unused_for: None };
        assert!(filter.keeps(&token(-1, &at(29), None), NOW));
        assert!(filter.keeps(&token(-1, &at(30), None), NOW), "the window is inclusive");
        assert!(filter.keeps(&token(-400, &at(-1), None), NOW), "already expired");
        assert!(!filter.keeps(&token(-1, &at(31), None), NOW));
        assert!(!filter.keeps(&token(-1, "9999-12-31T23:59:59Z", None), NOW), "forever");
    }

    #[test]
    fn unused_for_counts_never_used_tokens_from_their_creation() {
        let filter = AgeFilter { expiring_within: None, unused_for: Some(90 * 86_400) };
        assert!(filter.keeps(&token(-90, &at(100), None), NOW));
        assert!(!filter.keeps(&token(-89, &at(100), None), NOW));
        assert!(filter.keeps(&token(-400, &at(100), Some(-91)), NOW));
        assert!(!filter.keeps(&token(-400, &at(100), Some(-10)), NOW), "used recently");
    }

    #[test]
    fn both_filters_must_hold() {
        let filter = AgeFilter { expiring_within: Some(7 * 86_400), unused_for: Some(30 * 86_400) };
        assert!(filter.keeps(&token(-60, &at(3), None), NOW));
        assert!(!filter.keeps(&token(-60, &at(10), None), NOW));
        assert!(!filter.keeps(&token(-10, &at(3), None), NOW));
    }

    #[test]
    fn ages_take_days_and_go_units() {
        assert_eq!(parse_age_arg("30d"), Ok(30 * 86_400));
        assert_eq!(parse_age_arg("1d12h"), Ok(36 * 3600));
        assert!(parse_age_arg("soon").is_err());
    }
}
