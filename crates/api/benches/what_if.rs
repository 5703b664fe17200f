//! What-if over 1,000,000 recorded requests, beside a plain scan of the same records.
//!
//! ```bash
//! cargo bench -p gatehouse-api --bench what_if            # GATEHOUSE_WHAT_IF_RECORDS=… for another size
//! ```
//!
//! A SQLite store (a file in a temporary directory) holds one account, two service tokens, a
//! policy for each and an application linking both. N access-log records of that application are
//! bulk-inserted through the store (half by the first token, three tenths by the second, the rest
//! without credentials), all within the last 24 hours. Then, alternating for a few rounds:
//!
//! - **scan**: `replay_access_logs` over every record with a callback that only counts them —
//!   what any replay must pay to read the records out of SQLite;
//! - **what-if**: `POST …/apps/{app_id}/what-if` through the API's router with a draft that drops
//!   the first token's policy: every record decided twice (current and draft policies), changes
//!   grouped, the answer serialized. The benchmark checks that exactly the first token's records
//!   change.
//!
//! Each phase reports its wall time and its peak resident memory (`VmHWM`, reset through
//! `/proc/self/clear_refs` before the phase), and the ratio what-if / scan. See
//! docs/benchmarks.md for figures.

#![allow(
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark reports on standard output and stops at the first failed step"
)]

use std::fs;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use gatehouse_api::AppState;
use gatehouse_domain::access::{AppId, PolicyId};
use gatehouse_domain::{
    AccountId, ApiToken, ApiTokenKind, HashPurpose, ManualClock, Permission, Secret, SecretFormat, ServerKey,
    Timestamp, TokenId,
};
use gatehouse_store::{AccessLogRecord, AccessLogStore, Account, AccountStore};
use gatehouse_store_sqlite::SqliteStore;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const NOW: i64 = 1_800_000_000;
const ADMIN: &str = "gatehouse_at_what-if-benchmark-admin-token-000";
const DEFAULT_RECORDS: u64 = 1_000_000;
const ROUNDS: usize = 3;
/// Records generated and inserted at a time.
const CHUNK: u64 = 20_000;

fn main() {
    let records = std::env::var("GATEHOUSE_WHAT_IF_RECORDS")
        .ok()
        .map(|n| n.parse::<u64>().expect("GATEHOUSE_WHAT_IF_RECORDS: a number of records"))
        .unwrap_or(DEFAULT_RECORDS);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(run(records));
}

struct Setup {
    store: Arc<SqliteStore>,
    router: axum::Router,
    account: AccountId,
    app: AppId,
    kept_policy: String,
    first_token_records: u64,
    _dir: tempfile::TempDir,
}

async fn run(records: u64) {
    let setup = setup(records).await;
    let mut scans = Vec::new();
    let mut what_ifs = Vec::new();
    for round in 1..=ROUNDS {
        let (scanned, scan) = measured(|| scan(&setup)).await;
        assert_eq!(scanned, records, "the scan read every record");
        let (answer, what_if) = measured(|| what_if(&setup)).await;
        assert_eq!(answer["replayed"], records, "what-if replayed every record: {answer}");
        assert_eq!(answer["changed"], setup.first_token_records, "exactly the first token's records change");
        assert_eq!(answer["newly_denied"], setup.first_token_records);
        assert_eq!(answer["newly_allowed"], 0);
        println!(
            "round {round}: scan {:.2?} (CPU {:.2?}, peak RSS {:.1} MB, +{:.1} MB), what-if {:.2?} (CPU {:.2?}, peak RSS {:.1} MB, +{:.1} MB); \
             ratio {:.2}; what-if changed {} of {} ({} groups)",
            scan.time,
            scan.cpu,
            mb(scan.peak),
            mb(scan.peak.saturating_sub(scan.start)),
            what_if.time,
            what_if.cpu,
            mb(what_if.peak),
            mb(what_if.peak.saturating_sub(what_if.start)),
            what_if.time.as_secs_f64() / scan.time.as_secs_f64(),
            answer["changed"],
            answer["replayed"],
            answer["groups"].as_array().map_or(0, Vec::len),
        );
        scans.push(scan);
        what_ifs.push(what_if);
    }
    let (scan, what_if) = (median(&scans), median(&what_ifs));
    println!();
    println!("| {records} records (median of {ROUNDS}) | time | CPU | records/s | peak RSS | RSS growth |");
    println!("|---|---|---|---|---|---|");
    for (name, phase) in
        [("scan (replay_access_logs, count only)", &scan), ("what-if (POST …/what-if)", &what_if)]
    {
        println!(
            "| {name} | {:.2?} | {:.2?} | {:.0} | {:.1} MB | {:.1} MB |",
            phase.time,
            phase.cpu,
            records as f64 / phase.time.as_secs_f64(),
            mb(phase.peak),
            mb(phase.peak.saturating_sub(phase.start)),
        );
    }
    println!(
        "\nwhat-if / scan: time {:.2}×, CPU {:.2}×, peak RSS {:.2}×",
        what_if.time.as_secs_f64() / scan.time.as_secs_f64(),
        what_if.cpu.as_secs_f64() / scan.cpu.as_secs_f64(),
        what_if.peak as f64 / scan.peak as f64,
    );
}

