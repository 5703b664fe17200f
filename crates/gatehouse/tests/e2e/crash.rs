//! Crash safety: `kill -9` of the server at random moments while clients create, rotate, refresh
//! and delete service tokens, edit policies and groups, and call the gateway; after each kill the
//! server restarts on the same data and the test checks that nothing is half done.
//!
//! Each cycle: start (or restart) the real binary, run [`THREADS`] client threads, each owning its
//! own tokens, policies and groups (so every outcome is known to exactly one client), record every
//! acknowledged (2xx) answer, and SIGKILL the server after a random delay. Each thread has at most
//! one request in flight at the kill: its outcome is unknown, and the check accepts either "it
//! landed, whole" or "it did not land". After the restart:
//! - every acknowledged token exists with its acknowledged `client_secret_version`, and its newest
//!   acknowledged secret authenticates at the gateway (checked for the tokens changed in that
//!   cycle); the previous secret works while its grace rule says so (a deadline still ahead, or
//!   until the new secret's first use, after which it is refused), the one before it never;
//!   acknowledged deletes are gone and their secrets refused;
//! - no token exists that no client saw acknowledged, except a thread's in-flight create, and that
//!   one is whole (its row decodes: the API reads it, with version 1);
//! - every policy and group reads back as exactly one body a client sent for it (never a mix),
//!   the acknowledged one unless that thread's in-flight edit landed, and the gateway enforces the
//!   policies edited in that cycle (each probe token admitted or refused as the body says);
//! - the audit chain verifies (`gatehouse audit verify`; on SQLite also `PRAGMA integrity_check`),
//!   and the records appended since the last check are exactly the acknowledged changes plus the
//!   in-flight ones that landed: no change without its record, no record without its change.
//!
//! A run is replayed from its seed: `GATEHOUSE_CRASH_SEED=<seed printed by the run>` (timing still
//! varies: the kill points are random delays, the load is real). `GATEHOUSE_CRASH_CYCLES` sets
//! the number of cycles.

#[allow(clippy::duplicate_mod, dead_code, reason = "the cluster tests' scratch PostgreSQL database, reused")]
#[path = "cluster/postgres.rs"]
mod postgres;

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::scene::Origin;
use crate::support::{Gatehouse, StartOptions, gatehouse_command, random_hex, run_with_deadline};

/// Client threads per cycle.
const THREADS: usize = 3;
/// Probe tokens named by the policies' rules (never changed, so the policies can always name them).
const PROBES: usize = 4;
/// Policies (each behind an application of its own) and groups each thread starts with.
const POLICIES_PER_THREAD: usize = 2;
/// The kill comes this many milliseconds after the clients start, drawn uniformly (SQLite).
const KILL_AFTER_MS: (u64, u64) = (80, 450);
/// The same on PostgreSQL, whose first requests after a start also open the pool's connections.
const KILL_AFTER_MS_POSTGRES: (u64, u64) = (250, 1200);
/// The application that admits any valid service token.
const ANY_HOST: &str = "any.crash.test";
const VERIFY_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// A seeded random source (SplitMix64): a failing run is replayed from the seed it printed.

#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    fn fork(&self, stream: u64) -> Rng {
        let mut forked = Rng(self.0 ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        forked.next();
        forked
    }
}

// ---------------------------------------------------------------------------------------------
// A blocking HTTP/1.1 client that reports a dead server as `None` instead of failing the test.

#[derive(Debug)]
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn result(&self) -> Value {
        serde_json::from_str::<Value>(&self.body).map(|v| v["result"].clone()).unwrap_or(Value::Null)
    }
}

fn exchange(addr: &str, request: &[u8]) -> Option<Reply> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    stream.write_all(request).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    });
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)?
    } else {
        // A response cut short by the kill is no answer at all.
        if length.is_some_and(|n| body.len() < n) {
            return None;
        }
        body.to_owned()
    };
    Some(Reply { status, body })
}

fn dechunk(mut body: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size_line, rest) = body.split_once("\r\n")?;
        let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..size)?);
        body = rest.get(size..)?.strip_prefix("\r\n")?;
    }
}

/// The management API and the gateway of the current server, as the clients reach them.
#[derive(Debug, Clone)]
struct Endpoints {
    api_addr: String,
    /// `/client/v4/accounts/<id>/access`.
    access: String,
    account_path: String,
    gateway_addr: String,
    admin: String,
}

