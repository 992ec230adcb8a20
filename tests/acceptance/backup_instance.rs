//! Acceptance tests of `dataprotection_backup_instance`: the real terraform CLI, the real provider binary, the
//! emulator over HTTPS on loopback.

use crate::support;

use std::time::Duration;

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::settings::{LroTiming, OperationKind, Outcome, OutcomeRule};
use dataprotection_emulator::{FaultAction, FaultRule};
use reqwest::Method;
use support::terraform::{Workspace, instance_block};

const ADDRESS: &str = "dataprotection_backup_instance.bi";

fn ops(ws: &Workspace) -> Vec<String> {
    ws.journal().iter().map(|e| e.operation.clone()).collect()
}

/// The operations of the journal, without token requests and metadata reads.
fn arm_ops(ws: &Workspace) -> Vec<String> {
    ops(ws).into_iter().filter(|o| o != "Token" && o != "Metadata_Endpoints").collect()
}

fn assert_no_backtrace(text: &str) {
    assert!(!text.contains("stack backtrace") && !text.contains("rust_begin_unwind"), "backtrace in output:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_create_then_plan_is_empty_then_import_matches() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-basic", world::DISK_APP_01, world::POLICY_DAILY));
    let run = ws.apply().await;
    assert!(run.stdout.contains("1 added, 0 changed, 0 destroyed"), "{}", run.stdout);

    let instance = ws.resource(ADDRESS).expect("instance in state");
    let id = world::backup_instance_id("bi-basic");
    assert_eq!(instance["attributes"]["id"], id.as_str());
    assert_eq!(instance["attributes"]["protection_state"], "ProtectionConfigured");
    assert_eq!(instance["attributes"]["datasource_type"], "Microsoft.Compute/disks");
    assert!(instance.get("status").is_none(), "not tainted: {instance}");
    assert_eq!(ws.instance_ids(), vec![id.clone()]);

    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "second plan must be empty:\n{}", run.output());

    // Forget it, import it by ID, and the plan is still empty.
    ws.terraform_ok(&["state", "rm", ADDRESS]).await;
    assert!(ws.resource(ADDRESS).is_none());
    ws.terraform_ok(&["import", ADDRESS, &id]).await;
    let imported = ws.resource(ADDRESS).expect("imported");
    assert_eq!(imported["attributes"]["backup_policy_id"], world::policy_id(world::POLICY_DAILY).as_str());
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after import must be empty:\n{}", run.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_destroy_follow_the_operations_in_order_and_never_poll_early() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-journal", world::DISK_APP_01, world::POLICY_DAILY));
    ws.emulator.state().clear_journal();
    ws.apply().await;
    let create = arm_ops(&ws);
    // validate → its poll → (existence check) → PUT → its poll → GET.
    let put = create.iter().rposition(|o| o == "BackupInstances_CreateOrUpdate").expect("a PUT");
    let validate = create.iter().position(|o| o == "BackupInstances_ValidateForBackup").expect("a validate");
    assert!(validate < put, "validate comes before the PUT: {create:?}");
    assert!(create[validate + 1].starts_with("OperationStatus"), "validate is followed to its end: {create:?}");
    assert!(create[put + 1].starts_with("OperationStatus"), "the PUT is followed: {create:?}");
    assert_eq!(
        create.last().map(String::as_str),
        Some("BackupInstances_Get"),
        "the create ends with a GET: {create:?}"
    );
    assert_eq!(create.iter().filter(|o| *o == "BackupInstances_CreateOrUpdate").count(), 1);

    ws.emulator.state().clear_journal();
    ws.terraform_ok(&["destroy", "-auto-approve"]).await;
    let destroy = arm_ops(&ws);
    let delete = destroy.iter().position(|o| o == "BackupInstances_Delete").expect("a DELETE");
    assert!(destroy[delete + 1].starts_with("OperationStatus"), "the DELETE is followed: {destroy:?}");
    assert_eq!(destroy.last().map(String::as_str), Some("BackupInstances_Get"), "the 404 is confirmed: {destroy:?}");
    assert!(ws.instance_ids().is_empty(), "destroy leaves nothing behind");

    let early: Vec<_> = ws.journal().into_iter().filter(|e| e.early).collect();
    assert!(early.is_empty(), "polls earlier than the emulator asked: {early:?}");
}

