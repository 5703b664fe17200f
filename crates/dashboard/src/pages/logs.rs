//! The access log: every gateway decision with its denial reason, filtered by token (client id),
//! application, decision and time, newest first, 50 to a page.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gatehouse_api::ApiError;
use gatehouse_api::auth::Access;
use gatehouse_domain::Timestamp;
use gatehouse_domain::access::AppId;
use gatehouse_store::{AccessLogQuery, AccessLogRecord, Match, PageRequest};
use serde::Deserialize;

use super::{Chrome, encode};
use crate::Dash;
use crate::error::{Failure, render};
use crate::format;
use crate::session::Operator;

const PER_PAGE: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    app: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    hours: String,
    page: Option<u64>,
}

/// One record as the tables show it.
#[derive(Debug)]
pub struct LogRow {
    pub when: String,
    pub ago: String,
    pub allowed: bool,
    pub reason: String,
    pub app_domain: String,
    pub client_id: String,
    pub token_id: Option<String>,
    pub method: String,
    pub status: u16,
    pub ray_id: String,
    pub ip: String,
}

impl LogRow {
    pub fn new(record: &AccessLogRecord, now: Timestamp) -> Self {
        LogRow {
            when: record.created_at.to_string(),
            ago: format::relative(record.created_at, now),
            allowed: record.allowed,
            reason: record.reason.clone().unwrap_or_default(),
            app_domain: record.app_domain.clone(),
            client_id: record.client_id.clone().unwrap_or_default(),
            token_id: record.service_token_id.map(|id| id.to_string()),
            method: record.method.clone(),
            status: record.status,
            ray_id: record.ray_id.clone(),
            ip: record.ip_address.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "logs.html")]
struct LogsPage {
    chrome: Chrome,
    client_id: String,
    app: String,
    decision: String,
    hours: String,
    rows: Vec<LogRow>,
    total: u64,
    page: u64,
    prev: Option<String>,
    next: Option<String>,
}

pub async fn list(
    State(dash): State<Dash>,
    operator: Operator,
    Query(query): Query<LogQuery>,
) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let now = dash.api.clock.now();
    let page = query.page.unwrap_or(1).clamp(1, 100_000);
    let app = match query.app.trim() {
        "" => None,
        text => Some(Match::Eq(
            AppId::parse(text).map_err(|_| ApiError::invalid("'app' is not an application id"))?,
        )),
    };
    let hours: Option<i64> = query.hours.trim().parse().ok().filter(|h| *h > 0);
    let store_query = AccessLogQuery {
        since: hours.map(|h| Timestamp::from_unix(now.unix() - h * 3_600)),
        allowed: match query.decision.as_str() {
            "allowed" => Some(true),
            "denied" => Some(false),
            _ => None,
        },
        app_uid: app,
        client_id: Some(query.client_id.trim().to_owned()).filter(|c| !c.is_empty()),
        page: PageRequest { offset: (page - 1) * PER_PAGE, limit: PER_PAGE },
        ..AccessLogQuery::default()
    };
    let found = dash.api.store.list_access_logs(&account, &store_query).await.map_err(ApiError::from)?;
    let link = |p: u64| {
        format!(
            "/dash/logs?client_id={}&app={}&decision={}&hours={}&page={p}",
            encode(&query.client_id),
            encode(&query.app),
            encode(&query.decision),
            encode(&query.hours)
        )
    };
    let pages = found.total.div_ceil(PER_PAGE).max(1);
    render(&LogsPage {
        chrome: Chrome::new(&operator, "logs", "Access logs"),
        rows: found.items.iter().map(|r| LogRow::new(r, now)).collect(),
        total: found.total,
        page,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        client_id: query.client_id,
        app: query.app,
        decision: query.decision,
        hours: query.hours,
    })
}
