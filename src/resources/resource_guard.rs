//! `dataprotection_resource_guard`: a resource guard (Microsoft.DataProtection resource guard), the object of
//! multi-user authorisation. A vault associated with it
//! ([`super::resource_guard_association`]) needs, for each critical operation the guard protects, an
//! authorisation that only someone with rights on the guard can give.
//!
//! Lifecycle: validate checks names, IDs and the operation names offline; apply PUTs the guard (Azure answers
//! synchronously) for a create and for a change of the exclusion list or tags (the PUT carries everything this
//! resource owns, and the guard has nothing else a client sets); destroy DELETEs it and confirms the 404.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use crate::arm::error::ArmError;
use crate::arm::ids::{ResourceGroupId, ResourceGuardId};
use crate::arm::models::{ResourceGuard, ResourceGuardResource};
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::interface::{ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, ReadResponse};
use crate::plugin::schema::{Block, Schema};
use crate::plugin::value::{Type, Value};

use super::common::{self, DEFAULT_TIMEOUTS, arm_error};
use super::managed::{Call, ManagedResource, PlanContext};
use super::model::{self, Spelling};

/// The resource type name.
pub const TYPE_NAME: &str = "dataprotection_resource_guard";

/// The critical operations of a backup vault a resource guard protects, by the names Azure's API takes (Microsoft
/// Learn, "Multi-user authorization", Backup vault critical operations, with the API values azurerm documents).
pub const BACKUP_VAULT_OPERATIONS: &[&str] = &[
    "Microsoft.DataProtection/backupVaults/backupInstances/delete",
    "Microsoft.DataProtection/backupVaults/backupInstances/write",
    "Microsoft.DataProtection/backupVaults/backupInstances/stopProtection/action",
    "Microsoft.DataProtection/backupVaults/backupInstances/suspendBackups/action",
    "Microsoft.DataProtection/backupVaults/backupInstances/restore/action",
    "Microsoft.DataProtection/backupVaults/write#reduceImmutabilityState",
    "Microsoft.DataProtection/backupVaults/write#modifyEncryptionSettings",
];

/// The critical operations of a Recovery Services vault: one guard may protect both kinds of vault.
pub const RECOVERY_SERVICES_OPERATIONS: &[&str] = &[
    "Microsoft.RecoveryServices/vaults/backupconfig/delete",
    "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/delete",
    "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/write",
    "Microsoft.RecoveryServices/vaults/backupResourceGuardProxies/write",
    "Microsoft.RecoveryServices/vaults/backupPolicies/write",
    "Microsoft.RecoveryServices/vaults/backupSecurityPIN/action",
    "Microsoft.RecoveryServices/vaults/backupEncryptionConfigs/backupResourceEncryptionConfig/write",
    "Microsoft.RecoveryServices/vaults/write#modifyEncryptionSettings",
    "Microsoft.RecoveryServices/vaults/write#reduceImmutabilityState",
    "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints/restore/action",
    "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/delete",
];

/// The `dataprotection_resource_guard` resource.
#[derive(Debug, Default)]
pub struct ResourceGuardType;

// ---------------------------------------------------------------------------------------------------------------
// Model

/// The arguments of a planned resource guard, all known.
#[derive(Clone, Debug, PartialEq)]
struct Model {
    id: ResourceGuardId,
    location: String,
    exclusions: Option<BTreeSet<String>>,
    tags: Option<BTreeMap<String, String>>,
}

impl Model {
    fn from_value(value: &Value) -> Option<Model> {
        let arguments = GuardObject::read_arguments(value)?;
        let group: ResourceGroupId = arguments.resource_group_id?.parse().ok()?;
        Some(Model {
            id: ResourceGuardId { resource_group: group, name: arguments.name? },
            location: arguments.location?,
            exclusions: arguments.vault_critical_operation_exclusion_list,
            tags: arguments.tags,
        })
    }

