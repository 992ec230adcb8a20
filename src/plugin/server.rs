//! The plugin server: a unix socket in a private folder, mutual TLS with Terraform's certificate pinned, and
//! the gRPC services on top.
//!
//! [`Server::start`] is what the binary runs (through [`super::serve`]) and what tests and benchmarks start
//! in-process: give it a provider and the client certificate to accept, then connect to
//! [`Server::socket_path`] over TLS, trusting [`Server::server_certificate`], presenting that client
//! certificate and offering ALPN `h2`.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use super::go_plugin::{Broker, Controller, Health, Stdio};
use super::handshake::{self, SocketDir};
use super::interface::Provider;
use super::proto::{go_plugin, health, tfplugin6};
use super::service::ProviderService;
use super::tls::{self, ServerIdentity, TlsError};

/// The largest message accepted or sent; schemas and states of big configurations exceed gRPC's 4 MiB.
const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// How long a client may take to finish its TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a shut-down server waits for open connections before it stops anyway. go-plugin kills a
/// plugin that has not exited two seconds after Shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// What to serve with.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The one client certificate (PEM) to accept: Terraform's `PLUGIN_CLIENT_CERT`.
    pub client_cert_pem: String,
    /// Where to create the socket's private folder; the system temporary folder when `None`.
    pub socket_dir: Option<PathBuf>,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The socket could not be created.
    #[error("creating the plugin socket: {0}")]
    Socket(#[source] io::Error),
    /// The gRPC server failed.
    #[error("serving gRPC: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The server task ended abnormally.
    #[error("the server task failed: {0}")]
    Task(String),
}

/// A running plugin server. Dropping it shuts it down and removes its socket folder.
#[derive(Debug)]
pub struct Server {
    socket_path: PathBuf,
    server_certificate: CertificateDer<'static>,
    shutdown: CancellationToken,
    stop: CancellationToken,
    interrupt: CancellationToken,
    task: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
    socket_dir: Option<SocketDir>,
}

impl Server {
    /// Starts serving `provider` on a fresh unix socket; returns once the socket accepts connections.
    pub async fn start(provider: Arc<dyn Provider>, options: ServeOptions) -> Result<Server, ServeError> {
        let client_certificate = tls::certificate_from_pem(&options.client_cert_pem)?;
        let identity = ServerIdentity::generate()?;
        let acceptor = TlsAcceptor::from(Arc::new(identity.server_config(client_certificate)?));

        let socket_dir = SocketDir::create(options.socket_dir.as_deref()).map_err(ServeError::Socket)?;
        let socket_path = socket_dir.socket_path();
        let listener = UnixListener::bind(&socket_path).map_err(|e| {
            ServeError::Socket(io::Error::new(e.kind(), format!("binding {}: {e}", socket_path.display())))
        })?;

        let shutdown = CancellationToken::new();
        // Shutting down also asks in-flight operations to stop; StopProvider stops them without shutting down.
        let stop = shutdown.child_token();
        let (connections, incoming) = mpsc::channel(16);
        tokio::spawn(accept_connections(listener, acceptor, connections, shutdown.clone()));

        let service = ProviderService::new(provider, stop.clone());
        let interrupt = service.interrupt_token();
        let provider_service = tfplugin6::provider_server::ProviderServer::new(service)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE);
        let router = tonic::transport::Server::builder()
            .add_service(provider_service)
            .add_service(go_plugin::grpc_controller_server::GrpcControllerServer::new(Controller::new(
                shutdown.clone(),
            )))
            .add_service(go_plugin::grpc_stdio_server::GrpcStdioServer::new(Stdio::new(shutdown.clone())))
            .add_service(go_plugin::grpc_broker_server::GrpcBrokerServer::new(Broker::new(shutdown.clone())))
            .add_service(health::health_server::HealthServer::new(Health));
        let task = tokio::spawn(
            router.serve_with_incoming_shutdown(ReceiverStream::new(incoming), shutdown.clone().cancelled_owned()),
        );
        tracing::debug!(socket = %socket_path.display(), "plugin server listening");
        Ok(Server {
            socket_path,
            server_certificate: identity.certificate,
            shutdown,
            stop,
            interrupt,
            task: Some(task),
            socket_dir: Some(socket_dir),
        })
    }

    /// The unix socket to connect to.
    pub fn socket_path(&self) -> &Path {
        &self.socket_path
    }

    /// The server's certificate (DER), which clients trust for the name `localhost`.
    pub fn server_certificate(&self) -> &CertificateDer<'static> {
        &self.server_certificate
    }

    /// The line go-plugin's client reads from stdout to connect.
    pub fn handshake_line(&self) -> String {
        handshake::handshake_line(&self.socket_path, &self.server_certificate)
    }

    /// Starts a graceful shutdown, as go-plugin's Shutdown RPC does.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// The token whose cancellation shuts the server down (for signal handlers).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// The token StopProvider cancels, which every operation's context carries.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Ends plan-time work (sign-in, reads, plans, imports, data sources) but not an apply in flight: what Ctrl-C
    /// reaching the provider does. See [`ProviderService::interrupt_token`].
    pub fn interrupt(&self) {
        self.interrupt.cancel();
    }

    /// The token [`Server::interrupt`] cancels, for signal handlers.
    pub fn interrupt_token(&self) -> CancellationToken {
        self.interrupt.clone()
    }

    /// Serves until shut down (by [`Server::shutdown`] or go-plugin's Shutdown RPC). Open connections get a
    /// short grace period; then the socket folder is removed.
    pub async fn wait(mut self) -> Result<(), ServeError> {
        let Some(mut task) = self.task.take() else { return Ok(()) };
        let shutdown = self.shutdown.clone();
        let outcome = tokio::select! {
            outcome = &mut task => outcome,
            _ = async { shutdown.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {
                tracing::debug!("connections still open after the shutdown grace period; closing them");
                task.abort();
                Ok(Ok(()))
            }
        };
        self.socket_dir.take();
        match outcome {
            Ok(result) => result.map_err(ServeError::Transport),
            Err(join_error) => Err(ServeError::Task(join_error.to_string())),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Accepts unix connections and completes their TLS handshakes concurrently, handing finished connections
/// to the gRPC server. A failed handshake (a stranger without Terraform's certificate) is logged and
/// dropped; it never stops the server.
async fn accept_connections(
    listener: UnixListener,
    acceptor: TlsAcceptor,
    connections: mpsc::Sender<Result<TlsConnection, io::Error>>,
    shutdown: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = connections.closed() => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tracing::warn!(%error, "accepting a plugin connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let connections = connections.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = connections.send(Ok(TlsConnection(tls))).await;
                }
                Ok(Err(error)) => tracing::warn!(%error, "refused a plugin connection: TLS handshake failed"),
                Err(_) => tracing::warn!("refused a plugin connection: TLS handshake timed out"),
            }
        });
    }
}

/// A TLS connection over the unix socket, as the gRPC server consumes it.
struct TlsConnection(tokio_rustls::server::TlsStream<UnixStream>);

impl Connected for TlsConnection {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for TlsConnection {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConnection {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}
