//! The audit log of management actions: who (the API token), what (action, resource, its
//! public JSON before and after), when, and from where. `GET …/audit_logs` lists the records in
//! Cloudflare's shape ([`to_json`]).
//!
//! Every operation that changes something takes its actor explicitly ([`actor`] of the API's
//! [`Caller`], or of the dashboard's operator) and writes **exactly one record per change, in the
//! change's own transaction** ([`AuditStore::write_audited`], through this module's `write` and `commit`):
//! a crash at any moment leaves both or neither, and a failing append fails the change (nothing
//! is written). `old_value` is the resource as the attempt that wrote the change read it.
//!
//! [`AuditStore::write_audited`]: gatehouse_store::AuditStore::write_audited
//!
//! Values never hold a secret: tokens are recorded by their public body (no `client_secret`),
//! signing keys by their schedule and key ids (never the sealed private keys).

use gatehouse_domain::{AccountId, ApiTokenKind, AuditActor, AuditEntry, AuditRecord, TokenId};
use gatehouse_store::{AuditFilter, AuditedChange, AuditedOutcome, Page, ResourceChange, StoreError};
use serde_json::{Value, json};

use crate::auth::{ActingAs, Caller};
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

/// Who is acting: the API token, the legacy key's email, or the person logged into the dashboard.
pub fn actor(caller: &Caller) -> AuditActor {
    let (id, kind, name) = match &caller.acting_as {
        ActingAs::ApiToken(token) => match &token.kind {
            ApiTokenKind::Bearer => (token.id.clone(), "token", token.name.clone()),
            ApiTokenKind::GlobalKey { email } => (token.id.clone(), "user", email.clone()),
        },
        ActingAs::Person { email, idp } => (idp.clone(), "person", email.clone()),
    };
    AuditActor { id, name, kind: kind.to_owned(), ip: caller.ip.map(|ip| ip.to_string()) }
}

fn entry(state: &AppState, actor: &AuditActor, account: &AccountId, change: Change) -> AuditEntry {
    AuditEntry {
        id: TokenId::generate().to_string(),
        account_id: account.clone(),
        when: state.clock.now(),
        actor: actor.clone(),
        action: change.action.to_owned(),
        resource_type: change.resource_type.to_owned(),
        resource_id: change.resource_id,
        old_value: change.old.map(|v| without_secrets(v).to_string()),
        new_value: change.new.map(|v| without_secrets(v).to_string()),
    }
}

/// Writes `write` and the record of `change`, made by `actor`, in one transaction. The outcome
/// as [`AuditStore::write_audited`](gatehouse_store::AuditStore::write_audited) reports it.
pub(crate) async fn write(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    write: AuditedChange<'_>,
    change: Change,
) -> Result<AuditedOutcome, StoreError> {
    let entry = entry(state, actor, account, change);
    state.store.write_audited(write, &entry).await
}

/// Applies a planned batch of access resources with the record of `change` (see [`write`]), and
/// tells the gateway. `Ok(false)`: another writer changed something the plan read; re-plan.
pub(crate) async fn commit(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    changes: &[ResourceChange],
    change: Change,
) -> Result<bool, ApiError> {
    match write(state, actor, account, AuditedChange::Resources(changes), change).await {
        Ok(_) => {
            state.changes.access_changed(account).await;
            Ok(true)
        }
        Err(StoreError::Stale | StoreError::Conflict(_)) => Ok(false),
        Err(other) => Err(other.into()),
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
        "actor": actor_json(&e.actor),
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

/// The actor in Cloudflare's vocabulary. `type` is one of Cloudflare's `user`, `admin`,
/// `Cloudflare`: every caller of the management API acts for a person, so `user`. How it
/// authenticated stays beside it, under the names of Cloudflare's newer audit log
/// (`/accounts/{id}/logs/audit`): `context` is `api_token`, `api_key` (the legacy key) or
/// `identity_login` (a person logged into the dashboard through an identity provider), and
/// `token_id`, `token_name` name the API token (`null` for the legacy key, whose owner is `email`).
fn actor_json(actor: &AuditActor) -> Value {
    let (kind, context) = match actor.kind.as_str() {
        "token" => ("user", "api_token"),
        "user" => ("user", "api_key"),
        // A person logged into the dashboard through an identity provider (`id` is that
        // provider's id, `name` the e-mail address).
        "person" => ("user", "identity_login"),
        // No other kind is recorded today; an automated change would be Cloudflare's "system".
        _ => ("Cloudflare", "api"),
    };
    let by_token = context == "api_token";
    let when_token = |value: &str| if by_token { Value::from(value) } else { Value::Null };
    json!({
        "id": actor.id,
        "email": if kind == "user" && !by_token { Value::from(actor.name.clone()) } else { Value::Null },
        "name": actor.name,
        "type": kind,
        "ip": actor.ip,
        "context": context,
        "token_id": when_token(&actor.id),
        "token_name": when_token(&actor.name),
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
