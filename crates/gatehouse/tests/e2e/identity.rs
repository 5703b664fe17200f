//! People logging in through a real OpenID Provider: npm `oidc-provider` (OpenID-certified,
//! `tests/op/`, pinned by its package-lock.json and installed with `npm ci` into
//! the test-client cache, see `sdk::clients_root`) started on a free port, and a cookie-keeping HTTP client that
//! follows redirects the way a browser does and posts the provider's login and consent forms.
//!
//! The scene: the organization's auth domain is `team.localhost`, the application
//! `app.localhost` (both resolved to the gateway's loopback address by the client), guarded by
//! the user guide's "Users and Services" policy: a group of developers (by e-mail address) or
//! the CI token. When npm or the registry is missing the tests say `SKIPPED` and pass, unless
//! `GATEHOUSE_REQUIRE_SDK_CLIENTS=1` (set by `.ci/run`). One test does the login in Debian's
//! chromium through the browser harness ([`crate::browser`], `tests/browser/login.py`); without
//! a browser it says `SKIPPED`, unless `GATEHOUSE_REQUIRE_BROWSER=1` (set by `.ci/run`).

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use base64::Engine as _;
use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::scene::{Creds, Scene, echoed, origin_header};
use crate::sdk::{ScriptCopy, skip_unless_installed, try_install_once, try_run};
use crate::support::remove_inherited_config;

pub(crate) const AUTH_DOMAIN: &str = "team.localhost";
pub(crate) const APP: &str = "app.localhost";
/// A second application, for cookies carried from one application to another.
const OTHER_APP: &str = "other.localhost";
const CLIENT_SECRET: &str = "op-client-secret-for-tests";
pub(crate) const HTML: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

fn op_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/op")
}

