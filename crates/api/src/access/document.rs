//! A stored access document: the domain value together with the store's bookkeeping, and the
//! batch changes that write it back conditionally on the revision it was read at.

use gatehouse_domain::access::{
    AppId, Application, Group, GroupId, IdentityProvider, IdpId, ListId, Organization, Policy, PolicyId,
    ZeroTrustList,
};
use gatehouse_domain::{AccountId, Timestamp};
use gatehouse_store::{Resource, ResourceChange, ResourceKind, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// A domain type stored as one JSON document of a resource kind.
pub trait Document: Serialize + DeserializeOwned {
    const KIND: ResourceKind;
}

impl Document for Application {
    const KIND: ResourceKind = ResourceKind::Application;
}

impl Document for Policy {
    const KIND: ResourceKind = ResourceKind::Policy;
}

impl Document for Group {
    const KIND: ResourceKind = ResourceKind::Group;
}

impl Document for Organization {
    const KIND: ResourceKind = ResourceKind::Organization;
}

/// A kind of document addressed by an id of its own type. An id that cannot be one gets the same
/// answer as one that names no document: the kind's 404.
pub trait Addressed: Document {
    type Id;

    fn parse_id(id: &str) -> Option<Self::Id>;
    /// The kind's 404.
    fn not_found() -> ApiError;
}

/// `impl Addressed for $kind` with ids of type `$id`, answered by `ApiError::$not_found`.
macro_rules! addressed {
    ($($kind:ty => $id:ty, $not_found:ident;)*) => {$(
        impl Addressed for $kind {
            type Id = $id;

            fn parse_id(id: &str) -> Option<$id> {
                <$id>::parse(id).ok()
            }

            fn not_found() -> ApiError {
                ApiError::$not_found()
            }
        }
    )*};
}

addressed! {
    Application => AppId, unknown_application;
    Policy => PolicyId, policy_not_found;
    Group => GroupId, group_not_found;
    IdentityProvider => IdpId, identity_provider_not_found;
    ZeroTrustList => ListId, list_not_found;
}

/// `id` as the kind's id; its 404 when it cannot be one.
pub fn parse_id<T: Addressed>(id: &str) -> Result<T::Id, ApiError> {
    T::parse_id(id).ok_or_else(T::not_found)
}

/// A document as read from (or about to be written to) the store.
#[derive(Debug, Clone)]
pub struct Stored<T> {
    pub doc: T,
    pub id: String,
    pub account_id: AccountId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub revision: i64,
}

impl<T: Document> Stored<T> {
    /// A document that does not exist yet; [`Stored::insert`] writes it.
    pub fn new(doc: T, id: String, account: &AccountId, now: Timestamp) -> Self {
        Stored { doc, id, account_id: account.clone(), created_at: now, updated_at: now, revision: 1 }
    }

    pub fn decode(resource: Resource) -> Result<Self, ApiError> {
        let doc = serde_json::from_str(&resource.body).map_err(|error| {
            StoreError::Corrupt(format!("{} {} does not decode: {error}", T::KIND.as_str(), resource.id))
        })?;
        Ok(Stored {
            doc,
            id: resource.id,
            account_id: resource.account_id,
            created_at: resource.created_at,
            updated_at: resource.updated_at,
            revision: resource.revision,
        })
    }

    pub fn insert(&self) -> Result<ResourceChange, ApiError> {
        Ok(ResourceChange::Insert(self.resource()?))
    }

    /// Writes the changed document, conditional on the revision it was read at.
    pub fn update(&mut self, now: Timestamp) -> Result<ResourceChange, ApiError> {
        self.updated_at = now;
        self.touch()
    }

    /// Re-writes the document unchanged (its `updated_at` too), conditional on the revision it
    /// was read at: a batch holding it fails if anyone changed or deleted the document meanwhile.
    pub fn touch(&mut self) -> Result<ResourceChange, ApiError> {
        self.revision += 1;
        Ok(ResourceChange::Update(self.resource()?))
    }

    /// Deletes the document if it is still as it was read (a plain delete would not notice a
    /// concurrent change that makes the delete wrong, such as a new reference).
    pub fn delete(mut self) -> Result<[ResourceChange; 2], ApiError> {
        let guard = self.touch()?;
        let delete = ResourceChange::Delete { kind: T::KIND, account_id: self.account_id, id: self.id };
        Ok([guard, delete])
    }

    fn resource(&self) -> Result<Resource, ApiError> {
        let body = serde_json::to_string(&self.doc)
            .map_err(|error| StoreError::Corrupt(format!("{} does not encode: {error}", T::KIND.as_str())))?;
        Ok(Resource {
            kind: T::KIND,
            id: self.id.clone(),
            account_id: self.account_id.clone(),
            body,
            created_at: self.created_at,
            updated_at: self.updated_at,
            revision: self.revision,
        })
    }
}

/// One document of the account, if it exists.
pub async fn load<T: Document>(
    state: &AppState,
    account: &AccountId,
    id: &str,
) -> Result<Option<Stored<T>>, ApiError> {
    state.store.get_resource(T::KIND, account, id).await?.map(Stored::decode).transpose()
}

/// The document of the account with this id; the kind's 404 otherwise (malformed ids included).
pub async fn load_one<T: Addressed>(
    state: &AppState,
    account: &AccountId,
    id: &str,
) -> Result<Stored<T>, ApiError> {
    parse_id::<T>(id)?;
    load(state, account, id).await?.ok_or_else(T::not_found)
}

/// Every document of the kind in the account, in creation order.
pub async fn load_all<T: Document>(
    state: &AppState,
    account: &AccountId,
) -> Result<Vec<Stored<T>>, ApiError> {
    state.store.list_resources(T::KIND, account).await?.into_iter().map(Stored::decode).collect()
}
