//! The access log end to end: the seed's two monitoring commands after real gateway traffic,
//! the `gatehouse logs` command, and the load acceptance — many requests on keep-alive
//! connections, exactly one record each, nothing dropped.
//!
//! The load test sends `GATEHOUSE_LOAD_REQUESTS` requests (default 5,000 in the normal suite;
//! run 50,000 by hand with `GATEHOUSE_LOAD_REQUESTS=50000 cargo nextest run --release -p
//! gatehouse access_logs::load`), and prints its figures.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::scene::{Creds, Scene, Token};
use crate::support::{Gatehouse, StartOptions, gatehouse_command, http, run_with_deadline};

/// How long records may take to reach the database (the writer flushes every second).
const RECORD_DEADLINE: Duration = Duration::from_secs(20);

/// `…/access/logs/access_requests?<query>` as the admin; the whole reply.
fn access_requests(server: &Gatehouse, query: &str) -> Value {
    let url = format!("{}/accounts/{}/access/logs/access_requests?{query}", server.v4(), server.account_id());
    let reply = http("GET", &url, Some(server.admin_token()), None);
    assert_eq!(reply.status, 200, "{query}: {}", reply.body);
    reply.json()
}

/// Polls until the account's access log holds `count` records (or the deadline passes).
#[track_caller]
fn wait_for_records(server: &Gatehouse, count: u64, deadline: Duration) -> u64 {
    let start = Instant::now();
    loop {
        let total = access_requests(server, "per_page=1")["result_info"]["total_count"].as_u64().unwrap();
        if total >= count || start.elapsed() > deadline {
            return total;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// A token, a "service tokens only" policy, and an application for `domain`.
fn protected(scene: &Scene, domain: &str) -> (Token, String) {
    let token = scene.token("monitored", "8760h");
    let policy = scene.policy(json!({"name": "Service tokens", "decision": "non_identity", "include": [{"any_valid_service_token": {}}]}));
    let app = scene.app(domain, &[&policy]);
    (token, app["id"].as_str().unwrap().to_owned())
}

#[test]
fn the_seed_monitoring_commands_show_gateway_traffic() {
    let scene = Scene::start();
    let (token, app_id) = protected(&scene, "monitored.example.com");
    let allowed = scene.get("monitored.example.com", "/reports?secret=in-the-url", Creds::Token(&token));
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    let wrong = scene.get("monitored.example.com", "/", Creds::Pair(&token.client_id, "not-the-secret"));
    let anonymous = scene.get("monitored.example.com", "/", Creds::Nothing);
    let unmatched = scene.get("nothing-here.example.com", "/", Creds::Nothing);
    assert_eq!((wrong.status, anonymous.status, unmatched.status), (403, 403, 404));
    let ray = |r: &crate::support::HttpResponse| {
        r.header("cf-ray").map(str::to_owned).expect("every response has a Cf-Ray")
    };
    let rays = [ray(&allowed), ray(&wrong), ray(&anonymous)];
    assert!(rays.iter().all(|r| r.len() == 16 && r.bytes().all(|b| b.is_ascii_hexdigit())), "{rays:?}");
    ray(&unmatched);

    assert_eq!(
        wait_for_records(&scene.server, 3, RECORD_DEADLINE),
        3,
        "one record per request that matched an application"
    );

    // "Check Token Last Used".
    let url = format!("{}/{}", scene.server.service_tokens_url(), token.id);
    let got = http("GET", &url, Some(scene.server.admin_token()), None).json();
    assert!(
        got["last_seen_at"].is_string(),
        "last_seen_at is set (top level, as the seed's jq reads it): {got}"
    );
    assert!(got["expires_at"].is_string() && got["name"] == "monitored");

    // "Audit Token Access in Logs": `jq '.result[] | select(.is_service_token == true)'`.
    let reply = access_requests(&scene.server, "limit=100");
    let by_token: Vec<&Value> =
        reply["result"].as_array().unwrap().iter().filter(|r| r["is_service_token"] == true).collect();
    assert_eq!(by_token.len(), 2, "{reply}");
    let (denied, ok) = (by_token[0], by_token[1]);
    assert_eq!(ok["ray_id"], rays[0].as_str());
    assert_eq!(ok["allowed"], true);
    assert_eq!(ok["action"], "login");
    assert_eq!(ok["connection"], "service_token");
    assert_eq!(ok["app_uid"], app_id.as_str());
    assert_eq!(ok["app_domain"], "monitored.example.com");
    assert_eq!(ok["service_token_id"], token.id.as_str());
    assert_eq!(ok["client_id"], token.client_id.as_str());
    assert_eq!(ok["decision"], "non_identity");
    assert_eq!(
        (ok["status"].as_u64(), ok["reason"].is_null(), ok["method"].as_str()),
        (Some(200), true, Some("GET"))
    );
    assert_eq!(ok["ip_address"], "127.0.0.1");
    assert_eq!(
        (denied["ray_id"].as_str(), denied["reason"].as_str()),
        (Some(rays[1].as_str()), Some("wrong_secret"))
    );
    assert_eq!((denied["allowed"].as_bool(), denied["status"].as_u64()), (Some(false), Some(403)));
    let text = reply.to_string();
    assert!(
        !text.contains(&token.secret) && !text.contains("not-the-secret") && !text.contains("in-the-url"),
        "no secret, no path"
    );

    // `gatehouse logs --denied --json`.
    let mut command = gatehouse_command();
    command
        .args(["logs", "--denied", "--json", "--api-url", scene.server.api()])
        .env("GATEHOUSE_API_TOKEN", scene.server.admin_token());
    let output = run_with_deadline(command, scene.server.scratch_dir(), Duration::from_secs(30));
    assert!(output.status.success(), "{}", output.text);
    let listed: Value = serde_json::from_str(&output.stdout).unwrap();
    let reasons: Vec<&str> =
        listed.as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["wrong_secret", "missing_credentials"], "oldest first");
}

/// An origin that answers every request with `200 ok`, keeping connections alive (the echo
/// origin is a Python script, too slow to measure the gateway's writer against).
fn fast_origin() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                while let Some(length) = read_head(&mut reader) {
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err()
                        || writer.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

/// Reads one message head; returns its `Content-Length` (0 without one), `None` at the end.
fn read_head(reader: &mut impl BufRead) -> Option<usize> {
    let mut length = 0;
    let mut first = true;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" && !first {
            return Some(length);
        }
        first = false;
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
}

/// What one client thread saw.
#[derive(Debug, Default)]
struct Tally {
    allowed: u64,
    denied: u64,
    without_ray: u64,
}

/// Sends `count` requests on one keep-alive connection: every third allowed, the others a
/// wrong secret or no credentials.
fn client(gateway: String, token: Token, count: u64, offset: u64) -> Tally {
    let stream = TcpStream::connect(&gateway).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut tally = Tally::default();
    for i in 0..count {
        let creds = match (i + offset) % 3 {
            0 => format!(
                "CF-Access-Client-Id: {}\r\nCF-Access-Client-Secret: {}\r\n",
                token.client_id, token.secret
            ),
            1 => format!("CF-Access-Client-Id: {}\r\nCF-Access-Client-Secret: wrong\r\n", token.client_id),
            _ => String::new(),
        };
        write!(writer, "GET /load/{i} HTTP/1.1\r\nHost: load.example.com\r\n{creds}\r\n").unwrap();
        let mut status_line = String::new();
        reader.read_line(&mut status_line).unwrap();
        let mut length = 0;
        let mut ray = false;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
            ray |= name.eq_ignore_ascii_case("cf-ray");
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        match status_line.split(' ').nth(1) {
            Some("200") => tally.allowed += 1,
            Some("403") => tally.denied += 1,
            other => panic!("unexpected status {other:?}"),
        }
        tally.without_ray += u64::from(!ray);
    }
    tally
}

#[test]
fn load_records_exactly_one_access_log_record_per_request() {
    let requests: u64 =
        std::env::var("GATEHOUSE_LOAD_REQUESTS").ok().and_then(|n| n.parse().ok()).unwrap_or(5_000);
    const THREADS: u64 = 4;
    // A third of the requests carry a wrong secret, all from 127.0.0.1: a brute force by the
    // failure limits' count, so they are turned off here to see only 200s and 403s.
    let config_dir = tempfile::tempdir().expect("temp dir");
    let config = config_dir.path().join("gatehouse.toml");
    std::fs::write(
        &config,
        "auth_failures_per_minute_per_client_id = 0\nauth_failures_per_minute_per_address = 0\n",
    )
    .expect("write the configuration file");
    let server = StartOptions::new().arg("--config").arg(config.to_string_lossy()).start();
    let scene = Scene { origin: crate::scene::Origin::start(), server };
    let (token, _) = protected(&scene, "unused.example.com");
    let policy = scene.policy(
        json!({"name": "load", "decision": "non_identity", "include": [{"any_valid_service_token": {}}]}),
    );
    scene.api(
        "POST",
        "apps",
        Some(json!({"name": "load", "type": "self_hosted", "domain": "load.example.com", "origin": fast_origin(), "policies": [{"id": policy, "precedence": 1}]})),
    );

    let started = Instant::now();
    let clients: Vec<_> = (0..THREADS)
        .map(|t| {
            let (gateway, token) = (scene.gateway_addr(), token.clone());
            let share = requests / THREADS + u64::from(t < requests % THREADS);
            thread::spawn(move || client(gateway, token, share, t))
        })
        .collect();
    let tallies: Vec<Tally> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let elapsed = started.elapsed();
    let allowed: u64 = tallies.iter().map(|t| t.allowed).sum();
    let denied: u64 = tallies.iter().map(|t| t.denied).sum();
    assert_eq!(allowed + denied, requests);
    assert_eq!(tallies.iter().map(|t| t.without_ray).sum::<u64>(), 0, "every response carries Cf-Ray");

    let recorded = wait_for_records(&scene.server, requests, RECORD_DEADLINE + Duration::from_secs(40));
    let recorded_after = started.elapsed();
    assert_eq!(recorded, requests, "exactly one record per request");
    let denied_total =
        access_requests(&scene.server, "allowed=false&per_page=1")["result_info"]["total_count"].as_u64();
    assert_eq!(denied_total, Some(denied));
    // Every denied record names its reason.
    let mut page = 1;
    let mut reasons = std::collections::BTreeMap::<String, u64>::new();
    loop {
        let reply =
            access_requests(&scene.server, &format!("allowed=false&per_page=1000&page={page}&fields=reason"));
        let items = reply["result"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        for item in items {
            let reason = item["reason"].as_str().expect("a denied record carries its reason").to_owned();
            *reasons.entry(reason).or_default() += 1;
        }
        page += 1;
    }
    assert_eq!(reasons.values().sum::<u64>(), denied);
    assert_eq!(
        reasons.keys().map(String::as_str).collect::<Vec<_>>(),
        ["missing_credentials", "wrong_secret"]
    );

    let dropped = dropped_total(&scene.server);
    println!(
        "load: {requests} requests ({allowed} allowed, {denied} denied) on {THREADS} keep-alive connections in {:.2}s \
         ({:.0} req/s); {recorded} records after {:.2}s; dropped {dropped:?}",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        recorded_after.as_secs_f64(),
    );
    let Scene { server, origin } = scene;
    let (status, dir) = server.stop_and_keep();
    drop(origin);
    assert!(status.success());
    let log = strip_ansi(&std::fs::read_to_string(dir.path().join("server.stderr.log")).unwrap_or_default());
    assert!(log.contains("access_log_dropped=0"), "the shutdown line reports no drops:\n{}", tail(&log));
    if let Some(dropped) = dropped {
        assert_eq!(dropped, 0.0, "gatehouse_access_log_dropped_total");
    }
}

/// `gatehouse_access_log_dropped_total` from `/metrics`, when the server serves it there.
fn dropped_total(server: &Gatehouse) -> Option<f64> {
    let reply = http("GET", &format!("{}/metrics", server.api()), None, None);
    if reply.status != 200 {
        return None;
    }
    reply
        .body
        .lines()
        .find(|line| line.starts_with("gatehouse_access_log_dropped_total"))
        .and_then(|line| line.split_whitespace().last())
        .and_then(|value| value.parse().ok())
}

/// The log without terminal colour codes (`ESC [ … m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn tail(log: &str) -> String {
    log.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
}
