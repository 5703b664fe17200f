//! The dashboard's one integration-test binary: the router over a real SQLite store, driven
//! in-process (no socket), for what needs no browser: the security headers, the write check,
//! sessions, and the tokens list at 100,000 tokens (the benchmark, `#[ignore]`d: see
//! docs/benchmarks.md for the command).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

mod apps;
mod bench;
mod docs_images;
mod explain;
mod github_login;
mod idp_login;
mod paging;
mod people;
mod pin_login;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use gatehouse_api::AppState;
use gatehouse_dashboard::SessionSettings;
use gatehouse_domain::{
    AccountId, ApiToken, ApiTokenKind, HashPurpose, ManualClock, Permission, Secret, SecretFormat, ServerKey,
    Timestamp,
};
use gatehouse_store::{Account, AccountStore, ApiTokenStore};
use gatehouse_store_sqlite::SqliteStore;
use http_body_util::BodyExt;
use tempfile::TempDir;
use tower::ServiceExt;

const START: i64 = 1_800_000_000;
const ADMIN: &str = "gatehouse_at_dashboard-admin-token-for-tests-0000";
const READER: &str = "gatehouse_at_dashboard-reader-token-for-tests-000";

#[derive(Debug)]
pub struct Dash {
    router: Router,
    pub state: AppState,
    /// The router's sessions, for starting one as an identity login does.
    pub sessions: Arc<gatehouse_dashboard::Sessions>,
    pub clock: Arc<ManualClock>,
    pub account: AccountId,
    _dir: TempDir,
}

#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Dash {
    pub async fn new() -> Self {
        Self::with_admission(None).await
    }

    /// A dashboard whose identity logins admit people through `admission` (none: off).
    pub async fn with_admission(admission: Option<gatehouse_dashboard::admission::Admission>) -> Self {
        Self::with_mailer(admission, None).await
    }

    /// As [`Dash::with_admission`], one-time PINs mailed through `mailer`.
    pub async fn with_mailer(
        admission: Option<gatehouse_dashboard::admission::Admission>,
        mailer: Option<Arc<gatehouse_proxy::Mailer>>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("gatehouse.db")).await.unwrap();
        let key = ServerKey::generate();
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix(START)));
        let account = AccountId::generate();
        let token = |name: &str, secret: &str, permission| ApiToken {
            id: AccountId::generate().as_str().to_owned(),
            account_id: account.clone(),
            name: name.to_owned(),
            hash: key.hash(HashPurpose::ApiToken, &Secret::new(secret.to_owned())),
            permission,
            kind: ApiTokenKind::Bearer,
            created_at: Timestamp::from_unix(START),
            expires_at: None,
            enabled: true,
        };
        let created = Timestamp::from_unix(START);
        let admin = token("admin", ADMIN, Permission::Edit);
        store
            .bootstrap(&Account { id: account.clone(), name: "t".into(), created_at: created }, &admin)
            .await
            .unwrap();
        store.insert_api_token(&token("reader", READER, Permission::Read)).await.unwrap();
        let state = AppState {
            store: Arc::new(store),
            clock: clock.clone(),
            key: Arc::new(key),
            secret_format: SecretFormat::Prefixed,
            body_limit: 64 * 1024,
            changes: Arc::new(gatehouse_store::IgnoreChanges),
        };
        let settings = SessionSettings { idle_secs: 600, absolute_secs: 3_600 };
        let sessions = Arc::new(gatehouse_dashboard::Sessions::new(clock.clone(), settings));
        let logins = admission.map(|admission| {
            Arc::new(
                gatehouse_dashboard::IdentityLogins::new(account.clone(), admission, None)
                    .unwrap()
                    .with_mailer(mailer),
            )
        });
        let router = gatehouse_dashboard::router_with(gatehouse_dashboard::Dash {
            api: state.clone(),
            sessions: sessions.clone(),
            logins,
        });
        Dash { router, state, sessions, clock, account, _dir: dir }
    }

    pub async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)], body: &str) -> Page {
        let mut request = Request::builder().method(method).uri(path).header(header::HOST, "127.0.0.1:8787");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        // In a task of its own, as the server handles each connection (the audit scope of a
        // request is its task's).
        // From a peer, as the server passes it.
        request = request
            .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from(([192, 0, 2, 10], 50_000))));
        let call = self.router.clone().oneshot(request.body(Body::from(body.to_owned())).unwrap());
        let response = tokio::spawn(call).await.unwrap().unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// A form POST from the dashboard's own pages.
    pub async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Page {
        let body =
            form.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        let headers = [
            ("cookie", cookie),
            ("sec-fetch-site", "same-origin"),
            ("content-type", "application/x-www-form-urlencoded"),
        ];
        self.send(Method::POST, path, &headers, &body).await
    }

    /// Logs in with `token` and returns the `Cookie` header value of the session.
    pub async fn login(&self, token: &str) -> String {
        let form = format!("token={token}");
        let page = self
            .send(
                Method::POST,
                "/dash/login",
                &[("sec-fetch-site", "same-origin"), ("content-type", "application/x-www-form-urlencoded")],
                &form,
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let cookie = page.headers[header::SET_COOKIE].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, cookie: &str) -> Page {
        self.send(Method::GET, path, &[("cookie", cookie)], "").await
    }
}

