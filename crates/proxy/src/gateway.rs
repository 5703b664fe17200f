//! The [`Gateway`]: the in-memory snapshot, the origin pool, the JWT caches and the usage
//! writer, and [`Gateway::handle`], which runs a request through the stages in order. It is
//! also the `ChangeListener` the management API tells about every change.

mod freshness;
mod login;
mod maintenance;
mod pin;
mod probe;
mod recording;

pub use recording::GATEWAY_TRACE_TARGET;
mod rehash;
mod remote;
pub use remote::TokensReread;
mod request;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use gatehouse_domain::signing::DEFAULT_KEY_BITS;
use gatehouse_domain::{AccountId, Clock, ServerKey, ServiceToken};
use gatehouse_store::{ChangeListener, Store, StoreError};

use crate::access_log::AccessLogQueue;
use crate::forward::OriginClient;
use crate::keys::KeyMaterial;
use crate::session::Sessions;
use crate::snapshot::{AccessSnapshot, TokenSnapshot, load_account};
use crate::usage::UsageQueue;

/// Tunables of the gateway; [`Default`] gives the documented defaults.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// How long an origin has to send its response head (default 30 s); then 504.
    pub origin_timeout: Duration,
    /// RSA modulus size of signing keys this gateway creates or rotates (default 2048).
    pub key_bits: usize,
    /// How often queued token uses are written at the latest (default 1 s).
    pub usage_flush_interval: Duration,
    /// Token uses that may wait for the writer before new ones are dropped (default 65536).
    pub usage_queue_capacity: usize,
    /// How often queued access-log records are written at the latest (default 1 s).
    pub access_log_flush_interval: Duration,
    /// Access-log records that may wait for the writer before new ones are dropped and
    /// counted (default 65536).
    pub access_log_queue_capacity: usize,
    /// How often due key rotations are made and expired cache entries dropped (default 60 s).
    pub maintenance_interval: Duration,
    /// How long the snapshot may go without a successful full resync before application
    /// requests are refused with 503 (database outage on a multi-node deployment). `None`
    /// (default): never, for a single node whose changes all pass through it.
    pub max_staleness: Option<Duration>,
    /// Where the gateway's Prometheus series go; `None` (default): not recorded.
    pub metrics: Option<Arc<crate::metrics::GatewayMetrics>>,
    /// Failed authentications per minute, per client id and per address, before further
    /// failing requests get 429 (default 10 and 30; see `limit`).
    pub failure_limits: crate::limit::FailureLimits,
    /// How long an HTTP/1.1 client has to send a whole request head, from when the gateway
    /// starts waiting for it (default 10 s); then the connection is closed.
    pub header_read_timeout: Duration,
    /// Threads that serve gateway connections, each with its own event loop and its own pool
    /// of origin connections, so that a request never leaves the thread that accepted it
    /// (default: the CPUs this process may run on).
    pub workers: usize,
    /// Open a `gateway request` span (target [`crate::GATEWAY_TRACE_TARGET`]) per request, with
    /// the decision, reason, application, Ray ID and status (default off: no span is made).
    pub trace_requests: bool,
    /// Sends one-time PIN mails; `None` (default): `onetimepin` logins answer 503.
    pub mailer: Option<Arc<crate::login::mail::Mailer>>,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            origin_timeout: Duration::from_secs(30),
            key_bits: DEFAULT_KEY_BITS,
            usage_flush_interval: Duration::from_secs(1),
            usage_queue_capacity: 65_536,
            access_log_flush_interval: Duration::from_secs(1),
            access_log_queue_capacity: 65_536,
            maintenance_interval: Duration::from_secs(60),
            max_staleness: None,
            metrics: None,
            failure_limits: crate::limit::FailureLimits::default(),
            header_read_timeout: Duration::from_secs(10),
            workers: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            trace_requests: false,
            mailer: None,
        }
    }
}

/// One client connection, as the listener accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The TCP peer: the only client address the gateway believes.
    pub peer: std::net::SocketAddr,
    /// Whether the client reached the gateway over TLS (`X-Forwarded-Proto`, `Secure` cookies).
    pub tls: bool,
    /// The serving thread that accepted it, whose origin pool its requests use.
    pub(crate) worker: usize,
    /// `peer`'s address as headers and the access log give it, written once per connection.
    pub(crate) peer_text: PeerText,
    /// The same as a header value (`Cf-Connecting-Ip`, `X-Forwarded-For`), made once per
    /// connection: each request's copy shares its bytes.
    pub(crate) peer_header: http::HeaderValue,
    /// The serving thread's reusable timer entries (the origin timeout).
    pub(crate) timers: crate::timer::Timers,
}

