//! OpenTelemetry traces end to end: gatehouse with `GATEHOUSE_OTLP_ENDPOINT` pointing at an
//! in-process OTLP/HTTP collector (hyper, decoding the protobuf export requests with
//! `opentelemetry-proto`), real gateway traffic, and exactly one `gateway request` span per
//! request carrying the decision, the reason, the application, the Ray ID and the status.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::json;

use crate::scene::{Creds, Origin, Scene};
use crate::support::StartOptions;

/// How long the spans may take to arrive.
const SPAN_DEADLINE: Duration = Duration::from_secs(30);

/// What the collector received: every span of every export request, and the paths posted to.
#[derive(Default)]
struct Received {
    spans: Vec<Span>,
    paths: Vec<String>,
    service_names: Vec<String>,
}

/// An OTLP/HTTP collector on 127.0.0.1, port 0, on its own runtime thread.
struct Collector {
    url: String,
    received: Arc<(Mutex<Received>, Condvar)>,
    _runtime: tokio::runtime::Runtime,
}

impl Collector {
    fn start() -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new((Mutex::new(Received::default()), Condvar::new()));
        let shared = received.clone();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| export(request, shared.clone()));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Collector { url, received, _runtime: runtime }
    }

    /// Waits until at least `count` spans arrived or the deadline passed; returns what arrived.
    fn wait_for_spans(&self, count: usize) -> Vec<Span> {
        let (lock, arrived) = &*self.received;
        let deadline = Instant::now() + SPAN_DEADLINE;
        let mut received = lock.lock().unwrap();
        while received.spans.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            received = arrived.wait_timeout(received, left).unwrap().0;
        }
        received.spans.clone()
    }
}

/// One export request: decoded and kept; answered as a collector answers (an empty
/// `ExportTraceServiceResponse`), or 400 when it does not decode.
async fn export(
    request: Request<Incoming>,
    shared: Arc<(Mutex<Received>, Condvar)>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let content_type = request.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return Ok(Response::builder().status(400).body(Full::default()).unwrap()),
    };
    let Ok(export) = ExportTraceServiceRequest::decode(body) else {
        return Ok(Response::builder().status(400).body(Full::default()).unwrap());
    };
    assert_eq!(content_type.as_deref(), Some("application/x-protobuf"));
    let (lock, arrived) = &*shared;
    let mut received = lock.lock().unwrap();
    received.paths.push(path);
    for resource in export.resource_spans {
        if let Some(resource_attrs) = &resource.resource {
            for kv in &resource_attrs.attributes {
                if kv.key == "service.name"
                    && let Some(AnyValue::StringValue(name)) = kv.value.as_ref().and_then(|v| v.value.clone())
                {
                    received.service_names.push(name);
                }
            }
        }
        for scope in resource.scope_spans {
            received.spans.extend(scope.spans);
        }
    }
    arrived.notify_all();
    let reply = ExportTraceServiceResponse::default().encode_to_vec();
    Ok(Response::builder()
        .header("content-type", "application/x-protobuf")
        .body(Full::new(Bytes::from(reply)))
        .unwrap())
}

/// A span's attributes, as text (integers printed).
fn attributes(span: &Span) -> HashMap<String, String> {
    span.attributes
        .iter()
        .filter_map(|kv| {
            let value = match kv.value.as_ref()?.value.as_ref()? {
                AnyValue::StringValue(s) => s.clone(),
                AnyValue::IntValue(i) => i.to_string(),
                AnyValue::BoolValue(b) => b.to_string(),
                other => format!("{other:?}"),
            };
            Some((kv.key.clone(), value))
        })
        .collect()
}

