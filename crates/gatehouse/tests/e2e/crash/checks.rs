//! The checks after a restart.

use super::*;

/// What became of a request that was in flight at the kill.
pub(super) enum Landing {
    /// The change is stored, whole; it must have its audit record.
    Landed((String, String, String)),
    NotLanded,
    /// Cannot be told from the stored state (a refresh within the same second); its audit
    /// record may or may not exist.
    Unknown(Option<(String, String, String)>),
}

/// Finds out whether a thread's in-flight request landed, checks that what landed is whole, and
/// brings the thread's model up to date.
pub(super) fn resolve_in_flight(
    ends: &Endpoints,
    fixture: &Fixture,
    thread: usize,
    model: &mut ThreadModel,
    op: &InFlight,
    problems: &mut Vec<String>,
) -> Landing {
    let mut problem = |text: String| problems.push(format!("thread {thread}, in flight {op:?}: {text}"));
    match op {
        InFlight::CreateToken { name } => {
            let found = list_all(ends, &format!("service_tokens?name={name}"));
            match found.as_slice() {
                [] => Landing::NotLanded,
                [token] => {
                    let id = str_field(token, "id");
                    // Whole: the row decodes through the store (the API reads it) with a first secret.
                    match ends.api("GET", &format!("service_tokens/{id}"), None) {
                        Some(reply) if reply.ok() => {
                            let read = reply.result();
                            if read["client_secret_version"] != 1
                                || str_field(&read, "client_id").is_empty()
                                || read.get("client_secret").is_some_and(|s| !s.is_null())
                            {
                                problem(format!("the landed token is not whole: {read}"));
                            }
                        }
                        other => problem(format!("the landed token does not read back: {other:?}")),
                    }
                    model.tokens.push(TokenModel {
                        id: id.clone(),
                        client_id: str_field(token, "client_id"),
                        name: name.clone(),
                        secret: None,
                        previous: None,
                        retired: None,
                        version: 1,
                        used: false,
                        touched: false,
                    });
                    Landing::Landed(audit_key("create", "service_token", &id))
                }
                more => {
                    problem(format!("{} tokens carry the name", more.len()));
                    Landing::NotLanded
                }
            }
        }
        InFlight::Rotate { index, grace } => {
            let token = &mut model.tokens[*index];
            let read = ends.api("GET", &format!("service_tokens/{}", token.id), None);
            let version =
                read.as_ref().filter(|r| r.ok()).and_then(|r| r.result()["client_secret_version"].as_u64());
            match version {
                Some(v) if v == token.version => Landing::NotLanded,
                Some(v) if v == token.version + 1 => {
                    token.retired = token.previous.take().map(|(s, _)| s);
                    token.previous = token.secret.take().map(|s| (s, *grace));
                    token.version = v;
                    token.used = false;
                    token.touched = true;
                    Landing::Landed(audit_key("rotate", "service_token", &token.id))
                }
                other => {
                    problem(format!(
                        "version {other:?} after a rotation from version {}: {read:?}",
                        token.version
                    ));
                    Landing::NotLanded
                }
            }
        }
        InFlight::Refresh { index } => {
            Landing::Unknown(Some(audit_key("refresh", "service_token", &model.tokens[*index].id)))
        }
        InFlight::Delete { index } => {
            let id = model.tokens[*index].id.clone();
            match ends.api("GET", &format!("service_tokens/{id}"), None).map(|r| r.status) {
                Some(404) => {
                    let token = model.tokens.remove(*index);
                    model.deleted.push((token.client_id, token.secret));
                    Landing::Landed(audit_key("delete", "service_token", &id))
                }
                Some(200) => Landing::NotLanded,
                other => {
                    problem(format!("reading the token answered {other:?}"));
                    Landing::NotLanded
                }
            }
        }
        InFlight::CreatePolicy { name, variant } | InFlight::CreateGroup { name, variant } => {
            let (kind, path) = if matches!(op, InFlight::CreatePolicy { .. }) {
                ("policy", "policies")
            } else {
                ("group", "groups")
            };
            let sent = if kind == "policy" {
                fixture.policy_body(name, *variant)
            } else {
                fixture.group_body(name, *variant)
            };
            let found = list_all(ends, &format!("{path}?name={name}-v{variant}"));
            match found.as_slice() {
                [] => Landing::NotLanded,
                [doc] => {
                    if !same_body(doc, &sent) {
                        problem(format!("the landed {kind} is not the body sent: {doc}"));
                    }
                    let id = str_field(doc, "id");
                    let entry = DocModel {
                        id: id.clone(),
                        name: name.clone(),
                        variant: *variant,
                        host: None,
                        touched: true,
                    };
                    if kind == "policy" {
                        model.policies.push(entry)
                    } else {
                        model.groups.push(entry)
                    }
                    Landing::Landed(audit_key("create", kind, &id))
                }
                more => {
                    problem(format!("{} {path} carry the name", more.len()));
                    Landing::NotLanded
                }
            }
        }
        InFlight::UpdatePolicy { index, variant } | InFlight::UpdateGroup { index, variant } => {
            let is_policy = matches!(op, InFlight::UpdatePolicy { .. });
            let (kind, path, doc) = if is_policy {
                ("policy", "policies", &mut model.policies[*index])
            } else {
                ("group", "groups", &mut model.groups[*index])
            };
            let read =
                ends.api("GET", &format!("{path}/{}", doc.id), None).filter(Reply::ok).map(|r| r.result());
            let name = doc.name.clone();
            let stored = read.as_ref().and_then(|value| {
                variant_of(value, |v| {
                    if is_policy { fixture.policy_body(&name, v) } else { fixture.group_body(&name, v) }
                })
            });
            match stored {
                Some(v) if v == *variant => {
                    doc.variant = v;
                    Landing::Landed(audit_key("update", kind, &doc.id))
                }
                Some(v) if v == doc.variant => Landing::NotLanded,
                _ => {
                    problem(format!(
                        "the {kind} reads back as neither the acknowledged body nor the one in flight: {read:?}"
                    ));
                    Landing::NotLanded
                }
            }
        }
        InFlight::Gateway => Landing::NotLanded,
    }
}

