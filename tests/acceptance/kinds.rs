//! The complete example of every datasource kind beside disks (`examples/complete-<kind>/`), against the emulator
//! exactly as a user runs it: apply, a clean second plan, the kind's change in place where it has one, and
//! destroy. The data sources list instances of every kind, and an instance imported into the wrong resource type
//! names the right one.

use crate::complete_example::{terraform, terraform_ok, use_example};
use crate::support;

use dataprotection_emulator::default_world as world;
use reqwest::Method;
use support::terraform::Workspace;

fn vault_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.DataProtection/backupVaults/{name}",
        world::resource_group_id(world::BACKUP_RESOURCE_GROUP)
    )
}

/// Applies `examples/{example}` (`resources` new resources), checks protection, the instance Azure holds and a clean
/// second plan; returns the workspace and the instance's body as Azure has it.
async fn apply_example(example: &str, resources: usize, instance_id: &str) -> (Workspace, serde_json::Value) {
    let ws = Workspace::start().await;
    use_example(&ws, example);
    let run = terraform_ok(&ws, &["apply", "-auto-approve"]).await;
    assert!(run.stdout.contains(&format!("{resources} added, 0 changed, 0 destroyed")), "{}", run.stdout);
    assert!(run.stdout.contains("protection_state = \"ProtectionConfigured\""), "{}", run.stdout);
    let (status, body) = ws.arm(Method::GET, instance_id, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["properties"]["currentProtectionState"], "ProtectionConfigured", "{body}");
    let run = terraform(&ws, &["plan", "-detailed-exitcode"]).await;
    assert_eq!(run.code, 0, "the second plan is empty:\n{}", run.output());
    (ws, body)
}

