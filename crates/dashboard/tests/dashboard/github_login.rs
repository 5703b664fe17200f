//! The dashboard's login through a `github` identity provider, against a loopback stand-in for
//! GitHub of the test's own (axum on 127.0.0.1, port 0; GitHub Enterprise Server's layout, so
//! the provider's `base_url` and `api_url` are used): `/login/oauth/access_token` (the app's
//! secret, single-use codes bound to the redirect URI and the PKCE challenge, 200 with `error`
//! for a bad code, as GitHub answers) and the REST API under `/api/v3` (`/user`,
//! `/user/emails`, `/user/orgs`, `/user/teams`, with the access token as a bearer). Admission
//! is decided by `github-organization` rules in the admins' and viewers' policies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_dashboard::admission::Admission;
use gatehouse_domain::AuditActor;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::idp_login::{Started, callback, session_of, start};
use super::people::app_admitting;
use super::{Dash, Page};

const CLIENT_ID: &str = "Iv1.dashboard0123456";
const CLIENT_SECRET: &str = "github-app-secret-for-dashboard-tests";
const ADMINS: &str = "gh-admins.example.test";
const VIEWERS: &str = "gh-viewers.example.test";

/// A GitHub account of the stand-in: its login, primary address and organizations.
#[derive(Clone)]
struct Account {
    id: u64,
    email: &'static str,
    orgs: Vec<&'static str>,
}

/// A code the stand-in issued: for whom, to which redirect URI, with which PKCE challenge.
struct Grant {
    login: String,
    redirect_uri: String,
    challenge: String,
}

#[derive(Clone, Default)]
struct Github {
    base: String,
    accounts: Arc<HashMap<&'static str, Account>>,
    grants: Arc<Mutex<HashMap<String, Grant>>>,
    /// Access token → login.
    tokens: Arc<Mutex<HashMap<String, String>>>,
}

async fn access_token(State(gh): State<Github>, body: String) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let field = |name: &str| form.get(name).map_or("", String::as_str);
    if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
        return axum::Json(json!({"error": "incorrect_client_credentials"})).into_response();
    }
    // Single use, like GitHub's codes.
    let grant = gh.grants.lock().unwrap().remove(field("code"));
    let good = grant.as_ref().is_some_and(|grant| {
        grant.redirect_uri == field("redirect_uri")
            && URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes())) == grant.challenge
    });
    let (Some(grant), true) = (grant, good) else {
        return axum::Json(json!({"error": "bad_verification_code"})).into_response();
    };
    let token = format!("gho_{}", gh.tokens.lock().unwrap().len() + 1);
    gh.tokens.lock().unwrap().insert(token.clone(), grant.login);
    axum::Json(
        json!({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email,read:org"}),
    )
    .into_response()
}

/// The account the request's bearer token stands for.
fn caller(gh: &Github, headers: &HeaderMap) -> Option<(String, Account)> {
    let token = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")?;
    let login = gh.tokens.lock().unwrap().get(token).cloned()?;
    let account = gh.accounts.get(login.as_str())?.clone();
    Some((login, account))
}

async fn api(State(gh): State<Github>, uri: axum::http::Uri, headers: HeaderMap) -> Response {
    let Some((login, account)) = caller(&gh, &headers) else {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"message": "Bad credentials"}))).into_response();
    };
    // One page holds every item (fewer than a page's 100): later pages are empty.
    let later_page = uri.query().is_some_and(|q| q.contains("page=") && !q.contains("page=1"));
    let body = match uri.path() {
        "/api/v3/user" => json!({"login": login, "id": account.id, "name": null}),
        "/api/v3/user/emails" => json!([{"email": account.email, "primary": true, "verified": true}]),
        "/api/v3/user/orgs" if later_page => json!([]),
        "/api/v3/user/orgs" => Value::Array(account.orgs.iter().map(|org| json!({"login": org})).collect()),
        "/api/v3/user/teams" => json!([]),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    axum::Json(body).into_response()
}

