//! Acceptance tests of the data sources (`dataprotection_backup_instance`, `dataprotection_backup_instances`,
//! `dataprotection_backup_vault`, `dataprotection_backup_policy_<kind>` for every policy kind) and of `retain_data_on_destroy` on the
//! backup instance, whose result only a data source can still see: the real terraform CLI, the real provider
//! binary, the emulator over HTTPS on loopback.

use crate::support;

use dataprotection_emulator::default_world as world;
use serde_json::Value;
use support::terraform::{Workspace, instance_block};

/// The attributes of data source `address` (`type.name`) in the state.
fn data(ws: &Workspace, address: &str) -> Value {
    let (ty, name) = address.split_once('.').expect("type.name");
    let state = ws.state();
    state["resources"]
        .as_array()
        .and_then(|resources| resources.iter().find(|r| r["mode"] == "data" && r["type"] == ty && r["name"] == name))
        .map(|r| r["instances"][0]["attributes"].clone())
        .unwrap_or_else(|| panic!("{address} is not in the state: {state}"))
}

/// The output with every run of whitespace made one space: terraform wraps long diagnostic lines.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_no_backtrace(text: &str) {
    assert!(!text.contains("stack backtrace") && !text.contains("rust_begin_unwind"), "backtrace in output:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_policy_and_instance_are_read_by_id() {
    let ws = Workspace::start().await;
    ws.create_out_of_band("bi-read", world::DISK_APP_01, world::POLICY_DAILY).await;
    let instance_id = world::backup_instance_id("bi-read");
    ws.write(&format!(
        r#"data "dataprotection_backup_vault" "vault" {{
  id = "{vault}"
}}

data "dataprotection_backup_policy_disk" "policy" {{
  id = "{policy}"
}}

data "dataprotection_backup_instance" "bi" {{
  id = "{instance_id}"
}}

output "principal" {{
  value = data.dataprotection_backup_vault.vault.identity_principal_id
}}
"#,
        vault = world::vault_id(),
        policy = world::policy_id(world::POLICY_DAILY),
    ));
    let run = ws.apply().await;
    assert!(run.stdout.contains(world::VAULT_PRINCIPAL_ID), "the output shows the principal: {}", run.stdout);

    let vault = data(&ws, "dataprotection_backup_vault.vault");
    assert_eq!(vault["name"], world::VAULT_NAME);
    assert_eq!(vault["resource_group_id"], world::resource_group_id(world::BACKUP_RESOURCE_GROUP).as_str());
    assert_eq!(vault["location"], world::LOCATION);
    assert_eq!(vault["identity_principal_id"], world::VAULT_PRINCIPAL_ID);
    assert_eq!(vault["identity_type"], "SystemAssigned");
    assert!(vault["soft_delete"].is_string(), "{vault}");

    let policy = data(&ws, "dataprotection_backup_policy_disk.policy");
    assert_eq!(policy["name"], world::POLICY_DAILY);
    assert_eq!(policy["vault_id"], world::vault_id().as_str());
    assert_eq!(policy["backup_repeating_time_intervals"], serde_json::json!(["R/2024-01-01T02:00:00+00:00/P1D"]));
    assert_eq!(policy["default_retention_duration"], "P7D");
    assert_eq!(policy["retention_rule"], serde_json::json!([]));

    let instance = data(&ws, "dataprotection_backup_instance.bi");
    assert_eq!(instance["id"], instance_id.as_str());
    assert_eq!(instance["name"], "bi-read");
    assert_eq!(instance["vault_id"], world::vault_id().as_str());
    assert_eq!(instance["datasource_id"], world::disk_id(world::DISK_APP_01).as_str());
    assert_eq!(instance["datasource_type"], "Microsoft.Compute/disks");
    assert_eq!(instance["backup_policy_id"], world::policy_id(world::POLICY_DAILY).as_str());
    assert_eq!(
        instance["snapshot_resource_group_id"],
        world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP).as_str()
    );
    assert_eq!(instance["protection_state"], "ProtectionConfigured");
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "data sources alone plan no change:\n{}", run.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_objects_are_clear_errors_on_their_id() {
    let ws = Workspace::start().await;
    let missing_vault =
        world::vault_id().replace(&format!("/backupVaults/{}", world::VAULT_NAME), "/backupVaults/vault-missing");
    ws.write(&format!(
        r#"data "dataprotection_backup_vault" "vault" {{
  id = "{missing_vault}"
}}

data "dataprotection_backup_policy_disk" "policy" {{
  id = "{policy}"
}}

data "dataprotection_backup_instance" "bi" {{
  id = "{instance}"
}}

data "dataprotection_backup_instances" "all" {{
  vault_id = "{missing_vault}"
}}
"#,
        policy = world::policy_id("policy-missing"),
        instance = world::backup_instance_id("bi-missing"),
    ));
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    for text in [
        "Error: Backup vault not found",
        "Error: Backup policy not found",
        "Error: Backup instance not found",
        "vault-missing (it answered 404 Not Found)",
        "bi-missing (it answered 404 Not Found)",
        "listing the backup instances of",
        "id = \"",
    ] {
        assert!(out.contains(text), "{text}: {out}");
    }
    assert_no_backtrace(&out);

    ws.write(
        r#"data "dataprotection_backup_instance" "bi" {
  id = "/subscriptions/x/resourceGroups/rg"
}
"#,
    );
    let run = ws.terraform(&["validate"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(flat(&run.output()).contains("Invalid backup instance ID"), "{}", run.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_instances_of_a_vault_are_read_across_pages() {
    let ws = Workspace::start().await;
    ws.create_out_of_band("bi-page-a", world::DISK_APP_01, world::POLICY_DAILY).await;
    ws.create_out_of_band("bi-page-b", world::DISK_APP_02, world::POLICY_4H).await;
    // One instance per page: the list takes two pages, joined by nextLink.
    ws.emulator.state().update_settings(|s| s.page_size = 1);
    ws.write(&format!(
        r#"data "dataprotection_backup_instances" "all" {{
  vault_id = "{vault}"
}}

output "names" {{
  value = [for i in data.dataprotection_backup_instances.all.backup_instances : i.name]
}}
"#,
        vault = world::vault_id(),
    ));
    ws.emulator.state().clear_journal();
    ws.apply().await;
    let lists: Vec<_> = ws.journal().into_iter().filter(|e| e.operation == "BackupInstances_List").collect();
    assert!(lists.len() >= 2, "the second page was asked for: {lists:?}");
    assert!(
        lists.iter().any(|e| e.query.as_deref().is_some_and(|q| q.to_lowercase().contains("skiptoken"))),
        "the second request follows nextLink: {lists:?}"
    );
    let all = data(&ws, "dataprotection_backup_instances.all");
    assert_eq!(all["id"], world::vault_id().as_str());
    let instances = all["backup_instances"].as_array().expect("a list");
    let names: Vec<&str> = instances.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["bi-page-a", "bi-page-b"]);
    assert_eq!(instances[1]["backup_policy_id"], world::policy_id(world::POLICY_4H).as_str());
    assert_eq!(instances[1]["datasource_id"], world::disk_id(world::DISK_APP_02).as_str());
    assert_eq!(instances[0]["protection_state"], "ProtectionConfigured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retain_data_on_destroy_stops_protection_and_keeps_the_instance_in_azure() {
    let ws = Workspace::start().await;
    let block = instance_block("bi", "bi-retained", world::DISK_APP_01, world::POLICY_DAILY);
    ws.write(&block);
    ws.apply().await;
    // Setting it is an update of Terraform's state only: nothing is sent to Azure.
    ws.write(&block.replace("\n}\n", "\n  retain_data_on_destroy = true\n}\n"));
    ws.emulator.state().clear_journal();
    let run = ws.apply().await;
    assert!(run.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", run.stdout);
    let writes: Vec<_> = ws.journal().into_iter().filter(|e| e.method != "GET" && e.operation != "Token").collect();
    assert!(writes.is_empty(), "no write to Azure: {writes:?}");
    let instance = ws.resource("dataprotection_backup_instance.bi").expect("in state");
    assert_eq!(instance["attributes"]["retain_data_on_destroy"], true);
    assert_eq!(ws.plan_code().await.0, 0, "the setting plans clean once applied");

    let plan = ws.terraform_ok(&["plan", "-destroy"]).await;
    let out = flat(&plan.output());
    assert!(out.contains("Warning: Backup instance will be kept in Azure with its recovery points"), "{out}");

    ws.emulator.state().clear_journal();
    let run = ws.terraform_ok(&["destroy", "-auto-approve"]).await;
    let out = flat(&run.output());
    assert!(out.contains("Warning: Backup instance kept in Azure with its recovery points"), "{out}");
    assert!(out.contains("keeps costing storage"), "{out}");
    let ops: Vec<String> = ws.journal().into_iter().map(|e| e.operation).collect();
    assert!(ops.iter().any(|o| o == "BackupInstances_StopProtection"), "{ops:?}");
    assert!(!ops.iter().any(|o| o == "BackupInstances_Delete"), "nothing is deleted: {ops:?}");
    let stop = ops.iter().position(|o| o == "BackupInstances_StopProtection").unwrap();
    assert!(ops[stop + 1].starts_with("OperationStatus"), "stopProtection is followed to its end: {ops:?}");
    assert!(ws.resource("dataprotection_backup_instance.bi").is_none(), "it left Terraform's state");

    // Azure still has it, protection stopped; the data source sees it.
    let inventory = ws.emulator.state().inventory();
    let kept = inventory.backup_instances.iter().find(|b| b.id.ends_with("/bi-retained")).expect("kept in Azure");
    assert_eq!(kept.protection_state, "ProtectionStopped");
    ws.write(&format!(
        "data \"dataprotection_backup_instance\" \"kept\" {{\n  id = \"{}\"\n}}\n",
        world::backup_instance_id("bi-retained")
    ));
    ws.apply().await;
    assert_eq!(data(&ws, "dataprotection_backup_instance.kept")["protection_state"], "ProtectionStopped");
}

/// One backup policy resource of each kind in the default world's vault, each read back by the data source of its
/// kind; `extra` is added to the configuration.
fn policies_of_every_kind(extra: &str) -> String {
    let vault = world::vault_id();
    let policies = [
        (
            "disk",
            r#"backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/PT4H"]
  default_retention_duration      = "P7D"
  time_zone                       = "UTC"
  retention_rule {
    name              = "Daily"
    duration          = "P14D"
    priority          = 25
    absolute_criteria = "FirstOfDay"
  }"#,
        ),
        (
            "blob_storage",
            r#"operational_default_retention_duration = "P30D"
  backup_repeating_time_intervals        = ["R/2024-01-01T02:00:00+00:00/P1D"]
  vault_default_retention_duration       = "P90D"
  retention_rule {
    name              = "Monthly"
    duration          = "P12M"
    priority          = 20
    absolute_criteria = "FirstOfMonth"
  }"#,
        ),
        (
            "data_lake_storage",
            r#"backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/P1D"]
  default_retention_duration      = "P30D""#,
        ),
        (
            "kubernetes_cluster",
            r#"backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/PT4H"]
  default_retention_duration      = "P7D"
  retention_rule {
    name              = "Weekly"
    duration          = "P4W"
    priority          = 25
    absolute_criteria = "FirstOfWeek"
  }"#,
        ),
        (
            "postgresql_flexible_server",
            r#"backup_repeating_time_intervals = ["R/2024-01-07T02:00:00+00:00/P1W"]
  default_retention_duration      = "P3M""#,
        ),
        (
            "mysql_flexible_server",
            r#"backup_repeating_time_intervals = ["R/2024-01-07T02:00:00+00:00/P1W"]
  default_retention_duration      = "P3M"
  time_zone                       = "UTC""#,
        ),
    ];
    let mut text = String::new();
    for (kind, arguments) in policies {
        let name = format!("read-{}", kind.replace('_', "-"));
        text.push_str(&format!(
            r#"resource "dataprotection_backup_policy_{kind}" "p" {{
  name     = "{name}"
  vault_id = "{vault}"
  {arguments}
}}

data "dataprotection_backup_policy_{kind}" "p" {{
  id = dataprotection_backup_policy_{kind}.p.id
}}

"#
        ));
    }
    text.push_str(extra);
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_of_every_kind_read_back_through_their_data_sources() {
    let ws = Workspace::start().await;
    ws.write(&policies_of_every_kind(""));
    let run = ws.apply().await;
    assert!(run.stdout.contains("6 added, 0 changed, 0 destroyed"), "{}", run.stdout);
    let kinds = [
        "disk",
        "blob_storage",
        "data_lake_storage",
        "kubernetes_cluster",
        "postgresql_flexible_server",
        "mysql_flexible_server",
    ];
    for kind in kinds {
        let ty = format!("dataprotection_backup_policy_{kind}");
        let managed = ws.resource(&format!("{ty}.p")).expect("the policy is in the state")["attributes"].clone();
        let read = data(&ws, &format!("{ty}.p"));
        // Every attribute of the resource, but its timeouts, is the data source's, with the same value.
        let managed = managed.as_object().expect("an object");
        for (name, value) in managed.iter().filter(|(name, _)| *name != "timeouts") {
            assert_eq!(&read[name], value, "{ty}.{name}: data {read} against resource {managed:?}");
        }
        assert_eq!(read["name"], format!("read-{}", kind.replace('_', "-")), "{read}");
    }
    let blob = data(&ws, "dataprotection_backup_policy_blob_storage.p");
    assert_eq!(blob["operational_default_retention_duration"], "P30D", "{blob}");
    assert_eq!(blob["vault_default_retention_duration"], "P90D", "{blob}");
    assert_eq!(blob["retention_rule"][0]["absolute_criteria"], "FirstOfMonth", "{blob}");
    let aks = data(&ws, "dataprotection_backup_policy_kubernetes_cluster.p");
    assert_eq!(aks["retention_rule"][0]["duration"], "P4W", "{aks}");
    assert_eq!(data(&ws, "dataprotection_backup_policy_mysql_flexible_server.p")["time_zone"], "UTC");
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "the policies and their data sources plan no change:\n{}", run.output());

    // A policy read through the data source of another kind: an error on `id` naming the one that reads it.
    ws.write(&policies_of_every_kind(
        r#"data "dataprotection_backup_policy_blob_storage" "wrong" {
  id = dataprotection_backup_policy_kubernetes_cluster.p.id
}
"#,
    ));
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(
        out.contains("Backup policy read-kubernetes-cluster is for Microsoft.ContainerService/managedClusters"),
        "{out}"
    );
    assert!(out.contains("dataprotection_backup_policy_blob_storage reads backup policies for blobs"), "{out}");
    assert!(out.contains("Read it with the data source dataprotection_backup_policy_kubernetes_cluster"), "{out}");
    assert!(out.contains("data.dataprotection_backup_policy_blob_storage.wrong"), "the error names the block: {out}");
    assert_no_backtrace(&out);
}
