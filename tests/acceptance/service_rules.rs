//! Azure's service rules that a first real apply or destroy meets, with the real terraform CLI and provider
//! against the emulator: resource provider registration, soft delete, role propagation, parallel operations in
//! one vault.

use crate::support;

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{LroTiming, OperationKind, Scenario};
use support::terraform::{Workspace, instance_block};

/// The output with every run of whitespace made one space: terraform wraps long diagnostic lines.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The operations of the journal, without token requests and metadata reads.
fn arm_ops(ws: &Workspace) -> Vec<String> {
    ws.journal().into_iter().map(|e| e.operation).filter(|o| o != "Token" && o != "Metadata_Endpoints").collect()
}

fn unregistered_world() -> Scenario {
    let mut scenario = Scenario::default_world();
    scenario.subscriptions[0].unregistered_providers = vec!["Microsoft.DataProtection".to_owned()];
    scenario
}

const REGISTRATION: LroTiming = LroTiming::with_delays(2, 0, 10, Some(100));

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_not_registered_for_data_protection_is_registered_by_the_first_plan() {
    let ws = Workspace::with_scenario(unregistered_world()).await;
    ws.emulator.state().set_lro_timing(OperationKind::ProviderRegistration, REGISTRATION);
    ws.write(&instance_block("bi", "bi-registered", world::DISK_APP_01, world::POLICY_DAILY));
    ws.emulator.state().clear_journal();
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    let ops = arm_ops(&ws);
    // The first Data Protection request of the plan met the 409; one registration, read until it was done; then
    // every request went through.
    assert_eq!(ops.iter().filter(|o| *o == "Providers_Register").count(), 1, "{ops:?}");
    assert_eq!(ops.iter().filter(|o| *o == "Providers_Get").count(), 3, "{ops:?}");
    let first_register = ops.iter().position(|o| o == "Providers_Register").unwrap();
    assert!(ops[..first_register].iter().all(|o| !o.starts_with("Providers_")), "{ops:?}");
    assert!(ws.emulator.state().snapshot().subscriptions[0].unregistered_providers.is_empty());
    assert_eq!(ws.instance_ids().len(), 1);
    let (code, _) = ws.plan_code().await;
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_provider_registration_leaves_the_subscription_alone_and_says_how_to_register() {
    let ws = Workspace::with_scenario(unregistered_world()).await;
    let body = instance_block("bi", "bi-unregistered", world::DISK_APP_01, world::POLICY_DAILY);
    let provider = ws.provider_block();
    ws.write(&body);
    let main = std::fs::read_to_string(ws.work_dir().join("main.tf")).unwrap();
    let skipping = provider.replace(
        "provider \"dataprotection\" {\n",
        "provider \"dataprotection\" {\n  skip_provider_registration = true\n",
    );
    std::fs::write(ws.work_dir().join("main.tf"), main.replace(&provider, &skipping)).unwrap();
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1);
    let text = flat(&run.output());
    assert!(text.contains("The subscription is not registered to use namespace 'Microsoft.DataProtection'"), "{text}");
    assert!(text.contains("Code: MissingSubscriptionRegistration"), "{text}");
    assert!(text.contains("az provider register --namespace"), "{text}");
    assert!(!arm_ops(&ws).iter().any(|o| o.starts_with("Providers_")), "nothing registered");
}

/// A vault with Azure's default soft delete (On, 14 days), a policy and one instance in it.
fn soft_delete_config(soft_delete: &str, with_instance: bool) -> String {
    let group = world::resource_group_id(world::BACKUP_RESOURCE_GROUP);
    let mut body = format!(
        r#"resource "dataprotection_backup_vault" "vault" {{
  name              = "vault-sd"
  resource_group_id = "{group}"
  location          = "{location}"
  datastore_type    = "VaultStore"
  redundancy        = "LocallyRedundant"
  soft_delete       = "{soft_delete}"
}}

resource "dataprotection_backup_policy_disk" "policy" {{
  name                            = "daily"
  vault_id                        = dataprotection_backup_vault.vault.id
  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/P1D"]
  default_retention_duration      = "P7D"
}}
"#,
        location = world::LOCATION
    );
    if with_instance {
        body.push_str(&instance_in_new_vault("bi-sd", world::DISK_APP_02));
    }
    body
}

