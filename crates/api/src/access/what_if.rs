//! What-if (`POST …/apps/{app_id}/what-if`): a draft policy set for an application, not saved,
//! and the application's recorded requests replayed against both it and the current policies
//! with the gateway's `decide` (no tracer): how many decisions would change, grouped by token,
//! application domain, person and outcome, with examples. Each record is replayed with the
//! authentication outcome it recorded, so only the policies differ between the two runs.

use std::collections::HashMap;
use std::net::IpAddr;

use gatehouse_api_types::{WhatIfBody, WhatIfExample, WhatIfGroup, WhatIfOutcome, WhatIfRequest};
use gatehouse_domain::access::{
    AppId, AppPolicies, AppRules, Application, NoTrace, Policy, PolicyId, PolicyLink, decide, decided_by,
};
use gatehouse_domain::{AccountId, Timestamp, TokenId};
use gatehouse_store::AccessLogRecord;
use serde_json::Value;

use super::document::load_one;
use super::explain::{Configuration, Judged, judge, recorded_authentication};
use super::input::{PolicyInput, from_value};
use super::references::check_policy_providers;
use crate::error::ApiError;
use crate::state::AppState;

/// The most records one what-if replays.
pub const MAX_RECORDS: u64 = 1_000_000;
const DEFAULT_WINDOW_SECS: i64 = 24 * 3600;
const DEFAULT_EXAMPLES: u32 = 3;
const MAX_EXAMPLES: u32 = 20;
/// The most groups an answer lists.
const MAX_GROUPS: usize = 1000;

pub async fn what_if(
    state: &AppState,
    account: &AccountId,
    app: &str,
    request: WhatIfRequest,
) -> Result<WhatIfBody, ApiError> {
    let app = load_one::<Application>(state, account, app).await?.doc;
    let now = state.clock.now();
    let since = match &request.since {
        Some(text) => Timestamp::parse_rfc3339(text)
            .map_err(|_| ApiError::invalid("invalid 'since': must be an RFC 3339 timestamp"))?,
        None => Timestamp::from_unix(now.unix().saturating_sub(DEFAULT_WINDOW_SECS)),
    };
    let limit = request.limit.unwrap_or(MAX_RECORDS);
    if !(1..=MAX_RECORDS).contains(&limit) {
        return Err(ApiError::invalid(format!("invalid 'limit': 1 to {MAX_RECORDS}")));
    }
    let examples = request.examples.unwrap_or(DEFAULT_EXAMPLES);
    if examples > MAX_EXAMPLES {
        return Err(ApiError::invalid(format!("invalid 'examples': 0 to {MAX_EXAMPLES}")));
    }
    let config = Configuration::load(state, account).await?;
    let current = config.rules(&app);
    let (draft, drafted) = draft_rules(&request.policies, &config, app.id)?;
    // As a write would: a rule naming a provider or list that cannot match is refused.
    for (at, policy) in &drafted {
        check_policy_providers(state, account, policy, at).await?;
    }
    let mut replay = Replay {
        identities: &config.identities,
        now: config.decision_inputs(&current),
        draft: config.decision_inputs(&draft),
        examples: examples as usize,
        tally: Tally::default(),
    };
    let replayed = state
        .store
        .replay_access_logs(account, &app.id, since, limit, &mut |record| replay.record(record))
        .await?;
    Ok(replay.tally.body(since, limit, replayed))
}

/// Compiles the draft as the gateway would compile the application with it; a draft that would
/// break the application (a missing policy) is refused. Also returns the policies the draft
/// writes out, each with its place in the request (`policies[2].`).
fn draft_rules(
    entries: &[Value],
    config: &Configuration,
    app: AppId,
) -> Result<(AppRules, Vec<(String, Policy)>), ApiError> {
    let mut drafted: HashMap<PolicyId, Policy> = HashMap::new();
    // Where each drafted policy is in the request.
    let mut places: Vec<(String, PolicyId)> = Vec::new();
    let mut links = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("policies[{index}]");
        let object = entry.as_object().ok_or_else(|| {
            ApiError::invalid(format!(
                "invalid '{at}': a policy object, or {{\"id\", \"precedence\"}} naming one"
            ))
        })?;
        let id = match object.get("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => Some(
                PolicyId::parse(id)
                    .map_err(|_| ApiError::invalid(format!("invalid '{at}.id': a policy id (a UUID)")))?,
            ),
            Some(_) => return Err(ApiError::invalid(format!("invalid '{at}.id': a policy id (a UUID)"))),
        };
        let precedence = match object.get("precedence") {
            None | Some(Value::Null) => i64::try_from(index + 1).unwrap_or(i64::MAX),
            Some(value) => value
                .as_i64()
                .ok_or_else(|| ApiError::invalid(format!("invalid '{at}.precedence': an integer")))?,
        };
        let id = if object.contains_key("decision") {
            let input: PolicyInput = from_value(entry.clone(), &at)?;
            let id = id.unwrap_or_else(PolicyId::generate);
            drafted.insert(id, input.into_policy(id, Some(app), &format!("{at}."))?);
            places.push((format!("{at}."), id));
            id
        } else {
            let id = id.ok_or_else(|| {
                ApiError::invalid(format!(
                    "invalid '{at}': a policy object needs 'decision'; a link needs 'id'"
                ))
            })?;
            if !config.policies.contains_key(&id) {
                return Err(ApiError::policy_not_found());
            }
            id
        };
        links.push(PolicyLink { id, precedence });
    }
    let rules =
        AppRules::compile(&links, |id| drafted.get(&id).or_else(|| config.policies.get(&id)), &config.lists);
    if let Some(problem) = rules.problems.first() {
        return Err(ApiError::invalid(format!("the draft cannot be compiled: {problem}")));
    }
    let written = places.into_iter().filter_map(|(at, id)| Some((at, drafted.remove(&id)?))).collect();
    Ok((rules, written))
}

