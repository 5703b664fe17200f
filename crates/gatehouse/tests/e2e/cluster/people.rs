//! People's sessions on two real `gatehouse serve` nodes sharing one PostgreSQL database, with no
//! stickiness: a person logs in through node A (the whole redirect, callback and `authorized`
//! flow over HTTP, against the real OpenID Provider of `identity.rs`), then their
//! `CF_Authorization` cookie opens the application at node B, where the origin verifies the JWT
//! and `get-identity` describes them. Each change made through one node — a group edit,
//! `revoke_user`, a logout — is enforced on the next request at that node and, within the
//! propagation bound, at the other (LISTEN/NOTIFY; the time it took is printed).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gatehouse_domain::Timestamp;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

use super::postgres::ScratchDatabase;
use super::{Cluster, PROPAGATION_DEADLINE};
use crate::identity::{
    AUTH_DOMAIN, HTML, Provider, browser, claims, log_in_at, op_project, to_login_at, verify_with_certs,
};
use crate::scene::origin_header;

const APP: &str = "app.localhost";
const ALICE: &str = "dev-alice@example.com";
const BOB: &str = "dev-bob@example.com";

/// A cluster of two nodes with the provider, the organization's auth domain, a developers group
/// and an application for it, all configured through node A.
struct People {
    cluster: Cluster,
    provider: Provider,
    gateways: Vec<SocketAddr>,
    developers: String,
    aud: String,
}

impl People {
    /// `None` when the provider cannot be installed (see [`op_project`]).
    fn start(database_url: &str) -> Option<Self> {
        let project = op_project()?;
        let cluster = Cluster::start(2, database_url, None);
        let gateways: Vec<SocketAddr> = cluster
            .nodes
            .iter()
            .map(|node| node.gateway().trim_start_matches("http://").parse().unwrap())
            .collect();
        let callbacks: Vec<String> = gateways
            .iter()
            .map(|gateway| format!("http://{AUTH_DOMAIN}:{}/cdn-cgi/access/callback", gateway.port()))
            .collect();
        let provider = Provider::start(&project, &callbacks.join(","));
        cluster.api(0, "PUT", "organizations", Some(json!({"auth_domain": AUTH_DOMAIN})));
        let idp = cluster.api(0, "POST", "identity_providers", Some(provider.idp_body(&provider)));
        let idp = idp["id"].as_str().unwrap().to_owned();
        let developers =
            cluster.api(0, "POST", "groups", Some(group([ALICE, BOB])))["id"].as_str().unwrap().to_owned();
        let policy = cluster.api(
            0,
            "POST",
            "policies",
            Some(json!({"name": "developers", "decision": "allow", "include": [{"group": {"id": developers}}]})),
        );
        let app = cluster.api(
            0,
            "POST",
            "apps",
            Some(json!({"name": APP, "type": "self_hosted", "domain": APP, "origin": cluster.origin.url(),
                "policies": [{"id": policy["id"], "precedence": 1}], "allowed_idps": [idp],
                "auto_redirect_to_identity": true})),
        );
        let aud = app["aud"].as_str().unwrap().to_owned();
        let people = People { cluster, provider, gateways, developers, aud };
        // Node B knows the application (and so the provider and the auth domain, configured
        // before it): a browser without a session is sent to the login page there.
        let known = people.until(1, None, Duration::from_secs(10), |r| people.to_login(1, r));
        assert!(known.is_some(), "node B never routed the application\n{}", people.cluster.logs());
        Some(people)
    }

    /// A browser whose names resolve to node `node`'s gateway.
    fn browser(&self, node: usize, follow: bool) -> Client {
        browser(self.gateways[node], &[AUTH_DOMAIN, APP], follow)
    }

