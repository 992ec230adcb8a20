//! The live acceptance suite (`make testacc`): one scenario that a platform team's first real use goes through —
//! a vault, two disk policies and a backup instance created, planned clean, imported, moved to the other policy,
//! replaced, the vault changed in place, and everything destroyed — run with the real terraform CLI and provider.
//!
//! Against real Azure when `TESTACC_TARGET=azure` (the `ARM_*` and `TESTACC_*` variables below say where), and
//! against the emulator otherwise, so that `make test` proves the suite itself. docs/reliability.md says what it
//! creates, costs and needs.
//!
//! Azure mode reads `ARM_TENANT_ID`, `ARM_SUBSCRIPTION_ID`, `ARM_CLIENT_ID`, `ARM_CLIENT_SECRET` (the harness
//! grants the vault's identity its roles with the same principal), `TESTACC_RESOURCE_GROUP_ID` (where the vault
//! goes), `TESTACC_DISK_ID` (an existing managed disk in the same region), `TESTACC_SNAPSHOT_RESOURCE_GROUP_ID`
//! and `TESTACC_LOCATION`.

#[path = "../support/mod.rs"]
mod support;
use support::terraform_version;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{Emulator, EmulatorConfig, Scenario};
use support::terraform::{emulator_http_client, fast_timing, prepare_folder};
use tempfile::TempDir;

const DISK_BACKUP_READER: &str = "3e5e47e6-65f7-47ef-90b5-e5dd4d455f24";
const DISK_SNAPSHOT_CONTRIBUTOR: &str = "7efff54f-a5b4-42b5-a1c5-5411624893ce";
const ROLE_ASSIGNMENTS_API: &str = "2022-04-01";

/// Where the scenario runs.
enum Target {
    /// The emulator, kept running while the suite runs.
    Emulator(#[allow(dead_code)] Box<Emulator>),
    Azure,
}

/// A terraform working folder against one target, with what the scenario needs to know about it.
struct Live {
    dir: TempDir,
    target: Target,
    /// Environment passed to terraform (nothing else of this machine's is).
    env: Vec<(String, String)>,
    provider_block: String,
    prefix: String,
    subscription: String,
    resource_group_id: String,
    location: String,
    disk_id: String,
    snapshot_resource_group_id: String,
    /// The resource manager, a token for it and a client that trusts it, for the role assignments.
    arm_base: String,
    arm_token: String,
    http: reqwest::Client,
    granted: Vec<String>,
    destroyed: bool,
}

fn required(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| panic!("TESTACC_TARGET=azure needs {name}; see the top of tests/live/main.rs"))
}

/// A random suffix for names, so that runs never meet each other's objects.
fn random_suffix() -> String {
    format!("{:06x}", fastrand::u32(..0x100_0000))
}

/// A random version-4 GUID, the name of a new role assignment.
fn new_guid() -> String {
    dataprotection::arm::pipeline::new_correlation_id()
}

