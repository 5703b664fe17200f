//! `gatehouse token …`: service tokens through the management API, one subcommand per endpoint
//! of Cloudflare's `/accounts/{account_id}/access/service_tokens`.
//!
//! Exit codes: 0 success; 1 the API refused or answered something unexpected; 2 usage (clap's,
//! and ours for input that cannot work); 69 (`EX_UNAVAILABLE`) the API could not be reached.

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use gatehouse_api_types::{
    CreateServiceTokenRequest, RotateServiceTokenRequest, ServiceTokenBody, UpdateServiceTokenRequest,
};
use gatehouse_domain::{Timestamp, TokenDuration};
use serde_json::Value;

use crate::client::{AccountClient, Answer, ClientArgs, ClientError};
use crate::output;

mod age_filter;

use age_filter::{AgeFilter, parse_age_arg};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a service token; its client secret is printed once and never again.
    Create(CreateArgs),
    /// List service tokens (every page unless --page is given).
    List(ListArgs),
    /// Show one service token.
    Get(IdArgs),
    /// Change a service token's name, lifetime, state or secret.
    Update(UpdateArgs),
    /// Issue a new client secret (same client id); prints it once.
    Rotate(RotateArgs),
    /// Extend a token's expiry to now + its duration.
    Refresh(IdArgs),
    /// Delete a service token.
    Delete(IdArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A descriptive name, e.g. "GitHub Actions - Production Deploy".
    #[arg(long)]
    name: String,
    /// Lifetime: a Go duration (8760h, 2h45m) or "forever". The server's default is 8760h.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<String>,
    /// Create the token disabled: it authenticates nothing until enabled.
    #[arg(long)]
    disabled: bool,
    /// Import: keep an existing client id (e.g. one issued by Cloudflare).
    #[arg(long, value_name = "CLIENT_ID", requires = "import_client_secret_file")]
    import_client_id: Option<String>,
    /// Import: file holding the existing client secret, or "-" for stdin.
    #[arg(long, value_name = "FILE", requires = "import_client_id")]
    import_client_secret_file: Option<PathBuf>,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only tokens with this name.
    #[arg(long)]
    name: Option<String>,
    /// Free-text search.
    #[arg(long)]
    search: Option<String>,
    /// Fetch only this page (1-based) instead of all of them.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    page: Option<u64>,
    /// Tokens per page.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1000))]
    per_page: Option<u64>,
    /// Only tokens expiring within AGE (30d, 36h, 1d12h), already expired ones included.
    #[arg(long, value_name = "AGE", value_parser = parse_age_arg)]
    expiring_within: Option<u64>,
    /// Only tokens not used for AGE (90d); never-used tokens count from their creation.
    #[arg(long, value_name = "AGE", value_parser = parse_age_arg)]
    unused_for: Option<u64>,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The token's id (a UUID, not its client id).
    id: String,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The token's id (a UUID, not its client id).
    id: String,
    #[command(flatten)]
    changes: Changes,
    #[command(flatten)]
    client: ClientArgs,
}

/// What `update` changes; at least one is required, the rest stays as it is.
#[derive(Debug, Args)]
#[group(required = true, multiple = true)]
struct Changes {
    /// New name.
    #[arg(long)]
    name: Option<String>,
    /// New lifetime; the expiry restarts from now.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<String>,
    /// Enable the token.
    #[arg(long, conflicts_with = "disable")]
    enable: bool,
    /// Disable the token: neither its current nor its previous secret authenticates.
    #[arg(long)]
    disable: bool,
    /// Issue a new secret by bumping client_secret_version; prints it once.
    #[arg(long)]
    rotate_secret: bool,
    /// When the previous secret stops working (RFC 3339); a past time ends it now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_timestamp)]
    previous_secret_expires_at: Option<String>,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The token's id (a UUID, not its client id).
    id: String,
    /// Keep the old secret working until then (RFC 3339). Without it, the old secret works until
    /// the new one is first used.
    #[arg(long, value_name = "RFC3339", value_parser = parse_timestamp)]
    previous_secret_expires_at: Option<String>,
    #[command(flatten)]
    client: ClientArgs,
}

