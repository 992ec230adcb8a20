//! The release path: `scripts/release.sh` packages and signs the provider, and `terraform init` installs it from a
//! filesystem mirror (recording the same `h1:` hash the package's mirror metadata announces) and from a registry
//! on loopback that speaks the provider registry protocol over HTTPS, checking the signature of SHA256SUMS as it
//! does against the public registry: a release signed by another key than the registry announces, an armored
//! signature and a tampered SHA256SUMS are each refused.

use crate::support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use support::terraform::PROVIDER;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const NAME: &str = "terraform-provider-dataprotection";

fn sha256_hex(bytes: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `command`, which must succeed; returns stdout and stderr together.
fn run(command: &mut Command) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?} could not start: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

/// This machine's platform in Terraform's spelling.
fn platform() -> (&'static str, &'static str) {
    (std::env::consts::OS, if std::env::consts::ARCH == "x86_64" { "amd64" } else { "arm64" })
}

fn zip_name() -> String {
    let (os, arch) = platform();
    format!("{NAME}_{VERSION}_{os}_{arch}.zip")
}

fn sums_name() -> String {
    format!("{NAME}_{VERSION}_SHA256SUMS")
}

/// A GnuPG home of the test's own with throwaway keys; its agent is stopped when dropped.
struct Keyring {
    home: tempfile::TempDir,
}

impl Keyring {
    fn new() -> Keyring {
        // Under /tmp: gpg-agent's socket path must stay short.
        let home = tempfile::Builder::new().prefix("gpg").tempdir_in("/tmp").expect("GnuPG home");
        Keyring { home }
    }

    fn gpg(&self) -> Command {
        let mut command = Command::new("gpg");
        command.env("GNUPGHOME", self.home.path()).args(["--batch", "--yes", "--pinentry-mode", "loopback"]);
        command
    }

    /// Makes a key without a passphrase; returns its fingerprint.
    fn generate(&self, user: &str, algorithm: &str) -> String {
        run(self.gpg().args(["--passphrase", "", "--quick-gen-key", user, algorithm, "sign", "never"]));
        let listing = run(self.gpg().args(["--with-colons", "--list-secret-keys", user]));
        listing
            .lines()
            .find_map(|line| line.strip_prefix("fpr:").map(|rest| rest.trim_matches(':').to_owned()))
            .expect("the new key's fingerprint")
    }

    fn export(&self, fingerprint: &str, secret: bool) -> String {
        let what = if secret { "--export-secret-keys" } else { "--export" };
        run(self.gpg().args(["--armor", what, fingerprint]))
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf").env("GNUPGHOME", self.home.path()).args(["--kill", "gpg-agent"]).status();
    }
}

/// A release of the test build, made once per test run by `scripts/release.sh package` and signed with key A
/// (given as `GPG_PRIVATE_KEY`, as the release workflow gives it); key B signs nothing. The keyring is gone once
/// this is made (a static is never dropped, and its gpg-agent would outlive the tests).
struct Release {
    dist: PathBuf,
    /// Key A's fingerprint.
    key_a: String,
    key_a_public: String,
    key_b: String,
    key_b_public: String,
    /// SHA256SUMS signed by key A, armored.
    armored_signature: Vec<u8>,
}

