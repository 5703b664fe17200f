//! The access log as Cloudflare's `GET …/access/logs/access_requests` serves it: the query
//! parameters of the Python SDK's `access_request_list_params` (plus gatehouse's
//! `service_token_id` and `client_id`) turned into an [`AccessLogQuery`], and each record
//! rendered as Cloudflare's access request object with gatehouse's extensions.
//!
//! Choices where Cloudflare's API is silent or does not fit a gateway that also serves service
//! tokens:
//! - every request is recorded, a person's and a service token's alike: `action` is always
//!   `"login"`; a person's request has their `user_email`, `is_service_token: false` and the
//!   type of their identity provider as `connection` (`oidc`, …); a service token's request has
//!   `user_email: ""` and `connection: "service_token"`; a request with neither `"none"`;
//! - `non_identity` filters on `is_service_token`; `email` filters compare `user_email` without
//!   regard to case (`""` for records without a person), by substring unless `email_exact=true`
//!   or `emailOp=eq`/`neq` says otherwise;
//! - `app_type`, `country_code`, `idp` and `user_id` (and their operators) are accepted and
//!   ignored.

use gatehouse_domain::access::AppId;
use gatehouse_domain::{Timestamp, TokenId};
use gatehouse_store::{AccessLogQuery, AccessLogRecord, Direction, Match, PageRequest, TextMatch};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;

const DEFAULT_LIMIT: u64 = 25;
const MAX_LIMIT: u64 = 1000;

/// The query string, every value as text so that a bad one is a 12091 naming it.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessLogParams {
    /// Records per page when `per_page` is not given, 1 to 1000 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    direction: Option<String>,
    since: Option<String>,
    until: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// Records per page, 1 to 1000.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    per_page: Option<String>,
    email: Option<String>,
    email_exact: Option<String>,
    #[serde(rename = "emailOp")]
    email_op: Option<String>,
    fields: Option<String>,
    allowed: Option<String>,
    #[serde(rename = "allowedOp")]
    allowed_op: Option<String>,
    app_uid: Option<String>,
    #[serde(rename = "app_uidOp")]
    app_uid_op: Option<String>,
    ray_id: Option<String>,
    #[serde(rename = "ray_idOp")]
    ray_id_op: Option<String>,
    non_identity: Option<String>,
    #[serde(rename = "non_identityOp")]
    non_identity_op: Option<String>,
    service_token_id: Option<String>,
    client_id: Option<String>,
    // Accepted and ignored (see the module documentation); their operators are still checked.
    #[serde(rename = "app_typeOp")]
    app_type_op: Option<String>,
    #[serde(rename = "country_codeOp")]
    country_code_op: Option<String>,
    #[serde(rename = "idpOp")]
    idp_op: Option<String>,
    #[serde(rename = "user_idOp")]
    user_id_op: Option<String>,
}

/// A validated request: what to ask the store, or that nothing can match.
#[derive(Debug)]
pub struct AccessLogRequest {
    pub pagination: Pagination,
    /// What to ask the store (an `Option` for callers that find nothing can match).
    pub query: Option<AccessLogQuery>,
    /// The `fields` projection, if any.
    pub fields: Option<Vec<String>>,
}

