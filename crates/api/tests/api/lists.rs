//! Zero Trust lists (`/gateway/lists`) and the `email_list` rules that name them; the delete
//! refusal for a github provider a `github-organization` rule names, and what-if drafts checked
//! like writes.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::policies::{access, assert_error, created, id};
use crate::support::*;

fn lists(api: &TestApi, rest: &str) -> String {
    format!("/client/v4/accounts/{}/gateway/lists{rest}", api.account)
}

/// POSTs a list, asserts 200 (Cloudflare's status for a created list) and returns the `result`.
async fn list_created(api: &TestApi, body: Value) -> Value {
    let reply = api.call(Method::POST, &lists(api, ""), Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.result().clone()
}

fn staff() -> Value {
    json!({"name": "staff", "type": "EMAIL", "description": "people of the staff",
           "items": [{"value": "Alice@Example.com", "description": "lead"}, {"value": "bob@example.com"}]})
}

fn values(list: &Value) -> Vec<&str> {
    list["items"].as_array().unwrap().iter().map(|i| i["value"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn create_get_list_put_patch_items_and_delete() {
    let api = TestApi::new().await;
    let made = list_created(&api, staff()).await;
    assert_eq!(made["name"], "staff");
    assert_eq!(made["type"], "EMAIL");
    assert_eq!(made["description"], "people of the staff");
    assert_eq!(made["count"], 2);
    assert_eq!(values(&made), ["alice@example.com", "bob@example.com"], "addresses are kept in lowercase");
    assert_eq!(made["items"][0]["description"], "lead");
    assert_eq!(made["items"][0]["created_at"], at(0));
    assert_eq!(made["created_at"], at(0));
    let path = lists(&api, &format!("/{}", id(&made)));
    let read = api.call(Method::GET, &path, None).await;
    assert_eq!(read.result(), &made);

    // The collection holds no items, and filters by type.
    let ips =
        list_created(&api, json!({"name": "office", "type": "IP", "items": [{"value": "192.0.2.0/24"}]}))
            .await;
    let listed = api.call(Method::GET, &lists(&api, ""), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.json);
    let all = listed.result().as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|l| l.get("items").is_none()), "{}", listed.json);
    assert_eq!(all[0]["count"], 2);
    assert_eq!(listed.json["result_info"]["total_count"], 2);
    let only_ip = api.call(Method::GET, &lists(&api, "?type=IP"), None).await;
    assert_eq!(only_ip.result().as_array().unwrap().len(), 1);
    assert_eq!(only_ip.result()[0]["id"], ips["id"]);
    let bad_type = api.call(Method::GET, &lists(&api, "?type=PHONE"), None).await;
    assert_error(&bad_type, StatusCode::BAD_REQUEST, 12091, "'type'");

    // PATCH: remove (ignoring values not there), then append (keeping values already there).
    api.clock.advance_secs(60);
    let patch = json!({"remove": ["BOB@example.com", "nobody@example.com"],
                       "append": [{"value": "carol@example.com"}, {"value": "alice@example.com", "description": "again"}]});
    let edited = api.call(Method::PATCH, &path, Some(patch)).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.json);
    assert_eq!(values(edited.result()), ["alice@example.com", "carol@example.com"]);
    assert_eq!(edited.result()["items"][0]["description"], "lead", "an appended value already there is kept");
    assert_eq!(edited.result()["items"][1]["created_at"], at(60));
    assert_eq!(edited.result()["updated_at"], at(60));
    assert_eq!(edited.result()["count"], 2);

    // PUT: renames, and replaces the items when given (a value kept keeps its created_at).
    let put = json!({"name": "core staff", "items": [{"value": "carol@example.com"}, {"value": "dan@example.com"}]});
    let replaced = api.call(Method::PUT, &path, Some(put)).await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.json);
    assert_eq!(replaced.result()["name"], "core staff");
    assert_eq!(replaced.result()["description"], "people of the staff", "kept when not given");
    assert_eq!(values(replaced.result()), ["carol@example.com", "dan@example.com"]);
    assert_eq!(replaced.result()["items"][0]["created_at"], at(60));
    let renamed = api.call(Method::PUT, &path, Some(json!({"name": "core"}))).await;
    assert_eq!(
        values(renamed.result()),
        ["carol@example.com", "dan@example.com"],
        "items kept when not given"
    );
    let empty = api.call(Method::PUT, &path, Some(json!({"name": "core", "items": []}))).await;
    assert_eq!(
        values(empty.result()),
        ["carol@example.com", "dan@example.com"],
        "[] keeps them, as Cloudflare's"
    );

    // The items, a page at a time; a page past the end is empty.
    let items_path = lists(&api, &format!("/{}/items", id(&made)));
    let api_ref = &api;
    let items = |query: &str| {
        let path = format!("{items_path}{query}");
        async move { api_ref.call(Method::GET, &path, None).await }
    };
    let first = items("?per_page=1").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.json);
    assert_eq!(first.result(), &json!([{"value": "carol@example.com", "created_at": at(60)}]));
    assert_eq!(first.json["result_info"]["total_count"], 2);
    assert_eq!(first.json["result_info"]["per_page"], 1);
    let second = items("?per_page=1&page=2").await;
    assert_eq!(second.result()[0]["value"], "dan@example.com");
    assert_eq!(items("?per_page=1&page=3").await.result(), &json!([]));
    assert_eq!(items("").await.result().as_array().unwrap().len(), 2);
    assert_error(&items("?per_page=0").await, StatusCode::BAD_REQUEST, 12091, "per_page");

    // Every change is in the audit log.
    let audit = api.call(Method::GET, &format!("/client/v4/accounts/{}/audit_logs", api.account), None).await;
    let audited =
        audit.result().as_array().unwrap().iter().filter(|r| r["resource"]["type"] == "gateway_list");
    assert_eq!(audited.count(), 6, "two creations, a patch and three puts: {}", audit.json);

    let deleted = api.call(Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.json);
    assert_eq!(deleted.result()["id"], made["id"]);
    assert_error(&api.call(Method::GET, &path, None).await, StatusCode::NOT_FOUND, 12140, "list_not_found");
    assert_error(
        &api.call(Method::DELETE, &path, None).await,
        StatusCode::NOT_FOUND,
        12140,
        "list_not_found",
    );
}

