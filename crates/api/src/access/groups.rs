//! Access groups: named rule sets that policies (and other groups) use as `{"group":{"id":…}}`.
//! One still used by a rule is not deleted.

use gatehouse_domain::AccountId;
use gatehouse_domain::access::{Group, GroupId, Policy, Rule};
use serde_json::Value;

use super::document::{load_all, load_one, parse_id};
use super::input::GroupInput;
use super::references::{check_group_providers, group_in_use, group_is_referenced};
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
    input: GroupInput,
) -> Result<Value, ApiError> {
    let id = GroupId::generate();
    let group = input.into_group(id)?;
    check_group_providers(state, account, &group).await?;
    let stored = Stored::new(group, id.to_string(), account, state.clock.now());
    let body = output::group(&stored);
    let change = Change::new("create", "group", &stored.id).after(Some(body.clone()));
    if !audit::commit(state, actor, account, &[stored.insert()?], change).await? {
        return Err(gave_up());
    }
    Ok(body)
}

pub async fn get(state: &AppState, account: &AccountId, id: &str) -> Result<Value, ApiError> {
    Ok(output::group(&load_one::<Group>(state, account, id).await?))
}

pub async fn list(
    state: &AppState,
    account: &AccountId,
    filter: &NameFilter,
    pagination: Pagination,
) -> Result<(Vec<Value>, u64), ApiError> {
    let groups = load_all::<Group>(state, account).await?;
    let matching = groups.into_iter().filter(|g| filter.matches(&g.doc.name, &g.id)).collect();
    let (items, total) = page(matching, pagination);
    Ok((items.iter().map(output::group).collect(), total))
}

/// Replaces every client-settable field (a PUT).
pub async fn update(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
    input: GroupInput,
) -> Result<Value, ApiError> {
    let group = input.into_group(parse_id::<Group>(id)?)?;
    check_group_providers(state, account, &group).await?;
    refuse_self_reference(&group)?;
    for _ in 0..MAX_ATTEMPTS {
        let mut stored = load_one::<Group>(state, account, id).await?;
        let old = output::group(&stored);
        stored.doc = group.clone();
        let write = stored.update(state.clock.now())?;
        let body = output::group(&stored);
        let change = Change::new("update", "group", id).before(Some(old)).after(Some(body.clone()));
        if audit::commit(state, actor, account, &[write], change).await? {
            return Ok(body);
        }
    }
    Err(gave_up())
}

/// Deletes a group that no policy or group rule uses (409 otherwise).
pub async fn delete(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
) -> Result<Value, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let stored = load_one::<Group>(state, account, id).await?;
        let policies = load_all::<Policy>(state, account).await?;
        let groups = load_all::<Group>(state, account).await?;
        if group_is_referenced(&policies, &groups, stored.doc.id) {
            return Err(group_in_use());
        }
        let change = Change::new("delete", "group", id).before(Some(output::group(&stored)));
        if audit::commit(state, actor, account, &stored.delete()?, change).await? {
            return Ok(output::deleted(id));
        }
    }
    Err(gave_up())
}

/// A group whose rules name itself could never be decided.
fn refuse_self_reference(group: &Group) -> Result<(), ApiError> {
    for (list, rules) in
        [("include", &group.include), ("require", &group.require), ("exclude", &group.exclude)]
    {
        if let Some(index) = rules.iter().position(|rule| Rule::parse(rule) == Ok(Rule::Group(group.id))) {
            return Err(ApiError::invalid(format!(
                "invalid '{list}[{index}]' configuration: a group cannot use itself"
            )));
        }
    }
    Ok(())
}
