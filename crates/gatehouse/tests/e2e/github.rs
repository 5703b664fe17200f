//! People logging in through a `github` identity provider, end to end: the real gatehouse
//! binary, the echo origin, and a loopback stand-in for GitHub written here ([`FakeGithub`],
//! hyper on 127.0.0.1, port 0), because the test network is closed. It implements exactly what
//! gatehouse uses of GitHub, the way GitHub documents it: the OAuth web flow
//! (`/login/oauth/authorize`, and `/login/oauth/access_token`, single-use codes bound to the
//! redirect URI and the PKCE challenge, 200 with `error` for a bad code) and the REST API under
//! `/api/v3` (GitHub Enterprise Server's layout, so the provider's `base_url` and `api_url` are
//! exercised): `/user`, `/user/emails`, `/user/orgs`, `/user/teams`, with the access token as a
//! bearer.
//!
//! `/login/oauth/authorize` behaves as GitHub's does: a browser not signed in to GitHub gets
//! its sign-in form (`POST /session`, any password, a `user_session` cookie), then, the first
//! time, the page asking to authorize the OAuth app, whose "Authorize" button posts back to
//! `/login/oauth/authorize`; once authorized, it redirects at once. The HTTP-level tests skip
//! the forms ([`FakeGithub::sign_in`]: whoever asks is that account, already authorized) and
//! their browser is a cookie-keeping reqwest client that follows redirects; one test does the
//! whole login in Debian's chromium (`tests/browser/github_login.py`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use reqwest::blocking::Client;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::identity::{claims, verify_with_certs};
use crate::scene::{Scene, origin_header};

const AUTH_DOMAIN: &str = "team.localhost";
const APP: &str = "app.localhost";
/// An application whose policy also wants a team.
const TEAM_APP: &str = "team-app.localhost";
const HTML: &str = "text/html,application/xhtml+xml,*/*;q=0.8";
const CLIENT_ID: &str = "Iv1.e2e0123456789ab";
const CLIENT_SECRET: &str = "github-oauth-app-secret-for-tests-0123";

/// A GitHub account of the fake.
#[derive(Clone)]
struct Account {
    id: u64,
    name: Option<&'static str>,
    /// `(address, primary, verified)`.
    emails: Vec<(&'static str, bool, bool)>,
    orgs: Vec<String>,
    /// `(org, slug, name)`.
    teams: Vec<(&'static str, &'static str, &'static str)>,
}

/// An authorization code the fake issued, and what it is bound to.
struct Grant {
    login: String,
    redirect_uri: String,
    challenge: Option<String>,
}

#[derive(Default)]
struct State {
    redirect_uri: String,
    accounts: HashMap<String, Account>,
    /// Who every client without a `user_session` cookie is signed in to GitHub as, the OAuth
    /// app already authorized (the HTTP-level tests' shortcut past the forms).
    signed_in: Option<String>,
    /// `user_session` cookie → account, for browsers that signed in through the form.
    browser_sessions: HashMap<String, String>,
    /// The accounts that clicked "Authorize" for the OAuth app.
    authorized: Vec<String>,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, String>,
    issued: u64,
    /// Every access token issued, to check none of them reaches gatehouse's log.
    issued_tokens: Vec<String>,
    /// `METHOD path` of every request, for assertions.
    requests: Vec<String>,
}

/// The loopback GitHub, on its own runtime thread.
struct FakeGithub {
    url: String,
    state: Arc<Mutex<State>>,
    _runtime: tokio::runtime::Runtime,
}

impl FakeGithub {
    fn start(redirect_uri: &str) -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State { redirect_uri: redirect_uri.to_owned(), ..State::default() }));
        let shared = state.clone();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| serve(request, shared.clone()));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        FakeGithub { url, state, _runtime: runtime }
    }

    fn add(&self, login: &str, account: Account) {
        self.state.lock().unwrap().accounts.insert(login.to_owned(), account);
    }

    fn sign_in(&self, login: &str) {
        self.state.lock().unwrap().signed_in = Some(login.to_owned());
    }

    fn change(&self, login: &str, change: impl FnOnce(&mut Account)) {
        change(self.state.lock().unwrap().accounts.get_mut(login).unwrap());
    }

    fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().unwrap().issued_tokens.clone()
    }

    /// An authorization code GitHub gave `login` in another login (another PKCE challenge),
    /// which an attacker then slips into this one.
    fn code_for(&self, login: &str, redirect_uri: &str) -> String {
        let mut state = self.state.lock().unwrap();
        state.issued += 1;
        let code = format!("code-{}", state.issued);
        let challenge = Some("another-logins-challenge".to_owned());
        let grant = Grant { login: login.to_owned(), redirect_uri: redirect_uri.to_owned(), challenge };
        state.codes.insert(code.clone(), grant);
        code
    }
}