impl Github {
    async fn start() -> Github {
        let accounts = HashMap::from([
            ("octo-admin", Account { id: 1, email: "octo-admin@example.net", orgs: vec!["acme"] }),
            ("octo-viewer", Account { id: 2, email: "octo-viewer@example.net", orgs: vec!["acme-readers"] }),
            ("mallory", Account { id: 3, email: "mallory@example.org", orgs: vec!["evil-corp"] }),
        ]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gh = Github {
            base: format!("http://{}", listener.local_addr().unwrap()),
            accounts: Arc::new(accounts),
            ..Github::default()
        };
        let app = Router::new()
            .route("/login/oauth/access_token", post(access_token))
            .route("/api/v3/{*rest}", get(api))
            .with_state(gh.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        gh
    }

    /// The `github` provider of the account, stored through the API's operation.
    async fn register(&self, dash: &Dash) -> String {
        let actor = AuditActor { id: "t".into(), name: "test".into(), kind: "token".into(), ip: None };
        let body = json!({"name": "GitHub", "type": "github", "config": {
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "base_url": self.base, "api_url": format!("{}/api/v3", self.base)}});
        let created =
            gatehouse_api::access::identity_providers::create(&dash.state, &actor, &dash.account, body)
                .await
                .unwrap();
        created["id"].as_str().unwrap().to_owned()
    }

    /// GitHub's answer to the person `login` authorizing the app for this login: a code.
    fn authorize(&self, started: &Started, code: &str, login: &str) {
        let grant = Grant {
            login: login.to_owned(),
            redirect_uri: started.query["redirect_uri"].clone(),
            challenge: started.query["code_challenge"].clone(),
        };
        self.grants.lock().unwrap().insert(code.to_owned(), grant);
    }
}

/// A dashboard whose admins are the members of GitHub's `acme`, its viewers those of
/// `acme-readers`; with the stand-in and the provider's id.
async fn github_dashboard() -> (Dash, Github, String) {
    let admission = Admission { admins_app: Some(ADMINS.into()), viewers_app: Some(VIEWERS.into()) };
    let dash = Dash::with_admission(Some(admission)).await;
    let gh = Github::start().await;
    let idp = gh.register(&dash).await;
    let admin = dash.login(super::ADMIN).await;
    let org = |name: &str| {
        format!(r#"[{{"github-organization": {{"name": "{name}", "identity_provider_id": "{idp}"}}}}]"#)
    };
    app_admitting(&dash, &admin, ADMINS, &org("acme")).await;
    app_admitting(&dash, &admin, VIEWERS, &org("acme-readers")).await;
    (dash, gh, idp)
}

/// Whether `page` starts no session.
pub fn no_session(page: &Page) -> bool {
    !page
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("__Host-gatehouse_session="))
}

/// The whole login of the GitHub account `login`, in a fresh browser.
async fn log_in(dash: &Dash, gh: &Github, idp: &str, login: &str) -> Page {
    let started = start(dash, idp).await;
    let code = format!("code-{login}-{}", started.query["state"]);
    gh.authorize(&started, &code, login);
    callback(dash, &started.query["state"], &code, &started.cookie).await
}

#[tokio::test]
async fn an_organization_member_logs_in_as_admin_or_viewer() {
    let (dash, gh, idp) = github_dashboard().await;
    let page = dash.get("/dash/login", "").await;
    assert!(page.body.contains(&format!("href=\"/dash/login/idp/{idp}\"")), "{}", page.body);
    assert!(page.body.contains("Log in with GitHub"));

    let off = dash.get(&format!("/dash/login/idp/{idp}"), "").await;
    let location = off.headers[header::LOCATION].to_str().unwrap();
    assert!(location.starts_with(&format!("{}/login/oauth/authorize?", gh.base)), "{location}");
    let started = start(&dash, &idp).await;
    assert_eq!(started.query["client_id"], CLIENT_ID);
    assert_eq!(started.query["redirect_uri"], "http://127.0.0.1:8787/dash/login/callback");
    assert_eq!(started.query["scope"], "read:user user:email read:org");
    assert_eq!(started.query["code_challenge_method"], "S256");

    let admin = session_of(&log_in(&dash, &gh, &idp, "octo-admin").await);
    let tokens = dash.get("/dash/tokens", &admin).await;
    assert_eq!(tokens.status, StatusCode::OK);
    assert!(tokens.body.contains("octo-admin@example.net") && tokens.body.contains("Create service token"));
    let created = dash.post("/dash/tokens", &admin, &[("name", "by-octo"), ("duration", "8760h")]).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);

    let viewer = session_of(&log_in(&dash, &gh, &idp, "octo-viewer").await);
    let tokens = dash.get("/dash/tokens", &viewer).await;
    assert_eq!(tokens.status, StatusCode::OK, "the session's identity keeps admitting: {}", tokens.body);
    assert!(tokens.body.contains("octo-viewer@example.net") && !tokens.body.contains("Create service token"));
    let refused = dash.post("/dash/tokens", &viewer, &[("name", "by-viewer")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "read-only");
}

#[tokio::test]
async fn a_member_of_another_organization_is_refused_without_a_session() {
    let (dash, gh, idp) = github_dashboard().await;
    let refused = log_in(&dash, &gh, &idp, "mallory").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("mallory@example.org is not allowed to use this dashboard"));
    assert!(no_session(&refused));
}

#[tokio::test]
async fn forged_and_replayed_github_logins_are_refused() {
    let (dash, gh, idp) = github_dashboard().await;
    let failed = |page: &Page| {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.body);
        assert!(page.body.contains("The login could not be completed"), "{}", page.body);
        assert!(no_session(page));
    };
    let one = start(&dash, &idp).await;
    gh.authorize(&one, "c1", "octo-admin");
    // Another browser, a made-up state.
    failed(&callback(&dash, &one.query["state"], "c1", "").await);
    failed(&callback(&dash, "forged-state", "c1", &one.cookie).await);
    // A code GitHub refuses (never issued).
    let two = start(&dash, &idp).await;
    failed(&callback(&dash, &two.query["state"], "never-issued", &two.cookie).await);
    // The genuine callback works once; replayed, even with a fresh code, it is refused.
    session_of(&callback(&dash, &one.query["state"], "c1", &one.cookie).await);
    gh.authorize(&one, "c1-again", "octo-admin");
    failed(&callback(&dash, &one.query["state"], "c1-again", &one.cookie).await);
    // A code bound to another login's PKCE challenge.
    let three = start(&dash, &idp).await;
    let mut other = Started { cookie: three.cookie.clone(), query: three.query.clone() };
    other.query.insert("code_challenge".into(), URL_SAFE_NO_PAD.encode(Sha256::digest(b"another verifier")));
    gh.authorize(&other, "pkce", "octo-admin");
    failed(&callback(&dash, &three.query["state"], "pkce", &three.cookie).await);
}
