//! The floor of gatehouse's engine, for the benchmarks in `bench/`: what hyper costs per request
//! before gatehouse adds anything, measured the same way as gatehouse itself.
//!
//! ```text
//! gatehouse-floor origin --listen 127.0.0.1:0                 # 200 "ok" to everything
//! gatehouse-floor bare   --listen 127.0.0.1:0 --origin ADDR   # bare hyper reverse proxy
//! gatehouse-floor work   --listen 127.0.0.1:0 --origin ADDR [--tokens 10000]
//! ```
//!
//! `work` is the bare proxy plus gatehouse's visible work, imitated: the client id looked up
//! among `--tokens` entries, HMAC-SHA-256 of the presented secret compared in constant time
//! (401 when it does not match), the secret and any client-supplied assertion stripped, a
//! pre-built 750-byte JWT header added toward the origin, a `Cf-Ray` id on the response.
//!
//! Like a gatehouse gateway thread: one thread, one single-threaded event loop, HTTP/1.1
//! keep-alive both ways, `TCP_NODELAY`, an origin pool that takes the most recently released
//! ready connection or opens one, mimalloc. Prints one JSON line once it listens: `listen`, and
//! for `work` the `client_id` and `client_secret` of a valid token.

#![allow(clippy::print_stdout, reason = "the ready line goes to standard output")]

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;
use std::rc::Rc;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::header::HeaderName;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, Version};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tokio::net::{TcpListener, TcpStream};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CLIENT_ID: HeaderName = HeaderName::from_static("cf-access-client-id");
const CLIENT_SECRET: HeaderName = HeaderName::from_static("cf-access-client-secret");
const ASSERTION: HeaderName = HeaderName::from_static("cf-access-jwt-assertion");
const CF_RAY: HeaderName = HeaderName::from_static("cf-ray");
/// The size of a gatehouse application JWT (RS256, service-token claims).
const JWT_BYTES: usize = 750;

type Reply = Either<Incoming, Full<Bytes>>;
type BoxResult<T> = Result<T, Box<dyn Error>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Origin,
    Bare,
    Work,
}

struct Args {
    mode: Mode,
    listen: SocketAddr,
    origin: Option<SocketAddr>,
    tokens: usize,
}

fn args() -> BoxResult<Args> {
    let mut argv = std::env::args().skip(1);
    let mode = match argv.next().as_deref() {
        Some("origin") => Mode::Origin,
        Some("bare") => Mode::Bare,
        Some("work") => Mode::Work,
        _ => {
            return Err(
                "usage: gatehouse-floor origin|bare|work [--listen ADDR] [--origin ADDR] [--tokens N]".into(),
            );
        }
    };
    let mut args = Args { mode, listen: "127.0.0.1:0".parse()?, origin: None, tokens: 10_000 };
    while let Some(flag) = argv.next() {
        let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => args.listen = value.parse()?,
            "--origin" => args.origin = Some(value.parse()?),
            "--tokens" => args.tokens = value.parse()?,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    if mode != Mode::Origin && args.origin.is_none() {
        return Err("the proxies need --origin".into());
    }
    Ok(args)
}

fn main() -> BoxResult<()> {
    let args = args()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, serve(args))
}

async fn serve(args: Args) -> BoxResult<()> {
    let listener = TcpListener::bind(args.listen).await?;
    let state = Rc::new(State::new(&args));
    let (client_id, client_secret) = State::credentials(0);
    println!(
        "{{\"listen\": \"{}\", \"client_id\": \"{client_id}\", \"client_secret\": \"{client_secret}\"}}",
        listener.local_addr()?
    );
    let server = hyper::server::conn::http1::Builder::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let connection = server.serve_connection(
            TokioIo::new(stream),
            service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(state.handle(request).await) }
            }),
        );
        tokio::task::spawn_local(async move {
            let _ = connection.await;
        });
    }
}

struct State {
    mode: Mode,
    origin: Option<SocketAddr>,
    /// Client id → HMAC-SHA-256 of its secret under `key`.
    tokens: HashMap<String, [u8; 32]>,
    key: [u8; 32],
    jwt: HeaderValue,
    ray: Cell<u64>,
    idle: RefCell<Vec<SendRequest<Incoming>>>,
}