impl Live {
    async fn start() -> Live {
        terraform_version::require_terraform();
        let dir = tempfile::tempdir().expect("temporary folder");
        let cli_config = prepare_folder(dir.path());
        let mut env = vec![
            ("PATH".to_owned(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".to_owned(), dir.path().join("home").display().to_string()),
            ("TMPDIR".to_owned(), dir.path().display().to_string()),
            ("TF_CLI_CONFIG_FILE".to_owned(), cli_config.display().to_string()),
            ("TF_IN_AUTOMATION".to_owned(), "1".to_owned()),
            ("TF_INPUT".to_owned(), "0".to_owned()),
            ("CHECKPOINT_DISABLE".to_owned(), "1".to_owned()),
        ];
        let prefix = format!("tfacc-{}", random_suffix());
        if std::env::var("TESTACC_TARGET").as_deref() == Ok("azure") {
            for name in ["ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID", "ARM_CLIENT_ID", "ARM_CLIENT_SECRET"] {
                env.push((name.to_owned(), required(name)));
            }
            if let Ok(bundle) = std::env::var("SSL_CERT_FILE") {
                env.push(("SSL_CERT_FILE".to_owned(), bundle));
            }
            let subscription = required("ARM_SUBSCRIPTION_ID");
            let http = reqwest::Client::builder().build().expect("HTTP client");
            let arm_token = azure_token(&http).await;
            return Live {
                dir,
                target: Target::Azure,
                env,
                provider_block: "provider \"dataprotection\" {}\n".to_owned(),
                prefix,
                subscription,
                resource_group_id: required("TESTACC_RESOURCE_GROUP_ID"),
                location: required("TESTACC_LOCATION"),
                disk_id: required("TESTACC_DISK_ID"),
                snapshot_resource_group_id: required("TESTACC_SNAPSHOT_RESOURCE_GROUP_ID"),
                arm_base: "https://management.azure.com".to_owned(),
                arm_token,
                http,
                granted: Vec::new(),
                destroyed: false,
            };
        }
        let emulator = Emulator::start(EmulatorConfig {
            state_dir: dir.path().join("emulator"),
            listen: "127.0.0.1:0".parse().expect("loopback address"),
            scenario: Some(Scenario::default_world()),
        })
        .await
        .expect("the emulator starts");
        let state = emulator.state();
        state.set_default_lro_timing(fast_timing());
        // As in Azure: the vault's identity gets no role by itself, and new role assignments take a while.
        state.set_auto_grant_vault_roles(false);
        state.update_settings(|s| s.role_propagation_ms = 3_000);
        env.push(("SSL_CERT_FILE".to_owned(), emulator.ca_pem_path().display().to_string()));
        let provider_block = format!(
            "provider \"dataprotection\" {{\n  metadata_host   = \"{}\"\n  tenant_id       = \"{}\"\n  client_id       = \"{}\"\n  client_secret   = \"{}\"\n  subscription_id = \"{}\"\n}}\n",
            emulator.metadata_host(),
            world::TENANT_ID,
            world::CLIENT_ID,
            world::CLIENT_SECRET,
            world::SUBSCRIPTION_ID
        );
        let arm_token = state.issue_token(world::CLIENT_ID).expect("token");
        Live {
            http: emulator_http_client(&emulator),
            arm_base: emulator.base_url().to_owned(),
            arm_token,
            dir,
            env,
            provider_block,
            prefix,
            subscription: world::SUBSCRIPTION_ID.to_owned(),
            resource_group_id: world::resource_group_id(world::BACKUP_RESOURCE_GROUP),
            location: world::LOCATION.to_owned(),
            disk_id: world::disk_id(world::DISK_APP_01),
            snapshot_resource_group_id: world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP),
            target: Target::Emulator(Box::new(emulator)),
            granted: Vec::new(),
            destroyed: false,
        }
    }

    fn work_dir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The configuration: a vault, policy `daily` (and `weekly` when `second_policy`), and, when `instance` names a
    /// policy, a backup instance of the disk with it.
    fn write(&self, second_policy: bool, instance: Option<&str>, tag: &str) {
        let p = &self.prefix;
        let mut text = format!(
            r#"terraform {{
  required_providers {{
    dataprotection = {{ source = "dpkit/dataprotection" }}
  }}
}}

{provider}
resource "dataprotection_backup_vault" "vault" {{
  name              = "{p}-vault"
  resource_group_id = "{group}"
  location          = "{location}"
  datastore_type    = "VaultStore"
  redundancy        = "LocallyRedundant"
  soft_delete       = "Off"
  tags              = {{ suite = "{p}", stage = "{tag}" }}
}}

resource "dataprotection_backup_policy_disk" "daily" {{
  name                            = "{p}-daily"
  vault_id                        = dataprotection_backup_vault.vault.id
  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/P1D"]
  default_retention_duration      = "P7D"
}}
"#,
            provider = self.provider_block,
            group = self.resource_group_id,
            location = self.location,
        );
        if second_policy {
            text.push_str(&format!(
                r#"
resource "dataprotection_backup_policy_disk" "weekly" {{
  name                            = "{p}-4h"
  vault_id                        = dataprotection_backup_vault.vault.id
  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/PT4H"]
  default_retention_duration      = "P14D"
}}
"#
            ));
        }
        if let Some(policy) = instance {
            text.push_str(&format!(
                r#"
resource "dataprotection_backup_instance" "bi" {{
  name                       = "{p}-bi"
  vault_id                   = dataprotection_backup_vault.vault.id
  datasource_id              = "{disk}"
  location                   = "{location}"
  backup_policy_id           = dataprotection_backup_policy_disk.{policy}.id
  snapshot_resource_group_id = "{snapshots}"
}}
"#,
                disk = self.disk_id,
                location = self.location,
                snapshots = self.snapshot_resource_group_id,
            ));
        }
        std::fs::write(self.work_dir().join("main.tf"), text).expect("main.tf");
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new("terraform");
        command.args(args).current_dir(self.work_dir()).env_clear().stdin(Stdio::null());
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Runs terraform; returns its exit code and output.
    async fn terraform(&self, args: &[&str]) -> (i32, String) {
        let mut command = tokio::process::Command::from(self.command(args));
        command.stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        let output = command.output().await.expect("terraform runs");
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        (output.status.code().unwrap_or(-1), text)
    }

