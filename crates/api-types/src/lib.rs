//! The wire format of gatehouse's management API, which is Cloudflare's v4 API: the envelope
//! every response uses ([`Envelope`]), its messages and pagination info, and the request and
//! response bodies of each resource. Shared by the server (which renders them) and the CLI
//! (which reads them), so both agree by construction.
//!
//! Plain serde types only: no HTTP, no domain logic. Each derives `utoipa::ToSchema`, so the
//! OpenAPI document that `gatehouse-api` serves is generated from these very types.

mod access;
mod envelope;
mod explain;
mod keys;
mod lists;
mod logs;
mod service_tokens;
mod verify;
mod what_if;

pub use access::{
    ApplicationBody, DecisionName, DeletedBody, GroupBody, IdentityProviderBody, OrganizationBody,
    OrganizationRequest, PolicyBody, RevokeUserRequest, Rule, UserBody, rule_list,
};
pub use envelope::{Envelope, ErrorEnvelope, Message, ResultInfo};
pub use explain::{
    AuthenticationTrace, ExplainBody, ExplainRequest, GroupTraceBody, PolicyTraceBody, RecordExplainBody,
    RecordedDecision, RoutingTrace, RuleTraceBody,
};
pub use keys::{SigningKeysBody, UpdateKeysRequest};
pub use lists::{
    CreateListRequest, EditListRequest, ListBody, ListItemBody, ListItemInput, ListTypeName,
    UpdateListRequest,
};
pub use logs::{AccessLogEntry, AccountBody, AuditLogEntry};
pub use service_tokens::{
    CreateServiceTokenRequest, RotateServiceTokenRequest, ServiceTokenBody, UpdateServiceTokenRequest,
};
pub use verify::TokenVerifyBody;
pub use what_if::{WhatIfBody, WhatIfExample, WhatIfGroup, WhatIfOutcome, WhatIfRequest};
