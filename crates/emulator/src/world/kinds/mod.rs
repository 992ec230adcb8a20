//! The kinds of datasource a vault protects, one module each behind one trait, listed once in [`ALL`].
//!
//! A kind's module holds what the service asks of its backup instances and policies (the datasource exists, the
//! policy is made for it, the kind's prerequisites), the roles the vault's identity (and for AKS the cluster's)
//! needs, the ARM resource type its instances protect (where the world keeps such resources, the routes that
//! serve them, how a scenario seeds them and a saved world keeps them) and what the default world holds of it. The
//! rest of the emulator asks this registry and names no kind. Codes are Azure's where Microsoft's troubleshooting
//! pages give them; docs/emulator.md lists the ones that are the emulator's choice.

pub(crate) mod blob;
pub(crate) mod data_lake;
pub(crate) mod disk;
pub(crate) mod flexible_servers;
pub(crate) mod kubernetes;
pub(crate) mod mysql;
mod policy;
pub(crate) mod postgresql;
mod resource_type;
mod roles;
mod snapshot_group;
pub(crate) mod storage_accounts;

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::Value;

pub(crate) use policy::{PolicyLimits, check_policy, policy_types};
pub(crate) use resource_type::{DatasourcePath, ResourceRequest, ResourceType};

use super::{Instance, Vault, World};
use crate::error::ArmError;
use crate::ids::{ArmId, BuiltInRole};
use crate::scenario::{RoleAssignmentSeed, Scenario};

/// Every kind, in the order the service's messages list their datasource types.
pub(crate) const ALL: &[&dyn Kind] =
    &[&disk::Disk, &blob::Blob, &data_lake::DataLake, &kubernetes::Kubernetes, &postgresql::PostgreSql, &mysql::MySql];

/// A kind of datasource: what its backup instances and policies must satisfy, and what it protects.
pub(crate) trait Kind: Sync {
    /// The `datasourceType` of its instances and policies.
    fn datasource_type(&self) -> &'static str;

    /// The ARM resource type the instances' `resourceID` names.
    fn resource_type(&self) -> &'static dyn ResourceType;

    /// What its policies may hold beyond the swagger; `None`: they are checked against the swagger only.
    fn policy_limits(&self) -> Option<PolicyLimits> {
        None
    }

    /// Whether its policies' retention tags may select backups by the calendar (`daysOfTheWeek`,
    /// `weeksOfTheMonth`, `monthsOfYear`, `daysOfMonth`) rather than by `absoluteCriteria` only.
    fn calendar_criteria(&self) -> bool {
        true
    }

    /// Whether an ID of its resource type makes an instance of this kind even when `datasourceType` names none
    /// (disks, as before the other kinds came).
    fn owns_untyped_ids(&self) -> bool {
        false
    }

    /// Whether a missing datasource is reported before the checks of who else protects it, rather than after them
    /// (disks: `UserErrorManagedDiskNotFound` comes first).
    fn reports_missing_first(&self) -> bool {
        false
    }

    /// 400 when the datasource `datasource` names does not exist.
    fn check_exists(&self, world: &World, datasource: &ArmId, activity_id: &str) -> Result<(), ArmError> {
        let resource_type = self.resource_type();
        if resource_type.contains(world, &datasource.key()) {
            return Ok(());
        }
        let noun = resource_type.noun();
        Err(ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            self.not_found_code(),
            format!("Could not perform the operation as the {noun} '{}' does not exist.", datasource.canonical()),
            &[&format!("Check the {noun} ID; a resource that was deleted or moved must be protected again.")],
            activity_id,
        ))
    }

    /// The code of [`Kind::check_exists`]'s error.
    fn not_found_code(&self) -> &'static str {
        "UserErrorDatasourceNotFound"
    }

    /// The kind's rules beyond existence and the policy's type: synchronous failures are errors, and the failure
    /// the operation will end with (a prerequisite or role the service finds missing while it works) is the `Ok`
    /// value.
    fn check_instance(&self, world: &World, instance: &InstanceRequest<'_>) -> Result<Option<ArmError>, ArmError>;

    /// The roles the vault's identity needs to protect datasources of this kind, each on its own scope.
    fn vault_roles(&self) -> &'static [BuiltInRole];

    /// The error a `stopProtection` of `instance` answers, where the kind does not support it.
    fn refuse_stop_protection(&self, _instance: &Instance, _activity_id: &str) -> Option<ArmError> {
        None
    }

    /// Adds the kind's datasources, and the roles that let the default vault protect them, to the default world.
    fn add_to_default_world(&self, world: &mut DefaultWorld, scenario: &mut Scenario);
}