#[tokio::test]
async fn values_are_checked_per_type_and_lists_are_bounded() {
    let api = TestApi::new().await;
    let cases = [
        (
            json!({"type": "EMAIL", "items": [{"value": "not an address"}]}),
            "invalid 'items[0].value': a EMAIL list holds an e-mail address",
        ),
        (
            json!({"type": "IP", "items": [{"value": "192.0.2.0/24"}, {"value": "300.1.1.1"}]}),
            "invalid 'items[1].value'",
        ),
        (json!({"type": "DOMAIN", "items": [{"value": "https://example.com"}]}), "a domain name"),
        (
            json!({"type": "EMAIL", "items": [{"value": "a@example.com"}, {"value": "A@example.com"}]}),
            "already in 'items'",
        ),
        (json!({"type": "SERIAL", "items": [{"value": "x".repeat(1025)}]}), "at most 1024 bytes"),
        (
            json!({"type": "SERIAL", "items": [{"value": "ok", "description": "d".repeat(501)}]}),
            "items[0].description",
        ),
        (json!({"type": "PHONE"}), "'type'"),
        (json!({"name": "", "type": "IP"}), "invalid 'name'"),
        (json!({"name": "n".repeat(351), "type": "IP"}), "invalid 'name'"),
        (json!({"type": "IP", "description": "d".repeat(501)}), "invalid 'description'"),
        (json!({"name": "no type"}), "type"),
    ];
    for (body, needle) in cases {
        let mut body = body;
        if body.get("name").is_none() && body.get("type").is_some() {
            body["name"] = json!("list");
        }
        let reply = api.call(Method::POST, &lists(&api, ""), Some(body.clone())).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, 12130, needle);
    }
    // A list fills up through appends (each body within the size limit) and stops at 5000.
    let ips = |from: usize, to: usize| -> Vec<Value> {
        (from..to)
            .map(|n| json!({"value": format!("10.{}.{}.{}", n / 65536, n / 256 % 256, n % 256)}))
            .collect()
    };
    let made = list_created(&api, json!({"name": "full", "type": "IP", "items": ips(0, 2000)})).await;
    let path = lists(&api, &format!("/{}", id(&made)));
    for (from, to) in [(2000, 4000), (4000, 5000)] {
        let reply = api.call(Method::PATCH, &path, Some(json!({"append": ips(from, to)}))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    }
    let reply = api.call(Method::PATCH, &path, Some(json!({"append": [{"value": "192.0.2.1"}]}))).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, 12130, "at most 5000");
    let reply = api.call(Method::PATCH, &path, Some(json!({"append": [{"value": "nope"}]}))).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, 12130, "an IPv4 or IPv6 address");
    let reply = api.call(Method::PATCH, &path, Some(json!({"items": []}))).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, 12130, "'append' or 'remove'");
    assert_eq!(api.call(Method::GET, &path, None).await.result()["count"], 5000);
    assert!(
        api.call(Method::GET, &lists(&api, ""), None).await.result().as_array().unwrap().len() == 1,
        "nothing else was created"
    );
}

