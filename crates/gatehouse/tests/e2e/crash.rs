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
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::scene::Origin;
use crate::support::{Gatehouse, StartOptions, gatehouse_command, random_hex, rfc3339_in, run_with_deadline};

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

mod checks;
mod clients;
mod endpoints;
mod model;
mod rng;
mod setup;

use checks::*;
use clients::*;
use endpoints::*;
use model::*;
use rng::*;
use setup::*;

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
