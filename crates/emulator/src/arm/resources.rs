//! Subscriptions, resource groups, backup vaults, backup policies and role assignments.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::instances::{vault_key, vault_operation};
use super::{Context, Reply};
use crate::error::{ArmError, arm};
use crate::ids;
use crate::routes::VaultPath;
use crate::settings::OperationKind;
use crate::util::{lock, new_uuid};
use crate::world::{OperationSpec, Planned, RoleAssignment, Target, World};

pub(super) fn subscription(context: &Context<'_>, subscription: &str) -> Result<Reply, ArmError> {
    if context.method != Method::GET {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let core = lock(&context.state.core);
    let found = core.world.subscriptions.get(&subscription.to_ascii_lowercase()).ok_or_else(|| {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{subscription}' could not be found."),
        )
    })?;
    Ok(Reply::json(
        StatusCode::OK,
        json!({
            "id": format!("/subscriptions/{}", found.id),
            "subscriptionId": found.id,
            "tenantId": found.tenant_id,
            "displayName": found.display_name,
            "state": "Enabled",
            "subscriptionPolicies": { "locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off" },
            "authorizationSource": "RoleBased",
        }),
    ))
}

/// A List answer (`{"value": [...]}`): the entries `keep` accepts, rendered, in the order of their keys
/// (lower-case ARM IDs), so that answers do not depend on hash order.
fn list_reply<'a, T: 'a>(
    entries: impl Iterator<Item = (&'a String, &'a T)>,
    keep: impl Fn(&str, &T) -> bool,
    render: impl Fn(&T) -> Value,
) -> Reply {
    let mut kept: Vec<(&String, &T)> = entries.filter(|(key, item)| keep(key, item)).collect();
    kept.sort_by(|a, b| a.0.cmp(b.0));
    Reply::json(StatusCode::OK, json!({ "value": kept.into_iter().map(|(_, item)| render(item)).collect::<Vec<_>>() }))
}

