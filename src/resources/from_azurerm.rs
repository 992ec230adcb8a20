//! Moves from azurerm: the state of an `azurerm_data_protection_*` resource, handed over by a `moved` block
//! (MoveResourceState), converted attribute by attribute into the state of this provider's type for the same Azure
//! object.
//!
//! [`MOVES`] is the one table of what moves where: each row names the azurerm type, the schema version of the state
//! azurerm writes for it (azurerm declares no version for these types: 0), the type here it moves to, and the
//! function that converts it. A conversion reads the source with [`Source`], which refuses, with the attribute's
//! name ([`Refusal`]), a value that does not have the shape azurerm writes or that this provider would keep
//! differently (a `life_cycle` in another data store than the kind's).
//!
//! A conversion fills the target resource's attribute struct (`VaultObject`, `PolicyObject`, `InstanceObject`, …,
//! declared with `attributes!`), so the string names in this file are azurerm's; this provider's are written only
//! in those declarations.
//!
//! The read that follows the move refreshes every attribute Azure reports; what a conversion must get right is
//! what the read does not replace: the ID, `timeouts`, the arguments Azure does not report, and the spellings
//! equivalent ones keep (ID case, regions). Without a refresh (`terraform plan -refresh=false`) the plan compares
//! the configuration with the conversion alone, so a conversion writes what the read would: an absent nested
//! block is an empty list (as Terraform holds a configuration without the block), never null.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::arm::ids::{
    BackupInstanceId, BackupPolicyId, BackupVaultId, GenericResourceId, ResourceGroupId, ResourceGuardId, same_id,
};
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::interface::MoveRequest;

use super::backup_instance::InstanceObject;
use super::backup_policy::{PolicyObject, RetentionRuleObject, rule_attr};
use super::backup_vault::{IDENTITY_TYPES, VaultObject};
use super::backup_vault_customer_managed_key::CmkObject;
use super::instance_kinds::{
    BlobStorage, DataLakeStorage, Disk, InstanceKind, KubernetesCluster, MySqlFlexibleServer, PostgreSqlFlexibleServer,
};
use super::instance_kinds::{KubernetesParameters, aks};
use super::policy_kinds::{
    BlobStoragePolicy, DataLakeStoragePolicy, DiskPolicy, KubernetesClusterPolicy, MySqlFlexibleServerPolicy,
    PolicyKind, PostgreSqlFlexibleServerPolicy,
};
use super::resource_guard::GuardObject;

/// The provider whose resources move here.
const SOURCE_PROVIDER: &str = "azurerm";

