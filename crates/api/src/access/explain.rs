//! Explaining a request (`POST …/apps/{app_id}/explain`): the gateway's own steps, from the
//! stored configuration — routing through the account's route table, the token's standing
//! (the secret is taken as right) or the person (the session is taken as valid), and the decision by `gatehouse_domain::access::decide`, the
//! function the gateway calls, here with a tracer. The configuration is compiled by the same
//! domain functions as the gateway's snapshot (`AppRules::compile`, `compile_groups`,
//! `route_patterns`), so the explanation is the gateway's decision, not a second opinion.
//!
//! Not explained: the failure limits (429 after repeated failed credentials) and the gateway's
//! fail-closed mode when its snapshot is stale, which depend on the gateway's state, not on the
//! request; and applications of other accounts, which could claim the same host.

use std::collections::HashMap;
use std::net::IpAddr;

use gatehouse_api_types::{AuthenticationTrace, ExplainBody, ExplainRequest, PolicyTraceBody, RoutingTrace};
use gatehouse_domain::access::{
    AppId, AppPolicies, AppRules, Application, CompiledGroup, Decided, EmailLists, Group, GroupId, Identity,
    ListId, Organization, Policy, PolicyId, PolicyTrace, PolicyTracer, Refusal, RouteTable, User, Verdict,
    ZeroTrustList, compile_groups, decide, decided_by, normalize_path, route_patterns, rule,
};
use gatehouse_domain::{AccountId, Timestamp};

use super::Document;
use super::document::load_all;
use super::document::load_one;
use crate::error::ApiError;
use crate::state::AppState;

mod found;
mod recorded;

pub use found::Found;
pub use recorded::{explain_record, recorded_authentication};

/// The gateway's own endpoints, answered on every host before routing.
const GATEWAY_PATHS: [&str; 2] = ["/cdn-cgi/access/certs", "/cdn-cgi/access/get-identity"];

/// An account's access configuration, compiled as the gateway compiles it.
#[derive(Debug)]
pub struct Configuration {
    pub apps: HashMap<AppId, Application>,
    pub policies: HashMap<PolicyId, Policy>,
    pub groups: HashMap<GroupId, CompiledGroup>,
    /// The account's `EMAIL` lists, which `email_list` rules are compiled against.
    pub lists: EmailLists,
    pub strict: bool,
    /// Lowercase e-mail address → what the person's latest login established, as the gateway's
    /// snapshot keeps it for `oidc` and `auth_method` rules.
    pub identities: HashMap<String, Identity>,
    /// The routable applications (`self_hosted` with an origin), by their patterns.
    routes: RouteTable<(AppId, String)>,
}

impl Configuration {
    pub async fn load(state: &AppState, account: &AccountId) -> Result<Self, ApiError> {
        let mut config = Self::load_rules(state, account).await?;
        let users: Vec<User> = docs(state, account).await?;
        config.identities = users
            .into_iter()
            .filter_map(|user| Some((user.email, user.identity?)))
            .collect::<HashMap<_, _>>();
        Ok(config)
    }

    /// [`Configuration::load`] without the people's stored identities (`identities` is empty):
    /// for a caller that brings the identity of the person it decides for, and need not read
    /// every person of the account.
    pub async fn load_rules(state: &AppState, account: &AccountId) -> Result<Self, ApiError> {
        let apps: Vec<Application> = docs(state, account).await?;
        let policies: Vec<Policy> = docs(state, account).await?;
        let groups: Vec<Group> = docs(state, account).await?;
        let organization: Option<Organization> = docs(state, account).await?.into_iter().next();
        let stored_lists = load_all::<ZeroTrustList>(state, account).await?;
        let lists =
            EmailLists::new(stored_lists.iter().filter_map(|l| Some((ListId::parse(&l.id).ok()?, &l.doc))));
        let mut routes = RouteTable::new();
        for app in apps.iter().filter(|app| app.app_type == "self_hosted" && app.origin.is_some()) {
            for pattern in route_patterns(app).0 {
                let text = pattern.as_str().to_owned();
                routes.insert(pattern, (app.id, text));
            }
        }
        Ok(Configuration {
            apps: apps.into_iter().map(|app| (app.id, app)).collect(),
            policies: policies.into_iter().map(|p| (p.id, p)).collect(),
            groups: compile_groups(&groups, &lists).0,
            lists,
            strict: organization.is_some_and(|o| o.strict_service_token_auth),
            identities: HashMap::new(),
            routes,
        })
    }

    /// The application's rules, compiled.
    pub fn rules(&self, app: &Application) -> AppRules {
        AppRules::compile(&app.policies, |id| self.policies.get(&id), &self.lists)
    }