impl Connection {
    pub(crate) fn new(
        peer: std::net::SocketAddr,
        tls: bool,
        worker: usize,
        timers: crate::timer::Timers,
    ) -> Self {
        let peer_text = PeerText::new(peer.ip());
        // An address's text is always a valid header value.
        let peer_header = http::HeaderValue::from_str(peer_text.as_str())
            .unwrap_or_else(|_| http::HeaderValue::from_static("0.0.0.0"));
        Connection { peer, tls, worker, peer_text, peer_header, timers }
    }
}

/// An IP address as text, IPv4-mapped IPv6 addresses as IPv4, held inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct PeerText {
    len: u8,
    bytes: [u8; PeerText::CAPACITY],
}

impl PeerText {
    /// The longest IPv6 text, `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`, is 45 bytes.
    const CAPACITY: usize = 46;

    pub(crate) fn new(ip: std::net::IpAddr) -> Self {
        use std::io::Write;
        let mut bytes = [0u8; Self::CAPACITY];
        let mut rest = &mut bytes[..];
        let _ = write!(rest, "{}", ip.to_canonical());
        let len = Self::CAPACITY - rest.len();
        PeerText { len: len as u8, bytes }
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for PeerText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the gateway could not start.
#[derive(Debug)]
pub enum GatewayError {
    Store(StoreError),
    /// The TLS client for `https://` origins could not be set up.
    OriginTls(String),
    /// The HTTP client for identity providers could not be set up.
    IdentityClient(String),
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GatewayError::Store(error) => write!(f, "loading the gateway snapshot: {error}"),
            GatewayError::OriginTls(error) => write!(f, "{error}"),
            GatewayError::IdentityClient(error) => write!(f, "the identity provider client: {error}"),
        }
    }
}

impl std::error::Error for GatewayError {}

impl From<StoreError> for GatewayError {
    fn from(error: StoreError) -> Self {
        GatewayError::Store(error)
    }
}

/// The authenticating reverse proxy. Build it with [`Gateway::start`], serve it with
/// [`crate::serve`], and give it to the management API as its `ChangeListener`.
pub struct Gateway {
    store: Arc<dyn Store>,
    server_key: Arc<ServerKey>,
    clock: Arc<dyn Clock>,
    options: GatewayOptions,
    tokens: TokenSnapshot,
    access: ArcSwap<AccessSnapshot>,
    /// Serializes snapshot rebuilds, so a slow older rebuild cannot overwrite a newer one.
    rebuilding: tokio::sync::Mutex<()>,
    /// Accounts whose rebuild failed, retried by the maintenance task.
    dirty: std::sync::Mutex<std::collections::HashSet<AccountId>>,
    sessions: Sessions,
    usage: UsageQueue,
    access_log: AccessLogQueue,
    /// One pool of origin connections per serving thread (`GatewayOptions::workers`).
    origins: Vec<OriginClient>,
    /// The runtime the gateway was started on, for work off the request path.
    background: tokio::runtime::Handle,
    /// When the snapshot was last known to match the database (see `gateway/freshness.rs`).
    freshness: freshness::Freshness,
    /// The store's token fingerprint when a resync last brought the tokens in step with it.
    tokens_read: std::sync::Mutex<Option<gatehouse_store::TokensFingerprint>>,
    /// Failed authentications per client id and per address (brute-force limiting).
    failures: crate::limit::FailureLimiter,
    /// Talks to identity providers (token exchange, their keys): never follows redirects.
    http: reqwest::Client,
    /// Limits of one-time PIN requests.
    pins: crate::login::pin::PinLimiter,
    /// On a database shared with other nodes: this node's id and the feed that tells them of the
    /// changes the gateway itself writes (a login's identity, a logout), see
    /// [`Gateway::announce_to`].
    peers: std::sync::OnceLock<(String, Arc<dyn gatehouse_store::ChangeFeed>)>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("tokens", &self.tokens.len())
            .field("accounts", &self.access.load().accounts.len())
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Loads every token and every account's access configuration (creating signing keys for
    /// accounts without them), then starts the usage writer and the maintenance task on the
    /// current Tokio runtime.
    pub async fn start(
        store: Arc<dyn Store>,
        server_key: Arc<ServerKey>,
        clock: Arc<dyn Clock>,
        options: GatewayOptions,
    ) -> Result<Arc<Gateway>, GatewayError> {
        let origins = (0..options.workers.max(1))
            .map(|_| OriginClient::new(options.origin_timeout))
            .collect::<Result<Vec<_>, _>>()
            .map_err(GatewayError::OriginTls)?;
        let usage =
            UsageQueue::start(store.clone(), options.usage_queue_capacity, options.usage_flush_interval);
        let access_log = AccessLogQueue::start(
            store.clone(),
            options.access_log_queue_capacity,
            options.access_log_flush_interval,
        );
        let freshness = freshness::Freshness::new(options.max_staleness, clock.now());
        let failures = crate::limit::FailureLimiter::new(options.failure_limits);
        let http = crate::identity_login::IdentityClient::new().map_err(GatewayError::IdentityClient)?.0;
        let gateway = Arc::new(Gateway {
            store,
            server_key,
            clock,
            options,
            tokens: TokenSnapshot::default(),
            access: ArcSwap::from_pointee(AccessSnapshot::default()),
            rebuilding: tokio::sync::Mutex::new(()),
            dirty: std::sync::Mutex::default(),
            sessions: Sessions::default(),
            usage,
            access_log,
            origins,
            background: tokio::runtime::Handle::current(),
            freshness,
            tokens_read: std::sync::Mutex::default(),
            failures,
            http,
            pins: crate::login::pin::PinLimiter::default(),
            peers: std::sync::OnceLock::new(),
        });
        gateway.reload().await?;
        tokio::spawn(maintenance::run(Arc::downgrade(&gateway), gateway.options.maintenance_interval));
        Ok(gateway)
    }

