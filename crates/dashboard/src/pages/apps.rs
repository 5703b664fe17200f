//! Applications and their policies, as the API returns them (its own output code, so what the
//! page shows is what a script would read).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use gatehouse_api::access::apps::AppFilter;
use gatehouse_api::auth::Access;
use gatehouse_api::pagination::Pagination;
use serde_json::Value;

use super::Chrome;
use crate::Dash;
use crate::error::{Failure, render};
use crate::session::Operator;

/// One application in the list.
#[derive(Debug)]
pub struct AppRow {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub policies: usize,
}

#[derive(Template)]
#[template(path = "apps.html")]
struct AppsPage {
    chrome: Chrome,
    apps: Vec<AppRow>,
}

#[derive(Template)]
#[template(path = "app.html")]
struct AppPage {
    chrome: Chrome,
    json: String,
    policies: Vec<(String, String, String)>,
}

fn text(value: &Value, field: &str) -> String {
    value.get(field).and_then(Value::as_str).unwrap_or_default().to_owned()
}

pub async fn list(State(dash): State<Dash>, operator: Operator) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let all = Pagination { page: 1, per_page: 1000 };
    let (apps, _) =
        gatehouse_api::access::apps::list(&dash.api, &account, &AppFilter::default(), all).await?;
    let apps = apps
        .iter()
        .map(|app| AppRow {
            id: text(app, "id"),
            name: text(app, "name"),
            domain: text(app, "domain"),
            policies: app.get("policies").and_then(Value::as_array).map_or(0, Vec::len),
        })
        .collect();
    render(&AppsPage { chrome: Chrome::new(&operator, "apps", "Applications"), apps })
}

pub async fn show(
    State(dash): State<Dash>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let app = gatehouse_api::access::apps::get(&dash.api, &account, &id).await?;
    let policies = app
        .get("policies")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|p| {
                    let json = serde_json::to_string_pretty(p).unwrap_or_default();
                    (text(p, "name"), text(p, "decision"), json)
                })
                .collect()
        })
        .unwrap_or_default();
    let name = text(&app, "name");
    render(&AppPage {
        chrome: Chrome::new(&operator, "apps", format!("Application {name}")),
        json: serde_json::to_string_pretty(&app).unwrap_or_default(),
        policies,
    })
}
