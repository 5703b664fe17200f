//! Who uses what: applications linking a policy, rules naming a group, a service token, a
//! github identity provider (`github-organization`) or a Zero Trust list (`email_list`). A
//! resource still in use is not deleted (409, `x-should-retry: false`), as Cloudflare refuses to
//! delete a service token that a policy names (12139). A rule naming a provider or a list is
//! checked when it is written: one that could never match is refused (400).

use gatehouse_domain::access::{
    Application, Group, GroupId, IdentityProvider, IdpId, ListId, ListRule, ListType, Policy, PolicyId, Rule,
    ZeroTrustList,
};
use gatehouse_domain::{AccountId, TokenId};
use serde_json::Value;

use super::Stored;
use super::document::load_all;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// How many applications link the policy.
pub fn app_count(apps: &[Stored<Application>], policy: PolicyId) -> usize {
    apps.iter().filter(|app| app.doc.policies.iter().any(|link| link.id == policy)).count()
}

/// Whether any policy or group rule is `{"group":{"id": group}}`.
pub fn group_is_referenced(policies: &[Stored<Policy>], groups: &[Stored<Group>], group: GroupId) -> bool {
    let named = |rule: &Value| matches!(Rule::parse(rule), Ok(Rule::Group(id)) if id == group);
    policies.iter().any(|p| policy_rules(&p.doc).any(named))
        || groups.iter().any(|g| group_rules(&g.doc).any(named))
}

/// Whether any policy or group of the account has a rule `{"service_token":{"token_id": token}}`.
pub async fn token_is_referenced(
    state: &AppState,
    account: &AccountId,
    token: TokenId,
) -> Result<bool, ApiError> {
    any_rule(state, account, |rule| matches!(rule, Rule::ServiceToken(Some(id)) if id == token)).await
}

/// Whether any policy or group of the account has a rule `{"email_list":{"id": list}}`.
pub async fn list_is_referenced(
    state: &AppState,
    account: &AccountId,
    list: ListId,
) -> Result<bool, ApiError> {
    any_rule(state, account, |rule| matches!(rule, Rule::EmailList(ListRule { id, .. }) if id == list)).await
}

/// Whether any policy or group of the account has a `github-organization` rule naming `idp`.
pub async fn provider_is_referenced(
    state: &AppState,
    account: &AccountId,
    idp: IdpId,
) -> Result<bool, ApiError> {
    any_rule(
        state,
        account,
        |rule| matches!(rule, Rule::GithubOrganization { idp: named, .. } if named == idp),
    )
    .await
}

/// Whether a rule of any policy or group of the account (as parsed) is `named`.
async fn any_rule(
    state: &AppState,
    account: &AccountId,
    named: impl Fn(Rule) -> bool,
) -> Result<bool, ApiError> {
    let named = |rule: &Value| Rule::parse(rule).is_ok_and(&named);
    let policies = load_all::<Policy>(state, account).await?;
    if policies.iter().any(|p| policy_rules(&p.doc).any(named)) {
        return Ok(true);
    }
    let groups = load_all::<Group>(state, account).await?;
    Ok(groups.iter().any(|g| group_rules(&g.doc).any(named)))
}

pub fn policy_in_use(count: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PolicyInUse,
        format!(
            "access.api.error.policy_in_use: cannot delete the policy because {count} application(s) use it; \
             remove it from their 'policies' first"
        ),
    )
}

pub fn group_in_use() -> ApiError {
    ApiError::new(
        ErrorCode::GroupInUse,
        "access.api.error.group_in_use: cannot delete the group because a policy or group rule uses it",
    )
}

pub fn list_in_use() -> ApiError {
    ApiError::new(
        ErrorCode::ListInUse,
        "access.api.error.list_in_use: cannot delete the list because an email_list rule of a policy or group \
         names it; remove the rule first",
    )
}

pub fn provider_in_use() -> ApiError {
    ApiError::new(
        ErrorCode::IdentityProviderInUse,
        "access.api.error.identity_provider_in_use: cannot delete the identity provider because a \
         github-organization rule of a policy or group names it; remove the rule first",
    )
}

pub fn token_in_use() -> ApiError {
    ApiError::new(
        ErrorCode::ServiceTokenInUse,
        "access.api.error.service_token_in_use: cannot delete service token because it is used by a policy, \
         group, or app SCIM configuration",
    )
}

/// Refuses (400) a `github-organization` rule of `policy` that does not name a `github`
/// identity provider of the account: such a rule could never match. `at` is the policy's place
/// in the request (`policies[0].` for an application's inline policy).
pub async fn check_policy_providers(
    state: &AppState,
    account: &AccountId,
    policy: &Policy,
    at: &str,
) -> Result<(), ApiError> {
    let lists = [("include", &policy.include), ("require", &policy.require), ("exclude", &policy.exclude)];
    check_providers(state, account, lists, at).await
}

/// [`check_policy_providers`] for a group's rules.
pub async fn check_group_providers(
    state: &AppState,
    account: &AccountId,
    group: &Group,
) -> Result<(), ApiError> {
    let lists = [("include", &group.include), ("require", &group.require), ("exclude", &group.exclude)];
    check_providers(state, account, lists, "").await
}

async fn check_providers(
    state: &AppState,
    account: &AccountId,
    lists: [(&str, &Vec<Value>); 3],
    at: &str,
) -> Result<(), ApiError> {
    let rules: Vec<(&str, usize, Rule)> = lists
        .iter()
        .flat_map(|(list, rules)| {
            rules.iter().enumerate().filter_map(move |(index, rule)| match Rule::parse(rule) {
                Ok(rule @ (Rule::GithubOrganization { .. } | Rule::EmailList(_))) => {
                    Some((*list, index, rule))
                }
                _ => None,
            })
        })
        .collect();
    let names_provider = rules.iter().any(|(_, _, rule)| matches!(rule, Rule::GithubOrganization { .. }));
    let providers =
        if names_provider { load_all::<IdentityProvider>(state, account).await? } else { Vec::new() };
    let names_list = rules.iter().any(|(_, _, rule)| matches!(rule, Rule::EmailList(_)));
    let email_lists = if names_list { load_all::<ZeroTrustList>(state, account).await? } else { Vec::new() };
    for (list, index, rule) in rules {
        let problem = match rule {
            Rule::GithubOrganization { idp, .. }
                if !providers.iter().any(|p| p.id == idp.to_string() && p.doc.kind == "github") =>
            {
                "github-organization.identity_provider_id must name a github identity provider of this account"
            }
            Rule::EmailList(ListRule { id, .. })
                if !email_lists.iter().any(|l| l.id == id.to_string() && l.doc.kind == ListType::Email) =>
            {
                "email_list.id must name an EMAIL list of this account (…/gateway/lists)"
            }
            _ => continue,
        };
        return Err(ApiError::invalid(format!("invalid '{at}{list}[{index}]' configuration: {problem}")));
    }
    Ok(())
}

fn policy_rules(policy: &Policy) -> impl Iterator<Item = &Value> {
    policy.include.iter().chain(&policy.require).chain(&policy.exclude)
}

fn group_rules(group: &Group) -> impl Iterator<Item = &Value> {
    group.include.iter().chain(&group.require).chain(&group.exclude)
}