/// A backup instance as the rules see it: a PUT's or a validation's.
pub(crate) struct InstanceRequest<'a> {
    pub vault: &'a Vault,
    pub datasource: &'a ArmId,
    /// The instance's `properties`.
    pub properties: &'a Value,
    /// The `properties` of its policy.
    pub policy: &'a Value,
    /// The key of its policy.
    pub policy_key: &'a str,
    /// The instance the request changes, when it exists.
    pub existing: Option<&'a Instance>,
    pub activity_id: &'a str,
}

/// The failure an operation will end with (a prerequisite the service finds missing while it works), as the `Ok`
/// value of [`Kind::check_instance`].
pub(super) fn deferred(
    code: &str,
    message: String,
    action: &str,
    activity_id: &str,
) -> Result<Option<ArmError>, ArmError> {
    Ok(Some(ArmError::user_facing(StatusCode::BAD_REQUEST, code, message, &[action], activity_id)))
}

/// Where the world keeps the datasources: one map per resource type, by lower-case ID.
#[derive(Default)]
pub(crate) struct Datasources {
    pub disks: HashMap<String, disk::ManagedDisk>,
    pub storage_accounts: HashMap<String, storage_accounts::StorageAccount>,
    pub kubernetes_clusters: HashMap<String, kubernetes::KubernetesCluster>,
    pub postgresql_servers: HashMap<String, flexible_servers::FlexibleServer>,
    pub mysql_servers: HashMap<String, flexible_servers::FlexibleServer>,
}

/// The kind a `datasourceType` names (without case, as the service compares them).
pub(crate) fn named(datasource_type: &str) -> Option<&'static dyn Kind> {
    ALL.iter().copied().find(|kind| kind.datasource_type().eq_ignore_ascii_case(datasource_type))
}

/// The kind whose resource type `id` is when the instance's `datasourceType` names none (disks).
pub(crate) fn owning_untyped(id: &ArmId) -> Option<&'static dyn Kind> {
    ALL.iter().copied().find(|kind| kind.owns_untyped_ids() && kind.resource_type().is_id_of(id))
}

/// The kind of a stored instance, by its `datasourceType`.
pub(crate) fn of_instance(instance: &Instance) -> Option<&'static dyn Kind> {
    instance
        .properties
        .get("dataSourceInfo")
        .and_then(|info| info.get("datasourceType"))
        .and_then(Value::as_str)
        .and_then(named)
}

/// The resource types the kinds protect, each once, in the order of the kinds.
pub(crate) fn resource_types() -> Vec<&'static dyn ResourceType> {
    let mut types: Vec<&'static dyn ResourceType> = Vec::new();
    for kind in ALL {
        let resource_type = kind.resource_type();
        let known = types.iter().any(|known| {
            known.namespace() == resource_type.namespace() && known.type_name() == resource_type.type_name()
        });
        if !known {
            types.push(resource_type);
        }
    }
    types
}

/// The roles the vault's identity needs for every kind, each once: what a new vault identity is granted on its
/// subscription when `auto_grant_vault_roles` is on, so that a vault made through the API can protect anything in
/// its subscription (tests of missing rights turn the setting off).
pub(crate) fn vault_roles() -> Vec<&'static BuiltInRole> {
    let mut roles: Vec<&'static BuiltInRole> = Vec::new();
    for role in ALL.iter().flat_map(|kind| kind.vault_roles()) {
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    roles
}

/// Whether the world holds a datasource of any kind with this key.
pub(crate) fn holds(world: &World, key: &str) -> bool {
    resource_types().iter().any(|resource_type| resource_type.contains(world, key))
}

