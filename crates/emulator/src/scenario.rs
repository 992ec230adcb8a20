//! Scenarios: the world the emulator starts with, as a JSON file or built in Rust.
//!
//! The same format is what `--state-dir` persists, so a saved world is itself a scenario.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::faults::FaultRule;
use super::settings::{OperationKind, Settings};

/// A world to start from. Every list may be empty; missing `subscription_id`s default to the first subscription,
/// missing `tenant_id`s to [`Scenario::tenant_id`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// The tenant of entries that do not name their own; the default world's tenant when absent.
    pub tenant_id: Option<String>,
    /// Subscriptions.
    pub subscriptions: Vec<SubscriptionSeed>,
    /// Principals that can sign in: service principals with secrets, federated (OIDC) applications and managed
    /// identities.
    pub principals: Vec<PrincipalSeed>,
    /// Resource groups.
    pub resource_groups: Vec<ResourceGroupSeed>,
    /// Managed disks.
    pub disks: Vec<DiskSeed>,
    /// Storage accounts (whose blobs a vault can protect).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub storage_accounts: Vec<StorageAccountSeed>,
    /// AKS clusters (`Microsoft.ContainerService/managedClusters`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kubernetes_clusters: Vec<KubernetesClusterSeed>,
    /// PostgreSQL flexible servers (`Microsoft.DBforPostgreSQL/flexibleServers`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub postgresql_flexible_servers: Vec<FlexibleServerSeed>,
    /// MySQL flexible servers (`Microsoft.DBforMySQL/flexibleServers`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mysql_flexible_servers: Vec<FlexibleServerSeed>,
    /// Resource guards (multi-user authorisation); a vault's `resource_guard_proxy` names one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_guards: Vec<ResourceGuardSeed>,
    /// Backup vaults.
    pub vaults: Vec<VaultSeed>,
    /// Backup policies.
    pub policies: Vec<PolicySeed>,
    /// Role assignments.
    pub role_assignments: Vec<RoleAssignmentSeed>,
    /// Backup instances.
    pub backup_instances: Vec<BackupInstanceSeed>,
    /// Operations, finished or running, that status URLs can be asked about.
    pub operations: Vec<OperationSeed>,
    /// Fault rules in force from the start.
    pub faults: Vec<FaultRule>,
    /// Settings; omitted fields take their defaults.
    pub settings: Option<Settings>,
}

/// A subscription.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionSeed {
    /// The subscription ID (a GUID).
    pub id: String,
    /// The tenant that owns it.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Its display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Resource provider namespaces not registered in it (for example `Microsoft.DataProtection`, as in a
    /// subscription that never used Azure Backup): their requests answer 409 `MissingSubscriptionRegistration`
    /// until a client registers them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unregistered_providers: Vec<String>,
}

/// How a principal signs in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// Client credentials with a client secret.
    #[default]
    ServicePrincipal,
    /// Client credentials with a client assertion (workload identity federation, OIDC).
    Federated,
    /// A managed identity, served by the App Service-style identity endpoint.
    ManagedIdentity,
}

/// A principal that can get tokens.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalSeed {
    /// How it signs in.
    pub kind: PrincipalKind,
    /// The application (client) ID.
    pub client_id: String,
    /// The object ID that role assignments name; generated when absent.
    #[serde(default)]
    pub object_id: Option<String>,
    /// Its tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// A display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The client secret of a service principal.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Federated: the `iss` an assertion must carry; any issuer when absent.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Federated: the `sub` an assertion must carry; any subject when absent.
    #[serde(default)]
    pub subject: Option<String>,
    /// Federated: the `aud` an assertion must carry; `api://AzureADTokenExchange` when absent.
    #[serde(default)]
    pub audience: Option<String>,
    /// Managed identity: the secret the `X-IDENTITY-HEADER` request header must carry (`IDENTITY_HEADER`).
    #[serde(default)]
    pub identity_header: Option<String>,
    /// Managed identity: whether this is the system-assigned identity (used when a request names no client ID).
    #[serde(default)]
    pub system_assigned: bool,
}

impl std::fmt::Debug for PrincipalSeed {
    /// Leaves the client secret and the identity header out.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        formatter
            .debug_struct("PrincipalSeed")
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .field("object_id", &self.object_id)
            .field("tenant_id", &self.tenant_id)
            .field("display_name", &self.display_name)
            .field("client_secret", &redacted(&self.client_secret))
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("audience", &self.audience)
            .field("identity_header", &redacted(&self.identity_header))
            .field("system_assigned", &self.system_assigned)
            .finish()
    }
}

