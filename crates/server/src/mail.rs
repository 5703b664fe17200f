//! The `[smtp]` table of the configuration file: how the gateway mails one-time PINs. Either an
//! SMTP server (`host`, `port`, `security`, `username`, `password_file`) or, for tests and
//! air-gapped trials, an `outbox_dir` that receives each message as an `.eml` file; `from` in
//! both cases. The password is read from its file, never written in the configuration.

use std::path::PathBuf;
use std::sync::Arc;

use gatehouse_domain::Secret;
use gatehouse_proxy::{Mailer, SmtpSecurity, SmtpServer};
use serde::Deserialize;

use crate::config::{ConfigError, secret_setting};

/// `[smtp]` as written in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpFile {
    host: Option<String>,
    port: Option<u16>,
    /// `starttls` (default), `tls`, or `none` (a relay on this host).
    security: Option<String>,
    username: Option<String>,
    password_file: Option<PathBuf>,
    from: Option<String>,
    outbox_dir: Option<PathBuf>,
}

impl SmtpFile {
    /// The mailer these settings describe.
    /// The mailer these settings describe; `password` is `GATEHOUSE_SMTP_PASSWORD`, the
    /// alternative to `password_file`.
    pub fn resolve(self, password: Option<Secret>) -> Result<Arc<Mailer>, ConfigError> {
        let invalid = |why: String| ConfigError::Invalid(format!("smtp: {why}"));
        let from = self.from.ok_or_else(|| invalid("`from` is required".into()))?;
        let mailer = match (self.outbox_dir, self.host) {
            (Some(_), Some(_)) => return Err(invalid("give `host` or `outbox_dir`, not both".into())),
            (None, None) => {
                return Err(invalid("`host` (an SMTP server) or `outbox_dir` is required".into()));
            }
            (Some(dir), None) => Mailer::outbox(dir, &from),
            (None, Some(host)) => {
                let security = match self.security.as_deref() {
                    None | Some("starttls") => SmtpSecurity::StartTls,
                    Some("tls") => SmtpSecurity::Tls,
                    Some("none") => SmtpSecurity::None,
                    Some(other) => {
                        return Err(invalid(format!(
                            "security {other:?}: expected \"starttls\", \"tls\" or \"none\""
                        )));
                    }
                };
                let default_port = match security {
                    SmtpSecurity::StartTls => 587,
                    SmtpSecurity::Tls => 465,
                    SmtpSecurity::None => 25,
                };
                let password = match (password, self.password_file.as_deref()) {
                    (Some(_), Some(_)) => {
                        return Err(invalid(
                            "GATEHOUSE_SMTP_PASSWORD and `password_file` are both set: give one of them"
                                .into(),
                        ));
                    }
                    (Some(password), None) => Some(password),
                    (None, file) => secret_setting("smtp.password", None, file)?,
                };
                let credentials = match (self.username, password) {
                    (Some(user), Some(password)) => Some((user, password)),
                    (None, None) => None,
                    _ => {
                        return Err(invalid(
                            "`username` and a password (`password_file` or GATEHOUSE_SMTP_PASSWORD) go together"
                                .into(),
                        ));
                    }
                };
                let port = self.port.unwrap_or(default_port);
                Mailer::smtp(SmtpServer { host, port, security, credentials }, &from)
            }
        };
        mailer.map(Arc::new).map_err(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> SmtpFile {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn an_outbox_or_a_server_with_a_sender() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = format!("from = \"a@example.com\"\noutbox_dir = {:?}\n", dir.path());
        assert!(parse(&outbox).resolve(None).is_ok());
        let secret = dir.path().join("password");
        std::fs::write(&secret, "hunter2\n").unwrap();
        let server = format!(
            "host = \"smtp.example.com\"\nusername = \"u\"\npassword_file = {secret:?}\nfrom = \"a@example.com\"\n"
        );
        let mailer = parse(&server).resolve(None).unwrap();
        assert!(!format!("{mailer:?}").contains("hunter2"));
        for (text, needle) in [
            ("host = \"h\"\n", "`from` is required"),
            ("from = \"a@example.com\"\n", "is required"),
            ("from = \"a@example.com\"\nhost = \"h\"\nsecurity = \"ssl\"\n", "security"),
            ("from = \"a@example.com\"\nhost = \"h\"\nusername = \"u\"\n", "go together"),
            ("from = \"nobody\"\nhost = \"h\"\n", "smtp.from"),
        ] {
            let error = parse(text).resolve(None).unwrap_err().to_string();
            assert!(error.contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn the_password_may_come_from_the_environment_instead_of_a_file() {
        let env = || Some(Secret::new("hunter2-from-env".into()));
        let server = "host = \"smtp.example.com\"\nusername = \"u\"\nfrom = \"a@example.com\"\n";
        let mailer = parse(server).resolve(env()).unwrap();
        assert!(!format!("{mailer:?}").contains("hunter2"));

        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("password");
        std::fs::write(&secret, "hunter2\n").unwrap();
        let both = format!("{server}password_file = {secret:?}\n");
        let error = parse(&both).resolve(env()).unwrap_err().to_string();
        assert!(error.contains("GATEHOUSE_SMTP_PASSWORD and `password_file` are both set"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");

        let no_user = "host = \"smtp.example.com\"\nfrom = \"a@example.com\"\n";
        let error = parse(no_user).resolve(env()).unwrap_err().to_string();
        assert!(error.contains("go together"), "{error}");
        // An outbox sends nothing: the password is not needed, and not refused.
        let outbox = format!("from = \"a@example.com\"\noutbox_dir = {:?}\n", dir.path());
        assert!(parse(&outbox).resolve(env()).is_ok());
    }
}
