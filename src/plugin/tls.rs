//! Automatic mutual TLS as go-plugin does it: a fresh self-signed server certificate each start, sent to
//! Terraform in the handshake line, and Terraform's own certificate (from `PLUGIN_CLIENT_CERT`) pinned: only
//! a client presenting exactly that certificate, and proving it holds its key, gets in.
//!
//! Terraform's certificate is an ECDSA P-521 CA certificate used as a client certificate; WebPKI path
//! validation refuses that (a CA used as end entity), and ring cannot verify P-521. So the verifier compares
//! certificates byte for byte and checks the handshake signature with aws-lc-rs, the one crypto provider
//! this process uses.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` is not a PEM certificate.
    #[error("PLUGIN_CLIENT_CERT is not a PEM certificate: {0}")]
    ClientCertificate(String),
    /// The server certificate could not be generated.
    #[error("generating the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("configuring TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The crypto provider every TLS connection of this process uses.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Makes aws-lc-rs the process-wide rustls provider, so that no library has to guess between providers.
/// Harmless when one is installed already.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Parses the first certificate of a PEM text.
pub fn certificate_from_pem(pem: &str) -> Result<CertificateDer<'static>, TlsError> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| TlsError::ClientCertificate(e.to_string()))
}

/// The server's certificate and key.
pub struct ServerIdentity {
    /// The certificate, DER; its base64 goes in the handshake line.
    pub certificate: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity").field("certificate_len", &self.certificate.len()).finish_non_exhaustive()
    }
}

impl ServerIdentity {
    /// A fresh ECDSA P-256 certificate in the shape go-plugin's client accepts: it trusts the certificate as
    /// its own root and checks the name `localhost`, so the certificate is a CA, names `localhost`, and may
    /// serve both ends of TLS.
    pub fn generate() -> Result<ServerIdentity, TlsError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
        params.distinguished_name.push(rcgen::DnType::OrganizationName, "terraform-provider-dataprotection");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature, rcgen::KeyUsagePurpose::KeyCertSign];
        params.extended_key_usages =
            vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth, rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let certificate = params.self_signed(&key)?;
        Ok(ServerIdentity {
            certificate: certificate.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }

    /// The rustls server configuration: this identity, Terraform's certificate pinned and required, HTTP/2.
    pub fn server_config(&self, client_certificate: CertificateDer<'static>) -> Result<ServerConfig, TlsError> {
        let provider = crypto_provider();
        let verifier = Arc::new(PinnedClientCertificate::new(client_certificate, &provider));
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![self.certificate.clone()], PrivateKeyDer::Pkcs8(self.key.clone_key()))?;
        // grpc-go refuses servers that do not negotiate h2 through ALPN.
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(config)
    }
}

/// Accepts exactly one client certificate, compared byte for byte, and checks the client's handshake
/// signature against it.
#[derive(Debug)]
pub struct PinnedClientCertificate {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertificate {
    /// Pins `expected`, verifying signatures with `provider`'s algorithms.
    pub fn new(expected: CertificateDer<'static>, provider: &CryptoProvider) -> PinnedClientCertificate {
        PinnedClientCertificate { expected, algorithms: provider.signature_verification_algorithms }
    }
}

impl ClientCertVerifier for PinnedClientCertificate {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: Go's client then offers its one certificate, as long as its signature scheme is listed.
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_certificate_is_a_localhost_ca_for_both_ends() {
        let identity = ServerIdentity::generate().unwrap();
        let der = identity.certificate.as_ref();
        // OIDs in DER: basicConstraints, subjectAltName with dNSName "localhost", serverAuth and clientAuth.
        let contains = |needle: &[u8]| der.windows(needle.len()).any(|w| w == needle);
        assert!(contains(&[0x55, 0x1d, 0x13]), "basic constraints");
        assert!(contains(&[0x82, 0x09, b'l', b'o', b'c', b'a', b'l', b'h', b'o', b's', b't']), "SAN localhost");
        assert!(contains(&[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01]), "serverAuth");
        assert!(contains(&[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02]), "clientAuth");
        // Each start gets its own certificate.
        assert_ne!(ServerIdentity::generate().unwrap().certificate, identity.certificate);
    }

    #[test]
    fn verifier_accepts_only_the_pinned_certificate_and_knows_p521() {
        let pinned = ServerIdentity::generate().unwrap().certificate;
        let other = ServerIdentity::generate().unwrap().certificate;
        let verifier = PinnedClientCertificate::new(pinned.clone(), &crypto_provider());
        assert!(verifier.verify_client_cert(&pinned, &[], UnixTime::now()).is_ok());
        assert!(verifier.verify_client_cert(&other, &[], UnixTime::now()).is_err());
        assert!(verifier.client_auth_mandatory());
        assert!(verifier.supported_verify_schemes().contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }

    #[test]
    fn client_certificate_pem_is_parsed() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap().self_signed(&key).unwrap();
        assert_eq!(certificate_from_pem(&cert.pem()).unwrap(), *cert.der());
        assert!(certificate_from_pem("not a certificate").is_err());
    }
}
