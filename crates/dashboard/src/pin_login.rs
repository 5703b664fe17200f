//! Logging in with a one-time PIN (the account's `onetimepin` identity provider), for the people
//! the [`admission`](crate::admission) applications admit: the gateway's own PIN login
//! ([`gatehouse_proxy::identity_login`]: the same stored codes, limits and mails) on the
//! dashboard's routes.
//!
//! 1. `GET /dash/login/pin/{id}` (a link of the login page): the address form, and the login's
//!    cookie ([`COOKIE`], sealed under the server key for ten minutes, path [`PIN_PATH`],
//!    `HttpOnly`, `Secure`, `SameSite=Strict`: every step is a form of this origin).
//! 2. `POST /dash/login/pin/send` with `email`: a code is made and stored for every address,
//!    but mailed (through the gateway's `smtp` settings, in the background) only to an address
//!    the admins' or viewers' application admits; the answer is the same "check your mail"
//!    page with the code form either way, so it tells nobody which addresses may log in.
//!    Limited as at the gateway: codes per address and per client (429 with `Retry-After`).
//! 3. `POST /dash/login/pin/verify` with `code`: five guesses per code, then it is dead;
//!    wrong guesses per client are limited; a code works once and for ten minutes. A right
//!    code: admission is decided again (the policies may have changed since the mail) and the
//!    session starts, as after any identity login (`people_login::session_for`); the browser goes to
//!    `/dash/` (a navigation from this origin, which sends the `Strict` session cookie).
//!
//! A form without the login's cookie (another browser, an expired login) is refused (400).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_api::access::identity_providers;
use gatehouse_domain::Timestamp;
use gatehouse_domain::access::IdpId;
use gatehouse_domain::access::one_time_pin::{CODE_SECS, CodeRefusal};
use gatehouse_proxy::identity_login::{self, CodeFailure};
use serde::{Deserialize, Serialize};

use crate::Dash;
use crate::error::{Failure, render};
use crate::people_login::{IdentityLogins, peer, session_for};

/// The address form of a provider is at `PIN_PATH/{id}`; the forms post below it.
pub const PIN_PATH: &str = "/dash/login/pin";
pub const SEND_PATH: &str = "/dash/login/pin/send";
pub const VERIFY_PATH: &str = "/dash/login/pin/verify";
/// The login in progress, sealed.
pub const COOKIE: &str = "gatehouse_dash_pin";
/// The seal's purpose (nothing else the server seals opens as one).
const PURPOSE: &str = "dashboard-pin-login";
/// How long a login may take, from the address form to the code.
const LOGIN_SECS: i64 = 600;
/// The name the mail gives what the code logs in to.
const MAIL_NAME: &str = "the gatehouse dashboard";
/// How often the limiter forgets ended windows, at most.
const SWEEP_SECS: i64 = 60;

/// What [`COOKIE`] holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PinPending {
    idp: String,
    /// Set once a code was asked for: the id of the stored code.
    challenge: Option<String>,
    /// Normalized; set with `challenge`.
    email: Option<String>,
}

#[derive(Template)]
#[template(path = "pin.html")]
struct PinPage<'a> {
    title: &'a str,
    message: &'a str,
    error: Option<&'a str>,
    action: &'a str,
    /// The code form; otherwise the address form.
    code: bool,
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

impl std::fmt::Debug for EmailForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailForm { .. }")
    }
}

impl std::fmt::Debug for CodeForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeForm { .. }")
    }
}

const ASK: &str = "Enter your e-mail address and we send you a code.";

