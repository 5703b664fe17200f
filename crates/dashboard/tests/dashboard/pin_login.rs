//! The dashboard's one-time PIN login (the account's `onetimepin` provider), the codes mailed
//! into an outbox directory (the `smtp.outbox_dir` mechanism) and read back from there: the
//! right code, wrong ones and the five-guess lock, a replayed code, an address no policy
//! admits (the same page, no mail), forms without the login's cookie, the limits.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode, header};
use gatehouse_domain::AuditActor;
use serde_json::json;
use tempfile::TempDir;

use super::github_login::no_session;
use super::people::{ADMINS, VIEWERS, admission, app_admitting};
use super::{Dash, Page, encode};

/// A dashboard with PIN logins (alice@example.com admin, example.com viewers), its outbox and
/// the provider's id.
async fn pin_dashboard() -> (Dash, TempDir, String) {
    let outbox = tempfile::tempdir().unwrap();
    let mailer = gatehouse_proxy::Mailer::outbox(outbox.path().to_owned(), "Gatehouse <login@example.com>");
    let dash = Dash::with_mailer(Some(admission()), Some(Arc::new(mailer.unwrap()))).await;
    let admin = dash.login(super::ADMIN).await;
    app_admitting(&dash, &admin, ADMINS, r#"[{"email": {"email": "alice@example.com"}}]"#).await;
    app_admitting(&dash, &admin, VIEWERS, r#"[{"email_domain": {"domain": "example.com"}}]"#).await;
    let actor = AuditActor { id: "t".into(), name: "test".into(), kind: "token".into(), ip: None };
    let body = json!({"name": "E-mail code", "type": "onetimepin", "config": {}});
    let created = gatehouse_api::access::identity_providers::create(&dash.state, &actor, &dash.account, body)
        .await
        .unwrap();
    (dash, outbox, created["id"].as_str().unwrap().to_owned())
}

/// The login cookie `page` set (as the `Cookie` header value).
fn pin_cookie(page: &Page) -> String {
    let set = page
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("gatehouse_dash_pin=") && !v.contains("Max-Age=0"))
        .unwrap_or_else(|| panic!("a login cookie: {:?} {}", page.headers, page.body));
    for part in ["Path=/dash/login/pin", "HttpOnly", "Secure", "SameSite=Strict", "Max-Age=600"] {
        assert!(set.contains(part), "{set}");
    }
    set.split(';').next().unwrap().to_owned()
}

/// A form of the login, from the dashboard's own page, in the browser holding `cookie`.
async fn submit(dash: &Dash, path: &str, cookie: &str, field: &str, value: &str) -> Page {
    dash.post(path, cookie, &[(field, value)]).await
}

/// Asks for a code for `email` in a fresh browser: the code form's page and its cookie.
async fn ask(dash: &Dash, idp: &str, email: &str) -> (Page, String) {
    let form = dash.get(&format!("/dash/login/pin/{idp}"), "").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("name=\"email\"") && form.body.contains("action=\"/dash/login/pin/send\""));
    let sent = submit(dash, "/dash/login/pin/send", &pin_cookie(&form), "email", email).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains("may use this dashboard, a code is on its way"), "{}", sent.body);
    assert!(sent.body.contains("action=\"/dash/login/pin/verify\""));
    let cookie = pin_cookie(&sent);
    (sent, cookie)
}

fn mails(outbox: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(outbox).unwrap().map(|e| e.unwrap().path()).collect()
}

/// The code mailed to `email`, waited for (the mail goes in the background) with a deadline.
async fn code_for(outbox: &Path, email: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        for path in mails(outbox) {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if !text.contains(&format!("To: {email}")) {
                continue;
            }
            let code =
                text.lines().map(str::trim).find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()));
            if let Some(code) = code {
                return code.to_owned();
            }
        }
        assert!(Instant::now() < deadline, "no code was mailed to {email}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn session_of(page: &Page) -> String {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.headers[header::LOCATION], "/dash/");
    let cleared = page.headers.get_all(header::SET_COOKIE).iter().any(|v| {
        let v = v.to_str().unwrap();
        v.starts_with("gatehouse_dash_pin=;") && v.contains("Max-Age=0")
    });
    assert!(cleared, "the login cookie is cleared: {:?}", page.headers);
    super::idp_login::session_cookie(&page.headers)
}

