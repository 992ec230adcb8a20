//! Serving the emulator over HTTPS on a loopback address, with graceful shutdown and persistence.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt as _;

use super::front::DropConnection;
use super::scenario::Scenario;
use super::state::EmulatorState;
use super::tokens::TokenSigner;
use super::{EmulatorError, app, tls, write_private};

/// The file the world is saved to on shutdown, and loaded from on start.
pub const WORLD_FILE: &str = "world.json";
/// The file holding the base URL while the emulator runs.
pub const ADDRESS_FILE: &str = "address";
const SIGNING_KEY_FILE: &str = "token-signing-key";

/// How long shutdown waits for open connections to finish their requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client has to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where the CA (`ca.pem`), the base URL (`address`), the token key and the saved world (`world.json`) live.
    pub state_dir: PathBuf,
    /// A loopback address; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The world to start with when the state directory holds none; the default world when `None`.
    pub scenario: Option<Scenario>,
}

/// A running emulator.
pub struct Emulator {
    state: Arc<EmulatorState>,
    address: SocketAddr,
    base_url: String,
    state_dir: PathBuf,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    world_source: WorldSource,
}

/// Where the world of a running emulator came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorldSource {
    /// The state directory's saved world (a scenario given too was ignored).
    Restored,
    /// The scenario in the configuration.
    Scenario,
    /// The default world.
    Default,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .field("state_dir", &self.state_dir)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator: loads or creates the CA, loads the saved world (or the scenario, or the default world),
    /// binds the loopback address and serves HTTPS until [`shutdown`](Self::shutdown).
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        if !config.listen.ip().is_loopback() {
            return Err(EmulatorError::NotLoopback(config.listen));
        }
        let state_dir = config.state_dir;
        std::fs::create_dir_all(&state_dir).map_err(|source| EmulatorError::io(&state_dir, source))?;
        let signer = load_or_create_signer(&state_dir)?;
        let world_path = state_dir.join(WORLD_FILE);
        let (scenario, world_source) = if world_path.is_file() {
            let text = std::fs::read_to_string(&world_path).map_err(|source| EmulatorError::io(&world_path, source))?;
            let scenario = Scenario::from_json(&text)
                .map_err(|error| EmulatorError::Scenario(format!("{}: {error}", world_path.display())))?;
            (scenario, WorldSource::Restored)
        } else {
            match config.scenario {
                Some(scenario) => (scenario, WorldSource::Scenario),
                None => (Scenario::default_world(), WorldSource::Default),
            }
        };
        let state = Arc::new(EmulatorState::with_signer(scenario, signer)?);
        let tls = tls::server_config(&state_dir)?;

        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| EmulatorError::Bind { address: config.listen, source })?;
        let address = listener.local_addr().map_err(|source| EmulatorError::Bind { address: config.listen, source })?;
        let base_url = format!("https://{address}");
        state.set_base_url(base_url.clone());
        let address_path = state_dir.join(ADDRESS_FILE);
        std::fs::write(&address_path, format!("{base_url}\n"))
            .map_err(|source| EmulatorError::io(&address_path, source))?;

        let (stop, stopped) = watch::channel(false);
        let server = tokio::spawn(serve(listener, tokio_rustls::TlsAcceptor::from(tls), app(state.clone()), stopped));
        Ok(Emulator { state, address, base_url, state_dir, stop, server: Some(server), world_source })
    }

    /// `https://127.0.0.1:{port}`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `127.0.0.1:{port}`: the value for the provider's `metadata_host`.
    pub fn metadata_host(&self) -> String {
        self.address.to_string()
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The CA certificate clients must trust (`{state_dir}/ca.pem`).
    pub fn ca_pem_path(&self) -> PathBuf {
        self.state_dir.join(tls::CA_FILE)
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The shared state, to inspect and control the emulator in-process.
    pub fn state(&self) -> Arc<EmulatorState> {
        self.state.clone()
    }

    /// Where the world came from.
    pub fn world_source(&self) -> WorldSource {
        self.world_source
    }

    /// Stops accepting connections, lets open requests finish (up to a few seconds), saves the world to
    /// `{state_dir}/world.json` and removes `{state_dir}/address`.
    pub async fn shutdown(mut self) -> Result<(), EmulatorError> {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.save()?;
        let address_path = self.state_dir.join(ADDRESS_FILE);
        match std::fs::remove_file(&address_path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(EmulatorError::io(&address_path, source)),
        }
    }

    /// Saves the world to `{state_dir}/world.json` now (atomically: a temporary file renamed over the old one).
    pub fn save(&self) -> Result<(), EmulatorError> {
        let path = self.state_dir.join(WORLD_FILE);
        let temporary = self.state_dir.join(format!("{WORLD_FILE}.tmp"));
        // A fresh temporary file, so it is created with the owner-only mode.
        let _ = std::fs::remove_file(&temporary);
        write_private(&temporary, self.state.snapshot().to_json().as_bytes())?;
        std::fs::rename(&temporary, &path).map_err(|source| EmulatorError::io(&path, source))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Without an explicit shutdown the server still stops (without saving the world).
        let _ = self.stop.send(true);
    }
}

fn load_or_create_signer(state_dir: &Path) -> Result<TokenSigner, EmulatorError> {
    let path = state_dir.join(SIGNING_KEY_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let bytes: Option<Vec<u8>> = (0..text.trim().len())
            .step_by(2)
            .map(|index| text.trim().get(index..index + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
            .collect();
        if let Some(bytes) = bytes.filter(|bytes| bytes.len() == 32) {
            return Ok(TokenSigner::from_key(bytes));
        }
    }
    let signer = TokenSigner::generate().map_err(EmulatorError::Tls)?;
    let hex: String = signer.key_bytes().iter().map(|byte| format!("{byte:02x}")).collect();
    write_private(&path, hex.as_bytes())?;
    Ok(signer)
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for Dropped {}

async fn serve(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    app: Router,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let app = app.clone();
                let builder = builder.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await else { return };
                    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                        let app = app.clone();
                        async move {
                            let response = app.oneshot(request.map(Body::new)).await.unwrap_or_else(|never| match never {});
                            if response.extensions().get::<DropConnection>().is_some() { Err(Dropped) } else { Ok(response) }
                        }
                    });
                    let connection = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
                    let _ = watcher.watch(connection.into_owned()).await;
                });
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
}
