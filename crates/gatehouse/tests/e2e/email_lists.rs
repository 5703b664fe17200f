//! `email_list` rules at the gateway, through the real binary: an application whose one policy
//! includes an EMAIL list, people logging in with a one-time PIN (the harness of
//! [`crate::pin_login`]). A member is admitted and mailed a code; a stranger is not; taking the
//! member's address out of the list refuses the very next request of her open session, and
//! putting it back admits her again — each change answered by the API before the request.

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::pin_login::{APP, HTML, PinScene};
use crate::scene::{Scene, origin_header};
use crate::support::http;

const ALICE: &str = "alice@example.com";
const MALLORY: &str = "mallory@example.com";

fn lists_url(scene: &Scene, rest: &str) -> String {
    format!("{}/accounts/{}/gateway/lists{rest}", scene.server.v4(), scene.server.account_id())
}

/// Calls the lists API as the admin; fails unless 200.
#[track_caller]
fn lists_api(scene: &Scene, method: &str, rest: &str, body: Value) -> Value {
    let reply = http(method, &lists_url(scene, rest), Some(scene.server.admin_token()), Some(&body));
    assert_eq!(reply.status, 200, "{method} gateway/lists{rest}: {}", reply.body);
    reply.json()["result"].clone()
}

/// The status of a page of the application for `browser`'s session.
fn status(pins: &PinScene, browser: &Client, path: &str) -> u16 {
    browser.get(pins.url(APP, path)).header("accept", HTML).send().unwrap().status().as_u16()
}

#[test]
fn email_lists_admit_their_members_and_a_removal_refuses_the_next_request() {
    let mut list = String::new();
    let mut pins = PinScene::start_with(|scene| {
        let staff = json!({"name": "staff", "type": "EMAIL",
            "items": [{"value": "Alice@Example.com"}, {"value": "carol@example.com"}]});
        list = lists_api(scene, "POST", "", staff)["id"].as_str().unwrap().to_owned();
        json!([{"email_list": {"id": list}}])
    });

    // Alice is in the list: mailed a code, and admitted with it.
    let alice = pins.browser();
    pins.login_page(&alice, "/");
    pins.send(&alice, ALICE);
    let code = pins.next_code(ALICE);
    let reached = pins.verify(&alice, &code);
    assert_eq!(reached.status(), 200, "a member of the list logs in");
    assert_eq!(reached.url().as_str(), pins.url(APP, "/"));
    let echo: Value = reached.json().unwrap();
    assert_eq!(origin_header(&echo, "cf-access-authenticated-user-email"), Some(ALICE));

    // Mallory is not: no code is mailed to her.
    let mallory = pins.browser();
    pins.login_page(&mallory, "/");
    pins.send(&mallory, MALLORY);
    assert_eq!(pins.mails().len(), 1, "only alice's mail");
    assert!(pins.scene.server.logs().contains("an address no policy admits; none was sent"));

    // Out of the list: her open session is refused at the next request; back in: admitted.
    assert_eq!(status(&pins, &alice, "/before"), 200);
    let removed = lists_api(&pins.scene, "PATCH", &format!("/{list}"), json!({"remove": [ALICE]}));
    assert_eq!(removed["count"], 1, "{removed}");
    assert_eq!(status(&pins, &alice, "/after"), 403, "the next request after the removal");
    lists_api(&pins.scene, "PATCH", &format!("/{list}"), json!({"append": [{"value": ALICE}]}));
    assert_eq!(status(&pins, &alice, "/again"), 200, "the next request after the address is back");

    // A PUT replacing the items takes effect the same way.
    lists_api(
        &pins.scene,
        "PUT",
        &format!("/{list}"),
        json!({"name": "staff", "items": [{"value": "carol@example.com"}]}),
    );
    assert_eq!(status(&pins, &alice, "/replaced"), 403);
}
