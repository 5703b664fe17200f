//! Values the cases build on: fixed timestamps (no clock is read), fresh random ids and hashes,
//! and small helpers that keep the cases about behaviour.

use gatehouse_domain::{
    AccountId, ApiToken, ApiTokenKind, ClientId, HashPurpose, NewServiceToken, Permission, Secret,
    SecretHash, ServerKey, ServiceToken, Timestamp, TokenDuration, TokenId,
};

use crate::{Account, Page, PageRequest, Store, TokenFilter};

/// The instant every case starts at.
pub(super) const T0: Timestamp = Timestamp::from_unix(1_800_000_000);

/// `T0` plus `seconds`.
pub(super) fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix(T0.unix() + seconds)
}

/// A hash no other call returns (a keyed hash under a fresh random key).
pub(super) fn fresh_hash() -> SecretHash {
    ServerKey::generate().hash(HashPurpose::ServiceTokenSecret, &Secret::new("conformance".to_owned()))
}

pub(super) fn account(name: &str) -> Account {
    Account { id: AccountId::generate(), name: name.to_owned(), created_at: T0 }
}

/// A bearer token with edit rights that never expires.
pub(super) fn api_token(account: &AccountId) -> ApiToken {
    ApiToken {
        // Any 32 lowercase hex characters will do; an account id has that shape.
        id: AccountId::generate().to_string(),
        account_id: account.clone(),
        name: "admin".to_owned(),
        hash: fresh_hash(),
        permission: Permission::Edit,
        kind: ApiTokenKind::Bearer,
        created_at: T0,
        expires_at: None,
        enabled: true,
    }
}

/// Bootstraps the store's one account and returns its id.
pub(super) async fn bootstrapped(store: &dyn Store) -> AccountId {
    let account = account("Acme");
    assert!(store.bootstrap(&account, &api_token(&account.id)).await.unwrap(), "bootstrap of an empty store");
    account.id
}

/// Adds an account beside the bootstrapped one and returns its id.
pub(super) async fn another_account(store: &dyn Store, name: &str) -> AccountId {
    let account = account(name);
    store.insert_account(&account).await.unwrap();
    account.id
}

pub(super) fn duration(text: &str) -> TokenDuration {
    TokenDuration::parse(text).unwrap()
}

/// A new enabled token with a one-year lifetime, created at `now`.
pub(super) fn service_token(account: &AccountId, name: &str, now: Timestamp) -> ServiceToken {
    ServiceToken::create(
        TokenId::generate(),
        NewServiceToken {
            account_id: account.clone(),
            name: name.to_owned(),
            client_id: ClientId::generate(),
            duration: duration("8760h"),
            enabled: true,
            secret_hash: fresh_hash(),
            secret_version: 1,
        },
        now,
    )
}

/// Inserts tokens with the given names, in order, all created at `T0`.
pub(super) async fn insert_named(
    store: &dyn Store,
    account: &AccountId,
    names: &[&str],
) -> Vec<ServiceToken> {
    let mut tokens = Vec::new();
    for name in names {
        let token = service_token(account, name, T0);
        store.insert_service_token(&token).await.unwrap();
        tokens.push(token);
    }
    tokens
}

/// Reads the token back and checks that it is exactly `expected`.
#[track_caller]
pub(super) fn assert_same(stored: Option<ServiceToken>, expected: &ServiceToken) {
    assert_eq!(stored.as_ref(), Some(expected));
}

pub(super) async fn stored(store: &dyn Store, token: &ServiceToken) -> Option<ServiceToken> {
    store.get_service_token(&token.account_id, &token.id).await.unwrap()
}

pub(super) fn page(offset: u64, limit: u64) -> PageRequest {
    PageRequest { offset, limit }
}

pub(super) const ALL: PageRequest = PageRequest { offset: 0, limit: 1000 };

pub(super) fn search(text: &str) -> TokenFilter {
    TokenFilter { search: Some(text.to_owned()), ..TokenFilter::default() }
}

pub(super) fn named(name: &str) -> TokenFilter {
    TokenFilter { name: Some(name.to_owned()), ..TokenFilter::default() }
}

pub(super) fn names(page: &Page<ServiceToken>) -> Vec<&str> {
    page.items.iter().map(|token| token.name.as_str()).collect()
}

/// Lists with `filter` and returns the names found and the total.
pub(super) async fn list_names(
    store: &dyn Store,
    account: &AccountId,
    filter: &TokenFilter,
    request: PageRequest,
) -> (Vec<String>, u64) {
    let page = store.list_service_tokens(account, filter, request).await.unwrap();
    (names(&page).into_iter().map(str::to_owned).collect(), page.total)
}