#[tokio::test]
async fn another_accounts_lists_and_unknown_ids_are_not_found() {
    let api = TestApi::new().await;
    let made = list_created(&api, staff()).await;
    let theirs = format!("/client/v4/accounts/{}/gateway/lists/{}", api.other_account, id(&made));
    let reply = api.call_as(OTHER, Method::GET, &theirs, None).await;
    assert_error(&reply, StatusCode::NOT_FOUND, 12140, "list_not_found");
    let reply = api.call_as(OTHER, Method::DELETE, &theirs, None).await;
    assert_error(&reply, StatusCode::NOT_FOUND, 12140, "list_not_found");
    let listed = api
        .call_as(
            OTHER,
            Method::GET,
            &format!("/client/v4/accounts/{}/gateway/lists", api.other_account),
            None,
        )
        .await;
    assert_eq!(listed.result(), &json!([]));
    let mine_via_theirs = api.call_as(OTHER, Method::GET, &lists(&api, ""), None).await;
    assert_eq!(mine_via_theirs.status, StatusCode::FORBIDDEN, "{}", mine_via_theirs.json);
    for unknown in ["6f1c2a3e-0000-4000-8000-000000000000", "staff"] {
        let path = lists(&api, &format!("/{unknown}"));
        assert_error(
            &api.call(Method::GET, &path, None).await,
            StatusCode::NOT_FOUND,
            12140,
            "list_not_found",
        );
        let items = api.call(Method::GET, &format!("{path}/items"), None).await;
        assert_error(&items, StatusCode::NOT_FOUND, 12140, "list_not_found");
        let patch = api.call(Method::PATCH, &path, Some(json!({"remove": ["a@example.com"]}))).await;
        assert_error(&patch, StatusCode::NOT_FOUND, 12140, "list_not_found");
    }
    assert_eq!(api.call(Method::GET, &lists(&api, &format!("/{}", id(&made))), None).await.result(), &made);
}

