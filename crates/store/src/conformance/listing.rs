//! The service token list: creation order, pages, the exact name filter and the search.

use gatehouse_domain::{ServiceToken, Timestamp};

use super::fixtures::{
    ALL, T0, another_account, bootstrapped, insert_named, list_names, named, page, search,
};
use crate::{Store, TokenCursor, TokenFilter};

const NAMES: [&str; 5] = ["delta", "alpha", "echo", "charlie", "bravo"];

/// Creation order, not name or id order, even when every token has the same `created_at`.
pub async fn list_is_in_creation_order(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let tokens = insert_named(store, &account, &NAMES).await;

    let page = store.list_service_tokens(&account, &TokenFilter::default(), ALL).await.unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(page.items, tokens, "full tokens, in creation order");
}

pub async fn list_pages_through_offset_and_limit(store: &dyn Store) {
    let account = bootstrapped(store).await;
    insert_named(store, &account, &NAMES).await;
    let all = TokenFilter::default();

    assert_eq!(list_names(store, &account, &all, page(0, 2)).await, (strings(&["delta", "alpha"]), 5));
    assert_eq!(list_names(store, &account, &all, page(2, 2)).await, (strings(&["echo", "charlie"]), 5));
    assert_eq!(list_names(store, &account, &all, page(4, 2)).await, (strings(&["bravo"]), 5));
    assert_eq!(list_names(store, &account, &all, page(1, 1000)).await, (strings(&NAMES[1..]), 5));
    assert_eq!(list_names(store, &account, &all, page(5, 2)).await, (vec![], 5), "just past the end");
    assert_eq!(
        list_names(store, &account, &all, page(1_000_000, 1000)).await,
        (vec![], 5),
        "far past the end"
    );
    assert_eq!(
        list_names(store, &account, &all, page(u64::MAX, 1000)).await,
        (vec![], 5),
        "the largest offset"
    );
    assert_eq!(
        list_names(store, &account, &all, page(0, 0)).await,
        (vec![], 5),
        "an empty page still counts"
    );
}

/// Keyset pages: after / before a token, and the last page, in creation order whatever the
/// direction read; the offset is ignored; the total is the filter's; other accounts' tokens and
/// an unknown cursor give nothing.
pub async fn list_pages_through_keyset_cursors(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let tokens = insert_named(store, &account, &NAMES).await;
    let other = another_account(store, "Other").await;
    let foreign = insert_named(store, &other, &["zulu"]).await;
    let at = |cursor: TokenCursor| TokenFilter { cursor: Some(cursor), ..TokenFilter::default() };
    let after = |i: usize| at(TokenCursor::After(tokens[i].id));
    let before = |i: usize| at(TokenCursor::Before(tokens[i].id));

    assert_eq!(list_names(store, &account, &after(0), page(0, 2)).await, (strings(&["alpha", "echo"]), 5));
    assert_eq!(list_names(store, &account, &after(2), page(3, 2)).await, (strings(&["charlie", "bravo"]), 5));
    assert_eq!(list_names(store, &account, &after(4), page(0, 2)).await, (vec![], 5), "after the last");
    assert_eq!(list_names(store, &account, &before(4), page(0, 2)).await, (strings(&["echo", "charlie"]), 5));
    assert_eq!(list_names(store, &account, &before(1), page(0, 2)).await, (strings(&["delta"]), 5));
    assert_eq!(list_names(store, &account, &before(0), page(0, 2)).await, (vec![], 5), "before the first");
    let last = at(TokenCursor::Last);
    assert_eq!(list_names(store, &account, &last, page(0, 2)).await, (strings(&["charlie", "bravo"]), 5));
    assert_eq!(list_names(store, &account, &last, page(0, 10)).await, (strings(&NAMES), 5));
    let foreign_cursor = at(TokenCursor::After(foreign[0].id));
    assert_eq!(
        list_names(store, &account, &foreign_cursor, page(0, 10)).await,
        (vec![], 5),
        "another account's"
    );
    let mut filtered = named("echo");
    filtered.cursor = Some(TokenCursor::After(tokens[0].id));
    assert_eq!(list_names(store, &account, &filtered, page(0, 10)).await, (strings(&["echo"]), 1));
}

pub async fn list_of_an_empty_account_is_empty(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let page = store.list_service_tokens(&account, &TokenFilter::default(), ALL).await.unwrap();
    assert_eq!((page.items, page.total), (Vec::<ServiceToken>::new(), 0));
}

pub async fn name_filter_is_exact(store: &dyn Store) {
    let account = bootstrapped(store).await;
    insert_named(store, &account, &["deploy", "Deploy", "deploy-2", "deploy", "predeploy", "other"]).await;

    let (found, total) = list_names(store, &account, &named("deploy"), ALL).await;
    assert_eq!((found, total), (strings(&["deploy", "deploy"]), 2), "case and whole name matter");
    assert_eq!(list_names(store, &account, &named("deploy"), page(1, 10)).await, (strings(&["deploy"]), 2));
    assert_eq!(list_names(store, &account, &named("nope"), ALL).await, (vec![], 0));
}

