//! The one HTTP client the provider uses, for the resource manager and for sign-in alike.
//!
//! TLS trust follows the convention of Go-built providers: the system's roots, or the bundle named by
//! `SSL_CERT_FILE` / the folder named by `SSL_CERT_DIR`. Certificate verification is always on, and the client
//! never follows redirects (a redirect could carry a bearer token to another host).

use std::sync::Arc;
use std::time::Duration;

/// Builds the shared client.
pub fn client() -> Result<reqwest::Client, String> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 {
        let mut message = "no trusted root certificates were found".to_owned();
        for error in loaded.errors.iter().take(3) {
            message.push_str(&format!("; {error}"));
        }
        message.push_str(". Set SSL_CERT_FILE to a PEM bundle, or SSL_CERT_DIR to a folder of certificates.");
        return Err(message);
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .build()
        .map_err(|e| format!("the HTTP client could not be built: {e}"))
}
