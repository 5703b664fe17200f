//! Configuration, layered: built-in defaults, then the TOML file given with `--config`, then
//! the command line and environment (clap reads both in the binary). Secrets (the server key,
//! the bootstrap API token, the database URL, webhook secrets) never have a default and are
//! never printed; each may instead be read from a file (`GATEHOUSE_…_FILE`, `…_file` in the
//! configuration file), which keeps it out of the environment of the process.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use gatehouse_domain::{AccountId, Secret, SecretFormat};
use gatehouse_proxy::FailureLimits;
use serde::Deserialize;

use crate::cluster::ClusterConfig;

use crate::access_log::AccessLogSettings;
use crate::jobs::settings::{MonitoringConfig, WebhookEntry};

/// How logs are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// A database URL. It may carry a password, so its `Debug` and `Display` show the URL with the
/// password replaced; the whole value is reachable only through [`DatabaseUrl::expose`].
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl FromStr for DatabaseUrl {
    type Err = Infallible;

    fn from_str(url: &str) -> Result<Self, Infallible> {
        Ok(DatabaseUrl(url.to_owned()))
    }
}

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(url.into())
    }

    /// The URL as given, password included: only to connect.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `scheme://user:****@host/…` for `scheme://user:password@host/…`; other URLs unchanged.
    fn masked(&self) -> String {
        let url = &self.0;
        let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return url.clone() };
        let rest = &url[scheme_end..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let Some(at) = rest[..authority_end].rfind('@') else { return url.clone() };
        match rest[..at].find(':') {
            Some(colon) => format!("{}{}:****{}", &url[..scheme_end], &rest[..colon], &rest[at..]),
            None => url.clone(),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.masked())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

/// The resolved configuration of `gatehouse serve`.
#[derive(Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub api_listen: SocketAddr,
    pub gateway_listen: SocketAddr,
    /// `None`: SQLite in the data directory.
    pub database_url: Option<DatabaseUrl>,
    /// The server key in hex, when given directly (`GATEHOUSE_SECRET_KEY`).
    pub secret_key: Option<Secret>,
    /// A file holding the server key in hex (`GATEHOUSE_SECRET_KEY_FILE`); default
    /// `<data_dir>/secret.key`, created on first start.
    pub secret_key_file: Option<PathBuf>,
    /// Previous server keys still accepted while the key is rotated, comma-separated hex
    /// (`GATEHOUSE_PREVIOUS_SECRET_KEYS`); when unset, the file `<key file>.previous` if any.
    pub previous_secret_keys: Option<Secret>,
    pub secret_format: SecretFormat,
    pub log_format: LogFormat,
    pub body_limit_bytes: usize,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace_secs: u64,
    /// On first start: use this as the admin API token instead of generating one.
    pub bootstrap_api_token: Option<Secret>,
    /// On first start: use this account id instead of generating one.
    pub bootstrap_account_id: Option<AccountId>,
    /// Certificate chain and private key (PEM) for the gateway listener; `None`: plain HTTP.
    pub gateway_tls: Option<TlsFiles>,
    /// How long an origin has to answer with its response head before the gateway sends 504.
    pub origin_timeout_secs: u64,
    /// Threads serving gateway connections; `None`: one per CPU the process may use.
    pub gateway_workers: Option<usize>,
    /// Serve `/metrics` on this listener instead of the management API's.
    pub metrics_listen: Option<SocketAddr>,
    /// OTLP/HTTP collector base URL the gateway's request spans go to; `None`: no tracing.
    pub otlp_endpoint: Option<String>,
    /// Several nodes on one PostgreSQL database: resync interval and maximum staleness.
    pub cluster: ClusterConfig,
    /// Retention, queue size and flush interval of the access log.
    pub access_log: AccessLogSettings,
    /// Expiry alerts, inactivity enforcement and their webhooks (see `jobs::settings`).
    pub monitoring: MonitoringConfig,
    /// Failed authentications per minute, per client id and per address, before the gateway
    /// answers further failing requests with 429 (`0` disables a limit).
    pub failure_limits: FailureLimits,
    /// Sends one-time PIN mails (`[smtp]`); `None`: `onetimepin` logins are unavailable.
    pub mailer: Option<std::sync::Arc<gatehouse_proxy::Mailer>>,
    /// Who may log into the dashboard through the account's identity providers.
    pub dashboard: DashboardConfig,
}

/// The dashboard's identity logins: the applications whose policies admit people, and the
/// URL the browser reaches the dashboard at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DashboardConfig {
    pub admission: gatehouse_dashboard::admission::Admission,
    /// `scheme://host[:port]`, without a trailing slash; `None`: `http://` + the request's host.
    pub public_url: Option<String>,
}

impl DashboardConfig {
    fn resolve(
        admins_app: Option<String>,
        viewers_app: Option<String>,
        public_url: Option<String>,
    ) -> Result<DashboardConfig, ConfigError> {
        let named = |name: &str, value: Option<String>| -> Result<Option<String>, ConfigError> {
            match value.map(|v| v.trim().to_owned()) {
                Some(v) if v.is_empty() => Err(ConfigError::Invalid(format!(
                    "{name} is empty: name an application by its id or domain, or leave it out"
                ))),
                other => Ok(other),
            }
        };
        let admission = gatehouse_dashboard::admission::Admission {
            admins_app: named("dashboard_admins_app", admins_app)?,
            viewers_app: named("dashboard_viewers_app", viewers_app)?,
        };
        let public_url = public_url.map(|url| check_dashboard_url(&url)).transpose()?;
        if public_url.is_some() && !admission.enabled() {
            return Err(ConfigError::Invalid(
                "dashboard_url is only used by identity logins: set dashboard_admins_app or dashboard_viewers_app too"
                    .into(),
            ));
        }
        Ok(DashboardConfig { admission, public_url })
    }
}

