//! Hostile requests against the real gateway, many over raw TCP where an HTTP client would
//! refuse to send them: request smuggling, oversized and too many headers, slow clients,
//! duplicated credentials, header injection, spoofed identity and address headers, forged
//! session JWTs and path tricks. Every application's origin is one [`Recorder`], which keeps
//! every request and every byte it received; each case carries a marker (`case=cNNN` in its
//! query) so that what reached the origin is attributed to the case that sent it.
//!
//! For every case the test records the answer and the origin requests, then checks that no
//! request the gateway should refuse reached the origin, that nothing smuggled did, that no
//! client secret or spoofed header reached it, that the origin always heard the host the
//! gateway routed on, and that the gateway never answered 5xx. It prints a table (kind, cases,
//! answers, origin requests) before asserting, so a failing run still shows the whole picture.

mod cases;
mod raw;
mod recorder;

use std::collections::BTreeMap;
use std::time::Duration;

use gatehouse_proxy::{FailureLimits, GatewayOptions};
use serde_json::json;

use crate::support::{Scene, Token, token_rule};
use raw::Answer;
use recorder::{Recorder, Seen};

/// Short, so that slow clients are cut off quickly.
const HEADER_READ_TIMEOUT: Duration = Duration::from_millis(300);

/// Values a client spoofs that must never reach the origin as sent.
const SPOOF: &str = "spoofed-by-client";
const SPOOFED_CONNECTING_IP: &str = "10.9.9.9";
const SPOOFED_TRUE_CLIENT_IP: &str = "10.8.8.8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Must not reach the origin; any 4xx or a closed connection.
    Refused,
    /// Must reach the origin exactly once, answered 200 by it.
    Served,
    /// Valid credentials in a strange shape: may be served or refused, never anything else.
    Either,
}

/// One hostile request and what came of it.
#[derive(Debug)]
struct Case {
    kind: &'static str,
    name: String,
    expect: Expect,
    /// The host of the application that may admit it (what the origin must hear as `Host`).
    host: &'static str,
    marker: String,
    answer: Answer,
    /// Anything the case itself found wrong (a slow client never cut off, say).
    problem: Option<String>,
}

/// The scene: one gateway, one recording origin behind every application, two tokens.
struct Suite {
    scene: Scene,
    origin: Recorder,
    /// The gateway's `host:port`.
    addr: String,
    /// Admitted by every application except the admin-only ones.
    user: Token,
    /// Admitted only by `paths.example.com/admin` and `private.example.com`.
    admin: Token,
    cases: Vec<Case>,
    next: usize,
}

impl Suite {
    async fn start() -> Suite {
        let options = GatewayOptions {
            header_read_timeout: HEADER_READ_TIMEOUT,
            failure_limits: FailureLimits::DISABLED,
            ..GatewayOptions::default()
        };
        let scene = Scene::with_options(options).await;
        scene.organization(false).await;
        let origin = Recorder::start().await;
        let user = scene.token("8760h").await;
        let admin = scene.token("8760h").await;
        let users = scene.policy("non_identity", vec![token_rule(&user)]).await;
        let admins = scene.policy("non_identity", vec![token_rule(&admin)]).await;
        let sessions = scene.policy("allow", vec![token_rule(&user)]).await;
        let office = scene.policy("non_identity", vec![json!({"ip": {"ip": "10.0.0.0/8"}})]).await;
        let loopback = scene.policy("non_identity", vec![json!({"ip": {"ip": "127.0.0.0/8"}})]).await;
        let bypass = scene.policy("bypass", vec![json!({"everyone": {}})]).await;
        let at = origin.addr;
        scene.app("open.example.com", at, &[users], json!({})).await;
        scene.app("paths.example.com", at, &[users], json!({})).await;
        scene.app("paths.example.com/admin", at, &[admins], json!({})).await;
        scene.app("private.example.com", at, &[admins], json!({})).await;
        scene.app("portal.example.com", at, &[sessions], json!({})).await;
        scene.app("portal2.example.com", at, &[sessions], json!({})).await;
        scene.app("office.example.com", at, &[office], json!({})).await;
        scene.app("loopback.example.com", at, &[loopback], json!({})).await;
        scene.app("public.example.com", at, &[bypass], json!({})).await;
        let json_header = json!({"read_service_tokens_from_header": "x-auth-json"});
        scene.app("json.example.com", at, &[users], json_header).await;
        let addr = scene.url.trim_start_matches("http://").to_owned();
        Suite { scene, origin, addr, user, admin, cases: Vec::new(), next: 0 }
    }

