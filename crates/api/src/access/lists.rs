//! Zero Trust lists (`/gateway/lists`): Cloudflare's Gateway lists, of which gatehouse evaluates
//! the `EMAIL` ones (`{"email_list":{"id":…}}` rules). Each list is one document holding its
//! items; every change is audited and reaches the gateway before the API answers, like any
//! access change. Values are checked per type and kept normalized (e-mail addresses and domains
//! in lowercase); a list is bounded in items and value length. A list that a policy or group
//! rule names is not deleted (409).

use std::collections::HashSet;

use gatehouse_api_types::{
    CreateListRequest, EditListRequest, ListBody, ListItemBody, ListItemInput, ListTypeName,
    UpdateListRequest,
};
use gatehouse_domain::access::{
    ListId, ListItem, ListType, MAX_LIST_DESCRIPTION, MAX_LIST_ITEMS, MAX_LIST_NAME, ZeroTrustList,
};
use gatehouse_domain::{AccountId, AuditActor, Timestamp};
use gatehouse_store::ResourceKind;
use serde_json::Value;

use super::document::{Document, load_all, load_one, parse_id};
use super::output::{self, json};
use super::references::{list_in_use, list_is_referenced};
use super::{MAX_ATTEMPTS, Stored, gave_up, page};
use crate::audit::{self, Change};
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;

impl Document for ZeroTrustList {
    const KIND: ResourceKind = ResourceKind::GatewayList;
}

pub async fn create(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    input: CreateListRequest,
) -> Result<Value, ApiError> {
    let now = state.clock.now();
    let kind = list_type(input.kind);
    let items = checked_items("items", kind, input.items.unwrap_or_default(), &[], now)?;
    let list =
        ZeroTrustList { name: name(&input.name)?, description: description(input.description)?, kind, items };
    let stored = Stored::new(list, ListId::generate().to_string(), account, now);
    let out = body(&stored, true);
    let change = Change::new("create", "gateway_list", &stored.id).after(Some(out.clone()));
    if !audit::commit(state, actor, account, &[stored.insert()?], change).await? {
        return Err(gave_up());
    }
    Ok(out)
}

/// The account's lists in creation order, without their items; of one type when `kind` is given.
pub async fn list(
    state: &AppState,
    account: &AccountId,
    kind: Option<ListType>,
) -> Result<Vec<Value>, ApiError> {
    let lists = load_all::<ZeroTrustList>(state, account).await?;
    Ok(lists.iter().filter(|l| kind.is_none_or(|kind| l.doc.kind == kind)).map(|l| body(l, false)).collect())
}

pub async fn get(state: &AppState, account: &AccountId, id: &str) -> Result<Value, ApiError> {
    Ok(body(&load_one::<ZeroTrustList>(state, account, id).await?, true))
}

/// One page of the list's items, in the order they were added, and how many there are.
pub async fn items(
    state: &AppState,
    account: &AccountId,
    id: &str,
    pagination: Pagination,
) -> Result<(Vec<Value>, u64), ApiError> {
    let stored = load_one::<ZeroTrustList>(state, account, id).await?;
    let (items, total) = page(stored.doc.items, pagination);
    Ok((items.iter().map(|item| json(&item_body(item))).collect(), total))
}

/// A PUT: the name, and the description and items when given (non-empty items replace the
/// list's; a value kept keeps the time it was added).
pub async fn update(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
    input: UpdateListRequest,
) -> Result<Value, ApiError> {
    let name = name(&input.name)?;
    change(state, actor, account, id, "update", |list, now| {
        // Cloudflare's wording: items left out are kept, "a non empty list items will overwrite
        // the existing list" (so `[]` keeps them too; a PATCH `remove` empties a list).
        if let Some(items) = input.items.as_ref().filter(|items| !items.is_empty()) {
            list.items = checked_items("items", list.kind, items.clone(), &list.items, now)?;
        }
        if input.description.is_some() {
            list.description = description(input.description.clone())?;
        }
        list.name = name.clone();
        Ok(())
    })
    .await
}

/// A PATCH: `remove` takes values out (ignoring those not in the list), then `append` adds
/// values (keeping those already in it).
pub async fn edit(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
    input: EditListRequest,
) -> Result<Value, ApiError> {
    if input.append.is_none() && input.remove.is_none() {
        return Err(ApiError::invalid("'append' or 'remove' is required"));
    }
    let (append, remove) = (input.append.unwrap_or_default(), input.remove.unwrap_or_default());
    change(state, actor, account, id, "update", |list, now| {
        let removed: HashSet<String> = remove
            .iter()
            .map(|value| list.kind.value(value).unwrap_or_else(|_| value.trim().to_owned()))
            .collect();
        list.items.retain(|item| !removed.contains(&item.value));
        let appended = checked_items("append", list.kind, append.clone(), &[], now)?;
        let present: HashSet<String> = list.items.iter().map(|item| item.value.clone()).collect();
        list.items.extend(appended.into_iter().filter(|item| !present.contains(&item.value)));
        check_count(list.items.len(), "the list")
    })
    .await
}

