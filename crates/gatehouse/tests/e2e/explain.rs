//! Explanations agree with the gateway: 1,000 generated requests (a seeded generator) over the
//! user guide's three policies × {right token, other token, no credentials, expired token,
//! wrong client address}, each sent through the real gateway and described to
//! `POST …/apps/{app_id}/explain`; the gateway's answer and its access-log record (allowed,
//! deciding policy, reason) must be exactly what the explanation says.

use std::collections::HashMap;
use std::net::IpAddr;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::scene::{Scene, Token};
use crate::support::{gatehouse_command, http, run_with_deadline};

const REQUESTS: usize = 1_000;
/// The address the policies require, and one they refuse (both loopback: the gateway sees the
/// TCP peer, never a header).
const OFFICE: &str = "127.0.0.1";
const ELSEWHERE: &str = "127.0.0.2";

/// A small deterministic generator (SplitMix64), so a failure can be replayed.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// A client whose connections come from `ip`.
fn client_from(ip: &str) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credentials {
    RightToken,
    OtherToken,
    Nothing,
    Expired,
}

struct Sent {
    app: String,
    what: String,
    ray: String,
    status: u16,
    explained: Value,
}

#[test]
fn explain_never_disagrees_with_the_gateway_over_a_thousand_generated_requests() {
    let scene = Scene::start();
    let cicd = scene.token("cicd", "8760h");
    let other = scene.token("other", "8760h");
    let expiring = scene.token("expiring", "1s");
    let developers = scene.api(
        "POST",
        "groups",
        Some(json!({"name": "developers", "include": [{"email_domain": {"domain": "example.com"}}]})),
    )["id"]
        .clone();
    let office = json!([{"ip": {"ip": format!("{OFFICE}/32")}}]);
    let guide = [
        ("API-Only Access", "non_identity", json!([{"service_token": {}}])),
        ("CI/CD Pipeline Only", "non_identity", json!([{"service_token": {"token_id": cicd.id}}])),
        (
            "Users and Services",
            "allow",
            json!([{"group": {"id": developers}}, {"service_token": {"token_id": cicd.id}}]),
        ),
    ];
    let mut apps = Vec::new();
    for (i, (name, decision, include)) in guide.into_iter().enumerate() {
        let policy =
            scene.policy(json!({"name": name, "decision": decision, "include": include, "require": office}));
        let domain = format!("guide{i}.example.com");
        let app = scene.app(&domain, &[&policy]);
        apps.push((domain, app["id"].as_str().unwrap().to_owned()));
    }
    wait_until_expired(&scene, &apps[0].0, &expiring);

    let clients = HashMap::from([(OFFICE, client_from(OFFICE)), (ELSEWHERE, client_from(ELSEWHERE))]);
    let kinds =
        [Credentials::RightToken, Credentials::OtherToken, Credentials::Nothing, Credentials::Expired];
    let paths = ["/", "/api/v1/items", "/deep/a/b/c", "/x%20y"];
    let mut random = Seeded(0x6a7e_4015e);
    let mut sent = Vec::with_capacity(REQUESTS);
    let mut allowed = 0;
    for _ in 0..REQUESTS {
        let (domain, app) = random.pick(&apps);
        let kind = *random.pick(&kinds);
        let ip = *random.pick(&[OFFICE, ELSEWHERE]);
        let path = *random.pick(&paths);
        let token = match kind {
            Credentials::RightToken => Some(&cicd),
            Credentials::OtherToken => Some(&other),
            Credentials::Expired => Some(&expiring),
            Credentials::Nothing => None,
        };
        let mut request =
            clients[ip].get(format!("{}{path}", scene.server.gateway())).header("host", domain.as_str());
        if let Some(token) = token {
            request = request
                .header("CF-Access-Client-Id", &token.client_id)
                .header("CF-Access-Client-Secret", &token.secret);
        }
        let response = request.send().unwrap();
        let status = response.status().as_u16();
        let ray = response.headers()["cf-ray"].to_str().unwrap().to_owned();
        let mut body = json!({"host": domain, "path": path, "ip": ip});
        if let Some(token) = token {
            body["client_id"] = json!(token.client_id);
        }
        let explained = scene.api("POST", &format!("apps/{app}/explain"), Some(body.clone()));
        let what = format!("{kind:?} {body}");
        assert_eq!(
            explained["allowed"],
            status == 200,
            "{what}: the gateway answered {status}; explained {explained}"
        );
        allowed += usize::from(status == 200);
        sent.push(Sent { app: app.clone(), what, ray, status, explained });
    }
    assert!(allowed > 50 && allowed < REQUESTS - 50, "a mix of outcomes: {allowed} of {REQUESTS} allowed");

    let records = records(&scene, &sent);
    for request in &sent {
        let record = &records[&request.ray];
        let explained = &request.explained;
        let what = format!("{} (ray {}, status {})", request.what, request.ray, request.status);
        assert_eq!(record["allowed"], explained["allowed"], "{what}: {record} vs {explained}");
        assert_eq!(record["policy_id"], explained["policy_id"], "{what}: {record} vs {explained}");
        assert_eq!(record["reason"], explained["reason"], "{what}: {record} vs {explained}");
    }
    println!("explain agreed with the gateway on {REQUESTS} requests ({allowed} allowed)");

    // The same through the CLI: a request explained, and a recorded one explained again.
    let (domain, app) = &apps[1];
    let cli = |args: &[&str]| {
        let mut command = gatehouse_command();
        command
            .args(args)
            .env("GATEHOUSE_API_URL", scene.server.api())
            .env("GATEHOUSE_API_TOKEN", scene.server.admin_token());
        let output = run_with_deadline(command, scene.server.scratch_dir(), Duration::from_secs(30));
        assert!(output.status.success(), "gatehouse {args:?}: {}", output.text);
        output.stdout
    };
    let ip = "--ip=192.0.2.7";
    let text =
        cli(&["access", "explain", "--app", app, "--client-id", &cicd.client_id, "--host", domain, ip]);
    assert!(text.starts_with("DENIED (no_matching_policy)"), "{text}");
    assert!(text.contains("require[0] ip: not_matched: 192.0.2.7 is not in 127.0.0.1/32"), "{text}");
    let recorded = &sent[0];
    let text = cli(&["logs", "explain", &recorded.ray]);
    let then = if recorded.status == 200 { "ALLOWED" } else { "DENIED" };
    assert!(text.contains(&format!("): {then}")), "{text}");
    assert!(text.contains("now (unchanged): "), "{text}");

    // What-if over the requests the gateway recorded: an empty draft for the CI/CD application
    // denies exactly the requests it allowed.
    let draft = scene.server.scratch_dir().join("draft.json");
    std::fs::write(&draft, "[]").unwrap();
    let allowed_there = sent.iter().filter(|s| s.app == *app && s.status == 200).count();
    let text = cli(&["access", "what-if", "--app", app, "--policies", draft.to_str().unwrap(), "--json"]);
    let changes: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(changes["newly_denied"], allowed_there, "{changes}");
    assert_eq!(changes["changed"], allowed_there, "{changes}");
}

