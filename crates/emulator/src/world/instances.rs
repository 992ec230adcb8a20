//! Backup instances: the rules Azure applies before protecting a datasource, and the instance's states.

use crate::settings::Spellings;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::kinds::{self, InstanceRequest};
use super::{Instance, InstanceKey, Vault, World};
use crate::error::{ArmError, arm};
use crate::ids::ArmId;

/// The properties of a `BackupInstance` a client may set; everything else in a request is dropped, and the
/// read-only ones are computed.
const CLIENT_PROPERTIES: &[&str] = &[
    "friendlyName",
    "dataSourceInfo",
    "dataSourceSetInfo",
    "policyInfo",
    "resourceGuardOperationRequests",
    "datasourceAuthCredentials",
    "validationType",
    "identityDetails",
    "objectType",
];

/// What the rules found out about a backup instance request.
#[derive(Debug)]
pub(crate) struct InstancePlan {
    pub datasource_key: String,
    pub policy_key: String,
    /// The properties to store.
    pub properties: Map<String, Value>,
    /// The failure the operation will end with, if any: a missing role or a prerequisite the service checks
    /// while it works.
    pub permission_error: Option<ArmError>,
}

/// `protectionStatus.status` for a `currentProtectionState`.
pub(crate) fn protection_status_for(state: &str) -> &str {
    match state {
        "UpdatingProtection" => "ConfiguringProtection",
        "BackupSchedulesSuspended" | "RetentionSchedulesSuspended" => "ProtectionStopped",
        other => other,
    }
}