fn reply(status: u16, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

fn json_reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    reply(status, "application/json; charset=utf-8", body.to_string())
}

fn redirect(location: &str, set_cookie: Option<&str>) -> Response<Full<Bytes>> {
    let builder = Response::builder().status(302).header("location", location);
    let builder = match set_cookie {
        Some(cookie) => builder.header("set-cookie", cookie),
        None => builder,
    };
    builder.body(Full::default()).unwrap()
}

/// The value of cookie `name` in a `Cookie` header.
fn cookie(header: &str, name: &str) -> Option<String> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// GitHub's sign-in form, which comes back to `return_to` (this authorize request).
fn sign_in_page(return_to: &str) -> String {
    format!(
        "<!doctype html><html><head><title>Sign in to GitHub</title></head><body>\
         <h1>Sign in to GitHub</h1><form method=\"post\" action=\"/session\">\
         <input type=\"hidden\" name=\"return_to\" value=\"{}\">\
         <label>Username or email address <input name=\"login\" autocomplete=\"username\"></label>\
         <label>Password <input name=\"password\" type=\"password\"></label>\
         <button type=\"submit\">Sign in</button></form></body></html>",
        escape(return_to)
    )
}

/// GitHub's page asking `login` to authorize the OAuth app; its button posts the app's
/// parameters back to `/login/oauth/authorize`.
fn authorize_page(login: &str, params: &HashMap<String, String>) -> String {
    let hidden: String =
        ["client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"]
            .iter()
            .filter_map(|name| params.get(*name).map(|value| (name, value)))
            .map(|(name, value)| {
                format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value))
            })
            .collect();
    format!(
        "<!doctype html><html><head><title>Authorize application</title></head><body>\
         <h1>Authorize gatehouse e2e</h1><p>Signed in as <strong>{}</strong>. gatehouse e2e wants \
         to read your profile, your e-mail addresses and your organization memberships.</p>\
         <form method=\"post\" action=\"/login/oauth/authorize\">{hidden}\
         <button type=\"submit\" name=\"authorize\" value=\"1\">Authorize</button></form></body></html>",
        escape(login)
    )
}

fn query(text: &str) -> HashMap<String, String> {
    form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}

