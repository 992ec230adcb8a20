//! The backup instance resources: `dataprotection_backup_instance` protects a managed disk with a backup policy in
//! a backup vault, and `dataprotection_backup_instance_<kind>` the other datasources (see [`super::instance_kinds`]:
//! a kind brings its datasource, its own arguments and its roles; this file is the lifecycle they share).
//!
//! Lifecycle: validate checks every ID offline; plan of a new instance runs validateForBackup to its end, so
//! Azure's objections (disk already protected, missing permissions) fail the plan; apply PUTs, follows the
//! operation, GETs and waits for `ProtectionConfigured`; destroy DELETEs, follows the operation and confirms the
//! 404. Once Azure has accepted the PUT, every failure still returns the instance's ID, so Terraform keeps it
//! (tainted) instead of losing track of something that exists.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::configuration::Configured;
use crate::arm::client::InstanceAction;
use crate::arm::error::{ArmError, ErrorKind};
use crate::arm::ids::{BackupInstanceId, BackupPolicyId, BackupVaultId, GenericResourceId, check_name, same_id};
use crate::arm::models::{
    BackupInstance, BackupInstanceResource, DISK_DATASOURCE_TYPE, Datasource, PolicyInfo, PolicyParameters,
};
use crate::arm::pipeline::CallContext;
use crate::arm::protection::{self, NotGone, current_state as protection_state, protection_error};
use crate::arm::roles;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::interface::{ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, ReadResponse};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::value::{Type, Value};

use super::common::{self, DEFAULT_TIMEOUTS, arm_error, format_duration, not_ready};
use super::instance_kinds::{Disk, InstanceKind, operational_resource_group};
use super::managed::{Call, ManagedResource, PlanContext};
use super::model::{self, Spelling};

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

/// The hint shown when Azure says the datasource is protected already.
const ALREADY_PROTECTED_HINT: &str = "If this resource is replacing the backup instance that protects the datasource \
and has create_before_destroy, the new instance cannot exist beside the old one: Azure protects a datasource with one \
backup instance at a time. Remove create_before_destroy from its lifecycle block; the replacement then deletes the old \
instance first. If Terraform now keeps the old instance as a deposed object (the plan shows it \"left over from a \
partially-failed replacement\"), make it the resource's object again first: terraform state rm <address>, then \
terraform import <address> <old instance ID>.";

/// What `retain_data_on_destroy` does, and what it costs.
const RETAIN_DATA_DESCRIPTION: &str = "When `true`, destroying this resource stops protection and keeps the \
recovery points (Azure's stopProtection) instead of deleting the backup instance, and the instance leaves Terraform's \
state. The instance stays in the vault as `ProtectionStopped` with its recovery points, which keep costing snapshot \
storage until the instance is deleted in Azure, and the vault (and the policy the instance uses) cannot be deleted \
while it is there. Set it and apply before destroying: destroy uses the value in state. Defaults to `false`: destroy \
deletes the instance and its recovery points.";

/// What `protection_state` does as an argument.
const PROTECTION_STATE_DESCRIPTION: &str = "The protection state: `ProtectionConfigured` while backups run, and \
transient or failed states such as `ConfiguringProtection` or `ProtectionError`. Protection stopped \
(`ProtectionStopped`) or suspended (`BackupSchedulesSuspended`) outside Terraform is drift: the plan shows it changing \
back to `ProtectionConfigured`, and apply resumes protection (Azure's resumeProtection or resumeBackups) with the \
recovery points kept. Set it to `ProtectionStopped` or `BackupSchedulesSuspended` to have apply stop or suspend \
protection, keeping the recovery points; leave it unset for `ProtectionConfigured`. To leave the protection state to \
others, add `protection_state` to `ignore_changes` in the lifecycle block.";

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

/// The arguments as the configuration or plan holds them: read in one place ([`model::read`]), all known.
#[derive(serde::Deserialize)]
struct Arguments {
    name: String,
    vault_id: String,
    datasource_id: String,
    datasource_type: Option<String>,
    location: String,
    backup_policy_id: String,
}

/// The state of an instance, as written back to Terraform ([`model::write`]).
#[derive(serde::Serialize)]
struct State {
    id: String,
    name: String,
    vault_id: String,
    datasource_id: String,
    datasource_type: Option<String>,
    location: Option<String>,
    backup_policy_id: String,
    protection_state: Option<String>,
    retain_data_on_destroy: Option<bool>,
    timeouts: Option<serde_json::Value>,
}

/// The attributes Azure may spell differently from the configuration, and how they compare: plan keeps the
/// configuration's spelling when it is the same value, and read keeps the saved one.
const SPELLINGS: model::Spellings = &[
    ("id", Spelling::Id),
    ("name", Spelling::Text),
    ("vault_id", Spelling::Id),
    ("datasource_id", Spelling::Id),
    ("datasource_type", Spelling::Text),
    ("location", Spelling::Location),
    ("backup_policy_id", Spelling::Id),
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
        let arguments: Arguments = model::read(value)?;
        let datasource: GenericResourceId = arguments.datasource_id.parse().ok()?;
        Some(Model {
            id: BackupInstanceId { vault: arguments.vault_id.parse().ok()?, name: arguments.name },
            datasource_type: arguments.datasource_type.unwrap_or_else(|| K::DATASOURCE_TYPE.to_owned()),
            datasource,
            location: arguments.location,
            policy: arguments.backup_policy_id.parse().ok()?,
            parameters: K::policy_parameters(value).ok()?,
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
    let state = State {
        id: reported_id.to_string(),
        name: reported_id.name.clone(),
        vault_id: reported_id.vault.to_string(),
        datasource_id: p.data_source_info.resource_id.clone(),
        datasource_type,
        location: p.data_source_info.resource_location.clone(),
        backup_policy_id: p.policy_info.policy_id.clone(),
        protection_state: protection_state(instance),
        // Terraform-side settings: what the configuration says, not Azure.
        retain_data_on_destroy: prior.attr("retain_data_on_destroy").as_bool(),
        timeouts: None,
    };
    let mut value = model::write(&state, state_type::<K>());
    K::read_attributes(instance, &mut value);
    value.set_attr("timeouts", prior.attr("timeouts").clone());
    model::keep_spellings(prior, &mut value, SPELLINGS);
    model::keep_spellings(prior, &mut value, K::SPELLINGS);
    value
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
            id: state.attr("id").as_str().map(str::to_owned),
            protects: state.attr("datasource_id").as_str().map(str::to_owned),
        }
        .encode()
    }

    /// The object this private data describes, as the object a create replaces.
    fn replaced(self) -> Option<Replaced> {
        Some(Replaced { id: self.id?, protects: self.protects })
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Schema and validation

/// The schema of kind `K`, built once: plan and read consult it for every object.
fn cached_schema<K: InstanceKind>() -> &'static Schema {
    common::built_once(K::TYPE_NAME, schema::<K>)
}

/// The type of kind `K`'s state, built once.
fn state_type<K: InstanceKind>() -> &'static Type {
    common::built_once(K::TYPE_NAME, || cached_schema::<K>().block.value_type())
}

/// `backup_policy_id`: changed in place, or by replacing the instance where Azure does not move it to another policy.
fn policy_attribute<K: InstanceKind>() -> Attribute {
    let policy = Attribute::required("backup_policy_id", Type::String);
    if K::POLICY_CHANGE_REPLACES {
        policy.force_new().description(
            "The ARM ID of the backup policy, in the same vault. Azure does not move this kind of backup instance to \
             another policy, so changing it replaces the instance.",
        )
    } else {
        policy.description(
            "The ARM ID of the backup policy, in the same vault. Changing it updates the instance in place and waits \
             until protection is configured again.",
        )
    }
}

fn schema<K: InstanceKind>() -> Schema {
    let datasource_type = if K::DATASOURCE_TYPE_ARGUMENT {
        Attribute::optional_computed("datasource_type", Type::String).force_new().description(format!(
            "The datasource type. Derived from `datasource_id` when not set; only `{}` is supported.",
            K::DATASOURCE_TYPE
        ))
    } else {
        Attribute::computed("datasource_type", Type::String)
            .description(format!("The datasource type Azure is sent: `{}`.", K::DATASOURCE_TYPE))
    };
    let mut attributes = vec![
        Attribute::computed("id", Type::String).description("The ARM ID of the backup instance."),
        Attribute::required("name", Type::String).force_new().description("The name of the backup instance."),
        Attribute::required("vault_id", Type::String)
            .force_new()
            .description("The ARM ID of the backup vault. The instance is created in the vault's subscription."),
        Attribute::required("datasource_id", Type::String).force_new().description(format!(
            "The ARM ID of the {} to protect (`{}`).",
            K::NOUN,
            K::RESOURCE_TYPE
        )),
        datasource_type,
        Attribute::required("location", Type::String)
            .force_new()
            .description("The region of the datasource, for example `westus` (`West US` is equivalent)."),
        policy_attribute::<K>(),
        Attribute::optional_computed("protection_state", Type::String).description(PROTECTION_STATE_DESCRIPTION),
        Attribute::optional("retain_data_on_destroy", Type::Bool).description(RETAIN_DATA_DESCRIPTION),
    ];
    attributes.extend(K::attributes());
    let mut blocks = K::blocks();
    blocks.push(common::timeouts_block(DEFAULT_TIMEOUTS));
    Schema {
        version: 0,
        block: Block { description: K::description(), attributes, blocks, deprecated: false }
            .with_force_new_sentences("backup instance"),
    }
}

