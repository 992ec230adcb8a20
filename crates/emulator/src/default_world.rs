//! The world the emulator serves when no scenario is given, used by `make demo`, examples and tests.
//!
//! Everything here is a documented, non-secret fixture (docs/emulator.md). The datasources, their policies and the
//! vault's roles on them come from each kind's module (`world::kinds`), whose names are re-exported here.

use super::scenario::{
    BackupInstanceSeed, DiskSeed, PrincipalKind, PrincipalSeed, ResourceGroupSeed, RoleAssignmentSeed, Scenario,
    SubscriptionSeed, VaultSeed,
};
use super::world::kinds::{self, DefaultWorld, disk, flexible_servers, kubernetes, storage_accounts};

pub use super::world::kinds::blob::{BLOB_CONTAINERS, STORAGE_ACCOUNT_BLOB};
pub use super::world::kinds::data_lake::{ADLS_CONTAINERS, STORAGE_ACCOUNT_ADLS};
pub use super::world::kinds::disk::{DISK_APP_01, DISK_APP_02, DISK_UNAUTHORIZED, POLICY_4H, POLICY_DAILY};
pub use super::world::kinds::kubernetes::{
    AKS_BACKUP_EXTENSION, AKS_CLUSTER, AKS_CLUSTER_PRINCIPAL_ID, AKS_EXTENSION_PRINCIPAL_ID, AKS_TRUSTED_ACCESS_BINDING,
};
pub use super::world::kinds::mysql::MYSQL_SERVER;
pub use super::world::kinds::postgresql::POSTGRESQL_SERVER;

/// The tenant.
pub const TENANT_ID: &str = "00000000-0000-0000-0000-00000000a001";
/// The subscription.
pub const SUBSCRIPTION_ID: &str = "00000000-0000-0000-0000-00000000b001";

/// The service principal's client ID (client-secret sign-in).
pub const CLIENT_ID: &str = "00000000-0000-0000-0000-00000000c001";
/// The service principal's client secret. Not a secret: it only opens the emulator.
pub const CLIENT_SECRET: &str = "emulator-demo-secret";
/// The service principal's object ID.
pub const CLIENT_OBJECT_ID: &str = "00000000-0000-0000-0000-00000000d001";

/// The federated (OIDC / workload identity) application's client ID. It accepts any issuer and subject; the
/// assertion's audience must be [`OIDC_AUDIENCE`].
pub const OIDC_CLIENT_ID: &str = "00000000-0000-0000-0000-00000000c002";
/// The federated application's object ID.
pub const OIDC_OBJECT_ID: &str = "00000000-0000-0000-0000-00000000d002";
/// The audience a federated assertion must carry (Entra's default).
pub const OIDC_AUDIENCE: &str = "api://AzureADTokenExchange";

/// The managed identity's client ID (system-assigned, served at `{base_url}/msi/token`).
pub const MANAGED_IDENTITY_CLIENT_ID: &str = "00000000-0000-0000-0000-00000000c003";
/// The managed identity's object ID.
pub const MANAGED_IDENTITY_OBJECT_ID: &str = "00000000-0000-0000-0000-00000000d003";
/// The value of `IDENTITY_HEADER` for the managed identity endpoint.
pub const IDENTITY_HEADER: &str = "emulator-identity-header";

/// The region of everything in the default world.
pub const LOCATION: &str = "westus";
/// The resource group of the datasources.
pub const WORKLOAD_RESOURCE_GROUP: &str = "rg-workload";
/// The resource group of the vault.
pub const BACKUP_RESOURCE_GROUP: &str = "rg-backup";
/// The snapshot (operational store) resource group.
pub const SNAPSHOT_RESOURCE_GROUP: &str = "rg-snapshots";

/// The backup vault.
pub const VAULT_NAME: &str = "vault-demo";
/// The object ID of the vault's system-assigned identity.
pub const VAULT_PRINCIPAL_ID: &str = "00000000-0000-0000-0000-00000000e001";

/// `/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{name}`.
pub fn resource_group_id(name: &str) -> String {
    super::ids::resource_group_id(SUBSCRIPTION_ID, name)
}

/// The ID of a disk in [`WORKLOAD_RESOURCE_GROUP`].
pub fn disk_id(name: &str) -> String {
    places().datasource_id(&disk::ManagedDisks, name)
}

