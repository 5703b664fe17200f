//! Stage 5: the request goes to the application's origin over a keep-alive pool (HTTP/1.1,
//! `http://` or `https://` with the webpki roots), bodies streamed both ways, WebSocket
//! upgrades spliced through. The origin has `timeout` to answer with its response head; after
//! that the body streams for as long as it takes. A failure is the origin's (`Upstream`):
//! 502 when it cannot be reached, 504 when it does not answer in time — unless it was the
//! client's request body that broke (a malformed chunk, say): 400.

mod headers;
mod pool;
mod upgrade;

use std::time::Duration;

use http::header::HOST;
use http::uri::{PathAndQuery, Uri};
use http::{HeaderValue, Request, Response, StatusCode, Version};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;

pub(crate) use headers::{Context, is_websocket_upgrade};

use crate::body::{self, Body, ClientBodyError};
use crate::deny::FailureSource;
use crate::snapshot::Origin;
use crate::timer::Timers;
use pool::SendError;

/// How idle pooled connections to origins live.
const POOL_IDLE: Duration = Duration::from_secs(90);

/// Why a request did not get an answer from its origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OriginError {
    /// Connection refused, unreachable, TLS failure: 502.
    Connect,
    /// No response head within the timeout: 504.
    Timeout,
    /// The connection broke or the origin spoke nonsense: 502.
    Failed,
    /// The client's request body broke off or was malformed while it was being forwarded:
    /// 400, the client's failure and not the origin's.
    ClientBody,
}

impl OriginError {
    pub fn status(self) -> StatusCode {
        match self {
            OriginError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            OriginError::Connect | OriginError::Failed => StatusCode::BAD_GATEWAY,
            OriginError::ClientBody => StatusCode::BAD_REQUEST,
        }
    }

    /// Whose failure it is: the origin's, or the client's for a broken request body.
    pub fn source(self) -> FailureSource {
        match self {
            OriginError::ClientBody => FailureSource::Downstream,
            OriginError::Connect | OriginError::Timeout | OriginError::Failed => FailureSource::Upstream,
        }
    }
}

/// The pool of connections to every origin.
#[derive(Debug)]
pub(crate) struct OriginClient {
    pool: pool::Pool,
    timeout: Duration,
}

impl OriginClient {
    pub fn new(timeout: Duration) -> Result<Self, String> {
        Ok(OriginClient { pool: pool::Pool::new(connector()?, POOL_IDLE), timeout })
    }

    pub async fn forward(
        &self,
        mut request: Request<Incoming>,
        origin: &Origin,
        context: Context<'_>,
        timers: &Timers,
    ) -> Result<Response<Body>, OriginError> {
        let upgrade = is_websocket_upgrade(request.headers());
        let client_side = upgrade.then(|| hyper::upgrade::on(&mut request));
        let (mut parts, incoming) = request.into_parts();
        parts.uri = origin_target(origin, std::mem::take(&mut parts.uri)).ok_or(OriginError::Failed)?;
        parts.version = Version::HTTP_11;
        headers::prepare_request(&mut parts.headers, context, upgrade);
        if !parts.headers.contains_key(HOST) {
            // The routed host was not a valid header value: name the origin instead.
            let authority =
                HeaderValue::from_str(origin.authority.as_str()).map_err(|_| OriginError::Failed)?;
            parts.headers.insert(HOST, authority);
        }
        let request = Request::from_parts(parts, body::from_client(incoming));

        let sent = self.pool.send(&origin.scheme, &origin.authority, request, upgrade);
        let response = match timers.timeout(self.timeout, sent).await {
            None => return Err(OriginError::Timeout),
            Some(Err(SendError::Request(error))) if ClientBodyError::caused(&error) => {
                tracing::debug!(?error, "the client's request body failed");
                return Err(OriginError::ClientBody);
            }
            Some(Err(SendError::Connect(error))) => {
                tracing::debug!(%error, "origin unreachable");
                return Err(OriginError::Connect);
            }
            Some(Err(SendError::Request(error))) => {
                tracing::debug!(%error, "origin request failed");
                return Err(OriginError::Failed);
            }
            Some(Ok(response)) => response,
        };
        if let Some(client_side) = client_side
            && response.status() == StatusCode::SWITCHING_PROTOCOLS
        {
            return Ok(upgrade::splice(response, client_side));
        }
        let (mut parts, incoming) = response.into_parts();
        headers::clean_response(&mut parts.headers, false);
        Ok(Response::from_parts(parts, body::streamed(incoming)))
    }
}

/// Opens connections to origins: `http://`, or `https://` with the webpki roots; HTTP/1.1,
/// `TCP_NODELAY`.
fn connector() -> Result<HttpsConnector<HttpConnector>, String> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(provider)
        .map_err(|e| format!("TLS for origins: {e}"))?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http))
}

/// The request target sent to the origin (origin-form): the origin's base path, then the
/// request's path and query as the client sent them (routing matched their normalized form,
/// which resolves what origins would).
fn origin_target(origin: &Origin, request: Uri) -> Option<Uri> {
    let origin_form = request.scheme().is_none() && request.authority().is_none();
    if origin.base_path.is_empty() && origin_form && request.path_and_query().is_some() {
        return Some(request);
    }
    let path_and_query = request.path_and_query().map_or("/", PathAndQuery::as_str);
    let target = if origin.base_path.is_empty() {
        PathAndQuery::try_from(path_and_query).ok()?
    } else {
        PathAndQuery::try_from(format!("{}{path_and_query}", origin.base_path)).ok()?
    };
    Some(Uri::from(target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_request_body_is_the_clients_failure() {
        assert_eq!(OriginError::ClientBody.status(), StatusCode::BAD_REQUEST);
        assert_eq!(OriginError::ClientBody.source(), FailureSource::Downstream);
        assert_eq!(OriginError::Failed.source(), FailureSource::Upstream);
    }

    #[test]
    fn the_origin_uri_keeps_the_request_path_and_query() {
        let origin = Origin {
            scheme: http::uri::Scheme::HTTP,
            authority: "127.0.0.1:9000".parse().unwrap(),
            base_path: String::new(),
        };
        let uri: Uri = "/a/../b?x=1".parse().unwrap();
        assert_eq!(origin_target(&origin, uri).unwrap().to_string(), "/a/../b?x=1");
        let absolute: Uri = "http://app.example/a?x=1".parse().unwrap();
        assert_eq!(origin_target(&origin, absolute).unwrap().to_string(), "/a?x=1");
        let based = Origin { base_path: "/base".to_owned(), ..origin };
        assert_eq!(origin_target(&based, "/x".parse().unwrap()).unwrap().to_string(), "/base/x");
        assert_eq!(
            origin_target(&based, "http://app.example".parse().unwrap()).unwrap().to_string(),
            "/base/"
        );
    }
}
