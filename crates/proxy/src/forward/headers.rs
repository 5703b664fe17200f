//! The headers an origin receives and a client gets back. Hop-by-hop headers (RFC 9110 §7.6.1:
//! `Connection` and the headers it names, `Keep-Alive`, `TE`, `Trailer`, `Transfer-Encoding`,
//! `Upgrade`, `Proxy-*`) are removed both ways, except what a WebSocket upgrade needs. Toward
//! the origin the client secret, the single-header credential and any client-supplied
//! assertion, user email or `True-Client-Ip` are removed; the gateway's own
//! `Cf-Access-Jwt-Assertion`, `Cf-Connecting-Ip` (the TCP peer), the `X-Forwarded-*` headers and
//! `Host` (the host the request was routed on) are set.

use http::header::{
    CONNECTION, HOST, HeaderMap, HeaderName, HeaderValue, TE, TRAILER, TRANSFER_ENCODING, UPGRADE,
};

use crate::credentials::CLIENT_SECRET;

pub(crate) const ASSERTION: HeaderName = HeaderName::from_static("cf-access-jwt-assertion");
/// Identity logins carry it at Cloudflare; service tokens never do, so a client's copy is a lie.
const USER_EMAIL: HeaderName = HeaderName::from_static("cf-access-authenticated-user-email");
/// The client address as Cloudflare reports it; origins behind Cloudflare trust it, so the
/// gateway sets it from the TCP peer and never passes on a client's.
const CONNECTING_IP: HeaderName = HeaderName::from_static("cf-connecting-ip");
/// Cloudflare's Enterprise alias of `Cf-Connecting-Ip`; the gateway does not set it.
const TRUE_CLIENT_IP: HeaderName = HeaderName::from_static("true-client-ip");
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// What the request headers toward the origin depend on.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// The TCP peer's address as text (IPv4-mapped IPv6 addresses as IPv4).
    pub peer: &'a HeaderValue,
    pub tls: bool,
    /// The host the client addressed (its `Host`, or `:authority` for HTTP/2); `None` when it
    /// is the request's own `Host` header, as it usually is (nothing to copy then).
    pub host: Option<&'a str>,
    /// The application's single-header credential, to strip.
    pub token_header: Option<&'a HeaderName>,
    /// The application JWT (absent for bypass).
    pub assertion: Option<HeaderValue>,
    /// A person's e-mail address (`Cf-Access-Authenticated-User-Email`), when a person's
    /// session was admitted.
    pub user_email: Option<HeaderValue>,
}

/// True for `Connection: upgrade` + `Upgrade: websocket`.
pub(crate) fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    let upgrade = headers
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"));
    upgrade && connection_tokens(headers).any(|token| token.eq_ignore_ascii_case("upgrade"))
}

pub(crate) fn prepare_request(headers: &mut HeaderMap, context: Context<'_>, upgrade: bool) {
    // One pass over the names instead of a lookup per name that must not pass.
    let token_header = context.token_header;
    remove_hop_by_hop_and(headers, upgrade, |name| {
        name == CLIENT_SECRET
            || name == ASSERTION
            || name == USER_EMAIL
            || name == TRUE_CLIENT_IP
            || token_header.is_some_and(|custom| custom == name)
    });
    // Room for what is added below, so the map grows once if at all.
    headers.reserve(6);
    // The host routing judged the request by, not a `Host` header an absolute-form target or
    // HTTP/2 `:authority` overrode: the origin must not serve another host's content. Usually
    // it is the client's own `Host`, kept as it is.
    let routed = context.host;
    let kept =
        headers.get(HOST).filter(|h| routed.is_none_or(|host| h.as_bytes() == host.as_bytes())).cloned();
    match kept.map_or_else(|| HeaderValue::from_str(routed.unwrap_or_default()), Ok) {
        Ok(host) => {
            headers.insert(HOST, host.clone());
            headers.insert(X_FORWARDED_HOST, host);
        }
        Err(_) => {
            headers.remove(HOST);
        }
    }
    append_forwarded_for(headers, context.peer);
    headers.insert(CONNECTING_IP, context.peer.clone());
    let proto = if context.tls { "https" } else { "http" };
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(proto));
    if let Some(assertion) = context.assertion {
        headers.insert(ASSERTION, assertion);
    }
    if let Some(email) = context.user_email {
        headers.insert(USER_EMAIL, email);
    }
}