/// The ID of a storage account in [`WORKLOAD_RESOURCE_GROUP`].
pub fn storage_account_id(name: &str) -> String {
    places().datasource_id(&storage_accounts::StorageAccounts, name)
}

/// The ID of an AKS cluster in [`WORKLOAD_RESOURCE_GROUP`].
pub fn kubernetes_cluster_id(name: &str) -> String {
    places().datasource_id(&kubernetes::KubernetesClusters, name)
}

/// The ID of a PostgreSQL flexible server in [`WORKLOAD_RESOURCE_GROUP`].
pub fn postgresql_server_id(name: &str) -> String {
    places().datasource_id(&flexible_servers::POSTGRESQL_SERVERS, name)
}

/// The ID of a MySQL flexible server in [`WORKLOAD_RESOURCE_GROUP`].
pub fn mysql_server_id(name: &str) -> String {
    places().datasource_id(&flexible_servers::MYSQL_SERVERS, name)
}

/// The ID of [`VAULT_NAME`].
pub fn vault_id() -> String {
    super::ids::vault_id(SUBSCRIPTION_ID, BACKUP_RESOURCE_GROUP, VAULT_NAME)
}

/// The ID of a policy in [`VAULT_NAME`].
pub fn policy_id(name: &str) -> String {
    format!("{}/backupPolicies/{name}", vault_id())
}

/// The ID of a backup instance in [`VAULT_NAME`].
pub fn backup_instance_id(name: &str) -> String {
    format!("{}/backupInstances/{name}", vault_id())
}

/// Where the kinds put their part of the default world.
fn places() -> DefaultWorld {
    DefaultWorld {
        subscription_id: SUBSCRIPTION_ID,
        workload_resource_group: WORKLOAD_RESOURCE_GROUP,
        snapshot_resource_group: SNAPSHOT_RESOURCE_GROUP,
        backup_resource_group: BACKUP_RESOURCE_GROUP,
        vault_name: VAULT_NAME,
        vault_principal_id: VAULT_PRINCIPAL_ID,
        vault_subscription_roles: Vec::new(),
    }
}

impl Scenario {
    /// The default world (see the constants in this module and docs/emulator.md): the principals, resource groups
    /// and vault here, and what every kind adds to them.
    pub fn default_world() -> Scenario {
        let group = |name: &str| ResourceGroupSeed {
            subscription_id: None,
            name: name.to_owned(),
            location: LOCATION.to_owned(),
            tags: None,
        };
        let caller = |principal: &str| RoleAssignmentSeed {
            name: None,
            scope: format!("/subscriptions/{SUBSCRIPTION_ID}"),
            role: "Contributor".to_owned(),
            principal_id: principal.to_owned(),
            principal_type: Some("ServicePrincipal".to_owned()),
        };
        let mut scenario = Scenario {
            tenant_id: Some(TENANT_ID.to_owned()),
            subscriptions: vec![SubscriptionSeed {
                id: SUBSCRIPTION_ID.to_owned(),
                tenant_id: None,
                display_name: Some("Emulator Demo Subscription".to_owned()),
                ..SubscriptionSeed::default()
            }],
            principals: vec![
                PrincipalSeed {
                    kind: PrincipalKind::ServicePrincipal,
                    client_id: CLIENT_ID.to_owned(),
                    object_id: Some(CLIENT_OBJECT_ID.to_owned()),
                    display_name: Some("emulator-demo-sp".to_owned()),
                    client_secret: Some(CLIENT_SECRET.to_owned()),
                    ..PrincipalSeed::default()
                },
                PrincipalSeed {
                    kind: PrincipalKind::Federated,
                    client_id: OIDC_CLIENT_ID.to_owned(),
                    object_id: Some(OIDC_OBJECT_ID.to_owned()),
                    display_name: Some("emulator-demo-oidc".to_owned()),
                    audience: Some(OIDC_AUDIENCE.to_owned()),
                    ..PrincipalSeed::default()
                },
                PrincipalSeed {
                    kind: PrincipalKind::ManagedIdentity,
                    client_id: MANAGED_IDENTITY_CLIENT_ID.to_owned(),
                    object_id: Some(MANAGED_IDENTITY_OBJECT_ID.to_owned()),
                    display_name: Some("emulator-demo-identity".to_owned()),
                    identity_header: Some(IDENTITY_HEADER.to_owned()),
                    system_assigned: true,
                    ..PrincipalSeed::default()
                },
            ],
            resource_groups: vec![
                group(WORKLOAD_RESOURCE_GROUP),
                group(BACKUP_RESOURCE_GROUP),
                group(SNAPSHOT_RESOURCE_GROUP),
            ],
            vaults: vec![VaultSeed {
                subscription_id: None,
                resource_group: BACKUP_RESOURCE_GROUP.to_owned(),
                name: VAULT_NAME.to_owned(),
                location: Some(LOCATION.to_owned()),
                identity_principal_id: Some(VAULT_PRINCIPAL_ID.to_owned()),
                identity: true,
                // Soft delete off, so that a disk can be protected again in this vault right after its instance is
                // deleted; vaults created through the API get Azure's default (on, 14 days) unless they say.
                properties: Some(serde_json::json!({
                    "storageSettings": [{ "datastoreType": "VaultStore", "type": "LocallyRedundant" }],
                    "securitySettings": { "softDeleteSettings": { "state": "Off", "retentionDurationInDays": 14.0 } },
                })),
                tags: None,
                ..VaultSeed::default()
            }],
            role_assignments: vec![
                caller(CLIENT_OBJECT_ID),
                caller(OIDC_OBJECT_ID),
                caller(MANAGED_IDENTITY_OBJECT_ID),
            ],
            ..Scenario::default()
        };
        let mut places = places();
        for kind in kinds::ALL {
            kind.add_to_default_world(&mut places, &mut scenario);
        }
        places.grant_vault_roles(&mut scenario);
        scenario
    }

