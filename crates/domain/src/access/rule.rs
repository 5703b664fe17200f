//! Policy and group rules: the JSON selectors of Cloudflare's catalogue (spec §4.3) parsed into
//! what the engine evaluates. Parsing validates the selectors gatehouse enforces (service tokens,
//! IP ranges, groups, and the people selectors `email`, `email_domain`, `login_method`, `oidc`,
//! `github-organization`, `auth_method` and `email_list`) and
//! accepts every other selector as [`Rule::Other`], which never matches: the stored JSON
//! round-trips unchanged, and a rule gatehouse cannot check never grants access.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use serde_json::{Map, Value};

use super::ids::{GroupId, IdpId, ListId};
use super::lists::{EmailLists, EmailSet};
use crate::ids::TokenId;

/// One parsed rule of an `include`, `require` or `exclude` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `{"service_token":{"token_id":…}}`: that token; `{"service_token":{}}`: any valid service
    /// token of the account (the seed's "Allow Only Service Tokens" example).
    ServiceToken(Option<TokenId>),
    /// `{"any_valid_service_token":{}}`.
    AnyValidServiceToken,
    /// `{"everyone":{}}`.
    Everyone,
    /// `{"ip":{"ip":"192.0.2.0/24"}}`; a bare address is a /32 or /128.
    Ip(IpNet),
    /// `{"group":{"id":…}}`: the access group's own rules decide.
    Group(GroupId),
    /// `{"email":{"email":…}}`: a person with this e-mail address (kept in lowercase; e-mail
    /// addresses are compared without regard to case).
    Email(String),
    /// `{"email_domain":{"domain":…}}`: a person whose e-mail address is at this domain
    /// (lowercase, without a leading `@`).
    EmailDomain(String),
    /// `{"login_method":{"id":…}}`: a person who logged in through this identity provider.
    LoginMethod(IdpId),
    /// `{"oidc":{"claim_name":…,"claim_value":…,"identity_provider_id":…}}`: a person who logged
    /// in through this identity provider, whose stored identity has this claim with this value
    /// (or, for a list claim such as `groups`, holding it). Only the claims the provider's
    /// `config.claims` names are kept, so only those can match.
    Oidc { claim_name: String, claim_value: String, idp: IdpId },
    /// `{"github-organization":{"name":…,"team":…,"identity_provider_id":…}}`: a person who
    /// logged in through this (`github`) identity provider and, as GitHub listed it at that
    /// login, is a member of the organization `name` and, when `team` is given, of that team
    /// (its slug or its name). Compared without regard to case, as GitHub does.
    GithubOrganization { name: String, team: Option<String>, idp: IdpId },
    /// `{"auth_method":{"auth_method":…}}`: a person whose login's `amr` (RFC 8176: `mfa`, `pwd`,
    /// `otp`, `hwk`, …) holds this method.
    AuthMethod(String),
    /// `{"email_list":{"id":…}}`: a person whose e-mail address is in this `EMAIL` list.
    EmailList(ListRule),
    /// Any other selector (identity, geo, mTLS, device posture, unknown future keys), by key.
    /// Accepted and stored as sent; never matches.
    Other(String),
}

/// An `email_list` rule: the list's id and, once compiled against the account's lists
/// ([`Rule::resolve_lists`]), its members. A rule whose list is not known (never resolved, no
/// such list, or not an `EMAIL` list) is *unknown*: it fails closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRule {
    pub id: ListId,
    pub members: Option<Arc<EmailSet>>,
}

/// A rule list that cannot be stored. Rendered as Cloudflare's
/// `invalid 'include' configuration` message; it never contains the offending value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid '{list}[{index}]' configuration: {message}")]
pub struct RuleError {
    /// `include`, `require` or `exclude`.
    pub list: &'static str,
    /// Position of the rule within the list.
    pub index: usize,
    pub message: String,
}

/// Keys longer than this are cut in error messages, so a hostile key is not echoed in full.
const MAX_KEY_IN_MESSAGE: usize = 64;