pub(super) fn resource_groups(context: &Context<'_>, subscription: &str) -> Result<Reply, ArmError> {
    if context.method != Method::GET {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let core = lock(&context.state.core);
    let prefix = format!("/subscriptions/{}/", subscription.to_ascii_lowercase());
    let groups = core.world.resource_groups.iter();
    Ok(list_reply(groups, |key, _| key.starts_with(&prefix), World::render_resource_group))
}

pub(super) fn resource_group(context: &Context<'_>, subscription: &str, name: &str) -> Result<Reply, ArmError> {
    let key = ids::resource_group_id(subscription, name).to_ascii_lowercase();
    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    match context.method {
        Method::HEAD => Ok(Reply::empty(if core.world.resource_groups.contains_key(&key) {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::NOT_FOUND
        })),
        Method::GET => {
            let group = core.world.resource_groups.get(&key).ok_or_else(|| arm::resource_group_not_found(name))?;
            Ok(Reply::json(StatusCode::OK, World::render_resource_group(group)))
        }
        Method::PUT => {
            let body = context.required_body()?;
            let location =
                body.get("location").and_then(Value::as_str).filter(|location| !location.is_empty()).ok_or_else(
                    || {
                        ArmError::new(
                            StatusCode::BAD_REQUEST,
                            "LocationRequired",
                            "The location property is required for this definition.",
                        )
                    },
                )?;
            let tags = match body.get("tags") {
                None | Some(Value::Null) => None,
                Some(tags) => Some(serde_json::from_value(tags.clone()).map_err(arm::invalid_content)?),
            };
            let created = match core.world.resource_groups.get_mut(&key) {
                Some(group) => {
                    if crate::util::normalize_location(&group.location) != crate::util::normalize_location(location) {
                        return Err(ArmError::new(
                            StatusCode::BAD_REQUEST,
                            "InvalidResourceGroupLocation",
                            format!(
                                "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                                group.location
                            ),
                        ));
                    }
                    group.tags = tags;
                    false
                }
                None => {
                    core.world.add_resource_group(subscription, name, location, tags);
                    true
                }
            };
            let group = core.world.resource_groups.get(&key).ok_or_else(|| arm::resource_group_not_found(name))?;
            Ok(Reply::json(
                if created { StatusCode::CREATED } else { StatusCode::OK },
                World::render_resource_group(group),
            ))
        }
        Method::DELETE => {
            let group = core.world.resource_groups.get(&key).ok_or_else(|| arm::resource_group_not_found(name))?;
            let location = group.location.clone();
            let blockers = core.world.resource_group_blockers(&key);
            let kind = OperationKind::ResourceGroupDelete;
            let (planned, never_finish) = context.injected_outcome(core, kind).unwrap_or_else(|| {
                if blockers.is_empty() {
                    (Planned::Succeed, false)
                } else {
                    let details: Vec<Value> = blockers
                        .iter()
                        .map(|id| json!({ "code": "UserErrorBackupVaultNotEmpty", "target": id, "message": "The backup vault still has backup instances." }))
                        .collect();
                    let error = json!({
                        "code": "ResourceGroupDeletionBlocked",
                        "message": format!("Deletion of resource group '{name}' failed as resources with identifiers '{}' could not be deleted.", blockers.join(",")),
                        "details": details,
                    });
                    (Planned::Fail(error, 409), false)
                }
            });
            let spec = OperationSpec {
                kind,
                subscription: subscription.to_owned(),
                resource_group: Some(name.to_owned()),
                vault: None,
                instance: None,
                location,
                target: Some(Target::ResourceGroup(key)),
                timing: core.settings.timing(kind).clone(),
                planned,
                never_finish,
                api_version: context.api_version.clone(),
                creates: false,
                configure_timing: None,
                job: false,
            };
            let operation_id = core.world.start_operation(spec, context.now);
            let operation = core
                .world
                .operations
                .get(&operation_id.to_ascii_lowercase())
                .ok_or_else(|| arm::resource_group_not_found(name))?;
            let headers = context.lro_headers(
                operation,
                None,
                Some(&format!("/subscriptions/{subscription}/operationresults/{operation_id}")),
            );
            Ok(Reply::empty(StatusCode::ACCEPTED).with_headers(headers))
        }
        ref other => Err(arm::method_not_allowed(other.as_str())),
    }
}

fn group_key_checked(core: &crate::state::Core, subscription: &str, resource_group: &str) -> Result<String, ArmError> {
    let key = ids::resource_group_id(subscription, resource_group).to_ascii_lowercase();
    if core.world.resource_groups.contains_key(&key) {
        Ok(key)
    } else {
        Err(arm::resource_group_not_found(resource_group))
    }
}

pub(super) fn vaults(context: &Context<'_>, subscription: &str, resource_group: &str) -> Result<Reply, ArmError> {
    if context.method != Method::GET {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let core = lock(&context.state.core);
    let group_key = group_key_checked(&core, subscription, resource_group)?;
    let prefix = format!("{group_key}/providers/microsoft.dataprotection/backupvaults/");
    let spellings = &core.settings.spellings;
    Ok(list_reply(
        core.world.vaults.iter(),
        |key, _| key.starts_with(&prefix),
        |vault| World::render_vault(vault, spellings),
    ))
}

/// `^[A-Za-z][-A-Za-z0-9]*[A-Za-z0-9]$`, 2 to 50 characters (the spec's vaultName parameter).
fn valid_vault_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (2..=50).contains(&bytes.len())
        && bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(|byte| byte.is_ascii_alphanumeric() || *byte == b'-')
}

pub(super) fn vault(context: &Context<'_>, path: &VaultPath) -> Result<Reply, ArmError> {
    match context.method {
        Method::GET | Method::HEAD => {
            let core = lock(&context.state.core);
            let key = vault_key(&core, path)?;
            let vault = core.world.vaults.get(&key).ok_or_else(|| arm::parent_not_found(&key))?;
            Ok(Reply::json(StatusCode::OK, World::render_vault(vault, &core.settings.spellings)))
        }
        Method::PUT => put_vault(context, path),
        Method::PATCH => patch_vault(context, path),
        Method::DELETE => {
            let mut guard = lock(&context.state.core);
            let core = &mut *guard;
            group_key_checked(core, &path.subscription, &path.resource_group)?;
            let key = ids::vault_id(&path.subscription, &path.resource_group, &path.vault).to_ascii_lowercase();
            let Some(vault) = core.world.vaults.get(&key) else {
                return Ok(Reply::empty(StatusCode::NO_CONTENT));
            };
            if !vault.deleted_instances.is_empty() && vault.instances.is_empty() {
                let names: Vec<&str> = vault.deleted_instances.values().map(|d| d.instance.name.as_str()).collect();
                return Err(ArmError::user_facing(
                    StatusCode::BAD_REQUEST,
                    "UserErrorBackupVaultNotEmpty",
                    format!(
                        "Cannot delete the Backup vault {} as there are existing backup instances or backup policies in \
                         the vault. Delete all backup instances and backup policies that are present in the vault and \
                         then try deleting the vault. Soft-deleted backup instances: {}.",
                        vault.id,
                        names.join(", ")
                    ),
                    &["Soft-deleted backup instances are purged when their soft delete retention ends, or at once \
                       when soft delete is turned off on the vault (not possible when it is Always On)."],
                    &context.activity_id,
                ));
            }
            if !vault.instances.is_empty() {
                return Err(ArmError::user_facing(
                    StatusCode::BAD_REQUEST,
                    "UserErrorBackupVaultNotEmpty",
                    format!(
                        "Cannot delete the Backup vault {} as there are existing backup instances in the vault. Delete all \
                         backup instances that are present in the vault and then try deleting the vault.",
                        vault.id
                    ),
                    &["Delete the backup instances of the vault, then retry."],
                    &context.activity_id,
                ));
            }
            // An operation, as in the service: the vault goes when it ends.
            let headers = start_vault_operation(context, core, path, &key, OperationKind::BackupVaultDelete, false)?;
            Ok(Reply::empty(StatusCode::ACCEPTED).with_headers(headers))
        }
        ref other => Err(arm::method_not_allowed(other.as_str())),
    }
}

/// Merges a JSON merge patch into `target`: objects merge key by key, anything else replaces.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// Starts an operation of `kind` on the vault `key` (its outcome injected or success) and answers its headers as
/// the service does (recorded in 2023, 2025 and 2026): a PUT names its vault-scope status URL in
/// `Azure-AsyncOperation` only; a DELETE names the resource-group location-scope status URL in
/// `Azure-AsyncOperation` and the subscription location-scope result in `Location`. PATCH, never recorded, answers
/// as the spec declares: `Location` (`{vault}/operationResults/{id}`) only.
fn start_vault_operation(
    context: &Context<'_>,
    core: &mut crate::state::Core,
    path: &VaultPath,
    key: &str,
    kind: OperationKind,
    creates: bool,
) -> Result<Vec<(axum::http::HeaderName, String)>, ArmError> {
    let vault = core.world.vaults.get(key).ok_or_else(|| arm::parent_not_found(key))?;
    let (location, vault_id) = (vault.location.clone(), vault.id.clone());
    let outcome = context.injected_outcome(core, kind).unwrap_or((Planned::Succeed, false));
    let spec = OperationSpec {
        target: Some(Target::Vault(key.to_owned())),
        creates,
        ..vault_operation(context, core, path, kind, location.clone(), outcome)
    };
    let operation_id = core.world.start_operation(spec, context.now);
    let operation = core
        .world
        .operations
        .get(&operation_id.to_ascii_lowercase())
        .ok_or_else(|| arm::dpp_not_found("operation", &operation_id, &context.activity_id))?;
    let location = crate::util::normalize_location(&location);
    Ok(match kind {
        OperationKind::BackupVaultCreateOrUpdate => {
            context.lro_headers(operation, Some(&format!("{vault_id}/operationStatus/{operation_id}")), None)
        }
        OperationKind::BackupVaultDelete => context.lro_headers(
            operation,
            Some(&format!(
                "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.DataProtection/locations/{location}/operationStatus/{operation_id}",
                path.subscription, path.resource_group
            )),
            Some(&format!(
                "{}/operationResults/{operation_id}",
                super::instances::location_scope(&path.subscription, &location)
            )),
        ),
        _ => context.lro_headers(operation, None, Some(&format!("{vault_id}/operationResults/{operation_id}"))),
    })
}

/// Turning soft delete off deletes the soft-deleted data at once (Microsoft's enhanced soft delete docs).
fn purge_when_soft_delete_is_off(vault: &mut crate::world::Vault) {
    if vault.soft_delete().0 == "Off" {
        vault.deleted_instances.clear();
    }
}

/// What a vault request's `identity` asks for: a system-assigned identity or not, and the user-assigned ones.
struct RequestedIdentity {
    system: bool,
    user: Vec<String>,
}

/// Reads `identity` of a vault PUT or PATCH; `None` when the body names no identity type. The rules (a guess: no
/// recording has a user-assigned identity; the shape is the spec's `DppIdentityDetails`): the type is one of the
/// four the spec lists, `userAssignedIdentities` is named exactly when the type has `UserAssigned`, and its keys are
/// user-assigned identity IDs.
fn requested_identity(body: &Value, activity_id: &str) -> Result<Option<RequestedIdentity>, ArmError> {
    let Some(kind) = body.pointer("/identity/type").and_then(Value::as_str) else { return Ok(None) };
    let compact: String = kind.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    let (system, user) = match compact.as_str() {
        "systemassigned" => (true, false),
        "userassigned" => (false, true),
        "systemassigned,userassigned" => (true, true),
        "none" => (false, false),
        _ => {
            return Err(arm::dpp_invalid_input(
                format!(
                    "identity type '{kind}' is not one of SystemAssigned, UserAssigned, 'SystemAssigned,UserAssigned' \
                     or None"
                ),
                activity_id,
            ));
        }
    };
    let ids: Vec<String> = body
        .pointer("/identity/userAssignedIdentities")
        .and_then(Value::as_object)
        .map(|ids| ids.keys().cloned().collect())
        .unwrap_or_default();
    if user && ids.is_empty() {
        return Err(arm::dpp_invalid_input(
            format!("identity type '{kind}' needs at least one user assigned identity in userAssignedIdentities"),
            activity_id,
        ));
    }
    if !user && !ids.is_empty() {
        return Err(arm::dpp_invalid_input(
            format!("userAssignedIdentities are given, but identity type '{kind}' is not UserAssigned"),
            activity_id,
        ));
    }
    for id in &ids {
        let words: Vec<String> = id.trim_start_matches('/').split('/').map(str::to_ascii_lowercase).collect();
        let valid = matches!(
            words.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
            ["subscriptions", s, "resourcegroups", g, "providers", "microsoft.managedidentity", "userassignedidentities", n]
                if !s.is_empty() && !g.is_empty() && !n.is_empty()
        );
        if !valid {
            return Err(arm::dpp_invalid_input(
                format!("'{id}' is not the ID of a user assigned identity"),
                activity_id,
            ));
        }
    }
    Ok(Some(RequestedIdentity { system, user: ids }))
}

/// Gives the vault the user-assigned identities asked for: those it keeps keep their IDs, new ones get new ones.
fn set_user_identities(vault: &mut crate::world::Vault, ids: &[String]) {
    let mut before = std::mem::take(&mut vault.user_identities);
    for id in ids {
        let kept = before.keys().find(|k| k.eq_ignore_ascii_case(id)).cloned().and_then(|k| before.remove(&k));
        let identity =
            kept.unwrap_or_else(|| crate::world::UserIdentity { principal_id: new_uuid(), client_id: new_uuid() });
        vault.user_identities.insert(id.clone(), identity);
    }
}

/// Whether cross-region restore is enabled in a vault's properties.
fn cross_region_restore(properties: &Value) -> Option<bool> {
    properties
        .pointer("/featureSettings/crossRegionRestoreSettings/state")
        .and_then(Value::as_str)
        .map(|state| state.eq_ignore_ascii_case("Enabled"))
}

/// Cross-region restore needs geo-redundant storage, and once enabled it is never disabled. Evidence: Microsoft
/// Learn ("Create and manage Backup vaults", Cross Region Restore: only for GRS vaults, cannot be disabled once
/// enabled) and azurerm PR #27197; the codes and messages are guesses.
fn check_cross_region_restore(before: Option<&Value>, after: &Value, activity_id: &str) -> Result<(), ArmError> {
    let enabled = cross_region_restore(after) == Some(true);
    let redundancy = after.pointer("/storageSettings/0/type").and_then(Value::as_str).unwrap_or_default();
    if enabled && !redundancy.eq_ignore_ascii_case("GeoRedundant") {
        return Err(ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            "UserErrorCrossRegionRestoreNotSupportedForStorageType",
            format!("Cross Region Restore can be enabled only on a GeoRedundant vault; this vault is '{redundancy}'."),
            &["Use a backup vault with GeoRedundant storage to enable Cross Region Restore."],
            activity_id,
        ));
    }
    if before.and_then(cross_region_restore) == Some(true) && cross_region_restore(after) == Some(false) {
        return Err(ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            "UserErrorCrossRegionRestoreCannotBeDisabled",
            "Cross Region Restore cannot be disabled once it is enabled on a backup vault.",
            &["Keep Cross Region Restore enabled on this vault."],
            activity_id,
        ));
    }
    Ok(())
}

