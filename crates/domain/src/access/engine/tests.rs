use serde_json::{Map, Value, json};

use super::*;
use crate::access::ListId;
use crate::access::people::{GithubIdentity, GithubTeam};

const CICD: &str = "f174e90a-fafe-4643-bbbc-4a0ed4fc8415";
const OTHER_TOKEN: &str = "0b6e2c1e-8d0f-4a52-9c1e-3f0c2b6a7d10";
const DEVELOPERS: &str = "a1b2c3d4-0000-4000-8000-00000000d5e7";

fn token(id: &str) -> TokenId {
    TokenId::parse(id).unwrap()
}

fn group_id(n: u32) -> GroupId {
    GroupId::parse(&format!("00000000-0000-4000-8000-{n:012}")).unwrap()
}

fn policy_json(decision: Decision, include: Value) -> Policy {
    Policy {
        id: PolicyId::generate(),
        name: "p".into(),
        decision,
        include: include.as_array().unwrap().clone(),
        require: vec![],
        exclude: vec![],
        session_duration: None,
        app_id: None,
        precedence: None,
        extra: Map::new(),
    }
}

fn compiled(decision: Decision, precedence: i64, include: Vec<Rule>) -> CompiledPolicy {
    CompiledPolicy {
        id: PolicyId::generate(),
        decision,
        precedence,
        include,
        require: vec![],
        exclude: vec![],
    }
}

fn group(include: Vec<Rule>, exclude: Vec<Rule>) -> CompiledGroup {
    CompiledGroup { include, require: vec![], exclude }
}

fn facts(token: Option<TokenId>) -> Facts<'static> {
    Facts { token, person: None, client_ip: "198.51.100.7".parse().unwrap() }
}

