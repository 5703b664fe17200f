//! Applications: create, read, list, replace, delete (with their app-scoped policies), and
//! revoke the sessions issued for them.

use std::collections::HashMap;

use gatehouse_domain::AccountId;
use gatehouse_domain::access::{AppId, Application, Policy, PolicyId};
use serde_json::Value;

use super::app_input::{AppInput, new_aud};
use super::app_links::{self, Plan};
use super::document::{load_all, load_one, parse_id};
use super::{MAX_ATTEMPTS, Stored, contains_ignoring_case, gave_up, output, page};
use crate::audit::{self, Change};
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;
use gatehouse_domain::AuditActor;

/// The filters of the application list.
#[derive(Debug, Clone, Default)]
pub struct AppFilter {
    pub name: Option<String>,
    pub domain: Option<String>,
    /// Exact.
    pub aud: Option<String>,
    /// Case-insensitive substring of the name, domain or aud, or the exact id.
    pub search: Option<String>,
    /// `name` and `domain` must match exactly rather than as case-insensitive substrings.
    pub exact: bool,
}

impl AppFilter {
    fn matches(&self, app: &Application) -> bool {
        let text = |given: &Option<String>, value: &str| {
            given.as_deref().is_none_or(|wanted| {
                if self.exact { wanted == value } else { contains_ignoring_case(value, wanted) }
            })
        };
        text(&self.name, &app.name)
            && text(&self.domain, &app.domain)
            && self.aud.as_deref().is_none_or(|aud| aud == app.aud)
            && self.search.as_deref().is_none_or(|search| {
                app.id.to_string() == search
                    || [app.name.as_str(), app.domain.as_str(), app.aud.as_str()]
                        .iter()
                        .any(|value| contains_ignoring_case(value, search))
            })
    }
}

pub async fn create(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    input: AppInput,
) -> Result<Value, ApiError> {
    let (fields, policies) = input.validate()?;
    let id = AppId::generate();
    let items = app_links::parse(policies.unwrap_or_default(), id)?;
    app_links::check_providers(state, account, &items).await?;
    let aud = new_aud();
    for _ in 0..MAX_ATTEMPTS {
        let now = state.clock.now();
        let Plan { links, mut changes, linked } =
            app_links::plan(&items, id, account, load_all(state, account).await?, now)?;
        let stored =
            Stored::new(fields.clone().into_app(id, aud.clone(), links), id.to_string(), account, now);
        changes.insert(0, stored.insert()?);
        let body = output::application(&stored, &by_id(&linked));
        let change = Change::new("create", "application", &stored.id).after(Some(body.clone()));
        if audit::commit(state, actor, account, &changes, change).await? {
            return Ok(body);
        }
    }
    Err(gave_up())
}

pub async fn get(state: &AppState, account: &AccountId, id: &str) -> Result<Value, ApiError> {
    let app = load_one::<Application>(state, account, id).await?;
    let policies = load_all::<Policy>(state, account).await?;
    Ok(output::application(&app, &by_id(&policies)))
}

pub async fn list(
    state: &AppState,
    account: &AccountId,
    filter: &AppFilter,
    pagination: Pagination,
) -> Result<(Vec<Value>, u64), ApiError> {
    let apps = load_all::<Application>(state, account).await?;
    let policies = load_all::<Policy>(state, account).await?;
    let policies = by_id(&policies);
    let (items, total) = page(apps.into_iter().filter(|app| filter.matches(&app.doc)).collect(), pagination);
    Ok((items.iter().map(|app| output::application(app, &policies)).collect(), total))
}

/// Replaces every client-settable field (a PUT). Without `policies` the links stay as they are;
/// with them, they are replaced, and app-scoped policies no longer listed are deleted.
pub async fn update(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
    input: AppInput,
) -> Result<Value, ApiError> {
    let app_id = parse_id::<Application>(id)?;
    let (fields, policies) = input.validate()?;
    let items = policies.map(|values| app_links::parse(values, app_id)).transpose()?;
    if let Some(items) = &items {
        app_links::check_providers(state, account, items).await?;
    }
    for _ in 0..MAX_ATTEMPTS {
        let now = state.clock.now();
        let mut stored = load_one::<Application>(state, account, id).await?;
        let policies = load_all::<Policy>(state, account).await?;
        let old = output::application(&stored, &by_id(&policies));
        let Plan { links, mut changes, linked } = match &items {
            Some(items) => app_links::plan(items, app_id, account, policies, now)?,
            None => Plan { links: stored.doc.policies.clone(), changes: Vec::new(), linked: policies },
        };
        fields.clone().replace(&mut stored.doc, links);
        changes.insert(0, stored.update(now)?);
        let body = output::application(&stored, &by_id(&linked));
        let change = Change::new("update", "application", id).before(Some(old)).after(Some(body.clone()));
        if audit::commit(state, actor, account, &changes, change).await? {
            return Ok(body);
        }
    }
    Err(gave_up())
}

/// Deletes the application and, in the same batch, its app-scoped policies.
pub async fn delete(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
) -> Result<Value, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let app = load_one::<Application>(state, account, id).await?;
        let app_id = app.doc.id;
        let policies = load_all::<Policy>(state, account).await?;
        let change = Change::new("delete", "application", id)
            .before(Some(output::application(&app, &by_id(&policies))));
        let mut changes = app.delete()?.to_vec();
        for scoped in policies.into_iter().filter(|p| p.doc.app_id == Some(app_id)) {
            changes.extend(scoped.delete()?);
        }
        if audit::commit(state, actor, account, &changes, change).await? {
            return Ok(output::deleted(id));
        }
    }
    Err(gave_up())
}

/// Sessions (cookies, application JWTs) issued for the application before now stop working.
pub async fn revoke_tokens(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
) -> Result<(), ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let now = state.clock.now();
        let mut app = load_one::<Application>(state, account, id).await?;
        app.doc.sessions_revoked_at = Some(now);
        let change = Change::new("revoke_tokens", "application", id);
        if audit::commit(state, actor, account, &[app.update(now)?], change).await? {
            return Ok(());
        }
    }
    Err(gave_up())
}

/// Policies by id, for expanding an application's links.
pub fn by_id(policies: &[Stored<Policy>]) -> HashMap<PolicyId, &Stored<Policy>> {
    policies.iter().map(|p| (p.doc.id, p)).collect()
}
