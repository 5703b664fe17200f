//! The one-time PIN endpoints of the auth domain (the flow is described in `crate::login::pin`):
//! the address form, `POST …/otp/send` (ask for a code) and `POST …/otp/verify` (type it).

use std::net::IpAddr;
use std::sync::Arc;

use gatehouse_domain::Timestamp;
use gatehouse_domain::access::one_time_pin::{self, CodeRefusal};
use gatehouse_domain::access::{Authentication, Decided, Person, Verdict};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use hyper::body::Incoming;

use super::Gateway;
use crate::authorize::authorize;
use crate::body::Body;
use crate::login::pages::{self, Field};
use crate::login::pin::{self, CodeFailure, PIN_COOKIE, PIN_PATH, PURPOSE, PinLogin, SEND_PATH, VERIFY_PATH};
use crate::login::{self, LOGIN_SECS, Protocol, page, sealed};
use crate::route::{bare_host, host};
use crate::snapshot::{AccountSettings, App};

const EMAIL_FIELD: Field<'static> = Field {
    name: "email",
    label: "E-mail address",
    kind: "email",
    autocomplete: "email",
    attributes: "maxlength=\"254\" autofocus",
};
const CODE_FIELD: Field<'static> = Field {
    name: "code",
    label: "Code",
    kind: "text",
    autocomplete: "one-time-code",
    attributes: "inputmode=\"numeric\" pattern=\"[0-9]{6}\" maxlength=\"6\" autofocus",
};

/// The account, application, provider and login a PIN request belongs to.
type PinContext = (Arc<AccountSettings>, Arc<App>, gatehouse_domain::access::IdpId, PinLogin);

impl Gateway {
    /// The login page of a one-time PIN provider: the address form, and the login's cookie.
    pub(super) fn pin_email_form(
        &self,
        app_name: &str,
        login: &PinLogin,
        tls: bool,
        now: Timestamp,
    ) -> Response<Body> {
        let message = format!("Log in to {app_name}: enter your e-mail address and we send you a code.");
        let response =
            pages::form(StatusCode::OK, "Log in", &message, SEND_PATH, &[EMAIL_FIELD], "Email me a code");
        self.with_pin_cookie(response, login, tls, now)
    }

