//! Replays of real Azure traffic: a small HTTPS server on loopback answers exactly the exchanges Azure answered in
//! recorded runs of the Data Protection service (status, the headers that matter, body), in order, and fails the
//! test on any request those runs do not have. The provider's ARM client (and, for a policy change, the backup
//! instance resource itself) is driven through each flow, and what it reports is checked.
//!
//! The exchanges are written here from the facts of the recordings (`azure-recordings/`: Azure CLI runs of
//! 2025-11-04, 2026-05-11 and 2026-08-31). Polling URLs point back at this server and carry a signed query as long
//! as ARM's (`&t=…&c=<about 2.6 KB>&s=…&h=…`), which the provider must send back untouched. The recorded runs
//! waited 20 to 43 s between polls; here the pipeline runs on a clock whose sleeps return at once, so the whole
//! replay takes well under a second.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use axum::body::Body;
use dataprotection::arm::auth::{AccessToken, Secret, TokenSource};
use dataprotection::arm::ids::{BackupInstanceId, BackupVaultId};
use dataprotection::arm::models::{BackupInstanceResource, BackupVaultResource};
use dataprotection::arm::pipeline::{CallContext, Clock, Pipeline, ReqwestTransport, RetryOptions};
use dataprotection::arm::{ArmClient, ArmError};
use dataprotection::plugin::interface::{ApplyRequest, Context};
use dataprotection::plugin::value::{Type, Value};
use dataprotection::resources::{Configured, ProviderConfiguration};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::json;
use tokio_util::sync::CancellationToken;

// ---------------------------------------------------------------------------------------------------------------
// The replay server

/// One recorded exchange: the request Azure saw and what it answered.
struct Exchange {
    method: &'static str,
    path: String,
    status: u16,
    /// Header values may hold `{poll:<path>}`: a URL to `path` on this server, with api-version and signed query.
    headers: Vec<(&'static str, String)>,
    body: Option<serde_json::Value>,
    /// A request the recorded client made that a client may leave out (the operation's result URL read after its
    /// status said Succeeded). Skipped when the provider's next request is another one.
    optional: bool,
}

/// A request the server received.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    path: String,
    query: String,
    body: Option<serde_json::Value>,
}

#[derive(Default)]
struct Script {
    expected: VecDeque<Exchange>,
    received: Vec<Received>,
    problems: Vec<String>,
}

struct Replay {
    base: String,
    signed: String,
    script: Arc<Mutex<Script>>,
    client: reqwest::Client,
}

/// ARM's signed query on polling URLs: ticks, the signing certificate (about 2.6 KB, base64url), the signature and
/// a hash. Deterministic filler of the real lengths.
fn signed_query() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let text = |n: usize, seed: usize| -> String {
        (0..n).map(|i| ALPHABET[(i * 7 + i / 11 + seed * 13) % ALPHABET.len()] as char).collect()
    };
    format!("&t=639021441230000000&c={}&s={}&h={}", text(2620, 1), text(342, 2), text(43, 3))
}

fn exchange(method: &'static str, path: &str, status: u16) -> Exchange {
    Exchange { method, path: path.to_owned(), status, headers: Vec::new(), body: None, optional: false }
}

impl Exchange {
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Exchange {
        self.headers.push((name, value.into()));
        self
    }
    /// A polling header pointing at `path` on the replay server.
    fn poll(self, name: &'static str, path: &str) -> Exchange {
        self.header(name, format!("{{poll:{path}}}"))
    }
    fn body(mut self, body: serde_json::Value) -> Exchange {
        self.body = Some(body);
        self
    }
    fn optional(mut self) -> Exchange {
        self.optional = true;
        self
    }
}

