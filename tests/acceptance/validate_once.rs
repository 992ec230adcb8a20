//! One validateForBackup per new backup instance per apply: the apply walk, which plans again in a new provider
//! process, takes the plan walk's validation instead of asking Azure again. A plan alone always validates.

use crate::support;

use dataprotection_emulator::default_world as world;
use support::terraform::{Workspace, instance_block};

fn validations(ws: &Workspace) -> usize {
    ws.journal().iter().filter(|e| e.operation == "BackupInstances_ValidateForBackup").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_validates_a_new_instance_once_and_a_plan_alone_always_does() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-once", world::DISK_APP_01, world::POLICY_DAILY));

    ws.emulator.state().clear_journal();
    ws.terraform_ok(&["plan"]).await;
    ws.terraform_ok(&["plan"]).await;
    assert_eq!(validations(&ws), 2, "each plan asks Azure");

    ws.emulator.state().clear_journal();
    let run = ws.apply().await;
    assert!(run.stdout.contains("1 added"), "{}", run.stdout);
    assert_eq!(validations(&ws), 1, "the apply walk does not validate again: {:?}", ws.journal());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_is_applied_without_a_second_validation() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-saved", world::DISK_APP_01, world::POLICY_DAILY));
    ws.emulator.state().clear_journal();
    ws.terraform_ok(&["plan", "-out=tfplan"]).await;
    assert_eq!(validations(&ws), 1);
    let run = ws.terraform_ok(&["apply", "tfplan"]).await;
    assert!(run.stdout.contains("1 added"), "{}", run.stdout);
    assert_eq!(validations(&ws), 1, "the saved plan's validation counts for its apply");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validation_gone_stale_still_fails_the_create_in_azures_words() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-stale", world::DISK_APP_01, world::POLICY_DAILY));
    ws.terraform_ok(&["plan", "-out=tfplan"]).await;
    // Between plan and apply, someone else protects the disk.
    ws.create_out_of_band("someone-elses", world::DISK_APP_01, world::POLICY_DAILY).await;
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["apply", "tfplan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.output().contains("UserErrorDppDatasourceAlreadyProtected"), "Azure's words: {}", run.output());
    assert_eq!(validations(&ws), 0, "not validated again");
    assert!(ws.resource("dataprotection_backup_instance.bi").is_none(), "nothing Azure refused is in state");
    assert_eq!(ws.instance_ids(), vec![world::backup_instance_id("someone-elses")], "nothing else was touched");
}