impl AccessLogParams {
    pub fn parse(self) -> Result<AccessLogRequest, ApiError> {
        for (name, op) in [
            ("app_typeOp", &self.app_type_op),
            ("country_codeOp", &self.country_code_op),
            ("idpOp", &self.idp_op),
            ("user_idOp", &self.user_id_op),
        ] {
            operator(name, op.as_deref())?;
        }
        let per_page = match (&self.per_page, &self.limit) {
            (Some(per_page), _) => number("per_page", per_page)?,
            (None, Some(limit)) => number("limit", limit)?,
            (None, None) => DEFAULT_LIMIT,
        };
        let page = match &self.page {
            Some(page) => Pagination::parse(Some(page), None)?.page,
            None => 1,
        };
        let pagination = Pagination { page, per_page };
        let direction = match self.direction.as_deref().map(str::trim) {
            None | Some("" | "desc") => Direction::Desc,
            Some("asc") => Direction::Asc,
            Some(_) => return Err(invalid("direction", "must be asc or desc")),
        };
        let query = AccessLogQuery {
            since: time("since", self.since.as_deref())?,
            until: time("until", self.until.as_deref())?,
            direction,
            allowed: flag("allowed", self.allowed.as_deref(), self.allowed_op.as_deref())?,
            is_service_token: flag(
                "non_identity",
                self.non_identity.as_deref(),
                self.non_identity_op.as_deref(),
            )?,
            app_uid: self
                .app_uid
                .as_deref()
                .map(|id| {
                    AppId::parse(id.trim()).map_err(|_| invalid("app_uid", "must be an application UUID"))
                })
                .transpose()?
                .map(|id| matched(id, self.app_uid_op.as_deref(), "app_uidOp"))
                .transpose()?,
            ray_id: self
                .ray_id
                .as_deref()
                .map(|ray| matched(ray.trim().to_ascii_lowercase(), self.ray_id_op.as_deref(), "ray_idOp"))
                .transpose()?,
            service_token_id: self
                .service_token_id
                .as_deref()
                .map(|id| {
                    TokenId::parse(id.trim()).map_err(|_| invalid("service_token_id", "must be a UUID"))
                })
                .transpose()?,
            client_id: self.client_id.map(|id| id.trim().to_owned()).filter(|id| !id.is_empty()),
            user_email: email_filter(
                self.email.as_deref(),
                self.email_exact.as_deref(),
                self.email_op.as_deref(),
            )?,
            page: PageRequest { offset: (page - 1).saturating_mul(per_page), limit: per_page },
        };
        let fields = self.fields.map(|fields| {
            fields.split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned).collect()
        });
        Ok(AccessLogRequest { pagination, query: Some(query), fields })
    }
}

/// The record as Cloudflare's access request object, with gatehouse's extensions.
pub fn body(record: &AccessLogRecord) -> Value {
    json!({
        "action": "login",
        "allowed": record.allowed,
        "app_domain": record.app_domain,
        "app_uid": record.app_uid.to_string(),
        "connection": connection(record),
        "created_at": record.created_at.to_string(),
        "ip_address": record.ip_address,
        "ray_id": record.ray_id,
        "user_email": record.person.as_ref().map_or("", |p| p.email.as_str()),
        "idp_id": record.person.as_ref().and_then(|p| p.idp_id).map(|id| id.to_string()),
        "is_service_token": record.is_service_token,
        "service_token_id": record.service_token_id.map(|id| id.to_string()),
        "client_id": record.client_id,
        "policy_id": record.policy_id.map(|id| id.to_string()),
        "decision": record.decision,
        "reason": record.reason,
        "status": record.status,
        "method": record.method,
    })
}

/// Cloudflare's `connection`: the identity provider's type for a person, `service_token` when
/// service-token credentials were presented, else `none`.
fn connection(record: &AccessLogRecord) -> &str {
    match &record.person {
        Some(person) => person.idp_type.as_deref().unwrap_or("unknown"),
        None if record.is_service_token => "service_token",
        None => "none",
    }
}

/// Keeps only the named fields (unknown names are ignored).
pub fn project(value: Value, fields: &[String]) -> Value {
    match value {
        Value::Object(object) => {
            Value::Object(object.into_iter().filter(|(key, _)| fields.contains(key)).collect::<Map<_, _>>())
        }
        other => other,
    }
}

fn invalid(name: &str, rule: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidUrlParameter,
        format!("access.api.error.invalid_url_parameter_value: '{name}' {rule}"),
    )
}

fn number(name: &str, text: &str) -> Result<u64, ApiError> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(invalid(name, &format!("must be a whole number from 1 to {MAX_LIMIT}"))),
    }
}

fn time(name: &str, text: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    text.map(|t| {
        Timestamp::parse_rfc3339(t)
            .map_err(|_| invalid(name, "must be an RFC 3339 date-time such as 2026-12-31T23:59:59Z"))
    })
    .transpose()
}

/// `eq` (the default) or `neq`: true when negated.
fn operator(name: &str, op: Option<&str>) -> Result<bool, ApiError> {
    match op.map(str::trim) {
        None | Some("" | "eq") => Ok(false),
        Some("neq") => Ok(true),
        Some(_) => Err(invalid(name, "must be eq or neq")),
    }
}

fn matched<T>(value: T, op: Option<&str>, name: &str) -> Result<Match<T>, ApiError> {
    Ok(if operator(name, op)? { Match::Neq(value) } else { Match::Eq(value) })
}

fn boolean(name: &str, text: &str) -> Result<bool, ApiError> {
    match text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(invalid(name, "must be true or false")),
    }
}

