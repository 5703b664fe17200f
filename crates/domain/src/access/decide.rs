//! An application's configuration as the gateway decides with it, and the decision itself once
//! the credentials were verified. The gateway and explanations share both, so an explanation
//! cannot drift from what the gateway does:
//! - [`AppRules::compile`]: the application's linked policies compiled and ordered by
//!   precedence (link order breaking ties); a missing or invalid policy makes the application
//!   *broken*, refusing every request;
//! - [`compile_groups`]: the account's groups; one that does not compile is left out, which the
//!   engine treats as unknown;
//! - [`decide`]: strict mode's refusal of failed credentials, a broken application's refusal,
//!   else the engine's verdict;
//! - [`rule`]: that decision as the request's fate, let through or refused for a named
//!   [`Refusal`] (the access log's reason).

use std::collections::HashMap;
use std::net::IpAddr;

use super::engine::{CompiledGroup, CompiledPolicy, Facts, Person, Tracer, Verdict, evaluate_traced};
use super::ids::{GroupId, PolicyId};
use super::lists::EmailLists;
use super::model::{Application, Decision, Group, Policy, PolicyLink};
use super::routing::DomainPattern;
use super::rule::RuleError;
use crate::ids::TokenId;

/// An application's policies, compiled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppRules {
    /// Sorted by precedence; equal precedences keep the order of the links.
    pub policies: Vec<CompiledPolicy>,
    /// Why the application refuses every request, if it does.
    pub problems: Vec<RulesProblem>,
}

/// What makes an application refuse every request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesProblem {
    #[error("the application links policy {0}, which does not exist")]
    MissingPolicy(PolicyId),
    #[error("policy {0} does not compile: {1}")]
    InvalidPolicy(PolicyId, RuleError),
}

impl AppRules {
    /// Compiles the policies `links` name, each looked up with `policy`, their `email_list` rules
    /// resolved against the account's `lists`.
    pub fn compile<'p>(
        links: &[PolicyLink],
        policy: impl Fn(PolicyId) -> Option<&'p Policy>,
        lists: &EmailLists,
    ) -> Self {
        let mut rules = AppRules::default();
        for link in links {
            let Some(found) = policy(link.id) else {
                rules.problems.push(RulesProblem::MissingPolicy(link.id));
                continue;
            };
            match CompiledPolicy::compile_with(found, link.precedence, lists) {
                Ok(compiled) => rules.policies.push(compiled),
                Err(error) => rules.problems.push(RulesProblem::InvalidPolicy(link.id, error)),
            }
        }
        rules.policies.sort_by_key(|p| p.precedence);
        rules
    }

    /// A policy failed to compile or a linked policy is missing: every request is refused.
    pub fn broken(&self) -> bool {
        !self.problems.is_empty()
    }
}

/// The groups that compile (their `email_list` rules resolved against `lists`), and the error
/// of each that does not (left out: never granting).
pub fn compile_groups(
    groups: &[Group],
    lists: &EmailLists,
) -> (HashMap<GroupId, CompiledGroup>, Vec<(GroupId, RuleError)>) {
    let mut compiled = HashMap::with_capacity(groups.len());
    let mut errors = Vec::new();
    for group in groups {
        match CompiledGroup::compile_with(group, lists) {
            Ok(rules) => {
                compiled.insert(group.id, rules);
            }
            Err(error) => errors.push((group.id, error)),
        }
    }
    (compiled, errors)
}

/// The route patterns of an application: its `domain` and its public destinations, each parsed;
/// the text and error of each that does not parse (not routed).
pub fn route_patterns(app: &Application) -> (Vec<DomainPattern>, Vec<(String, String)>) {
    let destinations = app.destinations.iter().filter_map(|d| {
        let public = d.get("type").and_then(|t| t.as_str()).is_none_or(|t| t == "public");
        d.get("uri").and_then(|u| u.as_str()).filter(|_| public)
    });
    let mut texts: Vec<&str> = std::iter::once(app.domain.as_str()).chain(destinations).collect();
    texts.dedup();
    let mut patterns = Vec::new();
    let mut errors = Vec::new();
    for text in texts.into_iter().filter(|text| !text.is_empty()) {
        match DomainPattern::parse(text) {
            Ok(pattern) => patterns.push(pattern),
            Err(error) => errors.push((text.to_owned(), error)),
        }
    }
    (patterns, errors)
}

