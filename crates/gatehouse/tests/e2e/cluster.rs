//! Several real `gatehouse serve` processes on one PostgreSQL database: changes made on one node
//! reach the others (LISTEN/NOTIFY), creations spread over the nodes all land, a node with
//! another server key refuses to start, and the gateway rides out a database outage within its
//! staleness bound. Also the revocation propagation benchmark (ignored; see docs/benchmarks.md).
//!
//! Needs `GATEHOUSE_TEST_DATABASE_URL` (`scripts/test` starts a throwaway server); without it
//! these tests fail and say so.

mod people;
mod postgres;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use self::postgres::{DedicatedServer, ScratchDatabase};
use crate::scene::{Origin, Token};
use crate::support::{
    Gatehouse, HttpResponse, StartOptions, gatehouse_command, http, random_hex, run_with_deadline, send,
};

const HOST: &str = "svc.cluster.test";
/// Generous for a loaded 2-core CI machine; the benchmark measures the typical figure.
const PROPAGATION_DEADLINE: Duration = Duration::from_secs(5);

/// Nodes sharing one database, an echo origin, and an application in front of it that admits
/// any valid service token.
struct Cluster {
    nodes: Vec<Gatehouse>,
    origin: Origin,
}

impl Cluster {
    /// Starts `count` nodes at once on `database_url` (an empty database: they race to
    /// bootstrap it), with a shared server key and an optional configuration file.
    #[track_caller]
    fn start(count: usize, database_url: &str, config: Option<&str>) -> Self {
        let origin = Origin::start();
        let key = random_hex(64);
        let account_id = random_hex(32);
        let admin_token = format!("gatehouse_at_{}", random_hex(40));
        let config_dir = tempfile::tempdir().expect("temp dir");
        let mut options =
            StartOptions::new().env("GATEHOUSE_DATABASE_URL", database_url).env("GATEHOUSE_SECRET_KEY", &key);
        if let Some(text) = config {
            let path = config_dir.path().join("gatehouse.toml");
            std::fs::write(&path, text).expect("write the configuration file");
            options = options.arg("--config").arg(path.to_string_lossy());
        }
        let nodes = std::thread::scope(|scope| {
            let starting: Vec<_> = (0..count)
                .map(|_| scope.spawn(|| Gatehouse::start_node(options.clone(), &account_id, &admin_token)))
                .collect();
            starting.into_iter().map(|node| node.join().expect("a node started")).collect()
        });
        let cluster = Cluster { nodes, origin };
        let policy = cluster.api(
            0,
            "POST",
            "policies",
            Some(json!({"name": "tokens", "decision": "non_identity", "include": [{"service_token": {}}]})),
        );
        let policy_id = policy["id"].as_str().expect("policy id").to_owned();
        cluster.api(
            0,
            "POST",
            "apps",
            Some(json!({"name": "svc", "type": "self_hosted", "domain": HOST, "origin": cluster.origin.url(), "policies": [{"id": policy_id, "precedence": 1}]})),
        );
        cluster
    }

    fn url(&self, node: usize, rest: &str) -> String {
        format!("{}/accounts/{}/access/{rest}", self.nodes[node].v4(), self.nodes[node].account_id())
    }

    /// Calls node `node`'s management API as the admin; fails unless 2xx; returns `result`.
    #[track_caller]
    fn api(&self, node: usize, method: &str, rest: &str, body: Option<Value>) -> Value {
        let reply = self.call(node, method, rest, body);
        assert!(
            (200..300).contains(&reply.status),
            "node {node}: {method} {rest} → {}: {}",
            reply.status,
            reply.body
        );
        reply.json()["result"].clone()
    }

    fn call(&self, node: usize, method: &str, rest: &str, body: Option<Value>) -> HttpResponse {
        http(method, &self.url(node, rest), Some(self.nodes[node].admin_token()), body.as_ref())
    }

    #[track_caller]
    fn token(&self, node: usize, name: &str) -> Token {
        let result = self.api(node, "POST", "service_tokens", Some(json!({"name": name})));
        Token {
            id: result["id"].as_str().expect("id").to_owned(),
            client_id: result["client_id"].as_str().expect("client_id").to_owned(),
            secret: result["client_secret"].as_str().expect("client_secret").to_owned(),
        }
    }

    /// The status of `GET /` on node `node`'s gateway with the token's credentials.
    fn status(&self, node: usize, token: &Token) -> u16 {
        self.get(node, token).status
    }

