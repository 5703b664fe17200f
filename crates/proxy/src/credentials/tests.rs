use http::HeaderValue;

use super::*;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(HeaderName::try_from(*name).unwrap(), HeaderValue::from_str(value).unwrap());
    }
    map
}

fn token_of(presented: Result<Presented, Denial>) -> (String, String) {
    match presented {
        Ok(Presented::ServiceToken { client_id, secret }) => (client_id, secret.expose().to_owned()),
        other => panic!("expected a service token, got {other:?}"),
    }
}

#[test]
fn the_header_pair_is_read_case_insensitively() {
    let map = headers(&[("CF-Access-Client-Id", "abc.access"), ("cf-access-client-SECRET", "s3cret")]);
    assert_eq!(token_of(read(&map, None, true)), ("abc.access".to_owned(), "s3cret".to_owned()));
}

#[test]
fn half_pairs_and_repeated_headers_are_malformed() {
    for pairs in [
        vec![("cf-access-client-id", "abc.access")],
        vec![("cf-access-client-secret", "s")],
        vec![
            ("cf-access-client-id", "a.access"),
            ("cf-access-client-id", "b.access"),
            ("cf-access-client-secret", "s"),
        ],
        vec![
            ("cf-access-client-id", "a.access"),
            ("cf-access-client-secret", "s"),
            ("cf-access-client-secret", "t"),
        ],
        vec![("cf-access-client-id", ""), ("cf-access-client-secret", "s")],
        vec![("cf-access-client-id", "a.access"), ("cf-access-client-secret", "")],
    ] {
        assert_eq!(
            read(&headers(&pairs), None, true).unwrap_err(),
            Denial::MalformedCredentials,
            "{pairs:?}"
        );
    }
}

#[test]
fn the_single_header_needs_exact_lowercase_keys() {
    let name = HeaderName::from_static("x-service-auth");
    let good = headers(&[(
        "x-service-auth",
        r#"{"cf-access-client-id":"abc.access","cf-access-client-secret":"s3"}"#,
    )]);
    assert_eq!(token_of(read(&good, Some(&name), true)), ("abc.access".to_owned(), "s3".to_owned()));
    let cased = headers(&[(
        "x-service-auth",
        r#"{"CF-Access-Client-Id":"abc.access","CF-Access-Client-Secret":"s3"}"#,
    )]);
    assert_eq!(read(&cased, Some(&name), true).unwrap_err(), Denial::MalformedCredentials);
    let garbage = headers(&[("x-service-auth", "abc.access:s3")]);
    assert_eq!(read(&garbage, Some(&name), true).unwrap_err(), Denial::MalformedCredentials);
    assert!(matches!(read(&good, None, true), Ok(Presented::None)), "only the configured header counts");
}

#[test]
fn sessions_come_from_the_cookie_or_the_token_header_where_they_count() {
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIifQ.c2ln";
    let cookie = headers(&[("cookie", &format!("theme=dark; CF_Authorization={jwt}; other=1"))]);
    assert!(matches!(read(&cookie, None, true), Ok(Presented::Session(s)) if s == jwt));
    assert!(matches!(read(&cookie, None, false), Ok(Presented::None)), "ignored where sessions do not count");
    let header = headers(&[("cf-access-token", jwt)]);
    assert!(matches!(read(&header, None, true), Ok(Presented::Session(s)) if s == jwt));
    let junk = headers(&[("cookie", "CF_Authorization=not a jwt")]);
    assert_eq!(read(&junk, None, true).unwrap_err(), Denial::InvalidSession);
    assert!(matches!(read(&HeaderMap::new(), None, true), Ok(Presented::None)));
}

#[test]
fn service_token_headers_win_over_a_session() {
    let map = headers(&[
        ("cookie", "CF_Authorization=a.b.c"),
        ("cf-access-client-id", "abc.access"),
        ("cf-access-client-secret", "s3"),
    ]);
    assert_eq!(token_of(read(&map, None, true)).0, "abc.access");
}
