//! The audit log: appends form a valid hash chain per account, also when several writers (two
//! stores on one database, as two nodes) append at once; lists filter and page.

use gatehouse_domain::{AccountId, AuditActor, AuditEntry, AuditRecord, ChainVerifier, TokenId};

use super::fixtures::{another_account, at, bootstrapped};
use crate::{AuditFilter, PageRequest, Store, StoreError};

fn entry(account: &AccountId, seconds: i64, action: &str, resource_type: &str) -> AuditEntry {
    AuditEntry {
        id: TokenId::generate().to_string(),
        account_id: account.clone(),
        when: at(seconds),
        actor: AuditActor {
            id: "a1b2".into(),
            name: "admin — Ünïcode".into(),
            kind: "token".into(),
            ip: Some("::1".into()),
        },
        action: action.into(),
        resource_type: resource_type.into(),
        resource_id: TokenId::generate().to_string(),
        old_value: (action != "create").then(|| r#"{"name":"before","n":1}"#.into()),
        new_value: (action != "delete").then(|| r#"{"name":"after",  "n":2}"#.into()),
    }
}

/// Verifies the whole chain of `account`, reading it in pages of 3.
async fn verify(store: &dyn Store, account: &AccountId) -> u64 {
    let mut verifier = ChainVerifier::new(account.clone());
    loop {
        let page = store.audit_chain(account, verifier.next_seq() - 1, 3).await.unwrap();
        if page.is_empty() {
            return verifier.verified();
        }
        for record in &page {
            verifier.check(record).unwrap();
        }
    }
}

fn all() -> PageRequest {
    PageRequest { offset: 0, limit: 1000 }
}

pub async fn audit_appends_form_a_chain_that_reads_back_exactly(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let first = entry(&account, 1, "create", "service_token");
    let sealed = store.append_audit(&first).await.unwrap();
    assert_eq!(sealed.seq, 1);
    assert_eq!(sealed.prev_hash, gatehouse_domain::audit::GENESIS_HASH);
    assert_eq!(sealed, AuditRecord::seal(first, 1, gatehouse_domain::audit::GENESIS_HASH).unwrap());
    let second = store.append_audit(&entry(&account, 2, "update", "service_token")).await.unwrap();
    assert_eq!((second.seq, second.prev_hash.as_str()), (2, sealed.hash.as_str()));
    let third = store.append_audit(&entry(&account, 2, "delete", "application")).await.unwrap();

    let stored = store.audit_chain(&account, 0, 100).await.unwrap();
    assert_eq!(stored, vec![sealed, second, third], "records read back byte for byte");
    assert_eq!(verify(store, &account).await, 3);
}

pub async fn audit_chains_are_per_account(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let other = another_account(store, "Other").await;
    store.append_audit(&entry(&account, 1, "create", "policy")).await.unwrap();
    let theirs = store.append_audit(&entry(&other, 1, "create", "policy")).await.unwrap();
    assert_eq!(theirs.seq, 1, "each account's chain starts at 1");
    store.append_audit(&entry(&account, 2, "update", "policy")).await.unwrap();

    assert_eq!(store.list_audit(&other, &AuditFilter::default(), all()).await.unwrap().total, 1);
    assert_eq!(store.audit_chain(&other, 0, 10).await.unwrap(), vec![theirs]);
    assert_eq!(verify(store, &account).await, 2);
}

pub async fn audit_list_filters_and_pages(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let actions =
        [("create", "service_token"), ("update", "service_token"), ("create", "group"), ("delete", "group")];
    let mut records = Vec::new();
    for (i, (action, kind)) in actions.iter().enumerate() {
        records.push(store.append_audit(&entry(&account, i as i64 * 10, action, kind)).await.unwrap());
    }
    let newest = AuditFilter { newest_first: true, ..AuditFilter::default() };
    let page = store.list_audit(&account, &newest, PageRequest { offset: 1, limit: 2 }).await.unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(page.items, vec![records[2].clone(), records[1].clone()]);

    let oldest = store
        .list_audit(&account, &AuditFilter::default(), PageRequest { offset: 0, limit: 1 })
        .await
        .unwrap();
    assert_eq!(oldest.items, vec![records[0].clone()]);

    let creates = AuditFilter { action: Some("create".into()), ..AuditFilter::default() };
    let page = store.list_audit(&account, &creates, all()).await.unwrap();
    assert_eq!(page.items, vec![records[0].clone(), records[2].clone()]);

    let groups = AuditFilter { resource_type: Some("group".into()), ..AuditFilter::default() };
    assert_eq!(store.list_audit(&account, &groups, all()).await.unwrap().total, 2);

    let window = AuditFilter { since: Some(at(10)), before: Some(at(30)), ..AuditFilter::default() };
    let page = store.list_audit(&account, &window, all()).await.unwrap();
    assert_eq!(
        page.items,
        vec![records[1].clone(), records[2].clone()],
        "since is inclusive, before exclusive"
    );

    let one =
        AuditFilter { resource_id: Some(records[3].entry.resource_id.clone()), ..AuditFilter::default() };
    assert_eq!(store.list_audit(&account, &one, all()).await.unwrap().items, vec![records[3].clone()]);
    let by_id = AuditFilter { id: Some(records[2].entry.id.clone()), ..AuditFilter::default() };
    assert_eq!(store.list_audit(&account, &by_id, all()).await.unwrap().items, vec![records[2].clone()]);
    let nobody = AuditFilter { actor_id: Some("nobody\0".into()), ..AuditFilter::default() };
    assert_eq!(store.list_audit(&account, &nobody, all()).await.unwrap().total, 0);
}

pub async fn concurrent_audit_appends_keep_a_valid_chain(store: &dyn Store) {
    let account = bootstrapped(store).await;
    concurrent_appends(store, store, &account).await;
}

pub async fn a_duplicate_audit_id_is_a_conflict(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let first = entry(&account, 1, "create", "group");
    store.append_audit(&first).await.unwrap();
    let err = store.append_audit(&first).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(verify(store, &account).await, 1);
}

/// 40 appends, alternating between `a` and `b` (one store twice, or two stores on one
/// database), all at once: every one lands, at positions 1..=40, and the chain verifies.
/// Adapters call this with two stores of their own.
pub async fn concurrent_appends(a: &dyn Store, b: &dyn Store, account: &AccountId) {
    let entries: Vec<AuditEntry> = (0..40).map(|i| entry(account, i, "update", "service_token")).collect();
    let appends = entries
        .iter()
        .enumerate()
        .map(|(i, e)| if i % 2 == 0 { a.append_audit(e) } else { b.append_audit(e) });
    let results = futures_join_all(appends).await;
    let mut seqs: Vec<u64> = results.into_iter().map(|r| r.unwrap().seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=40).collect::<Vec<_>>());
    assert_eq!(verify(a, account).await, 40);
    assert_eq!(verify(b, account).await, 40);
}

/// Runs the futures concurrently on this task (no `futures` dependency needed).
async fn futures_join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in set.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().map(|o| o.unwrap()).collect()
}

