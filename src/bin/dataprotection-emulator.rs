//! The emulator binary: `dataprotection-emulator --state-dir DIR [--listen 127.0.0.1:0] [--scenario FILE]`.
//!
//! Prints the base URL on stdout (and writes it to `DIR/address`), serves until SIGTERM or SIGINT, then shuts down
//! gracefully and saves the world to `DIR/world.json`, which the next start in the same directory restores.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use dataprotection::emulator::{Emulator, EmulatorConfig, Scenario, WorldSource};

const USAGE: &str = "usage: dataprotection-emulator --state-dir DIR [--listen 127.0.0.1:0] [--scenario FILE]

Serves an emulator of the Azure Data Protection API over HTTPS on a loopback address.

  --state-dir DIR   where the CA (DIR/ca.pem), the base URL (DIR/address) and the saved world live
  --listen ADDR     loopback address and port (default 127.0.0.1:0, a free port)
  --scenario FILE   the world to start with (JSON) when DIR holds no saved world; the default world otherwise

Point the provider at it with metadata_host = \"<host:port>\" and SSL_CERT_FILE=DIR/ca.pem.
See docs/emulator.md.";

struct Arguments {
    state_dir: PathBuf,
    listen: SocketAddr,
    scenario: Option<PathBuf>,
}

fn parse_arguments() -> anyhow::Result<Option<Arguments>> {
    let mut state_dir = None;
    let mut listen: SocketAddr = "127.0.0.1:0".parse().context("default listen address")?;
    let mut scenario = None;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let (name, inline) = match argument.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
            _ => (argument.clone(), None),
        };
        let mut value = |what: &str| -> anyhow::Result<String> {
            inline.clone().or_else(|| arguments.next()).with_context(|| format!("{what} needs a value"))
        };
        match name.as_str() {
            "--state-dir" => state_dir = Some(PathBuf::from(value("--state-dir")?)),
            "--listen" => {
                let text = value("--listen")?;
                listen = text
                    .parse()
                    .with_context(|| format!("--listen: '{text}' is not an address such as 127.0.0.1:8443"))?;
            }
            "--scenario" => scenario = Some(PathBuf::from(value("--scenario")?)),
            "-h" | "--help" => return Ok(None),
            "--version" => {
                println!("dataprotection-emulator {}", env!("CARGO_PKG_VERSION"));
                std::process::exit(0);
            }
            other => bail!("unknown argument '{other}'"),
        }
    }
    let Some(state_dir) = state_dir else { bail!("--state-dir is required") };
    if !listen.ip().is_loopback() {
        bail!("--listen {listen}: only loopback addresses (127.0.0.1, ::1) are served");
    }
    Ok(Some(Arguments { state_dir, listen, scenario }))
}

async fn run(arguments: Arguments) -> anyhow::Result<()> {
    let scenario = match &arguments.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading scenario {}", path.display()))?;
            Some(Scenario::from_json(&text).with_context(|| format!("parsing scenario {}", path.display()))?)
        }
        None => None,
    };
    let emulator =
        Emulator::start(EmulatorConfig { state_dir: arguments.state_dir.clone(), listen: arguments.listen, scenario })
            .await
            .context("starting the emulator")?;
    println!("{}", emulator.base_url());
    match emulator.world_source() {
        WorldSource::Restored if arguments.scenario.is_some() => eprintln!(
            "dataprotection-emulator: {} holds a saved world; it was restored and the scenario file was ignored (delete {} to start over)",
            arguments.state_dir.display(),
            arguments.state_dir.join(dataprotection::emulator::WORLD_FILE).display()
        ),
        WorldSource::Restored => {
            eprintln!("dataprotection-emulator: restored the world saved in {}", arguments.state_dir.display())
        }
        WorldSource::Scenario => eprintln!("dataprotection-emulator: serving the scenario's world"),
        WorldSource::Default => eprintln!("dataprotection-emulator: serving the default world (docs/emulator.md)"),
    }
    eprintln!(
        "dataprotection-emulator: metadata_host = \"{}\", SSL_CERT_FILE={}",
        emulator.metadata_host(),
        emulator.ca_pem_path().display()
    );

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    eprintln!("dataprotection-emulator: shutting down");
    emulator.shutdown().await.context("shutting down")?;
    Ok(())
}

fn main() -> ExitCode {
    let arguments = match parse_arguments() {
        Ok(Some(arguments)) => arguments,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("dataprotection-emulator: {error:#}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("dataprotection-emulator: starting the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(arguments)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dataprotection-emulator: {error:#}");
            ExitCode::FAILURE
        }
    }
}
