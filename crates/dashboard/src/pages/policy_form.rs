//! The policy form: what an operator fills in (a decision, and per rule list the selectors
//! gatehouse evaluates — any valid service token, specific tokens, IP ranges, groups, everyone —
//! plus any other rules as JSON) to and from the policy JSON that the API's own parser
//! validates. Nothing here decides whether a policy is valid: the form becomes the request body
//! the v4 API would receive, and the API's operation judges it. The one step the API has no
//! equivalent for is naming a token by its name or client id: [`super::policy_actions`] resolves
//! those to token ids before [`PolicyForm::body`] runs.

use serde_json::{Map, Value, json};

/// The rule lists of a policy, in the order the form shows them.
pub const LISTS: [(&str, &str, &str); 3] = [
    ("include", "Include", "The policy applies when any of these matches (at least one is required)."),
    ("require", "Require", "Every one of these must match too."),
    ("exclude", "Exclude", "The policy does not apply when any of these matches."),
];

/// The decisions, with what each means for a request.
pub const DECISIONS: [(&str, &str); 4] = [
    ("non_identity", "Service Auth (non_identity): admits service tokens and IP rules, no login"),
    ("allow", "Allow: admits people who log in through an identity provider"),
    ("deny", "Deny: refuses what matches"),
    ("bypass", "Bypass: no enforcement at all for what matches"),
];

/// The form's fields for one rule list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFields {
    pub any_token: bool,
    pub everyone: bool,
    /// One service token a line: its name, id or client id.
    pub tokens: String,
    /// One IP address or CIDR range a line.
    pub ips: String,
    /// Group ids.
    pub groups: Vec<String>,
    /// The rules the form has no field for, as a JSON array (empty: none).
    pub other: String,
}

/// What the policy form holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyForm {
    pub name: String,
    pub decision: String,
    pub session_duration: String,
    pub precedence: String,
    pub lists: [RuleFields; 3],
}

/// A mistake in the form that is the form's own (the API never sees it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError(pub String);

impl PolicyForm {
    /// A new policy's form: Service Auth, for any valid service token.
    pub fn new_policy() -> Self {
        let mut form = PolicyForm { decision: "non_identity".to_owned(), ..PolicyForm::default() };
        form.lists[0].any_token = true;
        form
    }

    /// The form as submitted (`application/x-www-form-urlencoded`, repeated keys for the group
    /// check boxes).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut form = PolicyForm::default();
        for (key, value) in pairs {
            match key.as_str() {
                "name" => form.name.clone_from(value),
                "decision" => form.decision.clone_from(value),
                "session_duration" => form.session_duration.clone_from(value),
                "precedence" => form.precedence.clone_from(value),
                _ => {
                    let Some((list, field)) = key.split_once('.') else { continue };
                    let Some(index) = LISTS.iter().position(|(name, _, _)| *name == list) else { continue };
                    let fields = &mut form.lists[index];
                    match field {
                        "any_token" => fields.any_token = true,
                        "everyone" => fields.everyone = true,
                        "tokens" => fields.tokens.clone_from(value),
                        "ips" => fields.ips.clone_from(value),
                        "group" => fields.groups.push(value.clone()),
                        "other" => fields.other.clone_from(value),
                        _ => {}
                    }
                }
            }
        }
        form
    }

    /// The form of an existing policy (the API's JSON). A rule goes to a field only when that
    /// field writes it back exactly as it is; any other rule stays in "other rules" as JSON, so
    /// saving an unchanged form leaves the policy's rules as they were.
    pub fn from_policy(policy: &Value, groups: &[String]) -> Self {
        let text = |field: &str| policy.get(field).and_then(Value::as_str).unwrap_or_default().to_owned();
        let mut form = PolicyForm {
            name: text("name"),
            decision: text("decision"),
            session_duration: text("session_duration"),
            precedence: policy
                .get("precedence")
                .and_then(Value::as_i64)
                .map(|p| p.to_string())
                .unwrap_or_default(),
            lists: Default::default(),
        };
        for (index, (list, _, _)) in LISTS.iter().enumerate() {
            let rules = policy.get(*list).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            form.lists[index] = RuleFields::from_rules(rules, groups);
        }
        form
    }

    /// Token lines of each list, to be resolved to token ids.
    pub fn token_lines(&self) -> [Vec<String>; 3] {
        self.lists.clone().map(|fields| lines(&fields.tokens).map(str::to_owned).collect())
    }

    /// The request body of the API's policy operations, with each list's token lines resolved
    /// to `token_ids`.
    pub fn body(&self, token_ids: &[Vec<String>; 3]) -> Result<Value, FormError> {
        let mut body = Map::new();
        body.insert("name".into(), self.name.clone().into());
        body.insert("decision".into(), self.decision.clone().into());
        if !self.session_duration.trim().is_empty() {
            body.insert("session_duration".into(), self.session_duration.trim().into());
        }
        if !self.precedence.trim().is_empty() {
            let precedence: i64 = self.precedence.trim().parse().map_err(|_| {
                FormError("Precedence must be a whole number (lower numbers are evaluated first).".to_owned())
            })?;
            body.insert("precedence".into(), precedence.into());
        }
        for (index, (list, label, _)) in LISTS.iter().enumerate() {
            body.insert((*list).into(), Value::Array(self.lists[index].rules(label, &token_ids[index])?));
        }
        Ok(Value::Object(body))
    }
}