async fn serve(
    request: Request<Incoming>,
    state: Arc<Mutex<State>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let mut state = state.lock().unwrap();
    let path = parts.uri.path().to_owned();
    state.requests.push(format!("{} {path}", parts.method));
    let params = query(parts.uri.query().unwrap_or_default());
    let header =
        |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let response = match (parts.method.as_str(), path.as_str()) {
        ("GET" | "POST", "/login/oauth/authorize") => {
            // The app's parameters come in the query string, or in the authorize page's form.
            let params = if parts.method == "POST" { query(&String::from_utf8_lossy(&body)) } else { params };
            let registered = params.get("redirect_uri") == Some(&state.redirect_uri);
            let scopes: Vec<&str> = params.get("scope").map(|s| s.split(' ').collect()).unwrap_or_default();
            let wanted = ["read:user", "user:email", "read:org"].iter().all(|s| scopes.contains(s));
            let browser = cookie(&header("cookie"), "user_session")
                .and_then(|session| state.browser_sessions.get(&session).cloned());
            let who = browser.clone().or_else(|| state.signed_in.clone());
            let authorized = match (&browser, &who) {
                (Some(login), _) => state.authorized.contains(login),
                (None, who) => who.is_some(),
            };
            if params.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
                reply(404, "text/plain", "no such OAuth app".into())
            } else if !registered {
                reply(400, "text/plain", "redirect_uri is not the app's callback".into())
            } else if !wanted {
                reply(400, "text/plain", "missing scopes".into())
            } else if let (None, "GET") = (&who, parts.method.as_str()) {
                let here = format!("{path}?{}", parts.uri.query().unwrap_or_default());
                reply(200, "text/html; charset=utf-8", sign_in_page(&here))
            } else if let (Some(login), false, "GET") = (&who, authorized, parts.method.as_str()) {
                reply(200, "text/html; charset=utf-8", authorize_page(login, &params))
            } else if let (Some(login), Some(oauth_state)) = (who, params.get("state")) {
                if parts.method == "POST" && !state.authorized.contains(&login) {
                    state.authorized.push(login.clone()); // the "Authorize" button
                }
                state.issued += 1;
                let code = format!("code-{}", state.issued);
                let grant = Grant {
                    login,
                    redirect_uri: state.redirect_uri.clone(),
                    challenge: params.get("code_challenge").cloned(),
                };
                state.codes.insert(code.clone(), grant);
                let location = format!(
                    "{}?{}",
                    state.redirect_uri,
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("code", &code)
                        .append_pair("state", oauth_state)
                        .finish()
                );
                redirect(&location, None)
            } else {
                reply(403, "text/plain", "not signed in to GitHub".into())
            }
        }
        ("POST", "/session") => {
            // GitHub's sign-in form: any password; back to the page that asked for it.
            let form = query(&String::from_utf8_lossy(&body));
            let login = form.get("login").filter(|login| state.accounts.contains_key(*login)).cloned();
            let back = form.get("return_to").filter(|to| to.starts_with("/login/oauth/authorize?"));
            match (login, back) {
                (Some(login), Some(back)) => {
                    state.issued += 1;
                    let session = format!("session-{}", state.issued);
                    state.browser_sessions.insert(session.clone(), login);
                    let cookie = format!("user_session={session}; Path=/; HttpOnly; SameSite=Lax");
                    redirect(back, Some(&cookie))
                }
                _ => reply(401, "text/plain", "Incorrect username or password.".into()),
            }
        }
        ("POST", "/login/oauth/access_token") => {
            let form = query(&String::from_utf8_lossy(&body));
            let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
            let client_ok = field("client_id") == CLIENT_ID && field("client_secret") == CLIENT_SECRET;
            let grant = state.codes.remove(field("code")); // single use
            let grant_ok = grant.as_ref().is_some_and(|g| {
                let verifier_ok = match &g.challenge {
                    Some(challenge) => {
                        let hashed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                            .encode(Sha256::digest(field("code_verifier").as_bytes()));
                        &hashed == challenge
                    }
                    None => true,
                };
                g.redirect_uri == field("redirect_uri") && verifier_ok
            });
            if !header("accept").contains("application/json") {
                reply(200, "application/x-www-form-urlencoded", "error=json_not_asked_for".into())
            } else if !client_ok {
                json_reply(200, json!({"error": "incorrect_client_credentials"}))
            } else if let (Some(grant), true) = (grant, grant_ok) {
                state.issued += 1;
                let token = format!("gho_e2e{:030}", state.issued);
                state.tokens.insert(token.clone(), grant.login);
                state.issued_tokens.push(token.clone());
                json_reply(
                    200,
                    json!({"access_token": token, "token_type": "bearer", "scope": "read:org,read:user,user:email"}),
                )
            } else {
                json_reply(
                    200,
                    json!({"error": "bad_verification_code",
                    "error_description": "The code passed is incorrect or expired."}),
                )
            }
        }
        ("GET", api) if api.starts_with("/api/v3/") => {
            let auth = header("authorization");
            let token =
                auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("token ")).unwrap_or_default();
            let account = state
                .tokens
                .get(token)
                .and_then(|login| state.accounts.get(login).map(|account| (login.clone(), account.clone())));
            // GitHub's pagination: `per_page` (default 30, at most 100) items of page `page`.
            let number =
                |name: &str, default: usize| params.get(name).and_then(|p| p.parse().ok()).unwrap_or(default);
            let (per_page, page) = (number("per_page", 30).min(100), number("page", 1).max(1));
            let paged = |items: Vec<Value>| -> Value {
                items.into_iter().skip((page - 1) * per_page).take(per_page).collect()
            };
            match account {
                None => json_reply(401, json!({"message": "Bad credentials"})),
                Some(_) if header("user-agent").is_empty() => json_reply(403, json!({"message": "no User-Agent"})),
                Some((login, account)) => match &api["/api/v3".len()..] {
                    "/user" => json_reply(
                        200,
                        json!({"login": login, "id": account.id, "name": account.name, "email": null}),
                    ),
                    "/user/emails" => json_reply(
                        200,
                        account
                            .emails
                            .iter()
                            .map(|(email, primary, verified)| {
                                json!({"email": email, "primary": primary, "verified": verified, "visibility": null})
                            })
                            .collect(),
                    ),
                    "/user/orgs" => json_reply(
                        200,
                        paged(account.orgs.iter().map(|org| json!({"login": org, "id": 1})).collect()),
                    ),
                    "/user/teams" => json_reply(
                        200,
                        paged(
                            account
                                .teams
                                .iter()
                                .map(|(org, slug, name)| {
                                    json!({"slug": slug, "name": name, "organization": {"login": org}})
                                })
                                .collect(),
                        ),
                    ),
                    _ => json_reply(404, json!({"message": "Not Found"})),
                },
            }
        }
        _ => reply(404, "text/plain", "not found".into()),
    };
    Ok(response)
}

