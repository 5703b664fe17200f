//! Identity providers (`/access/identity_providers`): where people log in. Cloudflare's shape:
//! `{id, name, type, config, scim_config}`. The `client_secret` of the config is sealed under the
//! server key on write and never returned; reads return `config.redirect_url`, the one callback
//! every provider is registered with (`https://<auth_domain>/cdn-cgi/access/callback`).
//!
//! Types `oidc`, `onetimepin` (a code mailed to the person; its config is empty and it has
//! no secret) and `github` (an OAuth app: `client_id`, `client_secret`, and, for GitHub
//! Enterprise Server, the gatehouse fields `base_url` and `api_url`) are supported. The other
//! Cloudflare types are refused with a 400 naming the type, so a configuration never looks
//! accepted when logins cannot work.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use gatehouse_domain::AccountId;
use gatehouse_domain::access::{IdpId, Organization};
use gatehouse_store::ResourceKind;
use serde_json::{Map, Value, json};

use super::document::{Document, load, load_all, load_one, parse_id};
use super::organization::DEFAULT_AUTH_DOMAIN;
use super::references::{provider_in_use, provider_is_referenced};
use super::{MAX_ATTEMPTS, NameFilter, Stored, gave_up, page};
use crate::audit::{self, Change};
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;
use gatehouse_domain::AuditActor;

/// The path of the callback every identity provider redirects to, on the auth domain.
pub const CALLBACK_PATH: &str = "/cdn-cgi/access/callback";
/// The identity provider types gatehouse can log people in with.
pub const SUPPORTED_TYPES: [&str; 3] = ["oidc", "onetimepin", "github"];
/// Types Cloudflare has that gatehouse does not implement (yet).
const KNOWN_UNSUPPORTED: [&str; 11] = [
    "google",
    "google-apps",
    "azureAD",
    "okta",
    "onelogin",
    "pingone",
    "saml",
    "centrify",
    "facebook",
    "linkedin",
    "yandex",
];
const MAX_NAME_LEN: usize = 350;
const MAX_SECRET_LEN: usize = 4096;

pub use gatehouse_domain::access::IdentityProvider;

impl Document for IdentityProvider {
    const KIND: ResourceKind = ResourceKind::IdentityProvider;
}

pub async fn create(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    body: Value,
) -> Result<Value, ApiError> {
    let idp = parse(state, body, None)?;
    let id = IdpId::generate().to_string();
    let stored = Stored::new(idp, id, account, state.clock.now());
    let out = output(&stored, &auth_domain(state, account).await?);
    let change = Change::new("create", "identity_provider", &stored.id).after(Some(out.clone()));
    if !audit::commit(state, actor, account, &[stored.insert()?], change).await? {
        return Err(gave_up());
    }
    Ok(out)
}

pub async fn get(state: &AppState, account: &AccountId, id: &str) -> Result<Value, ApiError> {
    let stored = load_one::<IdentityProvider>(state, account, id).await?;
    Ok(output(&stored, &auth_domain(state, account).await?))
}

pub async fn list(
    state: &AppState,
    account: &AccountId,
    filter: &NameFilter,
    pagination: Pagination,
) -> Result<(Vec<Value>, u64), ApiError> {
    let domain = auth_domain(state, account).await?;
    let all = load_all::<IdentityProvider>(state, account).await?;
    let matching = all.into_iter().filter(|idp| filter.matches(&idp.doc.name, &idp.id)).collect();
    let (items, total) = page(matching, pagination);
    Ok((items.iter().map(|idp| output(idp, &domain)).collect(), total))
}

/// Replaces the provider (a PUT). A config without `client_secret` keeps the stored one, so a
/// client that read the provider (which never shows the secret) can write it back unchanged.
pub async fn update(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
    body: Value,
) -> Result<Value, ApiError> {
    let domain = auth_domain(state, account).await?;
    for _ in 0..MAX_ATTEMPTS {
        let mut stored = load_one::<IdentityProvider>(state, account, id).await?;
        let old = output(&stored, &domain);
        stored.doc = parse(state, body.clone(), Some(&stored.doc))?;
        let write = stored.update(state.clock.now())?;
        let out = output(&stored, &domain);
        let change =
            Change::new("update", "identity_provider", id).before(Some(old)).after(Some(out.clone()));
        if audit::commit(state, actor, account, &[write], change).await? {
            return Ok(out);
        }
    }
    Err(gave_up())
}

