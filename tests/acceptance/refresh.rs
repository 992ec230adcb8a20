//! Refresh at scale: one list of a vault answers the refresh of its backup instances and policies, and drift made
//! outside Terraform is still seen for every instance.

use crate::support;

use dataprotection_emulator::Scenario;
use dataprotection_emulator::default_world as world;
use reqwest::Method;
use support::terraform::{Workspace, instance_block};

const COUNT: usize = 6;

fn disk(index: usize) -> String {
    format!("disk-drift-{index}")
}

fn scenario() -> Scenario {
    Scenario::default_world().with_backup_ready_disks(COUNT, disk)
}

fn body() -> String {
    (0..COUNT)
        .map(|i| instance_block(&format!("bi{i}"), &format!("bi-drift-{i}"), &disk(i), world::POLICY_DAILY))
        .collect()
}

/// Deletes bi-drift-1, moves bi-drift-2 to the other policy and stops the protection of bi-drift-3, out of band.
async fn drift(ws: &Workspace) {
    let (status, _) = ws.arm(Method::DELETE, &world::backup_instance_id("bi-drift-1"), None).await;
    assert_eq!(status, 202);
    ws.wait_until_settled(&world::backup_instance_id("bi-drift-1")).await;
    ws.create_out_of_band("bi-drift-2", &disk(2), world::POLICY_4H).await;
    let stop = format!("{}/stopProtection", world::backup_instance_id("bi-drift-3"));
    let (status, body) = ws.arm(Method::POST, &stop, Some(serde_json::json!({}))).await;
    assert_eq!(status, 202, "{body}");
    for _ in 0..100 {
        let (_, instance) = ws.arm(Method::GET, &world::backup_instance_id("bi-drift-3"), None).await;
        if instance["properties"]["currentProtectionState"] == "ProtectionStopped" {
            return;
        }
    }
    panic!("bi-drift-3 never stopped");
}

/// The three drifts in a plan's output.
fn assert_drift_seen(plan: &str) {
    let text = plan.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("dataprotection_backup_instance.bi1 will be created"), "the deleted one: {text}");
    assert!(text.contains("dataprotection_backup_instance.bi2 will be updated in-place"), "the moved one: {text}");
    assert!(text.contains("policy-disk-4h"), "{text}");
    assert!(text.contains("dataprotection_backup_instance.bi3 will be updated in-place"), "the stopped one: {text}");
    assert!(text.contains("\"ProtectionStopped\" -> \"ProtectionConfigured\""), "{text}");
    assert!(text.contains("3 to add, 2 to change") || text.contains("1 to add, 2 to change"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_list_per_vault_refreshes_every_instance_and_drift_is_still_seen() {
    let ws = Workspace::with_scenario(scenario()).await;
    ws.write(&body());
    ws.terraform_ok(&["apply", "-auto-approve"]).await;

    // An unchanged refresh: one list, no GET.
    ws.emulator.state().clear_journal();
    let (code, _) = ws.plan_code().await;
    assert_eq!(code, 0);
    let ops: Vec<String> = ws.journal().into_iter().map(|e| e.operation).collect();
    assert_eq!(ops.iter().filter(|o| *o == "BackupInstances_List").count(), 1, "{ops:?}");
    assert_eq!(ops.iter().filter(|o| *o == "BackupInstances_Get").count(), 0, "{ops:?}");

    // Drift outside Terraform: every case is seen, the deleted instance through a GET that the list's miss asks.
    drift(&ws).await;
    ws.emulator.state().clear_journal();
    let (code, plan) = ws.plan_code().await;
    assert_eq!(code, 2, "{}", plan.output());
    assert_drift_seen(&plan.output());
    let journal = ws.journal();
    let gets: Vec<&str> =
        journal.iter().filter(|e| e.operation == "BackupInstances_Get").map(|e| e.path.as_str()).collect();
    assert_eq!(gets.len(), 1, "only the instance the list does not hold is read alone: {gets:?}");
    assert!(gets[0].ends_with("/bi-drift-1"), "{gets:?}");

    // The same plan with refresh_by_list = false: one GET per instance, the same drift.
    let main = std::fs::read_to_string(ws.work_dir().join("main.tf")).unwrap();
    let one_by_one =
        main.replace("provider \"dataprotection\" {\n", "provider \"dataprotection\" {\n  refresh_by_list = false\n");
    std::fs::write(ws.work_dir().join("main.tf"), one_by_one).unwrap();
    ws.emulator.state().clear_journal();
    let (code, plan) = ws.plan_code().await;
    assert_eq!(code, 2, "{}", plan.output());
    assert_drift_seen(&plan.output());
    let journal = ws.journal();
    assert_eq!(journal.iter().filter(|e| e.operation == "BackupInstances_Get").count(), COUNT);
    assert_eq!(journal.iter().filter(|e| e.operation == "BackupInstances_List").count(), 0);

    // Apply brings everything back; a refresh after it (a new process, a new list) finds nothing to change.
    std::fs::write(ws.work_dir().join("main.tf"), main).unwrap();
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    let (code, _) = ws.plan_code().await;
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_whose_list_fails_is_read_one_by_one() {
    let ws = Workspace::with_scenario(scenario()).await;
    ws.write(&body());
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    ws.emulator
        .state()
        .add_fault(dataprotection_emulator::FaultRule {
            id: 0,
            method: None,
            path_contains: None,
            path_regex: None,
            operation: Some("BackupInstances_List".to_owned()),
            skip: 0,
            count: None,
            action: dataprotection_emulator::FaultAction::Status {
                status: 400,
                retry_after: None,
                code: None,
                message: None,
            },
        })
        .unwrap();
    ws.emulator.state().clear_journal();
    let (code, _) = ws.plan_code().await;
    assert_eq!(code, 0, "the refresh still succeeds");
    let gets = ws.journal().iter().filter(|e| e.operation == "BackupInstances_Get" && e.status == 200).count();
    assert_eq!(gets, COUNT);
}
