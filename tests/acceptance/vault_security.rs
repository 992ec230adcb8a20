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

fn guard_block(exclusions: &str) -> String {
    format!(
        r#"resource "dataprotection_resource_guard" "guard" {{
  name              = "guard-mua"
  resource_group_id = "{group}"
  location          = "{location}"
{exclusions}
  tags = {{ owner = "security" }}
}}

resource "dataprotection_backup_vault_resource_guard_association" "mua" {{
  vault_id          = dataprotection_backup_vault.vault.id
  resource_guard_id = dataprotection_resource_guard.guard.id
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_guard_protects_its_vault_until_an_unlocked_delete_removes_the_association() {
    let ws = Workspace::start().await;
    let vault = vault_block("vault", "vault-mua", "LocallyRedundant", "");
    let guard_id = format!("{}/providers/Microsoft.DataProtection/resourceGuards/guard-mua", resource_group());
    let proxy_id = format!("{}/backupResourceGuardProxies/DppResourceGuardProxy", vault_id("vault-mua"));

    // Plan-time refusals: an operation name that is not Azure's (with the right spelling offered), a bad ID.
    let bad = guard_block(
        "  vault_critical_operation_exclusion_list = [\"microsoft.dataprotection/backupvaults/backupinstances/delete\"]\n",
    )
    .replace("dataprotection_backup_vault.vault.id", "\"/subscriptions/x/resourceGroups\"")
    // Terraform does not validate what depends on an object that failed validation.
    .replace("dataprotection_resource_guard.guard.id", &format!("\"{guard_id}\""));
    ws.write(&format!("{vault}{bad}"));
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let text = flat(&run.output());
    assert!(text.contains("Unknown critical operation"), "{text}");
    assert!(text.contains("Did you mean \"Microsoft.DataProtection/backupVaults/backupInstances/delete\"?"), "{text}");
    assert!(text.contains("Invalid backup vault ID"), "{text}");

    let excluded = "  vault_critical_operation_exclusion_list = [\"Microsoft.DataProtection/backupVaults/backupInstances/delete\"]\n";
    ws.write(&format!("{vault}{}", guard_block(excluded)));
    ws.emulator.state().clear_journal();
    let run = ws.apply().await;
    assert!(run.stdout.contains("3 added, 0 changed, 0 destroyed"), "{}", run.stdout);
    let ops = arm_ops(&ws);
    assert!(ops.iter().any(|o| o == "ResourceGuards_Put"), "{ops:?}");
    assert!(ops.iter().any(|o| o == "DppResourceGuardProxy_CreateOrUpdate"), "{ops:?}");
    let guard = ws.resource("dataprotection_resource_guard.guard").expect("guard in state");
    assert_eq!(guard["attributes"]["id"], guard_id.as_str());
    assert_eq!(
        guard["attributes"]["vault_critical_operation_exclusion_list"],
        serde_json::json!(["Microsoft.DataProtection/backupVaults/backupInstances/delete"])
    );
    let association = ws.resource("dataprotection_backup_vault_resource_guard_association.mua").expect("association");
    assert_eq!(association["attributes"]["id"], proxy_id.as_str());
    let (status, body) = ws.arm(reqwest::Method::GET, &vault_id("vault-mua"), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["properties"]["isVaultProtectedByResourceGuard"], true, "{body}");
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after create must be empty:\n{}", run.output());

    // Import both.
    for (address, id) in [
        ("dataprotection_resource_guard.guard", guard_id.as_str()),
        ("dataprotection_backup_vault_resource_guard_association.mua", proxy_id.as_str()),
    ] {
        ws.terraform_ok(&["state", "rm", address]).await;
        ws.terraform_ok(&["import", address, id]).await;
    }
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after import must be empty:\n{}", run.output());

    // Azure refuses to remove the association without an unlock: the protection is real.
    let (status, body) = ws.arm(reqwest::Method::DELETE, &proxy_id, None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "UserErrorMUAOperationNotUnlocked", "{body}");

    // The exclusion list changes in place.
    ws.write(&format!("{vault}{}", guard_block("")));
    let run = ws.apply().await;
    assert!(run.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", run.stdout);
    let guard = ws.resource("dataprotection_resource_guard.guard").unwrap();
    assert!(guard["attributes"]["vault_critical_operation_exclusion_list"].is_null(), "{guard}");
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after the update must be empty:\n{}", run.output());

    // Destroy unlocks the association's delete first, then deletes it, then the guard and the vault.
    ws.emulator.state().clear_journal();
    let run = ws.terraform_ok(&["destroy", "-auto-approve"]).await;
    assert!(run.stdout.contains("3 destroyed"), "{}", run.stdout);
    let ops = arm_ops(&ws);
    let unlock = ops.iter().position(|o| o == "DppResourceGuardProxy_UnlockDelete").expect("an unlock");
    let delete = ops.iter().position(|o| o == "DppResourceGuardProxy_Delete").expect("a delete");
    let guard_delete = ops.iter().position(|o| o == "ResourceGuards_Delete").expect("the guard's delete");
    assert!(unlock < delete && delete < guard_delete, "{ops:?}");
}

fn cmk_block(key: &str, identity: &str) -> String {
    format!(
        r#"resource "dataprotection_backup_vault_customer_managed_key" "cmk" {{
  vault_id                  = dataprotection_backup_vault.vault.id
  key_vault_key_id          = "{key}"
  user_assigned_identity_id = {identity}
}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_managed_key_is_patched_alone_left_alone_by_the_vault_and_stays_after_destroy() {
    let ws = Workspace::start().await;
    let uai = identity_id("uai-cmk");
    let key = "https://kv-backup.vault.azure.net/keys/backup-key";
    let vault = |tags: &str| {
        vault_block(
            "vault",
            "vault-cmk",
            "LocallyRedundant",
            &format!("  identity_type = \"SystemAssigned, UserAssigned\"\n  identity_ids = [\"{uai}\"]\n{tags}"),
        )
    };

    // Plan-time refusals.
    ws.write(&format!("{}{}", vault(""), cmk_block("https://kv-backup.vault.azure.net/secrets/backup-key", "\"uai\"")));
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let text = flat(&run.output());
    assert!(text.contains("Invalid Key Vault key ID"), "{text}");
    assert!(text.contains("Invalid user-assigned identity ID"), "{text}");

    ws.write(&format!("{}{}", vault(""), cmk_block(key, &format!("\"{uai}\""))));
    ws.emulator.state().clear_journal();
    let run = ws.apply().await;
    assert!(run.stdout.contains("2 added, 0 changed, 0 destroyed"), "{}", run.stdout);
    let ops = arm_ops(&ws);
    assert_eq!(ops.iter().filter(|o| *o == "BackupVaults_Update").count(), 1, "the key is one PATCH: {ops:?}");
    let (_, body) = ws.arm(reqwest::Method::GET, &vault_id("vault-cmk"), None).await;
    let encryption = &body["properties"]["securitySettings"]["encryptionSettings"];
    assert_eq!(encryption["state"], "Enabled", "{body}");
    assert_eq!(encryption["keyVaultProperties"]["keyUri"], key, "{body}");
    assert_eq!(encryption["kekIdentity"]["identityId"], uai.as_str(), "{body}");
    assert_eq!(
        body["properties"]["securitySettings"]["softDeleteSettings"]["state"], "On",
        "the PATCH left the vault's soft delete as it was: {body}"
    );
    let cmk = ws.resource("dataprotection_backup_vault_customer_managed_key.cmk").expect("in state");
    assert_eq!(cmk["attributes"]["id"], vault_id("vault-cmk").as_str());
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "neither the vault nor the key plans a change:\n{}", run.output());

    ws.terraform_ok(&["state", "rm", "dataprotection_backup_vault_customer_managed_key.cmk"]).await;
    ws.terraform_ok(&["import", "dataprotection_backup_vault_customer_managed_key.cmk", &vault_id("vault-cmk")]).await;
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after import must be empty:\n{}", run.output());

    // A new key version is an update in place; a change of the vault's tags leaves the encryption alone.
    let versioned = format!("{key}/0123456789abcdef");
    ws.write(&format!("{}{}", vault("  tags = { env = \"prod\" }\n"), cmk_block(&versioned, &format!("\"{uai}\""))));
    let run = ws.apply().await;
    assert!(run.stdout.contains("0 added, 2 changed, 0 destroyed"), "{}", run.stdout);
    let (_, body) = ws.arm(reqwest::Method::GET, &vault_id("vault-cmk"), None).await;
    assert_eq!(
        body["properties"]["securitySettings"]["encryptionSettings"]["keyVaultProperties"]["keyUri"],
        versioned.as_str()
    );
    assert_eq!(body["tags"]["env"], "prod");
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "plan after the update must be empty:\n{}", run.output());

    // Destroy warns, at plan and at apply, and leaves the vault encrypted.
    let target = "-target=dataprotection_backup_vault_customer_managed_key.cmk";
    let run = ws.terraform_ok(&["plan", "-destroy", target]).await;
    assert!(
        flat(&run.output()).contains("The backup vault stays encrypted with its customer-managed key"),
        "{}",
        run.output()
    );
    ws.emulator.state().clear_journal();
    let run = ws.terraform_ok(&["destroy", "-auto-approve", target]).await;
    let text = flat(&run.output());
    assert!(text.contains("1 destroyed"), "{text}");
    assert!(text.contains("Azure never turns a backup vault's customer-managed key encryption off"), "{text}");
    let ops = arm_ops(&ws);
    assert!(!ops.iter().any(|o| o == "BackupVaults_Update" || o == "BackupVaults_Delete"), "{ops:?}");
    let (_, body) = ws.arm(reqwest::Method::GET, &vault_id("vault-cmk"), None).await;
    assert_eq!(body["properties"]["securitySettings"]["encryptionSettings"]["state"], "Enabled", "{body}");

    // Azure's own refusal of turning it off, as the emulator answers it.
    let off = serde_json::json!({"properties": {"securitySettings": {"encryptionSettings": {"state": "Disabled"}}}});
    let (status, body) = ws.arm(reqwest::Method::PATCH, &vault_id("vault-cmk"), Some(off)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "UserErrorCMKEncryptionCannotBeDisabled", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guarded_backup_instance_is_suspended_with_the_guards_request_and_destroyed_once_unlocked() {
    let ws = Workspace::start().await;
    let guard = format!(
        r#"resource "dataprotection_resource_guard" "guard" {{
  name              = "guard-instances"
  resource_group_id = "{group}"
  location          = "{location}"
}}

resource "dataprotection_backup_vault_resource_guard_association" "mua" {{
  vault_id          = "{vault}"
  resource_guard_id = dataprotection_resource_guard.guard.id
}}
"#,
        group = resource_group(),
        location = world::LOCATION,
        vault = world::vault_id(),
    );
    let instance = support::terraform::instance_block("bi", "bi-guarded", world::DISK_APP_01, world::POLICY_DAILY);
    ws.write(&format!("{guard}{instance}"));
    ws.apply().await;

    // Suspending backups is a critical operation too: the provider names the guard's request for it, so that an
    // operator with rights on the guard needs nothing more (the emulator refuses the call without the request).
    let suspended = instance.replace("\n}\n", "\n  protection_state = \"BackupSchedulesSuspended\"\n}\n");
    assert_ne!(suspended, instance);
    ws.write(&format!("{guard}{suspended}"));
    ws.emulator.state().clear_journal();
    let run = ws.apply().await;
    assert!(run.stdout.contains("1 changed"), "{}", run.stdout);
    let ops = arm_ops(&ws);
    let read = ops.iter().position(|o| o == "DppResourceGuardProxy_Get").expect("the association is read");
    let suspend = ops.iter().position(|o| o == "BackupInstances_SuspendBackups").expect("a suspend");
    assert!(read < suspend, "{ops:?}");

    // Azure refuses the delete: the instance stays in state, and the error says who must act.
    let target = "-target=dataprotection_backup_instance.bi";
    let run = ws.terraform(&["destroy", "-auto-approve", target]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let text = flat(&run.output());
    assert!(text.contains("UserErrorMUAOperationNotUnlocked"), "{text}");
    assert!(text.contains("Terraform does not unlock deletes of backup instances itself"), "{text}");
    assert!(ws.resource("dataprotection_backup_instance.bi").is_some(), "the instance stays in state");

    // The guard's side unlocks it (out of band, as an approver would); the destroy then goes through.
    let proxy = format!("{}/backupResourceGuardProxies/DppResourceGuardProxy", world::vault_id());
    let (status, body) = ws.arm(reqwest::Method::GET, &proxy, None).await;
    assert_eq!(status, 200, "{body}");
    let request = body["properties"]["resourceGuardOperationDetails"]
        .as_array()
        .and_then(|details| {
            details
                .iter()
                .find(|d| d["vaultCriticalOperation"] == "Microsoft.DataProtection/backupVaults/backupInstances/delete")
        })
        .map(|d| d["defaultResourceRequest"].clone())
        .expect("the instance delete is protected");
    let unlock = serde_json::json!({"resourceGuardOperationRequests": [request],
        "resourceToBeDeleted": world::backup_instance_id("bi-guarded")});
    let (status, body) = ws.arm(reqwest::Method::POST, &format!("{proxy}/unlockDelete"), Some(unlock)).await;
    assert_eq!(status, 200, "{body}");
    let run = ws.terraform_ok(&["destroy", "-auto-approve", target]).await;
    assert!(run.stdout.contains("1 destroyed"), "{}", run.stdout);
    let run = ws.terraform_ok(&["destroy", "-auto-approve"]).await;
    assert!(run.stdout.contains("2 destroyed"), "{}", run.stdout);
}