/// One account with an admin token; tokens `first` and `second`, a policy admitting each, an
/// application linking both; `records` access-log records of it.
async fn setup(records: u64) -> Setup {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Arc::new(SqliteStore::open(&dir.path().join("gatehouse.db")).await.expect("open the store"));
    let key = ServerKey::generate();
    let account = AccountId::generate();
    let admin = ApiToken {
        id: AccountId::generate().as_str().to_owned(),
        account_id: account.clone(),
        name: "admin".to_owned(),
        hash: key.hash(HashPurpose::ApiToken, &Secret::new(ADMIN.to_owned())),
        permission: Permission::Edit,
        kind: ApiTokenKind::Bearer,
        created_at: Timestamp::from_unix(NOW),
        expires_at: None,
        enabled: true,
    };
    let created = Timestamp::from_unix(NOW - 7 * 86_400);
    store
        .bootstrap(&Account { id: account.clone(), name: "bench".into(), created_at: created }, &admin)
        .await
        .expect("bootstrap the account");
    let state = AppState {
        store: store.clone(),
        clock: Arc::new(ManualClock::new(Timestamp::from_unix(NOW))),
        key: Arc::new(key),
        secret_format: SecretFormat::Prefixed,
        body_limit: 1024 * 1024,
        changes: Arc::new(gatehouse_store::IgnoreChanges),
    };
    let router = gatehouse_api::router(state);
    let base = format!("/client/v4/accounts/{account}/access");
    let first = call(&router, &format!("{base}/service_tokens"), json!({"name": "first"})).await;
    let second = call(&router, &format!("{base}/service_tokens"), json!({"name": "second"})).await;
    let only = |token: &Value, name: &str| json!({"name": name, "decision": "non_identity", "include": [{"service_token": {"token_id": token["id"]}}]});
    let first_policy = call(&router, &format!("{base}/policies"), only(&first, "first only")).await;
    let second_policy = call(&router, &format!("{base}/policies"), only(&second, "second only")).await;
    let app = call(
        &router,
        &format!("{base}/apps"),
        json!({"name": "bench", "type": "self_hosted", "domain": "bench.example.com", "origin": "http://127.0.0.1:9",
               "policies": [{"id": first_policy["id"], "precedence": 1}, {"id": second_policy["id"], "precedence": 2}]}),
    )
    .await;
    let app_id = AppId::parse(text(&app["id"])).expect("an application id");
    let tokens = [&first, &second]
        .map(|t| (TokenId::parse(text(&t["id"])).expect("a token id"), text(&t["client_id"]).to_owned()));
    let policies =
        [&first_policy, &second_policy].map(|p| PolicyId::parse(text(&p["id"])).expect("a policy id"));

    let started = Instant::now();
    let mut first_token_records = 0;
    let mut n = 0;
    while n < records {
        let end = (n + CHUNK).min(records);
        let chunk: Vec<AccessLogRecord> = (n..end)
            .map(|i| {
                // 0–4: the first token, allowed; 5–7: the second, allowed; 8–9: no credentials.
                let who = match i % 10 {
                    0..5 => Some(0),
                    5..8 => Some(1),
                    _ => None,
                };
                if who == Some(0) {
                    first_token_records += 1;
                }
                AccessLogRecord {
                    account_id: account.clone(),
                    ray_id: format!("{i:016x}"),
                    // Spread over the last 24 hours, newest first.
                    created_at: Timestamp::from_unix(NOW - 1 - (i * 86_000 / records.max(1)) as i64),
                    allowed: who.is_some(),
                    app_uid: app_id,
                    app_domain: "bench.example.com".to_owned(),
                    ip_address: format!("10.0.{}.{}", (i / 250) % 250, i % 250),
                    is_service_token: who.is_some(),
                    service_token_id: who.map(|w| tokens[w].0),
                    client_id: who.map(|w| tokens[w].1.clone()),
                    policy_id: who.map(|w| policies[w]),
                    decision: who.map(|_| "non_identity".to_owned()),
                    reason: if who.is_some() { None } else { Some("missing_credentials".to_owned()) },
                    status: if who.is_some() { 200 } else { 403 },
                    method: "GET".to_owned(),
                    person: None,
                }
            })
            .collect();
        store.insert_access_logs(&chunk).await.expect("insert access-log records");
        n = end;
    }
    println!("inserted {records} access-log records in {:.2?}", started.elapsed());
    Setup {
        store,
        router,
        account,
        app: app_id,
        kept_policy: text(&second_policy["id"]).to_owned(),
        first_token_records,
        _dir: dir,
    }
}

