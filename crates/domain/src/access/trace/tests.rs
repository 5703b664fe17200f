use std::collections::HashMap;

use super::*;
use crate::TokenId;
use crate::access::engine::evaluate;

fn id(n: u32) -> PolicyId {
    PolicyId::parse(&format!("00000000-0000-4000-9000-{n:012}")).unwrap()
}

fn token(n: u32) -> TokenId {
    TokenId::parse(&format!("00000000-0000-4000-8000-{n:012}")).unwrap()
}

fn group_id(n: u32) -> GroupId {
    GroupId::parse(&format!("00000000-0000-4000-a000-{n:012}")).unwrap()
}

fn policy(n: u32, decision: Decision, include: Vec<Rule>) -> CompiledPolicy {
    CompiledPolicy {
        id: id(n),
        decision,
        precedence: i64::from(n),
        include,
        require: vec![],
        exclude: vec![],
    }
}

fn facts(token: Option<TokenId>, ip: &str) -> Facts<'static> {
    Facts { token, person: None, client_ip: ip.parse().unwrap() }
}

fn no_groups() -> HashMap<GroupId, CompiledGroup> {
    HashMap::new()
}

#[test]
fn the_trace_lists_every_policy_in_evaluation_order_with_the_decider() {
    let block = policy(1, Decision::Deny, vec![Rule::Ip("10.0.0.0/8".parse().unwrap())]);
    let service = policy(2, Decision::NonIdentity, vec![Rule::ServiceToken(Some(token(1)))]);
    let later = policy(3, Decision::NonIdentity, vec![Rule::Everyone]);
    let policies = [block, service, later];
    let explained = explain(&policies, &no_groups(), &facts(Some(token(1)), "192.0.2.1"), false);
    assert_eq!(explained.verdict, Verdict::Allow { policy: id(2), decision: Decision::NonIdentity });
    let order: Vec<_> = explained.policies.iter().map(|p| (p.id, p.outcome)).collect();
    assert_eq!(
        order,
        [
            (id(2), PolicyOutcome::Decides),
            (id(3), PolicyOutcome::NotEvaluated),
            (id(1), PolicyOutcome::NotEvaluated),
        ]
    );
    assert!(explained.policies[1].reason.contains(&id(2).to_string()), "{}", explained.policies[1].reason);
    assert!(explained.policies[2].reason.contains("service auth policy decided first"));
    assert_eq!(explained.policies[0].include[0].outcome, RuleOutcome::Matched);
    assert_eq!(explained.policies[2].include[0].outcome, RuleOutcome::NotEvaluated);
}

#[test]
fn rules_say_matched_not_matched_or_not_evaluated_and_why() {
    let mut allow = policy(
        1,
        Decision::Allow,
        vec![Rule::ServiceToken(Some(token(2))), Rule::AnyValidServiceToken, Rule::Everyone],
    );
    allow.require = vec![Rule::Ip("10.0.0.0/8".parse().unwrap()), Rule::Everyone];
    allow.exclude = vec![Rule::Everyone];
    let explained = explain(&[allow], &no_groups(), &facts(Some(token(1)), "192.0.2.1"), false);
    assert_eq!(explained.verdict, Verdict::Deny { policy: None });
    let trace = &explained.policies[0];
    assert_eq!(trace.outcome, PolicyOutcome::NotMatched);
    assert_eq!(trace.reason, "require rule 0 (ip) is not satisfied");
    let outcomes = |rules: &[RuleTrace]| rules.iter().map(|r| r.outcome).collect::<Vec<_>>();
    assert_eq!(
        outcomes(&trace.include),
        [RuleOutcome::NotMatched, RuleOutcome::Matched, RuleOutcome::NotEvaluated]
    );
    assert_eq!(outcomes(&trace.require), [RuleOutcome::NotMatched, RuleOutcome::NotEvaluated]);
    assert_eq!(outcomes(&trace.exclude), [RuleOutcome::NotEvaluated]);
    assert!(trace.include[0].reason.contains("not 00000000-0000-4000-8000-000000000002"));
    assert_eq!(trace.include[2].reason, "not evaluated: an earlier include rule matched");
    assert_eq!(trace.require[0].reason, "192.0.2.1 is not in 10.0.0.0/8");
    assert_eq!(trace.exclude[0].reason, "not evaluated: an earlier rule already decided the outcome");
}