/// What the gateway's verification stage found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Authentication<'a> {
    /// No credentials were presented.
    None,
    /// A service token authenticated (right secret, enabled, unexpired, this account).
    Token(TokenId),
    /// A person's session for this application verified (signature, audience, expiry, not
    /// revoked).
    Person(Person<'a>),
    /// Credentials were presented and did not authenticate.
    Failed,
}

impl<'a> Authentication<'a> {
    /// The facts the policies read, for a request from `client_ip`.
    pub fn facts(self, client_ip: IpAddr) -> Facts<'a> {
        let (token, person) = match self {
            Authentication::Token(id) => (Some(id), None),
            Authentication::Person(person) => (None, Some(person)),
            Authentication::None | Authentication::Failed => (None, None),
        };
        Facts { token, person, client_ip }
    }
}

/// Everything the decision reads about the application and its account.
#[derive(Debug, Clone, Copy)]
pub struct AppPolicies<'a> {
    /// Sorted by precedence ([`AppRules::policies`]).
    pub policies: &'a [CompiledPolicy],
    pub groups: &'a HashMap<GroupId, CompiledGroup>,
    /// The organization's `strict_service_token_auth`.
    pub strict: bool,
    /// [`AppRules::broken`].
    pub broken: bool,
}

/// The decision on a request whose credentials were verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// Strict mode: credentials that failed are refused before any policy is looked at.
    Unauthenticated,
    /// The application's configuration is broken: refused.
    Misconfigured,
    /// The policies decided.
    Verdict(Verdict),
}

/// The gateway's decision after verification, `tracer` told every policy step.
pub fn decide<T: Tracer>(
    app: AppPolicies<'_>,
    authentication: Authentication<'_>,
    client_ip: IpAddr,
    tracer: &mut T,
) -> Decided {
    if app.strict && authentication == Authentication::Failed {
        return Decided::Unauthenticated;
    }
    if app.broken {
        return Decided::Misconfigured;
    }
    let facts = authentication.facts(client_ip);
    Decided::Verdict(evaluate_traced(app.policies, app.groups, &facts, app.strict, tracer))
}

/// A request the policies let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    /// By an `allow` or `non_identity` policy.
    Allow { policy: PolicyId, decision: Decision },
    /// By a `bypass` policy: no enforcement.
    Bypass { policy: PolicyId },
}

/// Why a decided request is refused, as the access log names it. `F` is what the verification
/// stage found wrong with the credentials (the gateway's denial, or a recorded reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal<F> {
    /// The credentials' own failure: strict mode refused them before the policies, or no policy
    /// admits a request whose credentials failed.
    Credentials(F),
    /// Strict mode refused credentials that failed for no known reason.
    MalformedCredentials,
    /// The application's configuration is broken.
    Misconfigured,
    /// A `deny` policy matched.
    DeniedByPolicy(PolicyId),
    /// The credentials were fine (or absent) and no policy admits the request.
    NoMatchingPolicy,
}

impl<F> Refusal<F> {
    /// The policy that refused, if one did.
    pub fn policy(&self) -> Option<PolicyId> {
        match self {
            Refusal::DeniedByPolicy(policy) => Some(*policy),
            Refusal::Credentials(_)
            | Refusal::MalformedCredentials
            | Refusal::Misconfigured
            | Refusal::NoMatchingPolicy => None,
        }
    }
}

impl<F: Into<&'static str>> Refusal<F> {
    /// The access log's `reason`.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Credentials(failure) => failure.into(),
            Refusal::MalformedCredentials => "malformed_credentials",
            Refusal::Misconfigured => "misconfigured",
            Refusal::DeniedByPolicy(_) => "denied_by_policy",
            Refusal::NoMatchingPolicy => "no_matching_policy",
        }
    }
}

