//! A gateway scene for end-to-end tests: a real `gatehouse serve`, a real origin process (the
//! echo origin in `tests/origin/`), and short helpers to configure tokens, policies and
//! applications through the management API and to send requests through the gateway.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Gatehouse, HttpResponse, http, send};

/// The echo origin: answers 200 with a JSON description of the request it received.
#[derive(Debug)]
pub struct Origin {
    child: Child,
    pub port: u16,
}

impl Origin {
    #[track_caller]
    pub fn start() -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/origin/echo_origin.py");
        let mut child = Command::new("python3")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the echo origin");
        let stdout = child.stdout.take().expect("origin stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(20)).expect("the origin prints its port");
        let port =
            serde_json::from_str::<Value>(&line).ok().and_then(|v| v["port"].as_u64()).expect("a port line");
        Origin { child, port: u16::try_from(port).expect("a port") }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A service token with its secret, as the create (or rotate) response showed it.
#[derive(Debug, Clone)]
pub struct Token {
    pub id: String,
    pub client_id: String,
    pub secret: String,
}

/// What a gateway request carries to authenticate.
#[derive(Debug, Clone, Copy)]
pub enum Creds<'a> {
    Nothing,
    Token(&'a Token),
    /// A client id with some other secret.
    Pair(&'a str, &'a str),
    Cookie(&'a str),
}

pub struct Scene {
    pub server: Gatehouse,
    pub origin: Origin,
}

impl Scene {
    pub fn start() -> Self {
        Scene { origin: Origin::start(), server: Gatehouse::start() }
    }

    /// `<v4>/accounts/<id>/access/<rest>`.
    pub fn url(&self, rest: &str) -> String {
        format!("{}/accounts/{}/access/{rest}", self.server.v4(), self.server.account_id())
    }

    /// Calls the management API as the admin and returns `result`; fails unless 2xx.
    #[track_caller]
    pub fn api(&self, method: &str, rest: &str, body: Option<Value>) -> Value {
        let reply = http(method, &self.url(rest), Some(self.server.admin_token()), body.as_ref());
        assert!((200..300).contains(&reply.status), "{method} {rest} → {}: {}", reply.status, reply.body);
        reply.json()["result"].clone()
    }

    #[track_caller]
    pub fn token(&self, name: &str, duration: &str) -> Token {
        let result = self.api("POST", "service_tokens", Some(json!({"name": name, "duration": duration})));
        Token {
            id: result["id"].as_str().unwrap().to_owned(),
            client_id: result["client_id"].as_str().unwrap().to_owned(),
            secret: result["client_secret"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates a reusable policy and returns its id.
    #[track_caller]
    pub fn policy(&self, body: Value) -> String {
        self.api("POST", "policies", Some(body))["id"].as_str().unwrap().to_owned()
    }

    /// Creates a `self_hosted` application in front of the echo origin.
    #[track_caller]
    pub fn app(&self, domain: &str, policy_ids: &[&str]) -> Value {
        let policies: Vec<Value> =
            policy_ids.iter().enumerate().map(|(i, id)| json!({"id": id, "precedence": i + 1})).collect();
        self.api(
            "POST",
            "apps",
            Some(json!({"name": domain, "type": "self_hosted", "domain": domain, "origin": self.origin.url(), "policies": policies})),
        )
    }

    /// `127.0.0.1:PORT` of the gateway.
    pub fn gateway_addr(&self) -> String {
        self.server.gateway().trim_start_matches("http://").to_owned()
    }

    /// Sends `GET path` for `host` through the gateway.
    #[track_caller]
    pub fn get(&self, host: &str, path: &str, creds: Creds<'_>) -> HttpResponse {
        self.get_with(host, path, creds, &[])
    }

    #[track_caller]
    pub fn get_with(&self, host: &str, path: &str, creds: Creds<'_>, extra: &[(&str, &str)]) -> HttpResponse {
        let cookie;
        let mut headers = vec![("Host", host)];
        match creds {
            Creds::Nothing => {}
            Creds::Token(token) => {
                headers.push(("CF-Access-Client-Id", &token.client_id));
                headers.push(("CF-Access-Client-Secret", &token.secret));
            }
            Creds::Pair(id, secret) => {
                headers.push(("CF-Access-Client-Id", id));
                headers.push(("CF-Access-Client-Secret", secret));
            }
            Creds::Cookie(jwt) => {
                cookie = format!("CF_Authorization={jwt}");
                headers.push(("Cookie", &cookie));
            }
        }
        headers.extend_from_slice(extra);
        send(&self.gateway_addr(), "GET", path, &headers, b"")
    }
}

/// What the echo origin saw, from a forwarded response.
#[track_caller]
pub fn echoed(response: &HttpResponse) -> Value {
    assert_eq!(response.status, 200, "expected a forwarded request: {}", response.body);
    response.json()
}

/// The first value of a header the origin received.
pub fn origin_header<'a>(echo: &'a Value, name: &str) -> Option<&'a str> {
    echo["headers"][name.to_ascii_lowercase()][0].as_str()
}
