//! Shared by the emulator's integration tests: an emulator per test on 127.0.0.1:0 in its own temporary
//! directory, and an HTTP client that trusts that emulator's CA and nothing else.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use dataprotection_emulator::default_world::{self as world};
use dataprotection_emulator::{Emulator, EmulatorConfig, EmulatorState, LroTiming, Scenario};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// The api-version the tests use.
pub const API: &str = "2025-07-01";

/// A running emulator with a client and a token for the default service principal.
pub struct TestEmulator {
    pub emulator: Emulator,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
    pub token: String,
}

/// An HTTP client that trusts exactly the CA in `ca_pem` (not the system store), with aws-lc-rs as the crypto
/// provider, chosen explicitly.
pub fn client_for(ca_pem: &Path) -> reqwest::Client {
    client_with_alpn(ca_pem, &[b"h2", b"http/1.1"])
}

/// Like [`client_for`], but speaking HTTP/1.1 only.
pub fn http1_client_for(ca_pem: &Path) -> reqwest::Client {
    client_with_alpn(ca_pem, &[b"http/1.1"])
}

fn client_with_alpn(ca_pem: &Path, protocols: &[&[u8]]) -> reqwest::Client {
    let pem = std::fs::read(ca_pem).expect("reading ca.pem");
    let mut roots = rustls::RootCertStore::empty();
    for certificate in rustls_pki_certs(&pem) {
        roots.add(certificate).expect("adding the emulator CA");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = protocols.iter().map(|protocol| protocol.to_vec()).collect();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("building the HTTP client")
}

fn rustls_pki_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject as _;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem).collect::<Result<_, _>>().expect("parsing ca.pem")
}

/// Starts an emulator on the default world, with fast operations.
pub async fn start() -> TestEmulator {
    start_with(Scenario::default_world()).await
}

/// Starts an emulator on a scenario.
pub async fn start_with(scenario: Scenario) -> TestEmulator {
    let dir = tempfile::tempdir().expect("temporary directory");
    start_in(dir, Some(scenario)).await
}

/// Starts an emulator in a given directory.
pub async fn start_in(dir: tempfile::TempDir, scenario: Option<Scenario>) -> TestEmulator {
    let emulator = Emulator::start(EmulatorConfig {
        state_dir: dir.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().expect("address"),
        scenario,
    })
    .await
    .expect("starting the emulator");
    let client = client_for(&emulator.ca_pem_path());
    let mut test = TestEmulator { emulator, dir, client, token: String::new() };
    test.token = test.sign_in(world::CLIENT_ID, world::CLIENT_SECRET).await;
    test
}

impl TestEmulator {
    pub fn state(&self) -> Arc<EmulatorState> {
        self.emulator.state()
    }

    pub fn base(&self) -> &str {
        self.emulator.base_url()
    }

    /// An absolute URL for a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// An absolute ARM URL with `?api-version=2025-07-01` (the version the provider speaks).
    pub fn arm(&self, path: &str) -> String {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{separator}api-version={API}", self.base())
    }