/// The customer-managed key rules. Evidence: the spec (`EncryptionState.Disabled`: "User can not set this state
/// once Encryption State is 'Enabled'"; `CmkKekIdentity.identityId` only for `UserAssigned`). Guesses: the codes,
/// and that the identity named must be the vault's (system-assigned, or one of its user-assigned identities).
fn check_encryption(
    before: Option<&Value>,
    after: &Value,
    vault: &crate::world::Vault,
    activity_id: &str,
) -> Result<(), ArmError> {
    let state = |properties: &Value| {
        properties
            .pointer("/securitySettings/encryptionSettings/state")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    if before.and_then(state).as_deref() == Some("enabled") && state(after).as_deref() == Some("disabled") {
        return Err(ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            "UserErrorCMKEncryptionCannotBeDisabled",
            "Customer managed key encryption cannot be disabled once it is enabled on a backup vault.",
            &["Keep the encryption enabled; to change the key, update the key URI."],
            activity_id,
        ));
    }
    let Some(settings) = after.pointer("/securitySettings/encryptionSettings") else { return Ok(()) };
    if state(after).as_deref() != Some("enabled") {
        return Ok(());
    }
    let key = settings.pointer("/keyVaultProperties/keyUri").and_then(Value::as_str).unwrap_or_default();
    if !key.starts_with("https://") || !key.contains("/keys/") {
        return Err(arm::dpp_invalid_input(format!("'{key}' is not a Key Vault key URI"), activity_id));
    }
    let kind = settings.pointer("/kekIdentity/identityType").and_then(Value::as_str).unwrap_or("SystemAssigned");
    let identity = settings.pointer("/kekIdentity/identityId").and_then(Value::as_str);
    let usable = if kind.eq_ignore_ascii_case("UserAssigned") {
        identity.is_some_and(|id| vault.user_identities.keys().any(|k| k.eq_ignore_ascii_case(id)))
    } else {
        identity.is_none() && vault.identity.is_some()
    };
    if !usable {
        return Err(ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            "UserErrorCMKIdentityNotFound",
            format!(
                "The identity for customer managed key encryption ({kind}{}) is not an identity of the backup vault.",
                identity.map(|id| format!(" {id}")).unwrap_or_default()
            ),
            &["Assign the identity to the backup vault, or use the vault's system-assigned identity."],
            activity_id,
        ));
    }
    Ok(())
}

