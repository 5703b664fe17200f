//! One module per subcommand.

mod access;
pub mod admin;
pub mod app;
pub mod audit;
pub mod config;
pub mod decisions;
pub mod docs;
pub mod group;
pub mod idp;
pub mod logs;
pub mod policy;
pub mod probe;
pub mod serve;
pub mod terraform;
pub mod token;

use std::fmt;
use std::str::FromStr;

use gatehouse_domain::Secret;
use gatehouse_server::LogFormat;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::telemetry::Telemetry;

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
    let _ = init_tracing(format, None);
}

/// [`init_logging`], and with an OTLP endpoint the gateway's request spans exported to it
/// (whatever the log level). Must run on a Tokio runtime when `otlp_endpoint` is set.
pub fn init_tracing(format: LogFormat, otlp_endpoint: Option<&str>) -> Result<Option<Telemetry>, String> {
    let filter = std::env::var("GATEHOUSE_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = vec![match format {
        LogFormat::Human => fmt.with_filter(filter).boxed(),
        LogFormat::Json => fmt.json().with_filter(filter).boxed(),
    }];
    let telemetry = match otlp_endpoint {
        Some(endpoint) => {
            let (layer, telemetry) = crate::telemetry::layer(endpoint)?;
            layers.push(layer.boxed());
            Some(telemetry)
        }
        None => None,
    };
    let _ = tracing_subscriber::registry().with(layers).try_init();
    Ok(telemetry)
}
