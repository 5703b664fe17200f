//! What the Access application, policy and group resources share: the v5 provider's rule lists
//! (`include`, `require`, `exclude`: objects that set exactly one selector, such as
//! `{ service_token = { token_id = ... } }` or `{ everyone = {} }`), the mapping between them and
//! the v4 API's `{"selector": {...}}` rules, and the account-only scope of gatehouse's Access API.

use serde_json::{Map, Value as Json};

use crate::resource::{Diag, parse_scoped_import_id};
use crate::schema::{Attr, Nesting};
use crate::value::{Ty, Value};

/// The selectors gatehouse's policy engine evaluates. Any other selector is stored as sent but
/// never matches (it fails closed: an `include` rule never grants, a `require` or `exclude` rule
/// keeps the policy from granting), so a configuration using one gets a warning. A test in the
/// gatehouse crate keeps this list equal to what the policy engine parses.
pub const EVALUATED_SELECTORS: [&str; 12] = [
    "service_token",
    "any_valid_service_token",
    "everyone",
    "ip",
    "group",
    "email",
    "email_domain",
    "email_list",
    "login_method",
    "oidc",
    "github_organization",
    "auth_method",
];

/// The v5 provider's selector names that the API spells differently (Cloudflare's schema:
/// `tfsdk:"github_organization" json:"github-organization"`, `tfsdk:"azure_ad" json:"azureAD"`).
const API_KEYS: [(&str, &str); 2] = [("github_organization", "github-organization"), ("azure_ad", "azureAD")];

/// The API's key of the selector the schema calls `name`.
pub fn api_key(name: &str) -> &str {
    API_KEYS.iter().find(|(tf, _)| *tf == name).map_or(name, |(_, api)| api)
}

/// The schema's name of the selector the API calls `key`.
fn schema_name(key: &str) -> &str {
    API_KEYS.iter().find(|(_, api)| *api == key).map_or(key, |(tf, _)| tf)
}

/// Why `zone_id` is refused.
pub const NO_ZONES: &str = "gatehouse has account-level Access only: set account_id instead.";

/// The type of a selector's field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldTy {
    Text,
    TextList,
}

/// One field of a selector object.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldTy,
    pub required: bool,
    pub description: &'static str,
}

const fn field(name: &'static str, ty: FieldTy, required: bool, description: &'static str) -> Field {
    Field { name, ty, required, description }
}

/// One selector of a rule, with its fields (the v5 schema's nested attributes).
#[derive(Debug, Clone, Copy)]
pub struct Selector {
    pub name: &'static str,
    pub description: &'static str,
    pub fields: &'static [Field],
}