impl Rule {
    /// Parses one rule: a JSON object with exactly one key whose value is an object.
    /// The error says what is wrong without repeating the value.
    pub fn parse(value: &Value) -> Result<Rule, String> {
        let object = value
            .as_object()
            .ok_or_else(|| "a rule must be a JSON object with exactly one key".to_owned())?;
        let mut entries = object.iter();
        let (key, body) = match (entries.next(), entries.next()) {
            (Some(entry), None) => entry,
            _ => return Err("a rule must be a JSON object with exactly one key".to_owned()),
        };
        let body = body.as_object().ok_or_else(|| format!("'{}' must be an object", shown(key)))?;
        match key.as_str() {
            "service_token" => parse_service_token(body),
            "any_valid_service_token" => Ok(Rule::AnyValidServiceToken),
            "everyone" => Ok(Rule::Everyone),
            "ip" => parse_ip(body),
            "group" => parse_group(body),
            "email" => parse_email(body),
            "email_domain" => parse_email_domain(body),
            "login_method" => parse_login_method(body),
            "oidc" => parse_oidc(body),
            "github-organization" => parse_github_organization(body),
            "auth_method" => parse_auth_method(body),
            "email_list" => parse_email_list(body),
            _ => Ok(Rule::Other(key.clone())),
        }
    }
}

impl Rule {
    /// The rule with an `email_list`'s members filled in from `lists` (cleared when `lists` has
    /// no such `EMAIL` list); every other rule as it is.
    pub fn resolve_lists(self, lists: &EmailLists) -> Rule {
        match self {
            Rule::EmailList(ListRule { id, .. }) => {
                Rule::EmailList(ListRule { id, members: lists.get(id).cloned() })
            }
            other => other,
        }
    }

    /// Whether the engine cannot evaluate the rule: a selector gatehouse does not implement, or
    /// an `email_list` whose list is not known.
    pub fn unevaluated(&self) -> bool {
        matches!(self, Rule::Other(_) | Rule::EmailList(ListRule { members: None, .. }))
    }
}

/// Parses a whole list, reporting the first invalid rule with its list name and index.
pub fn parse_rules(list: &'static str, values: &[Value]) -> Result<Vec<Rule>, RuleError> {
    values
        .iter()
        .enumerate()
        .map(|(index, value)| Rule::parse(value).map_err(|message| RuleError { list, index, message }))
        .collect()
}

fn parse_service_token(body: &Map<String, Value>) -> Result<Rule, String> {
    match body.get("token_id") {
        // Terraform and some scripts send `null` for an unset attribute: same as absent.
        None | Some(Value::Null) => Ok(Rule::ServiceToken(None)),
        Some(Value::String(id)) => TokenId::parse(id).map(|id| Rule::ServiceToken(Some(id))).map_err(|_| {
            "service_token.token_id must be the service token's id (a UUID), \
                 not its name or client_id"
                .to_owned()
        }),
        Some(_) => Err("service_token.token_id must be a string (the service token's id, a UUID)".to_owned()),
    }
}

fn parse_ip(body: &Map<String, Value>) -> Result<Rule, String> {
    let text = body
        .get("ip")
        .and_then(Value::as_str)
        .ok_or_else(|| "ip.ip must be a string (an IPv4 or IPv6 address or CIDR)".to_owned())?;
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(Rule::Ip(net));
    }
    text.parse::<IpAddr>()
        .map(|addr| Rule::Ip(IpNet::from(addr)))
        .map_err(|_| "ip.ip is not a valid IPv4 or IPv6 address or CIDR range".to_owned())
}

fn parse_group(body: &Map<String, Value>) -> Result<Rule, String> {
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| "group.id must be a string (the access group's id, a UUID)".to_owned())?;
    GroupId::parse(id)
        .map(Rule::Group)
        .map_err(|_| "group.id must be the access group's id (a UUID)".to_owned())
}

fn parse_email(body: &Map<String, Value>) -> Result<Rule, String> {
    match body.get("email").and_then(Value::as_str).map(str::trim) {
        Some(email) if email.contains('@') && !email.chars().any(char::is_whitespace) => {
            Ok(Rule::Email(email.to_lowercase()))
        }
        _ => Err("email.email must be a string (an e-mail address)".to_owned()),
    }
}

fn parse_email_domain(body: &Map<String, Value>) -> Result<Rule, String> {
    let domain = body.get("domain").and_then(Value::as_str).map(|d| d.trim().trim_start_matches('@'));
    match domain {
        Some(domain) if !domain.is_empty() && !domain.chars().any(|c| c.is_whitespace() || c == '@') => {
            Ok(Rule::EmailDomain(domain.to_lowercase()))
        }
        _ => Err("email_domain.domain must be a string (a domain such as example.com)".to_owned()),
    }
}