impl Replay {
    async fn start(exchanges: Vec<Exchange>) -> Replay {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::DigitalSignature];
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().expect("server key");
        let leaf_params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("server parameters");
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).expect("server certificate");

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
            )
            .expect("server TLS");
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca_cert.der().clone()).expect("CA is usable");
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder().use_preconfigured_tls(tls).build().expect("HTTP client");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("loopback port");
        let base = format!("https://{}", listener.local_addr().expect("address"));
        let signed = signed_query();
        let script = Arc::new(Mutex::new(Script { expected: exchanges.into(), ..Script::default() }));
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let (serve_base, serve_signed, serve_script) = (base.clone(), signed.clone(), script.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let (base, signed, script) = (serve_base.clone(), serve_signed.clone(), serve_script.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else { return };
                    let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                        let (base, signed, script) = (base.clone(), signed.clone(), script.clone());
                        async move { Ok::<_, std::convert::Infallible>(answer(request, &base, &signed, &script).await) }
                    });
                    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                });
            }
        });
        Replay { base, signed, script, client }
    }

    /// An ARM client on a pipeline to this server, with a clock whose sleeps return at once.
    fn arm_client(&self) -> ArmClient {
        let pipeline = Pipeline::new(
            url::Url::parse(&format!("{}/", self.base)).expect("base URL"),
            Arc::new(ReqwestTransport::new(self.client.clone())),
            Arc::new(InstantClock::default()),
            Arc::new(FixedToken),
            "replay-test",
            RetryOptions::default(),
        );
        ArmClient::new(Arc::new(pipeline))
    }

    fn call(&self, client: &ArmClient) -> CallContext {
        CallContext::new(client.pipeline().clock().now(), Duration::from_secs(1800), "create timeout (30m)", {
            CancellationToken::new()
        })
    }

    /// Everything the provider sent, after checking that it sent exactly what the recording has: no request the
    /// recording lacks, every recorded request made (optional ones aside), and every poll with its signed query.
    fn finish(&self) -> Vec<Received> {
        let script = self.script.lock().unwrap();
        assert!(script.problems.is_empty(), "requests the recording does not have: {:#?}", script.problems);
        let left: Vec<_> = script.expected.iter().filter(|e| !e.optional).map(|e| (e.method, &e.path)).collect();
        assert!(left.is_empty(), "recorded requests the provider never made: {left:?}");
        for received in &script.received {
            if received.path.contains("/operationStatus/") || received.path.contains("/operationResults/") {
                assert!(
                    received.query.ends_with(&self.signed) && received.query.starts_with("api-version="),
                    "a poll must send the signed query back untouched: {} ?{}…",
                    received.path,
                    received.query.chars().take(60).collect::<String>()
                );
            }
        }
        script.received.clone()
    }
}

async fn answer(
    request: hyper::Request<hyper::body::Incoming>,
    base: &str,
    signed: &str,
    script: &Mutex<Script>,
) -> hyper::Response<Body> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(Body::new(body), 16 * 1024 * 1024).await.unwrap_or_default();
    let received = Received {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        body: serde_json::from_slice(&bytes).ok(),
    };
    let mut script = script.lock().unwrap();
    let found = loop {
        match script.expected.pop_front() {
            None => break None,
            Some(next) if next.method == received.method && next.path.eq_ignore_ascii_case(&received.path) => {
                break Some(next);
            }
            Some(next) if next.optional => continue,
            Some(next) => {
                let problem = format!(
                    "{} {} where the recording has {} {}",
                    received.method, received.path, next.method, next.path
                );
                script.problems.push(problem);
                script.expected.push_front(next);
                break None;
            }
        }
    };
    let Some(exchange) = found else {
        if script.problems.is_empty() || !script.problems.last().is_some_and(|p| p.contains(&received.path)) {
            script.problems.push(format!("{} {} after the recording ended", received.method, received.path));
        }
        script.received.push(received);
        let refusal = json!({"error": {"code": "ReplayUnexpectedRequest", "message": "not in the recording"}});
        return hyper::Response::builder()
            .status(400)
            .header("content-type", "application/json")
            .body(Body::from(refusal.to_string()))
            .expect("response");
    };
    script.received.push(received);
    let mut response = hyper::Response::builder().status(exchange.status);
    for (name, value) in &exchange.headers {
        let value = match value.strip_prefix("{poll:").and_then(|v| v.strip_suffix('}')) {
            Some(path) => format!("{base}{path}?api-version={}{signed}", dataprotection::arm::API_VERSION),
            None => value.clone(),
        };
        response = response.header(*name, value);
    }
    let body = match &exchange.body {
        Some(body) => {
            response = response.header("content-type", "application/json; charset=utf-8");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    response.body(body).expect("response")
}

/// A clock whose sleeps return at once, moving its time on.
#[derive(Default)]
struct InstantClock {
    offset: Mutex<Duration>,
    start: std::sync::OnceLock<Instant>,
}

#[async_trait]
impl Clock for InstantClock {
    fn now(&self) -> Instant {
        *self.start.get_or_init(Instant::now) + *self.offset.lock().unwrap()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_788_000_000) + *self.offset.lock().unwrap()
    }
    async fn sleep(&self, duration: Duration) {
        *self.offset.lock().unwrap() += duration;
    }
}

