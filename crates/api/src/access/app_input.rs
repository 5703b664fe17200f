//! An application's request body: the fields gatehouse interprets are validated (a routable
//! `domain`, a session duration, a header name, an origin URL), everything else is kept in
//! `extra` and returned unchanged. `policies` is planned separately ([`super::app_links`]).

use gatehouse_domain::AccountId;
use gatehouse_domain::access::{AppId, Application, DomainPattern, PolicyLink};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::input::{name, session_duration, without};
use crate::error::ApiError;

/// Cloudflare's application types. All are stored; gatehouse routes `self_hosted` only.
const TYPES: [&str; 14] = [
    "self_hosted",
    "saas",
    "ssh",
    "vnc",
    "app_launcher",
    "warp",
    "biso",
    "bookmark",
    "dash_sso",
    "infrastructure",
    "rdp",
    "mcp",
    "mcp_portal",
    "proxy_endpoint",
];

/// Fields of an application that only the server sets.
const SERVER_FIELDS: [&str; 7] =
    ["id", "uid", "aud", "created_at", "updated_at", "sessions_revoked_at", "account_id"];

const DEFAULT_SESSION_DURATION: &str = "24h";

/// An application as a client sends it. Fields not listed are kept and returned unchanged.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AppInput {
    /// Required: 1 to 350 characters.
    name: Option<String>,
    /// Required: `self_hosted` (routed by the gateway) or another Cloudflare type (stored only).
    #[serde(rename = "type")]
    app_type: Option<String>,
    /// Required: host with optional path, wildcards allowed, e.g. `app.example.com/api`.
    domain: Option<String>,
    /// `{"type": "public", "uri": …}` objects; the first is `domain`.
    #[schema(value_type = Option<Vec<Object>>)]
    destinations: Option<Vec<Value>>,
    /// A positive Go duration (default `24h`).
    session_duration: Option<String>,
    /// Policy ids, `{"id", "precedence"}` links, or inline policies; absent on a PUT means "keep
    /// the current ones".
    #[schema(value_type = Option<Vec<Object>>)]
    pub policies: Option<Vec<Value>>,
    service_auth_401_redirect: Option<bool>,
    read_service_tokens_from_header: Option<String>,
    /// gatehouse extension: where allowed requests go (`http://` or `https://` URL). A `PUT`
    /// without it keeps the current origin (Cloudflare's SDKs cannot send it); `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    origin: Option<Option<String>>,
    #[serde(flatten)]
    #[schema(ignore)]
    extra: Map<String, Value>,
}

/// Every client-settable field but `policies`, validated.
#[derive(Debug, Clone)]
pub struct AppFields {
    name: String,
    app_type: String,
    domain: String,
    destinations: Vec<Value>,
    session_duration: String,
    service_auth_401_redirect: bool,
    read_service_tokens_from_header: Option<String>,
    origin: Origin,
    extra: Map<String, Value>,
}