/// PATCH of a vault (`BackupVaults_Update`): the identity, settings and tags it names change; the rest stays.
fn patch_vault(context: &Context<'_>, path: &VaultPath) -> Result<Reply, ArmError> {
    let body = context.required_body()?;
    context.check_schema("PatchResourceRequestInput", &body)?;
    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    let key = vault_key(core, path)?;
    let auto_grant = core.settings.auto_grant_vault_roles;
    let tenant = core.world.tenant_of(&path.subscription);
    let requested = requested_identity(&body, &context.activity_id)?;
    let vault = core.world.vaults.get_mut(&key).ok_or_else(|| arm::parent_not_found(&key))?;
    if let Some(properties) = body.get("properties").filter(|p| p.is_object()) {
        // No AlwaysOn check on an existing vault: a recorded update at 2026-06-01 with soft delete `ON` was
        // accepted.
        let properties = crate::world::client_vault_properties(Some(properties));
        let mut merged = vault.properties.clone();
        merge(&mut merged, &properties);
        check_cross_region_restore(Some(&vault.properties), &merged, &context.activity_id)?;
        check_encryption(Some(&vault.properties), &merged, vault, &context.activity_id)?;
        vault.properties = merged;
        purge_when_soft_delete_is_off(vault);
    }
    if let Some(tags) = body.get("tags") {
        vault.tags = Some(tags.clone()).filter(Value::is_object);
    }
    let mut new_principal = None;
    if let Some(requested) = requested {
        // The set of user-assigned identities a PATCH names is the set the vault keeps (a guess: the spec's
        // `UserAssignedIdentity` is not nullable, so a PATCH cannot name one to remove it).
        set_user_identities(vault, &requested.user);
        if !requested.system {
            vault.identity = None;
        } else if vault.identity.is_none() {
            let principal = new_uuid();
            vault.identity = Some(crate::world::VaultIdentity { principal_id: principal.clone(), tenant_id: tenant });
            new_principal = Some(principal);
        }
    }
    if let Some(principal) = new_principal {
        core.world.directory.insert(principal.to_ascii_lowercase(), format!("identity of {key}"));
        if auto_grant {
            core.world.grant_vault_roles(&path.subscription, &principal, context.now);
        }
    }
    // A long-running operation, as the spec has it: 202 with Location; the result is the vault.
    let headers = start_vault_operation(context, core, path, &key, OperationKind::BackupVaultUpdate, false)?;
    Ok(Reply::empty(StatusCode::ACCEPTED).with_headers(headers))
}