fn person(email: &'static str, idp: Option<IdpId>) -> Facts<'static> {
    Facts { token: None, person: Some(Person::new(email, idp)), client_ip: "198.51.100.7".parse().unwrap() }
}

fn no_groups() -> HashMap<GroupId, CompiledGroup> {
    HashMap::new()
}

const DENY: Verdict = Verdict::Deny { policy: None };

#[test]
fn seed_api_only_admits_any_valid_token() {
    let policy = policy_json(Decision::NonIdentity, json!([{"service_token": {}}]));
    let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
    let allowed = Verdict::Allow { policy: policy.id, decision: Decision::NonIdentity };
    for strict in [false, true] {
        assert_eq!(evaluate(&compiled, &no_groups(), &facts(Some(token(CICD))), strict), allowed);
        assert_eq!(evaluate(&compiled, &no_groups(), &facts(None), strict), DENY);
    }
}

#[test]
fn seed_specific_token_admits_only_that_token() {
    let policy = policy_json(Decision::NonIdentity, json!([{"service_token": {"token_id": CICD}}]));
    let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
    let allowed = Verdict::Allow { policy: policy.id, decision: Decision::NonIdentity };
    assert_eq!(evaluate(&compiled, &no_groups(), &facts(Some(token(CICD))), false), allowed);
    assert_eq!(evaluate(&compiled, &no_groups(), &facts(Some(token(OTHER_TOKEN))), false), DENY);
    assert_eq!(evaluate(&compiled, &no_groups(), &facts(None), false), DENY);
}

#[test]
fn seed_users_and_services_admits_the_token_through_an_allow_policy() {
    let policy = policy_json(
        Decision::Allow,
        json!([{"group": {"id": DEVELOPERS}}, {"service_token": {"token_id": CICD}}]),
    );
    let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
    let developers = Group {
        id: GroupId::parse(DEVELOPERS).unwrap(),
        name: "developers".into(),
        include: vec![json!({"email_domain": {"domain": "example.com"}})],
        require: vec![],
        exclude: vec![],
        extra: Map::new(),
    };
    let groups = HashMap::from([(developers.id, CompiledGroup::compile(&developers).unwrap())]);
    let allowed = Verdict::Allow { policy: policy.id, decision: Decision::Allow };
    assert_eq!(evaluate(&compiled, &groups, &facts(Some(token(CICD))), false), allowed);
    assert_eq!(evaluate(&compiled, &groups, &facts(Some(token(OTHER_TOKEN))), false), DENY);
    // Strict mode counts only Service Auth and Bypass policies.
    assert_eq!(evaluate(&compiled, &groups, &facts(Some(token(CICD))), true), DENY);
}

#[test]
fn compile_reports_the_list_of_an_invalid_rule() {
    let mut policy = policy_json(Decision::Allow, json!([{"everyone": {}}]));
    policy.exclude = vec![json!({"ip": {"ip": "not an address"}})];
    let err = CompiledPolicy::compile(&policy, 1).unwrap_err();
    assert_eq!((err.list, err.index), ("exclude", 0));
}

#[test]
fn service_auth_phase_comes_before_allow_and_deny() {
    let block = compiled(Decision::Deny, 1, vec![Rule::Everyone]);
    let service = compiled(Decision::NonIdentity, 9, vec![Rule::AnyValidServiceToken]);
    let policies = [block.clone(), service.clone()];
    let with_token = facts(Some(token(CICD)));
    let expected = Verdict::Allow { policy: service.id, decision: Decision::NonIdentity };
    assert_eq!(evaluate(&policies, &no_groups(), &with_token, false), expected);
    let blocked = Verdict::Deny { policy: Some(block.id) };
    assert_eq!(evaluate(&policies, &no_groups(), &facts(None), false), blocked);
}

#[test]
fn bypass_wins_by_precedence_within_its_phase() {
    let bypass = compiled(Decision::Bypass, 1, vec![Rule::Everyone]);
    let service = compiled(Decision::NonIdentity, 2, vec![Rule::Everyone]);
    let policies = [service, bypass.clone()];
    let verdict = evaluate(&policies, &no_groups(), &facts(None), true);
    assert_eq!(verdict, Verdict::Bypass { policy: bypass.id });
}

#[test]
fn equal_precedence_keeps_input_order() {
    let first = compiled(Decision::Deny, 3, vec![Rule::Everyone]);
    let second = compiled(Decision::Allow, 3, vec![Rule::Everyone]);
    let verdict = evaluate(&[first.clone(), second.clone()], &no_groups(), &facts(None), false);
    assert_eq!(verdict, Verdict::Deny { policy: Some(first.id) });
    let someone = person("dev@example.com", None);
    let verdict = evaluate(&[second.clone(), first], &no_groups(), &someone, false);
    assert_eq!(verdict, Verdict::Allow { policy: second.id, decision: Decision::Allow });
}

#[test]
fn ip_rules_match_ipv4_mapped_clients_and_ipv6() {
    let v4 = compiled(Decision::NonIdentity, 1, vec![Rule::Ip("192.0.2.0/24".parse().unwrap())]);
    let v6 = compiled(Decision::NonIdentity, 2, vec![Rule::Ip("2001:db8::/32".parse().unwrap())]);
    let policies = [v4.clone(), v6.clone()];
    let decide = |ip: &str| {
        let facts = Facts { token: None, person: None, client_ip: ip.parse().unwrap() };
        match evaluate(&policies, &no_groups(), &facts, false) {
            Verdict::Allow { policy, .. } => Some(policy),
            _ => None,
        }
    };
    assert_eq!(decide("192.0.2.44"), Some(v4.id));
    assert_eq!(decide("::ffff:192.0.2.44"), Some(v4.id));
    assert_eq!(decide("2001:db8::7"), Some(v6.id));
    assert_eq!(decide("192.0.3.1"), None);
}

#[test]
fn nested_groups_resolve_up_to_the_depth_limit() {
    // A chain g0 → g1 → … → g(n-1), the last including everyone.
    let chain = |n: u32| -> HashMap<GroupId, CompiledGroup> {
        (0..n)
            .map(|i| {
                let rule = if i + 1 == n { Rule::Everyone } else { Rule::Group(group_id(i + 1)) };
                (group_id(i), group(vec![rule], vec![]))
            })
            .collect()
    };
    let policy = compiled(Decision::NonIdentity, 1, vec![Rule::Group(group_id(0))]);
    let policies = [policy.clone()];
    let deepest = u32::from(MAX_GROUP_DEPTH);
    let allowed = Verdict::Allow { policy: policy.id, decision: Decision::NonIdentity };
    assert_eq!(evaluate(&policies, &chain(deepest), &facts(None), false), allowed);
    assert_eq!(evaluate(&policies, &chain(deepest + 1), &facts(None), false), DENY);
}

#[test]
fn missing_or_cyclic_groups_never_grant() {
    let selfish = group(vec![Rule::Everyone], vec![Rule::Group(group_id(0))]);
    let groups = HashMap::from([(group_id(0), selfish)]);
    for target in [group_id(0), group_id(99)] {
        let included = compiled(Decision::NonIdentity, 1, vec![Rule::Group(target)]);
        assert_eq!(evaluate(&[included], &groups, &facts(None), false), DENY);
        // As an exclusion, an unresolvable group keeps the policy from matching (fail closed).
        let mut excluded = compiled(Decision::Allow, 1, vec![Rule::Everyone]);
        excluded.exclude = vec![Rule::Group(target)];
        assert_eq!(evaluate(&[excluded], &groups, &facts(None), false), DENY);
        // A block policy whose outcome is unknown blocks.
        let block = compiled(Decision::Deny, 1, vec![Rule::Group(target)]);
        let allow = compiled(Decision::Allow, 2, vec![Rule::Everyone]);
        let verdict = evaluate(&[block.clone(), allow], &groups, &facts(None), false);
        assert_eq!(verdict, Verdict::Deny { policy: Some(block.id) });
    }
}

#[test]
fn a_cycle_that_does_not_decide_the_outcome_is_harmless() {
    let looping = group(vec![Rule::Everyone, Rule::Group(group_id(0))], vec![]);
    let groups = HashMap::from([(group_id(0), looping)]);
    let policy = compiled(Decision::NonIdentity, 1, vec![Rule::Group(group_id(0))]);
    let verdict = evaluate(std::slice::from_ref(&policy), &groups, &facts(None), false);
    assert_eq!(verdict, Verdict::Allow { policy: policy.id, decision: Decision::NonIdentity });
}

#[test]
fn a_fan_out_of_groups_is_bounded_by_the_budget() {
    // Each level references the next one 20 times and never matches: 20^8 without a budget.
    let groups: HashMap<_, _> = (0..u32::from(MAX_GROUP_DEPTH))
        .map(|i| (group_id(i), group(vec![Rule::Group(group_id(i + 1)); 20], vec![])))
        .collect();
    let policy = compiled(Decision::Allow, 1, vec![Rule::Group(group_id(0))]);
    assert_eq!(evaluate(&[policy], &groups, &facts(None), false), DENY);
}

const IDP: &str = "9d2b6a3e-1c4f-4e8a-9b7d-2f6e5a4c3b21";

#[test]
fn people_selectors_match_people_only() {
    let idp = IdpId::parse(IDP).unwrap();
    let cases = [
        (json!({"email": {"email": "Alice@Example.com"}}), "alice@example.com", true),
        (json!({"email": {"email": "alice@example.com"}}), "bob@example.com", false),
        (json!({"email_domain": {"domain": "EXAMPLE.com"}}), "bob@example.com", true),
        (json!({"email_domain": {"domain": "example.com"}}), "bob@sub.example.com", false),
        (json!({"email_domain": {"domain": "example.com"}}), "eve@example.com.evil", false),
        (json!({"login_method": {"id": IDP}}), "bob@example.com", true),
        (json!({"everyone": {}}), "anyone@example.org", true),
    ];
    for (rule, email, expected) in cases {
        let policy = policy_json(Decision::Allow, json!([rule.clone()]));
        let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
        let allowed = Verdict::Allow { policy: policy.id, decision: Decision::Allow };
        let verdict = evaluate(&compiled, &no_groups(), &person(email, Some(idp)), false);
        assert_eq!(verdict == allowed, expected, "{rule} for {email}");
        if rule.get("everyone").is_none() {
            // A service token is never a person.
            assert_eq!(evaluate(&compiled, &no_groups(), &facts(Some(token(CICD))), false), DENY, "{rule}");
        }
    }
    let other_idp = person("bob@example.com", Some(IdpId::generate()));
    let policy = policy_json(Decision::Allow, json!([{"login_method": {"id": IDP}}]));
    assert_eq!(
        evaluate(&[CompiledPolicy::compile(&policy, 1).unwrap()], &no_groups(), &other_idp, false),
        DENY
    );
}

#[test]
fn service_token_selectors_never_match_a_person() {
    for rule in [
        json!({"service_token": {}}),
        json!({"any_valid_service_token": {}}),
        json!({"service_token": {"token_id": CICD}}),
    ] {
        let policy = policy_json(Decision::Allow, json!([rule]));
        let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
        assert_eq!(evaluate(&compiled, &no_groups(), &person("alice@example.com", None), false), DENY);
    }
}

/// The guide's "Allow Both Users and Service Tokens": a group of developers (by e-mail domain
/// and one named address) or the CI token, in one allow policy.
#[test]
fn users_and_service_tokens_admits_a_developer_and_the_token_only() {
    let developers = GroupId::parse(DEVELOPERS).unwrap();
    let group_doc = Group {
        id: developers,
        name: "developers".into(),
        include: vec![
            json!({"email_domain": {"domain": "dev.example.com"}}),
            json!({"email": {"email": "lead@example.com"}}),
        ],
        require: vec![],
        exclude: vec![json!({"email": {"email": "intern@dev.example.com"}})],
        extra: Map::new(),
    };
    let groups = HashMap::from([(developers, CompiledGroup::compile(&group_doc).unwrap())]);
    let policy = policy_json(
        Decision::Allow,
        json!([{"group": {"id": DEVELOPERS}}, {"service_token": {"token_id": CICD}}]),
    );
    let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
    let allowed = Verdict::Allow { policy: policy.id, decision: Decision::Allow };
    for (facts, expected) in [
        (person("alice@dev.example.com", None), allowed),
        (person("lead@example.com", None), allowed),
        (person("intern@dev.example.com", None), DENY),
        (person("mallory@example.com", None), DENY),
        (facts(Some(token(CICD))), allowed),
        (facts(Some(token(OTHER_TOKEN))), DENY),
        (facts(None), DENY),
    ] {
        assert_eq!(evaluate(&compiled, &groups, &facts, false), expected, "{facts:?}");
    }
}

/// `email_list` admits the people of its `EMAIL` list (by address, without regard to case) and
/// never a service token; in a group too. A list that is unknown or not an `EMAIL` list fails
/// closed: no match in include, and an exclude naming it keeps the policy from granting.
#[test]
fn email_lists_match_their_members_only_and_fail_closed_when_unknown() {
    use crate::access::lists::{ListItem, ListType, ZeroTrustList};
    let (staff, ips, missing) = (ListId::generate(), ListId::generate(), ListId::generate());
    let list = |kind, values: &[&str]| ZeroTrustList {
        name: "staff".into(),
        description: String::new(),
        kind,
        items: values
            .iter()
            .map(|v| ListItem {
                value: (*v).into(),
                description: None,
                created_at: crate::clock::Timestamp::EPOCH,
            })
            .collect(),
    };
    let (staff_list, ip_list) =
        (list(ListType::Email, &["alice@example.com"]), list(ListType::Ip, &["192.0.2.1"]));
    let lists = EmailLists::new([(staff, &staff_list), (ips, &ip_list)]);
    let rule = |id: ListId| json!({"email_list": {"id": id.to_string()}});
    let policy = policy_json(Decision::Allow, json!([rule(staff)]));
    let compiled = [CompiledPolicy::compile_with(&policy, 1, &lists).unwrap()];
    let allowed = Verdict::Allow { policy: policy.id, decision: Decision::Allow };
    assert_eq!(evaluate(&compiled, &no_groups(), &person("alice@example.com", None), false), allowed);
    assert_eq!(evaluate(&compiled, &no_groups(), &person("bob@example.com", None), false), DENY);
    assert_eq!(evaluate(&compiled, &no_groups(), &facts(Some(token(CICD))), false), DENY);
    // Compiled without the lists, the same policy admits nobody.
    let unresolved = [CompiledPolicy::compile(&policy, 1).unwrap()];
    assert_eq!(evaluate(&unresolved, &no_groups(), &person("alice@example.com", None), false), DENY);
    // Through a group.
    let developers = GroupId::parse(DEVELOPERS).unwrap();
    let group_doc = Group {
        id: developers,
        name: "d".into(),
        include: vec![rule(staff)],
        require: vec![],
        exclude: vec![],
        extra: Map::new(),
    };
    let groups = HashMap::from([(developers, CompiledGroup::compile_with(&group_doc, &lists).unwrap())]);
    let by_group = policy_json(Decision::Allow, json!([{"group": {"id": DEVELOPERS}}]));
    let compiled = [CompiledPolicy::compile_with(&by_group, 1, &lists).unwrap()];
    let allowed = Verdict::Allow { policy: by_group.id, decision: Decision::Allow };
    assert_eq!(evaluate(&compiled, &groups, &person("alice@example.com", None), false), allowed);
    assert_eq!(evaluate(&compiled, &groups, &person("bob@example.com", None), false), DENY);
    // An IP list or a missing list: no match in include; in exclude, unknown keeps the allow out.
    for id in [ips, missing] {
        let include = policy_json(Decision::Allow, json!([rule(id)]));
        let compiled = [CompiledPolicy::compile_with(&include, 1, &lists).unwrap()];
        assert_eq!(evaluate(&compiled, &no_groups(), &person("alice@example.com", None), false), DENY);
        let mut excluding = policy_json(Decision::Allow, json!([{"everyone": {}}]));
        excluding.exclude = vec![rule(id)];
        let compiled = [CompiledPolicy::compile_with(&excluding, 1, &lists).unwrap()];
        assert_eq!(evaluate(&compiled, &no_groups(), &person("bob@example.com", None), false), DENY);
    }
    // Excluding the list's members keeps everyone else in.
    let mut excluding = policy_json(Decision::Allow, json!([{"everyone": {}}]));
    excluding.exclude = vec![rule(staff)];
    let compiled = [CompiledPolicy::compile_with(&excluding, 1, &lists).unwrap()];
    let allowed = Verdict::Allow { policy: excluding.id, decision: Decision::Allow };
    assert_eq!(evaluate(&compiled, &no_groups(), &person("bob@example.com", None), false), allowed);
    assert_eq!(evaluate(&compiled, &no_groups(), &person("alice@example.com", None), false), DENY);
}

#[test]
fn unevaluated_people_selectors_still_fail_closed_for_a_person() {
    let mut policy = policy_json(Decision::Allow, json!([{"everyone": {}}]));
    policy.require = vec![json!({"geo": {"country_code": "US"}})];
    let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
    assert_eq!(evaluate(&compiled, &no_groups(), &person("alice@example.com", None), false), DENY);
}

fn stored_identity(idp: IdpId, fields: Value, amr: &[&str]) -> Identity {
    Identity {
        identity_nonce: "nonce".into(),
        name: "Alice".into(),
        idp_id: idp.to_string(),
        idp_type: "oidc".into(),
        groups: vec![],
        oidc_fields: fields.as_object().cloned().unwrap(),
        amr: amr.iter().map(|m| (*m).to_owned()).collect(),
        github: None,
        iat: crate::Timestamp::EPOCH,
    }
}

/// What a login through the `github` provider `idp` stored: the organizations and
/// `(org, team slug, team name)` memberships GitHub listed.
fn github_identity(idp: IdpId, orgs: &[&str], teams: &[(&str, &str, &str)]) -> Identity {
    let mut identity = stored_identity(idp, json!({}), &[]);
    identity.idp_type = "github".into();
    identity.github = Some(GithubIdentity {
        login: "octocat".into(),
        id: 1,
        orgs: orgs.iter().map(|o| (*o).to_owned()).collect(),
        teams: teams
            .iter()
            .map(|(org, slug, name)| GithubTeam {
                org: (*org).into(),
                slug: (*slug).into(),
                name: (*name).into(),
            })
            .collect(),
    });
    identity
}

fn github_rule(org: &str, team: Option<&str>, idp: &str) -> Value {
    json!({"github-organization": {"name": org, "team": team, "identity_provider_id": idp}})
}

#[test]
fn github_organizations_and_teams_are_read_from_the_stored_identity() {
    let idp = IdpId::parse(IDP).unwrap();
    let identity = github_identity(idp, &["Acme-Corp"], &[("Acme-Corp", "platform", "Platform")]);
    let alice = with_identity(idp, &identity);
    let other_idp = IdpId::generate().to_string();
    let cases = [
        (github_rule("acme-corp", None, IDP), true),
        (github_rule("ACME-CORP", Some("Platform"), IDP), true),
        (github_rule("acme-corp", Some("platform"), IDP), true),
        (github_rule("acme-corp", Some("security"), IDP), false),
        (github_rule("globex", None, IDP), false),
        // The same organization through another provider (another GitHub, say) is not this login's.
        (github_rule("acme-corp", None, &other_idp), false),
    ];
    admits_only_with_the_identity(&cases, idp, &alice);
    // An OpenID Connect login through the same provider id stores no GitHub memberships.
    let oidc = stored_identity(idp, json!({"groups": ["acme-corp"]}), &[]);
    let policy = policy_json(Decision::Allow, json!([github_rule("acme-corp", None, IDP)]));
    let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
    assert_eq!(evaluate(&compiled, &no_groups(), &with_identity(idp, &oidc), false), DENY);
}

#[test]
fn github_rules_require_exclude_and_sit_in_groups() {
    let idp = IdpId::parse(IDP).unwrap();
    let developers = GroupId::parse(DEVELOPERS).unwrap();
    let group_doc = Group {
        id: developers,
        name: "developers".into(),
        include: vec![github_rule("acme", None, IDP)],
        require: vec![],
        exclude: vec![github_rule("acme", Some("contractors"), IDP)],
        extra: Map::new(),
    };
    let groups = HashMap::from([(developers, CompiledGroup::compile(&group_doc).unwrap())]);
    let mut policy = policy_json(Decision::Allow, json!([{"group": {"id": DEVELOPERS}}]));
    policy.require = vec![github_rule("acme", Some("engineering"), IDP)];
    policy.exclude = vec![github_rule("acme", Some("interns"), IDP)];
    let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
    let allowed = Verdict::Allow { policy: policy.id, decision: Decision::Allow };
    let engineering = ("acme", "engineering", "Engineering");
    type Memberships<'a> = (&'a [&'a str], Vec<(&'a str, &'a str, &'a str)>, Verdict);
    let cases: [Memberships; 5] = [
        (&["acme"], vec![engineering], allowed),
        // require: not in the engineering team.
        (&["acme"], vec![("acme", "sales", "Sales")], DENY),
        // the group's exclude.
        (&["acme"], vec![engineering, ("acme", "contractors", "Contractors")], DENY),
        // the policy's exclude.
        (&["acme"], vec![engineering, ("acme", "interns", "Interns")], DENY),
        // removed from the organization (and so from its teams) at the last login.
        (&["globex"], vec![], DENY),
    ];
    for (orgs, teams, expected) in cases {
        let identity = github_identity(idp, orgs, &teams);
        assert_eq!(
            evaluate(&compiled, &groups, &with_identity(idp, &identity), false),
            expected,
            "{orgs:?} {teams:?}"
        );
    }
}

