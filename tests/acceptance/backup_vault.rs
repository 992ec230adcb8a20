//! Acceptance tests of `dataprotection_backup_vault`: the real terraform CLI, the real provider binary, the
//! emulator over HTTPS on loopback.

use crate::support;

use dataprotection::arm::poller::PollSchedule;
use dataprotection_emulator::default_world as world;
use dataprotection_emulator::settings::{OperationKind, Outcome, OutcomeRule};
use reqwest::Method;
use serde_json::json;
use support::terraform::Workspace;

const ADDRESS: &str = "dataprotection_backup_vault.vault";

fn vault_id(name: &str) -> String {
    format!("{}/providers/Microsoft.DataProtection/backupVaults/{name}", resource_group())
}

fn resource_group() -> String {
    world::resource_group_id(world::BACKUP_RESOURCE_GROUP)
}

/// A vault block; `extra` is added inside it.
fn vault_block(name: &str, extra: &str) -> String {
    format!(
        r#"resource "dataprotection_backup_vault" "vault" {{
  name              = "{name}"
  resource_group_id = "{group}"
  location          = "{location}"
  datastore_type    = "VaultStore"
  redundancy        = "LocallyRedundant"
{extra}
}}
"#,
        group = resource_group(),
        location = world::LOCATION,
    )
}

/// The operations of the journal, without token requests and metadata reads.
fn arm_ops(ws: &Workspace) -> Vec<String> {
    ws.journal().into_iter().map(|e| e.operation).filter(|o| o != "Token" && o != "Metadata_Endpoints").collect()
}

/// A disk backup policy body, as a client outside Terraform would PUT it.
fn disk_policy(schedule: &str, retention: &str) -> serde_json::Value {
    let store = json!({"dataStoreType": "OperationalStore", "objectType": "DataStoreInfoBase"});
    json!({"properties": {
        "objectType": "BackupPolicy",
        "datasourceTypes": ["Microsoft.Compute/disks"],
        "policyRules": [
            {"name": "BackupDaily", "objectType": "AzureBackupRule",
             "backupParameters": {"objectType": "AzureBackupParams", "backupType": "Incremental"},
             "dataStore": store,
             "trigger": {"objectType": "ScheduleBasedTriggerContext",
                "schedule": {"repeatingTimeIntervals": [schedule]},
                "taggingCriteria": [{"isDefault": true, "taggingPriority": 99, "tagInfo": {"tagName": "Default"}}]}},
            {"name": "Default", "objectType": "AzureRetentionRule", "isDefault": true,
             "lifecycles": [{"deleteAfter": {"objectType": "AbsoluteDeleteOption", "duration": retention},
                "sourceDataStore": store, "targetDataStoreCopySettings": []}]}
        ]
    }})
}