fn put_vault(context: &Context<'_>, path: &VaultPath) -> Result<Reply, ArmError> {
    let body = context.required_body()?;
    context.check_schema("BackupVaultResource", &body)?;
    if !valid_vault_name(&path.vault) {
        return Err(arm::dpp_invalid_input(
            format!(
                "the vault name '{}' must be 2 to 50 letters, digits or hyphens, start with a letter and end with a letter or digit",
                path.vault
            ),
            &context.activity_id,
        ));
    }
    let location = body.get("location").and_then(Value::as_str).unwrap_or_default().to_owned();
    let requested = requested_identity(&body, &context.activity_id)?;
    let wants_identity = requested.as_ref().is_some_and(|r| r.system);
    let user_identities = requested.map(|r| r.user).unwrap_or_default();
    let mut properties = crate::world::client_vault_properties(body.get("properties"));
    let tags = body.get("tags").cloned().filter(Value::is_object);

    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    group_key_checked(core, &path.subscription, &path.resource_group)?;
    let key = ids::vault_id(&path.subscription, &path.resource_group, &path.vault).to_ascii_lowercase();
    let auto_grant = core.settings.auto_grant_vault_roles;
    if !core.world.vaults.contains_key(&key) {
        // Only a create is checked: a recorded PUT of an existing vault at 2026-06-01 with soft delete `ON` was
        // accepted.
        super::require_always_on_soft_delete(context, &core.settings, &properties)?;
    }
    if let Some(vault) = core.world.vaults.get(&key) {
        // A PUT that leaves the feature settings out keeps cross-region restore as it is (a guess).
        if properties.get("featureSettings").is_none()
            && let Some(features) = vault.properties.get("featureSettings")
            && let Some(object) = properties.as_object_mut()
        {
            object.insert("featureSettings".to_owned(), features.clone());
        }
        check_cross_region_restore(Some(&vault.properties), &properties, &context.activity_id)?;
    } else {
        check_cross_region_restore(None, &properties, &context.activity_id)?;
    }
    if let Some(vault) = core.world.vaults.get_mut(&key) {
        if crate::util::normalize_location(&vault.location) != crate::util::normalize_location(&location) {
            return Err(ArmError::new(
                StatusCode::BAD_REQUEST,
                "LocationNotAvailableForResourceType",
                format!(
                    "The backup vault '{}' already exists in location '{}'; its location cannot change.",
                    vault.name, vault.location
                ),
            ));
        }
        vault.properties = properties;
        purge_when_soft_delete_is_off(vault);
        vault.tags = tags;
        set_user_identities(vault, &user_identities);
        let needs_identity = wants_identity && vault.identity.is_none();
        if !wants_identity {
            vault.identity = None;
        }
        if needs_identity {
            let tenant = core.world.tenant_of(&path.subscription);
            let principal = new_uuid();
            core.world.directory.insert(principal.clone(), format!("identity of {key}"));
            if let Some(vault) = core.world.vaults.get_mut(&key) {
                vault.identity =
                    Some(crate::world::VaultIdentity { principal_id: principal.clone(), tenant_id: tenant });
            }
            if auto_grant {
                core.world.grant_vault_roles(&path.subscription, &principal, context.now);
            }
        }
        if let Some(vault) = core.world.vaults.get_mut(&key) {
            vault.provisioning_state = "Updating".to_owned();
        }
        // Recorded (2022-12-01 and 2026-06-01): a PUT of an existing vault is 201 too, `Updating`, followed
        // through `Azure-AsyncOperation`.
        let headers =
            start_vault_operation(context, core, path, &key, OperationKind::BackupVaultCreateOrUpdate, false)?;
        let vault = core.world.vaults.get(&key).ok_or_else(|| arm::parent_not_found(&key))?;
        let body = World::render_vault(vault, &core.settings.spellings);
        return Ok(Reply::json(StatusCode::CREATED, body).with_headers(headers));
    }
    let identity = wants_identity.then_some(None);
    core.world.add_vault(
        (&path.subscription, &path.resource_group),
        &path.vault,
        &location,
        identity,
        properties,
        tags,
        "Provisioning",
        auto_grant,
        context.now,
    );
    if let Some(vault) = core.world.vaults.get_mut(&key) {
        vault.created_through_api = true;
        set_user_identities(vault, &user_identities);
    }
    let headers = start_vault_operation(context, core, path, &key, OperationKind::BackupVaultCreateOrUpdate, true)?;
    let vault = core.world.vaults.get(&key).ok_or_else(|| arm::parent_not_found(&key))?;
    let body = World::render_vault(vault, &core.settings.spellings);
    Ok(Reply::json(StatusCode::CREATED, body).with_headers(headers))
}

