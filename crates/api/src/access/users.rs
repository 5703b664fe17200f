//! People known to an account, and `revoke_user`: every session of the person with that e-mail
//! address issued up to now is refused by the gateway from the next request on (the gateway's
//! snapshot learns of it before the API answers). The person's document is created when they
//! never logged in, so that a revocation made before a first login still holds for sessions
//! issued in that second.

use gatehouse_domain::AccountId;
use gatehouse_domain::access::{User, normalize_email, user_uuid};
use gatehouse_store::ResourceKind;
use serde_json::{Value, json};

use super::document::{Document, load};
use super::{MAX_ATTEMPTS, Stored, gave_up};
use crate::audit::{self, Change};
use crate::error::ApiError;
use crate::state::AppState;

/// RFC 5321's limit on an address.
const MAX_EMAIL_LEN: usize = 254;

impl Document for User {
    const KIND: ResourceKind = ResourceKind::User;
}

/// `POST …/access/organizations/revoke_user {"email"}`.
pub async fn revoke(state: &AppState, account: &AccountId, body: Value) -> Result<(), ApiError> {
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
        stored.doc.sessions_revoked_at = Some(now);
        let write = if exists { stored.update(now)? } else { stored.insert()? };
        let change = Change::new("revoke_user", "user", &id)
            .after(Some(json!({"email": email, "sessions_revoked_at": now.to_string()})));
        if audit::commit(state, account, &[write], change).await? {
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