/// `http(s)://host[:port]` with no path beyond `/`, no query: the origin the identity
/// providers send the browser back to (`<url>/dash/login/callback`).
fn check_dashboard_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |why: &str| ConfigError::Invalid(format!("dashboard_url {url:?}: {why}"));
    let uri: http::Uri = url.parse().map_err(|_| invalid("not a URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(invalid("must be an http:// or https:// URL"));
    }
    if uri.host().is_none_or(str::is_empty) || uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(invalid("must name a host (and no user)"));
    }
    if uri.query().is_some() || !matches!(uri.path(), "" | "/") {
        return Err(invalid("must be the origin only (no path, no query): the dashboard lives at /dash/"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The PEM files the gateway listener terminates TLS with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Values from the command line or environment; each one that is set wins over the file.
#[derive(Debug, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub api_listen: Option<SocketAddr>,
    pub gateway_listen: Option<SocketAddr>,
    pub database_url: Option<DatabaseUrl>,
    /// A file holding the database URL (`GATEHOUSE_DATABASE_URL_FILE`).
    pub database_url_file: Option<PathBuf>,
    pub secret_key: Option<Secret>,
    pub secret_key_file: Option<PathBuf>,
    pub previous_secret_keys: Option<Secret>,
    /// A file holding the previous server keys (`GATEHOUSE_PREVIOUS_SECRET_KEYS_FILE`).
    pub previous_secret_keys_file: Option<PathBuf>,
    pub legacy_secret_format: bool,
    pub log_format: Option<LogFormat>,
    pub bootstrap_api_token: Option<Secret>,
    /// A file holding the bootstrap API token (`GATEHOUSE_BOOTSTRAP_API_TOKEN_FILE`).
    pub bootstrap_api_token_file: Option<PathBuf>,
    pub bootstrap_account_id: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub metrics_listen: Option<SocketAddr>,
    /// OTLP/HTTP collector base URL (`GATEHOUSE_OTLP_ENDPOINT`).
    pub otlp_endpoint: Option<String>,
    /// The SMTP server's password (`GATEHOUSE_SMTP_PASSWORD`), instead of `smtp.password_file`.
    pub smtp_password: Option<Secret>,
}

/// The `--config` file. Unknown keys are an error, so typos do not pass silently.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    data_dir: Option<PathBuf>,
    api_listen: Option<SocketAddr>,
    gateway_listen: Option<SocketAddr>,
    database_url: Option<DatabaseUrl>,
    /// A file holding the database URL (instead of `database_url`).
    database_url_file: Option<PathBuf>,
    secret_key_file: Option<PathBuf>,
    /// `prefixed` (default) or `legacy_hex`.
    secret_format: Option<String>,
    log_format: Option<LogFormat>,
    body_limit_bytes: Option<usize>,
    shutdown_grace_secs: Option<u64>,
    /// PEM certificate chain of the gateway listener (with `tls_key`).
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    origin_timeout_secs: Option<u64>,
    /// Threads serving gateway connections (default: one per CPU the process may use).
    gateway_workers: Option<usize>,
    /// Serve `/metrics` here instead of on the API listener.
    metrics_listen: Option<SocketAddr>,
    /// OTLP/HTTP collector base URL for the gateway's request spans (default: off).
    otlp_endpoint: Option<String>,
    /// PostgreSQL only: how often a node reloads its whole snapshot (default 30).
    resync_interval_secs: Option<u64>,
    /// PostgreSQL only: how long the gateway serves without a successful resync before it
    /// fails closed (default 300).
    max_staleness_secs: Option<u64>,
    /// Days access-log records are kept (default 30; 0 keeps them forever).
    access_log_retention_days: Option<u32>,
    /// Access-log records that may wait for the writer (default 65536).
    access_log_queue_capacity: Option<usize>,
    /// How often the access log is written at the latest, in milliseconds (default 1000).
    access_log_flush_ms: Option<u64>,
    /// How often the monitoring jobs run (default 3600).
    monitor_interval_secs: Option<u64>,
    /// Days before expiry that alerts go out (default [30, 7, 1]).
    expiry_lead_days: Option<Vec<u32>>,
    webhooks: Option<Vec<WebhookEntry>>,
    /// Failed authentications per minute naming one client id before 429 (default 10; 0: off).
    auth_failures_per_minute_per_client_id: Option<u32>,
    /// Failed authentications per minute from one address before 429 (default 30; 0: off).
    auth_failures_per_minute_per_address: Option<u32>,
    /// How one-time PINs are mailed (an SMTP server or an outbox directory).
    smtp: Option<crate::mail::SmtpFile>,
    /// The application (id or domain) whose policies admit people to the dashboard with full
    /// access.
    dashboard_admins_app: Option<String>,
    /// The same, read-only.
    dashboard_viewers_app: Option<String>,
    /// The origin the browser reaches the dashboard at, for the identity providers' callback.
    dashboard_url: Option<String>,
}

/// A configuration that cannot be used; the message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid configuration file {path}: {message}")]
    Parse {
        path: PathBuf,
        /// The parser's whole report (with the line, column and the offending line).
        message: String,
        /// What is wrong, in one line.
        reason: String,
        /// Byte range in the file, when the parser knows it.
        span: Option<std::ops::Range<usize>>,
    },
    #[error("invalid value: {0}")]
    Invalid(String),
}

pub const DEFAULT_DATA_DIR: &str = "./gatehouse-data";
pub const DEFAULT_API_LISTEN: &str = "127.0.0.1:8787";
pub const DEFAULT_GATEWAY_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 10;
const DEFAULT_ORIGIN_TIMEOUT_SECS: u64 = 30;
/// More gateway threads than this is a typo, not a machine.
const MAX_GATEWAY_WORKERS: usize = 1024;