/// One move this provider accepts.
pub(crate) struct Move {
    /// The azurerm resource type.
    pub from: &'static str,
    /// The schema version of the state azurerm writes for it.
    pub version: i64,
    /// The resource type here.
    pub to: &'static str,
    /// The conversion.
    convert: fn(&Source<'_>) -> Result<Json, Refusal>,
}

/// Every move from azurerm, one row per azurerm type.
pub(crate) const MOVES: &[Move] = &[
    Move {
        from: "azurerm_data_protection_backup_vault",
        version: 0,
        to: super::backup_vault::TYPE_NAME,
        convert: vault,
    },
    Move {
        from: "azurerm_data_protection_backup_vault_customer_managed_key",
        version: 0,
        to: super::backup_vault_customer_managed_key::TYPE_NAME,
        convert: customer_managed_key,
    },
    Move {
        from: "azurerm_data_protection_resource_guard",
        version: 0,
        to: super::resource_guard::TYPE_NAME,
        convert: resource_guard,
    },
    Move {
        from: "azurerm_data_protection_backup_policy_disk",
        version: 0,
        to: DiskPolicy::TYPE_NAME,
        convert: policy_disk,
    },
    Move {
        from: "azurerm_data_protection_backup_policy_blob_storage",
        version: 0,
        to: BlobStoragePolicy::TYPE_NAME,
        convert: policy_blob_storage,
    },
    Move {
        from: "azurerm_data_protection_backup_policy_kubernetes_cluster",
        version: 0,
        to: KubernetesClusterPolicy::TYPE_NAME,
        convert: policy_kubernetes_cluster,
    },
    Move {
        from: "azurerm_data_protection_backup_policy_postgresql_flexible_server",
        version: 0,
        to: PostgreSqlFlexibleServerPolicy::TYPE_NAME,
        convert: policy_with_default_rule::<PostgreSqlFlexibleServerPolicy>,
    },
    Move {
        from: "azurerm_data_protection_backup_policy_mysql_flexible_server",
        version: 0,
        to: MySqlFlexibleServerPolicy::TYPE_NAME,
        convert: policy_with_default_rule::<MySqlFlexibleServerPolicy>,
    },
    Move {
        from: "azurerm_data_protection_backup_policy_data_lake_storage",
        version: 0,
        to: DataLakeStoragePolicy::TYPE_NAME,
        convert: policy_data_lake_storage,
    },
    Move {
        from: "azurerm_data_protection_backup_instance_disk",
        version: 0,
        to: Disk::TYPE_NAME,
        convert: instance_disk,
    },
    Move {
        from: "azurerm_data_protection_backup_instance_blob_storage",
        version: 0,
        to: BlobStorage::TYPE_NAME,
        convert: instance_blob_storage,
    },
    Move {
        from: "azurerm_data_protection_backup_instance_kubernetes_cluster",
        version: 0,
        to: KubernetesCluster::TYPE_NAME,
        convert: instance_kubernetes_cluster,
    },
    Move {
        from: "azurerm_data_protection_backup_instance_postgresql_flexible_server",
        version: 0,
        to: PostgreSqlFlexibleServer::TYPE_NAME,
        convert: instance_flexible_server::<PostgreSqlFlexibleServer>,
    },
    Move {
        from: "azurerm_data_protection_backup_instance_mysql_flexible_server",
        version: 0,
        to: MySqlFlexibleServer::TYPE_NAME,
        convert: instance_flexible_server::<MySqlFlexibleServer>,
    },
    Move {
        from: "azurerm_data_protection_backup_instance_data_lake_storage",
        version: 0,
        to: DataLakeStorage::TYPE_NAME,
        convert: instance_data_lake_storage,
    },
];

/// Converts the state of `request` into a state of `target`, or says why it cannot.
pub(crate) fn move_state(target: &str, request: &MoveRequest) -> Result<Json, Diagnostics> {
    let source_type = request.source_type_name.as_str();
    let refuse = |summary: String, detail: String| {
        let mut diagnostics = Diagnostics::new();
        diagnostics.error(summary, detail);
        Err(diagnostics)
    };
    let provider = request.source_provider_address.rsplit('/').next().unwrap_or_default();
    let Some(row) = MOVES.iter().find(|m| m.from == source_type) else {
        let accepted = MOVES.iter().filter(|m| m.to == target).map(|m| m.from).collect::<Vec<_>>();
        let from = if accepted.is_empty() {
            format!("No resource type moves into {target}.")
        } else {
            format!("{target} takes moves from {} only.", accepted.join(", "))
        };
        return refuse(
            format!("Cannot move {source_type} to {target}"),
            format!(
                "{target} does not know the resource type {source_type} ({}). {from} Remove the old resource from \
                 the state (terraform state rm) and import the object into {target} instead.",
                request.source_provider_address
            ),
        );
    };
    if provider != SOURCE_PROVIDER {
        return refuse(
            format!("Cannot move {source_type} from {}", request.source_provider_address),
            format!(
                "{target} takes {source_type} from the {SOURCE_PROVIDER} provider only; this one comes from {}.",
                request.source_provider_address
            ),
        );
    }
    if row.to != target {
        return refuse(
            format!("Cannot move {source_type} to {target}"),
            format!("{source_type} manages the Azure object that {} manages here: move it to {}.", row.to, row.to),
        );
    }
    if request.source_schema_version != row.version {
        return refuse(
            format!("Unknown schema version {} of {source_type}", request.source_schema_version),
            format!(
                "This provider reads the state of {source_type} at schema version {}, the version azurerm writes; \
                 this state has version {}, written by an azurerm version this provider does not know. Remove it \
                 from the state (terraform state rm) and import the object into {target} instead.",
                row.version, request.source_schema_version
            ),
        );
    }
    let Some(state) = request.source_state.as_object() else {
        return refuse(
            format!("Cannot move {source_type} to {target}"),
            format!("The state of {source_type} is not an object."),
        );
    };
    let source = Source { type_name: source_type, state };
    (row.convert)(&source).map_err(|refusal| {
        let mut diagnostics = Diagnostics::new();
        diagnostics.error(
            format!("Cannot move {source_type} to {target}: {}", refusal.attribute),
            format!(
                "The `{}` of this {source_type} {}. Keep it with azurerm for now, or change it there first and \
                 move it once the plan shows no changes.",
                refusal.attribute, refusal.reason
            ),
        );
        diagnostics
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the source

/// Why a state does not move: the azurerm attribute (a path such as `retention_rule.0.criteria.0.days_of_week`)
/// and what is wrong with it.
#[derive(Debug)]
pub(crate) struct Refusal {
    attribute: String,
    reason: String,
}

fn refusal(attribute: impl Into<String>, reason: impl Into<String>) -> Refusal {
    Refusal { attribute: attribute.into(), reason: reason.into() }
}

/// The source state: the azurerm resource's attributes, and its type for messages.
struct Source<'a> {
    type_name: &'a str,
    state: &'a Map<String, Json>,
}

/// One object of a nested block of the source state, with its path (`retention_rule.0`) for messages.
struct Nested<'a> {
    path: String,
    object: &'a Map<String, Json>,
}

/// Reads attributes of an object; `prefix` is its path (empty at the top).
trait Attributes {
    fn object(&self) -> &Map<String, Json>;
    fn prefix(&self) -> String;

    fn path(&self, name: &str) -> String {
        let prefix = self.prefix();
        if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") }
    }

    fn raw(&self, name: &str) -> &Json {
        self.object().get(name).unwrap_or(&Json::Null)
    }

    /// A string attribute; null when unset (SDKv2 writes `""` for an unset string).
    fn string(&self, name: &str) -> Result<Option<String>, Refusal> {
        match self.raw(name) {
            Json::Null => Ok(None),
            Json::String(s) if s.is_empty() => Ok(None),
            Json::String(s) => Ok(Some(s.clone())),
            other => Err(refusal(self.path(name), format!("is {other}, not a string"))),
        }
    }

    /// A string attribute that must be set.
    fn required(&self, name: &str) -> Result<String, Refusal> {
        self.string(name)?.ok_or_else(|| refusal(self.path(name), "is not set"))
    }

    /// A whole number attribute; `None` when unset.
    fn integer(&self, name: &str) -> Result<Option<i64>, Refusal> {
        match self.raw(name) {
            Json::Null => Ok(None),
            Json::Number(n) => match n.as_f64() {
                Some(v) if v.fract() == 0.0 => Ok(Some(v as i64)),
                _ => Err(refusal(self.path(name), format!("is {n}, not a whole number"))),
            },
            other => Err(refusal(self.path(name), format!("is {other}, not a number"))),
        }
    }

    /// A list or set of strings, in its order; `None` when unset or empty.
    fn strings(&self, name: &str) -> Result<Option<Vec<String>>, Refusal> {
        match self.raw(name) {
            Json::Null => Ok(None),
            Json::Array(items) => {
                let strings: Option<Vec<String>> = items.iter().map(|i| i.as_str().map(str::to_owned)).collect();
                let strings = strings.ok_or_else(|| refusal(self.path(name), "holds a non-string"))?;
                Ok((!strings.is_empty()).then_some(strings))
            }
            other => Err(refusal(self.path(name), format!("is {other}, not a list of strings"))),
        }
    }

    /// The objects of a nested block (a list of objects); empty when unset.
    fn blocks(&self, name: &str) -> Result<Vec<Nested<'_>>, Refusal> {
        match self.raw(name) {
            Json::Null => Ok(Vec::new()),
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let path = format!("{}.{i}", self.path(name));
                    item.as_object()
                        .map(|object| Nested { path: path.clone(), object })
                        .ok_or_else(|| refusal(path, "is not an object"))
                })
                .collect(),
            other => Err(refusal(self.path(name), format!("is {other}, not a block"))),
        }
    }

    /// The one object of a nested block of at most one item.
    fn single(&self, name: &str) -> Result<Option<Nested<'_>>, Refusal> {
        let mut blocks = self.blocks(name)?;
        match blocks.len() {
            0 | 1 => Ok(blocks.pop()),
            n => Err(refusal(self.path(name), format!("has {n} blocks; one is expected"))),
        }
    }

    /// A bool attribute; null when unset.
    fn boolean(&self, name: &str) -> Result<Option<bool>, Refusal> {
        match self.raw(name) {
            Json::Null => Ok(None),
            Json::Bool(b) => Ok(Some(*b)),
            other => Err(refusal(self.path(name), format!("is {other}, not a bool"))),
        }
    }

    /// A set of strings as this provider keeps one: sorted, each once; `None` when unset or empty.
    fn string_set(&self, name: &str) -> Result<Option<Vec<String>>, Refusal> {
        Ok(self.strings(name)?.map(|mut items| {
            items.sort_unstable();
            items.dedup();
            items
        }))
    }

    /// A set of whole numbers, sorted, each once; `None` when unset or empty.
    fn integer_set(&self, name: &str) -> Result<Option<Vec<i64>>, Refusal> {
        let items = match self.raw(name) {
            Json::Null => return Ok(None),
            Json::Array(items) => items,
            other => return Err(refusal(self.path(name), format!("is {other}, not a set of numbers"))),
        };
        let mut numbers = Vec::with_capacity(items.len());
        for item in items {
            match item.as_f64() {
                Some(n) if n.fract() == 0.0 => numbers.push(n as i64),
                _ => return Err(refusal(self.path(name), format!("holds {item}, not a whole number"))),
            }
        }
        numbers.sort_unstable();
        numbers.dedup();
        Ok((!numbers.is_empty()).then_some(numbers))
    }
}