/// The npm project holding `oidc-provider`; `None` (after saying why) when it cannot be installed.
pub(crate) fn op_project() -> Option<PathBuf> {
    let source = op_dir();
    let manifest = fs::read_to_string(source.join("package.json")).expect("read tests/op/package.json");
    let lock = fs::read_to_string(source.join("package-lock.json")).expect("read tests/op/package-lock.json");
    let installed = try_install_once("op", &format!("{manifest}\n{lock}"), |project, scratch| {
        fs::create_dir_all(project).expect("create the provider's folder");
        fs::write(project.join("package.json"), &manifest).expect("write package.json");
        fs::write(project.join("package-lock.json"), &lock).expect("write package-lock.json");
        let mut install = Command::new("npm");
        install
            .args(["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(project);
        try_run(install, scratch, "npm ci (tests/op/package-lock.json)")?;
        Ok(())
    });
    skip_unless_installed("the OpenID Provider (npm oidc-provider)", installed)
}

/// A running OpenID Provider.
pub(crate) struct Provider {
    child: Child,
    pub(crate) issuer: String,
    _script: ScriptCopy,
}

impl Provider {
    #[track_caller]
    pub(crate) fn start(project: &Path, redirect_uri: &str) -> Self {
        let script = ScriptCopy::new(&op_dir().join("op.mjs"), project);
        let mut command = Command::new("node");
        remove_inherited_config(&mut command);
        let mut child = command
            .arg(&script.path)
            .env("OP_CLIENT_ID", "gatehouse")
            .env("OP_CLIENT_SECRET", CLIENT_SECRET)
            .env("OP_REDIRECT_URIS", redirect_uri)
            .env_remove("NODE_OPTIONS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node tests/op/op.mjs");
        let stdout = child.stdout.take().expect("provider stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep reading: node dies of EPIPE when it writes to a closed pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).expect("the provider prints `ready <issuer>`");
        let issuer = line.trim().strip_prefix("ready ").expect("a ready line").to_owned();
        Provider { child, issuer, _script: script }
    }

    /// An `oidc` identity provider body for gatehouse's API, with this provider's endpoints
    /// (and `certs_url` from `keys_from`, to test a provider whose keys are not the signer's).
    pub(crate) fn idp_body(&self, keys_from: &Provider) -> Value {
        json!({"name": "Test OP", "type": "oidc", "config": {
            "client_id": "gatehouse", "client_secret": CLIENT_SECRET,
            "auth_url": format!("{}/auth", self.issuer), "token_url": format!("{}/token", self.issuer),
            "certs_url": format!("{}/jwks", keys_from.issuer),
            "scopes": ["openid", "email", "profile", "groups"], "claims": ["groups"],
            "email_claim_name": "email", "pkce_enabled": true, "issuer": self.issuer}})
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Gatehouse, the echo origin and a provider, configured for logins.
pub(crate) struct Logins {
    pub(crate) scene: Scene,
    pub(crate) provider: Provider,
    idp: String,
    ci: crate::scene::Token,
    other: crate::scene::Token,
    /// The developers group's id.
    developers: String,
    pub(crate) gateway: SocketAddr,
}

impl Logins {
    /// `None` when the provider cannot be installed (see [`op_project`]).
    pub(crate) fn start() -> Option<Self> {
        let project = op_project()?;
        let scene = Scene::start();
        let gateway: SocketAddr = scene.gateway_addr().parse().expect("the gateway's address");
        let callback = format!("http://{AUTH_DOMAIN}:{}/cdn-cgi/access/callback", gateway.port());
        let provider = Provider::start(&project, &callback);
        scene.api("PUT", "organizations", Some(json!({"auth_domain": AUTH_DOMAIN})));
        let idp = scene.api("POST", "identity_providers", Some(provider.idp_body(&provider)));
        let idp = idp["id"].as_str().unwrap().to_owned();
        let ci = scene.token("ci", "8760h");
        let other = scene.token("another token", "8760h");
        let developers = scene.api(
            "POST",
            "groups",
            Some(json!({"name": "developers", "include": [
                {"email": {"email": "dev-alice@example.com"}}, {"email_domain": {"domain": "dev.example.com"}}]})),
        )["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let policy = scene.policy(json!({"name": "Users and Services", "decision": "allow",
            "include": [{"group": {"id": &developers}}, {"service_token": {"token_id": ci.id}}]}));
        let app = scene.app(APP, &[&policy]);
        scene.api(
            "PUT",
            &format!("apps/{}", app["id"].as_str().unwrap()),
            Some(json!({"name": APP, "type": "self_hosted", "domain": APP, "origin": scene.origin.url(),
                "policies": [{"id": policy, "precedence": 1}], "allowed_idps": [idp], "auto_redirect_to_identity": true})),
        );
        Some(Logins { scene, provider, idp, ci, other, developers, gateway })
    }

    /// A browser: keeps cookies, follows redirects (or not), resolves the hosts to the gateway.
    pub(crate) fn browser(&self, follow: bool) -> Client {
        browser(self.gateway, &[AUTH_DOMAIN, APP, OTHER_APP], follow)
    }

    pub(crate) fn app_url(&self, path: &str) -> String {
        format!("http://{APP}:{}{path}", self.gateway.port())
    }

    /// Opens `path` on the application as `login` would in a browser: redirected to the
    /// provider, its login form posted, consent given, back through the gateway.
    #[track_caller]
    fn log_in(&self, browser: &Client, login: &str, path: &str) -> Response {
        log_in_at(browser, &self.provider.issuer, &self.app_url(path), login)
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.gateway.port())
    }

    /// Puts `OTHER_APP` in front of the origin with one `allow` policy including `include`, the
    /// provider allowed and the login page skipped; returns the policy's id and the application's
    /// AUD tag.
    fn other_app(&self, include: Value) -> (String, String) {
        self.app_on(OTHER_APP, include)
    }

    /// [`Logins::other_app`] on `domain` (`host[/path]`).
    fn app_on(&self, domain: &str, include: Value) -> (String, String) {
        let policy = self.scene.policy(json!({"name": "other", "decision": "allow", "include": include}));
        let app = self.scene.app(domain, &[&policy]);
        let id = app["id"].as_str().unwrap();
        self.scene.api(
            "PUT",
            &format!("apps/{id}"),
            Some(json!({"name": domain, "type": "self_hosted", "domain": domain,
                "origin": self.scene.origin.url(), "policies": [{"id": policy, "precedence": 1}],
                "allowed_idps": [self.idp], "auto_redirect_to_identity": true})),
        );
        (policy, app["aud"].as_str().unwrap().to_owned())
    }

    /// Replaces the include rules of the `allow` policy `id`.
    fn set_policy(&self, id: &str, include: Value) {
        let body = json!({"name": "other", "decision": "allow", "include": include});
        self.scene.api("PUT", &format!("policies/{id}"), Some(body));
    }

    /// `GET path` on `host` with only `cookie` as `CF_Authorization`, as a browser navigation
    /// (`html`) or as a script.
    fn with_cookie(&self, host: &str, path: &str, cookie: Option<&str>, html: bool) -> Response {
        let mut request = self.browser(false).get(self.url(host, path));
        request = request.header("accept", if html { HTML } else { "application/json" });
        if let Some(jwt) = cookie {
            request = request.header("cookie", format!("CF_Authorization={jwt}"));
        }
        request.send().unwrap()
    }

    fn api_post(&self, rest: &str, body: Value) -> Value {
        self.scene.api("POST", rest, Some(body))
    }
}

/// Opens `url` (an application's page) as `login` would in `browser`, a client that follows
/// redirects: sent to the provider at `issuer`, its login form posted, consent given (unless
/// this browser gave it before), back through the gateway; returns the last response.
#[track_caller]
pub(crate) fn log_in_at(browser: &Client, issuer: &str, url: &str, login: &str) -> Response {
    let form = browser.get(url).header("accept", HTML).send().unwrap();
    assert_eq!(form.status(), 200, "the provider's login form");
    let url = form.url().clone();
    assert!(url.as_str().starts_with(issuer), "at the provider: {url}");
    let consent = browser
        .post(url)
        .header("accept", HTML)
        .form(&[("prompt", "login"), ("login", login), ("password", "any")])
        .send()
        .unwrap();
    if !consent.url().as_str().starts_with(issuer) {
        return consent; // consent already given in this browser
    }
    let url = consent.url().clone();
    browser.post(url).header("accept", HTML).form(&[("prompt", "consent")]).send().unwrap()
}

/// A browser: keeps cookies, follows redirects (or not), and resolves `hosts` to the gateway.
pub(crate) fn browser(gateway: SocketAddr, hosts: &[&str], follow: bool) -> Client {
    hosts
        .iter()
        .fold(Client::builder(), |builder, host| builder.resolve(host, gateway))
        .cookie_store(true)
        .redirect(if follow { Policy::limited(20) } else { Policy::none() })
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The payload of a JWT, unverified.
pub(crate) fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap())
        .unwrap()
}

/// Checks the JWT's signature against the gateway's published keys, as an origin would.
#[track_caller]
fn verify_at_origin(logins: &Logins, jwt: &str) -> Value {
    let certs: Value = logins
        .browser(false)
        .get(format!("http://{AUTH_DOMAIN}:{}/cdn-cgi/access/certs", logins.gateway.port()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    verify_with_certs(&certs, jwt)
}

/// Checks the JWT's signature against the published keys `certs` (the auth domain's
/// `/cdn-cgi/access/certs`) and its issuer, as an origin would.
#[track_caller]
pub(crate) fn verify_with_certs(certs: &Value, jwt: &str) -> Value {
    let kid = jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap();
    let jwk = certs["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the kid is published");
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk["n"].as_str().unwrap(),
        jwk["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[format!("https://{AUTH_DOMAIN}")]);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .expect("the JWT verifies with the published keys")
        .claims
}

/// The `CF_Authorization` cookie the browser holds for the application.
fn app_cookie(logins: &Logins, browser: &Client) -> String {
    // The echo origin shows the Cookie header it received.
    let echo = browser.get(logins.app_url("/whoami")).header("accept", HTML).send().unwrap();
    let echo: Value = echo.json().unwrap();
    let cookie = origin_header(&echo, "cookie").unwrap_or_default().to_owned();
    cookie
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "CF_Authorization")
        .map(|(_, value)| value.to_owned())
        .expect("the browser sends CF_Authorization")
}

#[test]
fn identity_users_and_services_admit_a_developer_and_the_ci_token_on_one_app() {
    let Some(logins) = Logins::start() else { return };
    let alice = logins.browser(true);
    let reached = logins.log_in(&alice, "dev-alice", "/reports?q=1");
    assert_eq!(reached.status(), 200, "dev-alice reaches the application");
    assert_eq!(reached.url().as_str(), logins.app_url("/reports?q=1"), "back at the page first asked for");
    let echo: Value = reached.json().unwrap();
    assert_eq!(echo["path"], "/reports?q=1", "{echo}");
    assert_eq!(origin_header(&echo, "cf-access-authenticated-user-email"), Some("dev-alice@example.com"));
    let jwt = origin_header(&echo, "cf-access-jwt-assertion").expect("an assertion").to_owned();
    let verified = verify_at_origin(&logins, &jwt);
    assert_eq!(claims(&jwt), verified, "what the origin verified is what the JWT says");
    assert!(
        verified["nbf"].as_i64().is_some() && verified["exp"].as_i64() > verified["iat"].as_i64(),
        "{verified}"
    );
    assert_eq!(verified["email"], "dev-alice@example.com");
    assert_eq!(verified["type"], "app");
    assert_eq!(verified["sub"].as_str().unwrap().len(), 36, "{verified}");
    assert!(verified["identity_nonce"].as_str().is_some_and(|n| !n.is_empty()), "{verified}");
    assert_eq!(verified["idp"]["id"], logins.idp.as_str());
    assert!(verified.get("common_name").is_none(), "{verified}");
    assert_eq!(app_cookie(&logins, &alice), jwt, "the cookie is the assertion");

    // The cookie alone keeps working, and get-identity describes the person.
    let identity: Value = alice
        .get(logins.app_url("/cdn-cgi/access/get-identity"))
        .header("accept", "application/json")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(identity["email"], "dev-alice@example.com", "{identity}");
    assert_eq!(identity["name"], "dev-alice");
    assert_eq!(identity["groups"][0]["name"], "developers", "{identity}");
    assert_eq!(identity["idp"], json!({"id": logins.idp, "type": "oidc"}));
    assert_eq!(identity["user_uuid"], verified["sub"]);
    assert_eq!(identity["oidc_fields"]["groups"], json!(["developers"]));
    assert_eq!(identity["service_token_status"], false);

    // The users list knows her, and when she logged in.
    let users = logins.scene.api("GET", "users?email=dev-alice@example.com", None);
    assert_eq!(users[0]["id"], verified["sub"], "{users}");
    assert!(users[0]["last_successful_login"].as_str().is_some(), "{users}");
    assert_eq!(users[0]["name"], "dev-alice");

    // A person outside the group logs in and is refused.
    let mallory = logins.browser(true);
    let refused = logins.log_in(&mallory, "mallory", "/");
    assert_eq!(refused.status(), 403, "mallory is not a developer");

    // The CI token gets in with headers only; another token does not; no credentials from a
    // script (not a browser navigation) is a 403, not a redirect.
    let scene = &logins.scene;
    assert_eq!(echoed(&scene.get(APP, "/", Creds::Token(&logins.ci)))["path"], "/");
    assert_eq!(scene.get(APP, "/", Creds::Token(&logins.other)).status, 403);
    assert_eq!(scene.get(APP, "/", Creds::Nothing).status, 403);
    let script =
        logins.browser(false).get(logins.app_url("/")).header("accept", "application/json").send().unwrap();
    assert_eq!(script.status(), 403);
}

#[test]
fn identity_logout_and_revoke_user_end_the_sessions_at_once() {
    let Some(logins) = Logins::start() else { return };
    let alice = logins.browser(true);
    assert_eq!(logins.log_in(&alice, "dev-alice", "/").status(), 200);
    let jwt = app_cookie(&logins, &alice);
    let with_cookie = |jwt: &str| {
        logins
            .browser(false)
            .get(logins.app_url("/"))
            .header("accept", HTML)
            .header("cookie", format!("CF_Authorization={jwt}"))
            .send()
            .unwrap()
    };
    assert_eq!(with_cookie(&jwt).status(), 200);

    // Removed from the developers group: refused on the next request, with the same cookie;
    // back in the group, admitted again.
    let group = |include: Value| {
        let body = json!({"name": "developers", "include": include});
        logins.scene.api("PUT", &format!("groups/{}", logins.developers), Some(body));
    };
    group(json!([{"email_domain": {"domain": "dev.example.com"}}]));
    assert_eq!(with_cookie(&jwt).status(), 403, "no longer a developer");
    group(json!([{"email": {"email": "dev-alice@example.com"}}]));
    assert_eq!(with_cookie(&jwt).status(), 200, "a developer again");

    // revoke_user: the old cookie is refused on the next request (sent to log in again).
    assert_eq!(
        logins.api_post("organizations/revoke_user", json!({"email": "Dev-Alice@example.com"})),
        json!(true)
    );
    let after = with_cookie(&jwt);
    assert_eq!(after.status(), 302, "the revoked session goes back to the login");
    let location = after.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!(
            "http://{AUTH_DOMAIN}:{}/cdn-cgi/access/login/{APP}?",
            logins.gateway.port()
        )),
        "{location}"
    );

    // Logging in again works (the provider remembers her), then logout ends that session too.
    let again = alice.get(logins.app_url("/")).header("accept", HTML).send().unwrap();
    let again = if again.url().as_str().starts_with(&logins.provider.issuer) {
        logins.log_in(&alice, "dev-alice", "/")
    } else {
        again
    };
    assert_eq!(again.status(), 200, "logged in again");
    let second = app_cookie(&logins, &alice);
    assert_ne!(second, jwt);
    let out = alice.get(logins.app_url("/cdn-cgi/access/logout")).send().unwrap();
    assert_eq!(out.status(), 200);
    assert_eq!(with_cookie(&second).status(), 302, "logged out everywhere");
}

#[test]
fn identity_hostile_logins_are_refused() {
    let Some(logins) = Logins::start() else { return };
    let port = logins.gateway.port();

    // A redirect_url off the application's host is refused at the login page.
    let login = |redirect: &str| {
        let query =
            format!("kid={}&redirect_url={}&meta={}", app_aud(&logins), urlencode(redirect), "0".repeat(64));
        logins
            .browser(false)
            .get(format!("http://{AUTH_DOMAIN}:{port}/cdn-cgi/access/login/{APP}?{query}"))
            .header("accept", HTML)
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(login("/ok"), 302, "a local path starts the login");
    for bad in ["https://evil.example/", "//evil.example/", "/\\evil.example"] {
        assert_eq!(login(bad), 400, "{bad}");
    }

    // A forged or replayed state: the callback without this browser's state cookie fails.
    let stranger = logins.browser(false);
    let forged = stranger
        .get(format!("http://{AUTH_DOMAIN}:{port}/cdn-cgi/access/callback?code=x&state=forged"))
        .send()
        .unwrap();
    assert_eq!(forged.status(), 401);

    // A replayed callback: used once it works; again in the same browser (its state cookie is
    // gone) or in another with the state cookie copied, it is refused (and the code is spent).
    let bob = logins.browser(false);
    let (callback, state_cookie) = follow_to_callback(&logins, &bob, "dev-bob");
    let first = bob.get(&callback).send().unwrap();
    assert_eq!(first.status(), 302, "the callback works once");
    assert_eq!(bob.get(&callback).send().unwrap().status(), 401, "replayed in the same browser");
    let copied = logins.browser(false).get(&callback).header("cookie", state_cookie).send().unwrap();
    assert_eq!(copied.status(), 401, "replayed with the state cookie");

    // The hand-off of a login started in one browser is refused in another (login CSRF).
    let alice = logins.browser(false);
    let handoff = follow_to_authorized(&logins, &alice, "dev-alice");
    let victim = logins.browser(false);
    let stolen = victim.get(&handoff).send().unwrap();
    assert_eq!(stolen.status(), 401, "the hand-off is bound to the browser that started the login");
    let own = alice.get(&handoff).send().unwrap();
    assert_eq!(own.status(), 302, "…and works in that browser");

    // An address the provider says is unverified is refused.
    let unverified = logins.browser(true);
    assert_eq!(logins.log_in(&unverified, "unverified-eve", "/").status(), 401);

    // An ID token signed by a key the configured certs_url does not publish is refused.
    let project = op_project().expect("installed above");
    let other = Provider::start(&project, "http://unused.localhost/cdn-cgi/access/callback");
    let idp = &logins.idp;
    logins.scene.api("PUT", &format!("identity_providers/{idp}"), Some(logins.provider.idp_body(&other)));
    let forged_keys = logins.browser(true);
    assert_eq!(logins.log_in(&forged_keys, "dev-alice", "/").status(), 401);
}

/// Whether `response` sends the browser to the login page for `host`.
pub(crate) fn to_login(logins: &Logins, response: &Response, host: &str) -> bool {
    to_login_at(logins.gateway, response, host)
}

/// Whether `response` sends the browser to the login page for `host` at the auth domain of
/// the gateway at `gateway`.
pub(crate) fn to_login_at(gateway: SocketAddr, response: &Response, host: &str) -> bool {
    let prefix = format!("http://{AUTH_DOMAIN}:{}/cdn-cgi/access/login/{host}?", gateway.port());
    response.status() == 302
        && response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with(&prefix))
}

#[test]
fn identity_a_cookie_of_one_application_never_admits_on_another() {
    let Some(logins) = Logins::start() else { return };
    let alice = logins.browser(true);
    assert_eq!(logins.log_in(&alice, "dev-alice", "/").status(), 200);
    let jwt = app_cookie(&logins, &alice);
    let aud_a = app_aud(&logins);
    assert_eq!(claims(&jwt)["aud"], json!([aud_a]), "the cookie is for the first application only");

    // The other application admits someone else only: alice's cookie is refused there —
    // a browser is sent to log in, a script gets no page.
    let (policy, aud_b) = logins.other_app(json!([{"email": {"email": "dev-bob@example.com"}}]));
    let carried = logins.with_cookie(OTHER_APP, "/", Some(&jwt), true);
    assert!(to_login(&logins, &carried, OTHER_APP), "{} {:?}", carried.status(), carried.headers());
    let script = logins.with_cookie(OTHER_APP, "/", Some(&jwt), false);
    assert!([401, 403].contains(&script.status().as_u16()), "{}", script.status());

    // get-identity and logout answer for the application of the host: on the other
    // application's host (or on the auth domain, which serves none) alice's cookie is refused,
    // and the logout attempt ends nothing.
    for host in [OTHER_APP, AUTH_DOMAIN] {
        let identity = logins.with_cookie(host, "/cdn-cgi/access/get-identity", Some(&jwt), false);
        assert_eq!(identity.status(), 401, "get-identity on {host}");
        let logout = logins.with_cookie(host, "/cdn-cgi/access/logout", Some(&jwt), true);
        assert_eq!(logout.status(), 401, "logout on {host}");
    }
    assert_eq!(logins.with_cookie(APP, "/", Some(&jwt), false).status(), 200, "still logged in");
    let own = logins.with_cookie(APP, "/cdn-cgi/access/get-identity", Some(&jwt), false);
    assert_eq!(own.json::<Value>().unwrap()["email"], "dev-alice@example.com");

    // `everyone` on the other application means every person who logged in *there*: alice's
    // cookie from the first application still does not admit her, nor does no cookie at all.
    logins.set_policy(&policy, json!([{"everyone": {}}]));
    let carried = logins.with_cookie(OTHER_APP, "/", Some(&jwt), true);
    assert!(to_login(&logins, &carried, OTHER_APP), "{} {:?}", carried.status(), carried.headers());
    let script = logins.with_cookie(OTHER_APP, "/", Some(&jwt), false);
    assert!([401, 403].contains(&script.status().as_u16()), "{}", script.status());
    let nobody = logins.with_cookie(OTHER_APP, "/", None, true);
    assert!(to_login(&logins, &nobody, OTHER_APP), "{} {:?}", nobody.status(), nobody.headers());
    let nobody = logins.with_cookie(OTHER_APP, "/", None, false);
    assert!([401, 403].contains(&nobody.status().as_u16()), "{}", nobody.status());

    // A policy of the other application naming alice admits her only after its own login and
    // hand-off, with a cookie for that application; her first cookie still does not open it.
    logins.set_policy(&policy, json!([{"email": {"email": "dev-alice@example.com"}}]));
    let carried = logins.with_cookie(OTHER_APP, "/", Some(&jwt), true);
    assert!(to_login(&logins, &carried, OTHER_APP), "{} {:?}", carried.status(), carried.headers());
    let mut reached = alice.get(logins.url(OTHER_APP, "/b")).header("accept", HTML).send().unwrap();
    for _ in 0..3 {
        // The provider may ask again (to log in, or for consent to this login): answer it.
        if !reached.url().as_str().starts_with(&logins.provider.issuer) {
            break;
        }
        let url = reached.url().clone();
        let page = reached.text().unwrap_or_default();
        let form: &[(&str, &str)] = if page.contains("name=\"login\"") {
            &[("prompt", "login"), ("login", "dev-alice"), ("password", "x")]
        } else {
            &[("prompt", "consent")]
        };
        reached = alice.post(url).header("accept", HTML).form(form).send().unwrap();
    }
    assert_eq!(reached.status(), 200, "alice reaches the other application after its login");
    assert_eq!(reached.url().as_str(), logins.url(OTHER_APP, "/b"));
    let echo: Value = reached.json().unwrap();
    let second = origin_header(&echo, "cf-access-jwt-assertion").expect("an assertion").to_owned();
    assert_eq!(claims(&second)["aud"], json!([aud_b]), "a cookie of the other application's own");
    let back = logins.with_cookie(APP, "/", Some(&second), false).status().as_u16();
    assert!([401, 403].contains(&back), "…which does not open the first application either: {back}");
    assert!(to_login(&logins, &logins.with_cookie(APP, "/", Some(&second), true), APP));
}

#[test]
fn identity_get_identity_and_logout_answer_on_a_host_of_path_scoped_applications() {
    let Some(logins) = Logins::start() else { return };
    // Two applications on one host, each covering some paths: `/cdn-cgi/access/…` is under
    // neither, yet each one's cookie is answered there for its own application.
    let alice = json!([{"email": {"email": "dev-alice@example.com"}}]);
    let mut cookies = Vec::new();
    for path in ["/admin", "/reports"] {
        let (_, aud) = logins.app_on(&format!("{OTHER_APP}{path}"), alice.clone());
        let browser = logins.browser(true);
        let url = logins.url(OTHER_APP, &format!("{path}/x"));
        let reached = log_in_at(&browser, &logins.provider.issuer, &url, "dev-alice");
        assert_eq!(reached.status(), 200, "dev-alice reaches {path}");
        let echo: Value = reached.json().unwrap();
        let jwt = origin_header(&echo, "cf-access-jwt-assertion").expect("an assertion").to_owned();
        assert_eq!(claims(&jwt)["aud"], json!([aud]), "a cookie for {path}");
        cookies.push((path, jwt));
    }
    for (path, jwt) in &cookies {
        let identity = logins.with_cookie(OTHER_APP, "/cdn-cgi/access/get-identity", Some(jwt), false);
        assert_eq!(identity.status(), 200, "get-identity with the cookie of {path}");
        assert_eq!(identity.json::<Value>().unwrap()["email"], "dev-alice@example.com");
    }
    // The logout ends her sessions: the cookies of both applications go back to the login.
    let (_, admin) = &cookies[0];
    let logout = logins.with_cookie(OTHER_APP, "/cdn-cgi/access/logout", Some(admin), true);
    assert_eq!(logout.status(), 200);
    assert!(logout.text().unwrap().contains("You have been logged out."));
    for (path, jwt) in &cookies {
        let after = logins.with_cookie(OTHER_APP, &format!("{path}/x"), Some(jwt), true);
        assert!(to_login(&logins, &after, OTHER_APP), "{path}: {} {:?}", after.status(), after.headers());
    }
}

/// Runs a login up to the provider's redirect to the callback and returns the callback URL,
/// unvisited, and the state cookie (`name=value`) the login page set.
pub(crate) fn follow_to_callback(logins: &Logins, browser: &Client, login: &str) -> (String, String) {
    let mut response = browser.get(logins.app_url("/")).header("accept", HTML).send().unwrap();
    let mut state_cookie = None;
    let mut posted = 0;
    for _ in 0..20 {
        for cookie in response.headers().get_all("set-cookie") {
            let cookie = cookie.to_str().unwrap();
            if cookie.contains("Path=/cdn-cgi/access/callback") && !cookie.contains("Max-Age=0") {
                state_cookie = cookie.split(';').next().map(str::to_owned);
            }
        }
        if response.status().is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            let next = response.url().join(&location).unwrap();
            if next.path() == "/cdn-cgi/access/callback" {
                return (next.to_string(), state_cookie.expect("the login page set a state cookie"));
            }
            response = browser.get(next).header("accept", HTML).send().unwrap();
            continue;
        }
        assert_eq!(response.status(), 200, "at {}", response.url());
        let url = response.url().clone();
        let form: &[(&str, &str)] = if posted == 0 {
            &[("prompt", "login"), ("login", login), ("password", "x")]
        } else {
            &[("prompt", "consent")]
        };
        posted += 1;
        response = browser.post(url).form(form).send().unwrap();
    }
    panic!("no callback after 20 steps");
}

