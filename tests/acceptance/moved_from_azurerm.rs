//! Moves from azurerm: `moved { from = azurerm_data_protection_<type>.x  to = dataprotection_<type>.x }` for every
//! azurerm type with a counterpart here, over a state written by hand in azurerm's shape, against objects that
//! exist in the emulator. The azurerm provider is a stand-in (tests/support/azurerm_standin.rs, a Cargo example)
//! registered as `hashicorp/azurerm` through dev_overrides: Terraform needs the source provider present, not its
//! code. One terraform run moves sixteen resources, one or more of every azurerm type; the refusals (an unknown
//! type, an unknown schema version, a value this provider keeps otherwise) are one more run.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use crate::support;
use dataprotection_emulator::default_world as world;
use serde_json::{Value as Json, json};
use support::terraform::{PROVIDER, Run, Workspace};

const STANDIN: &str = "terraform-provider-azurerm";

/// The stand-in, built once per run next to this test's target folder: `cargo test` builds examples, but
/// `cargo test --test acceptance` alone does not, and an older build would be used in its place.
fn standin_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let test_binary = std::env::current_exe().expect("test binary path");
            let profile_dir = test_binary.parent().and_then(Path::parent).expect("target/<profile>");
            let mut build = StdCommand::new(env!("CARGO"));
            build.args(["build", "--quiet", "--example", STANDIN]).current_dir(env!("CARGO_MANIFEST_DIR"));
            if profile_dir.file_name().is_some_and(|name| name == "release") {
                build.arg("--release");
            }
            let status = build.status().expect("cargo runs");
            assert!(status.success(), "building the azurerm stand-in failed: {status}");
            let binary = profile_dir.join("examples").join(STANDIN);
            assert!(binary.exists(), "{} is missing after its build", binary.display());
            binary
        })
        .clone()
}

/// A workspace whose CLI configuration also points `hashicorp/azurerm` at the stand-in.
struct MoveWorkspace {
    ws: Workspace,
    cli_config: PathBuf,
}

impl MoveWorkspace {
    async fn start() -> MoveWorkspace {
        let ws = Workspace::start().await;
        let root = ws.work_dir().parent().expect("the workspace folder").to_path_buf();
        let bin = root.join("azurerm-bin");
        std::fs::create_dir_all(&bin).expect("stand-in folder");
        std::fs::copy(standin_binary(), bin.join(STANDIN)).expect("copy the stand-in");
        let provider_dir = Path::new(PROVIDER).parent().expect("the provider binary has a folder");
        let cli_config = root.join("moves.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"dpkit/dataprotection\" = \"{}\"\n    \
                 \"hashicorp/azurerm\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider_dir.display(),
                bin.display()
            ),
        )
        .expect("CLI configuration");
        MoveWorkspace { ws, cli_config }
    }

    /// Writes `main.tf`: both providers, the dataprotection provider block, then `body`.
    fn write(&self, body: &str) {
        let text = format!(
            "terraform {{\n  required_providers {{\n    dataprotection = {{ source = \"dpkit/dataprotection\" }}\n    \
             azurerm = {{ source = \"hashicorp/azurerm\" }}\n  }}\n}}\n\n{}\n{body}\n",
            self.ws.provider_block()
        );
        std::fs::write(self.ws.work_dir().join("main.tf"), text).expect("main.tf");
    }

    async fn terraform(&self, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.push("-no-color");
        let output = self
            .ws
            .command(&all)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .output()
            .await
            .unwrap_or_else(|e| panic!("terraform could not be started (it must be on PATH): {e}"));
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    async fn terraform_ok(&self, args: &[&str]) -> Run {
        let run = self.terraform(args).await;
        assert_eq!(run.code, 0, "terraform {args:?} failed:\n{}", run.output());
        run
    }

    /// Replaces the state with `resources` (azurerm's shape), keeping the lineage and raising the serial.
    fn write_azurerm_state(&self, resources: Vec<Json>) {
        let path = self.ws.work_dir().join("terraform.tfstate");
        let (lineage, serial) = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let state: Json = serde_json::from_str(&text).expect("state JSON");
                (state["lineage"].as_str().unwrap_or_default().to_owned(), state["serial"].as_i64().unwrap_or(0))
            }
            Err(_) => ("6f1c7d52-5a0e-4c1e-9f53-3d6f2b1f0a11".to_owned(), 0),
        };
        let state = json!({
            "version": 4,
            "terraform_version": "1.11.4",
            "serial": serial + 1,
            "lineage": lineage,
            "outputs": {},
            "resources": resources,
            "check_results": null,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).expect("state");
    }
}

