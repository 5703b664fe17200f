//! `GET /client/v4/openapi.json`: the OpenAPI 3 document generated from the handlers describes
//! exactly the routes the router serves, in the v4 envelope, and parses as OpenAPI 3.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(api: &TestApi) -> Value {
    let reply = api.raw(Method::GET, "/client/v4/openapi.json", &[], Vec::new()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.headers["content-type"], "application/json");
    reply.json
}

/// A documented path with its parameters filled in: the caller's account and fresh ids.
fn concrete(api: &TestApi, template: &str) -> String {
    template
        .replace("{account_id}", api.account.as_str())
        .replace("{token_id}", "2f4b3f3c-8d0e-4f59-9a52-6c4d2b8e1a01")
        .replace("{app_id}", "2f4b3f3c-8d0e-4f59-9a52-6c4d2b8e1a02")
        .replace("{policy_id}", "2f4b3f3c-8d0e-4f59-9a52-6c4d2b8e1a03")
        .replace("{group_id}", "2f4b3f3c-8d0e-4f59-9a52-6c4d2b8e1a04")
}

#[tokio::test]
async fn the_document_is_served_without_credentials_and_parses_as_openapi_3() {
    let api = TestApi::new().await;
    let json = document(&api).await;
    assert!(json["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", json["openapi"]);
    let parsed: oas3::Spec =
        serde_json::from_value(json.clone()).expect("the document is an OpenAPI 3 document");
    assert!(parsed.paths.as_ref().is_some_and(|paths| paths.len() > 20));
    // Served as generated: the same document as the library function.
    assert_eq!(json, serde_json::to_value(gatehouse_api::openapi_document()).unwrap());
    // Every $ref resolves.
    let mut refs = Vec::new();
    collect_refs(&json, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {reference}"));
        assert!(json.pointer(pointer).is_some(), "dangling $ref {reference}");
    }
}

/// The schema a `$ref` names, or the schema itself.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => document.pointer(reference.trim_start_matches('#')).unwrap_or(&Value::Null),
        None => schema,
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                refs.push(reference.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

/// The router is asked, for every documented path and every method, whether it serves it: a
/// documented operation must not fall through to "no route" (7003 from the fallback) or 405, and
/// an undocumented method on a documented path must be 405. So the document holds exactly the
/// router's routes; and since `routes.rs` mounts handlers only through their `#[utoipa::path]`
/// (checked below), no route can be mounted without appearing here.
#[tokio::test]
async fn the_document_describes_exactly_the_routes_the_router_serves() {
    let api = TestApi::new().await;
    let json = document(&api).await;
    let paths = json["paths"].as_object().unwrap();
    let mut operations = 0;
    let mut ids = std::collections::HashSet::new();
    for item in paths.values() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                let id = operation["operationId"].as_str().expect("an operationId");
                assert!(ids.insert(id.to_owned()), "operationId {id} is not unique");
            }
        }
    }
    for (template, item) in paths {
        let path = concrete(&api, template);
        for method in METHODS {
            let documented = item.get(method).is_some();
            let http = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = api.call(http, &path, None).await;
            let code = reply.json["errors"][0]["code"].as_u64();
            if documented {
                operations += 1;
                let fallback = code == Some(7003)
                    && reply.json["errors"][0]["message"].as_str().unwrap().starts_with("No route");
                assert!(
                    !fallback && code != Some(7001),
                    "{method} {template} is documented but not served: {}",
                    reply.json
                );
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {template} is served but not documented"
                );
            }
        }
    }
    assert!(operations >= 40, "{operations} operations");
}

#[test]
fn routes_are_mounted_only_through_their_documented_handlers() {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes.rs")).unwrap();
    let plain: Vec<&str> = source.lines().filter(|line| line.contains(".route(")).collect();
    assert_eq!(plain.len(), 1, "routes mounted without a #[utoipa::path]: {plain:?}");
    assert!(plain[0].contains("openapi::PATH"), "{plain:?}");
    assert!(!source.contains(".nest(") && !source.contains(".merge("), "nested routers bypass the document");
}

