//! The emulator binary: `dataprotection-emulator --state-dir DIR [--listen 127.0.0.1:0] [--scenario FILE]`.
//!
//! Prints the base URL on stdout (and writes it to `DIR/address`), serves until SIGTERM or SIGINT, then shuts down
//! gracefully and saves the world to `DIR/world.json`, which the next start in the same directory restores.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use dataprotection_emulator::{Emulator, EmulatorConfig, Scenario, WorldSource};
use rustls::pki_types::pem::PemObject as _;

const USAGE: &str = "usage: dataprotection-emulator --state-dir DIR [--listen 127.0.0.1:0] [--scenario FILE]
       dataprotection-emulator journal --state-dir DIR

Serves an emulator of the Azure Data Protection API over HTTPS on a loopback address.

  --state-dir DIR   where the CA (DIR/ca.pem), the base URL (DIR/address) and the saved world live
  --listen ADDR     loopback address and port (default 127.0.0.1:0, a free port)
  --scenario FILE   the world to start with (JSON) when DIR holds no saved world; the default world otherwise

`journal` prints what the emulator running on DIR has seen: its ARM requests in order, then the flow of
operations with repeats folded (tokens and metadata reads left out).

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
            arguments.state_dir.join(dataprotection_emulator::WORLD_FILE).display()
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

/// `journal --state-dir DIR`: reads the running emulator's journal through its admin API and prints it.
async fn print_journal(state_dir: PathBuf) -> anyhow::Result<()> {
    let base = std::fs::read_to_string(state_dir.join(dataprotection_emulator::ADDRESS_FILE))
        .with_context(|| format!("no emulator is running on {} (no address file)", state_dir.display()))?;
    let pem = std::fs::read(state_dir.join(dataprotection_emulator::CA_FILE)).context("reading the emulator's CA")?;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(certificate.context("reading the emulator's CA")?).context("trusting the emulator's CA")?;
    }
    let tls =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .context("TLS setup")?
            .with_root_certificates(roots)
            .with_no_client_auth();
    let client = reqwest::Client::builder().use_preconfigured_tls(tls).build().context("HTTP client")?;
    let url = format!("{}/_emulator/journal", base.trim());
    let entries: Vec<dataprotection_emulator::JournalEntry> =
        client.get(&url).send().await.context("asking the emulator")?.error_for_status()?.json().await?;
    let arm: Vec<_> =
        entries.iter().filter(|e| e.operation != "Token" && e.operation != "Metadata_Endpoints").collect();
    println!("{:>6}  {:<6}  {:>6}  {:<40}  path", "at ms", "method", "status", "operation");
    for e in &arm {
        let path = if e.path.len() > 90 { format!("...{}", &e.path[e.path.len() - 87..]) } else { e.path.clone() };
        println!("{:>6}  {:<6}  {:>6}  {:<40}  {path}", e.at_ms, e.method, e.status, e.operation);
    }
    let mut flow: Vec<(String, usize)> = Vec::new();
    for e in &arm {
        match flow.last_mut() {
            Some((operation, count)) if *operation == e.operation => *count += 1,
            _ => flow.push((e.operation.clone(), 1)),
        }
    }
    let steps: Vec<String> =
        flow.iter().map(|(op, n)| if *n > 1 { format!("{op} ×{n}") } else { op.clone() }).collect();
    println!("\nflow: {}", steps.join(" → "));
    let early = entries.iter().filter(|e| e.early).count();
    println!("polls earlier than the emulator asked: {early}");
    Ok(())
}

fn main() -> ExitCode {
    let mut raw = std::env::args().skip(1);
    if raw.next().as_deref() == Some("journal") {
        let state_dir = match (raw.next().as_deref(), raw.next()) {
            (Some("--state-dir"), Some(dir)) => PathBuf::from(dir),
            _ => {
                eprintln!("dataprotection-emulator: journal needs --state-dir DIR\n\n{USAGE}");
                return ExitCode::from(2);
            }
        };
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(error) => {
                eprintln!("dataprotection-emulator: starting the runtime: {error}");
                return ExitCode::FAILURE;
            }
        };
        return match runtime.block_on(print_journal(state_dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("dataprotection-emulator: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
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