/// An `email_list` rule must name an EMAIL list of the account; a list a rule names is not
/// deleted; the notice of unevaluated selectors no longer names `email_list`.
#[tokio::test]
async fn email_list_rules_name_an_email_list_and_keep_it_from_being_deleted() {
    let api = TestApi::new().await;
    let emails = id(&list_created(&api, staff()).await).to_owned();
    let ips = id(&list_created(&api, json!({"name": "office", "type": "IP"})).await).to_owned();
    let rule = |list: &str| json!({"email_list": {"id": list}});
    let policy = |rule: Value| json!({"name": "staff", "decision": "allow", "include": [rule]});
    let reply = api.call(Method::POST, &access(&api, "policies"), Some(policy(rule(&emails)))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(reply.json["messages"], json!([]), "evaluated: no unevaluated-selector notice");
    let made = reply.result().clone();
    let missing = "7d9a3c5e-0b1f-4c2a-9e8d-6f5a4b3c2d1e";
    let other_accounts = {
        let reply = api
            .call_as(
                OTHER,
                Method::POST,
                &format!("/client/v4/accounts/{}/gateway/lists", api.other_account),
                Some(staff()),
            )
            .await;
        reply.result()["id"].as_str().unwrap().to_owned()
    };
    for wrong in [ips.as_str(), missing, other_accounts.as_str()] {
        let reply = api.call(Method::POST, &access(&api, "policies"), Some(policy(rule(wrong)))).await;
        assert_error(
            &reply,
            StatusCode::BAD_REQUEST,
            12130,
            "invalid 'include[0]' configuration: email_list.id must name an EMAIL list",
        );
        let group = json!({"name": "g", "include": [{"everyone": {}}], "exclude": [rule(wrong)]});
        let reply = api.call(Method::POST, &access(&api, "groups"), Some(group)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, 12130, "invalid 'exclude[0]' configuration");
        let app = json!({"name": "app", "type": "self_hosted", "domain": "app.example.com", "policies": [policy(rule(wrong))]});
        let reply = api.call(Method::POST, &access(&api, "apps"), Some(app)).await;
        assert_error(
            &reply,
            StatusCode::BAD_REQUEST,
            12130,
            "invalid 'policies[0].include[0]' configuration",
        );
    }
    let malformed = api.call(Method::POST, &access(&api, "policies"), Some(policy(rule("staff")))).await;
    assert_error(
        &malformed,
        StatusCode::BAD_REQUEST,
        12130,
        "email_list.id must be the Zero Trust list's id",
    );

    // Named by a policy, then by a group only: refused both times; free once no rule names it.
    let list_path = lists(&api, &format!("/{emails}"));
    assert_error(
        &api.call(Method::DELETE, &list_path, None).await,
        StatusCode::CONFLICT,
        12141,
        "list_in_use",
    );
    let group = created(&api, "groups", json!({"name": "staff", "include": [rule(&emails)]})).await;
    let policy_path = access(&api, &format!("policies/{}", id(&made)));
    assert_eq!(api.call(Method::DELETE, &policy_path, None).await.status, StatusCode::OK);
    let refused = api.call(Method::DELETE, &list_path, None).await;
    assert_error(&refused, StatusCode::CONFLICT, 12141, "list_in_use");
    assert_eq!(refused.headers["x-should-retry"], "false");
    assert_eq!(api.call(Method::GET, &list_path, None).await.status, StatusCode::OK, "still there");
    let group_path = access(&api, &format!("groups/{}", id(&group)));
    assert_eq!(api.call(Method::DELETE, &group_path, None).await.status, StatusCode::OK);
    assert_eq!(api.call(Method::DELETE, &list_path, None).await.status, StatusCode::OK);
    assert_eq!(api.call(Method::DELETE, &lists(&api, &format!("/{ips}")), None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_github_provider_named_by_a_rule_is_not_deleted() {
    let api = TestApi::new().await;
    let github = json!({"name": "GitHub", "type": "github", "config": {"client_id": "Iv1.0123456789abcdef", "client_secret": "github-secret-for-tests"}});
    let idp = id(&created(&api, "identity_providers", github.clone()).await).to_owned();
    let unused = id(&created(&api, "identity_providers", github).await).to_owned();
    let rule = json!({"github-organization": {"name": "acme", "identity_provider_id": idp}});
    let group = created(&api, "groups", json!({"name": "acme", "include": [rule]})).await;
    let path = access(&api, &format!("identity_providers/{idp}"));
    let refused = api.call(Method::DELETE, &path, None).await;
    assert_error(&refused, StatusCode::CONFLICT, 12138, "identity_provider_in_use");
    assert_eq!(refused.headers["x-should-retry"], "false");
    assert_eq!(api.call(Method::GET, &path, None).await.status, StatusCode::OK, "still there");
    let other = api.call(Method::DELETE, &access(&api, &format!("identity_providers/{unused}")), None).await;
    assert_eq!(other.status, StatusCode::OK, "a provider no rule names is deleted: {}", other.json);
    assert_eq!(
        api.call(Method::DELETE, &access(&api, &format!("groups/{}", id(&group))), None).await.status,
        StatusCode::OK
    );
    assert_eq!(api.call(Method::DELETE, &path, None).await.status, StatusCode::OK);
}

/// A what-if draft is checked as a write would be: a `github-organization` rule must name a
/// github provider, an `email_list` rule an EMAIL list.
#[tokio::test]
async fn what_if_drafts_check_the_providers_and_lists_their_rules_name() {
    let api = TestApi::new().await;
    let app =
        created(&api, "apps", json!({"name": "app", "type": "self_hosted", "domain": "app.example.com"}))
            .await;
    let path = access(&api, &format!("apps/{}/what-if", id(&app)));
    let oidc = json!({"name": "Okta", "type": "oidc", "config": {"client_id": "gatehouse", "client_secret": "oidc-secret-for-tests",
        "auth_url": "https://idp.example.com/auth", "token_url": "https://idp.example.com/token", "certs_url": "https://idp.example.com/jwks"}});
    let okta = id(&created(&api, "identity_providers", oidc).await).to_owned();
    let emails = id(&list_created(&api, staff()).await).to_owned();
    let draft = |rule: Value| {
        json!({"policies": [{"name": "ok", "decision": "bypass", "include": [{"everyone": {}}]},
                                                   {"name": "d", "decision": "allow", "include": [rule]}]})
    };
    let wrong_provider = json!({"github-organization": {"name": "acme", "identity_provider_id": okta}});
    let reply = api.call(Method::POST, &path, Some(draft(wrong_provider))).await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        12130,
        "invalid 'policies[1].include[0]' configuration: github-organization",
    );
    let wrong_list = json!({"email_list": {"id": "7d9a3c5e-0b1f-4c2a-9e8d-6f5a4b3c2d1e"}});
    let reply = api.call(Method::POST, &path, Some(draft(wrong_list))).await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        12130,
        "invalid 'policies[1].include[0]' configuration: email_list",
    );
    let reply = api.call(Method::POST, &path, Some(draft(json!({"email_list": {"id": emails}})))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
}

/// `explain` decides an `email_list` rule with the list as stored now: a member is admitted, a
/// stranger is not, and a removal shows at the next explanation.
#[tokio::test]
async fn explain_reads_the_list_as_it_is_now() {
    let api = TestApi::new().await;
    let list = id(&list_created(&api, staff()).await).to_owned();
    let policy = created(
        &api,
        "policies",
        json!({"name": "staff", "decision": "allow", "include": [{"email_list": {"id": list}}]}),
    )
    .await;
    let app = created(
        &api,
        "apps",
        json!({"name": "app", "type": "self_hosted", "domain": "app.example.com",
        "origin": "http://127.0.0.1:9", "policies": [{"id": id(&policy), "precedence": 1}]}),
    )
    .await;
    let explain = |email: &'static str| {
        let path = access(&api, &format!("apps/{}/explain", id(&app)));
        let api = &api;
        async move { api.call(Method::POST, &path, Some(json!({"email": email, "ip": "10.0.0.1"}))).await }
    };
    let alice = explain("Alice@example.com").await;
    assert_eq!(alice.status, StatusCode::OK, "{}", alice.json);
    assert_eq!(alice.result()["allowed"], true, "{}", alice.json);
    let rule = &alice.result()["policies"][0]["include"][0];
    assert_eq!(rule["selector"], "email_list");
    assert_eq!(rule["reason"], format!("alice@example.com is in the e-mail list {list}"), "{rule}");
    let eve = explain("eve@example.org").await;
    assert_eq!(eve.result()["allowed"], false, "{}", eve.json);
    assert_eq!(
        eve.result()["policies"][0]["include"][0]["reason"],
        format!("eve@example.org is not in the e-mail list {list}")
    );
    let removed = api
        .call(
            Method::PATCH,
            &lists(&api, &format!("/{list}")),
            Some(json!({"remove": ["alice@example.com"]})),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.json);
    assert_eq!(explain("alice@example.com").await.result()["allowed"], false);
}
