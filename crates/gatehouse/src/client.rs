//! A small client of the management API (Cloudflare's v4 API): where it is, who we are, which
//! account we act on, and how a v4 envelope becomes either a `result` or an error that keeps the
//! API's codes and messages.
//!
//! The `result` is handed back as untyped JSON so that `--json` can print exactly what the API
//! said; callers decode it into the `gatehouse-api-types` body they expect.

use std::fmt;
use std::time::Duration;

use clap::Args;
use gatehouse_api_types::{Envelope, Message};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Where the API is when nothing says otherwise: `gatehouse serve`'s default `--api-listen`.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:8787";

/// How to reach the API; flattened into every command that talks to it.
#[derive(Clone, Args)]
pub struct ClientArgs {
    /// Base URL of the management API, with or without the trailing `/client/v4`.
    #[arg(long, env = "GATEHOUSE_API_URL", default_value = DEFAULT_API_URL, value_name = "URL")]
    pub api_url: String,
    /// API token (also read from CLOUDFLARE_API_TOKEN). Prefer the environment: flags are
    /// visible to other users of the machine.
    #[arg(long, env = "GATEHOUSE_API_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub api_token: Option<ApiToken>,
    /// File holding the API token (instead of --api-token).
    #[arg(long, env = "GATEHOUSE_API_TOKEN_FILE", value_name = "FILE")]
    pub api_token_file: Option<std::path::PathBuf>,
    /// Account to act on (also read from CLOUDFLARE_ACCOUNT_ID); by default the single account
    /// the API token can see.
    #[arg(long, env = "GATEHOUSE_ACCOUNT_ID", value_name = "ID")]
    pub account_id: Option<String>,
    /// Print the API's `result` as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl fmt::Debug for ClientArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientArgs")
            .field("api_url", &self.api_url)
            .field("api_token", &self.api_token)
            .field("api_token_file", &self.api_token_file)
            .field("account_id", &self.account_id)
            .field("json", &self.json)
            .finish()
    }
}

impl ClientArgs {
    /// Resolves the token and the account (flag, then `GATEHOUSE_*`, then `CLOUDFLARE_*`; the
    /// account, failing those, from the API) and returns a client bound to that account.
    pub async fn connect(&self) -> Result<AccountClient, ClientError> {
        let given = self.api_token.clone().filter(|token| !token.0.is_empty());
        let given = gatehouse_server::secret_setting(
            "GATEHOUSE_API_TOKEN",
            given.map(|token| gatehouse_domain::Secret::new(token.0)),
            self.api_token_file.as_deref(),
        )
        .map_err(|error| ClientError::Usage(error.to_string()))?;
        let token = given
            .map(|token| ApiToken(token.expose().to_owned()))
            .or_else(|| env_fallback("CLOUDFLARE_API_TOKEN").map(ApiToken))
            .ok_or_else(|| {
                ClientError::Usage(
                    "no API token: pass --api-token or set GATEHOUSE_API_TOKEN (or CLOUDFLARE_API_TOKEN)"
                        .to_owned(),
                )
            })?;
        let api = ApiClient::new(&self.api_url, token)?;
        let given = self
            .account_id
            .clone()
            .filter(|id| !id.is_empty())
            .or_else(|| env_fallback("CLOUDFLARE_ACCOUNT_ID"));
        let account_id = match given {
            Some(id) => id,
            None => api.discover_account().await?,
        };
        Ok(AccountClient { api, account_id })
    }
}

