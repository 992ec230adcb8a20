//! Backup instances: GET, PUT, DELETE, List (paged), validateForBackup, the instance actions, and the extension
//! route that finds the instances protecting a resource.

use std::ops::Bound;

use axum::http::{Method, StatusCode, header};
use serde_json::Value;

use super::{Context, Reply};
use crate::error::{ArmError, arm};
use crate::ids;
use crate::routes::{InstanceAction, VaultPath};
use crate::settings::{OperationKind, Spellings};
use crate::state::Core;
use crate::util::lock;
use crate::world::{InstanceKey, OperationSpec, Planned, Target, Vault, render_instance};

/// Looks up the vault of a request: a missing resource group or vault is ARM's not-found error.
pub(super) fn vault_key(core: &Core, path: &VaultPath) -> Result<String, ArmError> {
    let group_key = ids::resource_group_id(&path.subscription, &path.resource_group).to_ascii_lowercase();
    if !core.world.resource_groups.contains_key(&group_key) {
        return Err(arm::resource_group_not_found(&path.resource_group));
    }
    let key = ids::vault_id(&path.subscription, &path.resource_group, &path.vault).to_ascii_lowercase();
    if core.world.vaults.contains_key(&key) {
        Ok(key)
    } else {
        Err(arm::resource_not_found("Microsoft.DataProtection/backupVaults", &path.vault, &path.resource_group))
    }
}

fn vault<'a>(core: &'a Core, key: &str) -> Result<&'a Vault, ArmError> {
    core.world.vaults.get(key).ok_or_else(|| arm::parent_not_found(key))
}

/// The 429 ARM answers while another operation runs on the same resource (CONTRACT.md §6).
fn busy(name: &str) -> ArmError {
    ArmError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RetryableErrorDueToAnotherOperation",
        format!("Another operation is in progress on the backup instance '{name}'. Retry after it completes."),
    )
    .with_header(header::RETRY_AFTER, "1")
}

pub(super) fn instance(context: &Context<'_>, path: &VaultPath, name: &str) -> Result<Reply, ArmError> {
    match context.method {
        Method::GET | Method::HEAD => get(context, path, name),
        Method::PUT => put(context, path, name),
        Method::DELETE => delete(context, path, name),
        ref other => Err(arm::method_not_allowed(other.as_str())),
    }
}

fn get(context: &Context<'_>, path: &VaultPath, name: &str) -> Result<Reply, ArmError> {
    let mut core = lock(&context.state.core);
    let vault_key = vault_key(&core, path)?;
    let key = InstanceKey { vault: vault_key.clone(), name: name.to_ascii_lowercase() };
    core.world.observe_instance(&key, context.now);
    let Some(instance) = core.world.instance(&key) else {
        let kept = core.world.vaults.get(&vault_key).and_then(|vault| vault.deleted_instances.get(&key.name));
        return match kept {
            Some(deleted) if core.settings.soft_deleted_instances_visible => {
                Ok(Reply::json(StatusCode::OK, render_instance(&deleted.instance, &core.settings.spellings)))
            }
            _ => Err(not_found(&core, &vault_key, name, context)),
        };
    };
    let mut reply = Reply::json(StatusCode::OK, render_instance(instance, &core.settings.spellings));
    if instance.configuring.is_some() && core.settings.delay_on_instance_gets {
        // Protection is still being configured: say when to look again, with the ProtectionConfiguration timing.
        // (The real service sends no delay here; `delay_on_instance_gets: false` answers as it does.)
        let timing = core.settings.timing(OperationKind::ProtectionConfiguration);
        reply.headers.push((header::RETRY_AFTER, timing.retry_after_seconds.to_string()));
        if let Some(ms) = timing.retry_after_ms {
            reply.headers.push((axum::http::HeaderName::from_static("retry-after-ms"), ms.to_string()));
        }
    }
    Ok(reply)
}

fn not_found(core: &Core, vault_key: &str, name: &str, context: &Context<'_>) -> ArmError {
    let id = core
        .world
        .vaults
        .get(vault_key)
        .map_or_else(|| name.to_owned(), |vault| format!("{}/backupInstances/{name}", vault.id));
    arm::dpp_not_found("backup instance", &id, &context.activity_id)
}

