//! `gatehouse`: one binary for the server (`serve`), offline administration (`admin`) and the
//! command-line client of the management API (`token …`, `app …`, `policy …`, `group …`).
//!
//! This file only parses the command line and hands over: the server lives in
//! `gatehouse-server`, the client commands in `commands/`.

// Printing results on stdout is this crate's job; the libraries never print.
#![allow(clippy::print_stdout)]
// The doc comments of the argument structs are clap's `--help` text, where `<data-dir>` names a
// placeholder; they are not rendered as HTML anywhere.
#![allow(rustdoc::invalid_html_tags)]

mod client;
mod commands;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Self-hosted access gateway for service tokens, wire-compatible with Cloudflare Access"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the management API and the gateway.
    Serve(commands::serve::ServeArgs),
    /// Offline administration of a data directory (works while the server runs).
    #[command(subcommand)]
    Admin(commands::admin::AdminCommand),
    /// The audit log of management actions (offline, from the database).
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Manage service tokens through the management API.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Manage applications (what the gateway protects, and where it forwards).
    #[command(subcommand)]
    App(commands::app::AppCommand),
    /// Manage access policies (who may reach an application).
    #[command(subcommand)]
    Policy(commands::policy::PolicyCommand),
    /// Manage access groups (named rule sets that policies use).
    #[command(subcommand)]
    Group(commands::group::GroupCommand),
    /// Explain the gateway's decisions on requests.
    #[command(subcommand)]
    Access(commands::decisions::AccessCommand),
    /// Show the gateway's access log (every decision on a request for an application).
    Logs(commands::logs::LogsArgs),
    /// Terraform support: install gatehouse's cloudflare provider for `terraform init`.
    #[command(subcommand)]
    Terraform(commands::terraform::TerraformCommand),
}

/// mimalloc instead of the C library's allocator: the request path allocates and frees small
/// buffers on every request (headers, bodies, JWT and log strings), where it is faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("gatehouse: cannot start the async runtime: {error}");
            return ExitCode::from(70);
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => commands::serve::run(args).await,
            Command::Admin(command) => commands::admin::run(command).await,
            Command::Audit(command) => commands::audit::run(command).await,
            Command::Token(command) => commands::token::run(command).await,
            Command::App(command) => commands::app::run(command).await,
            Command::Policy(command) => commands::policy::run(command).await,
            Command::Group(command) => commands::group::run(command).await,
            Command::Access(command) => commands::decisions::run(command).await,
            Command::Logs(args) => commands::logs::run(args).await,
            Command::Terraform(command) => commands::terraform::run(command).await,
        }
    })
}