/// A boolean filter and its operator: `allowed=true&allowedOp=neq` is `allowed = false`.
fn flag(name: &str, value: Option<&str>, op: Option<&str>) -> Result<Option<bool>, ApiError> {
    let negate = operator(&format!("{name}Op"), op)?;
    value.map(|v| boolean(name, v).map(|v| v != negate)).transpose()
}

/// The `email` filter: by substring (the default), or `eq` / `neq`; `email_exact=true` wins over
/// the operator (an equality); no filter for an empty or missing `email`.
fn email_filter(
    email: Option<&str>,
    exact: Option<&str>,
    op: Option<&str>,
) -> Result<Option<TextMatch>, ApiError> {
    let exact = exact.map(|e| boolean("email_exact", e)).transpose()?.unwrap_or(false);
    let op = match op.map(str::trim) {
        None | Some("") => "contains",
        Some(op @ ("eq" | "neq" | "contains")) => op,
        Some(_) => return Err(invalid("emailOp", "must be eq, neq or contains")),
    };
    let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else { return Ok(None) };
    let email = email.to_lowercase();
    Ok(Some(match op {
        _ if exact => TextMatch::Eq(email),
        "neq" => TextMatch::Neq(email),
        "eq" => TextMatch::Eq(email),
        _ => TextMatch::Contains(email),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<AccessLogRequest, ApiError> {
        let query: String = pairs.iter().map(|(k, v)| format!("{k}={v}&")).collect();
        let params: AccessLogParams = serde_urlencoded_like(&query);
        params.parse()
    }

    fn serde_urlencoded_like(query: &str) -> AccessLogParams {
        let map: serde_json::Map<String, Value> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
            .collect();
        serde_json::from_value(Value::Object(map)).unwrap()
    }

    #[test]
    fn defaults_are_25_newest_first() {
        let request = parse(&[]).unwrap();
        assert_eq!(request.pagination, Pagination { page: 1, per_page: 25 });
        let query = request.query.unwrap();
        assert_eq!(query.direction, Direction::Desc);
        assert_eq!(query.page, PageRequest { offset: 0, limit: 25 });
    }

    #[test]
    fn operators_negate_and_pages_offset() {
        let request = parse(&[
            ("allowed", "true"),
            ("allowedOp", "neq"),
            ("per_page", "10"),
            ("page", "3"),
            ("limit", "5"),
        ])
        .unwrap();
        let query = request.query.unwrap();
        assert_eq!(query.allowed, Some(false));
        assert_eq!(query.page, PageRequest { offset: 20, limit: 10 });
        let query = parse(&[("ray_id", "ABCDEF0123456789"), ("ray_idOp", "neq")]).unwrap().query.unwrap();
        assert_eq!(query.ray_id, Some(Match::Neq("abcdef0123456789".to_owned())));
    }

    #[test]
    fn email_filters_are_substrings_unless_exact_or_an_operator_says_so() {
        let filter = |pairs: &[(&str, &str)]| parse(pairs).unwrap().query.unwrap().user_email;
        assert_eq!(filter(&[("email", "Alice@")]), Some(TextMatch::Contains("alice@".into())));
        assert_eq!(
            filter(&[("email", "a@example.com"), ("email_exact", "true")]),
            Some(TextMatch::Eq("a@example.com".into()))
        );
        assert_eq!(filter(&[("email", "a"), ("emailOp", "eq")]), Some(TextMatch::Eq("a".into())));
        assert_eq!(filter(&[("email", "a"), ("emailOp", "neq")]), Some(TextMatch::Neq("a".into())));
        assert_eq!(
            filter(&[("email", "a"), ("emailOp", "neq"), ("email_exact", "true")]),
            Some(TextMatch::Eq("a".into())),
            "email_exact wins"
        );
        assert_eq!(filter(&[("email", " ")]), None);
        assert_eq!(filter(&[]), None);
    }

    #[test]
    fn bad_values_are_12091() {
        for pairs in [
            &[("limit", "0")][..],
            &[("limit", "1001")],
            &[("direction", "up")],
            &[("since", "yesterday")],
            &[("allowed", "maybe")],
            &[("allowedOp", "gt")],
            &[("app_uid", "nope")],
            &[("service_token_id", "x")],
            &[("emailOp", "like")],
            &[("idpOp", "in")],
        ] {
            let error = parse(pairs).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidUrlParameter, "{pairs:?}");
        }
    }
}
