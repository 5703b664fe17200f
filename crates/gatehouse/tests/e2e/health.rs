//! `/healthz` and `/readyz` on the management API listener: unauthenticated, JSON, nothing
//! secret in them. The PostgreSQL outage case is in `cluster` (it needs a server it may stop).

use crate::support::{Gatehouse, http};

#[test]
fn healthz_and_readyz_answer_without_credentials() {
    let server = Gatehouse::start();
    let health = http("GET", &format!("{}/healthz", server.api()), None, None);
    assert_eq!(health.status, 200, "{}", health.body);
    assert_eq!(health.json()["status"], "ok", "{}", health.body);

    let ready = http("GET", &format!("{}/readyz", server.api()), None, None);
    assert_eq!(ready.status, 200, "{}", ready.body);
    let body = ready.json();
    assert_eq!(body["status"], "ready", "{}", ready.body);
    assert_eq!(body["checks"]["database"], "ok", "{}", ready.body);
    assert_eq!(body["checks"]["snapshot"], "fresh", "{}", ready.body);
    assert!(!ready.body.contains(server.admin_token()), "{}", ready.body);

    // An admin token changes nothing, and the probes are not on the gateway listener.
    let with_token = http("GET", &format!("{}/readyz", server.api()), Some(server.admin_token()), None);
    assert_eq!(with_token.status, 200, "{}", with_token.body);
    let on_gateway = http("GET", &format!("{}/healthz", server.gateway()), None, None);
    assert_ne!(on_gateway.status, 200, "{}", on_gateway.body);
}
