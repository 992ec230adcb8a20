//! The emulator's own certificate authority and its server certificate.
//!
//! The CA is written to `{state_dir}/ca.pem` (with its key beside it, readable only by the owner) and reused on
//! the next start, so a client trusting it once keeps trusting the emulator. The server certificate is issued
//! fresh at each start for `localhost`, `127.0.0.1` and `::1`.

use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use super::{EmulatorError, write_private};

/// The CA certificate's file name in the state directory.
pub const CA_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";

/// The CA's parameters. Only the name, key identifier method and key usages matter when it signs, so rebuilding
/// them from this function and the saved key signs certificates that chain to the saved `ca.pem`.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "dataprotection-emulator local CA");
    name.push(DnType::OrganizationName, "dataprotection-emulator");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(3650);
    params
}

fn tls_error(context: &str, error: impl std::fmt::Display) -> EmulatorError {
    EmulatorError::Tls(format!("{context}: {error}"))
}

/// Loads the CA from the state directory, or creates and saves one.
fn load_or_create_ca(state_dir: &Path) -> Result<KeyPair, EmulatorError> {
    let cert_path = state_dir.join(CA_FILE);
    let key_path = state_dir.join(CA_KEY_FILE);
    if cert_path.is_file() && key_path.is_file() {
        let key_pem = std::fs::read_to_string(&key_path).map_err(|source| EmulatorError::io(&key_path, source))?;
        return KeyPair::from_pem(&key_pem).map_err(|error| tls_error("reading the CA key", error));
    }
    let key = KeyPair::generate().map_err(|error| tls_error("generating the CA key", error))?;
    let certificate = ca_params().self_signed(&key).map_err(|error| tls_error("signing the CA certificate", error))?;
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    std::fs::write(&cert_path, certificate.pem()).map_err(|source| EmulatorError::io(&cert_path, source))?;
    Ok(key)
}

/// The TLS configuration of the emulator's server, with the one crypto provider the project uses (aws-lc-rs).
pub(crate) fn server_config(state_dir: &Path) -> Result<Arc<rustls::ServerConfig>, EmulatorError> {
    let ca_key = load_or_create_ca(state_dir)?;
    let ca_pem_path = state_dir.join(CA_FILE);
    let ca_pem = std::fs::read_to_string(&ca_pem_path).map_err(|source| EmulatorError::io(&ca_pem_path, source))?;
    let ca_der = rustls::pki_types::pem::PemObject::from_pem_slice(ca_pem.as_bytes())
        .map_err(|error: rustls::pki_types::pem::Error| tls_error("reading ca.pem", error))?;
    let issuer = Issuer::new(ca_params(), ca_key);

    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()])
        .map_err(|error| tls_error("preparing the server certificate", error))?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "dataprotection-emulator");
    params.distinguished_name = name;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(365);
    let server_key = KeyPair::generate().map_err(|error| tls_error("generating the server key", error))?;
    let certificate =
        params.signed_by(&server_key, &issuer).map_err(|error| tls_error("signing the server certificate", error))?;

    let chain: Vec<CertificateDer<'static>> = vec![certificate.der().clone(), ca_der];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| tls_error("choosing TLS versions", error))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| tls_error("loading the server certificate", error))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
