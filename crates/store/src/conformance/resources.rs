//! Access resources: documents read back as written, per account and across accounts, and
//! batches of changes that apply whole or not at all.

use gatehouse_domain::{AccountId, Timestamp};

use super::fixtures::{T0, another_account, at, bootstrapped};
use crate::{Resource, ResourceChange, ResourceKind, Store, StoreError};

/// A new resource at revision 1, created at `T0`.
fn resource(kind: ResourceKind, account: &AccountId, id: &str, body: &str) -> Resource {
    Resource {
        kind,
        id: id.to_owned(),
        account_id: account.clone(),
        body: body.to_owned(),
        created_at: T0,
        updated_at: T0,
        revision: 1,
    }
}

fn app(account: &AccountId, id: &str) -> Resource {
    let body = format!(r#"{{"name":"{id}","domain":"{id}.example.com"}}"#);
    resource(ResourceKind::Application, account, id, &body)
}

/// `resource` with a new body, as written at `now`: the revision one past it.
fn edited(resource: &Resource, body: &str, now: Timestamp) -> Resource {
    Resource { body: body.to_owned(), updated_at: now, revision: resource.revision + 1, ..resource.clone() }
}

fn delete(resource: &Resource) -> ResourceChange {
    ResourceChange::Delete {
        kind: resource.kind,
        account_id: resource.account_id.clone(),
        id: resource.id.clone(),
    }
}

async fn insert(store: &dyn Store, resources: &[&Resource]) {
    let changes: Vec<ResourceChange> =
        resources.iter().map(|r| ResourceChange::Insert((*r).clone())).collect();
    store.apply(&changes).await.unwrap();
}

async fn get(store: &dyn Store, resource: &Resource) -> Option<Resource> {
    store.get_resource(resource.kind, &resource.account_id, &resource.id).await.unwrap()
}

#[track_caller]
fn assert_err(result: Result<(), StoreError>, conflict: bool, what: &str) {
    let expected = if conflict { "Conflict" } else { "Stale" };
    let ok = match &result {
        Err(StoreError::Conflict(_)) => conflict,
        Err(StoreError::Stale) => !conflict,
        _ => false,
    };
    assert!(ok, "{what}: expected {expected}, got {result:?}");
}

/// Documents come back byte for byte, listed in creation order (not id order), kind by kind.
pub async fn resources_round_trip_in_creation_order(store: &dyn Store) {
    let account = bootstrapped(store).await;
    assert_eq!(store.list_resources(ResourceKind::Application, &account).await.unwrap(), vec![]);

    let (c, a, b) = (app(&account, "c"), app(&account, "a"), app(&account, "b"));
    let unicode = resource(
        ResourceKind::Policy,
        &account,
        "p",
        "{\"name\": \"Zugang für alle — ✓\",\n  \"include\": [{\"everyone\": {}}], \"precedence\": 1}",
    );
    let organization = resource(ResourceKind::Organization, &account, account.as_str(), r#"{"name":"Acme"}"#);
    insert(store, &[&c, &a, &unicode]).await;
    insert(store, &[&b, &organization]).await;

    for resource in [&c, &a, &b, &unicode, &organization] {
        assert_eq!(get(store, resource).await.as_ref(), Some(resource), "{}", resource.id);
    }
    let apps = store.list_resources(ResourceKind::Application, &account).await.unwrap();
    assert_eq!(apps, vec![c, a, b]);
    assert_eq!(store.list_resources(ResourceKind::Policy, &account).await.unwrap(), vec![unicode]);
    assert_eq!(store.list_resources(ResourceKind::Organization, &account).await.unwrap(), vec![organization]);
    assert_eq!(store.list_resources(ResourceKind::Group, &account).await.unwrap(), vec![]);
    assert_eq!(
        store.get_resource(ResourceKind::Group, &account, "a").await.unwrap(),
        None,
        "kinds are apart"
    );
    assert_eq!(store.get_resource(ResourceKind::Application, &account, "z").await.unwrap(), None);
}

pub async fn resources_of_another_account_are_invisible(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let other = another_account(store, "Other").await;
    let mine = app(&account, "mine");
    insert(store, &[&mine]).await;

    assert_eq!(store.get_resource(mine.kind, &other, &mine.id).await.unwrap(), None);
    assert_eq!(store.list_resources(mine.kind, &other).await.unwrap(), vec![]);

    let foreign = Resource { account_id: other.clone(), ..edited(&mine, r#"{"name":"stolen"}"#, at(10)) };
    assert_err(
        store.apply(&[ResourceChange::Update(foreign.clone())]).await,
        false,
        "update via another account",
    );
    assert_err(store.apply(&[delete(&foreign)]).await, false, "delete via another account");
    assert_eq!(get(store, &mine).await, Some(mine));
}

/// The gateway's snapshot: every account's resources of a kind, in creation order.
pub async fn all_resources_spans_accounts(store: &dyn Store) {
    let first = bootstrapped(store).await;
    let second = another_account(store, "Second").await;
    assert_eq!(store.all_resources(ResourceKind::Application).await.unwrap(), vec![]);

    let (a1, b1, a2) = (app(&first, "a1"), app(&second, "b1"), app(&first, "a2"));
    let keys = resource(ResourceKind::SigningKeys, &second, second.as_str(), r#"{"keys":[]}"#);
    insert(store, &[&a1]).await;
    insert(store, &[&b1, &keys]).await;
    insert(store, &[&a2]).await;

    assert_eq!(
        store.all_resources(ResourceKind::Application).await.unwrap(),
        vec![a1.clone(), b1, a2.clone()]
    );
    assert_eq!(store.all_resources(ResourceKind::SigningKeys).await.unwrap(), vec![keys]);
    assert_eq!(store.all_resources(ResourceKind::Policy).await.unwrap(), vec![]);
    assert_eq!(store.list_resources(ResourceKind::Application, &first).await.unwrap(), vec![a1, a2]);
}

pub async fn resource_update_checks_the_revision(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let original = app(&account, "app");
    insert(store, &[&original]).await;

    let first = edited(&original, r#"{"name":"first"}"#, at(60));
    let second = edited(&original, r#"{"name":"second"}"#, at(70));
    store.apply(&[ResourceChange::Update(first.clone())]).await.unwrap();
    assert_eq!(get(store, &original).await.as_ref(), Some(&first), "body, updated_at and revision written");
    assert_eq!(store.list_resources(original.kind, &account).await.unwrap(), vec![first.clone()]);

    let update = |resource: &Resource| [ResourceChange::Update(resource.clone())];
    assert_err(store.apply(&update(&second)).await, false, "a writer that read an older revision");
    assert_err(store.apply(&update(&first)).await, false, "the same revision written twice");
    let ahead = edited(&edited(&first, "{}", at(80)), "{}", at(90));
    assert_err(store.apply(&update(&ahead)).await, false, "a revision that skips one");
    let missing = edited(&app(&account, "missing"), "{}", at(80));
    assert_err(store.apply(&update(&missing)).await, false, "a resource never inserted");
    assert_eq!(get(store, &original).await, Some(first.clone()));

    let third = edited(&first, r#"{"name":"third"}"#, at(100));
    store.apply(&update(&third)).await.unwrap();
    assert_eq!(get(store, &original).await, Some(third));
}

pub async fn concurrent_resource_updates_let_one_writer_win(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let original = app(&account, "contended");
    insert(store, &[&original]).await;

    let writers: Vec<Resource> =
        (0..4).map(|i| edited(&original, &format!(r#"{{"writer":{i}}}"#), at(i))).collect();
    let batches: Vec<[ResourceChange; 1]> =
        writers.iter().map(|writer| [ResourceChange::Update(writer.clone())]).collect();
    let (a, b, c, d) = tokio::join!(
        store.apply(&batches[0]),
        store.apply(&batches[1]),
        store.apply(&batches[2]),
        store.apply(&batches[3]),
    );
    let results = [a, b, c, d];
    let winners: Vec<usize> = (0..4).filter(|i| results[*i].is_ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one writer wins: {results:?}");
    let stale = results.iter().filter(|r| matches!(r, Err(StoreError::Stale))).count();
    assert_eq!(stale, 3, "the others are told to read again: {results:?}");
    assert_eq!(get(store, &original).await.as_ref(), Some(&writers[winners[0]]));
}

pub async fn resource_delete_removes_it(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let (doomed, kept) = (app(&account, "doomed"), app(&account, "kept"));
    insert(store, &[&doomed, &kept]).await;

    store.apply(&[delete(&doomed)]).await.unwrap();
    assert_eq!(get(store, &doomed).await, None);
    assert_eq!(store.list_resources(doomed.kind, &account).await.unwrap(), vec![kept.clone()]);
    assert_err(store.apply(&[delete(&doomed)]).await, false, "a second delete");
    assert_err(store.apply(&[delete(&app(&account, "never"))]).await, false, "a resource never inserted");
    let other_kind = Resource { kind: ResourceKind::Group, ..kept.clone() };
    assert_err(store.apply(&[delete(&other_kind)]).await, false, "the right id of another kind");
    assert_eq!(get(store, &kept).await, Some(kept));
}

/// (kind, id) is unique across accounts; the same id under another kind is another resource.
pub async fn duplicate_resource_insert_is_a_conflict(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let other = another_account(store, "Other").await;
    let original = app(&account, "shared-id");
    insert(store, &[&original]).await;

    let insert_one = |resource: Resource| [ResourceChange::Insert(resource)];
    let again = Resource { body: r#"{"name":"again"}"#.to_owned(), ..original.clone() };
    assert_err(store.apply(&insert_one(again)).await, true, "the same (kind, id)");
    assert_err(
        store.apply(&insert_one(app(&other, "shared-id"))).await,
        true,
        "the same (kind, id) elsewhere",
    );
    let twice =
        [ResourceChange::Insert(app(&account, "twice")), ResourceChange::Insert(app(&account, "twice"))];
    assert_err(store.apply(&twice).await, true, "one id twice in a batch");

    assert_eq!(store.list_resources(original.kind, &account).await.unwrap(), vec![original.clone()]);
    assert_eq!(store.list_resources(original.kind, &other).await.unwrap(), vec![]);
    let policy = resource(ResourceKind::Policy, &account, "shared-id", "{}");
    insert(store, &[&policy]).await;
    assert_eq!(get(store, &policy).await, Some(policy));
}

/// A batch whose last change fails leaves every earlier change of it undone, and the store
/// takes the next batch as usual.
pub async fn a_failing_batch_changes_nothing(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let (edited_app, removed_app) = (app(&account, "edited"), app(&account, "removed"));
    insert(store, &[&edited_app, &removed_app]).await;
    let before = store.list_resources(ResourceKind::Application, &account).await.unwrap();

    let new_app = app(&account, "new");
    let stale = edited(&edited_app, "{}", at(10));
    let failing = [
        ResourceChange::Insert(new_app.clone()),
        ResourceChange::Update(edited(&edited_app, r#"{"name":"changed"}"#, at(10))),
        delete(&removed_app),
        ResourceChange::Update(stale),
    ];
    assert_err(store.apply(&failing).await, false, "the batch's stale update");
    let conflicting = [ResourceChange::Insert(new_app.clone()), ResourceChange::Insert(removed_app.clone())];
    assert_err(store.apply(&conflicting).await, true, "the batch's duplicate insert");

    assert_eq!(store.list_resources(ResourceKind::Application, &account).await.unwrap(), before);
    assert_eq!(get(store, &new_app).await, None);

    let working = [ResourceChange::Insert(new_app.clone()), delete(&removed_app)];
    store.apply(&working).await.unwrap();
    assert_eq!(
        store.list_resources(ResourceKind::Application, &account).await.unwrap(),
        vec![edited_app, new_app]
    );
    store.apply(&[]).await.unwrap();
}

/// Every kind, Zero Trust lists included, is stored apart under the same id, read back whole
/// per account and across accounts; a list's items travel in its document, so appending one is
/// an update of the list at the next revision.
pub async fn every_resource_kind_round_trips_apart(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let other = another_account(store, "Other").await;
    let id = "6a1f0c2e-5b3d-4e8f-9a7c-1d2e3f4a5b6c";
    let each: Vec<Resource> = ResourceKind::ALL
        .into_iter()
        .map(|kind| resource(kind, &account, id, &format!(r#"{{"kind":"{}"}}"#, kind.as_str())))
        .collect();
    insert(store, &each.iter().collect::<Vec<_>>()).await;
    for resource in &each {
        assert_eq!(get(store, resource).await.as_ref(), Some(resource), "{:?}", resource.kind);
        assert_eq!(store.list_resources(resource.kind, &account).await.unwrap(), vec![resource.clone()]);
        assert_eq!(store.all_resources(resource.kind).await.unwrap(), vec![resource.clone()]);
        assert_eq!(store.list_resources(resource.kind, &other).await.unwrap(), vec![]);
    }

    let items = r#"{"name":"staff","description":"","type":"EMAIL","items":[{"value":"alice@example.com","created_at":"2026-01-01T00:00:00Z"}]}"#;
    let list = resource(ResourceKind::GatewayList, &other, "0b6e2c1e-8d0f-4a52-9c1e-3f0c2b6a7d10", items);
    insert(store, &[&list]).await;
    let appended =
        items.replace("}]}", r#"},{"value":"bob@example.com","created_at":"2026-01-02T00:00:00Z"}]}"#);
    let appended = edited(&list, &appended, at(20));
    store.apply(&[ResourceChange::Update(appended.clone())]).await.unwrap();
    assert_eq!(get(store, &list).await, Some(appended.clone()));
    assert_eq!(store.all_resources(ResourceKind::GatewayList).await.unwrap().len(), 2);
    assert_err(
        store.apply(&[ResourceChange::Update(edited(&list, items, at(30)))]).await,
        false,
        "stale list",
    );
    store.apply(&[delete(&appended)]).await.unwrap();
    assert_eq!(get(store, &list).await, None);
    assert_eq!(
        store.list_resources(ResourceKind::GatewayList, &account).await.unwrap().len(),
        1,
        "the other account's list stays"
    );
}
