//! From an access-log row to the explanation of its decision: the API's explain operation,
//! rendered with the policy trace.

use axum::http::{StatusCode, header};
use gatehouse_api::access::app_policies;
use gatehouse_api::pagination::Pagination;
use gatehouse_domain::access::{AppId, PolicyId};
use gatehouse_domain::{Clock, Timestamp};
use gatehouse_store::AccessLogRecord;

use super::apps::token;
use super::{ADMIN, Dash};

fn record(
    dash: &Dash,
    ray: &str,
    app: &str,
    token: &gatehouse_domain::ServiceToken,
    policy: &str,
) -> AccessLogRecord {
    AccessLogRecord {
        account_id: dash.account.clone(),
        ray_id: ray.to_owned(),
        created_at: Timestamp::from_unix(dash.clock.now().unix() - 60),
        allowed: true,
        app_uid: AppId::parse(app).unwrap(),
        app_domain: "ops.example.test".to_owned(),
        ip_address: "192.0.2.7".to_owned(),
        is_service_token: true,
        service_token_id: Some(token.id),
        client_id: Some(token.client_id.to_string()),
        policy_id: Some(PolicyId::parse(policy).unwrap()),
        decision: Some("non_identity".to_owned()),
        reason: None,
        status: 200,
        method: "GET".to_owned(),
        person: None,
    }
}

#[tokio::test]
async fn a_log_row_links_to_the_trace_of_its_decision() {
    let dash = Dash::new().await;
    let cookie = dash.login(ADMIN).await;
    let ci = token(&dash, "ci-deploy").await;
    let form = [("name", "Ops"), ("domain", "ops.example.test"), ("type", "self_hosted")];
    let created = dash.post("/dash/apps", &cookie, &form).await;
    let app_path = created.headers[header::LOCATION].to_str().unwrap().to_owned();
    let app = app_path.rsplit('/').next().unwrap().to_owned();
    let policy = [("name", "CI tokens"), ("decision", "non_identity"), ("include.tokens", "ci-deploy")];
    assert_eq!(
        dash.post(&format!("{app_path}/policies"), &cookie, &policy).await.status,
        StatusCode::SEE_OTHER
    );
    let all = Pagination { page: 1, per_page: 10 };
    let (policies, _) = app_policies::list(&dash.state, &dash.account, &app, all).await.unwrap();
    let policy_id = policies[0]["id"].as_str().unwrap().to_owned();
    dash.state
        .store
        .insert_access_logs(&[record(&dash, "00000000000000b1", &app, &ci, &policy_id)])
        .await
        .unwrap();

    let logs = dash.get("/dash/logs", &cookie).await;
    let link = "href=\"/dash/logs/00000000000000b1/explain\"";
    assert!(logs.body.contains(link), "{}", logs.body);
    let page = dash.get("/dash/logs/00000000000000b1/explain", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "allowed by policy &#39;CI tokens&#39;",
        "Decided now as it was then.",
        "<td>service_token</td><td>matched</td>",
        "decides",
        "192.0.2.7",
    ] {
        assert!(page.body.contains(text), "{text}\n{}", page.body);
    }

    // The token disabled since: the page says the request would be refused now.
    let disable =
        dash.post(&format!("/dash/tokens/{}/enabled", ci.id), &cookie, &[("enabled", "false")]).await;
    assert_eq!(disable.status, StatusCode::SEE_OTHER, "{}", disable.body);
    let page = dash.get("/dash/logs/00000000000000b1/explain", &cookie).await;
    assert!(page.body.contains("would now be decided otherwise"), "{}", page.body);

    let missing = dash.get("/dash/logs/00000000000000ff/explain", &cookie).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("no access-log record"), "{}", missing.body);
}