fn cookie_value(value: &str, max_age: i64) -> Option<HeaderValue> {
    HeaderValue::try_from(format!(
        "{COOKIE}={value}; Path={PIN_PATH}; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .ok()
}

/// `page` (with `status`) and the login's cookie holding `pending`.
fn with_cookie(dash: &Dash, status: StatusCode, page: &PinPage<'_>, pending: &PinPending) -> Response {
    let exp = dash.api.clock.now().unix() + LOGIN_SECS;
    let cookie = identity_login::seal(&dash.api.key, PURPOSE, exp, pending)
        .and_then(|sealed| cookie_value(&sealed, LOGIN_SECS));
    let Some(cookie) = cookie else {
        return Failure::page(StatusCode::INTERNAL_SERVER_ERROR, "The login could not be started.")
            .into_response();
    };
    match render(page) {
        Ok(response) => (status, [(header::SET_COOKIE, cookie)], response).into_response(),
        Err(failure) => failure.into_response(),
    }
}

fn email_page<'a>(message: &'a str, error: Option<&'a str>) -> PinPage<'a> {
    PinPage { title: "Log in with a code", message, error, action: SEND_PATH, code: false }
}

fn code_page<'a>(message: &'a str, error: Option<&'a str>) -> PinPage<'a> {
    PinPage { title: "Enter your code", message, error, action: VERIFY_PATH, code: true }
}

/// Whether `id` is a `onetimepin` provider of the account.
async fn is_pin_provider(dash: &Dash, logins: &IdentityLogins, id: &str) -> Result<Option<IdpId>, Failure> {
    let Ok(idp) = IdpId::parse(id) else { return Ok(None) };
    let stored = identity_providers::all(&dash.api, &logins.account).await?;
    Ok(stored.iter().any(|stored| stored.id == id && stored.doc.kind == "onetimepin").then_some(idp))
}

fn logins_of(dash: &Dash) -> Result<Arc<IdentityLogins>, Failure> {
    dash.logins
        .clone()
        .ok_or_else(|| Failure::page(StatusCode::NOT_FOUND, "There is no such identity provider."))
}

/// The login in progress of a form, with its provider: refused when the cookie is missing,
/// does not open, has expired, or names a provider that is no longer a PIN provider.
async fn pending(
    dash: &Dash,
    logins: &IdentityLogins,
    headers: &HeaderMap,
) -> Result<(PinPending, IdpId), Failure> {
    let expired = || {
        Failure::page(
            StatusCode::BAD_REQUEST,
            "This login has expired or was started in another browser. Please log in again.",
        )
    };
    let now = dash.api.clock.now().unix();
    let Some(sealed) = crate::session::cookie(headers, COOKIE) else { return Err(expired()) };
    let Some(pending) = identity_login::open::<PinPending>(&dash.api.key, PURPOSE, &sealed, now) else {
        return Err(expired());
    };
    let Some(idp) = is_pin_provider(dash, logins, &pending.idp).await? else { return Err(expired()) };
    Ok((pending, idp))
}

/// `GET /dash/login/pin/{id}`: the address form.
pub async fn form(State(dash): State<Dash>, Path(id): Path<String>) -> Result<Response, Failure> {
    let logins = logins_of(&dash)?;
    if is_pin_provider(&dash, &logins, &id).await?.is_none() {
        return Err(Failure::page(StatusCode::NOT_FOUND, "There is no such identity provider."));
    }
    let pending = PinPending { idp: id, challenge: None, email: None };
    Ok(with_cookie(&dash, StatusCode::OK, &email_page(ASK, None), &pending))
}

/// 429, with how long to wait.
fn too_many(wait: u64) -> Response {
    let minutes = wait.div_ceil(60).max(1);
    let mut response = Failure::page(
        StatusCode::TOO_MANY_REQUESTS,
        format!("Too many codes were asked for or typed. Please wait {minutes} minutes and try again."),
    )
    .into_response();
    if let Ok(value) = HeaderValue::try_from(wait.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn sweep(logins: &IdentityLogins, now: Timestamp) {
    let last = logins.pins_swept.load(Ordering::Relaxed);
    if now.unix() - last >= SWEEP_SECS
        && logins.pins_swept.compare_exchange(last, now.unix(), Ordering::Relaxed, Ordering::Relaxed).is_ok()
    {
        logins.pins.sweep(now);
    }
}

/// `POST /dash/login/pin/send` with `email`.
pub async fn send(
    State(dash): State<Dash>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<EmailForm>,
) -> Result<Response, Failure> {
    let logins = logins_of(&dash)?;
    let (mut pending, idp) = pending(&dash, &logins, &headers).await?;
    let Some(email) = identity_login::pin_email(&form.email) else {
        let page = email_page(ASK, Some("Please enter a valid e-mail address."));
        return Ok(with_cookie(&dash, StatusCode::BAD_REQUEST, &page, &pending));
    };
    let Some(mailer) = logins.mailer.clone() else {
        tracing::error!("dashboard: a one-time PIN was asked for, but no smtp settings are configured");
        return Err(Failure::page(StatusCode::SERVICE_UNAVAILABLE, "This server cannot send e-mail."));
    };
    let (now, ip) = (dash.api.clock.now(), peer(&extensions));
    sweep(&logins, now);
    if let Err(wait) = logins.pins.code_requested(&email, ip, now) {
        return Ok(too_many(wait));
    }
    // A code is made and stored for every address, so that the answer says nothing about which
    // addresses may log in; it is mailed only to admitted ones.
    let issued =
        identity_login::issue_pin(dash.api.store.as_ref(), &dash.api.key, &logins.account, &email, idp, now)
            .await;
    let (challenge, code) = issued.map_err(|error| {
        tracing::error!(%error, "dashboard: could not store a one-time PIN");
        Failure::page(StatusCode::SERVICE_UNAVAILABLE, "Please try again in a moment.")
    })?;
    let identity = identity_login::pin_identity(idp, now);
    let admitted = crate::admission::admit(
        &dash.api,
        &logins.account,
        &logins.admission,
        &email,
        idp,
        Some(&identity),
        ip,
    )
    .await?;
    if admitted.is_some() {
        let to = email.clone();
        tokio::spawn(async move {
            if let Err(error) = mailer.send_code(&to, MAIL_NAME, &code).await {
                tracing::error!(%error, "dashboard: could not send a one-time PIN");
            }
        });
    } else {
        tracing::info!(
            "dashboard: a one-time PIN was asked for an address no admission policy admits; none was sent"
        );
    }
    let message = format!(
        "If {email} may use this dashboard, a code is on its way to it. It works once, for {} minutes.",
        CODE_SECS / 60
    );
    pending.challenge = Some(challenge);
    pending.email = Some(email);
    Ok(with_cookie(&dash, StatusCode::OK, &code_page(&message, None), &pending))
}

/// `POST /dash/login/pin/verify` with `code`.
pub async fn verify(
    State(dash): State<Dash>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<CodeForm>,
) -> Result<Response, Failure> {
    let logins = logins_of(&dash)?;
    let (pending, idp) = pending(&dash, &logins, &headers).await?;
    let (Some(challenge), Some(email)) = (pending.challenge.clone(), pending.email.clone()) else {
        return Ok(with_cookie(&dash, StatusCode::BAD_REQUEST, &email_page(ASK, None), &pending));
    };
    let (now, ip) = (dash.api.clock.now(), peer(&extensions));
    if let Err(wait) = logins.pins.may_guess(ip, now) {
        return Ok(too_many(wait));
    }
    let checked = identity_login::check_pin(
        dash.api.store.as_ref(),
        &dash.api.key,
        &logins.account,
        &challenge,
        &email,
        idp,
        form.code.trim(),
        now,
    )
    .await;
    match checked {
        Ok(()) => {
            let identity = identity_login::pin_identity(idp, now);
            let cookie = session_for(&dash, &logins, &email, idp, identity, ip).await?;
            let mut response = ([(header::SET_COOKIE, cookie)], Redirect::to("/dash/")).into_response();
            if let Some(clear) = cookie_value("", 0) {
                response.headers_mut().append(header::SET_COOKIE, clear);
            }
            Ok(response)
        }
        Err(CodeFailure::Refused(CodeRefusal::Wrong)) => {
            logins.pins.wrong_guess(ip, now);
            tracing::info!("dashboard: a wrong one-time PIN was typed");
            let page =
                code_page("Type the code from the mail.", Some("That code is not right. Please try again."));
            Ok(with_cookie(&dash, StatusCode::UNAUTHORIZED, &page, &pending))
        }
        Err(CodeFailure::Refused(_) | CodeFailure::Unknown) => {
            logins.pins.wrong_guess(ip, now);
            tracing::info!("dashboard: an expired, used or exhausted one-time PIN was typed");
            let fresh = PinPending { idp: pending.idp, challenge: None, email: None };
            let page = email_page(ASK, Some("That code can no longer be used. Ask for a new one."));
            Ok(with_cookie(&dash, StatusCode::UNAUTHORIZED, &page, &fresh))
        }
        Err(CodeFailure::Store(error)) => {
            tracing::error!(%error, "dashboard: could not check a one-time PIN");
            Err(Failure::page(StatusCode::SERVICE_UNAVAILABLE, "Please try again in a moment."))
        }
    }
}