    /// The PUT body: everything a client sets on a guard. An empty list when the configuration has none, so that
    /// an update that removes the argument removes the exclusions.
    fn to_resource(&self) -> ResourceGuardResource {
        ResourceGuardResource {
            location: Some(self.location.clone()),
            tags: self.tags.clone(),
            properties: ResourceGuard {
                vault_critical_operation_exclusion_list: Some(
                    self.exclusions.clone().unwrap_or_default().into_iter().collect(),
                ),
                provisioning_state: None,
            },
            ..ResourceGuardResource::default()
        }
    }
}

model::attributes! {
    /// A resource guard's attributes, in schema order.
    pub(crate) struct GuardObject, names in attr {
        id: String => computed(Type::String).description("The ARM ID of the resource guard."),
        name: String => required(Type::String).force_new().description("The name of the resource guard."),
        resource_group_id: String => required(Type::String).force_new().description(
            "The ARM ID of the resource group the resource guard is created in. A guard usually lives in another \
             subscription than the vaults it protects, one that the backup administrators have no rights on.",
        ),
        location: String => required(Type::String)
            .force_new()
            .description("The Azure region of the resource guard, for example `westus`."),
        vault_critical_operation_exclusion_list: BTreeSet<String> => optional(Type::set(Type::String)).description(
            format!(
                "The critical operations this guard does **not** protect, by the names Azure's API takes. For \
                 backup vaults: {}. For Recovery Services vaults: {}. Deleting the association of a vault with its \
                 guard is always protected.",
                one_of(BACKUP_VAULT_OPERATIONS),
                one_of(RECOVERY_SERVICES_OPERATIONS)
            ),
        ),
        tags: BTreeMap<String, String> => optional(Type::map(Type::String))
            .description("Tags to assign to the resource guard."),
        timeouts: serde_json::Value,
    }
}

const SPELLINGS: model::Spellings = &[
    (attr::id, Spelling::Id),
    (attr::name, Spelling::Text),
    (attr::resource_group_id, Spelling::Id),
    (attr::location, Spelling::Location),
];

fn one_of(values: &[&str]) -> String {
    values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
}

/// The state of a guard as Azure reports it, keeping the spellings of `prior` that are the same value.
fn state_from_azure(prior: &Value, id: &ResourceGuardId, guard: &ResourceGuardResource) -> Value {
    let reported = guard.id.as_deref().and_then(|i| i.parse::<ResourceGuardId>().ok()).unwrap_or_else(|| id.clone());
    let prior_has_empty = |name: &str| prior.attr(name).as_elements().is_some_and(|e| e.is_empty());
    let exclusions = guard.properties.vault_critical_operation_exclusion_list.clone().unwrap_or_default();
    // Each operation in the spelling state has, when Azure answers another case.
    let prior_exclusions: Vec<String> = prior
        .attr(attr::vault_critical_operation_exclusion_list)
        .as_elements()
        .map(|items| items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let exclusions: BTreeSet<String> = exclusions
        .into_iter()
        .map(|op| prior_exclusions.iter().find(|p| p.eq_ignore_ascii_case(&op)).cloned().unwrap_or(op))
        .collect();
    let tags = match &guard.tags {
        Some(tags) if !tags.is_empty() => Some(tags.clone()),
        _ if prior.attr(attr::tags).as_entries().is_some_and(|e| e.is_empty()) => Some(BTreeMap::new()),
        _ => None,
    };
    let state = GuardObject {
        id: Some(reported.to_string()),
        name: Some(reported.name.clone()),
        resource_group_id: Some(reported.resource_group.to_string()),
        location: guard.location.clone().or_else(|| prior.attr(attr::location).as_str().map(str::to_owned)),
        vault_critical_operation_exclusion_list: (!exclusions.is_empty()
            || prior_has_empty(attr::vault_critical_operation_exclusion_list))
        .then_some(exclusions),
        tags,
        timeouts: None,
    };
    model::read_back(&state, ResourceGuardType::state_type(), prior, SPELLINGS)
}

// ---------------------------------------------------------------------------------------------------------------
// Schema and validation

fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Manages a resource guard (Microsoft.DataProtection resource guard): multi-user \
                          authorisation for the critical operations of the backup vaults associated with it \
                          (`dataprotection_backup_vault_resource_guard_association`)."
                .to_owned(),
            attributes: GuardObject::attributes(),
            blocks: vec![common::timeouts_block(DEFAULT_TIMEOUTS)],
            deprecated: false,
        }
        .with_force_new_sentences("resource guard"),
    }
}

