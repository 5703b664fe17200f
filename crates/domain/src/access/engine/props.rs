//! Property tests of the evaluation order against a plain reference model.

use proptest::prelude::*;

use super::*;

fn token_id(n: u8) -> TokenId {
    TokenId::parse(&format!("00000000-0000-4000-8000-{n:012}")).unwrap()
}

fn policy_id(n: usize) -> PolicyId {
    PolicyId::parse(&format!("00000000-0000-4000-9000-{n:012}")).unwrap()
}

fn group_id(n: u8) -> GroupId {
    GroupId::parse(&format!("00000000-0000-4000-a000-{n:012}")).unwrap()
}

const GROUPS: u8 = 2;

fn base_rule() -> impl Strategy<Value = Rule> {
    prop_oneof![
        (0..3u8).prop_map(|n| Rule::ServiceToken(Some(token_id(n)))),
        Just(Rule::ServiceToken(None)),
        Just(Rule::AnyValidServiceToken),
        Just(Rule::Everyone),
        prop_oneof![Just("10.0.0.0/8"), Just("10.1.0.0/16"), Just("2001:db8::/32")]
            .prop_map(|net| Rule::Ip(net.parse().unwrap())),
        Just(Rule::Other("geo".into())),
        prop_oneof![Just("dev@example.com"), Just("eve@example.org")].prop_map(|e| Rule::Email(e.into())),
        Just(Rule::EmailDomain("example.com".into())),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    prop_oneof![4 => base_rule(), 1 => (0..GROUPS).prop_map(|n| Rule::Group(group_id(n)))]
}

fn decision() -> impl Strategy<Value = Decision> {
    prop_oneof![
        Just(Decision::Allow),
        Just(Decision::Deny),
        Just(Decision::NonIdentity),
        Just(Decision::Bypass),
    ]
}

fn policies() -> impl Strategy<Value = Vec<CompiledPolicy>> {
    let one = (
        decision(),
        -3..4i64,
        prop::collection::vec(rule(), 0..3),
        prop::collection::vec(rule(), 0..2),
        prop::collection::vec(rule(), 0..2),
    );
    prop::collection::vec(one, 0..6).prop_map(|specs| {
        let with_ids = specs.into_iter().enumerate();
        with_ids
            .map(|(i, (decision, precedence, include, require, exclude))| CompiledPolicy {
                id: policy_id(i),
                decision,
                precedence,
                include,
                require,
                exclude,
            })
            .collect()
    })
}

fn groups() -> impl Strategy<Value = HashMap<GroupId, CompiledGroup>> {
    let one = (
        prop::collection::vec(base_rule(), 0..3),
        prop::collection::vec(base_rule(), 0..2),
        prop::collection::vec(base_rule(), 0..2),
    );
    prop::collection::vec(one, GROUPS as usize).prop_map(|specs| {
        let groups = specs.into_iter().enumerate();
        groups
            .map(|(i, (include, require, exclude))| {
                (group_id(i as u8), CompiledGroup { include, require, exclude })
            })
            .collect()
    })
}

fn facts() -> impl Strategy<Value = Facts<'static>> {
    let ip = prop_oneof![
        Just("10.1.2.3"),
        Just("10.9.9.9"),
        Just("::ffff:10.1.0.1"),
        Just("2001:db8::1"),
        Just("192.0.2.1"),
    ];
    // A token, a person, or neither (never both).
    let person = prop::option::of(prop_oneof![Just("dev@example.com"), Just("eve@example.org")]);
    (prop::option::of(0..4u8), person, ip).prop_map(|(token, email, ip)| Facts {
        token: token.map(token_id),
        person: email.filter(|_| token.is_none()).map(|email| Person::new(email, None)),
        client_ip: ip.parse().unwrap(),
    })
}

