//! The client threads: each changes only what it owns and logs every acknowledged answer.

use super::*;

pub(super) fn audit_key(action: &str, kind: &str, id: &str) -> (String, String, String) {
    (action.to_owned(), kind.to_owned(), id.to_owned())
}

pub(super) fn str_field(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

/// Runs one thread's operations until the server stops answering; returns what it saw.
pub(super) fn client(
    ends: &Endpoints,
    fixture: &Fixture,
    thread: usize,
    cycle: usize,
    model: &mut ThreadModel,
    rng: &mut Rng,
    stop: &AtomicBool,
) -> ThreadLog {
    let mut log = ThreadLog::default();
    for token in &mut model.tokens {
        token.touched = false;
    }
    for doc in model.policies.iter_mut().chain(model.groups.iter_mut()) {
        doc.touched = false;
    }
    model.deleted.clear();
    while !stop.load(Ordering::SeqCst) {
        let roll = rng.below(100);
        let known: Vec<usize> =
            (0..model.tokens.len()).filter(|&i| model.tokens[i].secret.is_some()).collect();
        let op = match roll {
            _ if model.tokens.is_empty() => InFlight::CreateToken { name: String::new() },
            0..=19 => InFlight::CreateToken { name: String::new() },
            20..=39 => InFlight::Rotate {
                index: rng.below(model.tokens.len()),
                grace: if rng.below(2) == 0 { Grace::UntilUsed } else { Grace::Deadline },
            },
            40..=47 => InFlight::Refresh { index: rng.below(model.tokens.len()) },
            48..=55 => InFlight::Delete { index: rng.below(model.tokens.len()) },
            56..=67 => InFlight::UpdatePolicy { index: rng.below(model.policies.len()), variant: 0 },
            68..=71 => InFlight::CreatePolicy { name: String::new(), variant: rng.below(PROBES) },
            72..=75 => InFlight::CreateGroup { name: String::new(), variant: rng.below(PROBES) },
            76..=83 => InFlight::UpdateGroup { index: rng.below(model.groups.len()), variant: 0 },
            _ if known.is_empty() => InFlight::Refresh { index: rng.below(model.tokens.len()) },
            _ => InFlight::Gateway,
        };
        // Name new resources and pick an edit's body (always another one than the stored one).
        model.created += 1;
        let fresh = format!("crash-c{cycle}-t{thread}-n{}", model.created);
        let op = match op {
            InFlight::CreateToken { .. } => InFlight::CreateToken { name: fresh },
            InFlight::CreatePolicy { variant, .. } => InFlight::CreatePolicy { name: fresh, variant },
            InFlight::CreateGroup { variant, .. } => InFlight::CreateGroup { name: fresh, variant },
            InFlight::UpdatePolicy { index, .. } => InFlight::UpdatePolicy {
                index,
                variant: (model.policies[index].variant + 1 + rng.below(PROBES - 1)) % PROBES,
            },
            InFlight::UpdateGroup { index, .. } => InFlight::UpdateGroup {
                index,
                variant: (model.groups[index].variant + 1 + rng.below(PROBES - 1)) % PROBES,
            },
            other => other,
        };
        let reply = match &op {
            InFlight::CreateToken { name } => {
                ends.api("POST", "service_tokens", Some(&json!({"name": name})))
            }
            InFlight::Rotate { index, grace } => {
                let body = match grace {
                    Grace::UntilUsed => None,
                    Grace::Deadline => Some(json!({"previous_client_secret_expires_at": fixture.deadline})),
                };
                ends.api("POST", &format!("service_tokens/{}/rotate", model.tokens[*index].id), body.as_ref())
            }
            InFlight::Refresh { index } => {
                ends.api("POST", &format!("service_tokens/{}/refresh", model.tokens[*index].id), None)
            }
            InFlight::Delete { index } => {
                ends.api("DELETE", &format!("service_tokens/{}", model.tokens[*index].id), None)
            }
            InFlight::CreatePolicy { name, variant } => {
                ends.api("POST", "policies", Some(&fixture.policy_body(name, *variant)))
            }
            InFlight::UpdatePolicy { index, variant } => {
                let policy = &model.policies[*index];
                ends.api(
                    "PUT",
                    &format!("policies/{}", policy.id),
                    Some(&fixture.policy_body(&policy.name, *variant)),
                )
            }
            InFlight::CreateGroup { name, variant } => {
                ends.api("POST", "groups", Some(&fixture.group_body(name, *variant)))
            }
            InFlight::UpdateGroup { index, variant } => {
                let group = &model.groups[*index];
                ends.api(
                    "PUT",
                    &format!("groups/{}", group.id),
                    Some(&fixture.group_body(&group.name, *variant)),
                )
            }
            InFlight::Gateway => {
                let token = &model.tokens[known[rng.below(known.len())]];
                let secret = token.secret.clone().unwrap_or_default();
                let client_id = token.client_id.clone();
                match ends.gateway(ANY_HOST, &client_id, &secret) {
                    None => None,
                    Some(status) => {
                        if status == 200 {
                            if let Some(t) = model.tokens.iter_mut().find(|t| t.client_id == client_id) {
                                t.used = true;
                            }
                        } else {
                            log.problems.push(format!(
                                "gateway refused the newest acknowledged secret of {client_id}: {status}"
                            ));
                        }
                        continue;
                    }
                }
            }
        };
        let Some(reply) = reply else {
            if let InFlight::UpdatePolicy { index, .. } = op {
                model.policies[index].touched = true;
            }
            log.in_flight = Some(op);
            return log;
        };
        if !reply.ok() {
            log.problems.push(format!("{op:?} → {}: {}", reply.status, reply.body));
            continue;
        }
        log.acknowledged += 1;
        let result = reply.result();
        match op {
            InFlight::CreateToken { name } => {
                let id = str_field(&result, "id");
                log.audited.push(audit_key("create", "service_token", &id));
                model.tokens.push(TokenModel {
                    id,
                    client_id: str_field(&result, "client_id"),
                    name,
                    secret: result["client_secret"].as_str().map(str::to_owned),
                    previous: None,
                    retired: None,
                    version: result["client_secret_version"].as_u64().unwrap_or(0),
                    used: false,
                    touched: true,
                });
            }
            InFlight::Rotate { index, grace } => {
                let token = &mut model.tokens[index];
                log.audited.push(audit_key("rotate", "service_token", &token.id));
                token.retired = token.previous.take().map(|(s, _)| s);
                token.previous = token.secret.take().map(|s| (s, grace));
                token.secret = result["client_secret"].as_str().map(str::to_owned);
                token.version = result["client_secret_version"].as_u64().unwrap_or(0);
                token.used = false;
                token.touched = true;
            }
            InFlight::Refresh { index } => {
                let token = &mut model.tokens[index];
                log.audited.push(audit_key("refresh", "service_token", &token.id));
                token.touched = true;
            }
            InFlight::Delete { index } => {
                let token = model.tokens.remove(index);
                log.audited.push(audit_key("delete", "service_token", &token.id));
                model.deleted.push((token.client_id, token.secret));
            }
            InFlight::CreatePolicy { name, variant } => {
                let id = str_field(&result, "id");
                log.audited.push(audit_key("create", "policy", &id));
                model.policies.push(DocModel { id, name, variant, host: None, touched: true });
            }
            InFlight::UpdatePolicy { index, variant } => {
                log.audited.push(audit_key("update", "policy", &model.policies[index].id));
                model.policies[index].variant = variant;
                model.policies[index].touched = true;
            }
            InFlight::CreateGroup { name, variant } => {
                let id = str_field(&result, "id");
                log.audited.push(audit_key("create", "group", &id));
                model.groups.push(DocModel { id, name, variant, host: None, touched: true });
            }
            InFlight::UpdateGroup { index, variant } => {
                log.audited.push(audit_key("update", "group", &model.groups[index].id));
                model.groups[index].variant = variant;
            }
            InFlight::Gateway => {}
        }
    }
    log
}
