//! The hostile cases, one function per kind. Each case gets a marker in its query, sends its
//! request and records the answer; `check` in the parent judges what reached the origin.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use super::raw::{self, Answer};
use super::{Expect, HEADER_READ_TIMEOUT, SPOOF, SPOOFED_CONNECTING_IP, SPOOFED_TRUE_CLIENT_IP, Suite};

const OPEN: &str = "open.example.com";
const PATHS: &str = "paths.example.com";
const PORTAL: &str = "portal.example.com";

/// A request head on its own connection, closed after the answer.
fn get(host: &str, target: &str, lines: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n{lines}Connection: close\r\n\r\n")
}

/// A request without credentials for `/smuggled`: it must never reach the origin.
fn inner(m: &str) -> String {
    format!("GET /smuggled?{m}-smuggled HTTP/1.1\r\nHost: {OPEN}\r\nConnection: close\r\n\r\n")
}

async fn send_raw(suite: &Suite, bytes: impl AsRef<[u8]>) -> Answer {
    raw::exchange(&suite.addr, bytes.as_ref()).await
}

/// A request builder for `variants`: the case's marker and the credential lines.
type Build = fn(m: &str, creds: &str) -> String;

/// A request builder from the case's marker.
type Builder = Box<dyn Fn(&str) -> String + Send>;

async fn raw_cases(
    suite: &mut Suite,
    kind: &'static str,
    host: &'static str,
    variants: Vec<(&str, Expect, Build)>,
) {
    let creds = Suite::creds(&suite.user);
    for (name, expect, build) in variants {
        let m = suite.mark();
        let answer = send_raw(suite, build(&m, &creds)).await;
        suite.record(kind, name, expect, host, m, answer);
    }
}

