//! The OpenID Connect authorization-code flow against one identity provider, configured the
//! Cloudflare way (explicit endpoints, no discovery): [`start`] makes the authorization URL with
//! a fresh `state`, `nonce` and PKCE (S256) challenge; [`finish`] exchanges the code (client
//! secret in HTTP Basic, the PKCE verifier) and verifies the ID token with `jsonwebtoken`:
//! signature against the provider's current keys (`certs_url`, fetched for each login, so a
//! rotated key is picked up at once; the key named by `kid`, an asymmetric algorithm only),
//! audience, expiry, the nonce, and the issuer when the provider's config names one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_domain::Timestamp;
use gatehouse_domain::access::{Identity, normalize_email};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::idp::{Idp, Oidc};
use super::random_token;

/// Clock skew tolerated on the ID token's `exp` and `iat`.
const LEEWAY_SECS: u64 = 60;

/// What the browser is sent to, and what the callback must check.
pub(crate) struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// What a verified ID token says about the person.
#[derive(Debug)]
pub(crate) struct Claims {
    /// As the provider sent it (not yet normalized).
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: String,
    pub groups: Vec<String>,
    /// `amr`: how the person authenticated (RFC 8176), when the provider says.
    pub amr: Vec<String>,
    /// Every claim of the ID token.
    pub all: Map<String, Value>,
}

pub(crate) fn start(idp: &Oidc, redirect_uri: &str) -> Result<Started, String> {
    let (state, nonce, verifier) = (random_token(), random_token(), random_token());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url = reqwest::Url::parse(&idp.auth_url).map_err(|e| format!("auth_url: {e}"))?;
    let mut scopes = vec!["openid".to_owned()];
    scopes.extend(idp.scopes.iter().filter(|s| *s != "openid").cloned());
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &idp.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &scopes.join(" "))
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(Started { url: url.to_string(), state, nonce, verifier })
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

pub(crate) async fn finish(
    http: &reqwest::Client,
    idp: &Oidc,
    redirect_uri: &str,
    code: &str,
    verifier: &str,
    nonce: &str,
    now: Timestamp,
) -> Result<Claims, String> {
    let keys: JwkSet = http
        .get(&idp.certs_url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("fetching the provider's keys: {e}"))?
        .json()
        .await
        .map_err(|e| format!("the provider's keys: {e}"))?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    let response = http
        .post(&idp.token_url)
        .basic_auth(form_encode(&idp.client_id), Some(form_encode(idp.client_secret.expose())))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| format!("the token request failed: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the token request was refused ({status})"));
    }
    let tokens: TokenResponse = response.json().await.map_err(|e| format!("the token response: {e}"))?;
    let id_token = tokens.id_token.ok_or("the provider sent no ID token")?;
    let all = verify(&id_token, &keys, idp, nonce, now)?;
    let text = |name: &str| all.get(name).and_then(Value::as_str).map(str::to_owned);
    let groups = match all.get("groups") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    };
    let amr = match all.get("amr") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    };
    let email_verified = match all.get("email_verified") {
        Some(Value::Bool(verified)) => Some(*verified),
        Some(Value::String(text)) => Some(text == "true"),
        _ => None,
    };
    Ok(Claims {
        email: text(&idp.email_claim),
        email_verified,
        name: text("name").unwrap_or_default(),
        groups,
        amr,
        all,
    })
}

/// The person a verified ID token of `idp` names: their e-mail address (normalized) and what
/// the login established. Refused (with the reason, for the log) without an e-mail address or
/// when the provider says the address is not verified.
pub(crate) fn person(
    idp: &Idp,
    oidc: &Oidc,
    claims: Claims,
    now: Timestamp,
) -> Result<(String, Identity), &'static str> {
    let Some(email) = claims.email.as_deref().map(normalize_email).filter(|e| e.contains('@')) else {
        return Err("the ID token has no e-mail address");
    };
    if claims.email_verified == Some(false) {
        return Err("the identity provider says the e-mail address is not verified");
    }
    let identity = Identity {
        identity_nonce: random_token(),
        name: claims.name,
        idp_id: idp.id.to_string(),
        idp_type: idp.kind.clone(),
        groups: claims.groups,
        oidc_fields: oidc
            .claims
            .iter()
            .filter_map(|name| claims.all.get(name).map(|value| (name.clone(), value.clone())))
            .collect::<Map<String, Value>>(),
        amr: claims.amr,
        github: None,
        iat: now,
    };
    Ok((email, identity))
}