#[test]
fn every_gateway_request_is_one_span_at_the_otlp_collector() {
    let collector = Collector::start();
    let server = StartOptions::new()
        .env("GATEHOUSE_OTLP_ENDPOINT", &collector.url)
        // The batch processor sends every 100 ms instead of every 5 s.
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .start();
    let scene = Scene { origin: Origin::start(), server };
    let token = scene.token("traced", "8760h");
    let policy = scene.policy(json!({"name": "Service tokens", "decision": "non_identity", "include": [{"any_valid_service_token": {}}]}));
    let app = scene.app("traced.example.com", &[&policy]);
    let app_id = app["id"].as_str().unwrap().to_owned();

    // (status, decision, reason) expected for each request, keyed by its Ray ID.
    let mut expected: HashMap<String, (u16, &str, Option<&str>)> = HashMap::new();
    let mut send = |creds: Creds<'_>, want: (u16, &'static str, Option<&'static str>)| {
        let response = scene.get("traced.example.com", "/traced", creds);
        assert_eq!(response.status, want.0, "{}", response.body);
        let ray = response.header("cf-ray").expect("a Cf-Ray header").to_owned();
        assert!(expected.insert(ray, want).is_none(), "a Ray ID was given twice");
    };
    for _ in 0..5 {
        send(Creds::Token(&token), (200, "allow", None));
    }
    for _ in 0..3 {
        send(Creds::Pair(&token.client_id, "not-the-secret"), (403, "deny", Some("wrong_secret")));
    }
    for _ in 0..2 {
        send(Creds::Nothing, (403, "deny", Some("missing_credentials")));
    }
    let total = expected.len();
    assert_eq!(total, 10);

    let spans = collector.wait_for_spans(total);
    // Stopping sends whatever is still queued: a duplicate would show up by now.
    let status = scene.server.stop();
    assert!(status.success(), "{status}");
    let (lock, _) = &*collector.received;
    let received = lock.lock().unwrap();
    assert_eq!(spans.len(), total, "spans: {:?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>());
    assert_eq!(received.spans.len(), total, "more spans arrived after the first {total}");
    assert!(received.paths.iter().all(|p| p == "/v1/traces"), "{:?}", received.paths);
    assert!(received.service_names.iter().all(|n| n == "gatehouse"), "{:?}", received.service_names);

    let mut seen = HashMap::new();
    for span in &received.spans {
        assert_eq!(span.name, "gateway request");
        assert_eq!(span.trace_id.len(), 16);
        assert!(span.end_time_unix_nano >= span.start_time_unix_nano);
        let attrs = attributes(span);
        let ray = attrs.get("gatehouse.ray_id").unwrap_or_else(|| panic!("no Ray ID: {attrs:?}"));
        let (status, decision, reason) =
            *expected.get(ray).unwrap_or_else(|| panic!("a span for an unknown Ray ID: {attrs:?}"));
        assert!(seen.insert(ray.clone(), ()).is_none(), "two spans for Ray ID {ray}");
        assert_eq!(
            attrs.get("http.response.status_code").map(String::as_str),
            Some(status.to_string().as_str())
        );
        assert_eq!(attrs.get("http.request.method").map(String::as_str), Some("GET"));
        assert_eq!(attrs.get("gatehouse.decision").map(String::as_str), Some(decision), "{attrs:?}");
        assert_eq!(attrs.get("gatehouse.reason").map(String::as_str), reason, "{attrs:?}");
        assert_eq!(attrs.get("gatehouse.app_uid"), Some(&app_id), "{attrs:?}");
        assert_eq!(attrs.get("gatehouse.app_domain").map(String::as_str), Some("traced.example.com"));
        if decision == "allow" {
            assert_eq!(attrs.get("gatehouse.policy_decision").map(String::as_str), Some("non_identity"));
            assert_eq!(attrs.get("gatehouse.service_token_id"), Some(&token.id), "{attrs:?}");
        }
        // Never a credential.
        assert!(!attrs.values().any(|v| v.contains(&token.secret) || v == "not-the-secret"), "{attrs:?}");
    }
    assert_eq!(seen.len(), total);
}
