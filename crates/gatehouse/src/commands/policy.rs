//! `gatehouse policy …`: reusable policies (`/accounts/{account_id}/access/policies`), or with
//! `--app` the policies of one application (`…/access/apps/{app_id}/policies`). Rules are JSON,
//! e.g. `--include '{"service_token":{"token_id":"<token id>"}}'`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Map, Value};

use super::access::{self, Failure, details, rules, table, text};
use crate::client::{AccountClient, ClientArgs, ClientError};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Create a policy (reusable, or app-scoped with --app).
    Create(CreateArgs),
    /// List reusable policies, or with --app the application's policies.
    List(ListArgs),
    /// Show one policy.
    Get(IdArgs),
    /// Change a policy; what is not given stays as it is.
    Update(UpdateArgs),
    /// Delete a policy (a reusable one only when no application uses it).
    Delete(IdArgs),
}

/// Which policies: the account's reusable ones, or one application's.
#[derive(Debug, Args)]
pub struct Scope {
    /// Work on the policies of this application (id) instead of the reusable ones.
    #[arg(long, value_name = "APP_ID")]
    app: Option<String>,
}

#[derive(Debug, Args)]
pub struct Fields {
    /// A name to recognise it by.
    #[arg(long)]
    name: Option<String>,
    /// allow, deny, non_identity (Service Auth) or bypass.
    #[arg(long, value_parser = ["allow", "deny", "non_identity", "bypass"])]
    decision: Option<String>,
    /// A rule the request may match (JSON object); repeat for several. On update, replaces them.
    #[arg(long, value_name = "JSON", value_parser = access::parse_rule)]
    include: Vec<Value>,
    /// A rule the request must match (JSON); repeat for several.
    #[arg(long, value_name = "JSON", value_parser = access::parse_rule)]
    require: Vec<Value>,
    /// A rule the request must not match (JSON); repeat for several.
    #[arg(long, value_name = "JSON", value_parser = access::parse_rule)]
    exclude: Vec<Value>,
    /// Session lifetime for this policy (Go duration), overriding the application's.
    #[arg(long)]
    session_duration: Option<String>,
    /// Order within the application (with --app): lower runs first.
    #[arg(long, requires = "app")]
    precedence: Option<i64>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    fields: Fields,
    #[command(flatten)]
    scope: Scope,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the policy with this name.
    #[arg(long)]
    name: Option<String>,
    /// Free-text search.
    #[arg(long)]
    search: Option<String>,
    /// Fetch only this page (1-based) instead of all of them.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    page: Option<u64>,
    /// Policies per page.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1000))]
    per_page: Option<u64>,
    #[command(flatten)]
    scope: Scope,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The policy's id (a UUID).
    id: String,
    #[command(flatten)]
    scope: Scope,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The policy's id (a UUID).
    id: String,
    #[command(flatten)]
    fields: Fields,
    #[command(flatten)]
    scope: Scope,
    #[command(flatten)]
    client: ClientArgs,
}

pub async fn run(command: PolicyCommand) -> ExitCode {
    access::exit(match command {
        PolicyCommand::Create(args) => create(args).await,
        PolicyCommand::List(args) => list(args).await,
        PolicyCommand::Get(args) => get(args).await,
        PolicyCommand::Update(args) => update(args).await,
        PolicyCommand::Delete(args) => delete(args).await,
    })
}

impl Scope {
    /// The collection path, with `rest` appended.
    fn path<'a>(&'a self, client: &'a AccountClient, rest: &[&'a str]) -> Vec<&'a str> {
        let mut segments = match &self.app {
            Some(app) => access::path(client, &["apps", app, "policies"]),
            None => access::path(client, &["policies"]),
        };
        segments.extend_from_slice(rest);
        segments
    }
}

