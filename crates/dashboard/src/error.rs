//! Failures as pages: an API error keeps its HTTP status and its message (escaped like every
//! other string); a template that cannot render is a 500 with the details in the server log.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use gatehouse_api::ApiError;

/// A request that failed, shown as an error page.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    message: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl Failure {
    pub fn page(status: StatusCode, message: impl Into<String>) -> Self {
        Failure { status, message: message.into() }
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        let status = error.status.unwrap_or(error.code.spec().1);
        Failure { status, message: format!("{} (code {})", error.message, error.code.code()) }
    }
}

impl From<askama::Error> for Failure {
    fn from(error: askama::Error) -> Self {
        tracing::error!(%error, "dashboard: a page did not render");
        Failure::page(StatusCode::INTERNAL_SERVER_ERROR, "The page could not be rendered.")
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            status: self.status.as_u16(),
            reason: self.status.canonical_reason().unwrap_or("Error"),
            message: &self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

/// Renders a page, or the failure to.
pub fn render(template: &impl Template) -> Result<Response, Failure> {
    Ok(Html(template.render()?).into_response())
}

pub async fn not_found() -> Failure {
    Failure::page(StatusCode::NOT_FOUND, "There is no such page in the dashboard.")
}
