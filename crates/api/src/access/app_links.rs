//! An application's `policies` input, as Cloudflare accepts it: each item a policy id, an
//! `{"id", "precedence"}` link, or an inline policy object (which becomes a new app-scoped
//! policy). Precedence defaults to the item's position, 1-based, and is unique per application.
//!
//! [`parse`] validates the items before anything is read (so inline policies get their ids
//! once, however often the write is retried); [`plan`] turns them into links and store changes
//! against the policies as they are now.

use std::collections::HashSet;

use gatehouse_domain::access::{AppId, Policy, PolicyId, PolicyLink};
use gatehouse_domain::{AccountId, Timestamp};
use gatehouse_store::ResourceChange;
use serde::Deserialize;
use serde_json::Value;

use super::Stored;
use super::input::{PolicyInput, from_value};
use crate::error::ApiError;
use crate::state::AppState;

/// One validated item of `policies`.
#[derive(Debug, Clone)]
pub enum Item {
    /// An existing policy (reusable, or app-scoped to this application).
    Link { id: PolicyId, precedence: i64, at: usize },
    /// A new app-scoped policy, validated, with its id.
    Inline(Policy),
}

/// The application's links and what must be written with it.
#[derive(Debug)]
pub struct Plan {
    /// In ascending precedence.
    pub links: Vec<PolicyLink>,
    pub changes: Vec<ResourceChange>,
    /// Every linked policy as it will be after the write, for the response.
    pub linked: Vec<Stored<Policy>>,
}

#[derive(Debug, Deserialize)]
struct LinkInput {
    id: String,
    precedence: Option<i64>,
}

/// [`super::references::check_policy_providers`] for each inline policy of `items`.
pub async fn check_providers(state: &AppState, account: &AccountId, items: &[Item]) -> Result<(), ApiError> {
    for (index, item) in items.iter().enumerate() {
        if let Item::Inline(policy) = item {
            super::references::check_policy_providers(state, account, policy, &format!("policies[{index}]."))
                .await?;
        }
    }
    Ok(())
}

pub fn parse(values: Vec<Value>, app: AppId) -> Result<Vec<Item>, ApiError> {
    let mut items = Vec::with_capacity(values.len());
    let mut precedences = HashSet::new();
    let mut ids = HashSet::new();
    for (index, value) in values.into_iter().enumerate() {
        let at = format!("policies[{index}].");
        let position = i64::try_from(index).unwrap_or(i64::MAX).saturating_add(1);
        let item = match value {
            Value::String(id) => Item::Link { id: link_id(&id, index)?, precedence: position, at: index },
            Value::Object(ref object) if object.contains_key("id") => {
                let link: LinkInput = from_value(value, &at)?;
                let precedence = link.precedence.unwrap_or(position);
                Item::Link { id: link_id(&link.id, index)?, precedence, at: index }
            }
            Value::Object(_) => {
                let input: PolicyInput = from_value(value, &at)?;
                let precedence = input.precedence.unwrap_or(position);
                let mut policy = input.into_policy(PolicyId::generate(), Some(app), &at)?;
                policy.precedence = Some(precedence);
                Item::Inline(policy)
            }
            _ => {
                return Err(ApiError::invalid(format!(
                    "invalid 'policies[{index}]': expected a policy id, {{\"id\", \"precedence\"}} or a policy object"
                )));
            }
        };
        let (id, precedence) = match &item {
            Item::Link { id, precedence, .. } => (*id, *precedence),
            Item::Inline(policy) => (policy.id, policy.precedence.unwrap_or(position)),
        };
        if !ids.insert(id) {
            return Err(ApiError::invalid(format!(
                "invalid 'policies[{index}]': the policy is listed twice"
            )));
        }
        if !precedences.insert(precedence) {
            return Err(duplicate_precedence(&format!("policies[{index}].precedence"), precedence));
        }
        items.push(item);
    }
    Ok(items)
}

/// Links `items` to application `app`, given every policy of the account. Linked reusable
/// policies are re-written unchanged (so a concurrent delete of one fails this batch or that
/// one); app-scoped policies of `app` that are no longer listed are deleted, as Cloudflare does.
pub fn plan(
    items: &[Item],
    app: AppId,
    account: &AccountId,
    policies: Vec<Stored<Policy>>,
    now: Timestamp,
) -> Result<Plan, ApiError> {
    let mut plan = Plan { links: Vec::new(), changes: Vec::new(), linked: Vec::new() };
    let mut existing = policies;
    for item in items {
        match item {
            Item::Link { id, precedence, at } => {
                let position = existing.iter().position(|p| p.doc.id == *id).ok_or_else(|| unknown(*at))?;
                let mut stored = existing.swap_remove(position);
                match stored.doc.app_id {
                    None => plan.changes.push(stored.touch()?),
                    Some(owner) if owner == app => {
                        if stored.doc.precedence != Some(*precedence) {
                            stored.doc.precedence = Some(*precedence);
                            plan.changes.push(stored.update(now)?);
                        }
                    }
                    Some(_) => return Err(unknown(*at)),
                }
                plan.links.push(PolicyLink { id: *id, precedence: *precedence });
                plan.linked.push(stored);
            }
            Item::Inline(policy) => {
                let stored = Stored::new(policy.clone(), policy.id.to_string(), account, now);
                plan.changes.push(stored.insert()?);
                plan.links
                    .push(PolicyLink { id: policy.id, precedence: policy.precedence.unwrap_or_default() });
                plan.linked.push(stored);
            }
        }
    }
    for orphan in existing.into_iter().filter(|p| p.doc.app_id == Some(app)) {
        plan.changes.extend(orphan.delete()?);
    }
    plan.links.sort_by_key(|link| link.precedence);
    Ok(plan)
}

/// Refuses a precedence that another policy of the application has.
pub fn check_precedence(
    links: &[PolicyLink],
    precedence: i64,
    except: Option<PolicyId>,
    field: &str,
) -> Result<(), ApiError> {
    if links.iter().any(|link| link.precedence == precedence && Some(link.id) != except) {
        return Err(duplicate_precedence(field, precedence));
    }
    Ok(())
}

/// The precedence after the application's last policy.
pub fn next_precedence(links: &[PolicyLink]) -> i64 {
    links.iter().map(|link| link.precedence).max().unwrap_or(0).saturating_add(1)
}

fn duplicate_precedence(field: &str, precedence: i64) -> ApiError {
    ApiError::invalid(format!(
        "invalid '{field}': precedence {precedence} is used by another policy of this application"
    ))
}

fn link_id(id: &str, index: usize) -> Result<PolicyId, ApiError> {
    PolicyId::parse(id).map_err(|_| unknown(index))
}

fn unknown(index: usize) -> ApiError {
    ApiError::invalid(format!(
        "invalid 'policies[{index}]': no reusable policy with this id in the account (nor one of this application)"
    ))
}
