//! Access configuration: applications, policies, groups, the organization, and the rules that
//! decide a request. Stored as the JSON the client sent (unknown fields round-trip through
//! `extra`); evaluated by the policy engine (`engine`) after routing (`routing`) picked the
//! application.

mod engine;
mod ids;
mod model;
mod people;
mod routing;
mod rule;

pub use engine::{CompiledGroup, CompiledPolicy, Facts, MAX_GROUP_DEPTH, Person, Verdict, evaluate};
pub use ids::{AppId, GroupId, IdpId, PolicyId};
pub use model::{Application, Decision, Group, Organization, Policy, PolicyLink};
pub use people::{Identity, IdentityProvider, User, normalize_email, user_uuid};
pub use routing::{DomainPattern, RouteTable, normalize_path};
pub use rule::{Rule, RuleError, parse_rules};
