//! `gatehouse idp …`: identity providers (`/accounts/{account_id}/access/identity_providers`),
//! through which people log in; and `gatehouse idp revoke-user`, which ends a person's sessions
//! (`POST …/access/organizations/revoke_user`). The client secret is read from a file or stdin,
//! never from a flag, and never shown: the server seals it and does not return it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::access::{self, Failure, details, table, text};
use super::token::read_secret;
use crate::client::ClientArgs;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum IdpCommand {
    /// Add an OpenID Connect identity provider (type oidc).
    CreateOidc(Box<OidcArgs>),
    /// Add a GitHub (or GitHub Enterprise Server) OAuth app as an identity provider (type github).
    CreateGithub(GithubArgs),
    /// List identity providers (every page unless --page is given).
    List(ListArgs),
    /// Show one identity provider (never its client secret).
    Get(IdArgs),
    /// Delete an identity provider; sessions of people who logged in with it end.
    Delete(IdArgs),
    /// End every session of a person at once (they must log in again).
    RevokeUser(RevokeArgs),
}

/// What every provider with a client has: its name and the client registered there.
#[derive(Debug, Args)]
pub struct ClientApp {
    /// A name to recognise it by (shown on the login page).
    #[arg(long)]
    name: String,
    /// The client id registered at the provider (for GitHub: the OAuth app's).
    #[arg(long)]
    client_id: String,
    /// A file holding the client secret, or "-" for stdin.
    #[arg(long, value_name = "FILE")]
    client_secret_file: PathBuf,
}

#[derive(Debug, Args)]
pub struct OidcArgs {
    #[command(flatten)]
    app: ClientApp,
    /// The provider's authorization endpoint.
    #[arg(long)]
    auth_url: String,
    /// The provider's token endpoint.
    #[arg(long)]
    token_url: String,
    /// The provider's JWKS (the keys that sign its ID tokens).
    #[arg(long)]
    certs_url: String,
    /// The issuer the ID tokens must name (`iss`); not checked when not given.
    #[arg(long)]
    issuer: Option<String>,
    /// A scope to ask for; repeat for several (default: openid email profile).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// A claim of the ID token to keep in the identity (oidc_fields); repeat for several.
    #[arg(long = "claim", value_name = "CLAIM")]
    claims: Vec<String>,
    /// The claim holding the e-mail address (default: email).
    #[arg(long)]
    email_claim_name: Option<String>,
    /// Use PKCE (S256) in the authorization code flow.
    #[arg(long)]
    pkce: bool,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct GithubArgs {
    #[command(flatten)]
    app: ClientApp,
    /// GitHub Enterprise Server's web address (the default is GitHub's own).
    #[arg(
        long,
        value_name = "URL",
        long_help = "GitHub Enterprise Server: its web address, e.g. \
        https://github.example.com (default: https://github.com)."
    )]
    github_url: Option<String>,
    /// GitHub Enterprise Server's REST API (the default is GitHub's own).
    #[arg(
        long,
        value_name = "URL",
        long_help = "GitHub Enterprise Server: its REST API, e.g. \
        https://github.example.com/api/v3 (default: https://api.github.com)."
    )]
    github_api_url: Option<String>,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Fetch only this page (1-based) instead of all of them.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    page: Option<u64>,
    /// Identity providers per page.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1000))]
    per_page: Option<u64>,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The identity provider's id (a UUID).
    id: String,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The person's e-mail address.
    #[arg(long)]
    email: String,
    #[command(flatten)]
    client: ClientArgs,
}

pub async fn run(command: IdpCommand) -> ExitCode {
    access::exit(match command {
        IdpCommand::CreateOidc(args) => create_oidc(*args).await,
        IdpCommand::CreateGithub(args) => create_github(args).await,
        IdpCommand::List(args) => list(args).await,
        IdpCommand::Get(args) => get(args).await,
        IdpCommand::Delete(args) => delete(args).await,
        IdpCommand::RevokeUser(args) => revoke_user(args).await,
    })
}

fn oidc_body(args: &OidcArgs, secret: String) -> Value {
    let scopes = if args.scopes.is_empty() {
        vec!["openid".to_owned(), "email".to_owned(), "profile".to_owned()]
    } else {
        args.scopes.clone()
    };
    let mut config = json!({
        "client_id": args.app.client_id,
        "client_secret": secret,
        "auth_url": args.auth_url,
        "token_url": args.token_url,
        "certs_url": args.certs_url,
        "scopes": scopes,
        "claims": args.claims,
        "pkce_enabled": args.pkce,
    });
    if let Some(issuer) = &args.issuer {
        config["issuer"] = json!(issuer);
    }
    if let Some(claim) = &args.email_claim_name {
        config["email_claim_name"] = json!(claim);
    }
    json!({"name": args.app.name, "type": "oidc", "config": config})
}

fn github_body(args: &GithubArgs, secret: String) -> Value {
    let mut config = json!({"client_id": args.app.client_id, "client_secret": secret});
    for (field, value) in [("base_url", &args.github_url), ("api_url", &args.github_api_url)] {
        if let Some(url) = value {
            config[field] = json!(url);
        }
    }
    json!({"name": args.app.name, "type": "github", "config": config})
}

