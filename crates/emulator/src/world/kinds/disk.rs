//! Managed disks (`Microsoft.Compute/disks`): the disks themselves, served synchronously (the real PUT and DELETE
//! are long-running), and what disk backup asks of an instance: the disk exists, a snapshot resource group, and
//! Disk Backup Reader and Disk Snapshot Contributor for the vault's identity.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::super::World;
use super::resource_type::{ArmType, DatasourceRoute, Put, ResourceType, TypeInfo, placed, placement};
use super::roles::{Need, missing_permission};
use super::snapshot_group::checked_snapshot_group;
use super::{DefaultWorld, InstanceRequest, Kind};
use crate::error::{ArmError, arm};
use crate::ids::{self, ArmId, BuiltInRole};
use crate::inventory::{Inventory, InventoryDisk};
use crate::scenario::{DiskSeed, PolicySeed, Scenario};
use crate::util::{new_uuid, set_field};

/// A disk the default vault may back up.
pub const DISK_APP_01: &str = "disk-app-01";
/// Another disk the default vault may back up.
pub const DISK_APP_02: &str = "disk-app-02";
/// A disk on which the default vault's identity has no role: validateForBackup fails with missing permissions.
pub const DISK_UNAUTHORIZED: &str = "disk-unauthorized";
/// A daily disk policy of the default vault: `R/2024-01-01T02:00:00+00:00/P1D`, snapshots kept 7 days.
pub const POLICY_DAILY: &str = "policy-disk-daily";
/// A four-hourly disk policy of the default vault: `R/2024-01-01T02:00:00+00:00/PT4H`, snapshots kept 7 days.
pub const POLICY_4H: &str = "policy-disk-4h";

/// The disk kind.
pub(super) struct Disk;

/// Managed disks.
pub(crate) struct ManagedDisks;

/// A managed disk.
pub(crate) struct ManagedDisk {
    pub id: String,
    pub name: String,
    pub location: String,
    pub size_gb: u32,
    pub created_ms: u64,
    pub unique_id: String,
    pub tags: Option<Value>,
}

const ROUTES: &[DatasourceRoute] = &[DatasourceRoute {
    path: "disks",
    list: "Disks_ListByResourceGroup",
    get: "Disks_Get",
    put: "Disks_CreateOrUpdate",
    delete: "Disks_Delete",
}];

impl Kind for Disk {
    fn datasource_type(&self) -> &'static str {
        "Microsoft.Compute/disks"
    }

    /// Disk retention keeps the first backup of the day or week (Microsoft's disk backup docs; azurerm's disk
    /// policy has `absolute_criteria` alone).
    fn calendar_criteria(&self) -> bool {
        false
    }

    fn resource_type(&self) -> &'static dyn ResourceType {
        &ManagedDisks
    }

    fn owns_untyped_ids(&self) -> bool {
        true
    }

    fn reports_missing_first(&self) -> bool {
        true
    }

    fn check_exists(&self, world: &World, datasource: &ArmId, activity_id: &str) -> Result<(), ArmError> {
        if world.datasources.disks.contains_key(&datasource.key()) {
            return Ok(());
        }
        Err(ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            "UserErrorManagedDiskNotFound",
            "Could not perform the operation as Managed Disk no longer exists.",
            &["The backups will continue to fail as the source disk may be deleted or moved to a different location. \
               Use the existing restore point to restore the disk if it's deleted by mistake. If the disk is moved to \
               a different location, configure backup for the disk."],
            activity_id,
        ))
    }

    fn check_instance(&self, world: &World, instance: &InstanceRequest<'_>) -> Result<Option<ArmError>, ArmError> {
        let group = checked_snapshot_group(world, instance.properties, instance.activity_id)?;
        Ok(missing_permission(
            world,
            instance.vault,
            &[
                Need::vault(
                    instance.datasource.clone(),
                    &ids::DISK_BACKUP_READER,
                    "Microsoft.Compute/disks/beginGetAccess/action",
                ),
                Need::vault(group, &ids::DISK_SNAPSHOT_CONTRIBUTOR, "Microsoft.Compute/snapshots/write"),
            ],
            instance.activity_id,
        ))
    }

    fn vault_roles(&self) -> &'static [BuiltInRole] {
        &[ids::DISK_BACKUP_READER, ids::DISK_SNAPSHOT_CONTRIBUTOR]
    }

    /// Three disks, the vault's roles on the first two and on the snapshot resource group (not on the subscription,
    /// so that `disk-unauthorized` keeps failing), and a daily and a four-hourly disk policy.
    fn add_to_default_world(&self, world: &mut DefaultWorld, scenario: &mut Scenario) {
        for name in [DISK_APP_01, DISK_APP_02, DISK_UNAUTHORIZED] {
            scenario.disks.push(DiskSeed {
                subscription_id: None,
                resource_group: world.workload_resource_group.to_owned(),
                name: name.to_owned(),
                location: None,
                disk_size_gb: Some(64),
            });
        }
        for name in [DISK_APP_01, DISK_APP_02] {
            world.grant(
                scenario,
                world.datasource_id(&ManagedDisks, name),
                &ids::DISK_BACKUP_READER,
                world.vault_principal_id,
            );
        }
        world.grant(
            scenario,
            world.snapshot_resource_group_id(),
            &ids::DISK_SNAPSHOT_CONTRIBUTOR,
            world.vault_principal_id,
        );
        for (name, interval) in [(POLICY_DAILY, "P1D"), (POLICY_4H, "PT4H")] {
            scenario.policies.push(PolicySeed {
                subscription_id: None,
                resource_group: world.backup_resource_group.to_owned(),
                vault: world.vault_name.to_owned(),
                name: name.to_owned(),
                schedule: Some(format!("R/2024-01-01T02:00:00+00:00/{interval}")),
                retention: Some("P7D".to_owned()),
                properties: None,
            });
        }
    }
}

