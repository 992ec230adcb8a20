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
