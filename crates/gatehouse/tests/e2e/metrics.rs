//! Metrics end to end: known traffic through the gateway and the API, then `/metrics` parsed
//! with a Prometheus text-format parser; and JSON logs that carry no secret.

use serde_json::{Value, json};

use crate::scene::{Creds, Scene};
use crate::support::{Gatehouse, StartOptions, http, send};

fn scrape(url: &str) -> prometheus_parse::Scrape {
    let reply = http("GET", url, None, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.header("content-type").unwrap_or_default().starts_with("text/plain"));
    let lines = reply.body.lines().map(|line| Ok(line.to_owned()));
    prometheus_parse::Scrape::parse(lines).unwrap()
}

/// The value of the sample of `name` whose labels include every pair of `labels`.
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

#[test]
fn metrics_count_the_traffic_that_was_sent() {
    let scene = Scene::start();
    let token = scene.token("metrics", "8760h");
    let policy = scene
        .policy(json!({"name": "tokens", "decision": "non_identity", "include": [{"service_token": {}}]}));
    let app = scene.app("metrics.example.test", &[&policy]);
    let app_id = app["id"].as_str().unwrap();

    for _ in 0..7 {
        assert_eq!(scene.get("metrics.example.test", "/", Creds::Token(&token)).status, 200);
    }
    for _ in 0..5 {
        assert_eq!(
            scene
                .get("metrics.example.test", "/", Creds::Pair(&token.client_id, "wrong-secret-0123456789"))
                .status,
            403
        );
    }
    for i in 0..3 {
        let unknown = format!("{i:032x}.access");
        assert_eq!(scene.get("metrics.example.test", "/", Creds::Pair(&unknown, &token.secret)).status, 403);
    }
    assert_eq!(send(&scene.gateway_addr(), "GET", "/", &[("Host", "nothing.example.test")], b"").status, 404);

    let metrics = scrape(&format!("{}/metrics", scene.server.api()));
    let requests = |decision, reason| {
        value(
            &metrics,
            "gatehouse_gateway_requests_total",
            &[("app", app_id), ("decision", decision), ("reason", reason)],
        )
    };
    assert_eq!(requests("allowed", "none"), Some(7.0));
    assert_eq!(requests("denied", "wrong_secret"), Some(5.0));
    assert_eq!(requests("denied", "unknown_client_id"), Some(3.0));
    let unrouted = [("app", "none"), ("decision", "denied"), ("reason", "no_application")];
    assert_eq!(value(&metrics, "gatehouse_gateway_requests_total", &unrouted), Some(1.0));
    assert_eq!(value(&metrics, "gatehouse_gateway_request_duration_seconds_count", &[]), Some(16.0));
    assert_eq!(value(&metrics, "gatehouse_snapshot_tokens", &[]), Some(1.0));
    assert!(value(&metrics, "gatehouse_snapshot_age_seconds", &[]).is_some());
    assert_eq!(value(&metrics, "gatehouse_usage_dropped_total", &[]), Some(0.0));
    assert_eq!(value(&metrics, "gatehouse_access_log_dropped_total", &[]), Some(0.0));
    assert!(value(&metrics, "gatehouse_usage_queue_depth", &[]).is_some());
    assert!(value(&metrics, "gatehouse_origin_errors_total", &[("kind", "connect")]).is_some());

    // The API is counted by route template, never by raw path. (prometheus-parse skips samples
    // whose label values hold braces, as route templates do: these are checked in the text.)
    let text = http("GET", &format!("{}/metrics", scene.server.api()), None, None).body;
    let create = r#"gatehouse_api_requests_total{route="/client/v4/accounts/{account_id}/access/service_tokens",status="201"} 1"#;
    assert!(text.lines().any(|line| line == create), "{text}");
    let latency = r#"gatehouse_api_request_duration_seconds_count{route="/client/v4/accounts/{account_id}/access/service_tokens"}"#;
    assert!(text.lines().any(|line| line.starts_with(latency)), "{text}");
    let account = scene.server.account_id();
    assert!(!text.contains(account), "no account id in any label");
}

#[test]
fn metrics_can_have_a_listener_of_their_own() {
    let server = Gatehouse::start_with(StartOptions::new().arg("--metrics-listen").arg("127.0.0.1:0"));
    let ready = server.ready_line();
    let url = ready["metrics"].as_str().expect("the ready line names the metrics URL").to_owned();
    let metrics = scrape(&url);
    assert_eq!(value(&metrics, "gatehouse_snapshot_tokens", &[]), Some(0.0));
    assert_eq!(
        http("GET", &format!("{}/metrics", server.api()), None, None).status,
        404,
        "not on the API listener"
    );
}

#[test]
fn json_logs_are_json_lines_without_secrets() {
    let options = StartOptions::new().arg("--log-format").arg("json").env("GATEHOUSE_LOG", "debug");
    let scene = Scene { origin: crate::scene::Origin::start(), server: options.start() };
    let token = scene.token("logged", "8760h");
    let policy = scene
        .policy(json!({"name": "tokens", "decision": "non_identity", "include": [{"service_token": {}}]}));
    scene.app("logs.example.test", &[&policy]);
    assert_eq!(scene.get("logs.example.test", "/", Creds::Token(&token)).status, 200);
    assert_eq!(
        scene.get("logs.example.test", "/", Creds::Pair(&token.client_id, "wrong-secret-0123456789")).status,
        403
    );
    let rotated = scene.api("POST", &format!("service_tokens/{}/rotate", token.id), None);
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();

    let logs = scene.server.logs();
    // Every log record is a JSON line; the first-start banner (`gatehouse: created account …`,
    // and the one-time admin token when generated) is plain text for the operator, by design.
    let banner = |l: &str| l.starts_with("gatehouse: created account ") || l.starts_with("  ");
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty() && !banner(l)).collect();
    assert!(lines.len() > 5, "{logs}");
    for line in &lines {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(parsed["level"].is_string() && parsed["fields"].is_object(), "{line}");
    }
    assert!(logs.contains("request refused"), "the denial is logged at debug: {logs}");
    for secret in
        [token.secret.as_str(), new_secret.as_str(), scene.server.admin_token(), "wrong-secret-0123456789"]
    {
        assert!(!logs.contains(secret), "a secret reached the log");
    }
}