/// The `properties` of a managed-disk backup policy (the shape of the Microsoft docs and azurerm): what a scenario's
/// policy without `properties` is.
pub(crate) fn policy_properties(schedule: &str, retention: &str) -> Value {
    let store = json!({ "dataStoreType": "OperationalStore", "objectType": "DataStoreInfoBase" });
    let rule_name = if schedule.ends_with("P1D") { "BackupDaily" } else { "BackupHourly" };
    json!({
        "objectType": "BackupPolicy",
        "datasourceTypes": [Disk.datasource_type()],
        "policyRules": [
            {
                "name": rule_name,
                "objectType": "AzureBackupRule",
                "backupParameters": { "objectType": "AzureBackupParams", "backupType": "Incremental" },
                "dataStore": store,
                "trigger": {
                    "objectType": "ScheduleBasedTriggerContext",
                    "schedule": { "repeatingTimeIntervals": [schedule], "timeZone": "UTC" },
                    "taggingCriteria": [{
                        "isDefault": true,
                        "taggingPriority": 99,
                        "tagInfo": { "id": "Default_", "tagName": "Default" },
                    }],
                },
            },
            {
                "name": "Default",
                "objectType": "AzureRetentionRule",
                "isDefault": true,
                "lifecycles": [{
                    "deleteAfter": { "objectType": "AbsoluteDeleteOption", "duration": retention },
                    "sourceDataStore": store,
                    "targetDataStoreCopySettings": [],
                }],
            },
        ],
    })
}

/// Whether `id` names a managed disk.
pub(crate) fn is_disk_id(id: &ArmId) -> bool {
    ManagedDisks.is_id_of(id)
}

fn add(world: &mut World, group_id: &str, name: &str, location: &str, size_gb: u32, tags: Option<Value>, now_ms: u64) {
    let id = ManagedDisks.id(group_id, name);
    let disk = ManagedDisk {
        id: id.clone(),
        name: name.to_owned(),
        location: location.to_owned(),
        size_gb,
        created_ms: now_ms,
        unique_id: new_uuid(),
        tags,
    };
    world.datasources.disks.insert(id.to_ascii_lowercase(), disk);
}

fn render(disk: &ManagedDisk) -> Value {
    let mut value = json!({
        "id": disk.id,
        "name": disk.name,
        "type": ManagedDisks.full_type(),
        "location": disk.location,
        "sku": { "name": "Standard_LRS", "tier": "Standard" },
        "properties": {
            "creationData": { "createOption": "Empty" },
            "diskSizeGB": disk.size_gb,
            "diskSizeBytes": u64::from(disk.size_gb) * 1024 * 1024 * 1024,
            "uniqueId": disk.unique_id,
            "provisioningState": "Succeeded",
            "diskState": "Unattached",
            "timeCreated": crate::util::format_precise(disk.created_ms),
        },
    });
    if let Some(tags) = &disk.tags {
        set_field(&mut value, "tags", tags.clone());
    }
    value
}

