//! Logging in by pasting a management API token, and logging out. The token is checked exactly
//! as the API checks a bearer token ([`gatehouse_api::auth::authenticate_bearer`]); the session
//! then holds its keyed hash, never the token.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_domain::Secret;
use serde::Deserialize;

use crate::Dash;
use crate::error::{Failure, render};
use crate::session::{self, Principal};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    error: Option<&'a str>,
    /// The identity providers to log in with (none when identity logins are off).
    providers: Vec<crate::people_login::Choice>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginForm { token: <redacted> }")
    }
}

pub async fn form(State(dash): State<Dash>, headers: HeaderMap) -> Result<Response, Failure> {
    if session::presented(&headers).and_then(|id| dash.sessions.resume(&id)).is_some() {
        return Ok(Redirect::to("/dash/").into_response());
    }
    render(&LoginPage { error: None, providers: crate::people_login::choices(&dash).await? })
}

pub async fn submit(State(dash): State<Dash>, Form(form): Form<LoginForm>) -> Result<Response, Failure> {
    let secret = Secret::new(form.token.trim().to_owned());
    drop(form);
    let token = gatehouse_api::auth::authenticate_bearer(&dash.api, &secret).await?;
    let Some(token) = token else {
        let page = LoginPage {
            error: Some("That API token is not valid (unknown, disabled or expired)."),
            providers: crate::people_login::choices(&dash).await?,
        };
        return Ok((StatusCode::UNAUTHORIZED, render(&page)?).into_response());
    };
    tracing::info!(api_token = %token.id, "dashboard: logged in");
    let id = dash.sessions.start(Principal::ApiToken(token.hash)).map_err(|error| {
        tracing::error!(%error, "dashboard: no session started, the random source failed");
        Failure::page(
            StatusCode::SERVICE_UNAVAILABLE,
            "No session could be started: the server's random source failed.",
        )
    })?;
    let cookie = dash.sessions.cookie(&id);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/dash/")).into_response())
}

pub async fn logout(State(dash): State<Dash>, headers: HeaderMap) -> Response {
    if let Some(id) = session::presented(&headers) {
        dash.sessions.end(&id);
    }
    ([(header::SET_COOKIE, session::cleared_cookie())], Redirect::to("/dash/login")).into_response()
}
