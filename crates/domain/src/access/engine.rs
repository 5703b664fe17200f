//! Policy evaluation with Cloudflare's semantics (spec §4.4): bypass and non_identity policies
//! first, then allow and deny, each by ascending precedence; the first matching policy decides;
//! deny by default. Within a policy: any `include`, every `require`, no `exclude`.
//!
//! Evaluation runs per request, so it allocates nothing: policies are compiled once (rules parsed)
//! when the configuration snapshot is built, and `evaluate` only walks slices.
//!
//! Groups are evaluated with three-valued logic. A group that cannot be resolved (missing, part
//! of a cycle, nested deeper than [`MAX_GROUP_DEPTH`], or over the per-request work budget) is
//! *unknown*: it never grants access. An unknown `include` or `require` does not match, an unknown
//! `exclude` keeps its policy from matching, and a `deny` policy whose outcome is unknown denies.
//!
//! The principal is a service token or a person ([`Person`]), never both: service-token
//! selectors never match a person and people selectors never match a token.
//!
//! `email_list` rules read the members of their `EMAIL` list, resolved into the rule when the
//! policy or group is compiled with the account's [`EmailLists`] (`compile_with`): evaluation
//! stays a set lookup. A rule whose list is unknown (missing, not an `EMAIL` list) is treated like
//! a selector gatehouse does not evaluate.
//!
//! Selectors gatehouse does not evaluate ([`Rule::Other`]: geo, device posture, …) fail
//! closed the same way: in `include` such a rule does not match; in `require` it is not satisfied
//! and in `exclude` it counts as matching — both are *unknown*, so they keep an allow, bypass or
//! non_identity policy from granting, and make a `deny` policy deny.

use std::collections::HashMap;
use std::net::IpAddr;

use super::ids::{GroupId, IdpId, PolicyId};
use super::lists::EmailLists;
use super::model::{Decision, Group, Policy};
use super::people::Identity;
use super::rule::{ListRule, Rule, RuleError, parse_rules};
use crate::ids::TokenId;

/// How deep `{"group":…}` rules may nest before the inner group counts as unresolvable.
pub const MAX_GROUP_DEPTH: u8 = 8;

/// How many group evaluations one request may cost, so a pathological configuration (many groups
/// each referencing many groups) cannot stall the gateway.
const GROUP_BUDGET: u32 = 1024;

/// A policy with its rules parsed, and the precedence of its link to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledPolicy {
    pub id: PolicyId,
    pub decision: Decision,
    pub precedence: i64,
    pub include: Vec<Rule>,
    pub require: Vec<Rule>,
    pub exclude: Vec<Rule>,
}

impl CompiledPolicy {
    /// The policy compiled without the account's lists: its `email_list` rules stay unknown.
    pub fn compile(policy: &Policy, precedence: i64) -> Result<Self, RuleError> {
        Self::compile_with(policy, precedence, &EmailLists::default())
    }

    /// The policy compiled, its `email_list` rules resolved against `lists`.
    pub fn compile_with(policy: &Policy, precedence: i64, lists: &EmailLists) -> Result<Self, RuleError> {
        Ok(CompiledPolicy {
            id: policy.id,
            decision: policy.decision,
            precedence,
            include: compile_rules("include", &policy.include, lists)?,
            require: compile_rules("require", &policy.require, lists)?,
            exclude: compile_rules("exclude", &policy.exclude, lists)?,
        })
    }

    /// The evaluation phase the policy belongs to.
    pub fn phase(&self) -> Phase {
        match self.decision {
            Decision::Bypass | Decision::NonIdentity => Phase::ServiceAuth,
            Decision::Allow | Decision::Deny => Phase::AllowBlock,
        }
    }
}

/// An access group with its rules parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledGroup {
    pub include: Vec<Rule>,
    pub require: Vec<Rule>,
    pub exclude: Vec<Rule>,
}

impl CompiledGroup {
    /// The group compiled without the account's lists: its `email_list` rules stay unknown.
    pub fn compile(group: &Group) -> Result<Self, RuleError> {
        Self::compile_with(group, &EmailLists::default())
    }

    /// The group compiled, its `email_list` rules resolved against `lists`.
    pub fn compile_with(group: &Group, lists: &EmailLists) -> Result<Self, RuleError> {
        Ok(CompiledGroup {
            include: compile_rules("include", &group.include, lists)?,
            require: compile_rules("require", &group.require, lists)?,
            exclude: compile_rules("exclude", &group.exclude, lists)?,
        })
    }
}

fn compile_rules(
    list: &'static str,
    rules: &[serde_json::Value],
    lists: &EmailLists,
) -> Result<Vec<Rule>, RuleError> {
    Ok(parse_rules(list, rules)?.into_iter().map(|rule| rule.resolve_lists(lists)).collect())
}

