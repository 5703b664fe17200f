//! Creating, changing and deleting an application's policies. The form ([`PolicyForm`]) becomes
//! the body of `POST`/`PUT …/apps/{app_id}/policies`, read by the API's parser and handed to
//! `gatehouse_api::access::app_policies`, whose rule validation (the domain's `parse_rules`)
//! decides. Before that the service tokens the form names are resolved to their ids — by id,
//! client id or name — and a name that matches no token, or several, is refused here with the
//! line it came from; IP ranges are checked line by line with the same domain parser so that
//! the message can point at the line.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_api::access::{PolicyInput, app_policies};
use gatehouse_api::auth::Access;
use gatehouse_api::pagination::Pagination;
use gatehouse_api::{ApiError, tokens};
use gatehouse_domain::access::Rule;
use gatehouse_domain::{AccountId, ClientId, TokenId};
use gatehouse_store::TokenFilter;
use serde_json::Value;

use super::app_actions::is_input_error;
use super::policies::{Target, policy_page};
use super::policy_form::{FormError, LISTS, PolicyForm, ip_rule, lines};
use super::{api_input, form_message, text};
use crate::Dash;
use crate::error::Failure;
use crate::session::Operator;

/// Why a submitted policy was not saved: the form's own mistake, or the API's refusal.
enum Refusal {
    Form(String),
    Api(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal::Api(error)
    }
}

impl From<FormError> for Refusal {
    fn from(error: FormError) -> Self {
        Refusal::Form(error.0)
    }
}

pub async fn create(
    State(dash): State<Dash>,
    operator: Operator,
    Path(app): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let (caller, account) = operator.caller(Access::Write)?;
    let form = PolicyForm::from_pairs(&pairs);
    let saved = async {
        let input: PolicyInput = api_input(&body(&dash, &account, &form).await?)?;
        Ok::<_, Refusal>(app_policies::create(&dash.api, &caller.actor(), &account, &app, input).await?)
    }
    .await;
    let policy = match saved {
        Ok(policy) => policy,
        Err(refusal) => return refused(&dash, &operator, &app, Target::New, form, refusal).await,
    };
    let id = text(&policy, "id");
    tracing::info!(app_id = %app, policy_id = %id, "dashboard: app-scoped policy created");
    Ok(Redirect::to(&format!("/dash/apps/{app}")).into_response())
}

pub async fn update(
    State(dash): State<Dash>,
    operator: Operator,
    Path((app, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let (caller, account) = operator.caller(Access::Write)?;
    let form = PolicyForm::from_pairs(&pairs);
    let saved = async {
        let input: PolicyInput = api_input(&body(&dash, &account, &form).await?)?;
        Ok::<_, Refusal>(app_policies::update(&dash.api, &caller.actor(), &account, &app, &id, input).await?)
    }
    .await;
    if let Err(refusal) = saved {
        return refused(&dash, &operator, &app, Target::Existing(&id), form, refusal).await;
    }
    tracing::info!(app_id = %app, policy_id = %id, "dashboard: app-scoped policy updated");
    Ok(Redirect::to(&format!("/dash/apps/{app}")).into_response())
}

pub async fn delete(
    State(dash): State<Dash>,
    operator: Operator,
    Path((app, id)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let (caller, account) = operator.caller(Access::Write)?;
    app_policies::delete(&dash.api, &caller.actor(), &account, &app, &id).await?;
    tracing::info!(app_id = %app, policy_id = %id, "dashboard: app-scoped policy deleted");
    Ok(Redirect::to(&format!("/dash/apps/{app}")).into_response())
}

/// The form again, filled in as submitted, with the reason; errors that are not about the
/// input (a missing application, a permission, the store) are error pages.
async fn refused(
    dash: &Dash,
    operator: &Operator,
    app: &str,
    target: Target<'_>,
    form: PolicyForm,
    refusal: Refusal,
) -> Result<Response, Failure> {
    let message = match refusal {
        Refusal::Form(message) => message,
        Refusal::Api(error) if is_input_error(&error) => form_message(&error),
        Refusal::Api(error) => return Err(error.into()),
    };
    policy_page(dash, operator, app, target, Some((form, message))).await
}

/// The API body of the form: token lines resolved, IP lines checked.
async fn body(dash: &Dash, account: &AccountId, form: &PolicyForm) -> Result<Value, Refusal> {
    let mut ids: [Vec<String>; 3] = Default::default();
    for (index, token_lines) in form.token_lines().iter().enumerate() {
        let label = LISTS[index].1;
        for (number, line) in token_lines.iter().enumerate() {
            ids[index].push(resolve(dash, account, line).await.map_err(|why| {
                Refusal::Form(format!("{label}, service tokens, line {}: {why}", number + 1))
            })?);
        }
        for (number, ip) in lines(&form.lists[index].ips).enumerate() {
            if let Err(why) = Rule::parse(&ip_rule(ip)) {
                return Err(Refusal::Form(format!(
                    "{label}, IP ranges, line {} ('{ip}'): {why}",
                    number + 1
                )));
            }
        }
    }
    Ok(form.body(&ids)?)
}

/// The id of the account's service token that `text` names: its id, its client id, or its
/// exact name (when one token has it).
async fn resolve(dash: &Dash, account: &AccountId, text: &str) -> Result<String, String> {
    let shown: String = text.chars().take(80).collect();
    if TokenId::parse(text).is_ok() {
        return match tokens::get(&dash.api, account, text).await {
            Ok(token) => Ok(token.id.to_string()),
            Err(error) if error.code.spec().1 == axum::http::StatusCode::NOT_FOUND => {
                Err(format!("no service token has the id '{shown}'"))
            }
            Err(error) => Err(form_message(&error)),
        };
    }
    if let Ok(client_id) = ClientId::parse(text) {
        let found = dash.api.store.find_service_token_by_client_id(&client_id).await.map_err(|error| {
            tracing::error!(%error, "dashboard: a service token could not be looked up");
            "the service tokens could not be read; try again".to_owned()
        })?;
        if let Some(token) = found.filter(|token| &token.account_id == account) {
            return Ok(token.id.to_string());
        }
    }
    let filter = TokenFilter { name: Some(text.to_owned()), ..TokenFilter::default() };
    let named = tokens::list(&dash.api, account, &filter, Pagination { page: 1, per_page: 2 })
        .await
        .map_err(|error| form_message(&error))?;
    match named.items.as_slice() {
        [token] => Ok(token.id.to_string()),
        [] => Err(format!(
            "no service token is named '{shown}' or has it as its client id (give a token's name, id or client id)"
        )),
        _ => Err(format!("several service tokens are named '{shown}': give the one you mean by its id")),
    }
}
