//! AKS backup (`Microsoft.ContainerService/managedClusters`): the clusters, with their system-assigned identity,
//! cluster extensions and trusted access role bindings (served synchronously, holding only what backup looks at),
//! and what AKS backup asks of an instance: the vault and the cluster colocated, a snapshot resource group, Reader
//! for the vault and Contributor for the cluster's identity, the backup extension installed and a trusted access
//! binding for the vault. The policy of an instance cannot change.

use std::collections::{BTreeMap, HashMap};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::super::World;
use super::resource_type::{
    Answer, ArmType, DatasourceRoute, Put, RequestGroup, ResourceRequest, ResourceType, TypeInfo, created_or_ok,
    deleted, list_only, placed, placement, property, unknown_route,
};
use super::roles::{Need, missing_permission};
use super::snapshot_group::checked_snapshot_group;
use super::{DefaultWorld, InstanceRequest, Kind, PolicyLimits, deferred};
use crate::error::{ArmError, arm};
use crate::ids::{self, ArmId, BuiltInRole};
use crate::inventory::InventoryDatasource;
use crate::scenario::{ClusterExtensionSeed, KubernetesClusterSeed, Scenario, TrustedAccessRoleBindingSeed};
use crate::util::new_uuid;

/// The default world's AKS cluster, ready for backup: the backup extension is installed, a trusted access role
/// binding names the vault, and its identity holds Contributor on the snapshot resource group.
pub const AKS_CLUSTER: &str = "aks-app-01";
/// The object ID of [`AKS_CLUSTER`]'s system-assigned identity.
pub const AKS_CLUSTER_PRINCIPAL_ID: &str = "00000000-0000-0000-0000-00000000f001";
/// The name of the backup extension on [`AKS_CLUSTER`].
pub const AKS_BACKUP_EXTENSION: &str = "azure-aks-backup";
/// The object ID of the backup extension's identity.
pub const AKS_EXTENSION_PRINCIPAL_ID: &str = "00000000-0000-0000-0000-00000000f002";
/// The name of the trusted access role binding on [`AKS_CLUSTER`] for the vault.
pub const AKS_TRUSTED_ACCESS_BINDING: &str = "backup-vault-demo";

/// The extension type of the AKS backup extension (compared without case, as the CLI does).
const BACKUP_EXTENSION_TYPE: &str = "microsoft.dataprotection.kubernetes";
/// The role a trusted access binding must grant a backup vault.
const BACKUP_OPERATOR_ROLE: &str = "Microsoft.DataProtection/backupVaults/backup-operator";

/// The AKS kind.
pub(super) struct Kubernetes;

/// AKS clusters.
pub(crate) struct KubernetesClusters;

/// An AKS cluster with what backup needs of it: its system-assigned identity, its cluster extensions and its
/// trusted access role bindings.
pub(crate) struct KubernetesCluster {
    pub id: String,
    pub name: String,
    pub location: String,
    /// The object ID of the cluster's system-assigned identity.
    pub principal_id: String,
    /// The tenant of that identity.
    pub tenant_id: String,
    /// `{cluster}/providers/Microsoft.KubernetesConfiguration/extensions/{name}`, by lower-case name.
    pub extensions: BTreeMap<String, ClusterExtension>,
    /// `{cluster}/trustedAccessRoleBindings/{name}`, by lower-case name.
    pub bindings: BTreeMap<String, TrustedAccessBinding>,
}

/// A cluster extension (`Microsoft.KubernetesConfiguration/extensions`).
pub(crate) struct ClusterExtension {
    pub name: String,
    /// `properties.extensionType`, `microsoft.dataprotection.kubernetes` for the backup extension.
    pub extension_type: String,
    /// `properties.provisioningState`.
    pub provisioning_state: String,
    /// `properties.aksAssignedIdentity.principalId`: the extension's own identity.
    pub principal_id: String,
    /// `properties.configurationSettings`, as the client sent them.
    pub configuration: Value,
}

/// A trusted access role binding (`Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings`).
pub(crate) struct TrustedAccessBinding {
    pub name: String,
    /// `properties.sourceResourceId`: the resource granted access (a backup vault).
    pub source_resource_id: String,
    /// `properties.roles`.
    pub roles: Vec<String>,
}

