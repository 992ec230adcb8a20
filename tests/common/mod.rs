//! Shared by the plugin integration tests: certificates like Terraform's, a gRPC client that connects to the
//! plugin's unix socket the way go-plugin does, and a small test provider.
#![allow(dead_code, missing_docs)]

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use dataprotection::plugin::codec;
use dataprotection::plugin::diagnostics::{AttributePath, Diagnostics};
use dataprotection::plugin::interface::*;
use dataprotection::plugin::proto::go_plugin::grpc_controller_client::GrpcControllerClient;
use dataprotection::plugin::proto::go_plugin::grpc_stdio_client::GrpcStdioClient;
use dataprotection::plugin::proto::health::health_client::HealthClient;
use dataprotection::plugin::proto::tfplugin6 as pb;
use dataprotection::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use dataprotection::plugin::value::{Type, Value};
use dataprotection::plugin::{ServeOptions, Server};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::UnixStream;
use tokio::sync::Notify;
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint, Uri};

/// A client certificate made the way go-plugin makes Terraform's: a self-signed ECDSA P-521 CA.
pub struct ClientIdentity {
    pub pem: String,
    pub der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl ClientIdentity {
    pub fn generate() -> ClientIdentity {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.extended_key_usages =
            vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth, rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.self_signed(&key).expect("certificate");
        ClientIdentity { pem: cert.pem(), der: cert.der().clone(), key: PrivatePkcs8KeyDer::from(key.serialize_der()) }
    }
}

/// Trusts exactly one server certificate for `localhost`, as go-plugin's client does with the certificate
/// from the handshake line.
#[derive(Debug)]
struct PinnedServer {
    expected: CertificateDer<'static>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let localhost = matches!(server_name, ServerName::DnsName(name) if name.as_ref() == "localhost");
        if localhost && end_entity.as_ref() == self.expected.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Connects to the plugin socket over TLS, presenting `client` (or no certificate), offering ALPN h2.
pub async fn connect(
    socket: &Path,
    server_certificate: &CertificateDer<'static>,
    client: Option<&ClientIdentity>,
) -> Result<Channel, Box<dyn std::error::Error + Send + Sync>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer { expected: server_certificate.clone(), provider }));
    let mut config = match client {
        Some(identity) => {
            builder.with_client_auth_cert(vec![identity.der.clone()], PrivateKeyDer::Pkcs8(identity.key.clone_key()))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = TlsConnector::from(Arc::new(config));
    let socket: PathBuf = socket.to_path_buf();
    let channel = Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(5))
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let connector = connector.clone();
            let socket = socket.clone();
            async move {
                let stream = UnixStream::connect(&socket).await?;
                let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
                let tls = connector.connect(name, stream).await?;
                Ok::<_, io::Error>(TokioIo::new(tls))
            }
        }))
        .await?;
    Ok(channel)
}

/// A provider client over `channel`.
pub fn provider_client(channel: Channel) -> pb::provider_client::ProviderClient<Channel> {
    pb::provider_client::ProviderClient::new(channel)
}

pub fn health_client(channel: Channel) -> HealthClient<Channel> {
    HealthClient::new(channel)
}

pub fn controller_client(channel: Channel) -> GrpcControllerClient<Channel> {
    GrpcControllerClient::new(channel)
}

pub fn stdio_client(channel: Channel) -> GrpcStdioClient<Channel> {
    GrpcStdioClient::new(channel)
}

/// Signals shared between a test and its resources.
#[derive(Default)]
pub struct Signals {
    /// Notified when a slow apply has started waiting.
    pub apply_started: Notify,
}

/// `test_thing`: name (required), id (computed), tags (list), secret (sensitive), a `timeouts` block.
/// A name of `"slow"` makes apply wait until StopProvider (or 30 s); `"panic"` makes plan panic.
pub struct Thing {
    pub signals: Arc<Signals>,
}

