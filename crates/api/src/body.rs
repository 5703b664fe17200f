//! Request bodies: read up to the size limit, parse as JSON whatever the `Content-Type` says
//! (curl's `-d` sends a form type), and explain failures precisely — a syntax error is 6007,
//! a wrong field is 12130 naming the field. Some routes accept an empty body (the SDKs send
//! none, or `Content-Type: application/json` with none, on refresh, rotate and delete).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The raw body, limited to `AppState::body_limit` bytes.
#[derive(Debug)]
pub struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.body_limit;
        axum::body::to_bytes(request.into_body(), limit).await.map(RawBody).map_err(|_| {
            ApiError::new(
                ErrorCode::BodyTooLarge,
                format!("Request body too large: the limit is {limit} bytes"),
            )
        })
    }
}

impl RawBody {
    /// Parses a required JSON body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if is_blank(&self.0) {
            return Err(ApiError::new(
                ErrorCode::MalformedJson,
                "Malformed JSON in request body: the body is empty",
            ));
        }
        parse(&self.0)
    }

    /// Parses an optional JSON body: empty means `T::default()`.
    pub fn json_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, ApiError> {
        if is_blank(&self.0) { Ok(T::default()) } else { parse(&self.0) }
    }
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// Parses a body that must be one JSON object in UTF-8. Both are checked on the whole body, not
/// only on the fields the route reads: serde skips unread strings without validating them, and
/// reads a struct from an array by position (`["new name"]` would rename a token).
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        ApiError::new(
            ErrorCode::MalformedJson,
            format!("Malformed JSON in request body: not valid UTF-8 (at byte {})", error.valid_up_to()),
        )
    })?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_data() {
            if path == "." {
                ApiError::invalid(strip_position(&inner.to_string()))
            } else {
                ApiError::invalid(format!("invalid '{path}': {}", strip_position(&inner.to_string())))
            }
        } else {
            ApiError::new(ErrorCode::MalformedJson, format!("Malformed JSON in request body: {inner}"))
        }
    })?;
    deserializer.end().map_err(|error| {
        ApiError::new(ErrorCode::MalformedJson, format!("Malformed JSON in request body: {error}"))
    })?;
    if !text.trim_start().starts_with('{') {
        return Err(ApiError::invalid("the body must be a JSON object"));
    }
    Ok(value)
}

/// serde_json appends " at line 1 column 12" to data errors; the field path says more.
fn strip_position(message: &str) -> &str {
    message.find(" at line ").map_or(message, |at| &message[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        #[serde(default)]
        enabled: Option<bool>,
    }

    fn body(text: &str) -> RawBody {
        RawBody(Bytes::from(text.to_owned()))
    }

    #[test]
    fn wrong_types_name_the_field() {
        let error = body(r#"{"name":"x","enabled":"yes"}"#).json::<Sample>().unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest);
        assert!(error.message.contains("'enabled'"), "{}", error.message);
        assert!(!error.message.contains("line 1"), "{}", error.message);
    }

    #[test]
    fn missing_fields_are_named() {
        let error = body(r#"{"enabled":true}"#).json::<Sample>().unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest);
        assert!(error.message.contains("name"), "{}", error.message);
    }

    #[test]
    fn syntax_errors_are_6007() {
        for text in [r#"{"name":"#, "not json", r#"{"name":"x"} trailing"#, "\u{0}"] {
            let error = body(text).json::<Sample>().unwrap_err();
            assert_eq!(error.code, ErrorCode::MalformedJson, "{text:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_6007_even_in_a_field_the_route_does_not_read() {
        let error = RawBody(Bytes::from_static(b"{\"name\":\"x\",\"unread\":\"\xff\"}"))
            .json::<Sample>()
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::MalformedJson);
        assert!(error.message.contains("UTF-8"), "{}", error.message);
    }

    #[test]
    fn arrays_and_scalars_are_not_read_as_objects() {
        for text in ["[]", r#"["x", true]"#, "null", "42"] {
            let error = body(text).json_or_default::<Sample>().unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidRequest, "{text}");
            let error = body(text).json::<serde_json::Value>().unwrap_err();
            assert!(error.message.contains("JSON object"), "{text}: {}", error.message);
        }
        assert!(body(r#" {"name":"x"}"#).json::<Sample>().is_ok());
    }

    #[test]
    fn empty_bodies_are_default_where_allowed() {
        assert!(body("").json_or_default::<Sample>().is_ok());
        assert!(body("  \n").json_or_default::<Sample>().is_ok());
        assert_eq!(body("").json::<Sample>().unwrap_err().code, ErrorCode::MalformedJson);
    }
}
