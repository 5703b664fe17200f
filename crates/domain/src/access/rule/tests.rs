use serde_json::json;

use super::*;

const TOKEN: &str = "f174e90a-fafe-4643-bbbc-4a0ed4fc8415";
const GROUP: &str = "a1b2c3d4-0000-4000-8000-000000000001";

#[track_caller]
fn parsed(value: Value) -> Rule {
    match Rule::parse(&value) {
        Ok(rule) => rule,
        Err(message) => panic!("{value} refused: {message}"),
    }
}

#[track_caller]
fn refused(value: Value) -> String {
    match Rule::parse(&value) {
        Ok(rule) => panic!("{value} accepted as {rule:?}"),
        Err(message) => message,
    }
}

#[test]
fn parses_service_token_rules() {
    let id = TokenId::parse(TOKEN).unwrap();
    assert_eq!(parsed(json!({"service_token": {"token_id": TOKEN}})), Rule::ServiceToken(Some(id)));
    assert_eq!(parsed(json!({"service_token": {}})), Rule::ServiceToken(None));
    assert_eq!(parsed(json!({"service_token": {"token_id": null}})), Rule::ServiceToken(None));
    assert_eq!(parsed(json!({"any_valid_service_token": {}})), Rule::AnyValidServiceToken);
}

#[test]
fn refuses_a_token_name_or_client_id_in_place_of_the_id() {
    for wrong in ["CI token", "dfcafc3f102dd48b7d00256cfd940325.access", "token-uuid"] {
        let message = refused(json!({"service_token": {"token_id": wrong}}));
        assert!(message.contains("not its name or client_id"), "{message}");
        assert!(!message.contains(wrong), "{message} echoes the input");
    }
    refused(json!({"service_token": {"token_id": 42}}));
}

#[test]
fn parses_everyone_and_groups() {
    assert_eq!(parsed(json!({"everyone": {}})), Rule::Everyone);
    let group = GroupId::parse(GROUP).unwrap();
    assert_eq!(parsed(json!({"group": {"id": GROUP}})), Rule::Group(group));
    refused(json!({"group": {}}));
    refused(json!({"group": {"id": "developers"}}));
}

#[test]
fn parses_ip_ranges_and_bare_addresses() {
    let cases = [
        ("192.0.2.0/24", "192.0.2.0/24"),
        ("192.0.2.7", "192.0.2.7/32"),
        ("2001:db8::/32", "2001:db8::/32"),
        ("2001:db8::1", "2001:db8::1/128"),
    ];
    for (input, expected) in cases {
        let net: IpNet = expected.parse().unwrap();
        assert_eq!(parsed(json!({"ip": {"ip": input}})), Rule::Ip(net));
    }
    for wrong in [json!("192.0.2.0/33"), json!("300.0.0.1"), json!("example.com"), json!(7)] {
        refused(json!({"ip": {"ip": wrong}}));
    }
    refused(json!({"ip": {}}));
}

#[test]
fn accepts_the_rest_of_the_catalogue_as_other() {
    let rules = [
        json!({"geo": {"country_code": "US"}}),
        json!({"azureAD": {"id": "x", "identity_provider_id": "y"}}),
        json!({"github": {"name": "acme"}}),
        json!({"certificate": {}}),
        json!({"some_future_selector": {"anything": [1, 2]}}),
    ];
    for rule in rules {
        let key = rule.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(parsed(rule), Rule::Other(key));
    }
}

#[test]
fn refuses_malformed_shapes() {
    for wrong in [
        json!("everyone"),
        json!([{"everyone": {}}]),
        json!({}),
        json!({"everyone": {}, "ip": {"ip": "192.0.2.1"}}),
        json!({"everyone": true}),
        json!({"email": "user@example.com"}),
    ] {
        refused(wrong);
    }
}

#[test]
fn error_names_the_list_and_index_without_echoing_the_value() {
    let secret_looking = "x".repeat(500);
    let rules = [json!({"everyone": {}}), json!({secret_looking.clone(): "oops"})];
    let err = parse_rules("require", &rules).unwrap_err();
    assert_eq!((err.list, err.index), ("require", 1));
    let text = err.to_string();
    assert!(text.starts_with("invalid 'require[1]' configuration: "), "{text}");
    assert!(!text.contains(&secret_looking), "the whole key is echoed");
    assert_eq!(parse_rules("include", &rules[..1]), Ok(vec![Rule::Everyone]));
}

