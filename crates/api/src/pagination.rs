//! `page` / `per_page` as the two families of Cloudflare clients need them: the SDKs ask for
//! page N+1 until a page is empty (so a page past the end is `[]`, never an error or the last
//! page again); older clients read `result_info` (so it is always complete). Without `per_page`
//! a generous page is returned, because clients that predate pagination read one page only.

use gatehouse_store::PageRequest;

use crate::error::{ApiError, ErrorCode};

/// The page size when the client does not choose one (Cloudflare's maximum).
pub const DEFAULT_PER_PAGE: u64 = 1000;
pub const MAX_PER_PAGE: u64 = 1000;

/// A validated page request, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    pub page: u64,
    pub per_page: u64,
}

impl Pagination {
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<Self, ApiError> {
        let page = parse_number("page", page, 1, u64::from(u32::MAX))?.unwrap_or(1);
        let per_page = parse_number("per_page", per_page, 1, MAX_PER_PAGE)?.unwrap_or(DEFAULT_PER_PAGE);
        Ok(Pagination { page, per_page })
    }

    pub fn request(self) -> PageRequest {
        PageRequest { offset: (self.page - 1).saturating_mul(self.per_page), limit: self.per_page }
    }
}

fn parse_number(name: &str, value: Option<&str>, min: u64, max: u64) -> Result<Option<u64>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(ApiError::new(
            ErrorCode::InvalidUrlParameter,
            format!(
                "access.api.error.invalid_url_parameter_value: '{name}' must be a whole number from {min} to {max}"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_a_generous_first_page() {
        assert_eq!(
            Pagination::parse(None, None).unwrap(),
            Pagination { page: 1, per_page: DEFAULT_PER_PAGE }
        );
    }

    #[test]
    fn computes_offsets() {
        let p = Pagination::parse(Some("3"), Some("50")).unwrap();
        assert_eq!(p.request(), PageRequest { offset: 100, limit: 50 });
    }

    #[test]
    fn refuses_out_of_range_values_with_12091() {
        for (page, per_page) in [
            (Some("0"), None),
            (None, Some("0")),
            (None, Some("1001")),
            (Some("x"), None),
            (Some("-1"), None),
        ] {
            assert_eq!(Pagination::parse(page, per_page).unwrap_err().code, ErrorCode::InvalidUrlParameter);
        }
    }
}