    async fn ok(&self, args: &[&str]) -> String {
        let (code, text) = self.terraform(args).await;
        assert_eq!(code, 0, "terraform {args:?} failed:\n{text}");
        text
    }

    async fn plan_is_clean(&self) {
        let (code, text) = self.terraform(&["plan", "-detailed-exitcode", "-no-color"]).await;
        assert_eq!(code, 0, "the plan is not empty:\n{text}");
    }

    async fn output_of(&self, address: &str, attribute: &str) -> String {
        let text = self.ok(&["show", "-json"]).await;
        let state: serde_json::Value = serde_json::from_str(&text).expect("terraform show -json");
        let resources = state["values"]["root_module"]["resources"].as_array().cloned().unwrap_or_default();
        let resource = resources.iter().find(|r| r["address"] == address).unwrap_or_else(|| panic!("{address}"));
        resource["values"][attribute].as_str().expect("a string attribute").to_owned()
    }

    /// Grants `role` on `scope` to `principal` through ARM, as `azurerm_role_assignment` would.
    async fn grant(&mut self, scope: &str, role: &str, principal: &str) {
        let id = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{}", new_guid());
        let body = serde_json::json!({"properties": {
            "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{role}", self.subscription),
            "principalId": principal,
            "principalType": "ServicePrincipal",
        }});
        let url = format!("{}{id}?api-version={ROLE_ASSIGNMENTS_API}", self.arm_base);
        // A new identity may not be known to the directory for a few seconds (PrincipalNotFound): try again.
        for attempt in 0..30 {
            let response =
                self.http.put(&url).bearer_auth(&self.arm_token).json(&body).send().await.expect("role assignment PUT");
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            if status == 200 || status == 201 {
                self.granted.push(id);
                return;
            }
            assert!(text.contains("PrincipalNotFound") && attempt < 29, "granting {role} on {scope}: {status} {text}");
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }

    async fn revoke_all(&mut self) {
        for id in std::mem::take(&mut self.granted) {
            let url = format!("{}{id}?api-version={ROLE_ASSIGNMENTS_API}", self.arm_base);
            let _ = self.http.delete(&url).bearer_auth(&self.arm_token).send().await;
        }
    }

    async fn arm_status(&self, id: &str) -> u16 {
        let url = format!("{}{id}?api-version=2025-07-01", self.arm_base);
        self.http.get(&url).bearer_auth(&self.arm_token).send().await.expect("GET").status().as_u16()
    }
}

