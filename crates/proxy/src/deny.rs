//! Refusals and errors, and the one place that renders them. Every answer the gateway makes
//! itself (401, 403, 429, 404, 400, 502, 504, 500) has the same shape: a JSON body for clients that
//! accept JSON, else a short HTML page; both name the status and a Ray ID (`Cf-Ray`, for correlating logs) and nothing else,
//! so an attacker cannot tell an unknown client id from a wrong secret. The precise reason is a
//! [`Denial`], logged at debug level and attached to the response as an [`AccessOutcome`]
//! extension for the access log.
//!
//! Codes (gatehouse's choice; Cloudflare's pages carry none): `1000 + status`, e.g. 1403.

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use gatehouse_domain::TokenId;
use gatehouse_domain::access::{AppId, PolicyId, Refusal};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};

/// A constant name: a `&str` name is parsed again at every insert.
pub(crate) const CF_RAY: header::HeaderName = header::HeaderName::from_static("cf-ray");

use crate::body::{self, Body};
use crate::snapshot::App;

/// Why a request was refused. Shown to nobody but the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Denial {
    /// No credentials at all.
    MissingCredentials,
    /// Only one of the two headers, duplicated headers, a malformed client id or JSON header.
    MalformedCredentials,
    UnknownClientId,
    WrongSecret,
    /// The token belongs to another account than the application.
    WrongAccount,
    Expired,
    Disabled,
    /// A session JWT that is not ours, altered, expired, for another application, or revoked.
    InvalidSession,
    /// Authenticated (or not), but no policy admits the request.
    NoMatchingPolicy,
    /// A `deny` policy matched.
    DeniedByPolicy,
    /// The application's configuration could not be compiled: it fails closed.
    Misconfigured,
    /// Credentials that failed, from an address or for a client id over its limit of failed
    /// authentications (`limit`): 429 with `Retry-After`.
    RateLimited,
}

/// Who caused a failure (after pingora's `ErrorSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureSource {
    /// The client: bad or missing credentials, or not allowed.
    Downstream,
    /// The origin: unreachable, too slow, or broken.
    Upstream,
    /// gatehouse itself or its configuration.
    Internal,
}

impl Denial {
    /// A stable name for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Denial::MissingCredentials => "missing_credentials",
            Denial::MalformedCredentials => "malformed_credentials",
            Denial::UnknownClientId => "unknown_client_id",
            Denial::WrongSecret => "wrong_secret",
            Denial::WrongAccount => "wrong_account",
            Denial::Expired => "expired",
            Denial::Disabled => "disabled",
            Denial::InvalidSession => "invalid_session",
            Denial::NoMatchingPolicy => "no_matching_policy",
            Denial::DeniedByPolicy => "denied_by_policy",
            Denial::Misconfigured => "misconfigured",
            Denial::RateLimited => "rate_limited",
        }
    }

    /// True when the request failed to authenticate (strict mode answers these 401).
    pub fn is_authentication_failure(self) -> bool {
        !matches!(self, Denial::NoMatchingPolicy | Denial::DeniedByPolicy | Denial::Misconfigured)
    }

    pub fn source(self) -> FailureSource {
        match self {
            Denial::Misconfigured => FailureSource::Internal,
            _ => FailureSource::Downstream,
        }
    }
}

/// The domain's refusal, with the credentials' failure (`Refusal::Credentials`) as it was.
impl From<Refusal<Denial>> for Denial {
    fn from(refusal: Refusal<Denial>) -> Self {
        match refusal {
            Refusal::Credentials(denial) => denial,
            Refusal::MalformedCredentials => Denial::MalformedCredentials,
            Refusal::Misconfigured => Denial::Misconfigured,
            Refusal::DeniedByPolicy(_) => Denial::DeniedByPolicy,
            Refusal::NoMatchingPolicy => Denial::NoMatchingPolicy,
        }
    }
}

impl From<Denial> for &'static str {
    fn from(denial: Denial) -> Self {
        denial.as_str()
    }
}