/// What is known about the request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts<'a> {
    /// The service token the request authenticated with (valid, enabled, unexpired), if any.
    pub token: Option<TokenId>,
    /// The person whose valid session the request presented, if any (never with a token).
    pub person: Option<Person<'a>>,
    pub client_ip: IpAddr,
}

/// A person who logged in through an identity provider.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Person<'a> {
    /// The e-mail address in lowercase.
    pub email: &'a str,
    /// The identity provider the person logged in with.
    pub idp: Option<IdpId>,
    /// What the person's latest login through `idp` established, as stored (claims, `amr`):
    /// read on every request, so a claim the provider no longer sends stops matching at the
    /// next login. `None` when nothing is stored for that provider: no `oidc`,
    /// `github-organization` or `auth_method` rule matches.
    pub identity: Option<&'a Identity>,
}

impl<'a> Person<'a> {
    /// A person known by e-mail address and provider only (no stored identity).
    pub fn new(email: &'a str, idp: Option<IdpId>) -> Self {
        Person { email, idp, identity: None }
    }

    /// The person with `identity`, kept only when it comes from the provider of this session.
    pub fn with_identity(self, identity: Option<&'a Identity>) -> Self {
        let identity = identity.filter(|i| self.idp.is_some() && IdpId::parse(&i.idp_id).ok() == self.idp);
        Person { identity, ..self }
    }

    fn identity_from(&self, idp: IdpId) -> Option<&'a Identity> {
        self.identity.filter(|_| self.idp == Some(idp))
    }
}

impl Person<'_> {
    fn email_domain(&self) -> Option<&str> {
        self.email.rsplit_once('@').map(|(_, domain)| domain)
    }
}

/// The outcome of evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// An `allow` or `non_identity` policy matched.
    Allow { policy: PolicyId, decision: Decision },
    /// A `bypass` policy matched: no enforcement.
    Bypass { policy: PolicyId },
    /// A `deny` policy matched (`Some`), or nothing matched (`None`, deny by default).
    Deny { policy: Option<PolicyId> },
}

/// Decides a request against an application's policies, given in any order (input order breaks
/// precedence ties). Pre-sorting by precedence makes it cheapest: later policies are then skipped
/// without evaluating their rules. `strict` is the organization's `strict_service_token_auth`:
/// only bypass and non_identity policies count.
pub fn evaluate(
    policies: &[CompiledPolicy],
    groups: &HashMap<GroupId, CompiledGroup>,
    facts: &Facts<'_>,
    strict: bool,
) -> Verdict {
    evaluate_traced(policies, groups, facts, strict, &mut NoTrace)
}

/// [`evaluate`], telling `tracer` every step. This is the one evaluator: [`evaluate`] is this
/// function with [`NoTrace`], whose empty methods and `ENABLED = false` compile away, so the
/// gateway's hot path pays nothing for explanations.
pub fn evaluate_traced<T: Tracer>(
    policies: &[CompiledPolicy],
    groups: &HashMap<GroupId, CompiledGroup>,
    facts: &Facts,
    strict: bool,
    tracer: &mut T,
) -> Verdict {
    let mut ctx =
        Context { groups, facts, budget: GROUP_BUDGET, tracer, allow_policy: false, negated: false };
    if let Some(policy) = first_deciding(policies, Phase::ServiceAuth, &mut ctx) {
        skip_phase(policies, Phase::AllowBlock, Skip::EarlierPhaseDecided, ctx.tracer);
        return verdict(policy);
    }
    if strict {
        skip_phase(policies, Phase::AllowBlock, Skip::StrictMode, ctx.tracer);
    } else if let Some(policy) = first_deciding(policies, Phase::AllowBlock, &mut ctx) {
        return verdict(policy);
    }
    Verdict::Deny { policy: None }
}

/// Which of Cloudflare's two evaluation phases a policy belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `bypass` and `non_identity` (dashboard: Bypass, Service Auth).
    ServiceAuth,
    /// `allow` and `deny` (dashboard: Allow, Block).
    AllowBlock,
}

/// Kleene truth: `Unknown` stands for a group that could not be resolved or a selector
/// gatehouse does not evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    Yes,
    No,
    Unknown,
}

/// Which list of a policy or group a rule is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Include,
    Require,
    Exclude,
}

/// Why a policy was not evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// A policy of the same phase with a lower or equal precedence (earlier on a tie) decided.
    Outranked { by: PolicyId, precedence: i64 },
    /// A bypass or service auth policy decided before the allow and deny phase.
    EarlierPhaseDecided,
    /// `strict_service_token_auth`: allow and deny policies do not count.
    StrictMode,
}

