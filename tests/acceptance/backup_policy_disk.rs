//! Acceptance tests of `dataprotection_backup_policy_disk`: the real terraform CLI, the real provider binary, the
//! emulator over HTTPS on loopback. The replacement tests show the path the docs recommend for a changed policy
//! that backup instances use: create_before_destroy with a name that follows the settings.

use crate::support;

use std::time::{Duration, Instant};

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{FaultAction, FaultRule};
use reqwest::Method;
use support::terraform::Workspace;

const ADDRESS: &str = "dataprotection_backup_policy_disk.policy";

/// A policy block in the default world's vault. `retention` is the default retention; the name follows it when
/// `name` is `None`.
fn policy_block(name: Option<&str>, retention: &str, create_before_destroy: bool) -> String {
    let name = name.map_or_else(|| format!("disk-4h-{}", retention.to_lowercase()), str::to_owned);
    let lifecycle = if create_before_destroy { "\n  lifecycle {\n    create_before_destroy = true\n  }\n" } else { "" };
    format!(
        r#"resource "dataprotection_backup_policy_disk" "policy" {{
  name                            = "{name}"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/PT4H"]
  default_retention_duration      = "{retention}"
  time_zone                       = "W. Europe Standard Time"

  retention_rule {{
    name              = "Daily"
    duration          = "P14D"
    priority          = 25
    absolute_criteria = "FirstOfDay"
  }}
{lifecycle}}}
"#,
        vault = world::vault_id(),
    )
}

/// A backup instance of disk-app-01 that uses the policy above.
fn instance_block() -> String {
    format!(
        r#"resource "dataprotection_backup_instance" "bi" {{
  name                       = "bi-policy-user"
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  location                   = "{location}"
  backup_policy_id           = dataprotection_backup_policy_disk.policy.id
  snapshot_resource_group_id = "{snapshots}"
}}
"#,
        vault = world::vault_id(),
        disk = world::disk_id(world::DISK_APP_01),
        location = world::LOCATION,
        snapshots = world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP),
    )
}

/// `(operation, method, path)` of the ARM requests in the journal.
fn arm_requests(ws: &Workspace) -> Vec<(String, String, String)> {
    ws.journal()
        .into_iter()
        .filter(|e| e.operation != "Token" && e.operation != "Metadata_Endpoints")
        .map(|e| (e.operation, e.method, e.path))
        .collect()
}

fn position(requests: &[(String, String, String)], operation: &str, path_end: &str) -> usize {
    requests
        .iter()
        .position(|(o, _, p)| o == operation && p.to_lowercase().ends_with(&path_end.to_lowercase()))
        .unwrap_or_else(|| panic!("no {operation} on …{path_end} in {requests:#?}"))
}

/// The output with every run of whitespace made one space: terraform wraps long diagnostic lines.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_no_backtrace(text: &str) {
    assert!(!text.contains("stack backtrace") && !text.contains("rust_begin_unwind"), "backtrace in output:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_create_then_plan_is_empty_then_import_matches() {
    let ws = Workspace::start().await;
    ws.write(&policy_block(None, "P7D", false));
    let run = ws.apply().await;
    assert!(run.stdout.contains("1 added, 0 changed, 0 destroyed"), "{}", run.stdout);
    let id = world::policy_id("disk-4h-p7d");
    let policy = ws.resource(ADDRESS).expect("policy in state");
    assert_eq!(policy["attributes"]["id"], id.as_str());

    // What Azure holds is the disk policy shape.
    let (status, body) = ws.arm(Method::GET, &id, None).await;
    assert_eq!(status, 200);
    let p = &body["properties"];
    assert_eq!(p["datasourceTypes"][0], "Microsoft.Compute/disks");
    let trigger = &p["policyRules"][0]["trigger"];
    assert_eq!(trigger["schedule"]["repeatingTimeIntervals"][0], "R/2024-01-01T02:00:00+00:00/PT4H");
    assert_eq!(trigger["schedule"]["timeZone"], "W. Europe Standard Time");
    assert_eq!(trigger["taggingCriteria"][1]["tagInfo"]["tagName"], "Daily");
    assert_eq!(p["policyRules"][1]["lifecycles"][0]["deleteAfter"]["duration"], "P7D");

    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "second plan must be empty:\n{}", run.output());

    ws.terraform_ok(&["state", "rm", ADDRESS]).await;
    ws.terraform_ok(&["import", ADDRESS, &id]).await;
    let imported = ws.resource(ADDRESS).expect("imported");
    assert_eq!(imported["attributes"]["retention_rule"][0]["absolute_criteria"], "FirstOfDay");
    assert_eq!(imported["attributes"]["retention_rule"][0]["priority"], 25);
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after import must be empty:\n{}", run.output());

    ws.terraform_ok(&["destroy", "-auto-approve"]).await;
    let (status, _) = ws.arm(Method::GET, &id, None).await;
    assert_eq!(status, 404, "destroy deletes the policy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_that_already_exists_must_be_imported() {
    let ws = Workspace::start().await;
    ws.write(&policy_block(Some(world::POLICY_DAILY), "P7D", false));
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(out.contains("Backup policy already exists"), "{out}");
    assert!(out.contains("terraform import dataprotection_backup_policy_disk."), "{out}");
    assert!(out.contains("create_before_destroy"), "{out}");
    assert!(!ws.journal().iter().any(|e| e.operation == "BackupPolicies_CreateOrUpdate"), "nothing overwritten");
}

