//! `gatehouse serve`: read flags and environment, start the server, print the first-start
//! banner and the ready line, and run until SIGTERM or SIGINT.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use gatehouse_server::{Config, DatabaseUrl, LogFormat, Overrides, Server};

use super::SecretArg;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML file with settings not given as flags.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the SQLite database and the server key live [default: ./gatehouse-data].
    #[arg(long, env = "GATEHOUSE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Management API listener [default: 127.0.0.1:8787]; port 0 picks a free port.
    #[arg(long, env = "GATEHOUSE_API_LISTEN", value_name = "ADDR")]
    api_listen: Option<SocketAddr>,
    /// Gateway listener [default: 127.0.0.1:8080]; port 0 picks a free port.
    #[arg(long, env = "GATEHOUSE_GATEWAY_LISTEN", value_name = "ADDR")]
    gateway_listen: Option<SocketAddr>,
    /// Serve Prometheus `/metrics` on this listener instead of the management API's.
    #[arg(long, env = "GATEHOUSE_METRICS_LISTEN", value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
    /// PEM certificate chain: serve the gateway over TLS (with --tls-key).
    #[arg(long, env = "GATEHOUSE_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "GATEHOUSE_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Database URL [default: SQLite in the data directory].
    #[arg(long, env = "GATEHOUSE_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<DatabaseUrl>,
    /// File holding the database URL (instead of --database-url).
    #[arg(long, env = "GATEHOUSE_DATABASE_URL_FILE", value_name = "FILE")]
    database_url_file: Option<PathBuf>,
    /// File holding the server key in hex [default: <data-dir>/secret.key].
    #[arg(long, env = "GATEHOUSE_SECRET_KEY_FILE", value_name = "FILE")]
    secret_key_file: Option<PathBuf>,
    /// Issue new client secrets as 64 hex characters (Cloudflare's legacy format).
    #[arg(long)]
    legacy_secret_format: bool,
    /// Send OpenTelemetry traces (one span per gateway request) to this OTLP/HTTP collector,
    /// e.g. `http://127.0.0.1:4318` [default: off].
    #[arg(long, env = "GATEHOUSE_OTLP_ENDPOINT", value_name = "URL")]
    otlp_endpoint: Option<String>,
    /// Log format on stderr.
    #[arg(long, env = "GATEHOUSE_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormatArg>,
    /// The server key in hex (prefer the key file).
    #[arg(long = "secret-key", env = "GATEHOUSE_SECRET_KEY", hide = true, hide_env_values = true)]
    secret_key: Option<SecretArg>,
    /// Previous server keys still accepted while the key is rotated, comma-separated hex
    /// [default: <key file>.previous, when it exists].
    #[arg(
        long = "previous-secret-keys",
        env = "GATEHOUSE_PREVIOUS_SECRET_KEYS",
        hide = true,
        hide_env_values = true
    )]
    previous_secret_keys: Option<SecretArg>,
    /// File holding the previous server keys (one per line or comma-separated).
    #[arg(long = "previous-secret-keys-file", env = "GATEHOUSE_PREVIOUS_SECRET_KEYS_FILE", hide = true)]
    previous_secret_keys_file: Option<PathBuf>,
    /// First start only: the admin API token to create (instead of a generated one).
    #[arg(
        long = "bootstrap-api-token",
        env = "GATEHOUSE_BOOTSTRAP_API_TOKEN",
        hide = true,
        hide_env_values = true
    )]
    bootstrap_api_token: Option<SecretArg>,
    /// First start only: a file holding the admin API token to create.
    #[arg(long = "bootstrap-api-token-file", env = "GATEHOUSE_BOOTSTRAP_API_TOKEN_FILE", hide = true)]
    bootstrap_api_token_file: Option<PathBuf>,
    /// First start only: the account id to create (32 lowercase hex).
    #[arg(long = "bootstrap-account-id", env = "GATEHOUSE_BOOTSTRAP_ACCOUNT_ID", hide = true)]
    bootstrap_account_id: Option<String>,
    /// The SMTP server's password for `[smtp] username` (instead of `smtp.password_file`).
    #[arg(long = "smtp-password", env = "GATEHOUSE_SMTP_PASSWORD", hide = true, hide_env_values = true)]
    smtp_password: Option<SecretArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormatArg {
    Human,
    Json,
}

