//! One token: its state and expiry, both secrets' last use while a rotation is under way (is
//! anything still sending the old secret?), its recent access-log records, and the actions.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use gatehouse_api::auth::Access;
use gatehouse_domain::Timestamp;
use gatehouse_store::{AccessLogQuery, PageRequest};

use super::Chrome;
use super::logs::LogRow;
use super::tokens::{Row, row};
use crate::Dash;
use crate::error::{Failure, render};
use crate::format;
use crate::session::Operator;

/// The previous secret while it is still accepted.
#[derive(Debug)]
pub struct Previous {
    pub version: u64,
    pub until: String,
    pub last_seen: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "token_detail.html")]
struct DetailPage {
    chrome: Chrome,
    token: Row,
    enabled: bool,
    duration: String,
    created_at: String,
    version: u64,
    current_last_seen: Option<(String, String)>,
    previous: Option<Previous>,
    logs: Vec<LogRow>,
}

pub async fn show(
    State(dash): State<Dash>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let now = dash.api.clock.now();
    let token = gatehouse_api::tokens::get(&dash.api, &account, &id).await?;
    let seen = |t: Option<Timestamp>| t.map(|t| (format::relative(t, now), t.to_string()));
    let credentials = &token.credentials;
    let previous = credentials.previous().map(|p| Previous {
        version: p.version,
        until: credentials
            .previous_expires_at()
            .map_or_else(|| "until the new secret is first used".to_owned(), |t| format!("until {t}")),
        last_seen: seen(p.last_seen_at),
    });
    let query = AccessLogQuery {
        // By the client id presented, so that wrong secrets sent with it show too.
        client_id: Some(token.client_id.to_string()),
        page: PageRequest { offset: 0, limit: 20 },
        ..AccessLogQuery::default()
    };
    let logs =
        dash.api.store.list_access_logs(&account, &query).await.map_err(gatehouse_api::ApiError::from)?;
    let page = DetailPage {
        chrome: Chrome::new(&operator, "tokens", format!("Service token {}", token.name)),
        enabled: token.enabled,
        duration: token.duration.to_string(),
        created_at: token.created_at.to_string(),
        version: credentials.version(),
        current_last_seen: seen(credentials.current_last_seen_at()),
        previous,
        logs: logs.items.iter().map(|r| LogRow::new(r, now)).collect(),
        token: row(&token, now, String::new()),
    };
    render(&page)
}