/// Every selector of the v5 provider's rule objects, in its order.
pub const SELECTORS: &[Selector] = &[
    Selector {
        name: "group",
        description: "",
        fields: &[field("id", FieldTy::Text, true, "The ID of a previously created Access group.")],
    },
    Selector {
        name: "any_valid_service_token",
        description: "An empty object which matches on all service tokens.",
        fields: &[],
    },
    Selector {
        name: "auth_context",
        description: "",
        fields: &[
            field("id", FieldTy::Text, true, "The ID of an Authentication context."),
            field("ac_id", FieldTy::Text, true, "The ACID of an Authentication context."),
            field("identity_provider_id", FieldTy::Text, true, "The ID of your Azure identity provider."),
        ],
    },
    Selector {
        name: "auth_method",
        description: "",
        fields: &[field(
            "auth_method",
            FieldTy::Text,
            true,
            "The type of authentication method https://datatracker.ietf.org/doc/html/rfc8176#section-2.",
        )],
    },
    Selector {
        name: "azure_ad",
        description: "",
        fields: &[
            field("id", FieldTy::Text, true, "The ID of an Azure group."),
            field("identity_provider_id", FieldTy::Text, true, "The ID of your Azure identity provider."),
        ],
    },
    Selector { name: "certificate", description: "", fields: &[] },
    Selector {
        name: "common_name",
        description: "",
        fields: &[field("common_name", FieldTy::Text, true, "The common name to match.")],
    },
    Selector {
        name: "geo",
        description: "",
        fields: &[field("country_code", FieldTy::Text, true, "The country code that should be matched.")],
    },
    Selector {
        name: "device_posture",
        description: "",
        fields: &[field("integration_uid", FieldTy::Text, true, "The ID of a device posture integration.")],
    },
    Selector {
        name: "email_domain",
        description: "",
        fields: &[field("domain", FieldTy::Text, true, "The email domain to match.")],
    },
    Selector {
        name: "email_list",
        description: "",
        fields: &[field("id", FieldTy::Text, true, "The ID of a previously created email list.")],
    },
    Selector {
        name: "email",
        description: "",
        fields: &[field("email", FieldTy::Text, true, "The email of the user.")],
    },
    Selector { name: "everyone", description: "An empty object which matches on all users.", fields: &[] },
    Selector {
        name: "external_evaluation",
        description: "",
        fields: &[
            field("evaluate_url", FieldTy::Text, true, "The API endpoint containing your business logic."),
            field(
                "keys_url",
                FieldTy::Text,
                true,
                "The API endpoint containing the key that Access uses to verify that the response came from your API.",
            ),
        ],
    },
    Selector {
        name: "github_organization",
        description: "",
        fields: &[
            field("identity_provider_id", FieldTy::Text, true, "The ID of your Github identity provider."),
            field("name", FieldTy::Text, true, "The name of the organization."),
            field("team", FieldTy::Text, false, "The name of the team"),
        ],
    },
    Selector {
        name: "gsuite",
        description: "",
        fields: &[
            field("email", FieldTy::Text, true, "The email of the Google Workspace group."),
            field(
                "identity_provider_id",
                FieldTy::Text,
                true,
                "The ID of your Google Workspace identity provider.",
            ),
        ],
    },
    Selector {
        name: "login_method",
        description: "",
        fields: &[field("id", FieldTy::Text, true, "The ID of an identity provider.")],
    },
    Selector {
        name: "ip_list",
        description: "",
        fields: &[field("id", FieldTy::Text, true, "The ID of a previously created IP list.")],
    },
    Selector {
        name: "ip",
        description: "",
        fields: &[field("ip", FieldTy::Text, true, "An IPv4 or IPv6 CIDR block.")],
    },
    Selector {
        name: "okta",
        description: "",
        fields: &[
            field("identity_provider_id", FieldTy::Text, true, "The ID of your Okta identity provider."),
            field("name", FieldTy::Text, true, "The name of the Okta group."),
        ],
    },
    Selector {
        name: "saml",
        description: "",
        fields: &[
            field("attribute_name", FieldTy::Text, true, "The name of the SAML attribute."),
            field("attribute_value", FieldTy::Text, true, "The SAML attribute value to look for."),
            field("identity_provider_id", FieldTy::Text, true, "The ID of your SAML identity provider."),
        ],
    },
    Selector {
        name: "oidc",
        description: "",
        fields: &[
            field("claim_name", FieldTy::Text, true, "The name of the OIDC claim."),
            field("claim_value", FieldTy::Text, true, "The OIDC claim value to look for."),
            field("identity_provider_id", FieldTy::Text, true, "The ID of your OIDC identity provider."),
        ],
    },
    Selector {
        name: "service_token",
        description: "",
        fields: &[field("token_id", FieldTy::Text, true, "The ID of a Service Token.")],
    },
    Selector {
        name: "linked_app_token",
        description: "",
        fields: &[field("app_uid", FieldTy::Text, true, "The ID of an Access OIDC SaaS application")],
    },
    Selector {
        name: "user_risk_score",
        description: "",
        fields: &[field(
            "user_risk_score",
            FieldTy::TextList,
            true,
            "A list of risk score levels to match. Values can be low, medium, high, or unscored.",
        )],
    },
    Selector {
        name: "cloudflare_account_member",
        description: "",
        fields: &[field("account_id", FieldTy::Text, false, "Identifier.")],
    },
];