/// A backup instance `name` of the default world's `disk` in the configuration's own vault and policy.
fn instance_in_new_vault(name: &str, disk: &str) -> String {
    format!(
        r#"
resource "dataprotection_backup_instance" "bi" {{
  name                       = "{name}"
  vault_id                   = dataprotection_backup_vault.vault.id
  datasource_id              = "{disk}"
  location                   = "{location}"
  backup_policy_id           = dataprotection_backup_policy_disk.policy.id
  snapshot_resource_group_id = "{snapshots}"
}}
"#,
        disk = world::disk_id(disk),
        location = world::LOCATION,
        snapshots = world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_delete_keeps_deleted_instances_so_a_vault_destroy_stops_at_plan_with_the_way_out() {
    let ws = Workspace::start().await;
    ws.write(&soft_delete_config("On", true));
    ws.terraform_ok(&["apply", "-auto-approve"]).await;

    // Destroying everything would delete the instance (soft-deleting it) and then fail on the vault: the plan says
    // so before anything is deleted.
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["destroy", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let text = flat(&run.output());
    assert!(text.contains("Backup vault cannot be deleted while soft delete keeps its backup instances"), "{text}");
    assert!(text.contains("backup instances that this destroy would soft-delete: bi-sd"), "{text}");
    assert!(text.contains("set soft_delete = \"Off\" on it and apply first"), "{text}");
    let deletes = ws.journal().into_iter().filter(|e| e.method == "DELETE").count();
    assert_eq!(deletes, 0, "nothing deleted");

    // The instance alone goes: soft-deleted in Azure, gone for Terraform (the delete does not wait for it).
    ws.write(&soft_delete_config("On", false));
    let run = ws.terraform_ok(&["apply", "-auto-approve"]).await;
    assert!(run.stdout.contains("0 added, 0 changed, 1 destroyed"), "{}", run.stdout);
    let vault = ws.resource("dataprotection_backup_vault.vault").unwrap();
    let vault_id = vault["attributes"]["id"].as_str().unwrap().to_owned();
    let listed = ws.arm(reqwest::Method::GET, &format!("{vault_id}/deletedBackupInstances"), None).await;
    assert_eq!(listed.0, 200);
    let deleted = &listed.1["value"][0];
    assert_eq!(deleted["name"], "bi-sd");
    assert_eq!(deleted["properties"]["protectionStatus"]["status"], "SoftDeleted");
    assert!(deleted["properties"]["deletionInfo"]["scheduledPurgeTime"].is_string());

    // Protecting the disk again in this vault: Azure's words at plan, not at apply.
    ws.write(&soft_delete_config("On", true));
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let text = flat(&run.output());
    assert!(text.contains("Datasource is already associated with the backup instance bi-sd"), "{text}");
    assert!(text.contains("UserErrorDppDatasourceAlreadyHasBackupInstance"), "{text}");

    // The vault still holds the soft-deleted instance: destroy stops at plan, naming it and when it is purged.
    ws.write(&soft_delete_config("On", false));
    let run = ws.terraform(&["destroy", "-auto-approve"]).await;
    assert_eq!(run.code, 1);
    let text = flat(&run.output());
    assert!(text.contains("It holds soft-deleted backup instances: bi-sd (purged at "), "{text}");

    // The way out the error names: soft delete off (Azure deletes what it kept), then destroy.
    ws.write(&soft_delete_config("Off", false));
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    let run = ws.terraform_ok(&["destroy", "-auto-approve"]).await;
    assert!(run.stdout.contains("2 destroyed"), "{}", run.stdout);
    let gone = ws.arm(reqwest::Method::GET, &vault_id, None).await;
    assert_eq!(gone.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_deleted_instances_are_purged_when_their_retention_ends() {
    let ws = Workspace::start().await;
    ws.write(&soft_delete_config("On", true));
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    ws.write(&soft_delete_config("On", false));
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    // Fourteen days later the soft-deleted instance is purged and the vault can go.
    ws.emulator.state().advance_clock(std::time::Duration::from_secs(14 * 86_400 + 1));
    let run = ws.terraform_ok(&["destroy", "-auto-approve"]).await;
    assert!(run.stdout.contains("2 destroyed"), "{}", run.stdout);
}

/// A new vault (its own identity, no roles granted by the emulator) and, when `with_instance`, an instance of
/// disk-app-01 in it with the default world's policy shape.
fn new_vault_config(with_instance: bool) -> String {
    let mut body = soft_delete_config("Off", false).replace("vault-sd", "vault-roles");
    if with_instance {
        body.push_str(&instance_in_new_vault("bi-roles", world::DISK_APP_01));
    }
    body
}

/// Grants `role` on `scope` to `principal` through ARM, as azurerm_role_assignment would.
pub(crate) async fn grant(ws: &Workspace, scope: &str, role: &str, principal: &str) {
    let name = dataprotection::arm::pipeline::new_correlation_id();
    let body = serde_json::json!({"properties": {
        "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{role}", world::SUBSCRIPTION_ID),
        "principalId": principal,
        "principalType": "ServicePrincipal",
    }});
    let (status, answer) = ws
        .arm(
            reqwest::Method::PUT,
            &format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
}

const DISK_BACKUP_READER: &str = "3e5e47e6-65f7-47ef-90b5-e5dd4d455f24";
const DISK_SNAPSHOT_CONTRIBUTOR: &str = "7efff54f-a5b4-42b5-a1c5-5411624893ce";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_granted_just_before_are_waited_for_and_missing_ones_fail_at_once() {
    let ws = Workspace::start().await;
    ws.emulator.state().set_auto_grant_vault_roles(false);
    ws.write(&new_vault_config(false));
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    let vault = ws.resource("dataprotection_backup_vault.vault").unwrap();
    let principal = vault["attributes"]["identity_principal_id"].as_str().unwrap().to_owned();

    // No role at all: the plan fails at once, with Azure's error and what the identity lacks.
    ws.write(&new_vault_config(true));
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let text = flat(&run.output());
    assert!(text.contains("Appropriate permissions to perform the operation is missing"), "{text}");
    assert!(text.contains("The vault's identity does not hold: Disk Backup Reader on"), "{text}");
    assert!(text.contains("Disk Snapshot Contributor on"), "{text}");
    let validations =
        |ws: &Workspace| ws.journal().iter().filter(|e| e.operation == "BackupInstances_ValidateForBackup").count();
    assert_eq!(validations(&ws), 1, "no waiting when a role is missing");

    // Both roles granted just now; Azure applies them 4 s later. The apply waits for them instead of failing.
    ws.emulator.state().update_settings(|s| s.role_propagation_ms = 4_000);
    grant(&ws, &world::disk_id(world::DISK_APP_01), DISK_BACKUP_READER, &principal).await;
    grant(&ws, &world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP), DISK_SNAPSHOT_CONTRIBUTOR, &principal).await;
    ws.emulator.state().clear_journal();
    let started = std::time::Instant::now();
    let log = ws.work_dir().join("propagation.log");
    let output = ws
        .command(&["apply", "-auto-approve", "-no-color"])
        .env("TF_LOG_PROVIDER", "INFO")
        .env("TF_LOG_PATH", &log)
        .output()
        .await
        .expect("terraform runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && stdout.contains("1 added"), "{stdout}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(4),
        "it cannot have passed before the roles took effect"
    );
    // The wait is no silent one: at INFO, each pause names the roles and their scopes.
    let log = std::fs::read_to_string(&log).expect("the log");
    let waiting = log
        .lines()
        .find(|l| l.contains("Azure has not applied them yet"))
        .unwrap_or_else(|| panic!("no INFO line about the wait:\n{log}"));
    assert!(waiting.contains("Disk Backup Reader on") && waiting.contains("Disk Snapshot Contributor on"), "{waiting}");
    assert!(validations(&ws) >= 2, "validated again after the roles took effect");
    let reads = ws.journal().iter().filter(|e| e.operation == "RoleAssignments_ListForScope").count();
    assert!(reads >= 1, "the role assignments were read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_that_refuses_parallel_instance_writes_gets_them_one_at_a_time() {
    let disks: Vec<String> = (0..6).map(|i| format!("disk-par-{i}")).collect();
    let ws = Workspace::with_scenario(Scenario::default_world().with_backup_ready_disks(6, |i| disks[i].clone())).await;
    ws.emulator.state().update_settings(|s| s.instance_writes_per_vault = Some(1));
    // Creates that take a while, so that Terraform's parallel creates meet each other.
    ws.emulator
        .state()
        .set_lro_timing(OperationKind::BackupInstanceCreateOrUpdate, LroTiming::with_delays(1, 400, 1, Some(100)));
    let body: String = disks
        .iter()
        .enumerate()
        .map(|(i, disk)| instance_block(&format!("bi{i}"), &format!("bi-par-{i}"), disk, world::POLICY_DAILY))
        .collect();
    ws.write(&body);
    ws.emulator.state().clear_journal();
    let run = ws.terraform_ok(&["apply", "-auto-approve"]).await;
    assert!(run.stdout.contains("6 added, 0 changed, 0 destroyed"), "{}", run.stdout);
    let journal = ws.journal();
    let refused = journal.iter().filter(|e| e.operation == "BackupInstances_CreateOrUpdate" && e.status == 409).count();
    assert!(refused >= 1, "parallel creates met the vault's limit");
    let accepted =
        journal.iter().filter(|e| e.operation == "BackupInstances_CreateOrUpdate" && e.status == 202).count();
    assert_eq!(accepted, 6);
    assert_eq!(ws.instance_ids().len(), 6);
    let (code, _) = ws.plan_code().await;
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protection_error_is_drift_that_azures_sync_repairs() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-sync", world::DISK_APP_01, world::POLICY_DAILY));
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    ws.emulator
        .state()
        .set_protection_error(&dataprotection_emulator::ProtectionErrorRequest {
            backup_instance_id: world::backup_instance_id("bi-sync"),
            code: None,
            message: Some("The vault's identity lost its access to the disk.".to_owned()),
            recommended_action: vec!["Grant the vault's identity the roles it needs.".to_owned()],
        })
        .unwrap();
    // The refresh warns with Azure's words, and the plan brings protection back.
    let (code, plan) = ws.plan_code().await;
    assert_eq!(code, 2, "{}", plan.output());
    let text = flat(&plan.output());
    assert!(text.contains("is in state ProtectionError"), "{text}");
    assert!(text.contains("The vault's identity lost its access to the disk."), "{text}");
    assert!(text.contains("\"ProtectionError\" -> \"ProtectionConfigured\""), "{text}");
    ws.emulator.state().clear_journal();
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    let ops = arm_ops(&ws);
    assert!(ops.iter().any(|o| o == "BackupInstances_SyncBackupInstance"), "{ops:?}");
    assert!(!ops.iter().any(|o| o == "BackupInstances_CreateOrUpdate"), "no PUT: {ops:?}");
    let (code, _) = ws.plan_code().await;
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_delay_on_the_instance_get_the_provider_waits_its_own_interval() {
    let ws = Workspace::start().await;
    ws.emulator.state().update_settings(|s| s.delay_on_instance_gets = false);
    ws.emulator
        .state()
        .set_lro_timing(OperationKind::ProtectionConfiguration, LroTiming::with_delays(1, 0, 1, Some(20)));
    ws.write(&instance_block("bi", "bi-interval", world::DISK_APP_01, world::POLICY_DAILY));
    ws.emulator.state().clear_journal();
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    // After the create: one GET that finds protection still being configured (no delay asked), then the next GET
    // after the provider's own schedule for reads that wait for a state: 1 s first (then 2, 4, 8, 10).
    let gets: Vec<u64> = ws
        .journal()
        .iter()
        .filter(|e| e.operation == "BackupInstances_Get" && e.status == 200)
        .map(|e| e.at_ms)
        .collect();
    assert!(gets.len() >= 2, "{gets:?}");
    let gap = gets[gets.len() - 1] - gets[gets.len() - 2];
    assert!(gap >= 1_000, "polled {gap} ms after a GET that asked for no delay");
    assert!(gap < 2_000, "and no later than the schedule says: {gap} ms");
    assert!(ws.journal().iter().all(|e| !e.early), "no poll came sooner than asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_validation_at_plan_a_create_that_meets_unapplied_roles_is_sent_again() {
    let ws = Workspace::start().await;
    ws.emulator.state().set_auto_grant_vault_roles(false);
    let without_validation = |body: String| {
        let provider = ws.provider_block();
        ws.write(&body);
        let main = std::fs::read_to_string(ws.work_dir().join("main.tf")).unwrap();
        let changed = provider
            .replace("provider \"dataprotection\" {\n", "provider \"dataprotection\" {\n  validate_on_plan = false\n");
        std::fs::write(ws.work_dir().join("main.tf"), main.replace(&provider, &changed)).unwrap();
    };
    without_validation(new_vault_config(false));
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    let vault = ws.resource("dataprotection_backup_vault.vault").unwrap();
    let principal = vault["attributes"]["identity_principal_id"].as_str().unwrap().to_owned();
    ws.emulator.state().update_settings(|s| s.role_propagation_ms = 4_000);
    grant(&ws, &world::disk_id(world::DISK_APP_01), DISK_BACKUP_READER, &principal).await;
    grant(&ws, &world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP), DISK_SNAPSHOT_CONTRIBUTOR, &principal).await;
    without_validation(new_vault_config(true));
    ws.emulator.state().clear_journal();
    let run = ws.terraform_ok(&["apply", "-auto-approve"]).await;
    assert!(run.stdout.contains("1 added"), "{}", run.stdout);
    let ops = arm_ops(&ws);
    assert!(!ops.iter().any(|o| o == "BackupInstances_ValidateForBackup"), "no validation: {ops:?}");
    let puts = ops.iter().filter(|o| *o == "BackupInstances_CreateOrUpdate").count();
    assert!(puts >= 2, "the instance was sent again once the roles took effect: {ops:?}");
    let instance = ws.resource("dataprotection_backup_instance.bi").unwrap();
    assert_eq!(instance["attributes"]["protection_state"], "ProtectionConfigured");
    let (code, _) = ws.plan_code().await;
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soft_deleted_instance_that_azure_still_shows_is_gone_for_the_destroy() {
    let ws = Workspace::start().await;
    // Azure may answer a GET of a soft-deleted instance with the instance, SoftDeleted, instead of 404.
    ws.emulator.state().update_settings(|s| s.soft_deleted_instances_visible = true);
    // A short delete timeout: a provider that waited for a 404 would fail the destroy instead of hanging.
    let short = |config: String| {
        config.replace(
            "  snapshot_resource_group_id",
            "  timeouts {\n    delete = \"20s\"\n  }\n  snapshot_resource_group_id",
        )
    };
    ws.write(&short(soft_delete_config("On", true)));
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    ws.write(&soft_delete_config("On", false));
    ws.emulator.state().clear_journal();
    let run = ws.terraform_ok(&["apply", "-auto-approve"]).await;
    assert!(run.stdout.contains("0 added, 0 changed, 1 destroyed"), "{}", run.stdout);
    // The delete was confirmed by a GET that showed the instance SoftDeleted: gone, with no wait for a 404.
    let confirm = ws.journal().into_iter().rfind(|e| e.operation == "BackupInstances_Get").unwrap();
    assert_eq!(confirm.status, 200, "the instance is still shown");
    let (code, _) = ws.plan_code().await;
    assert_eq!(code, 0, "nothing to create again: the instance is gone for Terraform");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soft_deleted_instance_in_the_vault_list_is_gone_for_the_refresh() {
    let ws = Workspace::start().await;
    // Should the service list soft-deleted instances among a vault's instances, a refresh (which reads the list)
    // must still see an instance deleted out of band as gone, and leave the other one as it is.
    ws.emulator.state().update_settings(|s| s.soft_deleted_instances_listed = true);
    let kept = instance_in_new_vault("bi-kept", world::DISK_APP_01).replace("\"bi\" {", "\"kept\" {");
    ws.write(&(soft_delete_config("On", true) + &kept));
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    let state = ws.resource("dataprotection_backup_instance.bi").expect("bi in state");
    let deleted_id = state["attributes"]["id"].as_str().unwrap().to_owned();
    let vault_id = deleted_id.split("/backupInstances/").next().unwrap().to_owned();

    let (status, _) = ws.arm(reqwest::Method::DELETE, &deleted_id, None).await;
    assert!(status == 200 || status == 202 || status == 204, "out-of-band delete: {status}");
    ws.wait_until_settled(&deleted_id).await;
    let (status, list) = ws.arm(reqwest::Method::GET, &format!("{vault_id}/backupInstances"), None).await;
    assert_eq!(status, 200, "{list}");
    let listed: Vec<_> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap_or("").to_owned(), i["properties"]["currentProtectionState"].clone()))
        .collect();
    assert!(
        listed.iter().any(|(name, state)| name == "bi-sd" && state == "SoftDeleted"),
        "the emulator lists the soft-deleted instance: {listed:?}"
    );

    ws.emulator.state().clear_journal();
    let run = ws.terraform_ok(&["apply", "-refresh-only", "-auto-approve"]).await;
    let ops: Vec<_> = ws.journal().into_iter().map(|e| e.operation).collect();
    assert!(ops.iter().any(|o| o == "BackupInstances_List"), "the refresh read the vault's list: {ops:?}");
    assert!(run.stdout.contains("dataprotection_backup_instance.bi has been deleted"), "{}", run.stdout);
    assert!(ws.resource("dataprotection_backup_instance.bi").is_none(), "the soft-deleted instance left the state");
    // Without it in the configuration (its disk cannot be protected again in this vault while it is kept), the
    // plan is clean: nothing to destroy, and the other instance reads as it is.
    ws.write(&(soft_delete_config("On", false) + &kept));
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "{}", run.output());
    let kept = ws.resource("dataprotection_backup_instance.kept").expect("kept in state");
    assert_eq!(kept["attributes"]["protection_state"], "ProtectionConfigured");
}
