//! The backup instance resources: `dataprotection_backup_instance` protects a managed disk with a backup policy in
//! a backup vault, and `dataprotection_backup_instance_<kind>` the other datasources (see [`super::instance_kinds`]:
//! a kind brings its datasource, its own arguments and its roles; this module is the lifecycle they share).
//!
//! Lifecycle: validate checks every ID offline; plan of a new instance runs validateForBackup to its end, so
//! Azure's objections (disk already protected, missing permissions) fail the plan; apply PUTs, follows the
//! operation, GETs and waits for `ProtectionConfigured`; destroy DELETEs, follows the operation and confirms the
//! 404. Once Azure has accepted the PUT, every failure still returns the instance's ID, so Terraform keeps it
//! (tainted) instead of losing track of something that exists.
//!
//! This file holds the resource type, its model (from and to Terraform values, to Azure's body), Azure's errors as
//! attributes and hints, and the `ManagedResource` impl. `schema.rs` has the schema and the offline checks;
//! `plan.rs` the plan (validateForBackup, validateForModifyBackup for changes in place, ownership of an existing
//! ID, replacements that must delete first, the protection state); `create.rs`, `update.rs` (the steps from one
//! protection state to another, and what a failed one left), `delete.rs` and `read.rs` the operations.

mod create;
mod delete;
#[cfg(test)]
mod fixtures;
pub(crate) mod plan;
mod read;
mod schema;
mod update;

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use crate::arm::error::ArmError;
use crate::arm::ids::{BackupInstanceId, BackupPolicyId, GenericResourceId, same_id};
use crate::arm::models::{
    BackupInstance, BackupInstanceResource, DISK_DATASOURCE_TYPE, Datasource, PolicyInfo, PolicyParameters,
};
use crate::arm::protection::{self, current_state as protection_state};
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::interface::{ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, ReadResponse};
use crate::plugin::schema::Schema;
use crate::plugin::value::Value;

use super::common;
use super::instance_kinds::{Disk, InstanceKind, operational_resource_group};
use super::managed::{Call, ManagedResource, PlanContext};
use super::model::{self, Spelling};
use delete::retains_data;
use plan::validate_modify;
pub(crate) use schema::{InstanceObject, attr};

/// The resource type name of the managed disk backup instance.
pub const TYPE_NAME: &str = Disk::TYPE_NAME;

/// Protection states that mean "still being set up": keep waiting.
const PENDING_STATES: &[&str] = protection::PENDING;
/// The state the wait ends in.
const TARGET_STATE: &str = protection::CONFIGURED;
/// Protection states of a failed configuration: the next apply sends the instance again.
const FAILED_STATES: &[&str] = protection::FAILED;
/// Protection that was configured and then failed.
const PROTECTION_ERROR_STATE: &str = "ProtectionError";
/// Protection stopped, recovery points kept (stopProtection, or a destroy with `retain_data_on_destroy`).
const STOPPED_STATE: &str = protection::STOPPED;
/// Backups suspended, recovery points kept (suspendBackups).
const SUSPENDED_STATE: &str = protection::SUSPENDED;
/// Every spelling of suspended backups Azure reports.
const SUSPENDED_STATES: &[&str] = protection::SUSPENDED_ANY;
/// The protection states a configuration may ask for.
const DESIRABLE_STATES: &[&str] = &[TARGET_STATE, STOPPED_STATE, SUSPENDED_STATE];

/// How long the check after a failed create or delete may take. It runs after the operation's own deadline or
/// stop, so that state never leaves out an instance Azure created, nor keeps one Azure deleted.
const CHECK_AFTER_FAILURE: Duration = Duration::from_secs(15);

/// A backup instance resource of kind `K`: `dataprotection_backup_instance` for managed disks.
#[derive(Debug)]
pub(crate) struct BackupInstanceType<K = Disk> {
    /// The instances this provider process read from Azure (refresh), by lower-case ID, with the datasource each
    /// protects. Terraform plans the replacement of a tainted object as a plain create with no private data; its
    /// refresh a moment earlier, in the same process, is what tells plan that the existing instance with this ID is
    /// the one being replaced rather than one this state does not own.
    refreshed: Mutex<HashMap<String, Option<String>>>,
    /// The instances this process's refresh read, by lower-case ID: the object an in-place change starts from, so
    /// that plan validates that change without reading the instance again.
    read: Mutex<HashMap<String, BackupInstanceResource>>,
    kind: PhantomData<fn() -> K>,
}

