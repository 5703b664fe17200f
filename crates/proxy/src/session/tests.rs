use std::sync::Arc;

use gatehouse_domain::{ServerKey, Timestamp, TokenId};

use super::*;
use crate::keys::AccountKeys;
use crate::snapshot::testing;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix(seconds)
}

fn who() -> Authenticated {
    Authenticated { id: TokenId::generate(), client_id: "0123456789abcdef0123456789abcdef.access".to_owned() }
}

fn text(value: &HeaderValue) -> &str {
    value.to_str().unwrap()
}

#[test]
fn a_jwt_is_reused_until_near_its_expiry_then_renewed() {
    let server_key = ServerKey::generate();
    let app = testing::app(testing::keys(&server_key).1, "aud1");
    let sessions = Sessions::default();
    let who = who();
    let (first, exp) = sessions.issue(&app, &who, 3600, at(1_000)).unwrap();
    assert_eq!(exp, 4_600);
    let (again, _) = sessions.issue(&app, &who, 3600, at(1_000 + 3000)).unwrap();
    assert_eq!(first, again, "reused while more than a tenth of its life remains");
    let (renewed, exp) = sessions.issue(&app, &who, 3600, at(1_000 + 3300)).unwrap();
    assert_ne!(first, renewed);
    assert_eq!(exp, 4_300 + 3600);
    let (other_lifetime, _) = sessions.issue(&app, &who, 60, at(4_300)).unwrap();
    assert_ne!(other_lifetime, renewed, "a different session duration is a different JWT");
    assert_eq!(sessions.issued_len(), 1);

    let claims: AppClaims = jsonwebtoken::dangerous::insecure_decode_claims(text(&first)).unwrap();
    assert_eq!(claims.kind, "app");
    assert_eq!(claims.aud, vec!["aud1".to_owned()]);
    assert_eq!((claims.iat, claims.exp), (1_000, 4_600));
    assert_eq!(claims.iss, "https://team.example.com");
    assert_eq!(claims.common_name.as_deref(), Some(who.client_id.as_str()));
    assert_eq!((claims.email.as_deref(), claims.nbf), (None, None), "a token's JWT names no person");
    assert_eq!(claims.sub, "");
    let header = jsonwebtoken::decode_header(text(&first)).unwrap();
    assert_eq!(header.kid.as_deref(), Some(app.account.keys.current.kid.as_str()));
    assert_eq!(header.typ.as_deref(), Some("JWT"));
}

#[test]
fn revocation_and_key_rotation_make_a_new_jwt() {
    let server_key = ServerKey::generate();
    let (mut stored, loaded) = testing::keys(&server_key);
    let mut app = testing::app(loaded, "aud1");
    let sessions = Sessions::default();
    let who = who();
    let (first, _) = sessions.issue(&app, &who, 3600, at(1_000)).unwrap();
    assert!(sessions.verify(&app, text(&first), at(1_000)).is_ok());
    // Revoked in the very second the first JWT was issued: it must die, a new one must live.
    app.sessions_revoked_at = Some(at(1_000));
    assert_eq!(sessions.verify(&app, text(&first), at(1_000)).unwrap_err(), Denial::InvalidSession);
    let (after_revoke, _) = sessions.issue(&app, &who, 3600, at(1_000)).unwrap();
    assert_ne!(first, after_revoke);
    assert_eq!(sessions.issue(&app, &who, 3600, at(1_000)).unwrap().0, after_revoke, "reused");
    assert_eq!(sessions.verify(&app, text(&first), at(1_002)).unwrap_err(), Denial::InvalidSession);
    assert!(sessions.verify(&app, text(&after_revoke), at(1_002)).is_ok());
    stored.rotate(&server_key, at(1_100), 2048).unwrap();
    let known: Vec<Arc<_>> = app.account.keys.all().cloned().collect();
    Arc::get_mut(&mut app.account).unwrap().keys = AccountKeys::load(&stored, &server_key, &known).unwrap();
    let (after_rotation, _) = sessions.issue(&app, &who, 3600, at(1_200)).unwrap();
    assert_ne!(after_rotation, after_revoke);
    let kid = jsonwebtoken::decode_header(text(&after_rotation)).unwrap().kid.unwrap();
    assert_eq!(kid, stored.current.kid);
}

#[test]
fn verification_checks_signature_audience_issuer_and_time() {
    let server_key = ServerKey::generate();
    let app = testing::app(testing::keys(&server_key).1, "aud1");
    let sessions = Sessions::default();
    let who = who();
    let (jwt, _) = sessions.issue(&app, &who, 3600, at(1_000)).unwrap();
    let session = sessions.verify(&app, text(&jwt), at(1_500)).unwrap();
    assert_eq!(session, Session { subject: Subject::Token(who.client_id.clone()), iat: 1_000 });
    assert!(sessions.verify(&app, text(&jwt), at(1_500)).is_ok(), "cached verification");
    assert_eq!(sessions.verify(&app, text(&jwt), at(4_600)).unwrap_err(), Denial::InvalidSession, "expired");

    let other_app = App { aud: "aud2".to_owned(), ..testing::app(app.account.keys.clone(), "aud2") };
    assert_eq!(sessions.verify(&other_app, text(&jwt), at(1_500)).unwrap_err(), Denial::InvalidSession);
    let other_keys = testing::app(testing::keys(&server_key).1, "aud1");
    assert_eq!(sessions.verify(&other_keys, text(&jwt), at(1_500)).unwrap_err(), Denial::InvalidSession);

    let mut parts: Vec<String> = text(&jwt).split('.').map(str::to_owned).collect();
    let forged = serde_json::json!({"type":"app","aud":["aud1"],"exp":99_999,"iat":1_000,"iss":"https://team.example.com","common_name":"x.access","sub":""});
    parts[1] = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, forged.to_string());
    let fresh = Sessions::default();
    assert_eq!(fresh.verify(&app, &parts.join("."), at(1_500)).unwrap_err(), Denial::InvalidSession);
}

#[test]
fn cookies_are_host_only_http_only_and_secure_over_tls() {
    let jwt = HeaderValue::from_static("a.b.c");
    let plain = cookie(&jwt, 3600, false).unwrap();
    assert_eq!(plain, "CF_Authorization=a.b.c; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600");
    assert!(cookie(&jwt, 10, true).unwrap().to_str().unwrap().ends_with("; Secure"));
}
