//! A person's dashboard session (as an identity login starts it): the pages name them, their
//! permission decides the write controls and the API's own check refuses a read-only person's
//! writes, and the audit log names the person who made a change.

use axum::http::StatusCode;
use gatehouse_api::pagination::Pagination;
use gatehouse_dashboard::Principal;
use gatehouse_dashboard::admission::{Admission, admit};
use gatehouse_domain::Permission;
use gatehouse_domain::access::IdpId;
use gatehouse_store::AuditFilter;

use super::Dash;

pub const ADMINS: &str = "dash-admins.example.test";
pub const VIEWERS: &str = "dash-viewers.example.test";

/// The admission of these tests: the admins' and viewers' applications by domain.
pub fn admission() -> Admission {
    Admission { admins_app: Some(ADMINS.to_owned()), viewers_app: Some(VIEWERS.to_owned()) }
}

/// A dashboard with identity logins on: alice@example.com is in the admins' policy (its id is
/// returned), everyone at example.com in the viewers'.
pub async fn admitting() -> (Dash, String) {
    let dash = Dash::with_admission(Some(admission())).await;
    let cookie = dash.login(super::ADMIN).await;
    let admins =
        app_admitting(&dash, &cookie, ADMINS, r#"[{"email": {"email": "alice@example.com"}}]"#).await;
    app_admitting(&dash, &cookie, VIEWERS, r#"[{"email_domain": {"domain": "example.com"}}]"#).await;
    (dash, admins)
}

/// A session as an identity login starts it (`permission` as admitted at login).
fn person_cookie(dash: &Dash, email: &str, permission: Permission) -> String {
    let principal = Principal::Person {
        account: dash.account.clone(),
        email: email.to_owned(),
        idp: IdpId::generate().to_string(),
        permission,
        identity: None,
    };
    let id = dash.sessions.start(principal).unwrap();
    dash.sessions.cookie(&id).split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_person_acts_with_their_permission_and_the_audit_log_names_them() {
    let (dash, _) = admitting().await;
    let alice = person_cookie(&dash, "alice@example.com", Permission::Edit);
    let list = dash.get("/dash/tokens", &alice).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("alice@example.com"), "the page names who is logged in");
    assert!(list.body.contains("Create service token"));

    let created =
        dash.post("/dash/tokens", &alice, &[("name", "made-by-alice"), ("duration", "8760h")]).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let records = gatehouse_api::audit::list(
        &dash.state,
        &dash.account,
        &AuditFilter::default(),
        Pagination { page: 1, per_page: 50 },
    )
    .await
    .unwrap();
    let json = records
        .items
        .iter()
        .map(gatehouse_api::audit::to_json)
        .find(|json| json["resource"]["type"] == "service_token")
        .unwrap_or_else(|| panic!("the creation is audited"));
    let actor = &json["actor"];
    assert_eq!(actor["email"], "alice@example.com", "{actor}");
    assert_eq!(actor["context"], "identity_login", "{actor}");
    assert_eq!(actor["token_id"], serde_json::Value::Null, "{actor}");
    assert!(dash.get("/dash/audit", &alice).await.body.contains("alice@example.com"));

    let bob = person_cookie(&dash, "bob@example.com", Permission::Read);
    let list = dash.get("/dash/tokens", &bob).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains("Create service token"), "no write controls for a read-only person");
    let refused = dash.post("/dash/tokens", &bob, &[("name", "made-by-bob")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("code 9109"), "the API's permission check answered: {}", refused.body);
}

/// An application with one `allow` policy whose include rules are `rules` (JSON), made with the
/// dashboard's forms; returns its id.
pub async fn app_admitting(dash: &Dash, cookie: &str, domain: &str, rules: &str) -> String {
    let form = [("name", domain), ("domain", domain), ("type", "self_hosted")];
    let created = dash.post("/dash/apps", cookie, &form).await;
    let path = created.headers[axum::http::header::LOCATION].to_str().unwrap().to_owned();
    let policy = [("name", "people"), ("decision", "allow"), ("include.other", rules)];
    let added = dash.post(&format!("{path}/policies"), cookie, &policy).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    path.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_admins_and_viewers_applications_decide_who_logs_in_and_with_which_permission() {
    let dash = Dash::new().await;
    let cookie = dash.login(super::ADMIN).await;
    let admins = app_admitting(
        &dash,
        &cookie,
        "dash-admins.example.test",
        r#"[{"email": {"email": "alice@example.com"}}]"#,
    )
    .await;
    app_admitting(
        &dash,
        &cookie,
        "dash-viewers.example.test",
        r#"[{"email_domain": {"domain": "example.com"}}]"#,
    )
    .await;
    let admission =
        Admission { admins_app: Some(admins), viewers_app: Some("dash-viewers.example.test".to_owned()) };
    let ip = "192.0.2.10".parse().unwrap();
    let idp = IdpId::generate();
    let permission = |email: &'static str| {
        let (dash, admission) = (&dash, &admission);
        async move { admit(&dash.state, &dash.account, admission, email, idp, None, ip).await.unwrap() }
    };
    assert_eq!(permission("Alice@Example.com").await, Some(Permission::Edit), "named by the admins' app");
    assert_eq!(permission("bob@example.com").await, Some(Permission::Read), "the viewers' domain");
    assert_eq!(permission("mallory@example.org").await, None, "neither");

    let nothing = Admission { admins_app: Some("no-such-app.example.test".to_owned()), viewers_app: None };
    assert!(nothing.enabled());
    assert_eq!(
        admit(&dash.state, &dash.account, &nothing, "alice@example.com", idp, None, ip).await.unwrap(),
        None
    );
    assert!(!Admission::default().enabled(), "no setting, no identity login");
}

#[tokio::test]
async fn every_request_of_a_person_decides_their_permission_again() {
    let (dash, admins) = admitting().await;
    let admin = dash.login(super::ADMIN).await;
    // Logged in as an admin, and as a viewer whose session claims more than it was given.
    let alice = person_cookie(&dash, "alice@example.com", Permission::Edit);
    let bob = person_cookie(&dash, "bob@example.com", Permission::Edit);
    assert!(dash.get("/dash/tokens", &alice).await.body.contains("Create service token"));
    let bob_list = dash.get("/dash/tokens", &bob).await;
    assert_eq!(bob_list.status, StatusCode::OK);
    assert!(
        !bob_list.body.contains("Create service token"),
        "bob is only a viewer, whatever the session held"
    );
    assert_eq!(dash.post("/dash/tokens", &bob, &[("name", "by-bob")]).await.status, StatusCode::FORBIDDEN);

    // Alice leaves the admins' policy: at once a viewer (she is at example.com)…
    let app = dash.get(&format!("/dash/apps/{admins}"), &admin).await;
    let policy = app
        .body
        .split("/policies/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the app page links its policy: {}", app.body))
        .to_owned();
    let changed = [
        ("name", "people"),
        ("decision", "allow"),
        ("include.other", r#"[{"email": {"email": "carol@example.com"}}]"#),
    ];
    let saved = dash.post(&format!("/dash/apps/{admins}/policies/{policy}"), &admin, &changed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let list = dash.get("/dash/tokens", &alice).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains("Create service token"), "alice lost the write controls on the next request");
    let refused = dash.post("/dash/tokens", &alice, &[("name", "by-alice")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // …and someone neither application admits any more loses the session.
    let mallory = person_cookie(&dash, "mallory@example.org", Permission::Read);
    let out = dash.get("/dash/tokens", &mallory).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.headers[axum::http::header::LOCATION], "/dash/login");

    // Without identity logins configured, no person session is honoured.
    let off = Dash::new().await;
    let stale = person_cookie(&off, "alice@example.com", Permission::Edit);
    assert_eq!(off.get("/dash/tokens", &stale).await.status, StatusCode::SEE_OTHER);
}