fn put(context: &Context<'_>, path: &VaultPath, name: &str) -> Result<Reply, ArmError> {
    let body = context.required_body()?;
    context.check_schema("BackupInstanceResource", &body)?;
    let properties = body
        .get("properties")
        .ok_or_else(|| arm::dpp_invalid_input("the request has no 'properties'", &context.activity_id))?;
    let tags = body.get("tags").cloned();

    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    let vault_key = vault_key(core, path)?;
    let key = InstanceKey { vault: vault_key.clone(), name: name.to_ascii_lowercase() };
    if core.world.instance(&key).is_some_and(|instance| instance.pending_operation.is_some()) {
        return Err(busy(name));
    }
    super::require_always_on_soft_delete(context, &core.settings, &vault(core, &vault_key)?.properties)?;
    if let Some(limit) = core.settings.instance_writes_per_vault {
        let running = core
            .world
            .operations
            .values()
            .filter(|operation| {
                operation.kind == OperationKind::BackupInstanceCreateOrUpdate
                    && operation.status == crate::world::Status::InProgress
                    && matches!(&operation.target, Some(Target::Instance(other)) if other.vault == vault_key && other.name != key.name)
            })
            .count();
        if running >= limit as usize {
            return Err(ArmError::new(
                StatusCode::CONFLICT,
                "UserErrorConcurrentBackupInstanceOperation",
                format!(
                    "Another backup instance operation is in progress in the Backup vault. Concurrent creation or \
                     update of two or more backup instances in a vault is not supported; retry '{name}' after it \
                     completes."
                ),
            ));
        }
    }
    let plan = core.world.plan_instance(&vault_key, Some(name), properties, &context.activity_id)?;
    let permission_error = plan.permission_error.clone();
    let location = vault(core, &vault_key)?.location.clone();
    let created = core.world.upsert_instance(&vault_key, name, plan, tags);
    let kind = OperationKind::BackupInstanceCreateOrUpdate;
    let outcome = context.injected_outcome(core, kind).unwrap_or_else(|| match permission_error {
        Some(error) => (Planned::Fail(error.error_object(), 400), false),
        None => (Planned::Succeed, false),
    });
    let spec = OperationSpec {
        instance: Some(name.to_owned()),
        target: Some(Target::Instance(key.clone())),
        creates: created,
        configure_timing: Some(core.settings.timing(OperationKind::ProtectionConfiguration).clone()),
        ..vault_operation(context, core, path, kind, location, outcome)
    };
    let operation_id = core.world.start_operation(spec, context.now);
    let vault_id = vault(core, &vault_key)?.id.clone();
    let instance = core.world.instance(&key).ok_or_else(|| not_found(core, &vault_key, name, context))?;
    let instance_id = instance.id.clone();
    let operation = core
        .world
        .operations
        .get(&operation_id.to_ascii_lowercase())
        .ok_or_else(|| not_found(core, &vault_key, name, context))?;
    let headers = context.lro_headers(
        operation,
        Some(&format!("{vault_id}/operationStatus/{operation_id}")),
        Some(&format!("{instance_id}/operationResults/{operation_id}")),
    );
    // Recorded at 2025-07-01 and 2026-03-01, for creates and updates alike: 202 with no body; the instance is the
    // Location URL's final answer.
    Ok(Reply::empty(StatusCode::ACCEPTED).with_headers(headers))
}

