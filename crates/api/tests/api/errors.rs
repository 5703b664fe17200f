use axum::http::{Method, StatusCode};
use gatehouse_api::ErrorCode;

use crate::support::*;

#[test]
fn every_error_code_is_documented() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md");
    let docs = std::fs::read_to_string(path).expect("docs/errors.md exists");
    for code in ErrorCode::ALL {
        let (number, status, _) = code.spec();
        let row = format!("| {number} | {} |", status.as_u16());
        assert!(docs.contains(&row), "docs/errors.md has no row starting `{row}` for {code:?}");
    }
}

#[tokio::test]
async fn unknown_routes_are_404_7003_in_the_envelope() {
    let api = TestApi::new().await;
    for path in ["/", "/client/v4/nope", "/client/v4/accounts/abc/access/unknown"] {
        let reply = api.call(Method::GET, path, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.code(), 7003);
        assert_eq!(reply.json["success"], false);
    }
}

#[tokio::test]
async fn wrong_methods_are_405_in_the_envelope() {
    let api = TestApi::new().await;
    let reply = api.call(Method::PATCH, &api.tokens_path(), None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.code(), 7001);
}

#[tokio::test]
async fn malformed_account_ids_are_unknown_routes() {
    let api = TestApi::new().await;
    let reply = api.call(Method::GET, "/client/v4/accounts/not-hex/access/service_tokens", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.code(), 7003);
}
