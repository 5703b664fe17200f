//! Explanations of policy evaluation: a [`Tracer`] that records what the engine did, in
//! evaluation order, with the reason for every step — each policy evaluated, matched, unknown or
//! not evaluated, and each of its rules matched, not matched, unknown or not evaluated. The
//! engine is the gateway's own ([`evaluate_traced`]); this module only writes down what it saw.

use serde::Serialize;

use super::engine::{
    CompiledGroup, CompiledPolicy, Facts, List, MAX_GROUP_DEPTH, Skip, Tracer, Truth, Unresolved, Verdict,
    evaluate_traced,
};
use super::ids::{GroupId, PolicyId};
use super::model::Decision;
use super::rule::{ListRule, Rule};

/// One policy, as evaluation saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyTrace {
    pub id: PolicyId,
    pub decision: Decision,
    pub precedence: i64,
    pub outcome: PolicyOutcome,
    pub reason: String,
    pub include: Vec<RuleTrace>,
    pub require: Vec<RuleTrace>,
    pub exclude: Vec<RuleTrace>,
}

/// What became of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyOutcome {
    /// It decided the request.
    Decides,
    /// It matched, but a policy of its phase with a lower precedence decided.
    Matched,
    NotMatched,
    /// A rule could not be evaluated: the policy does not grant (and a deny would have denied).
    Unknown,
    NotEvaluated,
}

/// One rule of a policy or group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleTrace {
    /// The rule's selector key (`service_token`, `ip`, `group`, `email`, …).
    pub selector: String,
    pub outcome: RuleOutcome,
    pub reason: String,
    /// For a `group` rule whose rules were evaluated: those rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupTrace>,
}

/// What became of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleOutcome {
    Matched,
    NotMatched,
    /// Could not be evaluated (a selector gatehouse does not evaluate, an unresolvable group):
    /// fails closed.
    Unknown,
    /// Not looked at: the list's answer was already known.
    NotEvaluated,
}

/// The rules of a group referenced by a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTrace {
    pub id: GroupId,
    pub include: Vec<RuleTrace>,
    pub require: Vec<RuleTrace>,
    pub exclude: Vec<RuleTrace>,
}

/// The engine's verdict and the trace of how it got there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub verdict: Verdict,
    /// Every policy, in evaluation order.
    pub policies: Vec<PolicyTrace>,
}

/// [`evaluate_traced`] with a [`PolicyTracer`]: the verdict the gateway would reach, explained.
pub fn explain(
    policies: &[CompiledPolicy],
    groups: &std::collections::HashMap<GroupId, CompiledGroup>,
    facts: &Facts,
    strict: bool,
) -> Explained {
    let mut tracer = PolicyTracer::new(*facts);
    let verdict = evaluate_traced(policies, groups, facts, strict, &mut tracer);
    Explained { verdict, policies: tracer.finish(verdict) }
}

/// Records an evaluation (see the module documentation).
#[derive(Debug)]
pub struct PolicyTracer<'a> {
    facts: Facts<'a>,
    policies: Vec<PolicyTrace>,
    /// The rule lists being evaluated: a policy's, then nested groups'.
    stack: Vec<Frame>,
    /// What the group just evaluated (or not) says, for the `group` rule reported next.
    pending: Option<Pending>,
}

#[derive(Debug)]
struct Frame {
    include: Vec<RuleTrace>,
    require: Vec<RuleTrace>,
    exclude: Vec<RuleTrace>,
}

#[derive(Debug)]
enum Pending {
    Group(GroupTrace),
    Unresolved(Unresolved),
}

impl<'a> PolicyTracer<'a> {
    pub fn new(facts: Facts<'a>) -> Self {
        PolicyTracer { facts, policies: Vec::new(), stack: Vec::new(), pending: None }
    }

    /// The policies in evaluation order; `verdict` tells a deciding policy from one that matched
    /// but was beaten by a later one of lower precedence.
    pub fn finish(mut self, verdict: Verdict) -> Vec<PolicyTrace> {
        let decider = decided_by(verdict);
        for policy in &mut self.policies {
            if policy.outcome == PolicyOutcome::Decides && Some(policy.id) != decider {
                policy.outcome = PolicyOutcome::Matched;
                policy.reason = "matched, but a policy of lower precedence decided".to_owned();
            }
        }
        self.policies
    }

    fn rule_trace(&mut self, list: List, rule: &Rule, truth: Truth) -> RuleTrace {
        let pending = self.pending.take();
        let reason = rule_reason(rule, list, truth, &self.facts, pending.as_ref());
        let group = match pending {
            Some(Pending::Group(group)) => Some(group),
            _ => None,
        };
        RuleTrace { selector: selector(rule).to_owned(), outcome: rule_outcome(truth), reason, group }
    }
}