impl State {
    fn new(args: &Args) -> State {
        let key = [7u8; 32];
        let mut tokens = HashMap::new();
        if args.mode == Mode::Work {
            for i in 0..args.tokens.max(1) {
                let (id, secret) = State::credentials(i);
                tokens.insert(id, mac(&key, secret.as_bytes()).unwrap_or_default());
            }
        }
        let jwt = "eyJhbGciOiJSUzI1NiJ9."
            .bytes()
            .chain(std::iter::repeat(b'x'))
            .take(JWT_BYTES)
            .collect::<Vec<u8>>();
        State {
            mode: args.mode,
            origin: args.origin,
            tokens,
            key,
            jwt: HeaderValue::from_maybe_shared(Bytes::from(jwt)).unwrap_or(HeaderValue::from_static("x")),
            ray: Cell::new(0x5eed_0000_0000_0000),
            idle: RefCell::new(Vec::new()),
        }
    }

    fn credentials(i: usize) -> (String, String) {
        (format!("{i:032x}.access"), format!("{:064x}", i + 1))
    }

    async fn handle(&self, mut request: Request<Incoming>) -> Response<Reply> {
        if self.mode == Mode::Origin {
            return reply(StatusCode::OK, "ok");
        }
        if self.mode == Mode::Work {
            if !self.authenticate(request.headers()) {
                return reply(StatusCode::UNAUTHORIZED, "");
            }
            let headers = request.headers_mut();
            headers.remove(CLIENT_SECRET);
            headers.remove(ASSERTION);
            headers.insert(ASSERTION, self.jwt.clone());
        }
        *request.version_mut() = Version::HTTP_11;
        let Ok(response) = self.send(request).await else {
            return reply(StatusCode::BAD_GATEWAY, "");
        };
        let (mut parts, body) = response.into_parts();
        if self.mode == Mode::Work {
            parts.headers.insert(CF_RAY, self.next_ray());
        }
        Response::from_parts(parts, Either::Left(body))
    }

    fn authenticate(&self, headers: &HeaderMap) -> bool {
        let (Some(id), Some(secret)) = (headers.get(CLIENT_ID), headers.get(CLIENT_SECRET)) else {
            return false;
        };
        let Some(stored) = id.to_str().ok().and_then(|id| self.tokens.get(id)) else {
            return false;
        };
        mac(&self.key, secret.as_bytes()).is_some_and(|presented| bool::from(presented.ct_eq(stored)))
    }

    fn next_ray(&self) -> HeaderValue {
        let n = self.ray.get();
        self.ray.set(n.wrapping_add(1));
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 16];
        for (i, digit) in text.iter_mut().enumerate() {
            *digit = DIGITS[((n >> (60 - 4 * i)) & 0xf) as usize];
        }
        HeaderValue::from_bytes(&text).unwrap_or(HeaderValue::from_static("0"))
    }

    /// On the most recently released ready connection, or a new one.
    async fn send(&self, request: Request<Incoming>) -> BoxResult<Response<Incoming>> {
        let pooled = {
            let mut idle = self.idle.borrow_mut();
            let mut found = None;
            let mut i = idle.len();
            while i > 0 {
                i -= 1;
                if idle[i].is_closed() {
                    idle.swap_remove(i);
                } else if idle[i].is_ready() {
                    found = Some(idle.swap_remove(i));
                    break;
                }
            }
            found
        };
        let mut sender = match pooled {
            Some(sender) => sender,
            None => self.connect().await?,
        };
        let response = sender.send_request(request).await?;
        self.idle.borrow_mut().push(sender);
        Ok(response)
    }

    async fn connect(&self) -> BoxResult<SendRequest<Incoming>> {
        let origin = self.origin.ok_or("no origin")?;
        let stream = TcpStream::connect(origin).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::task::spawn_local(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

fn mac(key: &[u8], message: &[u8]) -> Option<[u8; 32]> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(mac.finalize().into_bytes().into())
}

fn reply(status: StatusCode, body: &'static str) -> Response<Reply> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::from_static(body.as_bytes()))));
    *response.status_mut() = status;
    response
}