/// A resource group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceGroupSeed {
    /// Its subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Its name.
    pub name: String,
    /// Its region.
    pub location: String,
    /// Tags.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
}

/// A managed disk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskSeed {
    /// Its subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Its resource group.
    pub resource_group: String,
    /// Its name.
    pub name: String,
    /// Its region; the resource group's when absent.
    #[serde(default)]
    pub location: Option<String>,
    /// Size in GiB (default 32).
    #[serde(default)]
    pub disk_size_gb: Option<u32>,
}

/// A storage account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageAccountSeed {
    /// Its subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Its resource group.
    pub resource_group: String,
    /// Its name.
    pub name: String,
    /// Its region; the resource group's when absent.
    #[serde(default)]
    pub location: Option<String>,
    /// `properties.isHnsEnabled`: a Data Lake Storage Gen2 account (hierarchical namespace).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_hns_enabled: bool,
    /// The names of its blob containers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<String>,
}

/// An AKS cluster with a system-assigned identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesClusterSeed {
    /// Its subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Its resource group.
    pub resource_group: String,
    /// Its name.
    pub name: String,
    /// Its region; the resource group's when absent.
    #[serde(default)]
    pub location: Option<String>,
    /// The object ID of its system-assigned identity; a new GUID when absent.
    #[serde(default)]
    pub identity_principal_id: Option<String>,
    /// Cluster extensions (`Microsoft.KubernetesConfiguration/extensions`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<ClusterExtensionSeed>,
    /// Trusted access role bindings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_access_role_bindings: Vec<TrustedAccessRoleBindingSeed>,
}

/// A cluster extension.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterExtensionSeed {
    /// Its name.
    pub name: String,
    /// `extensionType`; `microsoft.dataprotection.kubernetes` is the backup extension.
    pub extension_type: String,
    /// `provisioningState`; `Succeeded` when absent.
    #[serde(default)]
    pub provisioning_state: Option<String>,
    /// The object ID of the extension's identity (`aksAssignedIdentity.principalId`); a new GUID when absent.
    #[serde(default)]
    pub identity_principal_id: Option<String>,
    /// `configurationSettings`.
    #[serde(default)]
    pub configuration_settings: Option<Value>,
}

/// A trusted access role binding on a cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedAccessRoleBindingSeed {
    /// Its name.
    pub name: String,
    /// The resource granted access (for backup, the vault's ID).
    pub source_resource_id: String,
    /// The roles granted (for backup, `Microsoft.DataProtection/backupVaults/backup-operator`).
    pub roles: Vec<String>,
}

/// A PostgreSQL or MySQL flexible server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlexibleServerSeed {
    /// Its subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Its resource group.
    pub resource_group: String,
    /// Its name.
    pub name: String,
    /// Its region; the resource group's when absent.
    #[serde(default)]
    pub location: Option<String>,
}

/// A backup vault.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultSeed {
    /// Its subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Its resource group.
    pub resource_group: String,
    /// Its name.
    pub name: String,
    /// Its region; the resource group's when absent.
    #[serde(default)]
    pub location: Option<String>,
    /// The object ID of its system-assigned identity; generated when absent.
    #[serde(default)]
    pub identity_principal_id: Option<String>,
    /// Set to false for a vault without a managed identity.
    #[serde(default = "yes")]
    pub identity: bool,
    /// The `properties` of the vault as ARM returns them (storage settings, security settings); defaults fit a
    /// locally redundant vault.
    #[serde(default)]
    pub properties: Option<Value>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    /// User-assigned identities, by ARM ID (the spelling the vault reports).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub user_assigned_identities: BTreeMap<String, UserIdentitySeed>,
    /// The vault's association with a resource guard (its resource guard proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_guard_proxy: Option<GuardProxySeed>,
}

/// A user-assigned identity of a vault: the IDs Azure reports of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserIdentitySeed {
    /// The identity's object (principal) ID; generated when absent.
    #[serde(default)]
    pub principal_id: Option<String>,
    /// The identity's client ID; generated when absent.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// A vault's resource guard proxy: the association of the vault with a resource guard of the scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardProxySeed {
    /// The proxy's name (Azure's is `DppResourceGuardProxy`, the default).
    #[serde(default)]
    pub name: Option<String>,
    /// The resource guard's ARM ID.
    pub resource_guard_id: String,
    /// When the association last changed (`lastUpdatedTime`); the seeding time when absent.
    #[serde(default)]
    pub last_updated: Option<String>,
}