const CLUSTERS: &str = "managedClusters";
const BINDINGS: &str = "managedClusters/{}/trustedAccessRoleBindings";
const EXTENSIONS: &str = "managedClusters/{}/providers/Microsoft.KubernetesConfiguration/extensions";

const ROUTES: &[DatasourceRoute] = &[
    DatasourceRoute {
        path: CLUSTERS,
        list: "ManagedClusters_ListByResourceGroup",
        get: "ManagedClusters_Get",
        put: "ManagedClusters_CreateOrUpdate",
        delete: "ManagedClusters_Delete",
    },
    DatasourceRoute {
        path: BINDINGS,
        list: "TrustedAccessRoleBindings_List",
        get: "TrustedAccessRoleBindings_Get",
        put: "TrustedAccessRoleBindings_CreateOrUpdate",
        delete: "TrustedAccessRoleBindings_Delete",
    },
    DatasourceRoute {
        path: EXTENSIONS,
        list: "Extensions_List",
        get: "Extensions_Get",
        put: "Extensions_Create",
        delete: "Extensions_Delete",
    },
];

impl Kind for Kubernetes {
    fn datasource_type(&self) -> &'static str {
        "Microsoft.ContainerService/managedClusters"
    }

    fn resource_type(&self) -> &'static dyn ResourceType {
        &KubernetesClusters
    }

    fn policy_limits(&self) -> Option<PolicyLimits> {
        Some(PolicyLimits {
            backup_rule_required: true,
            backup_store: "OperationalStore",
            backup_type: "Incremental",
            intervals: &["PT4H", "PT6H", "PT8H", "PT12H", "P1D", "P1W"],
            retention_stores: &["OperationalStore"],
            vaulted_backup_pairs_rule_and_retention: false,
            // Microsoft: AKS backups are retained for restore for up to 360 days.
            max_retention_days: Some(360),
        })
    }

    fn check_instance(&self, world: &World, instance: &InstanceRequest<'_>) -> Result<Option<ArmError>, ArmError> {
        let (vault, datasource, activity_id) = (instance.vault, instance.datasource, instance.activity_id);
        // The support matrix says policy modification is not supported.
        if let Some(existing) = instance.existing
            && existing.policy_key != instance.policy_key
        {
            return Err(ArmError::user_facing(
                StatusCode::BAD_REQUEST,
                "UserErrorPolicyChangeNotSupported",
                format!(
                    "The backup policy of backup instance '{}' cannot be changed: Kubernetes cluster backup does not \
                     support policy modification.",
                    existing.name
                ),
                &["Stop protection and protect the cluster again with the new policy."],
                activity_id,
            ));
        }
        let group = checked_snapshot_group(world, instance.properties, activity_id)?;
        let Some(cluster) = world.datasources.kubernetes_clusters.get(&datasource.key()) else { return Ok(None) };
        // Azure's AKS backup support matrix: the vault and the cluster are in one region and one subscription. (The
        // code is the emulator's choice.)
        let same_region =
            crate::util::normalize_location(&cluster.location) == crate::util::normalize_location(&vault.location);
        if !same_region || !datasource.subscription.eq_ignore_ascii_case(&vault.subscription) {
            return Err(ArmError::user_facing(
                StatusCode::BAD_REQUEST,
                "UserErrorVaultAndDatasourceNotColocated",
                format!(
                    "The Kubernetes cluster {} ({}) and the Backup vault {} ({}) must be in the same region and \
                     subscription.",
                    cluster.id, cluster.location, vault.id, vault.location
                ),
                &["Protect the cluster with a Backup vault in its own region and subscription."],
                activity_id,
            ));
        }
        let holder = format!("The managed identity of the Kubernetes cluster {}", cluster.id);
        let needs = [
            Need::vault(datasource.clone(), &ids::READER, "Microsoft.KubernetesConfiguration/extensions/read"),
            Need::vault(group.clone(), &ids::READER, "Microsoft.Resources/subscriptions/resourceGroups/read"),
            Need {
                principal: Some((cluster.principal_id.as_str(), holder)),
                scope: group,
                role: &ids::CONTRIBUTOR,
                action: "Microsoft.Compute/snapshots/write",
            },
        ];
        if let Some(error) = missing_permission(world, vault, &needs, activity_id) {
            return Ok(Some(error));
        }
        let extensions: Vec<_> = cluster
            .extensions
            .values()
            .filter(|extension| extension.extension_type.eq_ignore_ascii_case(BACKUP_EXTENSION_TYPE))
            .collect();
        if extensions.is_empty() {
            return deferred(
                "UserErrorKubernetesBackupExtensionNotFoundError",
                format!("The backup extension is not installed on the Kubernetes cluster {}.", cluster.id),
                "Install the backup extension (microsoft.dataprotection.kubernetes) on the cluster and retry.",
                activity_id,
            );
        }
        if !extensions.iter().any(|extension| extension.provisioning_state.eq_ignore_ascii_case("Succeeded")) {
            return deferred(
                "UserErrorKubernetesBackupExtensionHasErrors",
                format!("The backup extension on the Kubernetes cluster {} is not in the Succeeded state.", cluster.id),
                "Fix or reinstall the backup extension on the cluster and retry.",
                activity_id,
            );
        }
        let bound = cluster.bindings.values().any(|binding| {
            binding.source_resource_id.eq_ignore_ascii_case(&vault.id)
                && binding.roles.iter().any(|role| role.eq_ignore_ascii_case(BACKUP_OPERATOR_ROLE))
        });
        if !bound {
            return deferred(
                "UserErrorTrustedAccessGatewayReturnedForbidden",
                format!(
                    "The Trusted Access role binding is missing/has gotten removed from the cluster {} (none grants \
                     the Backup vault {} the role {BACKUP_OPERATOR_ROLE}).",
                    cluster.id, vault.id
                ),
                "Create a trusted access role binding on the cluster for the Backup vault and retry.",
                activity_id,
            );
        }
        Ok(None)
    }

    fn vault_roles(&self) -> &'static [BuiltInRole] {
        &[ids::READER]
    }

    /// A cluster ready for backup (the backup extension, a trusted access binding for the vault, Contributor for
    /// its identity on the snapshot resource group), and Reader for the vault on the subscription.
    fn add_to_default_world(&self, world: &mut DefaultWorld, scenario: &mut Scenario) {
        scenario.kubernetes_clusters.push(KubernetesClusterSeed {
            subscription_id: None,
            resource_group: world.workload_resource_group.to_owned(),
            name: AKS_CLUSTER.to_owned(),
            location: None,
            identity_principal_id: Some(AKS_CLUSTER_PRINCIPAL_ID.to_owned()),
            extensions: vec![ClusterExtensionSeed {
                name: AKS_BACKUP_EXTENSION.to_owned(),
                extension_type: BACKUP_EXTENSION_TYPE.to_owned(),
                provisioning_state: None,
                identity_principal_id: Some(AKS_EXTENSION_PRINCIPAL_ID.to_owned()),
                configuration_settings: None,
            }],
            trusted_access_role_bindings: vec![TrustedAccessRoleBindingSeed {
                name: AKS_TRUSTED_ACCESS_BINDING.to_owned(),
                source_resource_id: world.vault_id(),
                roles: vec![BACKUP_OPERATOR_ROLE.to_owned()],
            }],
        });
        world.grant(scenario, world.snapshot_resource_group_id(), &ids::CONTRIBUTOR, AKS_CLUSTER_PRINCIPAL_ID);
        world.grant_vault_on_subscription(&ids::READER);
    }
}