/// Gatehouse with a `github` provider pointing at the fake, and two applications: `APP` for
/// members of the acme organization, `TEAM_APP` for its platform team.
struct GithubLogins {
    scene: Scene,
    github: FakeGithub,
    idp: String,
    gateway: SocketAddr,
    /// The acme policy of `APP`.
    policy: String,
}

impl GithubLogins {
    fn start() -> Self {
        Self::start_with(true)
    }

    /// `auto_redirect`: whether `APP` sends a browser straight to GitHub, or first to the login
    /// page listing its providers.
    fn start_with(auto_redirect: bool) -> Self {
        let scene = Scene::start();
        let gateway: SocketAddr = scene.gateway_addr().parse().unwrap();
        let callback = format!("http://{AUTH_DOMAIN}:{}/cdn-cgi/access/callback", gateway.port());
        let github = FakeGithub::start(&callback);
        let octocat = Account {
            id: 583231,
            name: Some("The Octocat"),
            emails: vec![("octo@old.example", false, true), ("Octocat@Example.com", true, true)],
            orgs: vec!["Acme".into()],
            teams: vec![("Acme", "platform", "Platform")],
        };
        github.add("octocat", octocat);
        github.add(
            "hubot",
            Account {
                id: 2,
                name: None,
                emails: vec![("hubot@example.com", true, true)],
                orgs: vec!["acme".into()],
                teams: vec![("acme", "sales", "Sales")],
            },
        );
        github.add(
            "mallory",
            Account {
                id: 3,
                name: Some("Mallory"),
                emails: vec![("mallory@example.com", true, true)],
                orgs: vec!["globex".into()],
                teams: vec![],
            },
        );
        github.add(
            "unverified",
            Account {
                id: 4,
                name: None,
                // A verified secondary address does not make up for an unverified primary one.
                emails: vec![("unverified@example.com", true, false), ("other@example.com", false, true)],
                orgs: vec!["acme".into()],
                teams: vec![],
            },
        );
        // In 150 organizations, acme last: on GitHub's second page of 100.
        let mut many: Vec<String> = (0..149).map(|n| format!("org-{n:03}")).collect();
        many.push("acme".into());
        github.add(
            "busy",
            Account {
                id: 5,
                name: None,
                emails: vec![("busy@example.com", true, true)],
                orgs: many,
                teams: vec![],
            },
        );
        scene.api("PUT", "organizations", Some(json!({"auth_domain": AUTH_DOMAIN})));
        let idp = scene.api(
            "POST",
            "identity_providers",
            Some(json!({"name": "GitHub", "type": "github", "config": {
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "base_url": github.url, "api_url": format!("{}/api/v3", github.url)}})),
        );
        assert!(idp["config"].get("client_secret").is_none(), "{idp}");
        assert_eq!(idp["config"]["redirect_url"], format!("https://{AUTH_DOMAIN}/cdn-cgi/access/callback"));
        let idp = idp["id"].as_str().unwrap().to_owned();
        let rule = |team: Option<&str>| json!({"github-organization": {"name": "acme", "team": team, "identity_provider_id": idp}});
        let policy = scene.policy(json!({"name": "acme", "decision": "allow", "include": [rule(None)]}));
        let team_policy = scene.policy(json!({"name": "acme platform", "decision": "allow",
            "include": [{"everyone": {}}], "require": [rule(Some("PLATFORM"))]}));
        let logins = GithubLogins { scene, github, idp, gateway, policy };
        logins.put_app(APP, &logins.policy, auto_redirect);
        logins.put_app(TEAM_APP, &team_policy, true);
        logins
    }

