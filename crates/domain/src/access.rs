//! Access configuration: applications, policies, groups, the organization, and the rules that
//! decide a request. Stored as the JSON the client sent (unknown fields round-trip through
//! `extra`); evaluated by the policy engine (`engine`) after routing (`routing`) picked the
//! application.

mod engine;
mod ids;
mod model;
mod routing;
mod rule;
mod trace;

pub use engine::{
    CompiledGroup, CompiledPolicy, Facts, List, MAX_GROUP_DEPTH, NoTrace, Phase, Skip, Tracer, Truth,
    Unresolved, Verdict, evaluate, evaluate_traced,
};
pub use ids::{AppId, GroupId, IdpId, PolicyId};
pub use model::{Application, Decision, Group, Organization, Policy, PolicyLink};
pub use routing::{DomainPattern, RouteTable, normalize_path};
pub use rule::{Rule, RuleError, parse_rules};
pub use trace::{
    Explained, GroupTrace, PolicyOutcome, PolicyTrace, PolicyTracer, RuleOutcome, RuleTrace, decided_by,
    explain,
};
