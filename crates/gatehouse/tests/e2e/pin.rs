//! One-time PIN logins through the real binary: `[smtp] outbox_dir` makes gatehouse write each
//! mail as an `.eml` file, the test reads the code from it, and a cookie-keeping reqwest client
//! posts the address and code forms the way a browser does.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

use crate::scene::{Origin, Scene, origin_header};
use crate::support::StartOptions;

const AUTH_DOMAIN: &str = "team.localhost";
const APP: &str = "app.localhost";
const HTML: &str = "text/html,application/xhtml+xml,*/*;q=0.8";
/// How long a mail may take to reach the outbox (it is sent in the background).
const MAIL_DEADLINE: Duration = Duration::from_secs(20);

struct Pins {
    scene: Scene,
    outbox: tempfile::TempDir,
    gateway: SocketAddr,
    _config: tempfile::TempDir,
}

impl Pins {
    fn start() -> Self {
        let outbox = tempfile::tempdir().unwrap();
        let config_dir = tempfile::tempdir().unwrap();
        let config = config_dir.path().join("gatehouse.toml");
        let smtp = format!(
            "[smtp]\noutbox_dir = {}\nfrom = \"Gatehouse <login@example.com>\"\n",
            toml_string(&outbox.path().to_string_lossy())
        );
        std::fs::write(&config, smtp).unwrap();
        let server = StartOptions::new().arg("--config").arg(config.to_string_lossy()).start();
        let scene = Scene { origin: Origin::start(), server };
        let gateway: SocketAddr = scene.gateway_addr().parse().unwrap();
        scene.api("PUT", "organizations", Some(json!({"auth_domain": AUTH_DOMAIN})));
        let idp = scene.api(
            "POST",
            "identity_providers",
            Some(json!({"name": "One-time PIN", "type": "onetimepin", "config": {}})),
        )["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let policy = scene.policy(json!({"name": "example.com", "decision": "allow",
            "include": [{"email_domain": {"domain": "example.com"}}]}));
        let app = scene.app(APP, &[&policy]);
        scene.api(
            "PUT",
            &format!("apps/{}", app["id"].as_str().unwrap()),
            Some(json!({"name": APP, "type": "self_hosted", "domain": APP, "origin": scene.origin.url(),
                "policies": [{"id": policy, "precedence": 1}], "allowed_idps": [idp],
                "auto_redirect_to_identity": true})),
        );
        Pins { scene, outbox, gateway, _config: config_dir }
    }

    fn browser(&self) -> Client {
        crate::identity::browser(self.gateway, &[AUTH_DOMAIN, APP], true)
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.gateway.port())
    }

    /// Opens the application and asks for a code for `email`; returns the code page.
    fn ask_for_code(&self, browser: &Client, email: &str) -> Response {
        let form = browser.get(self.url(APP, "/")).header("accept", HTML).send().unwrap();
        assert_eq!(form.status(), 200);
        assert!(form.text().unwrap().contains("Email me a code"), "the address form");
        let sent = browser
            .post(self.url(AUTH_DOMAIN, "/cdn-cgi/access/otp/send"))
            .header("accept", HTML)
            .form(&[("email", email)])
            .send()
            .unwrap();
        assert_eq!(sent.status(), 200, "the code form");
        sent
    }

    fn type_code(&self, browser: &Client, code: &str) -> Response {
        browser
            .post(self.url(AUTH_DOMAIN, "/cdn-cgi/access/otp/verify"))
            .header("accept", HTML)
            .form(&[("code", code)])
            .send()
            .unwrap()
    }

    /// Waits for the `count`th mail of the outbox and returns the six-digit code in it.
    fn code(&self, count: usize) -> String {
        let deadline = Instant::now() + MAIL_DEADLINE;
        loop {
            let mails = mails(self.outbox.path());
            if mails.len() >= count {
                let mail = &mails[count - 1];
                // The body has the code alone on an indented line.
                let code = mail
                    .lines()
                    .map(str::trim)
                    .find(|line| line.len() == 6 && line.bytes().all(|b| b.is_ascii_digit()))
                    .unwrap_or_else(|| panic!("no code in {mail}"));
                return code.to_owned();
            }
            assert!(Instant::now() < deadline, "mail {count} did not arrive: {mails:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The outbox's messages, oldest first.
fn mails(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "eml"))
        .map(|entry| (entry.metadata().and_then(|m| m.modified()).unwrap(), entry.path()))
        .collect();
    files.sort();
    files.into_iter().map(|(_, path)| std::fs::read_to_string(path).unwrap()).collect()
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

#[test]
fn pin_login_with_the_mailed_code_and_wrong_or_reused_codes_refused() {
    let pins = Pins::start();
    let alice = pins.browser();
    pins.ask_for_code(&alice, "Alice@Example.com");
    let code = pins.code(1);
    assert!(mails(pins.outbox.path())[0].contains("alice@example.com"), "mailed to the address");

    // A wrong code is refused, and the right one still works after it.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(pins.type_code(&alice, wrong).status(), 401, "a wrong code");
    let reached = pins.type_code(&alice, &code);
    assert_eq!(reached.status(), 200, "the mailed code logs in");
    assert_eq!(reached.url().as_str(), pins.url(APP, "/"));
    let echo: Value = reached.json().unwrap();
    assert_eq!(origin_header(&echo, "cf-access-authenticated-user-email"), Some("alice@example.com"));
    let identity: Value = alice
        .get(pins.url(APP, "/cdn-cgi/access/get-identity"))
        .header("accept", "application/json")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(identity["idp"]["type"], "onetimepin", "{identity}");
    assert_eq!(identity["amr"], json!(["otp"]));

    // The code is used: typed in another login (another browser, its own challenge) it does not
    // work; that login's own code does, once.
    let bob = pins.browser();
    pins.ask_for_code(&bob, "alice@example.com");
    let second = pins.code(2);
    assert_ne!(second, code);
    assert_eq!(pins.type_code(&bob, &code).status(), 401, "the first login's code, reused");
    assert_eq!(pins.type_code(&bob, &second).status(), 200, "this login's own code");
    assert_eq!(pins.type_code(&bob, &second).status(), 400, "the same code once more: the login is over");

    // An address no policy admits gets the same page, and no mail (the log says so).
    let mallory = pins.browser();
    pins.ask_for_code(&mallory, "mallory@evil.test");
    assert_eq!(pins.type_code(&mallory, "123456").status(), 401);
    let log = pins.scene.server.logs();
    assert!(log.contains("an address no policy admits; none was sent"), "{log}");
    assert_eq!(mails(pins.outbox.path()).len(), 2, "no mail to mallory");
}
