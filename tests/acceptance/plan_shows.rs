//! An apply changes exactly what the plan showed: Azure's other fields survive an update, and every plan that
//! deletes recovery points says so.

use crate::support;

use dataprotection_emulator::default_world as world;
use reqwest::Method;
use support::terraform::{Workspace, instance_block};

const ADDRESS: &str = "dataprotection_backup_instance.bi";

/// The operations of the journal, without token requests and metadata reads.
fn arm_ops(ws: &Workspace) -> Vec<String> {
    ws.journal().into_iter().map(|e| e.operation).filter(|o| o != "Token" && o != "Metadata_Endpoints").collect()
}

/// A disk instance made outside Terraform, with tags, its own display name and identity details: fields this
/// provider does not manage.
async fn create_with_foreign_fields(ws: &Workspace, name: &str) -> String {
    let id = world::backup_instance_id(name);
    let disk = world::DISK_APP_01;
    let body = serde_json::json!({
        "tags": {"owner": "team-storage", "cost-centre": "4711"},
        "properties": {
            "objectType": "BackupInstance",
            "friendlyName": "App disk, kept by the storage team",
            "identityDetails": {"useSystemAssignedIdentity": true},
            "dataSourceInfo": {"objectType": "Datasource", "datasourceType": "Microsoft.Compute/disks",
                "resourceType": "Microsoft.Compute/disks", "resourceID": world::disk_id(disk),
                "resourceUri": world::disk_id(disk), "resourceName": disk, "resourceLocation": world::LOCATION},
            "policyInfo": {"policyId": world::policy_id(world::POLICY_DAILY), "policyParameters": {
                "dataStoreParametersList": [{"objectType": "AzureOperationalStoreParameters",
                    "dataStoreType": "OperationalStore",
                    "resourceGroupId": world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP)}]}}
        }
    });
    let (status, answer) = ws.arm(Method::PUT, &id, Some(body)).await;
    assert!(status == 200 || status == 201 || status == 202, "out-of-band PUT: {status} {answer}");
    ws.wait_until_settled(&id).await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_change_keeps_the_instances_tags_display_name_and_identity() {
    let ws = Workspace::start().await;
    let id = create_with_foreign_fields(&ws, "bi-foreign").await;
    ws.write(&instance_block("bi", "bi-foreign", world::DISK_APP_01, world::POLICY_DAILY));
    ws.terraform_ok(&["import", ADDRESS, &id]).await;
    assert_eq!(ws.plan_code().await.0, 0, "the import plans clean");

    ws.write(&instance_block("bi", "bi-foreign", world::DISK_APP_01, world::POLICY_4H));
    let plan = ws.terraform_ok(&["plan"]).await;
    assert!(plan.stdout.contains("1 to change, 0 to destroy"), "{}", plan.stdout);
    ws.emulator.state().clear_journal();
    ws.apply().await;
    assert_eq!(arm_ops(&ws).iter().filter(|o| *o == "BackupInstances_CreateOrUpdate").count(), 1, "{:?}", arm_ops(&ws));

    let (status, after) = ws.arm(Method::GET, &id, None).await;
    assert_eq!(status, 200, "{after}");
    let p = &after["properties"];
    assert_eq!(p["policyInfo"]["policyId"], world::policy_id(world::POLICY_4H).as_str(), "the plan's change: {after}");
    assert_eq!(after["tags"]["owner"], "team-storage", "tags kept: {after}");
    assert_eq!(after["tags"]["cost-centre"], "4711", "tags kept: {after}");
    assert_eq!(p["friendlyName"], "App disk, kept by the storage team", "display name kept: {after}");
    assert_eq!(p["identityDetails"]["useSystemAssignedIdentity"], true, "identity details kept: {after}");
    assert_eq!(ws.plan_code().await.0, 0, "and the next plan is empty");
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

const LOSS: &str = "recovery points";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_replacement_warns_at_plan_and_at_apply() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-forced", world::DISK_APP_01, world::POLICY_DAILY));
    ws.apply().await;

    let run = ws.terraform_ok(&["plan"]).await;
    assert!(!run.output().contains(LOSS), "no replacement, no warning:\n{}", run.output());

    let run = ws.terraform_ok(&["plan", "-replace=dataprotection_backup_instance.bi"]).await;
    let out = flat(&run.output());
    assert!(out.contains("will be replaced, as requested"), "{out}");
    assert!(out.contains("-replace deletes a backup instance with its recovery points"), "{out}");
    assert!(out.contains("This command replaces dataprotection_backup_instance.bi (-replace)"), "{out}");
    assert!(out.contains("retain_data_on_destroy = true"), "the way to keep them: {out}");

    // The same words where the plan and the apply are one command.
    let run = ws.terraform_ok(&["apply", "-auto-approve", "-replace", "dataprotection_backup_instance.bi"]).await;
    let out = flat(&run.output());
    assert!(out.contains("1 added, 0 changed, 1 destroyed"), "{out}");
    assert!(out.contains("-replace deletes a backup instance with its recovery points"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_replacement_warns_and_an_instance_deleted_outside_plans_a_plain_create() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-moving", world::DISK_APP_01, world::POLICY_DAILY));
    ws.apply().await;

    // Another disk under a new name: not in the way of the new instance, and still a loss.
    ws.write(&instance_block("bi", "bi-moved", world::DISK_APP_02, world::POLICY_DAILY));
    let run = ws.terraform_ok(&["plan"]).await;
    let out = flat(&run.output());
    assert!(out.contains("must be replaced"), "{out}");
    assert!(out.contains("The replacement deletes a backup instance with its recovery points"), "{out}");
    assert!(out.contains(&world::backup_instance_id("bi-moving")), "names the instance: {out}");

    // Gone in Azure already: a create, and no word of recovery points to lose.
    let id = world::backup_instance_id("bi-moving");
    let (status, _) = ws.arm(Method::DELETE, &id, None).await;
    assert!(status == 200 || status == 202 || status == 204, "out-of-band delete: {status}");
    ws.wait_until_settled(&id).await;
    let run = ws.terraform_ok(&["plan"]).await;
    let out = flat(&run.output());
    assert!(out.contains("will be created") && out.contains("1 to add, 0 to change, 0 to destroy"), "{out}");
    assert!(!out.contains(LOSS), "nothing to lose: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kubernetes_instance_moving_to_a_policy_made_in_the_same_apply_warns() {
    let ws = Workspace::start().await;
    crate::complete_example::use_example(&ws, "complete-kubernetes-cluster");
    crate::complete_example::terraform_ok(&ws, &["apply", "-auto-approve"]).await;

    // A new retention: the policy is replaced (create_before_destroy), so the instance's new policy ID is not
    // known at plan, and Azure cannot move a Kubernetes instance to another policy.
    let run = crate::complete_example::terraform_ok(&ws, &["plan", "-var", "retention=P5D"]).await;
    let out = flat(&run.output());
    assert!(out.contains("dataprotection_backup_instance_kubernetes_cluster.cluster must be replaced"), "{out}");
    assert!(out.contains("The replacement deletes a backup instance with its recovery points"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_configuration_of_a_failed_instance_is_valid_and_plans_its_repair() {
    let ws = Workspace::start().await;
    ws.create_out_of_band("bi-broken", world::DISK_APP_01, world::POLICY_DAILY).await;
    let id = world::backup_instance_id("bi-broken");
    ws.emulator
        .state()
        .set_protection_error(&dataprotection_emulator::ProtectionErrorRequest {
            backup_instance_id: id.clone(),
            code: Some("UserErrorDiskBackupDiskOrMSIPermissionsNotPresent".to_owned()),
            message: Some("The vault's identity lost its role on the disk.".to_owned()),
            recommended_action: vec!["Grant the role again.".to_owned()],
        })
        .expect("protection error set");
    ws.write(&format!("import {{\n  to = {ADDRESS}\n  id = \"{id}\"\n}}\n"));
    let run = ws.terraform(&["plan", "-generate-config-out=generated.tf"]).await;
    let generated = std::fs::read_to_string(ws.work_dir().join("generated.tf")).expect("generated.tf written");
    assert!(!generated.contains("ProtectionError"), "{generated}\n{}", run.output());
    assert!(generated.contains("backup_policy_id"), "{generated}");

    // The generated configuration is valid, and its plan brings protection back.
    let run = ws.terraform_ok(&["plan"]).await;
    let out = flat(&run.output());
    assert!(out.contains("1 to import"), "{out}");
    assert!(out.contains("\"ProtectionError\" -> \"ProtectionConfigured\""), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_example_takes_a_new_retention_in_one_apply() {
    let ws = Workspace::start().await;
    crate::complete_example::use_example(&ws, "complete-postgresql-flexible-server");
    crate::complete_example::terraform_ok(&ws, &["apply", "-auto-approve"]).await;
    let instance = "dataprotection_backup_instance_postgresql_flexible_server.server";
    let before = ws.resource(instance).expect("instance in state")["attributes"]["id"].clone();

    // The policy's name follows its retention: the new policy is made beside the old one, the instance moves.
    let run = crate::complete_example::terraform_ok(&ws, &["apply", "-auto-approve", "-var", "retention=P6M"]).await;
    let out = flat(&run.output());
    assert!(out.contains("1 added, 1 changed, 1 destroyed"), "{out}");
    let after = ws.resource(instance).expect("instance in state");
    assert_eq!(after["attributes"]["id"], before, "the instance stays");
    assert!(after["attributes"]["backup_policy_id"].as_str().unwrap().ends_with("/pg-weekly-p6m"), "{after}");
    let run = crate::complete_example::terraform(&ws, &["plan", "-detailed-exitcode", "-var", "retention=P6M"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
}
