//! What the gateway's verification stage finds for a described token: none, a token of the
//! account in good standing at the given time (its secret taken as right), a person (their
//! session taken as valid), or a failure named as the access log names it.

use gatehouse_api_types::{AuthenticationTrace, ExplainRequest};
use std::collections::HashMap;

use gatehouse_domain::access::{Authentication, Identity, IdpId, Person, normalize_email};
use gatehouse_domain::{AccountId, AuthFailure, ClientId, ServiceToken, Timestamp, TokenId};

use crate::error::ApiError;
use crate::state::AppState;

/// What verification finds, and the access log's name for a failure.
#[derive(Debug, Clone)]
pub struct Found {
    /// For a token, none or a failure; a person is [`Found::person`].
    pub authentication: Authentication<'static>,
    /// The person's e-mail (lowercase) and identity provider, when a person is described.
    pub person: Option<(String, Option<IdpId>)>,
    /// `missing_credentials`, `unknown_client_id`, `expired`, `disabled`, …; `None` when a token
    /// authenticated.
    pub failure: Option<&'static str>,
    pub trace: AuthenticationTrace,
}

impl Found {
    /// No credentials.
    pub fn nothing() -> Self {
        Found {
            authentication: Authentication::None,
            person: None,
            failure: Some("missing_credentials"),
            trace: AuthenticationTrace {
                outcome: "none".to_owned(),
                token_id: None,
                client_id: None,
                reason: "no credentials: only rules that need no token can match".to_owned(),
            },
        }
    }

    /// A person with a valid session, who logged in with `idp` (if given).
    pub fn person(email: &str, idp: Option<IdpId>) -> Self {
        Found::person_as(email, idp, "")
    }

    /// [`Found::person`], the trace's reason starting with `prefix` (`recorded: `, say).
    pub fn person_as(email: &str, idp: Option<IdpId>, prefix: &str) -> Self {
        let email = normalize_email(email);
        let via = match idp {
            Some(idp) => format!(
                " through identity provider {idp} (claims and authentication methods: their latest \
                 login's, as stored)"
            ),
            None => String::new(),
        };
        Found {
            authentication: Authentication::None,
            failure: None,
            trace: AuthenticationTrace {
                outcome: "person".to_owned(),
                token_id: None,
                client_id: None,
                reason: format!(
                    "{prefix}{email} logged in{via} (the session is taken as valid): the people \
                     selectors are evaluated for them"
                ),
            },
            person: Some((email, idp)),
        }
    }

    /// What verification found, as the decision reads it: a person with their stored identity
    /// (from `identities`, by e-mail address), as the gateway sees them.
    pub fn authentication<'a>(&'a self, identities: &'a HashMap<String, Identity>) -> Authentication<'a> {
        match &self.person {
            Some((email, idp)) => {
                Authentication::Person(Person::new(email, *idp).with_identity(identities.get(email)))
            }
            None => self.authentication,
        }
    }

    /// Credentials that do not authenticate, for `reason`.
    pub fn failed(
        outcome: &'static str,
        id: Option<TokenId>,
        client_id: Option<String>,
        reason: &str,
    ) -> Self {
        Found {
            authentication: Authentication::Failed,
            person: None,
            failure: Some(outcome),
            trace: AuthenticationTrace {
                outcome: outcome.to_owned(),
                token_id: id.map(|id| id.to_string()),
                client_id,
                reason: format!("{reason}: the credentials do not authenticate"),
            },
        }
    }

    /// `token` with a right secret at `at`: authenticated, or expired or disabled.
    pub fn standing(token: &ServiceToken, at: Timestamp) -> Self {
        let (id, client_id) = (Some(token.id), Some(token.client_id.as_str().to_owned()));
        match token.standing(at) {
            Ok(()) => Found {
                authentication: Authentication::Token(token.id),
                person: None,
                failure: None,
                trace: AuthenticationTrace {
                    outcome: "authenticated".to_owned(),
                    token_id: id.map(|id| id.to_string()),
                    client_id,
                    reason: format!(
                        "service token '{}' is enabled and expires at {} (its secret is taken as right)",
                        token.name, token.expires_at
                    ),
                },
            },
            Err(AuthFailure::Disabled) => Found::failed(
                "disabled",
                id,
                client_id,
                &format!("service token '{}' is disabled", token.name),
            ),
            Err(AuthFailure::Expired | AuthFailure::WrongSecret) => Found::failed(
                "expired",
                id,
                client_id,
                &format!("service token '{}' expired at {}", token.name, token.expires_at),
            ),
        }
    }
}

/// The token of the account with this client id, if any (another account's is unknown here, as
/// it is to this account's applications).
pub async fn by_client_id(
    state: &AppState,
    account: &AccountId,
    client_id: &str,
) -> Result<Option<ServiceToken>, ApiError> {
    let found = match ClientId::parse(client_id) {
        Ok(parsed) => state.store.find_service_token_by_client_id(&parsed).await?,
        Err(_) => None,
    };
    Ok(found.filter(|t| &t.account_id == account))
}

/// What verification finds for the token `request` describes, at `at`.
pub async fn authenticate(
    state: &AppState,
    account: &AccountId,
    request: &ExplainRequest,
    at: Timestamp,
) -> Result<Found, ApiError> {
    let token = match (&request.token_id, &request.client_id) {
        (Some(id), _) => {
            let id = TokenId::parse(id).map_err(|_| ApiError::token_not_found())?;
            state.store.get_service_token(account, &id).await?.ok_or_else(ApiError::token_not_found)?
        }
        (None, Some(client_id)) => {
            let client_id = client_id.trim();
            if client_id.is_empty() {
                return Err(ApiError::invalid("invalid 'client_id': must not be empty"));
            }
            match by_client_id(state, account, client_id).await? {
                Some(token) => token,
                None => {
                    return Ok(Found::failed(
                        "unknown_client_id",
                        None,
                        Some(client_id.to_owned()),
                        "no service token of this account has this client id",
                    ));
                }
            }
        }
        (None, None) => match &request.email {
            Some(email) => {
                let email = email.trim();
                if email.is_empty() || !email.contains('@') {
                    return Err(ApiError::invalid("invalid 'email': must be an e-mail address"));
                }
                let idp = match request.identity_provider_id.as_deref() {
                    Some(id) => Some(IdpId::parse(id.trim()).map_err(|_| {
                        ApiError::invalid(
                            "invalid 'identity_provider_id': must be an identity provider's id (a UUID)",
                        )
                    })?),
                    None => None,
                };
                return Ok(Found::person(email, idp));
            }
            None => return Ok(Found::nothing()),
        },
    };
    Ok(Found::standing(&token, at))
}