#[test]
fn unevaluated_selectors_are_explained_as_failing_closed() {
    let mut allow = policy(1, Decision::NonIdentity, vec![Rule::Other("email".into()), Rule::Everyone]);
    allow.exclude = vec![Rule::Other("geo".into())];
    let block = policy(2, Decision::Deny, vec![Rule::Everyone]);
    let mut block_unknown = block.clone();
    block_unknown.require = vec![Rule::Other("device_posture".into())];
    let explained = explain(&[allow, block_unknown], &no_groups(), &facts(None, "192.0.2.1"), false);
    assert_eq!(explained.verdict, Verdict::Deny { policy: Some(id(2)) });
    let (service, deny) = (&explained.policies[0], &explained.policies[1]);
    assert_eq!(service.outcome, PolicyOutcome::Unknown);
    assert!(service.reason.contains("does not grant"), "{}", service.reason);
    assert_eq!(service.include[0].outcome, RuleOutcome::NotMatched);
    assert!(service.include[0].reason.contains("in include it does not match"));
    assert_eq!(service.exclude[0].outcome, RuleOutcome::Unknown);
    assert!(service.exclude[0].reason.contains("'geo'"));
    assert!(service.exclude[0].reason.contains("counts as matching"));
    assert_eq!(deny.outcome, PolicyOutcome::Decides);
    assert!(deny.reason.contains("deny policy fails closed"), "{}", deny.reason);
    assert!(deny.require[0].reason.contains("not satisfied"));
}

#[test]
fn strict_mode_skips_allow_and_deny_policies_with_a_reason() {
    let allow = policy(1, Decision::Allow, vec![Rule::Everyone]);
    let explained = explain(&[allow], &no_groups(), &facts(None, "192.0.2.1"), true);
    assert_eq!(explained.verdict, Verdict::Deny { policy: None });
    assert_eq!(explained.policies[0].outcome, PolicyOutcome::NotEvaluated);
    assert!(explained.policies[0].reason.contains("strict_service_token_auth"));
}

#[test]
fn groups_are_traced_inside_their_rule() {
    let inner =
        CompiledGroup { include: vec![Rule::ServiceToken(Some(token(1)))], require: vec![], exclude: vec![] };
    let groups = HashMap::from([(group_id(1), inner)]);
    let uses = policy(1, Decision::NonIdentity, vec![Rule::Group(group_id(9)), Rule::Group(group_id(1))]);
    let explained = explain(&[uses], &groups, &facts(Some(token(1)), "192.0.2.1"), false);
    assert_eq!(explained.verdict, Verdict::Allow { policy: id(1), decision: Decision::NonIdentity });
    let include = &explained.policies[0].include;
    assert_eq!(include[0].outcome, RuleOutcome::Unknown);
    assert!(include[0].reason.contains("does not exist"), "{}", include[0].reason);
    assert_eq!(include[0].group, None);
    assert_eq!(include[1].outcome, RuleOutcome::Matched);
    let group = include[1].group.as_ref().unwrap();
    assert_eq!(group.id, group_id(1));
    assert_eq!(group.include[0].outcome, RuleOutcome::Matched);
}

#[test]
fn a_match_beaten_by_a_later_lower_precedence_is_marked_matched() {
    // Unsorted input: the later policy has the lower precedence and wins.
    let high = CompiledPolicy { precedence: 5, ..policy(1, Decision::NonIdentity, vec![Rule::Everyone]) };
    let low = CompiledPolicy { precedence: 1, ..policy(2, Decision::Bypass, vec![Rule::Everyone]) };
    let policies = [high, low];
    let explained = explain(&policies, &no_groups(), &facts(None, "192.0.2.1"), false);
    assert_eq!(explained.verdict, evaluate(&policies, &no_groups(), &facts(None, "192.0.2.1"), false));
    assert_eq!(explained.verdict, Verdict::Bypass { policy: id(2) });
    assert_eq!(explained.policies[0].outcome, PolicyOutcome::Matched);
    assert_eq!(explained.policies[1].outcome, PolicyOutcome::Decides);
}