/// Deletes a list that no policy or group rule names (409 otherwise).
pub async fn delete(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
) -> Result<Value, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let stored = load_one::<ZeroTrustList>(state, account, id).await?;
        let list_id = parse_id::<ZeroTrustList>(id)?;
        if list_is_referenced(state, account, list_id).await? {
            return Err(list_in_use());
        }
        let change = Change::new("delete", "gateway_list", id).before(Some(body(&stored, true)));
        if audit::commit(state, actor, account, &stored.delete()?, change).await? {
            return Ok(output::deleted(id));
        }
    }
    Err(gave_up())
}

/// Reads the list, applies `edit` and writes it back at the revision read, re-planned on a race.
async fn change(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
    action: &'static str,
    edit: impl Fn(&mut ZeroTrustList, Timestamp) -> Result<(), ApiError>,
) -> Result<Value, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let mut stored = load_one::<ZeroTrustList>(state, account, id).await?;
        let old = body(&stored, true);
        let now = state.clock.now();
        edit(&mut stored.doc, now)?;
        let write = stored.update(now)?;
        let out = body(&stored, true);
        let change = Change::new(action, "gateway_list", id).before(Some(old)).after(Some(out.clone()));
        if audit::commit(state, actor, account, &[write], change).await? {
            return Ok(out);
        }
    }
    Err(gave_up())
}

/// `items` checked against `kind` and normalized, in the order sent; a value of `kept` keeps
/// its `created_at`. A value sent twice, or too many values, is refused.
fn checked_items(
    field: &str,
    kind: ListType,
    items: Vec<ListItemInput>,
    kept: &[ListItem],
    now: Timestamp,
) -> Result<Vec<ListItem>, ApiError> {
    check_count(items.len(), &format!("'{field}'"))?;
    let mut seen = HashSet::with_capacity(items.len());
    let mut checked = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let value = kind.value(&item.value).map_err(|expected| {
            ApiError::invalid(format!(
                "invalid 'items[{index}].value': a {} list holds {expected}",
                kind.as_str()
            ))
        })?;
        if !seen.insert(value.clone()) {
            return Err(ApiError::invalid(format!(
                "invalid 'items[{index}].value': the value is already in 'items'"
            )));
        }
        let description = bounded(item.description, &format!("{field}[{index}].description"))?;
        let created_at = kept.iter().find(|k| k.value == value).map_or(now, |k| k.created_at);
        checked.push(ListItem { value, description, created_at });
    }
    Ok(checked)
}

fn check_count(count: usize, what: &str) -> Result<(), ApiError> {
    if count > MAX_LIST_ITEMS {
        return Err(ApiError::invalid(format!(
            "{what} would hold {count} items: a list holds at most {MAX_LIST_ITEMS}"
        )));
    }
    Ok(())
}

fn name(name: &str) -> Result<String, ApiError> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > MAX_LIST_NAME || trimmed.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(format!(
            "invalid 'name': a non-empty string of at most {MAX_LIST_NAME} characters"
        )));
    }
    Ok(trimmed.to_owned())
}

fn description(description: Option<String>) -> Result<String, ApiError> {
    Ok(bounded(description, "description")?.unwrap_or_default())
}

fn bounded(text: Option<String>, field: &str) -> Result<Option<String>, ApiError> {
    match text {
        Some(text) if text.chars().count() > MAX_LIST_DESCRIPTION => {
            Err(ApiError::invalid(format!("invalid '{field}': at most {MAX_LIST_DESCRIPTION} characters")))
        }
        other => Ok(other),
    }
}

fn list_type(name: ListTypeName) -> ListType {
    match name {
        ListTypeName::Serial => ListType::Serial,
        ListTypeName::Url => ListType::Url,
        ListTypeName::Domain => ListType::Domain,
        ListTypeName::Email => ListType::Email,
        ListTypeName::Ip => ListType::Ip,
    }
}

fn type_name(kind: ListType) -> ListTypeName {
    match kind {
        ListType::Serial => ListTypeName::Serial,
        ListType::Url => ListTypeName::Url,
        ListType::Domain => ListTypeName::Domain,
        ListType::Email => ListTypeName::Email,
        ListType::Ip => ListTypeName::Ip,
    }
}

/// The `type` query parameter of the collection.
pub fn parse_type(text: &str) -> Result<ListType, ApiError> {
    ListType::parse(text).ok_or_else(|| {
        ApiError::new(
            crate::error::ErrorCode::InvalidUrlParameter,
            "access.api.error.invalid_url_parameter_value: 'type' must be one of SERIAL, URL, DOMAIN, EMAIL, IP",
        )
    })
}

fn item_body(item: &ListItem) -> ListItemBody {
    ListItemBody {
        value: item.value.clone(),
        description: item.description.clone(),
        created_at: item.created_at.to_string(),
    }
}

/// The list as the API returns it; `with_items` false for the collection.
fn body(stored: &Stored<ZeroTrustList>, with_items: bool) -> Value {
    let list = &stored.doc;
    json(&ListBody {
        id: stored.id.clone(),
        name: list.name.clone(),
        description: list.description.clone(),
        kind: type_name(list.kind),
        count: list.items.len() as u64,
        items: with_items.then(|| list.items.iter().map(item_body).collect()),
        created_at: stored.created_at.to_string(),
        updated_at: stored.updated_at.to_string(),
    })
}
