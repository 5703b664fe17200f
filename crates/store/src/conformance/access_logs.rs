//! The access log: records read back exactly, newest first by default with ties in insertion
//! order, every filter (and its negation), pagination with a complete total, accounts kept
//! apart, and pruning by age.

use gatehouse_domain::access::{AppId, IdpId, PolicyId};
use gatehouse_domain::{AccountId, Timestamp, TokenId};

use super::fixtures::{another_account, at, bootstrapped};
use crate::{
    AccessLogQuery, AccessLogRecord, Direction, Match, PageRequest, RecordedPerson, Store, TextMatch,
};

/// A denied anonymous request at `T0 + seconds` with this Ray ID.
fn record(account: &AccountId, ray: &str, seconds: i64) -> AccessLogRecord {
    AccessLogRecord {
        account_id: account.clone(),
        ray_id: ray.to_owned(),
        created_at: at(seconds),
        allowed: false,
        app_uid: AppId::generate(),
        app_domain: "app.example.com/admin".to_owned(),
        ip_address: "192.0.2.7".to_owned(),
        is_service_token: false,
        service_token_id: None,
        client_id: None,
        policy_id: None,
        decision: None,
        reason: Some("missing_credentials".to_owned()),
        status: 403,
        method: "GET".to_owned(),
        person: None,
    }
}

/// An allowed service-token request.
fn allowed(account: &AccountId, ray: &str, seconds: i64, token: TokenId) -> AccessLogRecord {
    AccessLogRecord {
        allowed: true,
        is_service_token: true,
        service_token_id: Some(token),
        client_id: Some("0123456789abcdef0123456789abcdef.access".to_owned()),
        policy_id: Some(PolicyId::generate()),
        decision: Some("non_identity".to_owned()),
        reason: None,
        status: 200,
        method: "POST".to_owned(),
        ..record(account, ray, seconds)
    }
}

fn query() -> AccessLogQuery {
    AccessLogQuery { page: PageRequest { offset: 0, limit: 1000 }, ..AccessLogQuery::default() }
}