struct FixedToken;

#[async_trait]
impl TokenSource for FixedToken {
    async fn token(&self, _refresh: bool) -> Result<AccessToken, ArmError> {
        Ok(AccessToken {
            token: Secret::new("replay-token"),
            expires_at: SystemTime::now() + Duration::from_secs(3600),
        })
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The recorded worlds

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000000";

fn status_document(path: &str, status: &str) -> serde_json::Value {
    let name = path.rsplit('/').next().unwrap_or_default();
    let end = if status == "Inprogress" { "0001-01-01T00:00:00Z" } else { "2026-08-31T07:04:14Z" };
    json!({"id": path, "name": name, "status": status, "startTime": "2026-08-31T07:03:31.9646094Z", "endTime": end})
}

fn job_info() -> serde_json::Value {
    json!({"objectType": "OperationJobExtendedInfo"})
}

fn vault_body(id: &str, state: &str) -> serde_json::Value {
    json!({
        "location": "centraluseuap",
        "identity": {"type": "SystemAssigned", "principalId": "0e1a9dc8-f01f-4828-8120-b13cd448c9c9",
                     "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
        "properties": {
            "provisioningState": state,
            "storageSettings": [{"datastoreType": "VaultStore", "type": "GeoRedundant"}],
            "isVaultProtectedByResourceGuard": false,
            "securitySettings": {"softDeleteSettings": {"state": "On", "retentionDurationInDays": 14.0},
                                 "immutabilitySettings": {"state": "Locked"}},
            "featureSettings": {"crossRegionRestoreSettings": {"state": "Enabled"}},
            "secureScore": "Adequate", "bcdrSecurityLevel": "Good", "replicatedRegions": ["eastus2euap"]
        },
        "id": id, "name": id.rsplit('/').next().unwrap_or_default(), "type": "Microsoft.DataProtection/backupVaults"
    })
}

#[tokio::test]
async fn vault_create_and_delete_follow_azure_as_recorded() {
    let rg = format!("{SUB}/resourceGroups/dataprotectionclitest-rg");
    let vault = format!("{rg}/providers/Microsoft.DataProtection/backupVaults/cli-test-backup-vault");
    let create_status = format!("{vault}/operationStatus/YWExZDMyNmMtZDRmMy00NmY3O2NyZWF0ZQ==");
    let op = "YWExZDMyNmMtZDRmMy00NmY3O2RlbGV0ZQ==";
    let delete_status = format!("{rg}/providers/Microsoft.DataProtection/locations/centraluseuap/operationStatus/{op}");
    let delete_result =
        format!("{SUB}/providers/Microsoft.DataProtection/locations/centraluseuap/operationResults/{op}");
    let replay = Replay::start(vec![
        // PUT (new): 201 with the body, Azure-AsyncOperation at vault scope, no Location, no Retry-After.
        exchange("PUT", &vault, 201)
            .poll("azure-asyncoperation", &create_status)
            .body(vault_body(&vault, "Provisioning")),
        exchange("GET", &create_status, 200).body(status_document(&create_status, "Inprogress")),
        exchange("GET", &create_status, 200).body(status_document(&create_status, "Succeeded")),
        exchange("GET", &vault, 200).body(vault_body(&vault, "Succeeded")),
        // DELETE: 202, Azure-AsyncOperation at resource group location scope, Location at subscription location
        // scope, which answers 200 with OperationJobExtendedInfo (not 204) once the operation is over.
        exchange("DELETE", &vault, 202)
            .poll("azure-asyncoperation", &delete_status)
            .poll("location", &delete_result)
            .header("content-length", "0"),
        exchange("GET", &delete_status, 200).body(status_document(&delete_status, "Succeeded")),
        exchange("GET", &delete_result, 200).body(job_info()).optional(),
    ])
    .await;
    let client = replay.arm_client();
    let call = replay.call(&client);
    let id: BackupVaultId = vault.parse().expect("vault ID");
    let body: BackupVaultResource = serde_json::from_value(json!({
        "identity": {"type": "SystemAssigned"}, "location": "centraluseuap",
        "properties": {"storageSettings": [{"datastoreType": "VaultStore", "type": "GeoRedundant"}],
                       "securitySettings": {"softDeleteSettings": {"state": "On", "retentionDurationInDays": 14.0}}}
    }))
    .expect("vault body");
    let mut create = client.begin_put_backup_vault(&call, &id, &body, "creating the vault").await.expect("accepted");
    assert!(create.wait(&call).await.expect("created").is_none(), "followed to its end by Azure-AsyncOperation");
    let created = client.get_backup_vault(&call, &id).await.expect("read").expect("the vault exists");
    assert_eq!(created.properties.provisioning_state.as_deref(), Some("Succeeded"));

    let mut delete = client.begin_delete_backup_vault(&call, &id).await.expect("accepted").expect("an operation");
    delete.wait(&call).await.expect("deleted");
    let received = replay.finish();
    let polls = received.iter().filter(|r| r.path.contains("/operationStatus/")).count();
    assert_eq!(polls, 3, "Inprogress, Succeeded, then the delete's status: {received:?}");
}

const BLOB_VAULT: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/clitest-dpp-rg/providers/Microsoft.DataProtection/backupVaults/clitest-bkp-vault-donotdelete";
const LOCATION_SCOPE: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.DataProtection/locations/centraluseuap";

/// A vaulted blob backup instance of `account` with `policy`, as Azure holds it (with its read-only fields).
fn blob_instance(name: &str, account: &str, policy: &str, state: &str) -> serde_json::Value {
    let source = format!("{SUB}/resourceGroups/clitest-dpp-rg/providers/Microsoft.Storage/storageAccounts/{account}");
    let datasource = |object_type: &str| {
        json!({"resourceID": source, "resourceUri": source, "datasourceType": "Microsoft.Storage/storageAccounts/blobServices",
               "resourceName": account, "resourceType": "Microsoft.Storage/storageAccounts", "resourceLocation": "eastus",
               "objectType": object_type})
    };
    json!({
        "properties": {
            "friendlyName": account,
            "dataSourceInfo": datasource("Datasource"),
            "dataSourceSetInfo": datasource("DatasourceSet"),
            "policyInfo": {"policyId": format!("{BLOB_VAULT}/backupPolicies/{policy}"), "policyVersion": "",
                "policyParameters": {"backupDatasourceParametersList": [
                    {"objectType": "BlobBackupDatasourceParameters", "containersList": ["testcontainer1", "testcontainer2"]}]}},
            "protectionStatus": {"status": state},
            "currentProtectionState": state,
            "provisioningState": "Succeeded",
            "identityDetails": {"useSystemAssignedIdentity": true},
            "objectType": "BackupInstance"
        },
        "id": format!("{BLOB_VAULT}/backupInstances/{name}"),
        "name": name,
        "type": "Microsoft.DataProtection/backupVaults/backupInstances"
    })
}

#[tokio::test]
async fn blob_instance_create_and_delete_follow_azure_as_recorded() {
    let name = "clitestsadonotdelete-clitestsadonotdelete-b7e6f082-b310-11eb-8f55-9cfce85d4fa1";
    let instance = format!("{BLOB_VAULT}/backupInstances/{name}");
    let validate_status = format!("{BLOB_VAULT}/operationStatus/dmFsaWRhdGU7MQ==");
    let validate_result = format!("{LOCATION_SCOPE}/operationResults/dmFsaWRhdGU7MQ==");
    let put_status = format!("{BLOB_VAULT}/operationStatus/cHV0OzI=");
    let put_result = format!("{instance}/operationResults/cHV0OzI=");
    let delete_result = format!("{LOCATION_SCOPE}/operationResults/ZGVsZXRlOzM=");
    let held = blob_instance(name, "clitestsadonotdelete", "blobpolicy", "ProtectionConfigured");
    let replay = Replay::start(vec![
        // validateForBackup: 202, no body, Azure-AsyncOperation at vault scope, Location at location scope.
        exchange("POST", &format!("{BLOB_VAULT}/validateForBackup"), 202)
            .poll("azure-asyncoperation", &validate_status)
            .poll("location", &validate_result),
        exchange("GET", &validate_status, 200).body(status_document(&validate_status, "Succeeded")),
        exchange("GET", &validate_result, 200)
            .poll("azure-asyncoperation", &format!("{LOCATION_SCOPE}/operationStatus/dmFsaWRhdGU7MQ=="))
            .body(job_info())
            .optional(),
        // PUT (new): 202 with an EMPTY body, Azure-AsyncOperation at vault scope, Location {BI}/operationResults.
        exchange("PUT", &instance, 202)
            .poll("azure-asyncoperation", &put_status)
            .poll("location", &put_result)
            .header("content-length", "0"),
        exchange("GET", &put_status, 200).body(status_document(&put_status, "Inprogress")),
        exchange("GET", &put_status, 200).body(status_document(&put_status, "Succeeded")),
        exchange("GET", &put_result, 200).body(held.clone()).optional(),
        exchange("GET", &instance, 200).body(held),
        // DELETE: 202 with a Location at location scope only; it answers 200 OperationJobExtendedInfo when done.
        exchange("DELETE", &instance, 202).poll("location", &delete_result),
        exchange("GET", &delete_result, 200).body(job_info()),
    ])
    .await;
    let client = replay.arm_client();
    let call = replay.call(&client);
    let id: BackupInstanceId = instance.parse().expect("instance ID");
    let mut wanted: BackupInstanceResource =
        serde_json::from_value(blob_instance(name, "clitestsadonotdelete", "blobpolicy", "")).expect("body");
    (wanted.id, wanted.name, wanted.resource_type) = (None, None, None);
    let p = &mut wanted.properties;
    (p.protection_status, p.current_protection_state, p.provisioning_state) = (None, None, None);

    let mut validate =
        client.begin_validate_for_backup(&call, &id.vault, &wanted.properties, "validating").await.expect("accepted");
    validate.wait(&call).await.expect("valid");
    let mut put = client.begin_put_backup_instance(&call, &id, &wanted, "creating").await.expect("accepted");
    put.wait(&call).await.expect("created");
    let created = client.get_backup_instance(&call, &id).await.expect("read").expect("the instance exists");
    assert_eq!(created.properties.current_protection_state.as_deref(), Some("ProtectionConfigured"));

    let mut delete = client.begin_delete_backup_instance(&call, &id).await.expect("accepted").expect("an operation");
    let last = delete.wait(&call).await.expect("deleted").expect("followed by its Location");
    assert_eq!(last.json::<serde_json::Value>().expect("JSON"), job_info());
    let received = replay.finish();
    let put_body = received.iter().find(|r| r.method == "PUT").and_then(|r| r.body.clone()).expect("a PUT body");
    assert_eq!(put_body["properties"]["dataSourceSetInfo"]["objectType"], "DatasourceSet", "{put_body}");
}

#[tokio::test]
async fn a_policy_change_puts_back_what_azure_holds_with_the_new_policy() {
    let name = "clitestblobsadnd-clitestblobsadnd-92e88a05-3816-418b-8987-1285f34c2030";
    let instance = format!("{BLOB_VAULT}/backupInstances/{name}");
    let put_status = format!("{BLOB_VAULT}/operationStatus/dXBkYXRlOzQ=");
    let put_result = format!("{instance}/operationResults/dXBkYXRlOzQ=");
    let replay = Replay::start(vec![
        exchange("GET", &instance, 200).body(blob_instance(
            name,
            "clitestblobsadnd",
            "altvaultpolicy",
            "ProtectionConfigured",
        )),
        // PUT of an existing instance: 202 with an EMPTY body, Azure-AsyncOperation + Location, no Retry-After.
        exchange("PUT", &instance, 202)
            .poll("azure-asyncoperation", &put_status)
            .poll("location", &put_result)
            .header("content-length", "0"),
        exchange("GET", &put_status, 200).body(status_document(&put_status, "Succeeded")),
        exchange("GET", &put_result, 200).body(job_info()).optional(),
        exchange("GET", &instance, 200).body(blob_instance(
            name,
            "clitestblobsadnd",
            "newvaultpolicy",
            "ProtectionConfigured",
        )),
    ])
    .await;
    let configuration = Arc::new(ProviderConfiguration::default());
    configuration.set_configured(Configured {
        client: replay.arm_client(),
        subscription_id: None,
        validate_on_plan: false,
    });
    let resources = dataprotection::resources::all(&configuration);
    let resource = resources
        .iter()
        .find(|r| r.type_name() == "dataprotection_backup_instance_blob_storage")
        .expect("the blob instance resource");
    let Type::Object(types) = resource.schema().block.value_type() else { panic!("an object type") };
    let state = |policy: &str| {
        let mut v = Value::object(types.keys().map(|name| (name.as_str(), Value::Null)));
        for (attribute, text) in [
            ("id", instance.clone()),
            ("name", name.to_owned()),
            ("vault_id", BLOB_VAULT.to_owned()),
            (
                "datasource_id",
                format!(
                    "{SUB}/resourceGroups/clitest-dpp-rg/providers/Microsoft.Storage/storageAccounts/clitestblobsadnd"
                ),
            ),
            ("datasource_type", "Microsoft.Storage/storageAccounts/blobServices".to_owned()),
            ("location", "eastus".to_owned()),
            ("backup_policy_id", format!("{BLOB_VAULT}/backupPolicies/{policy}")),
            ("protection_state", "ProtectionConfigured".to_owned()),
        ] {
            v.set_attr(attribute, Value::from(text.as_str()));
        }
        let containers = ["testcontainer1", "testcontainer2"].map(Value::from).to_vec();
        v.set_attr("storage_account_container_names", Value::List(containers));
        v
    };
    let (prior, planned) = (state("altvaultpolicy"), state("newvaultpolicy"));
    let request =
        ApplyRequest { prior_state: prior, planned_state: planned.clone(), config: planned, planned_private: vec![] };
    let response = resource.apply(&Context::default(), request).await;
    assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics.iter().collect::<Vec<_>>());
    assert!(response.new_state.attr("backup_policy_id").as_str().is_some_and(|p| p.ends_with("/newvaultpolicy")));

    let received = replay.finish();
    let put = received.iter().find(|r| r.method == "PUT").and_then(|r| r.body.clone()).expect("a PUT body");
    let p = &put["properties"];
    assert!(p["policyInfo"]["policyId"].as_str().is_some_and(|id| id.ends_with("/newvaultpolicy")), "{put}");
    assert_eq!(p["identityDetails"], json!({"useSystemAssignedIdentity": true}), "kept as Azure holds it: {put}");
    assert_eq!(p["friendlyName"], "clitestblobsadnd", "kept as Azure holds it: {put}");
    assert_eq!(p["dataSourceSetInfo"]["objectType"], "DatasourceSet", "{put}");
    for read_only in ["currentProtectionState", "protectionStatus", "provisioningState"] {
        assert!(p.get(read_only).is_none(), "{read_only} is Azure's to say, not sent: {put}");
    }
}

#[tokio::test]
async fn soft_delete_and_resume_surface_what_azure_answered() {
    let vault = format!(
        "{SUB}/resourceGroups/clitest-dpp-rg/providers/Microsoft.DataProtection/backupVaults/clitest-bkp-vault-sd1-donotdelete"
    );
    let other = format!(
        "{SUB}/resourceGroups/clitest-dpp-rg/providers/Microsoft.DataProtection/backupVaults/clitest-bkp-vault-persistent-bi-donotdelete"
    );
    let name = "clitest-disk-sd-donotdelete-clitest-disk-sd-donotdelete-b7e6f082-b310-11eb-8f55-9cfce85d4fa1";
    let instance = format!("{vault}/backupInstances/{name}");
    let delete_status = format!("{vault}/operationStatus/ZGVsZXRlOzU=");
    let delete_result = format!("{LOCATION_SCOPE}/operationResults/ZGVsZXRlOzU=");
    let resume_status = format!("{vault}/operationStatus/cmVzdW1lOzY=");
    let resume_result = format!("{LOCATION_SCOPE}/operationResults/cmVzdW1lOzY=");
    let disk_instance = |state: &str| {
        let disk = format!(
            "{SUB}/resourcegroups/clitest-dpp-rg/providers/Microsoft.Compute/disks/clitest-disk-sd-donotdelete"
        );
        json!({
            "properties": {
                "friendlyName": "clitest-disk-sd-donotdelete",
                "dataSourceInfo": {"resourceID": disk, "resourceUri": "", "datasourceType": "Microsoft.Compute/disks",
                    "resourceName": "clitest-disk-sd-donotdelete", "resourceType": "Microsoft.Compute/disks",
                    "resourceLocation": "centraluseuap", "objectType": "Datasource"},
                "policyInfo": {"policyId": format!("{vault}/backupPolicies/diskpol"), "policyParameters": {
                    "dataStoreParametersList": [{"dataStoreType": "OperationalStore", "objectType": "AzureOperationalStoreParameters",
                        "resourceGroupId": format!("{SUB}/resourceGroups/clitest-dpp-rg")}]}},
                "protectionStatus": {"status": state}, "currentProtectionState": state,
                "provisioningState": "Succeeded", "objectType": "BackupInstance"
            },
            "id": instance, "name": name, "type": "Microsoft.DataProtection/backupVaults/backupInstances"
        })
    };
    let message = format!(
        "Datasource is already associated with the backup instance clitest-disk-sd-donotdelete in the Backup vault \
         {other} with the protection status as ConfiguringProtection."
    );
    let action = format!(
        "Delete the backup instance clitest-disk-sd-donotdelete from the Backup vault {other} to re-protect the \
         datasource in any other vault"
    );
    let code = "UserErrorDppDatasourceAlreadyHasBackupInstance";
    let refusal = json!({"error": {
        "additionalInfo": [{"type": "UserFacingError", "info": {"message": message, "recommendedAction": [action],
            "details": null, "code": code, "target": "", "innerError": null, "isRetryable": false, "isUserError": false,
            "properties": {"ActivityId": "b4118ab0-a50a-11f1-b8c6-6045bde7ad9c"}}}],
        "code": code, "message": message, "target": null, "details": null}});
    let replay = Replay::start(vec![
        // DELETE in a soft-delete vault: 202, Azure-AsyncOperation at vault scope, Location at location scope.
        exchange("DELETE", &instance, 202)
            .poll("azure-asyncoperation", &delete_status)
            .poll("location", &delete_result)
            .header("content-length", "0"),
        exchange("GET", &delete_status, 200).body(status_document(&delete_status, "Inprogress")),
        exchange("GET", &delete_status, 200).body(status_document(&delete_status, "Succeeded")),
        exchange("GET", &delete_result, 200).body(job_info()).optional(),
        // (undeleted out of band: 200, empty, synchronous) then read: ProtectionStopped.
        exchange("GET", &instance, 200).body(disk_instance("ProtectionStopped")),
        // resumeProtection while another vault protects the disk: a synchronous 400.
        exchange("POST", &format!("{instance}/resumeProtection"), 400)
            .header("x-ms-request-id", "5d3c2b1a-0000-4000-8000-000000000018")
            .body(refusal),
        // Once that vault's instance is gone: 202 with a Location at location scope, then ProtectionConfigured.
        exchange("POST", &format!("{instance}/resumeProtection"), 202)
            .poll("azure-asyncoperation", &resume_status)
            .poll("location", &resume_result)
            .header("content-length", "0"),
        exchange("GET", &resume_status, 200).body(status_document(&resume_status, "Succeeded")),
        exchange("GET", &resume_result, 200).body(job_info()).optional(),
        exchange("GET", &instance, 200).body(disk_instance("ProtectionConfigured")),
    ])
    .await;
    let client = replay.arm_client();
    let call = replay.call(&client);
    let id: BackupInstanceId = instance.parse().expect("instance ID");
    let mut delete = client.begin_delete_backup_instance(&call, &id).await.expect("accepted").expect("an operation");
    delete.wait(&call).await.expect("soft-deleted");
    let stopped = client.get_backup_instance(&call, &id).await.expect("read").expect("undeleted");
    assert_eq!(stopped.properties.current_protection_state.as_deref(), Some("ProtectionStopped"));

    let action_kind = dataprotection::arm::client::InstanceAction::ResumeProtection;
    let error = client.begin_instance_action(&call, &id, action_kind).await.expect_err("refused");
    assert_eq!(error.status, Some(400));
    assert_eq!(error.code.as_deref(), Some(code));
    assert!(error.message.contains(&message), "Azure's message: {error}");
    assert_eq!(error.recommended_actions, vec![action.clone()], "Azure's recommended action");
    assert_eq!(error.request_id.as_deref(), Some("5d3c2b1a-0000-4000-8000-000000000018"));
    // What the diagnostic shows: Azure's message, then its code and recommended action.
    assert!(error.to_string().contains(&message), "{error}");
    let detail = error.detail();
    assert!(detail.contains(code) && detail.contains(&action), "the detail names both: {detail}");

    let mut resume =
        client.begin_instance_action(&call, &id, action_kind).await.expect("accepted").expect("an operation");
    resume.wait(&call).await.expect("resumed");
    let resumed = client.get_backup_instance(&call, &id).await.expect("read").expect("exists");
    assert_eq!(resumed.properties.current_protection_state.as_deref(), Some("ProtectionConfigured"));
    replay.finish();
}