async fn create(args: CreateArgs) -> Result<(), Failure> {
    let fields = args.fields;
    let missing = [("--name", fields.name.is_none()), ("--decision", fields.decision.is_none())];
    if let Some((flag, _)) = missing.iter().find(|(_, missing)| *missing) {
        return Err(ClientError::Usage(format!("{flag} is required")).into());
    }
    if fields.include.is_empty() {
        return Err(ClientError::Usage("at least one --include rule is required".to_owned()).into());
    }
    let mut body = Map::new();
    fields.apply(&mut body);
    let client = args.client.connect().await?;
    let answer = client.api.post(&args.scope.path(&client, &[]), Some(&body)).await?;
    access::show(&args.client, &answer, detail)
}

async fn list(args: ListArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let filters: Vec<_> = [("name", args.name), ("search", args.search)]
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key, v)))
        .collect();
    let path = args.scope.path(&client, &[]);
    let answer = access::list(&client, &path, &filters, args.page, args.per_page).await?;
    access::show(&args.client, &answer, rows)
}

async fn get(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let answer = client.api.get(&args.scope.path(&client, &[&args.id]), &[]).await?;
    access::show(&args.client, &answer, detail)
}

/// PUT replaces the policy: read it, change what was given, send it back.
async fn update(args: UpdateArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let path = args.scope.path(&client, &[&args.id]);
    let mut body = client.api.get(&path, &[]).await?.decode::<Map<String, Value>>()?;
    args.fields.apply(&mut body);
    let answer = client.api.put(&path, &body).await?;
    access::show(&args.client, &answer, detail)
}

async fn delete(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let answer = client.api.delete(&args.scope.path(&client, &[&args.id])).await?;
    if args.client.json {
        output::json(&answer.result)?;
    } else {
        output::line(&format!("Deleted policy {}.", args.id))?;
    }
    Ok(())
}

impl Fields {
    /// Writes the given fields into a request body; rule lists given replace the stored ones.
    fn apply(self, body: &mut Map<String, Value>) {
        let mut set = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                body.insert(key.to_owned(), value);
            }
        };
        set("name", self.name.map(Value::from));
        set("decision", self.decision.map(Value::from));
        for (key, list) in [("include", self.include), ("require", self.require), ("exclude", self.exclude)] {
            set(key, (!list.is_empty()).then_some(Value::Array(list)));
        }
        set("session_duration", self.session_duration.map(Value::from));
        set("precedence", self.precedence.map(Value::from));
    }
}

fn rows(result: &Value) -> comfy_table::Table {
    let mut rows = table(&["ID", "NAME", "DECISION", "REUSABLE", "PRECEDENCE", "APPS"]);
    for policy in result.as_array().into_iter().flatten() {
        let fields = ["id", "name", "decision", "reusable", "precedence", "app_count"];
        rows.add_row(fields.map(|field| text(policy, field)));
    }
    rows
}

fn detail(policy: &Value) -> comfy_table::Table {
    details(vec![
        ("ID", text(policy, "id")),
        ("Name", text(policy, "name")),
        ("Decision", text(policy, "decision")),
        ("Reusable", text(policy, "reusable")),
        ("Precedence", text(policy, "precedence")),
        ("Applications", text(policy, "app_count")),
        ("Include", rules(policy, "include")),
        ("Require", rules(policy, "require")),
        ("Exclude", rules(policy, "exclude")),
        ("Session duration", text(policy, "session_duration")),
        ("Created", text(policy, "created_at")),
        ("Updated", text(policy, "updated_at")),
    ])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn given_rule_lists_replace_the_stored_ones_and_others_stay() {
        let mut body = json!({"name": "p", "decision": "allow", "include": [{"everyone": {}}],
            "exclude": [{"ip": {"ip": "10.0.0.0/8"}}]})
        .as_object()
        .unwrap()
        .clone();
        let fields = Fields {
            name: None,
            decision: Some("non_identity".into()),
            include: vec![json!({"service_token": {}})],
            require: Vec::new(),
            exclude: Vec::new(),
            session_duration: None,
            precedence: None,
        };
        fields.apply(&mut body);
        assert_eq!(body["decision"], "non_identity");
        assert_eq!(body["include"], json!([{"service_token": {}}]));
        assert_eq!(body["exclude"], json!([{"ip": {"ip": "10.0.0.0/8"}}]));
        assert_eq!(body["name"], "p");
    }
}