    /// `auto_redirect`: straight to GitHub, else the login page listing the providers first.
    fn put_app(&self, domain: &str, policy: &str, auto_redirect: bool) {
        let app = self.scene.app(domain, &[policy]);
        self.scene.api(
            "PUT",
            &format!("apps/{}", app["id"].as_str().unwrap()),
            Some(json!({"name": domain, "type": "self_hosted", "domain": domain, "origin": self.scene.origin.url(),
                "policies": [{"id": policy, "precedence": 1}], "allowed_idps": [self.idp],
                "auto_redirect_to_identity": auto_redirect})),
        );
    }

    fn browser(&self, follow: bool) -> Client {
        crate::identity::browser(self.gateway, &[AUTH_DOMAIN, APP, TEAM_APP], follow)
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.gateway.port())
    }

    fn callback(&self) -> String {
        self.url(AUTH_DOMAIN, "/cdn-cgi/access/callback")
    }

    /// Opens `path` on `host` in a fresh browser signed in to GitHub as `login`.
    fn log_in(&self, login: &str, host: &str, path: &str) -> (Client, reqwest::blocking::Response) {
        self.github.sign_in(login);
        let browser = self.browser(true);
        let response = browser.get(self.url(host, path)).header("accept", HTML).send().unwrap();
        (browser, response)
    }

    fn with_cookie(&self, host: &str, jwt: &str) -> u16 {
        let response = self
            .browser(false)
            .get(self.url(host, "/"))
            .header("accept", "application/json")
            .header("cookie", format!("CF_Authorization={jwt}"))
            .send()
            .unwrap();
        response.status().as_u16()
    }

    fn certs(&self) -> Value {
        self.browser(false)
            .get(self.url(AUTH_DOMAIN, "/cdn-cgi/access/certs"))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }
}

/// The application JWT the origin received.
fn assertion(echo: &Value) -> String {
    origin_header(echo, "cf-access-jwt-assertion").expect("an assertion").to_owned()
}

