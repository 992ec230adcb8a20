//! Resource guards (`ResourceGuards_*`) and a vault's association with one, its resource guard proxy
//! (`DppResourceGuardProxy_*`), with `unlockDelete`: multi-user authorisation.
//!
//! Evidence: the spec (synchronous PUT, PATCH of tags, DELETE; the proxy's GET, PUT, DELETE and `unlockDelete`
//! POST, and their shapes) and its examples as the SDKs quote them (a proxy lists, for each protected critical
//! operation, its `defaultResourceRequest` `{guard}/{requestType}/default`: `deleteBackupInstanceRequests` for
//! `Microsoft.DataProtection/backupVaults/backupInstances/delete`, `deleteResourceGuardProxyRequests` for
//! `Microsoft.DataProtection/backupVaults/backupResourceGuardProxies/delete`); Microsoft Learn and the Az
//! PowerShell and CLI extensions, which unlock the proxy's delete with `deleteResourceGuardProxyRequests/default`
//! before they remove it ("disable MUA"). Stopping protection and suspending backups are critical operations too:
//! the spec's examples `StopProtection` and `SuspendBackups` with MUA, and the Az PowerShell cmdlets' help ("use
//! this parameter when the operation is MUA protected"), send `resourceGuardOperationRequests` naming
//! `{guard}/dppDisableStopProtectionRequests/default` and `{guard}/dppDisableSuspendBackupsRequests/default`. The
//! error codes for a refused delete or action are guesses.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::instances::vault_key;
use super::{Context, Reply};
use crate::error::{ArmError, arm};
use crate::ids;
use crate::routes::VaultPath;
use crate::util::{format_precise, lock, set_field};
use crate::world::{GuardProxy, ResourceGuard};

/// How long an `unlockDelete` authorises the delete (a guess; the service answers the time).
const UNLOCK_MS: u64 = 30 * 60 * 1000;
/// The operation that deleting a proxy is: always protected.
const PROXY_DELETE: &str = "Microsoft.DataProtection/backupVaults/backupResourceGuardProxies/delete";
/// Stopping protection of a backup instance, a critical operation.
pub(super) const STOP_PROTECTION: &str = "Microsoft.DataProtection/backupVaults/backupInstances/stopProtection/action";
/// Suspending a backup instance's backups, a critical operation.
pub(super) const SUSPEND_BACKUPS: &str = "Microsoft.DataProtection/backupVaults/backupInstances/suspendBackups/action";
/// The backup vault critical operations the emulator names in a proxy, with their request types.
const OPERATIONS: &[(&str, &str)] = &[
    ("Microsoft.DataProtection/backupVaults/backupInstances/delete", "deleteBackupInstanceRequests"),
    (PROXY_DELETE, "deleteResourceGuardProxyRequests"),
    (STOP_PROTECTION, "dppDisableStopProtectionRequests"),
    (SUSPEND_BACKUPS, "dppDisableSuspendBackupsRequests"),
];

fn render_guard(guard: &ResourceGuard) -> Value {
    let operations: Vec<Value> = OPERATIONS
        .iter()
        .filter(|(op, _)| !guard.exclusions.iter().any(|e| e.eq_ignore_ascii_case(op)))
        .map(|(op, _)| json!({ "vaultCriticalOperation": op, "requestResourceType": "Microsoft.DataProtection/backupVaults" }))
        .collect();
    let mut value = json!({
        "id": guard.id,
        "name": guard.name,
        "type": "Microsoft.DataProtection/resourceGuards",
        "location": guard.location,
        "properties": {
            "provisioningState": "Succeeded",
            "allowAutoApprovals": true,
            "resourceGuardOperations": operations,
            "vaultCriticalOperationExclusionList": guard.exclusions,
            "description": "Please take JIT access before performing any of the critical operation",
        },
    });
    if let Some(tags) = &guard.tags {
        set_field(&mut value, "tags", tags.clone());
    }
    value
}

