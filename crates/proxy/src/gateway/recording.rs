//! The last stage of every request: make sure the response carries a `Cf-Ray` id, and turn the
//! gateway's decision (the [`AccessOutcome`] attached to the response) into an access-log
//! record with that same id, queued for the background writer.
//!
//! Requests that matched no application (404), could not be routed (400) or asked for the
//! gateway's own `/cdn-cgi/access/` endpoints belong to no account and are not recorded: they
//! carry a `Cf-Ray` id all the same, and appear in the server's debug log.

use gatehouse_domain::Timestamp;
use http::{Method, Request, Response};
use hyper::body::Incoming;

use super::{Connection, Gateway};
use crate::access_log::Decision;
use crate::body::Body;
use crate::deny::{self, AccessOutcome, CF_RAY, RayId};

impl Gateway {
    /// Answers one request and records the decision. Never fails: every outcome is a response.
    pub async fn handle(&self, request: Request<Incoming>, connection: Connection) -> Response<Body> {
        let method = request.method().clone();
        let started = std::time::Instant::now();
        // Off (the default), no span is made: one branch on the hot path.
        let span = if self.options.trace_requests { request_span(&method) } else { tracing::Span::none() };
        let (mut response, outcome) = self.respond(request, &connection).await;
        self.observe(&response, outcome.as_ref(), started.elapsed());
        let ray_id = ensure_ray_id(&mut response, outcome.as_ref());
        if let Some(outcome) = outcome {
            let now = self.clock.now();
            let status = response.status().as_u16();
            let app = outcome.app;
            match self.access_record(outcome, ray_id, method, &connection, status, now) {
                Some(record) => {
                    if !span.is_none() {
                        record_decision(&span, &record);
                    }
                    self.access_log.push(record);
                }
                // The application was deleted between the decision and now.
                None => tracing::debug!(?app, "no application for an access log record"),
            }
        } else if !span.is_none() {
            span.record("gatehouse.ray_id", ray_id.as_str());
            span.record("http.response.status_code", response.status().as_u16());
        }
        response
    }

    /// Access-log records dropped so far because the writer could not keep up (exported as
    /// `gatehouse_access_log_dropped_total`).
    pub fn access_log_dropped(&self) -> u64 {
        self.access_log.dropped()
    }

    fn access_record(
        &self,
        outcome: AccessOutcome,
        ray_id: RayId,
        method: Method,
        connection: &Connection,
        status: u16,
        now: Timestamp,
    ) -> Option<Decision> {
        let app = self.access.load().apps.get(&outcome.app?)?.clone();
        Some(Decision {
            app,
            policy: outcome.policy,
            ray_id,
            created_at: now,
            allowed: outcome.allowed,
            peer: connection.peer_text,
            is_service_token: outcome.service_token,
            token: outcome.token,
            client_id: outcome.client_id,
            denial: outcome.denial,
            status,
            method,
            person: outcome.person,
        })
    }
}

/// The target of the gateway's request spans, the only spans sent to an OTLP collector.
pub const GATEWAY_TRACE_TARGET: &str = "gatehouse::gateway::trace";

/// The span of one request; its fields are recorded once the response is known.
fn request_span(method: &Method) -> tracing::Span {
    use tracing::field::Empty;
    tracing::info_span!(
        target: GATEWAY_TRACE_TARGET,
        "gateway request",
        otel.kind = "server",
        http.request.method = method.as_str(),
        http.response.status_code = Empty,
        gatehouse.ray_id = Empty,
        gatehouse.decision = Empty,
        gatehouse.policy_decision = Empty,
        gatehouse.reason = Empty,
        gatehouse.app_uid = Empty,
        gatehouse.app_domain = Empty,
        gatehouse.account_id = Empty,
        gatehouse.service_token_id = Empty,
    )
}

/// The decision as the access log has it: `allow` or `deny`, the matched policy's decision,
/// the denial reason, the application and the token (never the client id or secret).
fn record_decision(span: &tracing::Span, record: &Decision) {
    span.record("http.response.status_code", record.status);
    span.record("gatehouse.ray_id", record.ray_id.as_str());
    span.record("gatehouse.decision", if record.allowed { "allow" } else { "deny" });
    if let Some(decision) = record.policy_decision() {
        span.record("gatehouse.policy_decision", decision.as_str());
    }
    if let Some(reason) = &record.denial {
        span.record("gatehouse.reason", reason.as_str());
    }
    span.record("gatehouse.app_uid", tracing::field::display(&record.app.id));
    span.record("gatehouse.app_domain", record.app.domain.as_str());
    span.record("gatehouse.account_id", tracing::field::display(&record.app.account.id));
    if let Some(token) = &record.token {
        span.record("gatehouse.service_token_id", tracing::field::display(token));
    }
}

/// The response's Ray ID, set when missing. A response from the origin gets a new one even when
/// the origin sent its own: the id names this gateway's decision.
fn ensure_ray_id(response: &mut Response<Body>, outcome: Option<&AccessOutcome>) -> RayId {
    let from_origin = outcome.is_some_and(|o| o.allowed && o.failure.is_none());
    if !from_origin
        && let Some(held) = response.headers().get(&CF_RAY).and_then(|v| RayId::parse(v.as_bytes()))
    {
        return held;
    }
    let id = deny::ray_id();
    response.headers_mut().insert(CF_RAY, id.header());
    id
}
