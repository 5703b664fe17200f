//! The one API error type and the table of its codes. Every failure leaves the API through
//! [`ApiError`]'s `IntoResponse`, in Cloudflare's v4 envelope with a non-2xx status (the official
//! SDKs decide success from the status alone). Each code is documented in `docs/errors.md`; a
//! test fails when one is missing there.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_api_types::{Envelope, Message};
use gatehouse_store::StoreError;

/// Every error code the API can return, with its HTTP status and whether a retry can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 401: the bearer token is unknown, disabled or expired (verify endpoints).
    InvalidApiToken,
    /// 400: the `Authorization` header is not `Bearer <token>`.
    InvalidRequestHeaders,
    /// 400: the body is not JSON.
    MalformedJson,
    /// 413: the body exceeds the size limit.
    BodyTooLarge,
    /// 405: the path exists but not with this method.
    MethodNotAllowed,
    /// 404: no such route, or an identifier in the path that cannot be one.
    NoRoute,
    /// 404: a part of Cloudflare's API that gatehouse does not serve (the message says which).
    NotSupported,
    /// 401: the `X-Auth-Email` / `X-Auth-Key` pair is unknown.
    UnknownAuthKey,
    /// 400: no credentials at all.
    MissingAuth,
    /// 403: the credential may only read.
    Unauthorized,
    /// 401 or 403: the credential is not valid, or not for this account.
    AuthenticationError,
    /// 400: a query parameter is out of range.
    InvalidUrlParameter,
    /// 400: the body is valid JSON but a field is wrong.
    InvalidRequest,
    /// 409: a unique value (an imported `client_id`) is taken.
    Conflict,
    /// 409: the resource kept changing under a write; retrying may succeed.
    ConcurrentUpdate,
    /// 404: no service token with that id in this account.
    ServiceTokenNotFound,
    /// 409: a policy or group rule names the service token being deleted.
    ServiceTokenInUse,
    /// 404: no application with that id in this account.
    UnknownApplication,
    /// 404: no such policy (reusable, or linked to the application in the path).
    PolicyNotFound,
    /// 409: applications still use the reusable policy being deleted.
    PolicyInUse,
    /// 404: no access group with that id in this account.
    GroupNotFound,
    /// 409: a policy or group rule names the group being deleted.
    GroupInUse,
    /// 404: no identity provider with that id in this account.
    IdentityProviderNotFound,
    /// 409: a `github-organization` rule names the github identity provider being deleted.
    IdentityProviderInUse,
    /// 404: no Zero Trust list with that id in this account.
    ListNotFound,
    /// 409: an `email_list` rule names the list being deleted.
    ListInUse,
    /// 500: a bug or corrupt data; the details are in the server log.
    Internal,
    /// 503: the database is unreachable.
    Unavailable,
}

impl ErrorCode {
    /// Every code, for the documentation test.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidApiToken,
        ErrorCode::InvalidRequestHeaders,
        ErrorCode::MalformedJson,
        ErrorCode::BodyTooLarge,
        ErrorCode::MethodNotAllowed,
        ErrorCode::NoRoute,
        ErrorCode::NotSupported,
        ErrorCode::UnknownAuthKey,
        ErrorCode::MissingAuth,
        ErrorCode::Unauthorized,
        ErrorCode::AuthenticationError,
        ErrorCode::InvalidUrlParameter,
        ErrorCode::InvalidRequest,
        ErrorCode::Conflict,
        ErrorCode::ConcurrentUpdate,
        ErrorCode::ServiceTokenNotFound,
        ErrorCode::ServiceTokenInUse,
        ErrorCode::UnknownApplication,
        ErrorCode::PolicyNotFound,
        ErrorCode::PolicyInUse,
        ErrorCode::GroupNotFound,
        ErrorCode::GroupInUse,
        ErrorCode::IdentityProviderNotFound,
        ErrorCode::IdentityProviderInUse,
        ErrorCode::ListNotFound,
        ErrorCode::ListInUse,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];

    /// The numeric code, HTTP status, and whether SDKs should retry.
    pub fn spec(self) -> (u32, StatusCode, Option<bool>) {
        use ErrorCode as E;
        match self {
            E::InvalidApiToken => (1000, StatusCode::UNAUTHORIZED, None),
            E::InvalidRequestHeaders => (6003, StatusCode::BAD_REQUEST, None),
            E::MalformedJson => (6007, StatusCode::BAD_REQUEST, None),
            E::BodyTooLarge => (6009, StatusCode::PAYLOAD_TOO_LARGE, Some(false)),
            E::MethodNotAllowed => (7001, StatusCode::METHOD_NOT_ALLOWED, None),
            E::NoRoute => (7003, StatusCode::NOT_FOUND, None),
            E::NotSupported => (12180, StatusCode::NOT_FOUND, Some(false)),
            E::UnknownAuthKey => (9103, StatusCode::UNAUTHORIZED, None),
            E::MissingAuth => (9106, StatusCode::BAD_REQUEST, None),
            E::Unauthorized => (9109, StatusCode::FORBIDDEN, None),
            E::AuthenticationError => (10000, StatusCode::FORBIDDEN, None),
            E::InvalidUrlParameter => (12091, StatusCode::BAD_REQUEST, None),
            E::InvalidRequest => (12130, StatusCode::BAD_REQUEST, None),
            E::Conflict => (12131, StatusCode::CONFLICT, Some(false)),
            E::ConcurrentUpdate => (12132, StatusCode::CONFLICT, Some(true)),
            E::ServiceTokenNotFound => (12133, StatusCode::NOT_FOUND, None),
            E::ServiceTokenInUse => (12139, StatusCode::CONFLICT, Some(false)),
            E::UnknownApplication => (11021, StatusCode::NOT_FOUND, None),
            E::PolicyNotFound => (12134, StatusCode::NOT_FOUND, None),
            E::PolicyInUse => (12135, StatusCode::CONFLICT, Some(false)),
            E::GroupNotFound => (12109, StatusCode::NOT_FOUND, None),
            E::GroupInUse => (12136, StatusCode::CONFLICT, Some(false)),
            E::IdentityProviderNotFound => (12137, StatusCode::NOT_FOUND, None),
            E::IdentityProviderInUse => (12138, StatusCode::CONFLICT, Some(false)),
            E::ListNotFound => (12140, StatusCode::NOT_FOUND, None),
            E::ListInUse => (12141, StatusCode::CONFLICT, Some(false)),
            E::Internal => (12000, StatusCode::INTERNAL_SERVER_ERROR, None),
            E::Unavailable => (12001, StatusCode::SERVICE_UNAVAILABLE, Some(true)),
        }
    }

    pub fn code(self) -> u32 {
        self.spec().0
    }
}