/// A resource guard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceGuardSeed {
    /// Its subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Its resource group.
    pub resource_group: String,
    /// Its name.
    pub name: String,
    /// Its region; the resource group's when absent.
    #[serde(default)]
    pub location: Option<String>,
    /// The critical operations it does not protect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vault_critical_operation_exclusion_list: Vec<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
}

fn yes() -> bool {
    true
}

/// A backup policy for managed disks, or any policy given as raw `properties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySeed {
    /// Its subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// The vault's resource group.
    pub resource_group: String,
    /// The vault's name.
    pub vault: String,
    /// The policy's name.
    pub name: String,
    /// The backup schedule as an ISO 8601 repeating interval (default `R/2024-01-01T02:00:00+00:00/P1D`).
    #[serde(default)]
    pub schedule: Option<String>,
    /// How long operational-store snapshots are kept (default `P7D`).
    #[serde(default)]
    pub retention: Option<String>,
    /// The policy's `properties` as ARM returns them; replaces `schedule` and `retention` when given.
    #[serde(default)]
    pub properties: Option<Value>,
}

/// A role assignment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleAssignmentSeed {
    /// Its name (a GUID); generated when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// The scope: a subscription, resource group or resource ID.
    pub scope: String,
    /// A built-in role: its name (`Disk Backup Reader`), GUID or role definition ID.
    pub role: String,
    /// The object ID of the principal (a caller, or a vault's identity).
    pub principal_id: String,
    /// `ServicePrincipal` (default), `User` or `Group`.
    #[serde(default)]
    pub principal_type: Option<String>,
}

/// A backup instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupInstanceSeed {
    /// Its subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// The vault's resource group.
    pub resource_group: String,
    /// The vault's name.
    pub vault: String,
    /// The instance's name.
    pub name: String,
    /// The protected resource's ARM ID (for a disk, `.../providers/Microsoft.Compute/disks/{name}`).
    #[serde(default)]
    pub datasource_id: Option<String>,
    /// The policy: a name in the same vault, or a full policy ID.
    #[serde(default)]
    pub policy: Option<String>,
    /// The snapshot resource group's ID (disks).
    #[serde(default)]
    pub snapshot_resource_group_id: Option<String>,
    /// `currentProtectionState` (default `ProtectionConfigured`).
    #[serde(default)]
    pub protection_state: Option<String>,
    /// `provisioningState` (default `Succeeded`).
    #[serde(default)]
    pub provisioning_state: Option<String>,
    /// `protectionStatus.errorDetails` and `protectionErrorDetails`, a `UserFacingError`.
    #[serde(default)]
    pub protection_error: Option<Value>,
    /// The instance's `properties` as a client sends them; replaces `datasource_id`, `policy` and
    /// `snapshot_resource_group_id` when given.
    #[serde(default)]
    pub properties: Option<Value>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
}

/// An operation that status URLs can report on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationSeed {
    /// The operation ID, as it appears in status URLs.
    pub id: String,
    /// What started it.
    pub kind: OperationKind,
    /// Its subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Its region (location-scoped status URLs).
    pub location: String,
    /// Its resource group (resource-group-scoped status URLs).
    #[serde(default)]
    pub resource_group: Option<String>,
    /// Its vault (vault-scoped status URLs).
    #[serde(default)]
    pub vault: Option<String>,
    /// The backup instance it worked on, in `vault`.
    #[serde(default)]
    pub backup_instance: Option<String>,
    /// `Succeeded`, `Failed`, `Canceled` or `Inprogress`.
    pub status: String,
    /// The error of a failed or canceled operation (`{"code","message"}`).
    #[serde(default)]
    pub error: Option<Value>,
    /// The job the operation created, reported as `OperationJobExtendedInfo`.
    #[serde(default)]
    pub job_id: Option<String>,
    /// Start time, Unix milliseconds (defaults to the time the scenario is loaded).
    #[serde(default)]
    pub start_unix_ms: Option<u64>,
    /// End time of a finished operation, Unix milliseconds.
    #[serde(default)]
    pub end_unix_ms: Option<u64>,
    /// Running operations: status reads still to answer `Inprogress`.
    #[serde(default)]
    pub polls_left: Option<u32>,
    /// Running operations: the earliest finish time, Unix milliseconds.
    #[serde(default)]
    pub due_unix_ms: Option<u64>,
    /// Running operations: whether it never finishes.
    #[serde(default)]
    pub never_finish: bool,
    /// The api-version its URLs carry (default 2026-06-01).
    #[serde(default)]
    pub api_version: Option<String>,
}

impl Scenario {
    /// Reads a scenario from JSON.
    pub fn from_json(text: &str) -> Result<Scenario, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The scenario as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
