//! The token changes: create and rotate (whose response is the only place the new secret is
//! ever shown), refresh, enable/disable, and delete (the name typed again to confirm). Each calls
//! the API's own operation as the logged-in API token, so the API's checks, audit records and
//! gateway updates apply unchanged.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_api::auth::Access;
use gatehouse_api::tokens::{self, Shown};
use gatehouse_api_types::{CreateServiceTokenRequest, RotateServiceTokenRequest, UpdateServiceTokenRequest};
use serde::Deserialize;

use super::Chrome;
use crate::Dash;
use crate::error::{Failure, render};
use crate::session::Operator;

/// The header the dashboard's script sends when it wants the secret as a fragment for its
/// dialog rather than as a whole page.
const FRAGMENT: &str = "x-dashboard-fragment";

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    name: String,
    #[serde(default)]
    duration: String,
}

#[derive(Debug, Deserialize)]
pub struct RotateForm {
    /// Hours the old secret keeps working; empty: until the new secret is first used.
    #[serde(default)]
    grace_hours: String,
}

#[derive(Debug, Deserialize)]
pub struct EnabledForm {
    enabled: String,
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

/// The once-shown secret: the values, the two header lines, "you will not see it again".
#[derive(Template)]
#[template(path = "secret.html")]
struct SecretFragment<'a> {
    action: &'a str,
    id: String,
    name: &'a str,
    client_id: String,
    secret: &'a str,
}

#[derive(Template)]
#[template(path = "secret_page.html")]
struct SecretPage {
    chrome: Chrome,
    /// The rendered [`SecretFragment`].
    fragment: String,
}

pub async fn create(
    State(dash): State<Dash>,
    operator: Operator,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> Result<Response, Failure> {
    let (caller, account) = operator.caller(Access::Write)?;
    let request = CreateServiceTokenRequest {
        name: form.name,
        duration: Some(form.duration).filter(|d| !d.trim().is_empty()),
        ..CreateServiceTokenRequest::default()
    };
    let shown = tokens::create(&dash.api, &caller.actor(), account, request).await?;
    tracing::info!(token_id = %shown.token.id, "dashboard: service token created");
    secret_response(&operator, &headers, "created", &shown)
}

pub async fn rotate(
    State(dash): State<Dash>,
    operator: Operator,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RotateForm>,
) -> Result<Response, Failure> {
    let (caller, account) = operator.caller(Access::Write)?;
    let deadline = match form.grace_hours.trim() {
        "" => None,
        hours => {
            let hours: u64 = hours.parse().ok().filter(|h| *h <= 24 * 365).ok_or_else(|| {
                Failure::page(StatusCode::BAD_REQUEST, "The grace period is a number of hours.")
            })?;
            Some(dash.api.clock.now().saturating_add_secs(hours * 3_600).to_string())
        }
    };
    let request = RotateServiceTokenRequest { previous_client_secret_expires_at: deadline };
    let shown = tokens::rotate(&dash.api, &caller.actor(), &account, &id, request).await?;
    tracing::info!(token_id = %shown.token.id, "dashboard: service token rotated");
    secret_response(&operator, &headers, "rotated", &shown)
}

pub async fn refresh(
    State(dash): State<Dash>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let (caller, account) = operator.caller(Access::Write)?;
    let token = tokens::refresh(&dash.api, &caller.actor(), &account, &id).await?;
    Ok(Redirect::to(&format!("/dash/tokens/{}", token.id)).into_response())
}

pub async fn set_enabled(
    State(dash): State<Dash>,
    operator: Operator,
    Path(id): Path<String>,
    Form(form): Form<EnabledForm>,
) -> Result<Response, Failure> {
    let (caller, account) = operator.caller(Access::Write)?;
    let request = UpdateServiceTokenRequest { enabled: Some(form.enabled == "true"), ..Default::default() };
    let shown = tokens::update(&dash.api, &caller.actor(), &account, &id, request).await?;
    Ok(Redirect::to(&format!("/dash/tokens/{}", shown.token.id)).into_response())
}

pub async fn delete(
    State(dash): State<Dash>,
    operator: Operator,
    Path(id): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, Failure> {
    let (caller, account) = operator.caller(Access::Write)?;
    let token = tokens::get(&dash.api, &account, &id).await?;
    if form.confirm.trim() != token.name {
        return Err(Failure::page(
            StatusCode::BAD_REQUEST,
            "The name typed to confirm does not match the token's name; nothing was deleted.",
        ));
    }
    tokens::delete(&dash.api, &caller.actor(), &account, &id).await?;
    tracing::info!(token_id = %token.id, "dashboard: service token deleted");
    Ok(Redirect::to("/dash/tokens").into_response())
}

/// The response that shows a new secret: a fragment for the script's dialog, else a page.
fn secret_response(
    operator: &Operator,
    headers: &HeaderMap,
    action: &str,
    shown: &Shown,
) -> Result<Response, Failure> {
    let secret = shown
        .secret
        .as_ref()
        .ok_or_else(|| Failure::page(StatusCode::INTERNAL_SERVER_ERROR, "No secret was generated."))?;
    let fragment = SecretFragment {
        action,
        id: shown.token.id.to_string(),
        name: &shown.token.name,
        client_id: shown.token.client_id.to_string(),
        secret: secret.expose(),
    };
    if headers.contains_key(FRAGMENT) {
        return render(&fragment);
    }
    let fragment = fragment.render()?;
    render(&SecretPage { chrome: Chrome::new(operator, "tokens", "Save the new secret"), fragment })
}
