//! Loading and compiling one account's access configuration from the store. Anything that
//! cannot be compiled fails closed: an application with a broken or missing policy refuses every
//! request; a group that does not compile is left out, which the engine treats as unknown
//! (never granting access).

use std::collections::HashMap;
use std::sync::Arc;

use gatehouse_domain::access::{
    self, AppRules, Application, CompiledGroup, Decision, DomainPattern, EmailLists, Group, IdentityProvider,
    IdpId, ListId, Organization, Policy, PolicyId, User, ZeroTrustList,
};
use gatehouse_domain::{AccountId, Clock, ServerKey, TokenDuration};
use gatehouse_store::{ResourceKind, Store, StoreError};
use http::HeaderName;
use http::uri::{Scheme, Uri};
use serde::de::DeserializeOwned;

use super::{AccountAccess, AccountSettings, App, AppLogin, Origin, People, Revocation};
use crate::keys::{AccountKeys, KeyMaterial, ensure_signing_keys};
use crate::login::Idp;

/// The organization gatehouse uses for an account that never configured one (the management
/// API creates the same defaults on first read).
const DEFAULT_AUTH_DOMAIN: &str = "gatehouse.local";
/// Session lifetime when an application's `session_duration` is missing or unusable.
const DEFAULT_SESSION_SECS: u64 = 24 * 3600;

/// Reads and compiles `account`, creating its signing keys when it has none. `known` keys are
/// reused when their kid is unchanged.
pub(crate) async fn load_account(
    store: &dyn Store,
    server_key: &Arc<ServerKey>,
    clock: &dyn Clock,
    account: &AccountId,
    known: &[Arc<KeyMaterial>],
    key_bits: usize,
) -> Result<AccountAccess, StoreError> {
    let organization: Option<Organization> =
        documents(store, ResourceKind::Organization, account).await?.into_iter().next();
    let groups: Vec<Group> = documents(store, ResourceKind::Group, account).await?;
    let policies: Vec<Policy> = documents(store, ResourceKind::Policy, account).await?;
    let apps: Vec<Application> = documents(store, ResourceKind::Application, account).await?;
    let lists = load_lists(store, account).await?;
    let people = load_people(store, server_key, account).await?;
    let (stored_keys, _) = ensure_signing_keys(store, server_key, clock, account, key_bits).await?;
    let keys = AccountKeys::load(&stored_keys, server_key, known)
        .map_err(|e| StoreError::Corrupt(format!("signing keys of account {account}: {e}")))?;

    let auth_domain =
        organization.as_ref().map_or(DEFAULT_AUTH_DOMAIN, |o| o.auth_domain.as_str()).to_owned();
    let settings = Arc::new(AccountSettings {
        id: account.clone(),
        issuer: format!("https://{auth_domain}"),
        auth_domain,
        strict: organization.as_ref().is_some_and(|o| o.strict_service_token_auth),
        groups: compile_groups(&groups, &lists),
        keys,
        people,
    });
    let policies: HashMap<PolicyId, &Policy> = policies.iter().map(|p| (p.id, p)).collect();
    let mut routes = Vec::new();
    for app in &apps {
        let Some(compiled) = compile_app(app, &policies, &lists, &settings) else { continue };
        let compiled = Arc::new(compiled);
        for pattern in patterns(app) {
            routes.push((pattern, compiled.clone()));
        }
    }
    Ok(AccountAccess { settings, routes })
}

