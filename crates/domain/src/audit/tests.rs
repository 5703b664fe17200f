use super::*;

fn entry(account: &AccountId, n: i64) -> AuditEntry {
    AuditEntry {
        id: format!("00000000-0000-4000-8000-{n:012}"),
        account_id: account.clone(),
        when: Timestamp::from_unix(1_800_000_000 + n),
        actor: AuditActor {
            id: "tok".into(),
            name: "admin".into(),
            kind: "token".into(),
            ip: Some("127.0.0.1".into()),
        },
        action: "update".into(),
        resource_type: "service_token".into(),
        resource_id: "abc".into(),
        old_value: Some(r#"{"name":"a"}"#.into()),
        new_value: Some(r#"{"name":"b"}"#.into()),
    }
}

fn chain(account: &AccountId, len: i64) -> Vec<AuditRecord> {
    let mut records: Vec<AuditRecord> = Vec::new();
    for n in 1..=len {
        let prev = records.last().map_or(GENESIS_HASH.to_owned(), |r| r.hash.clone());
        records.push(AuditRecord::seal(entry(account, n), n as u64, &prev).unwrap());
    }
    records
}

fn verify(account: &AccountId, records: &[AuditRecord]) -> Result<u64, ChainBreak> {
    let mut verifier = ChainVerifier::new(account.clone());
    for record in records {
        verifier.check(record)?;
    }
    Ok(verifier.verified())
}

#[test]
fn an_untouched_chain_verifies() {
    let account = AccountId::generate();
    assert_eq!(verify(&account, &chain(&account, 5)), Ok(5));
    assert_eq!(verify(&account, &[]), Ok(0));
}

#[test]
fn the_hash_covers_prev_hash_and_every_field() {
    let account = AccountId::generate();
    let record = &chain(&account, 1)[0];
    assert_eq!(record.hash.len(), 64);
    let mut expected = Sha256::new();
    expected.update(GENESIS_HASH.as_bytes());
    expected.update(record.canonical_json().unwrap().as_bytes());
    assert_eq!(record.hash, hex::encode(expected.finalize()));
    let json = record.canonical_json().unwrap();
    assert!(json.starts_with(r#"{"v":1,"account_id":""#), "{json}");
    assert!(json.contains(r#""old_value":"{\"name\":\"a\"}""#), "{json}");
}

#[test]
fn an_edited_record_is_named() {
    let account = AccountId::generate();
    let mut records = chain(&account, 4);
    records[2].entry.new_value = Some(r#"{"name":"evil"}"#.into());
    assert_eq!(verify(&account, &records).unwrap_err().seq, 3);
}

#[test]
fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
    let account = AccountId::generate();
    let mut records = chain(&account, 4);
    records[1].entry.actor.name = "someone else".into();
    records[1].hash = records[1].computed_hash().unwrap();
    let broken = verify(&account, &records).unwrap_err();
    assert_eq!(broken.seq, 3);
    assert!(broken.reason.contains("prev_hash"), "{broken}");
}

#[test]
fn a_deleted_record_is_named() {
    let account = AccountId::generate();
    let mut records = chain(&account, 4);
    records.remove(1);
    let broken = verify(&account, &records).unwrap_err();
    assert_eq!(broken.seq, 2);
    assert!(broken.reason.contains("missing"), "{broken}");
}

#[test]
fn swapped_records_are_found() {
    let account = AccountId::generate();
    let mut records = chain(&account, 4);
    // Swap the contents of positions 2 and 3 but keep the sequence numbers in order.
    let (a, b) = (records[1].entry.clone(), records[2].entry.clone());
    records[1].entry = b;
    records[2].entry = a;
    assert_eq!(verify(&account, &records).unwrap_err().seq, 2);
}