fn release() -> &'static Release {
    static RELEASE: OnceLock<Release> = OnceLock::new();
    RELEASE.get_or_init(|| {
        let keys = Keyring::new();
        let key_a = keys.generate("release key A <a@localhost>", "rsa2048");
        let key_b = keys.generate("release key B <b@localhost>", "rsa2048");
        // Under cargo's folder for test files, replaced at each run, so that nothing is left in /tmp.
        let dist = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-dist");
        let _ = std::fs::remove_dir_all(&dist);
        let (os, arch) = platform();
        run(Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/release.sh"))
            .args(["package"])
            .arg(&dist)
            .arg(format!("{os}_{arch}={PROVIDER}"))
            .env("GPG_PRIVATE_KEY", keys.export(&key_a, true))
            .env("RELEASE_REQUIRE_KEY", "1")
            .env_remove("GPG_FINGERPRINT")
            .env_remove("GNUPGHOME"));
        let armored = keys.home.path().join("SHA256SUMS.asc");
        run(keys
            .gpg()
            .args(["--armor", "--detach-sign", "--local-user", &key_a, "--output"])
            .arg(&armored)
            .arg(dist.join(sums_name())));
        Release {
            key_a_public: keys.export(&key_a, false),
            key_b_public: keys.export(&key_b, false),
            armored_signature: std::fs::read(&armored).unwrap(),
            dist,
            key_a,
            key_b,
        }
    })
}

fn terraform_init(dir: &Path, cli_config: &Path, ca_pem: Option<&Path>) -> std::process::Output {
    let mut command = Command::new("terraform");
    command
        .args(["init", "-no-color", "-input=false"])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1");
    if let Some(ca_pem) = ca_pem {
        command.env("SSL_CERT_FILE", ca_pem);
    }
    command.output().expect("terraform runs")
}

fn required_provider(source: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    dataprotection = {{\n      source  = \"{source}\"\n      version = \"~> 0.1\"\n    }}\n  }}\n}}\n"
    )
}

#[test]
fn a_release_installs_from_a_mirror_with_a_matching_lock_hash() {
    support::terraform_version::require_terraform();
    let release = release();
    let dist = &release.dist;
    let zip_name = zip_name();
    let zip = std::fs::read(dist.join(&zip_name)).expect("the zip");
    let sums = std::fs::read_to_string(dist.join(sums_name())).unwrap();
    assert!(sums.contains(&format!("{}  {zip_name}", sha256_hex(&zip))), "SHA256SUMS lists the zip's digest:\n{sums}");
    let manifest_bytes = std::fs::read(dist.join(format!("{NAME}_{VERSION}_manifest.json"))).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
    assert_eq!(manifest["metadata"]["protocol_versions"], serde_json::json!(["6.0"]));
    assert!(
        sums.contains(&format!("{}  {NAME}_{VERSION}_manifest.json", sha256_hex(&manifest_bytes))),
        "SHA256SUMS lists the manifest's digest:\n{sums}"
    );
    assert_eq!(sums.lines().count(), 2, "one line for the zip, one for the manifest:\n{sums}");

    // The zip holds exactly the binary, under the name Terraform looks for.
    let listing = run(Command::new("unzip").arg("-Z1").arg(dist.join(&zip_name)));
    assert_eq!(listing.trim(), format!("{NAME}_v{VERSION}"));

    let (os, arch) = platform();
    let mirror = dist.join("mirror");
    let package = mirror.join("registry.terraform.io/dpkit/dataprotection");
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(package.join(format!("{VERSION}.json"))).unwrap()).unwrap();
    let hashes = &meta["archives"][format!("{os}_{arch}")]["hashes"];
    let h1 = hashes.as_array().unwrap().iter().filter_map(|h| h.as_str()).find(|h| h.starts_with("h1:")).unwrap();
    let zh = format!("zh:{}", sha256_hex(&zip));
    assert!(hashes.as_array().unwrap().iter().any(|h| h.as_str() == Some(zh.as_str())), "{hashes}");

    let temp = tempfile::tempdir().expect("temporary folder");
    let work = temp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let cli_config = temp.path().join("terraform.rc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/dpkit/dataprotection\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/dpkit/dataprotection\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    std::fs::write(work.join("main.tf"), required_provider("dpkit/dataprotection")).unwrap();
    let init = terraform_init(&work, &cli_config, None);
    assert!(init.status.success(), "terraform init from the mirror:\n{init:?}");
    let lock = std::fs::read_to_string(work.join(".terraform.lock.hcl")).expect("terraform init writes a lock file");
    assert!(lock.contains("provider \"registry.terraform.io/dpkit/dataprotection\""), "{lock}");
    assert!(lock.contains(&format!("version     = \"{VERSION}\"")), "{lock}");
    assert!(lock.contains(&format!("\"{h1}\"")), "the lock file records the package's h1 hash {h1}:\n{lock}");

    let version = run(Command::new("terraform")
        .arg("version")
        .current_dir(&work)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &work)
        .env("TF_CLI_CONFIG_FILE", &cli_config)
        .env("CHECKPOINT_DISABLE", "1"));
    assert!(version.contains(&format!("provider registry.terraform.io/dpkit/dataprotection v{VERSION}")), "{version}");
}