/// A change and its audit record are written together or not at all: a failing change (stale,
/// duplicate, missing) leaves no record, and a written one always has its record.
pub async fn audited_writes_store_the_change_and_its_record_or_neither(store: &dyn Store) {
    use super::fixtures::{service_token, stored};
    use crate::{AuditedChange, AuditedOutcome, Resource, ResourceChange, ResourceKind};

    let account = bootstrapped(store).await;
    let records = |n: usize| {
        let account = account.clone();
        async move {
            let chain = store.audit_chain(&account, 0, 100).await.unwrap();
            assert_eq!(chain.len(), n, "audit records: {chain:?}");
            chain
        }
    };
    let token = service_token(&account, "audited", at(1));
    let created = entry(&account, 1, "create", "service_token");
    assert_eq!(
        store.write_audited(AuditedChange::InsertToken(&token), &created).await.unwrap(),
        AuditedOutcome::Written
    );
    assert_eq!(stored(store, &token).await.as_ref(), Some(&token));
    assert_eq!(records(1).await[0].entry, created);

    // A duplicate insert: a conflict, and no record.
    let duplicate = entry(&account, 2, "create", "service_token");
    assert!(matches!(
        store.write_audited(AuditedChange::InsertToken(&token), &duplicate).await,
        Err(StoreError::Conflict(_))
    ));
    records(1).await;

    let mut renamed = token.clone();
    renamed.name = "renamed".into();
    renamed.revision += 1;
    let updated = entry(&account, 3, "update", "service_token");
    assert_eq!(
        store.write_audited(AuditedChange::UpdateToken(&renamed), &updated).await.unwrap(),
        AuditedOutcome::Written
    );
    assert_eq!(records(2).await[1].entry, updated);
    // The same revision again is stale: no change, no record.
    let stale = entry(&account, 4, "update", "service_token");
    assert!(matches!(
        store.write_audited(AuditedChange::UpdateToken(&renamed), &stale).await,
        Err(StoreError::Stale)
    ));
    assert_eq!(stored(store, &renamed).await.map(|t| t.revision), Some(renamed.revision));
    records(2).await;

    let deleted = entry(&account, 5, "delete", "service_token");
    let outcome =
        store.write_audited(AuditedChange::DeleteToken(&account, &token.id), &deleted).await.unwrap();
    assert!(matches!(outcome, AuditedOutcome::Deleted(ref t) if t.name == "renamed"), "{outcome:?}");
    assert_eq!(stored(store, &token).await, None);
    records(3).await;
    // Gone: nothing to update or delete, and nothing recorded.
    let again = entry(&account, 6, "delete", "service_token");
    assert_eq!(
        store.write_audited(AuditedChange::DeleteToken(&account, &token.id), &again).await.unwrap(),
        AuditedOutcome::Missing
    );
    renamed.revision += 1;
    assert_eq!(
        store.write_audited(AuditedChange::UpdateToken(&renamed), &again).await.unwrap(),
        AuditedOutcome::Missing
    );
    records(3).await;

    // Resources: a batch that fails part-way writes neither its changes nor the record.
    let policy = |id: &str, revision: i64| Resource {
        kind: ResourceKind::Policy,
        id: id.into(),
        account_id: account.clone(),
        body: format!(r#"{{"revision":{revision}}}"#),
        created_at: at(7),
        updated_at: at(7),
        revision,
    };
    let failing = [ResourceChange::Insert(policy("p1", 1)), ResourceChange::Update(policy("missing", 2))];
    let batch = entry(&account, 7, "create", "policy");
    assert!(matches!(
        store.write_audited(AuditedChange::Resources(&failing), &batch).await,
        Err(StoreError::Stale)
    ));
    assert_eq!(store.get_resource(ResourceKind::Policy, &account, "p1").await.unwrap(), None);
    records(3).await;
    let working = [ResourceChange::Insert(policy("p1", 1))];
    assert_eq!(
        store.write_audited(AuditedChange::Resources(&working), &batch).await.unwrap(),
        AuditedOutcome::Written
    );
    assert!(store.get_resource(ResourceKind::Policy, &account, "p1").await.unwrap().is_some());
    let chain = records(4).await;
    assert_eq!(chain[3].entry, batch);
    assert_eq!(verify(store, &account).await, 4);
}
