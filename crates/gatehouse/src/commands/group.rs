//! `gatehouse group …`: access groups (`/accounts/{account_id}/access/groups`), named rule sets
//! that policies use as `{"group":{"id":"<group id>"}}`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::access::{self, Failure, details, rules, table, text};
use crate::client::ClientArgs;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create an access group.
    Create(CreateArgs),
    /// List access groups (every page unless --page is given).
    List(ListArgs),
    /// Show one access group.
    Get(IdArgs),
    /// Delete an access group that no policy or group uses.
    Delete(IdArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A name to recognise it by.
    #[arg(long)]
    name: String,
    /// A rule a member may match (JSON object); repeat for several. At least one.
    #[arg(long, required = true, value_name = "JSON", value_parser = access::parse_rule)]
    include: Vec<Value>,
    /// A rule every member must match (JSON); repeat for several.
    #[arg(long, value_name = "JSON", value_parser = access::parse_rule)]
    require: Vec<Value>,
    /// A rule no member may match (JSON); repeat for several.
    #[arg(long, value_name = "JSON", value_parser = access::parse_rule)]
    exclude: Vec<Value>,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the group with this name.
    #[arg(long)]
    name: Option<String>,
    /// Free-text search.
    #[arg(long)]
    search: Option<String>,
    /// Fetch only this page (1-based) instead of all of them.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    page: Option<u64>,
    /// Groups per page.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1000))]
    per_page: Option<u64>,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The group's id (a UUID).
    id: String,
    #[command(flatten)]
    client: ClientArgs,
}

pub async fn run(command: GroupCommand) -> ExitCode {
    access::exit(match command {
        GroupCommand::Create(args) => create(args).await,
        GroupCommand::List(args) => list(args).await,
        GroupCommand::Get(args) => get(args).await,
        GroupCommand::Delete(args) => delete(args).await,
    })
}

async fn create(args: CreateArgs) -> Result<(), Failure> {
    let body =
        json!({"name": args.name, "include": args.include, "require": args.require, "exclude": args.exclude});
    let client = args.client.connect().await?;
    let answer = client.api.post(&access::path(&client, &["groups"]), Some(&body)).await?;
    access::show(&args.client, &answer, detail)
}

async fn list(args: ListArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let filters: Vec<_> = [("name", args.name), ("search", args.search)]
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key, v)))
        .collect();
    let path = access::path(&client, &["groups"]);
    let answer = access::list(&client, &path, &filters, args.page, args.per_page).await?;
    access::show(&args.client, &answer, rows)
}

async fn get(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let answer = client.api.get(&access::path(&client, &["groups", &args.id]), &[]).await?;
    access::show(&args.client, &answer, detail)
}

async fn delete(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let answer = client.api.delete(&access::path(&client, &["groups", &args.id])).await?;
    if args.client.json {
        output::json(&answer.result)?;
    } else {
        output::line(&format!("Deleted access group {}.", args.id))?;
    }
    Ok(())
}

fn rows(result: &Value) -> comfy_table::Table {
    let mut rows = table(&["ID", "NAME", "INCLUDE", "REQUIRE", "EXCLUDE"]);
    for group in result.as_array().into_iter().flatten() {
        let count = |field: &str| group[field].as_array().map_or(0, Vec::len).to_string();
        rows.add_row([
            text(group, "id"),
            text(group, "name"),
            count("include"),
            count("require"),
            count("exclude"),
        ]);
    }
    rows
}

fn detail(group: &Value) -> comfy_table::Table {
    details(vec![
        ("ID", text(group, "id")),
        ("Name", text(group, "name")),
        ("Include", rules(group, "include")),
        ("Require", rules(group, "require")),
        ("Exclude", rules(group, "exclude")),
        ("Created", text(group, "created_at")),
        ("Updated", text(group, "updated_at")),
    ])
}