/// Which selectors a rule list offers: policies and groups have all of them; the inline policies
/// of an application lack the last two (`user_risk_score`, `cloudflare_account_member`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selectors {
    All,
    AppInline,
}

/// Whether a rule list is configuration (a resource) or only read (a data source).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flags {
    Config,
    Computed,
}

fn selectors(which: Selectors) -> &'static [Selector] {
    match which {
        Selectors::All => SELECTORS,
        Selectors::AppInline => &SELECTORS[..SELECTORS.len() - 2],
    }
}

fn field_ty(ty: FieldTy) -> Ty {
    match ty {
        FieldTy::Text => Ty::String,
        FieldTy::TextList => Ty::List(Box::new(Ty::String)),
    }
}

/// The attributes of one rule object.
pub fn rule_attrs(which: Selectors, flags: Flags) -> Vec<Attr> {
    selectors(which)
        .iter()
        .map(|selector| {
            let fields = selector
                .fields
                .iter()
                .map(|f| match (flags, f.required) {
                    (Flags::Computed, _) => Attr::computed(f.name, field_ty(f.ty), f.description),
                    (Flags::Config, true) => Attr::required(f.name, field_ty(f.ty), f.description),
                    (Flags::Config, false) => Attr::optional(f.name, field_ty(f.ty), f.description),
                })
                .collect();
            let attr = Attr::nested(selector.name, Nesting::Single, fields, selector.description);
            match flags {
                Flags::Config => attr.with_optional(),
                Flags::Computed => attr.with_computed(),
            }
        })
        .collect()
}

/// A rule list attribute (`include`, `require` or `exclude`); the caller adds its own flags.
pub fn rule_list(
    name: &'static str,
    nesting: Nesting,
    which: Selectors,
    flags: Flags,
    description: &'static str,
) -> Attr {
    Attr::nested(name, nesting, rule_attrs(which, flags), description)
}

/// The cty type of one rule object.
pub fn rule_ty(which: Selectors) -> Ty {
    crate::schema::object_type(&rule_attrs(which, Flags::Config))
}

/// The API's rules for a configured rule list: each rule object becomes `{"selector": {...}}`
/// with its null fields left out.
pub fn rules_to_api(list: &Value) -> Vec<Json> {
    let Some(items) = list.as_list() else { return Vec::new() };
    items
        .iter()
        .filter_map(|rule| {
            let Value::Object(selectors) = rule else { return None };
            let (name, body) = selectors.iter().find(|(_, body)| !body.is_null())?;
            let mut out = Map::new();
            out.insert(api_key(name).to_owned(), to_json(body));
            Some(Json::Object(out))
        })
        .collect()
}

/// The state of an API rule list. A rule whose selector the schema does not know cannot be
/// shown and is left out (Terraform then plans to write the configured rules back).
pub fn rules_from_api(rules: &[Map<String, Json>], which: Selectors) -> Value {
    let ty = rule_ty(which);
    let known: Vec<&str> = selectors(which).iter().map(|s| s.name).collect();
    Value::List(
        rules
            .iter()
            .filter(|rule| rule.len() == 1 && rule.keys().all(|k| known.contains(&schema_name(k))))
            .map(|rule| {
                let named = rule.iter().map(|(k, v)| (schema_name(k).to_owned(), v.clone())).collect();
                lenient(&Json::Object(named), &ty)
            })
            .collect(),
    )
}