impl Tracer for PolicyTracer<'_> {
    fn policy_start(&mut self, policy: &CompiledPolicy) {
        self.stack.push(Frame::new(&policy.include, &policy.require, &policy.exclude));
    }

    fn policy_end(&mut self, policy: &CompiledPolicy, truth: Truth, decides: bool) {
        let frame = self.stack.pop().unwrap_or_else(|| Frame::new(&[], &[], &[]));
        let (include, require, exclude) = frame.finish();
        let (outcome, reason) = policy_result(policy.decision, truth, decides, &include, &require, &exclude);
        self.policies.push(PolicyTrace {
            id: policy.id,
            decision: policy.decision,
            precedence: policy.precedence,
            outcome,
            reason,
            include,
            require,
            exclude,
        });
    }

    fn policy_skipped(&mut self, policy: &CompiledPolicy, why: Skip) {
        let reason = match why {
            Skip::Outranked { by, precedence } => {
                format!("not evaluated: policy {by} (precedence {precedence}) already decided")
            }
            Skip::EarlierPhaseDecided => {
                "not evaluated: a bypass or service auth policy decided first".to_owned()
            }
            Skip::StrictMode => {
                "not evaluated: strict_service_token_auth counts only bypass and service auth policies"
                    .to_owned()
            }
        };
        let (include, require, exclude) = Frame::new(&policy.include, &policy.require, &policy.exclude)
            .finish_with("the policy was not evaluated");
        self.policies.push(PolicyTrace {
            id: policy.id,
            decision: policy.decision,
            precedence: policy.precedence,
            outcome: PolicyOutcome::NotEvaluated,
            reason,
            include,
            require,
            exclude,
        });
    }

    fn rule(&mut self, list: List, index: usize, rule: &Rule, truth: Truth) {
        let trace = self.rule_trace(list, rule, truth);
        if let Some(frame) = self.stack.last_mut()
            && let Some(slot) = frame.list_mut(list).get_mut(index)
        {
            *slot = trace;
        }
    }

    fn group_start(&mut self, _id: GroupId, group: &CompiledGroup) {
        self.pending = None;
        self.stack.push(Frame::new(&group.include, &group.require, &group.exclude));
    }

    fn group_end(&mut self, id: GroupId) {
        if let Some(frame) = self.stack.pop() {
            let (include, require, exclude) = frame.finish();
            self.pending = Some(Pending::Group(GroupTrace { id, include, require, exclude }));
        }
    }

    fn group_unresolved(&mut self, _id: GroupId, why: Unresolved) {
        self.pending = Some(Pending::Unresolved(why));
    }
}

impl Frame {
    fn new(include: &[Rule], require: &[Rule], exclude: &[Rule]) -> Self {
        let list = |rules: &[Rule]| rules.iter().map(not_evaluated).collect();
        Frame { include: list(include), require: list(require), exclude: list(exclude) }
    }

    fn list_mut(&mut self, list: List) -> &mut Vec<RuleTrace> {
        match list {
            List::Include => &mut self.include,
            List::Require => &mut self.require,
            List::Exclude => &mut self.exclude,
        }
    }

    /// The lists, with a reason for every rule that was not evaluated.
    fn finish(self) -> (Vec<RuleTrace>, Vec<RuleTrace>, Vec<RuleTrace>) {
        let (mut include, mut require, mut exclude) = (self.include, self.require, self.exclude);
        let included =
            include.iter().any(|r| matches!(r.outcome, RuleOutcome::Matched | RuleOutcome::Unknown));
        explain_skipped(&mut include, "an earlier include rule matched");
        let after =
            if included { "an earlier rule already decided the outcome" } else { "no include rule matched" };
        explain_skipped(&mut require, after);
        explain_skipped(&mut exclude, after);
        (include, require, exclude)
    }

    fn finish_with(self, why: &str) -> (Vec<RuleTrace>, Vec<RuleTrace>, Vec<RuleTrace>) {
        let (mut include, mut require, mut exclude) = (self.include, self.require, self.exclude);
        for list in [&mut include, &mut require, &mut exclude] {
            explain_skipped(list, why);
        }
        (include, require, exclude)
    }
}

fn explain_skipped(rules: &mut [RuleTrace], why: &str) {
    for rule in rules.iter_mut().filter(|r| r.outcome == RuleOutcome::NotEvaluated) {
        rule.reason = format!("not evaluated: {why}");
    }
}