impl ServeArgs {
    fn overrides(self) -> Overrides {
        Overrides {
            config_file: self.config,
            data_dir: self.data_dir,
            api_listen: self.api_listen,
            gateway_listen: self.gateway_listen,
            database_url: self.database_url,
            database_url_file: self.database_url_file,
            secret_key: self.secret_key.map(SecretArg::into_secret),
            secret_key_file: self.secret_key_file,
            previous_secret_keys: self.previous_secret_keys.map(SecretArg::into_secret),
            previous_secret_keys_file: self.previous_secret_keys_file,
            legacy_secret_format: self.legacy_secret_format,
            log_format: self.log_format.map(|f| match f {
                LogFormatArg::Human => LogFormat::Human,
                LogFormatArg::Json => LogFormat::Json,
            }),
            bootstrap_api_token: self.bootstrap_api_token.map(SecretArg::into_secret),
            bootstrap_api_token_file: self.bootstrap_api_token_file,
            bootstrap_account_id: self.bootstrap_account_id,
            tls_cert: self.tls_cert,
            tls_key: self.tls_key,
            metrics_listen: self.metrics_listen,
            otlp_endpoint: self.otlp_endpoint,
            smtp_password: self.smtp_password.map(SecretArg::into_secret),
        }
    }
}

pub async fn run(args: ServeArgs) -> ExitCode {
    let config = match Config::resolve(args.overrides()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::from(64);
        }
    };
    let telemetry = match super::init_tracing(config.log_format, config.otlp_endpoint.as_deref()) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::from(70);
        }
    };
    let mut server = match Server::bind(config).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::from(70);
        }
    };
    let stop = shutdown_signal();
    print_banner(&mut server);
    let ready = serde_json::to_string(server.ready()).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{ready}").and_then(|()| stdout.flush()).is_err() {
        tracing::warn!("could not write the ready line to stdout");
    }
    drop(stdout);
    let result = server.run(stop).await;
    if let Some(telemetry) = telemetry {
        // Sends the spans still queued; it blocks until the exporter task has answered.
        let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            ExitCode::from(70)
        }
    }
}

/// On first start, what a new user needs next: the URLs, the account, and the admin token
/// (shown this once, on stderr, only when gatehouse generated it).
fn print_banner(server: &mut Server) {
    if !server.created_account() {
        return;
    }
    let token = server.take_generated_admin_token();
    let ready = server.ready();
    let mut err = std::io::stderr().lock();
    let mut lines = vec![
        String::new(),
        format!("gatehouse: created account {}", ready.account_id),
        format!("  management API: {}/client/v4", ready.api),
        format!("  gateway:        {}", ready.gateway),
        format!("  dashboard:      {}/dash/ (log in with the admin API token)", ready.api),
    ];
    match &token {
        Some(token) => {
            lines.push("  admin API token (shown only now; store it in your secrets manager):".to_owned());
            lines.push(format!("    export GATEHOUSE_API_TOKEN={}", token.expose()));
        }
        None => lines.push("  admin API token: the one given in GATEHOUSE_BOOTSTRAP_API_TOKEN".to_owned()),
    }
    lines.push(format!("    export GATEHOUSE_ACCOUNT_ID={}", ready.account_id));
    lines.push(format!(
        "  try: curl -s -H \"Authorization: Bearer $GATEHOUSE_API_TOKEN\" {}/client/v4/accounts/$GATEHOUSE_ACCOUNT_ID/access/service_tokens",
        ready.api
    ));
    lines.push(String::new());
    let _ = writeln!(err, "{}", lines.join("\n"));
}

/// SIGTERM or SIGINT. The handlers are installed when this is called, not when the future is
/// first polled: called before the ready line, a stop sent right after that line is never lost
/// (it would otherwise kill the process with the signal's default action).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).ok();
        let mut interrupt = signal(SignalKind::interrupt()).ok();
        async move {
            let terminated = async {
                match terminate.as_mut() {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            let interrupted = async {
                match interrupt.as_mut() {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = terminated => {},
                _ = interrupted => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