/// Adds (or replaces) a cluster; its identity joins the directory, so roles can be assigned to it. Returns its key.
fn add(world: &mut World, group_id: &str, name: &str, location: &str, principal_id: Option<&str>) -> String {
    let id = KubernetesClusters.id(group_id, name);
    let principal_id = principal_id.map_or_else(new_uuid, str::to_owned);
    let subscription = ArmId::parse(&id).map(|id| id.subscription).unwrap_or_default();
    world.directory.insert(principal_id.to_ascii_lowercase(), format!("identity of {id}"));
    let cluster = KubernetesCluster {
        id: id.clone(),
        name: name.to_owned(),
        location: location.to_owned(),
        principal_id,
        tenant_id: world.tenant_of(&subscription),
        extensions: BTreeMap::new(),
        bindings: BTreeMap::new(),
    };
    let key = id.to_ascii_lowercase();
    world.datasources.kubernetes_clusters.insert(key.clone(), cluster);
    key
}

/// Installs (or replaces) an extension on a cluster; its identity joins the directory.
fn add_extension(world: &mut World, cluster_key: &str, extension: ClusterExtension) {
    world.directory.insert(extension.principal_id.to_ascii_lowercase(), format!("extension {}", extension.name));
    if let Some(cluster) = world.datasources.kubernetes_clusters.get_mut(cluster_key) {
        cluster.extensions.insert(extension.name.to_ascii_lowercase(), extension);
    }
}