impl Config {
    pub fn resolve(overrides: Overrides) -> Result<Config, ConfigError> {
        let file = match &overrides.config_file {
            Some(path) => read_file(path)?,
            None => ConfigFile::default(),
        };
        Self::layer(file, overrides)
    }

    /// [`Config::resolve`] with `text` as the configuration file's content instead of reading
    /// `overrides.config_file` (which only names the file in messages). The fuzz targets use it.
    pub fn resolve_text(text: &str, overrides: Overrides) -> Result<Config, ConfigError> {
        let path = overrides.config_file.clone().unwrap_or_default();
        let file = parse_file(text, &path)?;
        Self::layer(file, overrides)
    }

    /// The command line and environment over the file, over the defaults.
    fn layer(file: ConfigFile, overrides: Overrides) -> Result<Config, ConfigError> {
        let secret_format = if overrides.legacy_secret_format {
            SecretFormat::LegacyHex
        } else {
            match file.secret_format.as_deref() {
                None | Some("prefixed") => SecretFormat::Prefixed,
                Some("legacy_hex") => SecretFormat::LegacyHex,
                Some(other) => {
                    return Err(ConfigError::Invalid(format!(
                        "secret_format {other:?}: expected \"prefixed\" or \"legacy_hex\""
                    )));
                }
            }
        };
        let bootstrap_account_id =
            overrides.bootstrap_account_id.map(|id| AccountId::parse(&id)).transpose().map_err(|_| {
                ConfigError::Invalid(
                    "GATEHOUSE_BOOTSTRAP_ACCOUNT_ID must be 32 lowercase hex characters".into(),
                )
            })?;
        let bootstrap_api_token = secret_setting(
            "GATEHOUSE_BOOTSTRAP_API_TOKEN",
            overrides.bootstrap_api_token,
            overrides.bootstrap_api_token_file.as_deref(),
        )?;
        if bootstrap_api_token.as_ref().is_some_and(|t| !valid_token_text(t.expose())) {
            return Err(ConfigError::Invalid(
                "GATEHOUSE_BOOTSTRAP_API_TOKEN must be 20 to 512 visible ASCII characters without quotes"
                    .into(),
            ));
        }
        let previous_secret_keys = secret_setting(
            "GATEHOUSE_PREVIOUS_SECRET_KEYS",
            overrides.previous_secret_keys,
            overrides.previous_secret_keys_file.as_deref(),
        )?;
        if overrides.secret_key.is_some()
            && (overrides.secret_key_file.is_some() || file.secret_key_file.is_some())
        {
            return Err(ConfigError::Invalid(
                "GATEHOUSE_SECRET_KEY and a server key file (GATEHOUSE_SECRET_KEY_FILE, secret_key_file) are both set: give one"
                    .into(),
            ));
        }
        let database_url = match database_url_setting(
            "GATEHOUSE_DATABASE_URL",
            overrides.database_url,
            overrides.database_url_file.as_deref(),
        )? {
            Some(url) => Some(url),
            None => {
                database_url_setting("database_url", file.database_url, file.database_url_file.as_deref())?
            }
        };
        let gateway_tls = match (overrides.tls_cert.or(file.tls_cert), overrides.tls_key.or(file.tls_key)) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid(
                    "--tls-cert and --tls-key (GATEHOUSE_TLS_CERT, GATEHOUSE_TLS_KEY) must be given together"
                        .into(),
                ));
            }
        };
        let origin_timeout_secs = file.origin_timeout_secs.unwrap_or(DEFAULT_ORIGIN_TIMEOUT_SECS);
        if origin_timeout_secs == 0 {
            return Err(ConfigError::Invalid("origin_timeout_secs must be at least 1".into()));
        }
        if file.gateway_workers.is_some_and(|n| n == 0 || n > MAX_GATEWAY_WORKERS) {
            return Err(ConfigError::Invalid(format!("gateway_workers must be 1 to {MAX_GATEWAY_WORKERS}")));
        }
        let otlp_endpoint = overrides.otlp_endpoint.or(file.otlp_endpoint);
        if let Some(endpoint) = &otlp_endpoint {
            check_otlp_endpoint(endpoint)?;
        }
        let cluster = ClusterConfig::resolve(file.resync_interval_secs, file.max_staleness_secs)?;
        let access_log = AccessLogSettings::resolve(
            file.access_log_retention_days,
            file.access_log_queue_capacity,
            file.access_log_flush_ms,
        )?;
        let monitoring =
            MonitoringConfig::resolve(file.monitor_interval_secs, file.expiry_lead_days, file.webhooks)?;
        let smtp_password = overrides.smtp_password;
        let mailer = file.smtp.map(|smtp| smtp.resolve(smtp_password)).transpose()?;
        let dashboard = DashboardConfig::resolve(
            file.dashboard_admins_app,
            file.dashboard_viewers_app,
            file.dashboard_url,
        )?;
        Ok(Config {
            data_dir: overrides.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            api_listen: overrides
                .api_listen
                .or(file.api_listen)
                .unwrap_or_else(|| default_addr(DEFAULT_API_LISTEN)),
            gateway_listen: overrides
                .gateway_listen
                .or(file.gateway_listen)
                .unwrap_or_else(|| default_addr(DEFAULT_GATEWAY_LISTEN)),
            database_url,
            secret_key: overrides.secret_key,
            secret_key_file: overrides.secret_key_file.or(file.secret_key_file),
            previous_secret_keys,
            secret_format,
            log_format: overrides.log_format.or(file.log_format).unwrap_or_default(),
            body_limit_bytes: file.body_limit_bytes.unwrap_or(DEFAULT_BODY_LIMIT),
            shutdown_grace_secs: file.shutdown_grace_secs.unwrap_or(DEFAULT_SHUTDOWN_GRACE_SECS),
            bootstrap_api_token,
            bootstrap_account_id,
            gateway_tls,
            origin_timeout_secs,
            gateway_workers: file.gateway_workers,
            metrics_listen: overrides.metrics_listen.or(file.metrics_listen),
            otlp_endpoint,
            cluster,
            access_log,
            monitoring,
            failure_limits: FailureLimits {
                per_client_id: file
                    .auth_failures_per_minute_per_client_id
                    .unwrap_or(FailureLimits::default().per_client_id),
                per_address: file
                    .auth_failures_per_minute_per_address
                    .unwrap_or(FailureLimits::default().per_address),
            },
            mailer,
            dashboard,
        })
    }

    /// Where the SQLite database lives when no database URL is given.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("gatehouse.db")
    }

    pub fn key_file(&self) -> PathBuf {
        self.secret_key_file.clone().unwrap_or_else(|| self.data_dir.join("secret.key"))
    }
}