pub async fn smuggling(suite: &mut Suite) {
    use Expect::{Either, Refused, Served};
    let variants: Vec<(&str, Expect, Build)> = vec![
        ("CL+TE, a request after the last chunk", Either, |m, c| {
            let body = format!("0\r\n\r\n{}", inner(m));
            let framing = format!("Content-Length: {}\r\nTransfer-Encoding: chunked\r\n", body.len());
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("TE+CL, a request after the last chunk", Either, |m, c| {
            let body = format!("0\r\n\r\n{}", inner(m));
            let framing = format!("Transfer-Encoding: chunked\r\nContent-Length: {}\r\n", body.len());
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("TE+CL, a request inside the chunk (CL short)", Either, |m, c| {
            let hidden = inner(m);
            let body = format!("{:x}\r\n{hidden}\r\n0\r\n\r\n", hidden.len());
            let framing = "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n";
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("two different Content-Lengths", Refused, |m, c| {
            let body = inner(m);
            let framing = format!("Content-Length: 0\r\nContent-Length: {}\r\n", body.len());
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("Content-Length: 0, N", Refused, |m, c| {
            let body = inner(m);
            let framing = format!("Content-Length: 0, {}\r\n", body.len());
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("Content-Length: +N", Refused, |m, c| {
            let body = inner(m);
            let framing = format!("Content-Length: +{}\r\n", body.len());
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("Content-Length: -1", Refused, |m, c| {
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}Content-Length: -1\r\n\r\n{}", inner(m))
        }),
        ("Transfer-Encoding: chunked, identity", Refused, |m, c| {
            let body = format!("0\r\n\r\n{}", inner(m));
            let framing =
                format!("Transfer-Encoding: chunked, identity\r\nContent-Length: {}\r\n", body.len());
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("Transfer-Encoding: identity", Refused, |m, c| {
            let body = inner(m);
            let framing = format!("Transfer-Encoding: identity\r\nContent-Length: {}\r\n", body.len());
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("Transfer-Encoding: xchunked", Refused, |m, c| {
            let body = format!("0\r\n\r\n{}", inner(m));
            format!(
                "POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}Transfer-Encoding: xchunked\r\n\r\n{body}"
            )
        }),
        ("two Transfer-Encodings, chunked then identity", Refused, |m, c| {
            let body = format!("0\r\n\r\n{}", inner(m));
            let framing = "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n";
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("'Transfer-Encoding : chunked' (space before the colon)", Refused, |m, c| {
            let body = format!("0\r\n\r\n{}", inner(m));
            let framing = format!("Transfer-Encoding : chunked\r\nContent-Length: {}\r\n", body.len());
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("'Transfer-Encoding:\\tchunked' with a Content-Length", Either, |m, c| {
            let body = format!("0\r\n\r\n{}", inner(m));
            let framing = format!("Transfer-Encoding:\tchunked\r\nContent-Length: {}\r\n", body.len());
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("a folded ' Transfer-Encoding: chunked' line", Refused, |m, c| {
            let body = format!("0\r\n\r\n{}", inner(m));
            let framing = format!("Content-Length: {}\r\n Transfer-Encoding: chunked\r\n", body.len());
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("Transfer-Encoding on HTTP/1.0", Refused, |m, c| {
            let body = format!("0\r\n\r\n{}", inner(m));
            format!("POST /outer?{m} HTTP/1.0\r\nHost: {OPEN}\r\n{c}Transfer-Encoding: chunked\r\n\r\n{body}")
        }),
        ("a bad chunk size after an authorized head", Either, |m, c| {
            let body = format!("zz\r\n{}\r\n0\r\n\r\n", inner(m));
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}Transfer-Encoding: chunked\r\n\r\n{body}")
        }),
        ("a request hidden in a Content-Length body", Served, |m, c| {
            let body = inner(m);
            let framing = format!("Content-Length: {}\r\nConnection: close\r\n", body.len());
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{framing}\r\n{body}")
        }),
        ("a request pipelined after a complete one", Served, |m, c| {
            format!("GET /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}\r\n{}", inner(m))
        }),
        ("a request pipelined after a chunked body", Served, |m, c| {
            let body = format!("5\r\nhello\r\n0\r\n\r\n{}", inner(m));
            format!("POST /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}Transfer-Encoding: chunked\r\n\r\n{body}")
        }),
        ("a WebSocket upgrade the origin refuses, then a request", Served, |m, c| {
            let upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                           Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
            format!("GET /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{upgrade}\r\n{}", inner(m))
        }),
        ("an h2c upgrade, then a request", Served, |m, c| {
            let upgrade = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n";
            format!("GET /outer?{m} HTTP/1.1\r\nHost: {OPEN}\r\n{c}{upgrade}\r\n{}", inner(m))
        }),
    ];
    raw_cases(suite, "request smuggling", OPEN, variants).await;
}

pub async fn oversized(suite: &mut Suite) {
    use Expect::{Refused, Served};
    let variants: Vec<(&str, Expect, Build)> = vec![
        ("one 40 KiB header", Refused, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}X-Big: {}\r\n", "a".repeat(40 * 1024)))
        }),
        ("one 1 MiB header", Refused, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}X-Big: {}\r\n", "a".repeat(1024 * 1024)))
        }),
        ("12 headers of 4 KiB (48 KiB)", Refused, |m, c| {
            let lines: String = (0..12).map(|i| format!("X-Part-{i}: {}\r\n", "b".repeat(4096))).collect();
            get(OPEN, &format!("/?{m}"), &format!("{c}{lines}"))
        }),
        ("101 headers", Refused, |m, c| {
            let lines: String = (0..101).map(|i| format!("X-H{i}: {i}\r\n")).collect();
            get(OPEN, &format!("/?{m}"), &format!("{c}{lines}"))
        }),
        ("5,000 headers", Refused, |m, c| {
            let lines: String = (0..5000).map(|i| format!("X-H{i}: {i}\r\n")).collect();
            get(OPEN, &format!("/?{m}"), &format!("{c}{lines}"))
        }),
        ("a 70 KB request target", Refused, |m, c| get(OPEN, &format!("/{}?{m}", "p".repeat(70_000)), c)),
        ("control: 16 KiB in 4 headers", Served, |m, c| {
            let lines: String = (0..4).map(|i| format!("X-Part-{i}: {}\r\n", "d".repeat(4000))).collect();
            get(OPEN, &format!("/?{m}"), &format!("{c}{lines}"))
        }),
        ("control: 90 headers", Served, |m, c| {
            let lines: String = (0..90).map(|i| format!("X-H{i}: {i}\r\n")).collect();
            get(OPEN, &format!("/?{m}"), &format!("{c}{lines}"))
        }),
    ];
    raw_cases(suite, "oversized headers", OPEN, variants).await;
}

/// Slow clients against a header read timeout of [`HEADER_READ_TIMEOUT`], all at once.
pub async fn slow_clients(suite: &mut Suite) {
    const KIND: &str = "slow clients";
    let pace = Duration::from_millis(60);
    // Cut off well before the slow client would have finished (seconds), allowing for a busy machine.
    let cut_off_by = HEADER_READ_TIMEOUT * 10;
    let creds = Suite::creds(&suite.user);
    let markers: Vec<String> = (0..8).map(|_| suite.mark()).collect();
    let head = |m: &str| get(OPEN, &format!("/slow?{m}"), &creds);
    let kept_alive = format!("GET /slow?{} HTTP/1.1\r\nHost: {OPEN}\r\n{creds}\r\n", markers[4]);
    let addr = suite.addr.clone();
    let heads: Vec<String> = markers.iter().map(|m| head(m)).collect();
    let request_line = format!("GET /slow?{} HTTP/1.1\r\n", markers[3]);
    let idle_after = format!("GET /slow?{} HTTP/1.1\r\nHost: {OPEN}\r\n{creds}\r\n", markers[6]);
    let (byte_by_byte, nothing, preface, request_line, second, control, idle, h2) = tokio::join!(
        raw::trickle(&addr, b"", heads[0].as_bytes(), pace),
        raw::trickle(&addr, b"", b"", pace),
        raw::trickle(&addr, b"PRI * HTTP/2.0\r\n", b"", pace),
        raw::trickle(&addr, request_line.as_bytes(), b"", pace),
        raw::trickle(&addr, kept_alive.as_bytes(), heads[4].as_bytes(), pace),
        in_three_parts(&addr, heads[5].as_bytes(), pace),
        raw::trickle(&addr, idle_after.as_bytes(), b"", pace),
        raw::trickle(&addr, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"", pace),
    );
    let full = head(&markers[0]).len();
    let cases = [
        ("the head one byte every 60 ms", Expect::Refused, byte_by_byte, full, &markers[0]),
        ("connects and sends nothing", Expect::Refused, nothing, usize::MAX, &markers[1]),
        ("half an HTTP/2 preface, then nothing", Expect::Refused, preface, usize::MAX, &markers[2]),
        ("the request line, then nothing", Expect::Refused, request_line, usize::MAX, &markers[3]),
        (
            "a second request on a kept-alive connection, byte by byte",
            Expect::Either,
            second,
            full,
            &markers[4],
        ),
        ("a kept-alive connection, then nothing", Expect::Either, idle, usize::MAX, &markers[6]),
        ("the whole HTTP/2 preface, then nothing", Expect::Refused, h2, usize::MAX, &markers[7]),
    ];
    for (name, expect, (answer, sent, elapsed), total, marker) in cases {
        let closed = matches!(answer, Answer::Closed) || answer.statuses().last().is_some_and(|s| *s == 408);
        let answered_first = expect == Expect::Either && answer.first() == Some(200);
        let mut problem = None;
        if !(closed || answered_first) || answer == Answer::Stalled {
            problem = Some(format!("not cut off: {answer}"));
        } else if elapsed > cut_off_by {
            problem = Some(format!("cut off only after {elapsed:?}"));
        } else if total != usize::MAX && sent >= total {
            problem = Some("the whole slow head was accepted".to_owned());
        }
        let name = format!("{name} (ended after {:.2} s)", elapsed.as_secs_f64());
        suite.record(KIND, &name, expect, OPEN, marker.clone(), answer);
        suite.cases.last_mut().unwrap().problem = problem;
    }
    let (answer, _, elapsed) = control;
    let name = format!("control: the head in 3 parts, 60 ms apart ({:.2} s)", elapsed.as_secs_f64());
    suite.record(KIND, &name, Expect::Served, OPEN, markers[5].clone(), answer);
}

/// A client that is slow but within the timeout: its head in three parts, `pace` apart.
async fn in_three_parts(addr: &str, head: &[u8], pace: Duration) -> (Answer, usize, Duration) {
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let third = head.len() / 3;
    for part in [&head[..third], &head[third..2 * third], &head[2 * third..]] {
        if part.as_ptr() != head.as_ptr() {
            tokio::time::sleep(pace).await;
        }
        stream.write_all(part).await.unwrap();
    }
    let answer = raw::read_to_close(&mut stream).await;
    (answer, head.len(), started.elapsed())
}

pub async fn duplicated_credentials(suite: &mut Suite) {
    use Expect::{Refused, Served};
    const KIND: &str = "duplicated credentials";
    let (id, secret) = (suite.user.client_id().to_owned(), suite.user.secret.clone());
    let (admin_id, admin_secret) = (suite.admin.client_id().to_owned(), suite.admin.secret.clone());
    let json_creds = json!({"cf-access-client-id": id, "cf-access-client-secret": secret}).to_string();
    let cases: Vec<(&str, Expect, &'static str, String)> = vec![
        (
            "control: one valid pair",
            Served,
            OPEN,
            format!("CF-Access-Client-Id: {id}\r\nCF-Access-Client-Secret: {secret}\r\n"),
        ),
        (
            "two client ids, the valid one first",
            Refused,
            OPEN,
            format!(
                "CF-Access-Client-Id: {id}\r\nCF-Access-Client-Id: {admin_id}x\r\nCF-Access-Client-Secret: {secret}\r\n"
            ),
        ),
        (
            "two client ids, the valid one last",
            Refused,
            OPEN,
            format!(
                "CF-Access-Client-Id: {admin_id}x\r\nCF-Access-Client-Id: {id}\r\nCF-Access-Client-Secret: {secret}\r\n"
            ),
        ),
        (
            "two secrets, the valid one first",
            Refused,
            OPEN,
            format!(
                "CF-Access-Client-Id: {id}\r\nCF-Access-Client-Secret: {secret}\r\nCF-Access-Client-Secret: wrong\r\n"
            ),
        ),
        (
            "two secrets, the valid one last",
            Refused,
            OPEN,
            format!(
                "CF-Access-Client-Id: {id}\r\nCF-Access-Client-Secret: wrong\r\nCF-Access-Client-Secret: {secret}\r\n"
            ),
        ),
        (
            "the valid pair twice, names in two cases",
            Refused,
            OPEN,
            format!(
                "CF-Access-Client-Id: {id}\r\ncf-access-client-id: {id}\r\nCF-ACCESS-CLIENT-SECRET: {secret}\r\ncf-access-client-secret: {secret}\r\n"
            ),
        ),
        (
            "client ids joined by a comma",
            Refused,
            OPEN,
            format!("CF-Access-Client-Id: {id}, {admin_id}\r\nCF-Access-Client-Secret: {secret}\r\n"),
        ),
        (
            "secrets joined by a comma",
            Refused,
            OPEN,
            format!("CF-Access-Client-Id: {id}\r\nCF-Access-Client-Secret: wrong, {secret}\r\n"),
        ),
        (
            "the user's id with the admin's secret",
            Refused,
            OPEN,
            format!("CF-Access-Client-Id: {id}\r\nCF-Access-Client-Secret: {admin_secret}\r\n"),
        ),
        (
            "the admin's id with the user's secret",
            Refused,
            OPEN,
            format!("CF-Access-Client-Id: {admin_id}\r\nCF-Access-Client-Secret: {secret}\r\n"),
        ),
        ("the id alone", Refused, OPEN, format!("CF-Access-Client-Id: {id}\r\n")),
        ("the secret alone", Refused, OPEN, format!("CF-Access-Client-Secret: {secret}\r\n")),
        (
            "control: the valid JSON header",
            Served,
            "json.example.com",
            format!("X-Auth-Json: {json_creds}\r\n"),
        ),
        (
            "the valid JSON header twice",
            Refused,
            "json.example.com",
            format!("X-Auth-Json: {json_creds}\r\nX-Auth-Json: {json_creds}\r\n"),
        ),
        (
            "an invalid pair beside the valid JSON header",
            Refused,
            "json.example.com",
            format!(
                "CF-Access-Client-Id: {id}\r\nCF-Access-Client-Secret: wrong\r\nX-Auth-Json: {json_creds}\r\n"
            ),
        ),
        (
            "the id header beside the valid JSON header",
            Refused,
            "json.example.com",
            format!("CF-Access-Client-Id: {admin_id}\r\nX-Auth-Json: {json_creds}\r\n"),
        ),
        (
            "JSON keys in another case",
            Refused,
            "json.example.com",
            format!(
                "X-Auth-Json: {}\r\n",
                json!({"CF-Access-Client-Id": id, "CF-Access-Client-Secret": secret})
            ),
        ),
        (
            "JSON with the id key twice",
            Refused,
            "json.example.com",
            format!(
                "X-Auth-Json: {{\"cf-access-client-id\":\"{admin_id}\",\"cf-access-client-id\":\"{id}\",\"cf-access-client-secret\":\"{secret}\"}}\r\n"
            ),
        ),
    ];
    for (name, expect, host, lines) in cases {
        let m = suite.mark();
        let answer = send_raw(suite, get(host, &format!("/?{m}"), &lines)).await;
        suite.record(KIND, name, expect, host, m, answer);
    }
}

pub async fn header_injection(suite: &mut Suite) {
    use Expect::{Either, Refused};
    let variants: Vec<(&str, Expect, Build)> = vec![
        ("CR inside a value", Refused, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}X-Note: a\rX-Injected: 1\r\n"))
        }),
        ("NUL inside a value", Refused, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}X-Note: a\0X-Injected: 1\r\n"))
        }),
        ("NUL inside a name", Refused, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}X-Inj\0ected: 1\r\n"))
        }),
        ("an obs-fold continuation line", Refused, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}X-Note: a\r\n X-Injected: 1\r\n"))
        }),
        ("an obs-fold carrying an assertion", Refused, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}X-Note: a\r\n\tCf-Access-Jwt-Assertion: {SPOOF}\r\n"))
        }),
        ("a bare LF before a spoofed assertion", Either, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}X-Note: a\nCf-Access-Jwt-Assertion: {SPOOF}\r\n"))
        }),
        ("a space before the colon of an assertion", Refused, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}Cf-Access-Jwt-Assertion : {SPOOF}\r\n"))
        }),
        ("CR LF inside the request target", Refused, |m, c| get(OPEN, &format!("/?{m}\r\nX-Injected: 1"), c)),
        ("a percent-encoded CR LF in the path", Either, |m, c| {
            get(OPEN, &format!("/a%0d%0aX-Injected:%20yes?{m}"), c)
        }),
        ("non-UTF-8 bytes in a value", Either, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}X-Note: \u{ff}\u{fe}\r\n"))
        }),
        ("a non-token character in a name", Refused, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}X(Injected): 1\r\n"))
        }),
        ("a header line without a colon", Refused, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}X-Injected 1\r\n"))
        }),
        ("an empty header name", Refused, |m, c| {
            get(OPEN, &format!("/?{m}"), &format!("{c}: x-injected\r\n"))
        }),
        ("a control character in the client id", Refused, |m, _| {
            get(
                OPEN,
                &format!("/?{m}"),
                "CF-Access-Client-Id: a\x01b.access\r\nCF-Access-Client-Secret: s\r\n",
            )
        }),
    ];
    raw_cases(suite, "header injection", OPEN, variants).await;
}