impl Endpoints {
    fn of(server: &Gatehouse) -> Self {
        let api_addr = server.api().trim_start_matches("http://").to_owned();
        let account_path = format!("/client/v4/accounts/{}", server.account_id());
        Endpoints {
            api_addr,
            access: format!("{account_path}/access"),
            account_path,
            gateway_addr: server.gateway().trim_start_matches("http://").to_owned(),
            admin: server.admin_token().to_owned(),
        }
    }

    /// `method <access>/<rest>` as the admin.
    fn api(&self, method: &str, rest: &str, body: Option<&Value>) -> Option<Reply> {
        self.raw_api(method, &format!("{}/{rest}", self.access), body)
    }

    fn raw_api(&self, method: &str, path: &str, body: Option<&Value>) -> Option<Reply> {
        let payload = body.map(Value::to_string).unwrap_or_default();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {}\r\n",
            self.api_addr, self.admin
        );
        if body.is_some() {
            request.push_str("Content-Type: application/json\r\n");
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n{payload}", payload.len()));
        exchange(&self.api_addr, request.as_bytes())
    }

    /// Checked: the call must answer 2xx; returns `result`.
    #[track_caller]
    fn must(&self, method: &str, rest: &str, body: Option<&Value>) -> Value {
        let reply = self.api(method, rest, body).unwrap_or_else(|| panic!("{method} {rest}: no answer"));
        assert!(reply.ok(), "{method} {rest} → {}: {}", reply.status, reply.body);
        reply.result()
    }

    /// `GET /` for `host` through the gateway with a client id and secret; the status.
    fn gateway(&self, host: &str, client_id: &str, secret: &str) -> Option<u16> {
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nCF-Access-Client-Id: {client_id}\r\n\
             CF-Access-Client-Secret: {secret}\r\nContent-Length: 0\r\n\r\n"
        );
        exchange(&self.gateway_addr, request.as_bytes()).map(|r| r.status)
    }
}

// ---------------------------------------------------------------------------------------------
// What the clients know: the model of every token, policy and group, per owning thread.

/// How long the previous secret of the last acknowledged rotation stays accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grace {
    /// Until the new secret is first used.
    UntilUsed,
    /// Until a deadline hours away (it never passes during the test).
    Deadline,
}

#[derive(Debug, Clone)]
struct TokenModel {
    id: String,
    client_id: String,
    name: String,
    /// The newest secret known to be stored (`None` after an in-flight create or rotation landed:
    /// its secret was never seen).
    secret: Option<String>,
    /// The secret before it, while it may still be accepted, with its grace rule.
    previous: Option<(String, Grace)>,
    /// A secret two rotations old: never accepted again.
    retired: Option<String>,
    version: u64,
    /// The newest secret authenticated since the last rotation (which ends an `UntilUsed` grace,
    /// in memory at once and in the database a moment later, which a kill may lose).
    used: bool,
    /// Touched in this cycle (checked at the gateway after the restart).
    touched: bool,
}

#[derive(Debug, Clone)]
struct DocModel {
    id: String,
    /// The name without its `-v<variant>` suffix.
    name: String,
    /// The variant of the acknowledged body.
    variant: usize,
    /// The application in front of it (policies of the initial set only).
    host: Option<String>,
    /// Edited in this cycle (acknowledged or in flight): its enforcement is checked.
    touched: bool,
}

#[derive(Debug, Default)]
struct ThreadModel {
    tokens: Vec<TokenModel>,
    policies: Vec<DocModel>,
    groups: Vec<DocModel>,
    /// Tokens deleted by an acknowledged request in this cycle: (client_id, last known secret).
    deleted: Vec<(String, Option<String>)>,
    created: u64,
}

/// The request a thread had in flight when the server died.
#[derive(Debug, Clone)]
enum InFlight {
    CreateToken { name: String },
    Rotate { index: usize, grace: Grace },
    Refresh { index: usize },
    Delete { index: usize },
    CreatePolicy { name: String, variant: usize },
    UpdatePolicy { index: usize, variant: usize },
    CreateGroup { name: String, variant: usize },
    UpdateGroup { index: usize, variant: usize },
    Gateway,
}

