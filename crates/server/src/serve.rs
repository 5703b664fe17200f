//! Binding and serving. [`Server::bind`] prepares everything that can fail (storage, key,
//! bootstrap, listeners) before anything is served, so a bad configuration exits with one clear
//! line; [`Server::run`] serves the management API and the gateway until the shutdown future
//! completes, then lets in-flight requests finish within the grace period.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gatehouse_api::AppState;
use gatehouse_domain::{AccountId, Clock, Secret};
use gatehouse_proxy::{Gateway, GatewayError};
use gatehouse_store::StoreError;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::access_log::{self, AccessLogSettings};
use crate::bootstrap::{self, BootstrapOptions};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::gateway::{self, TlsError};
use crate::health;
use crate::jobs::Monitoring;
use crate::keys::{self, KeyError};
use crate::metrics::{self, Metrics};
use crate::{cluster, key_check, key_rotation, open_backend};

/// How long the last write of token uses may take at shutdown.
const USAGE_FLUSH_LIMIT: Duration = Duration::from_secs(5);
/// How often the latency histograms' samples are folded into their buckets.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("serving failed: {0}")]
    Serve(std::io::Error),
    #[error("cannot build the webhook HTTP client: {0}")]
    Webhooks(#[source] reqwest::Error),
    #[error("cannot build the dashboard's identity provider client: {0}")]
    DashboardLogins(String),
}

/// The ready line: printed once on stdout when every listener is bound.
#[derive(Debug, Clone, Serialize)]
pub struct Ready {
    pub event: &'static str,
    pub api: String,
    pub gateway: String,
    pub account_id: String,
    /// `http://ADDR/metrics` when metrics have a listener of their own (`metrics_listen`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<String>,
}

/// A server with its listeners bound, not yet serving.
#[derive(Debug)]
pub struct Server {
    api: TcpListener,
    gateway: TcpListener,
    /// The authenticating proxy; also the API's change listener.
    proxy: Arc<Gateway>,
    /// Prometheus series, rendered at `/metrics`.
    metrics: Arc<Metrics>,
    /// `/metrics` on a listener of its own, when configured.
    metrics_listener: Option<TcpListener>,
    tls: Option<Arc<rustls::ServerConfig>>,
    state: AppState,
    grace: Duration,
    ready: Ready,
    admin_token: Option<Secret>,
    created: bool,
    /// Retention of the access log, pruned by a task `run` starts.
    access_log: AccessLogSettings,
    /// Expiry alerts, inactivity enforcement, webhooks: started by `run`.
    monitoring: Monitoring,
    /// The dashboard's session timeouts.
    dashboard: gatehouse_dashboard::SessionSettings,
    /// The dashboard's logins through the identity providers, when admission is configured.
    dashboard_logins: Option<gatehouse_dashboard::IdentityLogins>,
}