/// What one namespace of the loopback registry serves: the release as made, or spoiled in one way.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    /// The release, with key A announced.
    Good,
    /// The release, with only key B announced.
    WrongKey,
    /// SHA256SUMS signed by key A, but armored.
    Armored,
    /// The release's signature, over a SHA256SUMS with one digit changed (in the manifest's line, so that the
    /// zip's digest still matches and only the signature can tell).
    Tampered,
}

impl Variant {
    fn namespace(self) -> &'static str {
        match self {
            Variant::Good => "good",
            Variant::WrongKey => "wrongkey",
            Variant::Armored => "armored",
            Variant::Tampered => "tampered",
        }
    }

    fn from_namespace(namespace: &str) -> Option<Variant> {
        [Variant::Good, Variant::WrongKey, Variant::Armored, Variant::Tampered]
            .into_iter()
            .find(|v| v.namespace() == namespace)
    }
}

/// The files and keys the registry serves, read once.
struct Served {
    zip: Vec<u8>,
    sums: Vec<u8>,
    signature: Vec<u8>,
    armored_signature: Vec<u8>,
    tampered_sums: Vec<u8>,
    key_a: String,
    key_b: String,
    key_a_id: String,
    key_b_id: String,
}

/// A provider registry (service discovery, versions, download) and its file host, over HTTPS on 127.0.0.1 with
/// a throwaway CA; the first part of the path after `/v1/providers/` picks the [`Variant`].
struct Registry {
    address: SocketAddr,
    ca_pem: PathBuf,
    _runtime: tokio::runtime::Runtime,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(start_registry)
}

fn start_registry() -> Registry {
    let release = release();
    let dist = &release.dist;
    let sums = std::fs::read(dist.join(sums_name())).expect("SHA256SUMS");
    let signature = std::fs::read(dist.join(format!("{}.sig", sums_name()))).expect("SHA256SUMS.sig");
    // Under cargo's folder for test files, replaced at each run: a static is never dropped.
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-registry");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    let text = String::from_utf8(sums.clone()).unwrap();
    let manifest_line = text.lines().find(|l| l.ends_with("_manifest.json")).expect("the manifest's line");
    let first = manifest_line.as_bytes()[0];
    let tampered_line = format!("{}{}", if first == b'0' { '1' } else { '0' }, &manifest_line[1..]);
    let tampered_sums = text.replace(manifest_line, &tampered_line).into_bytes();
    assert_ne!(tampered_sums, sums);
    let key_id = |fingerprint: &str| fingerprint[fingerprint.len() - 16..].to_owned();
    let served = Arc::new(Served {
        zip: std::fs::read(dist.join(zip_name())).expect("the zip"),
        sums,
        signature,
        armored_signature: release.armored_signature.clone(),
        tampered_sums,
        key_a: release.key_a_public.clone(),
        key_b: release.key_b_public.clone(),
        key_a_id: key_id(&release.key_a),
        key_b_id: key_id(&release.key_b),
    });

    // The CA terraform trusts (through SSL_CERT_FILE) and the server's certificate for localhost.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::default();
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "loopback registry test CA");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca_pem = folder.join("ca.pem");
    std::fs::write(&ca_pem, ca_cert.pem()).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server_cert = params.signed_by(&server_key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        )
        .unwrap();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("a loopback port");
    let address = listener.local_addr().unwrap();
    let base = format!("https://localhost:{}", address.port());
    let app = registry_routes(served, base);
    runtime.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else { return };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Registry { address, ca_pem, _runtime: runtime }
}