pub(crate) fn clean_response(headers: &mut HeaderMap, upgrade: bool) {
    remove_hop_by_hop_and(headers, upgrade, |_| false);
}

/// Removes the hop-by-hop headers and those `also` names, in one pass over the names; nothing
/// is allocated when there is nothing to remove beyond `Connection: keep-alive`.
fn remove_hop_by_hop_and(headers: &mut HeaderMap, upgrade: bool, also: impl Fn(&HeaderName) -> bool) {
    // The names `Connection` lists; `keep-alive` and `upgrade` are judged below anyway.
    let mut named: Vec<HeaderName> = Vec::new();
    for token in connection_tokens(headers) {
        if token.eq_ignore_ascii_case("keep-alive") || token.eq_ignore_ascii_case("upgrade") {
            continue;
        }
        if let Ok(name) = HeaderName::try_from(token) {
            named.push(name);
        }
    }
    let mut doomed = Doomed::default();
    for name in headers.keys() {
        let hop_by_hop = *name == CONNECTION
            || *name == KEEP_ALIVE
            || *name == TE
            || *name == TRAILER
            || *name == TRANSFER_ENCODING
            || (*name == UPGRADE && !upgrade)
            || name.as_str().starts_with("proxy-");
        if hop_by_hop || named.contains(name) || also(name) {
            doomed.push(name.clone());
        }
    }
    for name in doomed.inline.iter_mut().map_while(Option::take).chain(doomed.more) {
        headers.remove(name);
    }
    if upgrade {
        headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    }
}

/// The names to remove, the first few held inline: a forwarded request usually loses only its
/// secret, and collecting it cost an allocation per request.
#[derive(Default)]
struct Doomed {
    inline: [Option<HeaderName>; 4],
    more: Vec<HeaderName>,
}

impl Doomed {
    fn push(&mut self, name: HeaderName) {
        match self.inline.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(name),
            None => self.more.push(name),
        }
    }
}

