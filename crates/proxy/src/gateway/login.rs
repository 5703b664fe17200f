//! The login flow's endpoints on the gateway (the flow is described in `crate::login`): the
//! login page on the auth domain, the identity provider's callback, the application's
//! `authorized` step, `logout`, and a person's `get-identity`.

use std::net::IpAddr;
use std::sync::Arc;

use gatehouse_domain::access::{Authentication, Decided, Identity, User, Verdict, user_uuid};
use gatehouse_domain::{AccountId, Timestamp};
use gatehouse_store::{Change, ChangeEvent, ChangeFeed, Resource, ResourceChange, ResourceKind, StoreError};
use http::request::Parts;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::Gateway;
use crate::authorize::authorize;
use crate::body::Body;
use crate::certs::{self, HostSession};
use crate::credentials::SESSION_COOKIE;
use crate::login::{
    self, APP_SESSION_COOKIE, AUTHORIZED_PATH, CALLBACK_PATH, HANDOFF_SECS, Handoff, LOGIN_PREFIX,
    LOGIN_SECS, LoginState, LoginTarget, PinLogin, Protocol, oidc, page, sealed,
};
use crate::login::{Github, Idp, Oidc};
use crate::route::{bare_host, host};
use crate::session::{self, IdpClaim, PersonLogin, PersonSession, Subject};
use crate::snapshot::App;
use crate::verify::person_alive;

/// A session JWT presented on the host of another application than its own.
struct OtherApp;

/// How often a read-modify-write of a person's document is tried against concurrent writers.
const MAX_ATTEMPTS: usize = 5;