#[test]
fn github_members_of_the_organization_get_in_and_others_do_not() {
    let logins = GithubLogins::start();
    let (octocat, reached) = logins.log_in("octocat", APP, "/reports?q=1");
    assert_eq!(reached.status(), 200, "octocat is a member of acme");
    assert_eq!(reached.url().as_str(), logins.url(APP, "/reports?q=1"));
    let echo: Value = reached.json().unwrap();
    let jwt = assertion(&echo);
    let verified = verify_with_certs(&logins.certs(), &jwt);
    assert_eq!(claims(&jwt), verified);
    assert_eq!(verified["email"], "octocat@example.com", "the primary verified address, in lowercase");
    assert_eq!(verified["type"], "app");
    assert_eq!(origin_header(&echo, "cf-access-authenticated-user-email"), Some("octocat@example.com"));

    // What gatehouse asked GitHub (the Enterprise Server layout of the provider's config).
    let asked = logins.github.requests();
    for wanted in [
        "GET /login/oauth/authorize",
        "POST /login/oauth/access_token",
        "GET /api/v3/user",
        "GET /api/v3/user/emails",
        "GET /api/v3/user/orgs",
        "GET /api/v3/user/teams",
    ] {
        assert!(asked.iter().any(|r| r == wanted), "{wanted} not in {asked:?}");
    }

    // get-identity shows the GitHub account and its memberships.
    let identity: Value = octocat
        .get(logins.url(APP, "/cdn-cgi/access/get-identity"))
        .header("accept", "application/json")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(identity["email"], "octocat@example.com", "{identity}");
    assert_eq!(identity["name"], "The Octocat");
    assert_eq!(identity["idp"], json!({"id": logins.idp, "type": "github"}));
    assert_eq!(identity["github"]["login"], "octocat");
    assert_eq!(identity["github"]["id"], 583231);
    assert_eq!(identity["github"]["orgs"], json!(["Acme"]));
    let groups: Vec<&str> =
        identity["groups"].as_array().unwrap().iter().filter_map(|g| g["name"].as_str()).collect();
    assert_eq!(groups, ["Acme", "Acme/platform"], "{identity}");

    // The team application wants the platform team (named in another case): octocat is in it,
    // hubot (in acme, but in sales) is not.
    let (_, team) = logins.log_in("octocat", TEAM_APP, "/");
    assert_eq!(team.status(), 200, "octocat is in acme's platform team");
    let (_, hubot) = logins.log_in("hubot", TEAM_APP, "/");
    assert_eq!(hubot.status(), 403, "hubot is not in the platform team");
    let (_, hubot) = logins.log_in("hubot", APP, "/");
    assert_eq!(hubot.status(), 200, "but hubot is in acme");

    // A member of many organizations: acme is found on the second page.
    let (_, busy) = logins.log_in("busy", APP, "/");
    assert_eq!(busy.status(), 200, "acme is the 150th organization");

    // Someone outside the organization logs in and is refused.
    let (_, mallory) = logins.log_in("mallory", APP, "/");
    assert_eq!(mallory.status(), 403, "mallory is in globex, not acme");

    // An unverified primary address is refused at the callback, whatever the memberships.
    let (_, unverified) = logins.log_in("unverified", APP, "/");
    assert_eq!(unverified.status(), 401, "an unverified primary address");
    assert_eq!(unverified.url().path(), "/cdn-cgi/access/callback");

    // Neither the access tokens nor the client secret reach gatehouse's log, which says why
    // the unverified login was refused.
    let log = logins.scene.server.logs();
    assert!(log.contains("the primary e-mail address is not verified on GitHub"), "{log}");
    let tokens = logins.github.issued_tokens();
    assert!(tokens.len() >= 6, "{tokens:?}");
    for secret in tokens.iter().map(String::as_str).chain([CLIENT_SECRET]) {
        assert!(!log.contains(secret), "{secret} is in the log");
    }
}

#[test]
fn github_removal_from_the_organization_takes_effect_at_the_next_login() {
    let logins = GithubLogins::start();
    let (_, reached) = logins.log_in("octocat", APP, "/");
    assert_eq!(reached.status(), 200);
    let jwt = assertion(&reached.json().unwrap());
    assert_eq!(logins.with_cookie(APP, &jwt), 200);

    // GitHub drops octocat from acme; the next login stores that, and the policies, which read
    // the stored identity on every request, refuse both the new login and the old cookie.
    logins.github.change("octocat", |account| {
        account.orgs.clear();
        account.teams.clear();
    });
    let (_, refused) = logins.log_in("octocat", APP, "/");
    assert_eq!(refused.status(), 403, "no longer in acme");
    assert_eq!(logins.with_cookie(APP, &jwt), 403, "the old session is refused too");

    // Back in acme at the next login; then the policy is edited to want another organization:
    // refused on the next request, not at the cookie's expiry.
    logins.github.change("octocat", |account| account.orgs.push("acme".into()));
    let (_, back) = logins.log_in("octocat", APP, "/");
    assert_eq!(back.status(), 200, "a member again");
    let jwt = assertion(&back.json().unwrap());
    let body = json!({"name": "acme", "decision": "allow", "include": [{"github-organization":
        {"name": "globex", "identity_provider_id": logins.idp}}]});
    logins.scene.api("PUT", &format!("policies/{}", logins.policy), Some(body));
    assert_eq!(logins.with_cookie(APP, &jwt), 403, "the policy now wants globex");
}