/// A `UserFacingError` built from an operation's error object, for `protectionStatus.errorDetails`.
pub(crate) fn user_facing_from_error(error: &Value) -> Value {
    if let Some(info) = error
        .get("additionalInfo")
        .and_then(Value::as_array)
        .and_then(|items| items.iter().find(|item| item.get("type").and_then(Value::as_str) == Some("UserFacingError")))
        .and_then(|item| item.get("info"))
    {
        // protectionStatus.errorDetails follows the schema, where these fields are not nullable.
        let mut info = info.clone();
        if let Some(object) = info.as_object_mut() {
            object.retain(|_, value| !value.is_null());
        }
        return info;
    }
    let code = error.get("code").and_then(Value::as_str).unwrap_or("InternalError");
    let message = error.get("message").and_then(Value::as_str).unwrap_or("The operation failed.");
    json!({ "code": code, "message": message, "recommendedAction": [], "isRetryable": false, "isUserError": false })
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

impl World {
    /// Applies Azure's rules to a backup instance that `instance_name` (for a PUT) or a validateForBackup request
    /// describes. Synchronous failures are errors; a missing permission is reported in the plan, because the
    /// service reports it when the operation ends (CONTRACT.md §4).
    pub fn plan_instance(
        &self,
        vault_key: &str,
        instance_name: Option<&str>,
        properties: &Value,
        activity_id: &str,
    ) -> Result<InstancePlan, ArmError> {
        let invalid = |detail: String| arm::dpp_invalid_input(detail, activity_id);
        let vault = self.vaults.get(vault_key).ok_or_else(|| arm::parent_not_found(vault_key))?;
        let object = properties.as_object().ok_or_else(|| invalid("'properties' must be an object".to_owned()))?;
        match object.get("objectType").and_then(Value::as_str) {
            Some("BackupInstance") => {}
            Some(other) => {
                return Err(invalid(format!("objectType '{other}' is not valid here; expected 'BackupInstance'")));
            }
            None => return Err(invalid("properties.objectType is required".to_owned())),
        }
        for (field, expected) in [("dataSourceInfo", "Datasource"), ("dataSourceSetInfo", "DatasourceSet")] {
            if let Some(object_type) = text(properties, &format!("/{field}/objectType"))
                && object_type != expected
            {
                return Err(invalid(format!("{field}.objectType '{object_type}' is not valid; expected '{expected}'")));
            }
        }

        let policy_id = text(properties, "/policyInfo/policyId").unwrap_or_default();
        let policy = ArmId::parse(policy_id)
            .filter(|id| id.is_type("Microsoft.DataProtection", &["backupVaults", "backupPolicies"]))
            .ok_or_else(|| invalid(format!("policyInfo.policyId '{policy_id}' is not a backup policy ID")))?;
        let policy_key = policy.key();
        let policy_vault_key = policy_key.rsplit_once("/backuppolicies/").map(|(vault, _)| vault).unwrap_or_default();
        if policy_vault_key != vault_key {
            return Err(invalid(format!("the policy '{policy_id}' belongs to another vault than '{}'", vault.id)));
        }
        if !vault.policies.contains_key(&policy.name().to_ascii_lowercase()) {
            return Err(arm::dpp_not_found("backup policy", policy_id, activity_id));
        }

        let datasource_id = text(properties, "/dataSourceInfo/resourceID").unwrap_or_default();
        let datasource = ArmId::parse(datasource_id).ok_or_else(|| {
            invalid(format!("dataSourceInfo.resourceID '{datasource_id}' is not a valid ARM resource ID"))
        })?;
        let datasource_type = text(properties, "/dataSourceInfo/datasourceType").unwrap_or_default();
        let named_kind = kinds::named(datasource_type);
        if let Some(kind) = named_kind
            && !kind.resource_type().is_id_of(&datasource)
        {
            return Err(invalid(format!(
                "dataSourceInfo.resourceID '{datasource_id}' is not a {} ID",
                kind.resource_type().noun()
            )));
        }
        let kind = named_kind.or_else(|| kinds::owning_untyped(&datasource));
        let datasource_key = datasource.key();
        let existing = instance_name.and_then(|name| vault.instances.get(&name.to_ascii_lowercase()));
        if let Some(existing) = existing
            && existing.datasource_key != datasource_key
        {
            return Err(invalid(format!(
                "the datasource of backup instance '{}' cannot be changed (it protects another resource)",
                existing.name
            )));
        }

        if let Some(kind) = kind
            && kind.reports_missing_first()
        {
            kind.check_exists(self, &datasource, activity_id)?;
        }
        // A soft-deleted instance of the datasource in this vault: the service does not protect the item again in
        // the same vault until it is undeleted or purged (another vault may).
        if let Some(deleted) = vault.deleted_instances.values().find(|d| d.instance.datasource_key == datasource_key) {
            let name = &deleted.instance.name;
            return Err(ArmError::user_facing(
                StatusCode::BAD_REQUEST,
                "UserErrorDppDatasourceAlreadyHasBackupInstance",
                format!(
                    "Datasource is already associated with the backup instance {name} in the Backup vault {} with \
                     the protection status as SoftDeleted.",
                    vault.id
                ),
                &[&format!(
                    "Undelete the backup instance {name} in the Backup vault {} and resume its protection, or protect \
                     the datasource in another vault.",
                    vault.id
                )],
                activity_id,
            ));
        }
        if let Some(protector) = self.protected.get(&datasource_key) {
            let same_instance = instance_name
                .is_some_and(|name| protector.vault == vault_key && protector.name == name.to_ascii_lowercase());
            if !same_instance {
                return Err(self.already_protected(protector, activity_id));
            }
        }

        let mut permission_error = None;
        if let Some(kind) = kind {
            if !kind.reports_missing_first() {
                kind.check_exists(self, &datasource, activity_id)?;
            }
            let policy_properties = vault
                .policies
                .get(&policy.name().to_ascii_lowercase())
                .map_or(&Value::Null, |policy| &policy.properties);
            // The policy must be one for the datasource's type.
            let policy_types = kinds::policy_types(policy_properties);
            if named_kind.is_some() && !policy_types.iter().any(|t| t.eq_ignore_ascii_case(datasource_type)) {
                return Err(ArmError::user_facing(
                    StatusCode::BAD_REQUEST,
                    "UserErrorDatasourceAndPolicyTypeMismatch",
                    format!(
                        "The datasource type '{datasource_type}' does not match the datasource types of the backup \
                         policy '{policy_id}' ({}).",
                        policy_types.join(", ")
                    ),
                    &["Use a backup policy made for this datasource type."],
                    activity_id,
                ));
            }
            let request = InstanceRequest {
                vault,
                datasource: &datasource,
                properties,
                policy: policy_properties,
                policy_key: &policy_key,
                existing,
                activity_id,
            };
            permission_error = kind.check_instance(self, &request)?;
        }

        let mut stored = Map::new();
        for key in CLIENT_PROPERTIES {
            if let Some(value) = object.get(*key) {
                stored.insert((*key).to_owned(), value.clone());
            }
        }
        if let Some(policy_info) = stored.get_mut("policyInfo").and_then(Value::as_object_mut) {
            policy_info.remove("policyVersion");
        }
        if !stored.contains_key("friendlyName") {
            let friendly = text(properties, "/dataSourceInfo/resourceName")
                .filter(|name| !name.is_empty())
                .map_or_else(|| datasource.name().to_owned(), str::to_owned);
            stored.insert("friendlyName".to_owned(), Value::String(friendly));
        }
        Ok(InstancePlan { datasource_key, policy_key, properties: stored, permission_error })
    }

    fn already_protected(&self, protector: &InstanceKey, activity_id: &str) -> ArmError {
        let vault_id =
            self.vaults.get(&protector.vault).map_or_else(|| protector.vault.clone(), |vault| vault.id.clone());
        let instance_name =
            self.instance(protector).map_or_else(|| protector.name.clone(), |instance| instance.name.clone());
        ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            "UserErrorDppDatasourceAlreadyProtected",
            format!("Datasource is already protected under the Backup vault {vault_id}."),
            &[&format!(
                "Delete the backup instance {instance_name} from the Backup vault {vault_id} to re-protect the \
                 datasource in any other vault."
            )],
            activity_id,
        )
    }

    /// Stores a new or updated instance (before its operation starts). Returns whether it was created.
    pub fn upsert_instance(&mut self, vault_key: &str, name: &str, plan: InstancePlan, tags: Option<Value>) -> bool {
        let key = InstanceKey { vault: vault_key.to_owned(), name: name.to_ascii_lowercase() };
        let Some(vault) = self.vaults.get_mut(vault_key) else { return false };
        let created;
        let old_policy;
        match vault.instances.get_mut(&key.name) {
            Some(instance) => {
                created = false;
                old_policy = Some(std::mem::replace(&mut instance.policy_key, plan.policy_key.clone()));
                instance.properties = plan.properties;
                instance.tags = tags;
                instance.provisioning_state = "Updating".to_owned();
                instance.protection_state = "UpdatingProtection".to_owned();
                instance.configuring = None;
            }
            None => {
                created = true;
                old_policy = None;
                let id = format!("{}/backupInstances/{name}", vault.id);
                vault.instances.insert(
                    key.name.clone(),
                    Instance {
                        id,
                        name: name.to_owned(),
                        properties: plan.properties,
                        tags,
                        datasource_key: plan.datasource_key.clone(),
                        policy_key: plan.policy_key.clone(),
                        provisioning_state: "Provisioning".to_owned(),
                        protection_state: "ConfiguringProtection".to_owned(),
                        protection_error: None,
                        pending_operation: None,
                        configuring: None,
                    },
                );
            }
        }
        if let Some(old_policy) = old_policy
            && let Some(users) = self.policy_users.get_mut(&old_policy)
        {
            users.remove(&key);
        }
        self.policy_users.entry(plan.policy_key).or_default().insert(key.clone());
        self.protected.insert(plan.datasource_key, key);
        created
    }

    /// Inserts an instance as it is (seeding and persistence).
    pub(super) fn insert_instance(&mut self, key: InstanceKey, instance: Instance) {
        self.policy_users.entry(instance.policy_key.clone()).or_default().insert(key.clone());
        self.protected.insert(instance.datasource_key.clone(), key.clone());
        if let Some(vault) = self.vaults.get_mut(&key.vault) {
            vault.instances.insert(key.name, instance);
        }
    }

    /// Deletes an instance: soft-deleted (kept as `SoftDeleted` for the retention) when its vault's soft delete
    /// is `On` or `AlwaysOn`, removed at once when it is `Off`.
    pub fn delete_instance(&mut self, key: &InstanceKey, now_ms: u64) {
        let retention = self.vaults.get(&key.vault).map(Vault::soft_delete).filter(|(state, _)| *state != "Off");
        let Some(days) = retention.map(|(_, days)| days) else {
            self.remove_instance(key);
            return;
        };
        let Some(mut instance) = self.remove_instance(key) else { return };
        instance.protection_state = "SoftDeleted".to_owned();
        instance.provisioning_state = "Succeeded".to_owned();
        instance.pending_operation = None;
        instance.configuring = None;
        let deleted = super::DeletedInstance {
            instance,
            deleted_ms: now_ms,
            purge_ms: now_ms + days * 86_400_000,
            activity_id: crate::util::new_uuid(),
        };
        if let Some(vault) = self.vaults.get_mut(&key.vault) {
            vault.deleted_instances.insert(key.name.clone(), deleted);
        }
    }

    /// Puts back an undeleted instance; it protects its datasource again when no other instance does.
    pub fn insert_restored_instance(&mut self, key: InstanceKey, instance: Instance, protects: bool) {
        if protects {
            self.insert_instance(key, instance);
        } else {
            self.policy_users.entry(instance.policy_key.clone()).or_default().insert(key.clone());
            if let Some(vault) = self.vaults.get_mut(&key.vault) {
                vault.instances.insert(key.name, instance);
            }
        }
    }

    /// Removes an instance and its index entries; returns it.
    pub fn remove_instance(&mut self, key: &InstanceKey) -> Option<Instance> {
        let instance = self.vaults.get_mut(&key.vault).and_then(|vault| vault.instances.remove(&key.name))?;
        if let Some(users) = self.policy_users.get_mut(&instance.policy_key) {
            users.remove(key);
            if users.is_empty() {
                self.policy_users.remove(&instance.policy_key);
            }
        }
        if self.protected.get(&instance.datasource_key) == Some(key) {
            self.protected.remove(&instance.datasource_key);
        }
        Some(instance)
    }

    /// Brings an instance up to date before it is shown: counts the read towards its running operation or its
    /// protection configuration.
    pub fn observe_instance(&mut self, key: &InstanceKey, now_ms: u64) {
        let pending = self.instance(key).and_then(|instance| instance.pending_operation.clone());
        if let Some(operation) = pending {
            self.observe_operation(&operation, now_ms);
            return;
        }
        if let Some(instance) = self.instance_mut(key)
            && let Some(progress) = instance.configuring.as_mut()
            && progress.observe(now_ms)
        {
            instance.configuring = None;
            if instance.protection_state == "ConfiguringProtection" {
                instance.protection_state = "ProtectionConfigured".to_owned();
            }
        }
    }
}