/// What the gateway decided, attached to every response it makes for an application (as a
/// response extension) so that the access log can record it without parsing anything. Not
/// `Copy`: it carries the presented client id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessOutcome {
    pub app: Option<AppId>,
    /// The token that authenticated, if one did.
    pub token: Option<TokenId>,
    /// The policy that decided, if one matched.
    pub policy: Option<PolicyId>,
    pub allowed: bool,
    pub denial: Option<Denial>,
    /// Set when the origin failed after the request was allowed.
    pub failure: Option<FailureSource>,
    /// Service-token credentials were presented (client id and secret, or a session JWT),
    /// whether or not they authenticated.
    pub service_token: bool,
    /// The client id presented or authenticated (public; never the secret).
    pub client_id: Option<String>,
    /// The person whose session authenticated, if one did; boxed, so that a service token's
    /// outcome, moved through every stage, stays small.
    pub person: Option<Box<gatehouse_store::RecordedPerson>>,
}

/// The status of a refusal at `app`. Strict mode (spec §5.4): 401 when authentication failed,
/// 403 when no policy admits an authenticated token. Otherwise 403, or 401 where the
/// application asks for it (`service_auth_401_redirect`) and has Service Auth policies.
pub(crate) fn status(app: &App, denial: Denial) -> StatusCode {
    if denial == Denial::RateLimited {
        return StatusCode::TOO_MANY_REQUESTS;
    }
    let unauthorized = if app.account.strict {
        denial.is_authentication_failure()
    } else {
        app.service_auth_401_redirect && app.has_service_auth_policy && denial != Denial::Misconfigured
    };
    if unauthorized { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN }
}

/// True when the client asks for JSON (`Accept` naming a JSON type).
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().any(|v| v.to_str().is_ok_and(|v| v.contains("json")))
}

/// A refusal or error in the gateway's one shape.
pub(crate) fn render(status: StatusCode, wants_json: bool) -> Response<Body> {
    let ray_id = ray_id();
    let reason = status.canonical_reason().unwrap_or("Error");
    let code = 1000 + u32::from(status.as_u16());
    let (content_type, text) = if wants_json {
        let value = serde_json::json!({
            "success": false,
            "errors": [{"code": code, "message": reason}],
            "messages": [],
            "result": null,
            "ray_id": ray_id.as_str(),
        });
        ("application/json", value.to_string())
    } else {
        ("text/html; charset=utf-8", page(status, reason, ray_id.as_str()))
    };
    let mut response = Response::new(body::full(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(CF_RAY, ray_id.header());
    match status {
        StatusCode::FORBIDDEN => {
            headers.insert("cf-access-error", HeaderValue::from_static("access.denied"));
        }
        StatusCode::UNAUTHORIZED => {
            headers.insert("cf-access-error", HeaderValue::from_static("access.unauthorized"));
        }
        _ => {}
    }
    response
}

fn page(status: StatusCode, reason: &str, ray_id: &str) -> String {
    let explanation = match status {
        StatusCode::UNAUTHORIZED => "Valid credentials are required to reach this application.",
        StatusCode::FORBIDDEN => "You do not have access to this application.",
        StatusCode::NOT_FOUND => "No application is configured for this address.",
        StatusCode::BAD_REQUEST => "The request could not be understood.",
        StatusCode::TOO_MANY_REQUESTS => "Too many failed attempts; try again later.",
        StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => "The application did not answer.",
        _ => "The request could not be completed.",
    };
    let code = status.as_u16();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{code} {reason}</title></head>\n\
         <body><h1>{code} {reason}</h1><p>{explanation}</p><p class=\"ray\">Ray ID: <code>{ray_id}</code></p></body></html>\n"
    )
}

/// 16 hex characters, the shape of a Cloudflare Ray ID. Ids name decisions; they are not
/// secrets, but they must not reveal how many requests the gateway serves, so consecutive ids
/// are not consecutive numbers:
///
/// - the first 8 digits count seconds (of a monotonic clock, from a random per-process start),
///   so that the ids of one second sit together at the end of the access log's Ray ID index
///   (fully random ids dirtied a different index page per record);
/// - the last 8 are a per-process counter through a keyed 32-bit permutation (a four-round
///   Feistel network whose round function is SipHash under a random per-process key), so they
///   never repeat within a second and tell nothing about the ids in between without the key.
///
/// Taking one costs an atomic increment, a monotonic clock read and four short SipHash calls.
pub(crate) fn ray_id() -> RayId {
    let n = ray_number();
    // Sixteen lowercase hex digits, written directly (a per-char `collect` cost more than the
    // rest of the id's bookkeeping together).
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 16];
    for (i, digit) in text.iter_mut().enumerate() {
        *digit = DIGITS[((n >> (60 - 4 * i)) & 0xf) as usize];
    }
    RayId(text)
}