impl RuleFields {
    fn from_rules(rules: &[Value], groups: &[String]) -> Self {
        let mut fields = RuleFields::default();
        let mut other = Vec::new();
        for rule in rules {
            if *rule == any_token() {
                fields.any_token = true;
            } else if *rule == everyone() {
                fields.everyone = true;
            } else if let Some(id) = only_string(rule, "service_token", "token_id")
                && *rule == token(id)
            {
                push_line(&mut fields.tokens, id);
            } else if let Some(ip) = only_string(rule, "ip", "ip")
                && *rule == ip_rule(ip)
                && !ip.contains(['\n', '\r'])
            {
                push_line(&mut fields.ips, ip);
            } else if let Some(id) = only_string(rule, "group", "id")
                && *rule == group(id)
                && groups.iter().any(|known| known == id)
            {
                fields.groups.push(id.to_owned());
            } else {
                other.push(rule.clone());
            }
        }
        if !other.is_empty() {
            fields.other = serde_json::to_string_pretty(&other).unwrap_or_default();
        }
        fields
    }

    /// The rules of the list: the fields' rules first, then the other rules as given.
    fn rules(&self, label: &str, token_ids: &[String]) -> Result<Vec<Value>, FormError> {
        let mut rules = Vec::new();
        if self.any_token {
            rules.push(any_token());
        }
        if self.everyone {
            rules.push(everyone());
        }
        rules.extend(token_ids.iter().map(|id| token(id)));
        rules.extend(lines(&self.ips).map(ip_rule));
        rules.extend(self.groups.iter().map(|id| group(id)));
        if !self.other.trim().is_empty() {
            let other: Vec<Value> = serde_json::from_str(&self.other).map_err(|error| {
                FormError(format!(
                    "{label}, other rules: expected a JSON array of rules such as \
                     [{{\"email\": {{\"email\": \"a@example.com\"}}}}] ({error})"
                ))
            })?;
            rules.extend(other);
        }
        Ok(rules)
    }
}

/// The non-empty, trimmed lines of a text area.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|line| !line.is_empty())
}

fn push_line(text: &mut String, line: &str) {
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(line);
}

/// `rule[key][field]` when it is a string.
fn only_string<'a>(rule: &'a Value, key: &str, field: &str) -> Option<&'a str> {
    rule.get(key)?.get(field)?.as_str()
}

fn any_token() -> Value {
    json!({"any_valid_service_token": {}})
}

fn everyone() -> Value {
    json!({"everyone": {}})
}

fn token(id: &str) -> Value {
    json!({"service_token": {"token_id": id}})
}

pub fn ip_rule(ip: &str) -> Value {
    json!({"ip": {"ip": ip}})
}

fn group(id: &str) -> Value {
    json!({"group": {"id": id}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_submitted_form_becomes_the_api_body() {
        let form = PolicyForm::from_pairs(&pairs(&[
            ("name", "CI"),
            ("decision", "non_identity"),
            ("include.any_token", "1"),
            ("include.ips", "10.0.0.0/8\n\n  192.0.2.1 \n"),
            ("require.group", "g1"),
            ("require.group", "g2"),
            ("exclude.other", r#"[{"geo": {"country_code": "FR"}}]"#),
            ("unknown.field", "ignored"),
        ]));
        let ids = [vec!["t1".to_owned()], vec![], vec![]];
        let body = form.body(&ids).unwrap();
        assert_eq!(
            body,
            json!({
                "name": "CI", "decision": "non_identity",
                "include": [{"any_valid_service_token": {}}, {"service_token": {"token_id": "t1"}},
                            {"ip": {"ip": "10.0.0.0/8"}}, {"ip": {"ip": "192.0.2.1"}}],
                "require": [{"group": {"id": "g1"}}, {"group": {"id": "g2"}}],
                "exclude": [{"geo": {"country_code": "FR"}}],
            })
        );
    }

    #[test]
    fn a_policy_round_trips_through_its_form() {
        let policy = json!({
            "name": "P", "decision": "allow", "precedence": 3, "session_duration": "30m",
            "include": [{"everyone": {}}, {"service_token": {"token_id": "t9"}}, {"ip": {"ip": "10.1.0.0/16"}},
                        {"group": {"id": "known"}}, {"group": {"id": "gone"}}, {"email": {"email": "a@b.c"}}],
            "require": [{"ip": {"ip": "10.0.0.0/8", "extra": 1}}],
            "exclude": [],
        });
        let form = PolicyForm::from_policy(&policy, &["known".to_owned()]);
        assert!(form.lists[0].everyone && !form.lists[0].any_token);
        assert_eq!(form.lists[0].tokens, "t9");
        assert_eq!(form.lists[0].groups, ["known"]);
        assert!(form.lists[0].other.contains("gone") && form.lists[0].other.contains("email"));
        assert!(form.lists[1].ips.is_empty() && form.lists[1].other.contains("extra"), "kept exactly");
        let body = form.body(&[vec!["t9".to_owned()], vec![], vec![]]).unwrap();
        for list in ["include", "require", "exclude"] {
            let mut sent: Vec<String> = body[list].as_array().unwrap().iter().map(Value::to_string).collect();
            let mut had: Vec<String> =
                policy[list].as_array().unwrap().iter().map(Value::to_string).collect();
            sent.sort();
            had.sort();
            assert_eq!(sent, had, "{list}");
        }
        assert_eq!(body["precedence"], 3);
        assert_eq!(body["session_duration"], "30m");
    }

    #[test]
    fn the_forms_own_mistakes_are_named() {
        let mut form = PolicyForm::new_policy();
        form.precedence = "first".to_owned();
        assert!(form.body(&Default::default()).unwrap_err().0.contains("Precedence"));
        form.precedence.clear();
        form.lists[2].other = "{not json".to_owned();
        assert!(form.body(&Default::default()).unwrap_err().0.starts_with("Exclude, other rules"));
    }
}
