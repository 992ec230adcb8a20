//! Spellings real Azure answers with (each recorded; see docs/emulator.md, "Recorded spellings"): upper-case soft
//! delete states, the legacy `/resourcegroups/.../BackupVaults/` IDs of older vaults beside request-cased IDs of new
//! ones, and `/resourcegroups/` in `dataSourceInfo.resourceID`. With each turned on in the emulator, the provider
//! plans clean after apply and after import.

use crate::support;

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::settings::Spellings;
use reqwest::Method;
use support::terraform::{Workspace, instance_block};

/// A workspace whose emulator answers with `spellings`.
async fn workspace(spellings: Spellings) -> Workspace {
    let ws = Workspace::start().await;
    ws.emulator.state().update_settings(|settings| settings.spellings = spellings);
    ws
}

/// Plan with `-detailed-exitcode` must be 0 (nothing to do).
async fn assert_plan_is_empty(ws: &Workspace, when: &str) {
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "the plan {when} must be empty:\n{}", run.output());
}

/// Forgets `address` and imports it again by `id`; the plan stays empty.
async fn reimport(ws: &Workspace, address: &str, id: &str) {
    ws.terraform_ok(&["state", "rm", address]).await;
    ws.terraform_ok(&["import", address, id]).await;
    assert_plan_is_empty(ws, &format!("after importing {address}")).await;
}

fn vault_block(label: &str, name: &str, extra: &str) -> String {
    format!(
        r#"resource "dataprotection_backup_vault" "{label}" {{
  name              = "{name}"
  resource_group_id = "{group}"
  location          = "{location}"
  datastore_type    = "VaultStore"
  redundancy        = "LocallyRedundant"
{extra}
}}
"#,
        group = world::resource_group_id(world::BACKUP_RESOURCE_GROUP),
        location = world::LOCATION,
    )
}

fn vault_id(name: &str) -> String {
    world::vault_id().replace(world::VAULT_NAME, name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upper_case_soft_delete_states_plan_clean_after_apply_and_import() {
    let ws = workspace(Spellings { soft_delete_upper_case: true, ..Spellings::default() }).await;
    ws.write(&format!(
        "{}{}",
        vault_block("on", "vault-upper-on", "  soft_delete = \"On\"\n"),
        vault_block("off", "vault-upper-off", "  soft_delete = \"Off\"\n")
    ));
    ws.apply().await;
    // The emulator really answers in upper case.
    let (_, answer) = ws.arm(Method::GET, &vault_id("vault-upper-off"), None).await;
    assert_eq!(answer["properties"]["securitySettings"]["softDeleteSettings"]["state"], "OFF", "{answer}");
    let (_, answer) = ws.arm(Method::GET, &vault_id("vault-upper-on"), None).await;
    assert_eq!(answer["properties"]["securitySettings"]["softDeleteSettings"]["state"], "ON", "{answer}");
    assert_plan_is_empty(&ws, "after apply").await;
    reimport(&ws, "dataprotection_backup_vault.on", &vault_id("vault-upper-on")).await;
    reimport(&ws, "dataprotection_backup_vault.off", &vault_id("vault-upper-off")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_ids_of_older_vaults_mixed_with_new_ones_plan_clean_after_apply_and_import() {
    let ws = workspace(Spellings { legacy_ids_for_seeded_vaults: true, ..Spellings::default() }).await;
    // The default world's vault is the older one; the new one is created here. An instance refers to the older
    // vault through the vault resource's ID.
    let instance = instance_block("bi", "bi-legacy", world::DISK_APP_01, world::POLICY_DAILY)
        .replace(&format!("\"{}\"", world::vault_id()), "dataprotection_backup_vault.older.id");
    ws.write(&format!(
        "{}{}{instance}",
        vault_block("older", world::VAULT_NAME, "  soft_delete = \"Off\"\n"),
        vault_block("newer", "vault-newer", "")
    ));
    ws.terraform_ok(&["import", "dataprotection_backup_vault.older", &world::vault_id()]).await;
    ws.apply().await;
    // One list mixes both spellings, as recorded.
    let (_, list) = ws
        .arm(
            Method::GET,
            &format!(
                "{}/providers/Microsoft.DataProtection/backupVaults",
                world::resource_group_id(world::BACKUP_RESOURCE_GROUP)
            ),
            None,
        )
        .await;
    let ids: Vec<&str> = list["value"].as_array().unwrap().iter().filter_map(|vault| vault["id"].as_str()).collect();
    assert!(ids.iter().any(|id| id.contains("/resourcegroups/") && id.contains("/BackupVaults/vault-demo")), "{ids:?}");
    assert!(ids.contains(&vault_id("vault-newer").as_str()), "{ids:?}");
    assert_plan_is_empty(&ws, "after apply").await;
    reimport(&ws, "dataprotection_backup_vault.older", &world::vault_id()).await;
    reimport(&ws, "dataprotection_backup_vault.newer", &vault_id("vault-newer")).await;
    reimport(&ws, "dataprotection_backup_instance.bi", &world::backup_instance_id("bi-legacy")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lower_case_resource_groups_in_datasource_ids_plan_clean_after_apply_and_import() {
    let ws = workspace(Spellings { datasource_id_lower_case_resource_groups: true, ..Spellings::default() }).await;
    ws.write(&instance_block("bi", "bi-lower", world::DISK_APP_01, world::POLICY_DAILY));
    ws.apply().await;
    let id = world::backup_instance_id("bi-lower");
    let (_, answer) = ws.arm(Method::GET, &id, None).await;
    let resource_id = answer["properties"]["dataSourceInfo"]["resourceID"].as_str().unwrap_or_default().to_owned();
    assert!(resource_id.contains("/resourcegroups/"), "{answer}");
    assert_plan_is_empty(&ws, "after apply").await;
    reimport(&ws, "dataprotection_backup_instance.bi", &id).await;
}
