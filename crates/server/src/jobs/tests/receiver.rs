//! A webhook receiver on 127.0.0.1:0 that records every request, and can be told to answer 500
//! to the first few.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::jobs::webhooks::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    pub fn event(&self) -> &str {
        self.header(EVENT_HEADER)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Verifies the signature the way a receiver should: HMAC-SHA-256 of the raw body,
    /// compared in constant time.
    pub fn signature_is_valid(&self, secret: &str) -> bool {
        let Some(hex) = self.header(SIGNATURE_HEADER).strip_prefix("sha256=") else { return false };
        let Ok(expected) = hex::decode(hex) else { return false };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&self.body);
        mac.verify_slice(&expected).is_ok()
    }

    pub fn has_every_header(&self) -> bool {
        [EVENT_HEADER, DELIVERY_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER]
            .iter()
            .all(|h| !self.header(h).is_empty())
    }
}

#[derive(Debug, Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    /// Requests (of any kind) still to be answered with 500.
    failures_left: AtomicUsize,
    attempts: AtomicUsize,
}

#[derive(Debug, Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new().route("/hook", post(receive)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn fail_next(&self, count: usize) {
        self.shared.failures_left.store(count, Ordering::SeqCst);
    }

    /// Requests answered 2xx.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Every request, failed ones included.
    pub fn attempts(&self) -> usize {
        self.shared.attempts.load(Ordering::SeqCst)
    }

    /// Waits (polling, with a deadline) until `count` requests were accepted.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.received();
            if received.len() >= count || tokio::time::Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    shared.attempts.fetch_add(1, Ordering::SeqCst);
    let failing =
        shared.failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if failing {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    shared.received.lock().unwrap().push(Received { headers, body });
    StatusCode::NO_CONTENT
}