/// The secret setting `name`, given as its value or as `<name>_FILE` naming a file that holds
/// it (surrounding whitespace, such as the final newline, is dropped). Both at once is an
/// error, and so is a file that cannot be read or is empty; messages never quote the value.
pub fn secret_setting(
    name: &str,
    value: Option<Secret>,
    file: Option<&Path>,
) -> Result<Option<Secret>, ConfigError> {
    let suffix = if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') { "_file" } else { "_FILE" };
    match (value, file) {
        (Some(_), Some(_)) => {
            Err(ConfigError::Invalid(format!("{name} and {name}{suffix} are both set: give one of them")))
        }
        (Some(value), None) => Ok(Some(value)),
        (None, None) => Ok(None),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                ConfigError::Invalid(format!("{name}{suffix}: cannot read {}: {error}", path.display()))
            })?;
            // As a `Secret`, the whole file's text is zeroed when dropped.
            let text = Secret::new(text);
            let value = text.expose().trim();
            if value.is_empty() {
                return Err(ConfigError::Invalid(format!("{name}{suffix}: {} is empty", path.display())));
            }
            Ok(Some(Secret::new(value.to_owned())))
        }
    }
}

/// [`secret_setting`] for a database URL.
fn database_url_setting(
    name: &str,
    value: Option<DatabaseUrl>,
    file: Option<&Path>,
) -> Result<Option<DatabaseUrl>, ConfigError> {
    let value = value.map(|url| Secret::new(url.0));
    Ok(secret_setting(name, value, file)?.map(|url| DatabaseUrl(url.expose().to_owned())))
}

fn default_addr(text: &str) -> SocketAddr {
    text.parse().unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
}

fn valid_token_text(text: &str) -> bool {
    (20..=512).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'')
}

fn read_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    parse_file(&text, path)
}

fn parse_file(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
        reason: e.message().trim().to_owned(),
        span: e.span(),
    })
}

/// A 1-based line and column in a configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The line and column of byte `offset` of `text`.
    fn of(text: &str, offset: usize) -> Location {
        let before = text.get(..offset.min(text.len())).unwrap_or(text);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location { line: before.matches('\n').count() + 1, column: before[line_start..].chars().count() + 1 }
    }
}

impl ConfigError {
    /// Where in `text`, the configuration file's content, this error is: the parser's span for
    /// syntax and type errors; for a value that is out of bounds, the first top-level setting
    /// that the message names. `None` when it is not about a place in the file.
    pub fn location(&self, text: &str) -> Option<Location> {
        match self {
            ConfigError::Parse { span, .. } => span.as_ref().map(|span| Location::of(text, span.start)),
            ConfigError::Invalid(message) => {
                let keys: std::collections::BTreeMap<toml::Spanned<String>, serde::de::IgnoredAny> =
                    toml::from_str(text).ok()?;
                keys.keys()
                    .filter_map(|key| message.find(key.get_ref().as_str()).map(|at| (at, key)))
                    .min_by_key(|(at, key)| (*at, std::cmp::Reverse(key.get_ref().len())))
                    .map(|(_, key)| Location::of(text, key.span().start))
            }
            ConfigError::Read { .. } => None,
        }
    }

    /// The message without the file name (which the caller shows with the location).
    pub fn reason(&self) -> String {
        match self {
            ConfigError::Parse { reason, .. } => reason.clone(),
            ConfigError::Invalid(message) => message.clone(),
            ConfigError::Read { path, source } => format!("cannot read {}: {source}", path.display()),
        }
    }
}

/// An OTLP/HTTP collector base URL: `http://host[:port][/path]` (the exporter speaks plain HTTP:
/// a collector or agent beside gatehouse).
fn check_otlp_endpoint(endpoint: &str) -> Result<(), ConfigError> {
    let invalid = |why: &str| ConfigError::Invalid(format!("otlp_endpoint {endpoint:?}: {why}"));
    let uri: http::Uri = endpoint.parse().map_err(|_| invalid("not a URL"))?;
    if uri.scheme_str() != Some("http") {
        return Err(invalid("must be an http:// URL (a collector on this host or network)"));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("has no host"));
    }
    if uri.query().is_some() {
        return Err(invalid("must have no query"));
    }
    Ok(())
}

/// One setting of the `--config` file, as the configuration reference shows it.
#[derive(Debug, Clone, Copy)]
pub struct FileSetting {
    /// The key, as written in the file.
    pub name: &'static str,
    /// An example value in TOML syntax (a valid value of the setting).
    pub example: &'static str,
    /// The default, in words.
    pub default: &'static str,
    pub description: &'static str,
}