/// The ID token's claims once its signature, audience, issuer (when configured), time and
/// nonce check out.
fn verify(
    id_token: &str,
    keys: &JwkSet,
    idp: &Oidc,
    nonce: &str,
    now: Timestamp,
) -> Result<Map<String, Value>, String> {
    let header = jsonwebtoken::decode_header(id_token).map_err(|e| format!("the ID token's header: {e}"))?;
    let asymmetric = !matches!(header.alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512);
    if !asymmetric {
        return Err(format!("the ID token is signed with {:?}, not a public key", header.alg));
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or("no key of certs_url matches the ID token's kid")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("the provider's key: {e}"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[&idp.client_id]);
    if let Some(issuer) = &idp.issuer {
        validation.set_issuer(&[issuer]);
    }
    validation.set_required_spec_claims(&["exp", "iat", "aud", "sub"]);
    // Time is the gateway's clock, checked below.
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Map<String, Value>>(id_token, &key, &validation)
        .map_err(|e| format!("the ID token does not verify: {e}"))?
        .claims;
    let at = u64::try_from(now.unix()).unwrap_or(0);
    let exp = claims.get("exp").and_then(Value::as_u64).ok_or("the ID token has no exp")?;
    let iat = claims.get("iat").and_then(Value::as_u64).ok_or("the ID token has no iat")?;
    if exp + LEEWAY_SECS <= at || iat > at + LEEWAY_SECS {
        return Err("the ID token has expired or is not valid yet".to_owned());
    }
    if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
        return Err("the ID token's nonce is not this login's".to_owned());
    }
    Ok(claims)
}

/// RFC 6749 §2.3.1: the client id and secret are form-encoded before HTTP Basic.
fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use gatehouse_domain::Secret;
    use serde_json::json;

    use super::*;

    fn idp() -> Oidc {
        Oidc {
            client_id: "gatehouse".into(),
            client_secret: Secret::new("s".into()),
            auth_url: "https://op.example/auth".into(),
            token_url: "https://op.example/token".into(),
            certs_url: "https://op.example/jwks".into(),
            scopes: vec!["openid".into()],
            claims: vec![],
            email_claim: "email".into(),
            issuer: Some("https://op.example".into()),
        }
    }

    /// An Ed25519 key: the signer, and the provider's JWKS publishing it.
    fn signer() -> (jsonwebtoken::EncodingKey, JwkSet) {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let encoding = jsonwebtoken::EncodingKey::from_ed_der(&pair.serialize_der());
        let x = URL_SAFE_NO_PAD.encode(pair.public_key_raw());
        let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1", "alg": "EdDSA"}]});
        (encoding, serde_json::from_value(jwks).unwrap())
    }

    fn token(key: &jsonwebtoken::EncodingKey, claims: Value) -> String {
        let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        header.kid = Some("k1".into());
        jsonwebtoken::encode(&header, &claims, key).unwrap()
    }

    #[test]
    fn the_id_token_must_carry_this_logins_nonce_audience_issuer_and_time() {
        let (key, jwks) = signer();
        let now = Timestamp::from_unix(1_800_000_000);
        let good = json!({"iss": "https://op.example", "aud": "gatehouse", "sub": "alice",
            "iat": 1_800_000_000u64, "exp": 1_800_000_300u64, "nonce": "n1", "email": "a@example.com"});
        let verified = verify(&token(&key, good.clone()), &jwks, &idp(), "n1", now).unwrap();
        assert_eq!(verified["email"], "a@example.com");
        let wrong_nonce = verify(&token(&key, good.clone()), &jwks, &idp(), "n2", now).unwrap_err();
        assert!(wrong_nonce.contains("nonce"), "{wrong_nonce}");
        for (field, value) in [
            ("aud", json!("someone-else")),
            ("iss", json!("https://evil.example")),
            ("exp", json!(1_799_999_000u64)),
            ("nonce", json!(null)),
        ] {
            let mut claims = good.clone();
            claims[field] = value;
            assert!(verify(&token(&key, claims), &jwks, &idp(), "n1", now).is_err(), "{field}");
        }
        // Another key, and a symmetric signature with the client secret, are refused.
        let (other, _) = signer();
        assert!(verify(&token(&other, good.clone()), &jwks, &idp(), "n1", now).is_err());
        let hs = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &good,
            &jsonwebtoken::EncodingKey::from_secret(b"s"),
        )
        .unwrap();
        assert!(verify(&hs, &jwks, &idp(), "n1", now).unwrap_err().contains("not a public key"));
    }

    #[test]
    fn the_authorization_url_asks_for_a_code_with_pkce_s256() {
        let started = start(&idp(), "https://team.example/cdn-cgi/access/callback").unwrap();
        let url = reqwest::Url::parse(&started.url).unwrap();
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["state"], started.state);
        assert_eq!(query["nonce"], started.nonce);
        assert_eq!(query["code_challenge_method"], "S256");
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(started.verifier.as_bytes()));
        assert_eq!(query["code_challenge"], challenge);
        assert_eq!(query["scope"], "openid");
        assert_ne!(started.state, start(&idp(), "x:").unwrap().state, "fresh each time");
    }

    #[test]
    fn basic_auth_credentials_are_form_encoded() {
        assert_eq!(form_encode("gatehouse"), "gatehouse");
        assert_eq!(form_encode("a b:c/+%"), "a+b%3Ac%2F%2B%25");
    }
}
