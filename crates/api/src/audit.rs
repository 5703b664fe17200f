//! The audit log of management actions: who (the API token), what (action, resource, its
//! public JSON before and after), when, and from where. Every write handler calls [`record`]
//! once its change has succeeded; `GET …/audit_logs` lists the records in Cloudflare's shape
//! ([`to_json`]).
//!
//! Consistency: changes of service tokens, applications, policies (reusable and app-scoped), groups
//! and the organization are written **in the same transaction as their record**
//! ([`AuditStore::write_audited`]): a crash at any moment leaves both or neither, and a failing
//! append fails the change (nothing is written). The operation builds the record just before its
//! write (`prepare`) from the request's audit scope: the [`Caller`] extractor opens it
//! ([`ScopeGuard`]) for the task that handles the request, so the operations need no extra
//! parameter; the handler's [`record`] afterwards finds the change recorded and appends nothing.
//! Writes outside a request scope (and signing keys) keep the older way: the record is appended
//! after the change succeeds, and a crash in between, or a failing append, loses that one record
//! (logged at ERROR with the action and resource; the change stands). `old_value` is the resource
//! as read just before the change (for in-transaction records, by the attempt that wrote it).
//!
//! [`AuditStore::write_audited`]: gatehouse_store::AuditStore::write_audited
//!
//! Values never hold a secret: tokens are recorded by their public body (no `client_secret`),
//! signing keys by their schedule and key ids (never the sealed private keys).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use gatehouse_domain::{AccountId, ApiTokenKind, AuditActor, AuditEntry, AuditRecord, TokenId};
use gatehouse_store::{AuditFilter, AuditedChange, AuditedOutcome, Page, ResourceChange, StoreError};
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

/// Appends `change` to the account's audit chain, unless this request already wrote it in the
/// change's own transaction. Never fails the request (see the module doc).
pub async fn record(state: &AppState, caller: &Caller, account: &AccountId, change: Change) {
    if let Some(scope) = current_scope()
        && scope.take_written(&change)
    {
        return;
    }
    let entry = entry(state, actor(caller), account, change);
    if let Err(error) = state.store.append_audit(&entry).await {
        tracing::error!(%error, action = %entry.action, resource_type = %entry.resource_type, resource_id = %entry.resource_id,
            "could not write the audit record of a change that was made");
    }
}

/// Who is acting: the API token, or the legacy key's email.
fn actor(caller: &Caller) -> AuditActor {
    let token = &caller.token;
    let (kind, name) = match &token.kind {
        ApiTokenKind::Bearer => ("token", token.name.clone()),
        ApiTokenKind::GlobalKey { email } => ("user", email.clone()),
    };
    AuditActor { id: token.id.clone(), name, kind: kind.to_owned(), ip: caller.ip.map(|ip| ip.to_string()) }
}

fn entry(state: &AppState, actor: AuditActor, account: &AccountId, change: Change) -> AuditEntry {
    AuditEntry {
        id: TokenId::generate().to_string(),
        account_id: account.clone(),
        when: state.clock.now(),
        actor,
        action: change.action.to_owned(),
        resource_type: change.resource_type.to_owned(),
        resource_id: change.resource_id,
        old_value: change.old.map(|v| without_secrets(v).to_string()),
        new_value: change.new.map(|v| without_secrets(v).to_string()),
    }
}

/// The audit scope of one request: who acts, and which changes were recorded in their own
/// transaction (so that [`record`] does not append them a second time).
#[derive(Debug)]
struct Scope {
    actor: AuditActor,
    written: Mutex<Vec<(String, String, String)>>,
}

impl Scope {
    fn key(change_action: &str, resource_type: &str, resource_id: &str) -> (String, String, String) {
        (change_action.to_owned(), resource_type.to_owned(), resource_id.to_owned())
    }

    fn mark_written(&self, entry: &AuditEntry) {
        let key = Self::key(&entry.action, &entry.resource_type, &entry.resource_id);
        self.written.lock().unwrap_or_else(PoisonError::into_inner).push(key);
    }

    /// Whether `change` was recorded in its transaction; forgets it (one record per change).
    fn take_written(&self, change: &Change) -> bool {
        let key = Self::key(change.action, change.resource_type, &change.resource_id);
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        match written.iter().position(|k| *k == key) {
            Some(i) => {
                written.swap_remove(i);
                true
            }
            None => false,
        }
    }
}

/// The open scopes, by the tokio task that handles the request (an axum handler runs its
/// extractors and its body in one task, and a connection's requests one after another).
static SCOPES: LazyLock<Mutex<HashMap<tokio::task::Id, Arc<Scope>>>> = LazyLock::new(Default::default);

