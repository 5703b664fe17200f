//! Everything the request path reads, in memory: service tokens by client id ([`TokenSnapshot`],
//! changed in place), and the access configuration ([`AccessSnapshot`]: applications compiled
//! into a route table, policies compiled and sorted, groups, organization settings and unsealed
//! signing keys per account), replaced as a whole through an `ArcSwap` when an account's
//! configuration changes. Nothing here touches the database on the request path; loading
//! (`access::load_account`) happens when the gateway starts and when the API reports a change.

mod access;
mod tokens;

use std::collections::HashMap;
use std::sync::Arc;

use gatehouse_domain::access::{
    AppId, CompiledGroup, CompiledPolicy, DomainPattern, GroupId, Identity, IdpId, Person, PolicyId,
    RouteTable,
};
use gatehouse_domain::{AccountId, Timestamp};
use http::HeaderName;
use http::uri::{Authority, Scheme};

pub(crate) use access::load_account;
pub(crate) use tokens::{Authenticated, Rehash, TokenSnapshot, Use};

use crate::keys::AccountKeys;
use crate::login::Idp;

/// The access configuration of every account, and the route table over all their applications.
#[derive(Debug, Default)]
pub(crate) struct AccessSnapshot {
    pub routes: RouteTable<Arc<App>>,
    /// Every routable application by id (the access log reads an outcome's application).
    pub apps: HashMap<AppId, Arc<App>>,
    /// Oldest account first (the default account of `/cdn-cgi/access/certs`).
    pub accounts: Vec<Arc<AccountAccess>>,
}

/// One account's compiled configuration.
#[derive(Debug)]
pub(crate) struct AccountAccess {
    pub settings: Arc<AccountSettings>,
    /// Each routable application with each of its patterns.
    pub routes: Vec<(DomainPattern, Arc<App>)>,
}

/// What the request path needs to know about an account.
#[derive(Debug)]
pub(crate) struct AccountSettings {
    pub id: AccountId,
    /// The JWT issuer host; `iss` is `https://<auth_domain>`.
    pub auth_domain: String,
    pub issuer: String,
    /// `strict_service_token_auth`.
    pub strict: bool,
    /// Groups that compiled; a missing one counts as unknown and never grants access.
    pub groups: HashMap<GroupId, CompiledGroup>,
    pub keys: AccountKeys,
    /// Identity providers and revoked people.
    pub people: People,
}

/// What the login flow and people's sessions need of an account.
#[derive(Debug, Default)]
pub(crate) struct People {
    /// The identity providers people can log in with (those that compiled), oldest first.
    pub idps: Vec<Arc<Idp>>,
    /// Lowercase e-mail address → when the person's sessions were last revoked.
    pub revoked: HashMap<String, Revocation>,
    /// Lowercase e-mail address → what the person's latest login established (claims, `amr`),
    /// which `oidc` and `auth_method` rules read on every request.
    pub identities: HashMap<String, Identity>,
}

/// The last revocation of a person's sessions: its second (for sessions without a generation)
/// and the person's sessions generation after it (`User::revoke_sessions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Revocation {
    pub at: i64,
    pub generation: u64,
}

impl People {
    pub fn idp(&self, id: IdpId) -> Option<&Arc<Idp>> {
        self.idps.iter().find(|idp| idp.id == id)
    }

    /// The person of a session as the policies see them: with their stored identity when it
    /// comes from the session's identity provider.
    pub fn person<'a>(&'a self, email: &'a str, idp: Option<IdpId>) -> Person<'a> {
        Person::new(email, idp).with_identity(self.identities.get(email))
    }
}

/// A routable application (`self_hosted` with an origin), compiled.
#[derive(Debug)]
pub(crate) struct App {
    pub id: AppId,
    pub account: Arc<AccountSettings>,
    pub name: String,
    /// The configured `domain`, as the access log reports it (`app_domain`).
    pub domain: String,
    /// The JWT audience.
    pub aud: String,
    pub origin: Origin,
    /// Sorted by precedence.
    pub policies: Vec<CompiledPolicy>,
    /// Policies with their own `session_duration`, in seconds.
    pub policy_sessions: Vec<(PolicyId, u64)>,
    /// The application's session duration, in seconds.
    pub session_secs: u64,
    pub service_auth_401_redirect: bool,
    /// `read_service_tokens_from_header`.
    pub token_header: Option<HeaderName>,
    /// At least one `allow` policy: session cookies are issued and accepted (non-strict mode).
    pub has_allow_policy: bool,
    /// At least one `non_identity` policy (Service Auth).
    pub has_service_auth_policy: bool,
    pub sessions_revoked_at: Option<Timestamp>,
    /// A policy failed to compile or a linked policy is missing: every request is refused.
    pub broken: bool,
    /// How people log in to it.
    pub login: AppLogin,
}