    /// A new case marker, for the request's query.
    fn mark(&mut self) -> String {
        self.next += 1;
        format!("case=c{:03}", self.next)
    }

    fn record(
        &mut self,
        kind: &'static str,
        name: &str,
        expect: Expect,
        host: &'static str,
        marker: String,
        answer: Answer,
    ) {
        self.cases.push(Case { kind, name: name.to_owned(), expect, host, marker, answer, problem: None });
    }

    /// The credential header lines of `token`.
    fn creds(token: &Token) -> String {
        format!("CF-Access-Client-Id: {}\r\nCF-Access-Client-Secret: {}\r\n", token.client_id(), token.secret)
    }

    /// Origin requests attributed to `marker` (smuggled ones included).
    fn seen_for<'s>(seen: &'s [Seen], marker: &str) -> Vec<&'s Seen> {
        seen.iter().filter(|s| s.target.contains(marker) && marker_ends(&s.target, marker)).collect()
    }
}

/// `case=c001` must not match `case=c0012`.
fn marker_ends(target: &str, marker: &str) -> bool {
    target
        .match_indices(marker)
        .any(|(at, _)| !target[at + marker.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

#[tokio::test]
async fn hostile_requests_never_bypass_the_gateway() {
    let mut suite = Suite::start().await;
    cases::smuggling(&mut suite).await;
    cases::oversized(&mut suite).await;
    cases::slow_clients(&mut suite).await;
    cases::duplicated_credentials(&mut suite).await;
    cases::header_injection(&mut suite).await;
    cases::spoofed_headers(&mut suite).await;
    cases::forged_jwts(&mut suite).await;
    cases::path_tricks(&mut suite).await;

    // Everything answered or closed; what the origin got is final once a last request lands.
    let last = suite.mark();
    let response = suite.scene.get_as("open.example.com", &format!("/last?{last}"), &suite.user).send().await;
    assert_eq!(response.unwrap().status(), 200);
    let seen = suite.origin.seen();
    let raw = suite.origin.raw();
    let violations = check(&suite, &seen, &raw);
    print_table(&suite, &seen);
    assert!(violations.is_empty(), "{} violation(s):\n{}", violations.len(), violations.join("\n"));
}

/// Every way a case, or the origin's log as a whole, shows a hole.
fn check(suite: &Suite, seen: &[Seen], raw: &[u8]) -> Vec<String> {
    let mut violations = Vec::new();
    for case in &suite.cases {
        let label = format!("{} / {} ({})", case.kind, case.name, case.marker);
        let reached: Vec<&Seen> = Suite::seen_for(seen, &case.marker)
            .into_iter()
            .filter(|s| !s.target.contains("smuggled"))
            .collect();
        if let Some(problem) = &case.problem {
            violations.push(format!("{label}: {problem}"));
        }
        if case.answer.statuses().iter().any(|s| *s >= 500) {
            violations.push(format!("{label}: the gateway answered {}", case.answer));
        }
        if case.answer == Answer::Stalled {
            violations.push(format!("{label}: no answer and no close"));
        }
        match case.expect {
            Expect::Refused => {
                if !reached.is_empty() {
                    violations.push(format!(
                        "{label}: reached the origin {} time(s), answered {}",
                        reached.len(),
                        case.answer
                    ));
                }
                if case.answer.first().is_some_and(|s| !(400..500).contains(&s)) {
                    violations.push(format!("{label}: must be refused, answered {}", case.answer));
                }
            }
            Expect::Served => {
                if reached.len() != 1 || case.answer.first() != Some(200) {
                    violations.push(format!(
                        "{label}: must be served once, reached the origin {} time(s), answered {}",
                        reached.len(),
                        case.answer
                    ));
                }
            }
            Expect::Either => {
                if reached.len() > 1 {
                    violations.push(format!("{label}: reached the origin {} times", reached.len()));
                }
            }
        }
        for request in &reached {
            let hosts = request.all("host");
            let heard = hosts.first().map(|h| bare(h)).unwrap_or_default();
            if hosts.len() != 1 || heard != case.host {
                violations
                    .push(format!("{label}: routed for {}, the origin heard Host {hosts:?}", case.host));
            }
        }
    }
    for request in seen {
        let label = format!("origin request {} {}", request.method, request.target);
        if request.target.contains("smuggled") {
            violations.push(format!("{label}: a smuggled request reached the origin"));
        }
        let assertions = request.all("cf-access-jwt-assertion");
        // Bypass, and an IP rule without a token: nobody to assert.
        let anonymous = request
            .all("host")
            .iter()
            .any(|h| ["public.example.com", "loopback.example.com"].contains(&bare(h).as_str()));
        let expected_assertions = usize::from(!anonymous);
        if assertions.len() != expected_assertions || assertions.iter().any(|a| a.contains(SPOOF)) {
            violations.push(format!("{label}: assertions {assertions:?}"));
        }
        if !request.all("cf-access-authenticated-user-email").is_empty() {
            violations.push(format!("{label}: a user email reached the origin"));
        }
        if request.all("cf-connecting-ip") != ["127.0.0.1"] {
            violations.push(format!("{label}: Cf-Connecting-Ip {:?}", request.all("cf-connecting-ip")));
        }
        if !request.all("true-client-ip").is_empty() {
            violations.push(format!("{label}: True-Client-Ip {:?}", request.all("true-client-ip")));
        }
        let forwarded = request.all("x-forwarded-for");
        if forwarded.len() != 1 || forwarded[0].rsplit(", ").next() != Some("127.0.0.1") {
            violations.push(format!("{label}: X-Forwarded-For {forwarded:?} does not end with the peer"));
        }
        if request.all("x-forwarded-host") != request.all("host")
            || request.all("x-forwarded-proto") != ["http"]
        {
            violations.push(format!(
                "{label}: X-Forwarded-Host {:?} / -Proto {:?} are not the gateway's",
                request.all("x-forwarded-host"),
                request.all("x-forwarded-proto")
            ));
        }
        if request.headers.iter().any(|(name, _)| name.starts_with("x-injected")) {
            violations.push(format!("{label}: an injected header reached the origin"));
        }
    }
    let text = String::from_utf8_lossy(raw);
    for secret in [&suite.user.secret, &suite.admin.secret] {
        if text.contains(secret.as_str()) {
            violations.push("a client secret reached the origin".to_owned());
        }
    }
    for spoofed in [SPOOF, SPOOFED_CONNECTING_IP, SPOOFED_TRUE_CLIENT_IP] {
        if text.contains(spoofed) {
            violations.push(format!("the spoofed value {spoofed} reached the origin"));
        }
    }
    violations
}

/// A host without its port or trailing dot, lowercase.
fn bare(host: &str) -> String {
    let host =
        host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
    host.trim_end_matches('.').to_ascii_lowercase()
}

#[allow(clippy::print_stdout)] // the table is this test's report
fn print_table(suite: &Suite, seen: &[Seen]) {
    let mut kinds: Vec<&'static str> = Vec::new();
    for case in &suite.cases {
        if !kinds.contains(&case.kind) {
            kinds.push(case.kind);
        }
    }
    println!("\n| kind | cases | answers seen (count) | origin requests |");
    println!("|---|---:|---|---:|");
    let (mut total_cases, mut total_origin) = (0, 0);
    for kind in kinds {
        let cases: Vec<&Case> = suite.cases.iter().filter(|c| c.kind == kind).collect();
        let mut answers: BTreeMap<String, usize> = BTreeMap::new();
        let mut origin = 0;
        for case in &cases {
            *answers.entry(case.answer.to_string()).or_default() += 1;
            origin += Suite::seen_for(seen, &case.marker).len();
        }
        let answers: Vec<String> = answers.iter().map(|(a, n)| format!("{a} ×{n}")).collect();
        println!("| {kind} | {} | {} | {origin} |", cases.len(), answers.join(", "));
        total_cases += cases.len();
        total_origin += origin;
    }
    println!("| all | {total_cases} | | {total_origin} |");
    println!("\nper case:");
    for case in &suite.cases {
        let origin = Suite::seen_for(seen, &case.marker).len();
        println!(
            "  {:<22} {:<58} {:?}: {} (origin {origin})",
            case.kind, case.name, case.expect, case.answer
        );
    }
}
