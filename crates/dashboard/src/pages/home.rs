//! The home page: how many tokens there are, expire within 30 days, are expired or unused for
//! 90 days (each a link to the filtered list), and the last 24 hours of requests by hour with
//! the denials by reason.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use gatehouse_api::auth::Access;
use gatehouse_api::pagination::Pagination;

use super::Chrome;
use super::tokens::filter_for;
use crate::Dash;
use crate::charts::{self, Traffic};
use crate::error::{Failure, render};
use crate::session::Operator;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    total: u64,
    expiring: u64,
    expired: u64,
    unused: u64,
    traffic: Traffic,
    chart: String,
}

pub async fn show(State(dash): State<Dash>, operator: Operator) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let now = dash.api.clock.now();
    let one = Pagination { page: 1, per_page: 1 };
    let mut counts = [0u64; 4];
    for (slot, show) in counts.iter_mut().zip(["", "expiring", "expired", "unused"]) {
        *slot =
            gatehouse_api::tokens::list(&dash.api, &account, &filter_for(show, "", now), one).await?.total;
    }
    let traffic = charts::account_traffic(&dash.api, &account, now).await?;
    let chart = charts::hourly_bars(&traffic.hourly);
    let [total, expiring, expired, unused] = counts;
    render(&HomePage {
        chrome: Chrome::new(&operator, "home", "Overview"),
        total,
        expiring,
        expired,
        unused,
        traffic,
        chart,
    })
}
