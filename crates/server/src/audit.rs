//! `gatehouse audit verify`: reads every account's audit chain from the database, offline, and
//! checks it with `gatehouse_domain::ChainVerifier`. Works while the server runs.

use gatehouse_domain::{AccountId, ChainBreak, ChainVerifier};

use crate::config::Config;
use crate::{ServerError, open_store};

/// Records read per query.
const PAGE: u64 = 1000;

/// One account's chain, verified or not.
#[derive(Debug)]
pub struct ChainReport {
    pub account_id: AccountId,
    /// Records that verified (all of them, when `broken` is `None`).
    pub verified: u64,
    /// The last verified record's hash: note it down to detect a rewrite of the whole chain later.
    pub head: String,
    pub broken: Option<ChainBreak>,
}

/// Verifies the chain of every account in the configured database.
pub async fn verify(config: &Config) -> Result<Vec<ChainReport>, ServerError> {
    let store = open_store(config).await?;
    let mut reports = Vec::new();
    for account in store.list_accounts().await? {
        let mut verifier = ChainVerifier::new(account.id.clone());
        let broken = 'chain: loop {
            let records = store.audit_chain(&account.id, verifier.next_seq() - 1, PAGE).await?;
            if records.is_empty() {
                break None;
            }
            for record in &records {
                if let Err(broken) = verifier.check(record) {
                    break 'chain Some(broken);
                }
            }
        };
        reports.push(ChainReport {
            account_id: account.id,
            verified: verifier.verified(),
            head: verifier.head().to_owned(),
            broken,
        });
    }
    Ok(reports)
}
