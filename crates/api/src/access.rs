//! Access configuration operations, between the HTTP handlers and the store: applications
//! ([`apps`]), reusable and app-scoped policies ([`policies`], [`app_policies`]), groups
//! ([`groups`]), Zero Trust lists ([`lists`]) and the organization ([`organization`]). Each resource is one JSON document of
//! the domain type (`gatehouse_domain::access`), read into a [`Stored`] and written back in one
//! atomic `apply` batch.
//!
//! Concurrency: every change is conditional on the revisions it read, and re-planned when another
//! writer got there first. A delete is guarded the same way (the document is re-written at its
//! read revision, then deleted), and a write that links a reusable policy re-writes that policy,
//! so "delete a policy nobody links" and "link that policy" can never both succeed.

mod app_input;
pub mod app_links;
pub mod app_policies;
pub mod apps;
mod document;
pub mod explain;
pub mod groups;
pub mod identity_providers;
mod input;
pub mod lists;
pub mod organization;
mod output;
pub mod policies;
pub mod references;
pub mod selectors;
pub mod users;
pub mod what_if;

use gatehouse_domain::AccountId;
use gatehouse_store::{ResourceChange, StoreError};

pub use app_input::AppInput;
pub use document::{Document, Stored};
pub use input::{GroupInput, PolicyInput};

use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;

/// How many times a write is re-planned when it keeps losing a race.
const MAX_ATTEMPTS: usize = 8;

/// Applies a planned batch. `Ok(false)` means another writer changed something the plan read
/// (or created what it meant to create, for the one-per-account organization): read again and
/// re-plan. On success the gateway is told before the caller answers.
async fn commit(state: &AppState, account: &AccountId, changes: &[ResourceChange]) -> Result<bool, ApiError> {
    match state.store.apply(changes).await {
        Ok(()) => {
            state.changes.access_changed(account).await;
            Ok(true)
        }
        Err(StoreError::Stale | StoreError::Conflict(_)) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

/// The answer when every attempt lost its race.
fn gave_up() -> ApiError {
    StoreError::Stale.into()
}

/// One page of `items` (all of them, filtered), and how many there are in all pages. A page past
/// the end is empty.
pub fn page<T>(items: Vec<T>, pagination: Pagination) -> (Vec<T>, u64) {
    let total = items.len() as u64;
    let request = pagination.request();
    let offset = usize::try_from(request.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
    (items.into_iter().skip(offset).take(limit).collect(), total)
}

/// The `name` and `search` filters of the policy and group lists.
#[derive(Debug, Clone, Default)]
pub struct NameFilter {
    /// Exact name.
    pub name: Option<String>,
    /// Case-insensitive substring of the name, or the exact id.
    pub search: Option<String>,
}

impl NameFilter {
    pub fn matches(&self, name: &str, id: &str) -> bool {
        self.name.as_deref().is_none_or(|wanted| wanted == name)
            && self.search.as_deref().is_none_or(|text| id == text || contains_ignoring_case(name, text))
    }
}

/// Case-insensitive substring test.
pub fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}