/// Offline checks; unknown values are skipped.
fn validate_config<K: InstanceKind>(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let text = |name: &str| config.attr(name).as_str();
    if let Some(name) = text("name")
        && let Err(reason) = check_name(name)
    {
        diags.attribute_error(AttributePath::root("name"), "Invalid backup instance name", common::sentence(&reason));
    }
    let vault = text("vault_id").map(|v| (v, v.parse::<BackupVaultId>()));
    if let Some((_, Err(e))) = &vault {
        diags.attribute_error(AttributePath::root("vault_id"), "Invalid backup vault ID", format!("{e}."));
    }
    let datasource = text("datasource_id").map(|v| v.parse::<GenericResourceId>());
    match &datasource {
        Some(Err(e)) => {
            diags.attribute_error(AttributePath::root("datasource_id"), "Invalid datasource ID", format!("{e}."))
        }
        Some(Ok(d)) if !d.resource_type().eq_ignore_ascii_case(K::RESOURCE_TYPE) => diags.attribute_error(
            AttributePath::root("datasource_id"),
            "Unsupported datasource",
            format!(
                "{d} is a {}; {} protects a {} ({}).{}",
                d.resource_type(),
                K::TYPE_NAME,
                K::NOUN,
                K::RESOURCE_TYPE,
                other_kind_hint(&d.resource_type())
            ),
        ),
        _ => {}
    }
    if let Some(ty) = text("datasource_type") {
        let derived = match &datasource {
            Some(Ok(d)) => Some(derived_datasource_type(d)),
            _ => None,
        };
        if !ty.eq_ignore_ascii_case(K::DATASOURCE_TYPE) {
            diags.attribute_error(
                AttributePath::root("datasource_type"),
                "Unsupported datasource type",
                format!("{ty:?} is not supported; the only supported datasource type is {:?}.", K::DATASOURCE_TYPE),
            );
        } else if let Some(derived) = derived
            && !derived.eq_ignore_ascii_case(ty)
        {
            diags.attribute_error(
                AttributePath::root("datasource_type"),
                "datasource_type does not match datasource_id",
                format!("datasource_id is a {derived}, but datasource_type is {ty:?}."),
            );
        }
    }
    if config.attr("location").as_str().is_some_and(|l| l.trim().is_empty()) {
        diags.attribute_error(AttributePath::root("location"), "Invalid location", "The location is empty.");
    }
    match text("backup_policy_id").map(|v| v.parse::<BackupPolicyId>()) {
        Some(Err(e)) => {
            diags.attribute_error(AttributePath::root("backup_policy_id"), "Invalid backup policy ID", format!("{e}."))
        }
        Some(Ok(policy)) => {
            if let Some((_, Ok(vault))) = &vault
                && policy.vault != *vault
            {
                diags.attribute_error(
                    AttributePath::root("backup_policy_id"),
                    "Backup policy is in another vault",
                    format!("The policy {policy} belongs to the vault {}, not to vault_id {vault}.", policy.vault),
                );
            }
        }
        None => {}
    }
    K::validate(config, &mut diags);
    if let Some(wanted) = text("protection_state")
        && !DESIRABLE_STATES.iter().any(|s| s.eq_ignore_ascii_case(wanted))
    {
        diags.attribute_error(
            AttributePath::root("protection_state"),
            "Unsupported protection state",
            format!(
                "{wanted:?} cannot be asked for; the protection state may be set to {}, or left unset for {TARGET_STATE:?}.",
                DESIRABLE_STATES.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
            ),
        );
    }
    common::validate_timeouts(config, &mut diags);
    diags
}

/// Which resources of this provider protect datasources of ARM type `resource_type`, as a sentence to add.
fn other_kind_hint(resource_type: &str) -> String {
    let resources = super::instance_kinds::resource_types_protecting(resource_type);
    if resources.is_empty() { String::new() } else { format!(" Use {} for it.", resources.join(" or ")) }
}

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
        "datasource_id"
    } else if code.contains("policy") {
        "backup_policy_id"
    } else if code.contains("vault") {
        "vault_id"
    } else {
        return None;
    };
    Some(AttributePath::root(name))
}

fn hint_for<K: InstanceKind>(error: &ArmError) -> Option<&'static str> {
    let code = error.code.as_deref().unwrap_or("").to_ascii_lowercase();
    if let Some(hint) = K::hint_for_code(&code) {
        Some(hint)
    } else if code.contains("permission") || code.contains("authorization") || code.contains("rbac") {
        Some(K::PERMISSIONS_HINT)
    } else if code.contains("datasourcealreadyprotected") {
        Some(ALREADY_PROTECTED_HINT)
    } else {
        None
    }
}

/// The protection state the configuration asks for: its `protection_state`, else `ProtectionConfigured`.
fn desired_protection(config: &Value) -> Value {
    match config.attr("protection_state") {
        Value::Null => Value::from(TARGET_STATE),
        wanted => wanted.clone(),
    }
}

/// What to say of an instance with the ID of one this configuration creates: this state does not own it, how
/// to take it over, and what to do when it is the object a create_before_destroy replacement replaces.
fn existing_instance_context(existing: &BackupInstanceResource) -> String {
    let mut context = "This state does not manage it, so Terraform leaves it as it is: it may belong to another \
                       Terraform state or workspace, or have been made outside Terraform.\n\n"
        .to_owned();
    if protection_state(existing).is_some_and(|s| s.eq_ignore_ascii_case(STOPPED_STATE)) {
        context.push_str(
            "Its protection is stopped and its recovery points are kept, as a destroy with retain_data_on_destroy = \
             true leaves it. Once it is imported, the next apply resumes its protection (Azure's resumeProtection) \
             with those recovery points.\n\n",
        );
    }
    context.push_str(
        "If it is the instance this resource replaces (after -replace or a taint) and the resource has \
         create_before_destroy, the new instance cannot be made beside it, because a name is unique in a vault: the \
         apply stops before it changes anything, and Terraform keeps the old instance. Remove create_before_destroy \
         from the lifecycle block; the replacement then deletes the old instance first.\n\n",
    );
    context
}

/// The error for a create whose ID Azure already holds: nothing may change that instance.
fn already_exists<K: InstanceKind>(diags: &mut Diagnostics, id: &BackupInstanceId, existing: &BackupInstanceResource) {
    common::already_exists(
        diags,
        "backup instance",
        K::TYPE_NAME,
        &id.to_string(),
        &existing_instance_context(existing),
    );
}

/// At plan, for an instance with this ID that is exactly what the configuration describes: plan cannot tell
/// whether it is another state's (which apply refuses to take over) or this resource's own, kept by Terraform as a
/// deposed object while a create_before_destroy replacement runs (where failing the plan would leave it deposed for
/// good, and failing the create lets Terraform restore it). So plan warns, and the create refuses.
fn warn_existing<K: InstanceKind>(diags: &mut Diagnostics, id: &BackupInstanceId, existing: &BackupInstanceResource) {
    let mut probe = Diagnostics::new();
    already_exists::<K>(&mut probe, id, existing);
    if let Some(error) = probe.iter().next() {
        diags.warning(
            error.summary.clone(),
            format!("{}\n\nApply will stop with this error before it changes anything.", error.detail),
        );
    }
}

/// The warning for a replacement whose new instance cannot exist beside the old one.
fn warn_delete_first(diags: &mut Diagnostics, old_id: &str, model: &Model) {
    diags.warning(
        "The replacement deletes the old backup instance first",
        format!(
            "Azure protects a datasource with one backup instance at a time and holds a name once in a vault, so \
             replacing {old_id} deletes it, with its recovery points, before the new instance protects {}. That is \
             Terraform's default order. With create_before_destroy on this resource the apply stops before it \
             changes anything, because the new instance cannot exist beside the old one: remove \
             create_before_destroy from the lifecycle block to replace it.",
            model.datasource
        ),
    );
}

/// Warnings for the backup instances a `-replace` names (`targets`, as given on Terraform's command line).
/// Terraform plans a forced replacement without telling the provider and drops the warnings of the plan that
/// follows, so the one place left to say it at plan time is the provider's configuration, once per command.
pub(crate) fn warn_forced_replacements(targets: &[String], diags: &mut Diagnostics) {
    for address in targets {
        let Some(resource_type) = address
            .split('.')
            .map(|segment| segment.split('[').next().unwrap_or(segment))
            .find(|segment| segment.starts_with("dataprotection_backup_instance"))
        else {
            continue;
        };
        diags.warning(
            "-replace deletes a backup instance with its recovery points",
            format!(
                "This command replaces {address} (-replace). Replacing a backup instance ({resource_type}) deletes                  it in Azure with every recovery point it holds, and the new instance starts with none; Azure                  protects a datasource with one instance at a time, so the old one is deleted first. To keep the                  recovery points, set retain_data_on_destroy = true on it and apply before replacing it: the old                  instance is then kept in the vault with its protection stopped. If you did not mean to lose them,                  do not approve this plan."
            ),
        );
    }
}

/// A replacement of an instance that is not in the way of its successor (another datasource or name), or whose new
/// arguments are not known until apply (a policy created in the same apply).
fn warn_replacement_deletes(diags: &mut Diagnostics, old_id: &str) {
    diags.warning(
        "The replacement deletes a backup instance with its recovery points",
        format!(
            "Replacing {old_id} deletes it in Azure with every recovery point it holds; the new instance starts with              none. To keep them, set retain_data_on_destroy = true on this resource and apply before this change:              the old instance is then kept in the vault with its protection stopped."
        ),
    );
}

