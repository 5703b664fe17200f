//! The gateway end to end: the real binary in front of a real origin process, configured through
//! the management API exactly as the user guide shows.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::scene::{Creds, Scene, Token, echoed, origin_header};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Example {
    /// "Allow Only Service Tokens": `non_identity`, `{"service_token": {}}`.
    AnyServiceToken,
    /// "Allow Specific Token": `non_identity`, `{"service_token": {"token_id": …}}`.
    SpecificToken,
    /// "Allow Both Users and Service Tokens": `allow`, a group and a token.
    UsersAndServices,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    AllowedToken,
    AnotherValidToken,
    NoCredentials,
    WrongSecret,
    ExpiredToken,
    DisabledToken,
    DeletedToken,
}

const EXAMPLES: [Example; 3] = [Example::AnyServiceToken, Example::SpecificToken, Example::UsersAndServices];
const CASES: [Case; 7] = [
    Case::AllowedToken,
    Case::AnotherValidToken,
    Case::NoCredentials,
    Case::WrongSecret,
    Case::ExpiredToken,
    Case::DisabledToken,
    Case::DeletedToken,
];

fn expected(example: Example, case: Case) -> u16 {
    match (example, case) {
        (_, Case::AllowedToken) | (Example::AnyServiceToken, Case::AnotherValidToken) => 200,
        _ => 403,
    }
}

/// The policy body of the user guide's example, naming `subject` where the example names a token.
fn policy_body(example: Example, subject: &Token, developers: &str) -> serde_json::Value {
    match example {
        Example::AnyServiceToken => {
            json!({"name": "API-Only Access", "decision": "non_identity", "include": [{"service_token": {}}]})
        }
        Example::SpecificToken => json!({
            "name": "CI/CD Pipeline Only", "decision": "non_identity",
            "include": [{"service_token": {"token_id": subject.id}}]
        }),
        Example::UsersAndServices => json!({
            "name": "Users and Services", "decision": "allow",
            "include": [{"group": {"id": developers}}, {"service_token": {"token_id": subject.id}}]
        }),
    }
}

struct Setup {
    example: Example,
    case: Case,
    host: String,
    subject: Token,
    policy_id: String,
}

