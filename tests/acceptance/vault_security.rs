//! Acceptance tests of the vault's identities and cross-region restore, the resource guard, its association with a
//! vault, and the vault's customer-managed key: the real terraform CLI, the real provider binary, the emulator over
//! HTTPS on loopback.

use crate::support;

use dataprotection_emulator::default_world as world;
use support::terraform::Workspace;

fn resource_group() -> String {
    world::resource_group_id(world::BACKUP_RESOURCE_GROUP)
}

fn vault_id(name: &str) -> String {
    format!("{}/providers/Microsoft.DataProtection/backupVaults/{name}", resource_group())
}

fn identity_id(name: &str) -> String {
    format!("{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}", resource_group())
}

/// The output with every run of whitespace made one space: terraform wraps long diagnostic lines.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A vault block named `label`; `extra` is added inside it.
fn vault_block(label: &str, name: &str, redundancy: &str, extra: &str) -> String {
    format!(
        r#"resource "dataprotection_backup_vault" "{label}" {{
  name              = "{name}"
  resource_group_id = "{group}"
  location          = "{location}"
  datastore_type    = "VaultStore"
  redundancy        = "{redundancy}"
{extra}
}}
"#,
        group = resource_group(),
        location = world::LOCATION,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_assigned_identities_and_cross_region_restore_apply_read_back_import_and_refuse_what_azure_refuses() {
    let ws = Workspace::start().await;
    let uai = identity_id("uai-backup");

    // Plan-time refusals, each on its attribute, before anything reaches Azure.
    ws.write(&vault_block(
        "bad",
        "vault-bad",
        "LocallyRedundant",
        &format!("  cross_region_restore_enabled = true\n  identity_ids = [\"{uai}\"]\n"),
    ));
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let text = flat(&run.output());
    assert!(text.contains("Cross-region restore needs geo-redundant storage"), "{text}");
    assert!(text.contains("cross_region_restore_enabled = true needs redundancy = \"GeoRedundant\""), "{text}");
    assert!(text.contains("identity_ids needs a user-assigned identity type"), "{text}");
    assert!(text.contains("on main.tf line"), "the diagnostics point at the configuration: {text}");
    ws.write(&vault_block("bad", "vault-bad", "GeoRedundant", "  identity_type = \"UserAssigned\"\n"));
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(flat(&run.output()).contains("Missing user-assigned identities"), "{}", run.output());

    // Both identities and cross-region restore on a geo-redundant vault.
    let config = vault_block(
        "vault",
        "vault-crr",
        "GeoRedundant",
        &format!(
            "  cross_region_restore_enabled = true\n  identity_type = \"SystemAssigned, UserAssigned\"\n  identity_ids = [\"{uai}\"]\n"
        ),
    );
    ws.write(&config);
    let run = ws.apply().await;
    assert!(flat(&run.output()).contains("cross_region_restore_enabled = true cannot be undone"), "{}", run.output());
    let state = ws.resource("dataprotection_backup_vault.vault").expect("vault in state");
    let attributes = &state["attributes"];
    assert_eq!(attributes["cross_region_restore_enabled"], true);
    assert_eq!(attributes["identity_type"], "SystemAssigned, UserAssigned");
    assert_eq!(attributes["identity_ids"], serde_json::json!([uai]));
    assert!(attributes["identity_principal_id"].is_string(), "{attributes}");
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after create must be empty:\n{}", run.output());

    ws.terraform_ok(&["state", "rm", "dataprotection_backup_vault.vault"]).await;
    ws.terraform_ok(&["import", "dataprotection_backup_vault.vault", &vault_id("vault-crr")]).await;
    let imported = ws.resource("dataprotection_backup_vault.vault").expect("imported");
    assert_eq!(imported["attributes"]["identity_ids"], serde_json::json!([uai]));
    assert_eq!(imported["attributes"]["cross_region_restore_enabled"], true);
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after import must be empty:\n{}", run.output());

    // Turning cross-region restore off is a new vault, and the plan says why; the user-assigned identity alone
    // is a PATCH of the identity.
    ws.write(&config.replace("cross_region_restore_enabled = true", "cross_region_restore_enabled = false"));
    let run = ws.terraform_ok(&["plan"]).await;
    let text = flat(&run.output());
    assert!(text.contains("# dataprotection_backup_vault.vault must be replaced"), "{text}");
    assert!(text.contains("cross_region_restore_enabled cannot go from"), "{text}");
    ws.write(&config.replace("SystemAssigned, UserAssigned", "UserAssigned"));
    let run = ws.apply().await;
    assert!(run.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", run.stdout);
    let state = ws.resource("dataprotection_backup_vault.vault").unwrap();
    assert!(state["attributes"]["identity_principal_id"].is_null(), "{state}");
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after the identity change must be empty:\n{}", run.output());

    let run = ws.terraform_ok(&["destroy", "-auto-approve"]).await;
    assert!(run.stdout.contains("1 destroyed"), "{}", run.stdout);
}