#[test]
fn parses_people_selectors_and_refuses_malformed_ones() {
    assert_eq!(
        parsed(json!({"email": {"email": " Alice@Example.COM "}})),
        Rule::Email("alice@example.com".into())
    );
    assert_eq!(
        parsed(json!({"email_domain": {"domain": "@Example.com"}})),
        Rule::EmailDomain("example.com".into())
    );
    let idp = "9d2b6a3e-1c4f-4e8a-9b7d-2f6e5a4c3b21";
    assert_eq!(parsed(json!({"login_method": {"id": idp}})), Rule::LoginMethod(IdpId::parse(idp).unwrap()));
    refused(json!({"email": {"email": "not an address"}}));
    refused(json!({"email": {"email": 3}}));
    refused(json!({"email_domain": {}}));
    refused(json!({"login_method": {"id": "okta"}}));
    let list = ListId::parse(idp).unwrap();
    assert_eq!(
        parsed(json!({"email_list": {"id": idp}})),
        Rule::EmailList(ListRule { id: list, members: None })
    );
    assert!(
        parsed(json!({"email_list": {"id": idp}})).unevaluated(),
        "unresolved until compiled with the lists"
    );
    refused(json!({"email_list": {"id": "staff"}}));
    refused(json!({"email_list": {}}));
}

#[test]
fn parses_oidc_claims_and_auth_methods() {
    let idp = "9d2b6a3e-1c4f-4e8a-9b7d-2f6e5a4c3b21";
    assert_eq!(
        parsed(
            json!({"oidc": {"claim_name": "groups", "claim_value": "developers", "identity_provider_id": idp}})
        ),
        Rule::Oidc {
            claim_name: "groups".into(),
            claim_value: "developers".into(),
            idp: IdpId::parse(idp).unwrap()
        }
    );
    // An empty value is a value (a claim sent as "").
    assert!(matches!(
        parsed(json!({"oidc": {"claim_name": "team", "claim_value": "", "identity_provider_id": idp}})),
        Rule::Oidc { claim_value, .. } if claim_value.is_empty()
    ));
    for wrong in [
        json!({"claim_name": "groups", "claim_value": "x"}),
        json!({"claim_name": "groups", "claim_value": "x", "identity_provider_id": "okta"}),
        json!({"claim_name": "", "claim_value": "x", "identity_provider_id": idp}),
        json!({"claim_name": "groups", "claim_value": 3, "identity_provider_id": idp}),
        json!({"claim_value": "x", "identity_provider_id": idp}),
    ] {
        let message = refused(json!({"oidc": wrong}));
        assert!(message.starts_with("oidc."), "{message}");
    }
    assert_eq!(parsed(json!({"auth_method": {"auth_method": "mfa"}})), Rule::AuthMethod("mfa".into()));
    refused(json!({"auth_method": {}}));
    refused(json!({"auth_method": {"auth_method": "two words"}}));
    refused(json!({"auth_method": {"auth_method": ["mfa"]}}));
}

#[test]
fn parses_github_organizations_with_or_without_a_team() {
    let idp = "9d2b6a3e-1c4f-4e8a-9b7d-2f6e5a4c3b21";
    let id = IdpId::parse(idp).unwrap();
    assert_eq!(
        parsed(json!({"github-organization": {"name": "Acme-Corp", "identity_provider_id": idp}})),
        Rule::GithubOrganization { name: "Acme-Corp".into(), team: None, idp: id }
    );
    assert_eq!(
        parsed(
            json!({"github-organization": {"name": "acme", "team": "Platform Team", "identity_provider_id": idp}})
        ),
        Rule::GithubOrganization { name: "acme".into(), team: Some("Platform Team".into()), idp: id }
    );
    for unset in [json!(null), json!(""), json!("  ")] {
        assert!(matches!(
            parsed(
                json!({"github-organization": {"name": "acme", "team": unset, "identity_provider_id": idp}})
            ),
            Rule::GithubOrganization { team: None, .. }
        ));
    }
    for wrong in [
        json!({"name": "acme"}),
        json!({"name": "acme", "identity_provider_id": "my github"}),
        json!({"name": "", "identity_provider_id": idp}),
        json!({"name": "two words", "identity_provider_id": idp}),
        json!({"name": "acme/platform", "identity_provider_id": idp}),
        json!({"name": 7, "identity_provider_id": idp}),
        json!({"name": "acme", "team": ["platform"], "identity_provider_id": idp}),
        json!({"identity_provider_id": idp}),
    ] {
        let message = refused(json!({"github-organization": wrong}));
        assert!(message.starts_with("github-organization."), "{message}");
    }
}