/// Destroys everything and checks that the instance is gone.
async fn destroy(ws: &Workspace, resources: usize, instance_id: &str, args: &[&str]) {
    let mut all = vec!["destroy", "-auto-approve"];
    all.extend_from_slice(args);
    let run = terraform_ok(ws, &all).await;
    assert!(run.stdout.contains(&format!("{resources} destroyed")), "{}", run.stdout);
    let (status, _) = ws.arm(Method::GET, instance_id, None).await;
    assert_eq!(status, 404, "the instance is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_storage_applies_changes_its_containers_in_place_and_destroys() {
    let instance_id = format!("{}/backupInstances/stappdata01-blobs", vault_id("vault-blob-complete"));
    let (ws, body) = apply_example("complete-blob-storage", 3, &instance_id).await;
    let p = &body["properties"];
    assert_eq!(p["dataSourceInfo"]["datasourceType"], "Microsoft.Storage/storageAccounts/blobServices");
    let containers = &p["policyInfo"]["policyParameters"]["backupDatasourceParametersList"][0];
    assert_eq!(containers["objectType"], "BlobBackupDatasourceParameters");
    assert_eq!(containers["containersList"], serde_json::json!(["invoices"]));

    // Another container: the instance is sent again in place, nothing is replaced.
    ws.emulator.state().clear_journal();
    let vars = ["-var", r#"containers=["invoices","reports"]"#];
    let mut apply = vec!["apply", "-auto-approve"];
    apply.extend_from_slice(&vars);
    let run = terraform_ok(&ws, &apply).await;
    assert!(run.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", run.stdout);
    let ops: Vec<String> = ws.journal().into_iter().map(|e| e.operation).collect();
    assert!(ops.iter().any(|o| o == "BackupInstances_CreateOrUpdate"), "{ops:?}");
    assert!(!ops.iter().any(|o| o == "BackupInstances_Delete"), "{ops:?}");
    let (_, body) = ws.arm(Method::GET, &instance_id, None).await;
    assert_eq!(
        body["properties"]["policyInfo"]["policyParameters"]["backupDatasourceParametersList"][0]["containersList"],
        serde_json::json!(["invoices", "reports"])
    );
    let mut plan = vec!["plan", "-detailed-exitcode"];
    plan.extend_from_slice(&vars);
    let run = terraform(&ws, &plan).await;
    assert_eq!(run.code, 0, "the plan after the change is empty:\n{}", run.output());

    destroy(&ws, 3, &instance_id, &vars).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_lake_storage_applies_and_destroys() {
    let instance_id = format!("{}/backupInstances/stlakedata01-lake", vault_id("vault-adls-complete"));
    let (ws, body) = apply_example("complete-data-lake-storage", 3, &instance_id).await;
    let p = &body["properties"];
    assert_eq!(p["dataSourceInfo"]["datasourceType"], "Microsoft.Storage/storageAccounts/adlsBlobServices");
    let containers = &p["policyInfo"]["policyParameters"]["backupDatasourceParametersList"][0];
    assert_eq!(containers["objectType"], "AdlsBlobBackupDatasourceParameters");
    assert_eq!(containers["containersList"], serde_json::json!(["raw", "curated"]));
    destroy(&ws, 3, &instance_id, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_flexible_server_applies_and_destroys() {
    let instance_id = format!("{}/backupInstances/psql-app-01-ltr", vault_id("vault-pg-complete"));
    let (ws, body) = apply_example("complete-postgresql-flexible-server", 3, &instance_id).await;
    assert_eq!(body["properties"]["dataSourceInfo"]["datasourceType"], "Microsoft.DBforPostgreSQL/flexibleServers");

    // Out of state and imported back by its ID (as the docs' import.sh does): the plan is clean again.
    let address = "dataprotection_backup_instance_postgresql_flexible_server.server";
    terraform_ok(&ws, &["state", "rm", address]).await;
    terraform_ok(&ws, &["import", address, &instance_id]).await;
    let run = terraform(&ws, &["plan", "-detailed-exitcode"]).await;
    assert_eq!(run.code, 0, "the plan after the import is empty:\n{}", run.output());
    destroy(&ws, 3, &instance_id, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_flexible_server_applies_and_destroys() {
    let instance_id = format!("{}/backupInstances/mysql-app-01-ltr", vault_id("vault-mysql-complete"));
    let (ws, body) = apply_example("complete-mysql-flexible-server", 3, &instance_id).await;
    assert_eq!(body["properties"]["dataSourceInfo"]["datasourceType"], "Microsoft.DBforMySQL/flexibleServers");
    destroy(&ws, 3, &instance_id, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_cluster_applies_is_listed_beside_a_disk_and_refuses_the_wrong_import() {
    let instance_id = format!("{}/backupInstances/aks-app-01-backup", world::vault_id());
    let ws = Workspace::start().await;
    use_example(&ws, "complete-kubernetes-cluster");
    // A disk in the same vault, and the vault's instances as the data source lists them.
    let extra = ws.work_dir().join("extra.tf");
    std::fs::write(
        &extra,
        format!(
            r#"
resource "dataprotection_backup_instance" "disk" {{
  name                       = "disk-app-01-backup"
  vault_id                   = local.vault_id
  datasource_id              = "{disk}"
  location                   = var.location
  backup_policy_id           = "{policy}"
  snapshot_resource_group_id = "{snapshots}"
}}

data "dataprotection_backup_instances" "all" {{
  vault_id   = local.vault_id
  depends_on = [dataprotection_backup_instance.disk, dataprotection_backup_instance_kubernetes_cluster.cluster]
}}

output "kinds" {{
  value = sort([for i in data.dataprotection_backup_instances.all.backup_instances : i.resource_type])
}}
"#,
            disk = world::disk_id(world::DISK_APP_01),
            policy = world::policy_id(world::POLICY_DAILY),
            snapshots = world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP),
        ),
    )
    .expect("write extra.tf");
    let run = terraform_ok(&ws, &["apply", "-auto-approve"]).await;
    assert!(run.stdout.contains("3 added, 0 changed, 0 destroyed"), "{}", run.stdout);
    assert!(run.stdout.contains("protection_state = \"ProtectionConfigured\""), "{}", run.stdout);
    let kinds = run.stdout.split("kinds = ").nth(1).unwrap_or_default();
    let (first, second) = (kinds.find("\"dataprotection_backup_instance\""), kinds.find("_kubernetes_cluster\""));
    assert!(first.is_some() && second.is_some(), "both kinds are listed: {}", run.stdout);

    let (_, body) = ws.arm(Method::GET, &instance_id, None).await;
    let p = &body["properties"];
    assert_eq!(p["dataSourceInfo"]["datasourceType"], "Microsoft.ContainerService/managedClusters");
    let parameters = &p["policyInfo"]["policyParameters"];
    assert_eq!(parameters["dataStoreParametersList"][0]["dataStoreType"], "OperationalStore");
    let k8s = &parameters["backupDatasourceParametersList"][0];
    assert_eq!(k8s["objectType"], "KubernetesClusterBackupDatasourceParameters");
    assert_eq!(k8s["excludedNamespaces"], serde_json::json!(["kube-system"]));
    assert_eq!(k8s["snapshotVolumes"], true);
    let run = terraform(&ws, &["plan", "-detailed-exitcode"]).await;
    assert_eq!(run.code, 0, "the second plan is empty:\n{}", run.output());

    // The cluster's instance imported as a blob instance: refused, naming the resource type that manages it.
    let wrong = ws.work_dir().join("wrong.tf");
    std::fs::write(
        &wrong,
        format!(
            r#"
import {{
  to = dataprotection_backup_instance_blob_storage.wrong
  id = "{instance_id}"
}}

import {{
  to = dataprotection_backup_policy_blob_storage.wrong
  id = dataprotection_backup_policy_kubernetes_cluster.policy.id
}}

resource "dataprotection_backup_policy_blob_storage" "wrong" {{
  name                                   = "aks-4h-p7d"
  vault_id                               = local.vault_id
  operational_default_retention_duration = "P7D"
}}

resource "dataprotection_backup_instance_blob_storage" "wrong" {{
  name             = "aks-app-01-backup"
  vault_id         = local.vault_id
  datasource_id    = "{account}"
  location         = var.location
  backup_policy_id = dataprotection_backup_policy_kubernetes_cluster.policy.id
}}
"#,
            account = world::storage_account_id("stappdata01"),
        ),
    )
    .expect("write wrong.tf");
    let run = terraform(&ws, &["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = run.output().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(out.contains("Manage it with dataprotection_backup_instance_kubernetes_cluster"), "{out}");
    assert!(out.contains("Manage it with dataprotection_backup_policy_kubernetes_cluster"), "{out}");
    std::fs::remove_file(&wrong).expect("remove wrong.tf");

    let run = terraform_ok(&ws, &["destroy", "-auto-approve"]).await;
    assert!(run.stdout.contains("3 destroyed"), "{}", run.stdout);
    let (status, _) = ws.arm(Method::GET, &instance_id, None).await;
    assert_eq!(status, 404, "the instance is gone");
}
