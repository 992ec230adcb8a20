//! The resources other than disks that a vault protects: storage accounts (with their blob containers), AKS
//! clusters (with their extensions and trusted access role bindings) and PostgreSQL and MySQL flexible servers.
//! They hold only what the backup rules look at; their own PUTs and DELETEs are synchronous.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{ClusterExtension, FlexibleServer, KubernetesCluster, StorageAccount, TrustedAccessBinding, World};
use crate::util::new_uuid;

/// The database engine of a flexible server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServerEngine {
    PostgreSql,
    MySql,
}

impl ServerEngine {
    /// The ARM resource type, which is also the backup datasource type.
    pub fn resource_type(self) -> &'static str {
        match self {
            ServerEngine::PostgreSql => "Microsoft.DBforPostgreSQL/flexibleServers",
            ServerEngine::MySql => "Microsoft.DBforMySQL/flexibleServers",
        }
    }
}

/// The extension type of the AKS backup extension (compared without case, as the CLI does).
pub(crate) const BACKUP_EXTENSION_TYPE: &str = "microsoft.dataprotection.kubernetes";

/// A storage account's ID.
pub(crate) fn storage_account_id(group_id: &str, name: &str) -> String {
    format!("{group_id}/providers/Microsoft.Storage/storageAccounts/{name}")
}

/// An AKS cluster's ID.
pub(crate) fn cluster_id(group_id: &str, name: &str) -> String {
    format!("{group_id}/providers/Microsoft.ContainerService/managedClusters/{name}")
}

/// A flexible server's ID.
pub(crate) fn server_id(group_id: &str, engine: ServerEngine, name: &str) -> String {
    format!("{group_id}/providers/{}/{name}", engine.resource_type())
}

impl World {
    /// Adds (or replaces) a storage account.
    pub fn add_storage_account(
        &mut self,
        group_id: &str,
        name: &str,
        location: &str,
        hns: bool,
        containers: &[String],
    ) {
        let id = storage_account_id(group_id, name);
        let containers = containers.iter().map(|name| (name.to_ascii_lowercase(), name.clone())).collect();
        let account =
            StorageAccount { id: id.clone(), name: name.to_owned(), location: location.to_owned(), hns, containers };
        self.storage_accounts.insert(id.to_ascii_lowercase(), account);
    }

    /// Adds (or replaces) an AKS cluster; its identity joins the directory, so roles can be assigned to it.
    pub fn add_cluster(&mut self, group_id: &str, name: &str, location: &str, principal_id: Option<&str>) -> String {
        let id = cluster_id(group_id, name);
        let principal_id = principal_id.map_or_else(new_uuid, str::to_owned);
        let subscription = crate::ids::ArmId::parse(&id).map(|id| id.subscription).unwrap_or_default();
        self.directory.insert(principal_id.to_ascii_lowercase(), format!("identity of {id}"));
        let cluster = KubernetesCluster {
            id: id.clone(),
            name: name.to_owned(),
            location: location.to_owned(),
            principal_id,
            tenant_id: self.tenant_of(&subscription),
            extensions: BTreeMap::new(),
            bindings: BTreeMap::new(),
        };
        let key = id.to_ascii_lowercase();
        self.kubernetes_clusters.insert(key.clone(), cluster);
        key
    }

    /// Installs (or replaces) an extension on a cluster; its identity joins the directory.
    pub fn add_extension(&mut self, cluster_key: &str, extension: ClusterExtension) {
        self.directory.insert(extension.principal_id.to_ascii_lowercase(), format!("extension {}", extension.name));
        if let Some(cluster) = self.kubernetes_clusters.get_mut(cluster_key) {
            cluster.extensions.insert(extension.name.to_ascii_lowercase(), extension);
        }
    }

    /// Adds (or replaces) a trusted access role binding on a cluster.
    pub fn add_binding(&mut self, cluster_key: &str, binding: TrustedAccessBinding) {
        if let Some(cluster) = self.kubernetes_clusters.get_mut(cluster_key) {
            cluster.bindings.insert(binding.name.to_ascii_lowercase(), binding);
        }
    }

    /// Adds (or replaces) a flexible server.
    pub fn add_server(&mut self, group_id: &str, engine: ServerEngine, name: &str, location: &str) {
        let id = server_id(group_id, engine, name);
        let server = FlexibleServer { id: id.clone(), name: name.to_owned(), location: location.to_owned(), engine };
        self.flexible_servers.insert(id.to_ascii_lowercase(), server);
    }

    pub fn render_storage_account(account: &StorageAccount) -> Value {
        json!({
            "id": account.id,
            "name": account.name,
            "type": "Microsoft.Storage/storageAccounts",
            "location": account.location,
            "kind": "StorageV2",
            "sku": { "name": "Standard_LRS", "tier": "Standard" },
            "properties": { "provisioningState": "Succeeded", "isHnsEnabled": account.hns },
        })
    }

    pub fn render_container(account: &StorageAccount, name: &str) -> Value {
        json!({
            "id": format!("{}/blobServices/default/containers/{name}", account.id),
            "name": name,
            "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
            "properties": { "publicAccess": "None", "leaseStatus": "Unlocked", "leaseState": "Available",
                            "hasImmutabilityPolicy": false, "hasLegalHold": false, "deleted": false },
        })
    }

    pub fn render_cluster(cluster: &KubernetesCluster) -> Value {
        json!({
            "id": cluster.id,
            "name": cluster.name,
            "type": "Microsoft.ContainerService/ManagedClusters",
            "location": cluster.location,
            "sku": { "name": "Base", "tier": "Free" },
            "identity": { "type": "SystemAssigned", "principalId": cluster.principal_id, "tenantId": cluster.tenant_id },
            "properties": { "provisioningState": "Succeeded", "powerState": { "code": "Running" },
                            "kubernetesVersion": "1.30.0", "dnsPrefix": cluster.name },
        })
    }

    pub fn render_extension(cluster: &KubernetesCluster, extension: &ClusterExtension) -> Value {
        json!({
            "id": format!("{}/providers/Microsoft.KubernetesConfiguration/extensions/{}", cluster.id, extension.name),
            "name": extension.name,
            "type": "Microsoft.KubernetesConfiguration/extensions",
            "properties": {
                "extensionType": extension.extension_type,
                "provisioningState": extension.provisioning_state,
                "releaseTrain": "stable",
                "configurationSettings": extension.configuration,
                "aksAssignedIdentity": { "type": "SystemAssigned", "principalId": extension.principal_id,
                                         "tenantId": cluster.tenant_id },
            },
        })
    }

    pub fn render_binding(cluster: &KubernetesCluster, binding: &TrustedAccessBinding) -> Value {
        json!({
            "id": format!("{}/trustedAccessRoleBindings/{}", cluster.id, binding.name),
            "name": binding.name,
            "type": "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings",
            "properties": { "sourceResourceId": binding.source_resource_id, "roles": binding.roles,
                            "provisioningState": "Succeeded" },
        })
    }

    pub fn render_server(server: &FlexibleServer) -> Value {
        json!({
            "id": server.id,
            "name": server.name,
            "type": server.engine.resource_type(),
            "location": server.location,
            "sku": { "name": "Standard_B1ms", "tier": "Burstable" },
            "properties": { "state": "Ready", "version": match server.engine {
                ServerEngine::PostgreSql => "16",
                ServerEngine::MySql => "8.0.21",
            } },
        })
    }
}