fn registry_routes(served: Arc<Served>, base: String) -> axum::Router {
    use axum::extract::Path as UrlPath;
    use axum::http::StatusCode;
    use axum::routing::get;

    let (os, arch) = platform();
    let versions = move |UrlPath(namespace): UrlPath<String>| async move {
        if Variant::from_namespace(&namespace).is_none() {
            return Err(StatusCode::NOT_FOUND);
        }
        Ok(axum::Json(serde_json::json!({
            "versions": [{ "version": VERSION, "protocols": ["6.0"], "platforms": [{ "os": os, "arch": arch }] }]
        })))
    };
    let download = {
        let served = served.clone();
        move |UrlPath((namespace, version, want_os, want_arch)): UrlPath<(String, String, String, String)>| {
            let (served, base) = (served.clone(), base.clone());
            async move {
                let variant = Variant::from_namespace(&namespace).ok_or(StatusCode::NOT_FOUND)?;
                if version != VERSION || want_os != os || want_arch != arch {
                    return Err(StatusCode::NOT_FOUND);
                }
                let (key, key_id) = match variant {
                    Variant::WrongKey => (&served.key_b, &served.key_b_id),
                    _ => (&served.key_a, &served.key_a_id),
                };
                let files = format!("{base}/files/{namespace}");
                Ok(axum::Json(serde_json::json!({
                    "protocols": ["6.0"],
                    "os": os,
                    "arch": arch,
                    "filename": zip_name(),
                    "download_url": format!("{files}/{}", zip_name()),
                    "shasums_url": format!("{files}/{}", sums_name()),
                    "shasums_signature_url": format!("{files}/{}.sig", sums_name()),
                    "shasum": sha256_hex(&served.zip),
                    "signing_keys": { "gpg_public_keys": [{ "key_id": key_id, "ascii_armor": key }] },
                })))
            }
        }
    };
    let files = move |UrlPath((namespace, file)): UrlPath<(String, String)>| {
        let served = served.clone();
        async move {
            let variant = Variant::from_namespace(&namespace).ok_or(StatusCode::NOT_FOUND)?;
            let body = if file == zip_name() {
                served.zip.clone()
            } else if file == sums_name() {
                if variant == Variant::Tampered { served.tampered_sums.clone() } else { served.sums.clone() }
            } else if file == format!("{}.sig", sums_name()) {
                if variant == Variant::Armored { served.armored_signature.clone() } else { served.signature.clone() }
            } else {
                return Err(StatusCode::NOT_FOUND);
            };
            Ok(body)
        }
    };
    axum::Router::new()
        .route(
            "/.well-known/terraform.json",
            get(|| async { axum::Json(serde_json::json!({ "providers.v1": "/v1/providers/" })) }),
        )
        .route("/v1/providers/{namespace}/dataprotection/versions", get(versions))
        .route("/v1/providers/{namespace}/dataprotection/{version}/download/{os}/{arch}", get(download))
        .route("/files/{namespace}/{file}", get(files))
}

/// `terraform init` of a configuration that requires the provider from the loopback registry's `variant`.
fn init_from_registry(variant: Variant) -> (std::process::Output, tempfile::TempDir) {
    support::terraform_version::require_terraform();
    let registry = registry();
    let temp = tempfile::tempdir().expect("temporary folder");
    let cli_config = temp.path().join("terraform.rc");
    std::fs::write(&cli_config, "").unwrap();
    let source = format!("localhost:{}/{}/dataprotection", registry.address.port(), variant.namespace());
    std::fs::write(temp.path().join("main.tf"), required_provider(&source)).unwrap();
    let output = terraform_init(temp.path(), &cli_config, Some(&registry.ca_pem));
    (output, temp)
}

