//! A workspace for acceptance tests: an emulator of its own, a private CLI configuration that points terraform at
//! the freshly built provider, a clean environment, and helpers to run terraform and read what happened.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::journal::JournalEntry;
use dataprotection_emulator::scenario::Scenario;
use dataprotection_emulator::settings::LroTiming;
use dataprotection_emulator::{Emulator, EmulatorConfig};
use tempfile::TempDir;
use tokio::process::Command;

/// The provider binary cargo built for this test run.
pub const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-dataprotection");

/// Prepares `dir` for terraform runs: `work/` and `home/` folders, and a CLI configuration (returned) whose
/// dev_overrides point terraform at the provider binary cargo built, so that no `terraform init` is needed.
pub fn prepare_folder(dir: &Path) -> PathBuf {
    let provider_dir = Path::new(PROVIDER).parent().expect("the provider binary has a folder");
    let cli_config = dir.join("terraform.rc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"dpkit/dataprotection\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            provider_dir.display()
        ),
    )
    .expect("CLI configuration");
    std::fs::create_dir_all(dir.join("work")).expect("work folder");
    std::fs::create_dir_all(dir.join("home")).expect("home folder");
    cli_config
}

/// Operation timing that keeps tests fast but still makes the provider poll at least once.
pub fn fast_timing() -> LroTiming {
    LroTiming::with_delays(1, 0, 1, Some(20))
}

/// One terraform run.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Stdout and stderr together, for assertions on messages.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A test's own emulator and terraform working directory.
pub struct Workspace {
    /// The emulator, in-process.
    pub emulator: Emulator,
    dir: TempDir,
    cli_config: PathBuf,
}

impl Workspace {
    /// A workspace over the emulator's default world, with fast operations.
    pub async fn start() -> Workspace {
        Workspace::with_scenario(Scenario::default_world()).await
    }

    /// A workspace over `scenario`, with fast operations.
    pub async fn with_scenario(scenario: Scenario) -> Workspace {
        crate::terraform_version::require_terraform();
        let dir = tempfile::tempdir().expect("temporary folder");
        let emulator = Emulator::start(EmulatorConfig {
            state_dir: dir.path().join("emulator"),
            listen: "127.0.0.1:0".parse().expect("loopback address"),
            scenario: Some(scenario),
        })
        .await
        .expect("the emulator starts");
        emulator.state().set_default_lro_timing(fast_timing());
        let cli_config = prepare_folder(dir.path());
        Workspace { emulator, dir, cli_config }
    }

    /// The terraform working directory.
    pub fn work_dir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The provider block that signs in to the emulator as the default world's service principal.
    pub fn provider_block(&self) -> String {
        format!(
            "provider \"dataprotection\" {{\n  metadata_host   = \"{}\"\n  tenant_id       = \"{}\"\n  client_id       = \"{}\"\n  client_secret   = \"{}\"\n  subscription_id = \"{}\"\n}}\n",
            self.emulator.metadata_host(),
            world::TENANT_ID,
            world::CLIENT_ID,
            world::CLIENT_SECRET,
            world::SUBSCRIPTION_ID
        )
    }

    /// Writes `main.tf`: the terraform block, the provider block, then `body`.
    pub fn write(&self, body: &str) {
        let text = format!(
            "terraform {{\n  required_providers {{\n    dataprotection = {{ source = \"dpkit/dataprotection\" }}\n  }}\n}}\n\n{}\n{body}\n",
            self.provider_block()
        );
        std::fs::write(self.work_dir().join("main.tf"), text).expect("main.tf");
    }