/// One managed resource of azurerm in a state file.
fn azurerm_resource(kind: &str, name: &str, schema_version: i64, attributes: Json) -> Json {
    json!({
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider": "provider[\"registry.terraform.io/hashicorp/azurerm\"]",
        "instances": [{
            "schema_version": schema_version,
            "attributes": attributes,
            "sensitive_attributes": [],
            "private": "eyJlMmJmYjczMC1lY2FhLTExZTYtOGY4OC0zNDM2M2JjN2M0YzAiOnsiY3JlYXRlIjoxODAwMDAwMDAwMDAwLCJkZWxldGUiOjE4MDAwMDAwMDAwMDAsInJlYWQiOjMwMDAwMDAwMDAwMCwidXBkYXRlIjoxODAwMDAwMDAwMDAwfX0="
        }]
    })
}

fn moved(from: &str, to: &str) -> String {
    format!("moved {{\n  from = {from}\n  to   = {to}\n}}\n")
}

fn policy_id(name: &str) -> String {
    world::policy_id(name)
}

fn instance_id(name: &str) -> String {
    world::backup_instance_id(name)
}

/// A user-assigned identity of the geo-redundant vault of [`kinds_config`].
fn identity_id() -> String {
    format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-backup",
        world::resource_group_id(world::BACKUP_RESOURCE_GROUP)
    )
}

const KEY: &str = "https://kv-backup.vault.azure.net/keys/backup-key";