pub async fn spoofed_headers(suite: &mut Suite) {
    use Expect::{Refused, Served};
    const KIND: &str = "spoofed headers";
    let creds = Suite::creds(&suite.user);
    let cases: Vec<(&str, Expect, &'static str, String)> = vec![
        ("Cf-Access-Jwt-Assertion", Served, OPEN, format!("{creds}Cf-Access-Jwt-Assertion: {SPOOF}.x.y\r\n")),
        (
            "two assertions, names in two cases",
            Served,
            OPEN,
            format!("{creds}Cf-Access-Jwt-Assertion: {SPOOF}.1\r\ncf-access-jwt-assertion: {SPOOF}.2\r\n"),
        ),
        (
            "Cf-Access-Authenticated-User-Email",
            Served,
            OPEN,
            format!("{creds}Cf-Access-Authenticated-User-Email: {SPOOF}@example.com\r\n"),
        ),
        ("X-Forwarded-For", Served, OPEN, format!("{creds}X-Forwarded-For: 10.1.2.3\r\n")),
        ("Cf-Connecting-Ip", Served, OPEN, format!("{creds}Cf-Connecting-Ip: {SPOOFED_CONNECTING_IP}\r\n")),
        ("True-Client-Ip", Served, OPEN, format!("{creds}True-Client-Ip: {SPOOFED_TRUE_CLIENT_IP}\r\n")),
        (
            "Connection naming the assertion",
            Served,
            OPEN,
            format!("{creds}Connection: Cf-Access-Jwt-Assertion\r\nCf-Access-Jwt-Assertion: {SPOOF}\r\n"),
        ),
        (
            "Connection naming X-Forwarded-For and Cf-Connecting-Ip",
            Served,
            OPEN,
            format!("{creds}Connection: X-Forwarded-For, Cf-Connecting-Ip\r\nX-Forwarded-For: 10.1.2.3\r\n"),
        ),
        (
            "X-Forwarded-Host and -Proto",
            Served,
            OPEN,
            format!("{creds}X-Forwarded-Host: private.example.com\r\nX-Forwarded-Proto: https\r\n"),
        ),
        (
            "an assertion to a bypass application",
            Served,
            "public.example.com",
            format!("Cf-Access-Jwt-Assertion: {SPOOF}\r\n"),
        ),
        (
            "an assertion instead of credentials",
            Refused,
            OPEN,
            format!("Cf-Access-Jwt-Assertion: {SPOOF}\r\n"),
        ),
        (
            "a user email instead of credentials",
            Refused,
            OPEN,
            format!("Cf-Access-Authenticated-User-Email: {SPOOF}@example.com\r\n"),
        ),
        (
            "X-Forwarded-For inside an IP rule",
            Refused,
            "office.example.com",
            "X-Forwarded-For: 10.1.2.3\r\n".to_owned(),
        ),
        (
            "Cf-Connecting-Ip inside an IP rule",
            Refused,
            "office.example.com",
            format!("Cf-Connecting-Ip: {SPOOFED_CONNECTING_IP}\r\n"),
        ),
        (
            "True-Client-Ip inside an IP rule",
            Refused,
            "office.example.com",
            format!("True-Client-Ip: {SPOOFED_TRUE_CLIENT_IP}\r\n"),
        ),
        ("X-Real-Ip inside an IP rule", Refused, "office.example.com", "X-Real-Ip: 10.7.7.7\r\n".to_owned()),
        (
            "Forwarded: for= inside an IP rule",
            Refused,
            "office.example.com",
            "Forwarded: for=10.1.2.3\r\n".to_owned(),
        ),
        ("control: the loopback peer inside 127.0.0.0/8", Served, "loopback.example.com", String::new()),
    ];
    for (name, expect, host, lines) in cases {
        let m = suite.mark();
        let answer = send_raw(suite, get(host, &format!("/?{m}"), &lines)).await;
        suite.record(KIND, name, expect, host, m, answer);
    }
}