#[tokio::test]
async fn every_operation_answers_in_the_envelope_and_documents_its_errors() {
    let api = TestApi::new().await;
    let json = document(&api).await;
    assert_eq!(json["components"]["securitySchemes"]["api_token"]["scheme"], "bearer");
    let envelope = &json["components"]["schemas"]["ErrorEnvelope"];
    for field in ["success", "errors", "messages", "result"] {
        assert!(envelope["properties"].get(field).is_some(), "ErrorEnvelope lacks {field}");
    }
    for (template, item) in json["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let responses = operation["responses"].as_object().unwrap();
            let success = responses.keys().find(|status| status.starts_with('2')).expect("a 2xx response");
            let schema = resolve(&json, &responses[success]["content"]["application/json"]["schema"]);
            if template.ends_with("openapi.json") {
                assert_eq!(operation["security"], serde_json::json!([{}]), "the document is public");
                continue;
            }
            let properties = &schema["properties"];
            for field in ["success", "errors", "messages", "result"] {
                assert!(
                    properties.get(field).is_some(),
                    "{method} {template}: {success} lacks `{field}`: {schema}"
                );
            }
            if method == "get"
                && template.ends_with('s')
                && !template.ends_with("organizations")
                && !template.ends_with("keys")
            {
                assert!(
                    properties.get("result_info").is_some(),
                    "{method} {template}: a list without result_info"
                );
            }
            for status in ["400", "401", "403", "404"] {
                let error =
                    &responses.get(status).unwrap_or_else(|| panic!("{method} {template} lacks {status}"));
                assert_eq!(
                    error["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorEnvelope"
                );
            }
            let parameters: Vec<&str> = operation["parameters"]
                .as_array()
                .map(|list| {
                    list.iter().filter(|p| p["in"] == "path").map(|p| p["name"].as_str().unwrap()).collect()
                })
                .unwrap_or_default();
            for name in template.split('{').skip(1).map(|rest| rest.split('}').next().unwrap()) {
                assert!(parameters.contains(&name), "{method} {template} does not document {{{name}}}");
            }
        }
    }
}

/// Whether `value` is an instance of `schema` (a schema of `document`), strictly: an object
/// property the schema does not name is allowed only where the schema admits additional
/// properties and the name is one of `verbatim` (the unknown fields the test sent, which the API
/// keeps as written), or in a free-form object. Failures are collected as JSON pointers into the value.
fn check(
    document: &Value,
    schema: &Value,
    value: &Value,
    verbatim: &[&str],
    at: &str,
    failures: &mut Vec<String>,
) {
    let schema = resolve(document, schema);
    if let Some(all) = schema["allOf"].as_array() {
        all.iter().for_each(|part| check(document, part, value, verbatim, at, failures));
        return;
    }
    if let Some(any) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let fits = any.iter().any(|part| {
            let mut inner = Vec::new();
            check(document, part, value, verbatim, at, &mut inner);
            inner.is_empty()
        });
        if !fits {
            failures.push(format!("{at}: {value} fits none of {}", Value::Array(any.clone())));
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let type_of = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let typed = types.contains(&type_of) || (type_of == "integer" && types.contains(&"number"));
    if !types.is_empty() && !typed {
        failures.push(format!("{at}: a {type_of} where the schema says {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        failures.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    match value {
        Value::Object(fields) => {
            let properties = schema["properties"].as_object();
            for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if !fields.contains_key(required) {
                    failures.push(format!("{at}/{required}: required by the schema, absent from the wire"));
                }
            }
            let open = !matches!(schema["additionalProperties"], Value::Null | Value::Bool(false));
            for (name, field) in fields {
                match properties.and_then(|p| p.get(name)) {
                    Some(property) => {
                        check(document, property, field, verbatim, &format!("{at}/{name}"), failures)
                    }
                    None if open && verbatim.contains(&name.as_str()) => {}
                    // A free-form object (`{"type": "object"}` alone) takes any property.
                    None if properties.is_none() && schema["additionalProperties"] != false => {}
                    None => failures.push(format!("{at}/{name}: on the wire, not in the schema")),
                }
            }
        }
        Value::Array(items) if schema.get("items").is_some() => {
            for (index, item) in items.iter().enumerate() {
                check(document, &schema["items"], item, verbatim, &format!("{at}/{index}"), failures);
            }
        }
        _ => {}
    }
}

/// The schema of a documented operation's 200 or 201 answer.
fn answer_schema<'a>(document: &'a Value, template: &str, method: &str) -> &'a Value {
    let responses = &document["paths"][template][method]["responses"];
    let answer = if responses.get("201").is_some() { &responses["201"] } else { &responses["200"] };
    let schema = &answer["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{method} {template} documents no JSON answer");
    schema
}

