//! Each datasource kind's own rules at plan time, with the real terraform CLI against the emulator: Azure's
//! validateForBackup errors for the kind, in Azure's words, with the hint of what to do; the roles each kind's
//! vault identity needs, named when missing and waited for when just granted; an in-place change checked with
//! validateForModifyBackup before anything is sent to the instance.

use crate::complete_example::{terraform, terraform_ok, use_example};
use crate::service_rules::grant;
use crate::support;

use dataprotection_emulator::default_world as world;
use reqwest::Method;
use support::terraform::Workspace;

/// The output with every run of whitespace made one space: terraform wraps long diagnostic lines.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A failing plan's output, flattened.
async fn failing_plan(ws: &Workspace, args: &[&str]) -> String {
    let mut all = vec!["plan"];
    all.extend_from_slice(args);
    let run = terraform(ws, &all).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(!out.contains("stack backtrace") && !out.contains("panicked"), "{out}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_backup_names_missing_containers_and_accounts_it_does_not_protect() {
    let ws = Workspace::start().await;
    use_example(&ws, "complete-blob-storage");
    // The vault and the policy first, so that the instance's plan is validated with Azure.
    terraform_ok(&ws, &["apply", "-auto-approve", "-target=dataprotection_backup_policy_blob_storage.policy"]).await;

    // A policy with vaulted backup, and no containers.
    let out = failing_plan(&ws, &["-var", "containers=null"]).await;
    assert!(out.contains("UserErrorNoContainersSelectedForOperation"), "{out}");
    assert!(out.contains("name the containers it copies in storage_account_container_names"), "{out}");

    // A Data Lake Storage account (hierarchical namespace) given to blob backup.
    let lake = world::storage_account_id(world::STORAGE_ACCOUNT_ADLS);
    let out =
        failing_plan(&ws, &["-var", &format!("storage_account_id={lake}"), "-var", r#"containers=["raw"]"#]).await;
    assert!(out.contains("UserErrorUnsupportedStorageAccountType"), "{out}");
    assert!(out.contains("use dataprotection_backup_instance_data_lake_storage for them"), "{out}");

    // A container the account does not have.
    let out = failing_plan(&ws, &["-var", r#"containers=["missing"]"#]).await;
    assert!(out.contains("UserErrorIncorrectContainersSelectedForOperation"), "{out}");
    assert!(out.contains("storage_account_container_names"), "the attribute is named: {out}");
    assert!(ws.emulator.state().inventory().backup_instances.iter().all(|b| !b.id.contains("stappdata01-blobs")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_backup_names_the_missing_trusted_access_and_extension() {
    let ws = Workspace::start().await;
    use_example(&ws, "complete-kubernetes-cluster");
    terraform_ok(&ws, &["apply", "-auto-approve", "-target=dataprotection_backup_policy_kubernetes_cluster.policy"])
        .await;
    let cluster = world::kubernetes_cluster_id(world::AKS_CLUSTER);

    // The cluster no longer trusts the vault.
    let binding = format!("{cluster}/trustedAccessRoleBindings/{}", world::AKS_TRUSTED_ACCESS_BINDING);
    let (_, saved) = ws.arm(Method::GET, &binding, None).await;
    let (status, body) = ws.arm(Method::DELETE, &binding, None).await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let out = failing_plan(&ws, &[]).await;
    assert!(out.contains("UserErrorTrustedAccessGatewayReturnedForbidden"), "{out}");
    assert!(out.contains("Bind the vault to the cluster with trusted access"), "{out}");
    let (status, body) =
        ws.arm(Method::PUT, &binding, Some(serde_json::json!({"properties": saved["properties"].clone()}))).await;
    assert!(status == 200 || status == 201, "{status} {body}");

    // The backup extension is gone.
    let extension =
        format!("{cluster}/providers/Microsoft.KubernetesConfiguration/extensions/{}", world::AKS_BACKUP_EXTENSION);
    let (status, body) = ws.arm(Method::DELETE, &extension, None).await;
    assert!(status == 200 || status == 202 || status == 204, "{status} {body}");
    let out = failing_plan(&ws, &[]).await;
    assert!(out.contains("UserErrorKubernetesBackupExtensionNotFoundError"), "{out}");
    assert!(out.contains("Install the backup extension on the cluster"), "{out}");
    assert!(!ws.emulator.state().inventory().backup_instances.iter().any(|b| b.id.contains("aks-app-01-backup")));
}

/// `PostgreSQL Flexible Server Long Term Retention Backup Role`.
const POSTGRESQL_LTR_BACKUP: &str = "c088a766-074b-43ba-90d4-1fb21feae531";
/// `Reader`.
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_servers_roles_are_named_when_missing_and_waited_for_when_new() {
    let ws = Workspace::start().await;
    // Azure grants a new vault's identity nothing.
    ws.emulator.state().set_auto_grant_vault_roles(false);
    use_example(&ws, "complete-postgresql-flexible-server");
    terraform_ok(
        &ws,
        &["apply", "-auto-approve", "-target=dataprotection_backup_policy_postgresql_flexible_server.policy"],
    )
    .await;
    let vault = ws.resource("dataprotection_backup_vault.vault").expect("the vault in state");
    let principal = vault["attributes"]["identity_principal_id"].as_str().unwrap().to_owned();
    let server = world::postgresql_server_id(world::POSTGRESQL_SERVER);
    let group = world::resource_group_id(world::WORKLOAD_RESOURCE_GROUP);

    let out = failing_plan(&ws, &[]).await;
    assert!(out.contains("UserErrorMissingRequiredPermissions"), "{out}");
    assert!(
        out.contains(&format!(
            "The vault's identity does not hold: PostgreSQL Flexible Server Long Term Retention Backup Role on {server}"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("Reader on {group}")), "{out}");

    // Both roles granted just now; Azure applies them 3 s later. The apply waits for them instead of failing.
    ws.emulator.state().update_settings(|s| s.role_propagation_ms = 3_000);
    grant(&ws, &server, POSTGRESQL_LTR_BACKUP, &principal).await;
    grant(&ws, &group, READER, &principal).await;
    ws.emulator.state().clear_journal();
    let started = std::time::Instant::now();
    let run = terraform_ok(&ws, &["apply", "-auto-approve"]).await;
    assert!(run.stdout.contains("1 added"), "{}", run.stdout);
    assert!(started.elapsed() >= std::time::Duration::from_secs(3), "it cannot have passed before the roles applied");
    let validations = ws.journal().iter().filter(|e| e.operation == "BackupInstances_ValidateForBackup").count();
    assert!(validations >= 2, "validated again after the roles took effect");
    terraform_ok(&ws, &["destroy", "-auto-approve"]).await;
}

/// A second blob policy in the complete blob example's vault, for a policy change in place.
const SECOND_BLOB_POLICY: &str = r#"
resource "dataprotection_backup_policy_blob_storage" "shorter" {
  name                                   = "blob-op30d-vault60d"
  vault_id                               = dataprotection_backup_vault.vault.id
  operational_default_retention_duration = "P30D"
  backup_repeating_time_intervals        = ["R/2024-01-01T02:00:00+00:00/P1D"]
  vault_default_retention_duration       = "P60D"
  time_zone                              = "UTC"
}
"#;

/// The operations of the journal with this name.
fn count(ws: &Workspace, operation: &str) -> usize {
    ws.journal().iter().filter(|e| e.operation == operation).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_place_change_is_validated_at_plan_and_a_bad_one_never_reaches_the_instance() {
    let ws = Workspace::start().await;
    use_example(&ws, "complete-blob-storage");
    std::fs::write(ws.work_dir().join("second_policy.tf"), SECOND_BLOB_POLICY).expect("second_policy.tf");
    let run = terraform_ok(&ws, &["apply", "-auto-approve"]).await;
    assert!(run.stdout.contains("4 added, 0 changed, 0 destroyed"), "{}", run.stdout);
    let id = format!(
        "{}/providers/Microsoft.DataProtection/backupVaults/vault-blob-complete/backupInstances/stappdata01-blobs",
        world::resource_group_id(world::BACKUP_RESOURCE_GROUP)
    );
    let (_, before) = ws.arm(Method::GET, &id, None).await;
    assert_eq!(before["properties"]["currentProtectionState"], "ProtectionConfigured", "{before}");

    // A container the storage account does not have: plan fails in Azure's words, on the attribute, and nothing is
    // sent to the instance.
    ws.emulator.state().clear_journal();
    let out = failing_plan(&ws, &["-var", r#"containers=["invoices","missing"]"#]).await;
    assert!(out.contains("UserErrorIncorrectContainersSelectedForOperation"), "{out}");
    assert!(out.contains("Incorrect containers selected for operation"), "Azure's message: {out}");
    assert!(out.contains("Select only containers that exist in the storage account"), "Azure's action: {out}");
    // Terraform quotes the attribute's line only for a diagnostic that names the attribute.
    assert!(out.contains(": storage_account_container_names = var.containers"), "the attribute is named: {out}");
    assert!(out.contains("(validateForModifyBackup)"), "{out}");
    assert_eq!(count(&ws, "BackupInstances_ValidateForModifyBackup"), 1);
    assert_eq!(count(&ws, "BackupInstances_CreateOrUpdate"), 0, "no PUT at plan");
    let (_, after) = ws.arm(Method::GET, &id, None).await;
    assert_eq!(after["properties"]["currentProtectionState"], "ProtectionConfigured", "{after}");
    assert_eq!(after["properties"]["policyInfo"], before["properties"]["policyInfo"], "{after}");

    // A policy Azure takes in place: validated once at plan, then applied.
    let override_tf = "resource \"dataprotection_backup_instance_blob_storage\" \"blobs\" {\n  backup_policy_id = \
                       dataprotection_backup_policy_blob_storage.shorter.id\n}\n";
    std::fs::write(ws.work_dir().join("blobs_override.tf"), override_tf).expect("blobs_override.tf");
    ws.emulator.state().clear_journal();
    let run = terraform_ok(&ws, &["plan", "-out=change.tfplan"]).await;
    assert!(run.stdout.contains("0 to add, 1 to change, 0 to destroy"), "{}", run.stdout);
    assert_eq!(count(&ws, "BackupInstances_ValidateForModifyBackup"), 1, "one validation at plan");
    assert_eq!(count(&ws, "BackupInstances_CreateOrUpdate"), 0, "no PUT at plan");
    let run = terraform_ok(&ws, &["apply", "-auto-approve", "change.tfplan"]).await;
    assert!(run.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", run.stdout);
    assert_eq!(count(&ws, "BackupInstances_CreateOrUpdate"), 1);
    let (_, changed) = ws.arm(Method::GET, &id, None).await;
    assert_eq!(changed["properties"]["currentProtectionState"], "ProtectionConfigured", "{changed}");
    let policy = changed["properties"]["policyInfo"]["policyId"].as_str().unwrap_or_default();
    assert!(policy.ends_with("/backupPolicies/blob-op30d-vault60d"), "{changed}");
    let run = terraform(&ws, &["plan", "-detailed-exitcode"]).await;
    assert_eq!(run.code, 0, "the plan after the change is empty:\n{}", run.output());
}