fn delete(context: &Context<'_>, path: &VaultPath, name: &str) -> Result<Reply, ArmError> {
    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    let vault_key = vault_key(core, path)?;
    let key = InstanceKey { vault: vault_key.clone(), name: name.to_ascii_lowercase() };
    let Some(instance) = core.world.instance(&key) else {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    };
    if instance.pending_operation.is_some() {
        return Err(busy(name));
    }
    let instance_id = format!("{}/backupInstances/{}", vault(core, &vault_key)?.id, instance.name);
    super::guards::check_guarded_delete(
        core,
        &vault_key,
        &instance_id,
        "Microsoft.DataProtection/backupVaults/backupInstances/delete",
        context.now,
        &context.activity_id,
    )?;
    let location = vault(core, &vault_key)?.location.clone();
    let kind = OperationKind::BackupInstanceDelete;
    let outcome = context.injected_outcome(core, kind).unwrap_or((Planned::Succeed, false));
    if let Some(instance) = core.world.instance_mut(&key) {
        instance.provisioning_state = "Deleting".to_owned();
    }
    let spec = OperationSpec {
        instance: Some(name.to_owned()),
        target: Some(Target::Instance(key)),
        ..vault_operation(context, core, path, kind, location.clone(), outcome)
    };
    let operation_id = core.world.start_operation(spec, context.now);
    let operation = core
        .world
        .operations
        .get(&operation_id.to_ascii_lowercase())
        .ok_or_else(|| not_found(core, &vault_key, name, context))?;
    let vault_id = vault(core, &vault_key)?.id.clone();
    let headers = context.lro_headers(
        operation,
        Some(&format!("{vault_id}/operationStatus/{operation_id}")),
        Some(&format!("{}/operationResults/{operation_id}", location_scope(&path.subscription, &location))),
    );
    Ok(Reply::empty(StatusCode::ACCEPTED).with_headers(headers))
}

/// `/subscriptions/{s}/providers/Microsoft.DataProtection/locations/{location}`: where the service puts the
/// `Location` URLs of instance deletes, validations and actions.
pub(super) fn location_scope(subscription: &str, location: &str) -> String {
    format!("/subscriptions/{subscription}/providers/Microsoft.DataProtection/locations/{location}")
}

/// An operation of `kind` in the vault of `path`, as most are: on no particular resource, creating nothing, with no
/// protection to configure afterwards and no job; callers set what differs with struct update syntax.
pub(super) fn vault_operation(
    context: &Context<'_>,
    core: &Core,
    path: &VaultPath,
    kind: OperationKind,
    location: String,
    (planned, never_finish): (Planned, bool),
) -> OperationSpec {
    OperationSpec {
        kind,
        subscription: path.subscription.clone(),
        resource_group: Some(path.resource_group.clone()),
        vault: Some(path.vault.clone()),
        instance: None,
        location,
        target: None,
        timing: core.settings.timing(kind).clone(),
        planned,
        never_finish,
        api_version: context.api_version.clone(),
        creates: false,
        configure_timing: None,
        job: false,
    }
}

