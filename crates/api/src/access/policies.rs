//! Reusable policies: account-level, linked by any number of applications, each shown with
//! `reusable: true` and its `app_count`. One still linked by an application is not deleted.

use gatehouse_domain::AccountId;
use gatehouse_domain::access::{Application, Policy, PolicyId};
use serde_json::Value;

use super::document::{load_all, load_one, parse_id};
use super::input::PolicyInput;
use super::references::{app_count, check_policy_providers, policy_in_use};
use super::{MAX_ATTEMPTS, NameFilter, Stored, gave_up, output, page};
use crate::audit::{self, Change};
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;
use gatehouse_domain::AuditActor;

pub async fn create(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    input: PolicyInput,
) -> Result<Value, ApiError> {
    let id = PolicyId::generate();
    let policy = input.into_policy(id, None, "")?;
    check_policy_providers(state, account, &policy, "").await?;
    let stored = Stored::new(policy, id.to_string(), account, state.clock.now());
    let body = output::policy(&stored, None, Some(0));
    let change = Change::new("create", "policy", &stored.id).after(Some(body.clone()));
    if !audit::commit(state, actor, account, &[stored.insert()?], change).await? {
        return Err(gave_up());
    }
    Ok(body)
}

pub async fn get(state: &AppState, account: &AccountId, id: &str) -> Result<Value, ApiError> {
    let stored = load_reusable(state, account, id).await?;
    let apps = load_all::<Application>(state, account).await?;
    Ok(output::policy(&stored, None, Some(app_count(&apps, stored.doc.id))))
}

pub async fn list(
    state: &AppState,
    account: &AccountId,
    filter: &NameFilter,
    pagination: Pagination,
) -> Result<(Vec<Value>, u64), ApiError> {
    let policies = load_all::<Policy>(state, account).await?;
    let apps = load_all::<Application>(state, account).await?;
    let matching: Vec<_> =
        policies.into_iter().filter(|p| p.doc.is_reusable() && filter.matches(&p.doc.name, &p.id)).collect();
    let (items, total) = page(matching, pagination);
    let bodies = items.iter().map(|p| output::policy(p, None, Some(app_count(&apps, p.doc.id)))).collect();
    Ok((bodies, total))
}

/// Replaces every client-settable field (a PUT).
pub async fn update(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
    input: PolicyInput,
) -> Result<Value, ApiError> {
    let policy_id = parse_id::<Policy>(id)?;
    let policy = input.into_policy(policy_id, None, "")?;
    check_policy_providers(state, account, &policy, "").await?;
    for _ in 0..MAX_ATTEMPTS {
        let mut stored = load_reusable(state, account, id).await?;
        let apps = load_all::<Application>(state, account).await?;
        let count = Some(app_count(&apps, policy_id));
        let old = output::policy(&stored, None, count);
        stored.doc = policy.clone();
        let write = stored.update(state.clock.now())?;
        let body = output::policy(&stored, None, count);
        let change = Change::new("update", "policy", id).before(Some(old)).after(Some(body.clone()));
        if audit::commit(state, actor, account, &[write], change).await? {
            return Ok(body);
        }
    }
    Err(gave_up())
}

/// Deletes a policy that no application links (409 otherwise).
pub async fn delete(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
) -> Result<Value, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let stored = load_reusable(state, account, id).await?;
        let apps = load_all::<Application>(state, account).await?;
        let count = app_count(&apps, stored.doc.id);
        if count > 0 {
            return Err(policy_in_use(count));
        }
        let change =
            Change::new("delete", "policy", id).before(Some(output::policy(&stored, None, Some(count))));
        if audit::commit(state, actor, account, &stored.delete()?, change).await? {
            return Ok(output::deleted(id));
        }
    }
    Err(gave_up())
}

/// A reusable policy of the account; app-scoped ones are reached through their application.
async fn load_reusable(state: &AppState, account: &AccountId, id: &str) -> Result<Stored<Policy>, ApiError> {
    let stored = load_one::<Policy>(state, account, id).await?;
    if !stored.doc.is_reusable() {
        return Err(ApiError::policy_not_found());
    }
    Ok(stored)
}
