//! Several nodes on one PostgreSQL database: what a node tells the others and how it keeps up
//! with them.
//!
//! [`Broadcast`] is the management API's `ChangeListener` on such a node: it applies every change
//! to the local gateway first (visible from the very next request) and then publishes it on the
//! database's change feed. [`spawn_sync`] runs the receiving side: it subscribes to the feed,
//! resyncs fully after every (re)connect, applies other nodes' events as they arrive, and resyncs
//! every `resync_interval` as the safety net for lost events (re-reading tokens only when the
//! database's token fingerprint moved, then only those whose revision or server-key ids differ
//! from the snapshot's, and all of them every [`FULL_RESYNC_EVERY`]th time).
//! Each successful resync marks the gateway's snapshot fresh; past `max_staleness` without one
//! (the database is down) the gateway fails closed.

use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use gatehouse_domain::{AccountId, ServiceToken};
use gatehouse_proxy::Gateway;
use gatehouse_store::{Change, ChangeEvent, ChangeFeed, ChangeListener, StoreError};
use tokio::sync::mpsc;

use crate::config::ConfigError;
use crate::store::Backend;

const DEFAULT_RESYNC_INTERVAL_SECS: u64 = 30;
/// Every this many resyncs (the first after each (re)connect included) the tokens are re-read
/// in full; the others re-read only the changed ones, and only when the database's token
/// fingerprint moved. The full ones cover what neither a fingerprint nor the tokens' versions
/// can see: a snapshot that drifted from the database by a fault of this node's own.
const FULL_RESYNC_EVERY: u64 = 10;
const DEFAULT_MAX_STALENESS_SECS: u64 = 300;
/// The longest wait between attempts to (re)subscribe while the database is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// The cluster settings of `gatehouse serve` (configuration file only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterConfig {
    /// How often a node resyncs its snapshot with PostgreSQL (see the module's documentation).
    pub resync_interval: Duration,
    /// How long the gateway serves from its snapshot without a successful resync.
    pub max_staleness: Duration,
}

impl ClusterConfig {
    pub fn resolve(
        resync_interval_secs: Option<u64>,
        max_staleness_secs: Option<u64>,
    ) -> Result<Self, ConfigError> {
        let resync = resync_interval_secs.unwrap_or(DEFAULT_RESYNC_INTERVAL_SECS);
        let staleness = max_staleness_secs.unwrap_or(DEFAULT_MAX_STALENESS_SECS);
        if resync == 0 {
            return Err(ConfigError::Invalid("resync_interval_secs must be at least 1".into()));
        }
        if staleness <= resync {
            return Err(ConfigError::Invalid(format!(
                "max_staleness_secs ({staleness}) must be greater than resync_interval_secs ({resync}), \
                 or a healthy node would fail closed between two resyncs"
            )));
        }
        Ok(ClusterConfig {
            resync_interval: Duration::from_secs(resync),
            max_staleness: Duration::from_secs(staleness),
        })
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            resync_interval: Duration::from_secs(DEFAULT_RESYNC_INTERVAL_SECS),
            max_staleness: Duration::from_secs(DEFAULT_MAX_STALENESS_SECS),
        }
    }
}

/// The gateway's maximum staleness: bounded only where other nodes can change the database.
pub fn max_staleness(backend: &Backend, config: &ClusterConfig) -> Option<Duration> {
    backend.feed.as_ref().map(|_| config.max_staleness)
}

/// The management API's change listener: the gateway itself on a lone node; on a shared
/// database, a [`Broadcast`] to the other nodes, with the task that hears theirs.
pub fn join(
    gateway: &Arc<Gateway>,
    feed: Option<Arc<dyn ChangeFeed>>,
    config: ClusterConfig,
) -> Arc<dyn ChangeListener> {
    match feed {
        None => gateway.clone(),
        Some(feed) => {
            let node = new_node_id();
            tracing::info!(node = %node, resync_interval_secs = config.resync_interval.as_secs(), "joining the nodes that share this database");
            spawn_sync(node.clone(), gateway, feed.clone(), config.resync_interval);
            // The gateway's own writes (logins, logouts) reach the other nodes too.
            gateway.announce_to(node.clone(), feed.clone());
            Arc::new(Broadcast::new(node, gateway.clone(), feed))
        }
    }
}

/// A random id for this process, carried in its events so that it can skip its own.
pub fn new_node_id() -> String {
    AccountId::generate().as_str().get(..16).unwrap_or_default().to_owned()
}

/// Applies changes locally, then tells the other nodes.
#[derive(Debug)]
pub struct Broadcast {
    node: String,
    local: Arc<Gateway>,
    feed: Arc<dyn ChangeFeed>,
}

