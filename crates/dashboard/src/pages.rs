//! One module per screen. Handlers stay short: take the [`Operator`], call the API's operation,
//! fill the page's template.

pub mod apps;
pub mod audit;
pub mod groups;
pub mod home;
pub mod logs;
pub mod token_actions;
pub mod token_detail;
pub mod tokens;

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