/// Checks a configured rule list: each rule sets exactly one selector; selectors gatehouse stores
/// but does not evaluate get a warning that says how they behave.
pub fn validate_rules(config: &Value, list: &str) -> Vec<Diag> {
    let mut diags = Vec::new();
    let Some(items) = config.get(list).as_list() else { return diags };
    for (index, rule) in items.iter().enumerate() {
        let Value::Object(selectors) = rule else { continue };
        if rule.contains_unknown() && selectors.values().all(|v| v.is_null() || v.is_unknown()) {
            continue;
        }
        let set: Vec<&String> = selectors.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k).collect();
        match set.as_slice() {
            [] => diags.push(
                Diag::error(
                    "Invalid rule",
                    format!("{list}[{index}] sets no selector: set exactly one, e.g. {{ any_valid_service_token = {{}} }}."),
                )
                .at(list),
            ),
            [one] => {
                if !EVALUATED_SELECTORS.contains(&one.as_str()) {
                    let treated = match list {
                        "include" => "it never matches",
                        "require" => "it is never satisfied, so the policy never grants access",
                        _ => "it counts as matching, so the policy never grants access",
                    };
                    diags.push(
                        Diag::warning(
                            format!("Selector not evaluated by gatehouse: {one}"),
                            format!(
                                "{list}[{index}] uses the {one} selector, which gatehouse stores but does not evaluate: {treated}. gatehouse evaluates {}.",
                                EVALUATED_SELECTORS.join(", ")
                            ),
                        )
                        .at(list),
                    );
                }
            }
            many => diags.push(
                Diag::error(
                    "Invalid rule",
                    format!(
                        "{list}[{index}] sets {} selectors ({}): a rule object holds exactly one; write one rule per selector.",
                        many.len(),
                        many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
                .at(list),
            ),
        }
    }
    diags
}

/// JSON for a known value, null object attributes left out.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null | Value::Unknown => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => {
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                #[allow(
                    clippy::cast_possible_truncation,
                    reason = "checked whole and within i64 range above"
                )]
                let whole = *n as i64;
                Json::from(whole)
            } else {
                serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number)
            }
        }
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Object(attrs) => Json::Object(
            attrs
                .iter()
                .filter(|(_, v)| !v.is_null() && !v.is_unknown())
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        Value::Opaque(_) => Json::Null,
    }
}

