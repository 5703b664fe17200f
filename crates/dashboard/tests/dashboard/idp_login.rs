//! The identity login's round trip in-process, against a small OpenID Provider of the test's
//! own (an axum server on a free port: `/jwks` with an Ed25519 key, `/token` that checks the
//! client's secret and the PKCE verifier and returns the ID token the test chose for the code):
//! the redirect to the provider, the state cookie, the callback's checks (state bound to the
//! browser and used once, nonce, signature, verified address) and the admission decision.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use gatehouse_domain::AuditActor;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::people::{admitting, app_admitting};
use super::{Dash, Page, START};

const CLIENT_SECRET: &str = "fake-op-client-secret";

/// What the fake provider answers for one code.
#[derive(Clone)]
struct Grant {
    claims: Value,
    challenge: String,
}

#[derive(Clone)]
struct Op {
    key: Arc<jsonwebtoken::EncodingKey>,
    jwks: Value,
    grants: Arc<Mutex<HashMap<String, Grant>>>,
    issuer: String,
}

async fn serve_jwks(State(op): State<Op>) -> Response {
    axum::Json(op.jwks.clone()).into_response()
}

async fn token(State(op): State<Op>, headers: HeaderMap, body: String) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let basic = format!("Basic {}", STANDARD.encode(format!("gatehouse:{CLIENT_SECRET}")));
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"}))).into_response();
    }
    // A code is good once.
    let grant = op.grants.lock().unwrap().remove(form.get("code").map_or("", String::as_str));
    let Some(grant) = grant else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "invalid_grant"}))).into_response();
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "invalid_grant"}))).into_response();
    }
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some("k1".into());
    let id_token = jsonwebtoken::encode(&header, &grant.claims, &op.key).unwrap();
    axum::Json(json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token})).into_response()
}

/// Starts the fake provider; returns it with its base URL.
async fn start_op() -> Op {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let key = Arc::new(jsonwebtoken::EncodingKey::from_ed_der(&pair.serialize_der()));
    let x = URL_SAFE_NO_PAD.encode(pair.public_key_raw());
    let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1", "alg": "EdDSA"}]});
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let op = Op { key, jwks, grants: Arc::default(), issuer };
    let app =
        Router::new().route("/jwks", get(serve_jwks)).route("/token", post(token)).with_state(op.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    op
}

/// A login in one browser: the state cookie it holds and the provider's parameters.
pub struct Started {
    pub cookie: String,
    pub query: HashMap<String, String>,
}

impl Op {
    /// The `oidc` identity provider of the account, stored through the API's operation.
    async fn register(&self, dash: &Dash) -> String {
        let actor = AuditActor { id: "t".into(), name: "test".into(), kind: "token".into(), ip: None };
        let body = json!({"name": "Fake OP", "type": "oidc", "config": {
            "client_id": "gatehouse", "client_secret": CLIENT_SECRET,
            "auth_url": format!("{}/auth", self.issuer), "token_url": format!("{}/token", self.issuer),
            "certs_url": format!("{}/jwks", self.issuer), "scopes": ["openid", "email"], "claims": ["groups"],
            "issuer": self.issuer}});
        let created =
            gatehouse_api::access::identity_providers::create(&dash.state, &actor, &dash.account, body)
                .await
                .unwrap();
        created["id"].as_str().unwrap().to_owned()
    }

    /// The code the provider hands out for this login, naming `email` (and `extra` claims).
    fn grant(&self, started: &Started, code: &str, email: &str, extra: Value) {
        let mut claims = json!({"iss": self.issuer, "aud": "gatehouse", "sub": email, "email": email,
            "email_verified": true, "iat": START, "exp": START + 300, "nonce": started.query["nonce"]});
        for (name, value) in extra.as_object().unwrap() {
            claims[name] = value.clone();
        }
        let challenge = started.query["code_challenge"].clone();
        self.grants.lock().unwrap().insert(code.to_owned(), Grant { claims, challenge });
    }
}

/// Follows the provider's link on the login page.
pub async fn start(dash: &Dash, idp: &str) -> Started {
    let page = dash.get(&format!("/dash/login/idp/{idp}"), "").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.headers[header::LOCATION].to_str().unwrap();
    let query: HashMap<String, String> =
        form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes()).into_owned().collect();
    let set = page.headers[header::SET_COOKIE].to_str().unwrap();
    for part in ["Path=/dash/login/callback", "HttpOnly", "SameSite=Lax", "Secure", "Max-Age=600"] {
        assert!(set.contains(part), "the state cookie: {set}");
    }
    Started { cookie: set.split(';').next().unwrap().to_owned(), query }
}

