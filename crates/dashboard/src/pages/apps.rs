//! Applications and their policies, as the API returns them (its own output code, so what the
//! page shows is what a script would read), with the forms that change them
//! ([`super::app_actions`], [`super::policy_actions`]).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_api::access::NameFilter;
use gatehouse_api::access::apps::AppFilter;
use gatehouse_api::auth::Access;
use gatehouse_api::pagination::Pagination;
use gatehouse_domain::AccountId;
use gatehouse_domain::access::Rule;
use serde_json::Value;

use super::policy_form::LISTS;
use super::{Chrome, text};
use crate::Dash;
use crate::error::{Failure, render};
use crate::session::Operator;

/// Everything the API lists in one page (its maximum), enough for an account's applications
/// and groups.
pub const ALL: Pagination = Pagination { page: 1, per_page: 1000 };

/// One application in the list.
#[derive(Debug)]
pub struct AppRow {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub app_type: String,
    pub policies: usize,
}

/// The application form's fields (create and edit).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AppForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default, rename = "type")]
    pub app_type: String,
    #[serde(default)]
    pub session_duration: String,
    #[serde(default)]
    pub origin: String,
}

impl AppForm {
    pub fn new_app() -> Self {
        AppForm {
            app_type: "self_hosted".to_owned(),
            session_duration: "24h".to_owned(),
            ..AppForm::default()
        }
    }

    fn of(app: &Value) -> Self {
        AppForm {
            name: text(app, "name"),
            domain: text(app, "domain"),
            app_type: text(app, "type"),
            session_duration: text(app, "session_duration"),
            origin: text(app, "origin"),
        }
    }
}

#[derive(Template)]
#[template(path = "apps.html")]
struct AppsPage {
    chrome: Chrome,
    apps: Vec<AppRow>,
    form: AppForm,
    error: Option<String>,
}

/// One policy as the application page shows it.
#[derive(Debug)]
pub struct PolicyView {
    pub id: String,
    pub name: String,
    pub decision: String,
    pub precedence: String,
    pub reusable: bool,
    /// Per non-empty rule list: its label and the rules in words.
    pub lists: Vec<(&'static str, Vec<String>)>,
    pub json: String,
}

#[derive(Template)]
#[template(path = "app.html")]
struct AppPage {
    chrome: Chrome,
    id: String,
    name: String,
    facts: AppForm,
    aud: String,
    policies: Vec<PolicyView>,
    form: AppForm,
    error: Option<String>,
    json: String,
}

pub async fn list(State(dash): State<Dash>, operator: Operator) -> Result<Response, Failure> {
    list_page(&dash, &operator, AppForm::new_app(), None).await
}

/// The list with the create form, holding `form` and, after a refused create, why.
pub async fn list_page(
    dash: &Dash,
    operator: &Operator,
    form: AppForm,
    error: Option<String>,
) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let (apps, _) =
        gatehouse_api::access::apps::list(&dash.api, &account, &AppFilter::default(), ALL).await?;
    let apps = apps
        .iter()
        .map(|app| AppRow {
            id: text(app, "id"),
            name: text(app, "name"),
            domain: text(app, "domain"),
            app_type: text(app, "type"),
            policies: app.get("policies").and_then(Value::as_array).map_or(0, Vec::len),
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = AppsPage { chrome: Chrome::new(operator, "apps", "Applications"), apps, form, error };
    Ok((status, render(&page)?).into_response())
}

pub async fn show(
    State(dash): State<Dash>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    app_page(&dash, &operator, &id, None).await
}

/// The application's page; after a refused edit, with the submitted form and why.
pub async fn app_page(
    dash: &Dash,
    operator: &Operator,
    id: &str,
    edited: Option<(AppForm, String)>,
) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let app = gatehouse_api::access::apps::get(&dash.api, &account, id).await?;
    let names = Names::load(dash, &account, &app).await?;
    let policies = app
        .get("policies")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(|policy| names.view(policy)).collect())
        .unwrap_or_default();
    let name = text(&app, "name");
    let status = if edited.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let (form, error) = match edited {
        Some((form, error)) => (form, Some(error)),
        None => (AppForm::of(&app), None),
    };
    let page = AppPage {
        chrome: Chrome::new(operator, "apps", format!("Application {name}")),
        id: text(&app, "id"),
        name,
        facts: AppForm::of(&app),
        aud: text(&app, "aud"),
        policies,
        form,
        error,
        json: serde_json::to_string_pretty(&app).unwrap_or_default(),
    };
    Ok((status, render(&page)?).into_response())
}

