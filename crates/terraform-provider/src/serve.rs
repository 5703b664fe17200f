//! The go-plugin handshake: Terraform starts the binary with a magic cookie and a client
//! certificate in the environment; the plugin listens on loopback, prints
//! `1|6|tcp|<addr>|grpc|<server cert>` on stdout and serves gRPC over mutual TLS until Terraform
//! asks it to stop.

use std::io::Write;
use std::sync::Arc;

use base64::Engine;
use tokio::sync::Notify;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic::{Request, Response, Status};

use crate::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::proto::tfplugin6::provider_server::ProviderServer;
use crate::provider::CloudflareProvider;
use crate::resources;

/// go-plugin's handshake for Terraform providers.
const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const CORE_PROTOCOL_VERSION: u32 = 1;
const PLUGIN_PROTOCOL_VERSION: u32 = 6;

/// go-plugin's controller: `Shutdown` ends the plugin.
#[derive(Debug)]
struct Controller {
    shutdown: Arc<Notify>,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(
        &self,
        _request: Request<crate::proto::plugin::Empty>,
    ) -> Result<Response<crate::proto::plugin::Empty>, Status> {
        self.shutdown.notify_one();
        Ok(Response::new(crate::proto::plugin::Empty {}))
    }
}

/// A self-signed server certificate for `localhost`, as go-plugin's AutoMTLS expects: its DER
/// (for the handshake line) and the identity to serve with.
fn server_identity() -> Result<(Vec<u8>, Identity), String> {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .map_err(|e| format!("cannot build the plugin certificate: {e}"))?;
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::OrganizationName, "HashiCorp");
    name.push(rcgen::DnType::CommonName, "localhost");
    params.distinguished_name = name;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyAgreement,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages =
        vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth, rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| format!("cannot generate the plugin key: {e}"))?;
    let cert = params.self_signed(&key).map_err(|e| format!("cannot sign the plugin certificate: {e}"))?;
    Ok((cert.der().to_vec(), Identity::from_pem(cert.pem(), key.serialize_pem())))
}

/// Runs the plugin until Terraform shuts it down.
pub async fn serve() -> Result<(), String> {
    if std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        return Err("this binary is a Terraform plugin: Terraform starts it itself. \
             Install it as described in docs/terraform.md (gatehouse terraform install-provider) \
             and run terraform."
            .to_string());
    }
    if let Ok(versions) = std::env::var("PLUGIN_PROTOCOL_VERSIONS")
        && !versions.split(',').any(|v| v.trim() == PLUGIN_PROTOCOL_VERSION.to_string())
    {
        return Err(format!(
            "Terraform offers plugin protocol versions {versions}; this provider speaks 6 (Terraform ≥ 1.0)"
        ));
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on loopback: {e}"))?;
    let address = listener.local_addr().map_err(|e| format!("cannot read the listening address: {e}"))?;

    let provider = CloudflareProvider::new(resources::resources(), resources::data_sources());
    let shutdown = provider.shutdown.clone();
    let mut builder = Server::builder();
    let mut cert_field = String::new();
    if let Ok(client_cert) = std::env::var("PLUGIN_CLIENT_CERT")
        && !client_cert.is_empty()
    {
        let (der, identity) = server_identity()?;
        let tls =
            ServerTlsConfig::new().identity(identity).client_ca_root(Certificate::from_pem(client_cert));
        builder = builder.tls_config(tls).map_err(|e| format!("cannot set up TLS: {e}"))?;
        cert_field = base64::engine::general_purpose::STANDARD_NO_PAD.encode(der);
    }
    let router = builder
        .add_service(ProviderServer::new(provider))
        .add_service(GrpcControllerServer::new(Controller { shutdown: shutdown.clone() }));

    let mut stdout = std::io::stdout();
    writeln!(stdout, "{CORE_PROTOCOL_VERSION}|{PLUGIN_PROTOCOL_VERSION}|tcp|{address}|grpc|{cert_field}")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write the handshake: {e}"))?;

    router
        .serve_with_incoming_shutdown(
            TcpListenerStream::new(listener),
            async move { shutdown.notified().await },
        )
        .await
        .map_err(|e| format!("gRPC server failed: {e}"))
}
