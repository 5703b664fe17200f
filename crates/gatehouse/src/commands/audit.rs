//! `gatehouse audit verify`: checks every account's audit-log hash chain, offline, straight from
//! the database. Exit 0 with "N records verified"; exit 1 naming the first broken record.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use gatehouse_server::{Config, DatabaseUrl, LogFormat, Overrides};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the audit log's hash chains (detects edited, deleted or reordered records).
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The server's data directory.
    #[arg(long, env = "GATEHOUSE_DATA_DIR", value_name = "DIR", default_value = "./gatehouse-data")]
    data_dir: PathBuf,
    /// Database URL, when not SQLite in the data directory.
    #[arg(long, env = "GATEHOUSE_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<DatabaseUrl>,
    /// File holding the database URL (instead of --database-url).
    #[arg(long, env = "GATEHOUSE_DATABASE_URL_FILE", value_name = "FILE")]
    database_url_file: Option<PathBuf>,
}

pub async fn run(command: AuditCommand) -> ExitCode {
    let AuditCommand::Verify(args) = command;
    super::init_logging(LogFormat::Human);
    let overrides = Overrides {
        data_dir: Some(args.data_dir),
        database_url: args.database_url,
        database_url_file: args.database_url_file,
        ..Overrides::default()
    };
    let config = match Config::resolve(overrides) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::from(64);
        }
    };
    let reports = match gatehouse_server::audit::verify(&config).await {
        Ok(reports) => reports,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::from(70);
        }
    };
    let mut verified = 0;
    let mut failed = false;
    for report in &reports {
        verified += report.verified;
        match &report.broken {
            Some(broken) => {
                failed = true;
                println!("account {}: {broken}", report.account_id);
                println!("account {}: {} records verified before it", report.account_id, report.verified);
            }
            None => println!(
                "account {}: {} records verified, head {}",
                report.account_id, report.verified, report.head
            ),
        }
    }
    if failed {
        eprintln!("gatehouse: the audit log has been tampered with (see above)");
        return ExitCode::from(1);
    }
    println!("{verified} records verified");
    ExitCode::SUCCESS
}
