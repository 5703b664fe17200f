//! A person's dashboard session (as an identity login starts it): the pages name them, their
//! permission decides the write controls and the API's own check refuses a read-only person's
//! writes, and the audit log names the person who made a change.

use axum::http::StatusCode;
use gatehouse_api::pagination::Pagination;
use gatehouse_dashboard::Principal;
use gatehouse_domain::Permission;
use gatehouse_store::AuditFilter;

use super::Dash;

fn person_cookie(dash: &Dash, email: &str, permission: Permission) -> String {
    let principal = Principal::Person {
        account: dash.account.clone(),
        email: email.to_owned(),
        idp: "3f0c6a0e-idp".to_owned(),
        permission,
    };
    let id = dash.sessions.start(principal).unwrap();
    dash.sessions.cookie(&id).split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_person_acts_with_their_permission_and_the_audit_log_names_them() {
    let dash = Dash::new().await;
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
    let record = records.items.first().unwrap_or_else(|| panic!("the creation is audited"));
    let json = gatehouse_api::audit::to_json(record);
    assert_eq!(json["resource"]["type"], "service_token", "{json}");
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
async fn app_admitting(dash: &Dash, cookie: &str, domain: &str, rules: &str) -> String {
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
    use gatehouse_dashboard::admission::{Admission, admit};
    use gatehouse_domain::access::IdpId;

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
        async move { admit(&dash.state, &dash.account, admission, email, idp, ip).await.unwrap() }
    };
    assert_eq!(permission("Alice@Example.com").await, Some(Permission::Edit), "named by the admins' app");
    assert_eq!(permission("bob@example.com").await, Some(Permission::Read), "the viewers' domain");
    assert_eq!(permission("mallory@example.org").await, None, "neither");

    let nothing = Admission { admins_app: Some("no-such-app.example.test".to_owned()), viewers_app: None };
    assert!(nothing.enabled());
    assert_eq!(
        admit(&dash.state, &dash.account, &nothing, "alice@example.com", idp, ip).await.unwrap(),
        None
    );
    assert!(!Admission::default().enabled(), "no setting, no identity login");
}