/// Runs a login up to the hand-off and returns the `/cdn-cgi/access/authorized` URL, unvisited.
fn follow_to_authorized(logins: &Logins, browser: &Client, login: &str) -> String {
    let mut response = browser.get(logins.app_url("/")).header("accept", HTML).send().unwrap();
    let mut posted = 0;
    for _ in 0..20 {
        if response.status().is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            let next = response.url().join(&location).unwrap();
            if next.path() == "/cdn-cgi/access/authorized" {
                return next.to_string();
            }
            response = browser.get(next).header("accept", HTML).send().unwrap();
            continue;
        }
        assert_eq!(response.status(), 200, "at {}", response.url());
        let url = response.url().clone();
        let form: &[(&str, &str)] = if posted == 0 {
            &[("prompt", "login"), ("login", login), ("password", "x")]
        } else {
            &[("prompt", "consent")]
        };
        posted += 1;
        response = browser.post(url).form(form).send().unwrap();
    }
    panic!("no hand-off after 20 steps");
}

fn app_aud(logins: &Logins) -> String {
    let apps = logins.scene.api("GET", "apps", None);
    apps.as_array().unwrap().iter().find(|a| a["domain"] == APP).unwrap()["aud"].as_str().unwrap().to_owned()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Where the login screenshots go: `target/browser-artifacts/identity/`.
fn login_artifacts() -> PathBuf {
    let dir = crate::support::workspace_root().join("target/browser-artifacts/identity");
    fs::create_dir_all(&dir).expect("create the artifacts folder");
    dir
}

/// The user guide's "Users and Services" policy on one application, in Debian's chromium
/// (`tests/browser/login.py`): a developer logs in at the provider and reaches the page she asked
/// for, with a JWT the origin verifies; a person outside the group is refused; logout ends her
/// session; the CI token gets in with headers only and another token does not.
#[test]
fn identity_a_real_browser_logs_in_through_the_provider() {
    if !crate::browser::browser_available() {
        return;
    }
    let Some(logins) = Logins::start() else { return };
    let out = logins.scene.server.scratch_dir().join("login-out.json");
    let env = [
        ("LOGIN_APP", logins.url(APP, "")),
        ("LOGIN_PROVIDER", logins.provider.issuer.clone()),
        ("LOGIN_ARTIFACTS", login_artifacts().display().to_string()),
        ("LOGIN_OUT", out.display().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let output = crate::browser::run_script(logins.scene.server.scratch_dir(), "login.py", &[], &env);
    crate::browser::assert_success(&output, "login.py", &logins.scene.server);
    assert!(output.stdout.contains("OK login chromium"), "{}", output.text);

    // What the origin received in the browser's request: the person's e-mail and a JWT that
    // verifies with the gateway's published keys; the browser's cookie is that JWT.
    let seen: Value = serde_json::from_str(&fs::read_to_string(&out).expect("login.py writes LOGIN_OUT"))
        .expect("LOGIN_OUT is JSON");
    let echo = &seen["echo"];
    assert_eq!(origin_header(echo, "cf-access-authenticated-user-email"), Some("dev-alice@example.com"));
    let jwt = origin_header(echo, "cf-access-jwt-assertion").expect("an assertion").to_owned();
    let verified = verify_at_origin(&logins, &jwt);
    assert_eq!(verified["email"], "dev-alice@example.com");
    assert_eq!(verified["aud"], json!([app_aud(&logins)]));
    assert_eq!(seen["cookie"], jwt.as_str(), "the browser's cookie is the assertion");

    // Logged out: the cookie she had is refused (a browser is sent to log in again).
    assert!(to_login(&logins, &logins.with_cookie(APP, "/", Some(&jwt), true), APP));

    // The same application, for the CI job: its token gets in with headers only, another does not.
    let scene = &logins.scene;
    assert_eq!(echoed(&scene.get(APP, "/", Creds::Token(&logins.ci)))["path"], "/");
    assert_eq!(scene.get(APP, "/", Creds::Token(&logins.other)).status, 403);
}