/// The policies and instances of every kind in the default vault, with calendar retention rules where azurerm has
/// them, and a geo-redundant vault with cross-region restore, a user-assigned identity and a customer-managed key,
/// and a resource guard, as this provider's configuration. The default vault itself exists in the emulator already.
fn kinds_config() -> String {
    let vault = world::vault_id();
    let rg = |name: &str| world::resource_group_id(name);
    format!(
        r#"
resource "dataprotection_backup_policy_disk" "disk" {{
  name                            = "mv-disk"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/PT4H"]
  default_retention_duration      = "P7D"
  time_zone                       = "UTC"
  retention_rule {{
    name              = "Daily"
    duration          = "P14D"
    priority          = 25
    absolute_criteria = "FirstOfDay"
  }}
}}

resource "dataprotection_backup_policy_blob_storage" "blob" {{
  name                                   = "mv-blob"
  vault_id                               = "{vault}"
  operational_default_retention_duration = "P30D"
  backup_repeating_time_intervals        = ["R/2024-01-01T02:00:00+00:00/P1D"]
  vault_default_retention_duration       = "P90D"
  time_zone                              = "UTC"
  retention_rule {{
    name              = "Monthly"
    duration          = "P12M"
    priority          = 20
    absolute_criteria = "FirstOfMonth"
  }}
  retention_rule {{
    name           = "MidAndMonthEnd"
    duration       = "P12M"
    priority       = 15
    days_of_month  = [15, 0]
    months_of_year = ["June", "December"]
  }}
}}

resource "dataprotection_backup_policy_kubernetes_cluster" "aks" {{
  name                            = "mv-aks"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/PT4H"]
  default_retention_duration      = "P7D"
  time_zone                       = "UTC"
  retention_rule {{
    name              = "Daily"
    duration          = "P14D"
    priority          = 25
    absolute_criteria = "FirstOfDay"
  }}
}}

resource "dataprotection_backup_policy_postgresql_flexible_server" "pg" {{
  name                            = "mv-pg"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-07T02:00:00+00:00/P1W"]
  default_retention_duration      = "P3M"
  time_zone                       = "UTC"
  retention_rule {{
    name              = "Yearly"
    duration          = "P5Y"
    priority          = 10
    absolute_criteria = "FirstOfYear"
  }}
  retention_rule {{
    name                   = "FirstAndLastTuesday"
    duration               = "P6M"
    priority               = 20
    days_of_week           = ["Tuesday"]
    weeks_of_month         = ["First", "Last"]
    scheduled_backup_times = ["2024-01-07T02:00:00+00:00"]
  }}
}}

resource "dataprotection_backup_policy_mysql_flexible_server" "mysql" {{
  name                            = "mv-mysql"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-07T02:00:00+00:00/P1W"]
  default_retention_duration      = "P3M"
}}

resource "dataprotection_backup_policy_data_lake_storage" "lake" {{
  name                            = "mv-lake"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/P1D"]
  default_retention_duration      = "P30D"
  time_zone                       = "UTC"
  retention_rule {{
    name              = "Weekly"
    duration          = "P12W"
    priority          = 1
    absolute_criteria = "FirstOfWeek"
  }}
  retention_rule {{
    name         = "Weekends"
    duration     = "P12W"
    priority     = 2
    days_of_week = ["Sunday", "Saturday"]
  }}
}}

resource "dataprotection_backup_instance" "disk" {{
  name                       = "mv-disk-app-01"
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  location                   = "westus"
  backup_policy_id           = dataprotection_backup_policy_disk.disk.id
  snapshot_resource_group_id = "{snapshots}"
}}

resource "dataprotection_backup_instance_blob_storage" "blob" {{
  name                            = "mv-stappdata01"
  vault_id                        = "{vault}"
  datasource_id                   = "{blob}"
  location                        = "westus"
  backup_policy_id                = dataprotection_backup_policy_blob_storage.blob.id
  storage_account_container_names = ["invoices"]
}}

resource "dataprotection_backup_instance_kubernetes_cluster" "aks" {{
  name                       = "mv-aks-app-01"
  vault_id                   = "{vault}"
  datasource_id              = "{aks}"
  location                   = "westus"
  backup_policy_id           = dataprotection_backup_policy_kubernetes_cluster.aks.id
  snapshot_resource_group_id = "{snapshots}"
  backup_datasource_parameters {{
    excluded_namespaces              = ["kube-system"]
    cluster_scoped_resources_enabled = true
    volume_snapshot_enabled          = true
  }}
}}

resource "dataprotection_backup_instance_postgresql_flexible_server" "pg" {{
  name             = "mv-psql-app-01"
  vault_id         = "{vault}"
  datasource_id    = "{pg}"
  location         = "westus"
  backup_policy_id = dataprotection_backup_policy_postgresql_flexible_server.pg.id
}}

resource "dataprotection_backup_instance_mysql_flexible_server" "mysql" {{
  name             = "mv-mysql-app-01"
  vault_id         = "{vault}"
  datasource_id    = "{mysql}"
  location         = "westus"
  backup_policy_id = dataprotection_backup_policy_mysql_flexible_server.mysql.id
}}

resource "dataprotection_backup_instance_data_lake_storage" "lake" {{
  name                            = "mv-stlakedata01"
  vault_id                        = "{vault}"
  datasource_id                   = "{lake}"
  location                        = "westus"
  backup_policy_id                = dataprotection_backup_policy_data_lake_storage.lake.id
  storage_account_container_names = ["raw", "curated"]
}}

resource "dataprotection_backup_vault" "geo" {{
  name                         = "vault-geo"
  resource_group_id            = "{backup_group}"
  location                     = "westus"
  datastore_type               = "VaultStore"
  redundancy                   = "GeoRedundant"
  cross_region_restore_enabled = true
  identity_type                = "SystemAssigned, UserAssigned"
  identity_ids                 = ["{uai}"]
}}

resource "dataprotection_backup_vault_customer_managed_key" "geo" {{
  vault_id         = dataprotection_backup_vault.geo.id
  key_vault_key_id = "{key}"
}}

resource "dataprotection_resource_guard" "guard" {{
  name                                    = "guard-mua"
  resource_group_id                       = "{backup_group}"
  location                                = "westus"
  vault_critical_operation_exclusion_list = ["Microsoft.DataProtection/backupVaults/backupInstances/write"]
  tags                                    = {{ owner = "security" }}
}}
"#,
        backup_group = rg(world::BACKUP_RESOURCE_GROUP),
        uai = identity_id(),
        key = KEY,
        disk = world::disk_id("disk-app-01"),
        blob = world::storage_account_id("stappdata01"),
        aks = world::kubernetes_cluster_id("aks-app-01"),
        pg = world::postgresql_server_id("psql-app-01"),
        mysql = world::mysql_server_id("mysql-app-01"),
        lake = world::storage_account_id("stlakedata01"),
        snapshots = rg(world::SNAPSHOT_RESOURCE_GROUP),
    )
}

/// The vault as this provider's configuration: the default world's vault-demo.
fn vault_config() -> String {
    format!(
        r#"
resource "dataprotection_backup_vault" "vault" {{
  name              = "{name}"
  resource_group_id = "{rg}"
  location          = "westus"
  datastore_type    = "VaultStore"
  redundancy        = "LocallyRedundant"
  soft_delete       = "Off"
}}
"#,
        name = world::VAULT_NAME,
        rg = world::resource_group_id(world::BACKUP_RESOURCE_GROUP),
    )
}

