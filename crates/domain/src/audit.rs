//! The audit log's records and their hash chain.
//!
//! Every account has one chain: record `seq` (1, 2, 3, …) stores the hash of record `seq - 1`
//! as `prev_hash` ([`GENESIS_HASH`] for the first) and its own
//! `hash = SHA-256(prev_hash || canonical JSON of the record)`. Editing a record changes its
//! hash; deleting one leaves a gap in the sequence; swapping two changes the `seq` their hashes
//! cover; and rewriting a record together with its hash breaks the next record's `prev_hash`.
//! [`ChainVerifier`] finds the first such break. (Whoever can rewrite every record from the
//! broken one to the end, and the last one's hash wherever it was written down, can hide an
//! edit: compare the head hash that `gatehouse audit verify` prints with an earlier one.)
//!
//! The canonical JSON is a fixed-order object of the stored fields (`old_value` and
//! `new_value` as the JSON *text* that is stored), so it depends on nothing but the row.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{AccountId, Timestamp};

/// The `prev_hash` of an account's first record: 32 zero bytes, in hex.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did it: the management API credential that made the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditActor {
    /// The API token's id.
    pub id: String,
    /// The API token's name (or the legacy key's email).
    pub name: String,
    /// `token` (an API token) or `user` (a legacy global key, which stands for a user).
    pub kind: String,
    /// The TCP peer the request came from, when known.
    pub ip: Option<String>,
}

/// One management action, before it has a place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// A UUID.
    pub id: String,
    pub account_id: AccountId,
    pub when: Timestamp,
    pub actor: AuditActor,
    /// `create`, `update`, `delete`, `rotate`, `refresh`, `revoke_tokens`, `make_reusable`.
    pub action: String,
    /// `service_token`, `application`, `policy`, `group`, `organization`, `keys`.
    pub resource_type: String,
    pub resource_id: String,
    /// The resource's public JSON before the change (never a secret), if it existed.
    pub old_value: Option<String>,
    /// The resource's public JSON after the change, if it still exists.
    pub new_value: Option<String>,
}

/// An entry in its place in the account's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: u64,
    pub entry: AuditEntry,
    /// Hex SHA-256 of the previous record, or [`GENESIS_HASH`].
    pub prev_hash: String,
    /// Hex `SHA-256(prev_hash || canonical JSON)`.
    pub hash: String,
}

/// The hashed form of a record. Field order is fixed here, whatever serde_json's features.
#[derive(Serialize)]
struct Canonical<'a> {
    v: u8,
    account_id: &'a str,
    seq: u64,
    id: &'a str,
    when: i64,
    actor_id: &'a str,
    actor_name: &'a str,
    actor_type: &'a str,
    actor_ip: Option<&'a str>,
    action: &'a str,
    resource_type: &'a str,
    resource_id: &'a str,
    old_value: Option<&'a str>,
    new_value: Option<&'a str>,
}

impl AuditRecord {
    /// Places `entry` at `seq`, after the record whose hash is `prev_hash`.
    /// Fails rather than hash an empty input when the record cannot be serialized.
    pub fn seal(entry: AuditEntry, seq: u64, prev_hash: &str) -> Result<AuditRecord, HashInputError> {
        let mut record = AuditRecord { seq, entry, prev_hash: prev_hash.to_owned(), hash: String::new() };
        record.hash = record.computed_hash()?;
        Ok(record)
    }

    /// The canonical JSON the hash covers.
    pub fn canonical_json(&self) -> Result<String, HashInputError> {
        let e = &self.entry;
        let canonical = Canonical {
            v: 1,
            account_id: e.account_id.as_str(),
            seq: self.seq,
            id: &e.id,
            when: e.when.unix(),
            actor_id: &e.actor.id,
            actor_name: &e.actor.name,
            actor_type: &e.actor.kind,
            actor_ip: e.actor.ip.as_deref(),
            action: &e.action,
            resource_type: &e.resource_type,
            resource_id: &e.resource_id,
            old_value: e.old_value.as_deref(),
            new_value: e.new_value.as_deref(),
        };
        Ok(serde_json::to_string(&canonical)?)
    }

    /// `SHA-256(prev_hash || canonical JSON)` in lowercase hex, from the stored fields.
    pub fn computed_hash(&self) -> Result<String, HashInputError> {
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(self.canonical_json()?.as_bytes());
        Ok(hex::encode(hasher.finalize()))
    }
}

/// An audit record whose hash input (its canonical JSON) could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build an audit record's hash input: {0}")]
pub struct HashInputError(#[from] serde_json::Error);

/// Where and how an account's chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit record {seq}: {reason}")]
pub struct ChainBreak {
    /// The first sequence number that does not verify.
    pub seq: u64,
    pub reason: String,
}

/// Checks one account's records in sequence order, a page at a time.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    account_id: AccountId,
    next_seq: u64,
    prev_hash: String,
    verified: u64,
}

impl ChainVerifier {
    pub fn new(account_id: AccountId) -> Self {
        ChainVerifier { account_id, next_seq: 1, prev_hash: GENESIS_HASH.to_owned(), verified: 0 }
    }

    /// Checks the next record of the chain.
    pub fn check(&mut self, record: &AuditRecord) -> Result<(), ChainBreak> {
        let broken = |reason: &str| ChainBreak { seq: self.next_seq, reason: reason.to_owned() };
        if record.entry.account_id != self.account_id {
            return Err(broken("belongs to another account"));
        }
        if record.seq != self.next_seq {
            return Err(if record.seq > self.next_seq {
                broken("is missing (deleted)")
            } else {
                broken("appears out of order")
            });
        }
        if record.prev_hash != self.prev_hash {
            return Err(broken("does not follow the record before it (prev_hash differs)"));
        }
        let computed = record.computed_hash().map_err(|error| broken(&error.to_string()))?;
        if computed != record.hash {
            return Err(broken("was altered (its hash does not match its contents)"));
        }
        self.prev_hash.clone_from(&record.hash);
        self.next_seq += 1;
        self.verified += 1;
        Ok(())
    }

    /// How many records verified so far.
    pub fn verified(&self) -> u64 {
        self.verified
    }

    /// The last verified record's hash (the chain's head), or [`GENESIS_HASH`].
    pub fn head(&self) -> &str {
        &self.prev_hash
    }

    /// The sequence number the next record must have.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests;