/// Where the default world puts what the kinds add to it.
pub(crate) struct DefaultWorld {
    /// The subscription of everything.
    pub subscription_id: &'static str,
    /// The resource group of the datasources.
    pub workload_resource_group: &'static str,
    /// The snapshot (operational store) resource group.
    pub snapshot_resource_group: &'static str,
    /// The resource group of the backup vault.
    pub backup_resource_group: &'static str,
    /// The backup vault.
    pub vault_name: &'static str,
    /// The object ID of the vault's identity.
    pub vault_principal_id: &'static str,
    /// The roles the vault's identity is to hold on the whole subscription, granted once every kind has added its
    /// part ([`DefaultWorld::grant_vault_roles`]).
    pub vault_subscription_roles: Vec<&'static BuiltInRole>,
}

impl DefaultWorld {
    /// The ID of a datasource of `resource_type` in the workload resource group.
    pub fn datasource_id(&self, resource_type: &dyn ResourceType, name: &str) -> String {
        resource_type.id(&crate::ids::resource_group_id(self.subscription_id, self.workload_resource_group), name)
    }

    /// The ID of the snapshot resource group.
    pub fn snapshot_resource_group_id(&self) -> String {
        crate::ids::resource_group_id(self.subscription_id, self.snapshot_resource_group)
    }

    /// The ID of the backup vault.
    pub fn vault_id(&self) -> String {
        crate::ids::vault_id(self.subscription_id, self.backup_resource_group, self.vault_name)
    }

    /// Grants `role` on `scope` to `principal`, unless the scenario already does.
    pub fn grant(&self, scenario: &mut Scenario, scope: String, role: &BuiltInRole, principal: &str) {
        let granted = scenario.role_assignments.iter().any(|assignment| {
            assignment.scope == scope && assignment.role == role.name && assignment.principal_id == principal
        });
        if !granted {
            scenario.role_assignments.push(RoleAssignmentSeed {
                name: None,
                scope,
                role: role.name.to_owned(),
                principal_id: principal.to_owned(),
                principal_type: Some("ServicePrincipal".to_owned()),
            });
        }
    }

    /// Has the vault's identity hold `role` on the whole subscription, as vaults made through the API are granted
    /// it (docs/emulator.md).
    pub fn grant_vault_on_subscription(&mut self, role: &'static BuiltInRole) {
        if !self.vault_subscription_roles.contains(&role) {
            self.vault_subscription_roles.push(role);
        }
    }

    /// Grants the vault's identity the roles of [`DefaultWorld::grant_vault_on_subscription`].
    pub fn grant_vault_roles(&self, scenario: &mut Scenario) {
        for role in &self.vault_subscription_roles {
            self.grant(scenario, format!("/subscriptions/{}", self.subscription_id), role, self.vault_principal_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_found_without_case_and_match_their_resource_ids() {
        let kind = named("Microsoft.ContainerService/managedclusters").expect("a kind");
        assert_eq!(kind.datasource_type(), "Microsoft.ContainerService/managedClusters");
        assert!(named("OssDB").is_none());
        let cluster =
            ArmId::parse("/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/c")
                .unwrap();
        assert!(kind.resource_type().is_id_of(&cluster));
        let blob = named("Microsoft.Storage/storageAccounts/blobServices").expect("a kind");
        assert!(!blob.resource_type().is_id_of(&cluster));
        let disk = ArmId::parse("/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/disks/d").unwrap();
        assert_eq!(owning_untyped(&disk).map(|kind| kind.datasource_type()), Some("Microsoft.Compute/disks"));
        assert!(owning_untyped(&cluster).is_none());
    }

    #[test]
    fn resource_types_and_vault_roles_are_listed_once() {
        let types: Vec<String> = resource_types().iter().map(|resource_type| resource_type.full_type()).collect();
        assert_eq!(
            types,
            [
                "Microsoft.Compute/disks",
                "Microsoft.Storage/storageAccounts",
                "Microsoft.ContainerService/managedClusters",
                "Microsoft.DBforPostgreSQL/flexibleServers",
                "Microsoft.DBforMySQL/flexibleServers",
            ]
        );
        let roles: Vec<&str> = vault_roles().iter().map(|role| role.name).collect();
        assert_eq!(
            roles,
            [
                "Disk Backup Reader",
                "Disk Snapshot Contributor",
                "Storage Account Backup Contributor",
                "Reader",
                "PostgreSQL Flexible Server Long Term Retention Backup Role",
                "MySQL Backup And Export Operator",
            ]
        );
    }
}
