//! `gatehouse app …`: applications through the management API
//! (`/accounts/{account_id}/access/apps`).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};

use super::access::{self, Failure, details, table, text};
use crate::client::ClientArgs;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Protect an application: requests for its domain go through the gateway to its origin.
    Create(CreateArgs),
    /// List applications (every page unless --page is given).
    List(ListArgs),
    /// Show one application with its policies.
    Get(IdArgs),
    /// Change an application; what is not given stays as it is.
    Update(UpdateArgs),
    /// Delete an application and its app-scoped policies.
    Delete(IdArgs),
    /// End every session (cookie, application JWT) issued for the application so far.
    RevokeTokens(IdArgs),
}

/// The settable fields; `create` requires a domain.
#[derive(Debug, Args)]
pub struct Fields {
    /// A name to recognise it by [default on create: the domain].
    #[arg(long)]
    name: Option<String>,
    /// Hostname with optional path, wildcards allowed: app.example.com, *.example.com/api.
    #[arg(long)]
    domain: Option<String>,
    /// Where allowed requests go: an http:// or https:// URL, e.g. http://127.0.0.1:9000.
    #[arg(long)]
    origin: Option<String>,
    /// A policy id, in precedence order; repeat for several. On update, replaces the list.
    #[arg(long = "policy", value_name = "POLICY_ID")]
    policies: Vec<String>,
    /// On update: remove every policy (app-scoped ones are deleted).
    #[arg(long, conflicts_with = "policies")]
    no_policies: bool,
    /// Lifetime of the sessions issued for the application (Go duration) [server default: 24h].
    #[arg(long)]
    session_duration: Option<String>,
    /// Answer 401 instead of 403 to requests that fail a Service Auth policy.
    #[arg(long)]
    service_auth_401_redirect: Option<bool>,
    /// Read both service token credentials as JSON from this header.
    #[arg(long, value_name = "HEADER")]
    read_service_tokens_from_header: Option<String>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    fields: Fields,
    /// Cloudflare's application type; gatehouse routes self_hosted only.
    #[arg(long = "type", default_value = "self_hosted")]
    app_type: String,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only applications whose name contains this.
    #[arg(long)]
    name: Option<String>,
    /// Only applications whose domain contains this.
    #[arg(long)]
    domain: Option<String>,
    /// Free-text search (name, domain, aud, id).
    #[arg(long)]
    search: Option<String>,
    /// Fetch only this page (1-based) instead of all of them.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    page: Option<u64>,
    /// Applications per page.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1000))]
    per_page: Option<u64>,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The application's id (a UUID).
    id: String,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The application's id (a UUID).
    id: String,
    #[command(flatten)]
    fields: Fields,
    #[command(flatten)]
    client: ClientArgs,
}

pub async fn run(command: AppCommand) -> ExitCode {
    access::exit(match command {
        AppCommand::Create(args) => create(args).await,
        AppCommand::List(args) => list(args).await,
        AppCommand::Get(args) => get(args).await,
        AppCommand::Update(args) => update(args).await,
        AppCommand::Delete(args) => delete(args).await,
        AppCommand::RevokeTokens(args) => revoke_tokens(args).await,
    })
}

async fn create(args: CreateArgs) -> Result<(), Failure> {
    let mut body = Map::new();
    body.insert("type".into(), json!(args.app_type));
    if args.fields.domain.is_none() {
        return Err(crate::client::ClientError::Usage("--domain is required".to_owned()).into());
    }
    args.fields.apply(&mut body);
    let client = args.client.connect().await?;
    let answer = client.api.post(&access::path(&client, &["apps"]), Some(&body)).await?;
    access::show(&args.client, &answer, detail)
}

async fn list(args: ListArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let filters: Vec<_> = [("name", args.name), ("domain", args.domain), ("search", args.search)]
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key, v)))
        .collect();
    let path = access::path(&client, &["apps"]);
    let answer = access::list(&client, &path, &filters, args.page, args.per_page).await?;
    access::show(&args.client, &answer, rows)
}

async fn get(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let answer = client.api.get(&access::path(&client, &["apps", &args.id]), &[]).await?;
    access::show(&args.client, &answer, detail)
}

/// The API replaces the whole application on PUT: read it, change what was given, send it back
/// (its `policies` come back as `{id, precedence}` links, which the API accepts as they are).
async fn update(args: UpdateArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let path = access::path(&client, &["apps", &args.id]);
    let current = client.api.get(&path, &[]).await?;
    let mut body = current.decode::<Map<String, Value>>()?;
    args.fields.apply(&mut body);
    let answer = client.api.put(&path, &body).await?;
    access::show(&args.client, &answer, detail)
}

