//! The service tokens list: search, the "expires soon" / "expired" / "unused" filters, pages of
//! 50, and per token its state, expiry, last use and a 24 h sparkline of allowed and denied
//! requests.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gatehouse_api::auth::Access;
use gatehouse_api::pagination::Pagination;
use gatehouse_domain::{ServiceToken, Timestamp};
use gatehouse_store::TokenFilter;
use serde::Deserialize;

use super::{Chrome, encode};
use crate::Dash;
use crate::charts;
use crate::error::{Failure, render};
use crate::format::{self, DAY, EXPIRES_SOON_DAYS, UNUSED_DAYS};
use crate::session::Operator;

pub const PER_PAGE: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    show: String,
    page: Option<u64>,
}

/// One row of the table.
#[derive(Debug)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub client_id: String,
    pub status: (&'static str, &'static str),
    pub badge: Option<(&'static str, &'static str)>,
    pub expires: String,
    pub expires_at: String,
    pub last_seen: Option<(String, String)>,
    pub spark: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    chrome: Chrome,
    q: String,
    show: String,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "token_new.html")]
struct NewTokenPage {
    chrome: Chrome,
}

/// The filter a `show` value stands for, at `now`.
pub fn filter_for(show: &str, search: &str, now: Timestamp) -> TokenFilter {
    let days = |n: i64| Timestamp::from_unix(now.unix() + n * DAY);
    TokenFilter {
        search: Some(search.trim().to_owned()).filter(|s| !s.is_empty()),
        expires_before: match show {
            "expiring" => Some(days(EXPIRES_SOON_DAYS)),
            "expired" => Some(now.saturating_add_secs(1)),
            _ => None,
        },
        unused_since: (show == "unused").then(|| days(-UNUSED_DAYS)),
        ..TokenFilter::default()
    }
}

pub async fn list(
    State(dash): State<Dash>,
    operator: Operator,
    Query(query): Query<ListQuery>,
) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let now = dash.api.clock.now();
    let show = match query.show.as_str() {
        "expiring" | "expired" | "unused" => query.show.clone(),
        _ => String::new(),
    };
    let page = query.page.unwrap_or(1).clamp(1, u64::from(u32::MAX));
    let filter = filter_for(&show, &query.q, now);
    let pagination = Pagination { page, per_page: PER_PAGE };
    let found = gatehouse_api::tokens::list(&dash.api, &account, &filter, pagination).await?;
    let ids: Vec<String> = found.items.iter().map(|t| t.client_id.to_string()).collect();
    let activity = charts::token_activity(&dash.api, &account, &ids, now).await?;
    let rows = found
        .items
        .iter()
        .map(|token| {
            row(
                token,
                now,
                activity.get(token.client_id.as_str()).map_or_else(String::new, charts::sparkline),
            )
        })
        .collect();
    let pages = found.total.div_ceil(PER_PAGE).max(1);
    let link = |p: u64| format!("/dash/tokens?q={}&show={}&page={p}", encode(&query.q), encode(&show));
    let (prev, next) = ((page > 1).then(|| link(page - 1)), (page < pages).then(|| link(page + 1)));
    let page_view = TokensPage {
        chrome: Chrome::new(&operator, "tokens", "Service tokens"),
        q: query.q.clone(),
        show,
        rows,
        total: found.total,
        page,
        pages,
        prev,
        next,
    };
    render(&page_view)
}

pub fn row(token: &ServiceToken, now: Timestamp, spark: String) -> Row {
    Row {
        id: token.id.to_string(),
        name: token.name.clone(),
        client_id: token.client_id.to_string(),
        status: format::status(token, now),
        badge: format::expiry_badge(token, now),
        expires: format::relative(token.expires_at, now),
        expires_at: token.expires_at.to_string(),
        last_seen: token.last_seen_at.map(|t| (format::relative(t, now), t.to_string())),
        spark,
    }
}

/// The create form as a page of its own (the list opens the same form in a dialog).
pub async fn new_form(operator: Operator) -> Result<Response, Failure> {
    operator.caller(Access::Write)?;
    render(&NewTokenPage { chrome: Chrome::new(&operator, "tokens", "Create a service token") })
}