fn not_evaluated(rule: &Rule) -> RuleTrace {
    RuleTrace {
        selector: selector(rule).to_owned(),
        outcome: RuleOutcome::NotEvaluated,
        reason: String::new(),
        group: None,
    }
}

fn selector(rule: &Rule) -> &str {
    match rule {
        Rule::ServiceToken(_) => "service_token",
        Rule::AnyValidServiceToken => "any_valid_service_token",
        Rule::Everyone => "everyone",
        Rule::Ip(_) => "ip",
        Rule::Group(_) => "group",
        Rule::Email(_) => "email",
        Rule::EmailDomain(_) => "email_domain",
        Rule::LoginMethod(_) => "login_method",
        Rule::Oidc { .. } => "oidc",
        Rule::GithubOrganization { .. } => "github-organization",
        Rule::AuthMethod(_) => "auth_method",
        Rule::EmailList(_) => "email_list",
        Rule::Other(key) => key,
    }
}

fn rule_outcome(truth: Truth) -> RuleOutcome {
    match truth {
        Truth::Yes => RuleOutcome::Matched,
        Truth::No => RuleOutcome::NotMatched,
        Truth::Unknown => RuleOutcome::Unknown,
    }
}

fn rule_reason(rule: &Rule, list: List, truth: Truth, facts: &Facts, pending: Option<&Pending>) -> String {
    let yes = truth == Truth::Yes;
    match rule {
        Rule::ServiceToken(Some(id)) => match facts.token {
            Some(token) if yes => format!("the request's service token is {token}"),
            Some(token) => format!("the request's service token is {token}, not {id}"),
            None => "no service token authenticated".to_owned(),
        },
        Rule::ServiceToken(None) | Rule::AnyValidServiceToken => match facts.token {
            Some(token) => format!("a valid service token authenticated ({token})"),
            None => "no valid service token authenticated".to_owned(),
        },
        Rule::Everyone if yes => "matches every request (in an allow policy: every person or service \
                                  token that authenticated)"
            .to_owned(),
        Rule::Everyone => {
            "nobody authenticated: in an allow policy 'everyone' means every person or service token \
             that authenticated"
                .to_owned()
        }
        Rule::Email(email) => match facts.person {
            Some(_) if yes => format!("the person's e-mail is {email}"),
            Some(person) => format!("the person's e-mail is {}, not {email}", person.email),
            None => "no person logged in".to_owned(),
        },
        Rule::EmailDomain(domain) => match facts.person {
            Some(person) if yes => format!("{} is in the domain {domain}", person.email),
            Some(person) => format!("{} is not in the domain {domain}", person.email),
            None => "no person logged in".to_owned(),
        },
        Rule::LoginMethod(id) => match facts.person {
            Some(_) if yes => format!("the person logged in with identity provider {id}"),
            Some(person) => match person.idp {
                Some(idp) => format!("the person logged in with identity provider {idp}, not {id}"),
                None => format!("the person did not log in with identity provider {id}"),
            },
            None => "no person logged in".to_owned(),
        },
        Rule::Oidc { claim_name, claim_value, idp } => match facts.person {
            Some(_) if yes => format!(
                "the person's claim '{claim_name}' from identity provider {idp} is (or holds) '{claim_value}'"
            ),
            Some(person) if person.idp != Some(*idp) => {
                format!("the person did not log in with identity provider {idp}")
            }
            Some(person) if person.identity.is_none() => {
                "no identity of the person's login is stored: no claim can match".to_owned()
            }
            Some(_) => format!(
                "the person's claim '{claim_name}' is not (and does not hold) '{claim_value}' (only the claims \
                 the identity provider's config.claims names are kept)"
            ),
            None => "no person logged in".to_owned(),
        },
        Rule::GithubOrganization { name, team, idp } => {
            let wanted = match team {
                Some(team) => format!("the team '{team}' of the GitHub organization '{name}'"),
                None => format!("the GitHub organization '{name}'"),
            };
            match facts.person {
                Some(_) if yes => format!("the person is a member of {wanted}"),
                Some(person) if person.idp != Some(*idp) => {
                    format!("the person did not log in with identity provider {idp}")
                }
                Some(person) if person.identity.and_then(|i| i.github.as_ref()).is_none() => {
                    "no GitHub identity of the person's login is stored: no membership can match".to_owned()
                }
                Some(_) => {
                    format!("GitHub did not list the person as a member of {wanted} at their last login")
                }
                None => "no person logged in".to_owned(),
            }
        }
        Rule::AuthMethod(method) => match facts.person.map(|p| p.identity) {
            Some(_) if yes => format!("the person's login used the method '{method}' (amr)"),
            Some(Some(identity)) if identity.amr.is_empty() => {
                format!("the identity provider sent no authentication methods (amr), so not '{method}'")
            }
            Some(Some(identity)) => {
                format!("the person's login used {} (amr), not '{method}'", identity.amr.join(", "))
            }
            Some(None) => "no identity of the person's login is stored: no method can match".to_owned(),
            None => "no person logged in".to_owned(),
        },
        Rule::Ip(net) => {
            let ip = facts.client_ip.to_canonical();
            if yes { format!("{ip} is in {net}") } else { format!("{ip} is not in {net}") }
        }
        Rule::Group(id) => group_reason(*id, truth, pending),
        Rule::EmailList(ListRule { id, members: Some(_) }) => match facts.person {
            Some(person) if yes => format!("{} is in the e-mail list {id}", person.email),
            Some(person) => format!("{} is not in the e-mail list {id}", person.email),
            None => "no person logged in".to_owned(),
        },
        Rule::EmailList(ListRule { id, members: None }) => {
            let effect = unknown_effect(list);
            format!("the e-mail list {id} does not exist or is not an EMAIL list: {effect}")
        }
        Rule::Other(key) => {
            let effect = unknown_effect(list);
            format!("gatehouse does not evaluate '{key}' selectors: {effect}")
        }
    }
}