/// Polls the gateway until the one-second token is refused.
fn wait_until_expired(scene: &Scene, domain: &str, token: &Token) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = scene.get(domain, "/", crate::scene::Creds::Token(token));
        if response.status != 200 {
            return;
        }
        assert!(Instant::now() < deadline, "the 1s token still works after 15 s");
        thread::sleep(Duration::from_millis(200));
    }
}

/// The access-log records of `sent`, by ray id, once all of them are written.
fn records(scene: &Scene, sent: &[Sent]) -> HashMap<String, Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut found = HashMap::new();
        for page in 1.. {
            let url = format!(
                "{}/accounts/{}/access/logs/access_requests?per_page=1000&page={page}",
                scene.server.v4(),
                scene.server.account_id()
            );
            let reply = http("GET", &url, Some(scene.server.admin_token()), None);
            assert_eq!(reply.status, 200, "{}", reply.body);
            let items = reply.json()["result"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                break;
            }
            for item in items {
                found.insert(item["ray_id"].as_str().unwrap_or_default().to_owned(), item);
            }
        }
        if sent.iter().all(|s| found.contains_key(&s.ray)) {
            return found;
        }
        assert!(Instant::now() < deadline, "the access log lacks records after 30 s");
        thread::sleep(Duration::from_millis(200));
    }
}
