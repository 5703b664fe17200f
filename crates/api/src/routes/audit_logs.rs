//! `GET /accounts/{account_id}/audit_logs`: the audit log, newest first, in Cloudflare's shape.
//! Query: `since`, `before` (RFC 3339 times or `YYYY-MM-DD` dates), `direction` (`desc`, the
//! default, or `asc`), `page`, `per_page`, `action.type`, `resource.type`, `resource.id`,
//! `actor.id`, `id`.

use axum::extract::State;
use axum::response::Response;
use gatehouse_api_types::{AuditLogEntry, Envelope};
use gatehouse_domain::Timestamp;
use gatehouse_store::AuditFilter;
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Authorized, Read, UrlQuery};
use super::page;
use crate::audit;
use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// Items per page, 1 to 1000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    per_page: Option<String>,
    /// Only records at or after this RFC 3339 time or `YYYY-MM-DD` date.
    since: Option<String>,
    /// Only records before this RFC 3339 time or `YYYY-MM-DD` date.
    before: Option<String>,
    /// `desc` (newest first, the default) or `asc`.
    #[param(pattern = "^(asc|desc)$")]
    direction: Option<String>,
    #[serde(rename = "action.type")]
    action: Option<String>,
    #[serde(rename = "resource.type")]
    resource_type: Option<String>,
    #[serde(rename = "resource.id")]
    resource_id: Option<String>,
    #[serde(rename = "actor.id")]
    actor_id: Option<String>,
    /// Only the record with this id.
    id: Option<String>,
}

impl ListParams {
    fn filter(self) -> Result<AuditFilter, ApiError> {
        let newest_first = match self.direction.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("" | "desc") => true,
            Some("asc") => false,
            Some(_) => return Err(bad_parameter("direction", "expected asc or desc")),
        };
        let nonempty = |value: Option<String>| value.filter(|v| !v.is_empty());
        Ok(AuditFilter {
            since: nonempty(self.since).map(|t| parse_time("since", &t)).transpose()?,
            before: nonempty(self.before).map(|t| parse_time("before", &t)).transpose()?,
            action: nonempty(self.action),
            resource_type: nonempty(self.resource_type),
            resource_id: nonempty(self.resource_id),
            actor_id: nonempty(self.actor_id),
            id: nonempty(self.id),
            newest_first,
        })
    }
}

#[utoipa::path(
    get,
    path = "/client/v4/accounts/{account_id}/audit_logs",
    tag = "audit logs",
    params(crate::openapi::AccountPath, ListParams),
    responses((status = 200, description = "A page of the audit log", body = Envelope<Vec<AuditLogEntry>>))
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { account, .. }: Authorized<Read>,
    UrlQuery(query): UrlQuery<ListParams>,
) -> Result<Response, ApiError> {
    let mut params = query;
    let pagination = Pagination::parse(params.page.take().as_deref(), params.per_page.take().as_deref())?;
    let records = audit::list(&state, &account, &params.filter()?, pagination).await?;
    Ok(page(records.items.iter().map(audit::to_json).collect(), pagination, records.total))
}

/// An RFC 3339 time, or a date (its midnight, UTC), as Cloudflare accepts both.
fn parse_time(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    let date_only = text.len() == 10 && text.as_bytes().get(4) == Some(&b'-');
    let full = if date_only { format!("{text}T00:00:00Z") } else { text.to_owned() };
    Timestamp::parse_rfc3339(&full).map_err(|e| bad_parameter(field, &e.to_string()))
}

fn bad_parameter(field: &str, why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidUrlParameter,
        format!("access.api.error.invalid_url_parameter_value: '{field}': {why}"),
    )
}