    fn url(&self, node: usize, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.gateways[node].port())
    }

    /// Logs `login` in through node `node` in a fresh browser; returns the cookie it got (the
    /// JWT the origin received) after checking the page asked for was reached.
    #[track_caller]
    fn log_in(&self, node: usize, login: &str) -> String {
        let browser = self.browser(node, true);
        let reached = log_in_at(&browser, &self.provider.issuer, &self.url(node, APP, "/reports?q=1"), login);
        assert_eq!(reached.status(), 200, "{login} reaches the application through node {node}");
        assert_eq!(reached.url().as_str(), self.url(node, APP, "/reports?q=1"));
        let echo: Value = reached.json().unwrap();
        origin_header(&echo, "cf-access-jwt-assertion").expect("an assertion").to_owned()
    }

    /// `GET path` of the application at node `node`, as a browser navigation with only `jwt`.
    fn get(&self, node: usize, path: &str, jwt: Option<&str>) -> Response {
        let mut request = self.browser(node, false).get(self.url(node, APP, path)).header("accept", HTML);
        if let Some(jwt) = jwt {
            request = request.header("cookie", format!("CF_Authorization={jwt}"));
        }
        request.send().unwrap()
    }

    fn status(&self, node: usize, jwt: &str) -> u16 {
        self.get(node, "/", Some(jwt)).status().as_u16()
    }

    /// Whether `response` sends the browser to node `node`'s login page for the application.
    fn to_login(&self, node: usize, response: &Response) -> bool {
        to_login_at(self.gateways[node], response, APP)
    }

    /// How long until `GET /` at node `node` with `jwt` answers as `wanted` says, or `None` past
    /// `deadline`.
    fn until(
        &self,
        node: usize,
        jwt: Option<&str>,
        deadline: Duration,
        wanted: impl Fn(&Response) -> bool,
    ) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < deadline {
            if wanted(&self.get(node, "/", jwt)) {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    /// Asserts that node `node` answers `GET /` with `jwt` as `wanted` says within the
    /// propagation bound, and prints how long that took.
    #[track_caller]
    fn reaches(&self, node: usize, jwt: &str, what: &str, wanted: impl Fn(&Response) -> bool) {
        let took = self.until(node, Some(jwt), PROPAGATION_DEADLINE, wanted);
        println!("{what}: {took:?}");
        assert!(took.is_some(), "{what}: not within {PROPAGATION_DEADLINE:?}\n{}", self.cluster.logs());
    }

    /// The gateway's published keys, read at node `node`'s auth domain.
    fn certs(&self, node: usize) -> Value {
        let url = self.url(node, AUTH_DOMAIN, "/cdn-cgi/access/certs");
        self.browser(node, false).get(url).send().unwrap().json().unwrap()
    }

    /// Ends `email`'s sessions with `revoke` (given the session to end, `jwt`), then logs
    /// `login` in again through node `node` until that login's session was issued in the very
    /// second of the revocation; returns it. A second is long next to a login here, so few
    /// tries are needed.
    #[track_caller]
    fn log_in_again_in_the_revocations_second(
        &self,
        node: usize,
        login: &str,
        email: &str,
        mut jwt: String,
        revoke: impl Fn(&str),
    ) -> String {
        const TRIES: usize = 10;
        for tries in 1..=TRIES {
            revoke(&jwt);
            jwt = self.log_in(node, login);
            let users = self.cluster.api(node, "GET", &format!("users?email={email}"), None);
            let revoked_at = users[0]["sessions_revoked_at"].as_str().expect("revoked");
            let revoked_at = Timestamp::parse_rfc3339(revoked_at).unwrap().unix();
            if claims(&jwt)["iat"].as_i64() == Some(revoked_at) {
                println!("{login} logged in again in the second of the revocation: try {tries}");
                return jwt;
            }
        }
        panic!("{TRIES} logins of {login} all missed their revocation's second");
    }

    fn set_developers(&self, node: usize, emails: &[&str]) {
        let rest = format!("groups/{}", self.developers);
        self.cluster.api(node, "PUT", &rest, Some(group(emails.iter().copied())));
    }
}

/// The developers group with these members.
fn group<'a>(emails: impl IntoIterator<Item = &'a str>) -> Value {
    let include: Vec<Value> = emails.into_iter().map(|email| json!({"email": {"email": email}})).collect();
    json!({"name": "developers", "include": include})
}

