//! Server-side SVG charts: the tokens list's 24 h sparklines and the home page's requests per
//! hour. Drawn from the access log's counts ([`gatehouse_store::AccessLogStore::access_activity`]);
//! every text in the markup is a number or escaped, so the pages can include it as it is.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use gatehouse_api::{ApiError, AppState};
use gatehouse_domain::{AccountId, Timestamp};
use gatehouse_store::ActivityQuery;

/// Hours covered by the charts.
pub const HOURS: usize = 24;
const HOUR: i64 = 3_600;

/// Allowed and denied requests per hour, oldest first.
pub type Hourly = [(u64, u64); HOURS];

/// The first second of the charts' window ending at `now`.
fn window_start(now: Timestamp) -> Timestamp {
    Timestamp::from_unix(now.unix() - HOURS as i64 * HOUR + 1)
}

fn slot(bucket: i64) -> usize {
    usize::try_from(bucket).unwrap_or(0).min(HOURS - 1)
}

/// Per client id of `client_ids`, the requests that presented it over the last 24 hours
/// (denials for a wrong secret included; client ids without any are absent).
pub async fn token_activity(
    state: &AppState,
    account: &AccountId,
    client_ids: &[String],
    now: Timestamp,
) -> Result<HashMap<String, Hourly>, ApiError> {
    if client_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let query = ActivityQuery {
        since: window_start(now),
        bucket_secs: HOUR,
        client_ids: Some(client_ids.to_vec()),
        by_reason: false,
    };
    let mut out: HashMap<String, Hourly> = HashMap::new();
    for count in state.store.access_activity(account, &query).await? {
        let Some(token) = count.client_id else { continue };
        let hour = &mut out.entry(token).or_insert([(0, 0); HOURS])[slot(count.bucket)];
        if count.allowed { hour.0 += count.count } else { hour.1 += count.count }
    }
    Ok(out)
}

/// The account's requests over the last 24 hours: per hour, and denials by reason.
#[derive(Debug, Default)]
pub struct Traffic {
    pub hourly: Vec<(u64, u64)>,
    pub reasons: BTreeMap<String, u64>,
}

impl Traffic {
    pub fn allowed(&self) -> u64 {
        self.hourly.iter().map(|h| h.0).sum()
    }

    pub fn denied(&self) -> u64 {
        self.hourly.iter().map(|h| h.1).sum()
    }
}

pub async fn account_traffic(
    state: &AppState,
    account: &AccountId,
    now: Timestamp,
) -> Result<Traffic, ApiError> {
    let query =
        ActivityQuery { since: window_start(now), bucket_secs: HOUR, client_ids: None, by_reason: true };
    let mut traffic = Traffic { hourly: vec![(0, 0); HOURS], reasons: BTreeMap::new() };
    for count in state.store.access_activity(account, &query).await? {
        let hour = &mut traffic.hourly[slot(count.bucket)];
        if count.allowed {
            hour.0 += count.count;
        } else {
            hour.1 += count.count;
            let reason = count.reason.unwrap_or_else(|| "unknown".to_owned());
            *traffic.reasons.entry(reason).or_default() += count.count;
        }
    }
    Ok(traffic)
}

/// A 96×24 sparkline: allowed requests as a line, denied ones as bars below it.
pub fn sparkline(hourly: &Hourly) -> String {
    let (allowed, denied): (u64, u64) = hourly.iter().fold((0, 0), |(a, d), h| (a + h.0, d + h.1));
    let peak = hourly.iter().map(|h| h.0.max(h.1)).max().unwrap_or(0).max(1);
    let mut svg = format!(
        "<svg class=\"spark\" viewBox=\"0 0 96 24\" width=\"96\" height=\"24\" role=\"img\" \
         aria-label=\"last 24 hours: {allowed} allowed, {denied} denied\">\
         <title>last 24 hours: {allowed} allowed, {denied} denied</title>"
    );
    for (i, (_, d)) in hourly.iter().enumerate().filter(|(_, h)| h.1 > 0) {
        let height = scaled(*d, peak, 22).max(1);
        let _ = write!(
            svg,
            "<rect class=\"denied\" x=\"{}\" y=\"{}\" width=\"3\" height=\"{height}\"/>",
            i * 4,
            24 - height
        );
    }
    let points: Vec<String> = hourly
        .iter()
        .enumerate()
        .map(|(i, h)| format!("{},{}", i * 4 + 1, 23 - scaled(h.0, peak, 22)))
        .collect();
    let _ = write!(svg, "<polyline class=\"allowed\" fill=\"none\" points=\"{}\"/></svg>", points.join(" "));
    svg
}

/// The home page's chart: requests per hour over the last 24 hours, allowed and denied stacked.
pub fn hourly_bars(hourly: &[(u64, u64)]) -> String {
    let (width, height, bar) = (480u64, 160u64, 20u64);
    let peak = hourly.iter().map(|h| h.0 + h.1).max().unwrap_or(0).max(1);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {}\" role=\"img\" \
         aria-label=\"requests per hour over the last 24 hours\">\
         <title>requests per hour over the last 24 hours (allowed and denied)</title>",
        height + 16
    );
    for (i, (a, d)) in hourly.iter().enumerate() {
        let x = i as u64 * bar;
        let allowed_h = scaled(*a, peak, height);
        let denied_h = scaled(*d, peak, height);
        let top = height - allowed_h - denied_h;
        let _ = write!(
            svg,
            "<rect class=\"denied\" x=\"{x}\" y=\"{top}\" width=\"{}\" height=\"{denied_h}\"><title>{d} denied</title></rect>\
             <rect class=\"allowed\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{allowed_h}\"><title>{a} allowed</title></rect>",
            bar - 4,
            top + denied_h,
            bar - 4
        );
    }
    let _ = write!(
        svg,
        "<text x=\"0\" y=\"{}\" class=\"axis\">24 h ago</text><text x=\"{}\" y=\"{}\" class=\"axis\" \
         text-anchor=\"end\">now</text><text x=\"{width}\" y=\"10\" class=\"axis\" text-anchor=\"end\">peak {peak}/h</text></svg>",
        height + 14,
        width - 4,
        height + 14
    );
    svg
}

/// `value` of `peak` on a scale of `size`, rounded up so that any request shows.
fn scaled(value: u64, peak: u64, size: u64) -> u64 {
    if value == 0 { 0 } else { (value * size).div_ceil(peak).min(size) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_describe_their_counts_and_scale_to_the_peak() {
        let mut hourly = [(0, 0); HOURS];
        hourly[0] = (10, 0);
        hourly[23] = (5, 2);
        let svg = sparkline(&hourly);
        assert!(svg.contains("aria-label=\"last 24 hours: 15 allowed, 2 denied\""), "{svg}");
        assert!(svg.contains("points=\"1,1 5,23"), "the peak hour reaches the top: {svg}");
        assert_eq!(svg.matches("<rect").count(), 1, "one hour with denials");
        assert!(!svg.contains("style="), "no inline styles (the CSP forbids them)");
    }

    #[test]
    fn the_hourly_chart_has_one_pair_of_bars_per_hour() {
        let svg = hourly_bars(&[(3, 1); HOURS]);
        assert_eq!(svg.matches("class=\"allowed\"").count(), HOURS);
        assert!(svg.contains("peak 4/h"));
    }
}
