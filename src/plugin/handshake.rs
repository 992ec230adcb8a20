//! go-plugin's handshake: what Terraform tells the plugin through the environment, the private folder of the
//! unix socket, and the one line the plugin answers on stdout.
//!
//! On unix the plugin listens on a unix socket, as go-plugin's plugins do there; on Windows, which go-plugin
//! serves over TCP, it listens on 127.0.0.1 in the port range Terraform gives (`PLUGIN_MIN_PORT`,
//! `PLUGIN_MAX_PORT`) and says `tcp` in the handshake line.

#[cfg(unix)]
use std::fs;
#[cfg(unix)]
use std::io;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
#[cfg(unix)]
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use base64::Engine;

/// The environment variable Terraform sets to show the binary was started by Terraform.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";

/// The value Terraform gives [`MAGIC_COOKIE_KEY`].
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The plugin protocol version this layer serves.
pub const PROTOCOL_VERSION: u32 = 6;

/// go-plugin's own protocol version, the first field of the handshake line.
const CORE_PROTOCOL_VERSION: u32 = 1;

/// Why the plugin cannot start.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// The binary was run by hand instead of by Terraform.
    #[error(
        "This binary is a Terraform plugin: Terraform starts it when a configuration uses the provider, \
         it is not meant to be run directly."
    )]
    NotStartedByTerraform,
    /// Terraform offered protocol versions this provider does not speak.
    #[error(
        "Terraform offered plugin protocol versions {offered:?}, but this provider speaks only version 6 \
         (Terraform 1.0 and newer)."
    )]
    UnsupportedProtocol {
        /// The value of `PLUGIN_PROTOCOL_VERSIONS`.
        offered: String,
    },
    /// Terraform did not send its client certificate, so the connection could not be authenticated.
    #[error(
        "PLUGIN_CLIENT_CERT is not set: this provider only accepts connections authenticated with \
         Terraform's automatic mutual TLS."
    )]
    MissingClientCertificate,
}

/// What the handshake environment tells the plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeEnv {
    /// Terraform's client certificate, PEM.
    pub client_cert_pem: String,
    /// Where to create the socket's private folder (`PLUGIN_UNIX_SOCKET_DIR`), else the temporary folder.
    pub socket_dir: Option<PathBuf>,
    /// The ports a TCP listener may take (`PLUGIN_MIN_PORT` to `PLUGIN_MAX_PORT`), when Terraform gives a valid
    /// range; any free port otherwise. Only the TCP transport (Windows) uses it.
    pub tcp_ports: Option<RangeInclusive<u16>>,
}

/// Reads and checks the handshake environment through `lookup` (`std::env::var` in the binary).
pub fn read_env(lookup: impl Fn(&str) -> Option<String>) -> Result<HandshakeEnv, HandshakeError> {
    if lookup(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(HandshakeError::NotStartedByTerraform);
    }
    // Old clients send no list and take what the plugin offers; a list without 6 cannot work.
    if let Some(offered) = lookup("PLUGIN_PROTOCOL_VERSIONS").filter(|v| !v.trim().is_empty()) {
        let speaks_6 = offered.split(',').any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION));
        if !speaks_6 {
            return Err(HandshakeError::UnsupportedProtocol { offered });
        }
    }
    let client_cert_pem = lookup("PLUGIN_CLIENT_CERT")
        .filter(|c| !c.trim().is_empty())
        .ok_or(HandshakeError::MissingClientCertificate)?;
    let socket_dir = lookup("PLUGIN_UNIX_SOCKET_DIR").filter(|d| !d.is_empty()).map(PathBuf::from);
    let port = |key: &str| lookup(key).and_then(|v| v.trim().parse::<u16>().ok()).filter(|p| *p != 0);
    let tcp_ports = match (port("PLUGIN_MIN_PORT"), port("PLUGIN_MAX_PORT")) {
        (Some(min), Some(max)) if min <= max => Some(min..=max),
        _ => None,
    };
    Ok(HandshakeEnv { client_cert_pem, socket_dir, tcp_ports })
}

/// The line go-plugin reads from the plugin's stdout:
/// `core version|app version|network|address|protocol|server certificate (base64 DER, no padding)`.
pub fn handshake_line(socket_path: &Path, server_cert_der: &[u8]) -> String {
    line("unix", &socket_path.display().to_string(), server_cert_der)
}

/// The handshake line of a plugin listening on TCP (go-plugin's transport on Windows): network `tcp`, address
/// `127.0.0.1:port`.
pub fn tcp_handshake_line(address: SocketAddr, server_cert_der: &[u8]) -> String {
    line("tcp", &address.to_string(), server_cert_der)
}

fn line(network: &str, address: &str, server_cert_der: &[u8]) -> String {
    format!(
        "{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|{network}|{address}|grpc|{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(server_cert_der)
    )
}

/// A folder only this user can enter, holding the socket; removed with everything in it when dropped.
#[cfg(unix)]
#[derive(Debug)]
pub struct SocketDir {
    path: PathBuf,
}

