use super::*;

const BITS: usize = 2048;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix(seconds)
}

#[test]
fn a_new_key_set_has_a_sealed_key_and_the_default_schedule() {
    let server_key = ServerKey::generate();
    let keys = SigningKeys::generate(&server_key, at(1_000), BITS).unwrap();
    assert_eq!(keys.key_rotation_interval_days, 42);
    assert_eq!(keys.last_key_rotation_at, at(1_000));
    assert_eq!(keys.current.kid.len(), 64);
    assert!(keys.current.kid.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert!(keys.previous.is_none());

    let json = serde_json::to_string(&keys).unwrap();
    assert!(!json.contains("PRIVATE"), "no PEM in clear");
    let unsealed = keys.current.unseal(&server_key).unwrap();
    let private_b64 = STANDARD.encode(unsealed.private_pkcs8_der());
    assert!(!json.contains(&private_b64[..40]), "the private key is never stored in clear");
    assert_eq!(serde_json::from_str::<SigningKeys>(&json).unwrap(), keys);
}

#[test]
fn unsealing_gives_the_key_of_the_kid_and_needs_the_server_key() {
    let server_key = ServerKey::generate();
    let keys = SigningKeys::generate(&server_key, at(0), BITS).unwrap();
    let key = keys.current.unseal(&server_key).unwrap();
    assert_eq!(key.kid(), keys.current.kid);
    assert_eq!(key.exponent(), &[1, 0, 1]);
    assert_eq!(key.modulus().len(), BITS / 8);
    assert!(!format!("{key:?}").contains(&format!("{:?}", &key.private_pkcs1_der()[..8])));
    assert_eq!(keys.current.unseal(&ServerKey::generate()).unwrap_err(), SigningError::Unseal);

    let mut swapped = keys.current.clone();
    swapped.kid = "0".repeat(64);
    assert!(matches!(swapped.unseal(&server_key), Err(SigningError::Corrupt(_))));
}

#[test]
fn rotation_keeps_the_previous_key_published_for_seven_days() {
    let server_key = ServerKey::generate();
    let mut keys = SigningKeys::generate(&server_key, at(0), BITS).unwrap();
    let first = keys.current.kid.clone();
    keys.rotate(&server_key, at(100), BITS).unwrap();
    assert_ne!(keys.current.kid, first);
    assert_eq!(keys.last_key_rotation_at, at(100));
    let previous = keys.previous.as_ref().unwrap();
    assert_eq!(previous.kid, first);
    assert_eq!(previous.retired_at, Some(at(100)));
    assert!(keys.previous_in_overlap(at(100 + 7 * 86_400 - 1)).is_some());
    assert!(keys.previous_in_overlap(at(100 + 7 * 86_400)).is_none());
}

#[test]
fn the_schedule_counts_whole_days_and_refuses_odd_intervals() {
    let server_key = ServerKey::generate();
    let mut keys = SigningKeys::generate(&server_key, at(0), BITS).unwrap();
    assert_eq!(keys.days_until_next_rotation(at(0)), 42);
    assert_eq!(keys.days_until_next_rotation(at(1)), 42);
    assert_eq!(keys.days_until_next_rotation(at(86_400)), 41);
    assert!(!keys.rotation_due(at(42 * 86_400 - 1)));
    assert!(keys.rotation_due(at(42 * 86_400)));
    assert_eq!(keys.days_until_next_rotation(at(100 * 86_400)), 0);

    assert_eq!(keys.set_rotation_interval(20), Err(SigningError::IntervalOutOfRange));
    assert_eq!(keys.set_rotation_interval(366), Err(SigningError::IntervalOutOfRange));
    keys.set_rotation_interval(21).unwrap();
    assert_eq!(keys.days_until_next_rotation(at(0)), 21);
    keys.set_rotation_interval(365).unwrap();
    assert_eq!(keys.key_rotation_interval_days, 365);
}

#[test]
fn resealing_moves_private_keys_to_the_current_server_key_and_keeps_the_pairs() {
    let old = ServerKey::generate();
    let mut keys = SigningKeys::generate(&old, at(0), BITS).unwrap();
    keys.rotate(&old, at(10), BITS).unwrap();
    let before = keys.clone();
    assert_eq!(keys.sealed_with(), vec![Some(old.id()), Some(old.id())]);

    let ring = ServerKey::generate().with_previous([old.clone()]);
    assert!(keys.reseal(&ring).unwrap());
    assert_eq!(keys.sealed_with(), vec![Some(ring.id()), Some(ring.id())]);
    assert_eq!(
        (&keys.current.kid, &keys.current.public_key),
        (&before.current.kid, &before.current.public_key)
    );
    assert_ne!(keys.current.sealed_private_key, before.current.sealed_private_key);
    assert!(!keys.reseal(&ring).unwrap(), "nothing left to re-seal");
    // Without the old key in the ring, only the re-sealed copy opens.
    let new_only = ServerKey::from_hex(&ring.to_hex()).unwrap();
    assert_eq!(keys.current.unseal(&new_only).unwrap().kid(), before.current.kid);
    assert_eq!(before.current.unseal(&new_only).unwrap_err(), SigningError::Unseal);
    // A key the ring cannot open is reported, not replaced.
    let mut stranded = before.clone();
    assert_eq!(stranded.reseal(&new_only).unwrap_err(), SigningError::Unseal);
}

#[test]
fn keys_stored_by_earlier_versions_open_and_sign_identically() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("testdata/stored-keys-v0.1.json")).unwrap();
    let server_key = ServerKey::from_hex(fixture["server_key"].as_str().unwrap()).unwrap();
    let keys: SigningKeys = serde_json::from_value(fixture["signing_keys"].clone()).unwrap();
    let key = keys.current.unseal(&server_key).unwrap();
    assert_eq!(key.kid(), keys.current.kid);
    assert_eq!(key.exponent(), &[1, 0, 1]);
    assert_eq!(key.modulus().len(), 256);

    // PKCS#1 v1.5 signatures are deterministic: the same key signs the same bytes.
    let pair = aws_lc_rs::signature::RsaKeyPair::from_der(key.private_pkcs1_der()).unwrap();
    let mut signature = vec![0; pair.public_modulus_len()];
    let rng = aws_lc_rs::rand::SystemRandom::new();
    pair.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &rng, b"gatehouse.v1", &mut signature).unwrap();
    assert_eq!(STANDARD.encode(&signature), fixture["signature_of_gatehouse_v1"].as_str().unwrap());

    // And a key made now is in the same encodings: it reseals, reopens and keeps its kid.
    let mut fresh = SigningKeys::generate(&server_key, at(0), BITS).unwrap();
    let fresh_kid = fresh.current.kid.clone();
    let other = ServerKey::generate().with_previous([server_key.clone()]);
    assert!(fresh.reseal(&other).unwrap());
    assert_eq!(fresh.current.unseal(&other).unwrap().kid(), fresh_kid);
}

#[test]
fn only_supported_key_sizes_are_generated() {
    let server_key = ServerKey::generate();
    assert!(matches!(SigningKeys::generate(&server_key, at(0), 1024), Err(SigningError::Generation(_))));
    let keys = SigningKeys::generate(&server_key, at(0), 3072).unwrap();
    assert_eq!(keys.current.unseal(&server_key).unwrap().modulus().len(), 384);
}