/// Why a group counts as unknown without its rules being evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unresolved {
    /// No such group (or it does not compile).
    Missing,
    /// Nested deeper than [`MAX_GROUP_DEPTH`] (or part of a cycle).
    TooDeep,
    /// The per-request budget of group evaluations is spent.
    OverBudget,
}

/// Observes an evaluation, step by step, in evaluation order. Every method has an empty default;
/// [`NoTrace`] observes nothing and sets `ENABLED = false` so that the steps which exist only
/// for a trace (listing policies that are not evaluated) are not even looped over.
pub trait Tracer {
    /// False when the tracer ignores everything: the engine then skips trace-only work.
    const ENABLED: bool = true;
    /// `policy`'s rules are about to be evaluated.
    fn policy_start(&mut self, _policy: &CompiledPolicy) {}
    /// `policy` came out `truth`; `decides` when it is the (so far) deciding one of its phase.
    fn policy_end(&mut self, _policy: &CompiledPolicy, _truth: Truth, _decides: bool) {}
    /// `policy` was not evaluated.
    fn policy_skipped(&mut self, _policy: &CompiledPolicy, _why: Skip) {}
    /// Rule `index` of `list` came out `truth` (a group's own steps come before it).
    fn rule(&mut self, _list: List, _index: usize, _rule: &Rule, _truth: Truth) {}
    /// `group`'s rules are about to be evaluated.
    fn group_start(&mut self, _id: GroupId, _group: &CompiledGroup) {}
    /// The group last started, `id`, is done.
    fn group_end(&mut self, _id: GroupId) {}
    /// Group `id` counts as unknown without evaluation.
    fn group_unresolved(&mut self, _id: GroupId, _why: Unresolved) {}
}

/// The tracer of the request path: observes nothing, costs nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTrace;

impl Tracer for NoTrace {
    const ENABLED: bool = false;
}

struct Context<'a, T> {
    groups: &'a HashMap<GroupId, CompiledGroup>,
    facts: &'a Facts<'a>,
    budget: u32,
    tracer: &'a mut T,
    /// The policy being evaluated is an `allow` policy.
    allow_policy: bool,
    /// Inside an odd number of `exclude` lists (a group excluded by a policy, say).
    negated: bool,
}

/// Tells the tracer that every policy of `phase` is skipped.
fn skip_phase<T: Tracer>(policies: &[CompiledPolicy], phase: Phase, why: Skip, tracer: &mut T) {
    if T::ENABLED {
        for policy in policies.iter().filter(|p| p.phase() == phase) {
            tracer.policy_skipped(policy, why);
        }
    }
}

/// The policy of `phase` that decides, if any: the lowest (precedence, position) among those
/// that match. A policy is only evaluated when it could still beat the best match so far.
fn first_deciding<'p, T: Tracer>(
    policies: &'p [CompiledPolicy],
    phase: Phase,
    ctx: &mut Context<'_, T>,
) -> Option<&'p CompiledPolicy> {
    let mut best: Option<&CompiledPolicy> = None;
    for policy in policies.iter().filter(|p| p.phase() == phase) {
        if let Some(b) = best.filter(|b| b.precedence <= policy.precedence) {
            ctx.tracer.policy_skipped(policy, Skip::Outranked { by: b.id, precedence: b.precedence });
            continue;
        }
        ctx.tracer.policy_start(policy);
        ctx.allow_policy = policy.decision == Decision::Allow;
        let truth = rules_truth(&policy.include, &policy.require, &policy.exclude, ctx, 0);
        let decides = match truth {
            Truth::Yes => true,
            // Fail closed: an unresolvable group never grants, but may still deny.
            Truth::Unknown => policy.decision == Decision::Deny,
            Truth::No => false,
        };
        ctx.tracer.policy_end(policy, truth, decides);
        if decides {
            best = Some(policy);
        }
    }
    best
}

fn verdict(policy: &CompiledPolicy) -> Verdict {
    match policy.decision {
        Decision::Bypass => Verdict::Bypass { policy: policy.id },
        Decision::Allow | Decision::NonIdentity => {
            Verdict::Allow { policy: policy.id, decision: policy.decision }
        }
        Decision::Deny => Verdict::Deny { policy: Some(policy.id) },
    }
}