/// A value of type `ty` from API JSON, by attribute name. What does not fit the type is null,
/// so an unexpected field in an answer never fails a read.
pub fn lenient(json: &Json, ty: &Ty) -> Value {
    match (ty, json) {
        (_, Json::Null) => Value::Null,
        (Ty::String, Json::String(s)) => Value::str(s),
        (Ty::Number, Json::Number(n)) => n.as_f64().map_or(Value::Null, Value::Number),
        (Ty::Bool, Json::Bool(b)) => Value::Bool(*b),
        (Ty::List(inner) | Ty::Set(inner), Json::Array(items)) => {
            Value::List(items.iter().map(|item| lenient(item, inner)).filter(|v| !v.is_null()).collect())
        }
        (Ty::Map(inner), Json::Object(entries)) => {
            Value::Object(entries.iter().map(|(k, v)| (k.clone(), lenient(v, inner))).collect())
        }
        (Ty::Object(attrs), Json::Object(entries)) => Value::Object(
            attrs
                .iter()
                .map(|(name, attr_ty)| {
                    (name.clone(), entries.get(name).map_or(Value::Null, |v| lenient(v, attr_ty)))
                })
                .collect(),
        ),
        (Ty::Dynamic, _) => Value::from_json(json, ty).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// An optional list the API always returns: an empty answer is null in state unless the known
/// value (configuration or prior state) is an empty list, so `[]` and "not set" both plan clean.
pub fn empty_as_known(answer: Value, known: &Value) -> Value {
    match (&answer, known) {
        (Value::List(items), Value::List(known_items)) if items.is_empty() && known_items.is_empty() => {
            answer
        }
        (Value::List(items), _) if items.is_empty() => Value::Null,
        _ => answer,
    }
}

/// A bool the API always returns: `false` is null in state when the known value is null (the v5
/// provider's `normalizeFalseAndNullBool`).
pub fn false_as_known(answer: Value, known: &Value) -> Value {
    match (&answer, known) {
        (Value::Bool(false), Value::Null) => Value::Null,
        _ => answer,
    }
}

/// `/accounts/<account_id>/access` for a state or plan.
pub fn account_path(value: &Value) -> Result<String, Diag> {
    match value.get("account_id").as_str() {
        Some(account) if !account.is_empty() => Ok(format!("/accounts/{account}/access")),
        _ => Err(Diag::error("Missing account_id", "account_id must be set.").at("account_id")),
    }
}

/// `account_id` must be set in the configuration (unknown counts as set); `zone_id` is refused
/// through the schema.
pub fn validate_account(config: &Value) -> Vec<Diag> {
    if config.get("account_id").is_null() && config.get("zone_id").is_null() {
        vec![
            Diag::error(
                "Missing required argument",
                "account_id must be set (gatehouse has account-level Access only).",
            )
            .at("account_id"),
        ]
    } else {
        Vec::new()
    }
}

/// The object id of an import id `accounts/<account_id>/<id>` (the v5 format; `zones/…` is
/// refused), with the account id.
pub fn parse_account_scoped_import_id(id: &str, object: &str) -> Result<(String, String), Diag> {
    let (scope_attr, scope, object_id) = parse_scoped_import_id(id, object)?;
    if scope_attr != "account_id" {
        return Err(Diag::error("invalid import id", NO_ZONES));
    }
    Ok((scope, object_id))
}

/// Requires the configuration's `include` to hold at least one rule (gatehouse refuses an empty one).
pub fn validate_include_present(config: &Value) -> Vec<Diag> {
    match config.get("include") {
        Value::Null => vec![
            Diag::error("Missing required argument", "include must hold at least one rule.").at("include"),
        ],
        Value::List(items) if items.is_empty() => {
            vec![Diag::error("Invalid include", "include must hold at least one rule.").at("include")]
        }
        _ => Vec::new(),
    }
}

/// Sorts a set of strings the way cty orders them, so state and plan compare equal.
pub fn sorted_strings(value: Value) -> Value {
    match value {
        Value::List(mut items) => {
            items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            Value::List(items)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(selector: &str, body: Value) -> Value {
        let Value::Object(mut attrs) = lenient(&serde_json::json!({}), &rule_ty(Selectors::All)) else {
            panic!("a rule is an object")
        };
        attrs.insert(selector.to_string(), body);
        Value::Object(attrs)
    }

    #[test]
    fn the_selector_table_has_the_v5_shape() {
        assert_eq!(SELECTORS.len(), 26);
        assert_eq!(selectors(Selectors::AppInline).len(), 24);
        assert!(selectors(Selectors::AppInline).iter().all(|s| s.name != "user_risk_score"));
        let attrs = rule_attrs(Selectors::All, Flags::Config);
        let token = attrs.iter().find(|a| a.name == "service_token").unwrap();
        assert!(token.optional && !token.required);
        assert_eq!(token.ty(), Ty::Object(vec![("token_id".into(), Ty::String)]));
        let everyone = attrs.iter().find(|a| a.name == "everyone").unwrap();
        assert_eq!(everyone.ty(), Ty::Object(Vec::new()));
        let github = attrs.iter().find(|a| a.name == "github_organization").unwrap();
        let crate::schema::Kind::Nested(_, fields) = &github.kind else { panic!("nested") };
        assert!(fields.iter().any(|f| f.name == "team" && f.optional));
        for computed in rule_attrs(Selectors::All, Flags::Computed) {
            assert!(computed.computed && !computed.optional);
        }
    }

    #[test]
    fn rules_round_trip_between_state_and_api() {
        let mut token = Value::Null;
        token.set("token_id", Value::str("7c0e5a8e-0000-4000-8000-000000000001"));
        let mut ip = Value::Null;
        ip.set("ip", Value::str("10.0.0.0/8"));
        let Ty::Object(selectors) = rule_ty(Selectors::All) else { panic!("a rule is an object") };
        let github_ty = selectors.iter().find(|(name, _)| name == "github_organization").unwrap().1.clone();
        let github = lenient(
            &serde_json::json!({"identity_provider_id": "9d2b6a3e-1c4f-4e8a-9b7d-2f6e5a4c3b21", "name": "acme"}),
            &github_ty,
        );
        let list = Value::List(vec![
            rule("service_token", token),
            rule("any_valid_service_token", Value::Object(Default::default())),
            rule("ip", ip),
            rule("github_organization", github),
        ]);
        let api = rules_to_api(&list);
        assert_eq!(
            Json::Array(api.clone()),
            serde_json::json!([
                {"service_token": {"token_id": "7c0e5a8e-0000-4000-8000-000000000001"}},
                {"any_valid_service_token": {}},
                {"ip": {"ip": "10.0.0.0/8"}},
                // The API spells it with a hyphen.
                {"github-organization": {"identity_provider_id": "9d2b6a3e-1c4f-4e8a-9b7d-2f6e5a4c3b21", "name": "acme"}}
            ])
        );
        let maps: Vec<Map<String, Json>> = api.into_iter().filter_map(|j| j.as_object().cloned()).collect();
        assert_eq!(rules_from_api(&maps, Selectors::All), list);
    }

    #[test]
    fn optional_selector_fields_stay_null_and_unknown_selectors_are_left_out() {
        let maps: Vec<Map<String, Json>> = serde_json::from_value(serde_json::json!([
            {"github-organization": {"identity_provider_id": "i", "name": "acme"}},
            {"some_future_selector": {}}
        ]))
        .unwrap();
        let state = rules_from_api(&maps, Selectors::All);
        let items = state.as_list().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].get("github_organization").get("team"), &Value::Null);
        assert_eq!(items[0].get("github_organization").get("name"), &Value::str("acme"));
        assert_eq!(items[0].get("everyone"), &Value::Null);
    }

    #[test]
    fn validation_wants_one_selector_and_warns_about_unevaluated_ones() {
        let mut config = Value::Null;
        let mut geo = Value::Null;
        geo.set("country_code", Value::str("US"));
        let mut both = rule("everyone", Value::Object(Default::default()));
        both.set("any_valid_service_token", Value::Object(Default::default()));
        config.set(
            "include",
            Value::List(vec![rule("everyone", Value::Object(Default::default())), rule("geo", geo), both]),
        );
        let diags = validate_rules(&config, "include");
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert!(
            !diags[0].error && diags[0].summary.contains("geo") && diags[0].detail.contains("never matches")
        );
        assert!(diags[1].error && diags[1].detail.contains("2 selectors"));
        let empty = Value::List(vec![rule("everyone", Value::Null)]);
        config.set("exclude", empty);
        assert!(validate_rules(&config, "exclude")[0].detail.contains("sets no selector"));
    }

    #[test]
    fn empty_lists_and_false_follow_what_is_known() {
        assert_eq!(empty_as_known(Value::List(Vec::new()), &Value::Null), Value::Null);
        assert_eq!(
            empty_as_known(Value::List(Vec::new()), &Value::List(Vec::new())),
            Value::List(Vec::new())
        );
        assert_eq!(false_as_known(Value::Bool(false), &Value::Null), Value::Null);
        assert_eq!(false_as_known(Value::Bool(false), &Value::Bool(false)), Value::Bool(false));
        assert_eq!(false_as_known(Value::Bool(true), &Value::Null), Value::Bool(true));
    }

    #[test]
    fn lenient_decoding_never_fails() {
        let ty = Ty::Object(vec![("name".into(), Ty::String), ("n".into(), Ty::Number)]);
        let value = lenient(&serde_json::json!({"name": 5, "n": 2, "extra": true}), &ty);
        assert_eq!(value.get("name"), &Value::Null);
        assert_eq!(value.get("n"), &Value::Number(2.0));
    }

    #[test]
    fn import_ids_are_account_scoped() {
        assert_eq!(
            parse_account_scoped_import_id("accounts/a/g", "group_id").unwrap(),
            ("a".to_string(), "g".to_string())
        );
        assert!(
            parse_account_scoped_import_id("zones/z/g", "group_id").unwrap_err().detail.contains("account")
        );
    }
}
