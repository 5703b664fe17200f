//! The policy form's page, for a new policy of an application or one of its app-scoped
//! policies. Reusable policies are shared by several applications and are changed through the
//! API's `/access/policies`; their page here says so instead of offering the form.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_api::access::NameFilter;
use gatehouse_api::auth::Access;

use super::apps::ALL;
use super::policy_form::{DECISIONS, LISTS, PolicyForm};
use super::{Chrome, text};
use crate::Dash;
use crate::error::{Failure, render};
use crate::session::Operator;

/// One rule list's fieldset.
#[derive(Debug)]
pub struct ListView {
    pub key: &'static str,
    pub legend: &'static str,
    pub hint: &'static str,
    pub any_token: bool,
    pub everyone: bool,
    pub tokens: String,
    pub ips: String,
    /// Every group of the account: id, name, whether this list names it.
    pub groups: Vec<(String, String, bool)>,
    pub other: String,
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    chrome: Chrome,
    app_id: String,
    app_name: String,
    /// The form's target: the application's policies, or the policy being edited.
    action: String,
    editing: bool,
    reusable: bool,
    form: PolicyForm,
    decisions: &'static [(&'static str, &'static str)],
    lists: Vec<ListView>,
    error: Option<String>,
}

/// Which policy the page is for.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    New,
    Existing(&'a str),
}

pub async fn new_form(
    State(dash): State<Dash>,
    operator: Operator,
    Path(app): Path<String>,
) -> Result<Response, Failure> {
    operator.caller(Access::Write)?;
    policy_page(&dash, &operator, &app, Target::New, None).await
}

pub async fn edit_form(
    State(dash): State<Dash>,
    operator: Operator,
    Path((app, id)): Path<(String, String)>,
) -> Result<Response, Failure> {
    operator.caller(Access::Read)?;
    policy_page(&dash, &operator, &app, Target::Existing(&id), None).await
}

/// The page, with the policy's current form, or the submitted one and why it was refused.
pub async fn policy_page(
    dash: &Dash,
    operator: &Operator,
    app_id: &str,
    target: Target<'_>,
    refused: Option<(PolicyForm, String)>,
) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let app = gatehouse_api::access::apps::get(&dash.api, &account, app_id).await?;
    let (groups, _) =
        gatehouse_api::access::groups::list(&dash.api, &account, &NameFilter::default(), ALL).await?;
    let groups: Vec<(String, String)> = groups.iter().map(|g| (text(g, "id"), text(g, "name"))).collect();
    let group_ids: Vec<String> = groups.iter().map(|(id, _)| id.clone()).collect();
    let (current, reusable) = match target {
        Target::New => (PolicyForm::new_policy(), false),
        Target::Existing(id) => {
            let policy = gatehouse_api::access::app_policies::get(&dash.api, &account, app_id, id).await?;
            let reusable = policy.get("reusable").and_then(serde_json::Value::as_bool).unwrap_or(false);
            (PolicyForm::from_policy(&policy, &group_ids), reusable)
        }
    };
    let status = if refused.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let (form, error) = match refused {
        Some((form, error)) => (form, Some(error)),
        None => (current, None),
    };
    let lists = LISTS
        .iter()
        .zip(&form.lists)
        .map(|((key, legend, hint), fields)| ListView {
            key,
            legend,
            hint,
            any_token: fields.any_token,
            everyone: fields.everyone,
            tokens: fields.tokens.clone(),
            ips: fields.ips.clone(),
            groups: groups
                .iter()
                .map(|(id, name)| (id.clone(), name.clone(), fields.groups.contains(id)))
                .collect(),
            other: fields.other.clone(),
        })
        .collect();
    let app_name = text(&app, "name");
    let (title, action, editing) = match target {
        Target::New => (format!("New policy of {app_name}"), format!("/dash/apps/{app_id}/policies"), false),
        Target::Existing(id) => (
            format!("Policy {} of {app_name}", form.name),
            format!("/dash/apps/{app_id}/policies/{id}"),
            true,
        ),
    };
    let page = PolicyPage {
        chrome: Chrome::new(operator, "apps", title),
        app_id: app_id.to_owned(),
        app_name,
        action,
        editing,
        reusable,
        form,
        decisions: &DECISIONS,
        lists,
        error,
    };
    Ok((status, render(&page)?).into_response())
}