fn with_identity<'a>(idp: IdpId, identity: &'a Identity) -> Facts<'a> {
    let alice = Person::new("alice@example.com", Some(idp)).with_identity(Some(identity));
    Facts { token: None, person: Some(alice), client_ip: "198.51.100.7".parse().unwrap() }
}

/// Each rule of `cases`, alone in an allow policy, admits `alice` (whose session is through `idp`)
/// exactly when expected, and never the same person without a stored identity, nor a token.
#[track_caller]
fn admits_only_with_the_identity(cases: &[(Value, bool)], idp: IdpId, alice: &Facts) {
    for (rule, expected) in cases {
        let policy = policy_json(Decision::Allow, json!([rule.clone()]));
        let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
        let allowed = Verdict::Allow { policy: policy.id, decision: Decision::Allow };
        assert_eq!(evaluate(&compiled, &no_groups(), alice, false) == allowed, *expected, "{rule}");
        let bare = person("alice@example.com", Some(idp));
        assert_eq!(evaluate(&compiled, &no_groups(), &bare, false), DENY, "{rule} without identity");
        assert_eq!(evaluate(&compiled, &no_groups(), &facts(Some(token(CICD))), false), DENY, "{rule}");
    }
}

#[test]
fn oidc_claims_and_auth_methods_are_read_from_the_stored_identity() {
    let idp = IdpId::parse(IDP).unwrap();
    let identity =
        stored_identity(idp, json!({"groups": ["developers"], "department": "eng"}), &["pwd", "mfa"]);
    let alice = with_identity(idp, &identity);
    let oidc = |name: &str, value: &str, idp: &str| json!({"oidc": {"claim_name": name, "claim_value": value, "identity_provider_id": idp}});
    let other_idp = IdpId::generate().to_string();
    let cases = [
        (oidc("groups", "developers", IDP), true),
        (oidc("groups", "ops", IDP), false),
        (oidc("department", "eng", IDP), true),
        // Another provider's claim of the same name is not this login's.
        (oidc("department", "eng", &other_idp), false),
        // A claim the provider's config.claims did not keep.
        (oidc("email", "alice@example.com", IDP), false),
        (json!({"auth_method": {"auth_method": "mfa"}}), true),
        (json!({"auth_method": {"auth_method": "hwk"}}), false),
    ];
    admits_only_with_the_identity(&cases, idp, &alice);
    // An identity stored for another provider than the session's is not used.
    let elsewhere = stored_identity(IdpId::generate(), json!({"department": "eng"}), &["mfa"]);
    let policy = policy_json(Decision::Allow, json!([{"auth_method": {"auth_method": "mfa"}}]));
    let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
    assert_eq!(evaluate(&compiled, &no_groups(), &with_identity(idp, &elsewhere), false), DENY);
}

