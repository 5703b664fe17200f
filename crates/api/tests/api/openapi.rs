//! `GET /client/v4/openapi.json`: the OpenAPI 3 document generated from the handlers describes
//! exactly the routes the router serves, in the v4 envelope, and parses as OpenAPI 3.

use axum::http::{Method, StatusCode};
use serde_json::Value;

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
