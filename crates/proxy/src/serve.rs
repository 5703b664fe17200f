//! The gateway listener: accept TCP connections (optionally TLS), speak HTTP/1.1 or HTTP/2 as the
//! client chooses, allow upgrades, and on shutdown stop accepting, let in-flight requests finish
//! and flush the usage writer. The caller bounds how long the drain may take.
//!
//! Limits against hostile clients: a request head (HTTP/1.1) must arrive within the gateway's
//! header read timeout, counted from the first byte the gateway waits for — a connection that
//! sends nothing is closed after it too (`prefixed`) — and may be at most
//! [`MAX_REQUEST_HEAD_BYTES`] with at most 100 header lines (431 beyond); HTTP/2 header lists are
//! limited to hyper's 16 KiB, and an HTTP/2 connection that leaves a ping unanswered for the
//! header read timeout (pings go out after that much idle time) is closed.

mod prefixed;

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio_rustls::TlsAcceptor;

use crate::gateway::{Connection, Gateway};
use crate::timer::Timers;

/// The largest HTTP/1.1 request head (request line and headers), in bytes: 431 beyond. hyper's
/// own limit is its read buffer, about 400 KB, which let a single huge header through to the
/// origin.
const MAX_REQUEST_HEAD_BYTES: usize = 32 * 1024;

/// How long a client has to finish a TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `gateway` on `listener` until `shutdown` completes, then drains: no new connections,
/// in-flight requests finish (idle keep-alive connections are closed), queued token uses are
/// written. `tls`: terminate TLS with this configuration (set its ALPN to offer `h2`).
///
/// Connections are served by `GatewayOptions::workers` threads, each with a single-threaded
/// event loop of its own and its own origin pool: a request is read, decided, forwarded and
/// answered on the thread that accepted its connection, with no hand-off between threads.
/// Dropping the returned future stops them as `shutdown` would.
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let listener = listener.into_std()?;
    let (stop, stopped) = watch::channel(false);
    let mut finished = Vec::new();
    for index in 0..gateway.workers() {
        let worker = Worker {
            index,
            listener: listener.try_clone()?,
            gateway: gateway.clone(),
            acceptor: tls.clone().map(TlsAcceptor::from),
            stop: stopped.clone(),
        };
        let (done, finish) = oneshot::channel::<()>();
        std::thread::Builder::new().name(format!("gatehouse-gateway-{index}")).spawn(move || {
            worker.run();
            drop(done);
        })?;
        finished.push(finish);
    }
    drop(listener);
    shutdown.await;
    let _ = stop.send(true);
    gateway.flush_usage().await;
    for finish in finished {
        let _ = finish.await;
    }
    gateway.flush_usage().await;
    Ok(())
}

/// One serving thread: its share of the accepted connections, until told to stop.
struct Worker {
    index: usize,
    listener: std::net::TcpListener,
    gateway: Arc<Gateway>,
    acceptor: Option<TlsAcceptor>,
    stop: watch::Receiver<bool>,
}

impl Worker {
    fn run(self) {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(error) => {
                tracing::error!(worker = self.index, %error, "could not start a gateway thread's event loop");
                return;
            }
        };
        runtime.block_on(self.serve());
    }

    async fn serve(mut self) {
        let listener = match TcpListener::from_std(self.listener) {
            Ok(listener) => listener,
            Err(error) => {
                tracing::error!(worker = self.index, %error, "could not listen on a gateway thread");
                return;
            }
        };
        // Reused timer entries (see `timer`): hyper makes a sleep per request head, the origin
        // timeout one per forwarded request. One free list each: an entry reused for the same
        // timeout always moves its deadline later, which costs the timer wheel nothing.
        let timers = Timers::default();
        let origin_timers = Timers::default();
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(timers.clone())
            .header_read_timeout(self.gateway.header_read_timeout())
            .max_buf_size(MAX_REQUEST_HEAD_BYTES);
        // HTTP/2 has no head timeout: a connection that never answers a ping within the header
        // read timeout (a client that sent the preface and went silent, say) is closed instead.
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(self.gateway.header_read_timeout())
            .keep_alive_timeout(self.gateway.header_read_timeout());
        let graceful = GracefulShutdown::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(pair) => pair,
                        Err(error) if is_transient(&error) => continue,
                        Err(error) => {
                            // Out of file descriptors, say: back off instead of spinning.
                            tracing::warn!(%error, "could not accept a gateway connection");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let connection =
                        Connection::new(peer, self.acceptor.is_some(), self.index, origin_timers.clone());
                    let task = ConnectionTask {
                        builder: builder.clone(),
                        gateway: self.gateway.clone(),
                        watcher: graceful.watcher(),
                    };
                    tokio::spawn(task.run(stream, self.acceptor.clone(), connection));
                }
                // Told to stop, or the serving future was dropped.
                _ = self.stop.wait_for(|stop| *stop) => break,
            }
        }
        drop(listener);
        graceful.shutdown().await;
    }
}

/// The client reset the connection before it was accepted: nothing to report. (When another
/// thread takes the connection this one was woken for, tokio's `accept` waits again by itself.)
fn is_transient(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::ConnectionAborted
}

struct ConnectionTask {
    builder: auto::Builder<TokioExecutor>,
    gateway: Arc<Gateway>,
    watcher: hyper_util::server::graceful::Watcher,
}

impl ConnectionTask {
    async fn run(self, stream: TcpStream, acceptor: Option<TlsAcceptor>, connection: Connection) {
        match acceptor {
            None => self.serve(stream, connection).await,
            Some(acceptor) => {
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => self.serve(stream, connection).await,
                    Ok(Err(error)) => {
                        tracing::debug!(peer = %connection.peer, %error, "TLS handshake failed")
                    }
                    Err(_) => tracing::debug!(peer = %connection.peer, "TLS handshake timed out"),
                }
            }
        }
    }

    async fn serve<I>(self, mut io: I, connection: Connection)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let peer = connection.peer;
        let first = tokio::time::timeout(self.gateway.header_read_timeout(), prefixed::first_bytes(&mut io));
        let first = match first.await {
            Ok(Ok(first)) if !first.is_empty() => first,
            Ok(Ok(_)) => return,
            Ok(Err(error)) => {
                tracing::debug!(%peer, %error, "gateway connection failed before a request");
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "no request within the header read timeout");
                return;
            }
        };
        let io = TokioIo::new(prefixed::Prefixed::new(first, io));
        let gateway = self.gateway;
        let service = service_fn(move |request| {
            let gateway = gateway.clone();
            let connection = connection.clone();
            // The request's future is large (kilobytes) and hyper moves the service's future
            // into its dispatcher: what it moves is only this box's pointer.
            let answer = Box::pin(async move { gateway.handle(request, connection).await });
            async move { Ok::<_, Infallible>(answer.await) }
        });
        let served = self.builder.serve_connection_with_upgrades(io, service).into_owned();
        if let Err(error) = self.watcher.watch(served).await {
            tracing::debug!(%peer, %error, "gateway connection ended with an error");
        }
    }
}