/// An application's login settings.
#[derive(Debug, Default, Clone)]
pub(crate) struct AppLogin {
    /// `allowed_idps`; empty: every identity provider of the account.
    pub allowed_idps: Vec<IdpId>,
    /// `auto_redirect_to_identity`: with exactly one identity provider, skip the login page.
    pub auto_redirect: bool,
}

impl App {
    /// The identity providers people may log in to this application with.
    pub fn idps(&self) -> Vec<&Arc<Idp>> {
        let all = &self.account.people.idps;
        all.iter()
            .filter(|idp| self.login.allowed_idps.is_empty() || self.login.allowed_idps.contains(&idp.id))
            .collect()
    }
}

/// Where an application's allowed requests go.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub scheme: Scheme,
    pub authority: Authority,
    /// A path prefix from the origin URL, without a trailing `/` (often empty).
    pub base_path: String,
}

impl App {
    /// The session lifetime when `policy` admitted the request.
    pub fn session_secs_for(&self, policy: Option<PolicyId>) -> u64 {
        policy
            .and_then(|id| self.policy_sessions.iter().find(|(p, _)| *p == id).map(|(_, secs)| *secs))
            .unwrap_or(self.session_secs)
    }
}

impl AccessSnapshot {
    /// This snapshot with `account` added or replaced, and the route table rebuilt.
    pub fn with_account(&self, account: Arc<AccountAccess>) -> AccessSnapshot {
        let mut accounts = self.accounts.clone();
        match accounts.iter_mut().find(|a| a.settings.id == account.settings.id) {
            Some(slot) => *slot = account,
            None => accounts.push(account),
        }
        let mut routes = RouteTable::new();
        let mut apps = HashMap::new();
        for account in &accounts {
            for (pattern, app) in &account.routes {
                routes.insert(pattern.clone(), app.clone());
                apps.insert(app.id, app.clone());
            }
        }
        AccessSnapshot { routes, apps, accounts }
    }

    pub fn account(&self, id: &AccountId) -> Option<&Arc<AccountAccess>> {
        self.accounts.iter().find(|a| &a.settings.id == id)
    }

    /// The account whose organization's `auth_domain` is `host` (the team domain).
    pub fn account_by_auth_domain(&self, host: &str) -> Option<&Arc<AccountSettings>> {
        self.accounts.iter().map(|a| &a.settings).find(|s| s.auth_domain.eq_ignore_ascii_case(host))
    }

    /// The application whose audience is `aud`.
    pub fn app_by_aud(&self, aud: &str) -> Option<&Arc<App>> {
        self.accounts.iter().flat_map(|a| a.routes.iter()).map(|(_, app)| app).find(|app| app.aud == aud)
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Applications for unit tests, with real (2048-bit) signing keys.

    use std::collections::HashMap;
    use std::sync::Arc;

    use gatehouse_domain::signing::SigningKeys;
    use gatehouse_domain::{AccountId, ServerKey, Timestamp};

    use super::{AccountSettings, App, Origin};
    use crate::keys::AccountKeys;

    pub fn keys(server_key: &ServerKey) -> (SigningKeys, AccountKeys) {
        let stored = SigningKeys::generate(server_key, Timestamp::from_unix(0), 2048).unwrap();
        let loaded = AccountKeys::load(&stored, server_key, &[]).unwrap();
        (stored, loaded)
    }

    pub fn app(keys: AccountKeys, aud: &str) -> App {
        let account = Arc::new(AccountSettings {
            id: AccountId::generate(),
            auth_domain: "team.example.com".to_owned(),
            issuer: "https://team.example.com".to_owned(),
            strict: false,
            groups: HashMap::new(),
            keys,
            people: Default::default(),
        });
        App {
            id: gatehouse_domain::access::AppId::generate(),
            account,
            name: "test".to_owned(),
            domain: "test.example.com".to_owned(),
            aud: aud.to_owned(),
            origin: Origin {
                scheme: http::uri::Scheme::HTTP,
                authority: "127.0.0.1:1".parse().unwrap(),
                base_path: String::new(),
            },
            policies: Vec::new(),
            policy_sessions: Vec::new(),
            session_secs: 3600,
            service_auth_401_redirect: false,
            token_header: None,
            has_allow_policy: true,
            has_service_auth_policy: true,
            sessions_revoked_at: None,
            broken: false,
            login: Default::default(),
        }
    }
}
