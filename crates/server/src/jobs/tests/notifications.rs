//! Webhook notifications end to end: ticks of an advancing `ManualClock`, each event delivered
//! to a receiver on 127.0.0.1:0 exactly once, signed, and retried after a failure.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_domain::{Clock, Secret, SecretMatch, Timestamp};

use super::fixture::{DAY, Fixture, day};
use super::receiver::{Received, Receiver};
use crate::jobs::events::{self, Event};
use crate::jobs::settings::Destination;
use crate::jobs::webhooks::{
    DELIVERY_HEADER, Outcome, RetryPolicy, TIMESTAMP_HEADER, WebhookQueue, Webhooks,
};
use crate::jobs::{Monitor, spawn};

const SECRET: &str = "whsec-test-0123456789abcdef";

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        first_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        timeout: Duration::from_secs(5),
    }
}

fn webhooks(f: &Fixture, receiver: &Receiver, events: Option<Vec<&str>>) -> Webhooks {
    let destination = Destination {
        url: receiver.url().parse().unwrap(),
        secret: Secret::new(SECRET.to_owned()),
        events: events.map(|e| e.into_iter().map(str::to_owned).collect()),
    };
    Webhooks::new(vec![destination], f.clock.clone(), fast_retries()).unwrap()
}

/// Ticks every `step` seconds from the clock's time up to `until`, delivering every event;
/// returns them.
async fn tick_until(
    f: &Fixture,
    monitor: &Monitor,
    hooks: &Webhooks,
    until: Timestamp,
    step: i64,
) -> Vec<Event> {
    let mut all = Vec::new();
    while f.clock.now() <= until {
        for event in monitor.run_once(f.clock.now()).await.unwrap() {
            assert!(hooks.deliver(&event).await.iter().all(|o| matches!(o, Outcome::Delivered { .. })));
            all.push(event);
        }
        f.clock.advance_secs(step);
    }
    all
}

#[track_caller]
fn assert_signed(received: &[Received]) {
    for request in received {
        assert!(request.has_every_header(), "{:?}", request.headers);
        assert!(request.signature_is_valid(SECRET), "bad signature on {}", request.event());
        assert!(!request.signature_is_valid("another secret"));
        assert_eq!(request.event(), request.json()["type"]);
        assert_eq!(request.header("content-type"), "application/json");
    }
}

#[tokio::test]
async fn an_expiring_token_is_announced_once_per_lead_time() {
    let f = Fixture::new().await;
    let receiver = Receiver::start().await;
    let hooks = webhooks(&f, &receiver, None);
    let token = f.token("nightly backup", "1080h", day(0)).await; // expires on day 45
    f.token("forever", "forever", day(0)).await;
    let monitor = f.monitor();

    tick_until(&f, &monitor, &hooks, day(50), 3 * 3600).await;
    // A restarted server (a new monitor over the same database) repeats nothing.
    let restarted = f.monitor();
    assert!(restarted.run_once(day(44)).await.unwrap().is_empty());

    let received = receiver.received();
    assert_eq!(received.len(), 3, "{received:#?}");
    assert_signed(&received);
    let leads: Vec<_> = received.iter().map(|r| r.json()["data"]["lead_days"].as_u64().unwrap()).collect();
    assert_eq!(leads, vec![30, 7, 1]);
    let first = received[0].json();
    assert_eq!(first["type"], events::EXPIRING);
    assert_eq!(first["account_id"], f.account.to_string());
    assert_eq!(first["data"]["token"]["id"], token.id.to_string());
    assert_eq!(first["data"]["token"]["name"], "nightly backup");
    assert_eq!(first["data"]["token"]["expires_at"], day(45).to_string());
    assert_eq!(first["created_at"], day(15).to_string(), "the first tick inside 30 days");
    assert!(first["data"]["token"].get("client_secret").is_none());
    let deliveries: std::collections::HashSet<_> =
        received.iter().map(|r| r.header(DELIVERY_HEADER).to_owned()).collect();
    assert_eq!(deliveries.len(), 3, "a delivery id per delivery");
}

#[tokio::test]
async fn a_token_first_seen_inside_several_lead_times_gets_one_alert() {
    let f = Fixture::new().await;
    let token = f.token("short-lived", "120h", day(0)).await; // 5 days: inside 30 and 7
    let events = f.monitor().run_once(day(0)).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data["lead_days"], 7);
    assert_eq!(events[0].data["expires_in_seconds"], 5 * DAY);
    assert!(f.monitor().run_once(day(1)).await.unwrap().is_empty());
    // A refresh moves the expiry: the alerts start over for the new date.
    let mut refreshed = f.reload(&token).await.unwrap();
    refreshed.refresh(day(3));
    assert!(f.state.store.update_service_token(&refreshed).await.unwrap());
    assert!(f.monitor().run_once(day(3)).await.unwrap().iter().all(|e| e.data["lead_days"] == 7));
}

