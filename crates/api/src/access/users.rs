//! People known to an account (`GET …/access/users`), and `revoke_user`: every session of the person with that e-mail
//! address issued up to now is refused by the gateway from the next request on (the gateway's
//! snapshot learns of it before the API answers). The person's document is created when they
//! never logged in, so that a revocation made before a first login still holds for sessions
//! issued in that second.

use gatehouse_api_types::UserBody;
use gatehouse_domain::AccountId;
use gatehouse_domain::access::{User, normalize_email, user_uuid};
use gatehouse_store::ResourceKind;
use serde_json::{Value, json};

use super::document::{Document, load, load_all};
use super::{MAX_ATTEMPTS, Stored, gave_up, page};
use crate::audit::{self, Change};
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppState;
use gatehouse_domain::AuditActor;

/// RFC 5321's limit on an address.
const MAX_EMAIL_LEN: usize = 254;

impl Document for User {
    const KIND: ResourceKind = ResourceKind::User;
}

/// What the users list is filtered by (Cloudflare's `email`, `name`, `search`).
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Exact address (case folded).
    pub email: Option<String>,
    /// Exact name.
    pub name: Option<String>,
    /// Case-insensitive part of the address or the name.
    pub search: Option<String>,
}

impl UserFilter {
    fn matches(&self, user: &User) -> bool {
        let name = user.identity.as_ref().map(|i| i.name.as_str()).unwrap_or_default();
        let search = self.search.as_deref().map(str::to_lowercase);
        self.email.as_deref().is_none_or(|email| normalize_email(email) == user.email)
            && self.name.as_deref().is_none_or(|wanted| wanted == name)
            && search.is_none_or(|text| user.email.contains(&text) || name.to_lowercase().contains(&text))
    }
}

/// `GET …/access/users`: the people of the account, by e-mail address.
pub async fn list(
    state: &AppState,
    account: &AccountId,
    filter: &UserFilter,
    pagination: Pagination,
) -> Result<(Vec<Value>, u64), ApiError> {
    let mut users: Vec<Stored<User>> =
        load_all::<User>(state, account).await?.into_iter().filter(|u| filter.matches(&u.doc)).collect();
    users.sort_by(|a, b| a.doc.email.cmp(&b.doc.email));
    let (users, total) = page(users, pagination);
    let users = users.iter().map(|u| serde_json::to_value(output(u))).collect::<Result<_, _>>();
    let users = users.map_err(|error| {
        tracing::error!(%error, "a user does not convert to its wire shape");
        ApiError::new(crate::error::ErrorCode::Internal, "access.api.error.internal_server_error")
    })?;
    Ok((users, total))
}

fn output(stored: &Stored<User>) -> UserBody {
    let user = &stored.doc;
    UserBody {
        id: user.user_uuid.clone(),
        uid: user.user_uuid.clone(),
        email: user.email.clone(),
        name: user.identity.as_ref().map(|i| i.name.clone()).filter(|n| !n.is_empty()),
        last_successful_login: user.identity.as_ref().map(|i| i.iat.to_string()),
        sessions_revoked_at: user.sessions_revoked_at.map(|t| t.to_string()),
        access_seat: user.identity.is_some(),
        gateway_seat: false,
        active_device_count: 0,
        created_at: stored.created_at.to_string(),
        updated_at: stored.updated_at.to_string(),
    }
}

/// `POST …/access/organizations/revoke_user {"email"}`.
pub async fn revoke(
    state: &AppState,
    actor: &AuditActor,
    account: &AccountId,
    body: Value,
) -> Result<(), ApiError> {
    let email = match body.get("email") {
        Some(Value::String(email)) if is_email(email) => normalize_email(email),
        Some(_) => return Err(ApiError::invalid("invalid 'email': expected an e-mail address")),
        None => return Err(ApiError::invalid("'email' is required")),
    };
    let id = user_uuid(account, &email);
    for _ in 0..MAX_ATTEMPTS {
        let now = state.clock.now();
        let (mut stored, exists) = match load::<User>(state, account, &id).await? {
            Some(stored) => (stored, true),
            None => (Stored::new(User::new(account, &email), id.clone(), account, now), false),
        };
        stored.doc.revoke_sessions(now);
        let write = if exists { stored.update(now)? } else { stored.insert()? };
        let change = Change::new("revoke_user", "user", &id)
            .after(Some(json!({"email": email, "sessions_revoked_at": now.to_string()})));
        if audit::commit(state, actor, account, &[write], change).await? {
            return Ok(());
        }
    }
    Err(gave_up())
}

fn is_email(text: &str) -> bool {
    let text = text.trim();
    text.len() <= MAX_EMAIL_LEN
        && text.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}
