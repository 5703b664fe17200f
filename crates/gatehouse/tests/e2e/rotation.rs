//! Rotation without downtime and revocation that takes effect on the very next request.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::scene::{Creds, Scene};
use crate::support::rfc3339_in;

fn any_token_app(scene: &Scene, host: &str) {
    let policy = scene
        .policy(json!({"name": "any token", "decision": "non_identity", "include": [{"service_token": {}}]}));
    scene.app(host, &[&policy]);
}

#[test]
fn a_client_that_switches_secrets_during_a_rotation_never_fails() {
    let scene = Arc::new(Scene::start());
    any_token_app(&scene, "rotate.example.com");
    let token = scene.token("ci", "8760h");
    let client_id = token.client_id.clone();
    let old_secret = token.secret.clone();
    let secret = Arc::new(Mutex::new(token.secret.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));

    let client = {
        let (scene, secret, stop, sent, failed) =
            (scene.clone(), secret.clone(), stop.clone(), sent.clone(), failed.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                let current = secret.lock().unwrap().clone();
                let response = scene.get("rotate.example.com", "/work", Creds::Pair(&client_id, &current));
                sent.fetch_add(1, Ordering::SeqCst);
                if response.status != 200 {
                    failed.fetch_add(1, Ordering::SeqCst);
                    eprintln!("request failed during rotation: {} {}", response.status, response.body);
                }
            }
        })
    };

    wait_for(&sent, 50);
    let rotated = scene.api("POST", &format!("service_tokens/{}/rotate", token.id), None);
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    // The client keeps the old secret a while (its secrets manager has not caught up yet).
    let before_switch = sent.load(Ordering::SeqCst);
    wait_for(&sent, before_switch + 50);
    *secret.lock().unwrap() = new_secret.clone();
    let after_switch = sent.load(Ordering::SeqCst);
    wait_for(&sent, after_switch + 50);
    stop.store(true, Ordering::SeqCst);
    client.join().unwrap();

    assert!(sent.load(Ordering::SeqCst) >= 150);
    assert_eq!(failed.load(Ordering::SeqCst), 0, "no request may fail during a rotation");
    // The new secret was used, so the old one is done.
    let old = scene.get("rotate.example.com", "/work", Creds::Pair(&token.client_id, &old_secret));
    assert_eq!(old.status, 403, "the old secret is refused once the new one was used");
    let new = scene.get("rotate.example.com", "/work", Creds::Pair(&token.client_id, &new_secret));
    assert_eq!(new.status, 200);
    let after = scene.api("GET", &format!("service_tokens/{}", token.id), None);
    assert!(after["last_seen_at"].is_string(), "last_seen_at is recorded: {after}");
}

#[test]
fn with_a_deadline_both_secrets_work_until_it_passes() {
    let scene = Scene::start();
    any_token_app(&scene, "deadline.example.com");
    let token = scene.token("ci", "8760h");
    let deadline = rfc3339_in(4);
    let rotated = scene.api(
        "POST",
        &format!("service_tokens/{}/rotate", token.id),
        Some(json!({"previous_client_secret_expires_at": deadline})),
    );
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(rotated["previous_client_secret_expires_at"], deadline);
    for _ in 0..3 {
        assert_eq!(
            scene.get("deadline.example.com", "/", Creds::Pair(&token.client_id, &new_secret)).status,
            200
        );
        assert_eq!(
            scene.get("deadline.example.com", "/", Creds::Token(&token)).status,
            200,
            "old secret before the deadline"
        );
    }
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let old = scene.get("deadline.example.com", "/", Creds::Token(&token));
        if old.status == 403 {
            break;
        }
        assert_eq!(old.status, 200);
        assert!(Instant::now() < until, "the old secret still works 15 s after a 4 s deadline");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        scene.get("deadline.example.com", "/", Creds::Pair(&token.client_id, &new_secret)).status,
        200
    );
}

#[test]
fn revoking_or_disabling_takes_effect_on_the_very_next_request() {
    let scene = Scene::start();
    any_token_app(&scene, "revoke.example.com");
    let disabled = scene.token("to disable", "8760h");
    let deleted = scene.token("to delete", "8760h");
    for token in [&disabled, &deleted] {
        assert_eq!(scene.get("revoke.example.com", "/", Creds::Token(token)).status, 200);
    }
    scene.api("PUT", &format!("service_tokens/{}", disabled.id), Some(json!({"enabled": false})));
    assert_eq!(scene.get("revoke.example.com", "/", Creds::Token(&disabled)).status, 403);
    scene.api("PUT", &format!("service_tokens/{}", disabled.id), Some(json!({"enabled": true})));
    assert_eq!(scene.get("revoke.example.com", "/", Creds::Token(&disabled)).status, 200);
    scene.api("DELETE", &format!("service_tokens/{}", deleted.id), None);
    assert_eq!(scene.get("revoke.example.com", "/", Creds::Token(&deleted)).status, 403);
}

#[track_caller]
fn wait_for(counter: &AtomicUsize, at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while counter.load(Ordering::SeqCst) < at_least {
        assert!(Instant::now() < deadline, "the client stalled");
        std::thread::sleep(Duration::from_millis(5));
    }
}