impl<K> Default for BackupInstanceType<K> {
    fn default() -> Self {
        BackupInstanceType { refreshed: Mutex::default(), read: Mutex::default(), kind: PhantomData }
    }
}

impl<K> BackupInstanceType<K> {
    fn remember_refresh(&self, id: &BackupInstanceId, datasource: Option<String>) {
        self.refreshed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string().to_ascii_lowercase(), datasource);
    }

    fn remember_read(&self, id: &BackupInstanceId, instance: &BackupInstanceResource) {
        self.read
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string().to_ascii_lowercase(), instance.clone());
    }

    /// The instance with `id` as this process's refresh read it, taken (a plan uses it once).
    fn take_read(&self, id: &BackupInstanceId) -> Option<BackupInstanceResource> {
        self.read.lock().unwrap_or_else(|p| p.into_inner()).remove(&id.to_string().to_ascii_lowercase())
    }

    /// The instance with `id`, as this process's refresh saw it: the object a tainted resource replaces.
    fn refreshed(&self, id: &BackupInstanceId) -> Option<Replaced> {
        let seen = self.refreshed.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(&id.to_string().to_ascii_lowercase())
            .map(|protects| Replaced { id: id.to_string(), protects: protects.clone() })
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Model

/// The attributes Azure may spell differently from the configuration, and how they compare: plan keeps the
/// configuration's spelling when it is the same value, and read keeps the saved one.
const SPELLINGS: model::Spellings = &[
    (attr::id, Spelling::Id),
    (attr::name, Spelling::Text),
    (attr::vault_id, Spelling::Id),
    (attr::datasource_id, Spelling::Id),
    (attr::datasource_type, Spelling::Text),
    (attr::location, Spelling::Location),
    (attr::backup_policy_id, Spelling::Id),
];

/// The arguments of a planned or configured instance, all known, as typed values.
#[derive(Clone, Debug)]
struct Model {
    id: BackupInstanceId,
    datasource: GenericResourceId,
    datasource_type: String,
    location: String,
    policy: BackupPolicyId,
    /// The kind's policy parameters (the snapshot resource group, the containers, ...).
    parameters: Option<PolicyParameters>,
    /// The ARM type of the datasource (`resourceType`).
    resource_type: &'static str,
    /// Whether `dataSourceSetInfo` is sent.
    with_set: bool,
}

impl Model {
    /// Reads a fully known planned state (or config). `None` when something is unknown or invalid; validate has
    /// reported invalid values already.
    fn from_value<K: InstanceKind>(value: &Value) -> Option<Model> {
        let arguments = InstanceObject::sent(value)?;
        let datasource: GenericResourceId = arguments.datasource_id.as_deref()?.parse().ok()?;
        Some(Model {
            id: BackupInstanceId { vault: arguments.vault_id.as_deref()?.parse().ok()?, name: arguments.name.clone()? },
            datasource_type: arguments.datasource_type.clone().unwrap_or_else(|| K::DATASOURCE_TYPE.to_owned()),
            datasource,
            location: arguments.location.clone()?,
            policy: arguments.backup_policy_id.as_deref()?.parse().ok()?,
            parameters: K::policy_parameters(&arguments).ok()?,
            resource_type: K::RESOURCE_TYPE,
            with_set: K::SENDS_DATASOURCE_SET,
        })
    }

    /// The `BackupInstance` Azure is sent.
    fn to_instance(&self) -> BackupInstance {
        let datasource_id = self.datasource.to_string();
        let datasource = |object_type: &str| Datasource {
            datasource_type: Some(self.datasource_type.clone()),
            object_type: Some(object_type.to_owned()),
            resource_id: datasource_id.clone(),
            // The region's name as Azure writes it (`westus`), whatever spelling the configuration uses.
            resource_location: Some(common::normalize_location(&self.location)),
            resource_name: Some(self.datasource.name().to_owned()),
            resource_type: Some(self.resource_type.to_owned()),
            resource_uri: Some(datasource_id.clone()),
        };
        BackupInstance {
            friendly_name: Some(self.id.name.clone()),
            data_source_info: datasource("Datasource"),
            data_source_set_info: self.with_set.then(|| datasource("DatasourceSet")),
            policy_info: PolicyInfo {
                policy_id: self.policy.to_string(),
                policy_version: None,
                policy_parameters: self.parameters.clone(),
            },
            object_type: "BackupInstance".to_owned(),
            ..BackupInstance::default()
        }
    }

    /// True when `existing` protects this model's datasource with its policy and parameters (snapshot resource
    /// group, containers, ...): what this configuration would make, whoever made it.
    fn describes(&self, existing: &BackupInstanceResource) -> bool {
        let p = &existing.properties;
        let wanted = self.parameters.clone().unwrap_or_default();
        let found = p.policy_info.policy_parameters.clone().unwrap_or_default();
        same_id(&p.data_source_info.resource_id, &self.datasource.to_string())
            && same_id(&p.policy_info.policy_id, &self.policy.to_string())
            && match (operational_resource_group(&found).as_deref(), operational_resource_group(&wanted).as_deref()) {
                (Some(a), Some(b)) => same_id(a, b),
                (None, None) => true,
                _ => false,
            }
            && found.backup_datasource_parameters_list == wanted.backup_datasource_parameters_list
    }

    fn to_resource(&self) -> BackupInstanceResource {
        BackupInstanceResource { properties: self.to_instance(), ..BackupInstanceResource::default() }
    }

    /// The body of a PUT to an instance Azure holds as `existing`: that object, with only what this resource
    /// manages and an update can change set from the plan (the policy and the kind's policy parameters). Its
    /// other fields (`tags`, `friendlyName`, `identityDetails`, anything this provider does not model) go back as
    /// Azure has them; the read-only ones are left out.
    fn update_of(&self, existing: &BackupInstanceResource) -> BackupInstanceResource {
        let mut body = existing.clone();
        (body.id, body.name, body.resource_type) = (None, None, None);
        body.other.remove("systemData");
        let p = &mut body.properties;
        p.policy_info = PolicyInfo {
            policy_id: self.policy.to_string(),
            policy_version: None,
            policy_parameters: self.parameters.clone(),
        };
        (p.protection_status, p.current_protection_state, p.protection_error_details) = (None, None, None);
        (p.provisioning_state, p.deletion_info) = (None, None);
        if p.object_type.is_empty() {
            p.object_type = "BackupInstance".to_owned();
        }
        body
    }
}

/// The datasource type a datasource ID implies, in Azure's canonical spelling for the types known here.
pub(crate) fn derived_datasource_type(datasource: &GenericResourceId) -> String {
    let ty = datasource.resource_type();
    if ty.eq_ignore_ascii_case(DISK_DATASOURCE_TYPE) { DISK_DATASOURCE_TYPE.to_owned() } else { ty }
}

/// The operational store's resource group of an instance, when it has one.
pub(crate) fn snapshot_resource_group(instance: &BackupInstanceResource) -> Option<String> {
    operational_resource_group(instance.properties.policy_info.policy_parameters.as_ref()?)
}

/// The state of an instance as Azure reports it. Spellings equivalent to those in `prior` (ID case, region
/// spelling) are kept from `prior`, so they never show up as a diff.
fn state_from_azure<K: InstanceKind>(prior: &Value, id: &BackupInstanceId, instance: &BackupInstanceResource) -> Value {
    let p = &instance.properties;
    let reported_id =
        instance.id.as_deref().and_then(|i| i.parse::<BackupInstanceId>().ok()).unwrap_or_else(|| id.clone());
    let datasource_type = p.data_source_info.datasource_type.clone().or_else(|| Some(K::DATASOURCE_TYPE.to_owned()));
    let mut state = InstanceObject {
        id: Some(reported_id.to_string()),
        name: Some(reported_id.name.clone()),
        vault_id: Some(reported_id.vault.to_string()),
        datasource_id: Some(p.data_source_info.resource_id.clone()),
        datasource_type,
        location: p.data_source_info.resource_location.clone(),
        backup_policy_id: Some(p.policy_info.policy_id.clone()),
        protection_state: protection_state(instance),
        // Terraform-side settings: what the configuration says, not Azure.
        retain_data_on_destroy: prior.attr(attr::retain_data_on_destroy).as_bool(),
        ..InstanceObject::default()
    };
    K::read_attributes(instance, &mut state);
    let mut value = model::read_back(&state, BackupInstanceType::<K>::state_type(), prior, SPELLINGS);
    model::keep_spellings(prior, &mut value, K::SPELLINGS);
    value
}

/// The planned state once Azure has accepted a write of the instance: the protection state is Azure's to tell from
/// there on.
fn accepted(planned: &Value) -> Value {
    let mut state = planned.clone();
    state.set_attr(attr::protection_state, Value::Null);
    state
}

/// Private data kept with a state or plan: the object's ID and the datasource it protects. When Terraform plans
/// the create half of a replacement (a changed argument or `-replace`), it hands over this data from the object
/// being replaced, so plan knows that the existing instance, or validateForBackup's "already protected", is about
/// that object, which is deleted before the new one is created.
#[derive(serde::Serialize, serde::Deserialize, Default, Debug, PartialEq)]
struct Private {
    /// The object's ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    /// The datasource the object protects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    protects: Option<String>,
}

/// The existing object a planned create replaces.
#[derive(Clone, Debug, PartialEq)]
struct Replaced {
    id: String,
    protects: Option<String>,
}

impl Replaced {
    fn is(&self, id: &BackupInstanceId) -> bool {
        same_id(&self.id, &id.to_string())
    }

    fn protects(&self, datasource: &GenericResourceId) -> bool {
        self.protects.as_deref().is_some_and(|d| same_id(d, &datasource.to_string()))
    }

    /// True when the new object cannot exist beside this one: same ID, or same datasource.
    fn collides_with(&self, model: &Model) -> bool {
        self.is(&model.id) || self.protects(&model.datasource)
    }
}

impl Private {
    fn decode(bytes: &[u8]) -> Private {
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    fn encode(&self) -> Vec<u8> {
        if *self == Private::default() { Vec::new() } else { serde_json::to_vec(self).unwrap_or_default() }
    }

    /// The private data for a state.
    fn of_state(state: &Value) -> Vec<u8> {
        Private {
            id: state.attr(attr::id).as_str().map(str::to_owned),
            protects: state.attr(attr::datasource_id).as_str().map(str::to_owned),
        }
        .encode()
    }

    /// The object this private data describes, as the object a create replaces.
    fn replaced(self) -> Option<Replaced> {
        Some(Replaced { id: self.id?, protects: self.protects })
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Azure's errors: the attribute each is about, and a hint

/// The hint shown when Azure says the datasource is protected already.
const ALREADY_PROTECTED_HINT: &str = "If this resource is replacing the backup instance that protects the datasource \
and has create_before_destroy, the new instance cannot exist beside the old one: Azure protects a datasource with one \
backup instance at a time. Remove create_before_destroy from its lifecycle block; the replacement then deletes the old \
instance first. If Terraform now keeps the old instance as a deposed object (the plan shows it \"left over from a \
partially-failed replacement\"), make it the resource's object again first: terraform state rm <address>, then \
terraform import <address> <old instance ID>.";

/// The attribute an Azure error code is about, when it is clear.
fn attribute_for_code<K: InstanceKind>(code: Option<&str>) -> Option<AttributePath> {
    let code = code?.to_ascii_lowercase();
    let name = if let Some(name) = K::attribute_for_code(&code) {
        name
    } else if code.contains("datasourcealreadyprotected")
        || code.contains("disk")
        || code.contains("datasource")
        || code.contains("storageaccount")
        || code.contains("server")
    {
        attr::datasource_id
    } else if code.contains("policy") {
        attr::backup_policy_id
    } else if code.contains("vault") {
        attr::vault_id
    } else {
        return None;
    };
    Some(AttributePath::root(name))
}

/// What to do when a resource guard protects the operation (multi-user authorisation).
const GUARDED_HINT: &str = "The vault is associated with a resource guard (multi-user authorisation), and the \
     guard protects this operation, unless vault_critical_operation_exclusion_list excludes it. A delete must be \
     unlocked first: someone with rights on the resource guard (Backup MUA Operator, often through a just-in-time \
     request) calls unlockDelete on the vault's resource guard proxy for this backup instance. Terraform does not \
     unlock deletes of backup instances itself. Stopping protection or suspending backups needs those rights on the \
     guard for the principal Terraform runs as, at the time of the apply: Terraform sends the guard's request for \
     the operation, and Azure checks the rights. Then run Terraform again.";

fn hint_for<K: InstanceKind>(error: &ArmError) -> Option<&'static str> {
    let code = error.code.as_deref().unwrap_or("").to_ascii_lowercase();
    if let Some(hint) = K::hint_for_code(&code) {
        Some(hint)
    } else if code.contains("permission") || code.contains("authorization") || code.contains("rbac") {
        Some(K::PERMISSIONS_HINT)
    } else if code.contains("datasourcealreadyprotected") {
        Some(ALREADY_PROTECTED_HINT)
    } else if code.contains("mua") || error.message.to_ascii_lowercase().contains("resource guard") {
        Some(GUARDED_HINT)
    } else {
        None
    }
}

#[async_trait]
impl<K: InstanceKind> ManagedResource for BackupInstanceType<K> {
    type Id = BackupInstanceId;
    const TYPE_NAME: &'static str = K::TYPE_NAME;
    const KIND: &'static str = "backup instance";

    fn schema() -> Schema {
        schema::schema::<K>()
    }

    fn validate(config: &Value) -> Diagnostics {
        schema::validate_config::<K>(config)
    }

    async fn plan_destroy(&self, _cx: &PlanContext<'_>, prior: &Value, diagnostics: &mut Diagnostics) {
        if retains_data(prior) {
            diagnostics.warning(
                "Backup instance will be kept in Azure with its recovery points",
                format!(
                    "retain_data_on_destroy is true, so destroying {} stops its protection and keeps its recovery \
                     points instead of deleting it. It leaves Terraform's state but stays in the vault, and keeps \
                     costing storage until it is deleted in Azure.",
                    prior.attr(attr::id).as_str().unwrap_or("this backup instance")
                ),
            );
        }
    }

    async fn plan_create(&self, cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        self.plan_new(cx, request, response).await;
    }

    async fn plan_update(&self, cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        Self::plan_change(request, response);
        let read = Model::from_value::<K>(&response.planned_state).and_then(|model| self.take_read(&model.id));
        validate_modify::<K>(cx, request, response, read).await;
    }

    async fn create(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        create::create::<K>(azure, request).await
    }

    async fn update(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        update::update::<K>(azure, request).await
    }

    async fn delete(&self, azure: &Call, id: &BackupInstanceId, request: &ApplyRequest) -> ApplyResponse {
        delete::delete::<K>(azure, id, request).await
    }

    async fn read(
        &self,
        azure: &Call,
        id: &BackupInstanceId,
        current: &Value,
        response: &mut ReadResponse,
    ) -> Result<Option<Value>, ArmError> {
        read::read(self, azure, id, current, response).await
    }

    fn import_attributes(id: &BackupInstanceId) -> Vec<(&'static str, String)> {
        vec![(attr::name, id.name.clone()), (attr::vault_id, id.vault.to_string())]
    }

    /// A failed or transient protection state is Azure's, not a state to ask for: the generated configuration
    /// leaves it out, and the plan then brings protection back to `ProtectionConfigured`.
    fn for_generated_config(state: &mut Value) {
        let wanted = state.attr(attr::protection_state).as_str().is_some_and(|s| DESIRABLE_STATES.contains(&s));
        if !wanted {
            state.set_attr(attr::protection_state, Value::Null);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::fixtures::*;
    use super::*;
    use crate::plugin::interface::{Context, ImportRequest, Resource};
    use crate::resources::ProviderConfiguration;
    use crate::resources::instance_kinds::{
        BlobStorage, DataLakeStorage, KubernetesCluster, MySqlFlexibleServer, PostgreSqlFlexibleServer, aks,
    };
    use crate::resources::managed::Managed;

    #[test]
    fn an_update_body_keeps_what_azure_holds_and_changes_only_the_policy() {
        let mut planned = config();
        planned.set_attr(attr::id, Value::Null);
        let model = Model::from_value::<Disk>(&planned).expect("known");
        let existing: BackupInstanceResource = serde_json::from_value(serde_json::json!({
            "id": model.id.to_string(), "name": "bi", "type": "Microsoft.DataProtection/backupVaults/backupInstances",
            "systemData": {"createdBy": "someone"},
            "tags": {"owner": "team"},
            "properties": {
                "friendlyName": "their name", "objectType": "BackupInstance",
                "identityDetails": {"useSystemAssignedIdentity": true},
                "dataSourceInfo": {"resourceID": model.datasource.to_string(), "objectType": "Datasource"},
                "policyInfo": {"policyId": "/old/policy", "policyVersion": "v1"},
                "currentProtectionState": "ProtectionConfigured", "provisioningState": "Succeeded",
                "protectionStatus": {"status": "ProtectionConfigured"}
            }
        }))
        .unwrap();
        let body = serde_json::to_value(model.update_of(&existing)).unwrap();
        assert_eq!(body["tags"]["owner"], "team");
        assert_eq!(body["properties"]["friendlyName"], "their name");
        assert_eq!(body["properties"]["identityDetails"]["useSystemAssignedIdentity"], true);
        assert_eq!(body["properties"]["policyInfo"]["policyId"], model.policy.to_string().as_str());
        assert!(body["properties"]["policyInfo"].get("policyVersion").is_none());
        assert!(body["properties"]["policyInfo"]["policyParameters"].is_object(), "the snapshot group: {body}");
        for read_only in ["id", "name", "type", "systemData"] {
            assert!(body.get(read_only).is_none(), "{read_only} is not sent: {body}");
        }
        for read_only in ["currentProtectionState", "provisioningState", "protectionStatus"] {
            assert!(body["properties"].get(read_only).is_none(), "{read_only} is not sent: {body}");
        }
    }

    #[test]
    fn the_disk_body_matches_the_service_shape() {
        let mut planned = config();
        planned.set_attr(attr::datasource_type, Value::from(DISK_DATASOURCE_TYPE));
        let model = Model::from_value::<Disk>(&planned).unwrap();
        let body = serde_json::to_value(model.to_resource()).unwrap();
        let p = &body["properties"];
        assert_eq!(p["objectType"], "BackupInstance");
        assert_eq!(p["friendlyName"], "bi-1");
        assert_eq!(p["dataSourceInfo"]["resourceID"], DISK);
        assert_eq!(p["dataSourceInfo"]["resourceUri"], DISK);
        assert_eq!(p["dataSourceInfo"]["resourceName"], "disk-app-01");
        assert_eq!(p["dataSourceInfo"]["resourceLocation"], "westus", "the configuration says West US");
        assert_eq!(p["dataSourceInfo"]["datasourceType"], DISK_DATASOURCE_TYPE);
        assert_eq!(p["dataSourceInfo"]["objectType"], "Datasource");
        let store = &p["policyInfo"]["policyParameters"]["dataStoreParametersList"][0];
        assert_eq!(store["objectType"], "AzureOperationalStoreParameters");
        assert_eq!(store["dataStoreType"], "OperationalStore");
        assert_eq!(store["resourceGroupId"], "/subscriptions/s2/resourceGroups/rg-snapshots");
        assert_eq!(model.id.to_string(), format!("{VAULT}/backupInstances/bi-1"));
    }

    #[test]
    fn state_from_azure_keeps_equivalent_spellings() {
        let mut prior = config();
        prior.set_attr(attr::datasource_type, Value::from(DISK_DATASOURCE_TYPE));
        let model = Model::from_value::<Disk>(&prior).unwrap();
        let mut instance = model.to_resource();
        instance.id = Some(model.id.to_string().to_lowercase());
        instance.properties.data_source_info.resource_id = DISK.to_lowercase();
        instance.properties.data_source_info.resource_location = Some("westus".into());
        instance.properties.current_protection_state = Some("ProtectionConfigured".into());
        let state = state_from_azure::<Disk>(&prior, &model.id, &instance);
        for name in [
            attr::name,
            attr::vault_id,
            attr::datasource_id,
            attr::location,
            attr::backup_policy_id,
            attr::snapshot_resource_group_id,
        ] {
            assert_eq!(state.attr(name), prior.attr(name), "{name}");
        }
        // Azure's lower-cased ID is read back in canonical form.
        assert_eq!(state.attr(attr::id).as_str().unwrap(), model.id.to_string());
        assert_eq!(state.attr(attr::protection_state).as_str(), Some("ProtectionConfigured"));

        instance.properties.policy_info.policy_id = format!("{VAULT}/backupPolicies/other");
        let state = state_from_azure::<Disk>(&prior, &model.id, &instance);
        assert_eq!(state.attr(attr::backup_policy_id).as_str().unwrap(), format!("{VAULT}/backupPolicies/other"));
    }

    #[test]
    fn error_codes_map_to_attributes() {
        assert_eq!(
            attribute_for_code::<Disk>(Some("UserErrorDppDatasourceAlreadyProtected")),
            Some(AttributePath::root(attr::datasource_id))
        );
        assert_eq!(
            attribute_for_code::<Disk>(Some("UserErrorDppPolicyNotFound")),
            Some(AttributePath::root(attr::backup_policy_id))
        );
        assert_eq!(attribute_for_code::<Disk>(Some("UserErrorMissingRequiredPermissions")), None);
        assert_eq!(attribute_for_code::<Disk>(None), None);
    }

    #[tokio::test]
    async fn retaining_data_on_destroy_is_explained_at_plan_and_kept_in_state() {
        let resource = Managed::new(BackupInstanceType::<Disk>::default(), Arc::new(ProviderConfiguration::default()));
        let mut prior = prior_state();
        let destroy = |prior: Value| PlanRequest {
            prior_state: prior,
            proposed_new_state: Value::Null,
            config: Value::Null,
            prior_private: vec![],
        };
        assert!(resource.plan(&Context::default(), destroy(prior.clone())).await.diagnostics.is_empty());
        prior.set_attr(attr::retain_data_on_destroy, Value::from(true));
        let response = resource.plan(&Context::default(), destroy(prior.clone())).await;
        assert!(!response.diagnostics.has_errors());
        assert!(response.diagnostics.iter().any(|d| d.summary.contains("recovery points")));

        let model = Model::from_value::<Disk>(&prior).unwrap();
        let state = state_from_azure::<Disk>(&prior, &model.id, &model.to_resource());
        assert_eq!(state.attr(attr::retain_data_on_destroy), &Value::from(true));
    }

    #[tokio::test]
    async fn import_builds_a_full_state_from_the_id() {
        let resource = Managed::new(BackupInstanceType::<Disk>::default(), Arc::new(ProviderConfiguration::default()));
        let id = format!("{VAULT}/backupInstances/bi-1");
        let response = resource.import(&Context::default(), ImportRequest { id: id.clone() }).await;
        assert!(response.diagnostics.is_empty());
        let state = &response.imported[0].state;
        assert_eq!(state.attr(attr::id).as_str(), Some(id.as_str()));
        assert_eq!(state.attr(attr::vault_id).as_str(), Some(VAULT));
        assert_eq!(state.as_entries().unwrap().len(), config().as_entries().unwrap().len());
        let bad = resource.import(&Context::default(), ImportRequest { id: "/subscriptions/s".into() }).await;
        assert!(bad.diagnostics.has_errors());
    }

    #[test]
    fn every_kind_sends_its_datasource_type_and_a_datasource_set() {
        let cases = [
            (body_of::<BlobStorage>(&config_of::<BlobStorage>(ACCOUNT, &[])), BlobStorage::DATASOURCE_TYPE),
            (
                body_of::<DataLakeStorage>(&config_of::<DataLakeStorage>(
                    ACCOUNT,
                    &[(attr::storage_account_container_names, strings(&["raw"]))],
                )),
                DataLakeStorage::DATASOURCE_TYPE,
            ),
            (
                body_of::<KubernetesCluster>(&config_of::<KubernetesCluster>(
                    CLUSTER,
                    &[(attr::snapshot_resource_group_id, Value::from("/subscriptions/s1/resourceGroups/rg-snap"))],
                )),
                KubernetesCluster::DATASOURCE_TYPE,
            ),
            (
                body_of::<PostgreSqlFlexibleServer>(&config_of::<PostgreSqlFlexibleServer>(PG, &[])),
                PostgreSqlFlexibleServer::DATASOURCE_TYPE,
            ),
            (
                body_of::<MySqlFlexibleServer>(&config_of::<MySqlFlexibleServer>(MYSQL, &[])),
                MySqlFlexibleServer::DATASOURCE_TYPE,
            ),
        ];
        for (body, datasource_type) in cases {
            assert_eq!(body["dataSourceInfo"]["datasourceType"], datasource_type);
            assert_eq!(body["dataSourceInfo"]["objectType"], "Datasource");
            assert_eq!(body["dataSourceSetInfo"]["objectType"], "DatasourceSet");
            assert_eq!(body["dataSourceSetInfo"]["resourceID"], body["dataSourceInfo"]["resourceID"]);
            assert_eq!(body["dataSourceSetInfo"]["datasourceType"], datasource_type);
        }
        let blob = body_of::<BlobStorage>(&config_of::<BlobStorage>(ACCOUNT, &[]));
        assert_eq!(blob["dataSourceInfo"]["resourceType"], "Microsoft.Storage/storageAccounts");
        assert!(blob["policyInfo"].get("policyParameters").is_none(), "operational backup has no parameters: {blob}");
        let pg = body_of::<PostgreSqlFlexibleServer>(&config_of::<PostgreSqlFlexibleServer>(PG, &[]));
        assert!(pg["policyInfo"].get("policyParameters").is_none(), "{pg}");
        let disk = body_of::<Disk>(&config());
        assert!(disk.get("dataSourceSetInfo").is_none(), "disks are sent as before: {disk}");
    }

    #[test]
    fn blob_containers_go_to_azure_and_come_back() {
        let c = config_of::<BlobStorage>(
            ACCOUNT,
            &[(attr::storage_account_container_names, strings(&["invoices", "reports"]))],
        );
        let body = body_of::<BlobStorage>(&c);
        let parameters = &body["policyInfo"]["policyParameters"]["backupDatasourceParametersList"][0];
        assert_eq!(parameters["objectType"], "BlobBackupDatasourceParameters");
        assert_eq!(parameters["containersList"], serde_json::json!(["invoices", "reports"]));
        assert!(body["policyInfo"]["policyParameters"].get("dataStoreParametersList").is_none(), "{body}");
        let model = Model::from_value::<BlobStorage>(&c).unwrap();
        let state = state_from_azure::<BlobStorage>(&c, &model.id, &model.to_resource());
        assert_eq!(state.attr(attr::storage_account_container_names), c.attr(attr::storage_account_container_names));
        assert_eq!(state.attr(attr::datasource_type).as_str(), Some(BlobStorage::DATASOURCE_TYPE));
    }

    #[test]
    fn kubernetes_parameters_match_the_spec_example_and_come_back() {
        let block = Value::List(vec![Value::object([
            (aks::excluded_namespaces, strings(&["kube-system"])),
            (aks::excluded_resource_types, strings(&["v1/Secret"])),
            (aks::included_namespaces, strings(&["test"])),
            (aks::included_resource_types, Value::Null),
            (aks::label_selectors, Value::Null),
            (aks::cluster_scoped_resources_enabled, Value::from(true)),
            (aks::volume_snapshot_enabled, Value::from(true)),
        ])]);
        let c = config_of::<KubernetesCluster>(
            CLUSTER,
            &[
                (attr::snapshot_resource_group_id, Value::from("/subscriptions/s1/resourceGroups/rg-snap")),
                (attr::backup_datasource_parameters, block),
            ],
        );
        let body = body_of::<KubernetesCluster>(&c);
        let parameters = &body["policyInfo"]["policyParameters"];
        // The names and shapes of Azure's example PutBackupInstance_KubernetesClusterBackupDatasourceParameters.
        let k8s = &parameters["backupDatasourceParametersList"][0];
        assert_eq!(k8s["objectType"], "KubernetesClusterBackupDatasourceParameters");
        assert_eq!(k8s["excludedNamespaces"], serde_json::json!(["kube-system"]));
        assert_eq!(k8s["excludedResourceTypes"], serde_json::json!(["v1/Secret"]));
        assert_eq!(k8s["includedNamespaces"], serde_json::json!(["test"]));
        assert_eq!(k8s["includeClusterScopeResources"], true);
        assert_eq!(k8s["snapshotVolumes"], true);
        let store = &parameters["dataStoreParametersList"][0];
        assert_eq!(store["objectType"], "AzureOperationalStoreParameters");
        assert_eq!(store["dataStoreType"], "OperationalStore");
        assert_eq!(store["resourceGroupId"], "/subscriptions/s1/resourceGroups/rg-snap");

        let model = Model::from_value::<KubernetesCluster>(&c).unwrap();
        let state = state_from_azure::<KubernetesCluster>(&c, &model.id, &model.to_resource());
        assert_eq!(state.attr(attr::backup_datasource_parameters), c.attr(attr::backup_datasource_parameters));
        assert_eq!(state.attr(attr::snapshot_resource_group_id), c.attr(attr::snapshot_resource_group_id));
    }
}