/// What a rule the engine cannot evaluate does in `list`.
fn unknown_effect(list: List) -> &'static str {
    match list {
        List::Include => "in include it does not match",
        List::Require => "in require it is not satisfied (unknown: fails closed)",
        List::Exclude => "in exclude it counts as matching (unknown: fails closed)",
    }
}

fn group_reason(id: GroupId, truth: Truth, pending: Option<&Pending>) -> String {
    match (pending, truth) {
        (Some(Pending::Unresolved(Unresolved::Missing)), _) => {
            format!("group {id} does not exist or does not compile: unknown, never grants")
        }
        (Some(Pending::Unresolved(Unresolved::TooDeep)), _) => {
            format!(
                "group {id} is nested deeper than {MAX_GROUP_DEPTH} groups (or in a cycle): unknown, never grants"
            )
        }
        (Some(Pending::Unresolved(Unresolved::OverBudget)), _) => {
            format!("group {id}: too many group evaluations for one request: unknown, never grants")
        }
        (_, Truth::Yes) => format!("group {id}'s rules match"),
        (_, Truth::No) => format!("group {id}'s rules do not match"),
        (_, Truth::Unknown) => format!("group {id}'s outcome is unknown (a rule could not be evaluated)"),
    }
}

fn policy_result(
    decision: Decision,
    truth: Truth,
    decides: bool,
    include: &[RuleTrace],
    require: &[RuleTrace],
    exclude: &[RuleTrace],
) -> (PolicyOutcome, String) {
    match (truth, decides) {
        (Truth::Yes, _) => (
            PolicyOutcome::Decides,
            "matched: an include rule matched, every require rule was satisfied and no exclude rule matched"
                .to_owned(),
        ),
        (Truth::Unknown, true) => (
            PolicyOutcome::Decides,
            "unknown (a rule could not be evaluated): a deny policy fails closed and denies".to_owned(),
        ),
        (Truth::Unknown, false) => (
            PolicyOutcome::Unknown,
            format!(
                "unknown (a rule could not be evaluated): fails closed, this {} policy does not grant",
                decision.as_str()
            ),
        ),
        (Truth::No, _) => (PolicyOutcome::NotMatched, why_not(include, require, exclude)),
    }
}

fn why_not(include: &[RuleTrace], require: &[RuleTrace], exclude: &[RuleTrace]) -> String {
    if let Some((index, rule)) =
        require.iter().enumerate().find(|(_, r)| r.outcome == RuleOutcome::NotMatched)
    {
        return format!("require rule {index} ({}) is not satisfied", rule.selector);
    }
    if let Some((index, rule)) = exclude.iter().enumerate().find(|(_, r)| r.outcome == RuleOutcome::Matched) {
        return format!("exclude rule {index} ({}) matched", rule.selector);
    }
    if include.is_empty() {
        return "the policy has no include rule".to_owned();
    }
    "no include rule matched".to_owned()
}

/// The policy that decided, if any.
pub fn decided_by(verdict: Verdict) -> Option<PolicyId> {
    match verdict {
        Verdict::Allow { policy, .. } | Verdict::Bypass { policy } => Some(policy),
        Verdict::Deny { policy } => policy,
    }
}

#[cfg(test)]
mod tests;
