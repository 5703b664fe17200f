//! Offline administration of a data directory: minting management API tokens without going
//! through the API (for the first read-only token, for automation, or after losing the admin
//! token), and counting what is stored under each server key during a rotation. Works while
//! the server runs: SQLite in WAL mode takes the concurrent writer.

use gatehouse_domain::{AccountId, ApiToken, ApiTokenKind, Clock, HashPurpose, Permission, Secret};
use gatehouse_store::StoreError;

use crate::bootstrap::new_api_token_id;
use crate::config::Config;
use crate::key_rotation::{self, KeyStatus};
use crate::keys;
use crate::{ServerError, SystemClock, open_store};

/// What to mint.
#[derive(Debug)]
pub struct MintApiToken {
    pub name: String,
    pub permission: Permission,
    /// When set, a legacy global API key for `X-Auth-Email: <email>` + `X-Auth-Key`.
    pub global_key_email: Option<String>,
    pub account_id: Option<AccountId>,
}

/// Creates an API token and returns it with its secret, shown once.
pub async fn mint_api_token(
    config: &Config,
    request: MintApiToken,
) -> Result<(ApiToken, Secret), ServerError> {
    let store = open_store(config).await?;
    let accounts = store.list_accounts().await?;
    if accounts.is_empty() {
        return Err(ServerError::Store(StoreError::Unavailable(format!(
            "no account in {}: start `gatehouse serve` once first",
            config.data_dir.display()
        ))));
    }
    let account = match &request.account_id {
        Some(id) => accounts.into_iter().find(|a| &a.id == id).ok_or_else(|| {
            ServerError::Store(StoreError::Unavailable(format!("no account {id} in this database")))
        })?,
        None => accounts
            .into_iter()
            .next()
            .ok_or_else(|| ServerError::Store(StoreError::Unavailable("no account".into())))?,
    };
    let key = keys::load_or_create(config, false)?;
    let secret = Secret::generate_api_token();
    let token = ApiToken {
        id: new_api_token_id(),
        account_id: account.id,
        name: request.name,
        hash: key.hash(HashPurpose::ApiToken, &secret),
        permission: request.permission,
        kind: match request.global_key_email {
            Some(email) => ApiTokenKind::GlobalKey { email },
            None => ApiTokenKind::Bearer,
        },
        created_at: SystemClock.now(),
        expires_at: None,
        enabled: true,
    };
    store.insert_api_token(&token).await?;
    Ok((token, secret))
}

/// What is stored under each server key (see [`key_rotation::status`]): when a previous key
/// holds nothing any more, it can be dropped.
pub async fn server_key_status(config: &Config) -> Result<Vec<KeyStatus>, ServerError> {
    let store = open_store(config).await?;
    let key = keys::load_or_create(config, false)?;
    Ok(key_rotation::status(store.as_ref(), &key).await?)
}
