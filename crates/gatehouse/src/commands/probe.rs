//! `gatehouse probe [URL]`: GET a health URL and exit 0 on a 2xx answer, 1 otherwise. For
//! container healthchecks and exec probes in images that have no curl (the image's own
//! `HEALTHCHECK` uses it).

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// What to GET.
    #[arg(value_name = "URL", default_value = "http://127.0.0.1:8787/healthz")]
    url: String,
    /// Seconds before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    timeout: u64,
}

pub async fn run(args: ProbeArgs) -> ExitCode {
    let client = match reqwest::Client::builder().timeout(Duration::from_secs(args.timeout.max(1))).build() {
        Ok(client) => client,
        Err(error) => {
            eprintln!("gatehouse probe: {error}");
            return ExitCode::from(1);
        }
    };
    match client.get(&args.url).send().await {
        Ok(reply) if reply.status().is_success() => ExitCode::SUCCESS,
        Ok(reply) => {
            let status = reply.status();
            let body = reply.text().await.unwrap_or_default();
            eprintln!("gatehouse probe: {} answered {status}: {}", args.url, body.trim());
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("gatehouse probe: {}: {error}", args.url);
            ExitCode::from(1)
        }
    }
}
