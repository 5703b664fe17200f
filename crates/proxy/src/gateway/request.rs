//! One request through the stages: route, credentials, verify, (failure limits), authorize, then
//! forward or deny.

use std::sync::Arc;

use gatehouse_domain::Timestamp;
use gatehouse_domain::access::{Admitted, Authentication, PolicyId, rule};
use gatehouse_store::RecordedPerson;
use http::header::{HOST, RETRY_AFTER, SET_COOKIE};
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;

use super::{Connection, Gateway};
use crate::authorize::authorize;
use crate::body::Body;
use crate::certs;
use crate::credentials;
use crate::deny::{self, AccessOutcome, Denial, FailureSource, wants_json};
use crate::forward::Context;
use crate::limit;
use crate::login;
use crate::route::{self, Target};
use crate::session;
use crate::snapshot::{App, Authenticated};
use crate::verify::{self, Principal, Via};

impl Gateway {
    /// Answers one request (`handle`, in `recording`, records the decision). Never fails:
    /// every outcome is a response.
    pub(super) async fn respond(&self, request: Request<Incoming>, connection: &Connection) -> Answer {
        let now = self.clock.now();
        let (parts, body) = request.into_parts();
        let target = route::route(&self.access.load(), &parts);
        let tls = connection.tls;
        match target {
            Target::App(app) => self.handle_app(app, Request::from_parts(parts, body), connection, now).await,
            Target::Certs => (certs::certs(&self.access.load(), &parts, now), None),
            Target::Identity => (self.identity(&parts, connection.peer.ip(), now).await, None),
            Target::Login => (self.login_page(&parts, tls, now), None),
            Target::Callback => (self.callback(&parts, tls, now).await, None),
            Target::Authorized => (self.authorized(&parts, tls, connection.peer.ip(), now), None),
            Target::Logout => (self.logout(&parts, tls, now).await, None),
            Target::PinSend => (self.pin_send(&parts, body, tls, connection.peer.ip(), now).await, None),
            Target::PinVerify => (self.pin_verify(&parts, body, tls, connection.peer.ip(), now).await, None),
            Target::NoApplication => (deny::render(StatusCode::NOT_FOUND, wants_json(&parts.headers)), None),
            Target::BadRequest => (deny::render(StatusCode::BAD_REQUEST, wants_json(&parts.headers)), None),
        }
    }

    /// `get-identity`: a service token's session (from the snapshot) or a person's (from the
    /// store: what their latest login established).
    async fn identity(
        &self,
        parts: &http::request::Parts,
        peer: std::net::IpAddr,
        now: Timestamp,
    ) -> Response<Body> {
        let response = certs::identity(&self.access.load(), &self.tokens, &self.sessions, parts, peer, now);
        if response.status() != StatusCode::UNAUTHORIZED {
            return response;
        }
        match self.person_identity(parts, peer, now).await {
            Some(document) => certs::json_response(StatusCode::OK, &document),
            None => response,
        }
    }