    pub fn decision_inputs<'a>(&'a self, rules: &'a AppRules) -> AppPolicies<'a> {
        AppPolicies {
            policies: &rules.policies,
            groups: &self.groups,
            strict: self.strict,
            broken: rules.broken(),
        }
    }
}

async fn docs<T: Document>(state: &AppState, account: &AccountId) -> Result<Vec<T>, ApiError> {
    Ok(load_all::<T>(state, account).await?.into_iter().map(|stored| stored.doc).collect())
}

/// The decision, as the gateway makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    pub allowed: bool,
    pub verdict: Option<Verdict>,
    pub reason: Option<&'static str>,
}

/// The gateway's request path from verification on: [`decide`], then [`rule`], which names the
/// refusal as the gateway does (`failure` is the recorded or found credentials' failure).
pub fn judge(decided: Decided, failure: Option<&'static str>) -> Judged {
    let verdict = match decided {
        Decided::Verdict(verdict) => Some(verdict),
        Decided::Unauthenticated | Decided::Misconfigured => None,
    };
    let reason = rule(decided, failure).err().map(Refusal::reason);
    Judged { allowed: reason.is_none(), verdict, reason }
}

pub async fn explain(
    state: &AppState,
    account: &AccountId,
    app: &str,
    request: ExplainRequest,
) -> Result<ExplainBody, ApiError> {
    let asked = load_one::<Application>(state, account, app).await?.doc;
    let input = Input::parse(&request, &asked, state.clock.now())?;
    let config = Configuration::load(state, account).await?;
    let found = found::authenticate(state, account, &request, input.time).await?;
    let (routing, routed) = route(&config, &input);
    let Some(app) = routed else {
        return Ok(not_routed(input, routing, found.trace));
    };
    explained(&config, app, found, input.ip, input.time, routing)
}

/// The explanation of a request that reached `app`, with what verification found.
pub fn explained(
    config: &Configuration,
    app: &Application,
    found: Found,
    ip: IpAddr,
    time: Timestamp,
    routing: RoutingTrace,
) -> Result<ExplainBody, ApiError> {
    let rules = config.rules(app);
    let authentication = found.authentication(&config.identities);
    let mut tracer = PolicyTracer::new(authentication.facts(ip));
    let decided = decide(config.decision_inputs(&rules), authentication, ip, &mut tracer);
    let judged = judge(decided, found.failure);
    let traced = match decided {
        Decided::Verdict(verdict) => tracer.finish(verdict),
        Decided::Unauthenticated | Decided::Misconfigured => Vec::new(),
    };
    let summary = summary(&judged, decided, &rules, config);
    let deciding = judged.verdict.and_then(decided_by);
    Ok(ExplainBody {
        allowed: judged.allowed,
        policy_id: deciding.map(|id| id.to_string()),
        decision: deciding.and_then(|id| config.policies.get(&id).map(|p| decision_name(p.decision))),
        reason: judged.reason.map(str::to_owned),
        summary,
        time: time.to_string(),
        routing,
        authentication: found.trace,
        policies: traced.into_iter().map(|p| policy_body(p, config)).collect::<Result<_, _>>()?,
    })
}

/// The request, validated, with its defaults.
#[derive(Debug)]
struct Input {
    host: String,
    path: String,
    ip: IpAddr,
    time: Timestamp,
}

impl Input {
    fn parse(request: &ExplainRequest, app: &Application, now: Timestamp) -> Result<Self, ApiError> {
        if request.email.is_some() && (request.token_id.is_some() || request.client_id.is_some()) {
            return Err(ApiError::invalid(
                "give either a person ('email') or a service token ('token_id' or 'client_id'), not both",
            ));
        }
        if request.identity_provider_id.is_some() && request.email.is_none() {
            return Err(ApiError::invalid("'identity_provider_id' needs the person's 'email'"));
        }
        if request.token_id.is_some() && request.client_id.is_some() {
            return Err(ApiError::invalid("give either 'token_id' or 'client_id', not both"));
        }
        let ip = request.ip.trim().parse::<IpAddr>().map_err(|_| {
            ApiError::invalid("invalid 'ip': must be an IPv4 or IPv6 address (the client's address)")
        })?;
        let time = match &request.time {
            Some(text) => Timestamp::parse_rfc3339(text)
                .map_err(|_| ApiError::invalid("invalid 'time': must be an RFC 3339 timestamp"))?,
            None => now,
        };
        let (domain_host, domain_path) = match app.domain.find('/') {
            Some(slash) => app.domain.split_at(slash),
            None => (app.domain.as_str(), "/"),
        };
        let host = request.host.clone().unwrap_or_else(|| domain_host.to_owned());
        let path = request.path.clone().unwrap_or_else(|| domain_path.to_owned());
        if host.contains('*') || path.contains('*') {
            return Err(ApiError::invalid(
                "the application's domain has a wildcard: give the 'host' and 'path' of a request",
            ));
        }
        if host.trim().is_empty() {
            return Err(ApiError::invalid("invalid 'host': must not be empty"));
        }
        let path = normalize_path(&path).ok_or_else(|| {
            ApiError::invalid(
                "invalid 'path': it cannot be normalized (an encoded '/', '\\' or NUL, or '..' above the root); \
                 the gateway answers such requests 400",
            )
        })?;
        Ok(Input { host, path, ip, time })
    }
}

