//! One-time PIN logins through the real binary: gatehouse started with `[smtp] outbox_dir`, so
//! each code it mails is an `.eml` file the test reads; an application whose policy admits one
//! address, with a `onetimepin` provider and the login page skipped; a cookie-keeping HTTP
//! client (the harness of [`crate::identity`]) asking for a code, typing it, and following the
//! hand-off to the application.

use std::collections::HashSet;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

use crate::identity::{browser, claims, verify_with_certs};
use crate::scene::{Origin, Scene, origin_header};
use crate::support::StartOptions;

pub(crate) const AUTH_DOMAIN: &str = "team.localhost";
pub(crate) const APP: &str = "notes.localhost";
const ALICE: &str = "alice@example.com";
pub(crate) const HTML: &str = "text/html,application/xhtml+xml,*/*;q=0.8";
/// How long a mailed code may take to reach the outbox (it is sent in the background).
const MAIL_TIMEOUT: Duration = Duration::from_secs(15);

/// Gatehouse mailing into an outbox, the echo origin, and the PIN-login application.
pub(crate) struct PinScene {
    pub(crate) scene: Scene,
    outbox: PathBuf,
    gateway: SocketAddr,
    /// The `.eml` files already read.
    seen: HashSet<PathBuf>,
    _config: tempfile::TempDir,
}

impl PinScene {
    fn start() -> Self {
        Self::start_with(|_| json!([{"email": {"email": ALICE}}]))
    }

    /// The scene with the application's one policy including the rules `include` returns,
    /// given the started scene (to create what the rules name).
    pub(crate) fn start_with(include: impl FnOnce(&Scene) -> Value) -> Self {
        let config = tempfile::tempdir().expect("a folder for the configuration and the outbox");
        let outbox = config.path().join("outbox");
        fs::create_dir(&outbox).expect("create the outbox");
        let file = config.path().join("gatehouse.toml");
        fs::write(
            &file,
            format!(
                "[smtp]\nfrom = \"Gatehouse <login@example.com>\"\noutbox_dir = {:?}\n",
                outbox.display()
            ),
        )
        .expect("write the configuration");
        let server = StartOptions::new().arg("--config").arg(file.to_string_lossy()).start();
        let scene = Scene { origin: Origin::start(), server };
        let gateway: SocketAddr = scene.gateway_addr().parse().expect("the gateway's address");
        scene.api("PUT", "organizations", Some(json!({"auth_domain": AUTH_DOMAIN})));
        let idp = scene.api(
            "POST",
            "identity_providers",
            Some(json!({"name": "One-time PIN login", "type": "onetimepin", "config": {}})),
        );
        let idp = idp["id"].as_str().unwrap().to_owned();
        let policy = scene.policy(json!({"name": "alice", "decision": "allow", "include": include(&scene)}));
        let app = scene.app(APP, &[&policy]);
        scene.api(
            "PUT",
            &format!("apps/{}", app["id"].as_str().unwrap()),
            Some(json!({"name": "Notes", "type": "self_hosted", "domain": APP, "origin": scene.origin.url(),
                "policies": [{"id": policy, "precedence": 1}], "allowed_idps": [idp],
                "auto_redirect_to_identity": true})),
        );
        PinScene { scene, outbox, gateway, seen: HashSet::new(), _config: config }
    }

