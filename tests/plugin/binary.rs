//! The provider binary as Terraform starts it: the handshake environment, the handshake line, signals and
//! shutdown.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use dataprotection::plugin::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use dataprotection::plugin::proto::go_plugin;
use dataprotection::plugin::proto::health::HealthCheckRequest;
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-dataprotection");

#[test]
fn without_the_magic_cookie_it_explains_and_exits_1() {
    let output = std::process::Command::new(BINARY)
        .env_remove(MAGIC_COOKIE_KEY)
        .env("PLUGIN_CLIENT_CERT", "irrelevant")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Terraform plugin") && stderr.contains("not meant to be run directly"), "{stderr}");
}

#[test]
fn without_protocol_6_or_a_client_certificate_it_refuses_to_start() {
    let run = |versions: &str, cert: Option<&str>| {
        let mut command = std::process::Command::new(BINARY);
        command.env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE).env("PLUGIN_PROTOCOL_VERSIONS", versions);
        match cert {
            Some(cert) => command.env("PLUGIN_CLIENT_CERT", cert),
            None => command.env_remove("PLUGIN_CLIENT_CERT"),
        };
        command.output().expect("runs")
    };
    let output = run("4,5", Some("x"));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("only version 6"));
    let output = run("6", None);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("PLUGIN_CLIENT_CERT"));
}

struct Started {
    child: Child,
    socket: PathBuf,
    server_certificate: CertificateDer<'static>,
    startup: Duration,
}

async fn start(client: &ClientIdentity, socket_base: &std::path::Path) -> Started {
    let begun = Instant::now();
    let mut child = Command::new(BINARY)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", &client.pem)
        .env("PLUGIN_UNIX_SOCKET_DIR", socket_base)
        .env("TF_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), BufReader::new(stdout).read_line(&mut line))
        .await
        .expect("handshake line in time")
        .expect("reads");
    let startup = begun.elapsed();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "{line:?}");
    assert_eq!(&fields[..3], ["1", "6", "unix"]);
    assert_eq!(fields[4], "grpc");
    let der = base64::engine::general_purpose::STANDARD_NO_PAD.decode(fields[5]).expect("unpadded base64");
    Started { child, socket: PathBuf::from(fields[3]), server_certificate: CertificateDer::from(der), startup }
}

fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill").args([name, &pid]).status().expect("kill runs");
    assert!(status.success());
}

#[tokio::test]
async fn it_serves_on_a_private_socket_ignores_sigint_and_exits_0_on_shutdown() {
    let client = ClientIdentity::generate();
    let base = tempfile::tempdir().expect("temporary folder");
    let mut started = start(&client, base.path()).await;
    println!("start-up to handshake line: {:?}", started.startup);
    let folder = started.socket.parent().expect("folder").to_path_buf();
    assert!(folder.starts_with(base.path()));
    assert_eq!(std::fs::metadata(&folder).expect("folder").permissions().mode() & 0o777, 0o700);

    let channel = connect(&started.socket, &started.server_certificate, Some(&client)).await.expect("connects");
    let mut health = health_client(channel.clone());
    health.check(HealthCheckRequest { service: "plugin".into() }).await.expect("healthy");

    // Ctrl-C reaches the whole process group; the provider must outlive it and wait for StopProvider.
    signal(&started.child, "-INT");
    // An answer after the signal means the process ran after it: had SIGINT ended it, it could not answer.
    health.check(HealthCheckRequest { service: "plugin".into() }).await.expect("still healthy after SIGINT");
    assert!(started.child.try_wait().expect("status").is_none(), "SIGINT must not end the provider");

    controller_client(channel).shutdown(go_plugin::Empty {}).await.expect("shutdown answers");
    let status =
        tokio::time::timeout(Duration::from_secs(3), started.child.wait()).await.expect("exits").expect("status");
    assert_eq!(status.code(), Some(0));
    assert!(!folder.exists(), "socket folder removed on exit");
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly() {
    let client = ClientIdentity::generate();
    let base = tempfile::tempdir().expect("temporary folder");
    let mut started = start(&client, base.path()).await;
    let folder = started.socket.parent().expect("folder").to_path_buf();
    signal(&started.child, "-TERM");
    let status =
        tokio::time::timeout(Duration::from_secs(3), started.child.wait()).await.expect("exits").expect("status");
    assert_eq!(status.code(), Some(0));
    assert!(!folder.exists(), "socket folder removed on exit");
}

/// A provider whose parent dies without shutting it down (Terraform killed with SIGKILL) exits by itself and
/// removes its socket folder, instead of serving for ever.
#[tokio::test]
async fn a_provider_whose_terraform_is_gone_shuts_down() {
    let client = ClientIdentity::generate();
    let base = tempfile::tempdir().expect("temporary folder");
    // A shell stands for Terraform: it starts the provider in the background, says its PID, and exits a moment
    // later, leaving the provider behind as a killed Terraform would.
    let output = Command::new("sh")
        .args(["-c", "\"$0\" > \"$1\" 2>/dev/null & echo $!; sleep 1", BINARY])
        .arg(base.path().join("handshake"))
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_CLIENT_CERT", &client.pem)
        .env("PLUGIN_UNIX_SOCKET_DIR", base.path())
        .output()
        .await
        .expect("sh runs");
    let pid: u32 = String::from_utf8_lossy(&output.stdout).trim().parse().expect("the provider's PID");
    let running = |pid: u32| {
        // Gone, or a zombie nobody has reaped yet: either way no longer serving.
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
            .unwrap_or(false)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut served = false;
    while Instant::now() < deadline {
        let handshake = std::fs::read_to_string(base.path().join("handshake")).unwrap_or_default();
        served |= handshake.contains("|unix|");
        if served && !running(pid) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served, "the provider started and printed its handshake line");
    if running(pid) {
        let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        panic!("the provider kept running after its parent exited");
    }
    let left: Vec<_> = std::fs::read_dir(base.path())
        .expect("base folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter(|name| name != "handshake")
        .collect();
    assert!(left.is_empty(), "the socket folder is removed: {left:?}");
}