fn route<'c>(config: &'c Configuration, input: &Input) -> (RoutingTrace, Option<&'c Application>) {
    let trace = |app_id: Option<AppId>, pattern: Option<String>, reason: String| RoutingTrace {
        host: input.host.clone(),
        path: input.path.clone(),
        app_id: app_id.map(|id| id.to_string()),
        pattern,
        reason,
    };
    if GATEWAY_PATHS.contains(&input.path.as_str()) {
        let reason = format!("{} is answered by the gateway itself on every host", input.path);
        return (trace(None, None, reason), None);
    }
    match config.routes.lookup(&input.host, &input.path) {
        Some((id, pattern)) => {
            let app = config.apps.get(id);
            let name = app.map_or("", |a| a.name.as_str());
            let reason = format!(
                "'{pattern}' of application '{name}' is the most specific route covering {}{}",
                input.host, input.path
            );
            (trace(Some(*id), Some(pattern.clone()), reason), app)
        }
        None => {
            let reason = format!(
                "no routable application of this account (self_hosted, with an origin) covers {}{}: \
                 the gateway answers 404",
                input.host, input.path
            );
            (trace(None, None, reason), None)
        }
    }
}

fn not_routed(input: Input, routing: RoutingTrace, authentication: AuthenticationTrace) -> ExplainBody {
    ExplainBody {
        allowed: false,
        policy_id: None,
        decision: None,
        reason: Some("no_application".to_owned()),
        summary: routing.reason.clone(),
        time: input.time.to_string(),
        routing,
        authentication,
        policies: Vec::new(),
    }
}

fn summary(judged: &Judged, decided: Decided, rules: &AppRules, config: &Configuration) -> String {
    let name =
        |id: PolicyId| config.policies.get(&id).map_or_else(|| id.to_string(), |p| format!("'{}'", p.name));
    match decided {
        Decided::Unauthenticated => format!(
            "refused ({}): strict_service_token_auth refuses credentials that do not authenticate, \
             whatever the policies say",
            judged.reason.unwrap_or_default()
        ),
        Decided::Misconfigured => {
            let problems: Vec<String> = rules.problems.iter().map(ToString::to_string).collect();
            format!("refused: the application's configuration is broken ({})", problems.join("; "))
        }
        Decided::Verdict(Verdict::Allow { policy, .. }) => format!("allowed by policy {}", name(policy)),
        Decided::Verdict(Verdict::Bypass { policy }) => {
            format!("bypassed by policy {}: no enforcement", name(policy))
        }
        Decided::Verdict(Verdict::Deny { policy: Some(policy) }) => {
            format!("denied by policy {}", name(policy))
        }
        Decided::Verdict(Verdict::Deny { policy: None }) => format!(
            "denied ({}): no policy admits the request (deny by default)",
            judged.reason.unwrap_or_default()
        ),
    }
}

/// The domain's trace in the wire shape (the same field names and values), with the policy's name.
fn policy_body(trace: PolicyTrace, config: &Configuration) -> Result<PolicyTraceBody, ApiError> {
    let name = config.policies.get(&trace.id).map(|p| p.name.clone());
    let value = serde_json::to_value(&trace).map_err(internal)?;
    let mut body: PolicyTraceBody = serde_json::from_value(value).map_err(internal)?;
    body.name = name;
    Ok(body)
}

pub fn decision_name(decision: gatehouse_domain::access::Decision) -> gatehouse_api_types::DecisionName {
    use gatehouse_api_types::DecisionName as Name;
    use gatehouse_domain::access::Decision;
    match decision {
        Decision::Allow => Name::Allow,
        Decision::Deny => Name::Deny,
        Decision::NonIdentity => Name::NonIdentity,
        Decision::Bypass => Name::Bypass,
    }
}

fn internal(error: serde_json::Error) -> ApiError {
    tracing::error!(%error, "a policy trace does not convert to its wire shape");
    ApiError::new(crate::error::ErrorCode::Internal, "access.api.error.internal_server_error")
}
