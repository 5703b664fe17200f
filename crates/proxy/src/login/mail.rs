//! Mailing one-time PINs, with `lettre`: to an SMTP server (STARTTLS or implicit TLS with
//! rustls; plain SMTP only when asked for, for a relay on the same host), or into an outbox
//! directory as `.eml` files (tests and air-gapped trials). The code is only ever in the
//! message; errors name the server, never the message or the password.

use std::path::PathBuf;
use std::time::Duration;

use gatehouse_domain::Secret;
use gatehouse_domain::access::one_time_pin::CODE_SECS;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// How long the SMTP server has for each step of a delivery.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No TLS: only for a relay on this host or a trusted network.
    None,
}

/// Where and how to reach the SMTP server.
#[derive(Debug)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// User name and password, when the server wants them.
    pub credentials: Option<(String, Secret)>,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// Sends the one-time PIN mails of the gateway.
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = match &self.transport {
            Transport::Smtp(_) => "smtp".to_owned(),
            Transport::Outbox(_, dir) => format!("outbox {}", dir.display()),
        };
        f.debug_struct("Mailer").field("from", &self.from.to_string()).field("transport", &transport).finish()
    }
}

impl Mailer {
    /// Through the SMTP server, from the address `from` (`Name <address>` or an address).
    pub fn smtp(server: SmtpServer, from: &str) -> Result<Mailer, String> {
        let from = parse_from(from)?;
        let builder = match server.security {
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&server.host),
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&server.host),
            SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)),
        }
        .map_err(|e| format!("smtp host {:?}: {e}", server.host))?;
        let mut builder = builder.port(server.port).timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = server.credentials {
            builder = builder.credentials(Credentials::new(user, password.expose().to_owned()));
        }
        Ok(Mailer { from, transport: Transport::Smtp(builder.build()) })
    }

    /// Into `dir`, one `<uuid>.eml` file per message.
    pub fn outbox(dir: PathBuf, from: &str) -> Result<Mailer, String> {
        let from = parse_from(from)?;
        if !dir.is_dir() {
            return Err(format!("smtp.outbox_dir {}: not a directory", dir.display()));
        }
        Ok(Mailer { from, transport: Transport::Outbox(AsyncFileTransport::new(&dir), dir) })
    }

    /// True when `email` is an address a code can be sent to.
    pub(crate) fn deliverable(email: &str) -> bool {
        email.parse::<lettre::Address>().is_ok()
    }

    /// Mails `code` to `to`, for logging in to `app_name`.
    pub async fn send_code(&self, to: &str, app_name: &str, code: &Secret) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("the address: {e}"))?;
        let minutes = CODE_SECS / 60;
        let body = format!(
            "Your one-time code to log in to {app_name} is:\n\n    {}\n\n\
             It expires in {minutes} minutes and works once. If you did not ask for it, ignore this \
             message.\n",
            code.expose()
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("Your login code for {app_name}"))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("building the message: {e}"))?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| format!("smtp: {e}")),
            Transport::Outbox(outbox, _) => {
                outbox.send(message).await.map(drop).map_err(|e| format!("outbox: {e}"))
            }
        }
    }
}

fn parse_from(from: &str) -> Result<Mailbox, String> {
    from.parse().map_err(|e| format!("smtp.from {from:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_outbox_holds_one_message_with_the_code() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::outbox(dir.path().to_owned(), "Gatehouse <login@example.com>").unwrap();
        mailer.send_code("alice@example.com", "wiki", &Secret::new("123456".into())).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().unwrap(), "eml");
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(text.contains("To: alice@example.com"), "{text}");
        assert!(text.contains("123456"), "{text}");
        assert!(!format!("{mailer:?}").contains("123456"));
    }

    #[test]
    fn bad_addresses_and_directories_are_refused() {
        assert!(Mailer::outbox("/no/such/dir".into(), "a@example.com").is_err());
        assert!(Mailer::outbox(std::env::temp_dir(), "not an address").is_err());
        assert!(Mailer::deliverable("alice@example.com"));
        assert!(!Mailer::deliverable("alice"));
        assert!(!Mailer::deliverable("a b@example.com"));
    }
}