/// Deletes a disk; whether there was one. An instance protecting it goes into `ProtectionError`, as backups of a
/// deleted disk fail.
fn remove(world: &mut World, key: &str) -> bool {
    if world.datasources.disks.remove(key).is_none() {
        return false;
    }
    if let Some(protector) = world.protected.get(key).cloned() {
        let error = crate::error::user_facing_error(
            "UserErrorManagedDiskNotFound",
            "Could not perform the operation as Managed Disk no longer exists.",
            &["The backups will continue to fail as the source disk may be deleted or moved to a different \
               location. Use the existing restore point to restore the disk if it's deleted by mistake."],
            &new_uuid(),
        );
        world.set_protection_error(&protector, error);
    }
    true
}

placed!(ManagedDisk);
placement!(DiskSeed);

impl ArmType for ManagedDisks {
    type Item = ManagedDisk;
    type Seed = DiskSeed;

    fn info(&self) -> &'static TypeInfo {
        &TypeInfo {
            namespace: "Microsoft.Compute",
            type_name: "disks",
            noun: "managed disk",
            with: None,
            known_at_subscription_scope: true,
            routes: ROUTES,
        }
    }

    fn stored<'w>(&self, world: &'w World) -> &'w HashMap<String, ManagedDisk> {
        &world.datasources.disks
    }

    fn stored_mut<'w>(&self, world: &'w mut World) -> &'w mut HashMap<String, ManagedDisk> {
        &mut world.datasources.disks
    }

    fn render(&self, disk: &ManagedDisk) -> Value {
        render(disk)
    }

    /// `location` is required (the resource group's is not taken); `properties.diskSizeGB` a positive integer, 32
    /// when absent, and a disk only grows; the tags are replaced.
    fn put(&self, world: &mut World, put: &Put<'_>) -> Result<(), ArmError> {
        let body = put.body;
        let location =
            body.get("location").and_then(Value::as_str).filter(|location| !location.is_empty()).ok_or_else(|| {
                ArmError::new(
                    StatusCode::BAD_REQUEST,
                    "LocationRequired",
                    "The location property is required for this definition.",
                )
            })?;
        let size = match body.pointer("/properties/diskSizeGB") {
            None | Some(Value::Null) => 32,
            Some(size) => size
                .as_u64()
                .and_then(|size| u32::try_from(size).ok())
                .filter(|size| *size > 0)
                .ok_or_else(|| arm::invalid_content("properties.diskSizeGB must be a positive integer"))?,
        };
        let tags = body.get("tags").cloned().filter(Value::is_object);
        match world.datasources.disks.get_mut(&put.id.to_ascii_lowercase()) {
            Some(disk) => {
                disk.size_gb = size.max(disk.size_gb);
                disk.tags = tags;
            }
            None => add(world, &put.group.id, put.name, location, size, tags, put.now_ms),
        }
        Ok(())
    }

    /// An instance protecting the disk goes into `ProtectionError`.
    fn remove(&self, world: &mut World, key: &str) -> bool {
        remove(world, key)
    }

    fn seeds<'s>(&self, scenario: &'s Scenario) -> &'s [DiskSeed] {
        &scenario.disks
    }

    fn seeds_mut<'s>(&self, scenario: &'s mut Scenario) -> &'s mut Vec<DiskSeed> {
        &mut scenario.disks
    }

    fn add_seed(&self, world: &mut World, group_id: &str, location: &str, seed: &DiskSeed, now_ms: u64) {
        add(world, group_id, &seed.name, location, seed.disk_size_gb.unwrap_or(32), None, now_ms);
    }

    fn to_seed(&self, disk: &ManagedDisk, subscription_id: String, resource_group: String) -> DiskSeed {
        DiskSeed {
            subscription_id: Some(subscription_id),
            resource_group,
            name: disk.name.clone(),
            location: Some(disk.location.clone()),
            disk_size_gb: Some(disk.size_gb),
        }
    }

    /// Disks have their own list in the inventory.
    fn inventory(&self, world: &World, protected_by: &dyn Fn(&str) -> Option<String>, inventory: &mut Inventory) {
        inventory.disks.extend(world.datasources.disks.iter().map(|(key, disk)| InventoryDisk {
            id: disk.id.clone(),
            location: disk.location.clone(),
            protected_by: protected_by(key),
        }));
    }
}
