//! The go-plugin handshake: Terraform starts the binary with a magic cookie and a client
//! certificate in the environment; the plugin listens on loopback, prints
//! `1|6|tcp|<addr>|grpc|<server cert>` on stdout and serves gRPC over mutual TLS until Terraform
//! asks it to stop.

use std::io::Write;
use std::sync::Arc;

use base64::Engine;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;
use tonic::{Request, Response, Status};

use crate::mtls;
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

/// Accepts connections and completes their TLS handshakes concurrently; yields the established
/// ones. A failed handshake is reported on stderr (Terraform shows it in its debug log) and the
/// connection dropped.
fn tls_connections(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
) -> ReceiverStream<std::io::Result<TlsStream<TcpStream>>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    if sender.send(Err(error)).await.is_err() {
                        return;
                    }
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(stream) => {
                        let _ = sender.send(Ok(stream)).await;
                    }
                    Err(error) => {
                        eprintln!("terraform-provider-cloudflare: TLS handshake with {peer} failed: {error}")
                    }
                }
            });
        }
    });
    ReceiverStream::new(receiver)
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

    let listener =
        TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("cannot listen on loopback: {e}"))?;
    let address = listener.local_addr().map_err(|e| format!("cannot read the listening address: {e}"))?;

    let provider = CloudflareProvider::new(resources::resources(), resources::data_sources());
    let shutdown = provider.shutdown.clone();
    let router = Server::builder()
        .add_service(ProviderServer::new(provider))
        .add_service(GrpcControllerServer::new(Controller { shutdown: shutdown.clone() }));

    // go-plugin's AutoMTLS: Terraform sends its certificate and expects ours on the handshake line.
    let client_cert = std::env::var("PLUGIN_CLIENT_CERT").ok().filter(|cert| !cert.is_empty());
    let tls = client_cert.as_deref().map(mtls::server_config).transpose()?;
    let cert_field = tls
        .as_ref()
        .map(|(_, der)| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();

    let mut stdout = std::io::stdout();
    writeln!(stdout, "{CORE_PROTOCOL_VERSION}|{PLUGIN_PROTOCOL_VERSION}|tcp|{address}|grpc|{cert_field}")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write the handshake: {e}"))?;

    let stop = async move { shutdown.notified().await };
    match tls {
        Some((config, _)) => {
            router.serve_with_incoming_shutdown(tls_connections(listener, config), stop).await
        }
        None => router.serve_with_incoming_shutdown(TcpListenerStream::new(listener), stop).await,
    }
    .map_err(|e| format!("gRPC server failed: {e}"))
}