/// A policy with no retention rule and no time zone: only the required arguments.
fn minimal_policy_block(name: &str, retention: &str) -> String {
    format!(
        r#"resource "dataprotection_backup_policy_disk" "policy" {{
  name                            = "{name}"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/P1D"]
  default_retention_duration      = "{retention}"
}}
"#,
        vault = world::vault_id(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_change_replaces_an_unused_policy() {
    let ws = Workspace::start().await;
    ws.write(&minimal_policy_block("disk-unused", "P7D"));
    ws.apply().await;
    assert_eq!(ws.plan_code().await.0, 0);
    // Without retention rules or time zone, an import still plans clean.
    ws.terraform_ok(&["state", "rm", ADDRESS]).await;
    ws.terraform_ok(&["import", ADDRESS, &world::policy_id("disk-unused")]).await;
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after import must be empty:\n{}", run.output());

    ws.write(&minimal_policy_block("disk-unused", "P14D"));
    let plan = ws.terraform_ok(&["plan"]).await;
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.stdout);
    assert!(!plan.output().contains("is in use"), "no instance uses it: {}", plan.output());
    let run = ws.apply().await;
    assert!(run.stdout.contains("1 added, 0 changed, 1 destroyed"), "{}", run.stdout);
    let (_, body) = ws.arm(Method::GET, &world::policy_id("disk-unused"), None).await;
    assert_eq!(body["properties"]["policyRules"][1]["lifecycles"][0]["deleteAfter"]["duration"], "P14D");
    assert!(body["properties"]["policyRules"][0]["trigger"]["schedule"].get("timeZone").is_none(), "{body}");
    assert_eq!(ws.plan_code().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_policy_in_use_is_created_then_the_instance_moves_then_the_old_one_goes() {
    let ws = Workspace::start().await;
    ws.write(&format!("{}\n{}", policy_block(None, "P7D", true), instance_block()));
    ws.apply().await;
    let instance_id = world::backup_instance_id("bi-policy-user");
    let old_policy = world::policy_id("disk-4h-p7d");
    let new_policy = world::policy_id("disk-4h-p14d");

    ws.write(&format!("{}\n{}", policy_block(None, "P14D", true), instance_block()));
    let plan = ws.terraform_ok(&["plan"]).await;
    assert!(plan.stdout.contains("create replacement and then destroy"), "{}", plan.stdout);
    assert!(plan.stdout.contains("1 to add, 1 to change, 1 to destroy"), "{}", plan.stdout);
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 0, "the replacement path runs without error:\n{}", run.output());
    assert!(!run.output().contains("UserErrorDppPolicyObjectInUse"), "{}", run.output());
    assert!(run.stdout.contains("1 added, 1 changed, 1 destroyed"), "{}", run.stdout);

    // The order, as the emulator saw it: new policy, instance moved (in place), old policy deleted.
    let requests = arm_requests(&ws);
    let created = position(&requests, "BackupPolicies_CreateOrUpdate", "/backupPolicies/disk-4h-p14d");
    let moved = position(&requests, "BackupInstances_CreateOrUpdate", "/backupInstances/bi-policy-user");
    let deleted = position(&requests, "BackupPolicies_Delete", "/backupPolicies/disk-4h-p7d");
    assert!(created < moved && moved < deleted, "create {created}, move {moved}, delete {deleted}: {requests:#?}");
    let delete_status = ws.journal().into_iter().find(|e| e.operation == "BackupPolicies_Delete").unwrap().status;
    assert_eq!(delete_status, 200, "the old policy was deleted on the first try");
    assert!(!requests.iter().any(|(o, _, _)| o == "BackupInstances_Delete"), "the instance is kept: {requests:#?}");

    let inventory = ws.emulator.state().inventory();
    let instance = inventory.backup_instances.iter().find(|b| b.id == instance_id).expect("instance kept");
    assert!(instance.policy_id.eq_ignore_ascii_case(&new_policy), "{instance:?}");
    assert_eq!(instance.protection_state, "ProtectionConfigured");
    let (status, _) = ws.arm(Method::GET, &old_policy, None).await;
    assert_eq!(status, 404, "the old policy is gone");
    let state = ws.resource("dataprotection_backup_instance.bi").unwrap();
    assert_eq!(state["attributes"]["backup_policy_id"], new_policy.as_str());
    assert_eq!(ws.plan_code().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_create_before_destroy_the_instance_that_stays_is_named_with_the_way_out() {
    let ws = Workspace::start().await;
    ws.write(&format!("{}\n{}", policy_block(None, "P7D", false), instance_block()));
    ws.apply().await;
    ws.write(&format!("{}\n{}", policy_block(None, "P14D", false), instance_block()));
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(out.contains("UserErrorDppPolicyObjectInUse"), "Azure's code: {out}");
    assert!(out.contains("Backup policy disk-4h-p7d is still used by backup instances"), "{out}");
    assert!(out.contains(&world::backup_instance_id("bi-policy-user")), "names the instance: {out}");
    assert!(out.contains("create_before_destroy = true"), "the way out: {out}");
    assert_no_backtrace(&out);
    let (status, _) = ws.arm(Method::GET, &world::policy_id("disk-4h-p7d"), None).await;
    assert_eq!(status, 200, "the policy in use is still there");
    assert!(ws.resource(ADDRESS).is_some(), "and still in state");
}

/// A policy block labelled `label`, named `name`.
fn labelled_policy(label: &str, name: &str) -> String {
    policy_block(Some(name), "P7D", false).replacen("\"policy\" {", &format!("\"{label}\" {{"), 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_moves_to_another_policy_and_the_old_one_is_removed_in_one_apply() {
    let ws = Workspace::start().await;
    // The instance names its policy by ID, not by reference: Terraform then orders nothing between the instance's
    // update and the old policy's destroy, and runs them side by side.
    let instance_on = |name: &str| {
        instance_block()
            .replace("dataprotection_backup_policy_disk.policy.id", &format!("\"{}\"", world::policy_id(name)))
    };
    let policy_a = labelled_policy("a", "disk-retire-a");
    let policy_b = labelled_policy("b", "disk-retire-b");
    ws.write(&format!("{policy_a}\n{policy_b}"));
    ws.apply().await;
    ws.write(&format!("{policy_a}\n{policy_b}\n{}", instance_on("disk-retire-a")));
    ws.apply().await;

    // The move's PUT is slow, so the old policy's delete starts while the instance still uses it.
    let slow_put = FaultRule {
        id: 0,
        method: Some("PUT".to_owned()),
        path_contains: None,
        path_regex: None,
        operation: Some("BackupInstances_CreateOrUpdate".to_owned()),
        skip: 0,
        count: Some(1),
        action: FaultAction::Latency { ms: 1500 },
    };
    ws.emulator.state().add_fault(slow_put).expect("fault rule");
    ws.write(&format!("{policy_b}\n{}", instance_on("disk-retire-b")));
    ws.emulator.state().clear_journal();
    let mut apply = ws.command(&["apply", "-auto-approve", "-no-color"]);
    apply.env("TF_LOG_PROVIDER", "INFO");
    let output = apply.output().await.expect("terraform runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "one apply retires the policy:\n{stdout}\n{stderr}");
    assert!(stdout.contains("0 added, 1 changed, 1 destroyed"), "{stdout}");

    let requests = arm_requests(&ws);
    let moved = position(&requests, "BackupInstances_CreateOrUpdate", "/backupInstances/bi-policy-user");
    let deleted = position(&requests, "BackupPolicies_Delete", "/backupPolicies/disk-retire-a");
    assert!(moved < deleted, "the instance moved first: move {moved}, delete {deleted}: {requests:#?}");
    let deletes: Vec<u16> =
        ws.journal().into_iter().filter(|e| e.operation == "BackupPolicies_Delete").map(|e| e.status).collect();
    assert_eq!(deletes, vec![200], "one delete, once nothing used the policy");
    assert!(
        stderr.contains("waiting for the backup instances that use the backup policy")
            && stderr.contains("bi-policy-user"),
        "the wait is logged with the instance:\n{stderr}"
    );
    let (status, _) = ws.arm(Method::GET, &world::policy_id("disk-retire-a"), None).await;
    assert_eq!(status, 404, "the old policy is gone");
    let state = ws.resource("dataprotection_backup_instance.bi").unwrap();
    assert_eq!(state["attributes"]["backup_policy_id"], world::policy_id("disk-retire-b").as_str());
    assert_eq!(ws.plan_code().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referenced_policy_with_create_before_destroy_is_removed_after_its_instance_moves() {
    let ws = Workspace::start().await;
    let policy_a = policy_block(Some("disk-retire-a"), "P7D", true).replacen("\"policy\" {", "\"a\" {", 1);
    let policy_b = labelled_policy("b", "disk-retire-b");
    let instance_on = |label: &str| instance_block().replace(".policy.id", &format!(".{label}.id"));
    ws.write(&format!("{policy_a}\n{policy_b}\n{}", instance_on("a")));
    ws.apply().await;
    ws.write(&format!("{policy_b}\n{}", instance_on("b")));
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    let requests = arm_requests(&ws);
    let moved = position(&requests, "BackupInstances_CreateOrUpdate", "/backupInstances/bi-policy-user");
    let deleted = position(&requests, "BackupPolicies_Delete", "/backupPolicies/disk-retire-a");
    assert!(moved < deleted, "Terraform updates the instance first: {requests:#?}");
    assert_eq!(ws.plan_code().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_stays_on_a_removed_policy_fails_the_delete_by_name_soon() {
    let ws = Workspace::start().await;
    ws.write(&labelled_policy("a", "disk-retire-a"));
    ws.apply().await;
    ws.create_out_of_band("bi-outside", world::DISK_APP_02, "disk-retire-a").await;

    ws.write("");
    ws.emulator.state().clear_journal();
    let started = Instant::now();
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    let took = started.elapsed();
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(out.contains("Backup policy disk-retire-a is still used by backup instances"), "{out}");
    assert!(out.contains(&world::backup_instance_id("bi-outside")), "names the instance: {out}");
    assert!(out.contains("Move each of them to another backup policy in this configuration"), "the way out: {out}");
    assert_no_backtrace(&out);
    assert!(took < Duration::from_secs(120), "after the settle window, not the delete timeout: {took:?}");
    assert!(
        !arm_requests(&ws).iter().any(|(o, _, _)| o == "BackupPolicies_Delete"),
        "no delete is sent while an instance stays"
    );
    let (status, _) = ws.arm(Method::GET, &world::policy_id("disk-retire-a"), None).await;
    assert_eq!(status, 200, "the policy is still there");
    assert!(ws.resource("dataprotection_backup_policy_disk.a").is_some(), "and still in state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_a_policy_in_use_under_the_same_name_is_flagged_at_plan() {
    let ws = Workspace::start().await;
    ws.write(&format!("{}\n{}", policy_block(Some("disk-fixed-name"), "P7D", true), instance_block()));
    ws.apply().await;
    ws.write(&format!("{}\n{}", policy_block(Some("disk-fixed-name"), "P14D", true), instance_block()));
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 0, "a warning, not an error: {}", run.output());
    let out = flat(&run.output());
    assert!(
        out.contains("Warning: Backup policy disk-fixed-name is in use and its replacement keeps its name"),
        "{out}"
    );
    assert!(out.contains("bi-policy-user"), "names the instance: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedules_durations_and_time_zones_are_validated_offline() {
    let ws = Workspace::start().await;
    let body = policy_block(Some("disk-bad"), "P7D", false)
        .replace("PT4H\"]", "PT5H\"]")
        .replace("\"P7D\"", "\"7 days\"")
        .replace("W. Europe Standard Time", "Europe/Berlin")
        .replace("FirstOfDay", "EveryDay");
    ws.write(&body);
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["validate"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    for text in [
        "Invalid backup schedule",
        "managed disks can be backed up only every PT4H, PT6H, PT8H, PT12H, P1D",
        "Invalid retention duration",
        "Invalid time zone",
        "Invalid absolute criteria",
    ] {
        assert!(out.contains(text), "{text}: {out}");
    }
    assert_no_backtrace(&out);
    assert!(arm_requests(&ws).is_empty(), "validate is offline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_azure_still_refuses_as_in_use_is_tried_again() {
    let ws = Workspace::start().await;
    ws.write(&labelled_policy("a", "disk-retire-a"));
    ws.apply().await;
    // No instance is listed on the policy, but Azure's first answer still counts it in use (a move it has not
    // caught up with).
    let in_use = FaultRule {
        id: 0,
        method: Some("DELETE".to_owned()),
        path_contains: None,
        path_regex: None,
        operation: Some("BackupPolicies_Delete".to_owned()),
        skip: 0,
        count: Some(1),
        action: FaultAction::Status {
            status: 400,
            retry_after: None,
            code: Some("UserErrorDppPolicyObjectInUse".to_owned()),
            message: Some(
                "Cannot delete the backup policy as one or more backup instances have been configured for \
                           protection with this policy."
                    .to_owned(),
            ),
        },
    };
    ws.emulator.state().add_fault(in_use).expect("fault rule");
    ws.write("");
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    let deletes: Vec<u16> =
        ws.journal().into_iter().filter(|e| e.operation == "BackupPolicies_Delete").map(|e| e.status).collect();
    assert_eq!(deletes, vec![400, 200], "tried again after Azure's in-use answer");
    let (status, _) = ws.arm(Method::GET, &world::policy_id("disk-retire-a"), None).await;
    assert_eq!(status, 404);
}