pub(super) fn list(context: &Context<'_>, path: &VaultPath) -> Result<Reply, ArmError> {
    if context.method != Method::GET && context.method != Method::HEAD {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let mut core = lock(&context.state.core);
    let vault_key = vault_key(&core, path)?;
    let page_size = core.settings.page_size.max(1);
    let after = context
        .query
        .get("$skipToken")
        .or_else(|| context.query.get("$skiptoken"))
        .map(|token| token.to_ascii_lowercase());
    let lower = after.as_ref().map_or(Bound::Unbounded, |token| Bound::Excluded(token.clone()));
    let vault = vault(&core, &vault_key)?;
    let vault_id = vault.id.clone();
    let names: Vec<String> =
        vault.instances.range((lower, Bound::Unbounded)).take(page_size + 1).map(|(name, _)| name.clone()).collect();
    let more = names.len() > page_size;
    let page: Vec<String> = names.into_iter().take(page_size).collect();
    let keys: Vec<InstanceKey> =
        page.iter().map(|name| InstanceKey { vault: vault_key.clone(), name: name.clone() }).collect();
    for key in &keys {
        core.world.observe_instance(key, context.now);
    }
    let next_link = match (more, page.last()) {
        (true, Some(last)) => {
            let token: String = url::form_urlencoded::byte_serialize(last.as_bytes()).collect();
            Some(format!("{}&$skipToken={token}", context.url(&format!("{vault_id}/backupInstances"))))
        }
        _ => None,
    };
    let spellings = &core.settings.spellings;
    let mut value: Vec<_> = keys
        .iter()
        .filter_map(|key| core.world.instance(key))
        .map(|instance| render_instance(instance, spellings))
        .collect();
    if next_link.is_none() && core.settings.soft_deleted_instances_listed {
        // The last page also holds the vault's soft-deleted instances, as a service that listed them would.
        let vault = self::vault(&core, &vault_key)?;
        value.extend(vault.deleted_instances.values().map(|deleted| render_instance(&deleted.instance, spellings)));
    }
    let body = ListView { value, next_link };
    Ok(Reply::json(StatusCode::OK, body))
}

/// `GET {vault}/deletedBackupInstances[/{name}]`: the soft-deleted instances (all on one page).
pub(super) fn deleted(context: &Context<'_>, path: &VaultPath, name: Option<&str>) -> Result<Reply, ArmError> {
    if context.method != Method::GET {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let core = lock(&context.state.core);
    let vault_key = vault_key(&core, path)?;
    let vault = vault(&core, &vault_key)?;
    match name {
        Some(name) => {
            let deleted = vault.deleted_instances.get(&name.to_ascii_lowercase()).ok_or_else(|| {
                arm::dpp_not_found(
                    "deleted backup instance",
                    &format!("{}/deletedBackupInstances/{name}", vault.id),
                    &context.activity_id,
                )
            })?;
            Ok(Reply::json(StatusCode::OK, render_deleted(&vault.id, deleted, &core.settings.spellings)))
        }
        None => {
            let value: Vec<Value> = vault
                .deleted_instances
                .values()
                .map(|deleted| render_deleted(&vault.id, deleted, &core.settings.spellings))
                .collect();
            Ok(Reply::json(StatusCode::OK, serde_json::json!({ "value": value })))
        }
    }
}

/// A soft-deleted instance as `DeletedBackupInstanceResource`.
fn render_deleted(vault_id: &str, deleted: &crate::world::DeletedInstance, spellings: &Spellings) -> Value {
    use crate::util::set_field;
    let mut value = serde_json::to_value(render_instance(&deleted.instance, spellings)).unwrap_or_default();
    set_field(&mut value, "id", format!("{vault_id}/deletedBackupInstances/{}", deleted.instance.name).into());
    set_field(&mut value, "type", "Microsoft.DataProtection/backupVaults/deletedBackupInstances".into());
    let deleted_at = crate::util::format_precise(deleted.deleted_ms);
    if let Some(properties) = value.get_mut("properties") {
        set_field(properties, "objectType", "DeletedBackupInstance".into());
        let info = serde_json::json!({
            "deletionTime": deleted_at,
            "billingEndDate": deleted_at,
            "scheduledPurgeTime": crate::util::format_precise(deleted.purge_ms),
            "deleteActivityID": deleted.activity_id,
        });
        set_field(properties, "deletionInfo", info);
    }
    value
}

/// `POST {vault}/deletedBackupInstances/{name}/undelete`: the instance comes back `ProtectionStopped`. The service
/// answered 200 with no body at once in a recorded run, though the spec allows 202; the emulator does the former.
pub(super) fn undelete(context: &Context<'_>, path: &VaultPath, name: &str) -> Result<Reply, ArmError> {
    if context.method != Method::POST {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    let vault_key = vault_key(core, path)?;
    let key = InstanceKey { vault: vault_key.clone(), name: name.to_ascii_lowercase() };
    let deleted =
        core.world.vaults.get_mut(&vault_key).and_then(|vault| vault.deleted_instances.remove(&key.name)).ok_or_else(
            || {
                ArmError::new(
                    StatusCode::NOT_FOUND,
                    "UserErrorGenericResourceNotFound",
                    "Azure resource does not exist. Please make sure required resources exist. If the issue persists, \
                 contact Microsoft support.",
                )
            },
        )?;
    let mut instance = deleted.instance;
    instance.protection_state = "ProtectionStopped".to_owned();
    // When another instance protects the datasource meanwhile, this one comes back without protecting it.
    let datasource_free = !core.world.protected.contains_key(&instance.datasource_key);
    core.world.insert_restored_instance(key, instance, datasource_free);
    Ok(Reply::empty(StatusCode::OK))
}

/// A page of instances.
#[derive(serde::Serialize)]
struct ListView<'a> {
    value: Vec<crate::world::InstanceView<'a>>,
    #[serde(rename = "nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

pub(super) fn validate_for_backup(context: &Context<'_>, path: &VaultPath) -> Result<Reply, ArmError> {
    if context.method != Method::POST {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let body = context.required_body()?;
    context.check_schema("ValidateForBackupRequest", &body)?;
    let backup_instance = body.get("backupInstance").cloned().unwrap_or(Value::Null);
    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    let vault_key = vault_key(core, path)?;
    super::require_always_on_soft_delete(context, &core.settings, &vault(core, &vault_key)?.properties)?;
    let plan = core.world.plan_instance(&vault_key, None, &backup_instance, &context.activity_id)?;
    let location = vault(core, &vault_key)?.location.clone();
    let kind = OperationKind::ValidateForBackup;
    let outcome = context.injected_outcome(core, kind).unwrap_or_else(|| match plan.permission_error {
        Some(error) => (Planned::Fail(error.error_object(), 400), false),
        None => (Planned::Succeed, false),
    });
    let spec = vault_operation(context, core, path, kind, location.clone(), outcome);
    let operation_id = core.world.start_operation(spec, context.now);
    let operation = core
        .world
        .operations
        .get(&operation_id.to_ascii_lowercase())
        .ok_or_else(|| arm::dpp_not_found("operation", &operation_id, &context.activity_id))?;
    let vault_id = vault(core, &vault_key)?.id.clone();
    let headers = context.lro_headers(
        operation,
        Some(&format!("{vault_id}/operationStatus/{operation_id}")),
        Some(&format!("{}/operationResults/{operation_id}", location_scope(&path.subscription, &location))),
    );
    Ok(Reply::empty(StatusCode::ACCEPTED).with_headers(headers))
}

pub(super) fn action(
    context: &Context<'_>,
    path: &VaultPath,
    name: &str,
    action: InstanceAction,
) -> Result<Reply, ArmError> {
    if context.method != Method::POST {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let (kind, definition, required) = match action {
        InstanceAction::AdhocBackup => (OperationKind::AdhocBackup, Some("TriggerBackupRequest"), true),
        InstanceAction::StopProtection => (OperationKind::StopProtection, Some("StopProtectionRequest"), false),
        InstanceAction::SuspendBackups => (OperationKind::SuspendBackups, Some("SuspendBackupRequest"), false),
        InstanceAction::ResumeProtection => (OperationKind::ResumeProtection, None, false),
        InstanceAction::ResumeBackups => (OperationKind::ResumeBackups, None, false),
        InstanceAction::Sync => (OperationKind::SyncBackupInstance, Some("SyncBackupInstanceRequest"), true),
        InstanceAction::ValidateForModifyBackup => {
            (OperationKind::ValidateForModifyBackup, Some("ValidateForModifyBackupRequest"), true)
        }
    };
    let mut body = None;
    if let Some(definition) = definition {
        match context.json_body()? {
            Some(value) => {
                context.check_schema(definition, &value)?;
                body = Some(value);
            }
            None if required => {
                return Err(arm::invalid_content("The request content is empty; a JSON body is required"));
            }
            None => {}
        }
    }
    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    let vault_key = vault_key(core, path)?;
    let key = InstanceKey { vault: vault_key.clone(), name: name.to_ascii_lowercase() };
    let Some(instance) = core.world.instance(&key) else {
        return Err(not_found(core, &vault_key, name, context));
    };
    if instance.pending_operation.is_some() {
        return Err(busy(name));
    }
    let critical = match action {
        InstanceAction::StopProtection => Some(super::guards::STOP_PROTECTION),
        InstanceAction::SuspendBackups => Some(super::guards::SUSPEND_BACKUPS),
        _ => None,
    };
    if let Some(operation) = critical {
        let requests: Vec<String> = body
            .as_ref()
            .and_then(|b| b.get("resourceGuardOperationRequests"))
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        super::guards::check_guarded_action(core, &vault_key, operation, &requests, &context.activity_id)?;
    }
    // Some kinds cannot stop protection (operational blob backup: only a delete ends it).
    if action == InstanceAction::StopProtection
        && let Some(error) = crate::world::kinds::of_instance(instance)
            .and_then(|kind| kind.refuse_stop_protection(instance, &context.activity_id))
    {
        return Err(error);
    }
    if action == InstanceAction::ResumeProtection {
        if let Some(protector) = core.world.protected.get(&instance.datasource_key).filter(|other| **other != key) {
            return Err(already_has_backup_instance(core, protector, context));
        }
        // Recorded: resuming an instance that is already protected is a synchronous 200 with no body and no
        // operation.
        if instance.protection_state == "ProtectionConfigured" {
            return Ok(Reply::empty(StatusCode::OK));
        }
    }
    // validateForModifyBackup runs the rules a PUT of its body would: what fails at once is this answer, and what
    // the PUT's protection would fail with ends this operation. The instance itself is left as it is.
    let validation = match action {
        InstanceAction::ValidateForModifyBackup => {
            let backup_instance = body.as_ref().and_then(|b| b.get("backupInstance")).unwrap_or(&Value::Null);
            super::require_always_on_soft_delete(context, &core.settings, &vault(core, &vault_key)?.properties)?;
            let plan = core.world.plan_instance(&vault_key, Some(name), backup_instance, &context.activity_id)?;
            Some(plan.permission_error)
        }
        _ => None,
    };
    let vault = vault(core, &vault_key)?;
    let (location, vault_id) = (vault.location.clone(), vault.id.clone());
    let outcome =
        context.injected_outcome(core, kind).unwrap_or_else(|| match validation.as_ref().and_then(Option::as_ref) {
            Some(error) => (Planned::Fail(error.error_object(), 400), false),
            None => (Planned::Succeed, false),
        });
    let spec = OperationSpec {
        instance: Some(name.to_owned()),
        // A validation works on no resource: the instance stays free for other operations, and unchanged.
        target: if validation.is_some() { None } else { Some(Target::Instance(key)) },
        job: matches!(action, InstanceAction::AdhocBackup | InstanceAction::ValidateForModifyBackup),
        ..vault_operation(context, core, path, kind, location.clone(), outcome)
    };
    let operation_id = core.world.start_operation(spec, context.now);
    let operation = core
        .world
        .operations
        .get(&operation_id.to_ascii_lowercase())
        .ok_or_else(|| arm::dpp_not_found("operation", &operation_id, &context.activity_id))?;
    let results = location_scope(&path.subscription, &location);
    // validateForModifyBackup (no recording) is followed as the emulator followed validateForBackup before the
    // recordings, at location scope; the other actions' status is at vault scope, as recorded.
    let status = if validation.is_some() {
        format!("{results}/operationStatus/{operation_id}")
    } else {
        format!("{vault_id}/operationStatus/{operation_id}")
    };
    let headers =
        context.lro_headers(operation, Some(&status), Some(&format!("{results}/operationResults/{operation_id}")));
    Ok(Reply::empty(StatusCode::ACCEPTED).with_headers(headers))
}

/// The service's synchronous 400 for resuming the protection of an instance whose datasource another instance
/// protects meanwhile (recorded: it names that instance's friendly name, its vault's full ID and its state).
fn already_has_backup_instance(core: &Core, protector: &InstanceKey, context: &Context<'_>) -> ArmError {
    let other = core.world.instance(protector);
    let friendly = other
        .and_then(|other| other.properties.get("friendlyName").and_then(Value::as_str).map(str::to_owned))
        .or_else(|| other.map(|other| other.name.clone()))
        .unwrap_or_else(|| protector.name.clone());
    let state = other.map_or("ProtectionConfigured", |other| other.protection_state.as_str());
    let vault_id = core.world.vaults.get(&protector.vault).map_or_else(|| protector.vault.clone(), |v| v.id.clone());
    ArmError::user_facing(
        StatusCode::BAD_REQUEST,
        "UserErrorDppDatasourceAlreadyHasBackupInstance",
        format!(
            "Datasource is already associated with the backup instance {friendly} in the Backup vault {vault_id} with \
             the protection status as {state}."
        ),
        &[&format!(
            "Delete the backup instance {friendly} from the Backup vault {vault_id} to re-protect the datasource in any \
             other vault"
        )],
        &context.activity_id,
    )
}

pub(super) fn protecting(context: &Context<'_>, resource_id: &str) -> Result<Reply, ArmError> {
    if context.method != Method::GET {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let core = lock(&context.state.core);
    let value: Vec<_> = core
        .world
        .protected
        .get(&ids::key(resource_id))
        .and_then(|key| core.world.instance(key))
        .map(|instance| render_instance(instance, &core.settings.spellings))
        .into_iter()
        .collect();
    let body = ListView { value, next_link: None };
    Ok(Reply::json(StatusCode::OK, body))
}