impl Drop for Live {
    /// A failed run still removes what it made: the destroy it did not reach (best effort; it says so).
    fn drop(&mut self) {
        if self.destroyed || !self.work_dir().join("terraform.tfstate").exists() {
            return;
        }
        let status = self.command(&["destroy", "-auto-approve", "-no-color"]).stdout(Stdio::null()).status();
        if matches!(self.target, Target::Azure) {
            eprintln!(
                "cleanup: terraform destroy after a failed run ended with {status:?}; role assignments left: {:?}",
                self.granted
            );
        }
    }
}

/// A token for ARM from Entra with the suite's client secret.
async fn azure_token(http: &reqwest::Client) -> String {
    let url = format!("https://login.microsoftonline.com/{}/oauth2/v2.0/token", required("ARM_TENANT_ID"));
    let form = [
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", required("ARM_CLIENT_ID")),
        ("client_secret", required("ARM_CLIENT_SECRET")),
        ("scope", "https://management.azure.com/.default".to_owned()),
    ];
    let body = form.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
    let response = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("token request");
    let json: serde_json::Value = response.json().await.expect("token answer");
    json["access_token"].as_str().expect("an access token").to_owned()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_its_policies_and_a_backup_instance_through_their_whole_lifecycle() {
    let mut live = Live::start().await;
    let instance = "dataprotection_backup_instance.bi";

    // The vault and a policy; a clean plan after.
    // No `terraform init`: the CLI configuration's dev_overrides point terraform at the provider just built.
    live.write(false, None, "one");
    live.ok(&["apply", "-auto-approve", "-no-color"]).await;
    live.plan_is_clean().await;

    // The vault's identity gets its two roles (as azurerm_role_assignment would, just now: they take a while).
    let principal = live.output_of("dataprotection_backup_vault.vault", "identity_principal_id").await;
    let (disk, snapshots) = (live.disk_id.clone(), live.snapshot_resource_group_id.clone());
    live.grant(&disk, DISK_BACKUP_READER, &principal).await;
    live.grant(&snapshots, DISK_SNAPSHOT_CONTRIBUTOR, &principal).await;

    // The backup instance: validated at plan (waiting for the roles to take effect), created, a clean plan.
    live.write(false, Some("daily"), "one");
    let text = live.ok(&["apply", "-auto-approve", "-no-color"]).await;
    assert!(text.contains("1 added, 0 changed, 0 destroyed"), "{text}");
    live.plan_is_clean().await;
    let id = live.output_of(instance, "id").await;
    assert_eq!(live.output_of(instance, "protection_state").await, "ProtectionConfigured");

    // Import: out of state, back in by ID, nothing to change.
    live.ok(&["state", "rm", instance]).await;
    live.ok(&["import", "-no-color", instance, &id]).await;
    live.plan_is_clean().await;

    // The other policy: created, and the instance moved to it in place.
    live.write(true, Some("weekly"), "one");
    let text = live.ok(&["apply", "-auto-approve", "-no-color"]).await;
    assert!(text.contains("1 added, 1 changed, 0 destroyed"), "{text}");
    live.plan_is_clean().await;

    // A replacement of the instance (the same disk: deleted first, then created).
    let text = live.ok(&["apply", "-auto-approve", "-no-color", &format!("-replace={instance}")]).await;
    assert!(text.contains("1 added, 0 changed, 1 destroyed"), "{text}");
    live.plan_is_clean().await;

    // The vault changes in place.
    live.write(true, Some("weekly"), "two");
    let text = live.ok(&["apply", "-auto-approve", "-no-color"]).await;
    assert!(text.contains("0 added, 1 changed, 0 destroyed"), "{text}");
    live.plan_is_clean().await;

    // Everything goes, and Azure no longer has the vault.
    let vault = live.output_of("dataprotection_backup_vault.vault", "id").await;
    let text = live.ok(&["destroy", "-auto-approve", "-no-color"]).await;
    assert!(text.contains("4 destroyed"), "{text}");
    live.destroyed = true;
    live.revoke_all().await;
    assert_eq!(live.arm_status(&vault).await, 404);
}
