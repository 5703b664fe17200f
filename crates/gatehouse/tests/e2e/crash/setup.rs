//! Setup: the probe tokens, the any-token application, each thread's own tokens, policies and groups.

use super::*;

pub(super) fn app(ends: &Endpoints, origin: &Origin, host: &str, policy_id: &str) {
    let body = json!({"name": host, "type": "self_hosted", "domain": host, "origin": origin.url(), "policies": [{"id": policy_id, "precedence": 1}]});
    ends.must("POST", "apps", Some(&body));
}

pub(super) fn setup_fixture(ends: &Endpoints, origin: &Origin) -> Fixture {
    let probes = (0..PROBES)
        .map(|i| {
            let token =
                ends.must("POST", "service_tokens", Some(&json!({"name": format!("crash-probe-{i}")})));
            (str_field(&token, "id"), str_field(&token, "client_id"), str_field(&token, "client_secret"))
        })
        .collect();
    let any = ends.must(
        "POST",
        "policies",
        Some(&json!({"name": "crash-any", "decision": "non_identity", "include": [{"service_token": {}}]})),
    );
    app(ends, origin, ANY_HOST, &str_field(&any, "id"));
    Fixture { probes, deadline: rfc3339_in(2 * 3600) }
}

pub(super) fn setup_thread(
    ends: &Endpoints,
    fixture: &Fixture,
    origin: &Origin,
    thread: usize,
) -> ThreadModel {
    let mut model = ThreadModel::default();
    for i in 0..POLICIES_PER_THREAD {
        let name = format!("crash-policy-t{thread}-{i}");
        let policy = ends.must("POST", "policies", Some(&fixture.policy_body(&name, 0)));
        let host = format!("p{thread}-{i}.crash.test");
        app(ends, origin, &host, &str_field(&policy, "id"));
        model.policies.push(DocModel {
            id: str_field(&policy, "id"),
            name,
            variant: 0,
            host: Some(host),
            touched: false,
        });
        let name = format!("crash-group-t{thread}-{i}");
        let group = ends.must("POST", "groups", Some(&fixture.group_body(&name, 0)));
        model.groups.push(DocModel {
            id: str_field(&group, "id"),
            name,
            variant: 0,
            host: None,
            touched: false,
        });
    }
    model
}
