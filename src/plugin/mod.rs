//! The Terraform plugin protocol layer: handshake, mutual TLS, gRPC services, value codec, schemas and
//! diagnostics. It knows nothing of Azure; it serves any [`interface::Provider`].
//!
//! The binary calls [`serve`]. Tests and benchmarks start a [`Server`] in-process:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # async fn example(provider: Arc<dyn dataprotection::plugin::interface::Provider>, client_cert_pem: String)
//! # -> Result<(), dataprotection::plugin::ServeError> {
//! use dataprotection::plugin::{ServeOptions, Server};
//! let server = Server::start(provider, ServeOptions { client_cert_pem, socket_dir: None }).await?;
//! // Dial server.socket_path() over TLS: trust exactly server.server_certificate() for "localhost",
//! // present the certificate whose PEM was given, offer ALPN "h2". tests/common/mod.rs has such a client.
//! server.shutdown();
//! server.wait().await
//! # }
//! ```
//!
//! Layout: [`handshake`] (environment, socket folder, handshake line), [`tls`] (server certificate, pinned
//! client certificate), [`server`] (socket, TLS accept loop, gRPC), [`service`] (tfplugin6 RPCs over the
//! [`interface`] traits), [`go_plugin`] (controller, stdio, broker, health), [`codec`] (values on the wire),
//! [`convert`] (schemas and diagnostics to protocol messages), [`logging`] (hclog lines on stderr).
//!
//! Platforms: on unix the plugin listens on a unix socket, takes SIGINT and SIGTERM, and watches its parent
//! process ID; on Windows it listens on TCP (127.0.0.1, in Terraform's port range), takes the console's Ctrl-C,
//! Ctrl-Break, close, logoff and shutdown events, and watches Terraform's process by its ID and start time.

pub mod codec;
pub mod convert;
pub mod diagnostics;
pub mod go_plugin;
pub mod handshake;
mod host;
pub mod interface;
pub mod logging;
pub mod proto;
pub mod schema;
pub mod server;
pub mod service;
pub mod tls;
pub mod value;

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

pub use server::{Endpoint, ServeError, ServeOptions, Server};

/// Runs the plugin as Terraform expects: checks the handshake environment, serves `provider` on a unix socket
/// (TCP on Windows) with mutual TLS, prints the handshake line, and returns when Terraform shuts the plugin down.
///
/// Exit status 1 (with one line on stderr) when the binary was not started by Terraform or cannot serve.
/// SIGINT never ends the process: Ctrl-C in a terminal reaches the whole process group, and Terraform calls
/// StopProvider, which lets an apply in flight save what it did. SIGINT does end plan-time work at once (sign-in,
/// reads, validation at plan, imports), which creates nothing: during `terraform apply`'s plan phase Terraform
/// does not call StopProvider, and would otherwise wait for that work to finish. SIGTERM shuts down gracefully.
/// On Windows, Ctrl-C and Ctrl-Break do what SIGINT does (Terraform takes both as an interrupt), and the
/// console's close, logoff and shutdown events what SIGTERM does.
pub fn serve(provider: Arc<dyn interface::Provider>) -> ExitCode {
    // Terraform, as early as possible: the plugin shuts down when its parent changes.
    let parent = host::Parent::current();
    let env = match handshake::read_env(|key| std::env::var(key).ok()) {
        Ok(env) => env,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    tls::install_crypto_provider();
    logging::init();
    install_panic_hook();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("starting the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let options = ServeOptions { client_cert_pem: env.client_cert_pem, socket_dir: env.socket_dir };
    let code = runtime.block_on(run(provider, options, env.tcp_ports, parent));
    runtime.shutdown_timeout(Duration::from_millis(100));
    code
}

async fn run(
    provider: Arc<dyn interface::Provider>,
    options: ServeOptions,
    tcp_ports: Option<std::ops::RangeInclusive<u16>>,
    parent: host::Parent,
) -> ExitCode {
    let signals = signals::Signals::listen();
    #[cfg(unix)]
    let started = {
        let _ = tcp_ports;
        Server::start(provider, options).await
    };
    #[cfg(not(unix))]
    let started = Server::start_tcp(provider, options, tcp_ports).await;
    let server = match started {
        Ok(server) => server,
        Err(error) => {
            eprintln!("The provider could not start: {error}");
            return ExitCode::FAILURE;
        }
    };
    signals.handle(&server, parent);
    let line = server.handshake_line();
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}").and_then(|()| stdout.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    match server.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the plugin server failed");
            ExitCode::FAILURE
        }
    }
}

/// How often the plugin checks that Terraform, its parent, is still there.
const PARENT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Shuts the plugin down once its parent is gone (Terraform killed with SIGKILL, or crashed): nobody can call it
/// any more, and a plugin left serving would linger for ever. On unix the process is reparented then, so its
/// parent ID changes; on Windows the parent's process is gone, or its ID now names a process started later.
async fn shut_down_when_orphaned(parent: host::Parent, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(PARENT_CHECK_INTERVAL) => {}
        }
        if parent.is_gone() {
            tracing::warn!(parent = parent.id(), "Terraform, which started the provider, has gone; shutting down");
            shutdown.cancel();
            return;
        }
    }
}

/// The process signals the plugin handles: SIGINT and SIGTERM on unix, the console's control events on Windows.
#[cfg(unix)]
mod signals {
    use tokio::signal::unix::{Signal, SignalKind, signal};

    use super::{Server, host::Parent, shut_down_when_orphaned};

    /// The signals, listened for before the server starts.
    pub(super) struct Signals {
        interrupts: Option<Signal>,
        terminate: Option<Signal>,
    }