    /// Signs in with client credentials and returns the access token.
    pub async fn sign_in(&self, client_id: &str, secret: &str) -> String {
        let response = self
            .token_request(
                world::TENANT_ID,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", secret),
                    ("scope", "https://management.azure.com/.default"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "signing in");
        let body: Value = response.json().await.expect("token body");
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    /// POSTs a form to the tenant's token endpoint.
    pub async fn token_request(&self, tenant: &str, form: &[(&str, &str)]) -> Response {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in form {
            body.append_pair(name, value);
        }
        self.client
            .post(self.url(&format!("/{tenant}/oauth2/v2.0/token")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.finish())
            .send()
            .await
            .expect("token request")
    }

    /// Sends a request with the default token.
    pub async fn send(&self, method: Method, url: &str, body: Option<&Value>) -> Response {
        self.send_as(&self.token, method, url, body).await
    }

    /// Sends a request with a given token.
    pub async fn send_as(&self, token: &str, method: Method, url: &str, body: Option<&Value>) -> Response {
        let mut request = self.client.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("sending the request")
    }

    pub async fn get(&self, url: &str) -> Response {
        self.send(Method::GET, url, None).await
    }

    pub async fn put(&self, url: &str, body: &Value) -> Response {
        self.send(Method::PUT, url, Some(body)).await
    }

    pub async fn post(&self, url: &str, body: Option<&Value>) -> Response {
        self.send(Method::POST, url, body).await
    }

    pub async fn delete(&self, url: &str) -> Response {
        self.send(Method::DELETE, url, None).await
    }

    /// Deletes the resource at `path` and waits for the delete's operation to end.
    pub async fn delete_and_wait(&self, path: &str) {
        let response = self.delete(&self.arm(path)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "deleting {path}");
        let status = self.wait(&header(&response, "azure-asyncoperation")).await;
        assert_eq!(status["status"], "Succeeded", "{status}");
    }

    /// Creates a backup instance of a default-world disk with a policy, and waits until it is protected.
    pub async fn protect(&self, name: &str, disk: &str, policy: &str) -> Value {
        let response = self.put(&self.arm(&instance_path(name)), &disk_instance(disk, policy)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "creating {name}");
        let operation = header(&response, "azure-asyncoperation");
        let status = self.wait(&operation).await;
        assert_eq!(status["status"], "Succeeded", "{status}");
        // Bounded: a regression fails here, it never hangs the run.
        for _ in 0..1_000 {
            let instance: Value = self.get(&self.arm(&instance_path(name))).await.json().await.expect("instance");
            if instance["properties"]["currentProtectionState"] == "ProtectionConfigured" {
                return instance;
            }
        }
        panic!("{name} never reached ProtectionConfigured");
    }

    /// Polls an `Azure-AsyncOperation` URL until the operation ends, honouring `retry-after-ms`.
    pub async fn wait(&self, url: &str) -> Value {
        for _ in 0..200 {
            let response = self.get(url).await;
            assert_eq!(response.status(), StatusCode::OK, "polling {url}");
            let delay = response
                .headers()
                .get("retry-after-ms")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse().ok())
                .unwrap_or(0);
            let body: Value = response.json().await.expect("operation status");
            if body["status"] != "Inprogress" {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        panic!("operation {url} never finished");
    }

    /// Polls a `Location` URL until it answers something else than 202, honouring `retry-after-ms`.
    pub async fn follow_location(&self, url: &str) -> Response {
        for _ in 0..200 {
            let response = self.get(url).await;
            if response.status() != StatusCode::ACCEPTED {
                return response;
            }
            let delay = header(&response, "retry-after-ms").parse().unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        panic!("the operation at {url} never finished");
    }

    /// Makes every operation finish at its first poll, with a 1 ms retry delay, for tests about other things.
    pub fn fast(&self) {
        self.state().set_default_lro_timing(LroTiming::with_delays(0, 0, 1, Some(1)));
    }
}

/// A response header as a string ("" when absent).
pub fn header(response: &Response, name: &str) -> String {
    response.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned()
}

/// Creates the geo-redundant vault `name` in the backup resource group with a system-assigned and the
/// user-assigned identity `uai`, cross-region restore, and a customer-managed key read with `uai` (the key's PATCH
/// is an operation whose changes show at once). Returns the vault's path.
pub async fn put_secured_vault(test: &TestEmulator, name: &str, uai: &str) -> String {
    let group = world::resource_group_id(world::BACKUP_RESOURCE_GROUP);
    let vault = format!("{group}/providers/Microsoft.DataProtection/backupVaults/{name}");
    let body = json!({"location": world::LOCATION,
        "identity": {"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {uai: {}}},
        "properties": {"storageSettings": [{"datastoreType": "VaultStore", "type": "GeoRedundant"}],
            "featureSettings": {"crossRegionRestoreSettings": {"state": "Enabled"}}}});
    let response = test.put(&test.arm(&vault), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    test.wait(&header(&response, "azure-asyncoperation")).await;
    let key = json!({"properties": {"securitySettings": {"encryptionSettings": {"state": "Enabled",
        "keyVaultProperties": {"keyUri": "https://kv.vault.azure.net/keys/k1"},
        "kekIdentity": {"identityType": "UserAssigned", "identityId": uai}}}}});
    let response = test.send(Method::PATCH, &test.arm(&vault), Some(&key)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED, "the PATCH is an operation; its changes show at once");
    vault
}

/// The default vault's path.
pub fn vault_path() -> String {
    world::vault_id()
}

/// A backup instance path in the default vault.
pub fn instance_path(name: &str) -> String {
    world::backup_instance_id(name)
}

/// The body of a disk backup instance in the default world, as azurerm and the Microsoft docs send it.
pub fn disk_instance(disk: &str, policy: &str) -> Value {
    json!({ "properties": disk_properties(&world::disk_id(disk), policy, &world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP)) })
}

/// `properties` of a disk backup instance.
pub fn disk_properties(disk_id: &str, policy: &str, snapshot_group: &str) -> Value {
    let disk_name = disk_id.rsplit('/').next().unwrap_or_default();
    json!({
        "objectType": "BackupInstance",
        "friendlyName": disk_name,
        "dataSourceInfo": {
            "objectType": "Datasource",
            "datasourceType": "Microsoft.Compute/disks",
            "resourceType": "Microsoft.Compute/disks",
            "resourceID": disk_id,
            "resourceName": disk_name,
            "resourceLocation": "westus",
            "resourceUri": disk_id,
        },
        "policyInfo": {
            "policyId": world::policy_id(policy),
            "policyParameters": {
                "dataStoreParametersList": [{
                    "objectType": "AzureOperationalStoreParameters",
                    "dataStoreType": "OperationalStore",
                    "resourceGroupId": snapshot_group,
                }],
            },
        },
    })
}

/// Asserts an ARM error: status, `error.code`, a non-empty `error.message`, and JSON content.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status of {}", response.url());
    assert!(
        header(&response, "content-type").starts_with("application/json"),
        "content-type {}",
        header(&response, "content-type")
    );
    let body: Value = response.json().await.expect("an error body in JSON");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|message| !message.is_empty()), "{body}");
    body
}