fn text(output: &std::process::Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Asserts that init failed on the signature and installed nothing.
fn assert_refused(variant: Variant, expected: &[&str]) {
    let (output, dir) = init_from_registry(variant);
    let all = text(&output);
    assert!(!output.status.success(), "terraform init must refuse the {variant:?} release:\n{all}");
    // Terraform wraps its messages; compare with the line breaks taken out.
    let lower = all.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(lower.contains("signature"), "the {variant:?} release is refused for its signature:\n{all}");
    for part in expected {
        assert!(lower.contains(part), "{part:?} in:\n{all}");
    }
    let installed = dir.path().join(".terraform/providers").join(format!("localhost:{}", registry().address.port()));
    let binary = walk_for_binary(&installed);
    assert!(binary.is_none(), "nothing is installed from the {variant:?} release: {binary:?}");
}

fn walk_for_binary(dir: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = walk_for_binary(&path) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with(NAME)) {
            return Some(path);
        }
    }
    None
}

#[test]
fn terraform_init_installs_a_signed_release_from_a_registry() {
    let (output, dir) = init_from_registry(Variant::Good);
    let all = text(&output);
    assert!(output.status.success(), "terraform init from the loopback registry:\n{all}");
    let release = release();
    let key_id = &release.key_a[release.key_a.len() - 16..];
    assert!(
        all.contains(&format!("Installed localhost:{}/good/dataprotection v{VERSION}", registry().address.port())),
        "{all}"
    );
    assert!(all.contains(&format!("key ID {key_id}")), "terraform names the key that signed the release:\n{all}");
    let lock = std::fs::read_to_string(dir.path().join(".terraform.lock.hcl")).expect("the lock file");
    let zip = std::fs::read(release.dist.join(zip_name())).unwrap();
    assert!(lock.contains(&format!("\"zh:{}\"", sha256_hex(&zip))), "the lock file records the zip's digest:\n{lock}");
    let binary = walk_for_binary(&dir.path().join(".terraform/providers")).expect("the provider is installed");
    assert_eq!(binary.file_name().unwrap().to_string_lossy(), format!("{NAME}_v{VERSION}"));
}

#[test]
fn terraform_init_refuses_a_release_signed_by_another_key() {
    assert_refused(Variant::WrongKey, &["authentication signature from unknown issuer"]);
}

#[test]
fn terraform_init_refuses_an_armored_signature() {
    // Terraform reads the signature as binary OpenPGP packets, which armor is not.
    assert_refused(Variant::Armored, &["error checking signature", "invalid data"]);
}

#[test]
fn terraform_init_refuses_a_tampered_sha256sums() {
    assert_refused(Variant::Tampered, &["error checking signature", "invalid signature"]);
}

#[test]
fn the_release_script_signs_only_with_an_rsa_key() {
    let keys = Keyring::new();
    let ed25519 = keys.generate("ed25519 key <e@localhost>", "ed25519");
    let temp = tempfile::tempdir().expect("temporary folder");
    let binary = temp.path().join("provider");
    std::fs::write(&binary, b"not really a provider").unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/release.sh");
    let attempt = |dist: &str, key: Option<String>| {
        let mut command = Command::new(&script);
        command
            .args(["package"])
            .arg(temp.path().join(dist))
            .arg(format!("linux_amd64={}", binary.display()))
            .env("RELEASE_REQUIRE_KEY", "1")
            .env_remove("GPG_FINGERPRINT")
            .env_remove("GNUPGHOME");
        match key {
            Some(key) => command.env("GPG_PRIVATE_KEY", key),
            None => command.env_remove("GPG_PRIVATE_KEY"),
        };
        command.output().expect("the release script runs")
    };
    let refused = attempt("ed25519", Some(keys.export(&ed25519, true)));
    assert!(!refused.status.success(), "{refused:?}");
    assert!(text(&refused).contains("not an RSA key"), "{}", text(&refused));
    assert!(!temp.path().join("ed25519").join(format!("{}.sig", sums_name())).exists());
    let unsigned = attempt("none", None);
    assert!(!unsigned.status.success(), "{unsigned:?}");
    assert!(text(&unsigned).contains("no signing key"), "{}", text(&unsigned));
}