async fn delete(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let answer = client.api.delete(&access::path(&client, &["apps", &args.id])).await?;
    if args.client.json {
        output::json(&answer.result)?;
    } else {
        output::line(&format!("Deleted application {}.", args.id))?;
    }
    Ok(())
}

async fn revoke_tokens(args: IdArgs) -> Result<(), Failure> {
    let client = args.client.connect().await?;
    let path = access::path(&client, &["apps", &args.id, "revoke_tokens"]);
    let answer = client.api.post(&path, None::<&()>).await?;
    if args.client.json {
        output::json(&answer.result)?;
    } else {
        output::line(&format!("Revoked every session of application {}.", args.id))?;
    }
    Ok(())
}

impl Fields {
    /// Writes the given fields into a request body.
    fn apply(self, body: &mut Map<String, Value>) {
        if self.domain.is_some() {
            // A new domain replaces the destinations too (the server derives them from it).
            body.remove("destinations");
        }
        let mut set = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                body.insert(key.to_owned(), value);
            }
        };
        set("name", self.name.map(Value::from));
        set("domain", self.domain.map(Value::from));
        set("origin", self.origin.map(Value::from));
        set("session_duration", self.session_duration.map(Value::from));
        set("service_auth_401_redirect", self.service_auth_401_redirect.map(Value::from));
        set("read_service_tokens_from_header", self.read_service_tokens_from_header.map(Value::from));
        if self.no_policies {
            set("policies", Some(json!([])));
        } else if !self.policies.is_empty() {
            set("policies", Some(Value::from(self.policies)));
        }
    }
}

fn rows(result: &Value) -> comfy_table::Table {
    let mut rows = table(&["ID", "NAME", "TYPE", "DOMAIN", "ORIGIN", "POLICIES"]);
    for app in result.as_array().into_iter().flatten() {
        let policies = app["policies"].as_array().map_or(0, Vec::len);
        rows.add_row(
            ["id", "name", "type", "domain", "origin"]
                .map(|field| text(app, field))
                .into_iter()
                .chain([policies.to_string()]),
        );
    }
    rows
}

fn detail(app: &Value) -> comfy_table::Table {
    let policies: Vec<String> = app["policies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            format!(
                "{} {} ({}, {})",
                text(p, "precedence"),
                text(p, "name"),
                text(p, "decision"),
                text(p, "id")
            )
        })
        .collect();
    details(vec![
        ("ID", text(app, "id")),
        ("Name", text(app, "name")),
        ("Type", text(app, "type")),
        ("Domain", text(app, "domain")),
        ("Origin", text(app, "origin")),
        ("AUD", text(app, "aud")),
        ("Session duration", text(app, "session_duration")),
        ("Service auth 401", text(app, "service_auth_401_redirect")),
        ("Token header", text(app, "read_service_tokens_from_header")),
        ("Policies", if policies.is_empty() { "-".to_owned() } else { policies.join("\n") }),
        ("Created", text(app, "created_at")),
        ("Updated", text(app, "updated_at")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            name: None,
            domain: None,
            origin: None,
            policies: Vec::new(),
            no_policies: false,
            session_duration: None,
            service_auth_401_redirect: None,
            read_service_tokens_from_header: None,
        }
    }

    #[test]
    fn update_changes_only_what_is_given() {
        let current = json!({"name": "a", "domain": "a.example.com", "destinations": [{"type": "public", "uri": "a.example.com"}],
            "policies": [{"id": "p", "precedence": 1, "name": "x"}], "tags": ["t"]});
        let mut body = current.as_object().unwrap().clone();
        Fields { origin: Some("http://127.0.0.1:9000".into()), ..fields() }.apply(&mut body);
        assert_eq!(body["origin"], "http://127.0.0.1:9000");
        assert_eq!(
            (body["policies"].clone(), body["tags"].clone()),
            (current["policies"].clone(), current["tags"].clone())
        );

        Fields { domain: Some("b.example.com".into()), policies: vec!["q".into()], ..fields() }
            .apply(&mut body);
        assert_eq!(body["domain"], "b.example.com");
        assert!(body.get("destinations").is_none(), "the server derives them from the new domain");
        assert_eq!(body["policies"], json!(["q"]));

        Fields { no_policies: true, ..fields() }.apply(&mut body);
        assert_eq!(body["policies"], json!([]));
    }
}
