//! Access configuration: applications, policies, groups, the organization, and the rules that
//! decide a request. Stored as the JSON the client sent (unknown fields round-trip through
//! `extra`); compiled (`decide`: [`AppRules`], [`compile_groups`]) and evaluated by the policy
//! engine (`engine`) after routing (`routing`) picked the application. The engine takes an
//! optional [`Tracer`]; `trace` records one to explain a decision ([`explain`]), with the very
//! code the gateway decides with.

mod decide;
mod engine;
mod ids;
mod lists;
mod model;
pub mod one_time_pin;
mod people;
mod routing;
mod rule;
mod trace;

pub use decide::{
    Admitted, AppPolicies, AppRules, Authentication, Decided, Refusal, RulesProblem, compile_groups, decide,
    route_patterns, rule,
};
pub use engine::{
    CompiledGroup, CompiledPolicy, Facts, List, MAX_GROUP_DEPTH, NoTrace, Person, Phase, Skip, Tracer, Truth,
    Unresolved, Verdict, evaluate, evaluate_traced,
};
pub use ids::{AppId, GroupId, IdpId, ListId, PolicyId};
pub use lists::{
    EmailLists, EmailSet, ListItem, ListType, MAX_LIST_DESCRIPTION, MAX_LIST_ITEMS, MAX_LIST_NAME,
    MAX_VALUE_LEN, ZeroTrustList,
};
pub use model::{Application, Decision, Group, Organization, Policy, PolicyLink};
pub use people::{GithubIdentity, GithubTeam, Identity, IdentityProvider, User, normalize_email, user_uuid};
pub use routing::{DomainPattern, RouteTable, normalize_path};
pub use rule::{ListRule, Rule, RuleError, parse_rules};
pub use trace::{
    Explained, GroupTrace, PolicyOutcome, PolicyTrace, PolicyTracer, RuleOutcome, RuleTrace, decided_by,
    explain,
};