/// What one thread saw in one cycle.
#[derive(Debug, Default)]
struct ThreadLog {
    /// Acknowledged changes, as audit keys (action, resource type, resource id).
    audited: Vec<(String, String, String)>,
    acknowledged: u64,
    in_flight: Option<InFlight>,
    /// Answers that should never happen (a 4xx/5xx for a valid request, a refused known secret).
    problems: Vec<String>,
}

/// The fixed setup: probe tokens, the applications, a deadline string.
#[derive(Debug, Clone)]
struct Fixture {
    probes: Vec<(String, String, String)>,
    deadline: String,
}

impl Fixture {
    fn probe_id(&self, i: usize) -> &str {
        &self.probes[i % PROBES].0
    }

    /// Policy body number `variant`: admits probe `variant` only, through an include of two
    /// probes, an exclude of the second and a require of any valid token — three rule lists that
    /// each differ between variants, so a mix of two bodies shows.
    fn policy_body(&self, name: &str, variant: usize) -> Value {
        json!({
            "name": format!("{name}-v{variant}"),
            "decision": "non_identity",
            "include": [{"service_token": {"token_id": self.probe_id(variant)}}, {"service_token": {"token_id": self.probe_id(variant + 1)}}],
            "require": [{"any_valid_service_token": {}}],
            "exclude": [{"service_token": {"token_id": self.probe_id(variant + 1)}}],
        })
    }

    fn group_body(&self, name: &str, variant: usize) -> Value {
        json!({
            "name": format!("{name}-v{variant}"),
            "include": [{"service_token": {"token_id": self.probe_id(variant)}}],
            "exclude": [{"service_token": {"token_id": self.probe_id(variant + 2)}}],
        })
    }
}

/// Whether `stored` holds exactly the fields of `sent`.
fn same_body(stored: &Value, sent: &Value) -> bool {
    sent.as_object().is_some_and(|fields| fields.iter().all(|(key, value)| stored.get(key) == Some(value)))
}

/// Which of the bodies `variants` a stored document is, if exactly one.
fn variant_of(stored: &Value, body: impl Fn(usize) -> Value) -> Option<usize> {
    let matches: Vec<usize> = (0..PROBES).filter(|&v| same_body(stored, &body(v))).collect();
    (matches.len() == 1).then(|| matches[0])
}

// ---------------------------------------------------------------------------------------------
// The clients.

fn audit_key(action: &str, kind: &str, id: &str) -> (String, String, String) {
    (action.to_owned(), kind.to_owned(), id.to_owned())
}

