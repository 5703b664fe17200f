//! The OpenAPI 3 document of the management API, generated from the code: the route handlers'
//! `#[utoipa::path]` attributes (collected by the router itself, so a mounted route cannot be
//! missing from the document), the wire types of `gatehouse-api-types`, and the error responses
//! every operation can give, added here in one place because [`crate::ApiError`] renders them
//! all the same way. Served unauthenticated at `GET /client/v4/openapi.json`.

use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use gatehouse_api_types::ErrorEnvelope;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

/// The path of the document itself.
pub const PATH: &str = "/client/v4/openapi.json";

/// The name of the bearer security scheme.
pub const BEARER: &str = "api_token";

/// The document's frame; the router adds the paths.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "gatehouse management API",
        description = "Cloudflare's v4 API for Access service tokens, applications, policies and groups, \
            served by gatehouse. Every response is in the v4 envelope; every failure has a non-2xx status \
            and its codes are listed in docs/errors.md.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(openapi_json),
    components(schemas(ErrorEnvelope)),
    security(("api_token" = [])),
    modifiers(&BearerScheme, &ErrorResponses),
)]
pub struct ApiDoc;

/// The document describes itself; the router mounts the handler that serves it (`Served`).
#[utoipa::path(
    get,
    path = "/client/v4/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "This OpenAPI 3 document", content_type = "application/json", body = Object))
)]
#[allow(dead_code, reason = "documents the route; the router serves `Served` there")]
fn openapi_json() {}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut Document) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "An API token (`gatehouse admin api-token create`); read-only tokens may only GET.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(BEARER, SecurityScheme::Http(scheme));
    }
}

/// Adds the failures every operation can answer, in the v4 envelope, to each operation that
/// does not document that status itself: 400 (missing or malformed credentials, a bad query
/// parameter or body), 401 (an unknown token), 403 (another account, or a read-only token on a
/// write), 404 (an unknown or malformed id), and for writes 409 (a conflict) and 413 (a body
/// over the limit). Runs after the paths are added (see [`finish`]).
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut Document) {
        for item in openapi.paths.paths.values_mut() {
            for (operation, write) in operations(item) {
                if operation.security.as_ref().is_some_and(|requirements| requirements.is_empty()) {
                    continue; // public: the document itself
                }
                let mut statuses = vec![
                    (
                        "400",
                        "Bad request: credentials, query parameters or body (codes 6003, 6007, 9106, 12091, 12130)",
                    ),
                    ("401", "The API token is unknown, disabled or expired (code 10000 or 1000)"),
                    ("403", "Another account's path, or a read-only token on a write (codes 10000, 9109)"),
                    ("404", "No such resource in this account, or an id that cannot be one"),
                ];
                if write {
                    statuses
                        .push(("409", "Conflict: a resource in use, a taken value, or a concurrent change"));
                    statuses.push(("413", "The body exceeds the size limit (code 6009)"));
                }
                for (status, description) in statuses {
                    if !operation.responses.responses.contains_key(status) {
                        operation
                            .responses
                            .responses
                            .insert(status.to_owned(), error_response(description).into());
                    }
                }
            }
        }
    }
}

/// Each operation of a path, and whether it writes.
fn operations(item: &mut PathItem) -> Vec<(&mut Operation, bool)> {
    [
        (item.get.as_mut(), false),
        (item.head.as_mut(), false),
        (item.post.as_mut(), true),
        (item.put.as_mut(), true),
        (item.patch.as_mut(), true),
        (item.delete.as_mut(), true),
    ]
    .into_iter()
    .filter_map(|(operation, write)| operation.map(|operation| (operation, write)))
    .collect()
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(ErrorEnvelope::name()))).build();
    ResponseBuilder::new().description(description).content("application/json", content).build()
}

/// The finished document: the frame, the paths the router collected, then the error responses
/// and unique operation ids.
pub fn finish(mut document: Document) -> Document {
    ErrorResponses.modify(&mut document);
    OperationIds.modify(&mut document);
    document
}

/// `operationId` must be unique in a document, and the handlers' names (`list`, `get`, …) are
/// not; so every operation is named after its method and path instead:
/// `get_accounts_access_service_tokens_by_token_id`.
struct OperationIds;

impl Modify for OperationIds {
    fn modify(&self, openapi: &mut Document) {
        for (path, item) in &mut openapi.paths.paths {
            let name: Vec<String> = path
                .trim_start_matches("/client/v4/")
                .split('/')
                .filter(|segment| *segment != "{account_id}")
                .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(parameter) => format!("by_{parameter}"),
                    None => segment.to_owned(),
                })
                .collect();
            let name = name.join("_");
            for (method, operation) in [
                ("get", item.get.as_mut()),
                ("post", item.post.as_mut()),
                ("put", item.put.as_mut()),
                ("patch", item.patch.as_mut()),
                ("delete", item.delete.as_mut()),
            ] {
                if let Some(operation) = operation {
                    operation.operation_id = Some(format!("{method}_{name}"));
                }
            }
        }
    }
}

/// The document as a response, rendered once when the router is built.
#[derive(Debug, Clone)]
pub struct Served(bytes::Bytes);

impl Served {
    pub fn new(document: &Document) -> Self {
        // Serializing plain data types cannot fail; an empty body would fail every client loudly.
        Served(serde_json::to_vec(document).map(bytes::Bytes::from).unwrap_or_default())
    }
}

impl IntoResponse for Served {
    fn into_response(self) -> Response {
        ([(CONTENT_TYPE, HeaderValue::from_static("application/json"))], self.0).into_response()
    }
}

/// `{account_id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AccountPath {
    /// The account's id (32 lowercase hex).
    pub account_id: String,
}

/// `{account_id}` and `{token_id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TokenPath {
    /// The account's id (32 lowercase hex).
    pub account_id: String,
    /// The service token's `id` (a UUID; not its `client_id`).
    pub token_id: String,
}

/// `{account_id}` and `{app_id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AppPath {
    /// The account's id (32 lowercase hex).
    pub account_id: String,
    /// The application's id (a UUID).
    pub app_id: String,
}

/// `{account_id}`, `{app_id}` and `{policy_id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AppPolicyPath {
    /// The account's id (32 lowercase hex).
    pub account_id: String,
    /// The application's id (a UUID).
    pub app_id: String,
    /// The policy's id (a UUID).
    pub policy_id: String,
}

/// `{account_id}` and `{policy_id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PolicyPath {
    /// The account's id (32 lowercase hex).
    pub account_id: String,
    /// The policy's id (a UUID).
    pub policy_id: String,
}

/// `{account_id}` and `{group_id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct GroupPath {
    /// The account's id (32 lowercase hex).
    pub account_id: String,
    /// The group's id (a UUID).
    pub group_id: String,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdentityProviderPath {
    /// The account's id (32 lowercase hex).
    pub account_id: String,
    /// The identity provider's id (a UUID).
    pub identity_provider_id: String,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ListPath {
    /// The account's id (32 lowercase hex).
    pub account_id: String,
    /// The Zero Trust list's id (a UUID).
    pub list_id: String,
}

/// A success whose `result` is null (`revoke_tokens`).
#[derive(Debug, ToSchema)]
pub struct EmptyEnvelope {
    pub success: bool,
    pub errors: Vec<gatehouse_api_types::Message>,
    pub messages: Vec<gatehouse_api_types::Message>,
    #[schema(value_type = Option<()>)]
    pub result: Option<serde_json::Value>,
}