#[test]
fn oidc_and_auth_method_rules_require_exclude_and_sit_in_groups() {
    let idp = IdpId::parse(IDP).unwrap();
    let developers = GroupId::parse(DEVELOPERS).unwrap();
    let group_doc = Group {
        id: developers,
        name: "developers".into(),
        include: vec![
            json!({"oidc": {"claim_name": "groups", "claim_value": "developers", "identity_provider_id": IDP}}),
        ],
        require: vec![],
        exclude: vec![
            json!({"oidc": {"claim_name": "contractor", "claim_value": "true", "identity_provider_id": IDP}}),
        ],
        extra: Map::new(),
    };
    let groups = HashMap::from([(developers, CompiledGroup::compile(&group_doc).unwrap())]);
    let mut policy = policy_json(Decision::Allow, json!([{"group": {"id": DEVELOPERS}}]));
    policy.require = vec![json!({"auth_method": {"auth_method": "mfa"}})];
    policy.exclude = vec![
        json!({"oidc": {"claim_name": "department", "claim_value": "sales", "identity_provider_id": IDP}}),
    ];
    let compiled = [CompiledPolicy::compile(&policy, 1).unwrap()];
    let allowed = Verdict::Allow { policy: policy.id, decision: Decision::Allow };
    let cases = [
        (json!({"groups": ["developers"]}), vec!["mfa"], allowed),
        // require: a login without MFA.
        (json!({"groups": ["developers"]}), vec!["pwd"], DENY),
        // the group's exclude.
        (json!({"groups": ["developers"], "contractor": true}), vec!["mfa"], DENY),
        // the policy's exclude.
        (json!({"groups": ["developers"], "department": "sales"}), vec!["mfa"], DENY),
        // not in the group.
        (json!({"groups": ["ops"]}), vec!["mfa"], DENY),
    ];
    for (fields, amr, expected) in cases {
        let identity = stored_identity(idp, fields.clone(), &amr);
        assert_eq!(
            evaluate(&compiled, &groups, &with_identity(idp, &identity), false),
            expected,
            "{fields} {amr:?}"
        );
    }
}