/// Every application, policy, group and organization answer, as served (with fields the client sent that
/// gatehouse keeps as written), is an instance of the schema the document gives that operation:
/// each property on the wire is in the schema with its type, each required one is present.
#[tokio::test]
async fn access_answers_on_the_wire_are_instances_of_their_documented_schemas() {
    let api = TestApi::new().await;
    let json = document(&api).await;
    let base = format!("/client/v4/accounts/{}/access", api.account);
    let rules = json!([{"everyone": {}}]);
    let kept = ["purpose_justification_required", "is_default", "custom_note"];
    let group = json!({"name": "everyone", "include": rules, "is_default": false, "custom_note": {"a": [1]}});
    let policy = json!({"name": "allow", "decision": "allow", "include": rules, "session_duration": "8h",
                        "purpose_justification_required": true});
    let created = api.call(Method::POST, &format!("{base}/groups"), Some(group.clone())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let group_id = created.result()["id"].as_str().unwrap().to_owned();
    let created = api.call(Method::POST, &format!("{base}/policies"), Some(policy.clone())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let policy_id = created.result()["id"].as_str().unwrap().to_owned();
    let app = json!({"name": "app", "type": "self_hosted", "domain": "app.example.com", "custom_note": "kept",
                     "read_service_tokens_from_header": "authorization", "origin": "http://127.0.0.1:9",
                     "policies": [{"id": policy_id, "precedence": 1},
                                  {"name": "inline", "decision": "bypass", "include": [{"group": {"id": group_id}}],
                                   "custom_note": "kept"}]});
    let created = api.call(Method::POST, &format!("{base}/apps"), Some(app.clone())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let app_id = created.result()["id"].as_str().unwrap().to_owned();
    let revoked = api.call(Method::POST, &format!("{base}/apps/{app_id}/revoke_tokens"), None).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.json);
    let inline = api.call(Method::GET, &format!("{base}/apps/{app_id}/policies"), None).await;
    let inline_id = inline.result()[1]["id"].as_str().unwrap().to_owned();

    let lists = format!("/client/v4/accounts/{}/gateway/lists", api.account);
    let staff = json!({"name": "staff", "type": "EMAIL", "items": [{"value": "alice@example.com", "description": "lead"}]});
    let created = api.call(Method::POST, &lists, Some(staff.clone())).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.json);
    let list = format!("{lists}/{}", created.result()["id"].as_str().unwrap());
    let list_templates = "/client/v4/accounts/{account_id}/gateway/lists";
    let list_template = format!("{list_templates}/{{list_id}}");

    let templates = "/client/v4/accounts/{account_id}/access";
    let calls: Vec<(Method, String, String, Option<Value>)> = vec![
        (Method::POST, lists.clone(), list_templates.to_owned(), Some(staff)),
        (Method::GET, lists.clone(), list_templates.to_owned(), None),
        (Method::GET, list.clone(), list_template.clone(), None),
        (Method::PUT, list.clone(), list_template.clone(), Some(json!({"name": "core", "description": "d"}))),
        (
            Method::PATCH,
            list.clone(),
            list_template.clone(),
            Some(json!({"append": [{"value": "bob@example.com"}]})),
        ),
        (Method::GET, format!("{list}/items"), format!("{list_template}/items"), None),
        (Method::GET, format!("{base}/groups"), format!("{templates}/groups"), None),
        (Method::GET, format!("{base}/groups/{group_id}"), format!("{templates}/groups/{{group_id}}"), None),
        (
            Method::PUT,
            format!("{base}/groups/{group_id}"),
            format!("{templates}/groups/{{group_id}}"),
            Some(group),
        ),
        (Method::GET, format!("{base}/policies"), format!("{templates}/policies"), None),
        (
            Method::GET,
            format!("{base}/policies/{policy_id}"),
            format!("{templates}/policies/{{policy_id}}"),
            None,
        ),
        (
            Method::PUT,
            format!("{base}/policies/{policy_id}"),
            format!("{templates}/policies/{{policy_id}}"),
            Some(policy),
        ),
        (Method::GET, format!("{base}/apps"), format!("{templates}/apps"), None),
        (Method::GET, format!("{base}/apps/{app_id}"), format!("{templates}/apps/{{app_id}}"), None),
        (
            Method::GET,
            format!("{base}/apps/{app_id}/policies"),
            format!("{templates}/apps/{{app_id}}/policies"),
            None,
        ),
        (
            Method::GET,
            format!("{base}/apps/{app_id}/policies/{inline_id}"),
            format!("{templates}/apps/{{app_id}}/policies/{{policy_id}}"),
            None,
        ),
        (Method::GET, format!("{base}/organizations"), format!("{templates}/organizations"), None),
        (
            Method::PUT,
            format!("{base}/organizations"),
            format!("{templates}/organizations"),
            Some(json!({"name": "Acme", "custom_note": "kept",
                        "service_token_inactivity": {"enabled": true, "inactivity_threshold_days": 90, "action": "disable"}})),
        ),
        // Last: it replaces the inline policy (a new id).
        (Method::PUT, format!("{base}/apps/{app_id}"), format!("{templates}/apps/{{app_id}}"), Some(app)),
    ];
    for (method, path, template, body) in calls {
        let reply = api.call(method.clone(), &path, body).await;
        assert!(reply.status.is_success(), "{method} {path}: {}", reply.json);
        let schema = answer_schema(&json, &template, &method.as_str().to_lowercase());
        let mut failures = Vec::new();
        check(&json, schema, &reply.json, &kept, "", &mut failures);
        assert!(failures.is_empty(), "{method} {template}:\n{}\nwire: {}", failures.join("\n"), reply.json);
    }
    // The verbatim fields are on the wire (so the check above saw them), the revocation too.
    let app = api.call(Method::GET, &format!("{base}/apps/{app_id}"), None).await;
    assert_eq!(app.result()["custom_note"], "kept");
    assert!(app.result()["sessions_revoked_at"].is_string(), "{}", app.json);
    assert_eq!(app.result()["policies"][1]["custom_note"], "kept", "{}", app.json);
    let group = api.call(Method::GET, &format!("{base}/groups/{group_id}"), None).await;
    assert_eq!(group.result()["custom_note"], json!({"a": [1]}));
    let organization = api.call(Method::GET, &format!("{base}/organizations"), None).await;
    assert_eq!(organization.result()["custom_note"], "kept", "{}", organization.json);
    assert!(organization.result()["service_token_inactivity"].is_object(), "{}", organization.json);
}

/// The strict check refuses what it should: a property the schema lacks, a wrong type, a
/// missing required property (so the test above cannot pass by accident).
#[test]
fn the_schema_check_refuses_undocumented_fields_wrong_types_and_missing_required_ones() {
    let document = serde_json::to_value(gatehouse_api::openapi_document()).unwrap();
    let group = &document["components"]["schemas"]["GroupBody"];
    assert!(group.is_object(), "no GroupBody component");
    let good = json!({"id": "x", "name": "n", "include": [{"everyone": {}}], "require": [], "exclude": [],
                      "created_at": "t", "updated_at": "t", "is_default": true});
    let mut failures = Vec::new();
    check(&document, group, &good, &["is_default"], "", &mut failures);
    assert!(failures.is_empty(), "{failures:?}");
    let mut undocumented = good.clone();
    undocumented["surprise"] = json!(1);
    let mut wrong_type = good.clone();
    wrong_type["name"] = json!(7);
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("created_at");
    for bad in [undocumented, wrong_type, missing] {
        let mut failures = Vec::new();
        check(&document, group, &bad, &["is_default"], "", &mut failures);
        assert_eq!(failures.len(), 1, "{bad}: {failures:?}");
    }
}