/// What the request said about the gatehouse-only `origin`.
#[derive(Debug, Clone)]
enum Origin {
    /// Not mentioned: a create has none, an update keeps the stored one.
    Unmentioned,
    /// `null`, or a validated URL.
    Set(Option<String>),
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent at all (`None`, by `default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl AppInput {
    /// The validated fields, and the `policies` input still to be planned.
    pub fn validate(self) -> Result<(AppFields, Option<Vec<Value>>), ApiError> {
        let app_type =
            self.app_type.ok_or_else(|| ApiError::invalid("'type' is required, e.g. \"self_hosted\""))?;
        if !TYPES.contains(&app_type.as_str()) {
            return Err(ApiError::invalid(format!("invalid 'type': expected one of {}", TYPES.join(", "))));
        }
        let domain =
            self.domain.ok_or_else(|| ApiError::invalid("'domain' is required, e.g. \"app.example.com\""))?;
        DomainPattern::parse(&domain)
            .map_err(|error| ApiError::invalid(format!("invalid 'domain': {error}")))?;
        let destinations = match self.destinations {
            Some(destinations) => validate_destinations(destinations)?,
            None => vec![json!({"type": "public", "uri": domain})],
        };
        let fields = AppFields {
            name: name(Some(self.name.unwrap_or_else(|| domain.clone())), "")?,
            app_type,
            destinations,
            domain,
            session_duration: session_duration(self.session_duration, "")?
                .unwrap_or_else(|| DEFAULT_SESSION_DURATION.to_owned()),
            service_auth_401_redirect: self.service_auth_401_redirect.unwrap_or(false),
            read_service_tokens_from_header: header_name(self.read_service_tokens_from_header)?,
            origin: match self.origin {
                None => Origin::Unmentioned,
                Some(given) => Origin::Set(given.map(origin).transpose()?),
            },
            extra: without(self.extra, &SERVER_FIELDS),
        };
        Ok((fields, self.policies))
    }
}

impl AppFields {
    pub fn into_app(self, id: AppId, aud: String, policies: Vec<PolicyLink>) -> Application {
        Application {
            id,
            aud,
            name: self.name,
            app_type: self.app_type,
            domain: self.domain,
            destinations: self.destinations,
            session_duration: self.session_duration,
            policies,
            service_auth_401_redirect: self.service_auth_401_redirect,
            read_service_tokens_from_header: self.read_service_tokens_from_header,
            origin: match self.origin {
                Origin::Unmentioned => None,
                Origin::Set(origin) => origin,
            },
            sessions_revoked_at: None,
            extra: self.extra,
        }
    }

    /// Replaces every client-settable field of `app` (Cloudflare's `PUT`); its id, `aud` and
    /// revocation time stay, and so does the gatehouse-only `origin` unless the request names it:
    /// an unchanged Cloudflare client renaming an app must not cut it off from its origin.
    pub fn replace(self, app: &mut Application, policies: Vec<PolicyLink>) {
        let sessions_revoked_at = app.sessions_revoked_at;
        let origin = app.origin.take();
        let keep_origin = matches!(self.origin, Origin::Unmentioned);
        *app = AppFields::into_app(self, app.id, std::mem::take(&mut app.aud), policies);
        app.sessions_revoked_at = sessions_revoked_at;
        if keep_origin {
            app.origin = origin;
        }
    }
}

/// A new audience tag: 64 lowercase hex (256 bits) from the OS random source, the shape of
/// Cloudflare's `aud`. Two account ids are two independent 128-bit draws in exactly that form.
pub fn new_aud() -> String {
    format!("{}{}", AccountId::generate(), AccountId::generate())
}

/// Public destinations must be routable hostnames (with optional paths), like `domain`; other
/// kinds (private networks, workers) are stored as sent.
fn validate_destinations(destinations: Vec<Value>) -> Result<Vec<Value>, ApiError> {
    for (index, destination) in destinations.iter().enumerate() {
        let kind = destination.get("type").and_then(Value::as_str).ok_or_else(|| {
            ApiError::invalid(format!(
                "invalid 'destinations[{index}].type': expected a string such as \"public\""
            ))
        })?;
        if kind == "public" {
            let uri = destination.get("uri").and_then(Value::as_str).ok_or_else(|| {
                ApiError::invalid(format!(
                    "invalid 'destinations[{index}].uri': a public destination needs a uri"
                ))
            })?;
            DomainPattern::parse(uri).map_err(|error| {
                ApiError::invalid(format!("invalid 'destinations[{index}].uri': {error}"))
            })?;
        }
    }
    Ok(destinations)
}

/// A header name (an empty string means none).
fn header_name(header: Option<String>) -> Result<Option<String>, ApiError> {
    match header {
        Some(header) if header.is_empty() => Ok(None),
        Some(header) => match http::HeaderName::from_bytes(header.as_bytes()) {
            Ok(_) => Ok(Some(header)),
            Err(_) => Err(ApiError::invalid(
                "invalid 'read_service_tokens_from_header': expected an HTTP header name",
            )),
        },
        None => Ok(None),
    }
}

/// gatehouse's `origin`: an absolute `http://` or `https://` URL with a host, no query or fragment.
fn origin(origin: String) -> Result<String, ApiError> {
    let invalid = || {
        ApiError::invalid(
            "invalid 'origin': expected an http:// or https:// URL such as \"http://127.0.0.1:9000\"",
        )
    };
    let uri: http::Uri = origin.parse().map_err(|_| invalid())?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let host_ok = uri.host().is_some_and(|host| !host.is_empty());
    if !scheme_ok || !host_ok || uri.query().is_some() || origin.contains('#') {
        return Err(invalid());
    }
    Ok(origin)
}
