//! Forwarding: bodies, bypass, origin failures, WebSocket upgrades.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::origin;
use crate::support::{Scene, echoed, seen, token_rule};

const HOST: &str = "svc.example.com";

#[tokio::test]
async fn request_bodies_stream_to_the_origin() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("non_identity", vec![token_rule(&token)]).await;
    scene.app(HOST, origin::start().await, &[policy], json!({})).await;
    let request = scene.http.post(format!("{}/upload", scene.url)).header("host", HOST);
    let request = request
        .header("CF-Access-Client-Id", token.client_id())
        .header("CF-Access-Client-Secret", &token.secret);
    let echo = echoed(request.body("x".repeat(100_000)).send().await.unwrap()).await;
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["body"].as_str().unwrap().len(), 100_000);
}

#[tokio::test]
async fn bypass_forwards_without_a_jwt() {
    let scene = Scene::start().await;
    let bypass = scene.policy("bypass", vec![json!({"everyone": {}})]).await;
    scene.app(HOST, origin::start().await, &[bypass], json!({})).await;
    let echo =
        echoed(scene.get(HOST, "/health").header("cf-access-jwt-assertion", "forged").send().await.unwrap())
            .await;
    assert!(seen(&echo, "cf-access-jwt-assertion").is_none());
}

#[tokio::test]
async fn an_unreachable_origin_is_502_and_a_slow_one_504() {
    let scene = Scene::with_timeout(Duration::from_millis(500)).await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("non_identity", vec![token_rule(&token)]).await;
    scene.app("down.example.com", origin::closed().await, &[policy], json!({})).await;
    scene.app(HOST, origin::start().await, &[policy], json!({})).await;
    assert_eq!(scene.get_as("down.example.com", "/", &token).send().await.unwrap().status(), 502);
    assert_eq!(scene.get_as(HOST, "/slow", &token).send().await.unwrap().status(), 504);
    assert_eq!(scene.get_as(HOST, "/fast", &token).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn websocket_upgrades_pass_through() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("non_identity", vec![token_rule(&token)]).await;
    scene.app(HOST, origin::start().await, &[policy], json!({})).await;

    let mut stream = tokio::net::TcpStream::connect(scene.url.trim_start_matches("http://")).await.unwrap();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {HOST}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         CF-Access-Client-Id: {}\r\nCF-Access-Client-Secret: {}\r\n\r\n",
        token.client_id(),
        token.secret
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: websocket"), "{head}");
    stream.write_all(b"ping through the tunnel").await.unwrap();
    let mut echoed = [0u8; 23];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut echoed)).await.unwrap().unwrap();
    assert_eq!(&echoed, b"ping through the tunnel");
}

#[tokio::test]
async fn a_malformed_request_body_is_the_clients_fault_400_not_502() {
    let scene = Scene::start().await;
    let token = scene.token("8760h").await;
    let policy = scene.policy("non_identity", vec![token_rule(&token)]).await;
    scene.app(HOST, origin::start().await, &[policy], json!({})).await;
    let request = format!(
        "POST /upload HTTP/1.1\r\nHost: {HOST}\r\nCF-Access-Client-Id: {}\r\nCF-Access-Client-Secret: {}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\nzz\r\nnot a chunk\r\n0\r\n\r\n",
        token.client_id(),
        token.secret
    );
    let mut stream = tokio::net::TcpStream::connect(scene.url.trim_start_matches("http://")).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert_eq!(answer.lines().next(), Some("HTTP/1.1 400 Bad Request"), "{answer}");
}