/// Adds (or replaces) a trusted access role binding on a cluster.
fn add_binding(world: &mut World, cluster_key: &str, binding: TrustedAccessBinding) {
    if let Some(cluster) = world.datasources.kubernetes_clusters.get_mut(cluster_key) {
        cluster.bindings.insert(binding.name.to_ascii_lowercase(), binding);
    }
}

fn render(cluster: &KubernetesCluster) -> Value {
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

fn render_extension(cluster: &KubernetesCluster, extension: &ClusterExtension) -> Value {
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

fn render_binding(cluster: &KubernetesCluster, binding: &TrustedAccessBinding) -> Value {
    json!({
        "id": format!("{}/trustedAccessRoleBindings/{}", cluster.id, binding.name),
        "name": binding.name,
        "type": "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings",
        "properties": { "sourceResourceId": binding.source_resource_id, "roles": binding.roles,
                        "provisioningState": "Succeeded" },
    })
}

/// A trusted access role binding from a request body. A Data Protection role granted to something that is not a
/// backup vault is refused as the service refuses it (Azure/azure-cli#27174).
fn binding_from(body: &Value, name: &str) -> Result<TrustedAccessBinding, ArmError> {
    let source = property(body, "sourceResourceId")
        .filter(|source| !source.is_empty())
        .ok_or_else(|| arm::invalid_content("properties.sourceResourceId is required"))?;
    let roles: Vec<String> = body
        .pointer("/properties/roles")
        .and_then(Value::as_array)
        .map(|roles| roles.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .filter(|roles: &Vec<String>| !roles.is_empty())
        .ok_or_else(|| arm::invalid_content("properties.roles is required"))?;
    let is_vault = ArmId::parse(source)
        .is_some_and(|id| id.resource_group.is_some() && id.is_type("Microsoft.DataProtection", &["backupVaults"]));
    let backup_role =
        roles.iter().any(|role| role.to_ascii_lowercase().starts_with("microsoft.dataprotection/backupvaults/"));
    if backup_role && !is_vault {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "The value of parameter properties.roles is invalid.",
        ));
    }
    Ok(TrustedAccessBinding { name: name.to_owned(), source_resource_id: source.to_owned(), roles })
}

impl KubernetesClusters {
    /// The key of an existing cluster; 404 `ParentResourceNotFound` for its sub-resources otherwise.
    fn cluster_key(&self, world: &World, group: &RequestGroup, name: &str) -> Result<String, ArmError> {
        let id = self.id(&group.id, name);
        let key = id.to_ascii_lowercase();
        if world.datasources.kubernetes_clusters.contains_key(&key) { Ok(key) } else { Err(arm::parent_not_found(&id)) }
    }

    fn extension(
        &self,
        world: &mut World,
        request: &ResourceRequest<'_>,
        group: &RequestGroup,
        cluster_name: &str,
    ) -> Result<Answer, ArmError> {
        let cluster_key = self.cluster_key(world, group, cluster_name)?;
        let Some(name) = &request.path.name else {
            return list_only(request, || {
                cluster_of(world, &cluster_key)
                    .map(|cluster| {
                        let extensions = cluster.extensions.iter();
                        extensions.map(|(key, e)| (key.clone(), render_extension(cluster, e))).collect()
                    })
                    .unwrap_or_default()
            });
        };
        let key = name.to_ascii_lowercase();
        match *request.method {
            Method::PUT => {
                let body = (request.body)()?;
                let extension_type = property(&body, "extensionType")
                    .filter(|kind| !kind.is_empty())
                    .ok_or_else(|| arm::invalid_content("properties.extensionType is required"))?
                    .to_owned();
                let cluster = world.datasources.kubernetes_clusters.get(&cluster_key);
                let existing = cluster.and_then(|cluster| cluster.extensions.get(&key));
                let created = existing.is_none();
                let principal_id = existing.map_or_else(new_uuid, |extension| extension.principal_id.clone());
                let configuration = body.pointer("/properties/configurationSettings").cloned().unwrap_or(json!({}));
                let extension = ClusterExtension {
                    name: name.clone(),
                    extension_type,
                    provisioning_state: "Succeeded".to_owned(),
                    principal_id,
                    configuration,
                };
                add_extension(world, &cluster_key, extension);
                let cluster = cluster_of(world, &cluster_key)?;
                let extension = cluster.extensions.get(&key).ok_or_else(|| arm::parent_not_found(&cluster.id))?;
                Ok(Answer::json(created_or_ok(created), render_extension(cluster, extension)))
            }
            Method::DELETE => {
                let cluster = world.datasources.kubernetes_clusters.get_mut(&cluster_key);
                Ok(deleted(cluster.and_then(|cluster| cluster.extensions.remove(&key)).is_some()))
            }
            _ => {
                let cluster = cluster_of(world, &cluster_key)?;
                let extension = cluster.extensions.get(&key).ok_or_else(|| {
                    arm::resource_not_found(
                        "Microsoft.KubernetesConfiguration/extensions",
                        name,
                        request.resource_group,
                    )
                })?;
                Ok(Answer::json(StatusCode::OK, render_extension(cluster, extension)))
            }
        }
    }

    fn binding(
        &self,
        world: &mut World,
        request: &ResourceRequest<'_>,
        group: &RequestGroup,
        cluster_name: &str,
    ) -> Result<Answer, ArmError> {
        let cluster_key = self.cluster_key(world, group, cluster_name)?;
        let Some(name) = &request.path.name else {
            return list_only(request, || {
                cluster_of(world, &cluster_key)
                    .map(|cluster| {
                        let bindings = cluster.bindings.iter();
                        bindings.map(|(key, b)| (key.clone(), render_binding(cluster, b))).collect()
                    })
                    .unwrap_or_default()
            });
        };
        let key = name.to_ascii_lowercase();
        match *request.method {
            Method::PUT => {
                let body = (request.body)()?;
                let binding = binding_from(&body, name)?;
                let created = !cluster_of(world, &cluster_key)?.bindings.contains_key(&key);
                add_binding(world, &cluster_key, binding);
                let cluster = cluster_of(world, &cluster_key)?;
                let binding = cluster.bindings.get(&key).ok_or_else(|| arm::parent_not_found(&cluster.id))?;
                Ok(Answer::json(created_or_ok(created), render_binding(cluster, binding)))
            }
            Method::DELETE => {
                let cluster = world.datasources.kubernetes_clusters.get_mut(&cluster_key);
                Ok(deleted(cluster.and_then(|cluster| cluster.bindings.remove(&key)).is_some()))
            }
            _ => {
                let cluster = cluster_of(world, &cluster_key)?;
                let binding = cluster.bindings.get(&key).ok_or_else(|| {
                    arm::resource_not_found(
                        "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings",
                        &format!("{cluster_name}/{name}"),
                        request.resource_group,
                    )
                })?;
                Ok(Answer::json(StatusCode::OK, render_binding(cluster, binding)))
            }
        }
    }
}

fn cluster_of<'a>(world: &'a World, key: &str) -> Result<&'a KubernetesCluster, ArmError> {
    world.datasources.kubernetes_clusters.get(key).ok_or_else(|| arm::parent_not_found(key))
}