// The cross-built release on this machine (`make release-check`, which builds it first): each platform's binary,
// from its zip, runs the quickstart (apply, plan with no changes, destroy) against the emulator, driven by the
// real terraform through dev_overrides. They are ignored by `make test`, which does not cross-build.

/// The folder `make release` wrote (`RELEASE_DIST`, else `dist/`).
fn release_dist() -> PathBuf {
    std::env::var_os("RELEASE_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("dist"))
}

/// Unzips `platform`'s package from the release into `into`; returns the binary.
fn unpack(platform: &str, into: &Path) -> PathBuf {
    let zip = release_dist().join(format!("{NAME}_{VERSION}_{platform}.zip"));
    assert!(zip.is_file(), "{} is missing: run `make release` first", zip.display());
    let sums = std::fs::read_to_string(release_dist().join(sums_name())).expect("SHA256SUMS of the release");
    let digest = sha256_hex(&std::fs::read(&zip).unwrap());
    assert!(sums.contains(&format!("{digest}  {NAME}_{VERSION}_{platform}.zip")), "{platform} in SHA256SUMS:\n{sums}");
    std::fs::create_dir_all(into).unwrap();
    run(Command::new("unzip").arg("-q").arg("-o").arg(&zip).arg("-d").arg(into));
    let exe = if platform.starts_with("windows") { ".exe" } else { "" };
    let binary = into.join(format!("{NAME}_v{VERSION}{exe}"));
    assert!(binary.is_file(), "{} in the zip", binary.display());
    binary
}

/// Requires `tool` on PATH (make release-check installs it).
fn require_tool(tool: &str) {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).any(|d| d.join(tool).is_file());
    assert!(found, "{tool} is required (make release-check installs it)");
}

/// Writes a provider named for dev_overrides into `dir`: `script` when the binary needs a runner (qemu, wine),
/// else a link to the binary itself.
fn provider_launcher(dir: &Path, binary: &Path, script: Option<String>) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let launcher = dir.join(NAME);
    match script {
        Some(script) => {
            std::fs::write(&launcher, script).unwrap();
            std::fs::set_permissions(&launcher, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        None => std::os::unix::fs::symlink(binary, &launcher).unwrap(),
    }
}

/// The quickstart (examples/quickstart) against a fresh emulator, with the provider `launcher_dir` holds: apply,
/// plan without changes, destroy.
async fn quickstart(launcher_dir: &Path) {
    use dataprotection_emulator::default_world as world;
    let workspace = support::terraform::Workspace::start().await;
    let work = workspace.work_dir();
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart/main.tf"), work.join("main.tf"))
        .unwrap();
    let cli_config = launcher_dir.join("terraform.rc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"dpkit/dataprotection\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            launcher_dir.display()
        ),
    )
    .unwrap();
    let terraform = |args: &'static [&'static str]| {
        let mut command = workspace.command(args);
        command
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("ARM_METADATA_HOSTNAME", workspace.emulator.metadata_host())
            .env("ARM_TENANT_ID", world::TENANT_ID)
            .env("ARM_CLIENT_ID", world::CLIENT_ID)
            .env("ARM_CLIENT_SECRET", world::CLIENT_SECRET)
            .env("ARM_SUBSCRIPTION_ID", world::SUBSCRIPTION_ID);
        async move {
            let output = command.output().await.expect("terraform runs");
            let text =
                format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            (output.status.code().unwrap_or(-1), text)
        }
    };
    let (code, out) = terraform(&["apply", "-auto-approve", "-no-color"]).await;
    assert_eq!(code, 0, "quickstart apply:\n{out}");
    assert!(out.contains("Apply complete! Resources: 1 added"), "{out}");
    assert_eq!(workspace.instance_ids().len(), 1, "the emulator holds the new backup instance");
    let (code, out) = terraform(&["plan", "-detailed-exitcode", "-no-color"]).await;
    assert_eq!(code, 0, "the plan after apply shows no changes:\n{out}");
    let (code, out) = terraform(&["destroy", "-auto-approve", "-no-color"]).await;
    assert_eq!(code, 0, "quickstart destroy:\n{out}");
    assert!(out.contains("Destroy complete! Resources: 1 destroyed"), "{out}");
    assert!(workspace.instance_ids().is_empty(), "the backup instance is gone");
}

