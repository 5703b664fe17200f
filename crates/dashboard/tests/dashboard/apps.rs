//! Applications and their policies through the dashboard's forms: what the forms save is what
//! the API's operations read back, and bad input comes back as the form with a clear reason.

use axum::http::{Method, StatusCode, header};
use gatehouse_api::access::{app_policies, apps, groups};
use gatehouse_api::pagination::Pagination;
use gatehouse_domain::{
    ClientId, Clock, HashPurpose, NewServiceToken, Secret, ServiceToken, TokenDuration, TokenId,
};
use gatehouse_store::{AuditFilter, PageRequest};
use serde_json::{Value, json};

use super::{ADMIN, Dash, READER};

const ALL: Pagination = Pagination { page: 1, per_page: 1000 };

/// Stores a service token named `name`.
pub async fn token(dash: &Dash, name: &str) -> ServiceToken {
    let token = ServiceToken::create(
        TokenId::generate(),
        NewServiceToken {
            account_id: dash.account.clone(),
            name: name.to_owned(),
            client_id: ClientId::generate(),
            duration: TokenDuration::parse("8760h").unwrap(),
            enabled: true,
            secret_hash: dash
                .state
                .key
                .hash(HashPurpose::ServiceTokenSecret, &Secret::new(format!("s-{name}"))),
            secret_version: 1,
        },
        dash.clock.now(),
    );
    dash.state.store.insert_service_token(&token).await.unwrap();
    token
}

fn location(page: &super::Page) -> String {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.headers[header::LOCATION].to_str().unwrap().to_owned()
}

async fn only_app(dash: &Dash) -> Value {
    let (apps, total) = apps::list(&dash.state, &dash.account, &Default::default(), ALL).await.unwrap();
    assert_eq!(total, 1);
    apps[0].clone()
}

#[tokio::test]
async fn an_application_is_created_edited_and_deleted_with_the_forms() {
    let dash = Dash::new().await;
    let cookie = dash.login(ADMIN).await;

    let bad = [
        ("name", "Billing"),
        ("domain", "bad domain!"),
        ("type", "self_hosted"),
        ("session_duration", "12h"),
    ];
    let refused = dash.post("/dash/apps", &cookie, &bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("role=\"alert\"") && refused.body.contains("invalid &#39;domain&#39;"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"bad domain!\""), "the form keeps what was typed");
    let refused = dash
        .post(
            "/dash/apps",
            &cookie,
            &[("name", "B"), ("domain", "b.example"), ("type", "self_hosted"), ("session_duration", "soon")],
        )
        .await;
    assert!(refused.body.contains("session_duration"), "{}", refused.body);
    assert!(apps::list(&dash.state, &dash.account, &Default::default(), ALL).await.unwrap().0.is_empty());

    let form = [
        ("name", "Billing <b>"),
        ("domain", "billing.example.test"),
        ("type", "self_hosted"),
        ("session_duration", "12h"),
        ("origin", "http://127.0.0.1:9000"),
    ];
    let to = location(&dash.post("/dash/apps", &cookie, &form).await);
    let app = only_app(&dash).await;
    assert_eq!(to, format!("/dash/apps/{}", app["id"].as_str().unwrap()));
    assert_eq!(app["domain"], "billing.example.test");
    assert_eq!(app["session_duration"], "12h");
    assert_eq!(app["origin"], "http://127.0.0.1:9000");
    let page = dash.get(&to, &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Billing &#60;b&#62;") && !page.body.contains("Billing <b>"),
        "names are escaped: {}",
        page.body
    );
    let listed = dash.get("/dash/apps", &cookie).await;
    assert!(listed.body.contains("billing.example.test"));

    let edit = [
        ("name", "Billing"),
        ("domain", "pay.example.test"),
        ("type", "self_hosted"),
        ("session_duration", "1h"),
        ("origin", "http://127.0.0.1:9001"),
    ];
    assert_eq!(location(&dash.post(&to, &cookie, &edit).await), to);
    let app = only_app(&dash).await;
    assert_eq!((app["name"].as_str(), app["domain"].as_str()), (Some("Billing"), Some("pay.example.test")));
    assert_eq!(app["destinations"], json!([{"type": "public", "uri": "pay.example.test"}]));
    let bad_edit =
        [("name", "Billing"), ("domain", "pay.example.test"), ("type", "self_hosted"), ("origin", "ftp://x")];
    let refused = dash.post(&to, &cookie, &bad_edit).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("invalid &#39;origin&#39;"), "{}", refused.body);
    assert_eq!(only_app(&dash).await["origin"], "http://127.0.0.1:9001", "nothing saved");

    let reader = dash.login(READER).await;
    let page = dash.get(&to, &reader).await;
    assert!(
        !page.body.contains("Save application") && !page.body.contains("Add a policy"),
        "no write controls"
    );
    let refused = dash.post("/dash/apps", &reader, &form).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("code 9109"), "{}", refused.body);

    let app_id = to.rsplit('/').next().unwrap();
    let refused = dash.get(&format!("{to}/policies/new"), &reader).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "a read-only token gets no policy form");
    let cross_site = [
        ("cookie", cookie.as_str()),
        ("sec-fetch-site", "cross-site"),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let page = dash.send(Method::POST, &format!("{to}/delete"), &cross_site, "confirm=Billing").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "a cross-site write is refused");

    // One audit record per change, by the logged-in API token, as for an API call.
    let filter = AuditFilter { resource_id: Some(app_id.to_owned()), ..AuditFilter::default() };
    let records = dash
        .state
        .store
        .list_audit(&dash.account, &filter, PageRequest { offset: 0, limit: 10 })
        .await
        .unwrap();
    let mut actions: Vec<&str> = records.items.iter().map(|r| r.entry.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(actions, ["create", "update"], "a refused edit records nothing");
    assert!(records.items.iter().all(|r| r.entry.actor.name == "admin"));

    let wrong = dash.post(&format!("{to}/delete"), &cookie, &[("confirm", "Billin")]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        location(&dash.post(&format!("{to}/delete"), &cookie, &[("confirm", "Billing")]).await),
        "/dash/apps"
    );
    assert!(apps::list(&dash.state, &dash.account, &Default::default(), ALL).await.unwrap().0.is_empty());
}

