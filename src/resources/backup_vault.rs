//! `dataprotection_backup_vault`: an Azure Backup vault (Microsoft.DataProtection backup vault).
//!
//! Lifecycle: validate checks names, IDs and settings offline; plan explains the settings Azure never lets go
//! back (soft delete `AlwaysOn`, immutability `Locked`) with a warning on the attribute, and plans a
//! replacement when a configuration asks to undo one; apply PUTs a new vault and follows the operation, PATCHes
//! the settings that change in place (tags, identity, soft delete, immutability) and follows that; destroy
//! DELETEs, follows the operation and confirms the 404. Once Azure has accepted the PUT, every failure still
//! returns the vault's ID, so Terraform keeps it (tainted).

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use super::configuration::Configured;
use crate::arm::error::{ArmError, ErrorKind};
use crate::arm::ids::{BackupVaultId, ResourceGroupId, same_id};
use crate::arm::models::{
    BackupInstanceResource, BackupVault, BackupVaultResource, CrossRegionRestoreSettings, DppIdentityDetails,
    FeatureSettings, ImmutabilitySettings, PatchBackupVaultInput, PatchBackupVaultRequest, SecuritySettings,
    SoftDeleteSettings, StorageSetting, UserAssignedIdentity,
};
use crate::arm::pipeline::CallContext;
use crate::arm::protection::NotGone;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::interface::{ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, ReadResponse};
use crate::plugin::schema::{Block, Schema};
use crate::plugin::value::{Type, Value};

use super::common::{self, DEFAULT_TIMEOUTS, arm_error};
use super::managed::{Call, ManagedResource, PlanContext};
use super::model::{self, Spelling};

/// The resource type name.
pub const TYPE_NAME: &str = "dataprotection_backup_vault";

/// The datastore types a vault's storage setting may name.
pub const DATASTORE_TYPES: &[&str] = &["VaultStore", "OperationalStore", "ArchiveStore"];
/// The storage redundancies.
pub const REDUNDANCIES: &[&str] = &["LocallyRedundant", "GeoRedundant", "ZoneRedundant"];
/// The soft delete states.
pub const SOFT_DELETE_STATES: &[&str] = &["Off", "On", "AlwaysOn"];
/// The immutability states.
pub const IMMUTABILITY_STATES: &[&str] = &["Disabled", "Unlocked", "Locked"];
/// The identity types this resource manages (azurerm's spellings; Azure's is `SystemAssigned,UserAssigned`).
pub const IDENTITY_TYPES: &[&str] = &["SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned", "None"];
/// The redundancy cross-region restore needs.
const GEO_REDUNDANT: &str = "GeoRedundant";

const DEFAULT_SOFT_DELETE: &str = "On";
const DEFAULT_RETENTION_DAYS: i64 = 14;
const DEFAULT_IMMUTABILITY: &str = "Disabled";
const DEFAULT_IDENTITY: &str = "SystemAssigned";
/// The soft delete retention Azure accepts, in days.
const RETENTION_DAYS: std::ops::RangeInclusive<i64> = 14..=180;

/// The soft delete state that cannot be undone.
const ALWAYS_ON: &str = "AlwaysOn";
/// The immutability state that cannot be undone.
const LOCKED: &str = "Locked";

/// The `dataprotection_backup_vault` resource.
#[derive(Debug, Default)]
pub struct BackupVaultType;

// ---------------------------------------------------------------------------------------------------------------
// Model

/// The arguments of a planned vault, all known.
#[derive(Clone, Debug, PartialEq)]
struct Model {
    id: BackupVaultId,
    location: String,
    datastore_type: String,
    redundancy: String,
    soft_delete: String,
    retention_days: i64,
    immutability: String,
    identity_type: String,
    identity_ids: BTreeSet<String>,
    cross_region_restore: bool,
    tags: Option<BTreeMap<String, String>>,
}

impl Model {
    /// Reads a fully known planned state. `None` when something is unknown or invalid.
    fn from_value(value: &Value) -> Option<Model> {
        let arguments = VaultObject::read_arguments(value)?;
        let group: ResourceGroupId = arguments.resource_group_id?.parse().ok()?;
        // A null setting (an imported vault whose answer left it out) means Azure's default.
        let setting = |value: Option<String>, default: &str| value.unwrap_or_else(|| default.to_owned());
        Some(Model {
            id: BackupVaultId { resource_group: group, name: arguments.name? },
            location: arguments.location?,
            datastore_type: arguments.datastore_type?,
            redundancy: arguments.redundancy?,
            soft_delete: setting(arguments.soft_delete, DEFAULT_SOFT_DELETE),
            retention_days: arguments.retention_duration_in_days.unwrap_or(DEFAULT_RETENTION_DAYS),
            immutability: setting(arguments.immutability, DEFAULT_IMMUTABILITY),
            identity_type: setting(arguments.identity_type, DEFAULT_IDENTITY),
            identity_ids: arguments.identity_ids.unwrap_or_default(),
            cross_region_restore: arguments.cross_region_restore_enabled.unwrap_or(false),
            tags: arguments.tags,
        })
    }

    fn security_settings(&self) -> SecuritySettings {
        SecuritySettings {
            soft_delete_settings: Some(SoftDeleteSettings {
                state: Some(self.soft_delete.clone()),
                retention_duration_in_days: Some(self.retention_days as f64),
            }),
            immutability_settings: Some(ImmutabilitySettings { state: Some(self.immutability.clone()) }),
            encryption_settings: None,
        }
    }

    /// The identity as Azure takes it: its type in Azure's spelling and, for a user-assigned one, every identity
    /// (a PATCH names them all: the set it sends is the set the vault keeps).
    fn identity(&self) -> DppIdentityDetails {
        let user_assigned = includes_user_assigned(&self.identity_type)
            .then(|| self.identity_ids.iter().map(|id| (id.clone(), UserAssignedIdentity::default())).collect());
        DppIdentityDetails {
            identity_type: Some(azure_identity_type(&self.identity_type)),
            user_assigned_identities: user_assigned,
            ..DppIdentityDetails::default()
        }
    }

    fn feature_settings(&self) -> FeatureSettings {
        let state = if self.cross_region_restore { "Enabled" } else { "Disabled" };
        FeatureSettings {
            cross_region_restore_settings: Some(CrossRegionRestoreSettings { state: Some(state.to_owned()) }),
        }
    }

    /// The body of the PUT that creates the vault.
    fn to_resource(&self) -> BackupVaultResource {
        BackupVaultResource {
            location: Some(self.location.clone()),
            tags: self.tags.clone(),
            identity: Some(self.identity()),
            properties: BackupVault {
                storage_settings: vec![StorageSetting {
                    datastore_type: Some(self.datastore_type.clone()),
                    redundancy: Some(self.redundancy.clone()),
                }],
                security_settings: Some(self.security_settings()),
                // Only when asked for: a vault created without it has Azure's default (disabled), and the
                // setting is not named at all on the redundancies that do not allow it.
                feature_settings: self.cross_region_restore.then(|| self.feature_settings()),
                ..BackupVault::default()
            },
            ..BackupVaultResource::default()
        }
    }