/// The status reads that follow the first occurrence of `operation` in `ops`, up to the next other request.
fn polls_after(ops: &[String], operation: &str) -> usize {
    let start = ops.iter().position(|o| o == operation).unwrap_or_else(|| panic!("no {operation}: {ops:?}"));
    ops[start + 1..].iter().take_while(|o| o.starts_with("OperationStatus")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_polls_wait_as_long_as_each_status_answer_asks() {
    let ws = Workspace::start().await;
    // Every answer of the PUT's and the DELETE's operations asks for a whole second (Retry-After only, as Azure
    // sends it), and the operations stay Inprogress for two status reads: a poller that honoured only the first
    // answer's delay would read the later ones early.
    let slow = LroTiming::with_delays(2, 0, 1, None);
    ws.emulator.state().update_settings(|s| {
        s.lro.insert(OperationKind::BackupInstanceCreateOrUpdate, slow.clone());
        s.lro.insert(OperationKind::BackupInstanceDelete, slow.clone());
    });
    ws.write(&instance_block("bi", "bi-slow-polls", world::DISK_APP_01, world::POLICY_DAILY));
    ws.emulator.state().clear_journal();
    ws.apply().await;
    ws.terraform_ok(&["destroy", "-auto-approve"]).await;
    let ops = arm_ops(&ws);
    for operation in ["BackupInstances_CreateOrUpdate", "BackupInstances_Delete"] {
        assert!(polls_after(&ops, operation) >= 3, "{operation} is followed through its later polls: {ops:?}");
    }
    let early: Vec<_> = ws.journal().into_iter().filter(|e| e.early).collect();
    assert!(early.is_empty(), "polls earlier than the emulator asked: {early:?}");
    assert!(ws.instance_ids().is_empty(), "destroy leaves nothing behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_change_is_one_put_in_place_and_a_new_disk_is_a_replacement() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-update", world::DISK_APP_01, world::POLICY_DAILY));
    ws.apply().await;
    let id_before = ws.resource(ADDRESS).unwrap()["attributes"]["id"].clone();

    ws.write(&instance_block("bi", "bi-update", world::DISK_APP_01, world::POLICY_4H));
    let plan = ws.terraform_ok(&["plan"]).await;
    assert!(plan.stdout.contains("1 to change, 0 to destroy"), "{}", plan.stdout);
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    ws.emulator.state().clear_journal();
    let run = ws.apply().await;
    assert!(run.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", run.stdout);
    let puts = ops(&ws).iter().filter(|o| *o == "BackupInstances_CreateOrUpdate").count();
    assert_eq!(puts, 1, "one PUT for a policy change: {:?}", ops(&ws));
    assert!(!ops(&ws).iter().any(|o| o == "BackupInstances_Delete"));
    let after = ws.resource(ADDRESS).unwrap();
    assert_eq!(after["attributes"]["id"], id_before);
    assert_eq!(after["attributes"]["backup_policy_id"], world::policy_id(world::POLICY_4H).as_str());
    assert_eq!(after["attributes"]["protection_state"], "ProtectionConfigured");
    assert_eq!(ws.plan_code().await.0, 0);

    ws.write(&instance_block("bi", "bi-update", world::DISK_APP_02, world::POLICY_4H));
    let plan = ws.terraform_ok(&["plan"]).await;
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.stdout);
    let run = ws.apply().await;
    assert!(run.stdout.contains("1 added, 0 changed, 1 destroyed"), "{}", run.stdout);
    let inventory = ws.emulator.state().inventory();
    let protected: Vec<_> = inventory.disks.iter().filter(|d| d.protected_by.is_some()).map(|d| d.id.clone()).collect();
    assert_eq!(protected, vec![world::disk_id(world::DISK_APP_02)]);
    assert_eq!(ws.plan_code().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_an_instance_of_the_same_disk_replaces_it_without_a_validation_error() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-old-name", world::DISK_APP_01, world::POLICY_DAILY));
    ws.apply().await;
    // The disk is protected by the instance being replaced: validateForBackup's "already protected" is expected.
    ws.write(&instance_block("bi", "bi-new-name", world::DISK_APP_01, world::POLICY_DAILY));
    let run = ws.apply().await;
    assert!(run.stdout.contains("1 added, 0 changed, 1 destroyed"), "{}", run.stdout);
    assert_eq!(ws.instance_ids(), vec![world::backup_instance_id("bi-new-name")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_seen_deleted_out_of_band_means_create_policy_changed_means_update() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-drift", world::DISK_APP_01, world::POLICY_DAILY));
    ws.apply().await;
    let id = world::backup_instance_id("bi-drift");

    let (status, _) = ws.arm(Method::DELETE, &id, None).await;
    assert!(status == 200 || status == 202 || status == 204, "out-of-band delete: {status}");
    ws.wait_until_settled(&id).await;
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 2, "{}", run.output());
    assert!(run.stdout.contains("will be created"), "{}", run.stdout);
    ws.apply().await;

    ws.create_out_of_band("bi-drift", world::DISK_APP_01, world::POLICY_4H).await;
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 2, "{}", run.output());
    assert!(run.stdout.contains("updated in-place"), "{}", run.stdout);
    assert!(run.stdout.contains("policy-disk-4h") && run.stdout.contains("policy-disk-daily"), "{}", run.stdout);
    ws.apply().await;
    assert_eq!(ws.plan_code().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_fails_in_azures_words_for_a_disk_that_is_already_protected() {
    let ws = Workspace::start().await;
    ws.create_out_of_band("someone-elses", world::DISK_APP_01, world::POLICY_DAILY).await;
    ws.emulator.state().clear_journal();
    ws.write(&instance_block("bi", "bi-mine", world::DISK_APP_01, world::POLICY_DAILY));
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = run.output();
    assert!(out.contains("UserErrorDppDatasourceAlreadyProtected"), "{out}");
    assert!(out.contains("already protected"), "{out}");
    assert!(out.contains("Recommended action:"), "{out}");
    assert!(out.contains("Request ID:"), "{out}");
    assert!(out.contains("datasource_id"), "the diagnostic points at datasource_id: {out}");
    assert_no_backtrace(&out);
    assert_eq!(ws.instance_ids(), vec![world::backup_instance_id("someone-elses")], "nothing is created");
    assert!(!ops(&ws).iter().any(|o| o == "BackupInstances_CreateOrUpdate"), "no PUT was sent: {:?}", ops(&ws));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_fails_in_azures_words_when_the_vault_has_no_rights_on_the_disk() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-denied", world::DISK_UNAUTHORIZED, world::POLICY_DAILY));
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = run.output();
    assert!(out.contains("UserErrorMissingRequiredPermissions"), "{out}");
    assert!(out.contains("Recommended action:"), "{out}");
    assert!(out.contains("Disk Backup Reader"), "the permissions hint: {out}");
    assert_no_backtrace(&out);
    assert!(ws.instance_ids().is_empty(), "nothing is created");
    assert!(!ops(&ws).iter().any(|o| o == "BackupInstances_CreateOrUpdate"), "no PUT was sent: {:?}", ops(&ws));
    assert!(ws.resource(ADDRESS).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_already_exists_must_be_imported() {
    let ws = Workspace::start().await;
    // Same name, another disk: validation passes, the existence check catches it.
    ws.create_out_of_band("bi-taken", world::DISK_APP_02, world::POLICY_DAILY).await;
    ws.write(&instance_block("bi", "bi-taken", world::DISK_APP_01, world::POLICY_DAILY));
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = run.output();
    assert!(out.contains("already exists"), "{out}");
    assert!(out.contains("terraform import dataprotection_backup_instance."), "{out}");
    assert!(ws.resource(ADDRESS).is_none());
    let inventory = ws.emulator.state().inventory();
    let instance = inventory.backup_instances.iter().find(|b| b.id.ends_with("/bi-taken")).unwrap();
    assert!(instance.datasource_id.ends_with(world::DISK_APP_02), "the existing instance was not overwritten");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_and_region_spellings_never_make_a_diff() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-case", world::DISK_APP_01, world::POLICY_DAILY));
    ws.apply().await;
    let shouty = instance_block("bi", "bi-case", world::DISK_APP_01, world::POLICY_DAILY)
        .replace("/resourceGroups/", "/RESOURCEGROUPS/")
        .replace("Microsoft.DataProtection", "microsoft.dataprotection")
        .replace(&format!("\"{}\"", world::LOCATION), "\"West US\"");
    ws.write(&shouty);
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "{}", run.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_create_keeps_the_instance_in_state_and_the_next_apply_converges() {
    let ws = Workspace::start().await;
    // A create that runs for a while, polled every 100 ms.
    ws.emulator
        .state()
        .set_lro_timing(OperationKind::BackupInstanceCreateOrUpdate, LroTiming::with_delays(0, 60_000, 1, Some(100)));
    ws.write(&instance_block("bi", "bi-interrupted", world::DISK_APP_01, world::POLICY_DAILY));
    let child =
        ws.command(&["apply", "-auto-approve", "-no-color"]).process_group(0).spawn().expect("terraform starts");
    let accepted = ws
        .wait_for_journal(Duration::from_secs(60), |j| {
            j.iter().any(|e| e.operation == "BackupInstances_CreateOrUpdate")
                && j.iter()
                    .rev()
                    .take_while(|e| e.operation != "BackupInstances_CreateOrUpdate")
                    .any(|e| e.operation.starts_with("OperationStatus"))
        })
        .await;
    assert!(accepted, "the PUT was accepted and is being polled: {:?}", ops(&ws).iter().take(20).collect::<Vec<_>>());
    let pgid = child.id().expect("terraform's pid");
    // Ctrl-C in a terminal reaches the whole process group: terraform and the provider.
    // `--` so that the negative process-group ID is not read as an option.
    let status = std::process::Command::new("kill").args(["-INT", "--", &format!("-{pgid}")]).status().expect("kill");
    assert!(status.success());
    let output =
        tokio::time::timeout(Duration::from_secs(60), child.wait_with_output()).await.expect("terraform ends").unwrap();
    let out = format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "an interrupted apply fails: {out}");
    assert_no_backtrace(&out);
    assert!(flat(&out).contains("run terraform untaint <address of this dataprotection_backup_instance>"), "{out}");

    let instance = ws.resource(ADDRESS).unwrap_or_else(|| panic!("the instance is in state after Ctrl-C:\n{out}"));
    assert_eq!(instance["attributes"]["id"], world::backup_instance_id("bi-interrupted").as_str());
    assert_eq!(instance["status"], "tainted", "{instance}");

    // Let the operation finish (as it would in Azure while nobody watches), and apply again: no "already exists".
    ws.emulator.state().set_lro_timing(OperationKind::BackupInstanceCreateOrUpdate, support::terraform::fast_timing());
    ws.emulator.state().advance_clock(Duration::from_secs(120));
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(!run.output().contains("already exists"), "{}", run.output());
    assert_eq!(ws.instance_ids(), vec![world::backup_instance_id("bi-interrupted")]);
    assert_eq!(ws.plan_code().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_works_after_an_apply_that_failed_validation() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("ok", "bi-ok", world::DISK_APP_01, world::POLICY_DAILY));
    ws.apply().await;
    // A second instance Azure refuses: the apply fails at plan and creates nothing.
    let both = format!(
        "{}\n{}",
        instance_block("ok", "bi-ok", world::DISK_APP_01, world::POLICY_DAILY),
        instance_block("denied", "bi-denied", world::DISK_UNAUTHORIZED, world::POLICY_DAILY)
    );
    ws.write(&both);
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.output().contains("UserErrorMissingRequiredPermissions"), "{}", run.output());
    // Terraform plans the whole configuration once more before a destroy; that must not fail on validation.
    let run = ws.terraform(&["destroy", "-auto-approve"]).await;
    assert_eq!(run.code, 0, "destroy after a failed apply:\n{}", run.output());
    assert!(ws.instance_ids().is_empty());
}

/// Ctrl-C while `terraform apply` is still planning: Terraform calls no StopProvider in that phase, so the
/// provider ends its plan-time validation on the signal itself instead of letting Terraform wait for Azure's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_apply_is_still_validating_ends_the_validation_and_creates_nothing() {
    let ws = Workspace::start().await;
    // validateForBackup answers only after five minutes: far longer than this test may take.
    let rule = ws
        .emulator
        .state()
        .add_fault(FaultRule {
            id: 0,
            method: None,
            path_contains: None,
            path_regex: None,
            operation: Some("BackupInstances_ValidateForBackup".into()),
            skip: 0,
            count: Some(1),
            action: FaultAction::Latency { ms: 300_000 },
        })
        .expect("valid rule");
    ws.write(&instance_block("bi", "bi-ctrl-c-at-plan", world::DISK_APP_01, world::POLICY_DAILY));
    let child =
        ws.command(&["apply", "-auto-approve", "-no-color"]).process_group(0).spawn().expect("terraform starts");
    // The rule is gone once it has acted: the validation request is in flight.
    let held = tokio::time::timeout(Duration::from_secs(60), async {
        while ws.emulator.state().faults().iter().any(|r| r.id == rule.id) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(held.is_ok(), "validateForBackup was never sent: {:?}", ops(&ws));
    let pgid = child.id().expect("terraform's pid");
    let status = std::process::Command::new("kill").args(["-INT", "--", &format!("-{pgid}")]).status().expect("kill");
    assert!(status.success());
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("terraform ends long before validateForBackup would have answered")
        .unwrap();
    let out = format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "an interrupted apply fails: {out}");
    assert!(
        out.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("Terraform asked the provider to stop during POST"),
        "the validation was ended:\n{out}"
    );
    assert_no_backtrace(&out);
    assert!(!ops(&ws).iter().any(|o| o == "BackupInstances_CreateOrUpdate"), "nothing was created: {:?}", ops(&ws));
    assert!(ws.instance_ids().is_empty());
    assert!(ws.resource(ADDRESS).is_none(), "nothing in state");
}

// ---------------------------------------------------------------------------------------------------------------
// Ownership: nothing this state does not own is taken over or deleted.

/// `text` with its whitespace runs made single spaces: Terraform wraps diagnostics to the terminal's width.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `block` with `extra` lines added inside the resource block.
fn with_lines(block: &str, extra: &str) -> String {
    let cut = block.rfind('}').expect("a block");
    format!("{}{extra}\n}}\n", &block[..cut])
}

const CREATE_BEFORE_DESTROY: &str = "  lifecycle {\n    create_before_destroy = true\n  }";

/// The instance operations that change something (PUT, DELETE, actions) in the journal.
fn writes(ws: &Workspace) -> Vec<String> {
    arm_ops(ws)
        .into_iter()
        .filter(|o| {
            o.starts_with("BackupInstances_")
                && !matches!(
                    o.as_str(),
                    "BackupInstances_Get" | "BackupInstances_List" | "BackupInstances_ValidateForBackup"
                )
        })
        .collect()
}

/// Waits until the emulator reports `id` in protection state `wanted`.
async fn wait_for_protection_state(ws: &Workspace, id: &str, wanted: &str) {
    for _ in 0..500 {
        let (_, body) = ws.arm(Method::GET, id, None).await;
        if body["properties"]["currentProtectionState"] == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{id} never reached {wanted}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_workspace_with_the_same_configuration_must_import_and_leaves_the_first_untouched() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-shared", world::DISK_APP_01, world::POLICY_DAILY));
    ws.apply().await;
    let id = world::backup_instance_id("bi-shared");

    ws.terraform_ok(&["workspace", "new", "second"]).await;
    ws.emulator.state().clear_journal();
    // Plan warns (it cannot tell this from a create_before_destroy replacement of this very instance, see
    // create_before_destroy_never_deletes_the_instance_it_replaces); apply refuses before it changes anything.
    for (command, code) in [(&["plan"][..], 0), (&["apply", "-auto-approve"][..], 1)] {
        let run = ws.terraform(command).await;
        assert_eq!(run.code, code, "{command:?} in a second workspace:\n{}", run.output());
        let out = flat(&run.output());
        assert!(out.contains("Backup instance already exists"), "{out}");
        assert!(out.contains(&format!("terraform import dataprotection_backup_instance.<name> '{id}'")), "{out}");
        assert!(out.contains("another Terraform state or workspace"), "{out}");
        assert!(!out.contains("adopted"), "{out}");
    }
    assert!(writes(&ws).is_empty(), "the second workspace changed nothing: {:?}", writes(&ws));

    ws.terraform_ok(&["workspace", "select", "default"]).await;
    assert_eq!(ws.instance_ids(), vec![id.clone()]);
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "the first workspace's instance is untouched:\n{}", run.output());
}

/// The IDs of every object of `address` in the state, current or deposed.
fn state_ids(ws: &Workspace, address: &str) -> Vec<String> {
    let (ty, name) = address.split_once('.').expect("type.name");
    let state = ws.state();
    let mut ids = Vec::new();
    for resource in state["resources"].as_array().into_iter().flatten() {
        if resource["type"] == ty && resource["name"] == name {
            for instance in resource["instances"].as_array().into_iter().flatten() {
                ids.extend(instance["attributes"]["id"].as_str().map(str::to_owned));
            }
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_before_destroy_never_deletes_the_instance_it_replaces() {
    let ws = Workspace::start().await;
    let plain = |name: &str| instance_block("bi", name, world::DISK_APP_01, world::POLICY_DAILY);
    let cbd = |name: &str| with_lines(&plain(name), CREATE_BEFORE_DESTROY);
    ws.write(&cbd("bi-cbd-1"));
    ws.apply().await;

    // An instance can never be made beside the one it replaces when both would have the same name or protect the
    // same disk: -replace, a taint, a new name for the same disk.
    let mut current = "bi-cbd-1".to_owned();
    for (case, target) in [("-replace", "bi-cbd-1"), ("taint", "bi-cbd-1"), ("rename", "bi-cbd-2")] {
        let id = world::backup_instance_id(&current);
        let mut args = vec!["apply", "-auto-approve"];
        match case {
            "-replace" => args.extend(["-replace", ADDRESS]),
            "taint" => {
                ws.terraform_ok(&["taint", ADDRESS]).await;
            }
            _ => {}
        }
        ws.write(&cbd(target));
        if case != "-replace" {
            // Terraform shows the plan's warnings, except those of a replacement's second half (-replace).
            let plan = ws.terraform_ok(&["plan"]).await;
            let out = flat(&plan.output());
            assert!(out.contains("The replacement deletes the old backup instance first"), "{case}: {out}");
            assert!(out.contains("remove create_before_destroy"), "{case}: {out}");
        }
        ws.emulator.state().clear_journal();
        let run = ws.terraform(&args).await;
        assert_eq!(run.code, 1, "{case}: the apply cannot succeed:\n{}", run.output());
        let out = flat(&run.output());
        assert!(out.contains("Remove create_before_destroy"), "{case}: the error says how to proceed: {out}");
        assert_no_backtrace(&out);
        assert!(writes(&ws).is_empty(), "{case}: nothing was created or deleted: {:?}", writes(&ws));
        assert_eq!(ws.instance_ids(), vec![id.clone()], "{case}: the instance is untouched");
        assert_eq!(state_ids(&ws, ADDRESS), vec![id.clone()], "{case}: and still in state");

        // As the error says. Same name: the create failed, so Terraform made the old instance current again and
        // state equals Azure. New name: validateForBackup refused the create's final plan, which leaves the old
        // instance deposed; it is made current again by hand.
        match case {
            "-replace" => {
                assert_eq!(ws.plan_code().await.0, 0, "{case}: the old instance is current again");
                args.truncate(2);
                args.extend(["-replace", ADDRESS]);
            }
            "taint" => assert_eq!(ws.resource(ADDRESS).unwrap()["status"], "tainted", "{case}"),
            _ => {
                ws.terraform_ok(&["state", "rm", ADDRESS]).await;
                ws.terraform_ok(&["import", ADDRESS, &id]).await;
                args.truncate(2);
            }
        }
        ws.write(&plain(target));
        let run = ws.terraform_ok(&args).await;
        assert!(run.stdout.contains("1 added, 0 changed, 1 destroyed"), "{case}: {}", run.stdout);
        assert_eq!(ws.instance_ids(), vec![world::backup_instance_id(target)], "{case}");
        ws.write(&cbd(target));
        let (code, plan) = ws.plan_code().await;
        assert_eq!(code, 0, "{case}: state equals Azure:\n{}", plan.output());
        current = target.to_owned();
    }

    // create_before_destroy onto another disk works: both may exist for a moment.
    let other =
        with_lines(&instance_block("bi", "bi-cbd-3", world::DISK_APP_02, world::POLICY_DAILY), CREATE_BEFORE_DESTROY);
    ws.write(&other);
    ws.emulator.state().clear_journal();
    let run = ws.apply().await;
    assert!(run.stdout.contains("1 added, 0 changed, 1 destroyed"), "{}", run.stdout);
    let order = writes(&ws);
    let put = order.iter().position(|o| o == "BackupInstances_CreateOrUpdate").expect("a PUT");
    let delete = order.iter().position(|o| o == "BackupInstances_Delete").expect("a DELETE");
    assert!(put < delete, "created before the old one is deleted: {order:?}");
    assert_eq!(ws.instance_ids(), vec![world::backup_instance_id("bi-cbd-3")]);
    assert_eq!(ws.plan_code().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_kept_by_retain_data_on_destroy_is_imported_then_its_protection_resumes() {
    let ws = Workspace::start().await;
    let config = with_lines(
        &instance_block("bi", "bi-kept", world::DISK_APP_01, world::POLICY_DAILY),
        "  retain_data_on_destroy = true",
    );
    ws.write(&config);
    ws.apply().await;
    ws.terraform_ok(&["destroy", "-auto-approve"]).await;
    let id = world::backup_instance_id("bi-kept");
    assert_eq!(ws.instance_ids(), vec![id.clone()], "kept in Azure");

    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(out.contains("Backup instance already exists"), "{out}");
    assert!(out.contains("retain_data_on_destroy"), "the error says why it exists: {out}");
    assert!(out.contains(&format!("terraform import dataprotection_backup_instance.<name> '{id}'")), "{out}");
    assert!(writes(&ws).is_empty(), "nothing changed: {:?}", writes(&ws));
    assert!(ws.resource(ADDRESS).is_none(), "no tainted instance in state");

    ws.terraform_ok(&["import", ADDRESS, &id]).await;
    let (code, plan) = ws.plan_code().await;
    assert_eq!(code, 2, "{}", plan.output());
    assert!(
        flat(&plan.stdout).contains(r#"~ protection_state = "ProtectionStopped" -> "ProtectionConfigured""#),
        "{}",
        plan.stdout
    );
    ws.emulator.state().clear_journal();
    ws.apply().await;
    assert_eq!(writes(&ws), vec!["BackupInstances_ResumeProtection"], "resumed, not re-created");
    assert_eq!(ws.resource(ADDRESS).unwrap()["attributes"]["protection_state"], "ProtectionConfigured");
    assert_eq!(ws.plan_code().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protection_stopped_or_suspended_outside_terraform_is_drift_that_apply_resumes() {
    let ws = Workspace::start().await;
    let block = instance_block("bi", "bi-paused", world::DISK_APP_01, world::POLICY_DAILY);
    ws.write(&block);
    ws.apply().await;
    let id = world::backup_instance_id("bi-paused");

    for (action, state, resume) in [
        ("stopProtection", "ProtectionStopped", "BackupInstances_ResumeProtection"),
        ("suspendBackups", "BackupSchedulesSuspended", "BackupInstances_ResumeBackups"),
    ] {
        let (status, _) = ws.arm(Method::POST, &format!("{id}/{action}"), Some(serde_json::json!({}))).await;
        assert_eq!(status, 202, "{action}");
        wait_for_protection_state(&ws, &id, state).await;
        let (code, plan) = ws.plan_code().await;
        assert_eq!(code, 2, "{action}: drift\n{}", plan.output());
        assert!(
            flat(&plan.stdout).contains(&format!(r#"~ protection_state = "{state}" -> "ProtectionConfigured""#)),
            "{action}: {}",
            plan.stdout
        );
        ws.emulator.state().clear_journal();
        ws.apply().await;
        assert_eq!(writes(&ws), vec![resume], "{action}");
        assert_eq!(ws.plan_code().await.0, 0, "{action}");
    }

    // The opt-out: ignore_changes leaves the protection state to others.
    ws.write(&with_lines(&block, "  lifecycle {\n    ignore_changes = [protection_state]\n  }"));
    let (status, _) = ws.arm(Method::POST, &format!("{id}/stopProtection"), Some(serde_json::json!({}))).await;
    assert_eq!(status, 202);
    wait_for_protection_state(&ws, &id, "ProtectionStopped").await;
    let (code, plan) = ws.plan_code().await;
    assert_eq!(code, 0, "ignored:\n{}", plan.output());

    // And the configuration may ask for a state itself.
    ws.write(&with_lines(&block, "  protection_state = \"BackupSchedulesSuspended\""));
    ws.emulator.state().clear_journal();
    ws.apply().await;
    assert_eq!(writes(&ws), vec!["BackupInstances_ResumeProtection", "BackupInstances_SuspendBackups"]);
    assert_eq!(ws.resource(ADDRESS).unwrap()["attributes"]["protection_state"], "BackupSchedulesSuspended");
    assert_eq!(ws.plan_code().await.0, 0);
    ws.write(&with_lines(&block, "  protection_state = \"Paused\""));
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1);
    assert!(flat(&run.output()).contains("Unsupported protection state"), "{}", run.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_policy_after_state_rm_fails_at_plan_not_at_apply() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-forgotten", world::DISK_APP_01, world::POLICY_DAILY));
    ws.apply().await;
    ws.terraform_ok(&["state", "rm", ADDRESS]).await;
    ws.write(&instance_block("bi", "bi-forgotten", world::DISK_APP_01, world::POLICY_4H));
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(out.contains("Backup instance already exists"), "{out}");
    assert!(out.contains("terraform import"), "{out}");
    assert!(writes(&ws).is_empty());
    let inventory = ws.emulator.state().inventory();
    assert!(inventory.backup_instances[0].policy_id.ends_with(world::POLICY_DAILY), "the policy was not changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_timeout_fires_when_it_runs_out_and_names_itself() {
    let ws = Workspace::start().await;
    // The create runs for ten minutes and asks for a poll every 6 s: with a timeout of 10 s, the second poll would
    // come after it (a wait that gave up at the last poll ended at about 6 s).
    ws.emulator
        .state()
        .set_lro_timing(OperationKind::BackupInstanceCreateOrUpdate, LroTiming::with_delays(0, 600_000, 6, None));
    let block = instance_block("bi", "bi-slow", world::DISK_APP_01, world::POLICY_DAILY);
    ws.write(&with_lines(&block, "  timeouts {\n    create = \"10s\"\n  }"));
    let child = ws.command(&["apply", "-auto-approve", "-no-color"]).spawn().expect("terraform starts");
    let accepted = ws
        .wait_for_journal(Duration::from_secs(60), |j| {
            j.iter().any(|e| e.operation == "BackupInstances_CreateOrUpdate")
        })
        .await;
    let put_seen = std::time::Instant::now();
    assert!(accepted, "the PUT was sent: {:?}", ops(&ws));
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("terraform ends")
        .unwrap();
    let waited = put_seen.elapsed();
    let out =
        flat(&format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)));
    assert!(!output.status.success(), "{out}");
    assert!(out.contains("the create timeout (10s) ran out"), "the diagnostic names the timeout: {out}");
    // A deadline is a lower bound: the wait ends no earlier than the timeout after the create started. The PUT is
    // seen a little after that start (its existence check and the journal's polling), so 1 s is allowed for it,
    // whatever the machine's load; a wait that gave up at the last poll would end near 6 s.
    assert!(waited >= Duration::from_secs(9), "the timeout fired {waited:?} after the PUT, before its 10 s");
    let instance = ws.resource(ADDRESS).expect("accepted, so in state");
    assert_eq!(instance["status"], "tainted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_permission_names_the_principal_the_action_and_the_scope() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-denied", world::DISK_UNAUTHORIZED, world::POLICY_DAILY));
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(out.contains("UserErrorMissingRequiredPermissions"), "{out}");
    assert!(out.contains(&format!("The client '{}'", world::VAULT_PRINCIPAL_ID)), "the principal: {out}");
    assert!(out.contains("'Microsoft.Compute/disks/beginGetAccess/action'"), "the action: {out}");
    assert!(out.contains(&format!("over scope '{}'", world::disk_id(world::DISK_UNAUTHORIZED))), "the scope: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_policy_change_says_where_it_left_the_instance_and_the_next_apply_converges() {
    let ws = Workspace::start().await;
    ws.write(&instance_block("bi", "bi-failing-update", world::DISK_APP_01, world::POLICY_DAILY));
    ws.apply().await;
    ws.write(&instance_block("bi", "bi-failing-update", world::DISK_APP_01, world::POLICY_4H));

    // Azure refuses the PUT outright: the instance is as it was.
    ws.emulator
        .state()
        .add_fault(FaultRule {
            id: 0,
            method: Some("PUT".into()),
            path_contains: None,
            path_regex: None,
            operation: Some("BackupInstances_CreateOrUpdate".into()),
            skip: 0,
            count: Some(1),
            action: FaultAction::Status {
                status: 400,
                retry_after: None,
                code: Some("UserErrorRefusedForThisTest".into()),
                message: None,
            },
        })
        .expect("valid rule");
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = run.output().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(out.contains("UserErrorRefusedForThisTest"), "{out}");
    assert!(out.contains("Azure did not accept the change, so backup instance"), "{out}");
    assert!(out.contains("is as it was."), "{out}");
    let state = ws.resource(ADDRESS).unwrap();
    assert_eq!(state["attributes"]["backup_policy_id"], world::policy_id(world::POLICY_DAILY).as_str());
    assert_eq!(state["attributes"]["protection_state"], "ProtectionConfigured");

    // Azure accepts it and protection fails: the error says which state Azure left and how the next apply converges.
    ws.emulator.state().inject_outcome(
        OperationKind::BackupInstanceCreateOrUpdate,
        OutcomeRule {
            outcome: Outcome::Fail,
            count: Some(1),
            code: Some("UserErrorForThisTest".into()),
            message: None,
        },
    );
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    assert_no_backtrace(&run.output());
    let out = run.output().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(out.contains("UserErrorForThisTest"), "{out}");
    assert!(
        out.contains(
            "The backup instance is left in the state Azure reports, ConfiguringProtectionFailed: the next plan shows \
             protection_state changing back to ProtectionConfigured, and the next apply sends the instance again."
        ),
        "{out}"
    );
    let state = ws.resource(ADDRESS).unwrap();
    assert_eq!(state["attributes"]["protection_state"], "ConfiguringProtectionFailed");
    assert_eq!(state["attributes"]["backup_policy_id"], world::policy_id(world::POLICY_4H).as_str());

    // What it said: the plan shows the state changing back, and the apply sends the instance again.
    let plan = ws.terraform_ok(&["plan"]).await;
    assert!(plan.stdout.contains(r#""ConfiguringProtectionFailed" -> "ProtectionConfigured""#), "{}", plan.stdout);
    ws.emulator.state().clear_journal();
    let run = ws.apply().await;
    assert!(run.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", run.stdout);
    assert_eq!(ops(&ws).iter().filter(|o| *o == "BackupInstances_CreateOrUpdate").count(), 1, "{:?}", ops(&ws));
    assert_eq!(ws.resource(ADDRESS).unwrap()["attributes"]["protection_state"], "ProtectionConfigured");
    assert_eq!(ws.plan_code().await.0, 0);
}