#[test]
fn the_user_guides_policy_examples_give_the_right_answer_to_every_kind_of_client() {
    let scene = Scene::start();
    let developers = scene.api(
        "POST",
        "groups",
        Some(json!({"name": "developers", "include": [{"email_domain": {"domain": "example.com"}}]})),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = scene.token("another valid token", "8760h");

    // Expiring tokens are made last so that their "before" check runs inside their lifetime.
    let mut setups = Vec::new();
    for case in CASES.iter().copied().filter(|c| *c != Case::ExpiredToken).chain([Case::ExpiredToken]) {
        for example in EXAMPLES {
            let duration = if case == Case::ExpiredToken { "4s" } else { "8760h" };
            let subject = scene.token(&format!("{example:?} {case:?}"), duration);
            let policy_id = scene.policy(policy_body(example, &subject, &developers));
            let host = format!("{example:?}-{case:?}.example.com").to_ascii_lowercase();
            scene.app(&host, &[&policy_id]);
            if case == Case::ExpiredToken {
                // Checked at once: on a loaded machine the other setups can outlast its lifetime.
                let response = scene.get(&host, "/api/data", Creds::Token(&subject));
                assert_eq!(response.status, 200, "{example:?}/{case:?} before it expires: {}", response.body);
            }
            setups.push(Setup { example, case, host, subject, policy_id });
        }
    }

    // Before: every subject token gets in (expiring ones were checked as they were made).
    for setup in setups.iter().filter(|s| s.case != Case::ExpiredToken) {
        let response = scene.get(&setup.host, "/api/data", Creds::Token(&setup.subject));
        assert_eq!(
            response.status, 200,
            "{:?}/{:?} before the change: {}",
            setup.example, setup.case, response.body
        );
    }

    // The change each case needs.
    for setup in &setups {
        match setup.case {
            Case::DisabledToken => {
                scene.api(
                    "PUT",
                    &format!("service_tokens/{}", setup.subject.id),
                    Some(json!({"enabled": false})),
                );
            }
            Case::DeletedToken => {
                if setup.example != Example::AnyServiceToken {
                    // A token a policy names cannot be deleted (12139): point the policy elsewhere first.
                    scene.api(
                        "PUT",
                        &format!("policies/{}", setup.policy_id),
                        Some(policy_body(setup.example, &other, &developers)),
                    );
                }
                scene.api("DELETE", &format!("service_tokens/{}", setup.subject.id), None);
            }
            _ => {}
        }
    }
    // Expired tokens: admitted until their `expires_at`, refused from then on (polled, with a deadline).
    for setup in setups.iter().filter(|s| s.case == Case::ExpiredToken) {
        wait_until_refused(&scene, setup);
    }

    for setup in &setups {
        let creds = match setup.case {
            Case::AnotherValidToken => Creds::Token(&other),
            Case::NoCredentials => Creds::Nothing,
            Case::WrongSecret => Creds::Pair(
                &setup.subject.client_id,
                "gatehouse_st_not-the-right-secret-0000000000000000000000",
            ),
            _ => Creds::Token(&setup.subject),
        };
        let response = scene.get(&setup.host, "/api/data", creds);
        let want = expected(setup.example, setup.case);
        assert_eq!(response.status, want, "{:?} / {:?}: {}", setup.example, setup.case, response.body);
        if want == 200 {
            let echo = echoed(&response);
            assert!(origin_header(&echo, "cf-access-jwt-assertion").is_some(), "the origin gets the JWT");
        } else {
            assert!(
                response.header("cf-access-error").is_some(),
                "{:?}/{:?}: a denial says so",
                setup.example,
                setup.case
            );
        }
    }
}

#[test]
fn an_unknown_client_id_and_a_wrong_secret_get_the_same_answer() {
    let scene = Scene::start();
    let token = scene.token("ci", "8760h");
    let policy =
        scene.policy(json!({"name": "p", "decision": "non_identity", "include": [{"service_token": {}}]}));
    scene.app("app.example.com", &[&policy]);
    let wrong = scene.get("app.example.com", "/", Creds::Pair(&token.client_id, "gatehouse_st_wrong"));
    let unknown = scene.get(
        "app.example.com",
        "/",
        Creds::Pair("0123456789abcdef0123456789abcdef.access", &token.secret),
    );
    assert_eq!(wrong.status, 403);
    assert_eq!(wrong.status, unknown.status);
    let strip = |body: &str| body.split("ray").next().unwrap_or_default().to_owned();
    assert_eq!(strip(&wrong.body), strip(&unknown.body), "the bodies differ only by request id");
    assert_eq!(wrong.header("cf-access-error"), unknown.header("cf-access-error"));
}

#[test]
fn requests_no_application_matches_get_404_from_the_gateway() {
    let scene = Scene::start();
    let token = scene.token("ci", "8760h");
    let response = scene.get("nothing.example.com", "/", Creds::Token(&token));
    assert_eq!(response.status, 404);
    assert!(!response.body.contains("\"method\""), "nothing reached an origin");
}

/// Polls until the subject of an expiring setup is refused; until then it must be admitted.
#[track_caller]
fn wait_until_refused(scene: &Scene, setup: &Setup) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = scene.get(&setup.host, "/api/data", Creds::Token(&setup.subject));
        match response.status {
            200 => {}
            403 => return,
            other => {
                panic!("{:?}: unexpected {other} while waiting for expiry: {}", setup.example, response.body)
            }
        }
        assert!(Instant::now() < deadline, "{:?}: a 4s token was still admitted after 15s", setup.example);
        std::thread::sleep(Duration::from_millis(50));
    }
}