    /// The PATCH that turns `prior` into `self`: only what changed, so settings made outside Terraform
    /// (monitoring, encryption, feature settings) are left alone. `None` when nothing Azure holds changed.
    fn patch_from(&self, prior: &Model) -> Option<PatchBackupVaultRequest> {
        let mut patch = PatchBackupVaultRequest::default();
        // Azure's enums come back in other spellings (`ON` for `On`): a spelling is no change.
        let differs = |a: &str, b: &str| !a.eq_ignore_ascii_case(b);
        let same_ids = self.identity_ids.len() == prior.identity_ids.len()
            && self.identity_ids.iter().all(|id| prior.identity_ids.iter().any(|p| same_id(id, p)));
        if azure_identity_type(&self.identity_type) != azure_identity_type(&prior.identity_type) || !same_ids {
            patch.identity = Some(self.identity());
        }
        // Each security setting is named only when it changes, so that the PATCH leaves the others (and whatever
        // else `securitySettings` holds, such as encryption) as Azure has them.
        let mut security = SecuritySettings::default();
        let all = self.security_settings();
        if differs(&self.soft_delete, &prior.soft_delete) || self.retention_days != prior.retention_days {
            security.soft_delete_settings = all.soft_delete_settings;
        }
        if differs(&self.immutability, &prior.immutability) {
            security.immutability_settings = all.immutability_settings;
        }
        let mut input = PatchBackupVaultInput::default();
        if security != SecuritySettings::default() {
            input.security_settings = Some(security);
        }
        if self.cross_region_restore != prior.cross_region_restore {
            input.feature_settings = Some(self.feature_settings());
        }
        if input != PatchBackupVaultInput::default() {
            patch.properties = Some(input);
        }
        if self.tags != prior.tags {
            // A PATCH with tags replaces them all; an empty map removes them.
            patch.tags = Some(self.tags.clone().unwrap_or_default());
        }
        (patch != PatchBackupVaultRequest::default()).then_some(patch)
    }
}

model::attributes! {
    /// A backup vault's attributes, in schema order: its arguments as a configuration or plan holds them
    /// ([`VaultObject::read_arguments`]), and its state as written back to Terraform ([`model::write`]).
    pub(crate) struct VaultObject, names in attr {
        id: String => computed(Type::String).description("The ARM ID of the backup vault."),
        name: String => required(Type::String).force_new().description(
            "The name of the backup vault: 2 to 50 letters, digits and hyphens, starting with a letter and ending \
             with a letter or digit.",
        ) | "The name of the backup vault.",
        resource_group_id: String => required(Type::String).force_new().description(
            "The ARM ID of the resource group the vault is created in; the vault is created in that resource \
             group's subscription.",
        ) | "The ARM ID of the vault's resource group.",
        location: String => required(Type::String)
            .force_new()
            .description("The Azure region of the vault, for example `westus` (`West US` is equivalent).")
            | "The region of the vault.",
        datastore_type: String => required(Type::String).force_new().description(format!(
            "The datastore of the vault's storage setting: one of {}.",
            one_of(DATASTORE_TYPES)
        )) | "The datastore of the vault's storage setting.",
        redundancy: String => required(Type::String)
            .force_new()
            .description(format!("The redundancy of the vault's storage: one of {}.", one_of(REDUNDANCIES)))
            | "The redundancy of the vault's storage.",
        cross_region_restore_enabled: bool => optional_computed(Type::Bool).description(
            "Whether backups of this vault can be restored in the paired region. Only a `GeoRedundant` vault may \
             enable it. Defaults to `false`. Once applied, `true` cannot be undone: Azure never disables \
             cross-region restore again, so setting `false` (or removing the argument) later forces a new backup \
             vault to be created.",
        ) | "Whether backups of this vault can be restored in the paired region.",
        soft_delete: String => optional_computed(Type::String).description(format!(
            "The soft delete state: one of {}. Defaults to `{DEFAULT_SOFT_DELETE}`. `{ALWAYS_ON}` cannot be undone: \
             once applied, soft delete can never be turned off for this vault, and setting another value later \
             forces a new backup vault to be created.",
            one_of(SOFT_DELETE_STATES)
        )) | "The soft delete state: `Off`, `On` or `AlwaysOn`.",
        retention_duration_in_days: i64 => optional_computed(Type::Number).description(format!(
            "How many days soft-deleted backup data is kept (and billed) before it is deleted for good, from {} to \
             {}. Defaults to `{DEFAULT_RETENTION_DAYS}`.",
            RETENTION_DAYS.start(),
            RETENTION_DAYS.end()
        )) | "How many days soft-deleted backup data is kept.",
        immutability: String => optional_computed(Type::String).description(format!(
            "The immutability state: one of {}. Defaults to `{DEFAULT_IMMUTABILITY}`. `{LOCKED}` cannot be undone: \
             once applied, recovery points cannot be deleted before they expire, and setting another value later \
             forces a new backup vault to be created.",
            one_of(IMMUTABILITY_STATES)
        )) | "The immutability state: `Disabled`, `Unlocked` or `Locked`.",
        identity_type: String => optional_computed(Type::String).description(format!(
            "The vault's managed identities: one of {}. Defaults to `{DEFAULT_IDENTITY}`: protecting a managed disk \
             needs an identity, with the Disk Backup Reader role on the disk and Disk Snapshot Contributor on the \
             snapshot resource group. With `UserAssigned` in it, `identity_ids` names the identities.",
            one_of(IDENTITY_TYPES)
        )) | "The vault's managed identity type.",
        identity_ids: BTreeSet<String> => optional(Type::set(Type::String)).description(
            "The ARM IDs of the user-assigned managed identities of the vault \
             (`/subscriptions/…/resourceGroups/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/…`). \
             Required when `identity_type` is `UserAssigned` or `SystemAssigned, UserAssigned`, and refused \
             otherwise.",
        ) | "The ARM IDs of the vault's user-assigned managed identities.",
        identity_principal_id: String => computed(Type::String).description(
            "The object (principal) ID of the vault's system-assigned identity, for role assignments. Null when \
             `identity_type` has no `SystemAssigned` (a user-assigned identity's principal comes from the identity \
             itself).",
        ) | "The object (principal) ID of the vault's system-assigned identity, for role assignments.",
        identity_tenant_id: String => computed(Type::String)
            .description("The tenant of the vault's system-assigned identity."),
        tags: BTreeMap<String, String> => optional(Type::map(Type::String))
            .description("Tags to assign to the backup vault.")
            | "The vault's tags.",
        timeouts: serde_json::Value,
    }
}

/// The attributes Azure may spell differently from the configuration, and how they compare: plan keeps the
/// configuration's spelling when it is the same value, and read keeps the saved one.
const SPELLINGS: model::Spellings = &[
    (attr::id, Spelling::Id),
    (attr::name, Spelling::Text),
    (attr::resource_group_id, Spelling::Id),
    (attr::location, Spelling::Location),
    (attr::datastore_type, Spelling::Text),
    (attr::redundancy, Spelling::Text),
    (attr::soft_delete, Spelling::Text),
    (attr::immutability, Spelling::Text),
];