impl Attributes for Source<'_> {
    fn object(&self) -> &Map<String, Json> {
        self.state
    }
    fn prefix(&self) -> String {
        String::new()
    }
}

impl Attributes for Nested<'_> {
    fn object(&self) -> &Map<String, Json> {
        self.object
    }
    fn prefix(&self) -> String {
        self.path.clone()
    }
}

impl Source<'_> {
    /// `id`, parsed as `T`.
    fn id<T: std::str::FromStr<Err: std::fmt::Display>>(&self) -> Result<T, Refusal> {
        let id = self.required("id")?;
        id.parse::<T>().map_err(|e| refusal("id", format!("is not an ID of a {}: {e}", self.type_name)))
    }

    /// `timeouts`: azurerm's block has the same four durations.
    fn timeouts(&self) -> Option<Json> {
        let Json::Object(entries) = self.raw("timeouts") else { return None };
        let kept: Map<String, Json> = ["create", "read", "update", "delete"]
            .iter()
            .map(|k| (k.to_string(), entries.get(*k).filter(|v| v.is_string()).cloned().unwrap_or(Json::Null)))
            .collect();
        (!kept.values().all(Json::is_null)).then_some(Json::Object(kept))
    }

    /// `tags`; `None` when unset or empty, as the read writes it.
    fn tags(&self) -> Result<Option<BTreeMap<String, String>>, Refusal> {
        match self.raw("tags") {
            Json::Null => Ok(None),
            tags => {
                let tags: BTreeMap<String, String> = serde_json::from_value(tags.clone())
                    .map_err(|_| refusal("tags", format!("is {tags}, not a map of strings")))?;
                Ok((!tags.is_empty()).then_some(tags))
            }
        }
    }

    /// A resource group ID from a resource group name attribute, in `subscription`.
    fn resource_group(&self, name: &str, subscription: &str) -> Result<String, Refusal> {
        let group = self.required(name)?;
        Ok(ResourceGroupId { subscription_id: subscription.to_owned(), name: group }.to_string())
    }
}