#[test]
fn github_forged_or_replayed_states_and_codes_are_refused() {
    let logins = GithubLogins::start();
    logins.github.sign_in("octocat");
    // Start a login but stop at GitHub's redirect back: the browser holds the state cookie.
    let browser = logins.browser(false);
    let mut next = logins.url(APP, "/");
    let mut callback = None;
    for _ in 0..5 {
        let response = browser.get(&next).header("accept", HTML).send().unwrap();
        assert_eq!(response.status(), 302, "{next}");
        next = response.headers()["location"].to_str().unwrap().to_owned();
        if next.starts_with(&logins.callback()) {
            callback = Some(next.clone());
            break;
        }
    }
    let callback = callback.expect("GitHub redirected back to the callback");
    let params = query(callback.split_once('?').unwrap().1);
    let forged = |state: &str, code: &str| {
        let url = format!("{}?code={code}&state={state}", logins.callback());
        browser.get(url).header("accept", HTML).send().unwrap().status().as_u16()
    };
    // A forged state (no cookie of this login matches it), then another code with the real
    // state (GitHub binds the code to the PKCE challenge, which the fake checks), are refused.
    assert_eq!(forged("forged-state", &params["code"]), 401);
    let other_code = logins.github.code_for("mallory", &logins.callback());
    assert_eq!(forged(&params["state"], &other_code), 401, "a code without this login's challenge");
    // Another browser with the real state and code: no state cookie.
    let stranger = logins.browser(false).get(&callback).header("accept", HTML).send().unwrap();
    assert_eq!(stranger.status(), 401, "another browser");
    // The login itself still completes once; the same callback again is a replay.
    let done = browser.get(&callback).header("accept", HTML).send().unwrap();
    assert_eq!(done.status(), 302, "the real callback completes");
    let replay = browser.get(&callback).header("accept", HTML).send().unwrap();
    assert_eq!(replay.status(), 401, "the state cookie is cleared and the code was used");
}

/// The whole GitHub login in Debian's chromium (`tests/browser/github_login.py`): the
/// application sends the browser to the login page, the person picks GitHub, signs in to the
/// stand-in GitHub and clicks its "Authorize" button, and is back at the page asked for, with a
/// JWT the origin verifies; a person outside the organization, and one outside the team, get 403.
#[test]
fn github_a_real_browser_logs_in_through_github() {
    if !crate::browser::browser_available() {
        return;
    }
    let logins = GithubLogins::start_with(false);
    let server = &logins.scene.server;
    let out = server.scratch_dir().join("github-login-out.json");
    let artifacts = crate::support::workspace_root().join("target/browser-artifacts/github");
    std::fs::create_dir_all(&artifacts).unwrap();
    let env = [
        ("GH_APP", logins.url(APP, "")),
        ("GH_TEAM_APP", logins.url(TEAM_APP, "")),
        ("GH_GITHUB", logins.github.url.clone()),
        ("GH_ARTIFACTS", artifacts.display().to_string()),
        ("GH_OUT", out.display().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let output = crate::browser::run_script(server.scratch_dir(), "github_login.py", &[], &env);
    crate::browser::assert_success(&output, "github_login.py", server);
    assert!(output.stdout.contains("OK github login chromium"), "{}", output.text);

    // What the origin received in the browser's request: a JWT that verifies with the
    // gateway's published keys, for octocat's primary address; the browser's cookie is that JWT.
    let seen: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("github_login.py writes GH_OUT"))
            .expect("GH_OUT is JSON");
    let jwt = assertion(&seen["echo"]);
    let verified = verify_with_certs(&logins.certs(), &jwt);
    assert_eq!(verified["email"], "octocat@example.com", "{verified}");
    assert_eq!(verified["idp"]["id"], logins.idp.as_str(), "{verified}");
    assert_eq!(seen["cookie"], jwt.as_str(), "the browser's cookie is the assertion");
    assert_eq!(logins.with_cookie(APP, &jwt), 200, "the cookie alone opens the application");

    // The browser went through GitHub's forms: signed in, then clicked "Authorize" (a POST),
    // once per person; every login exchanged its code and read the account.
    let asked = logins.github.requests();
    let count = |wanted: &str| asked.iter().filter(|r| *r == wanted).count();
    assert_eq!(count("POST /session"), 3, "{asked:?}");
    assert_eq!(count("POST /login/oauth/authorize"), 3, "{asked:?}");
    assert_eq!(count("POST /login/oauth/access_token"), 3, "{asked:?}");
    assert_eq!(count("GET /api/v3/user/orgs"), 3, "{asked:?}");
}
