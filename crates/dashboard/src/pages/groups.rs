//! Access groups, as the API returns them.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use gatehouse_api::access::NameFilter;
use gatehouse_api::auth::Access;
use gatehouse_api::pagination::Pagination;
use serde_json::Value;

use super::Chrome;
use crate::Dash;
use crate::error::{Failure, render};
use crate::session::Operator;

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    chrome: Chrome,
    /// Name, id, and the rules as JSON.
    groups: Vec<(String, String, String)>,
}

pub async fn list(State(dash): State<Dash>, operator: Operator) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let all = Pagination { page: 1, per_page: 1000 };
    let (groups, _) =
        gatehouse_api::access::groups::list(&dash.api, &account, &NameFilter::default(), all).await?;
    let text = |v: &Value, f: &str| v.get(f).and_then(Value::as_str).unwrap_or_default().to_owned();
    let groups = groups
        .iter()
        .map(|g| {
            let rules = serde_json::json!({"include": g.get("include"), "exclude": g.get("exclude"), "require": g.get("require")});
            (text(g, "name"), text(g, "id"), serde_json::to_string_pretty(&rules).unwrap_or_default())
        })
        .collect();
    render(&GroupsPage { chrome: Chrome::new(&operator, "groups", "Access groups"), groups })
}
