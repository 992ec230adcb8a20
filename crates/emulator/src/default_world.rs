//! The world the emulator serves when no scenario is given, used by `make demo`, examples and tests.
//!
//! Everything here is a documented, non-secret fixture (docs/emulator.md).

use super::scenario::{
    DiskSeed, PolicySeed, PrincipalKind, PrincipalSeed, ResourceGroupSeed, RoleAssignmentSeed, Scenario,
    SubscriptionSeed, VaultSeed,
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
                grant(subscription_scope, "Contributor", MANAGED_IDENTITY_OBJECT_ID),
                grant(disk_id(DISK_APP_01), "Disk Backup Reader", VAULT_PRINCIPAL_ID),
                grant(disk_id(DISK_APP_02), "Disk Backup Reader", VAULT_PRINCIPAL_ID),
                grant(resource_group_id(SNAPSHOT_RESOURCE_GROUP), "Disk Snapshot Contributor", VAULT_PRINCIPAL_ID),
            ],
            ..Scenario::default()
        }
    }
}
