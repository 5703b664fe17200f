//! The OpenID Connect authorization-code flow against one identity provider, configured the
//! Cloudflare way (explicit endpoints, no discovery), through the `openidconnect` crate:
//! [`start`] makes the authorization URL with a fresh `state`, `nonce` and PKCE (S256)
//! challenge; [`finish`] exchanges the code (client secret in HTTP Basic, the PKCE verifier)
//! and verifies the ID token: signature against the provider's current keys (`certs_url`,
//! fetched for each login, so a rotated key is picked up at once), audience, expiry, the nonce,
//! and the issuer when the provider's config names one.

use chrono::{DateTime, Utc};
use gatehouse_domain::Timestamp;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet};
use openidconnect::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, JsonWebKeySetUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenUrl,
};
use serde_json::{Map, Value};

use super::Idp;

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
    /// Every claim of the ID token.
    pub all: Map<String, Value>,
}

pub(crate) fn start(idp: &Idp, redirect_uri: &str) -> Result<Started, String> {
    let client = client(idp, redirect_uri, CoreJsonWebKeySet::new(Vec::new()))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in idp.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    Ok(Started {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
    })
}

pub(crate) async fn finish(
    http: &reqwest::Client,
    idp: &Idp,
    redirect_uri: &str,
    code: &str,
    verifier: &str,
    nonce: &str,
    now: Timestamp,
) -> Result<Claims, String> {
    let certs = JsonWebKeySetUrl::new(idp.certs_url.clone()).map_err(|e| format!("certs_url: {e}"))?;
    let keys = CoreJsonWebKeySet::fetch_async(&certs, http)
        .await
        .map_err(|e| format!("fetching the provider's keys: {e}"))?;
    let client = client(idp, redirect_uri, keys)?;
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
        .request_async(http)
        .await
        .map_err(|e| format!("the token request failed: {e}"))?;
    let id_token =
        openidconnect::TokenResponse::id_token(&response).ok_or("the provider sent no ID token")?;
    let at = DateTime::<Utc>::from_timestamp(now.unix(), 0).ok_or("the clock is out of range")?;
    let verifier =
        client.id_token_verifier().require_issuer_match(idp.issuer.is_some()).set_time_fn(move || at);
    let claims = id_token
        .claims(&verifier, &Nonce::new(nonce.to_owned()))
        .map_err(|e| format!("the ID token does not verify: {e}"))?;
    // The token verified just above; its payload is read again as JSON for the claims the
    // standard set does not name (`groups`, `config.claims`, a custom e-mail claim).
    let all: Map<String, Value> = jsonwebtoken::dangerous::insecure_decode_claims(id_token.to_string())
        .map_err(|e| format!("the ID token's claims: {e}"))?;
    let email = if idp.email_claim == "email" {
        claims.email().map(|e| e.as_str().to_owned())
    } else {
        all.get(&idp.email_claim).and_then(Value::as_str).map(str::to_owned)
    };
    let groups = match all.get("groups") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    };
    Ok(Claims {
        email,
        email_verified: claims.email_verified(),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned()).unwrap_or_default(),
        groups,
        all,
    })
}

type Configured = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
>;

fn client(idp: &Idp, redirect_uri: &str, keys: CoreJsonWebKeySet) -> Result<Configured, String> {
    // Without a configured issuer the check is off; the crate still needs a URL.
    let issuer = IssuerUrl::new(idp.issuer.clone().unwrap_or_else(|| idp.auth_url.clone()))
        .map_err(|e| format!("issuer: {e}"))?;
    Ok(CoreClient::new(ClientId::new(idp.client_id.clone()), issuer, keys)
        .set_client_secret(ClientSecret::new(idp.client_secret.expose().to_owned()))
        .set_auth_uri(AuthUrl::new(idp.auth_url.clone()).map_err(|e| format!("auth_url: {e}"))?)
        .set_token_uri(TokenUrl::new(idp.token_url.clone()).map_err(|e| format!("token_url: {e}"))?)
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| format!("redirect URI: {e}"))?,
        ))
}
