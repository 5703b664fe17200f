//! The tokens list's keyset pages: following "Next" from the first page and "Previous" from the
//! last shows every token once, in creation order, with a filter kept along the way.

use gatehouse_domain::{
    ClientId, Clock, HashPurpose, NewServiceToken, Secret, ServiceToken, TokenDuration, TokenId,
};

use super::{ADMIN, Dash};

async fn fill(dash: &Dash, n: usize) -> Vec<String> {
    let mut names = Vec::new();
    for i in 0..n {
        let name = format!("paged-{i:03}");
        let token = ServiceToken::create(
            TokenId::generate(),
            NewServiceToken {
                account_id: dash.account.clone(),
                name: name.clone(),
                client_id: ClientId::generate(),
                duration: TokenDuration::parse(if i % 2 == 0 { "240h" } else { "8760h" }).unwrap(),
                enabled: true,
                secret_hash: dash
                    .state
                    .key
                    .hash(HashPurpose::ServiceTokenSecret, &Secret::new(format!("s{i}"))),
                secret_version: 1,
            },
            dash.clock.now(),
        );
        dash.state.store.insert_service_token(&token).await.unwrap();
        names.push(name);
    }
    names
}

/// The link of `rel` on the page, as the browser would follow it.
fn link(body: &str, rel: &str) -> Option<String> {
    let end = body.find(&format!("\" rel=\"{rel}\""))?;
    let start = body[..end].rfind("href=\"")? + 6;
    Some(body[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

/// The token names in the table, in order.
fn names(body: &str) -> Vec<String> {
    body.match_indices(">paged-").map(|(at, _)| body[at + 1..at + 10].to_owned()).collect()
}

#[tokio::test]
async fn next_and_previous_walk_every_token_once_in_creation_order() {
    let dash = Dash::new().await;
    let all = fill(&dash, 120).await;
    let cookie = dash.login(ADMIN).await;

    let first = dash.get("/dash/tokens", &cookie).await;
    assert!(first.body.contains("120 tokens"), "{}", first.body);
    assert_eq!(link(&first.body, "prev"), None);
    assert_eq!(link(&first.body, "first"), None);
    let last_link = link(&first.body, "last").unwrap();
    let (mut seen, mut page, mut pages) = (names(&first.body), first, 1);
    while let Some(next) = link(&page.body, "next") {
        assert!(next.contains("&after="), "{next}");
        page = dash.get(&next, &cookie).await;
        assert!(link(&page.body, "first").is_some(), "a later page links to the first");
        seen.extend(names(&page.body));
        pages += 1;
    }
    assert_eq!(pages, 3, "50 + 50 + 20");
    assert_eq!(seen, all, "forwards");
    assert_eq!(link(&page.body, "last"), None, "the last page offers no last link");

    let last = dash.get(&last_link, &cookie).await;
    assert_eq!(names(&last.body), all[70..], "the last page is the last 50 tokens");
    let (mut back, mut page) = (names(&last.body), last);
    while let Some(prev) = link(&page.body, "prev") {
        page = dash.get(&prev, &cookie).await;
        let mut earlier = names(&page.body);
        earlier.extend(back);
        back = earlier;
    }
    assert_eq!(back, all, "backwards");

    // A filter is kept: the expiring half, 60 tokens, over two pages.
    let expiring = dash.get("/dash/tokens?show=expiring", &cookie).await;
    assert!(expiring.body.contains("60 tokens"), "{}", expiring.body);
    let next = link(&expiring.body, "next").unwrap();
    assert!(next.contains("show=expiring"), "{next}");
    let second = dash.get(&next, &cookie).await;
    let expected: Vec<String> = all.iter().step_by(2).skip(50).cloned().collect();
    assert_eq!(names(&second.body), expected);

    // A cursor that is no token id is the first page, not an error.
    let odd = dash.get("/dash/tokens?after=%3Cscript%3E&before=x", &cookie).await;
    assert_eq!(names(&odd.body), all[..50]);
}