/// `ResourceGuards_Get`, `_Put`, `_Patch` (tags) and `_Delete`.
pub(super) fn guard(
    context: &Context<'_>,
    subscription: &str,
    resource_group: &str,
    name: &str,
) -> Result<Reply, ArmError> {
    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    let group_key = ids::resource_group_id(subscription, resource_group).to_ascii_lowercase();
    if !core.world.resource_groups.contains_key(&group_key) {
        return Err(arm::resource_group_not_found(resource_group));
    }
    let id = ids::resource_guard_id(subscription, resource_group, name);
    let key = id.to_ascii_lowercase();
    let not_found = || arm::resource_not_found("Microsoft.DataProtection/resourceGuards", name, resource_group);
    match context.method {
        Method::GET => {
            let found = core.world.resource_guards.get(&key).ok_or_else(not_found)?;
            Ok(Reply::json(StatusCode::OK, render_guard(found)))
        }
        Method::PUT => {
            let body = context.required_body()?;
            context.check_schema("ResourceGuardResource", &body)?;
            let location = body.get("location").and_then(Value::as_str).unwrap_or_default().to_owned();
            let exclusions: Vec<String> = body
                .pointer("/properties/vaultCriticalOperationExclusionList")
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            let tags = body.get("tags").cloned().filter(Value::is_object);
            let existed = core.world.resource_guards.contains_key(&key);
            let stored = ResourceGuard { id, name: name.to_owned(), location, tags, exclusions };
            let rendered = render_guard(&stored);
            core.world.resource_guards.insert(key, stored);
            Ok(Reply::json(if existed { StatusCode::OK } else { StatusCode::CREATED }, rendered))
        }
        Method::PATCH => {
            let body = context.required_body()?;
            context.check_schema("PatchResourceGuardInput", &body)?;
            let found = core.world.resource_guards.get_mut(&key).ok_or_else(not_found)?;
            if let Some(tags) = body.get("tags") {
                found.tags = Some(tags.clone()).filter(Value::is_object);
            }
            Ok(Reply::json(StatusCode::OK, render_guard(found)))
        }
        Method::DELETE => {
            // A guard that vaults are associated with is not deleted (a guess at the rule and its code).
            let users: Vec<String> = core
                .world
                .vaults
                .values()
                .filter(|v| v.guard_proxy.as_ref().is_some_and(|p| p.guard_id.eq_ignore_ascii_case(&key)))
                .map(|v| v.id.clone())
                .collect();
            if !users.is_empty() {
                return Err(ArmError::user_facing(
                    StatusCode::CONFLICT,
                    "UserErrorResourceGuardInUse",
                    format!("The resource guard {id} is associated with backup vaults: {}.", users.join(", ")),
                    &["Remove the resource guard association of each vault, then delete the resource guard."],
                    &context.activity_id,
                ));
            }
            Ok(match core.world.resource_guards.remove(&key) {
                Some(_) => Reply::empty(StatusCode::OK),
                None => Reply::empty(StatusCode::NO_CONTENT),
            })
        }
        _ => Err(arm::method_not_allowed(context.method.as_str())),
    }
}

fn render_proxy(vault_id: &str, proxy: &GuardProxy, guard: Option<&ResourceGuard>) -> Value {
    let details: Vec<Value> = OPERATIONS
        .iter()
        .filter(|(op, _)| {
            *op == PROXY_DELETE || !guard.is_some_and(|g| g.exclusions.iter().any(|e| e.eq_ignore_ascii_case(op)))
        })
        .map(|(op, request)| {
            json!({ "vaultCriticalOperation": op, "defaultResourceRequest": format!("{}/{request}/default", proxy.guard_id) })
        })
        .collect();
    json!({
        "id": format!("{vault_id}/backupResourceGuardProxies/{}", proxy.name),
        "name": proxy.name,
        "type": "Microsoft.DataProtection/vaults/backupResourceGuardProxies",
        "properties": {
            "resourceGuardResourceId": proxy.guard_id,
            "resourceGuardOperationDetails": details,
            "lastUpdatedTime": proxy.last_updated,
            "description": "Please take JIT access before performing any of the critical operation",
        },
    })
}