    impl Signals {
        /// Starts listening.
        pub(super) fn listen() -> Signals {
            // Listen for SIGINT first of all: its default action would end the process.
            let interrupts = signal(SignalKind::interrupt())
                .inspect_err(
                    |error| tracing::warn!(%error, "cannot listen for SIGINT; Ctrl-C may end the provider abruptly"),
                )
                .ok();
            // Listen for SIGTERM before the socket folder exists, so that no early signal can leave it behind.
            let terminate = signal(SignalKind::terminate())
                .inspect_err(|error| tracing::warn!(%error, "cannot listen for SIGTERM"))
                .ok();
            Signals { interrupts, terminate }
        }

        /// SIGINT ends plan-time work, SIGTERM shuts `server` down, and so does the loss of `parent`.
        pub(super) fn handle(self, server: &Server, parent: Parent) {
            if let Some(mut interrupts) = self.interrupts {
                let interrupt = server.interrupt_token();
                tokio::spawn(async move {
                    while interrupts.recv().await.is_some() {
                        tracing::debug!("SIGINT: ending plan-time work; an apply in flight waits for StopProvider");
                        interrupt.cancel();
                    }
                });
            }
            tokio::spawn(shut_down_when_orphaned(parent, server.shutdown_token()));
            if let Some(mut terminate) = self.terminate {
                let shutdown = server.shutdown_token();
                tokio::spawn(async move {
                    if terminate.recv().await.is_some() {
                        tracing::info!("SIGTERM: shutting down");
                        shutdown.cancel();
                    }
                });
            }
        }
    }
}

/// The process signals the plugin handles: SIGINT and SIGTERM on unix, the console's control events on Windows.
#[cfg(windows)]
mod signals {
    use tokio::signal::windows;

    use super::{Server, host::Parent, shut_down_when_orphaned};

    /// The console's control events, listened for before the server starts: a console process that does not
    /// handle Ctrl-C ends at once.
    pub(super) struct Signals {
        ctrl_c: Option<windows::CtrlC>,
        ctrl_break: Option<windows::CtrlBreak>,
        close: Option<windows::CtrlClose>,
        logoff: Option<windows::CtrlLogoff>,
        shutdown: Option<windows::CtrlShutdown>,
    }

    fn warn_unless<T>(what: &str, listened: std::io::Result<T>) -> Option<T> {
        listened.inspect_err(|error| tracing::warn!(%error, "cannot listen for {what}")).ok()
    }

    impl Signals {
        /// Starts listening.
        pub(super) fn listen() -> Signals {
            Signals {
                ctrl_c: warn_unless("Ctrl-C", windows::ctrl_c()),
                ctrl_break: warn_unless("Ctrl-Break", windows::ctrl_break()),
                close: warn_unless("the console's close event", windows::ctrl_close()),
                logoff: warn_unless("the logoff event", windows::ctrl_logoff()),
                shutdown: warn_unless("the shutdown event", windows::ctrl_shutdown()),
            }
        }

        /// Ctrl-C and Ctrl-Break end plan-time work (as SIGINT does on unix: Terraform takes both as an
        /// interrupt and calls StopProvider); closing the console, logging off and shutting the system down shut
        /// `server` down (as SIGTERM does), and so does the loss of `parent`.
        pub(super) fn handle(self, server: &Server, parent: Parent) {
            let Signals { ctrl_c, ctrl_break, close, logoff, shutdown: system_shutdown } = self;
            if let Some(mut ctrl_c) = ctrl_c {
                let interrupt = server.interrupt_token();
                tokio::spawn(async move {
                    while ctrl_c.recv().await.is_some() {
                        tracing::debug!("Ctrl-C: ending plan-time work; an apply in flight waits for StopProvider");
                        interrupt.cancel();
                    }
                });
            }
            if let Some(mut ctrl_break) = ctrl_break {
                let interrupt = server.interrupt_token();
                tokio::spawn(async move {
                    while ctrl_break.recv().await.is_some() {
                        tracing::debug!("Ctrl-Break: ending plan-time work; an apply in flight waits for StopProvider");
                        interrupt.cancel();
                    }
                });
            }
            tokio::spawn(shut_down_when_orphaned(parent, server.shutdown_token()));
            if let Some(mut close) = close {
                let shutdown = server.shutdown_token();
                tokio::spawn(async move {
                    if close.recv().await.is_some() {
                        tracing::info!("the console is closing: shutting down");
                        shutdown.cancel();
                    }
                });
            }
            if let Some(mut logoff) = logoff {
                let shutdown = server.shutdown_token();
                tokio::spawn(async move {
                    if logoff.recv().await.is_some() {
                        tracing::info!("the user is logging off: shutting down");
                        shutdown.cancel();
                    }
                });
            }
            if let Some(mut system_shutdown) = system_shutdown {
                let shutdown = server.shutdown_token();
                tokio::spawn(async move {
                    if system_shutdown.recv().await.is_some() {
                        tracing::info!("the system is shutting down: shutting down");
                        shutdown.cancel();
                    }
                });
            }
        }
    }
}

/// Logs a panic as one hclog error line, without a backtrace whatever `RUST_BACKTRACE` says. The RPC that
/// panicked answers with an error diagnostic; the process keeps serving.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        let mut fields = serde_json::Map::new();
        fields.insert("panic".into(), serde_json::Value::String(message));
        if let Some(location) = info.location() {
            fields.insert("location".into(), format!("{}:{}", location.file(), location.line()).into());
        }
        logging::write_error_line("provider panicked (a bug; the operation fails with an error)", fields);
    }));
}