/// The provider's redirect back, in the browser holding `cookie`.
pub async fn callback(dash: &Dash, state: &str, code: &str, cookie: &str) -> Page {
    let path = format!("/dash/login/callback?code={code}&state={state}");
    dash.send(Method::GET, &path, &[("cookie", cookie), ("sec-fetch-site", "cross-site")], "").await
}

/// The session cookie a successful callback set (as the `Cookie` header value).
pub fn session_of(page: &Page) -> String {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    session_cookie(&page.headers)
}

/// The session cookie `headers` set (as the `Cookie` header value).
pub fn session_cookie(headers: &HeaderMap) -> String {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("__Host-gatehouse_session="))
        .unwrap_or_else(|| panic!("a session cookie: {headers:?}"))
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_admin_and_a_viewer_log_in_through_the_provider_with_their_permission() {
    let (dash, _) = admitting().await;
    let op = start_op().await;
    let idp = op.register(&dash).await;

    let login = dash.get("/dash/login", "").await;
    assert!(login.body.contains(&format!("href=\"/dash/login/idp/{idp}\"")), "{}", login.body);
    assert!(login.body.contains("Log in with Fake OP"));
    assert!(
        !Dash::new().await.get("/dash/login", "").await.body.contains("/dash/login/idp/"),
        "off: no buttons"
    );

    let alice = start(&dash, &idp).await;
    assert!(
        alice.query["code_challenge_method"] == "S256"
            && alice.query["redirect_uri"] == "http://127.0.0.1:8787/dash/login/callback"
    );
    assert_eq!(alice.query["client_id"], "gatehouse");
    op.grant(&alice, "code-alice", "Alice@Example.com", json!({}));
    let done = callback(&dash, &alice.query["state"], "code-alice", &alice.cookie).await;
    assert!(
        done.body.contains("http-equiv=\"refresh\" content=\"0; url=/dash/\""),
        "moves on by itself: {}",
        done.body
    );
    let cleared = done.headers.get_all(header::SET_COOKIE).iter().any(|v| {
        let v = v.to_str().unwrap();
        v.starts_with(alice.cookie.split('=').next().unwrap()) && v.contains("Max-Age=0")
    });
    assert!(cleared, "the state cookie is cleared: {:?}", done.headers);
    let session = session_of(&done);
    let tokens = dash.get("/dash/tokens", &session).await;
    assert_eq!(tokens.status, StatusCode::OK);
    assert!(tokens.body.contains("alice@example.com") && tokens.body.contains("Create service token"));
    let created = dash.post("/dash/tokens", &session, &[("name", "by-alice"), ("duration", "8760h")]).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);

    let bob = start(&dash, &idp).await;
    op.grant(&bob, "code-bob", "bob@example.com", json!({}));
    let bob = session_of(&callback(&dash, &bob.query["state"], "code-bob", &bob.cookie).await);
    let tokens = dash.get("/dash/tokens", &bob).await;
    assert!(tokens.body.contains("bob@example.com") && !tokens.body.contains("Create service token"));
    assert_eq!(dash.post("/dash/tokens", &bob, &[("name", "by-bob")]).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_person_neither_application_admits_is_refused() {
    let (dash, _) = admitting().await;
    let op = start_op().await;
    let idp = op.register(&dash).await;
    let mallory = start(&dash, &idp).await;
    op.grant(&mallory, "code-m", "mallory@example.org", json!({}));
    let refused = callback(&dash, &mallory.query["state"], "code-m", &mallory.cookie).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("mallory@example.org is not allowed to use this dashboard"));
    let sessions = refused
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter(|v| v.to_str().unwrap().starts_with("__Host-gatehouse_session="));
    assert_eq!(sessions.count(), 0, "no session");
}