/// The reference: sort stably by (phase, precedence) and take the first policy that decides.
/// Truth is `Option<bool>` (`None` = unknown): selectors gatehouse does not evaluate are `false`
/// in `include` and unknown in `require` and `exclude`; groups here only hold base rules. A
/// policy decides when it matches, or when its outcome is unknown and it is a `deny`.
fn reference(
    policies: &[CompiledPolicy],
    groups: &HashMap<GroupId, CompiledGroup>,
    facts: &Facts,
    strict: bool,
) -> Verdict {
    let mut ordered: Vec<&CompiledPolicy> = policies
        .iter()
        .filter(|p| !strict || matches!(p.decision, Decision::Bypass | Decision::NonIdentity))
        .collect();
    let phase = |p: &CompiledPolicy| matches!(p.decision, Decision::Allow | Decision::Deny);
    ordered.sort_by_key(|p| (phase(p), p.precedence));
    // `everyone` where it grants (not excluded, in an allow policy): whoever authenticated;
    // elsewhere every request (`negated`: inside an odd number of exclude lists).
    let authenticated = facts.token.is_some() || facts.person.is_some();
    let base = |r: &Rule, in_include: bool, allow_policy: bool, negated: bool| match r {
        Rule::Other(_) if in_include => Some(false),
        Rule::Other(_) => None,
        Rule::Everyone => Some(!allow_policy || negated || authenticated),
        other => Some(rule_truth_plain(other, facts)),
    };
    type RuleFn<'r> = dyn Fn(&Rule, bool, bool, bool) -> Option<bool> + 'r;
    let lists = |include: &[Rule],
                 require: &[Rule],
                 exclude: &[Rule],
                 allow_policy: bool,
                 negated: bool,
                 rule: &RuleFn| {
        let included = kleene_any(include.iter().map(|r| rule(r, true, allow_policy, negated)));
        let required = kleene_all(require.iter().map(|r| rule(r, false, allow_policy, negated)));
        let excluded = kleene_any(exclude.iter().map(|r| rule(r, false, allow_policy, !negated))).map(|b| !b);
        kleene_all([included, required, excluded])
    };
    let matches_rule = |rule: &Rule, in_include: bool, allow_policy: bool, negated: bool| -> Option<bool> {
        match rule {
            Rule::Group(id) => match groups.get(id) {
                Some(g) => lists(&g.include, &g.require, &g.exclude, allow_policy, negated, &base),
                None => None,
            },
            other => base(other, in_include, allow_policy, negated),
        }
    };
    let decided = ordered.into_iter().find(|p| {
        match lists(&p.include, &p.require, &p.exclude, p.decision == Decision::Allow, false, &matches_rule) {
            Some(matched) => matched,
            None => p.decision == Decision::Deny,
        }
    });
    decided.map_or(Verdict::Deny { policy: None }, verdict)
}

fn kleene_any(values: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut outcome = Some(false);
    for value in values {
        match value {
            Some(true) => return Some(true),
            None => outcome = None,
            Some(false) => {}
        }
    }
    outcome
}

fn kleene_all(values: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut outcome = Some(true);
    for value in values {
        match value {
            Some(false) => return Some(false),
            None => outcome = None,
            Some(true) => {}
        }
    }
    outcome
}

fn rule_truth_plain(rule: &Rule, facts: &Facts) -> bool {
    match rule {
        Rule::ServiceToken(None) | Rule::AnyValidServiceToken => facts.token.is_some(),
        Rule::ServiceToken(Some(id)) => facts.token == Some(*id),
        // May match (the reference decides it by phase and polarity before asking here).
        Rule::Everyone => true,
        Rule::Ip(net) => net.contains(&facts.client_ip.to_canonical()),
        Rule::Email(email) => facts.person.is_some_and(|p| p.email == email),
        Rule::EmailDomain(domain) => {
            facts.person.is_some_and(|p| p.email.rsplit_once('@').is_some_and(|(_, d)| d == domain))
        }
        Rule::LoginMethod(id) => facts.person.is_some_and(|p| p.idp == Some(*id)),
        // The generated people carry no stored identity: no claim or method to match.
        Rule::Oidc { .. } | Rule::GithubOrganization { .. } | Rule::AuthMethod(_) => false,
        // Not generated: `email_list` has its own unit test (engine/tests.rs).
        Rule::Group(_) | Rule::Other(_) | Rule::EmailList(_) => false,
    }
}

fn decided_by(verdict: Verdict) -> Option<PolicyId> {
    match verdict {
        Verdict::Allow { policy, .. } | Verdict::Bypass { policy } => Some(policy),
        Verdict::Deny { policy } => policy,
    }
}