fn str_field(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

/// Runs one thread's operations until the server stops answering; returns what it saw.
fn client(
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

// ---------------------------------------------------------------------------------------------
// The run: setup, cycles of load + kill + restart + check, and the summary.

/// Where the server keeps its data, for `gatehouse audit verify`.
#[derive(Debug, Clone)]
enum Backend {
    Sqlite,
    Postgres(String),
}

#[derive(Debug, Default)]
struct Figures {
    cycles: usize,
    acknowledged: u64,
    in_flight: usize,
    landed: usize,
    not_landed: usize,
    undetermined: usize,
    restart_times: Vec<Duration>,
    first_request_after_ready: Vec<Duration>,
    checks: u64,
    /// Time spent loading (until the kill) and checking (after the ready line).
    load_time: Duration,
    check_time: Duration,
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// An RFC 3339 time two hours from now, from the system clock (as the server reads it).
fn two_hours_from_now() -> String {
    let output = std::process::Command::new("date")
        .args(["-u", "-d", "+2 hours", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn run(label: &str, options: StartOptions, backend: &Backend, default_cycles: u64, kill_window: (u64, u64)) {
    let seed = env_number("GATEHOUSE_CRASH_SEED")
        .unwrap_or_else(|| u64::from_str_radix(&random_hex(16), 16).unwrap());
    let cycles = usize::try_from(env_number("GATEHOUSE_CRASH_CYCLES").unwrap_or(default_cycles)).unwrap();
    println!(
        "crash safety ({label}): seed {seed} (replay with GATEHOUSE_CRASH_SEED={seed}), {cycles} cycles"
    );
    let started = Instant::now();
    let mut rng = Rng(seed);
    let origin = Origin::start();
    let mut server = Some(options.start());
    let ends = Endpoints::of(running(&server));
    let fixture = setup_fixture(&ends, &origin);
    let mut models: Vec<ThreadModel> =
        (0..THREADS).map(|t| setup_thread(&ends, &fixture, &origin, t)).collect();
    let mut audit_seen = audit_records(&ends).len();
    let mut figures = Figures::default();

    for cycle in 1..=cycles {
        let ends = Endpoints::of(running(&server));
        let kill_after = Duration::from_millis(rng.between(kill_window.0, kill_window.1));
        let stop = Arc::new(AtomicBool::new(false));
        let logs: Vec<(ThreadModel, ThreadLog)> = std::thread::scope(|scope| {
            let workers: Vec<_> = models
                .drain(..)
                .enumerate()
                .map(|(t, mut model)| {
                    let (ends, fixture, stop) = (ends.clone(), fixture.clone(), stop.clone());
                    let mut thread_rng = rng.fork((cycle * THREADS + t) as u64);
                    scope.spawn(move || {
                        let log = client(&ends, &fixture, t, cycle, &mut model, &mut thread_rng, &stop);
                        (model, log)
                    })
                })
                .collect();
            // The random kill point; the clients keep going until their next request fails.
            std::thread::sleep(kill_after);
            let (restarted, ready_after) = server.take().expect("a running server").kill_and_restart();
            server = Some(restarted);
            stop.store(true, Ordering::SeqCst);
            figures.restart_times.push(ready_after);
            workers.into_iter().map(|w| w.join().expect("a client thread")).collect()
        });
        let ends = Endpoints::of(running(&server));

        figures.load_time += kill_after;
        let check_started = Instant::now();
        // "Serves at once": the first gateway request after the ready line is answered from the
        // loaded snapshot.
        let probe = &fixture.probes[0];
        let asked = Instant::now();
        let first = ends.gateway(ANY_HOST, &probe.1, &probe.2);
        figures.first_request_after_ready.push(asked.elapsed());
        let mut problems: Vec<String> = Vec::new();
        if first != Some(200) {
            problems.push(format!("the first gateway request after the restart answered {first:?}, not 200"));
        }

        // Acknowledged changes, then the in-flight ones that landed (told apart in the report).
        let mut expected_audit: Vec<(String, String, String)> = Vec::new();
        let mut landed_audit: Vec<(String, String, String)> = Vec::new();
        let mut maybe_audit: Vec<(String, String, String)> = Vec::new();
        for (t, (mut model, log)) in logs.into_iter().enumerate() {
            figures.acknowledged += log.acknowledged;
            problems.extend(log.problems.iter().map(|p| format!("thread {t} under load: {p}")));
            expected_audit.extend(log.audited.iter().cloned());
            if let Some(op) = &log.in_flight {
                figures.in_flight += 1;
                match resolve_in_flight(&ends, &fixture, t, &mut model, op, &mut problems) {
                    Landing::Landed(key) => {
                        figures.landed += 1;
                        landed_audit.push(key);
                    }
                    Landing::NotLanded => figures.not_landed += 1,
                    Landing::Unknown(key) => {
                        figures.undetermined += 1;
                        maybe_audit.extend(key);
                    }
                }
            }
            models.push(model);
        }
        let lists = Lists::read(&ends);
        // The threads' gateway checks run side by side, as their loads did.
        let checked: Vec<(u64, Vec<String>)> = std::thread::scope(|scope| {
            let (ends, fixture, lists) = (&ends, &fixture, &lists);
            let running: Vec<_> = models
                .iter_mut()
                .enumerate()
                .map(|(t, model)| {
                    scope.spawn(move || {
                        let mut found = Vec::new();
                        (check_thread(ends, fixture, lists, t, model, &mut found), found)
                    })
                })
                .collect();
            running.into_iter().map(|r| r.join().expect("a check thread")).collect()
        });
        for (checks, found) in checked {
            figures.checks += checks;
            problems.extend(found);
        }
        figures.checks += check_no_strangers(&fixture, &lists, &models, &mut problems);
        let records = audit_records(&ends);
        figures.checks += check_audit(
            &records[audit_seen.min(records.len())..],
            expected_audit,
            landed_audit,
            maybe_audit,
            &mut problems,
        );
        audit_seen = records.len();
        figures.checks += verify_chain(running(&server), backend, &mut problems);
        figures.cycles = cycle;
        figures.check_time += check_started.elapsed();
        assert!(
            problems.is_empty(),
            "crash safety ({label}), seed {seed}, cycle {cycle} (killed {kill_after:?} into the load):\n  {}\n--- server log (tail) ---\n{}",
            problems.join("\n  "),
            tail(&running(&server).logs(), 60)
        );
    }

    let max_ready = figures.restart_times.iter().max().copied().unwrap_or_default();
    let mut sorted = figures.restart_times.clone();
    sorted.sort();
    let median_ready = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
    let max_first = figures.first_request_after_ready.iter().max().copied().unwrap_or_default();
    println!(
        "crash safety ({label}): seed {seed}: {} cycles, {} acknowledged operations, {} kill points \
         ({} requests left without an answer by the kill: {} landed whole, {} did not land, {} refreshes undetermined), \
         restart to ready: median {} ms, max {} ms; first gateway request after ready: max {} ms; \
         {} checks passed; {:.1} s in all ({:.1} s of load, {:.1} s of checks)",
        figures.cycles,
        figures.acknowledged,
        figures.cycles,
        figures.in_flight,
        figures.landed,
        figures.not_landed,
        figures.undetermined,
        median_ready.as_millis(),
        max_ready.as_millis(),
        max_first.as_millis(),
        figures.checks,
        started.elapsed().as_secs_f64(),
        figures.load_time.as_secs_f64(),
        figures.check_time.as_secs_f64()
    );
    drop(server);
}

fn running(server: &Option<Gatehouse>) -> &Gatehouse {
    server.as_ref().expect("a running server")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// Setup.

fn app(ends: &Endpoints, origin: &Origin, host: &str, policy_id: &str) {
    let body = json!({"name": host, "type": "self_hosted", "domain": host, "origin": origin.url(), "policies": [{"id": policy_id, "precedence": 1}]});
    ends.must("POST", "apps", Some(&body));
}

fn setup_fixture(ends: &Endpoints, origin: &Origin) -> Fixture {
    let probes = (0..PROBES)
        .map(|i| {
            let token =
                ends.must("POST", "service_tokens", Some(&json!({"name": format!("crash-probe-{i}")})));
            (str_field(&token, "id"), str_field(&token, "client_id"), str_field(&token, "client_secret"))
        })
        .collect();
    let any = ends.must(
        "POST",
        "policies",
        Some(&json!({"name": "crash-any", "decision": "non_identity", "include": [{"service_token": {}}]})),
    );
    app(ends, origin, ANY_HOST, &str_field(&any, "id"));
    Fixture { probes, deadline: two_hours_from_now() }
}

fn setup_thread(ends: &Endpoints, fixture: &Fixture, origin: &Origin, thread: usize) -> ThreadModel {
    let mut model = ThreadModel::default();
    for i in 0..POLICIES_PER_THREAD {
        let name = format!("crash-policy-t{thread}-{i}");
        let policy = ends.must("POST", "policies", Some(&fixture.policy_body(&name, 0)));
        let host = format!("p{thread}-{i}.crash.test");
        app(ends, origin, &host, &str_field(&policy, "id"));
        model.policies.push(DocModel {
            id: str_field(&policy, "id"),
            name,
            variant: 0,
            host: Some(host),
            touched: false,
        });
        let name = format!("crash-group-t{thread}-{i}");
        let group = ends.must("POST", "groups", Some(&fixture.group_body(&name, 0)));
        model.groups.push(DocModel {
            id: str_field(&group, "id"),
            name,
            variant: 0,
            host: None,
            touched: false,
        });
    }
    model
}

// ---------------------------------------------------------------------------------------------
// The checks after a restart.

/// What became of a request that was in flight at the kill.
enum Landing {
    /// The change is stored, whole; it must have its audit record.
    Landed((String, String, String)),
    NotLanded,
    /// Cannot be told from the stored state (a refresh within the same second); its audit
    /// record may or may not exist.
    Unknown(Option<(String, String, String)>),
}

/// Finds out whether a thread's in-flight request landed, checks that what landed is whole, and
/// brings the thread's model up to date.
fn resolve_in_flight(
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
struct Lists {
    tokens: Vec<Value>,
    policies: Vec<Value>,
    groups: Vec<Value>,
}

impl Lists {
    fn read(ends: &Endpoints) -> Self {
        Lists {
            tokens: list_all(ends, "service_tokens"),
            policies: list_all(ends, "policies"),
            groups: list_all(ends, "groups"),
        }
    }
}

/// Every item of a list endpoint (`rest` may carry a query), following pages.
fn list_all(ends: &Endpoints, rest: &str) -> Vec<Value> {
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
fn check_thread(
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
fn check_no_strangers(
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
fn audit_records(ends: &Endpoints) -> Vec<(String, String, String)> {
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
fn check_audit(
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
fn verify_chain(server: &Gatehouse, backend: &Backend, problems: &mut Vec<String>) -> u64 {
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

fn sqlite_integrity(database: &Path) -> Option<String> {
    let script = "import sqlite3, sys\nprint(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])\n";
    let output = std::process::Command::new("python3").arg("-c").arg(script).arg(database).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (text != "ok")
        .then(|| format!("PRAGMA integrity_check: {text} {}", String::from_utf8_lossy(&output.stderr)))
}

#[test]
fn kill_9_under_load_never_leaves_a_half_done_change_sqlite() {
    run("SQLite", StartOptions::new(), &Backend::Sqlite, 20, KILL_AFTER_MS);
}

#[test]
fn kill_9_under_load_never_leaves_a_half_done_change_postgres() {
    let database = postgres::ScratchDatabase::create();
    let options = StartOptions::new().env("GATEHOUSE_DATABASE_URL", database.url());
    run("PostgreSQL", options, &Backend::Postgres(database.url()), 8, KILL_AFTER_MS_POSTGRES);
}

/// Through the real server (where changes carry their record in their own transaction), every
/// kind of access change leaves exactly one audit record: none lost, none doubled by the
/// handler's own call to the audit log.
#[test]
fn every_access_change_has_exactly_one_audit_record() {
    let origin = Origin::start();
    let server = Gatehouse::start();
    let ends = Endpoints::of(&server);
    let seen = audit_records(&ends).len();
    let fixture = setup_fixture(&ends, &origin);
    let app = ends.must("GET", &format!("apps?domain={ANY_HOST}"), None)[0].clone();
    let app_id = str_field(&app, "id");
    let mut expected: Vec<(String, String, String)> =
        fixture.probes.iter().map(|(id, _, _)| audit_key("create", "service_token", id)).collect();
    let any_policy = str_field(&app["policies"][0], "id");
    expected.push(audit_key("create", "policy", &any_policy));
    expected.push(audit_key("create", "application", &app_id));

    let body = json!({"name": "renamed", "type": "self_hosted", "domain": ANY_HOST, "origin": origin.url()});
    ends.must("PUT", &format!("apps/{app_id}"), Some(&body));
    expected.push(audit_key("update", "application", &app_id));
    ends.must("POST", &format!("apps/{app_id}/revoke_tokens"), None);
    expected.push(audit_key("revoke_tokens", "application", &app_id));
    let scoped =
        ends.must("POST", &format!("apps/{app_id}/policies"), Some(&fixture.policy_body("scoped", 1)));
    let scoped_id = str_field(&scoped, "id");
    expected.push(audit_key("create", "policy", &scoped_id));
    ends.must("PUT", &format!("apps/{app_id}/policies/{scoped_id}"), Some(&fixture.policy_body("scoped", 2)));
    expected.push(audit_key("update", "policy", &scoped_id));
    ends.must("PUT", &format!("apps/{app_id}/policies/{scoped_id}/make_reusable"), None);
    expected.push(audit_key("make_reusable", "policy", &scoped_id));
    let other = ends.must("POST", &format!("apps/{app_id}/policies"), Some(&fixture.policy_body("other", 3)));
    let other_id = str_field(&other, "id");
    expected.push(audit_key("create", "policy", &other_id));
    ends.must("DELETE", &format!("apps/{app_id}/policies/{other_id}"), None);
    expected.push(audit_key("delete", "policy", &other_id));
    ends.must("DELETE", &format!("apps/{app_id}"), None);
    expected.push(audit_key("delete", "application", &app_id));
    ends.must("PUT", "organizations", Some(&json!({"name": "crash test"})));
    expected.push(audit_key("update", "organization", server.account_id()));

    let records = audit_records(&ends);
    let mut problems = Vec::new();
    check_audit(&records[seen..], expected, Vec::new(), Vec::new(), &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let mut problems = Vec::new();
    verify_chain(&server, &Backend::Sqlite, &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
