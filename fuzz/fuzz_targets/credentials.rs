//! The gateway's credential extractor (`credentials::read`) on a header block written as text:
//! one `Name: value` per line, as on the wire (lines that are not a valid header are skipped).
//! Option lines: `@sessions` (sessions count for the application) and
//! `@token-header: <name>` (the application's `read_service_tokens_from_header`).
//! Never panics, and what it extracts has the documented shape: a trimmed client id of 1–128
//! bytes and a secret of 1–512 bytes from exactly one source; a session JWT only where sessions
//! count, in three base64url parts; a repeated or half credential pair is malformed.
#![no_main]

use gatehouse_proxy::Denial;
use gatehouse_proxy::fuzzing::{Credentials, read_credentials};
use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    let mut sessions = false;
    let mut token_header: Option<HeaderName> = None;
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line == b"@sessions" {
            sessions = true;
            continue;
        }
        if let Some(name) = line.strip_prefix(b"@token-header:") {
            token_header = HeaderName::from_bytes(name.trim_ascii()).ok();
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            headers.append(name, value);
        }
    }

    let result = read_credentials(&headers, token_header.as_ref(), sessions);
    assert_eq!(result, read_credentials(&headers, token_header.as_ref(), sessions), "deterministic");

    let count = |name: &str| headers.get_all(name).iter().count();
    let (ids, secrets) = (count("cf-access-client-id"), count("cf-access-client-secret"));
    if ids > 1 || secrets > 1 || (ids == 1) != (secrets == 1) {
        assert_eq!(result, Err(Denial::MalformedCredentials), "repeated or half pair");
    }
    match result {
        Ok(Credentials::None) => {
            assert_eq!((ids, secrets), (0, 0));
        }
        Ok(Credentials::ServiceToken { client_id, secret_len }) => {
            assert!((1..=128).contains(&client_id.len()), "client id of {} bytes", client_id.len());
            assert_eq!(client_id.trim(), client_id);
            assert!((1..=512).contains(&secret_len));
            let from_pair = ids == 1 && secrets == 1;
            let from_json =
                token_header.as_ref().is_some_and(|name| headers.get_all(name).iter().count() == 1);
            assert!(from_pair || from_json);
        }
        Ok(Credentials::Session(jwt)) => {
            assert!(sessions, "a session JWT where sessions do not count");
            assert_eq!((ids, secrets), (0, 0));
            assert!(jwt.len() <= 8192);
            assert_eq!(jwt.split('.').count(), 3);
            assert!(jwt.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')));
        }
        Err(Denial::MalformedCredentials | Denial::InvalidSession) => {}
        Err(other) => panic!("unexpected denial {other:?}"),
    }
});