struct Replay<'a> {
    /// People are replayed with their stored identity, as the gateway decides for them.
    identities: &'a std::collections::HashMap<String, gatehouse_domain::access::Identity>,
    now: AppPolicies<'a>,
    draft: AppPolicies<'a>,
    examples: usize,
    tally: Tally,
}

impl Replay<'_> {
    fn record(&mut self, record: AccessLogRecord) {
        let (Some((authentication, failure)), Ok(ip)) =
            (recorded_authentication(&record, self.identities), record.ip_address.parse::<IpAddr>())
        else {
            self.tally.skipped += 1;
            return;
        };
        let now = judge(decide(self.now, authentication, ip, &mut NoTrace), failure);
        let draft = judge(decide(self.draft, authentication, ip, &mut NoTrace), failure);
        if now.allowed != record.allowed {
            self.tally.differs_from_recorded += 1;
        }
        if now == draft {
            return;
        }
        if now.allowed == draft.allowed {
            self.tally.other_policy += 1;
            return;
        }
        if draft.allowed {
            self.tally.newly_allowed += 1;
        } else {
            self.tally.newly_denied += 1;
        }
        let key = Key {
            token: record.service_token_id,
            client_id: record.client_id,
            user_email: record.person.map(|p| p.email),
            app_domain: record.app_domain,
            now: outcome(&now),
            draft: outcome(&draft),
        };
        let group = self.tally.groups.entry(key).or_default();
        group.count += 1;
        if group.examples.len() < self.examples {
            group.examples.push(WhatIfExample {
                ray_id: record.ray_id,
                created_at: record.created_at.to_string(),
                ip_address: record.ip_address,
            });
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    token: Option<TokenId>,
    client_id: Option<String>,
    user_email: Option<String>,
    app_domain: String,
    now: Outcome,
    draft: Outcome,
}

/// A judged decision, as grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Outcome {
    allowed: bool,
    policy: Option<PolicyId>,
    reason: Option<&'static str>,
}

fn outcome(judged: &Judged) -> Outcome {
    Outcome { allowed: judged.allowed, policy: judged.verdict.and_then(decided_by), reason: judged.reason }
}

#[derive(Debug, Default)]
struct Group {
    count: u64,
    examples: Vec<WhatIfExample>,
}

#[derive(Debug, Default)]
struct Tally {
    skipped: u64,
    newly_allowed: u64,
    newly_denied: u64,
    other_policy: u64,
    differs_from_recorded: u64,
    groups: HashMap<Key, Group>,
}

impl Tally {
    fn body(self, since: Timestamp, limit: u64, replayed: u64) -> WhatIfBody {
        let mut groups: Vec<(Key, Group)> = self.groups.into_iter().collect();
        groups.sort_by(|(a, x), (b, y)| y.count.cmp(&x.count).then_with(|| a.client_id.cmp(&b.client_id)));
        let groups_truncated = groups.len() > MAX_GROUPS;
        groups.truncate(MAX_GROUPS);
        let wire = |o: Outcome| WhatIfOutcome {
            allowed: o.allowed,
            policy_id: o.policy.map(|id| id.to_string()),
            reason: o.reason.map(str::to_owned),
        };
        WhatIfBody {
            since: since.to_string(),
            limit,
            replayed,
            truncated: replayed >= limit,
            skipped: self.skipped,
            changed: self.newly_allowed + self.newly_denied,
            newly_allowed: self.newly_allowed,
            newly_denied: self.newly_denied,
            other_policy: self.other_policy,
            differs_from_recorded: self.differs_from_recorded,
            groups: groups
                .into_iter()
                .map(|(key, group)| WhatIfGroup {
                    token_id: key.token.map(|id| id.to_string()),
                    client_id: key.client_id,
                    user_email: key.user_email,
                    app_domain: key.app_domain,
                    now: wire(key.now),
                    draft: wire(key.draft),
                    count: group.count,
                    examples: group.examples,
                })
                .collect(),
            groups_truncated,
        }
    }
}