#[test]
fn everyone_in_an_allow_policy_is_every_person_or_token_that_authenticated() {
    let everyone = compiled(Decision::Allow, 1, vec![Rule::Everyone]);
    let admits = |facts: &Facts| evaluate(std::slice::from_ref(&everyone), &no_groups(), facts, false);
    let allowed = Verdict::Allow { policy: everyone.id, decision: Decision::Allow };
    assert_eq!(admits(&facts(None)), DENY, "no credentials: not admitted (sent to log in)");
    assert_eq!(admits(&person("dev@example.com", None)), allowed);
    assert_eq!(admits(&facts(Some(TokenId::generate()))), allowed);
    // The same through a group, and in require.
    let groups = HashMap::from([(group_id(0), group(vec![Rule::Everyone], vec![]))]);
    let via_group = compiled(Decision::Allow, 1, vec![Rule::Group(group_id(0))]);
    assert_eq!(evaluate(std::slice::from_ref(&via_group), &groups, &facts(None), false), DENY);
    let mut required = compiled(Decision::Allow, 1, vec![Rule::Ip("0.0.0.0/0".parse().unwrap())]);
    required.require = vec![Rule::Everyone];
    assert_eq!(evaluate(std::slice::from_ref(&required), &no_groups(), &facts(None), false), DENY);
}