pub async fn delete(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    id: &str,
) -> Result<Value, ApiError> {
    let domain = auth_domain(state, account).await?;
    for _ in 0..MAX_ATTEMPTS {
        let stored = load_one::<IdentityProvider>(state, account, id).await?;
        let idp = parse_id::<IdentityProvider>(id)?;
        if stored.doc.kind == "github" && provider_is_referenced(state, account, idp).await? {
            return Err(provider_in_use());
        }
        let change = Change::new("delete", "identity_provider", id).before(Some(output(&stored, &domain)));
        if audit::commit(state, actor, account, &stored.delete()?, change).await? {
            return Ok(json!({ "id": id }));
        }
    }
    Err(gave_up())
}

/// Every identity provider of the account, as stored (for the gateway's login flow).
pub async fn all(state: &AppState, account: &AccountId) -> Result<Vec<Stored<IdentityProvider>>, ApiError> {
    load_all::<IdentityProvider>(state, account).await
}

async fn auth_domain(state: &AppState, account: &AccountId) -> Result<String, ApiError> {
    let organization = load::<Organization>(state, account, account.as_str()).await?;
    Ok(organization.map_or_else(|| DEFAULT_AUTH_DOMAIN.to_owned(), |org| org.doc.auth_domain))
}

/// The provider as the API returns it: the config without the secret, with `redirect_url`.
fn output(stored: &Stored<IdentityProvider>, auth_domain: &str) -> Value {
    let mut config = stored.doc.config.clone();
    config.insert("redirect_url".to_owned(), Value::String(format!("https://{auth_domain}{CALLBACK_PATH}")));
    let mut out = json!({
        "id": stored.id,
        "name": stored.doc.name,
        "type": stored.doc.kind,
        "config": config,
    });
    if let (Some(scim), Some(map)) = (&stored.doc.scim_config, out.as_object_mut()) {
        map.insert("scim_config".to_owned(), scim.clone());
    }
    out
}

/// Checks a create or update body; `previous` is the stored provider on update (its secret is
/// kept when the body has none).
fn parse(
    state: &AppState,
    body: Value,
    previous: Option<&IdentityProvider>,
) -> Result<IdentityProvider, ApiError> {
    let Value::Object(mut body) = body else {
        return Err(ApiError::invalid("expected a JSON object"));
    };
    let name = match body.remove("name") {
        Some(Value::String(name)) if !name.trim().is_empty() && name.chars().count() <= MAX_NAME_LEN => name,
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "invalid 'name': a non-empty string of at most {MAX_NAME_LEN} characters"
            )));
        }
        None => return Err(ApiError::invalid("'name' is required")),
    };
    let kind = match body.remove("type") {
        Some(Value::String(kind)) if SUPPORTED_TYPES.contains(&kind.as_str()) => kind,
        Some(Value::String(kind)) if KNOWN_UNSUPPORTED.contains(&kind.as_str()) => {
            return Err(ApiError::invalid(format!(
                "identity provider type '{kind}' is not supported by gatehouse; supported: oidc, onetimepin, github"
            )));
        }
        Some(_) => {
            return Err(ApiError::invalid("invalid 'type': expected \"oidc\", \"onetimepin\" or \"github\""));
        }
        None => return Err(ApiError::invalid("'type' is required")),
    };
    if previous.is_some_and(|old| old.kind != kind) {
        return Err(ApiError::invalid("'type' cannot change; create a new identity provider"));
    }
    let mut config = match body.remove("config") {
        Some(Value::Object(config)) => config,
        Some(_) => return Err(ApiError::invalid("invalid 'config': expected an object")),
        None => return Err(ApiError::invalid("'config' is required")),
    };
    // Server-made: a body read back from the API may carry it.
    config.remove("redirect_url");
    if kind == "onetimepin" {
        if config.contains_key("client_secret") {
            return Err(ApiError::invalid("a onetimepin identity provider has no 'config.client_secret'"));
        }
        let scim_config = scim(&mut body)?;
        return Ok(IdentityProvider { name, kind, config, sealed_client_secret: None, scim_config });
    }
    let sealed_client_secret = match config.remove("client_secret") {
        Some(Value::String(secret)) if !secret.is_empty() && secret.len() <= MAX_SECRET_LEN => {
            Some(BASE64.encode(state.key.seal(secret.as_bytes())))
        }
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "invalid 'config.client_secret': a non-empty string of at most {MAX_SECRET_LEN} bytes"
            )));
        }
        None => match previous.and_then(|old| old.sealed_client_secret.clone()) {
            Some(kept) => Some(kept),
            None => return Err(ApiError::invalid("'config.client_secret' is required")),
        },
    };
    if kind == "github" {
        check_github(&config)?;
    } else {
        check_oidc(&config)?;
    }
    let scim_config = scim(&mut body)?;
    Ok(IdentityProvider { name, kind, config, sealed_client_secret, scim_config })
}