/// Offline checks; unknown values are skipped.
fn validate_config(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(name) = config.attr(attr::name).as_str()
        && (name.is_empty() || name.len() > 260 || name.contains(['/', '\\', '?', '#', '%']) || name.trim() != name)
    {
        diags.attribute_error(
            AttributePath::root(attr::name),
            "Invalid resource guard name",
            format!("{name:?} cannot be a resource name: it must be non-empty, without spaces at its ends and without /, \\, ?, # or %."),
        );
    }
    if let Some(group) = config.attr(attr::resource_group_id).as_str()
        && let Err(e) = group.parse::<ResourceGroupId>()
    {
        diags.attribute_error(
            AttributePath::root(attr::resource_group_id),
            "Invalid resource group ID",
            format!("{e}."),
        );
    }
    if config.attr(attr::location).as_str().is_some_and(|l| l.trim().is_empty()) {
        diags.attribute_error(AttributePath::root(attr::location), "Invalid location", "The location is empty.");
    }
    if let Some(items) = config.attr(attr::vault_critical_operation_exclusion_list).as_elements() {
        for op in items.iter().filter_map(Value::as_str) {
            let known = BACKUP_VAULT_OPERATIONS.iter().chain(RECOVERY_SERVICES_OPERATIONS).any(|k| *k == op);
            if !known {
                let hint = BACKUP_VAULT_OPERATIONS
                    .iter()
                    .chain(RECOVERY_SERVICES_OPERATIONS)
                    .find(|k| k.eq_ignore_ascii_case(op))
                    .map_or_else(String::new, |k| format!(" Did you mean {k:?}?"));
                diags.attribute_error(
                    AttributePath::root(attr::vault_critical_operation_exclusion_list),
                    "Unknown critical operation",
                    format!(
                        "{op:?} is not a critical operation a resource guard protects.{hint} Backup vault operations: \
                         {}.",
                        one_of(BACKUP_VAULT_OPERATIONS)
                    ),
                );
            }
        }
    }
    common::validate_timeouts(config, &mut diags);
    diags
}

// ---------------------------------------------------------------------------------------------------------------
// Operations

#[async_trait]
impl ManagedResource for ResourceGuardType {
    type Id = ResourceGuardId;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "resource guard";

    fn schema() -> Schema {
        schema()
    }

    fn validate(config: &Value) -> Diagnostics {
        validate_config(config)
    }