/// A Ray ID held inline: taken, put in a header and queued for the access log without an
/// allocation of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RayId([u8; 16]);

impl RayId {
    pub(crate) fn as_str(&self) -> &str {
        // Always ASCII hex (see `ray_id`).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// A Ray ID as `ray_id` writes it (sixteen lowercase hex digits), from a header.
    pub(crate) fn parse(text: &[u8]) -> Option<RayId> {
        let bytes: [u8; 16] = text.try_into().ok()?;
        bytes.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')).then_some(RayId(bytes))
    }

    pub(crate) fn header(&self) -> HeaderValue {
        HeaderValue::from_bytes(&self.0).unwrap_or_else(|_| HeaderValue::from_static("0000000000000000"))
    }
}

impl std::fmt::Debug for RayId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What makes this process's Ray IDs: the permutation's key, the counter, and the clock origin.
struct RayState {
    key: RandomState,
    next: AtomicU32,
    started: Instant,
    first_second: u32,
}

/// The next Ray ID as a number: seconds in the high half, the permuted counter in the low.
fn ray_number() -> u64 {
    static STATE: OnceLock<RayState> = OnceLock::new();
    let state = STATE.get_or_init(|| {
        let mut bytes = [0u8; 8];
        // A failed random source starts both at zero: the key alone keeps the ids unpredictable.
        let _ = getrandom::fill(&mut bytes);
        let [a, b, c, d, e, f, g, h] = bytes;
        RayState {
            key: RandomState::new(),
            next: AtomicU32::new(u32::from_be_bytes([a, b, c, d])),
            started: Instant::now(),
            first_second: u32::from_be_bytes([e, f, g, h]),
        }
    });
    let counter = state.next.fetch_add(1, Ordering::Relaxed);
    let elapsed = u32::try_from(state.started.elapsed().as_secs()).unwrap_or(u32::MAX);
    let second = state.first_second.wrapping_add(elapsed);
    (u64::from(second) << 32) | u64::from(permute(&state.key, counter))
}

/// A keyed permutation of the 32-bit numbers: four Feistel rounds over 16-bit halves.
fn permute(key: &RandomState, n: u32) -> u32 {
    let [a, b, c, d] = n.to_be_bytes();
    let (mut left, mut right) = (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
    for round in 0u8..4 {
        let [.., hi, lo] = key.hash_one((round, right)).to_be_bytes();
        (left, right) = (right, left ^ u16::from_be_bytes([hi, lo]));
    }
    (u32::from(left) << 16) | u32::from(right)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What every request moves from stage to stage and queues stays small: a person's
    /// details, which a service token's request never has, are boxed (unboxed, the outcome was
    /// 152 bytes and the queued decision 240).
    #[test]
    fn a_request_moves_small_outcomes_and_queues_small_decisions() {
        use std::mem::size_of;
        let sizes = (size_of::<AccessOutcome>(), size_of::<crate::access_log::Decision>());
        assert!(sizes.0 <= 96 && sizes.1 <= 176, "outcome and decision: {sizes:?} bytes");
    }

    #[test]
    fn a_refusal_is_the_denial_of_the_same_name() {
        let policy = PolicyId::generate();
        for refusal in [
            Refusal::Credentials(Denial::WrongSecret),
            Refusal::MalformedCredentials,
            Refusal::Misconfigured,
            Refusal::DeniedByPolicy(policy),
            Refusal::NoMatchingPolicy,
        ] {
            assert_eq!(Denial::from(refusal).as_str(), refusal.reason(), "{refusal:?}");
        }
    }

    #[test]
    fn ray_ids_are_sixteen_hex_digits_and_never_repeat_in_a_process() {
        let ids: Vec<String> = (0..1_000).map(|_| ray_id().as_str().to_owned()).collect();
        assert!(ids.iter().all(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())));
        // Zero-padded lowercase hex of a 64-bit number, digit for digit.
        for id in &ids {
            assert_eq!(&format!("{:016x}", u64::from_str_radix(id, 16).unwrap()), id);
        }
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        // The first half counts seconds: ids taken together share it (or, across a second
        // boundary, differ by one).
        let first = u32::from_str_radix(&ids[0][..8], 16).unwrap();
        let last = u32::from_str_radix(&ids[ids.len() - 1][..8], 16).unwrap();
        assert!(last.wrapping_sub(first) <= 1, "{} then {}", ids[0], ids[ids.len() - 1]);
    }

    #[test]
    fn ray_ids_reveal_no_count_and_never_collide_over_a_million() {
        const N: usize = 1_000_000;
        let ids: Vec<u64> = (0..N).map(|_| ray_number()).collect();
        let distinct: std::collections::HashSet<u64> = ids.iter().copied().collect();
        assert_eq!(distinct.len(), N, "no collision over {N} ids");
        let low: Vec<u32> = ids.iter().map(|id| (id & 0xffff_ffff) as u32).collect();
        let distinct: std::collections::HashSet<u32> = low.iter().copied().collect();
        assert_eq!(distinct.len(), N, "not even in the permuted half alone");
        // Not a counter: a step of ±1 between neighbours has chance 2/2^32 each (≈ 0.0005 expected).
        let steps = low.windows(2).filter(|pair| pair[0].abs_diff(pair[1]) <= 1).count();
        assert!(steps <= 2, "{steps} consecutive ids differ by one");
        // Each bit of the permuted half is set about half the time, as for random values
        // (σ = 500 over 1M; 5σ bounds).
        for bit in 0..32 {
            let set = low.iter().filter(|n| *n & (1 << bit) != 0).count();
            assert!(set.abs_diff(N / 2) < 2_500, "bit {bit} set {set} times in {N}");
        }
        // Small changes of the counter scatter: neighbours share about half their bits.
        let mean_flips =
            low.windows(2).map(|p| (p[0] ^ p[1]).count_ones() as f64).sum::<f64>() / (N - 1) as f64;
        assert!((15.8..16.2).contains(&mean_flips), "mean differing bits {mean_flips}");
    }

    #[test]
    fn the_permutation_is_one_to_one() {
        let key = RandomState::new();
        let images: std::collections::HashSet<u32> = (0..1u32 << 20).map(|n| permute(&key, n)).collect();
        assert_eq!(images.len(), 1 << 20);
    }
    use http_body_util::BodyExt;

    async fn text(response: Response<Body>) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn json_and_html_say_only_the_status() {
        let json = render(StatusCode::FORBIDDEN, true);
        assert_eq!(json.headers()["cf-access-error"], "access.denied");
        assert_eq!(json.headers()[header::CONTENT_TYPE], "application/json");
        let body: serde_json::Value = serde_json::from_str(&text(json).await).unwrap();
        assert_eq!(body["success"], false);
        assert_eq!(body["errors"][0]["code"], 1403);
        assert_eq!(body["errors"][0]["message"], "Forbidden");
        assert_eq!(body["ray_id"].as_str().unwrap().len(), 16);

        let html = render(StatusCode::UNAUTHORIZED, false);
        assert_eq!(html.headers()["cf-access-error"], "access.unauthorized");
        let page = text(html).await;
        assert!(page.contains("401 Unauthorized") && page.contains("Ray ID"), "{page}");
    }

    #[test]
    fn only_policy_outcomes_are_not_authentication_failures() {
        assert!(Denial::WrongSecret.is_authentication_failure());
        assert!(Denial::InvalidSession.is_authentication_failure());
        assert!(!Denial::NoMatchingPolicy.is_authentication_failure());
        assert_eq!(Denial::Misconfigured.source(), FailureSource::Internal);
        assert_eq!(Denial::UnknownClientId.as_str(), "unknown_client_id");
        assert_eq!(Denial::RateLimited.as_str(), "rate_limited");
        assert!(Denial::RateLimited.is_authentication_failure());
    }

    #[test]
    fn accept_headers_choose_json() {
        let mut headers = HeaderMap::new();
        assert!(!wants_json(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("text/html, application/json;q=0.9"));
        assert!(wants_json(&headers));
    }
}
