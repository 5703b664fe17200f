//! Inactivity enforcement: the threshold, disable vs delete, tokens a policy or group names
//! left alone, the gateway told, and each action taken once.

use gatehouse_domain::SecretMatch;

use super::fixture::{Fixture, day, kinds, token_ids};
use crate::jobs::events::INACTIVE;

#[tokio::test]
async fn disable_waits_for_the_threshold_counting_from_creation_or_last_use() {
    let f = Fixture::new().await;
    f.set_inactivity(30, "disable").await;
    let never_used = f.token("never used", "forever", day(0)).await;
    let used = f.token("used on day 10", "forever", day(0)).await;
    f.used(&used, SecretMatch::Current, day(10)).await;
    let young = f.token("created on day 5", "forever", day(5)).await;
    let monitor = f.monitor();

    assert!(monitor.run_once(day(29)).await.unwrap().is_empty(), "nothing is 30 days idle yet");
    let events = monitor.run_once(day(30)).await.unwrap();
    assert_eq!(token_ids(&events), vec![never_used.id.to_string()]);
    assert_eq!(kinds(&events), vec![INACTIVE]);
    assert_eq!(events[0].data["action"], "disable");
    assert_eq!(events[0].data["token"]["enabled"], false);
    assert!(!f.reload(&never_used).await.unwrap().enabled);
    assert!(f.reload(&used).await.unwrap().enabled);
    assert!(f.reload(&young).await.unwrap().enabled);
    assert_eq!(
        f.gateway.changed.lock().unwrap().iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![never_used.id]
    );

    let events = monitor.run_once(day(40)).await.unwrap();
    let mut ids = token_ids(&events);
    ids.sort();
    let mut expected = vec![used.id.to_string(), young.id.to_string()];
    expected.sort();
    assert_eq!(ids, expected, "day 40: 30 days after the last use and after creation");
    for later in [day(41), day(100), day(400)] {
        assert!(monitor.run_once(later).await.unwrap().is_empty(), "no action or event repeats");
    }
}

#[tokio::test]
async fn delete_removes_the_token_and_tells_the_gateway() {
    let f = Fixture::new().await;
    f.set_inactivity(90, "delete").await;
    let idle = f.token("idle", "forever", day(0)).await;
    let busy = f.token("busy", "forever", day(0)).await;
    f.used(&busy, SecretMatch::Current, day(80)).await;
    let monitor = f.monitor();

    assert!(monitor.run_once(day(89)).await.unwrap().is_empty());
    let events = monitor.run_once(day(90)).await.unwrap();
    assert_eq!(token_ids(&events), vec![idle.id.to_string()]);
    assert_eq!(events[0].data["action"], "delete");
    assert_eq!(events[0].data["inactivity_threshold_days"], 90);
    assert_eq!(f.reload(&idle).await, None);
    assert!(f.reload(&busy).await.is_some());
    assert_eq!(*f.gateway.deleted.lock().unwrap(), vec![idle.id]);
    assert!(monitor.run_once(day(91)).await.unwrap().is_empty());
}

#[tokio::test]
async fn tokens_a_policy_or_group_names_are_never_touched() {
    let f = Fixture::new().await;
    f.set_inactivity(30, "delete").await;
    let in_policy = f.token("in a policy", "forever", day(0)).await;
    let in_group = f.token("in a group", "forever", day(0)).await;
    let loose = f.token("loose", "forever", day(0)).await;
    f.policy_naming(&in_policy).await;
    f.group_naming(&in_group).await;

    let events = f.monitor().run_once(day(365)).await.unwrap();
    assert_eq!(token_ids(&events), vec![loose.id.to_string()]);
    assert!(f.reload(&in_policy).await.is_some());
    assert!(f.reload(&in_group).await.is_some());
    assert_eq!(*f.gateway.deleted.lock().unwrap(), vec![loose.id]);
}

#[tokio::test]
async fn nothing_happens_without_an_enabled_setting() {
    let f = Fixture::new().await;
    let idle = f.token("idle", "forever", day(0)).await;
    assert!(f.monitor().run_once(day(400)).await.unwrap().is_empty(), "no organization setting");
    let mut changes = serde_json::Map::new();
    changes.insert(
        "service_token_inactivity".into(),
        serde_json::json!({"enabled": false, "inactivity_threshold_days": 30, "action": "delete"}),
    );
    gatehouse_api::access::organization::update(&f.state, &super::fixture::operator(), &f.account, changes)
        .await
        .unwrap();
    assert!(f.monitor().run_once(day(400)).await.unwrap().is_empty(), "disabled setting");
    assert!(f.reload(&idle).await.unwrap().enabled);
}

/// An operator who re-enables a token the job disabled is not overruled until the token has
/// been used and then idle for a whole threshold again.
#[tokio::test]
async fn a_re_enabled_token_stays_enabled_until_a_new_idle_period() {
    let f = Fixture::new().await;
    f.set_inactivity(30, "disable").await;
    let token = f.token("seasonal", "forever", day(0)).await;
    let monitor = f.monitor();
    assert_eq!(monitor.run_once(day(30)).await.unwrap().len(), 1);

    let mut enabled = f.reload(&token).await.unwrap();
    enabled.apply(gatehouse_domain::TokenChanges { enabled: Some(true), ..Default::default() }, day(31));
    assert!(f.state.store.update_service_token(&enabled).await.unwrap());
    assert!(monitor.run_once(day(32)).await.unwrap().is_empty());
    assert!(f.reload(&token).await.unwrap().enabled);

    f.used(&enabled, SecretMatch::Current, day(35)).await;
    assert!(monitor.run_once(day(64)).await.unwrap().is_empty());
    assert_eq!(monitor.run_once(day(65)).await.unwrap().len(), 1, "idle 30 days after the new use");
    assert!(!f.reload(&token).await.unwrap().enabled);
}