#[test]
fn people_cluster_a_login_on_one_node_holds_and_ends_on_every_node() {
    let database = ScratchDatabase::create();
    let Some(people) = People::start(&database.url()) else { return };
    let (a, b) = (0, 1);

    // Alice and bob log in through node A: the redirect, the provider, the callback and the
    // hand-off all at node A.
    let alice = people.log_in(a, "dev-alice");
    let bob = people.log_in(a, "dev-bob");

    // Alice's cookie opens the application at node B: the origin gets a JWT it verifies with the
    // keys node B publishes, for her, for this application.
    let reached = people.get(b, "/from-b", Some(&alice));
    assert_eq!(reached.status(), 200, "{}", people.cluster.logs());
    let echo: Value = reached.json().unwrap();
    assert_eq!(echo["path"], "/from-b");
    let jwt = origin_header(&echo, "cf-access-jwt-assertion").expect("an assertion at node B").to_owned();
    let verified = verify_with_certs(&people.certs(b), &jwt);
    assert_eq!(claims(&jwt), verified);
    assert_eq!(verified["email"], ALICE);
    assert_eq!(verified["aud"], json!([people.aud]));
    assert_eq!(origin_header(&echo, "cf-access-authenticated-user-email"), Some(ALICE));

    // get-identity at node B describes her login at node A.
    let identity: Value = people.get(b, "/cdn-cgi/access/get-identity", Some(&alice)).json().unwrap();
    assert_eq!(identity["email"], ALICE, "{identity}");
    assert_eq!(identity["user_uuid"], verified["sub"], "{identity}");
    assert_eq!(identity["oidc_fields"]["groups"], json!(["developers"]), "{identity}");

    // Alice leaves the group through node B: refused at node B on the next request, and at
    // node A once the change reaches it; bob is not affected. Back in the group through node A.
    people.set_developers(b, &[BOB]);
    assert_eq!(people.status(b, &alice), 403, "no longer a developer, at the node that changed it");
    people.reaches(a, &alice, "the group edit on B refused alice at A", |r| r.status() == 403);
    assert_eq!(people.status(a, &bob), 200, "bob is still a developer");
    people.set_developers(a, &[ALICE, BOB]);
    assert_eq!(people.status(a, &alice), 200, "a developer again");
    people.reaches(b, &alice, "alice's return to the group, made on A, at B", |r| r.status() == 200);

    // revoke_user through node A's API: her session is sent back to the login on node A at once
    // and on node B at its next request after the change arrives; bob's is untouched.
    let revoke_alice = |_: &str| {
        let revoked =
            people.cluster.api(a, "POST", "organizations/revoke_user", Some(json!({"email": ALICE})));
        assert_eq!(revoked, json!(true));
    };
    // She logs in again through node A within the very second of the revocation: that session
    // holds on both nodes, the revoked one on neither.
    let again =
        people.log_in_again_in_the_revocations_second(a, "dev-alice", ALICE, alice.clone(), revoke_alice);
    assert!(people.to_login(a, &people.get(a, "/", Some(&alice))), "revoked, at the node that revoked her");
    people.reaches(b, &alice, "revoke_user on A reached B", |r| people.to_login(b, r));
    assert_eq!(people.status(a, &again), 200, "her new login, at the node that issued it");
    assert_eq!(people.status(b, &again), 200, "her new login, at the other node");
    assert_eq!(people.status(b, &bob), 200, "bob's session holds");

    // Bob logs out at node B (the logout page answers for the application of the host): his
    // session ends at node B at once and at node A at its next request after that.
    let out = people.get(b, "/cdn-cgi/access/logout", Some(&bob));
    assert_eq!(out.status(), 200);
    assert!(out.text().unwrap().contains("You have been logged out."));
    assert!(people.to_login(b, &people.get(b, "/", Some(&bob))), "logged out, at node B");
    people.reaches(a, &bob, "bob's logout on B reached A", |r| people.to_login(a, r));
    let identity = people.get(a, "/cdn-cgi/access/get-identity", Some(&bob));
    assert_eq!(identity.status(), 401, "no identity for an ended session");

    // Bob logs out at node B and in again through node A, within the second of the logout: the
    // new session holds on both nodes once each has seen the logout, the old one on neither.
    let log_out = |jwt: &str| {
        let out = people.get(b, "/cdn-cgi/access/logout", Some(jwt));
        assert_eq!(out.status(), 200);
    };
    let first = people.log_in(a, "dev-bob");
    let again = people.log_in_again_in_the_revocations_second(a, "dev-bob", BOB, first.clone(), log_out);
    people.reaches(a, &first, "bob's second logout on B reached A", |r| people.to_login(a, r));
    assert!(people.to_login(b, &people.get(b, "/", Some(&first))), "logged out, at node B");
    for node in [a, b] {
        assert_eq!(people.status(node, &again), 200, "bob's new login, at node {node}");
        let identity: Value = people.get(node, "/cdn-cgi/access/get-identity", Some(&again)).json().unwrap();
        assert_eq!(identity["email"], BOB, "{identity}");
    }
}