/// The account's identity providers (one that cannot be used is logged and left out), the
/// people whose sessions were revoked, and what each person's latest login established.
async fn load_people(
    store: &dyn Store,
    server_key: &ServerKey,
    account: &AccountId,
) -> Result<People, StoreError> {
    let mut idps = Vec::new();
    for resource in store.list_resources(ResourceKind::IdentityProvider, account).await? {
        let compiled = serde_json::from_str::<IdentityProvider>(&resource.body)
            .map_err(|e| e.to_string())
            .and_then(|doc| Idp::compile(&resource.id, &doc, server_key));
        match compiled {
            Ok(idp) => idps.push(Arc::new(idp)),
            Err(error) => {
                tracing::error!(idp = %resource.id, %error, "an identity provider cannot be used; nobody can log in with it");
            }
        }
    }
    let mut revoked = HashMap::new();
    let mut identities = HashMap::new();
    for resource in store.list_resources(ResourceKind::User, account).await? {
        match serde_json::from_str::<User>(&resource.body) {
            Ok(user) => {
                if let Some(at) = user.sessions_revoked_at {
                    revoked.insert(
                        user.email.clone(),
                        Revocation { at: at.unix(), generation: user.sessions_generation },
                    );
                }
                if let Some(identity) = user.identity {
                    identities.insert(user.email, identity);
                }
            }
            // Fail closed would lock nobody out here; log it, as for other documents.
            Err(error) => tracing::error!(user = %resource.id, %error, "a stored person does not decode"),
        }
    }
    Ok(People { idps, revoked, identities })
}

/// `allowed_idps` and `auto_redirect_to_identity`, kept by the API among the fields it does not
/// interpret; ids that do not parse are left out.
fn app_login(app: &Application) -> AppLogin {
    let allowed_idps = app
        .extra
        .get("allowed_idps")
        .and_then(|v| v.as_array())
        .map(|ids| ids.iter().filter_map(|id| id.as_str()).filter_map(|id| IdpId::parse(id).ok()).collect())
        .unwrap_or_default();
    let auto_redirect = app.extra.get("auto_redirect_to_identity").and_then(|v| v.as_bool()).unwrap_or(false);
    AppLogin { allowed_idps, auto_redirect }
}

/// Every document of `kind`; one that does not decode is logged and left out.
async fn documents<T: DeserializeOwned>(
    store: &dyn Store,
    kind: ResourceKind,
    account: &AccountId,
) -> Result<Vec<T>, StoreError> {
    let resources = store.list_resources(kind, account).await?;
    Ok(resources
        .into_iter()
        .filter_map(|r| match serde_json::from_str(&r.body) {
            Ok(doc) => Some(doc),
            Err(error) => {
                tracing::error!(kind = kind.as_str(), id = %r.id, %error, "a stored access document does not decode");
                None
            }
        })
        .collect())
}

/// The account's `EMAIL` lists, which `email_list` rules are compiled against (read with the rest
/// of the account, so a change to a list takes effect with the account's next snapshot). A list
/// that does not decode is logged and left out: rules naming it fail closed.
async fn load_lists(store: &dyn Store, account: &AccountId) -> Result<EmailLists, StoreError> {
    let mut lists = Vec::new();
    for resource in store.list_resources(ResourceKind::GatewayList, account).await? {
        match (ListId::parse(&resource.id), serde_json::from_str::<ZeroTrustList>(&resource.body)) {
            (Ok(id), Ok(list)) => lists.push((id, list)),
            _ => {
                tracing::error!(list = %resource.id, "a stored Zero Trust list does not decode; rules naming it never match")
            }
        }
    }
    Ok(EmailLists::new(lists.iter().map(|(id, list)| (*id, list))))
}

fn compile_groups(
    groups: &[Group],
    lists: &EmailLists,
) -> HashMap<gatehouse_domain::access::GroupId, CompiledGroup> {
    let (compiled, errors) = access::compile_groups(groups, lists);
    for (group, error) in errors {
        tracing::error!(group = %group, %error, "an access group does not compile; it will never match");
    }
    compiled
}

