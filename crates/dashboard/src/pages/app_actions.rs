//! Creating, editing and deleting applications. The form becomes the JSON body the v4 API takes
//! (`POST`/`PUT …/access/apps`), read by the API's own parser and handed to the API's own
//! operation as the logged-in API token: the same checks, audit records and gateway updates. A
//! refused form comes back filled in, with the API's reason.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_api::ApiError;
use gatehouse_api::access::{AppInput, apps};
use gatehouse_api::auth::Access;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::apps::{AppForm, app_page, list_page};
use super::{api_input, form_message, text};
use crate::Dash;
use crate::error::Failure;
use crate::session::Operator;

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

pub async fn create(
    State(dash): State<Dash>,
    operator: Operator,
    Form(form): Form<AppForm>,
) -> Result<Response, Failure> {
    let (caller, account) = operator.caller(Access::Write)?;
    let mut body = Map::new();
    body.insert("name".into(), form.name.clone().into());
    body.insert("domain".into(), form.domain.trim().into());
    body.insert("type".into(), form.app_type.clone().into());
    optional(&mut body, "session_duration", &form.session_duration);
    optional(&mut body, "origin", &form.origin);
    let created = match created(&dash, &caller.actor(), &account, Value::Object(body)).await {
        Ok(app) => app,
        Err(error) if is_input_error(&error) => {
            return list_page(&dash, &operator, form, Some(form_message(&error))).await;
        }
        Err(error) => return Err(error.into()),
    };
    let id = text(&created, "id");
    tracing::info!(app_id = %id, "dashboard: application created");
    Ok(Redirect::to(&format!("/dash/apps/{id}")).into_response())
}

async fn created(
    dash: &Dash,
    actor: &gatehouse_domain::AuditActor,
    account: &gatehouse_domain::AccountId,
    body: Value,
) -> Result<Value, ApiError> {
    let input: AppInput = api_input(&body)?;
    apps::create(&dash.api, actor, account, input).await
}

/// Saves the edit form: the application as the API returns it, with the form's fields put in,
/// sent back as a `PUT` would send it (its policies untouched, its other fields unchanged).
pub async fn update(
    State(dash): State<Dash>,
    operator: Operator,
    Path(id): Path<String>,
    Form(form): Form<AppForm>,
) -> Result<Response, Failure> {
    let (caller, account) = operator.caller(Access::Write)?;
    let old = apps::get(&dash.api, &account, &id).await?;
    let body = edited(&old, &form);
    let result = match api_input::<AppInput>(&body) {
        Ok(input) => apps::update(&dash.api, &caller.actor(), &account, &id, input).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => {}
        Err(error) if is_input_error(&error) => {
            return app_page(&dash, &operator, &id, Some((form, form_message(&error)))).await;
        }
        Err(error) => return Err(error.into()),
    }
    tracing::info!(app_id = %id, "dashboard: application updated");
    Ok(Redirect::to(&format!("/dash/apps/{id}")).into_response())
}

pub async fn delete(
    State(dash): State<Dash>,
    operator: Operator,
    Path(id): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, Failure> {
    let (caller, account) = operator.caller(Access::Write)?;
    let old = apps::get(&dash.api, &account, &id).await?;
    if form.confirm.trim() != text(&old, "name") {
        return Err(Failure::page(
            StatusCode::BAD_REQUEST,
            "The name typed to confirm does not match the application's name; nothing was deleted.",
        ));
    }
    apps::delete(&dash.api, &caller.actor(), &account, &id).await?;
    tracing::info!(app_id = %id, "dashboard: application deleted");
    Ok(Redirect::to("/dash/apps").into_response())
}

/// The `PUT` body: `old` with the form's fields, without `policies` (the API then keeps the
/// links). A default destination follows the domain; destinations set otherwise stay.
pub fn edited(old: &Value, form: &AppForm) -> Value {
    let mut body = old.as_object().cloned().unwrap_or_default();
    body.remove("policies");
    let old_domain = text(old, "domain");
    if body.get("destinations") == Some(&json!([{"type": "public", "uri": old_domain}])) {
        body.remove("destinations");
    }
    body.insert("name".into(), form.name.clone().into());
    body.insert("domain".into(), form.domain.trim().into());
    body.insert("type".into(), form.app_type.clone().into());
    body.remove("session_duration");
    optional(&mut body, "session_duration", &form.session_duration);
    let origin = form.origin.trim();
    body.insert("origin".into(), if origin.is_empty() { Value::Null } else { origin.into() });
    Value::Object(body)
}

fn optional(body: &mut Map<String, Value>, field: &str, value: &str) {
    if !value.trim().is_empty() {
        body.insert(field.into(), value.trim().into());
    }
}

/// A refusal of what the form said (shown beside the form), rather than a missing application,
/// a permission or a store failure (shown as an error page).
pub fn is_input_error(error: &ApiError) -> bool {
    let status = error.status.unwrap_or(error.code.spec().1);
    status == StatusCode::BAD_REQUEST || status == StatusCode::CONFLICT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_keeps_what_the_form_does_not_show() {
        let old = json!({
            "id": "a", "name": "old", "domain": "old.example", "type": "self_hosted",
            "destinations": [{"type": "public", "uri": "old.example"}],
            "session_duration": "24h", "policies": [{"id": "p"}], "service_auth_401_redirect": true,
            "origin": "http://127.0.0.1:9",
        });
        let form = AppForm {
            name: "new".into(),
            domain: " new.example ".into(),
            app_type: "self_hosted".into(),
            session_duration: String::new(),
            origin: String::new(),
        };
        let body = edited(&old, &form);
        assert_eq!(body["name"], "new");
        assert_eq!(body["domain"], "new.example");
        assert!(body.get("policies").is_none(), "links kept by the API");
        assert!(body.get("destinations").is_none(), "the default destination follows the domain");
        assert!(body.get("session_duration").is_none(), "the API's default");
        assert_eq!(body["origin"], Value::Null, "an emptied origin is removed");
        assert_eq!(body["service_auth_401_redirect"], true);
        let custom = json!({"domain": "d", "destinations": [{"type": "public", "uri": "other"}]});
        assert!(edited(&custom, &form).get("destinations").is_some());
    }
}
