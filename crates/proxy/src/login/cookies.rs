//! Reading request cookies and writing the login flow's `Set-Cookie` headers. Every cookie the
//! gateway sets is host-only, `HttpOnly`, `SameSite=Lax` (sent on the top-level navigation back
//! from the identity provider; `Strict` would loop) and `Secure` when the client reached the
//! gateway over TLS.

use http::HeaderMap;
use http::header::{COOKIE, HeaderValue};

/// The value of the first cookie named `name` in any `Cookie` header.
pub(crate) fn get<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim_matches('"'))
}

/// `Set-Cookie` for `name=value` on `path`, living `max_age` seconds (0 deletes it).
pub(crate) fn set(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = max_age.max(0);
    HeaderValue::try_from(format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// `Set-Cookie` that deletes `name` on `path`.
pub(crate) fn clear(name: &str, path: &str, secure: bool) -> Option<HeaderValue> {
    set(name, "", path, 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many_and_writes_the_security_attributes() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; CF_AppSession=xyz"));
        headers.append(COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(get(&headers, "CF_AppSession"), Some("xyz"));
        assert_eq!(get(&headers, "b"), Some("2"));
        assert_eq!(get(&headers, "c"), None);
        let cookie = set("n", "v", "/", 60, true).unwrap();
        assert_eq!(cookie, "n=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure");
        assert_eq!(clear("n", "/x", false).unwrap(), "n=; Path=/x; HttpOnly; SameSite=Lax; Max-Age=0");
    }
}