/// A retention rule block of azurerm's policies with a `life_cycle`.
fn life_cycle_rule(name: &str, criteria: &str, store: &str, duration: &str, priority: i64) -> Json {
    calendar_rule(name, json!({ "absolute_criteria": criteria }), store, duration, priority)
}

/// A retention rule block of azurerm's policies with a `life_cycle`, selecting by `criteria` (azurerm's criteria
/// attributes; those not given are empty, as azurerm writes them).
fn calendar_rule(name: &str, criteria: Json, store: &str, duration: &str, priority: i64) -> Json {
    let mut all = json!({ "absolute_criteria": "", "days_of_week": [], "months_of_year": [],
                          "scheduled_backup_times": [], "weeks_of_month": [] });
    all.as_object_mut().unwrap().extend(criteria.as_object().unwrap().clone());
    json!({
        "name": name,
        "criteria": [all],
        "life_cycle": [{ "data_store_type": store, "duration": duration }],
        "priority": priority,
    })
}

/// The state azurerm writes for the vault and for every object of [`kinds_config`], by hand; `geo_identity` is the
/// principal and tenant of the geo-redundant vault's system-assigned identity.
fn azurerm_state(geo_identity: (&str, &str)) -> Vec<Json> {
    let vault = world::vault_id();
    let sub = world::SUBSCRIPTION_ID;
    let status = "ProtectionConfigured";
    vec![
        azurerm_resource(
            "azurerm_data_protection_backup_vault",
            "vault",
            0,
            json!({
                "id": vault, "name": world::VAULT_NAME, "resource_group_name": world::BACKUP_RESOURCE_GROUP,
                "location": "westus", "datastore_type": "VaultStore", "redundancy": "LocallyRedundant",
                "cross_region_restore_enabled": false, "retention_duration_in_days": 14.0, "soft_delete": "Off",
                "immutability": "Disabled",
                "identity": [{ "type": "SystemAssigned", "identity_ids": [], "principal_id": world::VAULT_PRINCIPAL_ID,
                               "tenant_id": world::TENANT_ID }],
                "tags": {}, "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_policy_disk",
            "disk",
            0,
            json!({
                "id": policy_id("mv-disk"), "name": "mv-disk", "vault_id": vault,
                "backup_repeating_time_intervals": ["R/2024-01-01T02:00:00+00:00/PT4H"],
                "default_retention_duration": "P7D", "time_zone": "UTC",
                "retention_rule": [{ "name": "Daily", "duration": "P14D", "priority": 25,
                                     "criteria": [{ "absolute_criteria": "FirstOfDay" }] }],
                "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_policy_blob_storage",
            "blob",
            0,
            json!({
                "id": policy_id("mv-blob"), "name": "mv-blob", "vault_id": vault,
                "backup_repeating_time_intervals": ["R/2024-01-01T02:00:00+00:00/P1D"],
                "operational_default_retention_duration": "P30D", "vault_default_retention_duration": "P90D",
                "time_zone": "UTC",
                "retention_rule": [
                    life_cycle_rule("Monthly", "FirstOfMonth", "VaultStore", "P12M", 20),
                    calendar_rule("MidAndMonthEnd", json!({ "days_of_month": [0, 15], "months_of_year": ["December", "June"] }),
                                  "VaultStore", "P12M", 15),
                ],
                "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_policy_kubernetes_cluster",
            "aks",
            0,
            json!({
                "id": policy_id("mv-aks"), "name": "mv-aks", "resource_group_name": world::BACKUP_RESOURCE_GROUP,
                "vault_name": world::VAULT_NAME,
                "backup_repeating_time_intervals": ["R/2024-01-01T02:00:00+00:00/PT4H"],
                "default_retention_rule": [{ "life_cycle": [{ "data_store_type": "OperationalStore", "duration": "P7D" }] }],
                "retention_rule": [life_cycle_rule("Daily", "FirstOfDay", "OperationalStore", "P14D", 25)],
                "time_zone": "UTC", "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_policy_postgresql_flexible_server",
            "pg",
            0,
            json!({
                "id": policy_id("mv-pg"), "name": "mv-pg", "vault_id": vault,
                "backup_repeating_time_intervals": ["R/2024-01-07T02:00:00+00:00/P1W"],
                "default_retention_rule": [{ "life_cycle": [{ "data_store_type": "VaultStore", "duration": "P3M" }] }],
                "retention_rule": [
                    life_cycle_rule("Yearly", "FirstOfYear", "VaultStore", "P5Y", 10),
                    calendar_rule("FirstAndLastTuesday", json!({ "days_of_week": ["Tuesday"], "weeks_of_month": ["Last", "First"],
                                  "scheduled_backup_times": ["2024-01-07T02:00:00+00:00"] }), "VaultStore", "P6M", 20),
                ],
                "time_zone": "UTC", "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_policy_mysql_flexible_server",
            "mysql",
            0,
            json!({
                "id": policy_id("mv-mysql"), "name": "mv-mysql", "vault_id": vault,
                "backup_repeating_time_intervals": ["R/2024-01-07T02:00:00+00:00/P1W"],
                "default_retention_rule": [{ "life_cycle": [{ "data_store_type": "VaultStore", "duration": "P3M" }] }],
                "retention_rule": [], "time_zone": "", "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_policy_data_lake_storage",
            "lake",
            0,
            json!({
                "id": policy_id("mv-lake"), "name": "mv-lake", "data_protection_backup_vault_id": vault,
                "backup_schedule": ["R/2024-01-01T02:00:00+00:00/P1D"], "default_retention_duration": "P30D",
                "retention_rule": [
                    { "name": "Weekly", "duration": "P12W", "absolute_criteria": "FirstOfWeek", "days_of_week": [],
                      "months_of_year": [], "scheduled_backup_times": [], "weeks_of_month": [] },
                    { "name": "Weekends", "duration": "P12W", "absolute_criteria": "",
                      "days_of_week": ["Saturday", "Sunday"], "months_of_year": [], "scheduled_backup_times": [],
                      "weeks_of_month": [] },
                ],
                "time_zone": "UTC", "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_instance_disk",
            "disk",
            0,
            json!({
                "id": instance_id("mv-disk-app-01"), "name": "mv-disk-app-01", "location": "westus",
                "vault_id": vault, "disk_id": world::disk_id("disk-app-01"),
                "snapshot_resource_group_name": world::SNAPSHOT_RESOURCE_GROUP, "snapshot_subscription_id": sub,
                "backup_policy_id": policy_id("mv-disk"), "protection_state": status, "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_instance_blob_storage",
            "blob",
            0,
            json!({
                "id": instance_id("mv-stappdata01"), "name": "mv-stappdata01", "location": "westus",
                "vault_id": vault, "storage_account_id": world::storage_account_id("stappdata01"),
                "backup_policy_id": policy_id("mv-blob"), "storage_account_container_names": ["invoices"],
                "protection_state": status, "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_instance_kubernetes_cluster",
            "aks",
            0,
            json!({
                "id": instance_id("mv-aks-app-01"), "name": "mv-aks-app-01", "location": "westus",
                "vault_id": vault, "backup_policy_id": policy_id("mv-aks"),
                "kubernetes_cluster_id": world::kubernetes_cluster_id("aks-app-01"),
                "snapshot_resource_group_name": world::SNAPSHOT_RESOURCE_GROUP,
                "backup_datasource_parameters": [{
                    "excluded_namespaces": ["kube-system"], "excluded_resource_types": [],
                    "cluster_scoped_resources_enabled": true, "included_namespaces": [],
                    "included_resource_types": [], "label_selectors": [], "volume_snapshot_enabled": true,
                }],
                "protection_state": status, "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_instance_postgresql_flexible_server",
            "pg",
            0,
            json!({
                "id": instance_id("mv-psql-app-01"), "name": "mv-psql-app-01", "location": "westus",
                "vault_id": vault, "backup_policy_id": policy_id("mv-pg"),
                "server_id": world::postgresql_server_id("psql-app-01"), "protection_state": status,
                "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_instance_mysql_flexible_server",
            "mysql",
            0,
            json!({
                "id": instance_id("mv-mysql-app-01"), "name": "mv-mysql-app-01", "location": "westus",
                "vault_id": vault, "backup_policy_id": policy_id("mv-mysql"),
                "server_id": world::mysql_server_id("mysql-app-01"), "protection_state": status,
                "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_instance_data_lake_storage",
            "lake",
            0,
            json!({
                "id": instance_id("mv-stlakedata01"), "name": "mv-stlakedata01", "location": "westus",
                "data_protection_backup_vault_id": vault,
                "backup_policy_data_lake_storage_id": policy_id("mv-lake"),
                "storage_account_id": world::storage_account_id("stlakedata01"),
                "storage_container_names": ["curated", "raw"], "protection_state": status, "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_vault",
            "geo",
            0,
            json!({
                "id": geo_vault_id(), "name": "vault-geo", "resource_group_name": world::BACKUP_RESOURCE_GROUP,
                "location": "westus", "datastore_type": "VaultStore", "redundancy": "GeoRedundant",
                "cross_region_restore_enabled": true, "retention_duration_in_days": 14.0, "soft_delete": "On",
                "immutability": "Disabled",
                "identity": [{ "type": "SystemAssigned, UserAssigned", "identity_ids": [identity_id()],
                               "principal_id": geo_identity.0, "tenant_id": geo_identity.1 }],
                "tags": {}, "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_backup_vault_customer_managed_key",
            "geo",
            0,
            json!({
                "id": geo_vault_id(), "data_protection_backup_vault_id": geo_vault_id(), "key_vault_key_id": KEY,
                "timeouts": null,
            }),
        ),
        azurerm_resource(
            "azurerm_data_protection_resource_guard",
            "guard",
            0,
            json!({
                "id": format!("{}/providers/Microsoft.DataProtection/resourceGuards/guard-mua",
                              world::resource_group_id(world::BACKUP_RESOURCE_GROUP)),
                "name": "guard-mua", "resource_group_name": world::BACKUP_RESOURCE_GROUP, "location": "westus",
                "vault_critical_operation_exclusion_list": ["Microsoft.DataProtection/backupVaults/backupInstances/write"],
                "tags": { "owner": "security" }, "timeouts": null,
            }),
        ),
    ]
}

fn geo_vault_id() -> String {
    format!(
        "{}/providers/Microsoft.DataProtection/backupVaults/vault-geo",
        world::resource_group_id(world::BACKUP_RESOURCE_GROUP)
    )
}

/// `(azurerm type, this provider's type, name)` of every move.
const MOVES: &[(&str, &str, &str)] = &[
    ("azurerm_data_protection_backup_vault", "dataprotection_backup_vault", "vault"),
    ("azurerm_data_protection_backup_policy_disk", "dataprotection_backup_policy_disk", "disk"),
    ("azurerm_data_protection_backup_policy_blob_storage", "dataprotection_backup_policy_blob_storage", "blob"),
    (
        "azurerm_data_protection_backup_policy_kubernetes_cluster",
        "dataprotection_backup_policy_kubernetes_cluster",
        "aks",
    ),
    (
        "azurerm_data_protection_backup_policy_postgresql_flexible_server",
        "dataprotection_backup_policy_postgresql_flexible_server",
        "pg",
    ),
    (
        "azurerm_data_protection_backup_policy_mysql_flexible_server",
        "dataprotection_backup_policy_mysql_flexible_server",
        "mysql",
    ),
    (
        "azurerm_data_protection_backup_policy_data_lake_storage",
        "dataprotection_backup_policy_data_lake_storage",
        "lake",
    ),
    ("azurerm_data_protection_backup_instance_disk", "dataprotection_backup_instance", "disk"),
    ("azurerm_data_protection_backup_instance_blob_storage", "dataprotection_backup_instance_blob_storage", "blob"),
    (
        "azurerm_data_protection_backup_instance_kubernetes_cluster",
        "dataprotection_backup_instance_kubernetes_cluster",
        "aks",
    ),
    (
        "azurerm_data_protection_backup_instance_postgresql_flexible_server",
        "dataprotection_backup_instance_postgresql_flexible_server",
        "pg",
    ),
    (
        "azurerm_data_protection_backup_instance_mysql_flexible_server",
        "dataprotection_backup_instance_mysql_flexible_server",
        "mysql",
    ),
    (
        "azurerm_data_protection_backup_instance_data_lake_storage",
        "dataprotection_backup_instance_data_lake_storage",
        "lake",
    ),
    ("azurerm_data_protection_backup_vault", "dataprotection_backup_vault", "geo"),
    (
        "azurerm_data_protection_backup_vault_customer_managed_key",
        "dataprotection_backup_vault_customer_managed_key",
        "geo",
    ),
    ("azurerm_data_protection_resource_guard", "dataprotection_resource_guard", "guard"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_azurerm_type_moves_with_one_moved_block_and_plans_no_changes() {
    let mws = MoveWorkspace::start().await;
    // The objects azurerm would have made: created here with this provider, then handed to azurerm's state.
    mws.write(&kinds_config());
    let run = mws.terraform_ok(&["apply", "-auto-approve"]).await;
    assert!(run.stdout.contains("15 added, 0 changed, 0 destroyed"), "{}", run.stdout);
    let created = mws.ws.state();
    let geo = resource_attributes(&created, "dataprotection_backup_vault", "geo");
    let geo_identity = (
        geo["identity_principal_id"].as_str().expect("a system-assigned principal").to_owned(),
        geo["identity_tenant_id"].as_str().expect("a tenant").to_owned(),
    );
    mws.write_azurerm_state(azurerm_state((&geo_identity.0, &geo_identity.1)));

    let blocks: String =
        MOVES.iter().map(|(from, to, name)| moved(&format!("{from}.{name}"), &format!("{to}.{name}"))).collect();
    mws.write(&format!("{}{}{blocks}", vault_config(), kinds_config()));
    mws.ws.emulator.state().clear_journal();
    // Without a refresh, the plan compares the configuration with the converted state alone: the one difference
    // is the order of the Data Lake containers, a set in azurerm (kept in hash order) and a list here.
    let unrefreshed = mws.terraform_ok(&["plan", "-refresh=false"]).await;
    let out = &unrefreshed.stdout;
    assert!(out.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{out}");
    assert!(out.contains("# dataprotection_backup_instance_data_lake_storage.lake will be updated in-place"), "{out}");
    let plan = mws.terraform_ok(&["plan"]).await;
    for (from, to, name) in MOVES {
        assert!(plan.stdout.contains(&format!("# {from}.{name} has moved to {to}.{name}")), "{}", plan.stdout);
    }
    assert!(plan.stdout.contains("Plan: 0 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(!plan.stdout.contains("will be updated") && !plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    let writes: Vec<String> = mws
        .ws
        .journal()
        .into_iter()
        .filter(|e| ["PUT", "PATCH", "DELETE"].contains(&e.method.as_str()))
        .map(|e| format!("{} {}", e.method, e.operation))
        .collect();
    assert!(writes.is_empty(), "the plan writes nothing: {writes:?}");

    mws.terraform_ok(&["apply", "-auto-approve"]).await;
    let run = mws.terraform(&["plan", "-detailed-exitcode"]).await;
    assert_eq!(run.code, 0, "no changes after the move:\n{}", run.output());
    let list = mws.terraform_ok(&["state", "list"]).await;
    for (_, to, name) in MOVES {
        assert!(list.stdout.lines().any(|l| l == format!("{to}.{name}")), "{}", list.stdout);
    }
    assert!(!list.stdout.contains("azurerm_"), "{}", list.stdout);
    let state = mws.ws.state();
    let attributes = resource_attributes(&state, "dataprotection_backup_vault", "vault");
    assert_eq!(attributes["resource_group_id"], world::resource_group_id(world::BACKUP_RESOURCE_GROUP));
    assert_eq!(attributes["identity_type"], "SystemAssigned");
    assert_eq!(attributes["identity_principal_id"], world::VAULT_PRINCIPAL_ID);
    let geo = resource_attributes(&state, "dataprotection_backup_vault", "geo");
    assert_eq!(geo["cross_region_restore_enabled"], true);
    assert_eq!(geo["identity_ids"], json!([identity_id()]));
    let blob = resource_attributes(&state, "dataprotection_backup_policy_blob_storage", "blob");
    let calendar = blob["retention_rule"].as_array().unwrap().iter().find(|r| r["name"] == "MidAndMonthEnd").unwrap();
    assert_eq!(calendar["days_of_month"], json!([0, 15]));
    let guard = resource_attributes(&state, "dataprotection_resource_guard", "guard");
    assert_eq!(guard["resource_group_id"], world::resource_group_id(world::BACKUP_RESOURCE_GROUP));
    let key = resource_attributes(&state, "dataprotection_backup_vault_customer_managed_key", "geo");
    assert_eq!(key["key_vault_key_id"], KEY);
}

/// The attributes of the resource `kind`.`name` in `state`.
fn resource_attributes(state: &Json, kind: &str, name: &str) -> Json {
    state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["type"] == kind && r["name"] == name)
        .unwrap_or_else(|| panic!("{kind}.{name} is in the state"))["instances"][0]["attributes"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_this_provider_cannot_take_are_refused_with_the_type_and_attribute() {
    let mws = MoveWorkspace::start().await;
    let vault = world::vault_id();
    let vault_attributes = |extra: Json| {
        let mut attributes = json!({
            "id": vault, "name": world::VAULT_NAME, "resource_group_name": world::BACKUP_RESOURCE_GROUP,
            "location": "westus", "datastore_type": "VaultStore", "redundancy": "LocallyRedundant",
            "retention_duration_in_days": 14.0, "soft_delete": "Off", "immutability": "Disabled",
            "identity": [{ "type": "SystemAssigned", "identity_ids": [], "principal_id": world::VAULT_PRINCIPAL_ID,
                           "tenant_id": world::TENANT_ID }],
            "tags": {}, "timeouts": null,
        });
        attributes.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        attributes
    };
    mws.write_azurerm_state(vec![
        // A type with no counterpart here.
        azurerm_resource(
            "azurerm_data_protection_backup_instance_cosmosdb_account",
            "cosmos",
            0,
            json!({ "id": instance_id("cosmos"), "name": "cosmos" }),
        ),
        // A schema version azurerm has not written.
        azurerm_resource("azurerm_data_protection_backup_vault", "future", 3, vault_attributes(json!({}))),
        // A value this provider keeps otherwise: AKS backups are kept in the operational store here.
        azurerm_resource(
            "azurerm_data_protection_backup_policy_kubernetes_cluster",
            "weekly",
            0,
            json!({
                "id": policy_id("mv-weekly"), "name": "mv-weekly", "resource_group_name": world::BACKUP_RESOURCE_GROUP,
                "vault_name": world::VAULT_NAME, "backup_repeating_time_intervals": ["R/2024-01-01T02:00:00+00:00/PT4H"],
                "default_retention_rule": [{ "life_cycle": [{ "data_store_type": "OperationalStore", "duration": "P7D" }] }],
                "retention_rule": [{
                    "name": "Mondays", "priority": 25,
                    "criteria": [{ "absolute_criteria": "", "days_of_week": ["Monday"] }],
                    "life_cycle": [{ "data_store_type": "VaultStore", "duration": "P14D" }],
                }],
                "time_zone": "", "timeouts": null,
            }),
        ),
    ]);
    let policy = r#"
resource "dataprotection_backup_policy_kubernetes_cluster" "weekly" {
  name                            = "mv-weekly"
  vault_id                        = "VAULT"
  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/PT4H"]
  default_retention_duration      = "P7D"
}

resource "dataprotection_backup_instance_postgresql_flexible_server" "cosmos" {
  name             = "cosmos"
  vault_id         = "VAULT"
  datasource_id    = "SERVER"
  location         = "westus"
  backup_policy_id = "POLICY"
}
"#
    .replace("VAULT", &vault)
    .replace("SERVER", &world::postgresql_server_id("psql-app-01"))
    .replace("POLICY", &policy_id("mv-weekly"));
    let vault_block = |name: &str| vault_config().replace("\"vault\"", &format!("\"{name}\""));
    mws.write(&format!(
        "{}{policy}{}{}{}",
        vault_block("future"),
        moved(
            "azurerm_data_protection_backup_instance_cosmosdb_account.cosmos",
            "dataprotection_backup_instance_postgresql_flexible_server.cosmos"
        ),
        moved("azurerm_data_protection_backup_vault.future", "dataprotection_backup_vault.future"),
        moved(
            "azurerm_data_protection_backup_policy_kubernetes_cluster.weekly",
            "dataprotection_backup_policy_kubernetes_cluster.weekly"
        ),
    ));
    let run = mws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let output = run.output();
    let flat = output.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Cannot move azurerm_data_protection_backup_instance_cosmosdb_account to dataprotection_backup_instance_postgresql_flexible_server"),
        "{output}"
    );
    assert!(
        flat.contains("does not know the resource type azurerm_data_protection_backup_instance_cosmosdb_account"),
        "{output}"
    );
    assert!(flat.contains("Unknown schema version 3 of azurerm_data_protection_backup_vault"), "{output}");
    assert!(
        flat.contains("Cannot move azurerm_data_protection_backup_policy_kubernetes_cluster to dataprotection_backup_policy_kubernetes_cluster: retention_rule.0.life_cycle.0.data_store_type"),
        "{output}"
    );
    assert!(flat.contains("this kind of policy keeps backups in OperationalStore here"), "{output}");
    assert!(!output.contains("panicked") && !output.contains("RUST_BACKTRACE"), "{output}");
    // Nothing moved: the state still holds azurerm's resources.
    let list = mws.terraform_ok(&["state", "list"]).await;
    assert!(list.stdout.contains("azurerm_data_protection_backup_vault.future"), "{}", list.stdout);
    assert!(list.stdout.contains("azurerm_data_protection_backup_policy_kubernetes_cluster.weekly"), "{}", list.stdout);
    assert!(!list.stdout.contains("dataprotection_"), "{}", list.stdout);
}