/// include OR, require AND, exclude NOT — short-circuiting as soon as the answer is `No`.
fn rules_truth<T: Tracer>(
    include: &[Rule],
    require: &[Rule],
    exclude: &[Rule],
    ctx: &mut Context<'_, T>,
    depth: u8,
) -> Truth {
    let mut included = Truth::No;
    for (index, rule) in include.iter().enumerate() {
        if rule.unevaluated() {
            // Not evaluated: not matching (never Unknown, which would make a deny policy apply
            // to every request when its only include is, say, an email selector).
            ctx.tracer.rule(List::Include, index, rule, Truth::No);
            continue;
        }
        let truth = rule_truth(rule, ctx, depth);
        ctx.tracer.rule(List::Include, index, rule, truth);
        match truth {
            Truth::Yes => {
                included = Truth::Yes;
                break;
            }
            Truth::Unknown => included = Truth::Unknown,
            Truth::No => {}
        }
    }
    if included == Truth::No {
        return Truth::No;
    }
    let mut outcome = included;
    for (index, rule) in require.iter().enumerate() {
        let truth = rule_truth(rule, ctx, depth);
        ctx.tracer.rule(List::Require, index, rule, truth);
        match truth {
            Truth::No => return Truth::No,
            Truth::Unknown => outcome = Truth::Unknown,
            Truth::Yes => {}
        }
    }
    for (index, rule) in exclude.iter().enumerate() {
        ctx.negated = !ctx.negated;
        let truth = rule_truth(rule, ctx, depth);
        ctx.negated = !ctx.negated;
        ctx.tracer.rule(List::Exclude, index, rule, truth);
        match truth {
            Truth::Yes => return Truth::No,
            Truth::Unknown => outcome = Truth::Unknown,
            Truth::No => {}
        }
    }
    outcome
}

fn rule_truth<T: Tracer>(rule: &Rule, ctx: &mut Context<'_, T>, depth: u8) -> Truth {
    let facts = ctx.facts;
    let yes = match rule {
        Rule::ServiceToken(None) | Rule::AnyValidServiceToken => facts.token.is_some(),
        Rule::ServiceToken(Some(id)) => facts.token == Some(*id),
        // Cloudflare's "everyone" in an allow policy is every user who logged in: a request
        // without valid credentials is not admitted by it (a browser is sent to log in).
        // Elsewhere — excluded from an allow policy, in a block, bypass or service auth
        // policy — it is every request.
        Rule::Everyone => {
            let grants = ctx.allow_policy && !ctx.negated;
            !grants || facts.token.is_some() || facts.person.is_some()
        }
        Rule::Ip(net) => net.contains(&facts.client_ip.to_canonical()),
        Rule::Group(id) => return group_truth(*id, ctx, depth),
        Rule::Email(email) => facts.person.is_some_and(|p| p.email == email),
        Rule::EmailDomain(domain) => {
            facts.person.and_then(|p| p.email_domain().map(|d| d == domain)).unwrap_or(false)
        }
        Rule::LoginMethod(id) => facts.person.is_some_and(|p| p.idp == Some(*id)),
        Rule::EmailList(ListRule { members: Some(members), .. }) => {
            facts.person.is_some_and(|p| members.contains(p.email))
        }
        Rule::Oidc { claim_name, claim_value, idp } => facts
            .person
            .and_then(|p| p.identity_from(*idp))
            .is_some_and(|identity| identity.claim_is(claim_name, claim_value)),
        Rule::GithubOrganization { name, team, idp } => facts
            .person
            .and_then(|p| p.identity_from(*idp))
            .and_then(|identity| identity.github.as_ref())
            .is_some_and(|github| github.is_member(name, team.as_deref())),
        Rule::AuthMethod(method) => facts
            .person
            .and_then(|p| p.identity)
            .is_some_and(|identity| identity.amr.iter().any(|m| m == method)),
        // Not evaluated: unknown, so it never grants (fail closed); `include` skips it earlier.
        Rule::Other(_) | Rule::EmailList(ListRule { members: None, .. }) => return Truth::Unknown,
    };
    if yes { Truth::Yes } else { Truth::No }
}

fn group_truth<T: Tracer>(id: GroupId, ctx: &mut Context<'_, T>, depth: u8) -> Truth {
    let unresolved = if depth >= MAX_GROUP_DEPTH {
        Some(Unresolved::TooDeep)
    } else if ctx.budget == 0 {
        Some(Unresolved::OverBudget)
    } else {
        None
    };
    if let Some(why) = unresolved {
        ctx.tracer.group_unresolved(id, why);
        return Truth::Unknown;
    }
    ctx.budget -= 1;
    let groups = ctx.groups;
    match groups.get(&id) {
        Some(group) => {
            ctx.tracer.group_start(id, group);
            let truth = rules_truth(&group.include, &group.require, &group.exclude, ctx, depth + 1);
            ctx.tracer.group_end(id);
            truth
        }
        None => {
            ctx.tracer.group_unresolved(id, Unresolved::Missing);
            Truth::Unknown
        }
    }
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
