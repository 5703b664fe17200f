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

use std::fmt;
use std::str::FromStr;

use gatehouse_domain::Secret;
use gatehouse_server::LogFormat;
use tracing_subscriber::EnvFilter;

/// A secret given on the command line or in the environment (a server key, a token). Its
/// `Debug` is redacted, so argument structs can derive `Debug`; [`SecretArg::into_secret`]
/// hands it on as a [`Secret`].
#[derive(Clone)]
pub struct SecretArg(String);

impl SecretArg {
    pub fn into_secret(self) -> Secret {
        Secret::new(self.0)
    }
}

impl FromStr for SecretArg {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(SecretArg(value.to_owned()))
    }
}

impl fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretArg([REDACTED])")
    }
}

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