/// Form encoding of one key or value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn pages_need_a_session_and_carry_the_security_headers() {
    let dash = Dash::new().await;
    let anonymous = dash.get("/dash/tokens", "").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers[header::LOCATION], "/dash/login");
    let cookie = dash.login(ADMIN).await;
    for path in [
        "/dash/",
        "/dash/tokens",
        "/dash/logs",
        "/dash/audit?verify=1",
        "/dash/apps",
        "/dash/groups",
        "/dash/nope",
    ] {
        let page = dash.get(path, &cookie).await;
        assert!(
            page.status == StatusCode::OK || path == "/dash/nope",
            "{path}: {} {}",
            page.status,
            page.body
        );
        assert_eq!(page.headers[header::CACHE_CONTROL], "no-store", "{path}");
        let csp = page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'; script-src 'self'; style-src 'self'"), "{path}: {csp}");
        assert!(!page.body.contains("<script>") && !page.body.contains(" style="), "{path}: inline code");
    }
    assert_eq!(dash.get("/dash/nope", &cookie).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cross_site_writes_and_read_only_writes_are_refused() {
    let dash = Dash::new().await;
    let reader = dash.login(READER).await;
    let form = [("content-type", "application/x-www-form-urlencoded")];
    for extra in [vec![], vec![("origin", "http://evil.example")], vec![("sec-fetch-site", "cross-site")]] {
        let mut headers = vec![("cookie", reader.as_str()), form[0]];
        headers.extend(extra.iter().copied());
        let page = dash.send(Method::POST, "/dash/tokens", &headers, "name=x").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{extra:?}");
        assert!(page.body.contains("did not come from the dashboard"), "{}", page.body);
    }
    let headers = [("cookie", reader.as_str()), form[0], ("origin", "http://127.0.0.1:8787")];
    let page = dash.send(Method::POST, "/dash/tokens", &headers, "name=x").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("code 9109"), "the API's permission check answered: {}", page.body);
    let listed = dash.get("/dash/tokens", &reader).await;
    assert!(!listed.body.contains("Create service token"), "no write controls for a read-only token");
}

#[tokio::test]
async fn sessions_time_out_and_end_at_logout() {
    let dash = Dash::new().await;
    let cookie = dash.login(ADMIN).await;
    dash.clock.set(Timestamp::from_unix(START + 599));
    assert_eq!(dash.get("/dash/tokens", &cookie).await.status, StatusCode::OK);
    dash.clock.set(Timestamp::from_unix(START + 1_198));
    assert_eq!(dash.get("/dash/tokens", &cookie).await.status, StatusCode::OK, "idle time restarts");
    dash.clock.set(Timestamp::from_unix(START + 1_798));
    assert_eq!(dash.get("/dash/tokens", &cookie).await.status, StatusCode::SEE_OTHER, "idle for 600 s");

    let cookie = dash.login(ADMIN).await;
    let headers = [("cookie", cookie.as_str()), ("sec-fetch-site", "same-origin")];
    let out = dash.send(Method::POST, "/dash/logout", &headers, "").await;
    assert!(out.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(dash.get("/dash/tokens", &cookie).await.status, StatusCode::SEE_OTHER, "logged out");
}
