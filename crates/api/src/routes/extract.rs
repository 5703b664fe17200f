//! The prologue every account route shares, as extractors whose rejection is the API's error
//! envelope: [`Authorized`] (the caller, authorized for the path's `{account_id}`, and the
//! path's other segments), [`WithBody`] (the same for a route with a body, read first) and
//! [`UrlQuery`] (the query string, decoded).

use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use gatehouse_domain::AccountId;
use serde::de::DeserializeOwned;

use crate::auth::{Access, Caller};
use crate::body::RawBody;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// What a route does to the account: [`Read`] or [`Write`].
pub trait Level: Send + Sync {
    const ACCESS: Access;
}

/// A route that only reads.
#[derive(Debug)]
pub struct Read;

/// A route that changes state: the credential must allow writes.
#[derive(Debug)]
pub struct Write;

impl Level for Read {
    const ACCESS: Access = Access::Read;
}

impl Level for Write {
    const ACCESS: Access = Access::Write;
}

/// The segments of a route's path, `{account_id}` first: `String` for the account alone,
/// `(String, String)` with one id after it, `(String, String, String)` with two.
pub trait Segments: DeserializeOwned + Send {
    /// The segments after the account.
    type Ids: Send + std::fmt::Debug;

    fn split(self) -> (String, Self::Ids);
}

impl Segments for String {
    type Ids = ();

    fn split(self) -> (String, ()) {
        (self, ())
    }
}

impl Segments for (String, String) {
    type Ids = String;

    fn split(self) -> (String, String) {
        self
    }
}

impl Segments for (String, String, String) {
    type Ids = (String, String);

    fn split(self) -> (String, (String, String)) {
        (self.0, (self.1, self.2))
    }
}

/// The caller, authenticated and authorized for the path's account with access `L`, and the
/// path's ids. Rejected, in this order: as [`Caller`] is; a path that does not decode as an
/// unknown route; then as [`Caller::authorize`] is. The ids are passed on as written: each
/// operation answers an id that cannot exist as it answers one that does not.
#[derive(Debug)]
pub struct Authorized<L, S: Segments = String> {
    pub caller: Caller,
    pub account: AccountId,
    pub ids: S::Ids,
    level: PhantomData<L>,
}

impl<L: Level, S: Segments> Authorized<L, S> {
    async fn of(parts: &mut Parts, state: &AppState, caller: Caller) -> Result<Self, ApiError> {
        let Path(segments) = Path::<S>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::no_route(parts.uri.path()))?;
        let (account, ids) = segments.split();
        let account = caller.authorize(&account, L::ACCESS)?;
        Ok(Authorized { caller, account, ids, level: PhantomData })
    }
}

impl<L: Level, S: Segments> FromRequestParts<AppState> for Authorized<L, S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        Authorized::of(parts, state, caller).await
    }
}

/// [`Authorized`] and the request's body, read after the caller is authenticated but before
/// the path and the authorization are checked: a body over the limit is 413 for every caller
/// with a valid credential, as [`RawBody`] alone answers it.
#[derive(Debug)]
pub struct WithBody<L, S: Segments = String>(pub Authorized<L, S>, pub RawBody);

impl<L: Level, S: Segments> FromRequest<AppState> for WithBody<L, S> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = request.into_parts();
        let caller = Caller::from_request_parts(&mut parts, state).await?;
        let body = RawBody::from_request(Request::new(body), state).await?;
        Ok(WithBody(Authorized::of(&mut parts, state, caller).await?, body))
    }
}

/// The query string decoded as `T`; one that does not decode is answered as 12091.
#[derive(Debug)]
pub struct UrlQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for UrlQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(params) = Query::<T>::from_request_parts(parts, state).await.map_err(|error| {
            ApiError::new(
                ErrorCode::InvalidUrlParameter,
                format!("access.api.error.invalid_url_parameter_value: {error}"),
            )
        })?;
        Ok(UrlQuery(params))
    }
}
