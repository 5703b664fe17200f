//! Access configuration as the management API receives it: every input is read, through the
//! API's own body reader (`RawBody::json`), as a policy, a group, an application (with its
//! `policies` items) and a bare rule list, then validated by the same code the handlers call.
//! Never panics; what validation accepts has rules the policy engine parses, and survives the
//! store's JSON round trip unchanged (a stored document that does not decode again would be
//! reported as corrupt).
#![no_main]

use bytes::Bytes;
use gatehouse_api::access::{AppInput, GroupInput, PolicyInput, app_links};
use gatehouse_api::body::RawBody;
use gatehouse_domain::TokenDuration;
use gatehouse_domain::access::{
    AppId, Application, DomainPattern, Group, GroupId, Policy, PolicyId, parse_rules,
};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What the store keeps and gives back: `serde_json::to_string`, then `from_str`.
fn round_trips<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(doc: &T) {
    let stored = serde_json::to_string(doc).unwrap_or_else(|e| panic!("does not encode: {e}"));
    let back: T =
        serde_json::from_str(&stored).unwrap_or_else(|e| panic!("stored {stored} does not decode: {e}"));
    assert_eq!(&back, doc, "stored as {stored}");
}

fn rules_parse(include: &[Value], require: &[Value], exclude: &[Value]) {
    assert!(!include.is_empty());
    for (list, rules) in [("include", include), ("require", require), ("exclude", exclude)] {
        let parsed =
            parse_rules(list, rules).unwrap_or_else(|e| panic!("accepted but the engine refuses: {e}"));
        assert_eq!(parsed.len(), rules.len());
    }
}

fn check_policy(policy: &Policy) {
    rules_parse(&policy.include, &policy.require, &policy.exclude);
    assert!(!policy.name.is_empty() && policy.name.trim() == policy.name);
    if let Some(duration) = &policy.session_duration {
        assert!(matches!(TokenDuration::parse(duration), Ok(TokenDuration::Finite { .. })));
    }
    round_trips(policy);
}

fuzz_target!(|data: &[u8]| {
    let body = RawBody(Bytes::copy_from_slice(data));

    if let Ok(input) = body.json::<PolicyInput>()
        && let Ok(policy) = input.into_policy(PolicyId::generate(), None, "")
    {
        check_policy(&policy);
    }

    if let Ok(input) = body.json::<GroupInput>()
        && let Ok(group) = input.into_group(GroupId::generate())
    {
        rules_parse(&group.include, &group.require, &group.exclude);
        round_trips::<Group>(&group);
    }

    if let Ok(input) = body.json::<AppInput>()
        && let Ok((fields, policies)) = input.validate()
    {
        let app: Application = fields.into_app(AppId::generate(), "a".repeat(64), Vec::new());
        assert!(DomainPattern::parse(&app.domain).is_ok());
        assert!(matches!(TokenDuration::parse(&app.session_duration), Ok(TokenDuration::Finite { .. })));
        for destination in &app.destinations {
            if destination.get("type").and_then(Value::as_str) == Some("public") {
                let uri = destination.get("uri").and_then(Value::as_str).unwrap_or_default();
                assert!(DomainPattern::parse(uri).is_ok(), "public destination {uri:?}");
            }
        }
        if let Some(header) = &app.read_service_tokens_from_header {
            assert!(http::HeaderName::from_bytes(header.as_bytes()).is_ok());
        }
        round_trips(&app);
        if let Some(values) = policies
            && let Ok(items) = app_links::parse(values, app.id)
        {
            for item in &items {
                if let app_links::Item::Inline(policy) = item {
                    assert_eq!(policy.app_id, Some(app.id));
                    check_policy(policy);
                }
            }
        }
    }

    if let Ok(values) = serde_json::from_slice::<Vec<Value>>(data) {
        match parse_rules("include", &values) {
            Ok(rules) => {
                assert_eq!(rules.len(), values.len());
                // Stored and read back, the rules mean the same.
                let stored = serde_json::to_string(&values).unwrap_or_default();
                let back: Vec<Value> = serde_json::from_str(&stored).unwrap_or_default();
                assert_eq!(parse_rules("include", &back).ok(), Some(rules));
            }
            Err(error) => {
                assert!(error.index < values.len());
                let _ = error.to_string();
            }
        }
    }
});