/// A replacement of an instance whose state says to keep its recovery points.
fn warn_replacement_keeps(diags: &mut Diagnostics, old_id: &str) {
    diags.warning(
        "The replaced backup instance is kept with its recovery points",
        format!(
            "retain_data_on_destroy is true, so replacing {old_id} stops its protection and keeps it in the vault              with its recovery points, outside Terraform's state; it keeps costing storage until it is deleted in              Azure."
        ),
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Operations

/// The datasource type a plan holds when the configuration does not set it: the kind's, once `datasource_id` is
/// known (for a kind whose type is computed only, at once).
fn planned_datasource_type<K: InstanceKind>(planned: &Value) -> Value {
    match planned.attr("datasource_id") {
        _ if !K::DATASOURCE_TYPE_ARGUMENT => Value::from(K::DATASOURCE_TYPE),
        Value::String(s) if s.parse::<GenericResourceId>().is_ok() => Value::from(K::DATASOURCE_TYPE),
        _ => Value::Unknown,
    }
}

/// Whether `planned` changes what Azure is sent in a PUT: the policy, or a kind's argument Azure takes that way.
fn body_changes<K: InstanceKind>(prior: &Value, planned: &Value) -> bool {
    std::iter::once("backup_policy_id")
        .chain(K::UPDATED_BY_PUT.iter().copied())
        .any(|name| planned.attr(name) != prior.attr(name))
}

/// The body an in-place update PUTs for `model` when Azure holds `existing` (see [`Model::update_of`]), which
/// validateForModifyBackup checks at plan.
fn modify_body<K: InstanceKind>(model: &Model, existing: Option<&BackupInstanceResource>) -> BackupInstanceResource {
    match existing {
        Some(existing) => model.update_of(existing),
        None => model.to_resource(),
    }
}

/// validateForModifyBackup at plan, for an in-place change that sends Azure a new body (a new policy, a kind's
/// arguments Azure takes in place): Azure checks the body the update would PUT, on the existing instance, and a
/// failure is an error at plan, in Azure's words, instead of an apply that leaves the instance
/// `ConfiguringProtectionFailed`. What costs nothing is checked first: a replacement, errors already found, a body
/// that does not change, unknown values, the provider's configuration.
async fn validate_modify<K: InstanceKind>(
    cx: &PlanContext<'_>,
    request: &PlanRequest,
    response: &mut PlanResponse,
    read: Option<BackupInstanceResource>,
) {
    let (prior, planned) = (&request.prior_state, &response.planned_state);
    if !response.requires_replace.is_empty() || response.diagnostics.has_errors() || !body_changes::<K>(prior, planned)
    {
        return;
    }
    let Some(model) = Model::from_value::<K>(planned) else {
        tracing::debug!("the change has unknown arguments; validateForModifyBackup runs at apply's plan");
        return;
    };
    let configured = match cx.configured() {
        Ok(c) => c,
        Err(super::configuration::NotReady::Unknown(names)) => {
            response.diagnostics.warning(
                "Azure validation skipped",
                format!(
                    "validateForModifyBackup did not run for {} because the provider arguments {} are not known yet. \
                     It runs when this instance is planned again during apply.",
                    model.id,
                    names.join(", ")
                ),
            );
            return;
        }
        Err(reason) => return not_ready(&mut response.diagnostics, reason),
    };
    if !configured.validate_on_plan {
        return;
    }
    if cx.ctx.terraform_is_destroying() {
        tracing::debug!(id = %model.id, "terraform is destroying: nothing will be updated, so no validation");
        return;
    }
    let timeouts = common::timeouts(planned, DEFAULT_TIMEOUTS);
    let call = cx.call(timeouts.update, "update timeout");
    let what = format!("validating the change of backup instance {} with Azure (validateForModifyBackup)", model.id);
    let result = async {
        let client = &configured.client;
        // The body the update would PUT starts from the object Azure holds, as this plan's refresh read it.
        let existing = match read {
            Some(instance) => Some(instance),
            None => client.read_backup_instance(&call, &model.id).await?,
        };
        let body = modify_body::<K>(&model, existing.as_ref());
        let mut operation = client.begin_validate_for_modify_backup(&call, &model.id, &body.properties, &what).await?;
        operation.wait(&call).await
    }
    .await;
    if let Err(error) = result {
        let path = attribute_for_code::<K>(error.code.as_deref());
        arm_error(&mut response.diagnostics, &error, path, hint_for::<K>(&error));
    }
}

impl<K: InstanceKind> BackupInstanceType<K> {
    async fn plan_new(&self, cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        let planned = &mut response.planned_state;
        planned.set_attr("protection_state", desired_protection(&request.config));
        if planned.attr("datasource_type").is_null() {
            let derived = planned_datasource_type::<K>(planned);
            planned.set_attr("datasource_type", derived);
        }
        let Some(model) = Model::from_value::<K>(planned) else {
            tracing::debug!("new backup instance has unknown arguments; validateForBackup runs at apply's plan");
            return;
        };
        let timeouts = common::timeouts(planned, DEFAULT_TIMEOUTS);
        let configured = match cx.configured() {
            Ok(c) => c,
            Err(super::configuration::NotReady::Unknown(names)) => {
                response.diagnostics.warning(
                    "Azure validation skipped",
                    format!(
                        "validateForBackup did not run for {} because the provider arguments {} are not known yet. It \
                         runs when this instance is planned again during apply.",
                        model.id,
                        names.join(", ")
                    ),
                );
                return;
            }
            Err(reason) => return not_ready(&mut response.diagnostics, reason),
        };
        if !configured.validate_on_plan {
            return;
        }
        if cx.ctx.terraform_is_destroying() {
            tracing::debug!(id = %model.id, "terraform is destroying: nothing will be created, so no validation");
            return;
        }
        let replaced = Private::decode(&request.prior_private).replaced().or_else(|| self.refreshed(&model.id));
        let call = cx.call(timeouts.create, "create timeout");
        let diags = &mut response.diagnostics;
        if let Some(replaced) = &replaced
            && replaced.collides_with(&model)
        {
            warn_delete_first(diags, &replaced.id, &model);
        }
        // The apply walk plans again in a new process: a validation this command's plan walk ran is not repeated.
        let subject = validation_subject(&configured, &model);
        tracing::debug!(id = %model.id, walks = ?cx.ctx.walks(), "validation records of this command");
        if let Some(when) = super::validated::take(cx.ctx.walks(), &subject) {
            let ago = std::time::SystemTime::now().duration_since(when).unwrap_or_default().as_secs();
            tracing::info!(id = %model.id, validated_s_ago = ago, "validateForBackup passed for this instance in \
                this command's plan; not asked again");
            return;
        }
        let Err(error) = validate_for_backup::<K>(&configured, &call, &model).await else {
            super::validated::record(cx.ctx.walks(), &subject);
            return;
        };
        if error.code.as_deref() == Some("UserErrorDppDatasourceAlreadyProtected") {
            if replaced.as_ref().is_some_and(|r| r.protects(&model.datasource)) {
                // The instance being replaced protects the datasource; it is deleted before this one is created.
                tracing::debug!(id = %model.id, "datasource is protected by the instance this one replaces");
                return;
            }
            // Is it protected by an instance with this very ID? Then that instance is what to talk about. (The
            // object being replaced, when it has this ID, protects another datasource here: Azure's error is about
            // a third instance.)
            match configured.client.get_backup_instance(&call, &model.id).await {
                Ok(Some(_)) if replaced.as_ref().is_some_and(|r| r.is(&model.id)) => {}
                Ok(Some(existing)) if model.describes(&existing) => {
                    return warn_existing::<K>(diags, &model.id, &existing);
                }
                Ok(Some(existing)) => return already_exists::<K>(diags, &model.id, &existing),
                Ok(None) => {}
                Err(read) => tracing::warn!(id = %model.id, error = %read, "could not read the instance with this ID"),
            }
        }
        arm_error(diags, &error, attribute_for_code::<K>(error.code.as_deref()), hint_for::<K>(&error));
    }

    fn plan_change(request: &PlanRequest, response: &mut PlanResponse) {
        let prior = &request.prior_state;
        let planned = &mut response.planned_state;
        model::keep_spellings(prior, planned, SPELLINGS);
        model::keep_spellings(prior, planned, K::SPELLINGS);
        if request.config.attr("datasource_type").is_null() {
            let value = if planned.attr("datasource_id") == prior.attr("datasource_id") {
                prior.attr("datasource_type").clone()
            } else {
                planned_datasource_type::<K>(planned)
            };
            planned.set_attr("datasource_type", value);
        }
        response.requires_replace = common::requires_replace(cached_schema::<K>(), prior, planned);
        response.requires_replace.extend(K::replaced_by(prior, planned));
        // Always: `-replace` is Terraform's decision, and the create half of any replacement needs to know the object
        // it replaces.
        response.planned_private = Private::of_state(prior);
        if !response.requires_replace.is_empty() {
            // Terraform shows only the errors of the create half's plan, so the warning is given here, for every
            // replacement, whether or not the new arguments are known yet.
            let old_id = prior.attr("id").as_str().unwrap_or("the backup instance");
            match Model::from_value::<K>(planned) {
                _ if retains_data(prior) => warn_replacement_keeps(&mut response.diagnostics, old_id),
                Some(model)
                    if Private::decode(&response.planned_private)
                        .replaced()
                        .is_some_and(|r| r.collides_with(&model)) =>
                {
                    warn_delete_first(&mut response.diagnostics, old_id, &model)
                }
                _ => warn_replacement_deletes(&mut response.diagnostics, old_id),
            }
            return;
        }
        // Protection where the configuration wants it: a new policy, protection that an interrupted or failed apply
        // left unfinished, or protection stopped or suspended outside Terraform all plan a change to that state.
        let desired = desired_protection(&request.config);
        let current = prior.attr("protection_state");
        let value = if !body_changes::<K>(prior, planned) && Spelling::Text.same(&desired, current) {
            current.clone()
        } else {
            desired
        };
        planned.set_attr("protection_state", value);
    }
}

/// True when destroying the instance in `state` stops protection and keeps its recovery points.
fn retains_data(state: &Value) -> bool {
    state.attr("retain_data_on_destroy").as_bool() == Some(true)
}

/// stopProtection, followed to its end. An instance that no longer exists has nothing to stop.
async fn stop_protection(configured: &Configured, call: &CallContext, id: &BackupInstanceId) -> Result<(), ArmError> {
    let client = &configured.client;
    if let Some(mut operation) = client.begin_stop_protection(call, id).await? {
        operation.wait(call).await?;
    }
    Ok(())
}

/// What a validateForBackup asked about, for [`super::validated`]: the endpoint and the request body.
fn validation_subject(configured: &Configured, model: &Model) -> String {
    let endpoint = configured.client.url(&model.id.vault.to_string()).map(|u| u.to_string()).unwrap_or_default();
    format!("{endpoint}\n{}", serde_json::to_string(&model.to_instance()).unwrap_or_default())
}

/// How long the check after a failed create or delete may take. It runs after the operation's own deadline or
/// stop, so that state never leaves out an instance Azure created, nor keeps one Azure deleted.
const CHECK_AFTER_FAILURE: Duration = Duration::from_secs(15);

/// Whether an instance may exist after its create PUT failed with `error`: a GET says so, or cannot say
/// otherwise when the PUT may have reached Azure.
async fn exists_after_failed_put(client: &crate::arm::ArmClient, id: &BackupInstanceId, error: &ArmError) -> bool {
    let call = CallContext::new(
        std::time::Instant::now(),
        CHECK_AFTER_FAILURE,
        format!("check after a failed create ({})", format_duration(CHECK_AFTER_FAILURE)),
        tokio_util::sync::CancellationToken::new(),
    );
    match client.get_backup_instance(&call, id).await {
        Ok(found) => {
            if found.is_some() {
                tracing::warn!(id = %id, "the create failed, but the backup instance exists; keeping it in state");
            }
            found.is_some()
        }
        Err(check) => {
            let maybe_sent = !matches!(error.kind, ErrorKind::Refused | ErrorKind::Authentication);
            tracing::warn!(id = %id, error = %check, "could not check whether the failed create took effect");
            maybe_sent
        }
    }
}

/// Whether a GET finds the instance gone after its delete failed with `error` (a DELETE that took effect although
/// its answer, its operation's status or the confirming GET was lost). False when that cannot be told.
async fn gone_after_failed_delete(client: &crate::arm::ArmClient, id: &BackupInstanceId, error: &ArmError) -> bool {
    if matches!(error.kind, ErrorKind::Refused | ErrorKind::Authentication) {
        return false;
    }
    let call = CallContext::new(
        std::time::Instant::now(),
        CHECK_AFTER_FAILURE,
        format!("check after a failed delete ({})", format_duration(CHECK_AFTER_FAILURE)),
        tokio_util::sync::CancellationToken::new(),
    );
    matches!(client.get_backup_instance(&call, id).await, Ok(None))
}

/// validateForBackup, followed to its end.
/// validateForBackup. When Azure answers that the vault's identity lacks a permission although it holds the role
/// assignments that grant it (just made, in this apply or shortly before), Azure has not applied them yet: it waits
/// and validates again, with growing pauses, until they take effect or the deadline comes. When an assignment is
/// missing, or cannot be read, Azure's error is the answer at once, saying which.
async fn validate_for_backup<K: InstanceKind>(
    configured: &Configured,
    call: &CallContext,
    model: &Model,
) -> Result<(), ArmError> {
    let what = format!("validating backup instance {} with Azure (validateForBackup)", model.id);
    let client = &configured.client;
    let clock = client.pipeline().clock().clone();
    let started = clock.now();
    let mut pause = ROLE_PROPAGATION_FIRST_PAUSE;
    loop {
        let result = async {
            let mut operation =
                client.begin_validate_for_backup(call, &model.id.vault, &model.to_instance(), &what).await?;
            operation.wait(call).await
        }
        .await;
        let Err(mut error) = result else { return Ok(()) };
        if error.code.as_deref() != Some("UserErrorMissingRequiredPermissions") {
            return Err(error);
        }
        match roles_held::<K>(client, call, model).await {
            Ok(RolesHeld::All(newest, held)) => {
                if clock.now() + pause > call.deadline {
                    error.recommended_actions.push(format!(
                        "The vault's identity holds the roles it needs ({}; the newest assigned {}), but Azure had \
                         not applied them when the {} ran out, after validating for {} s. Role assignments can take \
                         up to 30 minutes to take effect: run terraform again later, or raise the timeout.",
                        held.join("; "),
                        newest.as_deref().unwrap_or("recently"),
                        call.timeout_label,
                        clock.now().saturating_duration_since(started).as_secs()
                    ));
                    return Err(error);
                }
                tracing::info!(
                    id = %model.id,
                    roles = held.join("; "),
                    newest_assignment = newest.as_deref().unwrap_or(""),
                    pause_s = pause.as_secs(),
                    waited_s = clock.now().saturating_duration_since(started).as_secs(),
                    "the vault's identity holds the roles validateForBackup asks for, but Azure has not applied them \
                     yet; validating again after a pause"
                );
                if !role_propagation_pause(call, clock.as_ref(), &mut pause).await {
                    return Err(error);
                }
            }
            Ok(RolesHeld::Missing(missing)) => {
                error.recommended_actions.push(format!("The vault's identity does not hold: {}.", missing.join("; ")));
                return Err(error);
            }
            Err(reason) => {
                tracing::debug!(id = %model.id, reason = %reason, "could not tell whether the roles are propagating");
                return Err(error);
            }
        }
    }
}

/// The first pause before validating again while role assignments propagate; it doubles up to
/// [`ROLE_PROPAGATION_MAX_PAUSE`].
const ROLE_PROPAGATION_FIRST_PAUSE: Duration = Duration::from_secs(2);
/// The longest pause between validations while role assignments propagate.
const ROLE_PROPAGATION_MAX_PAUSE: Duration = Duration::from_secs(60);

/// Sleeps `pause` (then doubles it, up to [`ROLE_PROPAGATION_MAX_PAUSE`]) while role assignments take effect;
/// `false` when Terraform asked the provider to stop first.
async fn role_propagation_pause(
    call: &CallContext,
    clock: &dyn crate::arm::pipeline::Clock,
    pause: &mut Duration,
) -> bool {
    tokio::select! {
        biased;
        _ = call.stop.cancelled() => return false,
        _ = clock.sleep(*pause) => {}
    }
    *pause = (*pause * 2).min(ROLE_PROPAGATION_MAX_PAUSE);
    true
}

/// Whether the vault's identity holds the role assignments the datasource's backup needs.
enum RolesHeld {
    /// It holds them all: the newest assignment's `createdOn`, and the roles, as "role on scope".
    All(Option<String>, Vec<String>),
    /// These are missing: "role on scope".
    Missing(Vec<String>),
}

/// Reads the vault's identity and its role assignments, and compares them with what the datasource's backup needs.
async fn roles_held<K: InstanceKind>(
    client: &crate::arm::ArmClient,
    call: &CallContext,
    model: &Model,
) -> Result<RolesHeld, ArmError> {
    let not_checkable = |why: &str| ArmError::new(ErrorKind::InvalidResponse, why.to_owned());
    let Some(needs) = K::needs(&model.datasource, model.parameters.as_ref()) else {
        return Err(not_checkable("the roles this backup needs cannot be told from its arguments"));
    };
    let vault = client.get_backup_vault(call, &model.id.vault).await?.ok_or_else(|| not_checkable("no vault"))?;
    let principal = vault
        .identity
        .and_then(|identity| identity.principal_id)
        .ok_or_else(|| not_checkable("the vault has no managed identity"))?;
    let subscription = &model.id.vault.resource_group.subscription_id;
    let assignments = client.role_assignments_of(call, subscription, &principal).await?;
    let missing = roles::uncovered(&needs, &assignments);
    if missing.is_empty() {
        let newest = assignments.iter().filter_map(|a| a.properties.created_on.clone()).max();
        Ok(RolesHeld::All(newest, needs.iter().map(|need| format!("{} on {}", need.role, need.scope)).collect()))
    } else {
        Ok(RolesHeld::Missing(
            missing.iter().map(|need| format!("{} on {} (principal {principal})", need.role, need.scope)).collect(),
        ))
    }
}

/// After an accepted PUT: follow the operation, GET, and wait for protection. `state` is kept up to date with
/// what is known, so that it is right to save even when this fails.
async fn finish_put<K: InstanceKind>(
    client: &crate::arm::ArmClient,
    call: &CallContext,
    operation: &mut crate::arm::poller::Operation,
    id: &BackupInstanceId,
    planned: &Value,
    state: &mut Value,
) -> Result<(), ArmError> {
    operation.wait(call).await?;
    let Some((instance, delay)) = client.get_backup_instance_polled(call, id).await? else {
        return Err(ArmError::new(
            ErrorKind::InvalidResponse,
            "Azure reported the operation as succeeded, but the backup instance does not exist",
        )
        .context(format!("waiting for backup instance {id}")));
    };
    await_state::<K>(client, call, id, planned, state, (instance, delay), TARGET_STATE).await
}

/// One thing an apply does to bring protection to the state the plan says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// PUT the instance (a new policy, or protection whose configuration failed), then wait for protection.
    Put,
    /// Wait for protection Azure is still configuring (an apply was interrupted while waiting).
    Wait,
    /// An action, then wait for the state it leads to.
    Act(InstanceAction, &'static str),
}

/// The steps from the protection state `current` (as last read from Azure) to `desired`, with or without a new
/// policy. Empty when there is nothing to tell Azure.
fn update_steps(current: &str, desired: &str, same_policy: bool) -> Vec<Step> {
    let is = |states: &[&str]| states.iter().any(|s| s.eq_ignore_ascii_case(current));
    let wants = |state: &str| state.eq_ignore_ascii_case(desired);
    let mut steps = Vec::new();
    if !same_policy {
        steps.push(Step::Put);
    } else if is(PENDING_STATES) {
        steps.push(Step::Wait);
    } else if is(&[STOPPED_STATE]) {
        if !wants(STOPPED_STATE) {
            steps.push(Step::Act(InstanceAction::ResumeProtection, TARGET_STATE));
        }
    } else if is(SUSPENDED_STATES) {
        if !wants(SUSPENDED_STATE) {
            steps.push(Step::Act(InstanceAction::ResumeBackups, TARGET_STATE));
        }
    } else if is(&[PROTECTION_ERROR_STATE]) {
        // Protection was configured and later failed (a permission removed, say): Azure's sync retries what failed,
        // which is what brings it back once the cause is fixed.
        steps.push(Step::Act(InstanceAction::Sync, TARGET_STATE));
    } else if !is(&[TARGET_STATE]) {
        // Configuring protection failed, or a state this provider does not know: send the instance again.
        steps.push(Step::Put);
    }
    let reached = if steps.is_empty() { current } else { TARGET_STATE };
    if wants(STOPPED_STATE) && !reached.eq_ignore_ascii_case(STOPPED_STATE) {
        steps.push(Step::Act(InstanceAction::StopProtection, STOPPED_STATE));
    } else if wants(SUSPENDED_STATE) && !SUSPENDED_STATES.iter().any(|s| s.eq_ignore_ascii_case(reached)) {
        steps.push(Step::Act(InstanceAction::SuspendBackups, SUSPENDED_STATE));
    }
    steps
}

/// Runs `steps` for the instance of `model`. `state` is kept up to date with what is known once Azure has
/// accepted a step, so that it is right to save even when this fails; `sent` turns true once a request that
/// changes the instance has been sent.
async fn run_steps<K: InstanceKind>(
    client: &crate::arm::ArmClient,
    call: &CallContext,
    model: &Model,
    planned: &Value,
    (state, sent): (&mut Value, &mut bool),
    steps: &[Step],
) -> Result<(), ArmError> {
    let id = &model.id;
    for step in steps {
        let (what, target) = match step {
            Step::Put => {
                let what = format!("updating backup instance {id}");
                // Start from the object Azure holds, so that what this resource does not manage is kept.
                let existing = client.get_backup_instance(call, id).await.map_err(|e| e.context(what.clone()))?;
                let body = modify_body::<K>(model, existing.as_ref());
                *sent = true;
                let mut operation = client.begin_put_backup_instance(call, id, &body, &what).await?;
                // Accepted: the protection state is Azure's to tell from here on.
                *state = planned.clone();
                state.set_attr("protection_state", Value::Null);
                finish_put::<K>(client, call, &mut operation, id, planned, state).await?;
                continue;
            }
            Step::Wait => (format!("waiting for backup instance {id}"), TARGET_STATE),
            Step::Act(action, target) => {
                let what = format!("{} of backup instance {id}", action.describe());
                *sent = true;
                let Some(mut operation) = client.begin_instance_action(call, id, *action).await? else {
                    return Err(
                        ArmError::new(ErrorKind::InvalidResponse, "the backup instance no longer exists").context(what)
                    );
                };
                *state = planned.clone();
                state.set_attr("protection_state", Value::Null);
                operation.wait(call).await?;
                (what, *target)
            }
        };
        let Some((instance, delay)) = client.get_backup_instance_polled(call, id).await? else {
            return Err(ArmError::new(ErrorKind::InvalidResponse, "the backup instance no longer exists").context(what));
        };
        await_state::<K>(client, call, id, planned, state, (instance, delay), target).await?;
    }
    Ok(())
}

/// Follows the instance (first read: `instance`, with the delay it asked for) until its protection state is
/// `target`. `state` is kept up to date with every read, so that it is right to save even when this fails.
async fn await_state<K: InstanceKind>(
    client: &crate::arm::ArmClient,
    call: &CallContext,
    id: &BackupInstanceId,
    planned: &Value,
    state: &mut Value,
    first: (BackupInstanceResource, Option<Duration>),
    target: &str,
) -> Result<(), ArmError> {
    let seen = |instance: &BackupInstanceResource| *state = state_from_azure::<K>(planned, id, instance);
    client.wait_for_protection_state(call, id, target, first, seen).await.map(|_| ())
}

/// True when `error` means Azure never took the request that failed: it was not sent, or Azure refused it outright.
fn refused_outright(error: &ArmError) -> bool {
    match error.kind {
        ErrorKind::Refused | ErrorKind::Authentication => true,
        ErrorKind::Response => error.status.is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429),
        _ => false,
    }
}

/// What a failed update left, for its error (`error`). Unless Azure plainly refused the first step, the instance
/// is read back (within [`CHECK_AFTER_FAILURE`], as the update's own deadline may be over) and `state` keeps what
/// Azure reports; the sentence says which state the instance is in and how the next plan and apply converge.
async fn after_failed_update<K: InstanceKind>(
    client: &crate::arm::ArmClient,
    id: &BackupInstanceId,
    (prior, planned): (&Value, &Value),
    state: &mut Value,
    error: &ArmError,
) -> String {
    let accepted = state != prior;
    if !accepted && refused_outright(error) {
        return format!("Azure did not accept the change, so backup instance {id} is as it was.");
    }
    let call = CallContext::new(
        std::time::Instant::now(),
        CHECK_AFTER_FAILURE,
        format!("check after a failed update ({})", format_duration(CHECK_AFTER_FAILURE)),
        tokio_util::sync::CancellationToken::new(),
    );
    let instance = match client.get_backup_instance(&call, id).await {
        Ok(Some(instance)) => instance,
        Ok(None) => {
            return format!(
                "Backup instance {id} no longer exists in Azure: the next refresh removes it from state and the next \
                 plan creates it."
            );
        }
        Err(check) => {
            return format!(
                "Backup instance {id} could not be read back to tell what Azure made of the change ({}): the next \
                 refresh reads it, and the next plan shows what remains to change.",
                check.summary()
            );
        }
    };
    *state = state_from_azure::<K>(if accepted { planned } else { prior }, id, &instance);
    let Some(current) = protection_state(&instance) else {
        return format!(
            "Azure reports no protection state for backup instance {id}; the next plan shows what remains to change."
        );
    };
    let desired = planned.attr("protection_state").as_str().unwrap_or(TARGET_STATE);
    let next = match update_steps(&current, desired, true).first() {
        None => {
            return format!(
                "Azure reports backup instance {id} in state {current}; the next plan shows what remains to change."
            );
        }
        Some(Step::Put) => "sends the instance again".to_owned(),
        Some(Step::Wait) => "waits for Azure to finish configuring protection".to_owned(),
        Some(Step::Act(action, _)) => format!("runs {}", action.describe()),
    };
    format!(
        "The backup instance is left in the state Azure reports, {current}: the next plan shows protection_state \
         changing back to {desired}, and the next apply {next}."
    )
}

/// Why a delete did not end cleanly.
struct DeleteFailure {
    error: ArmError,
    /// Azure reported the delete as done, and only reading the instance back failed.
    unconfirmed: bool,
}

/// DELETE, follow the operation, and GET until Azure reports 404.
async fn delete_and_confirm(
    configured: &Configured,
    call: &CallContext,
    id: &BackupInstanceId,
) -> Result<(), DeleteFailure> {
    let client = &configured.client;
    let failed = |error: ArmError| DeleteFailure { error, unconfirmed: false };
    if let Some(mut operation) = client.begin_delete_backup_instance(call, id).await.map_err(failed)? {
        operation.wait(call).await.map_err(failed)?;
    }
    let what = format!("deleting backup instance {id}");
    client
        .wait_until_gone(call, &what, || async {
            Ok(client.get_backup_instance_polled(call, id).await?.map(|(_, delay)| delay))
        })
        .await
        .map_err(|not_gone| match not_gone {
            NotGone::Unreadable(error) => DeleteFailure { error, unconfirmed: true },
            NotGone::StillThere(error) => failed(error),
        })
}

#[async_trait]
impl<K: InstanceKind> ManagedResource for BackupInstanceType<K> {
    type Id = BackupInstanceId;
    const TYPE_NAME: &'static str = K::TYPE_NAME;
    const KIND: &'static str = "backup instance";

    fn schema() -> Schema {
        schema::<K>()
    }

    fn validate(config: &Value) -> Diagnostics {
        validate_config::<K>(config)
    }

    async fn plan_destroy(&self, _cx: &PlanContext<'_>, prior: &Value, diagnostics: &mut Diagnostics) {
        if retains_data(prior) {
            diagnostics.warning(
                "Backup instance will be kept in Azure with its recovery points",
                format!(
                    "retain_data_on_destroy is true, so destroying {} stops its protection and keeps its recovery \
                     points instead of deleting it. It leaves Terraform's state but stays in the vault, and keeps \
                     costing storage until it is deleted in Azure.",
                    prior.attr("id").as_str().unwrap_or("this backup instance")
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
        let mut response = ApplyResponse::default();
        let Some(model) = Model::from_value::<K>(&request.planned_state) else {
            response.diagnostics.error(
                "Backup instance arguments not known",
                "Some arguments were still unknown when the instance was to be created. This is a bug in the provider.",
            );
            return response;
        };
        let (call, client) = (&azure.context, azure.client());
        let id = &model.id;
        let what = format!("creating backup instance {id}");

        // An instance with this ID that exists now is not this state's: its create was planned as new, and a
        // create cut off after Azure accepted it is in state already (tainted). Only a PUT of this very call that
        // took effect although its answer was lost is taken as this state's, further down.
        match client.get_backup_instance(call, id).await {
            Ok(None) => {}
            Ok(Some(existing)) => {
                already_exists::<K>(&mut response.diagnostics, id, &existing);
                return response;
            }
            Err(error) => {
                arm_error(&mut response.diagnostics, &error.context(what.clone()), None, None);
                return response;
            }
        }

        let mut operation = match client.begin_put_backup_instance(call, id, &model.to_resource(), &what).await {
            Ok(operation) => operation,
            Err(error) => {
                let path = attribute_for_code::<K>(error.code.as_deref());
                arm_error(&mut response.diagnostics, &error, path, hint_for::<K>(&error));
                // An earlier try may have taken effect even though the last one failed (an answer lost on the
                // way back, a stop or a deadline while the request was in flight): keep what exists.
                if exists_after_failed_put(client, id, &error).await {
                    let mut state = request.planned_state.clone();
                    state.set_attr("id", Value::from(id.to_string()));
                    state.set_attr("protection_state", Value::Null);
                    response.private = Private::of_state(&state);
                    response.new_state = state;
                }
                return response;
            }
        };
        // Azure has accepted the PUT: the instance may exist from here on, so every return carries its ID.
        let mut state = request.planned_state.clone();
        state.set_attr("id", Value::from(id.to_string()));
        state.set_attr("protection_state", Value::Null);
        tracing::info!(id = %id, "backup instance accepted; following the operation");
        let planned = &request.planned_state;
        let mut result = finish_put::<K>(client, call, &mut operation, id, planned, &mut state).await;
        // Protection failed for a permission the vault's identity holds but Azure has not applied yet (no
        // validation at plan, or roles assigned between plan and apply): send the instance again once it has.
        let clock = client.pipeline().clock().clone();
        let mut pause = ROLE_PROPAGATION_FIRST_PAUSE;
        while let Err(error) = &result
            && error.code.as_deref() == Some("UserErrorMissingRequiredPermissions")
            && clock.now() + pause <= call.deadline
            && matches!(roles_held::<K>(client, call, &model).await, Ok(RolesHeld::All(..)))
        {
            tracing::info!(
                id = %id,
                pause_s = pause.as_secs(),
                "protection failed for roles the vault's identity holds but Azure has not applied yet; sending the \
                 instance again after a pause"
            );
            if !role_propagation_pause(call, clock.as_ref(), &mut pause).await {
                break;
            }
            result = run_steps::<K>(client, call, &model, planned, (&mut state, &mut true), &[Step::Put]).await;
        }
        if result.is_ok() {
            // Protection is configured; a configuration that asks for it stopped or suspended gets that next.
            let steps =
                update_steps(TARGET_STATE, planned.attr("protection_state").as_str().unwrap_or(TARGET_STATE), true);
            result = run_steps::<K>(client, call, &model, planned, (&mut state, &mut true), &steps).await;
        }
        if let Err(error) = result {
            let path = attribute_for_code::<K>(error.code.as_deref());
            let hint = match error.kind {
                // Cut off while Azure was still at work: Terraform keeps the instance, tainted.
                ErrorKind::Stopped | ErrorKind::Timeout => Some(format!(
                    "{id} exists in Azure and is kept in Terraform's state, marked tainted, so nothing is orphaned. \
                     Azure goes on configuring its protection. As it stands, the next apply replaces it (deletes \
                     it and creates it again). To keep it instead, run terraform untaint <address of this {}> once \
                     Azure reports it ProtectionConfigured; the next plan then shows whatever is left to do.",
                    K::TYPE_NAME
                )),
                _ => hint_for::<K>(&error).map(str::to_owned),
            };
            arm_error(&mut response.diagnostics, &error, path, hint.as_deref());
        }
        response.private = Private::of_state(&state);
        response.new_state = state;
        response
    }

    async fn update(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let prior = &request.prior_state;
        let planned = &request.planned_state;
        let same_policy = !body_changes::<K>(prior, planned);
        let current = prior.attr("protection_state").as_str().unwrap_or("");
        let desired = planned.attr("protection_state").as_str().unwrap_or(TARGET_STATE);
        let steps = update_steps(current, desired, same_policy);
        if steps.is_empty() {
            // Only Terraform-side settings (timeouts, retain_data_on_destroy) changed: nothing to tell Azure.
            response.private = Private::of_state(planned);
            response.new_state = planned.clone();
            return response;
        }
        let Some(model) = Model::from_value::<K>(planned) else {
            response.diagnostics.error("Backup instance arguments not known", "This is a bug in the provider.");
            response.new_state = prior.clone();
            return response;
        };
        // Until Azure accepts a step, the state stays what it was.
        let mut state = prior.clone();
        // A policy delete in this apply waits for instances that leave its policy.
        let policy_move = super::moves::begin_policy_move(prior, planned);
        let client = azure.client();
        let mut sent = false;
        let result = run_steps::<K>(client, &azure.context, &model, planned, (&mut state, &mut sent), &steps).await;
        if let Some(policy_move) = policy_move {
            policy_move.finish(result.is_ok());
        }
        if let Err(error) = result {
            let left = if sent {
                after_failed_update::<K>(client, &model.id, (prior, planned), &mut state, &error).await
            } else {
                // Only reads failed: Azure was asked for nothing, and the state holds the last read.
                format!(
                    "Nothing was sent to change backup instance {}, so it is as Azure last reported it: the next plan \
                     shows what remains to change.",
                    model.id
                )
            };
            let hint = match hint_for::<K>(&error) {
                Some(hint) => format!("{hint}\n\n{left}"),
                None => left,
            };
            arm_error(&mut response.diagnostics, &error, attribute_for_code::<K>(error.code.as_deref()), Some(&hint));
        }
        response.private = Private::of_state(&state);
        response.new_state = state;
        response
    }

    async fn delete(&self, azure: &Call, id: &BackupInstanceId, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let prior = &request.prior_state;
        let (configured, call) = (&azure.configured, &azure.context);
        if retains_data(prior) {
            let stopped =
                prior.attr("protection_state").as_str().is_some_and(|s| s.eq_ignore_ascii_case(STOPPED_STATE));
            let result = if stopped { Ok(()) } else { stop_protection(configured, call, id).await };
            match result {
                Ok(()) => {
                    response.diagnostics.warning(
                        "Backup instance kept in Azure with its recovery points",
                        format!(
                            "Protection of {id} was stopped and its recovery points were kept \
                             (retain_data_on_destroy = true). It is no longer in Terraform's state, and it keeps \
                             costing storage until it is deleted in Azure."
                        ),
                    );
                    response.new_state = Value::Null;
                }
                Err(error) => {
                    arm_error(&mut response.diagnostics, &error, None, hint_for::<K>(&error));
                    response.new_state = prior.clone();
                }
            }
            return response;
        }
        match delete_and_confirm(configured, call, id).await {
            Ok(()) => response.new_state = Value::Null,
            Err(DeleteFailure { error, unconfirmed: true }) => {
                // Azure said the delete is done; the GET that double-checks it is what failed.
                response.diagnostics.warning(
                    format!("Backup instance {} deleted", id.name),
                    format!(
                        "Azure reported the delete as finished. Reading the backup instance back to confirm it failed \
                         ({}), so it is removed from state on Azure's word.",
                        error.summary()
                    ),
                );
                response.new_state = Value::Null;
            }
            Err(DeleteFailure { error, .. }) if gone_after_failed_delete(&configured.client, id, &error).await => {
                // Following the delete failed, but it did its work: state must not keep what no longer exists.
                response.diagnostics.warning(
                    format!("Backup instance {} deleted", id.name),
                    format!(
                        "Following the delete did not succeed ({}), but a final check found that the backup instance \
                         no longer exists, so it is removed from state.",
                        error.summary()
                    ),
                );
                response.new_state = Value::Null;
            }
            Err(DeleteFailure { error, .. }) => {
                arm_error(&mut response.diagnostics, &error, None, hint_for::<K>(&error));
                response.new_state = prior.clone();
            }
        }
        response
    }

    async fn read(
        &self,
        azure: &Call,
        id: &BackupInstanceId,
        current: &Value,
        response: &mut ReadResponse,
    ) -> Result<Option<Value>, ArmError> {
        let Some(instance) = azure.client().read_backup_instance(&azure.context, id).await? else { return Ok(None) };
        let state = state_from_azure::<K>(current, id, &instance);
        if let Some(other) = instance.properties.data_source_info.datasource_type.as_deref()
            && !other.eq_ignore_ascii_case(K::DATASOURCE_TYPE)
        {
            // Imported into the wrong resource type (or changed beyond recognition): say which one manages it.
            let manager = super::instance_kinds::resource_type_for(other)
                .map(|r| format!("Manage it with {r}."))
                .unwrap_or_else(|| "This provider does not manage that kind of backup instance.".to_owned());
            response.diagnostics.error(
                format!("Backup instance {} protects a {other}", id.name),
                format!(
                    "{} manages backup instances of {} ({}); {id} protects {} ({other}). {manager}",
                    K::TYPE_NAME,
                    K::NOUN,
                    K::DATASOURCE_TYPE,
                    instance.properties.data_source_info.resource_id
                ),
            );
        }
        self.remember_refresh(id, state.attr("datasource_id").as_str().map(str::to_owned));
        self.remember_read(id, &instance);
        // Stopped or suspended protection is drift the plan shows; a failed one deserves a word here too.
        if let Some(s) = protection_state(&instance)
            && FAILED_STATES.iter().any(|p| p.eq_ignore_ascii_case(&s))
        {
            let error = protection_error(&instance, &s);
            response.diagnostics.warning(
                format!("Backup instance {} is in state {s}", id.name),
                format!("{}\n{}", error.summary(), error.detail()),
            );
        }
        response.private = Private::of_state(&state);
        Ok(Some(state))
    }

    fn import_attributes(id: &BackupInstanceId) -> Vec<(&'static str, String)> {
        vec![("name", id.name.clone()), ("vault_id", id.vault.to_string())]
    }

    /// A failed or transient protection state is Azure's, not a state to ask for: the generated configuration
    /// leaves it out, and the plan then brings protection back to `ProtectionConfigured`.
    fn for_generated_config(state: &mut Value) {
        let wanted = state.attr("protection_state").as_str().is_some_and(|s| DESIRABLE_STATES.contains(&s));
        if !wanted {
            state.set_attr("protection_state", Value::Null);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::plugin::interface::{Context, ImportRequest, Resource};
    use crate::resources::ProviderConfiguration;
    use crate::resources::managed::Managed;

    const VAULT: &str =
        "/subscriptions/s1/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo";
    const DISK: &str = "/subscriptions/s1/resourceGroups/rg-workload/providers/Microsoft.Compute/disks/disk-app-01";

    fn config() -> Value {
        Value::object([
            ("id", Value::Null),
            ("name", Value::from("bi-1")),
            ("vault_id", Value::from(VAULT)),
            ("datasource_id", Value::from(DISK)),
            ("datasource_type", Value::Null),
            ("location", Value::from("West US")),
            ("backup_policy_id", Value::from(format!("{VAULT}/backupPolicies/policy-disk-daily"))),
            ("snapshot_resource_group_id", Value::from("/subscriptions/s2/resourceGroups/rg-snapshots")),
            ("protection_state", Value::Null),
            ("retain_data_on_destroy", Value::Null),
            ("timeouts", Value::Null),
        ])
    }

    fn paths(d: &Diagnostics) -> Vec<String> {
        d.iter().map(|d| d.attribute.as_ref().map(|p| p.to_string()).unwrap_or_default()).collect()
    }

    #[test]
    fn a_good_config_validates() {
        assert!(validate_config::<Disk>(&config()).is_empty());
    }

    #[test]
    fn unknown_values_are_not_judged() {
        let mut c = config();
        for name in ["name", "vault_id", "datasource_id", "backup_policy_id", "snapshot_resource_group_id"] {
            c.set_attr(name, Value::Unknown);
        }
        assert!(validate_config::<Disk>(&c).is_empty());
    }

    #[test]
    fn bad_values_point_at_their_attribute() {
        let mut c = config();
        c.set_attr("name", Value::from("../x"));
        c.set_attr("vault_id", Value::from("/subscriptions/s1/resourceGroups/rg"));
        c.set_attr("snapshot_resource_group_id", Value::from("rg-snapshots"));
        c.set_attr("timeouts", Value::object([("create", Value::from("forever"))]));
        assert_eq!(
            paths(&validate_config::<Disk>(&c)),
            vec!["name", "vault_id", "snapshot_resource_group_id", "timeouts.create"]
        );
    }

    #[test]
    fn policy_must_be_in_the_vault() {
        let mut c = config();
        c.set_attr(
            "backup_policy_id",
            Value::from(format!("{}/backupPolicies/p", VAULT.replace("vault-demo", "other"))),
        );
        assert_eq!(paths(&validate_config::<Disk>(&c)), vec!["backup_policy_id"]);
        c.set_attr(
            "backup_policy_id",
            Value::from(format!(
                "{}/backupPolicies/p",
                VAULT.to_uppercase().replace("/BACKUPVAULTS/", "/backupVaults/")
            )),
        );
        assert!(validate_config::<Disk>(&c).is_empty(), "case does not matter");
    }

    #[test]
    fn only_disks_are_supported_and_need_a_snapshot_group() {
        let mut c = config();
        c.set_attr(
            "datasource_id",
            Value::from("/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/sa"),
        );
        assert_eq!(paths(&validate_config::<Disk>(&c)), vec!["datasource_id"]);
        let mut c = config();
        c.set_attr("datasource_type", Value::from("Microsoft.Storage/storageAccounts/blobServices"));
        assert_eq!(paths(&validate_config::<Disk>(&c)), vec!["datasource_type"]);
        let mut c = config();
        c.set_attr("snapshot_resource_group_id", Value::Null);
        assert_eq!(paths(&validate_config::<Disk>(&c)), vec!["snapshot_resource_group_id"]);
    }

    #[test]
    fn an_update_body_keeps_what_azure_holds_and_changes_only_the_policy() {
        let mut planned = config();
        planned.set_attr("id", Value::Null);
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
        planned.set_attr("datasource_type", Value::from(DISK_DATASOURCE_TYPE));
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
        prior.set_attr("datasource_type", Value::from(DISK_DATASOURCE_TYPE));
        let model = Model::from_value::<Disk>(&prior).unwrap();
        let mut instance = model.to_resource();
        instance.id = Some(model.id.to_string().to_lowercase());
        instance.properties.data_source_info.resource_id = DISK.to_lowercase();
        instance.properties.data_source_info.resource_location = Some("westus".into());
        instance.properties.current_protection_state = Some("ProtectionConfigured".into());
        let state = state_from_azure::<Disk>(&prior, &model.id, &instance);
        for name in ["name", "vault_id", "datasource_id", "location", "backup_policy_id", "snapshot_resource_group_id"]
        {
            assert_eq!(state.attr(name), prior.attr(name), "{name}");
        }
        // Azure's lower-cased ID is read back in canonical form.
        assert_eq!(state.attr("id").as_str().unwrap(), model.id.to_string());
        assert_eq!(state.attr("protection_state").as_str(), Some("ProtectionConfigured"));

        instance.properties.policy_info.policy_id = format!("{VAULT}/backupPolicies/other");
        let state = state_from_azure::<Disk>(&prior, &model.id, &instance);
        assert_eq!(state.attr("backup_policy_id").as_str().unwrap(), format!("{VAULT}/backupPolicies/other"));
    }

    fn prior_state() -> Value {
        let mut prior = config();
        prior.set_attr("id", Value::from(format!("{VAULT}/backupInstances/bi-1")));
        prior.set_attr("datasource_type", Value::from(DISK_DATASOURCE_TYPE));
        prior.set_attr("protection_state", Value::from("ProtectionConfigured"));
        prior
    }

    fn plan_update(config: Value) -> PlanResponse {
        let prior = prior_state();
        let mut proposed = config.clone();
        proposed.set_attr("id", prior.attr("id").clone());
        proposed.set_attr("protection_state", prior.attr("protection_state").clone());
        if config.attr("datasource_type").is_null() {
            proposed.set_attr("datasource_type", prior.attr("datasource_type").clone());
        }
        let request =
            PlanRequest { prior_state: prior, proposed_new_state: proposed.clone(), config, prior_private: vec![] };
        let mut response = PlanResponse { planned_state: proposed, ..PlanResponse::default() };
        BackupInstanceType::<Disk>::plan_change(&request, &mut response);
        response
    }

    #[test]
    fn case_and_region_spelling_changes_plan_no_change() {
        let mut c = config();
        c.set_attr("vault_id", Value::from(VAULT.to_lowercase()));
        c.set_attr("location", Value::from("westus"));
        c.set_attr("backup_policy_id", Value::from(format!("{VAULT}/backupPolicies/policy-disk-daily").to_uppercase()));
        let response = plan_update(c);
        assert!(response.requires_replace.is_empty());
        assert_eq!(response.planned_state, prior_state());
    }

    #[tokio::test]
    async fn only_an_in_place_change_of_the_body_asks_azure_at_plan() {
        // The provider is not configured here, so asking Azure shows as "Provider not configured".
        let resource = Managed::new(BackupInstanceType::<Disk>::default(), Arc::new(ProviderConfiguration::default()));
        let plan = |config: Value| {
            let prior = prior_state();
            let mut proposed = config.clone();
            for name in ["id", "protection_state", "datasource_type"] {
                proposed.set_attr(name, prior.attr(name).clone());
            }
            PlanRequest { prior_state: prior, proposed_new_state: proposed, config, prior_private: vec![] }
        };
        let asked =
            |response: &PlanResponse| response.diagnostics.iter().any(|d| d.summary == "Provider not configured");

        let mut policy = config();
        policy.set_attr("backup_policy_id", Value::from(format!("{VAULT}/backupPolicies/policy-disk-4h")));
        let response = resource.plan(&Context::default(), plan(policy.clone())).await;
        assert!(asked(&response), "a new policy is validated with Azure");

        let mut kept = config();
        kept.set_attr("retain_data_on_destroy", Value::from(true));
        let response = resource.plan(&Context::default(), plan(kept)).await;
        assert!(response.diagnostics.is_empty(), "nothing Azure is sent changes");

        let mut replaced = policy;
        replaced.set_attr("datasource_id", Value::from(DISK.replace("disk-app-01", "disk-app-02")));
        let response = resource.plan(&Context::default(), plan(replaced)).await;
        assert!(!response.requires_replace.is_empty());
        assert!(!asked(&response), "a replacement is validated by its create, not as a change");
    }

    #[test]
    fn only_a_request_azure_never_took_counts_as_refused_outright() {
        let answered = |status: u16| {
            let mut error = ArmError::new(ErrorKind::Response, "no");
            error.status = Some(status);
            error
        };
        assert!(refused_outright(&answered(400)));
        assert!(refused_outright(&answered(409)));
        assert!(refused_outright(&ArmError::new(ErrorKind::Authentication, "no token")));
        for maybe_taken in [answered(408), answered(429), answered(500), answered(503)] {
            assert!(!refused_outright(&maybe_taken), "{maybe_taken:?}");
        }
        assert!(!refused_outright(&ArmError::new(ErrorKind::Transport, "reset")));
        assert!(!refused_outright(&ArmError::new(ErrorKind::Timeout, "deadline")));
        assert!(!refused_outright(&ArmError::new(ErrorKind::OperationFailed, "failed")));
    }

    #[test]
    fn a_policy_change_is_an_update_in_place() {
        let mut c = config();
        c.set_attr("backup_policy_id", Value::from(format!("{VAULT}/backupPolicies/policy-disk-4h")));
        let response = plan_update(c);
        assert!(response.requires_replace.is_empty());
        assert_eq!(response.planned_state.attr("protection_state").as_str(), Some(TARGET_STATE));
        assert!(response.diagnostics.is_empty());
    }

    #[test]
    fn protection_that_is_not_where_the_configuration_wants_it_plans_a_change() {
        for (current, wanted, planned_change) in [
            ("ConfiguringProtection", None, true),
            ("UpdatingProtection", None, true),
            ("ConfiguringProtectionFailed", None, true),
            ("ProtectionError", None, true),
            ("ProtectionStopped", None, true),
            ("BackupSchedulesSuspended", None, true),
            ("ProtectionConfigured", None, false),
            ("ProtectionConfigured", Some("ProtectionStopped"), true),
            // ignore_changes hands the provider the prior value as the configured one.
            ("ProtectionStopped", Some("ProtectionStopped"), false),
            ("ProtectionError", Some("ProtectionError"), false),
        ] {
            let mut prior = prior_state();
            prior.set_attr("protection_state", Value::from(current));
            let mut config = config();
            if let Some(wanted) = wanted {
                config.set_attr("protection_state", Value::from(wanted));
            }
            let mut proposed = config.clone();
            proposed.set_attr("id", prior.attr("id").clone());
            proposed.set_attr("datasource_type", prior.attr("datasource_type").clone());
            proposed.set_attr("protection_state", Value::from(wanted.unwrap_or(current)));
            let request =
                PlanRequest { prior_state: prior, proposed_new_state: proposed.clone(), config, prior_private: vec![] };
            let mut response = PlanResponse { planned_state: proposed, ..PlanResponse::default() };
            BackupInstanceType::<Disk>::plan_change(&request, &mut response);
            assert!(response.requires_replace.is_empty(), "{current}");
            let planned = response.planned_state.attr("protection_state").as_str().unwrap().to_owned();
            assert_eq!(planned != current, planned_change, "{current} -> {planned}");
            assert_eq!(planned, wanted.unwrap_or(if planned_change { TARGET_STATE } else { current }), "{current}");
        }
    }

    #[test]
    fn update_steps_go_from_the_current_state_to_the_wanted_one() {
        use InstanceAction::*;
        let resume = Step::Act(ResumeProtection, TARGET_STATE);
        let stop = Step::Act(StopProtection, STOPPED_STATE);
        for (current, desired, same_policy, steps) in [
            ("ProtectionConfigured", TARGET_STATE, true, vec![]),
            ("ProtectionConfigured", TARGET_STATE, false, vec![Step::Put]),
            ("ConfiguringProtection", TARGET_STATE, true, vec![Step::Wait]),
            ("ProtectionError", TARGET_STATE, true, vec![Step::Act(Sync, TARGET_STATE)]),
            ("ProtectionError", TARGET_STATE, false, vec![Step::Put]),
            ("ConfiguringProtectionFailed", TARGET_STATE, true, vec![Step::Put]),
            ("ProtectionStopped", TARGET_STATE, true, vec![resume]),
            ("ProtectionStopped", STOPPED_STATE, true, vec![]),
            ("BackupSchedulesSuspended", TARGET_STATE, true, vec![Step::Act(ResumeBackups, TARGET_STATE)]),
            ("RetentionSchedulesSuspended", SUSPENDED_STATE, true, vec![]),
            ("ProtectionConfigured", STOPPED_STATE, true, vec![stop]),
            ("ProtectionConfigured", STOPPED_STATE, false, vec![Step::Put, stop]),
            ("ProtectionStopped", SUSPENDED_STATE, true, vec![resume, Step::Act(SuspendBackups, SUSPENDED_STATE)]),
        ] {
            assert_eq!(update_steps(current, desired, same_policy), steps, "{current} -> {desired}");
        }
    }

    #[test]
    fn a_new_disk_replaces_and_remembers_the_old_one() {
        let mut c = config();
        c.set_attr("datasource_id", Value::from(DISK.replace("disk-app-01", "disk-app-02")));
        let response = plan_update(c);
        assert_eq!(response.requires_replace, vec![AttributePath::root("datasource_id")]);
        let private = Private::decode(&response.planned_private);
        assert_eq!(private.protects.as_deref(), Some(DISK));
        assert_eq!(private.id.as_deref(), prior_state().attr("id").as_str());
        assert!(
            response.diagnostics.iter().any(|d| d.summary.contains("deletes the old backup instance first")),
            "the same name: the old instance must go first"
        );
    }

    #[test]
    fn a_new_name_for_the_same_disk_warns_that_the_old_instance_goes_first() {
        let mut c = config();
        c.set_attr("name", Value::from("bi-2"));
        let response = plan_update(c);
        assert_eq!(response.requires_replace, vec![AttributePath::root("name")]);
        let warning = response.diagnostics.iter().next().expect("a warning");
        assert!(!response.diagnostics.has_errors());
        assert!(warning.summary.contains("deletes the old backup instance first"), "{}", warning.summary);
        assert!(warning.detail.contains("create_before_destroy"), "{}", warning.detail);
    }

    #[test]
    fn error_codes_map_to_attributes() {
        assert_eq!(
            attribute_for_code::<Disk>(Some("UserErrorDppDatasourceAlreadyProtected")),
            Some(AttributePath::root("datasource_id"))
        );
        assert_eq!(
            attribute_for_code::<Disk>(Some("UserErrorDppPolicyNotFound")),
            Some(AttributePath::root("backup_policy_id"))
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
        prior.set_attr("retain_data_on_destroy", Value::from(true));
        let response = resource.plan(&Context::default(), destroy(prior.clone())).await;
        assert!(!response.diagnostics.has_errors());
        assert!(response.diagnostics.iter().any(|d| d.summary.contains("recovery points")));

        let model = Model::from_value::<Disk>(&prior).unwrap();
        let state = state_from_azure::<Disk>(&prior, &model.id, &model.to_resource());
        assert_eq!(state.attr("retain_data_on_destroy"), &Value::from(true));
    }

    #[tokio::test]
    async fn import_builds_a_full_state_from_the_id() {
        let resource = Managed::new(BackupInstanceType::<Disk>::default(), Arc::new(ProviderConfiguration::default()));
        let id = format!("{VAULT}/backupInstances/bi-1");
        let response = resource.import(&Context::default(), ImportRequest { id: id.clone() }).await;
        assert!(response.diagnostics.is_empty());
        let state = &response.imported[0].state;
        assert_eq!(state.attr("id").as_str(), Some(id.as_str()));
        assert_eq!(state.attr("vault_id").as_str(), Some(VAULT));
        assert_eq!(state.as_entries().unwrap().len(), config().as_entries().unwrap().len());
        let bad = resource.import(&Context::default(), ImportRequest { id: "/subscriptions/s".into() }).await;
        assert!(bad.diagnostics.has_errors());
    }

    // -----------------------------------------------------------------------------------------------------------
    // The other kinds

    use crate::resources::instance_kinds::{
        BlobStorage, DataLakeStorage, KubernetesCluster, MySqlFlexibleServer, PostgreSqlFlexibleServer,
    };

    const ACCOUNT: &str =
        "/subscriptions/s1/resourceGroups/rg-workload/providers/Microsoft.Storage/storageAccounts/sa1";
    const CLUSTER: &str =
        "/subscriptions/s1/resourceGroups/rg-workload/providers/Microsoft.ContainerService/managedClusters/aks1";
    const PG: &str = "/subscriptions/s1/resourceGroups/rg-db/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg1";
    const MYSQL: &str = "/subscriptions/s1/resourceGroups/rg-db/providers/Microsoft.DBforMySQL/flexibleServers/my1";

    /// A configuration of kind `K`: every attribute of its schema, null unless given.
    fn config_of<K: InstanceKind>(datasource: &str, set: &[(&str, Value)]) -> Value {
        let Type::Object(types) = state_type::<K>() else { panic!("an object type") };
        let mut c = Value::object(types.keys().map(|name| (name.as_str(), Value::Null)));
        c.set_attr("name", Value::from("bi-1"));
        c.set_attr("vault_id", Value::from(VAULT));
        c.set_attr("datasource_id", Value::from(datasource));
        c.set_attr("location", Value::from("westus"));
        c.set_attr("backup_policy_id", Value::from(format!("{VAULT}/backupPolicies/p1")));
        for (name, value) in set {
            c.set_attr(name, value.clone());
        }
        c
    }

    fn strings(items: &[&str]) -> Value {
        Value::List(items.iter().map(|i| Value::from(*i)).collect())
    }

    fn body_of<K: InstanceKind>(config: &Value) -> serde_json::Value {
        let model = Model::from_value::<K>(config).expect("a known configuration");
        serde_json::to_value(model.to_resource()).unwrap()["properties"].clone()
    }

    #[test]
    fn every_kind_sends_its_datasource_type_and_a_datasource_set() {
        let cases = [
            (body_of::<BlobStorage>(&config_of::<BlobStorage>(ACCOUNT, &[])), BlobStorage::DATASOURCE_TYPE),
            (
                body_of::<DataLakeStorage>(&config_of::<DataLakeStorage>(
                    ACCOUNT,
                    &[("storage_account_container_names", strings(&["raw"]))],
                )),
                DataLakeStorage::DATASOURCE_TYPE,
            ),
            (
                body_of::<KubernetesCluster>(&config_of::<KubernetesCluster>(
                    CLUSTER,
                    &[("snapshot_resource_group_id", Value::from("/subscriptions/s1/resourceGroups/rg-snap"))],
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
            &[("storage_account_container_names", strings(&["invoices", "reports"]))],
        );
        let body = body_of::<BlobStorage>(&c);
        let parameters = &body["policyInfo"]["policyParameters"]["backupDatasourceParametersList"][0];
        assert_eq!(parameters["objectType"], "BlobBackupDatasourceParameters");
        assert_eq!(parameters["containersList"], serde_json::json!(["invoices", "reports"]));
        assert!(body["policyInfo"]["policyParameters"].get("dataStoreParametersList").is_none(), "{body}");
        let model = Model::from_value::<BlobStorage>(&c).unwrap();
        let state = state_from_azure::<BlobStorage>(&c, &model.id, &model.to_resource());
        assert_eq!(state.attr("storage_account_container_names"), c.attr("storage_account_container_names"));
        assert_eq!(state.attr("datasource_type").as_str(), Some(BlobStorage::DATASOURCE_TYPE));
    }

    #[test]
    fn kubernetes_parameters_match_the_spec_example_and_come_back() {
        let block = Value::List(vec![Value::object([
            ("excluded_namespaces", strings(&["kube-system"])),
            ("excluded_resource_types", strings(&["v1/Secret"])),
            ("included_namespaces", strings(&["test"])),
            ("included_resource_types", Value::Null),
            ("label_selectors", Value::Null),
            ("cluster_scoped_resources_enabled", Value::from(true)),
            ("volume_snapshot_enabled", Value::from(true)),
        ])]);
        let c = config_of::<KubernetesCluster>(
            CLUSTER,
            &[
                ("snapshot_resource_group_id", Value::from("/subscriptions/s1/resourceGroups/rg-snap")),
                ("backup_datasource_parameters", block),
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
        assert_eq!(state.attr("backup_datasource_parameters"), c.attr("backup_datasource_parameters"));
        assert_eq!(state.attr("snapshot_resource_group_id"), c.attr("snapshot_resource_group_id"));
    }

    #[test]
    fn each_kind_checks_its_own_arguments_offline() {
        // A disk given to the blob resource names the resource that protects disks.
        let d = validate_config::<BlobStorage>(&config_of::<BlobStorage>(DISK, &[]));
        assert_eq!(paths(&d), vec!["datasource_id"]);
        assert!(d.iter().next().unwrap().detail.contains("Use dataprotection_backup_instance for it"), "{d:?}");
        let d = validate_config::<PostgreSqlFlexibleServer>(&config_of::<PostgreSqlFlexibleServer>(MYSQL, &[]));
        assert!(d.iter().next().unwrap().detail.contains("dataprotection_backup_instance_mysql_flexible_server"));

        let c = config_of::<BlobStorage>(
            ACCOUNT,
            &[("storage_account_container_names", strings(&["ok-name", "Bad_Name", "ok-name"]))],
        );
        assert_eq!(
            paths(&validate_config::<BlobStorage>(&c)),
            vec!["storage_account_container_names[1]", "storage_account_container_names[2]"]
        );
        let c = config_of::<BlobStorage>(ACCOUNT, &[("storage_account_container_names", strings(&[]))]);
        assert_eq!(paths(&validate_config::<BlobStorage>(&c)), vec!["storage_account_container_names"]);
        assert!(validate_config::<BlobStorage>(&config_of::<BlobStorage>(ACCOUNT, &[])).is_empty());
        let c = config_of::<BlobStorage>(ACCOUNT, &[("retain_data_on_destroy", Value::from(true))]);
        assert_eq!(paths(&validate_config::<BlobStorage>(&c)), vec!["retain_data_on_destroy"]);
        let c = config_of::<BlobStorage>(
            ACCOUNT,
            &[("retain_data_on_destroy", Value::from(true)), ("storage_account_container_names", strings(&["a-1"]))],
        );
        assert!(validate_config::<BlobStorage>(&c).is_empty(), "vaulted backup can be stopped");

        assert_eq!(
            paths(&validate_config::<KubernetesCluster>(&config_of::<KubernetesCluster>(CLUSTER, &[]))),
            vec!["snapshot_resource_group_id"]
        );
        let elsewhere = config_of::<KubernetesCluster>(
            &CLUSTER.replace("/subscriptions/s1/", "/subscriptions/s9/"),
            &[("snapshot_resource_group_id", Value::from("/subscriptions/s1/resourceGroups/rg-snap"))],
        );
        assert_eq!(paths(&validate_config::<KubernetesCluster>(&elsewhere)), vec!["datasource_id"]);
        assert!(validate_config::<MySqlFlexibleServer>(&config_of::<MySqlFlexibleServer>(MYSQL, &[])).is_empty());
    }

    fn plan_update_of<K: InstanceKind>(prior: &Value, config: Value) -> PlanResponse {
        let mut proposed = config.clone();
        for name in ["id", "protection_state", "datasource_type"] {
            proposed.set_attr(name, prior.attr(name).clone());
        }
        let request = PlanRequest {
            prior_state: prior.clone(),
            proposed_new_state: proposed.clone(),
            config,
            prior_private: vec![],
        };
        let mut response = PlanResponse { planned_state: proposed, ..PlanResponse::default() };
        BackupInstanceType::<K>::plan_change(&request, &mut response);
        response
    }

    fn prior_of<K: InstanceKind>(config: &Value) -> Value {
        let mut prior = config.clone();
        prior.set_attr("id", Value::from(format!("{VAULT}/backupInstances/bi-1")));
        prior.set_attr("datasource_type", Value::from(K::DATASOURCE_TYPE));
        prior.set_attr("protection_state", Value::from("ProtectionConfigured"));
        prior
    }

    #[test]
    fn containers_change_in_place_and_a_kubernetes_policy_change_replaces() {
        let c = config_of::<BlobStorage>(ACCOUNT, &[("storage_account_container_names", strings(&["a-1"]))]);
        let prior = prior_of::<BlobStorage>(&c);
        let mut changed = c.clone();
        changed.set_attr("storage_account_container_names", strings(&["a-1", "b-2"]));
        let response = plan_update_of::<BlobStorage>(&prior, changed);
        assert!(response.requires_replace.is_empty());
        assert!(body_changes::<BlobStorage>(&prior, &response.planned_state));
        let mut removed = c.clone();
        removed.set_attr("storage_account_container_names", Value::Null);
        let response = plan_update_of::<BlobStorage>(&prior, removed);
        assert_eq!(response.requires_replace, vec![AttributePath::root("storage_account_container_names")]);

        let c = config_of::<KubernetesCluster>(
            CLUSTER,
            &[("snapshot_resource_group_id", Value::from("/subscriptions/s1/resourceGroups/rg-snap"))],
        );
        let prior = prior_of::<KubernetesCluster>(&c);
        let mut changed = c.clone();
        changed.set_attr("backup_policy_id", Value::from(format!("{VAULT}/backupPolicies/p2")));
        let response = plan_update_of::<KubernetesCluster>(&prior, changed);
        assert_eq!(response.requires_replace, vec![AttributePath::root("backup_policy_id")]);
    }

    #[test]
    fn each_kind_names_the_roles_its_vault_identity_needs() {
        let roles_of = |needs: Vec<roles::Need>| needs.iter().map(|n| (n.role, n.scope.clone())).collect::<Vec<_>>();
        let pg = PG.parse::<GenericResourceId>().unwrap();
        assert_eq!(
            roles_of(PostgreSqlFlexibleServer::needs(&pg, None).unwrap()),
            vec![
                ("PostgreSQL Flexible Server Long Term Retention Backup Role", PG.to_owned()),
                ("Reader", "/subscriptions/s1/resourceGroups/rg-db".to_owned())
            ]
        );
        let account = ACCOUNT.parse::<GenericResourceId>().unwrap();
        assert_eq!(
            roles_of(BlobStorage::needs(&account, None).unwrap()),
            vec![("Storage Account Backup Contributor", ACCOUNT.to_owned())]
        );
        let c = config_of::<KubernetesCluster>(
            CLUSTER,
            &[("snapshot_resource_group_id", Value::from("/subscriptions/s1/resourceGroups/rg-snap"))],
        );
        let model = Model::from_value::<KubernetesCluster>(&c).unwrap();
        assert_eq!(
            roles_of(KubernetesCluster::needs(&model.datasource, model.parameters.as_ref()).unwrap()),
            vec![("Reader", CLUSTER.to_owned()), ("Reader", "/subscriptions/s1/resourceGroups/rg-snap".to_owned())]
        );
    }
}