impl Gateway {
    /// `GET <auth_domain>/cdn-cgi/access/login/<app host>?kid&redirect_url&meta[&idp]`.
    pub(super) fn login_page(&self, parts: &Parts, tls: bool, now: Timestamp) -> Response<Body> {
        let refused = || page(StatusCode::BAD_REQUEST, "Login failed", "This login link is not valid.");
        let Some(request_host) = host(&parts.uri, &parts.headers) else { return refused() };
        let snapshot = self.access.load();
        let Some(account) = snapshot.account_by_auth_domain(bare_host(request_host)) else {
            return page(StatusCode::NOT_FOUND, "Not found", "No organization uses this domain.");
        };
        let app_host = parts.uri.path().strip_prefix(LOGIN_PREFIX).unwrap_or_default().to_ascii_lowercase();
        let (Some(kid), Some(redirect_url), Some(binding)) = (
            login::query_param(parts, "kid"),
            login::query_param(parts, "redirect_url"),
            login::query_param(parts, "meta"),
        ) else {
            return refused();
        };
        let binding_ok = binding.len() == 64 && binding.bytes().all(|b| b.is_ascii_hexdigit());
        if !login::is_local_path(&redirect_url) || !binding_ok {
            return refused();
        }
        let Some(app) = routed_app(&snapshot, &account.id, &kid, &app_host, &redirect_url) else {
            return refused();
        };
        let idps = app.idps();
        let chosen = match login::query_param(parts, "idp") {
            Some(id) => idps.iter().find(|idp| idp.id.to_string() == id).copied(),
            None if idps.len() == 1 && app.login.auto_redirect => idps.first().copied(),
            None => None,
        };
        let Some(idp) = chosen else {
            if idps.is_empty() {
                return page(
                    StatusCode::FORBIDDEN,
                    "Login unavailable",
                    "No identity provider is set up for this application.",
                );
            }
            let here = format!("{}?{}", parts.uri.path(), parts.uri.query().unwrap_or_default());
            let choices: Vec<(String, String)> =
                idps.iter().map(|idp| (idp.name.clone(), format!("{here}&idp={}", idp.id))).collect();
            return login::pages::choose(&app.name, &choices);
        };
        let redirect_uri =
            format!("{}{CALLBACK_PATH}", login::origin_for(tls, request_host, &account.auth_domain));
        let started = match &idp.protocol {
            Protocol::Oidc(oidc) => oidc::start(oidc, &redirect_uri),
            Protocol::Github(github) => login::github::start(github, &redirect_uri),
            Protocol::OneTimePin => {
                let login = PinLogin {
                    idp: idp.id.to_string(),
                    aud: app.aud.clone(),
                    host: app_host,
                    redirect_url,
                    binding,
                    challenge: None,
                    email: None,
                };
                return self.pin_email_form(&app.name, &login, tls, now);
            }
        };
        let started = match started {
            Ok(started) => started,
            Err(error) => {
                tracing::error!(idp = %idp.id, %error, "cannot start a login with the identity provider");
                return page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Login failed",
                    "The identity provider is misconfigured.",
                );
            }
        };
        let cookie_name = login::state_cookie_name(&started.state);
        let state = LoginState {
            state: started.state,
            nonce: started.nonce,
            verifier: started.verifier,
            idp: idp.id.to_string(),
            aud: app.aud.clone(),
            host: app_host,
            redirect_url,
            binding,
        };
        let cookie = sealed::seal(&self.server_key, "login", now.unix() + LOGIN_SECS, &state)
            .and_then(|value| login::set_cookie(&cookie_name, &value, CALLBACK_PATH, LOGIN_SECS, tls));
        match cookie.and_then(|cookie| login::redirect(&started.url, [cookie])) {
            Some(response) => response,
            None => {
                page(StatusCode::INTERNAL_SERVER_ERROR, "Login failed", "The login could not be started.")
            }
        }
    }

    /// `GET <auth_domain>/cdn-cgi/access/callback?code&state`: the identity provider's answer.
    pub(super) async fn callback(&self, parts: &Parts, tls: bool, now: Timestamp) -> Response<Body> {
        let failed = |why: &str| {
            tracing::info!(reason = why, "a login failed at the callback");
            page(
                StatusCode::UNAUTHORIZED,
                "Login failed",
                "The login could not be completed. Please try again.",
            )
        };
        let Some(request_host) = host(&parts.uri, &parts.headers) else { return failed("no host") };
        let snapshot = self.access.load_full();
        let Some(account) = snapshot.account_by_auth_domain(bare_host(request_host)).cloned() else {
            return page(StatusCode::NOT_FOUND, "Not found", "No organization uses this domain.");
        };
        if login::query_param(parts, "error").is_some() {
            return failed("the identity provider answered with an error");
        }
        let (Some(state), Some(code)) =
            (login::query_param(parts, "state"), login::query_param(parts, "code"))
        else {
            return failed("no state or code");
        };
        let cookie_name = login::state_cookie_name(&state);
        let Some(sealed_state) = login::cookie(&parts.headers, &cookie_name) else {
            return failed("no state cookie for this state (another browser, or a replay)");
        };
        let Some(login_state) =
            sealed::open::<LoginState>(&self.server_key, "login", sealed_state, now.unix())
        else {
            return failed("the state cookie does not open or has expired");
        };
        if login_state.state != state {
            return failed("the state does not match the state cookie");
        }
        let Some(idp) = account.people.idps.iter().find(|idp| idp.id.to_string() == login_state.idp).cloned()
        else {
            return failed("the identity provider is gone");
        };
        let Some(app) =
            snapshot.app_by_aud(&login_state.aud).filter(|app| app.account.id == account.id).cloned()
        else {
            return failed("the application is gone");
        };
        let redirect_uri =
            format!("{}{CALLBACK_PATH}", login::origin_for(tls, request_host, &account.auth_domain));
        let person = match &idp.protocol {
            Protocol::Oidc(oidc) => {
                self.oidc_person(&idp, oidc, &redirect_uri, &code, &login_state, now).await
            }
            Protocol::Github(github) => {
                self.github_person(&idp, github, &redirect_uri, &code, &login_state, now).await
            }
            Protocol::OneTimePin => Err("a one-time PIN provider has no callback"),
        };
        let (email, identity) = match person {
            Ok(person) => person,
            Err(why) => return failed(why),
        };
        let target = LoginTarget {
            aud: app.aud.clone(),
            host: login_state.host,
            redirect_url: login_state.redirect_url,
            binding: login_state.binding,
        };
        let clear = login::clear_cookie(&cookie_name, CALLBACK_PATH, tls);
        self.complete_login(&account.id, target, &email, identity, request_host, tls, now, clear).await
    }

    /// The person an OpenID Connect provider's code stands for: the ID token verified, its
    /// address verified, and the claims `config.claims` names kept.
    async fn oidc_person(
        &self,
        idp: &Idp,
        oidc: &Oidc,
        redirect_uri: &str,
        code: &str,
        login_state: &LoginState,
        now: Timestamp,
    ) -> Result<(String, Identity), &'static str> {
        let finished = oidc::finish(
            &self.http,
            oidc,
            redirect_uri,
            code,
            &login_state.verifier,
            &login_state.nonce,
            now,
        )
        .await;
        let claims = finished.map_err(|error| {
            tracing::info!(idp = %idp.id, %error, "the identity provider's answer was refused");
            "the code exchange or the ID token failed"
        })?;
        oidc::person(idp, oidc, claims, now)
    }

    /// The person a GitHub OAuth code stands for: their primary, verified address, and the
    /// organizations and teams GitHub lists for them now (what `github-organization` rules
    /// compare until their next login).
    async fn github_person(
        &self,
        idp: &Idp,
        github: &Github,
        redirect_uri: &str,
        code: &str,
        login_state: &LoginState,
        now: Timestamp,
    ) -> Result<(String, Identity), &'static str> {
        let finished =
            login::github::finish(&self.http, github, redirect_uri, code, &login_state.verifier).await;
        let person = finished.map_err(|error| {
            tracing::info!(idp = %idp.id, %error, "GitHub's answer was refused");
            "the code exchange or GitHub's account details failed"
        })?;
        login::github::person(idp, person, now)
    }

    /// The end of every login at the auth domain: stores what the login established about the
    /// person and sends the browser to the application's `authorized` step with a sealed
    /// hand-off (clearing the login's own cookie, `clear`).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn complete_login(
        &self,
        account: &AccountId,
        target: LoginTarget,
        email: &str,
        identity: Identity,
        request_host: &str,
        tls: bool,
        now: Timestamp,
        clear: Option<http::HeaderValue>,
    ) -> Response<Body> {
        let failed = |why: &str| {
            tracing::info!(reason = why, "a login could not be completed");
            page(
                StatusCode::UNAUTHORIZED,
                "Login failed",
                "The login could not be completed. Please try again.",
            )
        };
        // The generation is the one of the document this login's identity was written into: a
        // revocation written after it ends the session this login leads to, one before it not.
        let stored =
            self.update_user(account, email, now, |user| user.identity = Some(identity.clone())).await;
        let user = match stored {
            Ok(user) => user,
            Err(error) => {
                tracing::error!(%error, "could not store a person's identity");
                return page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Login failed",
                    "Please try again in a moment.",
                );
            }
        };
        let handoff = Handoff {
            aud: target.aud,
            host: target.host,
            redirect_url: target.redirect_url,
            binding: target.binding,
            email: email.to_owned(),
            identity_nonce: identity.identity_nonce.clone(),
            idp: identity.idp_id.clone(),
            idp_type: identity.idp_type.clone(),
            iat: now.unix(),
            sessions_generation: user.sessions_generation,
        };
        // The policies read the stored identity (claims, amr): the application's step that
        // follows, on this node or another, must see this login's.
        self.people_changed(account).await;
        let Some(token) = sealed::seal(&self.server_key, "handoff", now.unix() + HANDOFF_SECS, &handoff)
        else {
            return failed("the hand-off could not be sealed");
        };
        let location =
            format!("{}{AUTHORIZED_PATH}?token={token}", login::origin_for(tls, request_host, &handoff.host));
        login::redirect(&location, clear).unwrap_or_else(|| failed("the redirect could not be made"))
    }

    /// `GET <app host>/cdn-cgi/access/authorized?token`: the application's session.
    pub(super) fn authorized(
        &self,
        parts: &Parts,
        tls: bool,
        peer: IpAddr,
        now: Timestamp,
    ) -> Response<Body> {
        let failed = |why: &str| {
            tracing::info!(reason = why, "a login hand-off was refused");
            page(
                StatusCode::UNAUTHORIZED,
                "Login failed",
                "The login could not be completed. Please try again.",
            )
        };
        let Some(request_host) = host(&parts.uri, &parts.headers) else { return failed("no host") };
        let Some(token) = login::query_param(parts, "token") else { return failed("no hand-off") };
        let Some(handoff) = sealed::open::<Handoff>(&self.server_key, "handoff", &token, now.unix()) else {
            return failed("the hand-off does not open or has expired");
        };
        let snapshot = self.access.load();
        let Some(app) = snapshot.app_by_aud(&handoff.aud).cloned() else {
            return failed("the application is gone");
        };
        if !bare_host(request_host).eq_ignore_ascii_case(&handoff.host)
            || routed_app(&snapshot, &app.account.id, &app.aud, &handoff.host, &handoff.redirect_url)
                .is_none()
        {
            return failed("the hand-off is for another host");
        }
        let bound = login::cookie(&parts.headers, APP_SESSION_COOKIE)
            .is_some_and(|binding| login::sha256_hex(binding) == handoff.binding);
        if !bound {
            return failed("the hand-off was not started by this browser");
        }
        let person = PersonSession {
            email: handoff.email.clone(),
            user_uuid: user_uuid(&app.account.id, &handoff.email),
            identity_nonce: handoff.identity_nonce.clone(),
            idp: gatehouse_domain::access::IdpId::parse(&handoff.idp).ok(),
            exp: 0,
            generation: Some(handoff.sessions_generation),
        };
        if person_alive(&app, &person, handoff.iat).is_err() {
            return failed("the person's sessions were revoked or the identity provider is gone");
        }
        let clear_binding = login::clear_cookie(APP_SESSION_COOKIE, "/", tls);
        let who = Authentication::Person(app.account.people.person(&person.email, person.idp));
        let policy = match authorize(&app, who, peer) {
            Decided::Verdict(Verdict::Allow { policy, .. }) => Some(policy),
            Decided::Verdict(Verdict::Bypass { .. }) => None,
            Decided::Verdict(Verdict::Deny { .. }) | Decided::Unauthenticated | Decided::Misconfigured => {
                tracing::info!(app = %app.id, "a person logged in but no policy admits them");
                let mut response = page(
                    StatusCode::FORBIDDEN,
                    "Access denied",
                    "You do not have access to this application.",
                );
                if let Some(clear) = clear_binding {
                    response.headers_mut().append(http::header::SET_COOKIE, clear);
                }
                return response;
            }
        };
        let login = PersonLogin {
            email: person.email,
            user_uuid: person.user_uuid,
            identity_nonce: person.identity_nonce,
            idp: IdpClaim { id: handoff.idp, kind: handoff.idp_type },
            generation: handoff.sessions_generation,
        };
        let issued = self.sessions.issue_person(&app, &login, app.session_secs_for(policy), now);
        let (jwt, exp) = match issued {
            Ok(issued) => issued,
            Err(error) => {
                tracing::error!(app = %app.id, %error, "could not issue a person's application JWT");
                return page(StatusCode::INTERNAL_SERVER_ERROR, "Login failed", "Please try again.");
            }
        };
        let cookies = session::cookie(&jwt, exp - now.unix(), tls).into_iter().chain(clear_binding);
        login::redirect(&handoff.redirect_url, cookies)
            .unwrap_or_else(|| failed("the redirect could not be made"))
    }

    /// `/cdn-cgi/access/logout` on any host: ends every session of the person whose session for
    /// the host's application the request presents, and clears the cookie. A session JWT of
    /// another application ends nothing: 401.
    pub(super) async fn logout(&self, parts: &Parts, tls: bool, now: Timestamp) -> Response<Body> {
        let Ok(person) = self.person_of(parts, now) else {
            return page(
                StatusCode::UNAUTHORIZED,
                "Logout failed",
                "This session is not for this application.",
            );
        };
        if let Some((app, person)) = person {
            let revoked =
                self.update_user(&app.account.id, &person.email, now, |user| user.revoke_sessions(now)).await;
            match revoked {
                Ok(_) => self.people_changed(&app.account.id).await,
                Err(error) => {
                    tracing::error!(%error, "could not record a logout");
                    return page(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Logout failed",
                        "Please try again in a moment.",
                    );
                }
            }
        }
        let mut response = page(StatusCode::OK, "Logged out", "You have been logged out.");
        if let Some(clear) = login::clear_cookie(SESSION_COOKIE, "/", tls) {
            response.headers_mut().append(http::header::SET_COOKIE, clear);
        }
        response
    }

    /// `get-identity` for a person's session: what their latest login established.
    pub(super) async fn person_identity(&self, parts: &Parts, peer: IpAddr, now: Timestamp) -> Option<Value> {
        let (app, person) = self.person_of(parts, now).ok()??;
        let account = &app.account;
        let stored =
            self.store.get_resource(ResourceKind::User, &account.id, &person.user_uuid).await.ok()??;
        let user: User = serde_json::from_str(&stored.body).ok()?;
        let identity = user.identity?;
        let groups: Vec<Value> = identity.groups.iter().map(|g| json!({"id": g, "name": g})).collect();
        let mut body = json!({
            "id": person.user_uuid,
            "user_uuid": person.user_uuid,
            "account_id": account.id.as_str(),
            "email": user.email,
            "name": identity.name,
            "groups": groups,
            "idp": {"id": identity.idp_id, "type": identity.idp_type},
            "oidc_fields": identity.oidc_fields,
            "identity_nonce": person.identity_nonce,
            "iat": identity.iat.unix(),
            "ip": peer.to_canonical().to_string(),
            "amr": identity.amr,
            "service_token_status": false,
            "is_warp": false,
            "is_gateway": false,
            "version": 2,
        });
        // A GitHub login: the account and the memberships its github-organization rules compare.
        if let (Some(github), Some(fields)) = (&identity.github, body.as_object_mut()) {
            fields.insert("github".to_owned(), serde_json::to_value(github).ok()?);
        }
        Some(body)
    }

    /// The application of the request's host and the person of the valid session the request
    /// presents for it (`None` without one); `Err` for a session JWT of another application.
    fn person_of(
        &self,
        parts: &Parts,
        now: Timestamp,
    ) -> Result<Option<(Arc<App>, PersonSession)>, OtherApp> {
        let (app, jwt) = match certs::host_session(&self.access.load(), parts) {
            HostSession::Presented(app, jwt) => (app, jwt),
            HostSession::Absent => return Ok(None),
            HostSession::OtherApp => return Err(OtherApp),
        };
        let Ok(session) = self.sessions.verify(&app, &jwt, now) else { return Ok(None) };
        let Subject::Person(person) = session.subject else { return Ok(None) };
        if person_alive(&app, &person, session.iat).is_err() {
            return Ok(None);
        }
        Ok(Some((app, person)))
    }

    /// Makes the people's changes the gateway itself writes (a login's identity, a logout)
    /// reach the other nodes sharing the database: published on `feed` as node `node`'s, as
    /// the management API's changes are. Set once, by the server, on a shared database.
    pub fn announce_to(&self, node: String, feed: Arc<dyn ChangeFeed>) {
        if self.peers.set((node, feed)).is_err() {
            tracing::warn!("the gateway's change feed was already set");
        }
    }

    /// After the gateway wrote a person's document of `account`: the snapshot rebuilt here, and
    /// the other nodes told (else a logout here would end nothing there until their resync).
    async fn people_changed(&self, account: &AccountId) {
        self.rebuild(account).await;
        if let Some((node, feed)) = self.peers.get() {
            let event = ChangeEvent {
                node: node.clone(),
                change: Change::AccessChanged { account: account.clone() },
            };
            if let Err(error) = feed.publish(&event).await {
                // Written and applied here; the other nodes see it at their next resync.
                tracing::warn!(%error, "could not notify the other nodes of a login or logout");
            }
        }
    }

    /// Reads, changes and writes the person's document, creating it when missing; returns the
    /// document as written.
    pub(super) async fn update_user(
        &self,
        account: &AccountId,
        email: &str,
        now: Timestamp,
        change: impl Fn(&mut User),
    ) -> Result<User, StoreError> {
        let id = user_uuid(account, email);
        for _ in 0..MAX_ATTEMPTS {
            let existing = self.store.get_resource(ResourceKind::User, account, &id).await?;
            let (mut user, write): (User, fn(Resource) -> ResourceChange) = match &existing {
                Some(stored) => (
                    serde_json::from_str(&stored.body).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    ResourceChange::Update,
                ),
                None => (User::new(account, email), ResourceChange::Insert),
            };
            change(&mut user);
            let resource = Resource {
                kind: ResourceKind::User,
                id: id.clone(),
                account_id: account.clone(),
                body: serde_json::to_string(&user).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                created_at: existing.as_ref().map_or(now, |s| s.created_at),
                updated_at: now,
                revision: existing.as_ref().map_or(1, |s| s.revision + 1),
            };
            match self.store.apply(&[write(resource)]).await {
                Ok(()) => return Ok(user),
                Err(StoreError::Stale | StoreError::Conflict(_)) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(StoreError::Stale)
    }
}

/// The application of `account` with audience `aud`, when `host` + the path of `redirect_url`
/// route to it.
fn routed_app(
    snapshot: &crate::snapshot::AccessSnapshot,
    account: &AccountId,
    aud: &str,
    host: &str,
    redirect_url: &str,
) -> Option<Arc<App>> {
    let app = snapshot.app_by_aud(aud).filter(|app| &app.account.id == account)?;
    let path = redirect_url.split(['?', '#']).next().unwrap_or("/");
    let path = gatehouse_domain::access::normalize_path(path)?;
    let routed = snapshot.routes.lookup(host, &path)?;
    (routed.id == app.id).then(|| app.clone())
}