    async fn handle_app(
        &self,
        app: Arc<App>,
        request: Request<Incoming>,
        connection: &Connection,
        now: Timestamp,
    ) -> Answer {
        // Past the maximum staleness, no token is honoured: it may have been revoked elsewhere.
        if let Some(refused) = self.fail_closed(now, wants_json(request.headers())) {
            return (refused, None);
        }
        let mut outcome = AccessOutcome {
            app: Some(app.id),
            token: None,
            policy: None,
            allowed: false,
            denial: None,
            failure: None,
            service_token: false,
            client_id: None,
            person: None,
        };
        let strict = app.account.strict;
        let sessions_count = !strict && app.has_allow_policy;
        let presented = credentials::read(request.headers(), app.token_header.as_ref(), sessions_count);
        (outcome.service_token, outcome.client_id) = credentials::describe(&presented);
        let verified = presented.and_then(|presented| {
            verify::verify(presented, &app, &self.tokens, &self.sessions, &self.server_key, now)
        });
        let (principal, failure) = match verified {
            Ok(Some(principal)) => (Some(principal), None),
            Ok(None) => (None, Some(Denial::MissingCredentials)),
            Err(denial) => (None, Some(denial)),
        };
        let (who, person) = match principal {
            Some(Principal::Token(who, via)) => (Some((who, via)), None),
            Some(Principal::Person(person, jwt)) => (None, Some((person, jwt))),
            None => (None, None),
        };
        if let Some((person, _)) = &person {
            outcome.service_token = false;
            outcome.person = Some(Box::new(RecordedPerson {
                email: person.email.clone(),
                idp_id: person.idp,
                idp_type: person.idp.and_then(|id| app.account.people.idp(id)).map(|idp| idp.kind.clone()),
            }));
        }
        if let Some((who, Via::Secret(used))) = &who
            && let Some(usage) = self.tokens.record_use(&who.client_id, *used, now)
        {
            self.usage.push(usage);
        }
        if let Some((who, Via::Secret(used))) = &who
            && let Some(rehash) = used.rehash
        {
            self.store_rehash(who.id, used.matched, rehash);
        }
        outcome.token = who.as_ref().map(|(who, _)| who.id);
        if let Some((who, _)) = &who {
            outcome.client_id = Some(who.client_id.clone());
        }

        // Brute-force limiting, only once the credentials have failed: valid ones never wait.
        if let Some(denial) = failure.filter(|d| limit::counted(*d))
            && let Some(wait) =
                self.failures.check_failure(connection.peer.ip(), outcome.client_id.as_deref(), now)
        {
            tracing::debug!(app = %app.id, peer = %connection.peer, failed = denial.as_str(), "failed authentications over the limit");
            let mut answer = self.refuse(&app, &request, Denial::RateLimited, outcome);
            answer.0.headers_mut().insert(RETRY_AFTER, HeaderValue::from(wait));
            return answer;
        }
        let authentication = match (&who, &person, failure) {
            (Some((who, _)), _, _) => Authentication::Token(who.id),
            (None, Some((person, _)), _) => {
                Authentication::Person(app.account.people.person(&person.email, person.idp))
            }
            (None, None, None | Some(Denial::MissingCredentials)) => Authentication::None,
            (None, None, Some(_)) => Authentication::Failed,
        };
        let admitted = match rule(authorize(&app, authentication, connection.peer.ip()), failure) {
            Ok(admitted) => admitted,
            Err(refusal) => {
                outcome.policy = refusal.policy();
                let denial: Denial = refusal.into();
                // A browser without a (valid) session goes to log in, where people can.
                let may_log_in = matches!(denial, Denial::MissingCredentials | Denial::InvalidSession)
                    && !strict
                    && app.has_allow_policy
                    && !app.idps().is_empty()
                    && login::is_navigation(request.method(), request.headers());
                if may_log_in {
                    let (parts, _) = request.into_parts();
                    if let Some(redirect) = login::redirect_to_login(&app, &parts, connection.tls) {
                        outcome.denial = Some(denial);
                        return with_outcome(redirect, outcome);
                    }
                    return self.refuse_parts(&app, &parts.headers, denial, outcome);
                }
                return self.refuse(&app, &request, denial, outcome);
            }
        };
        let (assertion, cookie) = match admitted {
            Admitted::Bypass { policy } => {
                outcome.policy = Some(policy);
                (None, None)
            }
            Admitted::Allow { policy, .. } => {
                outcome.policy = Some(policy);
                match &who {
                    Some((who, via)) => {
                        match self.assertion(&app, who, *via, Some(policy), connection.tls, now) {
                            Ok(pair) => pair,
                            Err(error) => {
                                tracing::error!(app = %app.id, %error, "could not issue the application JWT");
                                outcome.failure = Some(FailureSource::Internal);
                                return with_outcome(
                                    deny::render(
                                        StatusCode::INTERNAL_SERVER_ERROR,
                                        wants_json(request.headers()),
                                    ),
                                    outcome,
                                );
                            }
                        }
                    }
                    // A person's own session JWT is the assertion.
                    None => match &person {
                        Some((_, jwt)) => (HeaderValue::try_from(jwt.as_str()).ok(), None),
                        // Admitted without a token (an IP rule, say): there is no identity to assert.
                        None => (None, None),
                    },
                }
            }
        };
        outcome.allowed = true;
        let user_email = person.as_ref().and_then(|(p, _)| HeaderValue::try_from(p.email.as_str()).ok());
        let admission = Admission { assertion, cookie, user_email };
        self.forward(app, request, connection, admission, outcome).await
    }