/// The Cloudflare variables are read here rather than by clap because clap takes one variable
/// per flag and the `GATEHOUSE_*` one comes first.
fn env_fallback(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// An [`ApiClient`] together with the account whose resources it manages.
#[derive(Debug)]
pub struct AccountClient {
    pub api: ApiClient,
    pub account_id: String,
}

impl AccountClient {
    /// `["accounts", <id>, "access", "service_tokens", rest…]`.
    pub fn service_tokens<'a>(&'a self, rest: &[&'a str]) -> Vec<&'a str> {
        let mut segments = vec!["accounts", self.account_id.as_str(), "access", "service_tokens"];
        segments.extend_from_slice(rest);
        segments
    }
}

/// The bearer token for the API. Never printed: `Debug` is redacted and there is no `Display`.
#[derive(Clone)]
pub struct ApiToken(String);

impl From<String> for ApiToken {
    fn from(token: String) -> Self {
        ApiToken(token)
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

/// Why a request did not produce a `result`.
#[derive(Debug)]
pub enum ClientError {
    /// The API answered with an error envelope (non-2xx or `success: false`).
    Api { status: StatusCode, errors: Vec<Message> },
    /// The request never got an answer: connection refused, DNS, TLS, timeout.
    Unreachable { url: Url, source: reqwest::Error },
    /// Something answered, but not with what the API sends (a proxy's HTML page, a wrong URL).
    UnexpectedResponse { url: Url, status: StatusCode, detail: String },
    /// Input or configuration that cannot work (a malformed URL, no token, no single account).
    Usage(String),
}

impl ClientError {
    /// One line per problem, as printed on stderr after `error: `.
    pub fn lines(&self) -> Vec<String> {
        match self {
            ClientError::Api { status, errors } if errors.is_empty() => {
                vec![format!("the API answered HTTP {status} without an error message")]
            }
            ClientError::Api { errors, .. } => errors.iter().map(message_line).collect(),
            ClientError::Unreachable { url, source } => {
                vec![format!("cannot reach the API at {url}: {}", error_chain(source))]
            }
            ClientError::UnexpectedResponse { url, status, detail } => {
                vec![format!("unexpected answer from {url} (HTTP {status}): {detail}")]
            }
            ClientError::Usage(message) => vec![message.clone()],
        }
    }
}

/// `message (code N)`, followed by the nested `error_chain` Cloudflare sends for some errors.
fn message_line(message: &Message) -> String {
    let mut line = format!("{} (code {})", message.message, message.code);
    for cause in message.error_chain.iter().flatten() {
        line.push_str(&format!(": {}", message_line(cause)));
    }
    line
}

/// `reqwest::Error` hides the useful part ("Connection refused") in its sources.
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A successful answer: the `result` exactly as the API sent it.
#[derive(Debug)]
pub struct Answer {
    pub url: Url,
    pub status: StatusCode,
    pub result: Value,
}

impl Answer {
    /// Decodes the result into a wire type.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_value(self.result.clone()).map_err(|error| ClientError::UnexpectedResponse {
            url: self.url.clone(),
            status: self.status,
            detail: format!("the result does not have the expected shape ({error})"),
        })
    }
}

/// A client bound to one API base URL and token.
#[derive(Debug)]
pub struct ApiClient {
    http: reqwest::Client,
    /// Always ends in `/client/v4`.
    base: Url,
    token: ApiToken,
}

impl ApiClient {
    /// `base_url` may be given with or without `/client/v4`, with or without a trailing slash.
    pub fn new(base_url: &str, token: ApiToken) -> Result<Self, ClientError> {
        let base = normalise_base_url(base_url)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("gatehouse-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|error| {
                ClientError::Usage(format!("cannot set up the HTTP client: {}", error_chain(&error)))
            })?;
        Ok(ApiClient { http, base, token })
    }

    /// The URL of a path below `/client/v4`, each segment percent-encoded as needed.
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    pub async fn get(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Answer, ClientError> {
        self.send(Method::GET, segments, query, None::<&()>).await
    }

    pub async fn post<B: Serialize>(
        &self,
        segments: &[&str],
        body: Option<&B>,
    ) -> Result<Answer, ClientError> {
        self.send(Method::POST, segments, &[], body).await
    }

    pub async fn put<B: Serialize>(&self, segments: &[&str], body: &B) -> Result<Answer, ClientError> {
        self.send(Method::PUT, segments, &[], Some(body)).await
    }

    pub async fn delete(&self, segments: &[&str]) -> Result<Answer, ClientError> {
        self.send(Method::DELETE, segments, &[], None::<&()>).await
    }

    async fn send<B: Serialize>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<Answer, ClientError> {
        let mut url = self.url(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut request = self.http.request(method, url.clone()).bearer_auth(&self.token.0);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|source| ClientError::Unreachable { url: url.clone(), source: source.without_url() })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|source| ClientError::Unreachable { url: url.clone(), source: source.without_url() })?;
        read_envelope(url, status, &bytes)
    }

    /// The account to act on: the one given, or else the single account the token can see.
    pub async fn discover_account(&self) -> Result<String, ClientError> {
        #[derive(serde::Deserialize)]
        struct AccountSummary {
            id: String,
        }
        let accounts: Vec<AccountSummary> = self.get(&["accounts"], &[]).await?.decode()?;
        match accounts.as_slice() {
            [single] => Ok(single.id.clone()),
            [] => Err(ClientError::Usage("the API token cannot see any account".to_owned())),
            _ => Err(ClientError::Usage(format!(
                "the API token can see {} accounts; choose one with --account-id or GATEHOUSE_ACCOUNT_ID",
                accounts.len()
            ))),
        }
    }
}