impl Server {
    pub async fn bind(mut config: Config) -> Result<Server, ServerError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let backend = open_backend(&config).await?;
        let store = backend.store.clone();
        let database_is_new = store.list_accounts().await?.is_empty();
        let key = Arc::new(keys::load_or_create(&config, database_is_new)?);
        let database_key = key_check::verify(backend.settings.as_ref(), &key).await?;
        key_rotation::on_start(store.as_ref(), &key, database_key, clock.as_ref()).await?;
        let options = BootstrapOptions {
            account_id: config.bootstrap_account_id.clone(),
            // Taken: the bootstrap token is needed once, and the rest of `config` later.
            admin_token: config.bootstrap_api_token.take(),
        };
        let boot = bootstrap::ensure(store.as_ref(), &key, clock.as_ref(), options).await?;
        let tls = config.gateway_tls.as_ref().map(gateway::tls_config).transpose()?;
        let metrics = Metrics::new();
        let proxy = gateway::start(
            store.clone(),
            key.clone(),
            clock.clone(),
            &config,
            cluster::max_staleness(&backend, &config.cluster),
            Some(metrics.gateway()),
        )
        .await?;
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let changes = cluster::join(&proxy, backend.feed, config.cluster);
        let api = bind(config.api_listen).await?;
        let gateway = bind(config.gateway_listen).await?;
        let ready = Ready {
            event: "ready",
            api: format!("http://{}", local_addr(&api, config.api_listen)),
            gateway: format!(
                "{}://{}",
                if tls.is_some() { "https" } else { "http" },
                local_addr(&gateway, config.gateway_listen)
            ),
            account_id: boot.account_id.to_string(),
            metrics: metrics_listener
                .as_ref()
                .zip(config.metrics_listen)
                .map(|(l, addr)| format!("http://{}/metrics", local_addr(l, addr))),
        };
        let state = AppState {
            store,
            clock,
            key,
            secret_format: config.secret_format,
            body_limit: config.body_limit_bytes,
            changes,
        };
        let monitoring = Monitoring::new(state.clone(), config.monitoring, state.clock.clone())
            .map_err(ServerError::Webhooks)?;
        let dashboard_logins = if config.dashboard.admission.enabled() {
            let logins = gatehouse_dashboard::IdentityLogins::new(
                boot.account_id.clone(),
                config.dashboard.admission.clone(),
                config.dashboard.public_url.clone(),
            )
            .map_err(ServerError::DashboardLogins)?
            .with_mailer(config.mailer.clone());
            Some(logins)
        } else {
            None
        };
        Ok(Server {
            api,
            gateway,
            proxy,
            metrics,
            metrics_listener,
            tls,
            state,
            grace: Duration::from_secs(config.shutdown_grace_secs),
            ready,
            admin_token: boot.generated_admin_token,
            created: boot.created,
            access_log: config.access_log.clone(),
            monitoring,
            dashboard: gatehouse_dashboard::SessionSettings::default(),
            dashboard_logins,
        })
    }

    pub fn ready(&self) -> &Ready {
        &self.ready
    }

    pub fn account_id(&self) -> Result<AccountId, ServerError> {
        AccountId::parse(&self.ready.account_id)
            .map_err(|e| ServerError::Store(StoreError::Corrupt(e.to_string())))
    }

    /// The admin token generated by this start, to be shown once; `None` on later starts or
    /// when it came from `GATEHOUSE_BOOTSTRAP_API_TOKEN`.
    pub fn take_generated_admin_token(&mut self) -> Option<Secret> {
        self.admin_token.take()
    }

    /// Whether this start created the account.
    pub fn created_account(&self) -> bool {
        self.created
    }

    /// Serves until `shutdown` completes, then drains for at most the grace period.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ServerError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        // The dashboard shares the API's listener and state; its routes all live under /dash/.
        let dashboard =
            gatehouse_dashboard::router(self.state.clone(), self.dashboard, self.dashboard_logins);
        let api_app = gatehouse_api::router(self.state.clone())
            .merge(dashboard)
            .merge(health::router(self.state.store.clone(), self.proxy.clone()));
        let api_app =
            metrics::api_service(api_app, &self.metrics, &self.proxy, self.metrics_listener.is_some());
        let api = axum::serve(self.api, api_app).with_graceful_shutdown(stopped(stop_rx.clone()));
        if let Some(listener) = self.metrics_listener {
            let serving = metrics::serve_separately(
                listener,
                self.metrics.clone(),
                self.proxy.clone(),
                stopped(stop_rx.clone()),
            );
            tokio::spawn(serving);
        }
        let api = tokio::spawn(async move { api.await });
        let gateway = tokio::spawn(gatehouse_proxy::serve(
            self.gateway,
            self.proxy.clone(),
            self.tls,
            stopped(stop_rx.clone()),
        ));

        self.metrics.start_upkeep(METRICS_UPKEEP, stop_rx.clone());
        health::watch_database(self.state.store.clone(), self.metrics.clone(), stop_rx.clone());
        // Stops by itself at the stop signal (a run in progress finishes its current action).
        let _monitoring = self.monitoring.start(self.state.clock.clone(), stop_rx.clone());
        let _pruning = access_log::start_pruning(
            self.state.store.clone(),
            self.state.clock.clone(),
            self.access_log.clone(),
            stop_rx.clone(),
        );
        shutdown.await;
        tracing::info!("shutting down: no new connections, finishing in-flight requests");
        let _ = stop_tx.send(true);
        let drained = tokio::time::timeout(self.grace, async {
            let api = api.await;
            let gateway = gateway.await;
            (api, gateway)
        })
        .await;
        // However the drain ended, queued token uses reach the database (bounded: a hung
        // database must not hold the process).
        if tokio::time::timeout(USAGE_FLUSH_LIMIT, self.proxy.flush_usage()).await.is_err() {
            tracing::warn!("could not write the last token uses in time");
        }
        tracing::info!(access_log_dropped = self.proxy.access_log_dropped(), "access log flushed");
        match drained {
            Ok((Ok(Ok(())), Ok(Ok(())))) => {
                tracing::info!("stopped");
                Ok(())
            }
            Ok((api, gateway)) => {
                for result in [api, gateway] {
                    if let Ok(Err(error)) = result {
                        return Err(ServerError::Serve(error));
                    }
                }
                Ok(())
            }
            Err(_) => {
                tracing::warn!(
                    grace_secs = self.grace.as_secs(),
                    "in-flight requests did not finish in time; stopping anyway"
                );
                Ok(())
            }
        }
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr).await.map_err(|source| ServerError::Bind { addr, source })
}

fn local_addr(listener: &TcpListener, configured: SocketAddr) -> SocketAddr {
    listener.local_addr().unwrap_or(configured)
}
