//! `gatehouse admin …`: offline operations on a data directory: minting API tokens, and the
//! server key (`server-key generate`, `server-key status` during a rotation).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use gatehouse_domain::{AccountId, Permission};
use gatehouse_server::admin::{MintApiToken, mint_api_token};
use gatehouse_server::{Config, DatabaseUrl, LogFormat, Overrides};

use super::SecretArg;

mod server_key;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Management API tokens.
    #[command(name = "api-token", subcommand)]
    ApiToken(ApiTokenCommand),
    /// The server key: generate one, or see what is still stored under each key during a
    /// rotation (docs/operations.md, "Rotating the server key").
    #[command(name = "server-key", subcommand)]
    ServerKey(ServerKeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum ServerKeyCommand {
    /// Print a new random server key (64 hex characters) on stdout. Nothing is stored.
    Generate,
    /// Count the hashes (client secrets, API tokens) and signing keys stored under each server
    /// key: a previous key with nothing left under it can be dropped.
    Status(StatusArgs),
}

/// Where the data lives and which server keys to read it with.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The server's data directory.
    #[arg(long, env = "GATEHOUSE_DATA_DIR", value_name = "DIR", default_value = "./gatehouse-data")]
    data_dir: PathBuf,
    /// Database URL, when not SQLite in the data directory.
    #[arg(long, env = "GATEHOUSE_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<DatabaseUrl>,
    /// File holding the database URL (instead of --database-url).
    #[arg(long, env = "GATEHOUSE_DATABASE_URL_FILE", value_name = "FILE")]
    database_url_file: Option<PathBuf>,
    /// File holding the server key [default: <data-dir>/secret.key].
    #[arg(long, env = "GATEHOUSE_SECRET_KEY_FILE", value_name = "FILE")]
    secret_key_file: Option<PathBuf>,
    /// The server key in hex (prefer the key file).
    #[arg(long = "secret-key", env = "GATEHOUSE_SECRET_KEY", hide = true, hide_env_values = true)]
    secret_key: Option<SecretArg>,
    /// Previous server keys, comma-separated hex [default: <key file>.previous, when it exists].
    #[arg(
        long = "previous-secret-keys",
        env = "GATEHOUSE_PREVIOUS_SECRET_KEYS",
        hide = true,
        hide_env_values = true
    )]
    previous_secret_keys: Option<SecretArg>,
    /// File holding the previous server keys.
    #[arg(long = "previous-secret-keys-file", env = "GATEHOUSE_PREVIOUS_SECRET_KEYS_FILE", hide = true)]
    previous_secret_keys_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Print the counts as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ApiTokenCommand {
    /// Mint a new API token and print it once on stdout.
    Create(CreateArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A name to recognise the token by.
    #[arg(long, default_value = "api token")]
    name: String,
    /// May only read, never change anything.
    #[arg(long)]
    read_only: bool,
    /// Make a legacy global API key used with `X-Auth-Email: <EMAIL>` and `X-Auth-Key`.
    #[arg(long, value_name = "EMAIL")]
    global_key_email: Option<String>,
    /// The account, when the database holds several.
    #[arg(long)]
    account_id: Option<String>,
    /// Print {"id", "token", "account_id", "permission"} as JSON instead of the bare token.
    #[arg(long)]
    json: bool,
}

pub async fn run(command: AdminCommand) -> ExitCode {
    super::init_logging(LogFormat::Human);
    match command {
        AdminCommand::ApiToken(ApiTokenCommand::Create(args)) => create_api_token(args).await,
        AdminCommand::ServerKey(ServerKeyCommand::Generate) => server_key::generate(),
        AdminCommand::ServerKey(ServerKeyCommand::Status(args)) => match config(args.store) {
            Ok(config) => server_key::status(&config, args.json).await,
            Err(code) => code,
        },
    }
}

/// The configuration of an offline command; the keys come from the environment as for `serve`.
fn config(args: StoreArgs) -> Result<Config, ExitCode> {
    let overrides = Overrides {
        data_dir: Some(args.data_dir),
        database_url: args.database_url,
        database_url_file: args.database_url_file,
        secret_key_file: args.secret_key_file,
        secret_key: args.secret_key.map(SecretArg::into_secret),
        previous_secret_keys: args.previous_secret_keys.map(SecretArg::into_secret),
        previous_secret_keys_file: args.previous_secret_keys_file,
        ..Overrides::default()
    };
    Config::resolve(overrides).map_err(|error| {
        eprintln!("gatehouse: {error}");
        ExitCode::from(64)
    })
}

async fn create_api_token(args: CreateArgs) -> ExitCode {
    let account_id = match args.account_id.as_deref().map(AccountId::parse).transpose() {
        Ok(id) => id,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::from(64);
        }
    };
    let config = match config(args.store) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let request = MintApiToken {
        name: args.name,
        permission: if args.read_only { Permission::Read } else { Permission::Edit },
        global_key_email: args.global_key_email,
        account_id,
    };
    match mint_api_token(&config, request).await {
        Ok((token, secret)) => {
            if args.json {
                let body = serde_json::json!({
                    "id": token.id,
                    "token": secret.expose(),
                    "account_id": token.account_id.as_str(),
                    "permission": token.permission.as_str(),
                });
                println!("{body}");
            } else {
                println!("{}", secret.expose());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gatehouse: {error}");
            ExitCode::from(70)
        }
    }
}
