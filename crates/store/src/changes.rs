//! Change propagation between gatehouse nodes that share one database.
//!
//! Every change made through a node's management API is told to that node's gateway at once
//! (`ChangeListener`) and published on a [`ChangeFeed`], so that every other node applies it to
//! its own in-memory snapshot. An event names what changed, never how: receivers read the new
//! state from the store, so an event carries no secret and a late or repeated event is harmless.
//! The feed is best effort (PostgreSQL's `LISTEN/NOTIFY` drops events while a listener is
//! disconnected); receivers resync fully after every (re)connect and periodically.

use async_trait::async_trait;
use gatehouse_domain::{AccountId, TokenId};

use crate::StoreError;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A token was created or changed (rotated, refreshed, disabled, …).
    TokenChanged { account: AccountId, id: TokenId },
    /// A token was deleted. Its client id (public) lets a node drop it from its snapshot with
    /// one lookup instead of a scan; events from nodes that do not send it carry `None`.
    TokenDeleted { account: AccountId, id: TokenId, client_id: Option<String> },
    /// Applications, policies, groups, the organization or signing keys of the account changed.
    AccessChanged { account: AccountId },
}

/// A change and the node that made it (so that a node can skip its own events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// The publishing node's id: random per process, not a secret.
    pub node: String,
    pub change: Change,
}

/// Carries change events from the node that made a change to every node.
#[async_trait]
pub trait ChangeFeed: Send + Sync + std::fmt::Debug {
    /// Sends `event` to every subscriber (the publisher's own subscription included).
    async fn publish(&self, event: &ChangeEvent) -> Result<(), StoreError>;
    /// Starts receiving events. Events published while no subscription is connected are lost.
    async fn subscribe(&self) -> Result<Box<dyn ChangeSubscription>, StoreError>;
}

/// A live subscription to a [`ChangeFeed`].
#[async_trait]
pub trait ChangeSubscription: Send + std::fmt::Debug {
    /// The next event. An error means the subscription is broken (events may have been lost):
    /// drop it, subscribe again and resync.
    async fn next(&mut self) -> Result<ChangeEvent, StoreError>;
}
