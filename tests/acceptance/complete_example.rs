//! `examples/complete/` against the emulator, exactly as a user runs it: the example's own files, the provider
//! configured from ARM_* variables, the real terraform CLI. It must be formatted and valid, apply, plan clean,
//! survive a change of its policy (the create_before_destroy path), and destroy.

use crate::support;

use std::path::{Path, PathBuf};

use dataprotection_emulator::default_world as world;
use reqwest::Method;
use support::terraform::{Run, Workspace};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Copies the example's `.tf` files into the workspace (no provider block is added: the example has its own).
fn use_complete_example(ws: &Workspace) {
    use_example(ws, "complete");
}

/// Copies the `.tf` files of `examples/{name}` into the workspace.
pub(crate) fn use_example(ws: &Workspace, name: &str) {
    let source = examples().join(name);
    let mut copied = 0;
    for entry in std::fs::read_dir(&source).expect("examples/complete") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            std::fs::copy(&path, ws.work_dir().join(path.file_name().unwrap())).expect("copy");
            copied += 1;
        }
    }
    assert!(copied > 0, "examples/{name} has .tf files");
}

/// Runs terraform with the provider signed in to the emulator through ARM_* variables, as the README says.
pub(crate) async fn terraform(ws: &Workspace, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.push("-no-color");
    let output = ws
        .command(&all)
        .env("ARM_METADATA_HOSTNAME", ws.emulator.metadata_host())
        .env("ARM_TENANT_ID", world::TENANT_ID)
        .env("ARM_SUBSCRIPTION_ID", world::SUBSCRIPTION_ID)
        .env("ARM_CLIENT_ID", world::CLIENT_ID)
        .env("ARM_CLIENT_SECRET", world::CLIENT_SECRET)
        .output()
        .await
        .unwrap_or_else(|e| panic!("terraform could not be started (it must be on PATH): {e}"));
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub(crate) async fn terraform_ok(ws: &Workspace, args: &[&str]) -> Run {
    let run = terraform(ws, args).await;
    assert_eq!(run.code, 0, "terraform {args:?} failed:\n{}", run.output());
    run
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn vault_id() -> String {
    format!(
        "{}/providers/Microsoft.DataProtection/backupVaults/vault-complete",
        world::resource_group_id(world::BACKUP_RESOURCE_GROUP)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_is_formatted_and_the_complete_one_is_valid() {
    let ws = Workspace::start().await;
    let examples = examples();
    let run = terraform(&ws, &["fmt", "-check", "-recursive", "-diff", examples.to_str().unwrap()]).await;
    assert_eq!(run.code, 0, "terraform fmt -check found unformatted examples:\n{}", run.output());

    use_complete_example(&ws);
    let run = terraform_ok(&ws, &["validate"]).await;
    assert!(run.stdout.contains("The configuration is valid"), "{}", run.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_complete_example_applies_plans_clean_replaces_its_policy_and_destroys() {
    let ws = Workspace::start().await;
    use_complete_example(&ws);

    let run = terraform_ok(&ws, &["apply", "-auto-approve"]).await;
    assert!(run.stdout.contains("3 added, 0 changed, 0 destroyed"), "{}", run.stdout);
    assert!(run.stdout.contains("protection_state = \"ProtectionConfigured\""), "{}", run.stdout);
    let instance_id = format!("{}/backupInstances/disk-app-01-backup", vault_id());
    let inventory = ws.emulator.state().inventory();
    let vault = inventory.vaults.iter().find(|v| v.id == vault_id()).expect("the vault exists");
    assert_eq!(vault.policies, vec![format!("{}/backupPolicies/disk-4h-p7d", vault_id())]);
    let instance = inventory.backup_instances.iter().find(|b| b.id == instance_id).expect("the instance exists");
    assert_eq!(instance.datasource_id, world::disk_id(world::DISK_APP_01));
    assert_eq!(instance.protection_state, "ProtectionConfigured");

    let run = terraform(&ws, &["plan", "-detailed-exitcode"]).await;
    assert_eq!(run.code, 0, "the second plan is empty:\n{}", run.output());

    // A new retention: the policy is replaced, the instance moves to it first.
    ws.emulator.state().clear_journal();
    let run = terraform_ok(&ws, &["apply", "-auto-approve", "-var", "retention=P14D"]).await;
    assert!(run.stdout.contains("1 added, 1 changed, 1 destroyed"), "{}", run.stdout);
    let ops: Vec<String> = ws.journal().into_iter().map(|e| e.operation).collect();
    let created = ops.iter().position(|o| o == "BackupPolicies_CreateOrUpdate").expect("new policy");
    let moved = ops.iter().position(|o| o == "BackupInstances_CreateOrUpdate").expect("instance update");
    let deleted = ops.iter().position(|o| o == "BackupPolicies_Delete").expect("old policy deleted");
    assert!(created < moved && moved < deleted, "{ops:?}");
    let (_, body) = ws.arm(Method::GET, &instance_id, None).await;
    assert_eq!(body["properties"]["policyInfo"]["policyId"], format!("{}/backupPolicies/disk-4h-p14d", vault_id()));
    let run = terraform(&ws, &["plan", "-detailed-exitcode", "-var", "retention=P14D"]).await;
    assert_eq!(run.code, 0, "the plan after the change is empty:\n{}", run.output());

    let run = terraform_ok(&ws, &["destroy", "-auto-approve", "-var", "retention=P14D"]).await;
    assert!(run.stdout.contains("3 destroyed"), "{}", run.stdout);
    let inventory = ws.emulator.state().inventory();
    assert!(!inventory.vaults.iter().any(|v| v.id == vault_id()), "the vault is gone");
    assert!(inventory.backup_instances.is_empty(), "{:?}", inventory.backup_instances);
    assert!(inventory.vaults.iter().any(|v| v.id == world::vault_id()), "the default world's vault is untouched");
    assert!(inventory.disks.iter().all(|d| d.protected_by.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_roles_for_the_new_vault_the_instance_fails_in_azures_words() {
    let ws = Workspace::start().await;
    // Azure does not grant a new vault's identity anything: this is what a missing role assignment looks like.
    ws.emulator.state().set_auto_grant_vault_roles(false);
    use_complete_example(&ws);
    let run = terraform(&ws, &["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(out.contains("UserErrorMissingRequiredPermissions"), "{out}");
    assert!(out.contains("Recommended action:"), "{out}");
    assert!(out.contains("Disk Backup Reader"), "the permissions hint: {out}");
    assert!(!out.contains("stack backtrace"), "{out}");
    let ops: Vec<String> = ws.journal().into_iter().map(|e| e.operation).collect();
    assert!(!ops.iter().any(|o| o == "BackupInstances_CreateOrUpdate"), "no instance was sent: {ops:?}");
    assert!(ws.emulator.state().inventory().backup_instances.is_empty());

    // The vault and policy were created; a plain destroy removes them (the provider does not validate the
    // never-created instance during terraform's pre-destroy plan).
    terraform_ok(&ws, &["destroy", "-auto-approve"]).await;
    assert!(!ws.emulator.state().inventory().vaults.iter().any(|v| v.id == vault_id()));
}