#[tokio::test]
async fn forged_replayed_and_tampered_logins_are_refused() {
    let (dash, _) = admitting().await;
    let op = start_op().await;
    let idp = op.register(&dash).await;
    let failed = |page: &Page| {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.body);
        assert!(page.body.contains("The login could not be completed"), "{}", page.body);
        assert!(
            !page
                .headers
                .get_all(header::SET_COOKIE)
                .iter()
                .any(|v| { v.to_str().unwrap().starts_with("__Host-gatehouse_session=") })
        );
    };

    // Another browser (no state cookie), a made-up state, a state cookie of another login.
    let one = start(&dash, &idp).await;
    let two = start(&dash, &idp).await;
    op.grant(&one, "c1", "alice@example.com", json!({}));
    failed(&callback(&dash, &one.query["state"], "c1", "").await);
    failed(&callback(&dash, "forged-state", "c1", &one.cookie).await);
    failed(
        &callback(
            &dash,
            &one.query["state"],
            "c1",
            &two.cookie.replacen(
                two.cookie.split('=').next().unwrap(),
                one.cookie.split('=').next().unwrap(),
                1,
            ),
        )
        .await,
    );
    // A state cookie altered by one character does not open.
    let mut altered = one.cookie.clone().into_bytes();
    let last = altered.len() - 3;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    failed(&callback(&dash, &one.query["state"], "c1", std::str::from_utf8(&altered).unwrap()).await);
    // The provider's error.
    let page = dash
        .send(
            Method::GET,
            &format!("/dash/login/callback?error=access_denied&state={}", one.query["state"]),
            &[("cookie", &one.cookie)],
            "",
        )
        .await;
    failed(&page);

    // The genuine callback works once; replayed (even with a fresh code) it is refused.
    session_of(&callback(&dash, &one.query["state"], "c1", &one.cookie).await);
    op.grant(&one, "c1-again", "alice@example.com", json!({}));
    failed(&callback(&dash, &one.query["state"], "c1-again", &one.cookie).await);

    // An ID token for another login (wrong nonce), another audience, from another key, or
    // with an unverified address; a code exchanged with the wrong PKCE verifier.
    for (i, extra) in [
        json!({"nonce": "not-this-logins"}),
        json!({"aud": "someone-else"}),
        json!({"iss": "https://evil.example"}),
        json!({"exp": START - 3600}),
        json!({"email_verified": false}),
    ]
    .into_iter()
    .enumerate()
    {
        let login = start(&dash, &idp).await;
        let code = format!("bad-{i}");
        op.grant(&login, &code, "alice@example.com", extra.clone());
        let page = callback(&dash, &login.query["state"], &code, &login.cookie).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{extra}: {}", page.body);
    }
    let login = start(&dash, &idp).await;
    let mut wrong = Started { cookie: login.cookie.clone(), query: login.query.clone() };
    wrong.query.insert("code_challenge".into(), URL_SAFE_NO_PAD.encode(Sha256::digest(b"other verifier")));
    op.grant(&wrong, "pkce", "alice@example.com", json!({}));
    failed(&callback(&dash, &login.query["state"], "pkce", &login.cookie).await);

    // After the ten minutes a login may take, its state cookie is refused.
    let late = start(&dash, &idp).await;
    op.grant(&late, "late", "alice@example.com", json!({}));
    dash.clock.set(gatehouse_domain::Timestamp::from_unix(START + 601));
    failed(&callback(&dash, &late.query["state"], "late", &late.cookie).await);

    // Unknown providers, or identity logins off.
    assert_eq!(dash.get("/dash/login/idp/not-an-id", "").await.status, StatusCode::NOT_FOUND);
    let other = gatehouse_domain::access::IdpId::generate();
    assert_eq!(dash.get(&format!("/dash/login/idp/{other}"), "").await.status, StatusCode::NOT_FOUND);
    let off = Dash::new().await;
    assert_eq!(off.get(&format!("/dash/login/idp/{idp}"), "").await.status, StatusCode::NOT_FOUND);
}

/// The admission policies see what the login established: an `oidc` rule on the provider's
/// `groups` claim admits the person whose ID token carries it, and only them.
#[tokio::test]
async fn the_admission_policies_see_the_claims_of_the_login() {
    use gatehouse_dashboard::admission::Admission;
    let admission = Admission { admins_app: Some("claims-admins.example.test".into()), viewers_app: None };
    let dash = Dash::with_admission(Some(admission)).await;
    let op = start_op().await;
    let idp = op.register(&dash).await;
    let admin = dash.login(super::ADMIN).await;
    let rules = format!(
        r#"[{{"oidc": {{"claim_name": "groups", "claim_value": "dash-admins", "identity_provider_id": "{idp}"}}}}]"#
    );
    app_admitting(&dash, &admin, "claims-admins.example.test", &rules).await;

    let carol = start(&dash, &idp).await;
    op.grant(&carol, "carol", "carol@example.net", json!({"groups": ["staff", "dash-admins"]}));
    let carol = session_of(&callback(&dash, &carol.query["state"], "carol", &carol.cookie).await);
    assert!(
        dash.get("/dash/tokens", &carol).await.body.contains("Create service token"),
        "admitted by the claim"
    );

    let dave = start(&dash, &idp).await;
    op.grant(&dave, "dave", "dave@example.net", json!({"groups": ["staff"]}));
    let refused = callback(&dash, &dave.query["state"], "dave", &dave.cookie).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}