/// The output with every run of whitespace made one space: terraform wraps long diagnostic lines.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_no_backtrace(text: &str) {
    assert!(!text.contains("stack backtrace") && !text.contains("rust_begin_unwind"), "backtrace in output:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_create_follows_the_operation_then_plan_is_empty_then_import_matches() {
    let ws = Workspace::start().await;
    ws.write(&vault_block("vault-basic", ""));
    ws.emulator.state().clear_journal();
    let run = ws.apply().await;
    assert!(run.stdout.contains("1 added, 0 changed, 0 destroyed"), "{}", run.stdout);

    let ops = arm_ops(&ws);
    let put = ops.iter().position(|o| o == "BackupVaults_CreateOrUpdate").expect("a PUT");
    assert_eq!(
        ops[put + 1],
        "OperationStatusBackupVaultContext_Get",
        "the PUT's Azure-AsyncOperation (vault scope, as recorded) is followed to its end: {ops:?}"
    );
    assert_eq!(ops.last().map(String::as_str), Some("BackupVaults_Get"), "the create ends with a GET: {ops:?}");
    assert_eq!(ops.iter().filter(|o| *o == "BackupVaults_Get").count(), 2, "existence check and final read: {ops:?}");

    let vault = ws.resource(ADDRESS).expect("vault in state");
    let attributes = &vault["attributes"];
    assert_eq!(attributes["id"], vault_id("vault-basic").as_str());
    assert_eq!(attributes["soft_delete"], "On");
    assert_eq!(attributes["retention_duration_in_days"], 14);
    assert_eq!(attributes["immutability"], "Disabled");
    assert_eq!(attributes["identity_type"], "SystemAssigned");
    let principal = attributes["identity_principal_id"].as_str().expect("a principal ID").to_owned();
    let inventory = ws.emulator.state().inventory();
    let created = inventory.vaults.iter().find(|v| v.id == vault_id("vault-basic")).expect("vault in the emulator");
    assert_eq!(created.identity_principal_id.as_deref(), Some(principal.as_str()));
    assert_eq!(created.provisioning_state, "Succeeded");
    assert_eq!(attributes["identity_tenant_id"], world::TENANT_ID);

    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "second plan must be empty:\n{}", run.output());

    ws.terraform_ok(&["state", "rm", ADDRESS]).await;
    ws.terraform_ok(&["import", ADDRESS, &vault_id("vault-basic")]).await;
    let imported = ws.resource(ADDRESS).expect("imported");
    assert_eq!(imported["attributes"]["identity_principal_id"], principal.as_str());
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after import must be empty:\n{}", run.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_soft_delete_and_identity_change_in_place_with_one_patch_and_storage_replaces() {
    let ws = Workspace::start().await;
    ws.write(&vault_block("vault-update", "  identity_type = \"None\"\n"));
    ws.apply().await;
    let before = ws.resource(ADDRESS).unwrap();
    assert!(before["attributes"]["identity_principal_id"].is_null(), "{before}");

    ws.write(&vault_block(
        "vault-update",
        "  soft_delete = \"Off\"\n  retention_duration_in_days = 30\n  tags = { env = \"test\" }\n",
    ));
    let plan = ws.terraform_ok(&["plan"]).await;
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("0 to add, 1 to change, 0 to destroy"), "{}", plan.stdout);
    ws.emulator.state().clear_journal();
    let run = ws.apply().await;
    assert!(run.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", run.stdout);
    let ops = arm_ops(&ws);
    assert_eq!(ops.iter().filter(|o| *o == "BackupVaults_Update").count(), 1, "one PATCH: {ops:?}");
    assert!(!ops.iter().any(|o| o == "BackupVaults_CreateOrUpdate" || o == "BackupVaults_Delete"), "{ops:?}");

    let after = ws.resource(ADDRESS).unwrap();
    assert_eq!(after["attributes"]["id"], before["attributes"]["id"]);
    assert_eq!(after["attributes"]["tags"], json!({"env": "test"}));
    assert!(after["attributes"]["identity_principal_id"].as_str().is_some_and(|p| !p.is_empty()), "{after}");
    let (status, body) = ws.arm(Method::GET, &vault_id("vault-update"), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["tags"], json!({"env": "test"}));
    assert_eq!(body["identity"]["type"], "SystemAssigned");
    assert_eq!(body["properties"]["securitySettings"]["softDeleteSettings"]["state"], "Off");
    assert_eq!(body["properties"]["securitySettings"]["softDeleteSettings"]["retentionDurationInDays"], 30.0);
    assert_eq!(body["properties"]["storageSettings"][0]["type"], "LocallyRedundant", "the PATCH kept the rest");
    assert_eq!(ws.plan_code().await.0, 0);

    // Removing the tags and the settings goes back to Azure's defaults, in place.
    ws.write(&vault_block("vault-update", ""));
    ws.apply().await;
    let (_, body) = ws.arm(Method::GET, &vault_id("vault-update"), None).await;
    assert!(body.get("tags").is_none_or(|t| t.as_object().is_none_or(|t| t.is_empty())), "{body}");
    assert_eq!(body["properties"]["securitySettings"]["softDeleteSettings"]["state"], "On");
    assert_eq!(ws.plan_code().await.0, 0);

    ws.write(&vault_block("vault-update", "").replace("LocallyRedundant", "GeoRedundant"));
    let plan = ws.terraform_ok(&["plan"]).await;
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.stdout);
    let run = ws.apply().await;
    assert!(run.stdout.contains("1 added, 0 changed, 1 destroyed"), "{}", run.stdout);
    let (_, body) = ws.arm(Method::GET, &vault_id("vault-update"), None).await;
    assert_eq!(body["properties"]["storageSettings"][0]["type"], "GeoRedundant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn irreversible_settings_are_explained_in_the_plan_and_undoing_them_replaces() {
    let ws = Workspace::start().await;
    ws.write(&vault_block("vault-locked", ""));
    ws.apply().await;

    ws.write(&vault_block("vault-locked", "  soft_delete = \"AlwaysOn\"\n  immutability = \"Locked\"\n"));
    let (code, plan) = ws.plan_code().await;
    assert_eq!(code, 2, "{}", plan.output());
    let out = flat(&plan.output());
    assert!(out.contains("Warning: soft_delete = \"AlwaysOn\" cannot be undone"), "{out}");
    assert!(out.contains("Warning: immutability = \"Locked\" cannot be undone"), "{out}");
    assert!(out.contains("updated in-place"), "turning them on is an update: {out}");
    ws.apply().await;
    assert_eq!(ws.plan_code().await.0, 0, "keeping them is no change");

    ws.write(&vault_block("vault-locked", "  immutability = \"Locked\"\n"));
    let (code, plan) = ws.plan_code().await;
    assert_eq!(code, 2, "{}", plan.output());
    let out = flat(&plan.output());
    assert!(out.contains("must be replaced"), "{out}");
    assert!(out.contains("Warning: soft_delete cannot go from \"AlwaysOn\" to \"On\" in place"), "{out}");
    assert!(out.contains("forces replacement"), "{out}");
    assert_no_backtrace(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_follows_the_delete_operation_and_confirms_it_is_gone() {
    let ws = Workspace::start().await;
    ws.write(&vault_block("vault-destroy", ""));
    ws.apply().await;
    ws.emulator.state().clear_journal();
    ws.terraform_ok(&["destroy", "-auto-approve"]).await;
    let ops = arm_ops(&ws);
    let delete = ops.iter().position(|o| o == "BackupVaults_Delete").expect("a DELETE");
    assert_eq!(
        ops[delete + 1],
        "OperationStatus_Get",
        "the DELETE's Azure-AsyncOperation (resource group and location scope, as recorded) is followed: {ops:?}"
    );
    assert_eq!(ops.last().map(String::as_str), Some("BackupVaults_Get"), "the 404 is confirmed: {ops:?}");
    let last = ws.journal().into_iter().rev().find(|e| e.operation == "BackupVaults_Get").unwrap();
    assert_eq!(last.status, 404);
    assert!(!ws.emulator.state().inventory().vaults.iter().any(|v| v.id == vault_id("vault-destroy")));
    let early: Vec<_> = ws.journal().into_iter().filter(|e| e.early).collect();
    assert!(early.is_empty(), "polls earlier than the emulator asked: {early:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_that_already_exists_must_be_imported() {
    let ws = Workspace::start().await;
    ws.write(&vault_block(world::VAULT_NAME, ""));
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(out.contains("Backup vault already exists"), "{out}");
    assert!(out.contains("terraform import dataprotection_backup_vault."), "{out}");
    assert!(!arm_ops(&ws).iter().any(|o| o == "BackupVaults_CreateOrUpdate"), "the vault was not overwritten");
    assert!(ws.resource(ADDRESS).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_with_backup_instances_is_not_destroyed_and_azures_error_says_why() {
    let ws = Workspace::start().await;
    // Soft delete off: with it on, the plan already stops such a destroy (tests/acceptance/service_rules.rs); here
    // the apply meets Azure's own refusal.
    ws.write(&vault_block("vault-busy", "  soft_delete = \"Off\""));
    ws.apply().await;
    // A policy and an instance made outside Terraform.
    let policy_id = format!("{}/backupPolicies/outside", vault_id("vault-busy"));
    let (status, body) =
        ws.arm(Method::PUT, &policy_id, Some(disk_policy("R/2024-01-01T02:00:00+00:00/P1D", "P7D"))).await;
    assert_eq!(status, 200, "{body}");
    let instance_id = format!("{}/backupInstances/outside-bi", vault_id("vault-busy"));
    let disk = world::disk_id(world::DISK_APP_01);
    let (status, body) = ws
        .arm(
            Method::PUT,
            &instance_id,
            Some(json!({"properties": {
                "objectType": "BackupInstance",
                "dataSourceInfo": {"objectType": "Datasource", "datasourceType": "Microsoft.Compute/disks",
                    "resourceType": "Microsoft.Compute/disks", "resourceID": disk, "resourceUri": disk,
                    "resourceName": world::DISK_APP_01, "resourceLocation": world::LOCATION},
                "policyInfo": {"policyId": policy_id, "policyParameters": {"dataStoreParametersList": [
                    {"objectType": "AzureOperationalStoreParameters", "dataStoreType": "OperationalStore",
                     "resourceGroupId": world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP)}]}}
            }})),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    ws.wait_until_settled(&instance_id).await;

    let run = ws.terraform(&["destroy", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(out.contains("UserErrorBackupVaultNotEmpty"), "Azure's code: {out}");
    assert!(out.contains("existing backup instances"), "Azure's message: {out}");
    assert!(out.contains("Request ID:"), "{out}");
    assert!(out.contains("retain_data_on_destroy"), "the hint: {out}");
    assert_no_backtrace(&out);
    assert!(ws.resource(ADDRESS).is_some(), "the vault stays in state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_fail_validate_with_their_attribute() {
    let ws = Workspace::start().await;
    ws.write(
        &vault_block("1-bad-name", "  soft_delete = \"always\"\n  retention_duration_in_days = 7\n")
            .replace(&resource_group(), "rg-backup"),
    );
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["validate"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    for text in [
        "Invalid backup vault name",
        "Invalid resource group ID",
        "Invalid soft_delete",
        "Invalid soft delete retention",
        "on main.tf line",
    ] {
        assert!(out.contains(text), "{text}: {out}");
    }
    assert_no_backtrace(&out);
    assert!(arm_ops(&ws).is_empty(), "validate is offline: {:?}", arm_ops(&ws));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_outlives_its_timeout_keeps_the_vault_in_state_and_the_next_apply_converges() {
    let ws = Workspace::start().await;
    ws.emulator.state().inject_outcome(
        OperationKind::BackupVaultCreateOrUpdate,
        OutcomeRule { outcome: Outcome::NeverFinish, count: Some(1), code: None, message: None },
    );
    ws.write(&vault_block("vault-slow", "  timeouts {\n    create = \"3s\"\n  }\n"));
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(out.contains("create timeout (3s)"), "the timeout is named: {out}");
    assert_no_backtrace(&out);
    let vault = ws.resource(ADDRESS).unwrap_or_else(|| panic!("the accepted vault is in state:\n{out}"));
    assert_eq!(vault["attributes"]["id"], vault_id("vault-slow").as_str());
    assert_eq!(vault["status"], "tainted", "{vault}");

    // The next apply replaces the tainted vault and ends clean.
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(run.stdout.contains("1 added, 0 changed, 1 destroyed"), "{}", run.stdout);
    assert_eq!(ws.plan_code().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_answered_without_retry_headers_as_recorded_is_polled_on_the_providers_write_schedule() {
    let ws = Workspace::start().await;
    // As recorded: the vault PUT and its status polls carry no Retry-After; the operation is over at once.
    ws.emulator.state().set_lro_timing(
        OperationKind::BackupVaultCreateOrUpdate,
        dataprotection_emulator::LroTiming::with_delays(0, 0, 1, None).recorded(),
    );
    ws.write(&vault_block("vault-recorded", ""));
    ws.emulator.state().clear_journal();
    let run = ws.apply().await;
    assert!(run.stdout.contains("1 added, 0 changed, 0 destroyed"), "{}", run.stdout);
    let journal = ws.journal();
    let put = journal.iter().find(|e| e.operation == "BackupVaults_CreateOrUpdate").expect("a PUT");
    let poll = journal.iter().find(|e| e.operation == "OperationStatusBackupVaultContext_Get").expect("a poll");
    let waited = poll.at_ms - put.at_ms;
    // The write schedule's first wait: soon (a recorded vault PUT ended within a second), not at once.
    let first = PollSchedule::Write.delay(0).as_millis() as u64;
    let interval = dataprotection::arm::poller::DEFAULT_POLL_DELAY.as_millis() as u64;
    assert!(waited >= first, "without Retry-After the provider waits its own {first} ms first: {waited} ms");
    assert!(waited < interval, "the first poll comes after {first} ms, not at the {interval} ms interval: {waited} ms");
    let polls = journal.iter().filter(|e| e.operation == "OperationStatusBackupVaultContext_Get").count();
    assert_eq!(polls, 1, "an operation over at once is polled once");
    let (code, plan) = ws.plan_code().await;
    assert_eq!(code, 0, "{}", plan.output());
}