    /// The JWT for the origin, and the session cookie where one is given: non-strict mode, an
    /// application with an allow policy, and a request that presented its secret.
    fn assertion(
        &self,
        app: &App,
        who: &Authenticated,
        via: Via,
        policy: Option<PolicyId>,
        tls: bool,
        now: Timestamp,
    ) -> Result<(Option<HeaderValue>, Option<HeaderValue>), String> {
        let (jwt, exp) = self.sessions.issue(app, who, app.session_secs_for(policy), now)?;
        let wants_cookie = !app.account.strict && app.has_allow_policy && matches!(via, Via::Secret(_));
        let cookie = wants_cookie.then(|| session::cookie(&jwt, exp - now.unix(), tls)).flatten();
        Ok((Some(jwt), cookie))
    }

    async fn forward(
        &self,
        app: Arc<App>,
        request: Request<Incoming>,
        connection: &Connection,
        admission: Admission,
        mut outcome: AccessOutcome,
    ) -> Answer {
        let Admission { assertion, cookie, user_email } = admission;
        // Copied only when it is not the client's own `Host` header (absolute-form, HTTP/2).
        let host = match route::host(request.uri(), request.headers()) {
            Some(host) if request.headers().get(HOST).is_some_and(|h| h.as_bytes() == host.as_bytes()) => {
                None
            }
            other => Some(other.unwrap_or_default().to_owned()),
        };
        let json = wants_json(request.headers());
        let context = Context {
            peer: &connection.peer_header,
            tls: connection.tls,
            host: host.as_deref(),
            token_header: app.token_header.as_ref(),
            assertion,
            user_email,
        };
        let origins = &self.origins[connection.worker % self.origins.len()];
        match origins.forward(request, &app.origin, context, &connection.timers).await {
            Ok(mut response) => {
                if let Some(cookie) = cookie {
                    response.headers_mut().append(SET_COOKIE, cookie);
                }
                with_outcome(response, outcome)
            }
            Err(error) => {
                tracing::debug!(app = %app.id, ?error, "origin failed");
                outcome.failure = Some(error.source());
                let mut response = deny::render(error.status(), json);
                // For `gatehouse_origin_errors_total{kind}`.
                response.extensions_mut().insert(error);
                with_outcome(response, outcome)
            }
        }
    }

    fn refuse(
        &self,
        app: &App,
        request: &Request<Incoming>,
        denial: Denial,
        outcome: AccessOutcome,
    ) -> Answer {
        self.refuse_parts(app, request.headers(), denial, outcome)
    }

    fn refuse_parts(
        &self,
        app: &App,
        headers: &http::HeaderMap,
        denial: Denial,
        mut outcome: AccessOutcome,
    ) -> Answer {
        tracing::debug!(app = %app.id, app_name = %app.name, denial = denial.as_str(), token = ?outcome.token, "request refused");
        outcome.denial = Some(denial);
        if denial.source() == FailureSource::Internal {
            outcome.failure = Some(FailureSource::Internal);
        }
        with_outcome(deny::render(deny::status(app, denial), wants_json(headers)), outcome)
    }
}

/// A response and the decision behind it, for the access log and the metrics. Carried beside
/// the response, not in its extensions: those cost a map and a box per request.
pub(super) type Answer = (Response<Body>, Option<AccessOutcome>);

/// What an admitted request carries on: the JWT for the origin, a session cookie for the
/// client, and a person's e-mail address for the origin.
struct Admission {
    assertion: Option<HeaderValue>,
    cookie: Option<HeaderValue>,
    user_email: Option<HeaderValue>,
}

fn with_outcome(response: Response<Body>, outcome: AccessOutcome) -> Answer {
    (response, Some(outcome))
}