/// Every token, reusable policy and group, as listed after the restart.
pub(super) struct Lists {
    pub(super) tokens: Vec<Value>,
    pub(super) policies: Vec<Value>,
    pub(super) groups: Vec<Value>,
}

impl Lists {
    pub(super) fn read(ends: &Endpoints) -> Self {
        Lists {
            tokens: list_all(ends, "service_tokens"),
            policies: list_all(ends, "policies"),
            groups: list_all(ends, "groups"),
        }
    }
}

/// Every item of a list endpoint (`rest` may carry a query), following pages.
pub(super) fn list_all(ends: &Endpoints, rest: &str) -> Vec<Value> {
    let separator = if rest.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    for page in 1.. {
        let result = ends.must("GET", &format!("{rest}{separator}per_page=1000&page={page}"), None);
        let batch = result.as_array().cloned().unwrap_or_default();
        let done = batch.len() < 1000;
        items.extend(batch);
        if done {
            break;
        }
    }
    items
}

/// Gateway checks of the tokens a thread touched this cycle, its deleted tokens, and its
/// policies and groups. Returns the number of checks made.
pub(super) fn check_thread(
    ends: &Endpoints,
    fixture: &Fixture,
    lists: &Lists,
    thread: usize,
    model: &mut ThreadModel,
    problems: &mut Vec<String>,
) -> u64 {
    let checks = std::cell::Cell::new(0);
    let expect = |what: String, got: Option<u16>, accepted: bool, problems: &mut Vec<String>| {
        checks.set(checks.get() + 1);
        let ok = match got {
            Some(200) => accepted,
            Some(_) => !accepted,
            None => false,
        };
        if !ok {
            problems.push(format!(
                "thread {thread}: {what}: gateway answered {got:?}, expected {}",
                if accepted { "200" } else { "a refusal" }
            ));
        }
    };
    for token in model.tokens.iter_mut().filter(|t| t.touched) {
        let id = &token.client_id;
        // The previous secret first: a use of the newest one ends an "until used" grace.
        if let Some((previous, grace)) = &token.previous {
            let must_work = *grace == Grace::Deadline || !token.used || token.secret.is_none();
            if must_work {
                expect(
                    format!("previous secret of {id} ({grace:?}, new one used: {})", token.used),
                    ends.gateway(ANY_HOST, id, previous),
                    true,
                    problems,
                );
            }
        }
        if let Some(retired) = &token.retired {
            expect(
                format!("secret of {id} from two rotations ago"),
                ends.gateway(ANY_HOST, id, retired),
                false,
                problems,
            );
        }
        if let Some(secret) = &token.secret {
            expect(
                format!("newest acknowledged secret of {id} (version {})", token.version),
                ends.gateway(ANY_HOST, id, secret),
                true,
                problems,
            );
            token.used = true;
            if let Some((previous, Grace::UntilUsed)) = &token.previous {
                expect(
                    format!("previous secret of {id} once the new one was used"),
                    ends.gateway(ANY_HOST, id, previous),
                    false,
                    problems,
                );
            }
        }
    }
    for (client_id, secret) in &model.deleted {
        if let Some(secret) = secret {
            expect(
                format!("secret of the deleted token {client_id}"),
                ends.gateway(ANY_HOST, client_id, secret),
                false,
                problems,
            );
        }
    }
    for (kind, docs, listed) in
        [("policy", &model.policies, &lists.policies), ("group", &model.groups, &lists.groups)]
    {
        for doc in docs {
            let read = listed.iter().find(|d| d["id"] == doc.id.as_str());
            let sent = if kind == "policy" {
                fixture.policy_body(&doc.name, doc.variant)
            } else {
                fixture.group_body(&doc.name, doc.variant)
            };
            checks.set(checks.get() + 1);
            if !read.as_ref().is_some_and(|stored| same_body(stored, &sent)) {
                problems.push(format!(
                    "thread {thread}: {kind} {} is not its acknowledged body {sent}: {read:?}",
                    doc.id
                ));
            }
            if let Some(host) = doc.host.as_ref().filter(|_| doc.touched) {
                for (i, (_, client_id, secret)) in fixture.probes.iter().enumerate() {
                    let admitted = i == doc.variant % PROBES;
                    expect(
                        format!("probe {i} at {host} (policy variant {})", doc.variant),
                        ends.gateway(host, client_id, secret),
                        admitted,
                        problems,
                    );
                }
            }
        }
    }
    checks.get()
}