async fn create_oidc(args: OidcArgs) -> Result<(), Failure> {
    let secret = read_secret(&args.app.client_secret_file)?;
    create(&args.client, oidc_body(&args, secret)).await
}

async fn create_github(args: GithubArgs) -> Result<(), Failure> {
    let secret = read_secret(&args.app.client_secret_file)?;
    create(&args.client, github_body(&args, secret)).await
}

async fn create(args: &ClientArgs, body: Value) -> Result<(), Failure> {
    let client = args.connect().await?;
    let answer = client.api.post(&access::path(&client, &["identity_providers"]), Some(&body)).await?;
    access::show(args, &answer, detail)
}

async fn list(args: ListArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let path = access::path(&client, &["identity_providers"]);
    let answer = access::list(&client, &path, &[], args.page, args.per_page).await?;
    access::show(&args.client, &answer, rows)
}

async fn get(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let answer = client.api.get(&access::path(&client, &["identity_providers", &args.id]), &[]).await?;
    access::show(&args.client, &answer, detail)
}

async fn delete(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let answer = client.api.delete(&access::path(&client, &["identity_providers", &args.id])).await?;
    if args.client.json {
        output::json(&answer.result)?;
    } else {
        output::line(&format!("Deleted identity provider {}.", args.id))?;
    }
    Ok(())
}

async fn revoke_user(args: RevokeArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let body = json!({"email": args.email});
    let path = access::path(&client, &["organizations", "revoke_user"]);
    let answer = client.api.post(&path, Some(&body)).await?;
    if args.client.json {
        output::json(&answer.result)?;
    } else {
        output::line(&format!("Ended every session of {}.", args.email.trim()))?;
    }
    Ok(())
}

fn rows(result: &Value) -> comfy_table::Table {
    let mut rows = table(&["ID", "NAME", "TYPE"]);
    for idp in result.as_array().into_iter().flatten() {
        rows.add_row([text(idp, "id"), text(idp, "name"), text(idp, "type")]);
    }
    rows
}

fn detail(idp: &Value) -> comfy_table::Table {
    let config = &idp["config"];
    let mut rows = vec![
        ("ID", text(idp, "id")),
        ("Name", text(idp, "name")),
        ("Type", text(idp, "type")),
        ("Client ID", text(config, "client_id")),
    ];
    if idp["type"] == "github" {
        rows.push(("Base URL", text(config, "base_url")));
        rows.push(("API URL", text(config, "api_url")));
    } else {
        rows.push(("Auth URL", text(config, "auth_url")));
        rows.push(("Token URL", text(config, "token_url")));
        rows.push(("Certs URL", text(config, "certs_url")));
    }
    rows.push(("Redirect URL", text(config, "redirect_url")));
    details(rows)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: IdpCommand,
    }

    #[test]
    fn create_oidc_sends_cloudflares_config_with_default_scopes() {
        let cli = Cli::try_parse_from([
            "idp",
            "create-oidc",
            "--name",
            "Okta",
            "--client-id",
            "abc",
            "--client-secret-file",
            "-",
            "--auth-url",
            "https://a/auth",
            "--token-url",
            "https://a/token",
            "--certs-url",
            "https://a/keys",
            "--pkce",
            "--claim",
            "groups",
        ])
        .unwrap();
        let IdpCommand::CreateOidc(args) = cli.command else { panic!("create-oidc") };
        let body = oidc_body(&args, "s3cret".into());
        assert_eq!(body["type"], "oidc");
        assert_eq!(body["config"]["scopes"], json!(["openid", "email", "profile"]));
        assert_eq!(body["config"]["claims"], json!(["groups"]));
        assert_eq!(body["config"]["pkce_enabled"], true);
        assert_eq!(body["config"]["client_secret"], "s3cret");
        assert!(body["config"].get("issuer").is_none());
    }

    #[test]
    fn create_github_sends_the_app_and_the_enterprise_urls_when_given() {
        let args = [
            "idp",
            "create-github",
            "--name",
            "GitHub",
            "--client-id",
            "Ov23li",
            "--client-secret-file",
            "-",
        ];
        let cli = Cli::try_parse_from(args).unwrap();
        let IdpCommand::CreateGithub(github) = cli.command else { panic!("create-github") };
        let body = github_body(&github, "s3cret".into());
        assert_eq!(
            body,
            json!({"name": "GitHub", "type": "github",
            "config": {"client_id": "Ov23li", "client_secret": "s3cret"}})
        );
        let enterprise =
            [&args[..], &["--github-url", "https://ghe.test", "--github-api-url", "https://ghe.test/api/v3"]]
                .concat();
        let IdpCommand::CreateGithub(github) = Cli::try_parse_from(enterprise).unwrap().command else {
            panic!("create-github")
        };
        let body = github_body(&github, "s".into());
        assert_eq!(body["config"]["base_url"], "https://ghe.test");
        assert_eq!(body["config"]["api_url"], "https://ghe.test/api/v3");
    }

    #[test]
    fn the_client_secret_is_never_a_flag() {
        for command in ["create-oidc", "create-github"] {
            let parsed = Cli::try_parse_from(["idp", command, "--name", "x", "--client-secret", "s"]);
            assert!(parsed.is_err(), "{command}");
        }
    }
}
