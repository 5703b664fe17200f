//! What every dashboard response carries, and the cross-site write check.
//!
//! Headers: a strict Content-Security-Policy (scripts and styles from this origin only, no
//! inline code, no framing, forms post only here), `Cache-Control: no-store` (a page that showed
//! a secret must not be kept by the browser's cache or its back/forward cache), `nosniff`,
//! `no-referrer`.
//!
//! Writes (every method but GET and HEAD) must come from the dashboard's own pages: the browser
//! says so with `Sec-Fetch-Site: same-origin`, or, where it sends no fetch metadata, with an
//! `Origin` equal to the request's own host. The session cookie's `SameSite=Strict` is the first
//! defence; this is the second, and it needs no token in the forms.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The dashboard's Content-Security-Policy.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Refuses cross-site writes and adds the security headers to every response.
pub async fn guard(request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    let mut response = if safe || same_origin(request.headers()) {
        next.run(request).await
    } else {
        tracing::warn!(method = %request.method(), "dashboard: refused a cross-site write");
        crate::error::Failure::page(StatusCode::FORBIDDEN, "This request did not come from the dashboard.")
            .into_response()
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    response
}

/// Whether a write comes from a page of this origin.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST)) else {
        return false;
    };
    let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else { return false };
    origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        for site in ["cross-site", "same-site", "none"] {
            let h = headers(&[("sec-fetch-site", site), ("origin", "http://a:1"), ("host", "a:1")]);
            assert!(!same_origin(&h), "{site}");
        }
    }

    #[test]
    fn otherwise_the_origin_must_be_the_host() {
        assert!(same_origin(&headers(&[("origin", "http://127.0.0.1:8787"), ("host", "127.0.0.1:8787")])));
        assert!(!same_origin(&headers(&[("origin", "http://evil.example"), ("host", "127.0.0.1:8787")])));
        assert!(!same_origin(&headers(&[("origin", "null"), ("host", "127.0.0.1:8787")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8787")])), "no origin at all");
    }
}