#[tokio::test]
#[ignore = "make release-check: needs the cross-built release in dist/"]
async fn release_check_the_static_linux_amd64_build_runs_the_quickstart() {
    require_tool("file");
    let temp = tempfile::tempdir().unwrap();
    let binary = unpack("linux_amd64", &temp.path().join("unpacked"));
    let described = run(Command::new("file").arg("-L").arg(&binary));
    assert!(described.contains("ELF 64-bit") && described.contains("x86-64"), "{described}");
    assert!(described.contains("statically linked") || described.contains("static-pie linked"), "{described}");
    let headers = run(Command::new("readelf").args(["--program-headers", "--dynamic"]).arg(&binary));
    assert!(!headers.contains("INTERP"), "a static binary has no program interpreter:\n{headers}");
    assert!(!headers.contains("(NEEDED)"), "a static binary needs no shared library:\n{headers}");
    let launchers = temp.path().join("launcher");
    provider_launcher(&launchers, &binary, None);
    quickstart(&launchers).await;
}

#[tokio::test]
#[ignore = "make release-check: needs the cross-built release in dist/"]
async fn release_check_the_linux_arm64_build_runs_the_quickstart_under_qemu() {
    require_tool("qemu-aarch64-static");
    require_tool("file");
    let temp = tempfile::tempdir().unwrap();
    let binary = unpack("linux_arm64", &temp.path().join("unpacked"));
    let described = run(Command::new("file").arg("-L").arg(&binary));
    assert!(described.contains("ELF 64-bit") && described.contains("ARM aarch64"), "{described}");
    // Debian's libc6-arm64-cross holds the arm64 glibc the binary links against.
    let sysroot = Path::new("/usr/aarch64-linux-gnu");
    assert!(sysroot.join("lib/ld-linux-aarch64.so.1").exists(), "libc6-arm64-cross is required");
    let launchers = temp.path().join("launcher");
    let script = format!("#!/bin/sh\nexec qemu-aarch64-static -L {} {} \"$@\"\n", sysroot.display(), binary.display());
    provider_launcher(&launchers, &binary, Some(script));
    quickstart(&launchers).await;
}

/// A stand-in for Windows' bcryptprimitives.dll, which Wine 8 (Debian 12's) lacks: Rust's standard library takes
/// its random numbers from `ProcessPrng` there (Windows 10 and newer have it). This one answers from
/// `RtlGenRandom` (advapi32's `SystemFunction036`), which Wine has. It is built with the zig of `.tools/` and put
/// beside the provider's .exe, where Windows looks for DLLs first; the release itself ships no DLL.
const BCRYPTPRIMITIVES_SHIM: &str = r#"#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
"#;

/// The 64-bit Wine loader: `WINE64`, else where Debian's package wine64 keeps it (outside PATH).
fn wine64() -> PathBuf {
    std::env::var_os("WINE64").map_or_else(|| PathBuf::from("/usr/lib/wine/wine64"), PathBuf::from)
}

