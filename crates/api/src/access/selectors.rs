//! The `messages` that tell an operator which selectors of a policy or group gatehouse stores
//! but does not evaluate. Such rules are accepted (Cloudflare's configurations round-trip), and
//! they fail closed at the gateway: in `include` they never match; in `require` and `exclude`
//! they keep an allow, bypass or non_identity policy from granting and make a `deny` apply.

use gatehouse_api_types::Message;
use gatehouse_domain::access::Rule;
use serde_json::Value;

/// The `messages` code of the notice (a gatehouse code; Cloudflare has none for this).
pub const UNEVALUATED_SELECTOR: u32 = 10110;

/// One message per unevaluated rule in `resource` — a policy, a group, or an application whose
/// `policies` hold inline policies — naming where it is and how it is treated.
pub fn unevaluated(resource: &Value) -> Vec<Message> {
    let mut messages = Vec::new();
    collect(resource, "", &mut messages);
    if let Some(policies) = resource.get("policies").and_then(Value::as_array) {
        for (index, policy) in policies.iter().enumerate() {
            collect(policy, &format!("policies[{index}]."), &mut messages);
        }
    }
    messages
}

fn collect(resource: &Value, at: &str, messages: &mut Vec<Message>) {
    for list in ["include", "require", "exclude"] {
        let Some(rules) = resource.get(list).and_then(Value::as_array) else { continue };
        for (index, rule) in rules.iter().enumerate() {
            if let Ok(Rule::Other(key)) = Rule::parse(rule) {
                messages.push(Message::new(
                    UNEVALUATED_SELECTOR,
                    notice(&key, list, &format!("{at}{list}[{index}]")),
                ));
            }
        }
    }
}

fn notice(key: &str, list: &str, at: &str) -> String {
    let key: String = key.chars().take(64).collect();
    let treated = match list {
        "include" => "it never matches",
        "require" => "it is never satisfied, so this policy never grants access (a deny policy applies)",
        _ => "it counts as matching, so this policy never grants access (a deny policy applies)",
    };
    format!("'{at}': the '{key}' selector is stored but not evaluated by gatehouse; {treated}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_each_unevaluated_rule_with_its_place() {
        let policy = json!({
            "include": [{"any_valid_service_token": {}}, {"device_posture": {"integration_uid": "6a1f0c2e-5b3d-4e8f-9a7c-1d2e3f4a5b6c"}}],
            "require": [{"geo": {"country_code": "FR"}}],
            "exclude": [{"email_domain": {"domain": "example.com"}}, {"okta": {"name": "admins", "identity_provider_id": "6a1f0c2e-5b3d-4e8f-9a7c-1d2e3f4a5b6d"}}],
        });
        let messages: Vec<String> = unevaluated(&policy).into_iter().map(|m| m.message).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("'include[1]': the 'device_posture' selector"), "{}", messages[0]);
        assert!(messages[1].contains("'require[0]'") && messages[1].contains("never satisfied"));
        assert!(messages[2].contains("'exclude[1]'") && messages[2].contains("counts as matching"));
    }

    #[test]
    fn looks_into_inline_policies_and_says_nothing_of_evaluated_rules() {
        let app = json!({"policies": [{"include": [{"everyone": {}}], "exclude": [{"ip": {"ip": "10.0.0.0/8"}}]},
                                      {"include": [{"okta": {"name": "x"}}]}]});
        let messages = unevaluated(&app);
        assert_eq!(messages.len(), 1);
        assert!(messages[0].message.starts_with("'policies[1].include[0]': the 'okta'"));
        assert!(unevaluated(&json!({"include": [{"everyone": {}}]})).is_empty());
    }
}