/// No token, policy or group exists that no client saw acknowledged (in-flight ones that landed
/// are in the models by now), and every token has its acknowledged secret version.
pub(super) fn check_no_strangers(
    fixture: &Fixture,
    lists: &Lists,
    models: &[ThreadModel],
    problems: &mut Vec<String>,
) -> u64 {
    let mut known: HashMap<String, (u64, String)> = models
        .iter()
        .flat_map(|m| m.tokens.iter().map(|t| (t.id.clone(), (t.version, t.name.clone()))))
        .collect();
    for (i, (id, _, _)) in fixture.probes.iter().enumerate() {
        known.insert(id.clone(), (1, format!("crash-probe-{i}")));
    }
    let mut checks = 0;
    for token in &lists.tokens {
        checks += 1;
        let id = str_field(token, "id");
        match known.remove(&id) {
            None => problems.push(format!("a token no client saw acknowledged: {token}")),
            Some((version, name))
                if token["client_secret_version"].as_u64() != Some(version)
                    || token["name"] != name.as_str() =>
            {
                problems.push(format!(
                    "token {id} is not as acknowledged (version {version}, name {name}): {token}"
                ));
            }
            Some(_) => {}
        }
    }
    for id in known.keys() {
        problems.push(format!("acknowledged token {id} is missing"));
    }
    for (path, docs, listed) in [
        ("policies", models.iter().flat_map(|m| &m.policies).collect::<Vec<_>>(), &lists.policies),
        ("groups", models.iter().flat_map(|m| &m.groups).collect(), &lists.groups),
    ] {
        let mut ids: BTreeMap<&str, ()> = docs.iter().map(|d| (d.id.as_str(), ())).collect();
        for doc in listed {
            checks += 1;
            let name = str_field(doc, "name");
            if ids.remove(str_field(doc, "id").as_str()).is_none() && name != "crash-any" {
                problems.push(format!("{path}: one no client saw acknowledged: {doc}"));
            }
        }
        for id in ids.keys() {
            problems.push(format!("{path}: acknowledged {id} is missing"));
        }
    }
    checks
}