/// A failed request: a code from the table, a message for the client, optional nested errors.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub status: Option<StatusCode>,
    pub message: String,
    pub chain: Vec<Message>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, status: None, message: message.into(), chain: Vec::new() }
    }

    /// `access.api.error.invalid_request: <detail>` (400, code 12130).
    pub fn invalid(detail: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::InvalidRequest, format!("access.api.error.invalid_request: {detail}"))
    }

    pub fn no_route(path: &str) -> Self {
        Self::new(
            ErrorCode::NoRoute,
            format!("Could not route to {path}, perhaps your object identifier is invalid?"),
        )
    }

    pub fn token_not_found() -> Self {
        Self::new(ErrorCode::ServiceTokenNotFound, "access.api.error.service_token_not_found")
    }

    pub fn unknown_application() -> Self {
        Self::new(ErrorCode::UnknownApplication, "access.api.error.unknown_application")
    }

    pub fn policy_not_found() -> Self {
        Self::new(ErrorCode::PolicyNotFound, "access.api.error.policy_not_found")
    }

    pub fn identity_provider_not_found() -> Self {
        Self::new(ErrorCode::IdentityProviderNotFound, "access.api.error.identity_provider_not_found")
    }

    pub fn list_not_found() -> Self {
        Self::new(
            ErrorCode::ListNotFound,
            "access.api.error.list_not_found: no Zero Trust list with that id in this account",
        )
    }

    pub fn group_not_found() -> Self {
        Self::new(ErrorCode::GroupNotFound, "access.api.error.group_not_found")
    }

    /// 401 instead of the code's default status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_chain(mut self, chain: Vec<Message>) -> Self {
        self.chain = chain;
        self
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(_) => ApiError::new(ErrorCode::Conflict, "access.api.error.conflict"),
            StoreError::Stale => ApiError::new(
                ErrorCode::ConcurrentUpdate,
                "access.api.error.conflict: the resource was changed concurrently, retry",
            ),
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "database unavailable");
                ApiError::new(
                    ErrorCode::Unavailable,
                    "access.api.error.service_unavailable: the database is unreachable, retry later",
                )
            }
            StoreError::Corrupt(detail) => {
                tracing::error!(%detail, "corrupt record");
                ApiError::new(ErrorCode::Internal, "access.api.error.internal_server_error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, default_status, retry) = self.code.spec();
        let status = self.status.unwrap_or(default_status);
        let message = Message {
            code,
            message: self.message,
            error_chain: (!self.chain.is_empty()).then_some(self.chain),
        };
        let mut response = (status, Json(Envelope::<()>::failure(vec![message]))).into_response();
        if let Some(retry) = retry {
            let value = HeaderValue::from_static(if retry { "true" } else { "false" });
            response.headers_mut().insert("x-should-retry", value);
        }
        response
    }
}