    /// A terraform command with a clean environment: nothing of this machine's ARM_*, TF_* or TLS settings.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("terraform");
        command
            .args(args)
            .current_dir(self.work_dir())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path().join("home"))
            .env("TMPDIR", self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("SSL_CERT_FILE", self.emulator.ca_pem_path())
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            // Kept on purpose: diagnostics must never carry a backtrace, whatever this says.
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(path) = std::env::var_os("DEBUG_TF_LOG_PATH") {
            command.env("TF_LOG", "trace").env("TF_LOG_PATH", path);
        }
        command
    }

    /// Runs terraform to the end. Fails the test if terraform cannot be started (it must be on PATH).
    pub async fn terraform(&self, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.push("-no-color");
        let output = self
            .command(&all)
            .output()
            .await
            .unwrap_or_else(|e| panic!("terraform could not be started (it must be on PATH): {e}"));
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs terraform and fails the test, showing its output, unless it exits 0.
    pub async fn terraform_ok(&self, args: &[&str]) -> Run {
        let run = self.terraform(args).await;
        assert_eq!(run.code, 0, "terraform {args:?} failed:\n{}", run.output());
        run
    }

    /// `terraform apply -auto-approve`, which must succeed.
    pub async fn apply(&self) -> Run {
        self.terraform_ok(&["apply", "-auto-approve"]).await
    }

    /// `terraform plan -detailed-exitcode`: 0 = no changes, 2 = changes, 1 = error.
    pub async fn plan_code(&self) -> (i32, Run) {
        let run = self.terraform(&["plan", "-detailed-exitcode"]).await;
        (run.code, run)
    }

    /// The state file, parsed (null when there is none).
    pub fn state(&self) -> serde_json::Value {
        match std::fs::read(self.work_dir().join("terraform.tfstate")) {
            Ok(bytes) => serde_json::from_slice(&bytes).expect("state is JSON"),
            Err(_) => serde_json::Value::Null,
        }
    }

    /// The attributes of resource `address` (for example `dataprotection_backup_instance.bi`) in the state.
    pub fn resource(&self, address: &str) -> Option<serde_json::Value> {
        let (ty, name) = address.split_once('.').expect("type.name");
        let state = self.state();
        state["resources"]
            .as_array()?
            .iter()
            .find(|r| r["type"] == ty && r["name"] == name)
            .map(|r| r["instances"][0].clone())
    }

    /// The emulator's journal, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.emulator.state().journal()
    }

    /// The IDs of the backup instances the emulator holds.
    pub fn instance_ids(&self) -> Vec<String> {
        self.emulator.state().inventory().backup_instances.iter().map(|b| b.id.clone()).collect()
    }

    /// Waits until `condition` holds for the journal, up to `timeout`.
    pub async fn wait_for_journal(&self, timeout: Duration, condition: impl Fn(&[JournalEntry]) -> bool) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if condition(&self.journal()) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

/// A backup instance block over the default world: disk `disk`, policy `policy`.
pub fn instance_block(label: &str, name: &str, disk: &str, policy: &str) -> String {
    format!(
        r#"resource "dataprotection_backup_instance" "{label}" {{
  name                       = "{name}"
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  location                   = "{location}"
  backup_policy_id           = "{policy}"
  snapshot_resource_group_id = "{snapshots}"
}}
"#,
        vault = world::vault_id(),
        disk = world::disk_id(disk),
        location = world::LOCATION,
        policy = world::policy_id(policy),
        snapshots = world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP),
    )
}

/// A reqwest client that trusts only the emulator's CA.
pub fn emulator_http_client(emulator: &Emulator) -> reqwest::Client {
    let pem = std::fs::read(emulator.ca_pem_path()).expect("emulator CA");
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
        roots.add(cert.expect("CA certificate")).expect("CA certificate is usable");
    }
    let tls =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
    reqwest::Client::builder().use_preconfigured_tls(tls).build().expect("HTTP client")
}

impl Workspace {
    /// Calls the emulator's ARM API out of band, as the default service principal. Returns status and JSON body.
    pub async fn arm(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let token = self.emulator.state().issue_token(world::CLIENT_ID).expect("token");
        let separator = if path.contains('?') { '&' } else { '?' };
        let url =
            format!("{}{path}{separator}api-version={}", self.emulator.base_url(), dataprotection::arm::API_VERSION);
        let mut request = emulator_http_client(&self.emulator).request(method, url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("emulator answers");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    /// Creates a backup instance out of band and waits for its operation to finish.
    pub async fn create_out_of_band(&self, name: &str, disk: &str, policy: &str) {
        let id = world::backup_instance_id(name);
        let body = serde_json::json!({"properties": {
            "objectType": "BackupInstance",
            "friendlyName": name,
            "dataSourceInfo": {"objectType": "Datasource", "datasourceType": "Microsoft.Compute/disks",
                "resourceType": "Microsoft.Compute/disks", "resourceID": world::disk_id(disk), "resourceUri": world::disk_id(disk),
                "resourceName": disk, "resourceLocation": world::LOCATION},
            "policyInfo": {"policyId": world::policy_id(policy), "policyParameters": {"dataStoreParametersList": [
                {"objectType": "AzureOperationalStoreParameters", "dataStoreType": "OperationalStore",
                 "resourceGroupId": world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP)}]}}
        }});
        let (status, body) = self.arm(reqwest::Method::PUT, &id, Some(body)).await;
        assert_eq!(status, 202, "out-of-band PUT (202, as recorded): {body}");
        self.wait_until_settled(&id).await;
    }

    /// Waits until the emulator has no running operation on `id` (polling GET, as a client would).
    pub async fn wait_until_settled(&self, id: &str) {
        for _ in 0..500 {
            let (status, body) = self.arm(reqwest::Method::GET, id, None).await;
            let state = body["properties"]["currentProtectionState"].as_str().unwrap_or("");
            if status == 404 || state == "ProtectionConfigured" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{id} did not settle");
    }
}
