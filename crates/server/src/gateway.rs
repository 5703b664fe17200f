//! The gateway's setup: the [`Gateway`] built from the store once bootstrap is done (signing
//! keys are created for accounts that have none), and the listener's TLS configuration read
//! from PEM files. Serving is `gatehouse_proxy::serve`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use gatehouse_domain::{Clock, ServerKey};
use gatehouse_proxy::{Gateway, GatewayError, GatewayOptions};
use gatehouse_store::Store;
use rustls::ServerConfig;
use rustls::pki_types::pem::{self, PemObject as _};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::{Config, TlsFiles};

/// Why the gateway's TLS configuration is unusable; the message names the file.
#[derive(Debug, thiserror::Error)]
#[error("gateway TLS: {0}")]
pub struct TlsError(String);

/// Builds the gateway; the origin timeout, the access log's settings and the failure limits
/// come from `config`.
pub async fn start(
    store: Arc<dyn Store>,
    key: Arc<ServerKey>,
    clock: Arc<dyn Clock>,
    config: &Config,
    max_staleness: Option<Duration>,
    metrics: Option<Arc<gatehouse_proxy::GatewayMetrics>>,
) -> Result<Arc<Gateway>, GatewayError> {
    let access_log = &config.access_log;
    let options = GatewayOptions {
        origin_timeout: Duration::from_secs(config.origin_timeout_secs),
        access_log_queue_capacity: access_log.queue_capacity,
        access_log_flush_interval: access_log.flush_interval,
        max_staleness,
        metrics,
        failure_limits: config.failure_limits,
        trace_requests: config.otlp_endpoint.is_some(),
        mailer: config.mailer.clone(),
        ..GatewayOptions::default()
    };
    let options = match config.gateway_workers {
        Some(workers) => GatewayOptions { workers, ..options },
        None => options,
    };
    Gateway::start(store, key, clock, options).await
}

/// The listener's TLS configuration: the certificate chain and key from PEM files, TLS 1.2 and
/// 1.3, ALPN offering HTTP/2 and HTTP/1.1.
pub fn tls_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(&read(&files.cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(format!("{}: {e}", files.cert.display())))?;
    if certs.is_empty() {
        return Err(TlsError(format!("{}: no PEM certificate found", files.cert.display())));
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError(format!("{}: no PEM private key found", files.key.display())),
        other => TlsError(format!("{}: {other}", files.key.display())),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError(format!("{} and {}: {e}", files.cert.display(), files.key.display())))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError(format!("cannot read {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pair(dir: &Path) -> TlsFiles {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let files = TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
        std::fs::write(&files.cert, cert.cert.pem()).unwrap();
        std::fs::write(&files.key, cert.signing_key.serialize_pem()).unwrap();
        files
    }

    #[test]
    fn reads_a_pem_pair_and_offers_http2() {
        let dir = tempfile::tempdir().unwrap();
        let config = tls_config(&write_pair(dir.path())).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    }

    #[test]
    fn missing_or_mismatched_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_pair(dir.path());
        let missing = TlsFiles { cert: dir.path().join("nope.pem"), ..files.clone() };
        assert!(tls_config(&missing).unwrap_err().to_string().contains("nope.pem"));
        let swapped = TlsFiles { cert: files.key.clone(), key: files.cert.clone() };
        assert!(tls_config(&swapped).is_err());
    }

    #[test]
    fn files_without_the_pem_item_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_pair(dir.path());
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not PEM at all\n").unwrap();
        let no_cert = tls_config(&TlsFiles { cert: empty.clone(), ..files.clone() }).unwrap_err().to_string();
        assert!(no_cert.contains("empty.pem: no PEM certificate found"), "{no_cert}");
        let no_key = tls_config(&TlsFiles { key: empty, ..files.clone() }).unwrap_err().to_string();
        assert!(no_key.contains("empty.pem: no PEM private key found"), "{no_key}");
        // A key file with the certificate in front of the key, as some tools write it.
        let combined = dir.path().join("combined.pem");
        let text =
            std::fs::read_to_string(&files.cert).unwrap() + &std::fs::read_to_string(&files.key).unwrap();
        std::fs::write(&combined, text).unwrap();
        assert!(tls_config(&TlsFiles { key: combined, ..files }).is_ok());
    }
}
