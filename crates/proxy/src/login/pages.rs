//! The few HTML pages of the login flow: the choice of identity provider, and short answers
//! (logged out, access denied, login failed). They hold no script, are never cached and may
//! not be framed; names from the configuration are escaped.

use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};

use crate::body::{self, Body};

/// A page saying `message` under `title`.
pub(crate) fn page(status: StatusCode, title: &str, message: &str) -> Response<Body> {
    html(status, title, &format!("<p>{}</p>", escape(message)))
}

/// The login page: one link per identity provider, `(name, href)`.
pub(crate) fn choose(app_name: &str, choices: &[(String, String)]) -> Response<Body> {
    let links: String = choices
        .iter()
        .map(|(name, href)| format!("<li><a href=\"{}\">Log in with {}</a></li>", escape(href), escape(name)))
        .collect();
    let body = format!("<p>Log in to {}</p><ul>{links}</ul>", escape(app_name));
    html(StatusCode::OK, "Log in", &body)
}

/// One field of a [`form`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    /// `email`, `text`, …
    pub kind: &'a str,
    /// The `autocomplete` hint (`email`, `one-time-code`).
    pub autocomplete: &'a str,
    /// Extra attributes, written as given (constants only: never configuration).
    pub attributes: &'static str,
}

/// A page with `message` and one form posting `fields` to `action` (a path on this host).
pub(crate) fn form(
    status: StatusCode,
    title: &str,
    message: &str,
    action: &str,
    fields: &[Field<'_>],
    button: &str,
) -> Response<Body> {
    let inputs: String = fields
        .iter()
        .map(|field| {
            format!(
                "<p><label for=\"{name}\">{label}</label><br><input id=\"{name}\" name=\"{name}\" \
                 type=\"{kind}\" autocomplete=\"{autocomplete}\" required {attributes}></p>",
                name = escape(field.name),
                label = escape(field.label),
                kind = escape(field.kind),
                autocomplete = escape(field.autocomplete),
                attributes = field.attributes,
            )
        })
        .collect();
    let body = format!(
        "<p>{}</p><form method=\"post\" action=\"{}\">{inputs}<p><button type=\"submit\">{}</button></p></form>",
        escape(message),
        escape(action),
        escape(button)
    );
    let mut response = html(status, title, &body);
    // The only difference from the other pages: the form may post to this host.
    response.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; form-action 'self'"),
    );
    response
}

fn html(status: StatusCode, title: &str, body: &str) -> Response<Body> {
    let title = escape(title);
    let text = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body><h1>{title}</h1>{body}</body></html>\n"
    );
    let mut response = Response::new(body::full(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; form-action 'none'"),
    );
    response
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_names_are_escaped() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
