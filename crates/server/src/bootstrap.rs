//! First start: one account and one admin API token, created atomically so that two servers
//! starting at once on an empty database make one account, not two. Later starts find the
//! account and print no new token.

use gatehouse_domain::{
    AccountId, ApiToken, ApiTokenKind, Clock, HashPurpose, Permission, Secret, ServerKey,
};
use gatehouse_store::{Account, Store, StoreError};

/// The account this server reports, and the admin token when this start generated one.
#[derive(Debug)]
pub struct Bootstrapped {
    pub account_id: AccountId,
    /// `Some` only on the first start when the token was generated here (to be shown once).
    pub generated_admin_token: Option<Secret>,
    pub created: bool,
}

/// Options of the first start.
#[derive(Debug, Default)]
pub struct BootstrapOptions {
    pub account_id: Option<AccountId>,
    pub admin_token: Option<Secret>,
}

pub async fn ensure(
    store: &dyn Store,
    key: &ServerKey,
    clock: &dyn Clock,
    options: BootstrapOptions,
) -> Result<Bootstrapped, StoreError> {
    if let Some(account) = store.list_accounts().await?.into_iter().next() {
        return Ok(Bootstrapped { account_id: account.id, generated_admin_token: None, created: false });
    }
    let now = clock.now();
    let account = Account {
        id: options.account_id.unwrap_or_else(AccountId::generate),
        name: "default".to_owned(),
        created_at: now,
    };
    let generated = options.admin_token.is_none();
    let secret = options.admin_token.unwrap_or_else(Secret::generate_api_token);
    let admin = ApiToken {
        id: new_api_token_id(),
        account_id: account.id.clone(),
        name: "bootstrap admin".to_owned(),
        hash: key.hash(HashPurpose::ApiToken, &secret),
        permission: Permission::Edit,
        kind: ApiTokenKind::Bearer,
        created_at: now,
        expires_at: None,
        enabled: true,
    };
    if store.bootstrap(&account, &admin).await? {
        return Ok(Bootstrapped {
            account_id: account.id,
            generated_admin_token: generated.then_some(secret),
            created: true,
        });
    }
    // Another server won the race; use its account.
    let account =
        store.list_accounts().await?.into_iter().next().ok_or_else(|| {
            StoreError::Corrupt("bootstrap reported an account that cannot be found".into())
        })?;
    Ok(Bootstrapped { account_id: account.id, generated_admin_token: None, created: false })
}

/// 32 lowercase hex, the shape of Cloudflare's API token ids.
pub fn new_api_token_id() -> String {
    AccountId::generate().as_str().to_owned()
}