    fn get(&self, node: usize, token: &Token) -> HttpResponse {
        let addr = self.nodes[node].gateway().trim_start_matches("http://").to_owned();
        let headers = [
            ("Host", HOST),
            ("CF-Access-Client-Id", token.client_id.as_str()),
            ("CF-Access-Client-Secret", token.secret.as_str()),
        ];
        send(&addr, "GET", "/", &headers, b"")
    }

    /// How long until every node in `nodes` answers `status` for the token, or `None` past the
    /// deadline.
    fn until_status(
        &self,
        nodes: &[usize],
        token: &Token,
        status: u16,
        deadline: Duration,
    ) -> Option<Duration> {
        let start = Instant::now();
        let mut pending: Vec<usize> = nodes.to_vec();
        while start.elapsed() < deadline {
            pending.retain(|&node| self.status(node, token) != status);
            if pending.is_empty() {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    fn logs(&self) -> String {
        self.nodes.iter().enumerate().map(|(i, n)| format!("--- node {i} ---\n{}", n.logs())).collect()
    }
}

#[test]
fn a_token_created_on_one_node_works_everywhere_and_its_revocation_too() {
    let database = ScratchDatabase::create();
    let cluster = Cluster::start(3, &database.url(), None);
    let accounts: Vec<&str> = cluster.nodes.iter().map(Gatehouse::account_id).collect();
    assert!(accounts.iter().all(|a| *a == accounts[0]), "one account for all nodes: {accounts:?}");

    let token = cluster.token(0, "shared");
    let seen = cluster.until_status(&[1, 2], &token, 200, PROPAGATION_DEADLINE);
    assert!(seen.is_some(), "the token never worked on nodes B and C\n{}", cluster.logs());

    // Disabled on A: refused everywhere.
    cluster.api(
        0,
        "PUT",
        &format!("service_tokens/{}", token.id),
        Some(json!({"name": "shared", "enabled": false})),
    );
    let disabled = cluster.until_status(&[0, 1, 2], &token, 403, PROPAGATION_DEADLINE);
    println!("disable reached every node in {disabled:?}");
    assert!(disabled.is_some(), "the disabled token still works somewhere\n{}", cluster.logs());

    let second = cluster.token(0, "second");
    assert!(cluster.until_status(&[1, 2], &second, 200, PROPAGATION_DEADLINE).is_some());
    cluster.api(0, "DELETE", &format!("service_tokens/{}", second.id), None);
    assert_eq!(cluster.status(0, &second), 403, "refused at once on the node that revoked it");
    let revoked = cluster.until_status(&[1, 2], &second, 403, PROPAGATION_DEADLINE);
    println!("revocation reached nodes B and C in {revoked:?}");
    assert!(revoked.is_some(), "the deleted token still works on B or C\n{}", cluster.logs());
}

#[test]
fn a_thousand_creations_over_three_nodes_all_land_and_work_everywhere() {
    const TOKENS: usize = 1_000;
    const WRITERS_PER_NODE: usize = 4;
    let database = ScratchDatabase::create();
    let cluster = Cluster::start(3, &database.url(), None);
    let writers = cluster.nodes.len() * WRITERS_PER_NODE;
    let started = Instant::now();
    let tokens: Vec<Token> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|writer| {
                let cluster = &cluster;
                scope.spawn(move || {
                    let node = writer % cluster.nodes.len();
                    (writer..TOKENS)
                        .step_by(writers)
                        .map(|i| cluster.token(node, &format!("bulk-{i}")))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a writer finished")).collect()
    });
    println!("{TOKENS} creations over 3 nodes took {:?}", started.elapsed());
    assert_eq!(tokens.len(), TOKENS);
    let ids: std::collections::HashSet<&str> = tokens.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids.len(), TOKENS, "distinct ids");

    // The store has every one of them.
    let listed = cluster.api(1, "GET", "service_tokens?per_page=1000&page=1", None);
    let listed: std::collections::HashSet<&str> =
        listed.as_array().expect("a list").iter().filter_map(|t| t["id"].as_str()).collect();
    assert!(ids.is_subset(&listed), "{} of {TOKENS} tokens are listed", ids.intersection(&listed).count());

    // Every token works through a gateway (each request is forwarded to the slow echo origin,
    // so each token is checked on one node, the nodes taking turns), and a sample of 100
    // works on every node.
    let started = Instant::now();
    for (i, token) in tokens.iter().enumerate() {
        let nodes: &[usize] = if i < 100 { &[0, 1, 2] } else { &[i % 3] };
        let works = cluster.until_status(nodes, token, 200, PROPAGATION_DEADLINE);
        assert!(works.is_some(), "token {} does not work on nodes {nodes:?}\n{}", token.id, cluster.logs());
    }
    println!("gateway checks took {:?}", started.elapsed());
}

#[test]
fn a_node_with_another_server_key_refuses_to_start() {
    let database = ScratchDatabase::create();
    let cluster = Cluster::start(1, &database.url(), None);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = gatehouse_command();
    command
        .arg("serve")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["--api-listen", "127.0.0.1:0", "--gateway-listen", "127.0.0.1:0"])
        .env("GATEHOUSE_DATABASE_URL", database.url())
        .env("GATEHOUSE_SECRET_KEY", random_hex(64));
    let output = run_with_deadline(command, dir.path(), Duration::from_secs(30));
    assert!(!output.status.success(), "started with a foreign key:\n{}", output.text);
    assert!(output.text.contains("server key differs"), "{}", output.text);
    drop(cluster);
}

#[test]
fn the_gateway_rides_out_a_database_outage_then_fails_closed_and_recovers() {
    let server = DedicatedServer::start();
    let database = ScratchDatabase::create_on(&server.url());
    let cluster =
        Cluster::start(2, &database.url(), Some("resync_interval_secs = 1\nmax_staleness_secs = 4\n"));
    let token = cluster.token(0, "before the outage");
    assert!(cluster.until_status(&[0, 1], &token, 200, PROPAGATION_DEADLINE).is_some(), "{}", cluster.logs());
    // Its first use is recorded; the outage use below must come at least a second later.
    let recorded = poll(Duration::from_secs(10), || {
        let seen =
            cluster.api(0, "GET", &format!("service_tokens/{}", token.id), None)["last_seen_at"].clone();
        seen.is_string().then_some(seen)
    })
    .expect("the first use is recorded");
    std::thread::sleep(Duration::from_millis(1_100));

    server.kill();
    let outage = Instant::now();
    // Within the staleness bound: under a stream of requests, tokens keep working on both nodes,
    // with no 5xx for them; each request's access-log record is queued (its ray id kept here).
    let mut ray_ids = Vec::new();
    while outage.elapsed() < Duration::from_millis(2_500) {
        for node in [0, 1] {
            let reply = cluster.get(node, &token);
            assert_eq!(
                reply.status,
                200,
                "node {node} during the outage: {}\n{}",
                reply.body,
                cluster.logs()
            );
            ray_ids.push(reply.header("cf-ray").expect("every gateway response has a Cf-Ray").to_owned());
        }
    }
    println!("{} requests served during the outage", ray_ids.len());
    // The management API says why it cannot answer.
    let reply = cluster.call(0, "GET", "service_tokens", None);
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.json()["errors"][0]["code"], 12001, "{}", reply.body);
    // Past the bound, the gateway fails closed with a body that says so.
    let refused = poll(Duration::from_secs(15), || {
        let reply = cluster.get(1, &token);
        assert!(reply.status == 200 || reply.status == 503, "unexpected {}: {}", reply.status, reply.body);
        (reply.status == 503).then_some(reply)
    })
    .expect("the gateway fails closed past max_staleness_secs");
    println!("failed closed {:?} after the database went away", outage.elapsed());
    assert!(outage.elapsed() >= Duration::from_secs(3), "failed closed too early: {:?}", outage.elapsed());
    assert!(refused.body.contains("staleness"), "{}", refused.body);

    server.resume();
    // Reconnected and resynced: the token works again, and a change made now reaches every node.
    assert!(
        cluster.until_status(&[0, 1], &token, 200, Duration::from_secs(20)).is_some(),
        "{}",
        cluster.logs()
    );
    let after = cluster.token(1, "after the outage");
    assert!(cluster.until_status(&[0], &after, 200, PROPAGATION_DEADLINE).is_some(), "{}", cluster.logs());
    // The use queued on node B during the outage reached the database.
    let moved = poll(Duration::from_secs(10), || {
        let seen =
            cluster.api(0, "GET", &format!("service_tokens/{}", token.id), None)["last_seen_at"].clone();
        (seen != recorded).then_some(seen)
    });
    assert!(
        moved.is_some(),
        "the queued use was not written after the database came back\n{}",
        cluster.logs()
    );
    // And so were the access-log records queued during the outage, from both nodes.
    let missing = poll(Duration::from_secs(15), || {
        let logs = cluster.api(0, "GET", "logs/access_requests?limit=1000", None);
        let stored: Vec<&str> =
            logs.as_array().unwrap().iter().filter_map(|r| r["ray_id"].as_str()).collect();
        let missing: Vec<&String> = ray_ids.iter().filter(|id| !stored.contains(&id.as_str())).collect();
        missing.is_empty().then_some(())
    });
    assert!(
        missing.is_some(),
        "access-log records queued during the outage never appeared\n{}",
        cluster.logs()
    );
}

#[test]
fn readyz_is_503_during_a_database_outage_and_200_after() {
    let server = DedicatedServer::start();
    let database = ScratchDatabase::create_on(&server.url());
    let cluster =
        Cluster::start(1, &database.url(), Some("resync_interval_secs = 1\nmax_staleness_secs = 2\n"));
    let node = &cluster.nodes[0];
    let probe = |path: &str| http("GET", &format!("{}{path}", node.api()), None, None);
    let ready = probe("/readyz");
    assert_eq!(ready.status, 200, "{}\n{}", ready.body, cluster.logs());

    server.kill();
    // Unready as soon as the database stops answering, and the reason says which check failed.
    let down = poll(Duration::from_secs(15), || {
        let reply = probe("/readyz");
        (reply.status == 503).then_some(reply)
    })
    .expect("/readyz turns 503 when the database is down");
    assert_eq!(down.json()["checks"]["database"], "unreachable", "{}", down.body);
    assert_eq!(down.json()["status"], "unavailable", "{}", down.body);
    // Past max_staleness_secs the snapshot is reported stale too.
    let stale = poll(Duration::from_secs(15), || {
        let reply = probe("/readyz");
        (reply.json()["checks"]["snapshot"] == "stale").then_some(reply)
    })
    .expect("the snapshot turns stale during the outage");
    assert_eq!(stale.status, 503, "{}", stale.body);
    // The process is alive all along: liveness must not restart it for a database outage.
    let health = probe("/healthz");
    assert_eq!(health.status, 200, "{}", health.body);

    server.resume();
    let back = poll(Duration::from_secs(30), || {
        let reply = probe("/readyz");
        (reply.status == 200).then_some(reply)
    });
    assert!(back.is_some(), "/readyz did not recover after the database came back\n{}", cluster.logs());
    let back = back.unwrap();
    assert_eq!(back.json()["checks"]["snapshot"], "fresh", "{}", back.body);
}

/// `scripts/test -p gatehouse --run-ignored only -E 'test(revoke_propagation)' --no-capture`:
/// 100 rounds of create on A → warm on B and C → revoke on A, timing until B and C both refuse.
#[test]
#[ignore = "benchmark: run by hand, see docs/benchmarks.md"]
fn revoke_propagation_benchmark() {
    const ROUNDS: usize = 100;
    let database = ScratchDatabase::create();
    let cluster = Cluster::start(3, &database.url(), None);
    let mut times = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let token = cluster.token(0, &format!("bench-{round}"));
        assert!(cluster.until_status(&[1, 2], &token, 200, PROPAGATION_DEADLINE).is_some(), "warm-up failed");
        let start = Instant::now();
        cluster.api(0, "DELETE", &format!("service_tokens/{}", token.id), None);
        let refused =
            cluster.until_status(&[1, 2], &token, 403, PROPAGATION_DEADLINE).expect("B and C refuse");
        // Measured from before the DELETE call, its own latency included.
        let _ = refused;
        times.push(start.elapsed());
    }
    times.sort();
    let pick =
        |q: f64| times[((times.len() as f64 * q).ceil() as usize).saturating_sub(1).min(times.len() - 1)];
    println!(
        "revoke propagation over {ROUNDS} rounds (DELETE on A until B and C both refuse): p50 {:?}  p99 {:?}  max {:?}",
        pick(0.50),
        pick(0.99),
        times[times.len() - 1]
    );
}

/// Polls `check` every 50 ms until it returns `Some`, or `None` past `deadline`.
fn poll<T>(deadline: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    while start.elapsed() < deadline {
        if let Some(value) = check() {
            return Some(value);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}
