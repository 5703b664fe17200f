//! The audit log of management actions: who (the API token), what (action, resource, its
//! public JSON before and after), when, and from where. Every write handler calls [`record`]
//! once its change has succeeded; `GET …/audit_logs` lists the records in Cloudflare's shape
//! ([`to_json`]).
//!
//! Consistency: the record is appended after the change, in the same request, not in the
//! change's own transaction (changes are optimistic batches re-planned on conflict, and the audit
//! chain has its own append-and-retry). A crash between the two, or a failing append, loses
//! that one record: the failure is logged at ERROR (with the action and resource, so the
//! operator can reconstruct it), and the change stands: answering 5xx for a change
//! that was made would invite a client to repeat it. `old_value` is the resource as read just
//! before the change; under concurrent writes to one resource it may predate a change that
//! landed in between (that change has its own record).
//!
//! Values never hold a secret: tokens are recorded by their public body (no `client_secret`),
//! signing keys by their schedule and key ids (never the sealed private keys).

use gatehouse_domain::{AccountId, ApiTokenKind, AuditActor, AuditEntry, AuditRecord, TokenId};
use gatehouse_store::{AuditFilter, Page};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;

/// One management action, as a handler describes it.
#[derive(Debug)]
pub struct Change {
    /// `create`, `update`, `delete`, `rotate`, `refresh`, `revoke_tokens`, `make_reusable`.
    pub action: &'static str,
    /// `service_token`, `application`, `policy`, `group`, `organization`, `keys`.
    pub resource_type: &'static str,
    pub resource_id: String,
    /// The public JSON before the change (`None` for a create).
    pub old: Option<Value>,
    /// The public JSON after the change (`None` for a delete).
    pub new: Option<Value>,
}

/// Appends `change` to the account's audit chain. Never fails the request (see the module doc).
pub async fn record(state: &AppState, caller: &Caller, account: &AccountId, change: Change) {
    let token = &caller.token;
    let (kind, name) = match &token.kind {
        ApiTokenKind::Bearer => ("token", token.name.clone()),
        ApiTokenKind::GlobalKey { email } => ("user", email.clone()),
    };
    let entry = AuditEntry {
        id: TokenId::generate().to_string(),
        account_id: account.clone(),
        when: state.clock.now(),
        actor: AuditActor {
            id: token.id.clone(),
            name,
            kind: kind.to_owned(),
            ip: caller.ip.map(|ip| ip.to_string()),
        },
        action: change.action.to_owned(),
        resource_type: change.resource_type.to_owned(),
        resource_id: change.resource_id,
        old_value: change.old.map(|v| without_secrets(v).to_string()),
        new_value: change.new.map(|v| without_secrets(v).to_string()),
    };
    if let Err(error) = state.store.append_audit(&entry).await {
        tracing::error!(%error, action = change.action, resource_type = change.resource_type, resource_id = %entry.resource_id,
            "could not write the audit record of a change that was made");
    }
}

/// A second line of defence: whatever a handler passes, these fields never reach the log.
fn without_secrets(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        for field in ["client_secret", "secret", "secret_hash", "private_key", "sealed"] {
            map.remove(field);
        }
    }
    value
}

/// The public JSON of a serializable body (a token's, without its secret).
pub fn public<T: serde::Serialize>(body: &T) -> Option<Value> {
    serde_json::to_value(body).ok().map(without_secrets)
}

pub async fn list(
    state: &AppState,
    account: &AccountId,
    filter: &AuditFilter,
    pagination: Pagination,
) -> Result<Page<AuditRecord>, ApiError> {
    Ok(state.store.list_audit(account, filter, pagination.request()).await?)
}

/// A record in the shape of Cloudflare's account audit logs, with gatehouse's chain fields
/// (`seq`, `prev_hash`, `hash`) and the token's `name` beside them.
pub fn to_json(record: &AuditRecord) -> Value {
    let e = &record.entry;
    let parse = |text: &Option<String>| text.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok());
    json!({
        "id": e.id,
        "action": {"type": e.action, "result": true, "info": format!("{} {}", e.action, e.resource_type)},
        "actor": {
            "id": e.actor.id,
            "email": if e.actor.kind == "user" { Value::from(e.actor.name.clone()) } else { Value::Null },
            "name": e.actor.name,
            "type": e.actor.kind,
            "ip": e.actor.ip,
        },
        "interface": "API",
        "metadata": {"seq": record.seq},
        "newValue": e.new_value,
        "newValueJson": parse(&e.new_value),
        "oldValue": e.old_value,
        "oldValueJson": parse(&e.old_value),
        "owner": {"id": e.account_id.as_str()},
        "resource": {"id": e.resource_id, "type": e.resource_type},
        "when": e.when.to_string(),
        "seq": record.seq,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    })
}

impl Change {
    pub fn new(action: &'static str, resource_type: &'static str, resource_id: impl Into<String>) -> Self {
        Change { action, resource_type, resource_id: resource_id.into(), old: None, new: None }
    }

    /// The value before, as read just before the change (`None` when it could not be read).
    pub fn before(mut self, old: Option<Value>) -> Self {
        self.old = old;
        self
    }

    /// The value after.
    pub fn after(mut self, new: Option<Value>) -> Self {
        self.new = new;
        self
    }
}

/// The `id` of a resource's JSON body, as text.
pub fn id_of(value: &Value) -> String {
    value.get("id").and_then(Value::as_str).unwrap_or_default().to_owned()
}