/// Signs claims with the account's real signing key, as only the gateway can.
struct Signer {
    kid: String,
    key: EncodingKey,
}

impl Signer {
    async fn of(suite: &Suite) -> Signer {
        let scene = &suite.scene;
        let (keys, _) = gatehouse_proxy::ensure_signing_keys(
            scene.store.as_ref(),
            &scene.key,
            scene.clock.as_ref(),
            &scene.account,
            2048,
        )
        .await
        .unwrap();
        let key = keys.current.unseal(&scene.key).unwrap();
        Signer { kid: key.kid().to_owned(), key: EncodingKey::from_rsa_der(key.private_pkcs1_der()) }
    }

    fn sign(&self, claims: &Value, alg: Algorithm, kid: Option<&str>, key: &EncodingKey) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        header.typ = Some("JWT".to_owned());
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    fn real(&self, claims: &Value) -> String {
        self.sign(claims, Algorithm::RS256, Some(&self.kid), &self.key)
    }
}

/// `header.payload.` with no signature, for `alg` none.
fn unsigned(alg: &str, kid: &str, claims: &Value) -> String {
    let header = json!({"alg": alg, "typ": "JWT", "kid": kid});
    format!("{}.{}.", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()))
}

pub async fn forged_jwts(suite: &mut Suite) {
    use Expect::{Refused, Served};
    const KIND: &str = "forged session JWTs";
    // The real session of the user at the portal, and at another application.
    let mut cookies = Vec::new();
    for host in [PORTAL, "portal2.example.com"] {
        let m = suite.mark();
        let response = suite.scene.get_as(host, &format!("/?{m}"), &suite.user).send().await.unwrap();
        let status = response.status().as_u16();
        let cookie = response.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned());
        let jwt = cookie
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("CF_Authorization=")
            .to_owned();
        suite.record(
            KIND,
            &format!("control: the secret at {host}, which sets the cookie"),
            Served,
            if host == PORTAL { PORTAL } else { "portal2.example.com" },
            m,
            Answer::Statuses(vec![status]),
        );
        cookies.push(jwt);
    }
    let (real, elsewhere) = (cookies[0].clone(), cookies[1].clone());
    assert_eq!(real.split('.').count(), 3, "no session cookie: {real:?}");
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&real).unwrap();
    let signer = Signer::of(suite).await;
    let now = suite.scene.now().unix();
    let with = |changes: Value| {
        let mut forged = claims.clone();
        for (k, v) in changes.as_object().unwrap() {
            forged[k] = v.clone();
        }
        forged
    };
    let gone = suite.scene.token("8760h").await;
    suite.scene.delete_token(&gone).await;
    let parts: Vec<&str> = real.split('.').collect();
    let other_signature = elsewhere.split('.').nth(2).unwrap();
    let tampered_payload =
        URL_SAFE_NO_PAD.encode(with(json!({"common_name": suite.admin.client_id()})).to_string());
    let certs: Value =
        suite.scene.get(PORTAL, "/cdn-cgi/access/certs").send().await.unwrap().json().await.unwrap();
    let pem = certs["public_cert"]["cert"].as_str().unwrap().to_owned();
    let modulus = URL_SAFE_NO_PAD.decode(certs["keys"][0]["n"].as_str().unwrap()).unwrap();
    let kid = signer.kid.clone();

    let forgeries: Vec<(&str, String)> = vec![
        ("another JWT's signature", format!("{}.{}.{other_signature}", parts[0], parts[1])),
        (
            "a payload naming the admin, the real signature",
            format!("{}.{tampered_payload}.{}", parts[0], parts[2]),
        ),
        ("alg none", unsigned("none", &kid, &claims)),
        ("alg None", unsigned("None", &kid, &claims)),
        (
            "HS256 keyed with the public certificate",
            signer.sign(&claims, Algorithm::HS256, Some(&kid), &EncodingKey::from_secret(pem.as_bytes())),
        ),
        (
            "HS256 keyed with the public modulus",
            signer.sign(&claims, Algorithm::HS256, Some(&kid), &EncodingKey::from_secret(&modulus)),
        ),
        ("signed, another audience", signer.real(&with(json!({"aud": ["0".repeat(64)]})))),
        ("signed, no audience", signer.real(&with(json!({"aud": []})))),
        ("signed, another issuer", signer.real(&with(json!({"iss": "https://evil.example.com"})))),
        ("signed, expired", signer.real(&with(json!({"iat": now - 7200, "exp": now - 1})))),
        (
            "signed, issued an hour from now",
            signer.real(&with(json!({"iat": now + 3600, "exp": now + 7200}))),
        ),
        ("signed, type user", signer.real(&with(json!({"type": "user"})))),
        ("signed, an unknown client id", signer.real(&with(json!({"common_name": "nobody.access"})))),
        ("signed, a deleted token", signer.real(&with(json!({"common_name": gone.client_id()})))),
        ("signed, an unknown kid", signer.sign(&claims, Algorithm::RS256, Some("0123"), &signer.key)),
        ("signed, no kid", signer.sign(&claims, Algorithm::RS256, None, &signer.key)),
        ("another application's real JWT", elsewhere.clone()),
        ("truncated", real[..real.len() / 2].to_owned()),
        ("garbage", "a.b.c".to_owned()),
        ("empty", String::new()),
    ];
    let controls = [
        ("control: the real cookie", format!("Cookie: CF_Authorization={real}\r\n")),
        ("control: the real JWT in cf-access-token", format!("cf-access-token: {real}\r\n")),
    ];
    for (name, lines) in controls {
        let m = suite.mark();
        let answer = send_raw(suite, get(PORTAL, &format!("/?{m}"), &lines)).await;
        suite.record(KIND, name, Served, PORTAL, m, answer);
    }
    for (name, jwt) in &forgeries {
        for (via, lines) in [
            ("cookie", format!("Cookie: CF_Authorization={jwt}\r\n")),
            ("cf-access-token", format!("cf-access-token: {jwt}\r\n")),
        ] {
            let m = suite.mark();
            let answer = send_raw(suite, get(PORTAL, &format!("/?{m}"), &lines)).await;
            suite.record(KIND, &format!("{name} ({via})"), Refused, PORTAL, m, answer);
        }
    }
    let elsewhere_lines: Vec<(&str, String)> = vec![
        ("the real JWT as Cf-Access-Jwt-Assertion", format!("Cf-Access-Jwt-Assertion: {real}\r\n")),
        ("the real JWT as Authorization: Bearer", format!("Authorization: Bearer {real}\r\n")),
        (
            "a forged cookie after the real one",
            format!(
                "Cookie: CF_Authorization={}; CF_Authorization={real}\r\n",
                unsigned("none", &kid, &claims)
            ),
        ),
    ];
    for (name, lines) in elsewhere_lines {
        let m = suite.mark();
        let answer = send_raw(suite, get(PORTAL, &format!("/?{m}"), &lines)).await;
        suite.record(KIND, name, Refused, PORTAL, m, answer);
    }
}

