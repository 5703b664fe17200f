//! The benchmark of docs/benchmarks.md: the first page of the tokens list at 100,000 tokens,
//! unfiltered and with the "expire within 30 days" and "unused for 90 days" filters, beside its
//! stages measured alone in the same run — the store's query (the baseline the ratio is taken
//! against), the sparklines' activity query, and the rest (session, rendering).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use gatehouse_domain::{
    ClientId, Clock, HashPurpose, NewServiceToken, Secret, ServiceToken, Timestamp, TokenDuration, TokenId,
};
use gatehouse_store::{PageRequest, TokenFilter};

use gatehouse_dashboard::charts;

use super::{ADMIN, Dash};

const DAY: i64 = 86_400;

/// Inserts `n` tokens: a tenth expire within 30 days, two thirds were never used.
async fn fill(dash: &Dash, n: u64) {
    let store = &dash.state.store;
    let now = dash.clock.now();
    for i in 0..n {
        let duration = if i % 10 == 0 { "240h" } else { "8760h" };
        let mut token = ServiceToken::create(
            TokenId::generate(),
            NewServiceToken {
                account_id: dash.account.clone(),
                name: format!("token-{i:06}"),
                client_id: ClientId::generate(),
                duration: TokenDuration::parse(duration).unwrap(),
                enabled: true,
                secret_hash: dash
                    .state
                    .key
                    .hash(HashPurpose::ServiceTokenSecret, &Secret::new(format!("s{i}"))),
                secret_version: 1,
            },
            now,
        );
        if i % 3 == 0 {
            token.last_seen_at = Some(Timestamp::from_unix(now.unix() - 3_600));
        }
        store.insert_service_token(&token).await.unwrap();
    }
}

/// Median, min and max, in milliseconds.
fn stats(mut times: Vec<Duration>) -> (f64, f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(times[times.len() / 2]), ms(times[0]), ms(times[times.len() - 1]))
}

async fn time<Fut: Future<Output = ()>>(run: Fut) -> Duration {
    let start = Instant::now();
    run.await;
    start.elapsed()
}

#[tokio::test]
#[ignore = "a benchmark: fills 100,000 tokens (run it with --ignored, see docs/benchmarks.md)"]
async fn tokens_list_first_page_at_100k_tokens() {
    const TOKENS: u64 = 100_000;
    const ROUNDS: usize = 41;
    let dash = Dash::new().await;
    let filling = Instant::now();
    fill(&dash, TOKENS).await;
    println!("filled {TOKENS} tokens in {:.1} s", filling.elapsed().as_secs_f64());
    let cookie = dash.login(ADMIN).await;
    let now = dash.clock.now();
    let expiring = TokenFilter {
        expires_before: Some(Timestamp::from_unix(now.unix() + 30 * DAY)),
        ..TokenFilter::default()
    };
    let unused = TokenFilter {
        unused_since: Some(Timestamp::from_unix(now.unix() - 90 * DAY)),
        ..TokenFilter::default()
    };
    let mut failed = Vec::new();
    for (label, path, filter, expected) in [
        ("all", "/dash/tokens", TokenFilter::default(), "100000 tokens"),
        ("expiring", "/dash/tokens?show=expiring", expiring, "10000 tokens"),
        ("unused", "/dash/tokens?show=unused", unused, "66666 tokens"),
    ] {
        let first = PageRequest { offset: 0, limit: 50 };
        let store = &dash.state.store;
        let client_ids: Vec<String> = store
            .list_service_tokens(&dash.account, &filter, first)
            .await
            .unwrap()
            .items
            .iter()
            .map(|t| t.client_id.to_string())
            .collect();
        // Interleaved, so that the load of the shared machine weighs on each stage alike.
        let (mut sql, mut activity, mut page, mut ratios) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let query = time(async {
                store.list_service_tokens(&dash.account, &filter, first).await.unwrap();
            })
            .await;
            activity.push(
                time(async {
                    charts::token_activity(&dash.state, &dash.account, &client_ids, now).await.unwrap();
                })
                .await,
            );
            let whole = time(async {
                let page = dash.get(path, &cookie).await;
                assert_eq!(page.status, StatusCode::OK);
                assert!(page.body.contains(expected), "{label}: {expected}");
            })
            .await;
            ratios.push(whole.as_secs_f64() / query.as_secs_f64());
            sql.push(query);
            page.push(whole);
        }
        let (sql, activity, page) = (stats(sql), stats(activity), stats(page));
        ratios.sort_by(f64::total_cmp);
        let ratio = ratios[ROUNDS / 2];
        println!(
            "tokens list, first page, {label}: page median {:.1} ms (min {:.1}, max {:.1}); \
             store query alone {:.1} ms (min {:.1}, max {:.1}); activity query {:.1} ms; \
             page / store query, median of the rounds' ratios = {ratio:.2} ({ROUNDS} rounds)",
            page.0, page.1, page.2, sql.0, sql.1, sql.2, activity.0,
        );
        if page.0 >= 100.0 {
            failed.push(format!("{label}: median {:.1} ms", page.0));
        }
    }
    // The list pages by offset: the last page walks every token before it. Printed, not held to
    // the first page's budget.
    let (last, expected) = ("/dash/tokens?show=unused&page=1334", "Page 1334 of 1334");
    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        times.push(
            time(async {
                let page = dash.get(last, &cookie).await;
                assert!(page.body.contains(expected), "{expected}");
            })
            .await,
        );
    }
    let (median, min, max) = stats(times);
    println!("tokens list, last page, unused: median {median:.1} ms (min {min:.1}, max {max:.1})");
    assert!(failed.is_empty(), "over the 100 ms budget: {failed:?}");
}
