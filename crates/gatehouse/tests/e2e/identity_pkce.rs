//! A wrong PKCE verifier, end to end at the gateway: a code the real OpenID Provider issued to
//! one login (for its S256 challenge) slipped into another login's callback, where the gateway
//! sends that other login's verifier. The harness is [`crate::identity`]'s.

use reqwest::Url;

use crate::identity::{APP, Logins, follow_to_callback, to_login};

/// The `code` and `state` of a callback URL.
fn code_and_state(callback: &str) -> (String, String) {
    let url = Url::parse(callback).unwrap();
    let param = |name: &str| {
        url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned()).unwrap()
    };
    (param("code"), param("state"))
}

#[test]
fn identity_a_code_issued_to_one_login_does_not_exchange_with_another_logins_verifier() {
    let Some(logins) = Logins::start() else { return };
    // Two logins, each stopped at the provider's redirect to the callback: A's code was issued
    // for A's PKCE challenge, B's state cookie seals B's verifier.
    let alice = logins.browser(false);
    let (callback_a, _) = follow_to_callback(&logins, &alice, "dev-alice");
    let bob = logins.browser(false);
    let (callback_b, _) = follow_to_callback(&logins, &bob, "dev-bob");
    let (code_a, state_a) = code_and_state(&callback_a);
    let (_, state_b) = code_and_state(&callback_b);
    assert_ne!(state_a, state_b, "two logins, two states");

    // A's code in B's callback, in B's browser (B's state and state cookie): the gateway sends
    // B's verifier with A's code, the provider refuses the exchange, the login fails.
    let mut slipped = Url::parse(&callback_b).unwrap();
    slipped.query_pairs_mut().clear().append_pair("code", &code_a).append_pair("state", &state_b);
    let refused = bob.get(slipped).send().unwrap();
    assert_eq!(refused.status(), 401, "a code issued to another login's challenge");
    let cookies: Vec<&str> =
        refused.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap()).collect();
    assert!(cookies.is_empty(), "no session, no cookie: {cookies:?}");
    assert!(refused.headers().get("location").is_none(), "no hand-off");
    let logs = logins.scene.server.logs();
    assert!(logs.contains("the token request was refused (400"), "the provider refused it:\n{logs}");
    // B has no session: the application still sends B's browser to log in.
    let after = bob.get(logins.app_url("/")).header("accept", "text/html").send().unwrap();
    assert!(to_login(&logins, &after, APP), "{} {:?}", after.status(), after.headers());

    // The provider refused the code before spending it (it checks the verifier first): with its
    // own login's verifier the same code still logs A in. Had the exchange gone through with the
    // wrong verifier, the code would be spent and this would fail too.
    let own = alice.get(&callback_a).send().unwrap();
    assert_eq!(own.status(), 302, "A's code with A's verifier");
    let location = own.headers()["location"].to_str().unwrap();
    assert!(location.contains("/cdn-cgi/access/authorized?token="), "{location}");
}