#[tokio::test]
async fn an_inactivity_action_is_announced_once() {
    let f = Fixture::new().await;
    let receiver = Receiver::start().await;
    let hooks = webhooks(&f, &receiver, Some(vec![events::INACTIVE]));
    f.set_inactivity(30, "disable").await;
    let idle = f.token("idle", "forever", day(0)).await;
    let monitor = f.monitor();

    tick_until(&f, &monitor, &hooks, day(60), 6 * 3600).await;
    let received = receiver.received();
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_signed(&received);
    let body = received[0].json();
    assert_eq!(body["type"], events::INACTIVE);
    assert_eq!(body["data"]["token"]["id"], idle.id.to_string());
    assert_eq!(body["data"]["action"], "disable");
    assert_eq!(body["data"]["last_activity_at"], day(0).to_string());
    assert_eq!(body["created_at"], day(30).to_string());
}

#[tokio::test]
async fn an_old_secret_still_used_at_the_end_of_its_grace_is_announced_once() {
    let f = Fixture::new().await;
    let receiver = Receiver::start().await;
    let hooks = webhooks(&f, &receiver, None);
    let rotate = |mut token: gatehouse_domain::ServiceToken, name: &'static str| {
        let f = &f;
        async move {
            f.used(&token, SecretMatch::Current, day(1)).await;
            let mut token_now = f.reload(&token).await.unwrap();
            token_now.rotate(f.hash(name), Some(day(5)), day(2));
            assert!(f.state.store.update_service_token(&token_now).await.unwrap());
            token = token_now;
            token
        }
    };
    let laggard = rotate(f.token("laggard", "forever", day(0)).await, "laggard v2").await;
    let prompt = rotate(f.token("prompt", "forever", day(0)).await, "prompt v2").await;
    // The laggard's clients keep sending the old secret after the rotation; the prompt's switch.
    f.used(&laggard, SecretMatch::Previous, day(3)).await;
    f.used(&prompt, SecretMatch::Current, day(3)).await;

    f.clock.set(day(2));
    let before = tick_until(&f, &f.monitor(), &hooks, Timestamp::from_unix(day(5).unix() - 1), 3600).await;
    assert!(before.is_empty(), "the grace period has not ended: {before:?}");
    tick_until(&f, &f.monitor(), &hooks, day(12), 3600).await;

    let received = receiver.received();
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_signed(&received);
    let body = received[0].json();
    assert_eq!(body["type"], events::PREVIOUS_SECRET_STILL_USED);
    assert_eq!(body["data"]["token"]["id"], laggard.id.to_string());
    assert_eq!(body["data"]["previous_client_secret_version"], 1);
    assert_eq!(body["data"]["rotated_at"], day(2).to_string());
    assert_eq!(body["data"]["previous_client_secret_expires_at"], day(5).to_string());
    assert_eq!(body["data"]["previous_client_secret_last_seen_at"], day(3).to_string());
    assert_eq!(body["created_at"], day(5).to_string());
}

#[tokio::test]
async fn a_delivery_answered_500_is_retried_and_arrives_once() {
    let f = Fixture::new().await;
    let receiver = Receiver::start().await;
    receiver.fail_next(1);
    let hooks = webhooks(&f, &receiver, None);
    let token = f.token("t", "24h", day(0)).await;
    let event = Event::expiring(&token, 1, day(0));

    assert_eq!(hooks.deliver(&event).await, vec![Outcome::Delivered { attempts: 2 }]);
    assert_eq!(receiver.attempts(), 2);
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_signed(&received);
    assert_eq!(received[0].header(TIMESTAMP_HEADER), day(0).unix().to_string());
}

#[tokio::test]
async fn a_destination_that_keeps_failing_is_given_up_after_the_bounded_attempts() {
    let f = Fixture::new().await;
    let receiver = Receiver::start().await;
    receiver.fail_next(100);
    let hooks = webhooks(&f, &receiver, None);
    let token = f.token("t", "24h", day(0)).await;
    let outcome = hooks.deliver(&Event::expiring(&token, 1, day(0))).await;
    assert!(matches!(outcome.as_slice(), [Outcome::GaveUp { attempts: 4, .. }]), "{outcome:?}");
    assert_eq!(receiver.attempts(), 4);
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn events_a_destination_did_not_ask_for_are_not_sent() {
    let f = Fixture::new().await;
    let receiver = Receiver::start().await;
    let hooks = webhooks(&f, &receiver, Some(vec![events::INACTIVE]));
    let token = f.token("t", "24h", day(0)).await;
    assert!(hooks.deliver(&Event::expiring(&token, 1, day(0))).await.is_empty());
    assert_eq!(receiver.attempts(), 0);
}

/// The server's wiring: the periodic loop runs at once and the background queue delivers.
#[tokio::test]
async fn the_background_loop_delivers_through_the_queue() {
    let f = Fixture::new().await;
    let receiver = Receiver::start().await;
    f.token("expiring", "48h", day(0)).await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let queue = WebhookQueue::start(webhooks(&f, &receiver, None));
    let clock: Arc<dyn Clock> = f.clock.clone();
    let task = spawn(f.monitor(), clock, Duration::from_secs(3600), queue, stop_rx);

    let received = receiver.wait_for(1).await;
    assert_eq!(received.len(), 1);
    assert_signed(&received);
    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
}
