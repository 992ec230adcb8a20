//! The world the emulator serves when no scenario is given, used by `make demo`, examples and tests.
//!
//! Everything here is a documented, non-secret fixture (docs/emulator.md).

use super::scenario::{
    ClusterExtensionSeed, DiskSeed, FlexibleServerSeed, KubernetesClusterSeed, PolicySeed, PrincipalKind,
    PrincipalSeed, ResourceGroupSeed, RoleAssignmentSeed, Scenario, StorageAccountSeed, SubscriptionSeed,
    TrustedAccessRoleBindingSeed, VaultSeed,
};

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
/// The resource group of the disks.
pub const WORKLOAD_RESOURCE_GROUP: &str = "rg-workload";
/// The resource group of the vault.
pub const BACKUP_RESOURCE_GROUP: &str = "rg-backup";
/// The snapshot (operational store) resource group.
pub const SNAPSHOT_RESOURCE_GROUP: &str = "rg-snapshots";

/// A disk the vault may back up.
pub const DISK_APP_01: &str = "disk-app-01";
/// Another disk the vault may back up.
pub const DISK_APP_02: &str = "disk-app-02";
/// A disk on which the vault's identity has no role: validateForBackup fails with missing permissions.
pub const DISK_UNAUTHORIZED: &str = "disk-unauthorized";

/// The backup vault.
pub const VAULT_NAME: &str = "vault-demo";
/// The object ID of the vault's system-assigned identity.
pub const VAULT_PRINCIPAL_ID: &str = "00000000-0000-0000-0000-00000000e001";

/// A storage account (no hierarchical namespace) whose blobs the vault may back up; containers
/// [`BLOB_CONTAINERS`].
pub const STORAGE_ACCOUNT_BLOB: &str = "stappdata01";
/// The containers of [`STORAGE_ACCOUNT_BLOB`].
pub const BLOB_CONTAINERS: [&str; 2] = ["invoices", "reports"];
/// A Data Lake Storage Gen2 account (`isHnsEnabled`); containers [`ADLS_CONTAINERS`].
pub const STORAGE_ACCOUNT_ADLS: &str = "stlakedata01";
/// The containers of [`STORAGE_ACCOUNT_ADLS`].
pub const ADLS_CONTAINERS: [&str; 2] = ["raw", "curated"];
/// An AKS cluster ready for backup: the backup extension is installed, a trusted access role binding names the
/// vault, and its identity holds Contributor on [`SNAPSHOT_RESOURCE_GROUP`].
pub const AKS_CLUSTER: &str = "aks-app-01";
/// The object ID of [`AKS_CLUSTER`]'s system-assigned identity.
pub const AKS_CLUSTER_PRINCIPAL_ID: &str = "00000000-0000-0000-0000-00000000f001";
/// The name of the backup extension on [`AKS_CLUSTER`].
pub const AKS_BACKUP_EXTENSION: &str = "azure-aks-backup";
/// The object ID of the backup extension's identity.
pub const AKS_EXTENSION_PRINCIPAL_ID: &str = "00000000-0000-0000-0000-00000000f002";
/// The name of the trusted access role binding on [`AKS_CLUSTER`] for the vault.
pub const AKS_TRUSTED_ACCESS_BINDING: &str = "backup-vault-demo";
/// A PostgreSQL flexible server.
pub const POSTGRESQL_SERVER: &str = "psql-app-01";
/// A MySQL flexible server.
pub const MYSQL_SERVER: &str = "mysql-app-01";

/// A daily disk policy: `R/2024-01-01T02:00:00+00:00/P1D`, snapshots kept 7 days.
pub const POLICY_DAILY: &str = "policy-disk-daily";
/// A four-hourly disk policy: `R/2024-01-01T02:00:00+00:00/PT4H`, snapshots kept 7 days.
pub const POLICY_4H: &str = "policy-disk-4h";

/// `/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{name}`.
pub fn resource_group_id(name: &str) -> String {
    super::ids::resource_group_id(SUBSCRIPTION_ID, name)
}

/// The ID of a disk in [`WORKLOAD_RESOURCE_GROUP`].
pub fn disk_id(name: &str) -> String {
    super::ids::disk_id(SUBSCRIPTION_ID, WORKLOAD_RESOURCE_GROUP, name)
}

/// The ID of a storage account in [`WORKLOAD_RESOURCE_GROUP`].
pub fn storage_account_id(name: &str) -> String {
    format!("{}/providers/Microsoft.Storage/storageAccounts/{name}", resource_group_id(WORKLOAD_RESOURCE_GROUP))
}

/// The ID of an AKS cluster in [`WORKLOAD_RESOURCE_GROUP`].
pub fn kubernetes_cluster_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.ContainerService/managedClusters/{name}",
        resource_group_id(WORKLOAD_RESOURCE_GROUP)
    )
}

/// The ID of a PostgreSQL flexible server in [`WORKLOAD_RESOURCE_GROUP`].
pub fn postgresql_server_id(name: &str) -> String {
    format!("{}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{name}", resource_group_id(WORKLOAD_RESOURCE_GROUP))
}

