//! The service tokens list: search, the "expires soon" / "expired" / "unused" filters, pages of
//! 50, and per token its state, expiry, last use and a 24 h sparkline of allowed and denied
//! requests.
//!
//! Pages are found by keyset (`after=<token id>`, `before=<token id>`, `last=1`), never by an
//! offset: the last of 2,000 pages is read from its cursor like the first, not after walking
//! every token before it. Each page reads one token more than it shows, to know whether there
//! is another page in the direction it was read.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gatehouse_api::auth::Access;
use gatehouse_api::pagination::Pagination;
use gatehouse_domain::{ServiceToken, Timestamp, TokenId};
use gatehouse_store::{TokenCursor, TokenFilter};
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
    /// The next page: the tokens created after this one.
    after: Option<String>,
    /// The previous page: the tokens created before this one.
    before: Option<String>,
    /// The last page, when set.
    last: Option<String>,
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
    first: Option<String>,
    prev: Option<String>,
    next: Option<String>,
    last: Option<String>,
}

#[derive(Template)]
#[template(path = "token_new.html")]
struct NewTokenPage {
    chrome: Chrome,
}

/// The page the query asks for; a cursor that is no token id is the first page.
fn cursor(query: &ListQuery) -> Option<TokenCursor> {
    let id = |text: &Option<String>| text.as_deref().and_then(|t| TokenId::parse(t.trim()).ok());
    if let Some(id) = id(&query.after) {
        Some(TokenCursor::After(id))
    } else if let Some(id) = id(&query.before) {
        Some(TokenCursor::Before(id))
    } else {
        query.last.is_some().then_some(TokenCursor::Last)
    }
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
    let cursor = cursor(&query);
    let mut filter = filter_for(&show, &query.q, now);
    filter.cursor = cursor.clone();
    // One more than a page: whether there is another page in the direction read.
    let pagination = Pagination { page: 1, per_page: PER_PAGE + 1 };
    let mut found = gatehouse_api::tokens::list(&dash.api, &account, &filter, pagination).await?;
    let more = found.items.len() as u64 > PER_PAGE;
    let backwards = matches!(cursor, Some(TokenCursor::Before(_) | TokenCursor::Last));
    if more && backwards {
        found.items.remove(0);
    }
    found.items.truncate(PER_PAGE as usize);
    let (first_id, last_id) = (found.items.first().map(|t| t.id), found.items.last().map(|t| t.id));
    let (has_prev, has_next) = match cursor {
        None => (false, more),
        // The cursor's token itself lies behind a page read forward, and ahead of one read back.
        Some(TokenCursor::After(_)) => (true, more),
        Some(TokenCursor::Before(_)) => (more, true),
        Some(TokenCursor::Last) => (more, false),
    };
    let base = format!("/dash/tokens?q={}&show={}", encode(&query.q), encode(&show));
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
    let prev = first_id.filter(|_| has_prev).map(|id| format!("{base}&before={id}"));
    let next = last_id.filter(|_| has_next).map(|id| format!("{base}&after={id}"));
    let page_view = TokensPage {
        chrome: Chrome::new(&operator, "tokens", "Service tokens"),
        q: query.q.clone(),
        show,
        rows,
        total: found.total,
        first: cursor.is_some().then(|| base.clone()),
        prev,
        last: has_next.then(|| format!("{base}&last=1")),
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
