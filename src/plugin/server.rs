//! The plugin server: a unix socket in a private folder (on Windows, a TCP port on 127.0.0.1, as go-plugin does
//! there), mutual TLS with Terraform's certificate pinned, and the gRPC services on top.
//!
//! [`Server::start`] is what the binary runs (through [`super::serve`]) and what tests and benchmarks start
//! in-process: give it a provider and the client certificate to accept, then connect to
//! [`Server::socket_path`] over TLS, trusting [`Server::server_certificate`], presenting that client
//! certificate and offering ALPN `h2`. [`Server::start_tcp`] serves the same over TCP on any platform.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use super::go_plugin::{Broker, Controller, Health, Stdio};
use super::handshake;
#[cfg(unix)]
use super::handshake::SocketDir;
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
    /// Where to create the socket's private folder; the system temporary folder when `None`. Unused on TCP.
    pub socket_dir: Option<PathBuf>,
}

/// Where a server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A unix socket (what go-plugin uses on unix).
    Unix(PathBuf),
    /// A TCP address on 127.0.0.1 (what go-plugin uses on Windows).
    Tcp(SocketAddr),
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
    endpoint: Endpoint,
    server_certificate: CertificateDer<'static>,
    shutdown: CancellationToken,
    stop: CancellationToken,
    interrupt: CancellationToken,
    task: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
    #[cfg(unix)]
    socket_dir: Option<SocketDir>,
}

impl Server {
    /// Starts serving `provider` on a fresh unix socket; returns once the socket accepts connections. On Windows,
    /// which has go-plugin speak TCP, this is [`Server::start_tcp`] on any free port.
    #[cfg(unix)]
    pub async fn start(provider: Arc<dyn Provider>, options: ServeOptions) -> Result<Server, ServeError> {
        let client_certificate = tls::certificate_from_pem(&options.client_cert_pem)?;
        let identity = ServerIdentity::generate()?;
        let acceptor = TlsAcceptor::from(Arc::new(identity.server_config(client_certificate)?));

        let socket_dir = SocketDir::create(options.socket_dir.as_deref()).map_err(ServeError::Socket)?;
        let socket_path = socket_dir.socket_path();
        let listener = UnixListener::bind(&socket_path).map_err(|e| {
            ServeError::Socket(io::Error::new(e.kind(), format!("binding {}: {e}", socket_path.display())))
        })?;
        let mut server = Server::serve(provider, identity, acceptor, listener, Endpoint::Unix(socket_path));
        server.socket_dir = Some(socket_dir);
        Ok(server)
    }

    /// Starts serving `provider` over TCP; see [`Server::start_tcp`].
    #[cfg(not(unix))]
    pub async fn start(provider: Arc<dyn Provider>, options: ServeOptions) -> Result<Server, ServeError> {
        Server::start_tcp(provider, options, None).await
    }

    /// Starts serving `provider` on 127.0.0.1, on the first free port of `ports` (any free port when `None`),
    /// as go-plugin's plugins do on Windows; returns once the port accepts connections.
    pub async fn start_tcp(
        provider: Arc<dyn Provider>,
        options: ServeOptions,
        ports: Option<RangeInclusive<u16>>,
    ) -> Result<Server, ServeError> {
        let client_certificate = tls::certificate_from_pem(&options.client_cert_pem)?;
        let identity = ServerIdentity::generate()?;
        let acceptor = TlsAcceptor::from(Arc::new(identity.server_config(client_certificate)?));
        let listener = bind_loopback(ports).await.map_err(ServeError::Socket)?;
        let address = listener.local_addr().map_err(ServeError::Socket)?;
        Ok(Server::serve(provider, identity, acceptor, listener, Endpoint::Tcp(address)))
    }

    /// Serves the gRPC services on the connections `listener` accepts and `acceptor` authenticates.
    fn serve<L: Accept>(
        provider: Arc<dyn Provider>,
        identity: ServerIdentity,
        acceptor: TlsAcceptor,
        listener: L,
        endpoint: Endpoint,
    ) -> Server {
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
        match &endpoint {
            Endpoint::Unix(path) => tracing::debug!(socket = %path.display(), "plugin server listening"),
            Endpoint::Tcp(address) => tracing::debug!(%address, "plugin server listening"),
        }
        Server {
            endpoint,
            server_certificate: identity.certificate,
            shutdown,
            stop,
            interrupt,
            task: Some(task),
            #[cfg(unix)]
            socket_dir: None,
        }
    }

    /// The unix socket to connect to; empty for a server on TCP (see [`Server::endpoint`]).
    pub fn socket_path(&self) -> &Path {
        match &self.endpoint {
            Endpoint::Unix(path) => path,
            Endpoint::Tcp(_) => Path::new(""),
        }
    }

    /// Where the server listens.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The server's certificate (DER), which clients trust for the name `localhost`.
    pub fn server_certificate(&self) -> &CertificateDer<'static> {
        &self.server_certificate
    }

    /// The line go-plugin's client reads from stdout to connect.
    pub fn handshake_line(&self) -> String {
        match &self.endpoint {
            Endpoint::Unix(path) => handshake::handshake_line(path, &self.server_certificate),
            Endpoint::Tcp(address) => handshake::tcp_handshake_line(*address, &self.server_certificate),
        }
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
        #[cfg(unix)]
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

/// Binds 127.0.0.1 on the first free port of `ports`, or on any free port.
async fn bind_loopback(ports: Option<RangeInclusive<u16>>) -> io::Result<TcpListener> {
    let Some(ports) = ports else { return TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await };
    let (first, last) = (*ports.start(), *ports.end());
    let mut last_error = None;
    for port in ports {
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = Some(error),
        }
    }
    let reason = last_error.map_or_else(|| "empty range".to_owned(), |e| e.to_string());
    Err(io::Error::new(io::ErrorKind::AddrInUse, format!("no free port on 127.0.0.1 in {first}-{last}: {reason}")))
}

