//! Rows both adapters read, as plain column values, and their decoding into domain types. Both
//! databases store these columns alike; with the feature `sqlx` each row derives
//! `sqlx::FromRow` generically over the driver, so an adapter reads it with its own driver and
//! the decoding rules live here once.

use gatehouse_domain::access::{AppId, IdpId, PolicyId};
use gatehouse_domain::{AccountId, AuditActor, AuditEntry, AuditRecord, Timestamp, TokenId};

use crate::{AccessLogRecord, RecordedPerson, StoreError};

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

/// Every column of `audit_log`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct AuditRow {
    pub account_id: String,
    pub seq: i64,
    pub id: String,
    pub occurred_at: i64,
    pub actor_id: String,
    pub actor_name: String,
    pub actor_type: String,
    pub actor_ip: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = StoreError;

    /// [`StoreError::Corrupt`] (never quoting a stored value) when the row does not decode.
    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        Ok(AuditRecord {
            seq: u64::try_from(row.seq).map_err(|_| corrupt("an audit record's seq is negative"))?,
            entry: AuditEntry {
                id: row.id,
                account_id: AccountId::parse(&row.account_id)
                    .map_err(|_| corrupt("an audit record's account id"))?,
                when: Timestamp::from_unix(row.occurred_at),
                actor: AuditActor {
                    id: row.actor_id,
                    name: row.actor_name,
                    kind: row.actor_type,
                    ip: row.actor_ip,
                },
                action: row.action,
                resource_type: row.resource_type,
                resource_id: row.resource_id,
                old_value: row.old_value,
                new_value: row.new_value,
            },
            prev_hash: row.prev_hash,
            hash: row.hash,
        })
    }
}

/// The columns of `access_logs` but `seq` (`status` read as a 64-bit integer).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct AccessLogRow {
    pub account_id: String,
    pub ray_id: String,
    pub created_at: i64,
    pub allowed: bool,
    pub app_uid: String,
    pub app_domain: String,
    pub ip_address: String,
    pub is_service_token: bool,
    pub service_token_id: Option<String>,
    pub client_id: Option<String>,
    pub policy_id: Option<String>,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub status: i64,
    pub method: String,
    pub user_email: Option<String>,
    pub idp_id: Option<String>,
    pub idp_type: Option<String>,
}

impl TryFrom<AccessLogRow> for AccessLogRecord {
    type Error = StoreError;

    /// [`StoreError::Corrupt`] (never quoting a stored value) when the row does not decode.
    fn try_from(row: AccessLogRow) -> Result<Self, StoreError> {
        Ok(AccessLogRecord {
            account_id: AccountId::parse(&row.account_id).map_err(|_| corrupt("an access log account id"))?,
            ray_id: row.ray_id,
            created_at: Timestamp::from_unix(row.created_at),
            allowed: row.allowed,
            app_uid: AppId::parse(&row.app_uid).map_err(|_| corrupt("an access log app_uid"))?,
            app_domain: row.app_domain,
            ip_address: row.ip_address,
            is_service_token: row.is_service_token,
            service_token_id: row
                .service_token_id
                .map(|id| TokenId::parse(&id).map_err(|_| corrupt("an access log token id")))
                .transpose()?,
            client_id: row.client_id,
            policy_id: row
                .policy_id
                .map(|id| PolicyId::parse(&id).map_err(|_| corrupt("an access log policy id")))
                .transpose()?,
            decision: row.decision,
            reason: row.reason,
            status: u16::try_from(row.status).map_err(|_| corrupt("an access log status"))?,
            method: row.method,
            person: row
                .user_email
                .map(|email| -> Result<RecordedPerson, StoreError> {
                    let idp_id = row
                        .idp_id
                        .map(|id| IdpId::parse(&id).map_err(|_| corrupt("an access log idp id")))
                        .transpose()?;
                    Ok(RecordedPerson { email, idp_id, idp_type: row.idp_type })
                })
                .transpose()?,
        })
    }
}