pub async fn path_tricks(suite: &mut Suite) {
    use Expect::{Either, Refused, Served};
    const KIND: &str = "path tricks";
    let user = Suite::creds(&suite.user);
    let admin = Suite::creds(&suite.admin);
    let mut cases: Vec<(String, Expect, &'static str, Builder)> = Vec::new();
    let on_paths = |target: &'static str, creds: String| -> Builder {
        Box::new(move |m: &str| {
            let target = if target.contains('?') { format!("{target}&{m}") } else { format!("{target}?{m}") };
            get(PATHS, &target, &creds)
        })
    };
    cases.push(("control: /public".into(), Served, PATHS, on_paths("/public", user.clone())));
    cases.push((
        "control: the admin token at /admin/x".into(),
        Served,
        PATHS,
        on_paths("/admin/x", admin.clone()),
    ));
    for target in [
        "/admin",
        "/ADMIN",
        "/Admin/x",
        "/admin/",
        "/admin/.",
        "/./admin",
        "//admin",
        "///admin/x",
        "/public/../admin",
        "/public/./../admin/x",
        "/public/%2e%2e/admin",
        "/public/%2E%2E/admin",
        "/public/.%2e/admin",
        "/public/..;/admin",
        "/admin;x",
        "/admin;/x",
        "/%61dmin",
        "/%41DMIN/x",
        "/admin?x=/public",
        "/admin%2fx",
        "/public%2f..%2fadmin",
        "/public/..%2fadmin",
        "/admin%00",
        "/public/..%5cadmin",
        "/public\\..\\admin",
        "/admin%zz",
        "*",
    ] {
        cases.push((target.to_owned(), Refused, PATHS, on_paths(target, user.clone())));
    }
    cases.push((
        "/public/%252e%252e/admin (double-encoded, judged as /public)".into(),
        Either,
        PATHS,
        on_paths("/public/%252e%252e/admin", user.clone()),
    ));
    let with_host = |host: &'static str, target: &'static str, creds: String| -> Builder {
        Box::new(move |m: &str| get(host, &format!("{target}?{m}"), &creds))
    };
    for host in ["PATHS.EXAMPLE.COM", "paths.example.com.", "paths.example.com:80", "Paths.Example.Com.:8080"]
    {
        cases.push((format!("Host {host}, /admin"), Refused, PATHS, with_host(host, "/admin", user.clone())));
    }
    for host in
        ["PRIVATE.example.com", "private.example.com.", "private.example.com:443", "user@private.example.com"]
    {
        cases.push((
            format!("Host {host}"),
            Refused,
            "private.example.com",
            with_host(host, "/", user.clone()),
        ));
    }
    let u = user.clone();
    cases.push((
        "absolute-form http://paths.example.com/admin".into(),
        Refused,
        PATHS,
        Box::new(move |m: &str| {
            format!("GET http://{PATHS}/admin?{m} HTTP/1.1\r\nHost: {PATHS}\r\n{u}Connection: close\r\n\r\n")
        }),
    ));
    let u = user.clone();
    cases.push(("absolute-form to /public, Host private.example.com".into(), Either, PATHS, Box::new(move |m: &str| {
        format!("GET http://{PATHS}/public?{m} HTTP/1.1\r\nHost: private.example.com\r\n{u}Connection: close\r\n\r\n")
    })));
    let u = user.clone();
    cases.push(("absolute-form to private.example.com, Host paths.example.com".into(), Refused, "private.example.com", Box::new(move |m: &str| {
        format!("GET http://private.example.com/?{m} HTTP/1.1\r\nHost: {PATHS}\r\n{u}Connection: close\r\n\r\n")
    })));
    let u = user.clone();
    cases.push((
        "absolute-form https://paths.example.com:443/admin".into(),
        Refused,
        PATHS,
        Box::new(move |m: &str| {
            format!(
                "GET https://{PATHS}:443/admin?{m} HTTP/1.1\r\nHost: {PATHS}\r\n{u}Connection: close\r\n\r\n"
            )
        }),
    ));
    let u = user.clone();
    cases.push(("two Host headers".into(), Refused, PATHS, Box::new(move |m: &str| {
        format!("GET /public?{m} HTTP/1.1\r\nHost: {PATHS}\r\nHost: private.example.com\r\n{u}Connection: close\r\n\r\n")
    })));
    let u = user.clone();
    cases.push(("CONNECT private.example.com:443".into(), Refused, "private.example.com", Box::new(move |m: &str| {
        format!("CONNECT private.example.com:443 HTTP/1.1\r\nHost: private.example.com:443\r\nX-Case: {m}\r\n{u}\r\n")
    })));
    for (name, expect, host, build) in cases {
        let m = suite.mark();
        let answer = send_raw(suite, build(&m)).await;
        suite.record(KIND, &name, expect, host, m, answer);
    }
    // HTTP/2: the authority and a Host header that disagree.
    for (name, expect, authority, host_header, routed) in [
        (
            "HTTP/2 :authority paths.example.com, Host private.example.com",
            Either,
            PATHS,
            "private.example.com",
            PATHS,
        ),
        (
            "HTTP/2 :authority private.example.com, Host paths.example.com",
            Refused,
            "private.example.com",
            PATHS,
            "private.example.com",
        ),
    ] {
        let m = suite.mark();
        let answer = h2_get(suite, authority, host_header, &format!("/public?{m}")).await;
        suite.record(KIND, name, expect, routed, m, answer);
    }
}

async fn h2_get(suite: &Suite, authority: &str, host: &str, target: &str) -> Answer {
    let stream = tokio::net::TcpStream::connect(&suite.addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let request = http::Request::builder()
        .uri(format!("http://{authority}{target}"))
        .header("host", host)
        .header("cf-access-client-id", suite.user.client_id())
        .header("cf-access-client-secret", &suite.user.secret)
        .body(Empty::<bytes::Bytes>::new())
        .unwrap();
    match sender.send_request(request).await {
        Ok(response) => {
            let status = response.status().as_u16();
            let _ = response.into_body().collect().await;
            Answer::Statuses(vec![status])
        }
        Err(_) => Answer::Closed,
    }
}