/// A listener of plugin connections: the unix socket, or the TCP port.
trait Accept: Send + 'static {
    /// One accepted connection.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Waits for the next connection.
    fn accept_stream(&self) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

#[cfg(unix)]
impl Accept for UnixListener {
    type Stream = UnixStream;

    async fn accept_stream(&self) -> io::Result<UnixStream> {
        self.accept().await.map(|(stream, _)| stream)
    }
}

impl Accept for TcpListener {
    type Stream = TcpStream;

    async fn accept_stream(&self) -> io::Result<TcpStream> {
        let (stream, _) = self.accept().await?;
        // gRPC's small frames would otherwise wait for Nagle's algorithm.
        stream.set_nodelay(true)?;
        Ok(stream)
    }
}

/// Accepts connections and completes their TLS handshakes concurrently, handing finished connections to the
/// gRPC server. A failed handshake (a stranger without Terraform's certificate) is logged and dropped; it never
/// stops the server.
async fn accept_connections<L: Accept>(
    listener: L,
    acceptor: TlsAcceptor,
    connections: mpsc::Sender<Result<TlsConnection<L::Stream>, io::Error>>,
    shutdown: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = connections.closed() => return,
            accepted = listener.accept_stream() => accepted,
        };
        let stream = match accepted {
            Ok(stream) => stream,
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

/// A TLS connection over the unix socket or TCP, as the gRPC server consumes it.
struct TlsConnection<S>(tokio_rustls::server::TlsStream<S>);

impl<S> Connected for TlsConnection<S> {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsConnection<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsConnection<S> {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hyper_util::rt::TokioIo;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{PrivateKeyDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};
    use tonic::transport::{Endpoint as ChannelEndpoint, Uri};

    use super::*;

    /// Trusts exactly the certificate of the handshake line, as go-plugin's client does.
    #[derive(Debug)]
    struct Pinned(CertificateDer<'static>, Arc<rustls::crypto::CryptoProvider>);

    impl ServerCertVerifier for Pinned {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            assert_eq!(end_entity.as_ref(), self.0.as_ref());
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.1.signature_verification_algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.1.signature_verification_algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.1.signature_verification_algorithms.supported_schemes()
        }
    }

    /// The transport go-plugin uses on Windows, served here on any platform: a port of the range on 127.0.0.1,
    /// `tcp` in the handshake line, mutual TLS, and the provider's gRPC service behind it.
    #[tokio::test]
    async fn serves_over_tcp_on_a_port_of_the_range() {
        tls::install_crypto_provider();
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let client = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap().self_signed(&key).unwrap();
        let options = ServeOptions { client_cert_pem: client.pem(), socket_dir: None };
        let provider = Arc::new(crate::provider::DataProtectionProvider::new());
        // A port taken already is skipped.
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let first = taken.local_addr().unwrap().port();
        let server = Server::start_tcp(provider, options, Some(first..=first.saturating_add(50))).await.unwrap();
        let Endpoint::Tcp(address) = server.endpoint().clone() else { panic!("a TCP endpoint") };
        assert!(address.ip().is_loopback() && address.port() > first && address.port() <= first + 50, "{address}");
        assert_eq!(server.socket_path(), Path::new(""));
        let line = server.handshake_line();
        assert!(line.starts_with(&format!("1|6|tcp|127.0.0.1:{}|grpc|", address.port())), "{line}");

        let crypto = tls::crypto_provider();
        let mut config = rustls::ClientConfig::builder_with_provider(crypto.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned(server.server_certificate().clone(), crypto)))
            .with_client_auth_cert(vec![client.der().clone()], PrivateKeyDer::Pkcs8(key.serialize_der().into()))
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let channel = ChannelEndpoint::from_static("http://localhost")
            .connect_with_connector(tower::service_fn(move |_: Uri| {
                let connector = connector.clone();
                async move {
                    let stream = TcpStream::connect(address).await?;
                    let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
                    Ok::<_, io::Error>(TokioIo::new(connector.connect(name, stream).await?))
                }
            }))
            .await
            .expect("connects over TCP with mutual TLS");
        let mut client =
            tfplugin6::provider_client::ProviderClient::new(channel).max_decoding_message_size(MAX_MESSAGE_SIZE);
        let schema = client.get_provider_schema(tfplugin6::get_provider_schema::Request {}).await.unwrap().into_inner();
        assert!(schema.resource_schemas.contains_key("dataprotection_backup_instance"));

        // A stranger without Terraform's certificate is refused; the server goes on.
        let stranger = rustls::ClientConfig::builder_with_provider(tls::crypto_provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned(
                server.server_certificate().clone(),
                tls::crypto_provider(),
            )))
            .with_no_client_auth();
        let stream = TcpStream::connect(address).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let refused = async {
            let mut tls = tokio_rustls::TlsConnector::from(Arc::new(stranger)).connect(name, stream).await?;
            tokio::io::AsyncWriteExt::write_all(&mut tls, b"PRI * HTTP/2.0\r\n\r\n").await?;
            let mut buf = [0u8; 1];
            tokio::io::AsyncReadExt::read(&mut tls, &mut buf).await
        };
        assert!(!matches!(refused.await, Ok(n) if n > 0), "no answer without the client certificate");
        drop(taken);
        server.shutdown();
        server.wait().await.unwrap();
    }
}