/// The account's audit records, oldest first, as (action, resource type, resource id).
pub(super) fn audit_records(ends: &Endpoints) -> Vec<(String, String, String)> {
    let mut records = Vec::new();
    for page in 1.. {
        let path = format!("{}/audit_logs?direction=asc&per_page=1000&page={page}", ends.account_path);
        let reply = ends.raw_api("GET", &path, None).expect("the audit log answers");
        assert!(reply.ok(), "audit log: {} {}", reply.status, reply.body);
        let batch = reply.result().as_array().cloned().unwrap_or_default();
        let done = batch.len() < 1000;
        records.extend(batch.iter().map(|r| {
            (
                str_field(&r["action"], "type"),
                str_field(&r["resource"], "type"),
                str_field(&r["resource"], "id"),
            )
        }));
        if done {
            break;
        }
    }
    records
}

/// The records appended since the last check are exactly the expected ones (in any order), plus
/// at most the undetermined ones.
pub(super) fn check_audit(
    new: &[(String, String, String)],
    acknowledged: Vec<(String, String, String)>,
    landed: Vec<(String, String, String)>,
    mut maybe: Vec<(String, String, String)>,
    problems: &mut Vec<String>,
) -> u64 {
    let mut wanted: HashMap<(String, String, String), (usize, &str)> = HashMap::new();
    for (key, how) in acknowledged
        .into_iter()
        .map(|k| (k, "acknowledged"))
        .chain(landed.into_iter().map(|k| (k, "in flight at the kill, landed")))
    {
        let entry = wanted.entry(key).or_insert((0, how));
        entry.0 += 1;
        entry.1 = how;
    }
    for record in new {
        if let Some((count, _)) = wanted.get_mut(record).filter(|(c, _)| *c > 0) {
            *count -= 1;
        } else if let Some(i) = maybe.iter().position(|m| m == record) {
            maybe.swap_remove(i);
        } else {
            problems.push(format!("an audit record of no acknowledged or landed change: {record:?}"));
        }
    }
    for (key, (count, how)) in wanted {
        for _ in 0..count {
            problems.push(format!("a change that is stored has no audit record: {key:?} ({how})"));
        }
    }
    1
}

/// `gatehouse audit verify` accepts the chain, and SQLite's own integrity check passes.
pub(super) fn verify_chain(server: &Gatehouse, backend: &Backend, problems: &mut Vec<String>) -> u64 {
    let mut command = gatehouse_command();
    command.args(["audit", "verify"]);
    match backend {
        Backend::Sqlite => command.arg("--data-dir").arg(server.data_dir()),
        Backend::Postgres(url) => command.args(["--database-url", url]),
    };
    let output = run_with_deadline(command, server.scratch_dir(), VERIFY_TIMEOUT);
    if !output.status.success() {
        problems.push(format!("gatehouse audit verify failed ({}):\n{}", output.status, output.text));
    }
    if let Backend::Sqlite = backend {
        let database = server.data_dir().join("gatehouse.db");
        if let Some(problem) = sqlite_integrity(&database) {
            problems.push(problem);
        }
        return 2;
    }
    1
}

pub(super) fn sqlite_integrity(database: &Path) -> Option<String> {
    let script = "import sqlite3, sys\nprint(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])\n";
    let output = std::process::Command::new("python3").arg("-c").arg(script).arg(database).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (text != "ok")
        .then(|| format!("PRAGMA integrity_check: {text} {}", String::from_utf8_lossy(&output.stderr)))
}