    /// Re-reads everything from the store: every token and every account.
    pub async fn reload(&self) -> Result<(), StoreError> {
        self.reload_tokens().await?;
        for account in self.store.list_accounts().await? {
            self.reload_account(&account.id).await?;
        }
        tracing::info!(
            tokens = self.tokens.len(),
            accounts = self.access.load().accounts.len(),
            "gateway snapshot loaded"
        );
        Ok(())
    }

    /// Rebuilds one account's access configuration and swaps it in.
    pub async fn reload_account(&self, account: &AccountId) -> Result<(), StoreError> {
        let _one_at_a_time = self.rebuilding.lock().await;
        let known: Vec<Arc<KeyMaterial>> = self
            .access
            .load()
            .account(account)
            .map(|a| a.settings.keys.all().cloned().collect())
            .unwrap_or_default();
        let store = self.store.as_ref();
        let loaded = load_account(
            store,
            &self.server_key,
            self.clock.as_ref(),
            account,
            &known,
            self.options.key_bits,
        )
        .await?;
        let next = self.access.load().with_account(Arc::new(loaded));
        self.access.store(Arc::new(next));
        Ok(())
    }

    /// How long a client has to send a request head (see [`GatewayOptions`]).
    pub(crate) fn header_read_timeout(&self) -> Duration {
        self.options.header_read_timeout
    }

    /// How many threads serve connections (see [`GatewayOptions`]).
    pub(crate) fn workers(&self) -> usize {
        self.origins.len()
    }

    /// Writes every queued token use and access-log record now (at shutdown, say).
    pub async fn flush_usage(&self) {
        self.usage.flush().await;
        self.access_log.flush().await;
    }
}

#[async_trait]
impl ChangeListener for Gateway {
    async fn token_changed(&self, token: &ServiceToken) {
        self.tokens.upsert(token.clone());
    }

    async fn token_deleted(&self, token: &ServiceToken) {
        self.tokens.remove_known(token);
    }

    async fn access_changed(&self, account: &AccountId) {
        self.rebuild(account).await;
    }
}

#[cfg(test)]
mod tests {
    use super::PeerText;

    #[test]
    fn peer_text_writes_mapped_addresses_as_ipv4_and_fits_the_longest_ipv6() {
        assert_eq!(PeerText::new("::ffff:10.0.0.9".parse().unwrap()).as_str(), "10.0.0.9");
        assert_eq!(PeerText::new("203.0.113.255".parse().unwrap()).as_str(), "203.0.113.255");
        let longest = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        assert_eq!(PeerText::new(longest.parse().unwrap()).as_str(), longest);
        assert_eq!(PeerText::new("2001:db8::1".parse().unwrap()).as_str(), "2001:db8::1");
    }
}
