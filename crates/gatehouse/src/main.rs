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
mod telemetry;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// `gatehouse --version`: the package version and the commit it was built from.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("GATEHOUSE_COMMIT"), ")");

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version = VERSION,
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
    /// Manage identity providers (how people log in), and end a person's sessions.
    #[command(subcommand)]
    Idp(commands::idp::IdpCommand),
    /// Explain the gateway's decisions on requests.
    #[command(subcommand)]
    Access(commands::decisions::AccessCommand),
    /// Show the gateway's access log (every decision on a request for an application).
    Logs(commands::logs::LogsArgs),
    /// GET a health URL (default: this host's /healthz); exit 0 on 2xx, for container healthchecks.
    Probe(commands::probe::ProbeArgs),
    /// Check a configuration file; print the configuration reference.
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) on stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page on stdout, or write one page per command into a directory.
    Man {
        /// Write gatehouse.1, gatehouse-serve.1, … into this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
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
    // The commands that need no runtime.
    let command = match cli.command {
        Command::Config(command) => return commands::config::run(command),
        Command::Completions { shell } => return commands::docs::completions(Cli::command(), shell),
        Command::Man { dir } => return commands::docs::man(Cli::command(), dir.as_deref()),
        other => other,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("gatehouse: cannot start the async runtime: {error}");
            return ExitCode::from(70);
        }
    };
    runtime.block_on(async move {
        match command {
            Command::Serve(args) => commands::serve::run(args).await,
            Command::Admin(command) => commands::admin::run(command).await,
            Command::Audit(command) => commands::audit::run(command).await,
            Command::Token(command) => commands::token::run(command).await,
            Command::App(command) => commands::app::run(command).await,
            Command::Policy(command) => commands::policy::run(command).await,
            Command::Group(command) => commands::group::run(command).await,
            Command::Idp(command) => commands::idp::run(command).await,
            Command::Access(command) => commands::decisions::run(command).await,
            Command::Logs(args) => commands::logs::run(args).await,
            Command::Probe(args) => commands::probe::run(args).await,
            Command::Config(_) | Command::Completions { .. } | Command::Man { .. } => ExitCode::SUCCESS,
            Command::Terraform(command) => commands::terraform::run(command).await,
        }
    })
}
