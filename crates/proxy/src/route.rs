//! Stage 1: which application a request is for. The host comes from the request target's
//! authority (HTTP/2 `:authority`, absolute-form HTTP/1.1) or else the `Host` header; the path
//! is normalized (`gatehouse_domain::access::normalize_path`) so that no spelling of a path
//! reaches an application other than the one that owns it. Answers: an application, the
//! gateway's own `/cdn-cgi/access/` endpoints, no application (404, never a pass-through), or a
//! malformed request (400). The login flow's endpoints (`/cdn-cgi/access/login/<host>`,
//! `/callback`, `/authorized`, `/logout`) answer on any host too.

use std::sync::Arc;

use gatehouse_domain::access::normalize_path;
use http::Uri;
use http::header::{HOST, HeaderMap};
use http::request::Parts;

use crate::login;
use crate::snapshot::{AccessSnapshot, App};

pub(crate) const CERTS_PATH: &str = "/cdn-cgi/access/certs";
pub(crate) const IDENTITY_PATH: &str = "/cdn-cgi/access/get-identity";

/// Where a request goes.
#[derive(Debug)]
pub(crate) enum Target {
    Certs,
    Identity,
    /// The login flow's endpoints (`login`).
    Login,
    Callback,
    Authorized,
    Logout,
    /// The one-time PIN forms (`login::pin`).
    PinSend,
    PinVerify,
    App(Arc<App>),
    NoApplication,
    BadRequest,
}

pub(crate) fn route(snapshot: &AccessSnapshot, parts: &Parts) -> Target {
    let Some(host) = host(&parts.uri, &parts.headers) else { return Target::BadRequest };
    let raw_path = parts.uri.path();
    let Some(path) = normalize_path(raw_path) else { return Target::BadRequest };
    match path.as_str() {
        CERTS_PATH => return Target::Certs,
        IDENTITY_PATH => return Target::Identity,
        login::CALLBACK_PATH => return Target::Callback,
        login::AUTHORIZED_PATH => return Target::Authorized,
        login::LOGOUT_PATH => return Target::Logout,
        login::pin::SEND_PATH => return Target::PinSend,
        login::pin::VERIFY_PATH => return Target::PinVerify,
        login_path if login_path.starts_with(login::LOGIN_PREFIX) => return Target::Login,
        _ => {}
    }
    match snapshot.routes.lookup(host, &path) {
        Some(app) => Target::App(app.clone()),
        None => Target::NoApplication,
    }
}

/// The host the client addressed, as sent (port and case included); `None` when there is none
/// or it is ambiguous (several `Host` headers).
pub(crate) fn host<'a>(uri: &'a Uri, headers: &'a HeaderMap) -> Option<&'a str> {
    if let Some(authority) = uri.authority() {
        return Some(authority.as_str());
    }
    let mut hosts = headers.get_all(HOST).iter();
    let first = hosts.next()?;
    if hosts.next().is_some() {
        return None;
    }
    first.to_str().ok().filter(|h| !h.is_empty())
}

/// The host without its port or trailing dot, for comparing with configured names.
pub(crate) fn bare_host(host: &str) -> &str {
    let host = host
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h);
    host.strip_suffix('.').unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, hosts: &[&str]) -> Parts {
        let mut builder = http::Request::builder().uri(uri);
        for host in hosts {
            builder = builder.header(HOST, *host);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_host_comes_from_the_authority_or_one_host_header() {
        let of = |p: &Parts| host(&p.uri, &p.headers).map(str::to_owned);
        assert_eq!(of(&parts("/x", &["app.example.com:8443"])).as_deref(), Some("app.example.com:8443"));
        assert_eq!(
            of(&parts("http://api.example.com/x", &["other.example.com"])).as_deref(),
            Some("api.example.com")
        );
        assert_eq!(of(&parts("/x", &[])), None);
        assert_eq!(of(&parts("/x", &["a.example.com", "b.example.com"])), None);
        assert_eq!(bare_host("Team.example.com:443"), "Team.example.com");
        assert_eq!(bare_host("team.example.com."), "team.example.com");
    }

    #[test]
    fn the_gateway_endpoints_answer_on_any_host_and_bad_paths_are_refused() {
        let snapshot = AccessSnapshot::default();
        assert!(matches!(
            route(&snapshot, &parts("/cdn-cgi/access/certs", &["x.example.com"])),
            Target::Certs
        ));
        assert!(matches!(route(&snapshot, &parts("/cdn-cgi//access/./certs", &["x"])), Target::Certs));
        assert!(matches!(route(&snapshot, &parts("/cdn-cgi/access/get-identity", &["x"])), Target::Identity));
        assert!(matches!(route(&snapshot, &parts("/anything", &["x.example.com"])), Target::NoApplication));
        assert!(matches!(
            route(&snapshot, &parts("/cdn-cgi/access/login/app.example.com?kid=a", &["x"])),
            Target::Login
        ));
        assert!(matches!(
            route(&snapshot, &parts("/cdn-cgi/access/callback?code=c", &["x"])),
            Target::Callback
        ));
        assert!(matches!(route(&snapshot, &parts("/cdn-cgi/access/authorized", &["x"])), Target::Authorized));
        assert!(matches!(route(&snapshot, &parts("/cdn-cgi/access/logout", &["x"])), Target::Logout));
        assert!(matches!(route(&snapshot, &parts("/a%2Fb", &["x.example.com"])), Target::BadRequest));
        assert!(matches!(route(&snapshot, &parts("/a", &[])), Target::BadRequest));
    }
}