pub async fn search_matches_name_substrings_ignoring_case(store: &dyn Store) {
    let account = bootstrapped(store).await;
    insert_named(store, &account, &["CI Pipeline", "nightly-ci", "Backup", "pipeline (staging)"]).await;

    assert_eq!(
        list_names(store, &account, &search("ci"), ALL).await,
        (strings(&["CI Pipeline", "nightly-ci"]), 2)
    );
    assert_eq!(
        list_names(store, &account, &search("PIPELINE"), ALL).await,
        (strings(&["CI Pipeline", "pipeline (staging)"]), 2)
    );
    assert_eq!(
        list_names(store, &account, &search("(STAGING)"), ALL).await,
        (strings(&["pipeline (staging)"]), 1)
    );
    assert_eq!(list_names(store, &account, &search("ci"), page(1, 1)).await, (strings(&["nightly-ci"]), 2));
    assert_eq!(list_names(store, &account, &search("absent"), ALL).await, (vec![], 0));
}

/// `%`, `_` and `\` in a search are characters to find, not patterns.
pub async fn search_wildcards_match_literally(store: &dyn Store) {
    let account = bootstrapped(store).await;
    insert_named(
        store,
        &account,
        &["100% done", "1000 done", "snake_case", "snakeXcase", "back\\slash", "back/slash"],
    )
    .await;

    assert_eq!(list_names(store, &account, &search("%"), ALL).await, (strings(&["100% done"]), 1));
    assert_eq!(list_names(store, &account, &search("0%"), ALL).await, (strings(&["100% done"]), 1));
    assert_eq!(list_names(store, &account, &search("_"), ALL).await, (strings(&["snake_case"]), 1));
    assert_eq!(list_names(store, &account, &search("E_C"), ALL).await, (strings(&["snake_case"]), 1));
    assert_eq!(list_names(store, &account, &search("\\"), ALL).await, (strings(&["back\\slash"]), 1));
    assert_eq!(list_names(store, &account, &search("k\\s"), ALL).await, (strings(&["back\\slash"]), 1));
    assert_eq!(list_names(store, &account, &search("%_"), ALL).await, (vec![], 0));
}

pub async fn search_finds_exact_id_and_client_id(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let tokens = insert_named(store, &account, &["one", "two", "three"]).await;
    let two = &tokens[1];

    let by_id = search(&two.id.to_string());
    assert_eq!(list_names(store, &account, &by_id, ALL).await, (strings(&["two"]), 1));
    let by_client_id = search(two.client_id.as_str());
    assert_eq!(list_names(store, &account, &by_client_id, ALL).await, (strings(&["two"]), 1));

    let partial = search(&two.client_id.as_str()[..12]);
    assert_eq!(list_names(store, &account, &partial, ALL).await, (vec![], 0), "ids match whole, not in part");

    let both = TokenFilter {
        name: Some("one".to_owned()),
        search: Some(two.client_id.to_string()),
        ..TokenFilter::default()
    };
    assert_eq!(list_names(store, &account, &both, ALL).await, (vec![], 0), "name and search must both match");
    let both = TokenFilter {
        name: Some("two".to_owned()),
        search: Some(two.id.to_string()),
        ..TokenFilter::default()
    };
    assert_eq!(list_names(store, &account, &both, ALL).await, (strings(&["two"]), 1));
}

/// "Expires before" and "unused since", alone and together (the dashboard's filters).
pub async fn expiry_and_usage_filters(store: &dyn Store) {
    let account = bootstrapped(store).await;
    let mut tokens = insert_named(store, &account, &["soon", "later", "used", "old_use"]).await;
    let day = 86_400;
    let at = |days: i64| Timestamp::from_unix(T0.unix() + days * day);
    tokens[0].expires_at = at(5);
    tokens[1].expires_at = at(60);
    tokens[2].last_seen_at = Some(at(10));
    tokens[3].last_seen_at = Some(at(1));
    tokens[3].expires_at = at(20);
    for token in &mut tokens {
        token.revision += 1;
        assert!(store.update_service_token(token).await.unwrap());
    }
    let expiring = TokenFilter { expires_before: Some(at(30)), ..TokenFilter::default() };
    assert_eq!(list_names(store, &account, &expiring, ALL).await, (strings(&["soon", "old_use"]), 2));
    let unused = TokenFilter { unused_since: Some(at(5)), ..TokenFilter::default() };
    assert_eq!(
        list_names(store, &account, &unused, ALL).await,
        (strings(&["soon", "later", "old_use"]), 3),
        "never used, or last seen before the time"
    );
    let both =
        TokenFilter { expires_before: Some(at(30)), unused_since: Some(at(5)), ..TokenFilter::default() };
    assert_eq!(list_names(store, &account, &both, page(1, 1)).await, (strings(&["old_use"]), 2));
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}