async fn rays(store: &dyn Store, account: &AccountId, query: &AccessLogQuery) -> (Vec<String>, u64) {
    let page = store.list_access_logs(account, query).await.unwrap();
    (page.items.into_iter().map(|r| r.ray_id).collect(), page.total)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

pub async fn access_logs_round_trip_newest_first(store: &dyn Store) {
    let account = bootstrapped(store).await;
    assert_eq!(rays(store, &account, &query()).await, (vec![], 0));
    let token = TokenId::generate();
    let batch = [
        record(&account, "00000000000000a1", 10),
        allowed(&account, "00000000000000a2", 20, token),
        record(&account, "00000000000000a3", 20),
    ];
    store.insert_access_logs(&batch).await.unwrap();
    store.insert_access_logs(&[]).await.unwrap();

    let page = store.list_access_logs(&account, &query()).await.unwrap();
    assert_eq!(page.total, 3);
    let expected: Vec<_> = batch.iter().rev().cloned().collect();
    assert_eq!(page.items, expected, "newest first; the later insert first within a second");

    let ascending = AccessLogQuery { direction: Direction::Asc, ..query() };
    assert_eq!(store.list_access_logs(&account, &ascending).await.unwrap().items, batch);
}

/// A batch the size of several statements (the gateway writes up to 256 at a time, and more
/// after an outage), its records sharing some values with their neighbours and not others (a
/// token and a NULL in turn, a new application each): every record stored once, in the batch's
/// order, read back exactly.
pub async fn access_log_batches_of_any_size_keep_every_record_in_order(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let token = TokenId::generate();
    let batch: Vec<AccessLogRecord> = (0..1_234)
        .map(|i| {
            let ray = format!("{i:016x}");
            if i % 3 == 0 { allowed(&account, &ray, 5, token) } else { record(&account, &ray, 5) }
        })
        .collect();
    store.insert_access_logs(&batch).await.unwrap();
    store.insert_access_logs(&batch[..7]).await.unwrap();
    let all = AccessLogQuery {
        direction: Direction::Asc,
        page: PageRequest { offset: 0, limit: 5_000 },
        ..AccessLogQuery::default()
    };
    let page = store.list_access_logs(&account, &all).await.unwrap();
    assert_eq!(page.total, 1_241);
    assert_eq!(page.items[..1_234], batch[..], "every record, in order, read back exactly");
    assert_eq!(page.items[1_234..], batch[..7]);
}

pub async fn access_logs_of_another_account_are_invisible(store: &dyn Store) {
    let first = bootstrapped(store).await;
    let second = another_account(store, "Second").await;
    store
        .insert_access_logs(&[record(&first, "1111111111111111", 1), record(&second, "2222222222222222", 2)])
        .await
        .unwrap();
    assert_eq!(rays(store, &first, &query()).await, (strings(&["1111111111111111"]), 1));
    assert_eq!(rays(store, &second, &query()).await, (strings(&["2222222222222222"]), 1));
}

pub async fn access_log_filters_apply_and_negate(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let token = TokenId::generate();
    let a = record(&account, "000000000000000a", 10);
    let b = allowed(&account, "000000000000000b", 20, token);
    let c = AccessLogRecord {
        client_id: Some("other.access".to_owned()),
        is_service_token: true,
        ..record(&account, "000000000000000c", 30)
    };
    store.insert_access_logs(&[a.clone(), b.clone(), c.clone()]).await.unwrap();
    let asc = AccessLogQuery { direction: Direction::Asc, ..query() };
    let cases: Vec<(AccessLogQuery, &[&str])> = vec![
        (AccessLogQuery { since: Some(at(20)), ..asc.clone() }, &["000000000000000b", "000000000000000c"]),
        (AccessLogQuery { until: Some(at(20)), ..asc.clone() }, &["000000000000000a", "000000000000000b"]),
        (AccessLogQuery { since: Some(at(11)), until: Some(at(29)), ..asc.clone() }, &["000000000000000b"]),
        (AccessLogQuery { allowed: Some(true), ..asc.clone() }, &["000000000000000b"]),
        (AccessLogQuery { allowed: Some(false), ..asc.clone() }, &["000000000000000a", "000000000000000c"]),
        (
            AccessLogQuery { is_service_token: Some(true), ..asc.clone() },
            &["000000000000000b", "000000000000000c"],
        ),
        (AccessLogQuery { is_service_token: Some(false), ..asc.clone() }, &["000000000000000a"]),
        (AccessLogQuery { app_uid: Some(Match::Eq(a.app_uid)), ..asc.clone() }, &["000000000000000a"]),
        (
            AccessLogQuery { app_uid: Some(Match::Neq(a.app_uid)), ..asc.clone() },
            &["000000000000000b", "000000000000000c"],
        ),
        (
            AccessLogQuery { ray_id: Some(Match::Eq("000000000000000c".into())), ..asc.clone() },
            &["000000000000000c"],
        ),
        (
            AccessLogQuery { ray_id: Some(Match::Neq("000000000000000c".into())), ..asc.clone() },
            &["000000000000000a", "000000000000000b"],
        ),
        (AccessLogQuery { service_token_id: Some(token), ..asc.clone() }, &["000000000000000b"]),
        (AccessLogQuery { service_token_id: Some(TokenId::generate()), ..asc.clone() }, &[]),
        (AccessLogQuery { client_id: Some("other.access".into()), ..asc.clone() }, &["000000000000000c"]),
        (
            AccessLogQuery {
                allowed: Some(false),
                is_service_token: Some(true),
                since: Some(at(0)),
                ..asc.clone()
            },
            &["000000000000000c"],
        ),
    ];
    for (query, expected) in cases {
        let (found, total) = rays(store, &account, &query).await;
        assert_eq!(found, strings(expected), "{query:?}");
        assert_eq!(total, expected.len() as u64, "{query:?}");
    }
}

/// A request admitted by a person's session.
fn by_person(account: &AccountId, ray: &str, seconds: i64, email: &str) -> AccessLogRecord {
    AccessLogRecord {
        allowed: true,
        policy_id: Some(PolicyId::generate()),
        decision: Some("allow".to_owned()),
        reason: None,
        status: 200,
        person: Some(RecordedPerson {
            email: email.to_owned(),
            idp_id: Some(IdpId::generate()),
            idp_type: Some("oidc".to_owned()),
        }),
        ..record(account, ray, seconds)
    }
}

pub async fn access_logs_keep_people_and_filter_by_email(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let alice = by_person(&account, "00000000000000e1", 10, "alice@example.com");
    let bob = by_person(&account, "00000000000000e2", 20, "bob@example.org");
    let bob_without_idp = AccessLogRecord {
        person: Some(RecordedPerson { email: "bob@example.org".into(), idp_id: None, idp_type: None }),
        ..by_person(&account, "00000000000000e3", 25, "")
    };
    let anonymous = record(&account, "00000000000000e4", 30);
    let batch = [alice.clone(), bob.clone(), bob_without_idp.clone(), anonymous.clone()];
    store.insert_access_logs(&batch).await.unwrap();
    let asc = AccessLogQuery { direction: Direction::Asc, ..query() };
    let page = store.list_access_logs(&account, &asc).await.unwrap();
    assert_eq!(page.items, batch, "the person, their provider and its type read back exactly");
    let email = |m: TextMatch| AccessLogQuery { user_email: Some(m), ..asc.clone() };
    let cases: Vec<(AccessLogQuery, &[&str])> = vec![
        (email(TextMatch::Eq("alice@example.com".into())), &["00000000000000e1"]),
        (email(TextMatch::Eq("ALICE@Example.com".into())), &["00000000000000e1"]),
        (email(TextMatch::Eq("alice".into())), &[]),
        (email(TextMatch::Contains("example.org".into())), &["00000000000000e2", "00000000000000e3"]),
        (
            email(TextMatch::Contains("EXAMPLE".into())),
            &["00000000000000e1", "00000000000000e2", "00000000000000e3"],
        ),
        (email(TextMatch::Neq("bob@example.org".into())), &["00000000000000e1", "00000000000000e4"]),
        // A record without a person has the e-mail address "".
        (email(TextMatch::Eq(String::new())), &["00000000000000e4"]),
        (
            AccessLogQuery {
                is_service_token: Some(false),
                allowed: Some(true),
                ..email(TextMatch::Contains("@".into()))
            },
            &["00000000000000e1", "00000000000000e2", "00000000000000e3"],
        ),
    ];
    for (query, expected) in cases {
        let (found, total) = rays(store, &account, &query).await;
        assert_eq!(found, strings(expected), "{query:?}");
        assert_eq!(total, expected.len() as u64, "{query:?}");
    }
    let mut replayed = Vec::new();
    store.replay_access_logs(&account, &alice.app_uid, at(0), 10, &mut |r| replayed.push(r)).await.unwrap();
    assert_eq!(replayed, [alice], "a replay hands the person too");
}

pub async fn access_logs_page_through_offset_and_limit(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let batch: Vec<_> = (0..7).map(|i| record(&account, &format!("{i:016x}"), i / 2)).collect();
    store.insert_access_logs(&batch).await.unwrap();
    let page = |offset, limit, direction| AccessLogQuery {
        page: PageRequest { offset, limit },
        direction,
        ..query()
    };

    let (first, total) = rays(store, &account, &page(0, 3, Direction::Desc)).await;
    assert_eq!((first, total), (strings(&["0000000000000006", "0000000000000005", "0000000000000004"]), 7));
    let (third, total) = rays(store, &account, &page(6, 3, Direction::Desc)).await;
    assert_eq!((third, total), (strings(&["0000000000000000"]), 7));
    let (past, total) = rays(store, &account, &page(9, 3, Direction::Desc)).await;
    assert_eq!((past, total), (vec![], 7), "a page past the end is empty, with the total");
    let (second, _) = rays(store, &account, &page(3, 3, Direction::Asc)).await;
    assert_eq!(second, strings(&["0000000000000003", "0000000000000004", "0000000000000005"]));
}

pub async fn prune_removes_only_older_access_logs(store: &dyn Store) {
    let first = bootstrapped(store).await;
    let second = another_account(store, "Second").await;
    let batch = [
        record(&first, "0000000000000001", 10),
        record(&second, "0000000000000002", 19),
        record(&first, "0000000000000003", 20),
        record(&second, "0000000000000004", 30),
    ];
    store.insert_access_logs(&batch).await.unwrap();
    assert_eq!(store.prune_access_logs(at(20)).await.unwrap(), 2, "every account, strictly older");
    assert_eq!(rays(store, &first, &query()).await, (strings(&["0000000000000003"]), 1));
    assert_eq!(rays(store, &second, &query()).await, (strings(&["0000000000000004"]), 1));
    assert_eq!(store.prune_access_logs(at(20)).await.unwrap(), 0);
    assert_eq!(store.prune_access_logs(Timestamp::FOREVER).await.unwrap(), 2);
}

/// Chart counts: per bucket and outcome, split by client id (only the named ones) or by reason.
pub async fn access_activity_counts_by_bucket(store: &dyn Store) {
    use crate::{ActivityCount, ActivityQuery};
    let account = bootstrapped(store).await;
    let (one, two) = (TokenId::generate(), TokenId::generate());
    let one_client = "0123456789abcdef0123456789abcdef.access".to_owned();
    let other = another_account(store, "other").await;
    store
        .insert_access_logs(&[
            record(&account, "00000000000000b0", 5),
            allowed(&account, "00000000000000b1", 10, one),
            allowed(&account, "00000000000000b2", 15, one),
            AccessLogRecord {
                client_id: Some(one_client.clone()),
                ..record(&account, "00000000000000b3", 70)
            },
            AccessLogRecord {
                client_id: Some("another.access".to_owned()),
                ..allowed(&account, "00000000000000b4", 75, two)
            },
            AccessLogRecord {
                reason: Some("wrong_secret".to_owned()),
                ..record(&account, "00000000000000b5", 80)
            },
            allowed(&other, "00000000000000b6", 10, one),
        ])
        .await
        .unwrap();
    let count = |client_id: Option<&str>, bucket, allowed, reason: Option<&str>, count| ActivityCount {
        client_id: client_id.map(str::to_owned),
        bucket,
        allowed,
        reason: reason.map(str::to_owned),
        count,
    };
    let sorted = |mut counts: Vec<ActivityCount>| {
        counts.sort_by_key(|c| (c.client_id.clone(), c.bucket, c.allowed, c.reason.clone()));
        counts
    };
    let by_client = ActivityQuery {
        since: at(10),
        bucket_secs: 60,
        client_ids: Some(vec![one_client.clone(), "none\"yet".to_owned()]),
        by_reason: false,
    };
    let counts = sorted(store.access_activity(&account, &by_client).await.unwrap());
    assert_eq!(
        counts,
        [count(Some(&one_client), 0, true, None, 2), count(Some(&one_client), 1, false, None, 1)]
    );

    let by_reason = ActivityQuery { since: at(0), bucket_secs: 60, client_ids: None, by_reason: true };
    let counts = sorted(store.access_activity(&account, &by_reason).await.unwrap());
    assert_eq!(
        counts,
        [
            count(None, 0, false, Some("missing_credentials"), 1),
            count(None, 0, true, None, 2),
            count(None, 1, false, Some("missing_credentials"), 1),
            count(None, 1, false, Some("wrong_secret"), 1),
            count(None, 1, true, None, 1),
        ]
    );
}

/// A replay hands one application's records from `since`, newest first with ties in reverse
/// insertion order, each once, across batches (more records than one batch, many in the same
/// second), and stops at the limit.
pub async fn replay_hands_an_apps_records_newest_first_across_batches(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let app = AppId::generate();
    let total = usize::try_from(crate::REPLAY_BATCH).unwrap() + 7;
    // Three records a second, so batches end in the middle of a second.
    let mut records: Vec<AccessLogRecord> = (0..total)
        .map(|i| {
            let seconds = i64::try_from(i / 3).unwrap();
            AccessLogRecord { app_uid: app, ..record(&account, &format!("{i:016x}"), seconds) }
        })
        .collect();
    records.push(record(&account, "ffffffffffffff01", 5));
    records.push(AccessLogRecord { app_uid: app, ..record(&account, "ffffffffffffff02", -10) });
    store.insert_access_logs(&records).await.unwrap();
    let mut seen = Vec::new();
    let handed = store
        .replay_access_logs(&account, &app, at(0), u64::MAX, &mut |record| seen.push(record.ray_id))
        .await
        .unwrap();
    let expected: Vec<String> = (0..total).rev().map(|i| format!("{i:016x}")).collect();
    assert_eq!(handed, u64::try_from(total).unwrap());
    assert_eq!(seen.len(), expected.len());
    assert!(seen == expected, "newest first, each once");
    let mut few = Vec::new();
    let handed = store
        .replay_access_logs(&account, &app, at(0), 4, &mut |record| few.push(record.ray_id))
        .await
        .unwrap();
    assert_eq!((handed, few), (4, expected[..4].to_vec()));
    let other = another_account(store, "other").await;
    let mut none = 0;
    store.replay_access_logs(&other, &app, at(-100), 10, &mut |_| none += 1).await.unwrap();
    assert_eq!(none, 0, "another account's records are not replayed");
}
