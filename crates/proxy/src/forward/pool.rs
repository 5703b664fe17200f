//! Keep-alive connections to origins, one pool per gateway thread.
//!
//! Each connection is hyper's HTTP/1 client (framing, bodies and upgrades are hyper's); what is
//! here is only which connection a request takes. A request takes the most recently released
//! connection to its origin that is ready for another request, or opens one. A connection is
//! released as soon as its response head is back; it becomes ready again once hyper has read
//! that response's body, and a request never waits for it: it opens another. Connections idle
//! for longer than the idle timeout, and closed ones, are dropped when the pool is next swept.
//!
//! The pool belongs to one gateway thread (requests never leave the thread that accepted them),
//! so its lock is never contended, and no task is spawned per request to return a connection.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use rustc_hash::FxBuildHasher;
use tower_service::Service;

use crate::body::Body;

/// How often idle and closed connections are looked for across all origins.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// Idle connections kept per origin (per gateway thread); the oldest go first beyond it.
const MAX_IDLE_PER_ORIGIN: usize = 1_024;

/// Why no response came back from the origin.
#[derive(Debug)]
pub(super) enum SendError {
    /// No connection could be opened (refused, unreachable, TLS).
    Connect(Box<dyn std::error::Error + Send + Sync>),
    /// The connection failed while the request was sent or the response read.
    Request(hyper::Error),
}

type Key = (Scheme, Authority);

struct Idle {
    sender: SendRequest<Body>,
    since: Instant,
}

struct Idles {
    by_origin: HashMap<Key, Vec<Idle>, FxBuildHasher>,
    swept: Instant,
}

pub(super) struct Pool {
    connector: HttpsConnector<HttpConnector>,
    idle_timeout: Duration,
    sweep_every: Duration,
    idle: Mutex<Idles>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("idle_timeout", &self.idle_timeout).finish_non_exhaustive()
    }
}

impl Pool {
    pub fn new(connector: HttpsConnector<HttpConnector>, idle_timeout: Duration) -> Self {
        Pool {
            connector,
            idle_timeout,
            sweep_every: SWEEP_EVERY,
            idle: Mutex::new(Idles { by_origin: HashMap::default(), swept: Instant::now() }),
        }
    }

    /// Sends `request` (origin-form target, `Host` set) to `scheme://authority`. A request
    /// that a pooled connection closed before sending it is sent once more on a new connection.
    pub async fn send(
        &self,
        scheme: &Scheme,
        authority: &Authority,
        mut request: Request<Body>,
        upgrade: bool,
    ) -> Result<Response<Incoming>, SendError> {
        let key = (scheme.clone(), authority.clone());
        let mut pooled = self.take(&key);
        loop {
            let reused = pooled.is_some();
            let mut sender = match pooled.take() {
                Some(sender) => sender,
                // Boxed: opening a connection (TCP, TLS, handshake) is a large future and a rare
                // one; held inline it would make every request's future that much larger, and
                // futures are copied as they are passed on.
                None => Box::pin(self.connect(scheme, authority)).await?,
            };
            match sender.try_send_request(request).await {
                Ok(response) => {
                    // An upgraded connection is the client's now; it never comes back.
                    if !upgrade {
                        self.release(key, sender);
                    }
                    return Ok(response);
                }
                Err(mut error) => match error.take_message() {
                    Some(unsent) if reused => {
                        tracing::debug!(error = %error.error(), "pooled origin connection closed, sending again");
                        request = unsent;
                    }
                    _ => return Err(SendError::Request(error.into_error())),
                },
            }
        }
    }

    async fn connect(&self, scheme: &Scheme, authority: &Authority) -> Result<SendRequest<Body>, SendError> {
        let uri = Uri::builder()
            .scheme(scheme.clone())
            .authority(authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|e| SendError::Connect(e.into()))?;
        let io = self.connector.clone().call(uri).await.map_err(SendError::Connect)?;
        let (sender, connection) = http1::handshake(io).await.map_err(SendError::Request)?;
        tokio::spawn(async move {
            if let Err(error) = connection.with_upgrades().await {
                tracing::debug!(%error, "origin connection ended with an error");
            }
        });
        Ok(sender)
    }