proptest! {
    #[test]
    fn agrees_with_the_reference_order(
        policies in policies(), groups in groups(), facts in facts(), strict in any::<bool>()
    ) {
        let expected = reference(&policies, &groups, &facts, strict);
        prop_assert_eq!(evaluate(&policies, &groups, &facts, strict), expected);
    }

    #[test]
    fn no_policy_denies(groups in groups(), facts in facts(), strict in any::<bool>()) {
        prop_assert_eq!(evaluate(&[], &groups, &facts, strict), Verdict::Deny { policy: None });
    }

    #[test]
    fn a_matching_exclude_always_wins(
        mut policies in policies(), groups in groups(), facts in facts(),
        strict in any::<bool>(), pick in any::<prop::sample::Index>(),
    ) {
        prop_assume!(!policies.is_empty());
        let excluded = pick.index(policies.len());
        policies[excluded].exclude.push(Rule::Everyone);
        let verdict = evaluate(&policies, &groups, &facts, strict);
        prop_assert_ne!(decided_by(verdict), Some(policies[excluded].id));
        for policy in &mut policies {
            policy.exclude.push(Rule::Everyone);
        }
        prop_assert_eq!(evaluate(&policies, &groups, &facts, strict), Verdict::Deny { policy: None });
    }

    #[test]
    fn a_request_matching_nothing_is_denied(
        mut policies in policies(), groups in groups(), facts in facts(), strict in any::<bool>()
    ) {
        for policy in &mut policies {
            policy.include.retain(|rule| !rule_truth_plain(rule, &facts) && !matches!(rule, Rule::Group(_)));
        }
        prop_assert_eq!(evaluate(&policies, &groups, &facts, strict), Verdict::Deny { policy: None });
    }

    #[test]
    fn unknown_selectors_never_match(
        mut policies in policies(), groups in groups(), facts in facts(), strict in any::<bool>(),
        key in "[a-z_-]{1,20}",
    ) {
        let before = evaluate(&policies, &groups, &facts, strict);
        for policy in &mut policies {
            policy.include.push(Rule::Other(key.clone()));
        }
        prop_assert_eq!(evaluate(&policies, &groups, &facts, strict), before);
        for policy in &mut policies {
            policy.include = vec![Rule::Other(key.clone())];
        }
        prop_assert_eq!(evaluate(&policies, &groups, &facts, strict), Verdict::Deny { policy: None });
    }

    #[test]
    fn strict_mode_never_decides_by_allow_or_deny(
        policies in policies(), groups in groups(), facts in facts()
    ) {
        match evaluate(&policies, &groups, &facts, true) {
            Verdict::Allow { decision, .. } => prop_assert_eq!(decision, Decision::NonIdentity),
            Verdict::Deny { policy } => prop_assert_eq!(policy, None),
            Verdict::Bypass { .. } => {}
        }
    }

    #[test]
    fn an_unevaluated_exclude_or_require_never_lets_a_policy_grant(
        mut policies in policies(), groups in groups(), facts in facts(), strict in any::<bool>(),
        key in "[a-z_-]{1,20}", in_exclude in any::<bool>(), pick in any::<prop::sample::Index>(),
    ) {
        prop_assume!(!policies.is_empty());
        let chosen = pick.index(policies.len());
        let list = if in_exclude { &mut policies[chosen].exclude } else { &mut policies[chosen].require };
        list.push(Rule::Other(key));
        let verdict = evaluate(&policies, &groups, &facts, strict);
        if policies[chosen].decision != Decision::Deny {
            prop_assert_ne!(decided_by(verdict), Some(policies[chosen].id));
        }
    }

    #[test]
    fn an_unevaluated_exclude_makes_a_deny_apply_wherever_it_would_without_it(
        mut policies in policies(), groups in groups(), facts in facts(), strict in any::<bool>(),
        key in "[a-z_-]{1,20}",
    ) {
        let before = evaluate(&policies, &groups, &facts, strict);
        for policy in &mut policies {
            policy.exclude.push(Rule::Other(key.clone()));
        }
        let after = evaluate(&policies, &groups, &facts, strict);
        // Nothing is granted any more; a deny that applied still applies.
        let grants = matches!(after, Verdict::Allow { .. } | Verdict::Bypass { .. });
        prop_assert!(!grants, "granted: {:?}", after);
        if let Verdict::Deny { policy: Some(id) } = before {
            let denies = matches!(after, Verdict::Deny { policy: Some(_) });
            prop_assert!(denies, "{} no longer denies", id);
        }
    }
}

proptest! {
    /// The explanation is the same evaluation: same verdict, every policy traced once, and the
    /// one marked deciding is the verdict's.
    #[test]
    fn explain_agrees_with_evaluate(
        policies in policies(), groups in groups(), facts in facts(), strict in any::<bool>()
    ) {
        let verdict = evaluate(&policies, &groups, &facts, strict);
        let explained = crate::access::explain(&policies, &groups, &facts, strict);
        prop_assert_eq!(explained.verdict, verdict);
        prop_assert_eq!(explained.policies.len(), policies.len());
        let deciding: Vec<_> = explained
            .policies
            .iter()
            .filter(|p| p.outcome == crate::access::PolicyOutcome::Decides)
            .map(|p| p.id)
            .collect();
        prop_assert_eq!(deciding, decided_by(verdict).into_iter().collect::<Vec<_>>());
    }
}