fn connection_tokens(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Appends the TCP peer to what the client sent (kept for the origin's information; the
/// gateway itself never trusts it).
fn append_forwarded_for(headers: &mut HeaderMap, peer: &HeaderValue) {
    // Usually there is none: no lookup of all values, no list, the connection's own value.
    let previous: Vec<&str> = if headers.contains_key(&X_FORWARDED_FOR) {
        headers.get_all(&X_FORWARDED_FOR).iter().filter_map(|v| v.to_str().ok()).collect()
    } else {
        Vec::new()
    };
    let value = if previous.is_empty() {
        Ok(peer.clone())
    } else {
        let peer = peer.to_str().unwrap_or_default();
        HeaderValue::from_str(&format!("{}, {peer}", previous.join(", ")))
    };
    if let Ok(value) = value {
        headers.insert(X_FORWARDED_FOR, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(HeaderName::try_from(*name).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    static PEER: HeaderValue = HeaderValue::from_static("10.0.0.9");

    fn context<'a>(token_header: Option<&'a HeaderName>) -> Context<'a> {
        Context {
            peer: &PEER,
            tls: true,
            host: Some("app.example.com"),
            token_header,
            assertion: Some(HeaderValue::from_static("the.app.jwt")),
            user_email: None,
        }
    }

    #[test]
    fn credentials_spoofs_and_hop_by_hop_headers_do_not_reach_the_origin() {
        let custom = HeaderName::from_static("x-auth-json");
        let mut headers = map(&[
            ("host", "app.example.com"),
            ("cf-access-client-id", "abc.access"),
            ("cf-access-client-secret", "s3cret"),
            ("cf-access-jwt-assertion", "forged"),
            ("cf-access-authenticated-user-email", "admin@example.com"),
            ("x-auth-json", "{}"),
            ("connection", "keep-alive, x-private"),
            ("x-private", "1"),
            ("keep-alive", "timeout=5"),
            ("te", "trailers"),
            ("proxy-authorization", "Basic x"),
            ("upgrade", "h2c"),
            ("x-forwarded-for", "203.0.113.1"),
            ("x-forwarded-proto", "gopher"),
            ("cf-connecting-ip", "203.0.113.1"),
            ("true-client-ip", "203.0.113.2"),
        ]);
        prepare_request(&mut headers, context(Some(&custom)), false);
        for gone in [
            "cf-access-client-secret",
            "x-auth-json",
            "connection",
            "x-private",
            "keep-alive",
            "te",
            "proxy-authorization",
            "upgrade",
            "cf-access-authenticated-user-email",
            "true-client-ip",
        ] {
            assert!(!headers.contains_key(gone), "{gone} must be removed");
        }
        assert_eq!(headers.get_all("cf-connecting-ip").iter().collect::<Vec<_>>(), ["10.0.0.9"]);
        assert_eq!(headers["cf-access-client-id"], "abc.access");
        assert_eq!(headers["cf-access-jwt-assertion"], "the.app.jwt");
        assert_eq!(headers["x-forwarded-for"], "203.0.113.1, 10.0.0.9");
        assert_eq!(headers["x-forwarded-proto"], "https");
        assert_eq!(headers["x-forwarded-host"], "app.example.com");
    }

    #[test]
    fn every_name_connection_lists_is_removed_both_ways() {
        let mut request = map(&[
            ("host", "app.example.com"),
            ("connection", "Close, X-Private"),
            ("close", "1"),
            ("x-private", "1"),
            ("x-public", "1"),
        ]);
        prepare_request(&mut request, context(None), false);
        for gone in ["connection", "close", "x-private"] {
            assert!(!request.contains_key(gone), "{gone} must be removed");
        }
        assert_eq!(request["x-public"], "1");
        assert_eq!(request["host"], "app.example.com");

        let mut response = map(&[
            ("connection", "keep-alive"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("proxy-authenticate", "Basic"),
            ("content-type", "text/plain"),
        ]);
        clean_response(&mut response, false);
        assert_eq!(response.len(), 1);
        assert_eq!(response["content-type"], "text/plain");
    }

    #[test]
    fn undecodable_forwarded_for_entries_are_dropped_not_left_as_an_empty_entry() {
        let mut headers = HeaderMap::new();
        headers.insert(X_FORWARDED_FOR, HeaderValue::from_bytes(b"\xff").unwrap());
        prepare_request(&mut headers, context(None), false);
        assert_eq!(headers.get_all(X_FORWARDED_FOR).iter().collect::<Vec<_>>(), ["10.0.0.9"]);
    }

    #[test]
    fn bypass_sends_no_assertion_and_http2_gets_a_host() {
        let mut headers = map(&[("cf-access-jwt-assertion", "forged")]);
        let context = Context { assertion: None, ..context(None) };
        prepare_request(&mut headers, context, false);
        assert!(!headers.contains_key("cf-access-jwt-assertion"));
        assert_eq!(headers["host"], "app.example.com");
    }

    #[test]
    fn the_origin_hears_the_routed_host_not_the_clients_host_header() {
        // An absolute-form target (or HTTP/2 `:authority`) routed on app.example.com, with a
        // `Host` naming another application behind the same origin.
        let mut headers = map(&[("host", "private.example.com")]);
        prepare_request(&mut headers, context(None), false);
        assert_eq!(headers.get_all("host").iter().collect::<Vec<_>>(), ["app.example.com"]);
    }

    #[test]
    fn a_request_routed_on_its_own_host_header_keeps_it() {
        let mut headers = map(&[("host", "app.example.com:8443")]);
        let context = Context { host: None, ..context(None) };
        prepare_request(&mut headers, context, false);
        assert_eq!(headers.get_all("host").iter().collect::<Vec<_>>(), ["app.example.com:8443"]);
        assert_eq!(headers["x-forwarded-host"], "app.example.com:8443");
    }

    #[test]
    fn websocket_upgrades_keep_what_they_need() {
        let mut headers =
            map(&[("connection", "Upgrade"), ("upgrade", "websocket"), ("sec-websocket-key", "k")]);
        assert!(is_websocket_upgrade(&headers));
        prepare_request(&mut headers, context(None), true);
        assert_eq!(headers["connection"], "upgrade");
        assert_eq!(headers["upgrade"], "websocket");
        assert_eq!(headers["sec-websocket-key"], "k");
        assert!(!is_websocket_upgrade(&map(&[("upgrade", "websocket")])));
    }
}
