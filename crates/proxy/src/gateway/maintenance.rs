//! Periodic upkeep, off the request path: retry account rebuilds that failed, rotate signing
//! keys whose interval has passed (each node tries; the store's revision check lets one win)
//! and pick up keys another node rotated, and drop expired cache entries and failure-limit
//! windows. Ends when the gateway is dropped.

use std::sync::Weak;
use std::time::Duration;

use super::Gateway;
use crate::keys::rotate_if_due;

pub(super) async fn run(gateway: Weak<Gateway>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(gateway) = gateway.upgrade() else { return };
        gateway.maintain().await;
    }
}

impl Gateway {
    /// One round of upkeep.
    pub(crate) async fn maintain(&self) {
        let now = self.clock.now();
        self.sessions.sweep(now);
        self.failures.sweep(now);
        self.pins.sweep(now);
        for account in self.take_dirty() {
            self.rebuild(&account).await;
        }
        let accounts: Vec<_> = self
            .access
            .load()
            .accounts
            .iter()
            .map(|a| (a.settings.id.clone(), a.settings.keys.current.kid.clone()))
            .collect();
        for (account, held_kid) in accounts {
            match rotate_if_due(self.store.as_ref(), &self.server_key, now, &account, self.options.key_bits)
                .await
            {
                Ok(Some(kid)) if kid != held_kid => self.rebuild(&account).await,
                Ok(_) => {}
                Err(error) => tracing::warn!(%account, %error, "could not check the signing key rotation"),
            }
        }
    }

    /// Rebuilds an account, remembering it for the next round when that fails.
    pub(crate) async fn rebuild(&self, account: &gatehouse_domain::AccountId) {
        if let Err(error) = self.reload_account(account).await {
            // The previous configuration keeps serving meanwhile.
            tracing::error!(%account, %error, "could not rebuild the gateway's access configuration; will retry");
            if let Ok(mut dirty) = self.dirty.lock() {
                dirty.insert(account.clone());
            }
        }
    }

    fn take_dirty(&self) -> Vec<gatehouse_domain::AccountId> {
        self.dirty.lock().map(|mut dirty| dirty.drain().collect()).unwrap_or_default()
    }
}