    /// The most recently released connection to `key` that can take a request now.
    fn take(&self, key: &Key) -> Option<SendRequest<Body>> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if now.duration_since(idle.swept) >= self.sweep_every {
            idle.swept = now;
            let timeout = self.idle_timeout;
            idle.by_origin.retain(|_, list| {
                list.retain(|c| {
                    let expired = c.sender.is_ready() && now.duration_since(c.since) > timeout;
                    !c.sender.is_closed() && !expired
                });
                !list.is_empty()
            });
        }
        let list = idle.by_origin.get_mut(key)?;
        // Newest first: the ones released last are the likeliest to be still open at the origin.
        let mut i = list.len();
        while i > 0 {
            i -= 1;
            let candidate = &list[i].sender;
            if candidate.is_closed() {
                list.swap_remove(i);
            } else if candidate.is_ready() {
                return Some(list.swap_remove(i).sender);
            }
        }
        None
    }

    fn release(&self, key: Key, sender: SendRequest<Body>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.by_origin.entry(key).or_default();
        if list.len() >= MAX_IDLE_PER_ORIGIN {
            list.remove(0);
        }
        list.push(Idle { sender, since: Instant::now() });
    }

    /// Connections held (idle, or still reading a response body), for tests.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).by_origin.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::sync::{Mutex as AsyncMutex, Notify};

    use super::*;

    /// What a hand-written origin saw and how it behaves.
    #[derive(Default)]
    struct Origin {
        accepted: AtomicUsize,
        request_lines: std::sync::Mutex<Vec<String>>,
        /// Close each connection right after its first response (without saying so).
        close_after_response: bool,
        /// `/held` sends its head and half its body, then the rest once notified.
        release_held: Notify,
    }

    async fn origin(behaviour: Origin) -> (Arc<Origin>, Authority) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let authority: Authority = listener.local_addr().unwrap().to_string().parse().unwrap();
        let origin = Arc::new(behaviour);
        let shared = origin.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                let origin = shared.clone();
                tokio::spawn(async move {
                    let stream = Arc::new(AsyncMutex::new(stream));
                    let mut received = Vec::new();
                    loop {
                        let mut chunk = [0u8; 1024];
                        let n = stream.lock().await.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        received.extend_from_slice(&chunk[..n]);
                        while let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&received[..end]).into_owned();
                            received.drain(..end + 4);
                            let line = head.lines().next().unwrap_or_default().to_owned();
                            origin.request_lines.lock().unwrap().push(line.clone());
                            let mut stream = stream.lock().await;
                            if line.contains(" /held ") {
                                stream
                                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nab")
                                    .await
                                    .unwrap();
                                origin.release_held.notified().await;
                                stream.write_all(b"cd").await.unwrap();
                            } else {
                                stream
                                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                                    .await
                                    .unwrap();
                            }
                            if origin.close_after_response {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (origin, authority)
    }

    fn pool() -> Pool {
        Pool::new(crate::forward::connector().unwrap(), Duration::from_secs(90))
    }

    fn get(authority: &Authority, path: &str) -> Request<Body> {
        Request::get(path).header("host", authority.as_str()).body(crate::body::empty()).unwrap()
    }

    async fn body(response: Response<Incoming>) -> String {
        String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn sequential_requests_share_one_connection_and_send_origin_form_targets() {
        let (origin, authority) = origin(Origin::default()).await;
        let pool = pool();
        for _ in 0..5 {
            let response =
                pool.send(&Scheme::HTTP, &authority, get(&authority, "/a?b=1"), false).await.unwrap();
            assert_eq!(body(response).await, "ok");
        }
        assert_eq!(origin.accepted.load(Ordering::SeqCst), 1);
        let lines = origin.request_lines.lock().unwrap().clone();
        assert_eq!(lines, vec!["GET /a?b=1 HTTP/1.1"; 5]);
        assert_eq!(pool.held(), 1);
    }

    #[tokio::test]
    async fn a_connection_the_origin_closed_is_not_reused() {
        let (origin, authority) = origin(Origin { close_after_response: true, ..Origin::default() }).await;
        let pool = pool();
        for _ in 0..5 {
            let response = pool.send(&Scheme::HTTP, &authority, get(&authority, "/"), false).await.unwrap();
            assert_eq!(body(response).await, "ok");
        }
        assert_eq!(origin.accepted.load(Ordering::SeqCst), 5);
        assert_eq!(origin.request_lines.lock().unwrap().len(), 5);
    }

    #[tokio::test]
    async fn a_request_never_waits_for_a_connection_still_reading_a_body() {
        let (origin, authority) = origin(Origin::default()).await;
        let pool = pool();
        let held = pool.send(&Scheme::HTTP, &authority, get(&authority, "/held"), false).await.unwrap();
        // The first connection is busy with /held's body: this one opens another.
        let other = pool.send(&Scheme::HTTP, &authority, get(&authority, "/"), false).await.unwrap();
        assert_eq!(body(other).await, "ok");
        assert_eq!(origin.accepted.load(Ordering::SeqCst), 2);
        origin.release_held.notify_one();
        assert_eq!(body(held).await, "abcd");
        assert_eq!(pool.held(), 2);
    }

    #[tokio::test]
    async fn connections_idle_past_the_timeout_are_dropped() {
        let (origin, authority) = origin(Origin::default()).await;
        let pool = Pool { idle_timeout: Duration::ZERO, sweep_every: Duration::ZERO, ..pool() };
        for _ in 0..3 {
            let response = pool.send(&Scheme::HTTP, &authority, get(&authority, "/"), false).await.unwrap();
            assert_eq!(body(response).await, "ok");
        }
        assert_eq!(
            origin.accepted.load(Ordering::SeqCst),
            3,
            "each request found the last connection expired"
        );
        assert_eq!(pool.held(), 1);
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connect_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let authority: Authority = listener.local_addr().unwrap().to_string().parse().unwrap();
        drop(listener);
        let error = pool().send(&Scheme::HTTP, &authority, get(&authority, "/"), false).await.unwrap_err();
        assert!(matches!(error, SendError::Connect(_)), "{error:?}");
    }
}
