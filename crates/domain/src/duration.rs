//! Token lifetimes in Go's duration grammar (`8760h`, `2h45m`, `1.5h`, `300ms`) or `forever`,
//! the format Cloudflare's API and its SDKs use. The text is kept as supplied because the API
//! echoes it back unchanged.

use std::fmt;

use crate::clock::Timestamp;

/// How long a service token lives from its creation or last refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenDuration {
    /// Never expires; reported with `expires_at` = [`Timestamp::FOREVER`].
    Forever,
    /// A positive Go duration, as text and in nanoseconds.
    Finite { text: String, nanos: u64 },
}

/// Why a duration was refused. The message does not repeat the value: a caller who pastes the
/// wrong string into this field must not see it echoed into logs or error bodies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("expected a Go duration such as \"8760h\" or \"2h45m\", or \"forever\"")]
    Invalid(String),
    #[error("the duration must be greater than zero")]
    NotPositive(String),
}

const NANOS_PER_SEC: u64 = 1_000_000_000;

impl TokenDuration {
    /// One year, Cloudflare's default lifetime.
    pub fn default_lifetime() -> Self {
        TokenDuration::Finite { text: "8760h".to_owned(), nanos: 8760 * 3600 * NANOS_PER_SEC }
    }

    /// Parses `forever` or a positive Go duration.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        if text == "forever" {
            return Ok(TokenDuration::Forever);
        }
        let (negative, nanos) =
            parse_go_duration(text).ok_or_else(|| DurationError::Invalid(text.to_owned()))?;
        if negative || nanos == 0 {
            return Err(DurationError::NotPositive(text.to_owned()));
        }
        Ok(TokenDuration::Finite { text: text.to_owned(), nanos })
    }

    /// The expiry of a token whose lifetime starts at `start` (rounded up to whole seconds).
    pub fn expires_from(&self, start: Timestamp) -> Timestamp {
        match self {
            TokenDuration::Forever => Timestamp::FOREVER,
            TokenDuration::Finite { nanos, .. } => start.saturating_add_secs(nanos.div_ceil(NANOS_PER_SEC)),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            TokenDuration::Forever => "forever",
            TokenDuration::Finite { text, .. } => text,
        }
    }
}

impl fmt::Display for TokenDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => NANOS_PER_SEC,
        "m" => 60 * NANOS_PER_SEC,
        "h" => 3600 * NANOS_PER_SEC,
        _ => return None,
    })
}

/// Go's `time.ParseDuration`: returns the sign and the magnitude in nanoseconds, or `None` when
/// the text is not a duration or exceeds Go's range (2^63-1 ns, about 292 years).
fn parse_go_duration(text: &str) -> Option<(bool, u64)> {
    const LIMIT: u128 = i64::MAX as u128;
    let (negative, mut rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some((negative, 0));
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after_int) = rest.split_at(int_len);
        let (frac_part, after_num) = match after_int.strip_prefix('.') {
            Some(after_dot) => {
                let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
                after_dot.split_at(frac_len)
            }
            None => ("", after_int),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let unit_len = after_num
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(after_num.len(), |(i, _)| i);
        let (unit, next) = after_num.split_at(unit_len);
        let unit = u128::from(unit_nanos(unit)?);

        let mut value: u128 = 0;
        for digit in int_part.bytes() {
            value = value.checked_mul(10)?.checked_add(u128::from(digit - b'0'))?;
            if value > LIMIT {
                return None;
            }
        }
        let mut component = value.checked_mul(unit)?;
        // Fractional part: keep digits while they can still change the result.
        let mut scale: u128 = 1;
        let mut frac: u128 = 0;
        for digit in frac_part.bytes() {
            if scale > LIMIT {
                break;
            }
            frac = frac * 10 + u128::from(digit - b'0');
            scale *= 10;
        }
        component += frac * unit / scale;
        total = total.checked_add(component)?;
        if total > LIMIT {
            return None;
        }
        rest = next;
    }
    Some((negative, u64::try_from(total).ok()?))
}

#[cfg(test)]
mod tests;
