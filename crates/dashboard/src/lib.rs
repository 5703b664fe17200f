//! gatehouse's web dashboard for operators, served at `/dash/` by the management API's listener.
//!
//! Layout: [`session`] keeps the server-side sessions (cookie `__Host-gatehouse_session`, idle
//! and absolute timeouts) and the [`session::Operator`] extractor that every page takes;
//! [`security`] adds the response headers (strict CSP, `no-store`) and refuses cross-site
//! writes; `login` turns a pasted API token into a session, [`people_login`] a login through
//! one of the account's identity providers (OpenID Connect, GitHub) and [`pin_login`] a
//! one-time PIN (for the people [`admission`] admits); `pages` holds one module per
//! screen; [`charts`] draws the server-side SVG; `assets` serves the embedded CSS and script.
//!
//! Every read and change goes through the management API's own operations
//! (`gatehouse_api::tokens`, `gatehouse_api::access`, …) with the API's permission check
//! ([`gatehouse_api::auth::Caller::authorize`]): the dashboard implements no rule of its own.
//! Must not read the clock or the environment (the [`AppState`] brings them), nor depend on a
//! storage backend.

pub mod admission;
mod assets;
pub mod charts;
mod error;
mod format;
mod login;
mod pages;
pub mod people_login;
pub mod pin_login;
pub mod security;
pub mod session;

use std::sync::Arc;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};
use gatehouse_api::AppState;

pub use people_login::IdentityLogins;
pub use session::{Principal, SessionSettings, Sessions};

/// The path every dashboard route lives under.
pub const BASE: &str = "/dash";

/// What the dashboard's handlers share.
#[derive(Debug, Clone)]
pub struct Dash {
    pub api: AppState,
    pub sessions: Arc<Sessions>,
    /// Logins through the account's identity providers; `None`: API tokens only.
    pub logins: Option<Arc<IdentityLogins>>,
}

/// The dashboard's routes, all under [`BASE`], to be merged into the management API's router.
pub fn router(api: AppState, settings: SessionSettings, logins: Option<IdentityLogins>) -> Router {
    let sessions = Arc::new(Sessions::new(api.clock.clone(), settings));
    router_with(Dash { api, sessions, logins: logins.map(Arc::new) })
}

/// The routes over an existing [`Dash`] (an identity login shares its [`Sessions`]).
pub fn router_with(dash: Dash) -> Router {
    Router::new()
        .route("/dash", get(|| async { Redirect::permanent("/dash/") }))
        .route("/dash/", get(pages::home::show))
        .route("/dash/login", get(login::form).post(login::submit))
        .route("/dash/login/idp/{id}", get(people_login::start))
        .route(people_login::CALLBACK_PATH, get(people_login::callback))
        .route("/dash/login/pin/{id}", get(pin_login::form))
        .route(pin_login::SEND_PATH, post(pin_login::send))
        .route(pin_login::VERIFY_PATH, post(pin_login::verify))
        .route("/dash/logout", post(login::logout))
        .route("/dash/assets/{name}", get(assets::serve))
        .route("/dash/tokens", get(pages::tokens::list).post(pages::token_actions::create))
        .route("/dash/tokens/new", get(pages::tokens::new_form))
        .route("/dash/tokens/{id}", get(pages::token_detail::show))
        .route("/dash/tokens/{id}/rotate", post(pages::token_actions::rotate))
        .route("/dash/tokens/{id}/refresh", post(pages::token_actions::refresh))
        .route("/dash/tokens/{id}/enabled", post(pages::token_actions::set_enabled))
        .route("/dash/tokens/{id}/delete", post(pages::token_actions::delete))
        .route("/dash/logs", get(pages::logs::list))
        .route("/dash/logs/{ray_id}/explain", get(pages::explain::show))
        .route("/dash/audit", get(pages::audit::list))
        .route("/dash/apps", get(pages::apps::list).post(pages::app_actions::create))
        .route("/dash/apps/{id}", get(pages::apps::show).post(pages::app_actions::update))
        .route("/dash/apps/{id}/delete", post(pages::app_actions::delete))
        .route("/dash/apps/{id}/policies", post(pages::policy_actions::create))
        .route("/dash/apps/{id}/policies/new", get(pages::policies::new_form))
        .route(
            "/dash/apps/{id}/policies/{policy}",
            get(pages::policies::edit_form).post(pages::policy_actions::update),
        )
        .route("/dash/apps/{id}/policies/{policy}/delete", post(pages::policy_actions::delete))
        .route("/dash/groups", get(pages::groups::list))
        // A route, not a fallback: the management API's router keeps the fallback of the
        // listener, and two routers with fallbacks cannot be merged.
        .route("/dash/{*rest}", get(error::not_found).post(error::not_found))
        .layer(axum::middleware::from_fn(security::guard))
        .with_state(dash)
}