/// The state of a vault as Azure reports it. Spellings equivalent to those in `prior` (ID case, region
/// spelling) are kept from `prior`; what Azure leaves out keeps its prior value.
pub(crate) fn state_from_azure(prior: &Value, id: &BackupVaultId, vault: &BackupVaultResource) -> Value {
    let reported = vault.id.as_deref().and_then(|i| i.parse::<BackupVaultId>().ok()).unwrap_or_else(|| id.clone());
    let p = &vault.properties;
    let storage = p.storage_settings.first();
    let security = p.security_settings.as_ref();
    let soft_delete = security.and_then(|s| s.soft_delete_settings.as_ref());
    let immutability = security.and_then(|s| s.immutability_settings.as_ref()).and_then(|i| i.state.clone());
    let identity = vault.identity.as_ref();
    let identity_type =
        identity.and_then(|i| i.identity_type.as_deref()).map_or_else(|| "None".to_owned(), documented_identity_type);
    let system_assigned = identity_type.to_ascii_lowercase().contains("systemassigned");
    // The user-assigned identities, each in the spelling state has when Azure answers another.
    let prior_ids: Vec<String> = prior
        .attr(attr::identity_ids)
        .as_elements()
        .map(|items| items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let identity_ids: BTreeSet<String> = identity
        .filter(|_| includes_user_assigned(&identity_type))
        .and_then(|i| i.user_assigned_identities.as_ref())
        .map(|ids| ids.keys().map(|id| prior_ids.iter().find(|p| same_id(p, id)).unwrap_or(id).clone()).collect())
        .unwrap_or_default();
    let cross_region_restore = p
        .feature_settings
        .as_ref()
        .and_then(|f| f.cross_region_restore_settings.as_ref())
        .and_then(|c| c.state.as_deref())
        .is_some_and(|state| state.eq_ignore_ascii_case("Enabled"));
    let prior_text = |name: &str| prior.attr(name).as_str().map(str::to_owned);
    let tags = match &vault.tags {
        Some(tags) if !tags.is_empty() => Some(tags.clone()),
        // No tags in Azure: an empty map in the configuration is the same thing.
        _ if prior.attr(attr::tags).as_entries().is_some_and(|e| e.is_empty()) => Some(BTreeMap::new()),
        _ => None,
    };
    let state = VaultObject {
        id: Some(reported.to_string()),
        name: Some(reported.name.clone()),
        resource_group_id: Some(reported.resource_group.to_string()),
        location: vault.location.clone().or_else(|| prior_text(attr::location)),
        datastore_type: storage
            .and_then(|s| model::canonical(s.datastore_type.as_deref(), DATASTORE_TYPES))
            .or_else(|| prior_text(attr::datastore_type)),
        redundancy: storage
            .and_then(|s| model::canonical(s.redundancy.as_deref(), REDUNDANCIES))
            .or_else(|| prior_text(attr::redundancy)),
        cross_region_restore_enabled: Some(cross_region_restore),
        soft_delete: soft_delete
            .and_then(|s| model::canonical(s.state.as_deref(), SOFT_DELETE_STATES))
            .or_else(|| prior_text(attr::soft_delete)),
        retention_duration_in_days: soft_delete
            .and_then(|s| s.retention_duration_in_days)
            .filter(|d| d.is_finite())
            .map(|d| d.round() as i64)
            .or_else(|| prior.attr(attr::retention_duration_in_days).as_i64()),
        immutability: Some(
            model::canonical(immutability.as_deref(), IMMUTABILITY_STATES)
                .unwrap_or_else(|| DEFAULT_IMMUTABILITY.to_owned()),
        ),
        identity_type: Some(
            prior_text(attr::identity_type)
                .filter(|p| azure_identity_type(p) == azure_identity_type(&identity_type))
                .unwrap_or(identity_type),
        ),
        identity_ids: (!identity_ids.is_empty()).then_some(identity_ids),
        identity_principal_id: identity.and_then(|i| i.principal_id.clone()).filter(|_| system_assigned),
        identity_tenant_id: identity.and_then(|i| i.tenant_id.clone()).filter(|_| system_assigned),
        tags,
        timeouts: None,
    };
    model::read_back(&state, BackupVaultType::state_type(), prior, SPELLINGS)
}

/// An identity type in Azure's spelling: `SystemAssigned, UserAssigned` (azurerm's) is `SystemAssigned,UserAssigned`.
fn azure_identity_type(kind: &str) -> String {
    let compact: String = kind.chars().filter(|c| !c.is_whitespace()).collect();
    ["SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned", "None"]
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(&compact))
        .map_or(compact.clone(), str::to_owned)
}

/// An identity type Azure answers, in this resource's spelling.
fn documented_identity_type(kind: &str) -> String {
    let azure = azure_identity_type(kind);
    IDENTITY_TYPES.iter().find(|t| azure_identity_type(t) == azure).map_or(azure, |t| (*t).to_owned())
}

fn includes_user_assigned(kind: &str) -> bool {
    kind.to_ascii_lowercase().contains("userassigned")
}

fn includes_system_assigned(kind: &str) -> bool {
    kind.to_ascii_lowercase().contains("systemassigned")
}

/// `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}`, in
/// any case.
pub(crate) fn check_user_assigned_identity_id(id: &str) -> Result<(), String> {
    let segments: Vec<&str> = id.strip_prefix('/').unwrap_or("").split('/').collect();
    let ok = segments.len() == 8
        && segments.iter().all(|s| !s.trim().is_empty())
        && segments[0].eq_ignore_ascii_case("subscriptions")
        && segments[2].eq_ignore_ascii_case("resourceGroups")
        && segments[4].eq_ignore_ascii_case("providers")
        && segments[5].eq_ignore_ascii_case("Microsoft.ManagedIdentity")
        && segments[6].eq_ignore_ascii_case("userAssignedIdentities");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not the ARM ID of a user-assigned identity: \
             /subscriptions/{{subscription}}/resourceGroups/{{group}}/providers/Microsoft.ManagedIdentity/\
             userAssignedIdentities/{{name}}"
        ))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Schema and validation

fn one_of(values: &[&str]) -> String {
    values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
}

fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Manages an Azure Backup vault (Microsoft.DataProtection backup vault), the container of \
                          backup policies and backup instances. Settings Azure never lets go back (soft delete \
                          `AlwaysOn`, immutability `Locked`) are explained by a warning in the plan that turns \
                          them on."
                .to_owned(),
            attributes: VaultObject::attributes(),
            blocks: vec![common::timeouts_block(DEFAULT_TIMEOUTS)],
            deprecated: false,
        }
        .with_force_new_sentences("backup vault"),
    }
}

/// `^[A-Za-z][-A-Za-z0-9]*[A-Za-z0-9]$`, 2 to 50 characters: the spec's rule for vault names.
pub(crate) fn check_vault_name(name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    let ok = (2..=50).contains(&bytes.len())
        && bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid backup vault name: use 2 to 50 letters, digits and hyphens, starting with a \
             letter and ending with a letter or digit"
        ))
    }
}

fn check_one_of(config: &Value, name: &str, allowed: &[&str], diags: &mut Diagnostics) {
    if let Some(value) = config.attr(name).as_str()
        && !allowed.contains(&value)
    {
        diags.attribute_error(
            AttributePath::root(name),
            format!("Invalid {name}"),
            format!("{value:?} is not one of {} (values are case-sensitive).", one_of(allowed)),
        );
    }
}