fn current_scope() -> Option<Arc<Scope>> {
    let task = tokio::task::try_id()?;
    SCOPES.lock().unwrap_or_else(PoisonError::into_inner).get(&task).cloned()
}

/// Keeps a request's audit scope open while the [`Caller`] that holds it lives (to the end of
/// the handler); closes it when dropped.
#[derive(Debug)]
pub struct ScopeGuard {
    task: tokio::task::Id,
    scope: Arc<Scope>,
}

impl ScopeGuard {
    /// Opens the scope of the request handled by the current task, acting as `caller`; `None`
    /// outside a tokio task.
    pub(crate) fn open(caller: &Caller) -> Option<Arc<ScopeGuard>> {
        let task = tokio::task::try_id()?;
        let scope = Arc::new(Scope { actor: actor(caller), written: Mutex::new(Vec::new()) });
        SCOPES.lock().unwrap_or_else(PoisonError::into_inner).insert(task, scope.clone());
        Some(Arc::new(ScopeGuard { task, scope }))
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let mut scopes = SCOPES.lock().unwrap_or_else(PoisonError::into_inner);
        // Only this scope: a later request of the same task may have opened its own.
        if scopes.get(&self.task).is_some_and(|open| Arc::ptr_eq(open, &self.scope)) {
            scopes.remove(&self.task);
        }
    }
}

/// The record of `change`, to be written in the change's own transaction, when this task
/// handles a request (`None` otherwise: the handler's [`record`] appends it afterwards).
pub(crate) fn prepare(state: &AppState, account: &AccountId, change: Change) -> Option<AuditEntry> {
    let scope = current_scope()?;
    Some(entry(state, scope.actor.clone(), account, change))
}

/// Writes `write` with the record of `change` in one transaction when this task handles a
/// request, else writes it alone (the handler records it afterwards). The outcome as
/// [`AuditStore::write_audited`](gatehouse_store::AuditStore::write_audited) reports it.
pub(crate) async fn write(
    state: &AppState,
    account: &AccountId,
    write: AuditedChange<'_>,
    change: Change,
) -> Result<AuditedOutcome, StoreError> {
    if let Some(entry) = prepare(state, account, change) {
        let outcome = state.store.write_audited(write, &entry).await?;
        if outcome != AuditedOutcome::Missing
            && let Some(scope) = current_scope()
        {
            scope.mark_written(&entry);
        }
        return Ok(outcome);
    }
    let store = &state.store;
    match write {
        AuditedChange::InsertToken(token) => {
            store.insert_service_token(token).await.map(|()| AuditedOutcome::Written)
        }
        AuditedChange::UpdateToken(token) => store
            .update_service_token(token)
            .await
            .map(|written| if written { AuditedOutcome::Written } else { AuditedOutcome::Missing }),
        AuditedChange::DeleteToken(account, id) => store
            .delete_service_token(account, id)
            .await
            .map(|deleted| deleted.map_or(AuditedOutcome::Missing, |t| AuditedOutcome::Deleted(Box::new(t)))),
        AuditedChange::Resources(changes) => store.apply(changes).await.map(|()| AuditedOutcome::Written),
    }
}

/// Applies a planned batch of access resources with the record of `change` (see [`write`]), and
/// tells the gateway. `Ok(false)`: another writer changed something the plan read; re-plan.
pub(crate) async fn commit(
    state: &AppState,
    account: &AccountId,
    changes: &[ResourceChange],
    change: Change,
) -> Result<bool, ApiError> {
    match write(state, account, AuditedChange::Resources(changes), change).await {
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
/// (`/accounts/{id}/logs/audit`): `context` is `api_token` or `api_key` (the legacy key), and
/// `token_id`, `token_name` name the API token (`null` for the legacy key, whose owner is `email`).
fn actor_json(actor: &AuditActor) -> Value {
    let (kind, context) = match actor.kind.as_str() {
        "token" => ("user", "api_token"),
        "user" => ("user", "api_key"),
        // No other kind is recorded today; an automated change would be Cloudflare's "system".
        _ => ("Cloudflare", "api"),
    };
    let by_token = context == "api_token";
    let when_token = |value: &str| if by_token { Value::from(value) } else { Value::Null };
    json!({
        "id": actor.id,
        "email": if context == "api_key" { Value::from(actor.name.clone()) } else { Value::Null },
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

/// The `id` of a resource's JSON body, as text.
pub fn id_of(value: &Value) -> String {
    value.get("id").and_then(Value::as_str).unwrap_or_default().to_owned()
}
