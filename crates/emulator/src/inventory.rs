//! What `GET /_emulator/inventory` answers: the world's contents, flattened for tests to look at.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the world holds (`GET /_emulator/inventory`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Subscription IDs.
    pub subscriptions: Vec<String>,
    /// Resource group IDs.
    pub resource_groups: Vec<String>,
    /// Disks.
    pub disks: Vec<InventoryDisk>,
    /// The other datasources: storage accounts, AKS clusters, PostgreSQL and MySQL flexible servers.
    #[serde(default)]
    pub datasources: Vec<InventoryDatasource>,
    /// Vaults.
    pub vaults: Vec<InventoryVault>,
    /// Backup instances.
    pub backup_instances: Vec<InventoryInstance>,
    /// Role assignments.
    pub role_assignments: Vec<InventoryRoleAssignment>,
    /// Operations still running.
    pub running_operations: usize,
}

/// A disk in the inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryDisk {
    /// ARM ID.
    pub id: String,
    /// Region.
    pub location: String,
    /// The backup instance protecting it.
    pub protected_by: Option<String>,
}

/// A datasource other than a disk in the inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryDatasource {
    /// ARM ID.
    pub id: String,
    /// ARM resource type (`Microsoft.Storage/storageAccounts`, ...).
    pub resource_type: String,
    /// Region.
    pub location: String,
    /// The backup instance protecting it.
    pub protected_by: Option<String>,
    /// Storage accounts: whether the namespace is hierarchical (ADLS Gen2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_hns_enabled: Option<bool>,
    /// Storage accounts: blob container names. AKS clusters: extension names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<String>,
    /// AKS clusters: the object ID of the cluster's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_principal_id: Option<String>,
    /// AKS clusters: the source resource IDs of the trusted access role bindings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_access_sources: Vec<String>,
}

/// A vault in the inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryVault {
    /// ARM ID.
    pub id: String,
    /// Region.
    pub location: String,
    /// `provisioningState`.
    pub provisioning_state: String,
    /// Object ID of the system-assigned identity.
    pub identity_principal_id: Option<String>,
    /// Policy IDs.
    pub policies: Vec<String>,
}

/// A backup instance in the inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryInstance {
    /// ARM ID.
    pub id: String,
    /// The protected resource's ID.
    pub datasource_id: String,
    /// The policy's ID.
    pub policy_id: String,
    /// `currentProtectionState`.
    pub protection_state: String,
    /// `protectionStatus.status`.
    pub protection_status: String,
    /// `provisioningState`.
    pub provisioning_state: String,
    /// The running operation's ID.
    pub pending_operation: Option<String>,
    /// `protectionStatus.errorDetails`.
    pub protection_error: Option<Value>,
}

/// A role assignment in the inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryRoleAssignment {
    /// ARM ID.
    pub id: String,
    /// Scope.
    pub scope: String,
    /// The role's name.
    pub role: String,
    /// The principal's object ID.
    pub principal_id: String,
}