/// Offline checks; unknown values are skipped.
fn validate_config(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(name) = config.attr(attr::name).as_str()
        && let Err(reason) = check_vault_name(name)
    {
        diags.attribute_error(AttributePath::root(attr::name), "Invalid backup vault name", format!("{reason}."));
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
    check_one_of(config, attr::datastore_type, DATASTORE_TYPES, &mut diags);
    check_one_of(config, attr::redundancy, REDUNDANCIES, &mut diags);
    check_one_of(config, attr::soft_delete, SOFT_DELETE_STATES, &mut diags);
    check_one_of(config, attr::immutability, IMMUTABILITY_STATES, &mut diags);
    check_one_of(config, attr::identity_type, IDENTITY_TYPES, &mut diags);
    validate_identity_ids(config, &mut diags);
    if config.attr(attr::cross_region_restore_enabled).as_bool() == Some(true)
        && let Some(redundancy) = config.attr(attr::redundancy).as_str()
        && redundancy != GEO_REDUNDANT
    {
        diags.attribute_error(
            AttributePath::root(attr::cross_region_restore_enabled),
            "Cross-region restore needs geo-redundant storage",
            format!(
                "cross_region_restore_enabled = true needs redundancy = \"{GEO_REDUNDANT}\"; this vault's is \
                 {redundancy:?}. Azure restores in the paired region only from geo-redundant backup storage."
            ),
        );
    }
    if let Some(days) = config.attr(attr::retention_duration_in_days).as_number() {
        match days.as_i64() {
            Some(d) if RETENTION_DAYS.contains(&d) => {}
            _ => diags.attribute_error(
                AttributePath::root(attr::retention_duration_in_days),
                "Invalid soft delete retention",
                format!(
                    "{days} is not a whole number of days from {} to {}.",
                    RETENTION_DAYS.start(),
                    RETENTION_DAYS.end()
                ),
            ),
        }
    }
    common::validate_timeouts(config, &mut diags);
    diags
}

/// `identity_ids` is required exactly when `identity_type` names `UserAssigned`, and holds user-assigned identity
/// IDs. Unknown values are skipped.
fn validate_identity_ids(config: &Value, diags: &mut Diagnostics) {
    let ids = config.attr(attr::identity_ids);
    let kind = match config.attr(attr::identity_type) {
        Value::Unknown => return,
        Value::String(kind) => kind.as_str(),
        _ => DEFAULT_IDENTITY,
    };
    let path = || AttributePath::root(attr::identity_ids);
    if includes_user_assigned(kind) {
        match ids.as_elements() {
            _ if ids.is_unknown() => {}
            Some(items) if !items.is_empty() => {
                for id in items.iter().filter_map(Value::as_str) {
                    if let Err(reason) = check_user_assigned_identity_id(id) {
                        diags.attribute_error(path(), "Invalid user-assigned identity ID", format!("{reason}."));
                    }
                }
            }
            _ => diags.attribute_error(
                path(),
                "Missing user-assigned identities",
                format!(
                    "identity_type = {kind:?} needs identity_ids: the ARM IDs of the user-assigned identities \
                     the vault uses."
                ),
            ),
        }
    } else if !ids.is_null() {
        diags.attribute_error(
            path(),
            "identity_ids needs a user-assigned identity type",
            format!(
                "identity_ids names user-assigned identities, but identity_type is {kind:?}{}. Set identity_type = \
                 \"UserAssigned\" or \"SystemAssigned, UserAssigned\", or remove identity_ids.",
                if config.attr(attr::identity_type).is_null() { " (the default)" } else { "" }
            ),
        );
    }
}

/// The warning that explains an irreversible setting the plan turns on.
fn irreversible_warning(diags: &mut Diagnostics, name: &str, value: &str, vault: &str) {
    let consequence = if name == attr::soft_delete {
        "soft delete can never be turned off or set back to \"On\" for this vault: deleted backup data is kept, and \
         billed, for retention_duration_in_days days before it is gone for good"
    } else {
        "the vault's immutability can never be disabled or unlocked: recovery points cannot be deleted before they \
         expire, and retention can only grow"
    };
    diags.attribute_warning(
        AttributePath::root(name),
        format!("{name} = \"{value}\" cannot be undone"),
        format!(
            "This plan sets {name} to \"{value}\" on backup vault {vault}. Once applied, {consequence}. Setting \
             another value later forces a new backup vault to be created, which fails while the vault holds backup \
             instances. Remove the setting from this change if that is not intended."
        ),
    );
}

/// The warning that explains that cross-region restore, once on, stays on.
fn cross_region_restore_warning(diags: &mut Diagnostics, vault: &str) {
    diags.attribute_warning(
        AttributePath::root(attr::cross_region_restore_enabled),
        "cross_region_restore_enabled = true cannot be undone",
        format!(
            "This plan enables cross-region restore on backup vault {vault}. Once applied, Azure never disables it \
             again: setting false later forces a new backup vault to be created, which fails while the vault holds \
             backup instances. Remove the setting from this change if that is not intended."
        ),
    );
}

/// The warning that explains why undoing an irreversible setting replaces the vault.
fn replace_warning(diags: &mut Diagnostics, name: &str, from: &str, to: &str) {
    // Booleans as HCL writes them, strings quoted.
    let hcl = |v: &str| if v == "true" || v == "false" { v.to_owned() } else { format!("\"{v}\"") };
    let (from, to) = (hcl(from), hcl(to));
    diags.attribute_warning(
        AttributePath::root(name),
        format!("{name} cannot go from {from} to {to} in place"),
        format!(
            "Azure never lets a backup vault leave {name} = {from}, so this change replaces the vault: a new vault \
             is created and the old one deleted. Deleting a vault fails while it holds backup instances, and the new \
             vault has a new managed identity that needs its role assignments again. Keep {name} = {from} to keep \
             this vault."
        ),
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Operations

impl BackupVaultType {
    fn plan_defaults(config: &Value, planned: &mut Value) {
        for (name, default) in [
            (attr::soft_delete, Value::from(DEFAULT_SOFT_DELETE)),
            (attr::retention_duration_in_days, Value::from(DEFAULT_RETENTION_DAYS)),
            (attr::immutability, Value::from(DEFAULT_IMMUTABILITY)),
            (attr::identity_type, Value::from(DEFAULT_IDENTITY)),
            (attr::cross_region_restore_enabled, Value::from(false)),
        ] {
            if config.attr(name).is_null() {
                planned.set_attr(name, default);
            }
        }
    }

    /// The identity attributes a plan knows: unknown for a new system-assigned identity, null for none.
    fn plan_identity(planned: &mut Value) {
        let value = match planned.attr(attr::identity_type) {
            Value::String(kind) if !includes_system_assigned(kind) => Value::Null,
            _ => Value::Unknown,
        };
        planned.set_attr(attr::identity_principal_id, value.clone());
        planned.set_attr(attr::identity_tenant_id, value);
    }

    fn plan_new(request: &PlanRequest, response: &mut PlanResponse) {
        let planned = &mut response.planned_state;
        Self::plan_defaults(&request.config, planned);
        Self::plan_identity(planned);
        let vault = planned.attr(attr::name).as_str().unwrap_or("(new)").to_owned();
        for (name, value) in [(attr::soft_delete, ALWAYS_ON), (attr::immutability, LOCKED)] {
            if planned.attr(name).as_str() == Some(value) {
                irreversible_warning(&mut response.diagnostics, name, value, &vault);
            }
        }
        if planned.attr(attr::cross_region_restore_enabled).as_bool() == Some(true) {
            cross_region_restore_warning(&mut response.diagnostics, &vault);
        }
    }

    fn plan_change(request: &PlanRequest, response: &mut PlanResponse) {
        let prior = &request.prior_state;
        let planned = &mut response.planned_state;
        Self::plan_defaults(&request.config, planned);
        if let (Some(before), Some(after)) =
            (prior.attr(attr::identity_type).as_str(), planned.attr(attr::identity_type).as_str())
            && azure_identity_type(before) == azure_identity_type(after)
        {
            planned.set_attr(attr::identity_type, Value::from(before));
        }
        let replaced = common::plan_update_with(
            BackupVaultType::cached_schema(),
            SPELLINGS,
            request,
            response,
            Self::one_way_changes,
        );
        let planned = &mut response.planned_state;
        if replaced || planned.attr(attr::identity_type) != prior.attr(attr::identity_type) {
            Self::plan_identity(planned);
        }
    }

    /// What can change one way only: cross-region restore cannot be turned off, nor an always-on soft delete or a
    /// locked immutability; each is a replacement, with a warning. Turning them on warns that it is for good.
    fn one_way_changes(prior: &Value, response: &mut PlanResponse) {
        let planned = &response.planned_state;
        let crr = attr::cross_region_restore_enabled;
        match (prior.attr(crr).as_bool(), planned.attr(crr).as_bool()) {
            (Some(true), Some(false)) => {
                response.requires_replace.push(AttributePath::root(crr));
                replace_warning(&mut response.diagnostics, crr, "true", "false");
            }
            (Some(false) | None, Some(true)) => {
                let vault = prior.attr(attr::id).as_str().unwrap_or_default().to_owned();
                cross_region_restore_warning(&mut response.diagnostics, &vault);
            }
            _ => {}
        }
        for (name, value) in [(attr::soft_delete, ALWAYS_ON), (attr::immutability, LOCKED)] {
            let (before, after) = (prior.attr(name).as_str(), response.planned_state.attr(name));
            if before == Some(value) && after.as_str() != Some(value) && !after.is_unknown() {
                let after = after.as_str().unwrap_or_default().to_owned();
                response.requires_replace.push(AttributePath::root(name));
                replace_warning(&mut response.diagnostics, name, value, &after);
            } else if before != Some(value) && after.as_str() == Some(value) {
                let vault = prior.attr(attr::id).as_str().unwrap_or_default().to_owned();
                irreversible_warning(&mut response.diagnostics, name, value, &vault);
            }
        }
    }
}

/// After an accepted PUT or PATCH: follow the operation and GET the vault. `state` is kept up to date with what
/// is known, so that it is right to save even when this fails.
async fn finish(
    configured: &Configured,
    call: &CallContext,
    operation: &mut crate::arm::poller::Operation,
    id: &BackupVaultId,
    planned: &Value,
    state: &mut Value,
) -> Result<(), ArmError> {
    let client = &configured.client;
    operation.wait(call).await?;
    match client.get_backup_vault(call, id).await? {
        Some(vault) => {
            *state = state_from_azure(planned, id, &vault);
            Ok(())
        }
        None => Err(ArmError::new(
            ErrorKind::InvalidResponse,
            "Azure reported the operation as succeeded, but the backup vault does not exist",
        )
        .context(format!("waiting for backup vault {id}"))),
    }
}

/// DELETE, follow the operation, and GET until Azure reports 404.
/// Why a vault with soft delete on cannot be destroyed now, and the ways out.
fn soft_delete_blocks_destroy(
    id: &BackupVaultId,
    soft_delete: &str,
    days: u64,
    deleted: &[BackupInstanceResource],
    live: &[BackupInstanceResource],
) -> String {
    let name = |i: &BackupInstanceResource| i.name.clone().unwrap_or_else(|| "?".to_owned());
    let mut text = format!(
        "Soft delete is {soft_delete} on {id}: Azure keeps each deleted backup instance soft-deleted for {days} days, \
         and does not delete a vault that holds backup instances, soft-deleted or not."
    );
    if !deleted.is_empty() {
        let listed: Vec<String> = deleted
            .iter()
            .map(|i| {
                let purge = i.properties.deletion_info.as_ref().and_then(|d| d.scheduled_purge_time.clone());
                format!(
                    "{} (purged {})",
                    name(i),
                    purge.map_or_else(|| "when its retention ends".to_owned(), |t| format!("at {t}"))
                )
            })
            .collect();
        text.push_str(&format!(" It holds soft-deleted backup instances: {}.", listed.join(", ")));
    }
    if !live.is_empty() {
        let listed: Vec<String> = live.iter().map(name).collect();
        text.push_str(&format!(
            " It holds backup instances that this destroy would soft-delete: {}.",
            listed.join(", ")
        ));
    }
    if soft_delete.eq_ignore_ascii_case("AlwaysOn") {
        text.push_str(
            "\n\nSoft delete is AlwaysOn and cannot be turned off. Destroy the backup instances alone now (terraform \
             destroy -target=<their addresses>) and the vault once their retention has ended, or remove the vault from \
             Terraform's state (terraform state rm <address>) and leave it in Azure.",
        );
    } else {
        text.push_str(
            "\n\nTo delete the vault now, set soft_delete = \"Off\" on it and apply first: Azure then deletes the \
             soft-deleted backup instances at once, and deletes later ones without keeping them. Or destroy the \
             backup instances alone now (terraform destroy -target=<their addresses>) and the vault once their \
             retention has ended.",
        );
    }
    text
}

async fn delete_and_confirm(configured: &Configured, call: &CallContext, id: &BackupVaultId) -> Result<(), ArmError> {
    let client = &configured.client;
    if let Some(mut operation) = client.begin_delete_backup_vault(call, id).await? {
        operation.wait(call).await?;
    }
    client
        .wait_until_gone(call, &format!("deleting backup vault {id}"), || async {
            Ok(client.get_backup_vault_polled(call, id).await?.map(|(_, delay)| delay))
        })
        .await
        .map_err(NotGone::into_error)
}

#[async_trait]
impl ManagedResource for BackupVaultType {
    type Id = BackupVaultId;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "backup vault";

    fn schema() -> Schema {
        schema()
    }

    fn validate(config: &Value) -> Diagnostics {
        validate_config(config)
    }

    async fn plan_create(&self, _cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        Self::plan_new(request, response);
    }

    /// A vault whose soft delete is on cannot be deleted while it holds backup instances, soft-deleted or not, and
    /// deleting its instances soft-deletes them: such a destroy fails at plan, with the way out, instead of failing
    /// at the vault after its instances are gone.
    async fn plan_destroy(&self, cx: &PlanContext<'_>, prior: &Value, diagnostics: &mut Diagnostics) {
        let soft_delete = prior.attr(attr::soft_delete).as_str().unwrap_or("Off");
        if soft_delete.eq_ignore_ascii_case("Off") {
            return;
        }
        let (Ok(configured), Some(id)) =
            (cx.configured(), prior.attr(attr::id).as_str().and_then(|id| id.parse::<BackupVaultId>().ok()))
        else {
            return;
        };
        let call = cx.call(common::timeouts(prior, Self::TIMEOUTS).read, "read timeout");
        let client = &configured.client;
        let (deleted, live) = match tokio::try_join!(
            client.list_deleted_backup_instances(&call, &id),
            client.list_backup_instances(&call, &id)
        ) {
            Ok(found) => found,
            Err(error) if error.is_not_found() => return,
            Err(error) => {
                tracing::warn!(vault = %id, error = %error, "could not list the vault's backup instances at plan");
                return;
            }
        };
        if deleted.is_empty() && live.is_empty() {
            return;
        }
        let days = prior.attr(attr::retention_duration_in_days).as_i64().map_or(14, |d| d.max(0) as u64);
        diagnostics.error(
            "Backup vault cannot be deleted while soft delete keeps its backup instances",
            soft_delete_blocks_destroy(&id, soft_delete, days, &deleted, &live),
        );
    }

    async fn plan_update(&self, _cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        Self::plan_change(request, response);
    }

    async fn create(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let Some(model) = Model::from_value(&request.planned_state) else {
            response.diagnostics.error(
                "Backup vault arguments not known",
                "Some arguments were still unknown when the vault was to be created. This is a bug in the provider.",
            );
            return response;
        };
        let (call, client) = (&azure.context, azure.client());
        let id = &model.id;
        let what = format!("creating backup vault {id}");

        match client.get_backup_vault(call, id).await {
            Ok(None) => {}
            Ok(Some(_)) => {
                common::already_exists(&mut response.diagnostics, "backup vault", TYPE_NAME, &id.to_string(), "");
                return response;
            }
            Err(error) => {
                arm_error(&mut response.diagnostics, &error.context(what.clone()), None, None);
                return response;
            }
        }
        let mut operation = match client.begin_put_backup_vault(call, id, &model.to_resource(), &what).await {
            Ok(operation) => operation,
            Err(error) => {
                arm_error(&mut response.diagnostics, &error, None, None);
                return response;
            }
        };
        // Azure has accepted the PUT: the vault may exist from here on, so every return carries its ID.
        let mut state = request.planned_state.clone();
        state.set_attr(attr::id, Value::from(id.to_string()));
        for name in [attr::identity_principal_id, attr::identity_tenant_id] {
            if state.attr(name).is_unknown() {
                state.set_attr(name, Value::Null);
            }
        }
        tracing::info!(id = %id, "backup vault accepted; following the operation");
        if let Err(error) =
            finish(&azure.configured, call, &mut operation, id, &request.planned_state, &mut state).await
        {
            arm_error(&mut response.diagnostics, &error, None, None);
        }
        response.new_state = state;
        response
    }

    async fn update(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let prior = &request.prior_state;
        let planned = &request.planned_state;
        let (Some(before), Some(after)) = (Model::from_value(prior), Model::from_value(planned)) else {
            response.diagnostics.error("Backup vault arguments not known", "This is a bug in the provider.");
            response.new_state = prior.clone();
            return response;
        };
        let Some(patch) = after.patch_from(&before) else {
            // Only Terraform-side settings (timeouts) or spellings changed: nothing to tell Azure.
            let mut state = planned.clone();
            for name in [attr::identity_principal_id, attr::identity_tenant_id] {
                state.set_attr(name, prior.attr(name).clone());
            }
            response.new_state = state;
            return response;
        };
        let call = &azure.context;
        let id = &after.id;
        let what = format!("updating backup vault {id}");
        let mut operation = match azure.client().begin_patch_backup_vault(call, id, &patch, &what).await {
            Ok(operation) => operation,
            Err(error) => {
                arm_error(&mut response.diagnostics, &error, None, None);
                response.new_state = prior.clone();
                return response;
            }
        };
        let mut state = prior.clone();
        if let Err(error) = finish(&azure.configured, call, &mut operation, id, planned, &mut state).await {
            arm_error(&mut response.diagnostics, &error, None, None);
        }
        response.new_state = state;
        response
    }

    async fn delete(&self, azure: &Call, id: &BackupVaultId, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let prior = &request.prior_state;
        match delete_and_confirm(&azure.configured, &azure.context, id).await {
            Ok(()) => response.new_state = Value::Null,
            Err(error) => {
                let hint = error.code.as_deref().filter(|c| c.to_ascii_lowercase().contains("notempty")).map(|_| {
                    "A vault can be deleted only when it holds no backup instances: delete them first. Instances \
                     destroyed with retain_data_on_destroy = true still exist in Azure (protection stopped) and \
                     count too, and so do soft-deleted instances while soft delete keeps them (set soft_delete = \
                     \"Off\" and apply to delete them at once, unless it is AlwaysOn)."
                });
                arm_error(&mut response.diagnostics, &error, None, hint);
                response.new_state = prior.clone();
            }
        }
        response
    }

    async fn read(
        &self,
        azure: &Call,
        id: &BackupVaultId,
        current: &Value,
        _response: &mut ReadResponse,
    ) -> Result<Option<Value>, ArmError> {
        let found = azure.client().get_backup_vault(&azure.context, id).await?;
        Ok(found.map(|vault| state_from_azure(current, id, &vault)))
    }

    fn import_attributes(id: &BackupVaultId) -> Vec<(&'static str, String)> {
        vec![(attr::name, id.name.clone()), (attr::resource_group_id, id.resource_group.to_string())]
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::plugin::interface::{Context, ImportRequest, Resource};
    use crate::resources::ProviderConfiguration;
    use crate::resources::managed::Managed;

    const GROUP: &str = "/subscriptions/s1/resourceGroups/rg-backup";

    fn config() -> Value {
        Value::object([
            ("id", Value::Null),
            ("name", Value::from("vault-1")),
            ("resource_group_id", Value::from(GROUP)),
            ("location", Value::from("West US")),
            ("datastore_type", Value::from("VaultStore")),
            ("redundancy", Value::from("LocallyRedundant")),
            ("cross_region_restore_enabled", Value::Null),
            ("soft_delete", Value::Null),
            ("retention_duration_in_days", Value::Null),
            ("immutability", Value::Null),
            ("identity_type", Value::Null),
            ("identity_ids", Value::Null),
            ("identity_principal_id", Value::Null),
            ("identity_tenant_id", Value::Null),
            ("tags", Value::Null),
            ("timeouts", Value::Null),
        ])
    }

    fn paths(d: &Diagnostics) -> Vec<String> {
        d.iter().map(|d| d.attribute.as_ref().map(|p| p.to_string()).unwrap_or_default()).collect()
    }

    fn resource() -> Managed<BackupVaultType> {
        Managed::new(BackupVaultType, Arc::new(ProviderConfiguration::default()))
    }

    fn plan(prior: Value, config: Value) -> PlanResponse {
        let mut proposed = config.clone();
        if !prior.is_null() {
            for name in ["id", "identity_principal_id", "identity_tenant_id"] {
                proposed.set_attr(name, prior.attr(name).clone());
            }
            for name in [
                "soft_delete",
                "retention_duration_in_days",
                "immutability",
                "identity_type",
                "cross_region_restore_enabled",
            ] {
                if config.attr(name).is_null() {
                    proposed.set_attr(name, prior.attr(name).clone());
                }
            }
        }
        let request = PlanRequest { prior_state: prior, proposed_new_state: proposed, config, prior_private: vec![] };
        let mut response =
            PlanResponse { planned_state: request.proposed_new_state.clone(), ..PlanResponse::default() };
        if request.prior_state.is_null() {
            response.planned_state.set_attr("id", Value::Unknown);
            BackupVaultType::plan_new(&request, &mut response);
        } else {
            BackupVaultType::plan_change(&request, &mut response);
        }
        response
    }

    fn created() -> Value {
        let planned = plan(Value::Null, config()).planned_state;
        let model = Model::from_value(&planned).unwrap();
        let mut vault = model.to_resource();
        vault.id = Some(model.id.to_string().to_lowercase());
        vault.location = Some("westus".into());
        vault.identity = Some(DppIdentityDetails {
            identity_type: Some("SystemAssigned".into()),
            principal_id: Some("p".into()),
            tenant_id: Some("t".into()),
            user_assigned_identities: None,
        });
        state_from_azure(&planned, &model.id, &vault)
    }

    #[test]
    fn a_good_config_validates_and_bad_values_point_at_their_attribute() {
        assert!(validate_config(&config()).is_empty());
        let mut c = config();
        c.set_attr("name", Value::from("1-vault"));
        c.set_attr("resource_group_id", Value::from("rg-backup"));
        c.set_attr("redundancy", Value::from("locallyredundant"));
        c.set_attr("soft_delete", Value::from("Always"));
        c.set_attr("retention_duration_in_days", Value::from(7i64));
        c.set_attr("identity_type", Value::from("Assigned"));
        assert_eq!(
            paths(&validate_config(&c)),
            vec![
                "name",
                "resource_group_id",
                "redundancy",
                "soft_delete",
                "identity_type",
                "retention_duration_in_days"
            ]
        );
        c = config();
        c.set_attr("retention_duration_in_days", Value::from(14.5));
        assert_eq!(paths(&validate_config(&c)), vec!["retention_duration_in_days"]);
        for name in ["name", "resource_group_id", "soft_delete", "retention_duration_in_days"] {
            let mut c = config();
            c.set_attr(name, Value::Unknown);
            assert!(validate_config(&c).is_empty(), "{name}");
        }
    }

    #[test]
    fn vault_names_follow_the_spec() {
        for good in ["ab", "vault-1", "V2", &"a".repeat(50)] {
            assert!(check_vault_name(good).is_ok(), "{good}");
        }
        for bad in ["a", "1vault", "vault-", "va_ult", "vault.1", &"a".repeat(51)] {
            assert!(check_vault_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_new_vault_gets_azures_defaults_and_an_unknown_identity() {
        let response = plan(Value::Null, config());
        let p = &response.planned_state;
        assert_eq!(p.attr("soft_delete").as_str(), Some("On"));
        assert_eq!(p.attr("retention_duration_in_days").as_i64(), Some(14));
        assert_eq!(p.attr("immutability").as_str(), Some("Disabled"));
        assert_eq!(p.attr("identity_type").as_str(), Some("SystemAssigned"));
        assert!(p.attr("identity_principal_id").is_unknown());
        assert!(p.attr("id").is_unknown());
        assert!(response.diagnostics.is_empty());

        let mut c = config();
        c.set_attr("identity_type", Value::from("None"));
        assert!(plan(Value::Null, c).planned_state.attr("identity_principal_id").is_null());
    }

    #[test]
    fn the_put_body_has_the_service_shape() {
        let planned = plan(Value::Null, config()).planned_state;
        let body = serde_json::to_value(Model::from_value(&planned).unwrap().to_resource()).unwrap();
        assert_eq!(body["location"], "West US");
        assert_eq!(body["identity"], serde_json::json!({"type": "SystemAssigned"}));
        assert_eq!(
            body["properties"]["storageSettings"],
            serde_json::json!([{"datastoreType": "VaultStore", "type": "LocallyRedundant"}])
        );
        let security = &body["properties"]["securitySettings"];
        assert_eq!(security["softDeleteSettings"], serde_json::json!({"state": "On", "retentionDurationInDays": 14.0}));
        assert_eq!(security["immutabilitySettings"], serde_json::json!({"state": "Disabled"}));
        assert!(body.get("tags").is_none());
    }

    #[test]
    fn state_from_azure_keeps_equivalent_spellings() {
        let state = created();
        assert_eq!(state.attr("location").as_str(), Some("West US"));
        assert_eq!(
            state.attr("id").as_str(),
            Some("/subscriptions/s1/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-1")
        );
        assert_eq!(state.attr("identity_principal_id").as_str(), Some("p"));
        assert_eq!(state.attr("resource_group_id").as_str(), Some(GROUP));
        let response = plan(state.clone(), config());
        assert!(response.requires_replace.is_empty());
        assert_eq!(response.planned_state, state, "no diff");
    }

    #[test]
    fn settings_that_change_in_place_are_patched_alone() {
        let prior = created();
        let mut c = config();
        c.set_attr("tags", Value::Map([("env".to_owned(), Value::from("prod"))].into()));
        c.set_attr("soft_delete", Value::from("Off"));
        let response = plan(prior.clone(), c);
        assert!(response.requires_replace.is_empty());
        let before = Model::from_value(&prior).unwrap();
        let after = Model::from_value(&response.planned_state).unwrap();
        let patch = serde_json::to_value(after.patch_from(&before).unwrap()).unwrap();
        assert_eq!(patch["tags"], serde_json::json!({"env": "prod"}));
        assert_eq!(patch["properties"]["securitySettings"]["softDeleteSettings"]["state"], "Off");
        assert!(
            patch["properties"]["securitySettings"].get("immutabilitySettings").is_none(),
            "an unchanged setting is not named: {patch}"
        );
        assert!(patch.get("identity").is_none());
        assert!(before.patch_from(&before).is_none());
    }

    #[test]
    fn azures_upper_case_enums_read_in_the_documented_spelling_and_are_no_change() {
        let id: BackupVaultId =
            "/subscriptions/s1/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-1"
                .parse()
                .unwrap();
        let vault: BackupVaultResource = serde_json::from_value(serde_json::json!({
            "location": "westus",
            "properties": {
                "storageSettings": [{"datastoreType": "VAULTSTORE", "type": "locallyredundant"}],
                "securitySettings": {"softDeleteSettings": {"state": "ON", "retentionDurationInDays": 14.0},
                    "immutabilitySettings": {"state": "DISABLED"}}
            }
        }))
        .unwrap();
        let state = state_from_azure(&Value::Null, &id, &vault);
        assert_eq!(state.attr("soft_delete").as_str(), Some("On"));
        assert_eq!(state.attr("immutability").as_str(), Some("Disabled"));
        assert_eq!(state.attr("datastore_type").as_str(), Some("VaultStore"));
        assert_eq!(state.attr("redundancy").as_str(), Some("LocallyRedundant"));
        let mut upper = created();
        upper.set_attr("soft_delete", Value::from("ON"));
        let (before, after) = (Model::from_value(&upper).unwrap(), Model::from_value(&created()).unwrap());
        assert!(after.patch_from(&before).is_none(), "ON and On are the same setting");
    }

    #[test]
    fn removing_an_optional_setting_goes_back_to_the_default() {
        let mut prior = created();
        prior.set_attr("soft_delete", Value::from("Off"));
        let response = plan(prior, config());
        assert_eq!(response.planned_state.attr("soft_delete").as_str(), Some("On"));
        assert!(response.requires_replace.is_empty());
    }

    #[test]
    fn turning_on_an_irreversible_setting_warns_on_its_attribute() {
        let mut c = config();
        c.set_attr("soft_delete", Value::from("AlwaysOn"));
        c.set_attr("immutability", Value::from("Locked"));
        let response = plan(created(), c);
        assert!(response.requires_replace.is_empty(), "turning it on is an update in place");
        assert_eq!(paths(&response.diagnostics), vec!["soft_delete", "immutability"]);
        assert!(!response.diagnostics.has_errors());
        let text: Vec<String> = response.diagnostics.iter().map(|d| format!("{} {}", d.summary, d.detail)).collect();
        assert!(text[0].contains("cannot be undone"), "{text:?}");
        assert!(text[1].contains("cannot be undone"), "{text:?}");
    }

    #[test]
    fn undoing_an_irreversible_setting_replaces_the_vault_and_says_why() {
        let mut prior = created();
        prior.set_attr("soft_delete", Value::from("AlwaysOn"));
        let response = plan(prior.clone(), config());
        assert_eq!(response.requires_replace, vec![AttributePath::root("soft_delete")]);
        assert_eq!(paths(&response.diagnostics), vec!["soft_delete"]);
        assert!(response.planned_state.attr("identity_principal_id").is_unknown());

        let mut c = config();
        c.set_attr("soft_delete", Value::from("AlwaysOn"));
        let response = plan(prior, c);
        assert!(response.requires_replace.is_empty() && response.diagnostics.is_empty(), "keeping it is no change");
    }

    #[test]
    fn storage_settings_and_location_replace() {
        let mut c = config();
        c.set_attr("redundancy", Value::from("GeoRedundant"));
        c.set_attr("location", Value::from("eastus"));
        let response = plan(created(), c);
        assert_eq!(response.requires_replace, vec![AttributePath::root("location"), AttributePath::root("redundancy")]);
    }

    const UAI: &str =
        "/subscriptions/s1/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua1";

    fn set(items: &[&str]) -> Value {
        Value::Set(items.iter().map(|i| Value::from(*i)).collect())
    }

    #[test]
    fn identity_ids_go_with_a_user_assigned_type_only() {
        let mut c = config();
        c.set_attr("identity_ids", set(&[UAI]));
        let diags = validate_config(&c);
        assert_eq!(paths(&diags), vec!["identity_ids"]);
        assert!(diags.iter().any(|d| d.detail.contains("(the default)")), "{diags:?}");
        for kind in ["UserAssigned", "SystemAssigned, UserAssigned"] {
            c.set_attr("identity_type", Value::from(kind));
            assert!(validate_config(&c).is_empty(), "{kind}");
            let mut without = c.clone();
            without.set_attr("identity_ids", Value::Null);
            assert_eq!(paths(&validate_config(&without)), vec!["identity_ids"], "{kind}");
            without.set_attr("identity_ids", set(&[]));
            assert_eq!(paths(&validate_config(&without)), vec!["identity_ids"], "{kind}");
        }
        c.set_attr("identity_ids", set(&["/subscriptions/s1/resourceGroups/rg-id"]));
        let diags = validate_config(&c);
        assert!(diags.iter().any(|d| d.summary == "Invalid user-assigned identity ID"), "{diags:?}");
        c.set_attr("identity_ids", Value::Unknown);
        assert!(validate_config(&c).is_empty());
    }

    #[test]
    fn a_user_assigned_identity_is_sent_in_azures_spelling_and_read_back_in_ours() {
        let mut c = config();
        c.set_attr("identity_type", Value::from("SystemAssigned, UserAssigned"));
        c.set_attr("identity_ids", set(&[UAI]));
        let planned = plan(Value::Null, c.clone()).planned_state;
        assert!(planned.attr("identity_principal_id").is_unknown());
        let model = Model::from_value(&planned).unwrap();
        let body = serde_json::to_value(model.to_resource()).unwrap();
        assert_eq!(
            body["identity"],
            serde_json::json!({"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {UAI: {}}})
        );
        let mut vault = model.to_resource();
        vault.identity = Some(DppIdentityDetails {
            identity_type: Some("SystemAssigned,UserAssigned".into()),
            principal_id: Some("p".into()),
            tenant_id: Some("t".into()),
            user_assigned_identities: Some(
                [(UAI.to_lowercase(), UserAssignedIdentity { principal_id: Some("u".into()), client_id: None })].into(),
            ),
        });
        let state = state_from_azure(&planned, &model.id, &vault);
        assert_eq!(state.attr("identity_type").as_str(), Some("SystemAssigned, UserAssigned"));
        assert_eq!(state.attr("identity_ids"), &set(&[UAI]), "the configuration's spelling is kept");
        assert_eq!(state.attr("identity_principal_id").as_str(), Some("p"));
        let response = plan(state.clone(), c.clone());
        assert_eq!(response.planned_state, state, "no diff");

        let mut user_only = c;
        user_only.set_attr("identity_type", Value::from("UserAssigned"));
        let response = plan(state.clone(), user_only);
        assert!(response.planned_state.attr("identity_principal_id").is_null());
        let before = Model::from_value(&state).unwrap();
        let after = Model::from_value(&response.planned_state).unwrap();
        let patch = serde_json::to_value(after.patch_from(&before).unwrap()).unwrap();
        assert_eq!(patch["identity"], serde_json::json!({"type": "UserAssigned", "userAssignedIdentities": {UAI: {}}}));
        assert!(patch.get("properties").is_none());
    }

    #[test]
    fn cross_region_restore_needs_geo_redundancy_and_cannot_be_undone() {
        let mut c = config();
        c.set_attr("cross_region_restore_enabled", Value::from(true));
        let diags = validate_config(&c);
        assert_eq!(paths(&diags), vec!["cross_region_restore_enabled"]);
        assert!(diags.iter().any(|d| d.detail.contains("GeoRedundant")), "{diags:?}");
        c.set_attr("redundancy", Value::from("GeoRedundant"));
        assert!(validate_config(&c).is_empty());
        let mut lrs_off = config();
        lrs_off.set_attr("cross_region_restore_enabled", Value::from(false));
        assert!(validate_config(&lrs_off).is_empty(), "false is no request for cross-region restore");

        let response = plan(Value::Null, c.clone());
        assert_eq!(paths(&response.diagnostics), vec!["cross_region_restore_enabled"]);
        let body = serde_json::to_value(Model::from_value(&response.planned_state).unwrap().to_resource()).unwrap();
        assert_eq!(body["properties"]["featureSettings"]["crossRegionRestoreSettings"]["state"], "Enabled");
        let off =
            serde_json::to_value(Model::from_value(&plan(Value::Null, config()).planned_state).unwrap().to_resource())
                .unwrap();
        assert!(off["properties"].get("featureSettings").is_none(), "not named unless enabled: {off}");

        let mut geo = config();
        geo.set_attr("redundancy", Value::from("GeoRedundant"));
        let mut prior = plan(Value::Null, geo.clone()).planned_state;
        prior.set_attr("id", Value::from(created().attr("id").as_str().unwrap()));
        let response = plan(prior.clone(), c.clone());
        assert!(response.requires_replace.is_empty(), "enabling is in place");
        let (before, after) = (Model::from_value(&prior).unwrap(), Model::from_value(&response.planned_state).unwrap());
        let patch = serde_json::to_value(after.patch_from(&before).unwrap()).unwrap();
        assert_eq!(
            patch["properties"],
            serde_json::json!({"featureSettings": {"crossRegionRestoreSettings": {"state": "Enabled"}}})
        );

        prior.set_attr("cross_region_restore_enabled", Value::from(true));
        let response = plan(prior.clone(), geo);
        assert_eq!(response.requires_replace, vec![AttributePath::root("cross_region_restore_enabled")]);
        assert_eq!(paths(&response.diagnostics), vec!["cross_region_restore_enabled"]);
        assert!(plan(prior, c).requires_replace.is_empty(), "keeping it is no change");
    }

    #[tokio::test]
    async fn import_builds_a_full_state_from_the_id() {
        let id = "/subscriptions/s1/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/v1";
        let response = resource().import(&Context::default(), ImportRequest { id: id.into() }).await;
        let state = &response.imported[0].state;
        assert_eq!(state.attr("id").as_str(), Some(id));
        assert_eq!(state.attr("resource_group_id").as_str(), Some(GROUP));
        assert_eq!(state.as_entries().unwrap().len(), config().as_entries().unwrap().len());
        let bad = resource().import(&Context::default(), ImportRequest { id: GROUP.into() }).await;
        assert!(bad.diagnostics.has_errors());
    }
}