pub(super) fn policies(context: &Context<'_>, path: &VaultPath) -> Result<Reply, ArmError> {
    if context.method != Method::GET {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let core = lock(&context.state.core);
    let key = vault_key(&core, path)?;
    let vault = core.world.vaults.get(&key).ok_or_else(|| arm::parent_not_found(&key))?;
    let value: Vec<Value> = vault.policies.values().map(World::render_policy).collect();
    Ok(Reply::json(StatusCode::OK, json!({ "value": value })))
}

pub(super) fn policy(context: &Context<'_>, path: &VaultPath, name: &str) -> Result<Reply, ArmError> {
    let body = if context.method == Method::PUT {
        let body = context.required_body()?;
        context.check_schema("BaseBackupPolicyResource", &body)?;
        Some(body)
    } else {
        None
    };
    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    let vault_key = vault_key(core, path)?;
    let policy_key = format!("{vault_key}/backuppolicies/{}", name.to_ascii_lowercase());
    let vault = core.world.vaults.get(&vault_key).ok_or_else(|| arm::parent_not_found(&vault_key))?;
    let policy_id = format!("{}/backupPolicies/{name}", vault.id);
    match (&context.method, body) {
        (&Method::GET | &Method::HEAD, _) => {
            let policy = vault
                .policies
                .get(&name.to_ascii_lowercase())
                .ok_or_else(|| arm::dpp_not_found("backup policy", &policy_id, &context.activity_id))?;
            Ok(Reply::json(StatusCode::OK, World::render_policy(policy)))
        }
        (&Method::PUT, Some(body)) => {
            let properties = body
                .get("properties")
                .cloned()
                .ok_or_else(|| arm::dpp_invalid_input("the request has no 'properties'", &context.activity_id))?;
            crate::world::check_policy(&properties)
                .map_err(|detail| arm::dpp_invalid_input(detail, &context.activity_id))?;
            let policy =
                core.world.add_policy(&vault_key, name, properties).ok_or_else(|| arm::parent_not_found(&vault_key))?;
            Ok(Reply::json(StatusCode::OK, World::render_policy(policy)))
        }
        (&Method::DELETE, _) => {
            if !vault.policies.contains_key(&name.to_ascii_lowercase()) {
                return Ok(Reply::empty(StatusCode::NO_CONTENT));
            }
            let in_use = core
                .world
                .policy_users
                .get(&policy_key)
                .is_some_and(|users| users.iter().any(|user| core.world.instance(user).is_some()));
            if in_use {
                // Azure's status, code and message (as clients have reported them); the message names no instance.
                return Err(ArmError::user_facing(
                    StatusCode::BAD_REQUEST,
                    "UserErrorDppPolicyObjectInUse",
                    "Cannot delete the backup policy as one or more backup instances have been configured for \
                     protection with this policy."
                        .to_owned(),
                    &[
                        "Remove the policy from the backup instances that use it, or delete those backup instances, then retry.",
                    ],
                    &context.activity_id,
                ));
            }
            if let Some(vault) = core.world.vaults.get_mut(&vault_key) {
                vault.policies.remove(&name.to_ascii_lowercase());
            }
            Ok(Reply::empty(StatusCode::OK))
        }
        (other, _) => Err(arm::method_not_allowed(other.as_str())),
    }
}

/// `GET /subscriptions/{s}/providers/{namespace}` and `POST .../register`: a resource provider's registration.
/// While it is `Registering` the answer carries the timing's retry headers, as operations do.
pub(super) fn provider(
    context: &Context<'_>,
    subscription: &str,
    namespace: &str,
    register: bool,
) -> Result<Reply, ArmError> {
    let expected = if register { Method::POST } else { Method::GET };
    if context.method != expected {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let mut core = lock(&context.state.core);
    let timing = core.settings.timing(OperationKind::ProviderRegistration).clone();
    let found = core.world.subscriptions.get_mut(&subscription.to_ascii_lowercase()).ok_or_else(|| {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{subscription}' could not be found."),
        )
    })?;
    if register {
        found.register(namespace, context.now);
    }
    let state = found.registration_state(namespace, &timing, context.now, !register);
    let mut headers = Vec::new();
    if state == "Registering" {
        headers.push((axum::http::header::RETRY_AFTER, timing.retry_after_seconds.to_string()));
        if let Some(ms) = timing.retry_after_ms {
            headers.push((axum::http::HeaderName::from_static("retry-after-ms"), ms.to_string()));
        }
    }
    let reply = Reply::json(
        StatusCode::OK,
        json!({
            "id": format!("/subscriptions/{}/providers/{namespace}", found.id),
            "namespace": namespace,
            "registrationState": state,
            "registrationPolicy": "RegistrationRequired",
            "resourceTypes": [],
        }),
    );
    Ok(reply.with_headers(headers))
}

pub(super) fn role_assignments(context: &Context<'_>, scope: &str) -> Result<Reply, ArmError> {
    if context.method != Method::GET {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let filter = context.query.get("$filter").map(|filter| filter.trim().to_owned()).unwrap_or_default();
    let at_scope_only = filter.eq_ignore_ascii_case("atScope()");
    let principal = filter
        .strip_prefix("principalId eq '")
        .or_else(|| filter.strip_prefix("principalId eq \""))
        .map(|rest| rest.trim_end_matches(['\'', '"']).to_ascii_lowercase());
    if !filter.is_empty() && !at_scope_only && principal.is_none() {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "UnsupportedQuery",
            format!(
                "The filter '{filter}' is not supported. Supported filters are atScope() and principalId eq '{{id}}'."
            ),
        ));
    }
    let scope_key = ids::key(scope);
    let core = lock(&context.state.core);
    let applies = |_: &str, assignment: &RoleAssignment| {
        let above = ids::scope_covers(&assignment.scope_key, &scope_key);
        let below = ids::scope_covers(&scope_key, &assignment.scope_key);
        (above || (below && !at_scope_only))
            && principal.as_ref().is_none_or(|principal| assignment.principal_id.eq_ignore_ascii_case(principal))
    };
    Ok(list_reply(core.world.role_assignments.iter(), applies, World::render_role_assignment))
}