#[tokio::test]
async fn the_right_code_logs_an_admin_and_a_viewer_in() {
    let (dash, outbox, idp) = pin_dashboard().await;
    let login = dash.get("/dash/login", "").await;
    assert!(login.body.contains(&format!("href=\"/dash/login/pin/{idp}\"")), "{}", login.body);
    assert!(login.body.contains("Log in with E-mail code"));

    let (_, cookie) = ask(&dash, &idp, "Alice@Example.com").await;
    let code = code_for(outbox.path(), "alice@example.com").await;
    let alice = session_of(&submit(&dash, "/dash/login/pin/verify", &cookie, "code", &code).await);
    let tokens = dash.get("/dash/tokens", &alice).await;
    assert_eq!(tokens.status, StatusCode::OK);
    assert!(tokens.body.contains("alice@example.com") && tokens.body.contains("Create service token"));

    let (_, cookie) = ask(&dash, &idp, "bob@example.com").await;
    let code = code_for(outbox.path(), "bob@example.com").await;
    let bob = session_of(&submit(&dash, "/dash/login/pin/verify", &cookie, "code", &code).await);
    let tokens = dash.get("/dash/tokens", &bob).await;
    assert!(tokens.body.contains("bob@example.com") && !tokens.body.contains("Create service token"));
    assert_eq!(dash.post("/dash/tokens", &bob, &[("name", "by-bob")]).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn wrong_codes_are_refused_and_five_lock_the_code() {
    let (dash, outbox, idp) = pin_dashboard().await;
    let (_, cookie) = ask(&dash, &idp, "alice@example.com").await;
    let code = code_for(outbox.path(), "alice@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = submit(&dash, "/dash/login/pin/verify", &cookie, "code", wrong).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert!(refused.body.contains("That code is not right"), "{}", refused.body);
    assert!(no_session(&refused));
    // A wrong guess does not spend the code.
    session_of(&submit(&dash, "/dash/login/pin/verify", &pin_cookie(&refused), "code", &code).await);

    for mail in mails(outbox.path()) {
        std::fs::remove_file(mail).unwrap();
    }
    let (_, cookie) = ask(&dash, &idp, "alice@example.com").await;
    let code = code_for(outbox.path(), "alice@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let refused = submit(&dash, "/dash/login/pin/verify", &cookie, "code", wrong).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    }
    let locked = submit(&dash, "/dash/login/pin/verify", &cookie, "code", &code).await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED, "{}", locked.body);
    assert!(locked.body.contains("That code can no longer be used"), "{}", locked.body);
    assert!(no_session(&locked));
}

#[tokio::test]
async fn a_code_works_once() {
    let (dash, outbox, idp) = pin_dashboard().await;
    let (_, cookie) = ask(&dash, &idp, "alice@example.com").await;
    let code = code_for(outbox.path(), "alice@example.com").await;
    session_of(&submit(&dash, "/dash/login/pin/verify", &cookie, "code", &code).await);
    let replayed = submit(&dash, "/dash/login/pin/verify", &cookie, "code", &code).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "{}", replayed.body);
    assert!(replayed.body.contains("That code can no longer be used"), "{}", replayed.body);
    assert!(no_session(&replayed));
}

#[tokio::test]
async fn an_address_no_policy_admits_gets_the_same_page_and_no_mail() {
    let (dash, outbox, idp) = pin_dashboard().await;
    let (page, cookie) = ask(&dash, &idp, "mallory@example.org").await;
    assert!(page.body.contains("If mallory@example.org may use this dashboard"), "{}", page.body);
    // Its code exists, but was not mailed: an admitted address's mail arrives, and is alone.
    ask(&dash, &idp, "alice@example.com").await;
    code_for(outbox.path(), "alice@example.com").await;
    assert_eq!(mails(outbox.path()).len(), 1, "one mail, to alice");
    // Even its right code (one in a million) would meet the admission check again: no session.
    let guessed = submit(&dash, "/dash/login/pin/verify", &cookie, "code", "123456").await;
    assert!(guessed.status == StatusCode::UNAUTHORIZED || guessed.status == StatusCode::FORBIDDEN);
    assert!(no_session(&guessed));
}

#[tokio::test]
async fn forms_without_the_login_cookie_are_refused() {
    let (dash, outbox, idp) = pin_dashboard().await;
    for path in ["/dash/login/pin/send", "/dash/login/pin/verify"] {
        for cookie in ["", "gatehouse_dash_pin=forged"] {
            let page = dash.post(path, cookie, &[("email", "alice@example.com"), ("code", "123456")]).await;
            assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path} {cookie:?}: {}", page.body);
            assert!(page.body.contains("This login has expired"), "{}", page.body);
            assert!(no_session(&page));
        }
    }
    assert!(mails(outbox.path()).is_empty(), "nothing was mailed");
    // A cross-site form, a provider that is not a PIN provider, a bad address.
    let form = dash.get(&format!("/dash/login/pin/{idp}"), "").await;
    let cookie = pin_cookie(&form);
    let body = format!("email={}", encode("alice@example.com"));
    let headers = [
        ("cookie", cookie.as_str()),
        ("sec-fetch-site", "cross-site"),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    assert_eq!(
        dash.send(Method::POST, "/dash/login/pin/send", &headers, &body).await.status,
        StatusCode::FORBIDDEN
    );
    let other = gatehouse_domain::access::IdpId::generate();
    assert_eq!(dash.get(&format!("/dash/login/pin/{other}"), "").await.status, StatusCode::NOT_FOUND);
    let bad = submit(&dash, "/dash/login/pin/send", &cookie, "email", "not an address").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Please enter a valid e-mail address"));
    // After the ten minutes a login may take, its cookie is refused.
    dash.clock.set(gatehouse_domain::Timestamp::from_unix(super::START + 601));
    let late = submit(&dash, "/dash/login/pin/send", &cookie, "email", "alice@example.com").await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(mails(outbox.path()).is_empty());
}

#[tokio::test]
async fn codes_asked_for_are_limited_per_address() {
    let (dash, _outbox, idp) = pin_dashboard().await;
    for _ in 0..5 {
        ask(&dash, &idp, "alice@example.com").await;
    }
    let form = dash.get(&format!("/dash/login/pin/{idp}"), "").await;
    let limited =
        submit(&dash, "/dash/login/pin/send", &pin_cookie(&form), "email", "alice@example.com").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{}", limited.body);
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
}