pub async fn run(command: TokenCommand) -> ExitCode {
    let outcome = match command {
        TokenCommand::Create(args) => create(args).await,
        TokenCommand::List(args) => list(args).await,
        TokenCommand::Get(args) => get(args).await,
        TokenCommand::Update(args) => update(args).await,
        TokenCommand::Rotate(args) => rotate(args).await,
        TokenCommand::Refresh(args) => refresh(args).await,
        TokenCommand::Delete(args) => delete(args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

async fn create(args: CreateArgs) -> Result<(), Failure> {
    // Read the imported secret before any request, so a bad file fails fast and offline.
    let client_secret = args.import_client_secret_file.as_deref().map(read_secret).transpose()?;
    let request = CreateServiceTokenRequest {
        name: args.name,
        duration: args.duration,
        enabled: args.disabled.then_some(false),
        client_id: args.import_client_id,
        client_secret,
        ..CreateServiceTokenRequest::default()
    };
    let client = args.client.connect().await?;
    let answer = client.api.post(&client.service_tokens(&[]), Some(&request)).await?;
    show_token(&args.client, &answer)
}

async fn list(args: ListArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let mut filters = Vec::new();
    if let Some(name) = args.name {
        filters.push(("name", name));
    }
    if let Some(search) = args.search {
        filters.push(("search", search));
    }
    let mut answer = match args.page {
        Some(page) => fetch_page(&client, &filters, page, args.per_page).await?,
        None => fetch_all_pages(&client, &filters, args.per_page.unwrap_or(100)).await?,
    };
    let ages = AgeFilter { expiring_within: args.expiring_within, unused_for: args.unused_for };
    if let (false, Value::Array(items)) = (ages.is_empty(), &mut answer.result) {
        let now = age_filter::now();
        items.retain(|item| ages.keeps(item, now));
    }
    if args.client.json {
        output::json(&answer.result)?;
    } else {
        output::token_list(&answer.decode::<Vec<ServiceTokenBody>>()?)?;
    }
    Ok(())
}

async fn fetch_page(
    client: &AccountClient,
    filters: &[(&str, String)],
    page: u64,
    per_page: Option<u64>,
) -> Result<Answer, ClientError> {
    let mut query = filters.to_vec();
    query.push(("page", page.to_string()));
    if let Some(per_page) = per_page {
        query.push(("per_page", per_page.to_string()));
    }
    client.api.get(&client.service_tokens(&[]), &query).await
}

/// Like the SDKs' auto-pagination: page 1, 2, … until a page is empty. Tokens already seen are
/// skipped (a token created meanwhile shifts the pages), and a page with nothing new ends the
/// walk, so a server that ignores `page` cannot make it loop forever.
async fn fetch_all_pages(
    client: &AccountClient,
    filters: &[(&str, String)],
    per_page: u64,
) -> Result<Answer, ClientError> {
    let mut tokens = Vec::new();
    let mut seen = HashSet::new();
    let first = fetch_page(client, filters, 1, Some(per_page)).await?;
    let mut found_new = collect_new(&first, &mut tokens, &mut seen)?;
    let mut page = 1;
    while found_new {
        page += 1;
        let next = fetch_page(client, filters, page, Some(per_page)).await?;
        found_new = collect_new(&next, &mut tokens, &mut seen)?;
    }
    Ok(Answer { result: Value::Array(tokens), ..first })
}

/// Appends the page's tokens not seen before; tells whether there were any.
fn collect_new(
    page: &Answer,
    tokens: &mut Vec<Value>,
    seen: &mut HashSet<String>,
) -> Result<bool, ClientError> {
    let items: Vec<Value> = page.decode()?;
    let before = tokens.len();
    for item in items {
        let id = item.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        if seen.insert(id) {
            tokens.push(item);
        }
    }
    Ok(tokens.len() > before)
}

async fn get(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let answer = client.api.get(&client.service_tokens(&[&args.id]), &[]).await?;
    show_token(&args.client, &answer)
}

async fn update(args: UpdateArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let path = client.service_tokens(&[&args.id]);
    let changes = args.changes;
    let enabled = match (changes.enable, changes.disable) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let mut request = UpdateServiceTokenRequest {
        name: changes.name,
        duration: changes.duration,
        enabled,
        client_secret_version: None,
        previous_client_secret_expires_at: changes.previous_secret_expires_at,
    };
    if changes.rotate_secret {
        let current: ServiceTokenBody = client.api.get(&path, &[]).await?.decode()?;
        // The wire type is a float because Terraform sends one; versions stay far below 2^53.
        let next = current.client_secret_version.saturating_add(1) as f64;
        request.client_secret_version = Some(next);
    }
    let answer = client.api.put(&path, &request).await?;
    show_token(&args.client, &answer)
}

async fn rotate(args: RotateArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let request =
        RotateServiceTokenRequest { previous_client_secret_expires_at: args.previous_secret_expires_at };
    let answer = client.api.post(&client.service_tokens(&[&args.id, "rotate"]), Some(&request)).await?;
    show_token(&args.client, &answer)
}

async fn refresh(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let answer = client.api.post(&client.service_tokens(&[&args.id, "refresh"]), None::<&()>).await?;
    show_token(&args.client, &answer)
}

async fn delete(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let answer = client.api.delete(&client.service_tokens(&[&args.id])).await?;
    if args.client.json {
        output::json(&answer.result)?;
    } else {
        output::line(&format!("Deleted service token {}.", args.id))?;
    }
    Ok(())
}

/// One token as JSON or as a table; a client secret in the answer comes with a warning.
fn show_token(client: &ClientArgs, answer: &Answer) -> Result<(), Failure> {
    if client.json {
        output::json(&answer.result)?;
    } else {
        output::token_detail(&answer.decode::<ServiceTokenBody>()?)?;
    }
    if answer.result.get("client_secret").is_some_and(|secret| !secret.is_null()) {
        output::warn_secret_shown_once();
    }
    Ok(())
}

/// Reads a secret from a file, or from stdin for `-`; never from a flag, which `ps` would show.
pub(crate) fn read_secret(path: &Path) -> Result<String, ClientError> {
    let shown = path.display();
    let text = if path == Path::new("-") {
        let mut text = String::new();
        io::stdin().read_to_string(&mut text).map(|_| text)
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|error| ClientError::Usage(format!("cannot read the client secret from {shown}: {error}")))?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(ClientError::Usage(format!("the client secret in {shown} is empty")));
    }
    Ok(secret.to_owned())
}

fn parse_duration(text: &str) -> Result<String, String> {
    TokenDuration::parse(text).map(|_| text.to_owned()).map_err(|error| error.to_string())
}

fn parse_timestamp(text: &str) -> Result<String, String> {
    Timestamp::parse_rfc3339(text).map(|_| text.trim().to_owned()).map_err(|error| error.to_string())
}

/// Why a command failed, and the exit code that tells a script so.
#[derive(Debug)]
enum Failure {
    Client(ClientError),
    Output(io::Error),
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Failure::Client(error)
    }
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        Failure::Output(error)
    }
}

impl Failure {
    fn report(self) -> ExitCode {
        match self {
            Failure::Client(error) => {
                for line in error.lines() {
                    eprintln!("error: {line}");
                }
                match error {
                    ClientError::Api { .. } | ClientError::UnexpectedResponse { .. } => ExitCode::FAILURE,
                    ClientError::Usage(_) => ExitCode::from(2),
                    ClientError::Unreachable { .. } => ExitCode::from(69),
                }
            }
            // The reader went away (`| head`): nothing left to tell it.
            Failure::Output(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Failure::Output(error) => {
                eprintln!("error: cannot write the output: {error}");
                ExitCode::FAILURE
            }
        }
    }
}