/// An ARM ID attribute, checked to be a resource ID.
fn resource_id(source: &impl Attributes, name: &str) -> Result<String, Refusal> {
    let id = source.required(name)?;
    id.parse::<GenericResourceId>().map_err(|e| refusal(source.path(name), format!("is not a resource ID: {e}")))?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------------------------
// The vault

/// `azurerm_data_protection_backup_vault` → `dataprotection_backup_vault`: `resource_group_name` becomes
/// `resource_group_id` (in the subscription of `id`), the `identity` block becomes `identity_type`, `identity_ids`,
/// `identity_principal_id` and `identity_tenant_id`, and `retention_duration_in_days` a whole number.
fn vault(source: &Source<'_>) -> Result<Json, Refusal> {
    let id: BackupVaultId = source.id()?;
    let mut vault = VaultObject {
        id: Some(id.to_string()),
        name: Some(source.required("name")?),
        resource_group_id: Some(source.resource_group("resource_group_name", id.subscription_id())?),
        location: Some(source.required("location")?),
        datastore_type: Some(source.required("datastore_type")?),
        redundancy: Some(source.required("redundancy")?),
        // Absent and `false` are both the vault's default, off: the read writes `false` for either.
        cross_region_restore_enabled: Some(source.boolean("cross_region_restore_enabled")?.unwrap_or(false)),
        soft_delete: source.string("soft_delete")?,
        immutability: source.string("immutability")?,
        identity_type: Some("None".to_owned()),
        tags: source.tags()?,
        timeouts: source.timeouts(),
        ..VaultObject::default()
    };
    if let Some(days) = source.integer("retention_duration_in_days")? {
        if days < 0 {
            return Err(refusal("retention_duration_in_days", format!("is {days}, not a whole number of days")));
        }
        vault.retention_duration_in_days = Some(days);
    }
    if let Some(identity) = source.single("identity")? {
        let kind = identity.required("type")?;
        let Some(kind) = IDENTITY_TYPES.iter().find(|t| **t == kind && **t != "None") else {
            return Err(refusal(
                identity.path("type"),
                format!("is {kind:?}, not an identity type azurerm writes for a backup vault"),
            ));
        };
        vault.identity_type = Some((*kind).to_owned());
        vault.identity_ids = identity.string_set("identity_ids")?.map(|ids| ids.into_iter().collect());
        vault.identity_principal_id = identity.string("principal_id")?;
        vault.identity_tenant_id = identity.string("tenant_id")?;
    }
    Ok(state(&vault))
}

/// `azurerm_data_protection_backup_vault_customer_managed_key` → `dataprotection_backup_vault_customer_managed_key`:
/// `data_protection_backup_vault_id` becomes `vault_id`. azurerm reads the key with the vault's system-assigned
/// identity, which is what `user_assigned_identity_id` left unset says here.
fn customer_managed_key(source: &Source<'_>) -> Result<Json, Refusal> {
    let id: BackupVaultId = source.id()?;
    let vault = source.required("data_protection_backup_vault_id")?;
    let vault_id: BackupVaultId = vault
        .parse()
        .map_err(|e| refusal("data_protection_backup_vault_id", format!("is not a backup vault ID: {e}")))?;
    if !same_id(&vault_id.to_string(), &id.to_string()) {
        return Err(refusal("data_protection_backup_vault_id", format!("is {vault:?}, but `id` names {id}")));
    }
    Ok(state(&CmkObject {
        id: Some(id.to_string()),
        vault_id: Some(vault),
        key_vault_key_id: Some(source.required("key_vault_key_id")?),
        user_assigned_identity_id: None,
        timeouts: source.timeouts(),
    }))
}

/// `azurerm_data_protection_resource_guard` → `dataprotection_resource_guard`: `resource_group_name` becomes
/// `resource_group_id` (in the subscription of `id`), and the list `vault_critical_operation_exclusion_list` a set.
fn resource_guard(source: &Source<'_>) -> Result<Json, Refusal> {
    let id: ResourceGuardId = source.id()?;
    let exclusions = source.string_set("vault_critical_operation_exclusion_list")?;
    Ok(state(&GuardObject {
        id: Some(id.to_string()),
        name: Some(source.required("name")?),
        resource_group_id: Some(source.resource_group("resource_group_name", &id.resource_group.subscription_id)?),
        location: Some(source.required("location")?),
        vault_critical_operation_exclusion_list: exclusions.map(|e| e.into_iter().collect()),
        tags: source.tags()?,
        timeouts: source.timeouts(),
    }))
}

/// A converted object as the JSON of its state: the attributes it leaves unset are null.
fn state<T: serde::Serialize>(object: &T) -> Json {
    serde_json::to_value(object).expect("an attribute struct serializes to JSON")
}

// ---------------------------------------------------------------------------------------------------------------
// Backup policies

/// The attributes every policy has: `id`, `name`, `vault_id`, `time_zone`, `timeouts`. `vault` is the source's
/// vault ID attribute; without one (the Kubernetes policy names the vault by resource group and name), the vault of
/// `id`.
fn policy_common(source: &Source<'_>, vault: Option<&str>) -> Result<PolicyObject, Refusal> {
    let id: BackupPolicyId = source.id()?;
    let vault_id = match vault {
        Some(attribute) => {
            let vault = source.required(attribute)?;
            vault.parse::<BackupVaultId>().map_err(|e| refusal(attribute, format!("is not a backup vault ID: {e}")))?;
            vault
        }
        None => id.vault.to_string(),
    };
    Ok(PolicyObject {
        id: Some(id.to_string()),
        name: Some(source.required("name")?),
        vault_id: Some(vault_id),
        time_zone: source.string("time_zone")?,
        timeouts: source.timeouts(),
        ..PolicyObject::default()
    })
}

/// The duration of the one `life_cycle` block of `block`, which must keep backups in `store`.
fn life_cycle_duration(block: &impl Attributes, store: &str) -> Result<String, Refusal> {
    let cycles = block.blocks("life_cycle")?;
    let [cycle] = cycles.as_slice() else {
        return Err(refusal(
            block.path("life_cycle"),
            format!("has {} blocks; this provider keeps backups in one data store ({store})", cycles.len()),
        ));
    };
    let data_store = cycle.required("data_store_type")?;
    if data_store != store {
        return Err(refusal(
            cycle.path("data_store_type"),
            format!("is {data_store:?}; this kind of policy keeps backups in {store} here"),
        ));
    }
    cycle.required("duration")
}

/// A retention rule: `name`, `duration` and `priority` as given, and the criteria of `criteria` (azurerm's
/// `criteria` block, or the rule itself where azurerm's criteria are flat, as for Data Lake): `absolute_criteria`,
/// and for the kinds that have them ([`PolicyKind::CALENDAR_CRITERIA`], [`PolicyKind::DAYS_OF_MONTH`]) the calendar
/// criteria, which keep their azurerm names.
fn rule<K: PolicyKind>(
    name: String,
    duration: String,
    priority: i64,
    criteria: &impl Attributes,
) -> Result<RetentionRuleObject, Refusal> {
    let mut rule = RetentionRuleObject {
        name: Some(name),
        duration: Some(duration),
        priority: Some(priority),
        absolute_criteria: criteria.string("absolute_criteria")?,
        ..RetentionRuleObject::default()
    };
    let calendar = [
        (rule_attr::days_of_week, K::CALENDAR_CRITERIA, &mut rule.days_of_week),
        (rule_attr::weeks_of_month, K::CALENDAR_CRITERIA, &mut rule.weeks_of_month),
        (rule_attr::months_of_year, K::CALENDAR_CRITERIA, &mut rule.months_of_year),
        (rule_attr::scheduled_backup_times, K::CALENDAR_CRITERIA, &mut rule.scheduled_backup_times),
    ];
    for (attribute, kept_here, field) in calendar {
        let values = criteria.string_set(attribute)?;
        refuse_unless_kept::<K>(criteria, attribute, kept_here, values.is_some())?;
        *field = values;
    }
    let days = criteria.integer_set(rule_attr::days_of_month)?;
    refuse_unless_kept::<K>(criteria, rule_attr::days_of_month, K::DAYS_OF_MONTH, days.is_some())?;
    rule.days_of_month = days;
    let selects = rule.absolute_criteria.is_some()
        || [&rule.days_of_week, &rule.weeks_of_month, &rule.months_of_year, &rule.scheduled_backup_times]
            .iter()
            .any(|v| v.is_some())
        || rule.days_of_month.is_some();
    if !selects {
        return Err(refusal(
            criteria.path("absolute_criteria"),
            "is not set, and no calendar criterion is: the rule selects no backups",
        ));
    }
    Ok(rule)
}

/// Refuses a criterion `attribute` that is set but that a policy of kind `K` does not have here.
fn refuse_unless_kept<K: PolicyKind>(
    criteria: &impl Attributes,
    attribute: &str,
    kept_here: bool,
    set: bool,
) -> Result<(), Refusal> {
    if set && !kept_here {
        return Err(refusal(
            criteria.path(attribute),
            format!("is set, but a {} selects backups without it here", K::TYPE_NAME),
        ));
    }
    Ok(())
}

/// A rule's `priority`, which azurerm requires.
fn priority(block: &impl Attributes) -> Result<i64, Refusal> {
    block.integer("priority")?.ok_or_else(|| refusal(block.path("priority"), "is not set"))
}

/// `retention_rule` blocks shaped `{name, criteria {…}, life_cycle {data_store_type, duration}, priority}` (blob,
/// Kubernetes, PostgreSQL and MySQL policies) as our flat rules.
fn life_cycle_rules<K: PolicyKind>(source: &Source<'_>) -> Result<Vec<RetentionRuleObject>, Refusal> {
    let mut converted = Vec::new();
    for block in source.blocks("retention_rule")? {
        let criteria = block.single("criteria")?.ok_or_else(|| refusal(block.path("criteria"), "is not set"))?;
        let duration = life_cycle_duration(&block, K::STORE)?;
        converted.push(rule::<K>(block.required("name")?, duration, priority(&block)?, &criteria)?);
    }
    Ok(converted)
}

/// The `default_retention_rule { life_cycle { … } }` block as `default_retention_duration`.
fn default_rule_duration(source: &Source<'_>, store: &str) -> Result<String, Refusal> {
    let default =
        source.single("default_retention_rule")?.ok_or_else(|| refusal("default_retention_rule", "is not set"))?;
    life_cycle_duration(&default, store)
}

/// `azurerm_data_protection_backup_policy_disk`: the same attributes; a retention rule's `criteria` block becomes
/// its `absolute_criteria`.
fn policy_disk(source: &Source<'_>) -> Result<Json, Refusal> {
    let mut policy = policy_common(source, Some("vault_id"))?;
    policy.backup_repeating_time_intervals = source.strings("backup_repeating_time_intervals")?;
    policy.default_retention_duration = Some(source.required("default_retention_duration")?);
    let mut rules = Vec::new();
    for block in source.blocks("retention_rule")? {
        let criteria = block.single("criteria")?.ok_or_else(|| refusal(block.path("criteria"), "is not set"))?;
        let duration = block.required("duration")?;
        rules.push(rule::<DiskPolicy>(block.required("name")?, duration, priority(&block)?, &criteria)?);
    }
    policy.retention_rule = Some(rules);
    Ok(state(&policy))
}

/// `azurerm_data_protection_backup_policy_blob_storage`: the same top-level attributes; a retention rule's
/// `life_cycle` (in the vault store) becomes its `duration`.
fn policy_blob_storage(source: &Source<'_>) -> Result<Json, Refusal> {
    let mut policy = policy_common(source, Some("vault_id"))?;
    policy.backup_repeating_time_intervals = source.strings("backup_repeating_time_intervals")?;
    policy.operational_default_retention_duration = source.string("operational_default_retention_duration")?;
    policy.vault_default_retention_duration = source.string("vault_default_retention_duration")?;
    policy.retention_rule = Some(life_cycle_rules::<BlobStoragePolicy>(source)?);
    Ok(state(&policy))
}

/// `azurerm_data_protection_backup_policy_kubernetes_cluster`: `resource_group_name` and `vault_name` become the
/// `vault_id` of `id`, `default_retention_rule` becomes `default_retention_duration`.
fn policy_kubernetes_cluster(source: &Source<'_>) -> Result<Json, Refusal> {
    let mut policy = policy_common(source, None)?;
    let id: BackupPolicyId = source.id()?;
    for (attribute, expected) in
        [("resource_group_name", &id.vault.resource_group.name), ("vault_name", &id.vault.name)]
    {
        let value = source.required(attribute)?;
        if !value.eq_ignore_ascii_case(expected) {
            return Err(refusal(attribute, format!("is {value:?}, but `id` names {expected:?}")));
        }
    }
    policy.backup_repeating_time_intervals = source.strings("backup_repeating_time_intervals")?;
    policy.default_retention_duration = Some(default_rule_duration(source, KubernetesClusterPolicy::STORE)?);
    policy.retention_rule = Some(life_cycle_rules::<KubernetesClusterPolicy>(source)?);
    Ok(state(&policy))
}

/// `azurerm_data_protection_backup_policy_{postgresql,mysql}_flexible_server`: `default_retention_rule` becomes
/// `default_retention_duration`, each retention rule's `life_cycle` its `duration`.
fn policy_with_default_rule<K: PolicyKind>(source: &Source<'_>) -> Result<Json, Refusal> {
    let mut policy = policy_common(source, Some("vault_id"))?;
    policy.backup_repeating_time_intervals = source.strings("backup_repeating_time_intervals")?;
    policy.default_retention_duration = Some(default_rule_duration(source, K::STORE)?);
    policy.retention_rule = Some(life_cycle_rules::<K>(source)?);
    Ok(state(&policy))
}

/// `azurerm_data_protection_backup_policy_data_lake_storage`: `data_protection_backup_vault_id` becomes `vault_id`,
/// `backup_schedule` `backup_repeating_time_intervals`, and the retention rules, which azurerm gives no priority,
/// take the priorities azurerm sends Azure (1, 2, … in order).
fn policy_data_lake_storage(source: &Source<'_>) -> Result<Json, Refusal> {
    let mut policy = policy_common(source, Some("data_protection_backup_vault_id"))?;
    policy.backup_repeating_time_intervals = source.strings("backup_schedule")?;
    policy.default_retention_duration = Some(source.required("default_retention_duration")?);
    let mut rules = Vec::new();
    for (index, block) in source.blocks("retention_rule")?.iter().enumerate() {
        // The criteria are flat in this azurerm type: the block itself is the criteria.
        let (name, duration) = (block.required("name")?, block.required("duration")?);
        rules.push(rule::<DataLakeStoragePolicy>(name, duration, index as i64 + 1, block)?);
    }
    policy.retention_rule = Some(rules);
    Ok(state(&policy))
}

// ---------------------------------------------------------------------------------------------------------------
// Backup instances

/// The attributes every instance has. `vault` and `policy` are the source's attribute names for the vault and
/// policy IDs, `datasource` the one of the protected resource (it becomes `datasource_id`).
fn instance_common<K: InstanceKind>(
    source: &Source<'_>,
    vault: &str,
    policy: &str,
    datasource: &str,
) -> Result<(BackupInstanceId, InstanceObject), Refusal> {
    let id: BackupInstanceId = source.id()?;
    let vault_id = source.required(vault)?;
    vault_id.parse::<BackupVaultId>().map_err(|e| refusal(vault, format!("is not a backup vault ID: {e}")))?;
    let policy_id = source.required(policy)?;
    policy_id.parse::<BackupPolicyId>().map_err(|e| refusal(policy, format!("is not a backup policy ID: {e}")))?;
    let instance = InstanceObject {
        id: Some(id.to_string()),
        name: Some(source.required("name")?),
        vault_id: Some(vault_id),
        datasource_id: Some(resource_id(source, datasource)?),
        datasource_type: Some(K::DATASOURCE_TYPE.to_owned()),
        location: Some(source.required("location")?),
        backup_policy_id: Some(policy_id),
        protection_state: source.string("protection_state")?,
        timeouts: source.timeouts(),
        ..InstanceObject::default()
    };
    Ok((id, instance))
}

/// `azurerm_data_protection_backup_instance_disk` → `dataprotection_backup_instance`: `disk_id` becomes
/// `datasource_id`, and `snapshot_resource_group_name` (in `snapshot_subscription_id`, or else the instance's
/// subscription) `snapshot_resource_group_id`.
fn instance_disk(source: &Source<'_>) -> Result<Json, Refusal> {
    let (id, mut instance) = instance_common::<Disk>(source, "vault_id", "backup_policy_id", "disk_id")?;
    let subscription = source.string("snapshot_subscription_id")?.unwrap_or_else(|| id.vault.subscription_id().into());
    instance.snapshot_resource_group_id = Some(source.resource_group("snapshot_resource_group_name", &subscription)?);
    Ok(state(&instance))
}

/// `azurerm_data_protection_backup_instance_blob_storage`: `storage_account_id` becomes `datasource_id`.
fn instance_blob_storage(source: &Source<'_>) -> Result<Json, Refusal> {
    let (_, mut instance) =
        instance_common::<BlobStorage>(source, "vault_id", "backup_policy_id", "storage_account_id")?;
    instance.storage_account_container_names = source.strings("storage_account_container_names")?;
    Ok(state(&instance))
}

/// `azurerm_data_protection_backup_instance_kubernetes_cluster`: `kubernetes_cluster_id` becomes `datasource_id`,
/// `snapshot_resource_group_name` `snapshot_resource_group_id` (in the instance's subscription), and
/// `backup_datasource_parameters` keeps its attributes.
fn instance_kubernetes_cluster(source: &Source<'_>) -> Result<Json, Refusal> {
    let (id, mut instance) =
        instance_common::<KubernetesCluster>(source, "vault_id", "backup_policy_id", "kubernetes_cluster_id")?;
    instance.snapshot_resource_group_id =
        Some(source.resource_group("snapshot_resource_group_name", id.vault.subscription_id())?);
    let parameters = match source.single("backup_datasource_parameters")? {
        None => Vec::new(),
        Some(block) => vec![KubernetesParameters {
            excluded_namespaces: block.strings(aks::excluded_namespaces)?,
            excluded_resource_types: block.strings(aks::excluded_resource_types)?,
            included_namespaces: block.strings(aks::included_namespaces)?,
            included_resource_types: block.strings(aks::included_resource_types)?,
            label_selectors: block.strings(aks::label_selectors)?,
            cluster_scoped_resources_enabled: block.boolean(aks::cluster_scoped_resources_enabled)?,
            volume_snapshot_enabled: block.boolean(aks::volume_snapshot_enabled)?,
        }],
    };
    // An absent block is an empty list, as Terraform holds a configuration without it.
    instance.backup_datasource_parameters = Some(parameters);
    Ok(state(&instance))
}

/// `azurerm_data_protection_backup_instance_{postgresql,mysql}_flexible_server`: `server_id` becomes
/// `datasource_id`.
fn instance_flexible_server<K: InstanceKind>(source: &Source<'_>) -> Result<Json, Refusal> {
    let (_, instance) = instance_common::<K>(source, "vault_id", "backup_policy_id", "server_id")?;
    Ok(state(&instance))
}

/// `azurerm_data_protection_backup_instance_data_lake_storage`: `data_protection_backup_vault_id` becomes
/// `vault_id`, `backup_policy_data_lake_storage_id` `backup_policy_id`, `storage_account_id` `datasource_id`, and
/// the set `storage_container_names` the list `storage_account_container_names`.
fn instance_data_lake_storage(source: &Source<'_>) -> Result<Json, Refusal> {
    let (_, mut instance) = instance_common::<DataLakeStorage>(
        source,
        "data_protection_backup_vault_id",
        "backup_policy_data_lake_storage_id",
        "storage_account_id",
    )?;
    instance.storage_account_container_names = source.strings("storage_container_names")?;
    Ok(state(&instance))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::plugin::codec::{ExtraAttributes, from_json};
    use crate::resources::ProviderConfiguration;

    const SUB: &str = "00000000-0000-0000-0000-00000000b001";
    const VAULT: &str = "/subscriptions/00000000-0000-0000-0000-00000000b001/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/v1";

    fn request(source_type: &str, state: Json) -> MoveRequest {
        MoveRequest {
            source_provider_address: "registry.terraform.io/hashicorp/azurerm".into(),
            source_type_name: source_type.into(),
            source_schema_version: 0,
            source_state: state,
        }
    }

    fn vault_state() -> Json {
        json!({
            "id": VAULT, "name": "v1", "resource_group_name": "rg-backup", "location": "westeurope",
            "datastore_type": "VaultStore", "redundancy": "LocallyRedundant", "cross_region_restore_enabled": false,
            "retention_duration_in_days": 14.0, "soft_delete": "On", "immutability": "Disabled", "identity": [],
            "tags": { "env": "prod" }, "timeouts": { "create": "45m", "read": null, "update": null, "delete": null },
        })
    }

    fn with(mut state: Json, changes: Json) -> Json {
        state.as_object_mut().unwrap().extend(changes.as_object().unwrap().clone());
        state
    }

    fn refused(target: &str, request: &MoveRequest) -> String {
        let diagnostics = move_state(target, request).expect_err("refused");
        let d = diagnostics.iter().next().unwrap();
        format!("{} | {}", d.summary, d.detail)
    }

    /// The type of `target`'s state, from the provider's own resource list.
    fn state_type(target: &str) -> crate::plugin::value::Type {
        let resources = crate::resources::all(&Arc::new(ProviderConfiguration::default()));
        let resource = resources.iter().find(|r| r.type_name() == target).expect("a resource type of this provider");
        resource.schema().block.value_type()
    }

    #[test]
    fn each_azurerm_type_moves_to_one_type_of_this_provider() {
        let resources = crate::resources::all(&Arc::new(ProviderConfiguration::default()));
        for row in MOVES {
            assert!(resources.iter().any(|r| r.type_name() == row.to), "{} is a resource type", row.to);
            assert_eq!(MOVES.iter().filter(|m| m.from == row.from).count(), 1, "{} once", row.from);
            assert!(row.from.starts_with("azurerm_data_protection_"));
        }
        assert_eq!(MOVES.len(), 15);
    }

    #[test]
    fn a_vault_takes_ids_for_names_and_flat_identity_attributes() {
        let moved =
            move_state("dataprotection_backup_vault", &request("azurerm_data_protection_backup_vault", vault_state()))
                .expect("moves");
        assert_eq!(moved["resource_group_id"], format!("/subscriptions/{SUB}/resourceGroups/rg-backup"));
        assert_eq!(moved["retention_duration_in_days"], 14);
        assert_eq!(moved["identity_type"], "None", "no identity block: no identity");
        assert_eq!(moved["timeouts"]["create"], "45m");
        assert_eq!(moved["tags"]["env"], "prod");
        from_json(&moved, &state_type("dataprotection_backup_vault"), ExtraAttributes::Reject).expect("fits");

        let identity = json!({ "identity": [{ "type": "SystemAssigned", "identity_ids": [], "principal_id": "p1",
                                               "tenant_id": "t1" }] });
        let moved = move_state(
            "dataprotection_backup_vault",
            &request("azurerm_data_protection_backup_vault", with(vault_state(), identity)),
        )
        .unwrap();
        assert_eq!(
            (moved["identity_type"].as_str(), moved["identity_principal_id"].as_str()),
            (Some("SystemAssigned"), Some("p1"))
        );
        assert_eq!(moved["identity_tenant_id"], "t1");
    }

    #[test]
    fn a_vault_keeps_user_assigned_identities_and_cross_region_restore() {
        let target = "dataprotection_backup_vault";
        let source = "azurerm_data_protection_backup_vault";
        let both = json!({
            "redundancy": "GeoRedundant", "cross_region_restore_enabled": true,
            "identity": [{ "type": "SystemAssigned, UserAssigned", "principal_id": "p1", "tenant_id": "t1",
                           "identity_ids": ["/subscriptions/s/uai-b", "/subscriptions/s/uai-a", "/subscriptions/s/uai-b"] }],
        });
        let moved = move_state(target, &request(source, with(vault_state(), both))).expect("moves");
        assert_eq!(moved["cross_region_restore_enabled"], true);
        assert_eq!(moved["identity_type"], "SystemAssigned, UserAssigned");
        assert_eq!(moved["identity_ids"], json!(["/subscriptions/s/uai-a", "/subscriptions/s/uai-b"]), "a set");
        from_json(&moved, &state_type(target), ExtraAttributes::Reject).expect("fits");
        let user = json!({ "identity": [{ "type": "UserAssigned", "principal_id": "", "tenant_id": "",
                                           "identity_ids": ["/subscriptions/s/uai-a"] }] });
        let moved = move_state(target, &request(source, with(vault_state(), user))).expect("moves");
        assert_eq!(
            (moved["identity_type"].as_str(), &moved["identity_principal_id"]),
            (Some("UserAssigned"), &Json::Null)
        );
        let absent = with(vault_state(), json!({ "cross_region_restore_enabled": null }));
        assert_eq!(move_state(target, &request(source, absent)).unwrap()["cross_region_restore_enabled"], false);
    }

    #[test]
    fn what_this_provider_would_keep_otherwise_is_refused_by_name() {
        let target = "dataprotection_backup_vault";
        let source = "azurerm_data_protection_backup_vault";
        let odd = json!({ "identity": [{ "type": "ManagedByMagic", "identity_ids": [] }] });
        let message = refused(target, &request(source, with(vault_state(), odd)));
        assert!(message.contains(": identity.0.type |") && message.contains("ManagedByMagic"), "{message}");
        let message =
            refused(target, &request(source, with(vault_state(), json!({ "retention_duration_in_days": 14.5 }))));
        assert!(message.contains("retention_duration_in_days") && message.contains("whole number"), "{message}");

        let policy = json!({
            "id": format!("{VAULT}/backupPolicies/p1"), "name": "p1", "vault_id": VAULT,
            "backup_repeating_time_intervals": ["R/2024-01-07T02:00:00+00:00/P1W"],
            "default_retention_rule": [{ "life_cycle": [{ "data_store_type": "OperationalStore", "duration": "P3M" }] }],
        });
        let pg = "azurerm_data_protection_backup_policy_postgresql_flexible_server";
        let message = refused("dataprotection_backup_policy_postgresql_flexible_server", &request(pg, policy));
        assert!(message.contains("default_retention_rule.0.life_cycle.0.data_store_type"), "{message}");
        assert!(message.contains("VaultStore"), "{message}");
    }

    #[test]
    fn unknown_types_versions_providers_and_targets_are_refused() {
        let target = "dataprotection_backup_vault";
        let message = refused(target, &request("azurerm_data_protection_backup_instance_cosmosdb_account", json!({})));
        assert!(message.contains("does not know the resource type"), "{message}");
        assert!(message.contains("takes moves from azurerm_data_protection_backup_vault only"), "{message}");
        let mut future = request("azurerm_data_protection_backup_vault", vault_state());
        future.source_schema_version = 1;
        assert!(
            refused(target, &future).starts_with("Unknown schema version 1 of azurerm_data_protection_backup_vault")
        );
        let mut other = request("azurerm_data_protection_backup_vault", vault_state());
        other.source_provider_address = "registry.terraform.io/example/notazurerm".into();
        assert!(refused(target, &other).contains("from the azurerm provider only"));
        let wrong = request("azurerm_data_protection_backup_vault", vault_state());
        assert!(
            refused("dataprotection_backup_policy_disk", &wrong).contains("move it to dataprotection_backup_vault")
        );
    }

    #[test]
    fn instances_take_datasource_ids_and_snapshot_group_ids() {
        let disk = json!({
            "id": format!("{VAULT}/backupInstances/i1"), "name": "i1", "location": "westeurope", "vault_id": VAULT,
            "disk_id": format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"),
            "snapshot_resource_group_name": "rg-snap", "snapshot_subscription_id": "",
            "backup_policy_id": format!("{VAULT}/backupPolicies/p1"), "protection_state": "ProtectionConfigured",
        });
        let moved = move_state(
            "dataprotection_backup_instance",
            &request("azurerm_data_protection_backup_instance_disk", disk.clone()),
        )
        .unwrap();
        assert_eq!(moved["datasource_id"], disk["disk_id"]);
        assert_eq!(moved["datasource_type"], "Microsoft.Compute/disks");
        assert_eq!(moved["snapshot_resource_group_id"], format!("/subscriptions/{SUB}/resourceGroups/rg-snap"));
        from_json(&moved, &state_type("dataprotection_backup_instance"), ExtraAttributes::Reject).expect("fits");
        let elsewhere = with(disk, json!({ "snapshot_subscription_id": "11111111-1111-1111-1111-111111111111" }));
        let moved = move_state(
            "dataprotection_backup_instance",
            &request("azurerm_data_protection_backup_instance_disk", elsewhere),
        )
        .unwrap();
        assert_eq!(
            moved["snapshot_resource_group_id"],
            "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snap"
        );
    }

    #[test]
    fn data_lake_rules_take_the_priorities_azurerm_sends() {
        let policy = json!({
            "id": format!("{VAULT}/backupPolicies/p1"), "name": "p1", "data_protection_backup_vault_id": VAULT,
            "backup_schedule": ["R/2024-01-01T02:00:00+00:00/P1D"], "default_retention_duration": "P30D",
            "retention_rule": [
                { "name": "Weekly", "duration": "P12W", "absolute_criteria": "FirstOfWeek", "days_of_week": [] },
                { "name": "Monthly", "duration": "P12M", "absolute_criteria": "FirstOfMonth" },
            ],
            "time_zone": "",
        });
        let target = "dataprotection_backup_policy_data_lake_storage";
        let moved =
            move_state(target, &request("azurerm_data_protection_backup_policy_data_lake_storage", policy.clone()))
                .unwrap();
        assert_eq!(moved["vault_id"], VAULT);
        assert_eq!(moved["retention_rule"][1]["priority"], 2);
        assert_eq!(moved["time_zone"], Json::Null, "azurerm's empty string is no time zone");
        from_json(&moved, &state_type(target), ExtraAttributes::Reject).expect("fits");
        assert_eq!(moved["retention_rule"][0]["days_of_week"], Json::Null, "an empty set is null, as read writes it");
        let mut by_day = policy.clone();
        by_day["retention_rule"][0]["absolute_criteria"] = json!("");
        by_day["retention_rule"][0]["days_of_week"] = json!(["Sunday", "Monday"]);
        let source = "azurerm_data_protection_backup_policy_data_lake_storage";
        let moved = move_state(target, &request(source, by_day)).unwrap();
        assert_eq!(moved["retention_rule"][0]["days_of_week"], json!(["Monday", "Sunday"]));
        assert_eq!(moved["retention_rule"][0]["absolute_criteria"], Json::Null);
        let mut nothing = policy;
        nothing["retention_rule"][0]["absolute_criteria"] = json!("");
        let message = refused(target, &request(source, nothing));
        assert!(message.contains("retention_rule.0.absolute_criteria") && message.contains("selects no backups"));
    }

    #[test]
    fn calendar_criteria_keep_their_names_where_the_kind_has_them() {
        let rule = |criteria: Json| {
            json!({
                "id": format!("{VAULT}/backupPolicies/p1"), "name": "p1", "vault_id": VAULT,
                "backup_repeating_time_intervals": ["R/2024-01-01T02:00:00+00:00/P1D"],
                "operational_default_retention_duration": "P30D", "vault_default_retention_duration": "P90D",
                "retention_rule": [{ "name": "Monthly", "priority": 20, "criteria": [criteria],
                                     "life_cycle": [{ "data_store_type": "VaultStore", "duration": "P12M" }] }],
            })
        };
        let blob = "azurerm_data_protection_backup_policy_blob_storage";
        let target = "dataprotection_backup_policy_blob_storage";
        let criteria = json!({ "absolute_criteria": "", "days_of_month": [15, 0, 15.0], "months_of_year": ["July", "January"],
                               "scheduled_backup_times": ["2024-01-01T02:00:00Z"], "days_of_week": [], "weeks_of_month": [] });
        let moved = move_state(target, &request(blob, rule(criteria))).expect("moves");
        let converted = &moved["retention_rule"][0];
        assert_eq!(converted["days_of_month"], json!([0, 15]), "sorted, each once; 0 is the last day");
        assert_eq!(converted["months_of_year"], json!(["January", "July"]));
        assert_eq!(converted["scheduled_backup_times"], json!(["2024-01-01T02:00:00Z"]));
        assert_eq!((&converted["days_of_week"], &converted["absolute_criteria"]), (&Json::Null, &Json::Null));
        assert_eq!(converted["duration"], "P12M");
        from_json(&moved, &state_type(target), ExtraAttributes::Reject).expect("fits");
        let message = refused(target, &request(blob, rule(json!({ "days_of_month": [1.5] }))));
        assert!(message.contains("retention_rule.0.criteria.0.days_of_month") && message.contains("1.5"), "{message}");

        let disk = json!({
            "id": format!("{VAULT}/backupPolicies/p1"), "name": "p1", "vault_id": VAULT,
            "backup_repeating_time_intervals": ["R/2024-01-01T02:00:00+00:00/PT4H"], "default_retention_duration": "P7D",
            "retention_rule": [{ "name": "Daily", "duration": "P14D", "priority": 25,
                                 "criteria": [{ "absolute_criteria": "FirstOfDay", "days_of_week": ["Monday"] }] }],
        });
        let message =
            refused("dataprotection_backup_policy_disk", &request("azurerm_data_protection_backup_policy_disk", disk));
        assert!(message.contains("retention_rule.0.criteria.0.days_of_week"), "{message}");
    }

    #[test]
    fn a_resource_guard_and_a_customer_managed_key_move_with_ids_for_names() {
        let guard_id = format!(
            "/subscriptions/{SUB}/resourceGroups/rg-security/providers/Microsoft.DataProtection/resourceGuards/g1"
        );
        let guard = json!({
            "id": guard_id, "name": "g1", "resource_group_name": "rg-security", "location": "westeurope",
            "vault_critical_operation_exclusion_list": [], "tags": {}, "timeouts": null,
        });
        let target = "dataprotection_resource_guard";
        let moved = move_state(target, &request("azurerm_data_protection_resource_guard", guard)).expect("moves");
        assert_eq!(moved["resource_group_id"], format!("/subscriptions/{SUB}/resourceGroups/rg-security"));
        assert_eq!(moved["vault_critical_operation_exclusion_list"], Json::Null, "empty is null, as read writes it");
        assert_eq!(moved["tags"], Json::Null);
        from_json(&moved, &state_type(target), ExtraAttributes::Reject).expect("fits");

        let target = "dataprotection_backup_vault_customer_managed_key";
        let source = "azurerm_data_protection_backup_vault_customer_managed_key";
        let key = "https://kv.vault.azure.net/keys/k1";
        let cmk =
            json!({ "id": VAULT, "data_protection_backup_vault_id": VAULT, "key_vault_key_id": key, "timeouts": null });
        let moved = move_state(target, &request(source, cmk.clone())).expect("moves");
        assert_eq!((moved["vault_id"].as_str(), moved["key_vault_key_id"].as_str()), (Some(VAULT), Some(key)));
        assert_eq!(moved["user_assigned_identity_id"], Json::Null, "azurerm reads the key as the vault itself");
        from_json(&moved, &state_type(target), ExtraAttributes::Reject).expect("fits");
        let elsewhere = with(cmk, json!({ "data_protection_backup_vault_id": format!("{VAULT}2") }));
        assert!(refused(target, &request(source, elsewhere)).contains("but `id` names"));
    }
}
