//! The change feed between nodes: PostgreSQL `NOTIFY` on one channel, `LISTEN` on a connection of
//! its own per subscription.
//!
//! A payload is a small JSON object naming the publishing node, the kind of change and the ids:
//! `{"node":"…","kind":"token_changed","account":"<32 hex>","id":"<uuid>"}` (a deletion also
//! names the token's public `client_id`) — well under
//! PostgreSQL's 8000-byte limit, and nothing secret (receivers read the new state from the
//! store). `NOTIFY` is transactional and delivered only to sessions listening at the time, so a
//! subscription that loses its connection reports an error and its owner resyncs.

use async_trait::async_trait;
use gatehouse_domain::{AccountId, TokenId};
use gatehouse_store::{Change, ChangeEvent, ChangeFeed, ChangeSubscription, StoreError};
use serde_json::{Value, json};
use sqlx::postgres::PgListener;

use crate::PostgresStore;
use crate::error::from_sqlx;

/// The channel every node publishes on and listens to.
pub const CHANNEL: &str = "gatehouse_changes";

#[async_trait]
impl ChangeFeed for PostgresStore {
    async fn publish(&self, event: &ChangeEvent) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(encode(event))
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(())
    }

    async fn subscribe(&self) -> Result<Box<dyn ChangeSubscription>, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await.map_err(from_sqlx)?;
        listener.listen(CHANNEL).await.map_err(from_sqlx)?;
        Ok(Box::new(Subscription { listener }))
    }
}

struct Subscription {
    listener: PgListener,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").field("channel", &CHANNEL).finish_non_exhaustive()
    }
}

#[async_trait]
impl ChangeSubscription for Subscription {
    async fn next(&mut self) -> Result<ChangeEvent, StoreError> {
        loop {
            // `try_recv` (not `recv`): a lost connection must be reported, not silently
            // replaced, because the events sent meanwhile are gone.
            match self.listener.try_recv().await {
                Ok(Some(notification)) => match decode(notification.payload()) {
                    Some(event) => return Ok(event),
                    None => tracing::warn!(
                        channel = CHANNEL,
                        "ignoring a change notification that does not decode"
                    ),
                },
                Ok(None) => {
                    return Err(StoreError::Unavailable("the change listener lost its connection".into()));
                }
                Err(error) => return Err(from_sqlx(error)),
            }
        }
    }
}

fn encode(event: &ChangeEvent) -> String {
    let value = match &event.change {
        Change::TokenChanged { account, id } => {
            json!({"node": event.node, "kind": "token_changed", "account": account.as_str(), "id": id.to_string()})
        }
        Change::TokenDeleted { account, id, client_id } => {
            let mut value = json!({"node": event.node, "kind": "token_deleted", "account": account.as_str(), "id": id.to_string()});
            if let Some(client_id) = client_id {
                value["client_id"] = Value::from(client_id.as_str());
            }
            value
        }
        Change::AccessChanged { account } => {
            json!({"node": event.node, "kind": "access_changed", "account": account.as_str()})
        }
    };
    value.to_string()
}

fn decode(payload: &str) -> Option<ChangeEvent> {
    let value: Value = serde_json::from_str(payload).ok()?;
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    let account = AccountId::parse(text("account")?).ok()?;
    let token = || TokenId::parse(text("id")?).ok();
    let change = match text("kind")? {
        "token_changed" => Change::TokenChanged { account, id: token()? },
        "token_deleted" => {
            Change::TokenDeleted { account, id: token()?, client_id: text("client_id").map(str::to_owned) }
        }
        "access_changed" => Change::AccessChanged { account },
        _ => return None,
    };
    Some(ChangeEvent { node: text("node")?.to_owned(), change })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_small_payloads() {
        let account = AccountId::generate();
        let id = TokenId::generate();
        for change in [
            Change::TokenChanged { account: account.clone(), id },
            Change::TokenDeleted {
                account: account.clone(),
                id,
                client_id: Some("8f1d0c2a4b6e3f57.access".into()),
            },
            Change::TokenDeleted { account: account.clone(), id, client_id: None },
            Change::AccessChanged { account: account.clone() },
        ] {
            let event = ChangeEvent { node: "0123456789abcdef".into(), change };
            let payload = encode(&event);
            assert!(payload.len() < 8000, "{payload}");
            assert_eq!(decode(&payload), Some(event));
        }
    }

    #[test]
    fn foreign_or_damaged_payloads_are_ignored() {
        assert_eq!(decode("not json"), None);
        assert_eq!(
            decode(r#"{"node":"a","kind":"exploded","account":"00000000000000000000000000000000"}"#),
            None
        );
        assert_eq!(
            decode(
                r#"{"node":"a","kind":"token_changed","account":"00000000000000000000000000000000","id":"x"}"#
            ),
            None
        );
    }
}
