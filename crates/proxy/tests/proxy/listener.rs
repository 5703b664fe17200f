//! The listener: TLS termination and HTTP/2 clients.

use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};

use crate::origin;
use crate::support::{Scene, echoed, seen, token_rule};

const HOST: &str = "secure.example.com";

#[tokio::test]
async fn behind_tls_the_origin_hears_https_and_cookies_are_secure() {
    let scene = Scene::with_tls().await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("allow", vec![token_rule(&token)]).await;
    scene.app(HOST, origin::start().await, &[policy], json!({})).await;
    let response = scene.get_as(HOST, "/", &token).send().await.unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    let echo = echoed(response).await;
    assert_eq!(seen(&echo, "x-forwarded-proto"), Some("https"));
}

#[tokio::test]
async fn http2_clients_are_served() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("non_identity", vec![token_rule(&token)]).await;
    scene.app(HOST, origin::start().await, &[policy], json!({})).await;

    let stream = tokio::net::TcpStream::connect(scene.url.trim_start_matches("http://")).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let request = http::Request::builder()
        .uri(format!("http://{HOST}/over-h2"))
        .header("cf-access-client-id", token.client_id())
        .header("cf-access-client-secret", &token.secret)
        .body(Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), http::Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let echo: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(echo["path"], "/over-h2");
    assert_eq!(seen(&echo, "host"), Some(HOST), "the origin gets a Host for an HTTP/2 request");
    assert!(seen(&echo, "cf-access-jwt-assertion").is_some());
}

/// The first line of what the gateway sends back on `request`, read until it closes.
async fn raw_answer(scene: &Scene, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(scene.url.trim_start_matches("http://")).await.unwrap();
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_request_head_over_32_kib_is_refused_with_431() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("non_identity", vec![token_rule(&token)]).await;
    scene.app(HOST, origin::start().await, &[policy], json!({})).await;
    let creds = format!(
        "CF-Access-Client-Id: {}\r\nCF-Access-Client-Secret: {}\r\n",
        token.client_id(),
        token.secret
    );
    let head = |header: usize| {
        format!(
            "GET / HTTP/1.1\r\nHost: {HOST}\r\n{creds}X-Big: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(header)
        )
    };
    assert_eq!(raw_answer(&scene, head(16 * 1024).as_bytes()).await, "HTTP/1.1 200 OK");
    assert_eq!(
        raw_answer(&scene, head(40 * 1024).as_bytes()).await,
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_read_timeout() {
    let timeout = std::time::Duration::from_millis(300);
    let scene = Scene::with_options(gatehouse_proxy::GatewayOptions {
        header_read_timeout: timeout,
        ..gatehouse_proxy::GatewayOptions::default()
    })
    .await;
    let preface: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    for (what, sent) in
        [("nothing", &b""[..]), ("half the HTTP/2 preface", &preface[..16]), ("the HTTP/2 preface", preface)]
    {
        let started = std::time::Instant::now();
        let answer = raw_answer(&scene, sent).await;
        let elapsed = started.elapsed();
        assert!(!answer.contains("HTTP/1.1"), "{what}: closed without an answer: {answer}");
        assert!(elapsed >= timeout, "{what}: closed after {elapsed:?}, before the timeout");
        // HTTP/2: a ping unanswered for the timeout, after an interval of the timeout.
        assert!(elapsed < timeout * 10, "{what}: closed only after {elapsed:?}");
    }
}