fn parse_login_method(body: &Map<String, Value>) -> Result<Rule, String> {
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| "login_method.id must be a string (the identity provider's id, a UUID)".to_owned())?;
    IdpId::parse(id)
        .map(Rule::LoginMethod)
        .map_err(|_| "login_method.id must be the identity provider's id (a UUID)".to_owned())
}

fn parse_oidc(body: &Map<String, Value>) -> Result<Rule, String> {
    let text = |field: &str| body.get(field).and_then(Value::as_str).filter(|t| !t.is_empty());
    let claim_name = text("claim_name").ok_or_else(|| {
        "oidc.claim_name must be a non-empty string (the name of a claim the identity provider keeps)"
            .to_owned()
    })?;
    let claim_value = body
        .get("claim_value")
        .and_then(Value::as_str)
        .ok_or_else(|| "oidc.claim_value must be a string (the value the claim must have)".to_owned())?;
    let idp = text("identity_provider_id").ok_or_else(|| {
        "oidc.identity_provider_id must be a string (the identity provider's id, a UUID)".to_owned()
    })?;
    let idp = IdpId::parse(idp)
        .map_err(|_| "oidc.identity_provider_id must be the identity provider's id (a UUID)".to_owned())?;
    Ok(Rule::Oidc { claim_name: claim_name.to_owned(), claim_value: claim_value.to_owned(), idp })
}

fn parse_github_organization(body: &Map<String, Value>) -> Result<Rule, String> {
    let name = body.get("name").and_then(Value::as_str).map(str::trim).filter(|n| is_github_name(n));
    let name = name.ok_or_else(|| {
        "github-organization.name must be a string (the organization's login, such as acme-corp)".to_owned()
    })?;
    let team = match body.get("team") {
        // Terraform sends `null` for an unset attribute; an empty team is no team.
        None | Some(Value::Null) => None,
        Some(Value::String(team)) if team.trim().is_empty() => None,
        Some(Value::String(team)) if team.len() <= MAX_GITHUB_NAME => Some(team.trim().to_owned()),
        Some(_) => {
            return Err("github-organization.team must be a string (the team's slug or name)".to_owned());
        }
    };
    let idp = body.get("identity_provider_id").and_then(Value::as_str).ok_or_else(|| {
        "github-organization.identity_provider_id must be a string (the github identity provider's id, a UUID)"
            .to_owned()
    })?;
    let idp = IdpId::parse(idp).map_err(|_| {
        "github-organization.identity_provider_id must be the github identity provider's id (a UUID)"
            .to_owned()
    })?;
    Ok(Rule::GithubOrganization { name: name.to_owned(), team, idp })
}

/// Longest organization login or team name accepted (GitHub's are much shorter).
const MAX_GITHUB_NAME: usize = 256;

/// An organization login as GitHub allows it: letters, digits and hyphens.
fn is_github_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_GITHUB_NAME
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn parse_email_list(body: &Map<String, Value>) -> Result<Rule, String> {
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| "email_list.id must be a string (the Zero Trust list's id, a UUID)".to_owned())?;
    ListId::parse(id)
        .map(|id| Rule::EmailList(ListRule { id, members: None }))
        .map_err(|_| "email_list.id must be the Zero Trust list's id (a UUID)".to_owned())
}

fn parse_auth_method(body: &Map<String, Value>) -> Result<Rule, String> {
    match body.get("auth_method").and_then(Value::as_str).map(str::trim) {
        Some(method) if !method.is_empty() && !method.chars().any(char::is_whitespace) => {
            Ok(Rule::AuthMethod(method.to_owned()))
        }
        _ => Err("auth_method.auth_method must be a string (an RFC 8176 method such as mfa)".to_owned()),
    }
}

/// The key as it may appear in a message: cut to a bounded length on a character boundary.
fn shown(key: &str) -> &str {
    match key.char_indices().nth(MAX_KEY_IN_MESSAGE) {
        Some((cut, _)) => &key[..cut],
        None => key,
    }
}

#[cfg(test)]
mod tests;