/// Every setting of the `--config` file, in the order of the reference (`docs/configuration.md`,
/// generated by `gatehouse config reference`; a test keeps this list equal to the file format).
pub const FILE_SETTINGS: &[FileSetting] = &[
    FileSetting {
        name: "data_dir",
        example: "\"/var/lib/gatehouse\"",
        default: "`./gatehouse-data`",
        description: "Where the SQLite database and the server key live.",
    },
    FileSetting {
        name: "api_listen",
        example: "\"127.0.0.1:8787\"",
        default: "`127.0.0.1:8787`",
        description: "Management API, dashboard, `/healthz`, `/readyz` (and `/metrics` unless `metrics_listen`); port 0 picks a free port.",
    },
    FileSetting {
        name: "gateway_listen",
        example: "\"0.0.0.0:8080\"",
        default: "`127.0.0.1:8080`",
        description: "The gateway in front of the applications; port 0 picks a free port.",
    },
    FileSetting {
        name: "database_url",
        example: "\"postgres://gatehouse@db.example.com/gatehouse?sslmode=require\"",
        default: "SQLite in the data directory",
        description: "`postgres://user:pass@host/db` for PostgreSQL (add `?sslmode=require` for TLS); several nodes may share one ([operations.md](operations.md)). Prefer the environment for a URL with a password.",
    },
    FileSetting {
        name: "database_url_file",
        example: "\"/run/secrets/gatehouse-database-url\"",
        default: "none",
        description: "A file holding the database URL, instead of `database_url` (give one of the two): keeps a password out of the file and the environment.",
    },
    FileSetting {
        name: "secret_key_file",
        example: "\"/etc/gatehouse/secret.key\"",
        default: "`<data_dir>/secret.key` (created 0600 at first start)",
        description: "The server key in hex, that every secret is hashed with: back it up with the database.",
    },
    FileSetting {
        name: "secret_format",
        example: "\"prefixed\"",
        default: "`prefixed`",
        description: "New client secrets as `gatehouse_st_…` (`prefixed`) or as 64 hex characters (`legacy_hex`, Cloudflare's format).",
    },
    FileSetting {
        name: "log_format",
        example: "\"json\"",
        default: "`human`",
        description: "Logs on stderr, `human` or `json`.",
    },
    FileSetting {
        name: "body_limit_bytes",
        example: "1048576",
        default: "`1048576`",
        description: "Largest management API request body.",
    },
    FileSetting {
        name: "shutdown_grace_secs",
        example: "10",
        default: "`10`",
        description: "After SIGTERM or SIGINT, how long in-flight requests may take to finish.",
    },
    FileSetting {
        name: "tls_cert",
        example: "\"/etc/gatehouse/tls/cert.pem\"",
        default: "plain HTTP",
        description: "PEM certificate chain: the gateway serves TLS (HTTP/2 and HTTP/1.1); with `tls_key`.",
    },
    FileSetting {
        name: "tls_key",
        example: "\"/etc/gatehouse/tls/key.pem\"",
        default: "plain HTTP",
        description: "PEM private key of `tls_cert`.",
    },
    FileSetting {
        name: "origin_timeout_secs",
        example: "30",
        default: "`30`",
        description: "How long an origin has to answer with its response head before the gateway sends 504.",
    },
    FileSetting {
        name: "gateway_workers",
        example: "4",
        default: "one per CPU the process may use",
        description: "Threads serving gateway connections (1 to 1024).",
    },
    FileSetting {
        name: "metrics_listen",
        example: "\"127.0.0.1:9100\"",
        default: "`/metrics` on the API listener",
        description: "Serve Prometheus `/metrics` on its own listener ([audit-and-metrics.md](audit-and-metrics.md)).",
    },
    FileSetting {
        name: "otlp_endpoint",
        example: "\"http://127.0.0.1:4318\"",
        default: "off",
        description: "Send OpenTelemetry traces, one span per gateway request, to this OTLP/HTTP (protobuf) collector; `/v1/traces` is appended. Also `--otlp-endpoint` / `GATEHOUSE_OTLP_ENDPOINT` ([audit-and-metrics.md](audit-and-metrics.md)).",
    },
    FileSetting {
        name: "resync_interval_secs",
        example: "30",
        default: "`30`",
        description: "PostgreSQL only: how often a node resyncs its snapshot with the database ([operations.md](operations.md)).",
    },
    FileSetting {
        name: "max_staleness_secs",
        example: "300",
        default: "`300`",
        description: "PostgreSQL only: how long the gateway serves from its snapshot while the database is unreachable before it fails closed (503); greater than `resync_interval_secs`.",
    },
    FileSetting {
        name: "access_log_retention_days",
        example: "30",
        default: "`30`",
        description: "Access-log records older than this are deleted by an hourly task; `0` keeps them forever ([api.md](api.md#access-logs)).",
    },
    FileSetting {
        name: "access_log_queue_capacity",
        example: "65536",
        default: "`65536`",
        description: "Records that may wait for the access-log writer; beyond, they are dropped and counted in `gatehouse_access_log_dropped_total`.",
    },
    FileSetting {
        name: "access_log_flush_ms",
        example: "1000",
        default: "`1000`",
        description: "How often the access-log writer writes at the latest, in milliseconds.",
    },
    FileSetting {
        name: "monitor_interval_secs",
        example: "3600",
        default: "`3600`",
        description: "How often expiry alerts and inactivity enforcement run ([monitoring.md](monitoring.md)).",
    },
    FileSetting {
        name: "expiry_lead_days",
        example: "[30, 7, 1]",
        default: "`[30, 7, 1]`",
        description: "Days before a token expires that an alert is sent.",
    },
    FileSetting {
        name: "webhooks",
        example: "[{ url = \"https://alerts.example.com/gatehouse\", secret_file = \"/run/secrets/gatehouse-webhook\" }]",
        default: "none",
        description: "`[[webhooks]]` tables: `url`, `secret` or `secret_file`, optional `events`; signed JSON alerts ([monitoring.md](monitoring.md)).",
    },
    FileSetting {
        name: "auth_failures_per_minute_per_client_id",
        example: "10",
        default: "`10`",
        description: "Failed authentications per minute naming one client id before further failing requests get 429 with `Retry-After`; valid credentials are never limited; `0` disables ([gateway.md](gateway.md#brute-force-limiting)).",
    },
    FileSetting {
        name: "auth_failures_per_minute_per_address",
        example: "30",
        default: "`30`",
        description: "The same, per client address.",
    },
    FileSetting {
        name: "smtp",
        example: "{ host = \"smtp.example.com\", port = 587, security = \"starttls\", username = \"gatehouse\", password_file = \"/run/secrets/smtp-password\", from = \"Gatehouse <login@example.com>\" }",
        default: "none (`onetimepin` logins answer 503)",
        description: "`[smtp]`: how one-time PINs are mailed (the gateway's and the dashboard's). `host`, `port` (default 587, 465 with `security = \"tls\"`), `security` (`starttls` default, `tls`, or `none` for a relay on this host), `username` with `password_file` (or the password in `GATEHOUSE_SMTP_PASSWORD`), and `from`; or `outbox_dir` (each message an `.eml` file there, for tests and air-gapped trials) with `from` ([identity.md](identity.md#one-time-pin)).",
    },
    FileSetting {
        name: "dashboard_admins_app",
        example: "\"dashboard-admins.example.com\"",
        default: "none (API-token logins only)",
        description: "An access application (its id or domain) whose `allow` policies admit people to the dashboard with full access, logged in through one of the account's identity providers (OpenID Connect, GitHub, or a one-time PIN mailed with the `smtp` settings); the policies are evaluated as the gateway would, again at every request ([dashboard.md](dashboard.md#logging-in-through-an-identity-provider)).",
    },
    FileSetting {
        name: "dashboard_viewers_app",
        example: "\"dashboard-viewers.example.com\"",
        default: "none",
        description: "The same for read-only access (a person both admit gets full access).",
    },
    FileSetting {
        name: "dashboard_url",
        example: "\"https://gatehouse.example.com\"",
        default: "`http://` and the request's `Host`",
        description: "The origin the browser reaches the dashboard at (behind TLS or a proxy); register `<dashboard_url>/dash/login/callback` as a redirect URI with the identity providers. Needs `dashboard_admins_app` or `dashboard_viewers_app`.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys the file format accepts, from serde's answer to an unknown key.
    fn accepted_keys() -> Vec<String> {
        let error = toml::from_str::<ConfigFile>("no_such_setting = 1\n").unwrap_err();
        let message = error.message().to_owned();
        let (_, list) = message.split_once("expected one of").expect("serde lists the fields");
        list.split('`').skip(1).step_by(2).map(str::to_owned).collect()
    }

    #[test]
    fn the_reference_lists_exactly_the_settings_of_the_file() {
        let accepted = accepted_keys();
        assert!(accepted.len() > 20, "{accepted:?}");
        let documented: Vec<&str> = FILE_SETTINGS.iter().map(|s| s.name).collect();
        for key in &accepted {
            assert!(
                documented.contains(&key.as_str()),
                "the file setting `{key}` is missing from FILE_SETTINGS (and so from docs/configuration.md)"
            );
        }
        for name in &documented {
            assert!(
                accepted.iter().any(|k| k == name),
                "FILE_SETTINGS documents `{name}`, which the file refuses"
            );
        }
        // Every example is a valid value of its setting.
        for setting in FILE_SETTINGS {
            let text = format!("{} = {}\n", setting.name, setting.example);
            parse_file(&text, Path::new("example.toml")).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn errors_point_at_their_line_and_column() {
        let path = Path::new("gatehouse.toml");
        let at = |text: &str| {
            let error = Config::resolve_text(
                text,
                Overrides { config_file: Some(path.into()), ..Overrides::default() },
            )
            .unwrap_err();
            (error.location(text), error.reason())
        };
        // A syntax error.
        let (location, reason) = at("api_listen = \"127.0.0.1:9000\"\ngateway_listen = \n");
        assert_eq!(location, Some(Location { line: 2, column: 18 }), "{reason}");
        // An unknown key.
        let (location, reason) = at("# comment\n\napi_lisen = \"127.0.0.1:9000\"\n");
        assert_eq!(location, Some(Location { line: 3, column: 1 }));
        assert!(reason.contains("api_lisen"), "{reason}");
        // A value of the wrong type.
        let (location, reason) = at("data_dir = \"/x\"\n  gateway_workers = \"four\"\n");
        assert_eq!(location.map(|l| l.line), Some(2), "{reason}");
        // A value out of bounds: the line of the setting the message names.
        let (location, reason) = at("data_dir = \"/x\"\n\ngateway_workers = 0\n");
        assert_eq!(location, Some(Location { line: 3, column: 1 }), "{reason}");
        assert!(reason.contains("gateway_workers must be 1 to 1024"), "{reason}");
        let (location, reason) = at("max_staleness_secs = 10\nresync_interval_secs = 30\n");
        assert!(location.is_some_and(|l| l.line <= 2), "{reason}");
    }

    #[test]
    fn database_urls_never_show_their_password() {
        let url = DatabaseUrl::new(
            "postgres://gatehouse:s3cr3t-p4ss@db.example.com:5432/gatehouse?sslmode=require",
        );
        for shown in [format!("{url}"), format!("{url:?}")] {
            assert!(!shown.contains("s3cr3t-p4ss"), "{shown}");
            assert!(shown.contains("postgres://gatehouse:****@db.example.com:5432/gatehouse"), "{shown}");
        }
        assert_eq!(
            url.expose(),
            "postgres://gatehouse:s3cr3t-p4ss@db.example.com:5432/gatehouse?sslmode=require"
        );
        assert_eq!(
            DatabaseUrl::new("postgres://postgres@127.0.0.1/x").to_string(),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(DatabaseUrl::new("sqlite:///tmp/x.db").to_string(), "sqlite:///tmp/x.db");
        let config = Config::resolve(Overrides {
            database_url: Some(DatabaseUrl::new("postgres://u:hunter2@h/d")),
            ..Overrides::default()
        })
        .unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn every_secret_setting_can_come_from_a_file_but_not_from_both() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let url = file("url", "postgres://gatehouse:pw-from-a-file@db/gatehouse\n");
        let token = file("token", "  gatehouse_at_from-a-file-0123456789\n");
        let previous = file("previous", "# old key\n00ff\n");
        let config = Config::resolve(Overrides {
            database_url_file: Some(url.clone()),
            bootstrap_api_token_file: Some(token.clone()),
            previous_secret_keys_file: Some(previous.clone()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(
            config.database_url.as_ref().map(DatabaseUrl::expose),
            Some("postgres://gatehouse:pw-from-a-file@db/gatehouse")
        );
        assert_eq!(
            config.bootstrap_api_token.as_ref().map(Secret::expose),
            Some("gatehouse_at_from-a-file-0123456789")
        );
        assert_eq!(config.previous_secret_keys.as_ref().map(Secret::expose), Some("# old key\n00ff"));
        assert!(!format!("{config:?}").contains("pw-from-a-file"));

        // The configuration file's own `database_url_file`, under the environment's URL.
        let toml = file("gatehouse.toml", &format!("database_url_file = {:?}\n", url.display().to_string()));
        let from_file =
            Config::resolve(Overrides { config_file: Some(toml.clone()), ..Overrides::default() }).unwrap();
        assert_eq!(from_file.database_url, config.database_url);
        let env_wins = Config::resolve(Overrides {
            config_file: Some(toml),
            database_url: Some(DatabaseUrl::new("sqlite:///tmp/x.db")),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(env_wins.database_url, Some(DatabaseUrl::new("sqlite:///tmp/x.db")));

        let error = |overrides: Overrides| Config::resolve(overrides).unwrap_err().to_string();
        let both = error(Overrides {
            database_url: Some(DatabaseUrl::new("postgres://u:hunter2@h/d")),
            database_url_file: Some(url.clone()),
            ..Overrides::default()
        });
        assert!(both.contains("GATEHOUSE_DATABASE_URL and GATEHOUSE_DATABASE_URL_FILE"), "{both}");
        assert!(!both.contains("hunter2") && !both.contains("pw-from-a-file"), "{both}");
        let both = error(Overrides {
            bootstrap_api_token: Some(Secret::new("gatehouse_at_0123456789012345".into())),
            bootstrap_api_token_file: Some(token),
            ..Overrides::default()
        });
        assert!(both.contains("GATEHOUSE_BOOTSTRAP_API_TOKEN_FILE"), "{both}");
        let both = error(Overrides {
            secret_key: Some(Secret::new("00".repeat(32))),
            secret_key_file: Some(previous),
            ..Overrides::default()
        });
        assert!(both.contains("GATEHOUSE_SECRET_KEY and a server key file"), "{both}");

        let missing =
            error(Overrides { database_url_file: Some(dir.path().join("absent")), ..Overrides::default() });
        assert!(
            missing.contains("GATEHOUSE_DATABASE_URL_FILE: cannot read") && missing.contains("absent"),
            "{missing}"
        );
        let empty =
            error(Overrides { bootstrap_api_token_file: Some(file("empty", "\n")), ..Overrides::default() });
        assert!(
            empty.contains("GATEHOUSE_BOOTSTRAP_API_TOKEN_FILE") && empty.contains("is empty"),
            "{empty}"
        );
        let toml = file(
            "both.toml",
            &format!("database_url = \"sqlite:///x\"\ndatabase_url_file = {:?}\n", url.display().to_string()),
        );
        let both = error(Overrides { config_file: Some(toml), ..Overrides::default() });
        assert!(both.contains("database_url and database_url_file"), "{both}");
    }

    #[test]
    fn overrides_and_the_file_never_show_the_database_password() {
        let overrides = Overrides {
            database_url: Some(DatabaseUrl::new("postgres://u:hunter2@h/d")),
            secret_key: Some(Secret::new("ab".repeat(32))),
            bootstrap_api_token: Some(Secret::new("gatehouse_at_never-shown-0123456789".into())),
            ..Overrides::default()
        };
        let shown = format!("{overrides:?}");
        for secret in ["hunter2", "abababab", "never-shown"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let file = parse_file("database_url = \"postgres://u:hunter2@h/d\"\n", Path::new("x.toml")).unwrap();
        assert!(!format!("{file:?}").contains("hunter2"));
    }

    #[test]
    fn defaults_match_the_documented_interface() {
        let config = Config::resolve(Overrides::default()).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("./gatehouse-data"));
        assert_eq!(config.api_listen.to_string(), "127.0.0.1:8787");
        assert_eq!(config.gateway_listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.key_file(), PathBuf::from("./gatehouse-data/secret.key"));
        assert_eq!(config.failure_limits, FailureLimits { per_client_id: 10, per_address: 30 });
    }

    #[test]
    fn the_otlp_endpoint_is_off_by_default_and_must_be_an_http_url() {
        assert_eq!(Config::resolve(Overrides::default()).unwrap().otlp_endpoint, None);
        let path = Path::new("gatehouse.toml");
        let with = |text: &str, flag: Option<&str>| {
            Config::resolve_text(
                text,
                Overrides {
                    config_file: Some(path.into()),
                    otlp_endpoint: flag.map(str::to_owned),
                    ..Overrides::default()
                },
            )
        };
        let file = "otlp_endpoint = \"http://127.0.0.1:4318\"\n";
        assert_eq!(with(file, None).unwrap().otlp_endpoint.as_deref(), Some("http://127.0.0.1:4318"));
        // The flag (or GATEHOUSE_OTLP_ENDPOINT) wins over the file.
        let flagged = with(file, Some("http://collector:4318/otlp")).unwrap();
        assert_eq!(flagged.otlp_endpoint.as_deref(), Some("http://collector:4318/otlp"));
        for (bad, why) in [
            ("https://collector:4318", "http://"),
            ("collector:4318", "http://"),
            ("http://", "not a URL"),
            ("http://collector:4318/?a=b", "no query"),
            ("not a url", "not a URL"),
        ] {
            let text = format!("data_dir = \"/x\"\notlp_endpoint = {bad:?}\n");
            let error = with(&text, None).unwrap_err();
            assert!(error.reason().contains(why), "{bad}: {}", error.reason());
            assert_eq!(error.location(&text).map(|l| l.line), Some(2), "{bad}");
        }
    }

    #[test]
    fn dashboard_identity_logins_name_their_applications_and_the_public_origin() {
        let path = Path::new("gatehouse.toml");
        let with = |text: &str| {
            Config::resolve_text(text, Overrides { config_file: Some(path.into()), ..Overrides::default() })
        };
        let off = with("").unwrap().dashboard;
        assert!(!off.admission.enabled() && off.public_url.is_none());
        let on = with(
            "dashboard_admins_app = \"admins.example.com\"\ndashboard_url = \"https://gatehouse.example.com/\"\n",
        )
        .unwrap()
        .dashboard;
        assert_eq!(on.admission.admins_app.as_deref(), Some("admins.example.com"));
        assert_eq!(on.admission.viewers_app, None);
        assert_eq!(on.public_url.as_deref(), Some("https://gatehouse.example.com"), "no trailing slash");
        for (bad, why) in [
            ("dashboard_viewers_app = \" \"", "dashboard_viewers_app is empty"),
            ("dashboard_url = \"https://gatehouse.example.com\"", "only used by identity logins"),
            ("dashboard_admins_app = \"a\"\ndashboard_url = \"ftp://x\"", "http:// or https://"),
            ("dashboard_admins_app = \"a\"\ndashboard_url = \"https://x/dash/\"", "origin only"),
            ("dashboard_admins_app = \"a\"\ndashboard_url = \"https://x/?q=1\"", "origin only"),
            ("dashboard_admins_app = \"a\"\ndashboard_url = \"https://u@x\"", "no user"),
        ] {
            let error = with(bad).unwrap_err();
            assert!(error.reason().contains(why), "{bad}: {}", error.reason());
        }
    }

    #[test]
    fn gateway_workers_come_from_the_file_within_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gatehouse.toml");
        let with = |text: &str| {
            std::fs::write(&path, text).unwrap();
            Config::resolve(Overrides { config_file: Some(path.clone()), ..Overrides::default() })
        };
        assert_eq!(Config::resolve(Overrides::default()).unwrap().gateway_workers, None);
        assert_eq!(with("gateway_workers = 3\n").unwrap().gateway_workers, Some(3));
        for bad in ["gateway_workers = 0\n", "gateway_workers = 5000\n"] {
            let error = with(bad).unwrap_err().to_string();
            assert!(error.contains("gateway_workers must be 1 to 1024"), "{bad}: {error}");
        }
    }

    #[test]
    fn failure_limits_come_from_the_file_and_zero_disables() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gatehouse.toml");
        std::fs::write(
            &path,
            "auth_failures_per_minute_per_client_id = 0\nauth_failures_per_minute_per_address = 100\n",
        )
        .unwrap();
        let config = Config::resolve(Overrides { config_file: Some(path), ..Overrides::default() }).unwrap();
        assert_eq!(config.failure_limits, FailureLimits { per_client_id: 0, per_address: 100 });
    }

    #[test]
    fn command_line_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gatehouse.toml");
        std::fs::write(&path, "api_listen = \"127.0.0.1:9000\"\ngateway_listen = \"127.0.0.1:9001\"\nsecret_format = \"legacy_hex\"\n").unwrap();
        let config = Config::resolve(Overrides {
            config_file: Some(path),
            api_listen: Some("127.0.0.1:0".parse().unwrap()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(config.api_listen.port(), 0);
        assert_eq!(config.gateway_listen.port(), 9001);
        assert_eq!(config.secret_format, SecretFormat::LegacyHex);
    }

    #[test]
    fn tls_needs_both_files() {
        let config = Config::resolve(Overrides {
            tls_cert: Some("cert.pem".into()),
            tls_key: Some("key.pem".into()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(config.gateway_tls, Some(TlsFiles { cert: "cert.pem".into(), key: "key.pem".into() }));
        assert_eq!(config.origin_timeout_secs, 30);
        let error = Config::resolve(Overrides { tls_cert: Some("cert.pem".into()), ..Overrides::default() })
            .unwrap_err();
        assert!(error.to_string().contains("--tls-key"), "{error}");
    }

    #[test]
    fn unknown_file_keys_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gatehouse.toml");
        std::fs::write(&path, "api_lisen = \"127.0.0.1:9000\"\n").unwrap();
        let error =
            Config::resolve(Overrides { config_file: Some(path), ..Overrides::default() }).unwrap_err();
        assert!(error.to_string().contains("api_lisen"), "{error}");
        let error =
            Config::resolve(Overrides { bootstrap_account_id: Some("xyz".into()), ..Overrides::default() })
                .unwrap_err();
        assert!(error.to_string().contains("GATEHOUSE_BOOTSTRAP_ACCOUNT_ID"));
        let error = Config::resolve(Overrides {
            bootstrap_api_token: Some(Secret::new("short".into())),
            ..Overrides::default()
        })
        .unwrap_err();
        assert!(!error.to_string().contains("short"), "the value must not be echoed: {error}");
    }
}