/// `DppResourceGuardProxy_Get`, `_CreateOrUpdate` and `_Delete`. A vault has one proxy; its delete needs an
/// `unlockDelete` that names it (Microsoft Learn: disabling MUA is itself a protected operation).
pub(super) fn proxy(context: &Context<'_>, path: &VaultPath, name: &str) -> Result<Reply, ArmError> {
    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    let key = vault_key(core, path)?;
    let now = context.now;
    let proxy_id = |vault_id: &str| format!("{vault_id}/backupResourceGuardProxies/{name}");
    match context.method {
        Method::GET => {
            let vault = core.world.vaults.get(&key).ok_or_else(|| arm::parent_not_found(&key))?;
            let found = vault.guard_proxy.as_ref().filter(|p| p.name.eq_ignore_ascii_case(name));
            let found = found.ok_or_else(|| {
                arm::dpp_not_found("resource guard proxy", &proxy_id(&vault.id), &context.activity_id)
            })?;
            let guard = core.world.resource_guards.get(&found.guard_id.to_ascii_lowercase());
            Ok(Reply::json(StatusCode::OK, render_proxy(&vault.id, found, guard)))
        }
        Method::PUT => {
            let body = context.required_body()?;
            context.check_schema("ResourceGuardProxyBaseResource", &body)?;
            let guard_id = body
                .pointer("/properties/resourceGuardResourceId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if !core.world.resource_guards.contains_key(&guard_id.to_ascii_lowercase()) {
                return Err(arm::dpp_invalid_input(
                    format!("the resource guard '{guard_id}' does not exist"),
                    &context.activity_id,
                ));
            }
            let vault = core.world.vaults.get_mut(&key).ok_or_else(|| arm::parent_not_found(&key))?;
            if let Some(existing) = &vault.guard_proxy
                && !existing.guard_id.eq_ignore_ascii_case(&guard_id)
            {
                // Changing the guard would lift the old guard's protection without its authorisation (a guess).
                return Err(ArmError::user_facing(
                    StatusCode::BAD_REQUEST,
                    "UserErrorResourceGuardProxyAlreadyExists",
                    format!(
                        "The backup vault {} is already associated with the resource guard {}.",
                        vault.id, existing.guard_id
                    ),
                    &["Remove the existing resource guard association first."],
                    &context.activity_id,
                ));
            }
            let proxy =
                GuardProxy { name: name.to_owned(), guard_id, last_updated: format_precise(now), unlocked: Vec::new() };
            vault.guard_proxy = Some(proxy);
            let vault_id = vault.id.clone();
            let stored = vault.guard_proxy.as_ref().ok_or_else(|| arm::parent_not_found(&key))?;
            let guard = core.world.resource_guards.get(&stored.guard_id.to_ascii_lowercase());
            Ok(Reply::json(StatusCode::OK, render_proxy(&vault_id, stored, guard)))
        }
        Method::DELETE => {
            let vault = core.world.vaults.get_mut(&key).ok_or_else(|| arm::parent_not_found(&key))?;
            let Some(existing) = vault.guard_proxy.as_ref().filter(|p| p.name.eq_ignore_ascii_case(name)) else {
                return Ok(Reply::empty(StatusCode::NO_CONTENT));
            };
            let id = proxy_id(&vault.id).to_ascii_lowercase();
            let unlocked = existing.unlocked.iter().any(|(resource, until)| *resource == id && *until >= now);
            if !unlocked {
                return Err(ArmError::user_facing(
                    StatusCode::BAD_REQUEST,
                    "UserErrorMUAOperationNotUnlocked",
                    format!(
                        "The operation {PROXY_DELETE} is protected by the resource guard {}: unlock it with unlockDelete \
                         before deleting the resource guard proxy.",
                        existing.guard_id
                    ),
                    &[
                        "Call unlockDelete on the resource guard proxy with its deleteResourceGuardProxyRequests request, then retry.",
                    ],
                    &context.activity_id,
                ));
            }
            vault.guard_proxy = None;
            Ok(Reply::empty(StatusCode::OK))
        }
        _ => Err(arm::method_not_allowed(context.method.as_str())),
    }
}

/// `DppResourceGuardProxy_UnlockDelete`: authorises one delete of `resourceToBeDeleted` for [`UNLOCK_MS`] when
/// `resourceGuardOperationRequests` names the proxy's request for that operation.
pub(super) fn unlock_delete(context: &Context<'_>, path: &VaultPath, name: &str) -> Result<Reply, ArmError> {
    if context.method != Method::POST {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    let body = context.required_body()?;
    context.check_schema("UnlockDeleteRequest", &body)?;
    let mut guard = lock(&context.state.core);
    let core = &mut *guard;
    let key = vault_key(core, path)?;
    let now = context.now;
    let vault = core.world.vaults.get_mut(&key).ok_or_else(|| arm::parent_not_found(&key))?;
    let vault_id = vault.id.clone();
    let proxy = vault.guard_proxy.as_mut().filter(|p| p.name.eq_ignore_ascii_case(name)).ok_or_else(|| {
        arm::dpp_not_found(
            "resource guard proxy",
            &format!("{vault_id}/backupResourceGuardProxies/{name}"),
            &context.activity_id,
        )
    })?;
    let resource = body.get("resourceToBeDeleted").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let requests: Vec<String> = body
        .get("resourceGuardOperationRequests")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).map(str::to_ascii_lowercase).collect())
        .unwrap_or_default();
    let request_type = if resource.contains("/backupresourceguardproxies/") {
        "deleteResourceGuardProxyRequests"
    } else {
        "deleteBackupInstanceRequests"
    };
    let expected = format!("{}/{request_type}/default", proxy.guard_id).to_ascii_lowercase();
    if resource.is_empty() || !requests.contains(&expected) {
        return Err(arm::dpp_invalid_input(
            format!("resourceGuardOperationRequests must name {expected} to unlock the delete of '{resource}'"),
            &context.activity_id,
        ));
    }
    let until = now + UNLOCK_MS;
    proxy.unlocked.retain(|(_, end)| *end >= now);
    proxy.unlocked.push((resource, until));
    Ok(Reply::json(StatusCode::OK, json!({ "unlockDeleteExpiryTime": format_precise(until) })))
}