#[tokio::test]
async fn policies_are_written_by_the_apis_operations_and_bad_rules_are_named() {
    let dash = Dash::new().await;
    let cookie = dash.login(ADMIN).await;
    let ci = token(&dash, "ci-deploy").await;
    let backup = token(&dash, "nightly-backup").await;
    token(&dash, "twin").await;
    token(&dash, "twin").await;
    let setup = gatehouse_domain::AuditActor {
        id: "setup".into(),
        name: "test setup".into(),
        kind: "token".into(),
        ip: None,
    };
    let group: Value = groups::create(
        &dash.state,
        &setup,
        &dash.account,
        serde_json::from_value(json!({"name": "Deployers", "include": [{"any_valid_service_token": {}}]}))
            .unwrap(),
    )
    .await
    .unwrap();
    let group_id = group["id"].as_str().unwrap().to_owned();
    let app = [("name", "Api"), ("domain", "api.example.test"), ("type", "self_hosted")];
    let app_path = location(&dash.post("/dash/apps", &cookie, &app).await);
    let app_id = app_path.rsplit('/').next().unwrap().to_owned();

    let new_form = dash.get(&format!("{app_path}/policies/new"), &cookie).await;
    assert_eq!(new_form.status, StatusCode::OK);
    for label in ["<label for=\"include-ips\">", "<legend>Include: groups</legend>", "Deployers"] {
        assert!(new_form.body.contains(label), "{label}");
    }

    let policies = format!("{app_path}/policies");
    let refusals: [(&[(&str, &str)], &str); 6] = [
        (
            &[("name", "P"), ("decision", "non_identity"), ("include.ips", "10.0.0.0/8\n10.0.0.300/8")],
            "Include, IP ranges, line 2 (&#39;10.0.0.300/8&#39;): ip.ip is not a valid IPv4 or IPv6 address or CIDR range",
        ),
        (
            &[("name", "P"), ("decision", "non_identity"), ("include.tokens", "no-such-token")],
            "Include, service tokens, line 1: no service token is named &#39;no-such-token&#39;",
        ),
        (
            &[
                ("name", "P"),
                ("decision", "non_identity"),
                ("require.tokens", "00000000-0000-4000-8000-000000000000"),
            ],
            "Require, service tokens, line 1: no service token has the id",
        ),
        (
            &[("name", "P"), ("decision", "non_identity"), ("include.tokens", "twin")],
            "several service tokens are named",
        ),
        (
            &[("name", "P"), ("decision", "non_identity")],
            "invalid &#39;include&#39; configuration: at least one rule is required",
        ),
        (&[("name", "P"), ("decision", "maybe"), ("include.any_token", "1")], "decision"),
    ];
    for (form, expected) in refusals {
        let page = dash.post(&policies, &cookie, form).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{form:?}");
        assert!(page.body.contains(expected), "{form:?}: {expected}\n{}", page.body);
        assert!(page.body.contains("role=\"alert\""));
    }
    let kept = dash
        .post(&policies, &cookie, &[("name", "Kept"), ("decision", "deny"), ("exclude.ips", "bad")])
        .await;
    assert!(
        kept.body.contains("value=\"Kept\"") && kept.body.contains(">bad</textarea>"),
        "the form keeps its input"
    );
    let (none, _) = app_policies::list(&dash.state, &dash.account, &app_id, ALL).await.unwrap();
    assert!(none.is_empty(), "no refused form saved anything");

    let client_id = backup.client_id.to_string();
    let form = [
        ("name", "CI"),
        ("decision", "non_identity"),
        ("include.tokens", "ci-deploy"),
        ("include.ips", "192.0.2.0/24"),
        ("require.group", group_id.as_str()),
        ("exclude.tokens", client_id.as_str()),
    ];
    assert_eq!(location(&dash.post(&policies, &cookie, &form).await), app_path);
    let (saved, _) = app_policies::list(&dash.state, &dash.account, &app_id, ALL).await.unwrap();
    let policy = &saved[0];
    assert_eq!(policy["decision"], "non_identity");
    assert_eq!(
        policy["include"],
        json!([{"service_token": {"token_id": ci.id.to_string()}}, {"ip": {"ip": "192.0.2.0/24"}}])
    );
    assert_eq!(policy["require"], json!([{"group": {"id": group_id}}]));
    assert_eq!(policy["exclude"], json!([{"service_token": {"token_id": backup.id.to_string()}}]));
    let page = dash.get(&app_path, &cookie).await;
    for words in
        ["service token ci-deploy", "IP 192.0.2.0/24", "group Deployers", "service token nightly-backup"]
    {
        assert!(page.body.contains(words), "{words}");
    }

    let policy_id = policy["id"].as_str().unwrap();
    let edit_path = format!("{policies}/{policy_id}");
    let edit = dash.get(&edit_path, &cookie).await;
    assert!(edit.body.contains(&format!(">{}</textarea>", ci.id)), "the token's id in its field");
    assert!(edit.body.contains(&format!("value=\"{group_id}\" checked")), "the group is ticked");
    let changed = [
        ("name", "CI only"),
        ("decision", "non_identity"),
        ("precedence", "5"),
        ("include.any_token", "1"),
        ("exclude.other", r#"[{"geo": {"country_code": "FR"}}]"#),
    ];
    assert_eq!(location(&dash.post(&edit_path, &cookie, &changed).await), app_path);
    let policy = app_policies::get(&dash.state, &dash.account, &app_id, policy_id).await.unwrap();
    assert_eq!(policy["name"], "CI only");
    assert_eq!(policy["precedence"], 5);
    assert_eq!(policy["include"], json!([{"any_valid_service_token": {}}]));
    assert_eq!(policy["require"], json!([]));
    assert_eq!(policy["exclude"], json!([{"geo": {"country_code": "FR"}}]));

    assert_eq!(location(&dash.post(&format!("{edit_path}/delete"), &cookie, &[]).await), app_path);
    assert!(app_policies::list(&dash.state, &dash.account, &app_id, ALL).await.unwrap().0.is_empty());
}