    pub(crate) fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.gateway.port())
    }

    /// A browser that follows redirects and keeps cookies.
    pub(crate) fn browser(&self) -> Client {
        browser(self.gateway, &[AUTH_DOMAIN, APP], true)
    }

    /// Opens `path` on the application without a session: the gateway's address form.
    #[track_caller]
    pub(crate) fn login_page(&self, browser: &Client, path: &str) -> Response {
        let page = browser.get(self.url(APP, path)).header("accept", HTML).send().unwrap();
        assert_eq!(page.status(), 200, "the login page");
        assert!(
            page.url().as_str().starts_with(&self.url(AUTH_DOMAIN, "/cdn-cgi/access/login/")),
            "{}",
            page.url()
        );
        page
    }

    /// `POST otp/send` with `email`; the page and the login cookie it sets (`name=value`).
    #[track_caller]
    pub(crate) fn send(&self, browser: &Client, email: &str) -> (String, String) {
        let sent = browser
            .post(self.url(AUTH_DOMAIN, "/cdn-cgi/access/otp/send"))
            .header("accept", HTML)
            .form(&[("email", email)])
            .send()
            .unwrap();
        assert_eq!(sent.status(), 200, "the code form");
        let cookie = pin_cookie(&sent).expect("the login's cookie, with the challenge");
        (sent.text().unwrap(), cookie)
    }

    /// `POST otp/verify` with `code`, as `browser`.
    pub(crate) fn verify(&self, browser: &Client, code: &str) -> Response {
        browser
            .post(self.url(AUTH_DOMAIN, "/cdn-cgi/access/otp/verify"))
            .header("accept", HTML)
            .form(&[("code", code)])
            .send()
            .unwrap()
    }

    /// `POST otp/verify` with `code` from a fresh client carrying only `cookie`.
    fn verify_with(&self, cookie: &str, code: &str) -> Response {
        browser(self.gateway, &[AUTH_DOMAIN, APP], false)
            .post(self.url(AUTH_DOMAIN, "/cdn-cgi/access/otp/verify"))
            .header("accept", HTML)
            .header("cookie", cookie)
            .form(&[("code", code)])
            .send()
            .unwrap()
    }

    /// Every `.eml` file in the outbox.
    pub(crate) fn mails(&self) -> Vec<PathBuf> {
        fs::read_dir(&self.outbox)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "eml"))
            .collect()
    }

    /// Waits for the next mail in the outbox and returns the code it carries for `to`.
    #[track_caller]
    pub(crate) fn next_code(&mut self, to: &str) -> String {
        let deadline = Instant::now() + MAIL_TIMEOUT;
        loop {
            if let Some(path) = self.mails().into_iter().find(|path| !self.seen.contains(path)) {
                let text = read_complete(&path);
                self.seen.insert(path);
                assert!(text.contains(&format!("To: {to}")), "a mail to {to}:\n{text}");
                return code_in(&text).unwrap_or_else(|| panic!("a 6-digit code in the mail:\n{text}"));
            }
            assert!(Instant::now() < deadline, "no mail in the outbox within {MAIL_TIMEOUT:?}");
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The mail's text once the file holds its code (it may still be being written when found).
fn read_complete(path: &Path) -> String {
    let deadline = Instant::now() + MAIL_TIMEOUT;
    loop {
        let text = fs::read_to_string(path).unwrap_or_default();
        if code_in(&text).is_some() || Instant::now() >= deadline {
            return text;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// The code line of the mail: six digits alone on an indented line.
fn code_in(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|line| line.len() == 6 && line.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
}

/// The `CF_PinLogin` cookie a response sets (`name=value`), if it sets one.
fn pin_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|cookie| cookie.to_str().unwrap())
        .find(|cookie| cookie.starts_with("CF_PinLogin=") && !cookie.contains("Max-Age=0"))
        .and_then(|cookie| cookie.split(';').next().map(str::to_owned))
}

/// The names of the cookies a response sets (not those it clears).
fn cookies_set(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|cookie| cookie.to_str().unwrap())
        .filter(|cookie| !cookie.contains("Max-Age=0"))
        .filter_map(|cookie| cookie.split('=').next().map(str::to_owned))
        .collect()
}

/// Another digit in the first place: a code that is surely wrong.
fn wrong(code: &str) -> String {
    let first = if code.starts_with('9') { '0' } else { '9' };
    format!("{first}{}", &code[1..])
}

#[test]
fn pin_login_mails_a_code_that_logs_in_once() {
    let mut pins = PinScene::start();
    let alice = pins.browser();
    let page = pins.login_page(&alice, "/notes?q=1").text().unwrap();
    assert!(page.contains("/cdn-cgi/access/otp/send") && page.contains("name=\"email\""), "{page}");
    let (form, cookie) = pins.send(&alice, ALICE);
    assert!(form.contains("/cdn-cgi/access/otp/verify") && form.contains("name=\"code\""), "{form}");
    let code = pins.next_code(ALICE);

    // A wrong code is refused: no session cookie, no hand-off, the code form again.
    let refused = pins.verify(&alice, &wrong(&code));
    assert_eq!(refused.status(), 401, "a wrong code");
    assert_eq!(refused.url().as_str(), pins.url(AUTH_DOMAIN, "/cdn-cgi/access/otp/verify"));
    assert_eq!(cookies_set(&refused), ["CF_PinLogin"], "only the login's own cookie");
    assert!(refused.text().unwrap().contains("not right"));

    // The right code: the hand-off to the application, back at the page first asked for, with
    // a JWT the origin verifies with the gateway's published keys.
    let reached = pins.verify(&alice, &code);
    assert_eq!(reached.status(), 200, "the right code logs in");
    assert_eq!(reached.url().as_str(), pins.url(APP, "/notes?q=1"));
    let echo: Value = reached.json().unwrap();
    assert_eq!(echo["path"], "/notes?q=1", "{echo}");
    assert_eq!(origin_header(&echo, "cf-access-authenticated-user-email"), Some(ALICE));
    let jwt = origin_header(&echo, "cf-access-jwt-assertion").expect("an assertion").to_owned();
    let certs: Value =
        alice.get(pins.url(AUTH_DOMAIN, "/cdn-cgi/access/certs")).send().unwrap().json().unwrap();
    let verified = verify_with_certs(&certs, &jwt);
    assert_eq!(verified, claims(&jwt));
    assert_eq!(verified["email"], ALICE);
    assert_eq!(verified["type"], "app");
    let again = alice.get(pins.url(APP, "/later")).header("accept", HTML).send().unwrap();
    assert_eq!(again.status(), 200, "the session holds");
    assert_eq!(again.url().as_str(), pins.url(APP, "/later"));
    let identity: Value =
        alice.get(pins.url(APP, "/cdn-cgi/access/get-identity")).send().unwrap().json().unwrap();
    assert_eq!(identity["email"], ALICE, "{identity}");
    assert_eq!(identity["idp"]["type"], "onetimepin", "{identity}");

    // The right code again, with the login's cookie as it was before it was used: spent.
    let reused = pins.verify_with(&cookie, &code);
    assert_eq!(reused.status(), 401, "a used code");
    assert!(!cookies_set(&reused).iter().any(|name| name.starts_with("CF_Authorization")));
    assert!(reused.headers().get("location").is_none(), "no hand-off");
}

#[test]
fn pin_login_refuses_strangers_exhausted_codes_and_guessers() {
    let mut pins = PinScene::start();

    // An address no policy admits gets the same page, but no mail.
    let alice = pins.browser();
    pins.login_page(&alice, "/");
    let (admitted, alice_cookie) = pins.send(&alice, ALICE);
    let code = pins.next_code(ALICE);
    let mallory = pins.browser();
    pins.login_page(&mallory, "/");
    let (stranger, mallory_cookie) = pins.send(&mallory, "mallory@example.com");
    assert_eq!(stranger.replace("mallory@example.com", "ADDRESS"), admitted.replace(ALICE, "ADDRESS"));
    // The decision not to mail is taken before the answer: nothing can arrive later.
    assert_eq!(pins.mails().len(), 1, "only alice's mail");
    let logs = pins.scene.server.logs();
    assert!(logs.contains("an address no policy admits; none was sent"), "{logs}");
    // Whatever mallory types, the code made for her (never sent) does not log her in.
    let refused = pins.verify_with(&mallory_cookie, &code);
    assert_eq!(refused.status(), 401);

    // Five wrong guesses spend a code: the fifth answer says so and starts the login over,
    // and the right code, with the login's cookie as it was, is refused after them.
    for _ in 0..4 {
        let guess = pins.verify(&alice, &wrong(&code));
        assert_eq!(guess.status(), 401);
        assert!(guess.text().unwrap().contains("not right"));
    }
    let fifth = pins.verify(&alice, &wrong(&code));
    assert_eq!(fifth.status(), 401);
    assert!(fifth.text().unwrap().contains("can no longer be used"));
    let spent = pins.verify_with(&alice_cookie, &code);
    assert_eq!(spent.status(), 401, "the right code after five wrong ones");
    assert!(spent.text().unwrap().contains("can no longer be used"));
    // The same browser, whose login holds no code any more, typing the right code: refused like
    // any spent code (401), with the address form to ask for a new one, and not logged in.
    let over = pins.verify(&alice, &code);
    assert_eq!(over.status(), 401, "the right code after the login was started over");
    assert!(!cookies_set(&over).iter().any(|name| name.starts_with("CF_Authorization")));
    assert!(over.headers().get("location").is_none(), "no hand-off");
    let text = over.text().unwrap();
    assert!(text.contains("can no longer be used") && text.contains("name=\"email\""), "{text}");

    // A client that keeps guessing is told to wait.
    pins.login_page(&alice, "/");
    let (_, cookie) = pins.send(&alice, ALICE);
    let code = pins.next_code(ALICE);
    let mut guesses = 0;
    let limited = loop {
        let response = pins.verify_with(&cookie, &wrong(&code));
        guesses += 1;
        if response.status() != 401 || guesses > 40 {
            break response;
        }
    };
    assert_eq!(limited.status(), 429, "after {guesses} wrong guesses");
    assert!(limited.headers().get("retry-after").is_some());
    assert_eq!(pins.verify_with(&cookie, &code).status(), 429, "…even with the right code");
}

/// `GATEHOUSE_SMTP_PASSWORD` is read by `serve` as the alternative to `smtp.password_file`:
/// both at once is refused at start, naming the two and never the password.
#[test]
fn pin_login_smtp_password_comes_from_the_environment_or_a_file_not_both() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("smtp-password");
    fs::write(&secret, "from-the-file\n").unwrap();
    let config = dir.path().join("gatehouse.toml");
    fs::write(
        &config,
        format!(
            "[smtp]\nhost = \"smtp.example.com\"\nusername = \"gatehouse\"\npassword_file = {:?}\nfrom = \"login@example.com\"\n",
            secret.display()
        ),
    )
    .unwrap();
    let mut serve = crate::support::gatehouse_command();
    serve
        .args(["serve", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["--api-listen", "127.0.0.1:0", "--gateway-listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("GATEHOUSE_SMTP_PASSWORD", "hunter2-in-the-environment");
    let output = crate::support::run_with_deadline(serve, dir.path(), Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(64), "{}", output.text);
    assert!(
        output.text.contains("GATEHOUSE_SMTP_PASSWORD and `password_file` are both set"),
        "{}",
        output.text
    );
    assert!(!output.text.contains("hunter2"), "{}", output.text);
}

/// The PIN forms only work with the login's own sealed cookie, which a cross-site form post does
/// not carry (SameSite=Lax), and the hand-off a code leads to only works in the browser that
/// started the login: a code typed elsewhere logs no one in there.
#[test]
fn pin_login_forms_need_the_browsers_own_login() {
    let mut pins = PinScene::start();
    let alice = pins.browser();
    pins.login_page(&alice, "/");
    let sent = alice
        .post(pins.url(AUTH_DOMAIN, "/cdn-cgi/access/otp/send"))
        .header("accept", HTML)
        .form(&[("email", ALICE)])
        .send()
        .unwrap();
    assert_eq!(sent.status(), 200);
    let raw = sent
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("CF_PinLogin="))
        .expect("the login's cookie");
    assert!(raw.contains("; Path=/cdn-cgi/access/otp; HttpOnly; SameSite=Lax;"), "{raw}");
    let cookie = pin_cookie(&sent).unwrap();
    let code = pins.next_code(ALICE);

    // Forms posted without the login's cookie (as a cross-site post arrives): refused, no mail.
    let forged = browser(pins.gateway, &[AUTH_DOMAIN, APP], false);
    for (path, field, value) in [("send", "email", ALICE), ("verify", "code", code.as_str())] {
        let response = forged
            .post(pins.url(AUTH_DOMAIN, &format!("/cdn-cgi/access/otp/{path}")))
            .form(&[(field, value)])
            .send()
            .unwrap();
        assert_eq!(response.status(), 400, "{path} without the login's cookie");
        assert!(cookies_set(&response).is_empty(), "{path}");
    }
    assert_eq!(pins.mails().len(), 1, "no mail for the forged form");

    // The right code with alice's login cookie copied into another client: the hand-off it
    // leads to is refused there (it is bound to the browser that opened the application).
    let typed = pins.verify_with(&cookie, &code);
    assert_eq!(typed.status(), 302, "the code is right");
    let handoff = typed.headers()["location"].to_str().unwrap().to_owned();
    assert!(handoff.starts_with(&pins.url(APP, "/cdn-cgi/access/authorized?token=")), "{handoff}");
    let elsewhere = browser(pins.gateway, &[AUTH_DOMAIN, APP], false).get(&handoff).send().unwrap();
    assert_eq!(elsewhere.status(), 401, "the hand-off in another browser");
    assert!(!cookies_set(&elsewhere).iter().any(|name| name == "CF_Authorization"));
    // …while in alice's browser it gives her the session.
    let reached = alice.get(&handoff).header("accept", HTML).send().unwrap();
    assert_eq!(reached.status(), 200, "the hand-off in the browser that started the login");
    assert_eq!(reached.url().as_str(), pins.url(APP, "/"));
}
