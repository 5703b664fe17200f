//! Ages and look-ahead windows as operators write them: whole days (`30d`, `90d`), a Go
//! duration (`36h`, `2h45m`), or both (`1d12h`).

use crate::duration::TokenDuration;

/// An age that does not parse, or is not positive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "expected a positive number of days such as \"30d\", a Go duration such as \"36h\", or both (\"1d12h\")"
)]
pub struct AgeError;

const SECS_PER_DAY: u64 = 86_400;

/// Parses `<days>d`, a Go duration, or `<days>d` followed by a Go duration, into whole seconds
/// (rounded up).
pub fn parse_age(text: &str) -> Result<u64, AgeError> {
    let text = text.trim();
    let (days, rest) = match text.find('d') {
        Some(at) => {
            let days: u64 = text[..at].parse().map_err(|_| AgeError)?;
            (days, &text[at + 1..])
        }
        None => (0, text),
    };
    let rest_secs = if rest.is_empty() {
        0
    } else {
        let duration = TokenDuration::parse(rest).map_err(|_| AgeError)?;
        match duration {
            TokenDuration::Finite { nanos, .. } => nanos.div_ceil(1_000_000_000),
            TokenDuration::Forever => return Err(AgeError),
        }
    };
    let total = days.checked_mul(SECS_PER_DAY).and_then(|d| d.checked_add(rest_secs)).ok_or(AgeError)?;
    if total == 0 { Err(AgeError) } else { Ok(total) }
}