/// Builds the bcryptprimitives.dll shim into `dir`.
fn build_wine_shim(dir: &Path) {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/zig/bin/python");
    assert!(python.is_file(), "zig is required in .tools/zig (make release installs it)");
    let source = dir.join("bcryptprimitives.c");
    std::fs::write(&source, BCRYPTPRIMITIVES_SHIM).unwrap();
    run(Command::new(python)
        .args(["-m", "ziglang", "cc", "-target", "x86_64-windows-gnu", "-shared", "-O2", "-o"])
        .arg(dir.join("bcryptprimitives.dll"))
        .arg(&source)
        .arg("-ladvapi32"));
}

/// A Wine prefix of the test run's own (made on first use, reused), and the environment that selects it.
fn wine_env() -> Vec<(&'static str, String)> {
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wine-prefix");
    vec![("WINEPREFIX", prefix.display().to_string()), ("WINEDEBUG", "-all".to_owned())]
}

/// Stops the prefix's wineserver (it lingers a few seconds after the last program).
struct WineServer;

impl Drop for WineServer {
    fn drop(&mut self) {
        let server = wine64().with_file_name("wineserver");
        let _ = Command::new(server).arg("-k").envs(wine_env()).status();
    }
}

#[tokio::test]
#[ignore = "make release-check: needs the cross-built release in dist/"]
async fn release_check_the_windows_amd64_build_answers_the_handshake_and_runs_the_quickstart_under_wine() {
    use tokio::io::AsyncBufReadExt as _;
    let wine64 = wine64();
    assert!(wine64.is_file(), "wine64 is required (Debian's package wine64; or set WINE64)");
    require_tool("file");
    let _wineserver = WineServer;
    let temp = tempfile::tempdir().unwrap();
    let unpacked = temp.path().join("unpacked");
    let binary = unpack("windows_amd64", &unpacked);
    let described = run(Command::new("file").arg(&binary));
    assert!(described.contains("PE32+ executable") && described.contains("x86-64"), "{described}");
    build_wine_shim(&unpacked);

    // The handshake by hand: Terraform's environment in, go-plugin's line for TCP out, on a port of the range.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let client_cert = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap().self_signed(&key).unwrap();
    let mut plugin = tokio::process::Command::new(&wine64)
        .arg(&binary)
        .current_dir(temp.path())
        .envs(wine_env())
        .env("TF_PLUGIN_MAGIC_COOKIE", "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2")
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_CLIENT_CERT", client_cert.pem())
        .env("PLUGIN_MIN_PORT", "41000")
        .env("PLUGIN_MAX_PORT", "41999")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("wine64 starts");
    let mut stdout = tokio::io::BufReader::new(plugin.stdout.take().unwrap());
    let mut line = String::new();
    // A fresh Wine prefix takes a while to make.
    tokio::time::timeout(std::time::Duration::from_secs(180), stdout.read_line(&mut line))
        .await
        .expect("the handshake line within 3 minutes")
        .unwrap();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "{line:?}");
    assert_eq!(&fields[..3], ["1", "6", "tcp"], "{line:?}");
    let address: SocketAddr = fields[3].parse().expect("a TCP address");
    assert!(address.ip().is_loopback() && (41000..=41999).contains(&address.port()), "{address}");
    assert_eq!(fields[4], "grpc");
    assert!(tokio::net::TcpStream::connect(address).await.is_ok(), "the plugin listens on {address}");
    plugin.kill().await.unwrap();

    let launchers = temp.path().join("launcher");
    let env: String = wine_env().iter().map(|(k, v)| format!("export {k}='{v}'\n")).collect();
    let script = format!("#!/bin/sh\n{env}exec '{}' '{}' \"$@\"\n", wine64.display(), binary.display());
    provider_launcher(&launchers, &binary, Some(script));
    quickstart(&launchers).await;
}