    /// Adds `count` managed disks to the default world's workload resource group, each protected by a backup
    /// instance in the default vault with the daily policy and the default snapshot resource group. `names(i)` gives
    /// the i-th disk's and instance's names. For worlds of many instances (paging, scale, refresh).
    pub fn with_protected_disks(mut self, count: usize, names: impl Fn(usize) -> (String, String)) -> Scenario {
        for index in 0..count {
            let (disk, instance) = names(index);
            self.backup_instances.push(BackupInstanceSeed {
                resource_group: BACKUP_RESOURCE_GROUP.into(),
                vault: VAULT_NAME.into(),
                name: instance,
                datasource_id: Some(disk_id(&disk)),
                policy: Some(POLICY_DAILY.into()),
                snapshot_resource_group_id: Some(resource_group_id(SNAPSHOT_RESOURCE_GROUP)),
                ..BackupInstanceSeed::default()
            });
            self.disks.push(DiskSeed {
                resource_group: WORKLOAD_RESOURCE_GROUP.into(),
                name: disk,
                ..DiskSeed::default()
            });
        }
        self
    }

    /// Adds `count` managed disks (named by `name(i)`) to the default world's workload resource group, and gives
    /// the default vault's identity Disk Backup Reader on that group, so that each can be protected.
    pub fn with_backup_ready_disks(mut self, count: usize, name: impl Fn(usize) -> String) -> Scenario {
        for index in 0..count {
            self.disks.push(DiskSeed {
                resource_group: WORKLOAD_RESOURCE_GROUP.into(),
                name: name(index),
                ..DiskSeed::default()
            });
        }
        self.role_assignments.push(RoleAssignmentSeed {
            scope: resource_group_id(WORKLOAD_RESOURCE_GROUP),
            role: super::ids::DISK_BACKUP_READER.name.to_owned(),
            principal_id: VAULT_PRINCIPAL_ID.to_owned(),
            ..RoleAssignmentSeed::default()
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_secrets() {
        let text = format!("{:?}", Scenario::default_world());
        assert!(!text.contains(CLIENT_SECRET), "{text}");
        assert!(!text.contains(IDENTITY_HEADER), "{text}");
        assert!(text.contains(CLIENT_ID));
    }

    #[test]
    fn scenarios_round_trip_through_json_and_refuse_unknown_fields() {
        let scenario = Scenario::default_world();
        assert_eq!(Scenario::from_json(&scenario.to_json()).unwrap(), scenario);
        assert!(Scenario::from_json(r#"{"vaultz": []}"#).is_err());
    }
}