    /// `POST <auth_domain>/cdn-cgi/access/otp/send` with `email`.
    pub(super) async fn pin_send(
        &self,
        parts: &Parts,
        body: Incoming,
        tls: bool,
        peer: IpAddr,
        now: Timestamp,
    ) -> Response<Body> {
        let (account, app, idp, mut login) = match self.pin_context(parts) {
            Ok(context) => context,
            Err(refused) => return refused,
        };
        let Some(email) = pin::form_field(body, "email").await.as_deref().and_then(pin::email_of) else {
            let response = pages::form(
                StatusCode::BAD_REQUEST,
                "Log in",
                "Please enter a valid e-mail address.",
                SEND_PATH,
                &[EMAIL_FIELD],
                "Email me a code",
            );
            return self.with_pin_cookie(response, &login, tls, now);
        };
        let Some(mailer) = self.options.mailer.clone() else {
            tracing::error!("a one-time PIN was asked for, but no smtp settings are configured");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Login unavailable",
                "This gateway cannot send e-mail.",
            );
        };
        if let Err(wait) = self.pins.code_requested(&email, peer, now) {
            return too_many(wait);
        }
        // A code is made and stored for every address, so that the answer (and its timing) says
        // nothing about which addresses may log in; it is mailed only to admitted ones.
        let issued =
            pin::issue(self.store.as_ref(), &self.server_key, &account.id, &email, &idp.to_string(), now)
                .await;
        let (challenge, code) = match issued {
            Ok(issued) => issued,
            Err(error) => {
                tracing::error!(%error, "could not store a one-time PIN");
                return page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Login failed",
                    "Please try again in a moment.",
                );
            }
        };
        let who = Authentication::Person(Person::new(&email, Some(idp)));
        if matches!(authorize(&app, who, peer), Decided::Verdict(Verdict::Allow { .. })) {
            let (to, app_name) = (email.clone(), app.name.clone());
            self.background.spawn(async move {
                if let Err(error) = mailer.send_code(&to, &app_name, &code).await {
                    tracing::error!(%error, "could not send a one-time PIN");
                }
            });
        } else {
            tracing::info!(app = %app.id, "a one-time PIN was asked for an address no policy admits; none was sent");
        }
        let message = format!(
            "If {email} may use {}, a code is on its way to it. It works once, for {} minutes.",
            app.name,
            one_time_pin::CODE_SECS / 60
        );
        login.challenge = Some(challenge);
        login.email = Some(email);
        let response =
            pages::form(StatusCode::OK, "Enter your code", &message, VERIFY_PATH, &[CODE_FIELD], "Sign in");
        self.with_pin_cookie(response, &login, tls, now)
    }

    /// `POST <auth_domain>/cdn-cgi/access/otp/verify` with `code`.
    pub(super) async fn pin_verify(
        &self,
        parts: &Parts,
        body: Incoming,
        tls: bool,
        peer: IpAddr,
        now: Timestamp,
    ) -> Response<Body> {
        let (account, _app, idp, login) = match self.pin_context(parts) {
            Ok(context) => context,
            Err(refused) => return refused,
        };
        // A login with no code pending (never asked for, or spent by the guesses before): any
        // code typed is refused like a spent one, never answered with the address form alone.
        let (Some(challenge), Some(email)) = (login.challenge.clone(), login.email.clone()) else {
            tracing::info!("a one-time PIN was typed for a login with no code pending");
            return self.pin_code_spent(login, tls, now);
        };
        if let Err(wait) = self.pins.may_guess(peer, now) {
            return too_many(wait);
        }
        let guess = pin::form_field(body, "code").await.unwrap_or_default();
        let idp = idp.to_string();
        let checked = pin::check(
            self.store.as_ref(),
            &self.server_key,
            &account.id,
            &challenge,
            &email,
            &idp,
            &guess,
            now,
        )
        .await;
        match checked {
            Ok(()) => {
                let identity = pin::identity(&idp, now);
                let Some(request_host) = host(&parts.uri, &parts.headers) else {
                    return page(StatusCode::BAD_REQUEST, "Login failed", "This login is not valid.");
                };
                let clear = login::clear_cookie(PIN_COOKIE, PIN_PATH, tls);
                self.complete_login(
                    &account.id,
                    login.target(),
                    &email,
                    identity,
                    request_host,
                    tls,
                    now,
                    clear,
                )
                .await
            }
            Err(CodeFailure::Refused(CodeRefusal::Wrong)) => {
                self.pins.wrong_guess(peer, now);
                tracing::info!("a wrong one-time PIN was typed");
                let response = pages::form(
                    StatusCode::UNAUTHORIZED,
                    "Enter your code",
                    "That code is not right. Please try again.",
                    VERIFY_PATH,
                    &[CODE_FIELD],
                    "Sign in",
                );
                self.with_pin_cookie(response, &login, tls, now)
            }
            Err(CodeFailure::Refused(_) | CodeFailure::Unknown) => {
                self.pins.wrong_guess(peer, now);
                tracing::info!("an expired, used or exhausted one-time PIN was typed");
                self.pin_code_spent(login, tls, now)
            }
            Err(CodeFailure::Store(error)) => {
                tracing::error!(%error, "could not check a one-time PIN");
                page(StatusCode::SERVICE_UNAVAILABLE, "Login failed", "Please try again in a moment.")
            }
        }
    }

    /// 401: the code typed can no longer log in; the address form, to ask for a new one, with
    /// the login's cookie holding no code.
    fn pin_code_spent(&self, mut login: PinLogin, tls: bool, now: Timestamp) -> Response<Body> {
        login.challenge = None;
        login.email = None;
        let response = pages::form(
            StatusCode::UNAUTHORIZED,
            "Log in",
            "That code can no longer be used. Ask for a new one.",
            SEND_PATH,
            &[EMAIL_FIELD],
            "Email me a code",
        );
        self.with_pin_cookie(response, &login, tls, now)
    }

    /// The account, application, provider and login of a PIN request, or the page refusing it.
    #[allow(clippy::result_large_err)]
    fn pin_context(&self, parts: &Parts) -> Result<PinContext, Response<Body>> {
        let expired = || {
            page(
                StatusCode::BAD_REQUEST,
                "Login expired",
                "This login has expired. Please go back to the application and start again.",
            )
        };
        if parts.method != Method::POST {
            return Err(page(StatusCode::METHOD_NOT_ALLOWED, "Login failed", "This page only takes a form."));
        }
        let Some(request_host) = host(&parts.uri, &parts.headers) else { return Err(expired()) };
        let snapshot = self.access.load();
        let Some(account) = snapshot.account_by_auth_domain(bare_host(request_host)).cloned() else {
            return Err(page(StatusCode::NOT_FOUND, "Not found", "No organization uses this domain."));
        };
        let now = self.clock.now();
        let Some(login) = login::cookie(&parts.headers, PIN_COOKIE)
            .and_then(|value| sealed::open::<PinLogin>(&self.server_key, PURPOSE, value, now.unix()))
        else {
            return Err(expired());
        };
        let idp = account.people.idps.iter().find(|idp| idp.id.to_string() == login.idp);
        let Some(idp) = idp.filter(|idp| matches!(idp.protocol, Protocol::OneTimePin)).map(|idp| idp.id)
        else {
            return Err(expired());
        };
        let Some(app) = snapshot.app_by_aud(&login.aud).filter(|app| app.account.id == account.id).cloned()
        else {
            return Err(expired());
        };
        Ok((account, app, idp, login))
    }

    fn with_pin_cookie(
        &self,
        mut response: Response<Body>,
        login: &PinLogin,
        tls: bool,
        now: Timestamp,
    ) -> Response<Body> {
        let cookie = sealed::seal(&self.server_key, PURPOSE, now.unix() + LOGIN_SECS, login)
            .and_then(|value| login::set_cookie(PIN_COOKIE, &value, PIN_PATH, LOGIN_SECS, tls));
        match cookie {
            Some(cookie) => {
                response.headers_mut().append(http::header::SET_COOKIE, cookie);
                response
            }
            None => {
                page(StatusCode::INTERNAL_SERVER_ERROR, "Login failed", "The login could not be started.")
            }
        }
    }
}

fn too_many(wait: u64) -> Response<Body> {
    let minutes = wait.div_ceil(60).max(1);
    let mut response = page(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        &format!("Too many codes were asked for or typed. Please wait {minutes} minutes and try again."),
    );
    if let Ok(value) = http::HeaderValue::try_from(wait.to_string()) {
        response.headers_mut().insert(http::header::RETRY_AFTER, value);
    }
    response
}
