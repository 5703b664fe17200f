use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Cloudflare's v4 envelope: `success`, `errors`, `messages`, `result` and, for lists,
/// `result_info`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Envelope<T> {
    #[schema(schema_with = always_true)]
    pub success: bool,
    pub errors: Vec<Message>,
    pub messages: Vec<Message>,
    pub result: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_info: Option<ResultInfo>,
    /// Fields repeated beside `result` (see `docs/api.md`: single service-token responses repeat
    /// the token's public fields at the top level, so the user guide's
    /// `jq '{name, last_seen_at, expires_at}'` works as written). Clients read `result`.
    #[serde(flatten, default, skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(ignore)]
    pub top_level: serde_json::Map<String, serde_json::Value>,
}

impl<T> Envelope<T> {
    pub fn ok(result: T) -> Self {
        Envelope {
            success: true,
            errors: Vec::new(),
            messages: Vec::new(),
            result: Some(result),
            result_info: None,
            top_level: serde_json::Map::new(),
        }
    }

    pub fn list(result: T, info: ResultInfo) -> Self {
        Envelope { result_info: Some(info), ..Self::ok(result) }
    }

    pub fn failure(errors: Vec<Message>) -> Self {
        Envelope {
            success: false,
            errors,
            messages: Vec::new(),
            result: None,
            result_info: None,
            top_level: serde_json::Map::new(),
        }
    }
}

/// An item of `errors` or `messages`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Message {
    pub code: u32,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub error_chain: Option<Vec<Message>>,
}

/// A failure: `success` is false, `result` is null and `errors` says why (see `docs/errors.md`).
/// The schema of every non-2xx answer; the server renders it as `Envelope::<()>::failure`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ErrorEnvelope {
    #[schema(schema_with = always_false)]
    pub success: bool,
    #[schema(min_items = 1)]
    pub errors: Vec<Message>,
    pub messages: Vec<Message>,
    #[schema(schema_with = always_null)]
    pub result: Option<serde_json::Value>,
}

/// `success` of an answer with a 2xx status (an [`Envelope`] describes only those).
fn always_true() -> utoipa::openapi::Object {
    constant(serde_json::Value::Bool(true), utoipa::openapi::Type::Boolean)
}

fn always_false() -> utoipa::openapi::Object {
    constant(serde_json::Value::Bool(false), utoipa::openapi::Type::Boolean)
}

fn always_null() -> utoipa::openapi::Object {
    constant(serde_json::Value::Null, utoipa::openapi::Type::Null)
}

fn constant(value: serde_json::Value, kind: utoipa::openapi::Type) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new().schema_type(kind).enum_values(Some([value])).build()
}

impl Message {
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        Message { code, message: message.into(), error_chain: None }
    }
}

/// Pagination of a list: always complete, because older clients derive the page count from it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct ResultInfo {
    pub page: u64,
    pub per_page: u64,
    /// Items in this page.
    pub count: u64,
    /// Items in all pages.
    pub total_count: u64,
    pub total_pages: u64,
}

impl ResultInfo {
    pub fn new(page: u64, per_page: u64, count: u64, total_count: u64) -> Self {
        let total_pages = if per_page == 0 { 0 } else { total_count.div_ceil(per_page) };
        ResultInfo { page, per_page, count, total_count, total_pages }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_envelope_has_null_result_and_no_result_info() {
        let json =
            serde_json::to_value(Envelope::<()>::failure(vec![Message::new(7003, "No route for the URI")]))
                .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"success":false,"errors":[{"code":7003,"message":"No route for the URI"}],"messages":[],"result":null})
        );
    }

    #[test]
    fn total_pages_rounds_up() {
        assert_eq!(ResultInfo::new(1, 20, 20, 41).total_pages, 3);
        assert_eq!(ResultInfo::new(1, 20, 0, 0).total_pages, 0);
    }
}
