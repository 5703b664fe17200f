use super::*;

fn secret(value: &str) -> Secret {
    Secret::new(value.to_owned())
}

const ST: HashPurpose = HashPurpose::ServiceTokenSecret;

#[test]
fn hashes_depend_on_key_purpose_and_value() {
    let key = ServerKey::generate();
    let h1 = key.hash(ST, &secret("value"));
    assert_eq!(h1, key.hash(ST, &secret("value")));
    assert_ne!(h1, key.hash(HashPurpose::ApiToken, &secret("value")));
    assert_ne!(h1, key.hash(ST, &secret("other")));
    assert_ne!(h1, ServerKey::generate().hash(ST, &secret("value")));
    assert_eq!(h1.key_id(), key.id());
}

#[test]
fn key_ids_are_stable_distinct_and_derived_from_the_check_value() {
    let key = ServerKey::generate();
    let again = ServerKey::from_hex(&key.to_hex()).unwrap();
    assert_eq!(key.id(), again.id());
    assert_ne!(key.id(), ServerKey::generate().id());
    assert_eq!(key.id().to_string().len(), 16);
    assert_eq!(KeyId::parse(&key.id().to_string()), Some(key.id()));
    assert_eq!(KeyId::parse("abcd"), None);
    // The database stores the check value; a migration reads the id as its first 16 characters.
    assert!(key.check_value().starts_with(&key.id().to_string()));
    assert!(!key.to_hex().contains(&key.id().to_string()), "the id is not a piece of the key");
}

#[test]
fn a_known_key_has_a_known_id() {
    // Pins the derivation: ids are stored, so changing it would orphan every stored hash.
    let key = ServerKey::from_hex(&"00".repeat(32)).unwrap();
    let expected = {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[0u8; 32]).unwrap();
        mac.update(b"gatehouse api token v1\0gatehouse server key check v1");
        hex::encode(&mac.finalize().into_bytes()[..8])
    };
    assert_eq!(key.id().to_string(), expected);
}

#[test]
fn the_ring_finds_keys_by_id_and_by_check_value() {
    let old = ServerKey::generate();
    let older = ServerKey::generate();
    let new = ServerKey::generate();
    let ring = new.clone().with_previous([old.clone(), older.clone(), old.clone(), new.clone()]);
    assert_eq!(ring.id(), new.id());
    assert_eq!(ring.previous_ids().collect::<Vec<_>>(), vec![old.id(), older.id()]);
    assert!(ring.holds(old.id()) && ring.holds(new.id()));
    assert!(!ring.holds(ServerKey::generate().id()));
    assert_eq!(ring.key_with_check_value(&old.check_value()), Some(old.id()));
    assert_eq!(ring.key_with_check_value(&new.check_value()), Some(new.id()));
    assert_eq!(ring.key_with_check_value(&ServerKey::generate().check_value()), None);
    assert_eq!(ring.key_with_check_value("not hex"), None);
    assert_eq!(ring.to_hex().as_str(), new.to_hex().as_str());
}

#[test]
fn a_hash_under_an_old_key_verifies_only_with_that_key() {
    let old = ServerKey::generate();
    let new = ServerKey::generate();
    let ring = new.clone().with_previous([old.clone()]);
    let stored = old.hash(ST, &secret("client secret"));
    assert_ne!(ring.hash(ST, &secret("client secret")), stored, "the current key makes another hash");
    assert_eq!(ring.hash_with(stored.key_id(), ST, &secret("client secret")), Some(stored));
    assert_ne!(ring.hash_with(stored.key_id(), ST, &secret("wrong")), Some(stored));
    assert_ne!(ring.hash_with(new.id(), ST, &secret("client secret")), Some(stored));
    assert_eq!(new.hash_with(stored.key_id(), ST, &secret("client secret")), None, "old key dropped");
    assert_eq!(ring.previous_hashes(ST, &secret("client secret")).collect::<Vec<_>>(), vec![stored]);
    // The same MAC recorded under another key id is not the same hash.
    let relabelled = SecretHash::from_stored(new.id(), stored.as_bytes()).unwrap();
    assert_ne!(relabelled, stored);
    assert_eq!(SecretHash::from_stored(old.id(), stored.as_bytes()), Some(stored));
    assert_eq!(SecretHash::from_stored(old.id(), &[0; 31]), None);
}

#[test]
fn sealed_values_open_only_under_the_same_key_and_unaltered() {
    let key = ServerKey::generate();
    let sealed = key.seal(b"private key bytes");
    assert!(!sealed.windows(7).any(|w| w == b"private"), "the plaintext must not show");
    assert_eq!(key.open(&sealed).unwrap().as_slice(), b"private key bytes");
    assert_eq!(ServerKey::sealed_with(&sealed), Some(key.id()));
    assert_ne!(sealed, key.seal(b"private key bytes"), "each seal uses a fresh nonce");
    assert!(ServerKey::generate().open(&sealed).is_none());
    let mut altered = sealed.clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    assert!(key.open(&altered).is_none());
    assert!(key.open(&sealed[..sealed.len() - 1]).is_none());
    assert!(key.open(&[]).is_none());
    assert!(key.open(&[2; 40]).is_none());
    assert!(key.open(&[3; 60]).is_none());
    assert_eq!(key.open(&key.seal(b"")).unwrap().as_slice(), b"");
}

#[test]
fn sealed_values_open_under_a_previous_key_of_the_ring() {
    let old = ServerKey::generate();
    let sealed = old.seal(b"signing key");
    let ring = ServerKey::generate().with_previous([old.clone()]);
    assert_eq!(ring.open(&sealed).unwrap().as_slice(), b"signing key");
    assert_eq!(ServerKey::sealed_with(&ring.seal(b"x")), Some(ring.id()));
    // A value sealed before key ids were recorded (format 1: nonce, ciphertext).
    let legacy = [&[1u8][..], &sealed[9..]].concat();
    assert_eq!(ServerKey::sealed_with(&legacy), None);
    assert_eq!(ring.open(&legacy).unwrap().as_slice(), b"signing key");
    assert!(ServerKey::generate().open(&legacy).is_none());
}

#[test]
fn server_key_round_trips_through_hex_and_refuses_short_keys() {
    let key = ServerKey::generate();
    let again = ServerKey::from_hex(&key.to_hex()).unwrap();
    let s = secret("x");
    assert_eq!(key.hash(HashPurpose::ApiToken, &s), again.hash(HashPurpose::ApiToken, &s));
    assert_eq!(ServerKey::from_hex("abcd").unwrap_err(), ServerKeyError::TooShort);
    assert_eq!(ServerKey::from_hex("zz").unwrap_err(), ServerKeyError::NotHex);
}

#[test]
fn debug_shows_ids_only() {
    let key = ServerKey::generate().with_previous([ServerKey::generate()]);
    let debug = format!("{key:?}");
    assert!(debug.contains(&key.id().to_string()));
    assert!(!debug.contains(&key.to_hex()[..16]));
}