/// A critical operation's delete in a vault that a resource guard protects: allowed when the guard excludes the
/// operation or an `unlockDelete` named the object (the authorisation is used up), else 400
/// `UserErrorMUAOperationNotUnlocked` (the code is a guess; the rule is Microsoft Learn's, "Multi-user
/// authorization using Resource Guard": deleting a backup instance of a protected Backup vault needs the guard's
/// authorisation).
pub(super) fn check_guarded_delete(
    core: &mut crate::state::Core,
    vault_key: &str,
    resource_id: &str,
    operation: &str,
    now: u64,
    activity_id: &str,
) -> Result<(), ArmError> {
    let Some(vault) = core.world.vaults.get_mut(vault_key) else { return Ok(()) };
    let Some(proxy) = vault.guard_proxy.as_mut() else { return Ok(()) };
    let excluded = core
        .world
        .resource_guards
        .get(&proxy.guard_id.to_ascii_lowercase())
        .is_some_and(|g| g.exclusions.iter().any(|e| e.eq_ignore_ascii_case(operation)));
    if excluded {
        return Ok(());
    }
    let resource = resource_id.to_ascii_lowercase();
    if let Some(index) = proxy.unlocked.iter().position(|(r, until)| *r == resource && *until >= now) {
        proxy.unlocked.remove(index);
        return Ok(());
    }
    Err(ArmError::user_facing(
        StatusCode::BAD_REQUEST,
        "UserErrorMUAOperationNotUnlocked",
        format!(
            "The operation {operation} is protected by the resource guard {}: unlock it with unlockDelete before \
             deleting {resource_id}.",
            proxy.guard_id
        ),
        &[
            "Ask an approver on the resource guard for access, call unlockDelete on the vault's resource guard proxy, then retry.",
        ],
        activity_id,
    ))
}

/// A critical action (stop protection, suspend backups) on an instance of a vault that a resource guard protects:
/// allowed when the guard excludes the operation or `requests` (the body's `resourceGuardOperationRequests`) names
/// the proxy's request for it; else 400 `UserErrorResourceGuardOperationRequestMissing` (the code is a guess). The
/// caller's rights on the guard, which Azure then checks, are not.
pub(super) fn check_guarded_action(
    core: &crate::state::Core,
    vault_key: &str,
    operation: &str,
    requests: &[String],
    activity_id: &str,
) -> Result<(), ArmError> {
    let Some(proxy) = core.world.vaults.get(vault_key).and_then(|vault| vault.guard_proxy.as_ref()) else {
        return Ok(());
    };
    let excluded = core
        .world
        .resource_guards
        .get(&proxy.guard_id.to_ascii_lowercase())
        .is_some_and(|g| g.exclusions.iter().any(|e| e.eq_ignore_ascii_case(operation)));
    let Some((_, request_type)) = OPERATIONS.iter().find(|(op, _)| op.eq_ignore_ascii_case(operation)) else {
        return Ok(());
    };
    let expected = format!("{}/{request_type}/default", proxy.guard_id);
    if excluded || requests.iter().any(|r| r.eq_ignore_ascii_case(&expected)) {
        return Ok(());
    }
    Err(ArmError::user_facing(
        StatusCode::BAD_REQUEST,
        "UserErrorResourceGuardOperationRequestMissing",
        format!(
            "The operation {operation} is protected by the resource guard {}: resourceGuardOperationRequests must \
             name {expected}.",
            proxy.guard_id
        ),
        &["Get access to the resource guard (Backup MUA Operator) and send its operation request with the call."],
        activity_id,
    ))
}