placed!(KubernetesCluster);
placement!(KubernetesClusterSeed);

impl ArmType for KubernetesClusters {
    type Item = KubernetesCluster;
    type Seed = KubernetesClusterSeed;

    fn info(&self) -> &'static TypeInfo {
        &TypeInfo {
            namespace: "Microsoft.ContainerService",
            type_name: CLUSTERS,
            noun: "Kubernetes cluster",
            with: Some("(with Microsoft.KubernetesConfiguration/extensions and trustedAccessRoleBindings)"),
            known_at_subscription_scope: false,
            routes: ROUTES,
        }
    }

    fn stored<'w>(&self, world: &'w World) -> &'w HashMap<String, KubernetesCluster> {
        &world.datasources.kubernetes_clusters
    }

    fn stored_mut<'w>(&self, world: &'w mut World) -> &'w mut HashMap<String, KubernetesCluster> {
        &mut world.datasources.kubernetes_clusters
    }

    fn render(&self, cluster: &KubernetesCluster) -> Value {
        render(cluster)
    }

    /// A new cluster gets a new identity; an existing one changes its region only.
    fn put(&self, world: &mut World, put: &Put<'_>) -> Result<(), ArmError> {
        let location = put.group.location(put.body);
        match world.datasources.kubernetes_clusters.get_mut(&put.id.to_ascii_lowercase()) {
            Some(cluster) => cluster.location = location,
            None => {
                add(world, &put.group.id, put.name, &location, None);
            }
        }
        Ok(())
    }

    fn serve_below(
        &self,
        world: &mut World,
        request: &ResourceRequest<'_>,
        group: &RequestGroup,
        cluster: &str,
    ) -> Result<Answer, ArmError> {
        match request.path.route.path {
            EXTENSIONS => self.extension(world, request, group, cluster),
            BINDINGS => self.binding(world, request, group, cluster),
            _ => Err(unknown_route(request.path)),
        }
    }

    fn seeds<'s>(&self, scenario: &'s Scenario) -> &'s [KubernetesClusterSeed] {
        &scenario.kubernetes_clusters
    }

    fn seeds_mut<'s>(&self, scenario: &'s mut Scenario) -> &'s mut Vec<KubernetesClusterSeed> {
        &mut scenario.kubernetes_clusters
    }

    fn add_seed(&self, world: &mut World, group_id: &str, location: &str, seed: &KubernetesClusterSeed, _now_ms: u64) {
        let key = add(world, group_id, &seed.name, location, seed.identity_principal_id.as_deref());
        for extension in &seed.extensions {
            let extension = ClusterExtension {
                name: extension.name.clone(),
                extension_type: extension.extension_type.clone(),
                provisioning_state: extension.provisioning_state.clone().unwrap_or_else(|| "Succeeded".to_owned()),
                principal_id: extension.identity_principal_id.clone().unwrap_or_else(new_uuid),
                configuration: extension.configuration_settings.clone().unwrap_or_else(|| json!({})),
            };
            add_extension(world, &key, extension);
        }
        for binding in &seed.trusted_access_role_bindings {
            let binding = TrustedAccessBinding {
                name: binding.name.clone(),
                source_resource_id: binding.source_resource_id.clone(),
                roles: binding.roles.clone(),
            };
            add_binding(world, &key, binding);
        }
    }

    fn to_seed(
        &self,
        cluster: &KubernetesCluster,
        subscription_id: String,
        resource_group: String,
    ) -> KubernetesClusterSeed {
        KubernetesClusterSeed {
            subscription_id: Some(subscription_id),
            resource_group,
            name: cluster.name.clone(),
            location: Some(cluster.location.clone()),
            identity_principal_id: Some(cluster.principal_id.clone()),
            extensions: cluster
                .extensions
                .values()
                .map(|extension| ClusterExtensionSeed {
                    name: extension.name.clone(),
                    extension_type: extension.extension_type.clone(),
                    provisioning_state: Some(extension.provisioning_state.clone()),
                    identity_principal_id: Some(extension.principal_id.clone()),
                    configuration_settings: Some(extension.configuration.clone()),
                })
                .collect(),
            trusted_access_role_bindings: cluster
                .bindings
                .values()
                .map(|binding| TrustedAccessRoleBindingSeed {
                    name: binding.name.clone(),
                    source_resource_id: binding.source_resource_id.clone(),
                    roles: binding.roles.clone(),
                })
                .collect(),
        }
    }

    fn describe(&self, cluster: &KubernetesCluster, entry: &mut InventoryDatasource) {
        entry.children = cluster.extensions.values().map(|extension| extension.name.clone()).collect();
        entry.identity_principal_id = Some(cluster.principal_id.clone());
        entry.trusted_access_sources = cluster.bindings.values().map(|b| b.source_resource_id.clone()).collect();
    }
}