pub fn thing_schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            attributes: vec![
                Attribute::required("name", Type::String),
                Attribute::computed("id", Type::String),
                Attribute::optional("tags", Type::list(Type::String)),
                Attribute::optional("secret", Type::String).sensitive(),
                Attribute::computed("outcome", Type::String),
            ],
            blocks: vec![NestedBlock::single(
                "timeouts",
                Block { attributes: vec![Attribute::optional("create", Type::String)], ..Block::default() },
            )],
            ..Block::default()
        },
    }
}

pub fn thing_type() -> Type {
    thing_schema().block.value_type()
}

/// A `test_thing` value with `name` and everything else null.
pub fn thing(name: &str) -> Value {
    let mut value = Value::object([("name", Value::from(name))]);
    for attribute in ["id", "tags", "secret", "outcome", "timeouts"] {
        value.set_attr(attribute, Value::Null);
    }
    value
}

pub fn dynamic(value: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue { msgpack: codec::to_msgpack(value, &thing_type()).expect("encodes"), json: Vec::new() })
}

pub fn undynamic(value: Option<pb::DynamicValue>) -> Value {
    codec::from_msgpack(&value.expect("a value").msgpack, &thing_type()).expect("decodes")
}

#[async_trait::async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }

    fn schema(&self) -> Schema {
        thing_schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        if config.attr("name").as_str().is_some_and(|n| n.contains('!')) {
            diagnostics.attribute_error(AttributePath::root("name"), "Invalid name", "Names cannot contain '!'.");
        }
        diagnostics
    }

    async fn plan(&self, _: &Context, request: PlanRequest) -> PlanResponse {
        let mut planned = request.proposed_new_state;
        if planned.attr("name").as_str() == Some("panic") {
            panic!("plan exploded");
        }
        if request.prior_state.is_null() && !planned.is_null() {
            planned.set_attr("id", Value::Unknown);
            planned.set_attr("outcome", Value::Unknown);
        }
        PlanResponse { planned_state: planned, ..PlanResponse::default() }
    }

    async fn apply(&self, ctx: &Context, request: ApplyRequest) -> ApplyResponse {
        let mut state = request.planned_state;
        if state.is_null() {
            return ApplyResponse::default();
        }
        let name = state.attr("name").as_str().unwrap_or_default().to_owned();
        state.set_attr("id", Value::from(format!("thing-{name}")));
        let mut diagnostics = Diagnostics::new();
        let outcome = if name == "slow" {
            self.signals.apply_started.notify_one();
            tokio::select! {
                _ = ctx.stopped() => {
                    diagnostics.error("Interrupted", "Terraform asked the provider to stop.");
                    "stopped"
                }
                _ = tokio::time::sleep(Duration::from_secs(30)) => "finished",
            }
        } else {
            "created"
        };
        state.set_attr("outcome", Value::from(outcome));
        ApplyResponse { new_state: state, private: Vec::new(), diagnostics }
    }

    async fn read(&self, _: &Context, request: ReadRequest) -> ReadResponse {
        ReadResponse { new_state: request.current_state, private: request.private, ..ReadResponse::default() }
    }

    async fn import(&self, _: &Context, request: ImportRequest) -> ImportResponse {
        let mut state = thing(&request.id);
        state.set_attr("id", Value::from(format!("thing-{}", request.id)));
        ImportResponse { imported: vec![ImportedResource { state, private: Vec::new() }], ..ImportResponse::default() }
    }
}

pub struct TestProvider {
    pub signals: Arc<Signals>,
}

#[async_trait::async_trait]
impl Provider for TestProvider {
    fn type_name(&self) -> &'static str {
        "test"
    }

    fn schema(&self) -> Schema {
        Schema::default()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing { signals: self.signals.clone() })]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    async fn configure(&self, _: &Context, _: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
}

/// A server for the test provider in this process, accepting `client`'s certificate.
pub async fn start_server(client: &ClientIdentity, signals: Arc<Signals>) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let options = ServeOptions { client_cert_pem: client.pem.clone(), socket_dir: Some(dir.path().to_path_buf()) };
    let server = Server::start(Arc::new(TestProvider { signals }), options).await.expect("server starts");
    (server, dir)
}