#[cfg(unix)]
impl SocketDir {
    /// Creates a fresh folder with mode 0700 under `base` (the system temporary folder when `None`).
    pub fn create(base: Option<&Path>) -> io::Result<SocketDir> {
        let base = base.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let mut builder = fs::DirBuilder::new();
        builder.mode(0o700);
        for _ in 0..16 {
            let path = base.join(format!("tf-dataprotection-{:016x}", fastrand::u64(..)));
            match builder.create(&path) {
                Ok(()) => return Ok(SocketDir { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io::Error::new(e.kind(), format!("creating {}: {e}", path.display()))),
            }
        }
        Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("no free folder name in {}", base.display())))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The socket inside it.
    pub fn socket_path(&self) -> PathBuf {
        self.path.join("plugin.sock")
    }
}

#[cfg(unix)]
impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |key| map.get(key).cloned()
    }

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    #[test]
    fn refuses_to_run_without_the_cookie() {
        assert!(matches!(read_env(env(&[])), Err(HandshakeError::NotStartedByTerraform)));
        assert!(matches!(
            read_env(env(&[(MAGIC_COOKIE_KEY, "wrong"), ("PLUGIN_CLIENT_CERT", CERT)])),
            Err(HandshakeError::NotStartedByTerraform)
        ));
        let message = HandshakeError::NotStartedByTerraform.to_string();
        assert!(message.contains("Terraform plugin") && !message.contains('\n'));
    }

    #[test]
    fn protocol_versions_must_include_6() {
        let base = [(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE), ("PLUGIN_CLIENT_CERT", CERT)];
        for ok in ["6", "5,6", " 6 , 7", ""] {
            let pairs: Vec<_> = base.iter().copied().chain([("PLUGIN_PROTOCOL_VERSIONS", ok)]).collect();
            assert!(read_env(env(&pairs)).is_ok(), "{ok:?}");
        }
        for bad in ["5", "4,5", "60", "x"] {
            let pairs: Vec<_> = base.iter().copied().chain([("PLUGIN_PROTOCOL_VERSIONS", bad)]).collect();
            let error = read_env(env(&pairs)).unwrap_err();
            assert!(matches!(error, HandshakeError::UnsupportedProtocol { .. }), "{bad:?}");
            assert!(error.to_string().contains("version 6"));
        }
        assert!(read_env(env(&base)).is_ok(), "no list at all");
    }

    #[test]
    fn the_client_certificate_is_required() {
        let error = read_env(env(&[(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)])).unwrap_err();
        assert!(matches!(error, HandshakeError::MissingClientCertificate));
        let parsed = read_env(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_CLIENT_CERT", CERT),
            ("PLUGIN_UNIX_SOCKET_DIR", "/run/x"),
        ]))
        .unwrap();
        assert_eq!(
            parsed,
            HandshakeEnv { client_cert_pem: CERT.into(), socket_dir: Some("/run/x".into()), tcp_ports: None }
        );
    }

    #[test]
    fn the_tcp_port_range_is_taken_when_valid() {
        let base = [(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE), ("PLUGIN_CLIENT_CERT", CERT)];
        let ports = |min: &str, max: &str| {
            let pairs: Vec<_> =
                base.iter().copied().chain([("PLUGIN_MIN_PORT", min), ("PLUGIN_MAX_PORT", max)]).collect();
            read_env(env(&pairs)).unwrap().tcp_ports
        };
        assert_eq!(ports("10000", "25000"), Some(10000..=25000));
        assert_eq!(ports("12000", "12000"), Some(12000..=12000));
        for (min, max) in [("25000", "10000"), ("0", "100"), ("x", "100"), ("10000", "70000"), ("", "")] {
            assert_eq!(ports(min, max), None, "{min:?}..{max:?}");
        }
        assert_eq!(read_env(env(&base)).unwrap().tcp_ports, None);
    }

    #[test]
    fn handshake_line_has_go_plugins_shape() {
        let line = handshake_line(Path::new("/tmp/d/plugin.sock"), &[0xde, 0xad, 0xbe, 0xef, 0x01]);
        assert_eq!(line, "1|6|unix|/tmp/d/plugin.sock|grpc|3q2+7wE");
        let line = tcp_handshake_line("127.0.0.1:10123".parse().unwrap(), &[0xde, 0xad, 0xbe, 0xef, 0x01]);
        assert_eq!(line, "1|6|tcp|127.0.0.1:10123|grpc|3q2+7wE");
    }

    #[cfg(unix)]
    #[test]
    fn socket_folder_is_private_and_removed() {
        let base = tempfile::tempdir().unwrap();
        let dir = SocketDir::create(Some(base.path())).unwrap();
        let path = dir.path().to_path_buf();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o700);
        assert!(dir.socket_path().starts_with(&path));
        fs::write(path.join("leftover"), b"x").unwrap();
        drop(dir);
        assert!(!path.exists());
    }
}
