//! One module per screen. Handlers stay short: take the [`Operator`], call the API's operation,
//! fill the page's template.

pub mod app_actions;
pub mod apps;
pub mod audit;
pub mod explain;
pub mod groups;
pub mod home;
pub mod logs;
pub mod policies;
pub mod policy_actions;
pub mod policy_form;
pub mod token_actions;
pub mod token_detail;
pub mod tokens;

use axum::body::Bytes;
use gatehouse_api::ApiError;
use gatehouse_api::body::RawBody;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::session::Operator;

/// What the frame around every page shows: the title, which section is current, who is
/// logged in and whether write controls appear.
#[derive(Debug)]
pub struct Chrome {
    pub title: String,
    pub section: &'static str,
    pub who: String,
    pub can_write: bool,
}

impl Chrome {
    pub fn new(operator: &Operator, section: &'static str, title: impl Into<String>) -> Self {
        Chrome {
            title: title.into(),
            section,
            who: operator.token.name.clone(),
            can_write: operator.can_write(),
        }
    }

    /// `aria-current` for the navigation link of `section`.
    pub fn current(&self, section: &str) -> &'static str {
        if self.section == section { "page" } else { "false" }
    }
}

/// A query-string value, percent-encoded.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A form's JSON read exactly as the v4 API reads a request body (the same parser, the same
/// messages), so a form can never be accepted where the API would refuse the body.
pub fn api_input<T: DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::invalid)?;
    RawBody(Bytes::from(bytes)).json()
}

/// An API error as a form shows it: the detail without the `access.api.error.…:` prefix, and
/// the code.
pub fn form_message(error: &ApiError) -> String {
    let detail = match error.message.split_once(": ") {
        Some((prefix, detail)) if prefix.starts_with("access.api.error.") => detail,
        _ => error.message.as_str(),
    };
    format!("{detail} (code {})", error.code.code())
}

/// A string field of an API JSON object, or "".
pub fn text(value: &Value, field: &str) -> String {
    value.get(field).and_then(Value::as_str).unwrap_or_default().to_owned()
}
