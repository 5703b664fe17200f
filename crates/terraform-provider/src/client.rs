//! The v4 API client: JSON over HTTP to gatehouse (or anything speaking Cloudflare's v4 Access API).

use std::fmt;

use gatehouse_api_types::{Envelope, Message};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Cloudflare's public API, the v5 provider's default base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// How the client authenticates.
#[derive(Clone)]
pub enum Credentials {
    /// `Authorization: Bearer <api_token>`.
    Token(String),
    /// `X-Auth-Email` + `X-Auth-Key` (legacy global API key).
    Key { email: String, key: String },
    /// `X-Auth-User-Service-Key`.
    UserServiceKey(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets.
        match self {
            Credentials::Token(_) => f.write_str("Token(..)"),
            Credentials::Key { email, .. } => write!(f, "Key {{ email: {email:?}, .. }}"),
            Credentials::UserServiceKey(_) => f.write_str("UserServiceKey(..)"),
        }
    }
}

/// A failed API call: the HTTP status (0 when no answer came) and the envelope's errors.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub errors: Vec<Message>,
    pub what: String,
}

impl ApiError {
    fn transport(what: String, message: String) -> Self {
        ApiError { status: 0, errors: vec![Message::new(0, message)], what }
    }

    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.what)?;
        if self.status != 0 {
            write!(f, " (HTTP {})", self.status)?;
        }
        for error in &self.errors {
            if error.code == 0 {
                write!(f, ": {}", error.message)?;
            } else {
                write!(f, ": {} ({})", error.message, error.code)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A configured client.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    credentials: Option<Credentials>,
}

impl Client {
    pub fn new(base_url: &str, credentials: Option<Credentials>, user_agent: &str) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let base_url = base_url.trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(format!("base_url {base_url:?} must start with http:// or https://"));
        }
        Ok(Client { http, base_url, credentials })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.call::<(), T>(reqwest::Method::GET, path.to_string(), None).await
    }

    pub async fn delete(&self, path: &str) -> Result<serde_json::Value, ApiError> {
        self.call::<(), serde_json::Value>(reqwest::Method::DELETE, path.to_string(), None).await
    }

    pub async fn post<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.call(reqwest::Method::POST, path.to_string(), Some(body)).await
    }

    pub async fn put<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.call(reqwest::Method::PUT, path.to_string(), Some(body)).await
    }

    /// Every page of a list.
    pub async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, ApiError> {
        let mut all = Vec::new();
        let mut page = 1u64;
        loop {
            let mut params: Vec<(&str, String)> = query.to_vec();
            params.push(("page", page.to_string()));
            params.push(("per_page", "100".to_string()));
            let encoded: Vec<String> =
                params.iter().map(|(k, v)| format!("{k}={}", percent_encode(v))).collect();
            let items: Vec<T> = self.get(&format!("{path}?{}", encoded.join("&"))).await?;
            if items.is_empty() {
                return Ok(all);
            }
            let short = items.len() < 100;
            all.extend(items);
            if short {
                return Ok(all);
            }
            page += 1;
        }
    }

    async fn call<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: String,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let what = format!("{method} {}", path.split('?').next().unwrap_or_default());
        let url = format!("{}{path}", self.base_url);
        let mut request = self.http.request(method, &url).header("accept", "application/json");
        request = match &self.credentials {
            Some(Credentials::Token(token)) => request.bearer_auth(token),
            Some(Credentials::Key { email, key }) => {
                request.header("x-auth-email", email).header("x-auth-key", key)
            }
            Some(Credentials::UserServiceKey(key)) => request.header("x-auth-user-service-key", key),
            None => request,
        };
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| ApiError::transport(what.clone(), e.to_string()))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| ApiError::transport(what.clone(), e.to_string()))?;
        let envelope: Envelope<serde_json::Value> = match serde_json::from_slice(&bytes) {
            Ok(envelope) => envelope,
            Err(_) => {
                let snippet: String = String::from_utf8_lossy(&bytes).chars().take(200).collect();
                return Err(ApiError {
                    status,
                    errors: vec![Message::new(
                        0,
                        format!("the answer is not a v4 API envelope: {snippet:?}"),
                    )],
                    what,
                });
            }
        };
        if !(200..300).contains(&status) || !envelope.success {
            return Err(ApiError { status, errors: envelope.errors, what });
        }
        let result = envelope.result.unwrap_or(serde_json::Value::Null);
        serde_json::from_value(result).map_err(|e| ApiError {
            status,
            errors: vec![Message::new(0, format!("unexpected result shape: {e}"))],
            what,
        })
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The path prefix of an account- or zone-scoped Access resource.
pub fn scope_path(account_id: Option<&str>, zone_id: Option<&str>) -> Result<String, String> {
    match (account_id, zone_id) {
        (Some(account), None) => Ok(format!("/accounts/{account}/access")),
        (None, Some(zone)) => Ok(format!("/zones/{zone}/access")),
        (Some(_), Some(_)) => Err("account_id and zone_id are mutually exclusive: set only one".to_string()),
        (None, None) => Err("one of account_id or zone_id must be set".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values() {
        assert_eq!(percent_encode("GitHub Actions/ci"), "GitHub%20Actions%2Fci");
    }

    #[test]
    fn scope_needs_exactly_one_id() {
        assert_eq!(scope_path(Some("a"), None).unwrap(), "/accounts/a/access");
        assert_eq!(scope_path(None, Some("z")).unwrap(), "/zones/z/access");
        assert!(scope_path(None, None).is_err());
        assert!(scope_path(Some("a"), Some("z")).is_err());
    }

    #[test]
    fn error_text_carries_code_and_message() {
        let error = ApiError {
            status: 409,
            errors: vec![Message::new(12130, "access.api.error.conflict")],
            what: "POST /accounts/a/access/service_tokens".into(),
        };
        assert_eq!(
            error.to_string(),
            "POST /accounts/a/access/service_tokens (HTTP 409): access.api.error.conflict (12130)"
        );
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        assert_eq!(format!("{:?}", Credentials::Token("s3cret".into())), "Token(..)");
    }
}