/// The names of the groups and service tokens an application's rules name, to say the rules in
/// words.
struct Names {
    groups: HashMap<String, String>,
    tokens: HashMap<String, String>,
}

impl Names {
    async fn load(dash: &Dash, account: &AccountId, app: &Value) -> Result<Self, Failure> {
        let (groups, _) =
            gatehouse_api::access::groups::list(&dash.api, account, &NameFilter::default(), ALL).await?;
        let groups = groups.iter().map(|g| (text(g, "id"), text(g, "name"))).collect();
        let mut tokens = HashMap::new();
        for policy in app.get("policies").and_then(Value::as_array).into_iter().flatten() {
            for (list, _, _) in LISTS {
                for rule in policy.get(list).and_then(Value::as_array).into_iter().flatten() {
                    if let Ok(Rule::ServiceToken(Some(token))) = Rule::parse(rule) {
                        let id = token.to_string();
                        if !tokens.contains_key(&id)
                            && let Ok(found) = gatehouse_api::tokens::get(&dash.api, account, &id).await
                        {
                            tokens.insert(id, found.name);
                        }
                    }
                }
            }
        }
        Ok(Names { groups, tokens })
    }

    fn view(&self, policy: &Value) -> PolicyView {
        let lists = LISTS
            .iter()
            .filter_map(|(list, label, _)| {
                let rules = policy.get(*list).and_then(Value::as_array)?;
                (!rules.is_empty()).then(|| (*label, rules.iter().map(|rule| self.describe(rule)).collect()))
            })
            .collect();
        PolicyView {
            id: text(policy, "id"),
            name: text(policy, "name"),
            decision: text(policy, "decision"),
            precedence: policy.get("precedence").map(Value::to_string).unwrap_or_default(),
            reusable: policy.get("reusable").and_then(Value::as_bool).unwrap_or(false),
            lists,
            json: serde_json::to_string_pretty(policy).unwrap_or_default(),
        }
    }

    /// A rule in words: "any valid service token", "service token ci-deploy", "IP 10.0.0.0/8".
    fn describe(&self, rule: &Value) -> String {
        match Rule::parse(rule) {
            Ok(Rule::AnyValidServiceToken | Rule::ServiceToken(None)) => "any valid service token".to_owned(),
            Ok(Rule::Everyone) => "everyone".to_owned(),
            Ok(Rule::ServiceToken(Some(id))) => match self.tokens.get(&id.to_string()) {
                Some(name) => format!("service token {name}"),
                None => format!("service token {id} (no such token now: never matches)"),
            },
            Ok(Rule::Ip(net)) => format!("IP {net}"),
            Ok(Rule::Group(id)) => match self.groups.get(&id.to_string()) {
                Some(name) => format!("group {name}"),
                None => format!("group {id} (no such group now)"),
            },
            Ok(Rule::Email(email)) => format!("e-mail {email}"),
            Ok(Rule::EmailDomain(domain)) => format!("e-mail domain {domain}"),
            Ok(Rule::LoginMethod(id)) => format!("login method {id}"),
            Ok(Rule::Oidc { claim_name, claim_value, idp }) => {
                format!("OIDC claim {claim_name} = {claim_value} (identity provider {idp})")
            }
            Ok(Rule::GithubOrganization { name, team, idp }) => match team {
                Some(team) => format!("GitHub team {team} of {name} (identity provider {idp})"),
                None => format!("GitHub organization {name} (identity provider {idp})"),
            },
            Ok(Rule::AuthMethod(method)) => format!("authentication method {method}"),
            Ok(Rule::EmailList(list)) => format!("e-mail list {}", list.id),
            Ok(Rule::Other(key)) => format!("{key}: {rule} (stored, not evaluated by gatehouse)"),
            Err(message) => format!("{rule} ({message})"),
        }
    }
}