#[test]
fn everyone_still_means_every_request_where_it_bypasses_or_excludes() {
    let bypass = compiled(Decision::Bypass, 1, vec![Rule::Everyone]);
    assert_eq!(
        evaluate(std::slice::from_ref(&bypass), &no_groups(), &facts(None), false),
        Verdict::Bypass { policy: bypass.id }
    );
    // Excluding everyone excludes an unauthenticated request too, directly or through a group.
    let mut open = compiled(Decision::Allow, 1, vec![Rule::Ip("0.0.0.0/0".parse().unwrap())]);
    open.exclude = vec![Rule::Everyone];
    assert_eq!(evaluate(std::slice::from_ref(&open), &no_groups(), &facts(None), false), DENY);
    let groups = HashMap::from([(group_id(0), group(vec![Rule::Everyone], vec![]))]);
    open.exclude = vec![Rule::Group(group_id(0))];
    assert_eq!(evaluate(std::slice::from_ref(&open), &groups, &facts(None), false), DENY);
    // A block policy blocks every request.
    let block = compiled(Decision::Deny, 1, vec![Rule::Everyone]);
    let blocked = Verdict::Deny { policy: Some(block.id) };
    assert_eq!(evaluate(std::slice::from_ref(&block), &no_groups(), &facts(None), false), blocked);
}