/// The compiled application, or `None` when it is not routable (not `self_hosted`, no origin).
fn compile_app(
    app: &Application,
    policies: &HashMap<PolicyId, &Policy>,
    lists: &EmailLists,
    settings: &Arc<AccountSettings>,
) -> Option<App> {
    if app.app_type != "self_hosted" {
        return None;
    }
    let origin = match app.origin.as_deref().map(parse_origin) {
        Some(Ok(origin)) => origin,
        Some(Err(error)) => {
            tracing::error!(app = %app.id, %error, "the application's origin is unusable; it is not routed");
            return None;
        }
        None => return None,
    };
    let rules = AppRules::compile(&app.policies, |id| policies.get(&id).copied(), lists);
    for problem in &rules.problems {
        tracing::error!(app = %app.id, %problem, "the application refuses every request");
    }
    let policy_sessions = app
        .policies
        .iter()
        .filter_map(|link| policies.get(&link.id))
        .filter_map(|policy| Some((policy.id, policy.session_duration.as_deref().and_then(session_secs)?)))
        .collect();
    let broken = rules.broken();
    let compiled = rules.policies;
    let token_header = app.read_service_tokens_from_header.as_deref().filter(|h| !h.is_empty()).and_then(|name| {
        let parsed = HeaderName::try_from(name).ok();
        if parsed.is_none() {
            tracing::error!(app = %app.id, "read_service_tokens_from_header is not a valid header name; it is ignored");
        }
        parsed
    });
    Some(App {
        id: app.id,
        account: settings.clone(),
        name: app.name.clone(),
        domain: app.domain.clone(),
        aud: app.aud.clone(),
        origin,
        has_allow_policy: compiled.iter().any(|p| p.decision == Decision::Allow),
        has_service_auth_policy: compiled.iter().any(|p| p.decision == Decision::NonIdentity),
        policies: compiled,
        policy_sessions,
        session_secs: session_secs(&app.session_duration).unwrap_or(DEFAULT_SESSION_SECS),
        service_auth_401_redirect: app.service_auth_401_redirect,
        token_header,
        sessions_revoked_at: app.sessions_revoked_at,
        broken,
        login: app_login(app),
    })
}

/// The application's `domain` and its public destinations, each as a route pattern.
fn patterns(app: &Application) -> Vec<DomainPattern> {
    let (patterns, errors) = access::route_patterns(app);
    for (text, error) in errors {
        tracing::error!(app = %app.id, domain = %text, %error, "an application domain does not parse; it is not routed");
    }
    patterns
}

fn parse_origin(text: &str) -> Result<Origin, String> {
    let uri: Uri = text.parse().map_err(|e| format!("{e}"))?;
    let scheme = uri.scheme().cloned().ok_or("the origin has no scheme")?;
    if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
        return Err("the origin must be an http:// or https:// URL".to_owned());
    }
    let authority = uri.authority().cloned().ok_or("the origin has no host")?;
    let base_path = uri.path().trim_end_matches('/').to_owned();
    Ok(Origin { scheme, authority, base_path })
}

/// Seconds of a Go duration (`24h`, `30m`); `None` when unusable (`forever` is not a session).
fn session_secs(text: &str) -> Option<u64> {
    match TokenDuration::parse(text).ok()? {
        TokenDuration::Forever => None,
        finite => {
            let secs = finite.expires_from(gatehouse_domain::Timestamp::EPOCH).unix();
            u64::try_from(secs).ok().filter(|s| *s > 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_http_or_https_urls() {
        let origin = parse_origin("http://127.0.0.1:9000").unwrap();
        assert_eq!(origin.authority.as_str(), "127.0.0.1:9000");
        assert_eq!(origin.base_path, "");
        assert_eq!(parse_origin("https://api.internal/base/").unwrap().base_path, "/base");
        assert!(parse_origin("ftp://x").is_err());
        assert!(parse_origin("127.0.0.1:9000").is_err());
    }

    #[test]
    fn session_durations_are_go_durations() {
        assert_eq!(session_secs("24h"), Some(86_400));
        assert_eq!(session_secs("1m30s"), Some(90));
        assert_eq!(session_secs("forever"), None);
        assert_eq!(session_secs("soon"), None);
    }
}