/// Every record of the application in the window, counted.
async fn scan(setup: &Setup) -> u64 {
    let since = Timestamp::from_unix(NOW - 86_400);
    let mut count = 0u64;
    let handed = setup
        .store
        .replay_access_logs(&setup.account, &setup.app, since, u64::MAX, &mut |record| {
            count += u64::from(!record.ray_id.is_empty());
        })
        .await
        .expect("replay the records");
    assert_eq!(handed, count);
    count
}

/// What-if with a draft keeping only the second token's policy.
async fn what_if(setup: &Setup) -> Value {
    let path = format!("/client/v4/accounts/{}/access/apps/{}/what-if", setup.account, setup.app);
    let draft = json!({"policies": [{"id": setup.kept_policy, "precedence": 1}]});
    let reply = send(&setup.router, &path, draft).await;
    assert_eq!(reply.0, StatusCode::OK, "what-if: {}", reply.1);
    reply.1["result"].clone()
}

async fn call(router: &axum::Router, path: &str, body: Value) -> Value {
    let (status, reply) = send(router, path, body).await;
    assert!(status.is_success(), "{path}: {status} {reply}");
    reply["result"].clone()
}

async fn send(router: &axum::Router, path: &str, body: Value) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("authorization", format!("Bearer {ADMIN}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("a request");
    let response = router.clone().oneshot(request).await.expect("the router answers");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("the response body").to_bytes();
    (status, serde_json::from_slice(&bytes).expect("a JSON answer"))
}

fn text(value: &Value) -> &str {
    value.as_str().expect("a string field")
}

#[derive(Debug, Clone, Copy)]
struct Phase {
    time: Duration,
    /// CPU time of the whole process (user + system) during the phase: on a busy machine, a
    /// steadier figure than the wall time.
    cpu: Duration,
    /// Resident memory when the phase started, and its peak during the phase, in bytes.
    start: u64,
    peak: u64,
}

async fn measured<T, F: Future<Output = T>>(phase: impl FnOnce() -> F) -> (T, Phase) {
    // Writing 5 resets the peak resident size (VmHWM) to the current one.
    fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM through /proc/self/clear_refs");
    let start = status_kb("VmRSS:");
    let cpu = cpu_time();
    let started = Instant::now();
    let value = phase().await;
    let time = started.elapsed();
    (value, Phase { time, cpu: cpu_time().saturating_sub(cpu), start, peak: status_kb("VmHWM:") })
}

/// The process's user + system time so far, from `/proc/self/stat` (in clock ticks of 10 ms).
fn cpu_time() -> Duration {
    let stat = fs::read_to_string("/proc/self/stat").expect("read /proc/self/stat");
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')').expect("a stat line").1.split_whitespace().collect();
    let ticks = |i: usize| fields[i].parse::<u64>().expect("a tick count");
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn status_kb(field: &str) -> u64 {
    let status = fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status.lines().find(|l| l.starts_with(field)).expect("the field in /proc/self/status");
    let kb: u64 = line[field.len()..].trim().trim_end_matches("kB").trim().parse().expect("a size in kB");
    kb * 1024
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// The phase of median time.
fn median(phases: &[Phase]) -> Phase {
    let mut sorted = phases.to_vec();
    sorted.sort_by_key(|p| p.time);
    sorted[sorted.len() / 2]
}