pub(super) fn role_assignment(context: &Context<'_>, scope: &str, name: &str) -> Result<Reply, ArmError> {
    let key =
        format!("{}/providers/microsoft.authorization/roleassignments/{}", ids::key(scope), name.to_ascii_lowercase());
    let not_found = || {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "RoleAssignmentNotFound",
            format!("The role assignment '{name}' is not found."),
        )
    };
    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    match context.method {
        Method::GET => {
            let assignment = core.world.role_assignments.get(&key).ok_or_else(not_found)?;
            Ok(Reply::json(StatusCode::OK, World::render_role_assignment(assignment)))
        }
        Method::PUT => {
            let body = context.required_body()?;
            let field = |name: &str| body.pointer(&format!("/properties/{name}")).and_then(Value::as_str);
            let role = field("roleDefinitionId")
                .ok_or_else(|| arm::invalid_content("properties.roleDefinitionId is required"))?;
            let principal =
                field("principalId").ok_or_else(|| arm::invalid_content("properties.principalId is required"))?;
            let principal_type = field("principalType").unwrap_or("ServicePrincipal");
            if !scope_exists(&core.world, scope) {
                return Err(ArmError::new(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFound",
                    format!("The scope '{scope}' of the role assignment does not exist."),
                ));
            }
            if !core.world.directory.contains_key(&principal.to_ascii_lowercase()) {
                let tenant = core.world.default_tenant.clone();
                return Err(ArmError::new(
                    StatusCode::BAD_REQUEST,
                    "PrincipalNotFound",
                    format!("Principal {} does not exist in the directory {tenant}.", principal.replace('-', "")),
                ));
            }
            let delay = core.settings.role_propagation_ms;
            let (assignment, created) =
                core.world.add_role_assignment(name, scope, role, principal, principal_type, context.now)?;
            let (body, id) = (World::render_role_assignment(assignment), assignment.id.clone());
            if created {
                core.world.delay_role_assignment(&id, delay);
            }
            Ok(Reply::json(if created { StatusCode::CREATED } else { StatusCode::OK }, body))
        }
        Method::DELETE => match core.world.remove_role_assignment(&key) {
            Some(assignment) => Ok(Reply::json(StatusCode::OK, World::render_role_assignment(&assignment))),
            None => Ok(Reply::empty(StatusCode::NO_CONTENT)),
        },
        ref other => Err(arm::method_not_allowed(other.as_str())),
    }
}

/// Whether a scope names something the world holds: a subscription, resource group, datasource or vault (or
/// anything below a vault).
fn scope_exists(world: &World, scope: &str) -> bool {
    let Some(id) = ids::ArmId::parse(scope) else { return false };
    let key = id.key();
    if !world.subscriptions.contains_key(&id.subscription.to_ascii_lowercase()) {
        return false;
    }
    if id.resource_group.is_none() && id.namespace.is_none() {
        return true;
    }
    if id.is_resource_group() {
        return world.resource_groups.contains_key(&key);
    }
    crate::world::kinds::holds(world, &key)
        || world.vaults.contains_key(&key)
        || id.resource_group_key().is_some_and(|group| world.resource_groups.contains_key(&group))
}
