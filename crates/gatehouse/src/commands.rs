//! One module per subcommand.

mod access;
pub mod admin;
pub mod app;
pub mod audit;
pub mod decisions;
pub mod group;
pub mod logs;
pub mod policy;
pub mod serve;
pub mod terraform;
pub mod token;

use gatehouse_server::LogFormat;
use tracing_subscriber::EnvFilter;

/// Logs go to stderr (stdout carries the ready line and command output); `RUST_LOG` or
/// `GATEHOUSE_LOG` refine the level.
pub fn init_logging(format: LogFormat) {
    let filter = std::env::var("GATEHOUSE_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
