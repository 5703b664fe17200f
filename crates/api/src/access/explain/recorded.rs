//! Recorded requests replayed: what an access-log record says verification found then, and
//! `GET …/logs/access_requests/{ray_id}/explain`, the recorded decision beside the same request
//! decided now. A record keeps the application, the client address, the token (or the client id
//! and why it failed) or the person — not the host, the path or the secret — so a replay starts
//! after routing, with the recorded authentication outcome. A person's request is replayed as
//! that person: their e-mail address and identity provider as recorded, their claims and
//! authentication methods as their latest login stored them.

use std::collections::HashMap;
use std::net::IpAddr;

use gatehouse_api_types::{AccessLogEntry, RecordExplainBody, RecordedDecision, RoutingTrace};
use gatehouse_domain::AccountId;
use gatehouse_domain::access::{Authentication, Identity, Person};
use gatehouse_store::{AccessLogQuery, AccessLogRecord, Match, PageRequest};

use super::found::{self, Found};
use super::{Configuration, explained};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The access log's names of credentials that were presented and failed.
const FAILURES: [&str; 7] = [
    "malformed_credentials",
    "unknown_client_id",
    "wrong_secret",
    "wrong_account",
    "expired",
    "disabled",
    "invalid_session",
];

/// What verification found for a recorded request, and the failure's name: `None` when the
/// record cannot be replayed (refused by the failure limits, before any policy, or an address
/// that does not parse). A person is found with their stored identity in `identities`.
pub fn recorded_authentication<'a>(
    record: &'a AccessLogRecord,
    identities: &'a HashMap<String, Identity>,
) -> Option<(Authentication<'a>, Option<&'static str>)> {
    if record.reason.as_deref() == Some("rate_limited") {
        return None;
    }
    if let Some(id) = record.service_token_id {
        return Some((Authentication::Token(id), None));
    }
    if let Some(person) = &record.person {
        let found = Person::new(&person.email, person.idp_id).with_identity(identities.get(&person.email));
        return Some((Authentication::Person(found), None));
    }
    if !record.is_service_token {
        return Some((Authentication::None, Some("missing_credentials")));
    }
    // Credentials were presented and did not authenticate. The record names why only when the
    // request was refused for it; an allowed one (an IP rule, say) or one a deny policy refused
    // is a failure of no recorded kind.
    let failure = record
        .reason
        .as_deref()
        .and_then(|reason| FAILURES.iter().find(|name| **name == reason).copied())
        .unwrap_or("failed_credentials");
    Some((Authentication::Failed, Some(failure)))
}

pub async fn explain_record(
    state: &AppState,
    account: &AccountId,
    ray_id: &str,
) -> Result<RecordExplainBody, ApiError> {
    let record = find(state, account, ray_id).await?;
    let then = RecordedDecision {
        allowed: record.allowed,
        policy_id: record.policy_id.map(|id| id.to_string()),
        decision: record.decision.clone(),
        reason: record.reason.clone(),
        status: record.status,
        created_at: record.created_at.to_string(),
    };
    let entry: AccessLogEntry =
        serde_json::from_value(crate::access_logs::body(&record)).map_err(|error| {
            ApiError::new(ErrorCode::Internal, format!("access.api.error.internal_server_error: {error}"))
        })?;
    let config = Configuration::load(state, account).await?;
    let now = state.clock.now();
    let replayable = recorded_authentication(&record, &config.identities).is_some();
    let (found, ip) = match (replayable, record.ip_address.parse::<IpAddr>()) {
        (true, Ok(ip)) => (found_now(state, account, &record).await?, ip),
        (false, _) => {
            return Ok(unreplayable(entry, then, "refused by the failure limits before any policy"));
        }
        (_, Err(_)) => return Ok(unreplayable(entry, then, "the recorded client address does not parse")),
    };
    let Some(app) = config.apps.get(&record.app_uid) else {
        return Ok(unreplayable(entry, then, "the application no longer exists"));
    };
    let routing = RoutingTrace {
        host: String::new(),
        path: String::new(),
        app_id: Some(app.id.to_string()),
        pattern: Some(record.app_domain.clone()),
        reason: format!(
            "recorded: the request reached application '{}' (host and path are not recorded)",
            app.name
        ),
    };
    let explained = explained(&config, app, found, ip, now, routing)?;
    let changed = explained.allowed != then.allowed || explained.policy_id != then.policy_id;
    Ok(RecordExplainBody {
        record: entry,
        then,
        now: Some(explained),
        changed,
        note: "'then' is the decision recorded (the policies of that time are not kept); 'now' is the \
               same request against the current policies and the token's current standing, or the \
               person's latest stored identity"
            .to_owned(),
    })
}

async fn find(state: &AppState, account: &AccountId, ray_id: &str) -> Result<AccessLogRecord, ApiError> {
    let not_found =
        || ApiError::new(ErrorCode::NoRoute, format!("no access-log record with ray id '{}'", shown(ray_id)));
    if ray_id.is_empty()
        || ray_id.len() > 64
        || !ray_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(not_found());
    }
    let query = AccessLogQuery {
        ray_id: Some(Match::Eq(ray_id.to_owned())),
        page: PageRequest { offset: 0, limit: 1 },
        ..AccessLogQuery::default()
    };
    let page = state.store.list_access_logs(account, &query).await?;
    page.items.into_iter().next().ok_or_else(not_found)
}

/// The ray id as it may appear in a message.
fn shown(text: &str) -> String {
    text.chars().take(64).filter(|c| c.is_ascii_graphic()).collect()
}

/// What verification would find now for the recorded credentials: the recorded token's current
/// standing (deleted since: unknown); a token refused as expired or disabled, found again by its
/// client id (its secret was right); any other failure stays what it was (the secret is not kept).
async fn found_now(
    state: &AppState,
    account: &AccountId,
    record: &AccessLogRecord,
) -> Result<Found, ApiError> {
    let now = state.clock.now();
    let client_id = record.client_id.clone();
    if let Some(id) = record.service_token_id {
        return Ok(match state.store.get_service_token(account, &id).await? {
            Some(token) => Found::standing(&token, now),
            None => Found::failed("unknown_client_id", Some(id), client_id, "the token was deleted since"),
        });
    }
    if let Some(person) = &record.person {
        return Ok(Found::person_as(&person.email, person.idp_id, "recorded: "));
    }
    match recorded_authentication(record, &HashMap::new()) {
        Some((Authentication::Failed, Some(failure @ ("expired" | "disabled")))) => {
            let token = match &client_id {
                Some(client_id) => found::by_client_id(state, account, client_id).await?,
                None => None,
            };
            Ok(match token {
                Some(token) => Found::standing(&token, now),
                None => Found::failed(failure, None, client_id, "the token no longer exists"),
            })
        }
        Some((Authentication::Failed, failure)) => {
            let failure = failure.unwrap_or("failed_credentials");
            Ok(Found::failed(failure, None, client_id, &format!("recorded: {failure}")))
        }
        _ => Ok(Found::nothing()),
    }
}

fn unreplayable(record: AccessLogEntry, then: RecordedDecision, why: &str) -> RecordExplainBody {
    RecordExplainBody { record, then, now: None, changed: false, note: format!("not replayed: {why}") }
}