    async fn plan_create(&self, _cx: &PlanContext<'_>, _request: &PlanRequest, _response: &mut PlanResponse) {}

    async fn plan_update(&self, _cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        common::plan_update(ResourceGuardType::cached_schema(), SPELLINGS, request, response);
    }

    async fn create(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let Some(model) = Model::from_value(&request.planned_state) else {
            response.diagnostics.error("Resource guard arguments not known", "This is a bug in the provider.");
            return response;
        };
        let (call, client) = (&azure.context, azure.client());
        let id = &model.id;
        let what = format!("creating resource guard {id}");
        match client.get_resource_guard(call, id).await {
            Ok(None) => {}
            Ok(Some(_)) => {
                common::already_exists(&mut response.diagnostics, "resource guard", TYPE_NAME, &id.to_string(), "");
                return response;
            }
            Err(error) => {
                arm_error(&mut response.diagnostics, &error.context(what), None, None);
                return response;
            }
        }
        match client.put_resource_guard(call, id, &model.to_resource(), &what).await {
            Ok(guard) => response.new_state = state_from_azure(&request.planned_state, id, &guard),
            Err(error) => arm_error(&mut response.diagnostics, &error, None, None),
        }
        response
    }

    async fn update(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let prior = &request.prior_state;
        let (Some(before), Some(after)) = (Model::from_value(prior), Model::from_value(&request.planned_state)) else {
            response.diagnostics.error("Resource guard arguments not known", "This is a bug in the provider.");
            response.new_state = prior.clone();
            return response;
        };
        if before.to_resource() == after.to_resource() {
            response.new_state = request.planned_state.clone();
            return response;
        }
        let id = &after.id;
        let what = format!("updating resource guard {id}");
        match azure.client().put_resource_guard(&azure.context, id, &after.to_resource(), &what).await {
            Ok(guard) => response.new_state = state_from_azure(&request.planned_state, id, &guard),
            Err(error) => {
                arm_error(&mut response.diagnostics, &error, None, None);
                response.new_state = prior.clone();
            }
        }
        response
    }

    async fn delete(&self, azure: &Call, id: &ResourceGuardId, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        match azure.client().delete_resource_guard(&azure.context, id).await {
            Ok(_) => response.new_state = Value::Null,
            Err(error) => {
                let hint = "Azure does not delete a resource guard that backup vaults are associated with: remove \
                            their associations (dataprotection_backup_vault_resource_guard_association) first.";
                let hint = (error.status == Some(409) || error.status == Some(400)).then_some(hint);
                arm_error(&mut response.diagnostics, &error, None, hint);
                response.new_state = request.prior_state.clone();
            }
        }
        response
    }

    async fn read(
        &self,
        azure: &Call,
        id: &ResourceGuardId,
        current: &Value,
        _response: &mut ReadResponse,
    ) -> Result<Option<Value>, ArmError> {
        let found = azure.client().get_resource_guard(&azure.context, id).await?;
        Ok(found.map(|guard| state_from_azure(current, id, &guard)))
    }

    fn import_attributes(id: &ResourceGuardId) -> Vec<(&'static str, String)> {
        vec![(attr::name, id.name.clone()), (attr::resource_group_id, id.resource_group.to_string())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: &str = "/subscriptions/s1/resourceGroups/rg-guard";

    fn config() -> Value {
        Value::object([
            ("id", Value::Null),
            ("name", Value::from("guard-1")),
            ("resource_group_id", Value::from(GROUP)),
            ("location", Value::from("westus")),
            ("vault_critical_operation_exclusion_list", Value::Null),
            ("tags", Value::Null),
            ("timeouts", Value::Null),
        ])
    }

    #[test]
    fn operation_names_are_azures_and_a_wrong_case_gets_a_hint() {
        let mut c = config();
        c.set_attr(
            "vault_critical_operation_exclusion_list",
            Value::Set(vec![Value::from(BACKUP_VAULT_OPERATIONS[0]), Value::from(RECOVERY_SERVICES_OPERATIONS[0])]),
        );
        assert!(validate_config(&c).is_empty());
        c.set_attr(
            "vault_critical_operation_exclusion_list",
            Value::Set(vec![Value::from("microsoft.dataprotection/backupvaults/backupinstances/delete")]),
        );
        let diags = validate_config(&c);
        let d = diags.iter().next().expect("an error");
        assert_eq!(
            d.attribute.as_ref().map(ToString::to_string).as_deref(),
            Some("vault_critical_operation_exclusion_list")
        );
        assert!(
            d.detail.contains("Did you mean \"Microsoft.DataProtection/backupVaults/backupInstances/delete\""),
            "{}",
            d.detail
        );
        c.set_attr("name", Value::from("a/b"));
        assert_eq!(validate_config(&c).iter().count(), 2);
    }

    #[test]
    fn the_put_names_an_empty_list_when_none_is_configured_and_read_keeps_null() {
        let mut planned = config();
        planned.set_attr("id", Value::Unknown);
        let model = Model::from_value(&planned).unwrap();
        let body = serde_json::to_value(model.to_resource()).unwrap();
        assert_eq!(body["properties"], serde_json::json!({"vaultCriticalOperationExclusionList": []}));
        assert_eq!(body["location"], "westus");
        let mut answer = model.to_resource();
        answer.id = Some(format!("{GROUP}/providers/Microsoft.DataProtection/resourceGuards/guard-1").to_lowercase());
        let state = state_from_azure(&config(), &model.id, &answer);
        assert!(state.attr("vault_critical_operation_exclusion_list").is_null());
        assert_eq!(
            state.attr("id").as_str(),
            Some("/subscriptions/s1/resourceGroups/rg-guard/providers/Microsoft.DataProtection/resourceGuards/guard-1")
        );
    }
}