/// The ID of a MySQL flexible server in [`WORKLOAD_RESOURCE_GROUP`].
pub fn mysql_server_id(name: &str) -> String {
    format!("{}/providers/Microsoft.DBforMySQL/flexibleServers/{name}", resource_group_id(WORKLOAD_RESOURCE_GROUP))
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

impl Scenario {
    /// The default world (see the constants in this module and docs/emulator.md).
    pub fn default_world() -> Scenario {
        let group = |name: &str| ResourceGroupSeed {
            subscription_id: None,
            name: name.to_owned(),
            location: LOCATION.to_owned(),
            tags: None,
        };
        let disk = |name: &str| DiskSeed {
            subscription_id: None,
            resource_group: WORKLOAD_RESOURCE_GROUP.to_owned(),
            name: name.to_owned(),
            location: None,
            disk_size_gb: Some(64),
        };
        let policy = |name: &str, interval: &str| PolicySeed {
            subscription_id: None,
            resource_group: BACKUP_RESOURCE_GROUP.to_owned(),
            vault: VAULT_NAME.to_owned(),
            name: name.to_owned(),
            schedule: Some(format!("R/2024-01-01T02:00:00+00:00/{interval}")),
            retention: Some("P7D".to_owned()),
            properties: None,
        };
        let grant = |scope: String, role: &str, principal: &str| RoleAssignmentSeed {
            name: None,
            scope,
            role: role.to_owned(),
            principal_id: principal.to_owned(),
            principal_type: Some("ServicePrincipal".to_owned()),
        };
        let subscription_scope = format!("/subscriptions/{SUBSCRIPTION_ID}");
        let account = |name: &str, hns: bool, containers: &[&str]| StorageAccountSeed {
            subscription_id: None,
            resource_group: WORKLOAD_RESOURCE_GROUP.to_owned(),
            name: name.to_owned(),
            location: None,
            is_hns_enabled: hns,
            containers: containers.iter().map(|name| (*name).to_owned()).collect(),
        };
        let server = |name: &str| FlexibleServerSeed {
            subscription_id: None,
            resource_group: WORKLOAD_RESOURCE_GROUP.to_owned(),
            name: name.to_owned(),
            location: None,
        };
        // The vault's identity holds what the new datasource kinds need on the whole subscription, as vaults made
        // through the API are granted it (docs/emulator.md); the disk roles stay per disk, so that
        // disk-unauthorized keeps failing.
        let vault_subscription_roles = [
            "Storage Account Backup Contributor",
            "Reader",
            "PostgreSQL Flexible Server Long Term Retention Backup Role",
            "MySQL Backup And Export Operator",
        ];
        Scenario {
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
            disks: vec![disk(DISK_APP_01), disk(DISK_APP_02), disk(DISK_UNAUTHORIZED)],
            storage_accounts: vec![
                account(STORAGE_ACCOUNT_BLOB, false, &BLOB_CONTAINERS),
                account(STORAGE_ACCOUNT_ADLS, true, &ADLS_CONTAINERS),
            ],
            kubernetes_clusters: vec![KubernetesClusterSeed {
                subscription_id: None,
                resource_group: WORKLOAD_RESOURCE_GROUP.to_owned(),
                name: AKS_CLUSTER.to_owned(),
                location: None,
                identity_principal_id: Some(AKS_CLUSTER_PRINCIPAL_ID.to_owned()),
                extensions: vec![ClusterExtensionSeed {
                    name: AKS_BACKUP_EXTENSION.to_owned(),
                    extension_type: "microsoft.dataprotection.kubernetes".to_owned(),
                    provisioning_state: None,
                    identity_principal_id: Some(AKS_EXTENSION_PRINCIPAL_ID.to_owned()),
                    configuration_settings: None,
                }],
                trusted_access_role_bindings: vec![TrustedAccessRoleBindingSeed {
                    name: AKS_TRUSTED_ACCESS_BINDING.to_owned(),
                    source_resource_id: vault_id(),
                    roles: vec!["Microsoft.DataProtection/backupVaults/backup-operator".to_owned()],
                }],
            }],
            postgresql_flexible_servers: vec![server(POSTGRESQL_SERVER)],
            mysql_flexible_servers: vec![server(MYSQL_SERVER)],
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
            }],
            policies: vec![policy(POLICY_DAILY, "P1D"), policy(POLICY_4H, "PT4H")],
            role_assignments: vec![
                grant(subscription_scope.clone(), "Contributor", CLIENT_OBJECT_ID),
                grant(subscription_scope.clone(), "Contributor", OIDC_OBJECT_ID),
                grant(subscription_scope.clone(), "Contributor", MANAGED_IDENTITY_OBJECT_ID),
                grant(disk_id(DISK_APP_01), "Disk Backup Reader", VAULT_PRINCIPAL_ID),
                grant(disk_id(DISK_APP_02), "Disk Backup Reader", VAULT_PRINCIPAL_ID),
                grant(resource_group_id(SNAPSHOT_RESOURCE_GROUP), "Disk Snapshot Contributor", VAULT_PRINCIPAL_ID),
                grant(resource_group_id(SNAPSHOT_RESOURCE_GROUP), "Contributor", AKS_CLUSTER_PRINCIPAL_ID),
            ]
            .into_iter()
            .chain(
                vault_subscription_roles
                    .into_iter()
                    .map(|role| grant(subscription_scope.clone(), role, VAULT_PRINCIPAL_ID)),
            )
            .collect(),
            ..Scenario::default()
        }
    }
}
