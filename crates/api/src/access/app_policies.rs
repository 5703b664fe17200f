//! Policies through their application (`/apps/{app_id}/policies`): the list shows every policy
//! the application links, reusable ones included; create, replace and delete work on app-scoped
//! ("legacy") policies, whose link is written in the same batch; `make_reusable` turns an
//! app-scoped policy into a reusable one that the application keeps linking.

use gatehouse_domain::AccountId;
use gatehouse_domain::access::{Application, Policy, PolicyId, PolicyLink};
use serde_json::Value;

use super::app_links::{check_precedence, next_precedence};
use super::apps::by_id;
use super::document::{load_all, load_one, parse_id};
use super::input::PolicyInput;
use super::references::check_policy_providers;
use super::{MAX_ATTEMPTS, Stored, gave_up, output, page};
use crate::audit::{self, Change};
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;
use gatehouse_domain::AuditActor;

pub async fn list(
    state: &AppState,
    account: &AccountId,
    app: &str,
    pagination: Pagination,
) -> Result<(Vec<Value>, u64), ApiError> {
    let app = load_one::<Application>(state, account, app).await?;
    let policies = load_all::<Policy>(state, account).await?;
    let policies = by_id(&policies);
    let linked: Vec<_> =
        app.doc.policies.iter().filter_map(|link| Some((policies.get(&link.id)?, link.precedence))).collect();
    let (items, total) = page(linked, pagination);
    Ok((
        items
            .into_iter()
            .map(|(policy, precedence)| output::policy(policy, Some(precedence), None))
            .collect(),
        total,
    ))
}

pub async fn get(state: &AppState, account: &AccountId, app: &str, id: &str) -> Result<Value, ApiError> {
    let (_, link, policy) = load_linked(state, account, app, id).await?;
    Ok(output::policy(&policy, Some(link.precedence), None))
}

pub async fn create(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    app: &str,
    input: PolicyInput,
) -> Result<Value, ApiError> {
    let app_id = load_one::<Application>(state, account, app).await?.doc.id;
    let given = input.precedence;
    let policy_id = PolicyId::generate();
    let policy = input.into_policy(policy_id, Some(app_id), "")?;
    check_policy_providers(state, account, &policy, "").await?;
    for _ in 0..MAX_ATTEMPTS {
        let now = state.clock.now();
        let mut app = load_one::<Application>(state, account, app).await?;
        let precedence = given.unwrap_or_else(|| next_precedence(&app.doc.policies));
        check_precedence(&app.doc.policies, precedence, None, "precedence")?;
        let mut policy = policy.clone();
        policy.precedence = Some(precedence);
        let stored = Stored::new(policy, policy_id.to_string(), account, now);
        link(&mut app.doc, PolicyLink { id: stored.doc.id, precedence });
        let body = output::policy(&stored, None, None);
        let change = Change::new("create", "policy", &stored.id).after(Some(body.clone()));
        if audit::commit(state, actor, account, &[stored.insert()?, app.update(now)?], change).await? {
            return Ok(body);
        }
    }
    Err(gave_up())
}

/// Replaces an app-scoped policy; its precedence stays unless the body gives one.
pub async fn update(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    app: &str,
    id: &str,
    input: PolicyInput,
) -> Result<Value, ApiError> {
    let given = input.precedence;
    let policy = input.into_policy(parse_id::<Policy>(id)?, None, "")?;
    check_policy_providers(state, account, &policy, "").await?;
    for _ in 0..MAX_ATTEMPTS {
        let now = state.clock.now();
        let (mut app, old_link, mut stored) = load_linked(state, account, app, id).await?;
        refuse_reusable(&stored)?;
        let precedence = given.unwrap_or(old_link.precedence);
        check_precedence(&app.doc.policies, precedence, Some(old_link.id), "precedence")?;
        let old = output::policy(&stored, Some(old_link.precedence), None);
        stored.doc = Policy { app_id: stored.doc.app_id, precedence: Some(precedence), ..policy.clone() };
        let mut changes = vec![stored.update(now)?];
        if precedence != old_link.precedence {
            link(&mut app.doc, PolicyLink { id: old_link.id, precedence });
            changes.push(app.update(now)?);
        }
        let body = output::policy(&stored, None, None);
        let change = Change::new("update", "policy", id).before(Some(old)).after(Some(body.clone()));
        if audit::commit(state, actor, account, &changes, change).await? {
            return Ok(body);
        }
    }
    Err(gave_up())
}

/// Deletes an app-scoped policy and its link, together.
pub async fn delete(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    app: &str,
    id: &str,
) -> Result<Value, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let now = state.clock.now();
        let (mut app, old_link, stored) = load_linked(state, account, app, id).await?;
        refuse_reusable(&stored)?;
        let change = Change::new("delete", "policy", id).before(Some(output::policy(
            &stored,
            Some(old_link.precedence),
            None,
        )));
        app.doc.policies.retain(|l| l.id != old_link.id);
        let mut changes = vec![app.update(now)?];
        changes.extend(stored.delete()?);
        if audit::commit(state, actor, account, &changes, change).await? {
            return Ok(output::deleted(id));
        }
    }
    Err(gave_up())
}

/// Makes the policy reusable; the application keeps its link (and precedence).
pub async fn make_reusable(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    app: &str,
    id: &str,
) -> Result<Value, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let (_, link, mut stored) = load_linked(state, account, app, id).await?;
        if stored.doc.is_reusable() {
            return Ok(output::policy(&stored, Some(link.precedence), None));
        }
        let old = output::policy(&stored, Some(link.precedence), None);
        stored.doc.app_id = None;
        stored.doc.precedence = None;
        let write = stored.update(state.clock.now())?;
        let body = output::policy(&stored, Some(link.precedence), None);
        let change = Change::new("make_reusable", "policy", id).before(Some(old)).after(Some(body.clone()));
        if audit::commit(state, actor, account, &[write], change).await? {
            return Ok(body);
        }
    }
    Err(gave_up())
}

/// The application, its link to the policy, and the policy (404 when it does not link it).
async fn load_linked(
    state: &AppState,
    account: &AccountId,
    app: &str,
    id: &str,
) -> Result<(Stored<Application>, PolicyLink, Stored<Policy>), ApiError> {
    let app = load_one::<Application>(state, account, app).await?;
    let policy_id = parse_id::<Policy>(id)?;
    let link = *app.doc.policies.iter().find(|l| l.id == policy_id).ok_or_else(ApiError::policy_not_found)?;
    let policy = load_one::<Policy>(state, account, id).await?;
    Ok((app, link, policy))
}

/// Adds or moves a link, keeping the list in ascending precedence.
fn link(app: &mut Application, link: PolicyLink) {
    app.policies.retain(|l| l.id != link.id);
    app.policies.push(link);
    app.policies.sort_by_key(|l| l.precedence);
}

fn refuse_reusable(policy: &Stored<Policy>) -> Result<(), ApiError> {
    if policy.doc.is_reusable() {
        return Err(ApiError::invalid(
            "the policy is reusable: change or delete it with /accounts/{account_id}/access/policies/{policy_id}, \
             or remove it from the application's 'policies'",
        ));
    }
    Ok(())
}