/// The fate of a request [`decide`] decided on, `failure` being why its credentials did not
/// authenticate (`None`: they did, or there were none). The gateway and explanations both name
/// refusals through this, so their reasons cannot drift apart.
#[inline]
pub fn rule<F>(decided: Decided, failure: Option<F>) -> Result<Admitted, Refusal<F>> {
    match decided {
        Decided::Unauthenticated => Err(failure.map_or(Refusal::MalformedCredentials, Refusal::Credentials)),
        Decided::Misconfigured => Err(Refusal::Misconfigured),
        Decided::Verdict(Verdict::Allow { policy, decision }) => Ok(Admitted::Allow { policy, decision }),
        Decided::Verdict(Verdict::Bypass { policy }) => Ok(Admitted::Bypass { policy }),
        Decided::Verdict(Verdict::Deny { policy: Some(policy) }) => Err(Refusal::DeniedByPolicy(policy)),
        Decided::Verdict(Verdict::Deny { policy: None }) => {
            Err(failure.map_or(Refusal::NoMatchingPolicy, Refusal::Credentials))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;
    use crate::access::engine::NoTrace;

    fn policy(include: serde_json::Value) -> Policy {
        Policy {
            id: PolicyId::generate(),
            name: "p".into(),
            decision: Decision::NonIdentity,
            include: include.as_array().cloned().unwrap_or_default(),
            require: vec![],
            exclude: vec![],
            session_duration: None,
            app_id: None,
            precedence: None,
            extra: Map::new(),
        }
    }

    #[test]
    fn links_are_ordered_by_precedence_and_missing_or_invalid_policies_break_the_app() {
        let (a, b) = (policy(json!([{"everyone": {}}])), policy(json!([{"any_valid_service_token": {}}])));
        let bad = policy(json!([{"ip": {"ip": "nope"}}]));
        let all = [a.clone(), b.clone(), bad.clone()];
        let find = |id: PolicyId| all.iter().find(|p| p.id == id);
        let links = [PolicyLink { id: a.id, precedence: 2 }, PolicyLink { id: b.id, precedence: 1 }];
        let rules = AppRules::compile(&links, find, &EmailLists::default());
        assert_eq!(rules.policies.iter().map(|p| p.id).collect::<Vec<_>>(), [b.id, a.id]);
        assert!(!rules.broken());
        let missing = PolicyId::generate();
        let links = [PolicyLink { id: missing, precedence: 1 }, PolicyLink { id: bad.id, precedence: 2 }];
        let rules = AppRules::compile(&links, find, &EmailLists::default());
        assert!(rules.broken());
        assert_eq!(rules.problems[0], RulesProblem::MissingPolicy(missing));
        assert!(matches!(rules.problems[1], RulesProblem::InvalidPolicy(id, _) if id == bad.id));
    }

    #[test]
    fn refusals_name_the_credentials_failure_only_when_no_policy_decided() {
        let (policy, decision) = (PolicyId::generate(), Decision::NonIdentity);
        let failed = Some("wrong_secret");
        let refused = |decided, failure| rule(decided, failure).map_err(Refusal::reason);
        let deny = |policy| Decided::Verdict(Verdict::Deny { policy });
        assert_eq!(refused(Decided::Unauthenticated, failed), Err("wrong_secret"));
        assert_eq!(refused(Decided::Unauthenticated, None), Err("malformed_credentials"));
        assert_eq!(refused(Decided::Misconfigured, failed), Err("misconfigured"));
        assert_eq!(refused(deny(Some(policy)), failed), Err("denied_by_policy"));
        assert_eq!(refused(deny(None), failed), Err("wrong_secret"));
        assert_eq!(refused(deny(None), None), Err("no_matching_policy"));
        assert_eq!(rule::<&str>(deny(Some(policy)), None).err().and_then(|r| r.policy()), Some(policy));
        assert_eq!(
            refused(Decided::Verdict(Verdict::Allow { policy, decision }), failed),
            Ok(Admitted::Allow { policy, decision })
        );
        assert_eq!(
            refused(Decided::Verdict(Verdict::Bypass { policy }), None),
            Ok(Admitted::Bypass { policy })
        );
    }

    #[test]
    fn strict_mode_refuses_failed_credentials_before_a_broken_app_or_the_policies() {
        let groups = HashMap::new();
        let everyone = CompiledPolicy::compile(&policy(json!([{"everyone": {}}])), 1).unwrap();
        let policies = [everyone.clone()];
        let app = |strict, broken| AppPolicies { policies: &policies, groups: &groups, strict, broken };
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let admitted =
            Decided::Verdict(Verdict::Allow { policy: everyone.id, decision: Decision::NonIdentity });
        assert_eq!(
            decide(app(true, true), Authentication::Failed, ip, &mut NoTrace),
            Decided::Unauthenticated
        );
        assert_eq!(decide(app(true, true), Authentication::None, ip, &mut NoTrace), Decided::Misconfigured);
        assert_eq!(
            decide(app(false, true), Authentication::Failed, ip, &mut NoTrace),
            Decided::Misconfigured
        );
        assert_eq!(decide(app(false, false), Authentication::Failed, ip, &mut NoTrace), admitted);
        assert_eq!(decide(app(true, false), Authentication::None, ip, &mut NoTrace), admitted);
    }
}