/// Turns an HTTP answer into a `result` or an error. Like the SDKs, a non-2xx status is an error
/// whatever the body says; unlike them, a 2xx with `success: false` is one too.
fn read_envelope(url: Url, status: StatusCode, bytes: &[u8]) -> Result<Answer, ClientError> {
    let envelope: Envelope<Value> = match serde_json::from_slice(bytes) {
        Ok(envelope) => envelope,
        Err(error) => {
            let detail = if status.is_success() {
                format!("not a v4 envelope ({error})")
            } else {
                format!("not a v4 envelope: {}", snippet(bytes))
            };
            return Err(ClientError::UnexpectedResponse { url, status, detail });
        }
    };
    if !status.is_success() || !envelope.success {
        return Err(ClientError::Api { status, errors: envelope.errors });
    }
    Ok(Answer { url, status, result: envelope.result.unwrap_or(Value::Null) })
}

/// The start of a body for an error message, on one line.
fn snippet(bytes: &[u8]) -> String {
    const LIMIT: usize = 200;
    let text = String::from_utf8_lossy(bytes);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "(empty body)".to_owned();
    }
    match one_line.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// `http://host:8787`, `http://host:8787/` and `http://host:8787/client/v4/` all become
/// `http://host:8787/client/v4`; a path prefix (a reverse proxy's) is kept.
fn normalise_base_url(text: &str) -> Result<Url, ClientError> {
    let invalid = |why: &str| ClientError::Usage(format!("invalid API URL {text:?}: {why}"));
    let trimmed = text.trim().trim_end_matches('/');
    let with_suffix =
        if trimmed.ends_with("/client/v4") { trimmed.to_owned() } else { format!("{trimmed}/client/v4") };
    let url = Url::parse(&with_suffix).map_err(|error| invalid(&error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("expected an http:// or https:// URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a query or fragment is not allowed"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_is_normalised_with_or_without_client_v4() {
        for given in [
            "http://127.0.0.1:8787",
            "http://127.0.0.1:8787/",
            "http://127.0.0.1:8787/client/v4",
            "http://127.0.0.1:8787/client/v4/",
        ] {
            assert_eq!(
                normalise_base_url(given).unwrap().as_str(),
                "http://127.0.0.1:8787/client/v4",
                "{given}"
            );
        }
        assert_eq!(
            normalise_base_url("https://proxy.example/gatehouse/").unwrap().as_str(),
            "https://proxy.example/gatehouse/client/v4"
        );
        assert!(normalise_base_url("127.0.0.1:8787").is_err());
        assert!(normalise_base_url("ftp://example.com").is_err());
    }

    #[test]
    fn segments_are_appended_and_escaped() {
        let client = ApiClient::new("http://localhost:1/client/v4/", ApiToken::from("t".to_owned())).unwrap();
        assert_eq!(
            client.url(&["accounts", "abc", "access", "service_tokens", "x/../y?z"]).as_str(),
            "http://localhost:1/client/v4/accounts/abc/access/service_tokens/x%2F..%2Fy%3Fz"
        );
    }

    #[test]
    fn error_envelopes_keep_codes_and_messages() {
        let url = Url::parse("http://localhost/client/v4/x").unwrap();
        let body = br#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}"#;
        let error = read_envelope(url.clone(), StatusCode::FORBIDDEN, body).unwrap_err();
        assert_eq!(error.lines(), vec!["Authentication error (code 10000)"]);

        let error =
            read_envelope(url.clone(), StatusCode::BAD_GATEWAY, b"<html>\n bad gateway </html>").unwrap_err();
        assert_eq!(
            error.lines(),
            vec![
                "unexpected answer from http://localhost/client/v4/x (HTTP 502 Bad Gateway): not a v4 envelope: <html> bad gateway </html>"
            ]
        );

        let ok = read_envelope(
            url,
            StatusCode::OK,
            br#"{"success":true,"errors":[],"messages":[],"result":{"id":"a"}}"#,
        );
        assert_eq!(ok.unwrap().result, serde_json::json!({"id":"a"}));
    }

    #[test]
    fn api_token_is_redacted() {
        let token = ApiToken::from("supersecret".to_owned());
        assert!(!format!("{token:?}").contains("supersecret"));
    }
}