fn scim(body: &mut Map<String, Value>) -> Result<Option<Value>, ApiError> {
    match body.remove("scim_config") {
        None | Some(Value::Null) => Ok(None),
        Some(scim @ Value::Object(_)) => Ok(Some(scim)),
        Some(_) => Err(ApiError::invalid("invalid 'scim_config': expected an object")),
    }
}

/// The fields of a `github` config that gatehouse uses; unknown ones are kept as written.
/// `base_url` (default `https://github.com`) and `api_url` (default `https://api.github.com`)
/// are gatehouse's, for GitHub Enterprise Server (`https://HOST` and `https://HOST/api/v3`).
fn check_github(config: &Map<String, Value>) -> Result<(), ApiError> {
    check_client_id(config)?;
    for field in ["base_url", "api_url"] {
        let Some(value) = config.get(field) else { continue };
        let url =
            value.as_str().filter(|url| is_http_url(url) && !url.contains(['?', '#'])).ok_or_else(|| {
                ApiError::invalid(format!("invalid 'config.{field}': expected an https URL without query"))
            })?;
        require_https_or_loopback(field, url, "GitHub")?;
    }
    Ok(())
}

/// Refuses a plain `http://` `url` in `config.{field}` to another host than this one: the
/// client secret, the codes and the people's tokens travel to `who` (or, for an issuer, the
/// ID tokens name it).
fn require_https_or_loopback(field: &str, url: &str, who: &str) -> Result<(), ApiError> {
    if is_https_or_loopback(url) {
        return Ok(());
    }
    Err(ApiError::invalid(format!(
        "invalid 'config.{field}': {who} is reached over https (plain http only on this host: \
         127.0.0.1, ::1, localhost), since the client secret and the people's access tokens \
         travel to it"
    )))
}

/// An `https://` URL, or an `http://` one whose host is this machine.
fn is_https_or_loopback(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Ok(uri) = url.parse::<http::Uri>() else { return false };
    let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn check_client_id(config: &Map<String, Value>) -> Result<(), ApiError> {
    match config.get("client_id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(()),
        Some(_) => Err(ApiError::invalid("invalid 'config.client_id': expected a non-empty string")),
        None => Err(ApiError::invalid("'config.client_id' is required")),
    }
}

/// The fields of an `oidc` config that gatehouse uses; unknown ones are kept as written.
fn check_oidc(config: &Map<String, Value>) -> Result<(), ApiError> {
    check_client_id(config)?;
    for field in ["auth_url", "token_url", "certs_url"] {
        match config.get(field) {
            Some(Value::String(url)) if is_http_url(url) => {
                require_https_or_loopback(field, url, "the identity provider")?;
            }
            Some(_) => {
                return Err(ApiError::invalid(format!(
                    "invalid 'config.{field}': expected an https URL (http only on this host)"
                )));
            }
            None => return Err(ApiError::invalid(format!("'config.{field}' is required"))),
        }
    }
    for field in ["scopes", "claims"] {
        match config.get(field) {
            None => {}
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
            Some(_) => {
                return Err(ApiError::invalid(format!(
                    "invalid 'config.{field}': expected a list of strings"
                )));
            }
        }
    }
    for field in ["email_claim_name", "issuer"] {
        match config.get(field) {
            None | Some(Value::String(_)) => {}
            Some(_) => return Err(ApiError::invalid(format!("invalid 'config.{field}': expected a string"))),
        }
    }
    // An issuer is compared, not fetched; but an `http://` one off this host says the provider is
    // reached without TLS (an issuer that is no URL at all, such as `accounts.google.com`, is
    // kept as written).
    if let Some(issuer) = config.get("issuer").and_then(Value::as_str).filter(|i| i.starts_with("http://")) {
        require_https_or_loopback("issuer", issuer, "the identity provider")?;
    }
    match config.get("pkce_enabled") {
        None | Some(Value::Bool(_)) => Ok(()),
        Some(_) => Err(ApiError::invalid("invalid 'config.pkce_enabled': expected true or false")),
    }
}

fn is_http_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        !rest.is_empty() && !rest.starts_with('/') && !rest.chars().any(char::is_whitespace)
    })
}