impl Broadcast {
    pub fn new(node: String, local: Arc<Gateway>, feed: Arc<dyn ChangeFeed>) -> Self {
        Broadcast { node, local, feed }
    }

    async fn publish(&self, change: Change) {
        let event = ChangeEvent { node: self.node.clone(), change };
        if let Err(error) = self.feed.publish(&event).await {
            // The change is committed and applied here; the other nodes pick it up at their next
            // resync at the latest.
            tracing::warn!(%error, "could not notify the other nodes of a change");
        }
    }
}

#[async_trait]
impl ChangeListener for Broadcast {
    async fn token_changed(&self, token: &ServiceToken) {
        self.local.token_changed(token).await;
        self.publish(Change::TokenChanged { account: token.account_id.clone(), id: token.id }).await;
    }

    async fn token_deleted(&self, token: &ServiceToken) {
        self.local.token_deleted(token).await;
        let client_id = Some(token.client_id.as_str().to_owned());
        self.publish(Change::TokenDeleted { account: token.account_id.clone(), id: token.id, client_id })
            .await;
    }

    async fn access_changed(&self, account: &AccountId) {
        self.local.access_changed(account).await;
        self.publish(Change::AccessChanged { account: account.clone() }).await;
    }
}

/// Starts the task that keeps `gateway` in step with the other nodes; it ends when the gateway
/// is dropped.
pub fn spawn_sync(
    node: String,
    gateway: &Arc<Gateway>,
    feed: Arc<dyn ChangeFeed>,
    resync_interval: Duration,
) {
    tokio::spawn(sync(node, Arc::downgrade(gateway), feed, resync_interval));
}

async fn sync(node: String, gateway: Weak<Gateway>, feed: Arc<dyn ChangeFeed>, resync_interval: Duration) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let mut events = match subscribe(feed.as_ref()).await {
            Ok(events) => events,
            Err(error) => {
                tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "cannot listen for changes of other nodes");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                if gateway.strong_count() == 0 {
                    return;
                }
                continue;
            }
        };
        backoff = FIRST_BACKOFF;
        tracing::info!("listening for changes of other nodes");
        // The first tick is immediate: a full resync after every (re)connect, since events sent
        // while not listening are lost.
        let mut tick = tokio::time::interval(resync_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks: u64 = 0;
        loop {
            tokio::select! {
                event = events.recv() => {
                    let Some(gateway) = gateway.upgrade() else { return };
                    match event {
                        Some(Ok(event)) if event.node == node => {}
                        Some(Ok(event)) => {
                            if let Err(error) = gateway.apply_remote(&event.change).await {
                                tracing::warn!(%error, "could not apply another node's change; the next resync will");
                            }
                        }
                        Some(Err(error)) => {
                            tracing::warn!(%error, "stopped hearing other nodes' changes; reconnecting");
                            break;
                        }
                        None => break,
                    }
                }
                _ = tick.tick() => {
                    let Some(gateway) = gateway.upgrade() else { return };
                    let resynced = if ticks.is_multiple_of(FULL_RESYNC_EVERY) {
                        gateway.resync().await
                    } else {
                        gateway.resync_if_changed().await.map(|_| ())
                    };
                    ticks += 1;
                    if let Err(error) = resynced {
                        tracing::warn!(%error, "could not resynchronize the gateway with the database");
                    }
                }
            }
        }
    }
}

/// Subscribes and moves the subscription into a task of its own, so that waiting for an event
/// can be interrupted by the resync tick without cancelling a read halfway.
async fn subscribe(
    feed: &dyn ChangeFeed,
) -> Result<mpsc::Receiver<Result<ChangeEvent, StoreError>>, StoreError> {
    let mut subscription = feed.subscribe().await?;
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        loop {
            let event = subscription.next().await;
            let broken = event.is_err();
            if tx.send(event).await.is_err() || broken {
                return;
            }
        }
    });
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let config = ClusterConfig::resolve(None, None).unwrap();
        assert_eq!(config, ClusterConfig::default());
        assert_eq!(config.resync_interval, Duration::from_secs(30));
        assert_eq!(config.max_staleness, Duration::from_secs(300));
        assert!(ClusterConfig::resolve(Some(0), None).is_err());
        let error = ClusterConfig::resolve(Some(60), Some(60)).unwrap_err();
        assert!(error.to_string().contains("max_staleness_secs"), "{error}");
        assert!(ClusterConfig::resolve(Some(1), Some(5)).is_ok());
    }

    #[test]
    fn node_ids_are_short_and_distinct() {
        let (a, b) = (new_node_id(), new_node_id());
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
    }
}