/// The ARM representation of an instance, serialized straight from the instance (no copy of its properties),
/// since GET and List of instances are the hottest paths.
#[derive(serde::Serialize)]
pub(crate) struct InstanceView<'a> {
    id: String,
    name: &'a str,
    #[serde(rename = "type")]
    resource_type: &'static str,
    properties: PropertiesView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a Value>,
}

#[derive(serde::Serialize)]
struct PropertiesView<'a> {
    #[serde(flatten)]
    client: std::borrow::Cow<'a, Map<String, Value>>,
    #[serde(rename = "provisioningState")]
    provisioning_state: &'a str,
    #[serde(rename = "currentProtectionState")]
    protection_state: &'a str,
    #[serde(rename = "protectionStatus")]
    protection_status: StatusView<'a>,
    #[serde(rename = "protectionErrorDetails", skip_serializing_if = "Option::is_none")]
    protection_error: Option<&'a Value>,
}

#[derive(serde::Serialize)]
struct StatusView<'a> {
    status: &'a str,
    #[serde(rename = "errorDetails", skip_serializing_if = "Option::is_none")]
    error_details: Option<&'a Value>,
}

/// The ARM representation of an instance: its ID as the request spelled it, and `dataSourceInfo.resourceID` with
/// `/resourcegroups/` when the scenario asks for that recorded spelling.
pub(crate) fn render_instance<'a>(instance: &'a Instance, spellings: &Spellings) -> InstanceView<'a> {
    let mut client = std::borrow::Cow::Borrowed(&instance.properties);
    if spellings.datasource_id_lower_case_resource_groups
        && let Some(id) = instance.properties.get("dataSourceInfo").and_then(|info| info.get("resourceID"))
        && let Some(text) = id.as_str()
    {
        let lower = lower_case_resource_groups(text);
        if let Some(info) = client.to_mut().get_mut("dataSourceInfo") {
            crate::util::set_field(info, "resourceID", lower.into());
        }
    }
    InstanceView {
        id: instance.id.clone(),
        name: &instance.name,
        resource_type: "Microsoft.DataProtection/backupVaults/backupInstances",
        properties: PropertiesView {
            client,
            provisioning_state: &instance.provisioning_state,
            protection_state: &instance.protection_state,
            protection_status: StatusView {
                status: protection_status_for(&instance.protection_state),
                error_details: instance.protection_error.as_ref(),
            },
            protection_error: instance.protection_error.as_ref(),
        },
        tags: instance.tags.as_ref(),
    }
}

/// An ARM ID with its `resourceGroups` segment spelled `resourcegroups`.
fn lower_case_resource_groups(id: &str) -> String {
    id.split('/')
        .map(|segment| if segment.eq_ignore_ascii_case("resourceGroups") { "resourcegroups" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}
