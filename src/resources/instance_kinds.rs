//! The kinds of datasource a backup instance protects, and what each brings to the backup instance resource: its
//! resource type name, the datasource it takes, its own arguments and how they travel to Azure and back, and the
//! roles the vault's identity needs. Everything else (validateForBackup at plan, the PUT and its operation, the
//! waits, delete, soft delete, refresh by list, import) is the one lifecycle in `backup_instance/`.

use serde_json::json;

use crate::arm::ids::{GenericResourceId, ResourceGroupId};
use crate::arm::models::{BackupInstanceResource, DISK_DATASOURCE_TYPE, DataStoreParameters, PolicyParameters};
use crate::arm::roles::{self, Need};
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::schema::{Attribute, Block, NestedBlock};
use crate::plugin::value::{Type, Value};

use super::backup_instance::{InstanceObject, attr};
use super::model::{self, Spelling};

/// What one kind of datasource brings to the backup instance resource.
pub(crate) trait InstanceKind: Send + Sync + 'static {
    /// The resource type name, for example `dataprotection_backup_instance_blob_storage`.
    const TYPE_NAME: &'static str;
    /// The `datasourceType` Azure is sent, for example `Microsoft.Storage/storageAccounts/blobServices`.
    const DATASOURCE_TYPE: &'static str;
    /// The ARM type of the resource `datasource_id` names, for example `Microsoft.Storage/storageAccounts`.
    const RESOURCE_TYPE: &'static str;
    /// What the datasource is, for messages and docs: `managed disk`, `storage account`.
    const NOUN: &'static str;
    /// Whether `datasource_type` is an argument (the disk resource, as published) or computed only.
    const DATASOURCE_TYPE_ARGUMENT: bool = false;
    /// Whether `dataSourceSetInfo` is sent beside `dataSourceInfo`.
    const SENDS_DATASOURCE_SET: bool = true;
    /// The hint shown with permission errors.
    const PERMISSIONS_HINT: &'static str;
    /// How the kind's own attributes compare between two spellings.
    const SPELLINGS: model::Spellings = &[];
    /// Whether Azure refuses to move an instance of this kind to another policy, so that a new policy replaces it.
    const POLICY_CHANGE_REPLACES: bool = false;
    /// The kind's arguments whose change Azure takes with another PUT of the instance (an update in place).
    const UPDATED_BY_PUT: &'static [&'static str] = &[];

    /// The resource's description.
    fn description() -> String;
    /// The kind's own attributes.
    fn attributes() -> Vec<Attribute> {
        Vec::new()
    }
    /// The kind's own blocks.
    fn blocks() -> Vec<NestedBlock> {
        Vec::new()
    }
    /// Offline checks of the kind's own arguments; unknown values are skipped.
    fn validate(_config: &Value, _diags: &mut Diagnostics) {}
    /// The policy parameters the arguments of a planned state (or config) ask for. `Err` when one is invalid
    /// (validate has reported it).
    fn policy_parameters(arguments: &InstanceObject) -> Result<Option<PolicyParameters>, ()>;
    /// Sets the kind's own attributes in `state`, as Azure reports them.
    fn read_attributes(_instance: &BackupInstanceResource, _state: &mut InstanceObject) {}
    /// The roles the vault's identity needs for this datasource; `None` when they cannot be told.
    fn needs(datasource: &GenericResourceId, parameters: Option<&PolicyParameters>) -> Option<Vec<Need>>;
    /// The kind's attribute an Azure error code (lower case) is about, when it is one of the kind's own.
    fn attribute_for_code(_code: &str) -> Option<&'static str> {
        None
    }
    /// Changes of arguments Azure otherwise takes in place that replace the instance all the same.
    fn replaced_by(_prior: &Value, _planned: &Value) -> Vec<AttributePath> {
        Vec::new()
    }
    /// What to do about an Azure error code (lower case) of this kind, when there is more to say than Azure does.
    fn hint_for_code(_code: &str) -> Option<&'static str> {
        None
    }
}

/// The operational store's resource group in policy parameters, when there is one.
pub(crate) fn operational_resource_group(parameters: &PolicyParameters) -> Option<String> {
    parameters
        .data_store_parameters_list
        .iter()
        .find(|d| d.data_store_type.eq_ignore_ascii_case("OperationalStore"))
        .and_then(|d| d.resource_group_id.clone())
        .filter(|s| !s.is_empty())
}

/// The first backup datasource parameters of `object_type` in an instance.
fn datasource_parameters<'a>(instance: &'a BackupInstanceResource, object_type: &str) -> Option<&'a serde_json::Value> {
    let parameters = instance.properties.policy_info.policy_parameters.as_ref()?;
    parameters.backup_datasource_parameters_list.iter().find(|p| {
        p.get("objectType").and_then(serde_json::Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case(object_type))
    })
}

/// Operational store parameters naming a snapshot resource group.
fn operational_store(resource_group: &ResourceGroupId) -> DataStoreParameters {
    DataStoreParameters {
        object_type: "AzureOperationalStoreParameters".to_owned(),
        data_store_type: "OperationalStore".to_owned(),
        resource_group_id: Some(resource_group.to_string()),
    }
}

/// The snapshot resource group argument: `Err` when invalid, `Ok(None)` when unset.
fn snapshot_group_argument(arguments: &InstanceObject) -> Result<Option<ResourceGroupId>, ()> {
    arguments.snapshot_resource_group_id.as_deref().map(|s| s.parse().map_err(|_| ())).transpose()
}

/// Checks `snapshot_resource_group_id`: a resource group ID, and required once `datasource_id` is known.
fn validate_snapshot_group(config: &Value, diags: &mut Diagnostics, why: &str) {
    match config.attr(attr::snapshot_resource_group_id) {
        Value::String(s) => {
            if let Err(e) = s.parse::<ResourceGroupId>() {
                diags.attribute_error(
                    AttributePath::root(attr::snapshot_resource_group_id),
                    "Invalid resource group ID",
                    format!("{e}."),
                );
            }
        }
        Value::Null if config.attr(attr::datasource_id).as_str().is_some() => diags.attribute_error(
            AttributePath::root(attr::snapshot_resource_group_id),
            "Missing snapshot resource group",
            why.to_owned(),
        ),
        _ => {}
    }
}

/// The `snapshot_resource_group_id` attribute.
fn snapshot_group_attribute(what: &str) -> Attribute {
    Attribute::optional(attr::snapshot_resource_group_id, Type::String).force_new().description(format!(
        "The ARM ID of the resource group that holds the {what} (the operational store); it may be in another \
         subscription. Required."
    ))
}

/// The snapshot resource group Azure reports, into state.
fn read_snapshot_group(instance: &BackupInstanceResource, state: &mut InstanceObject) {
    state.snapshot_resource_group_id =
        instance.properties.policy_info.policy_parameters.as_ref().and_then(operational_resource_group);
}

/// A JSON array of strings as a list, `None` when absent or empty.
fn string_list(json: Option<&serde_json::Value>) -> Option<Vec<String>> {
    let items: Vec<String> = json
        .and_then(serde_json::Value::as_array)
        .map(|a| a.iter().filter_map(serde_json::Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    (!items.is_empty()).then_some(items)
}

/// The resource group a resource ID is in, as an ID.
fn resource_group_of(datasource: &GenericResourceId) -> String {
    let id = datasource.to_string();
    let lower = id.to_ascii_lowercase();
    match lower.find("/providers/") {
        Some(at) => id[..at].to_owned(),
        None => id,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Managed disks

/// Managed disks: `dataprotection_backup_instance`.
#[derive(Debug, Default)]
pub struct Disk;

impl InstanceKind for Disk {
    const TYPE_NAME: &'static str = "dataprotection_backup_instance";
    const DATASOURCE_TYPE: &'static str = DISK_DATASOURCE_TYPE;
    const RESOURCE_TYPE: &'static str = DISK_DATASOURCE_TYPE;
    const NOUN: &'static str = "managed disk";
    const DATASOURCE_TYPE_ARGUMENT: bool = true;
    const SENDS_DATASOURCE_SET: bool = false;
    const PERMISSIONS_HINT: &'static str = "The backup vault's managed identity needs the \"Disk Backup Reader\" role \
on the disk and the \"Disk Snapshot Contributor\" role on the snapshot resource group. Role assignments can take a \
few minutes to take effect; make the backup instance depend on them (depends_on).";
    const SPELLINGS: model::Spellings = &[(attr::snapshot_resource_group_id, Spelling::Id)];

    fn description() -> String {
        "Protects a managed disk with a backup policy in an Azure Backup vault (Microsoft.DataProtection backup \
         instance). Plan runs Azure's validateForBackup for new instances, so missing permissions and \
         already-protected disks fail the plan, not the apply."
            .to_owned()
    }

    fn attributes() -> Vec<Attribute> {
        vec![snapshot_group_attribute("disk's snapshots")]
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        validate_snapshot_group(
            config,
            diags,
            "snapshot_resource_group_id is required for managed disks: Azure keeps the disk's snapshots there.",
        );
    }

    fn policy_parameters(arguments: &InstanceObject) -> Result<Option<PolicyParameters>, ()> {
        Ok(snapshot_group_argument(arguments)?.map(|rg| PolicyParameters {
            data_store_parameters_list: vec![operational_store(&rg)],
            ..PolicyParameters::default()
        }))
    }

    fn read_attributes(instance: &BackupInstanceResource, state: &mut InstanceObject) {
        read_snapshot_group(instance, state);
    }

    fn needs(datasource: &GenericResourceId, parameters: Option<&PolicyParameters>) -> Option<Vec<Need>> {
        let group = parameters.and_then(operational_resource_group)?;
        Some(roles::disk_backup_needs(&datasource.to_string(), &group))
    }

    fn attribute_for_code(code: &str) -> Option<&'static str> {
        (code.contains("snapshotrg") || code.contains("operationalstore") || code.contains("resourcegroup"))
            .then_some(attr::snapshot_resource_group_id)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Blob storage and Data Lake Storage

/// The `storage_account_container_names` argument's checks: a non-empty list of container names.
fn validate_containers(config: &Value, diags: &mut Diagnostics, required_why: Option<&str>) {
    let path = || AttributePath::root(attr::storage_account_container_names);
    match config.attr(attr::storage_account_container_names) {
        Value::Null => {
            if let Some(why) = required_why {
                diags.attribute_error(path(), "Missing containers", why.to_owned());
            }
        }
        Value::List(items) => {
            if items.is_empty() {
                diags.attribute_error(
                    path(),
                    "No containers",
                    "storage_account_container_names is empty: name the containers to back up, or leave it unset.",
                );
            }
            let mut seen = std::collections::HashSet::new();
            for (i, item) in items.iter().enumerate() {
                let Some(name) = item.as_str() else { continue };
                let at = path().index(i as i64);
                if let Err(reason) = check_container_name(name) {
                    diags.attribute_error(at, "Invalid container name", format!("{name:?}: {reason}."));
                } else if !seen.insert(name) {
                    diags.attribute_error(at, "Container named twice", format!("{name:?} is in the list twice."));
                }
            }
        }
        _ => {}
    }
}

/// Azure Storage's rules for a container name.
fn check_container_name(name: &str) -> Result<(), String> {
    if !(3..=63).contains(&name.len()) {
        return Err("a container name has 3 to 63 characters".to_owned());
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err("a container name has lower-case letters, digits and hyphens only".to_owned());
    }
    if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        return Err(
            "a container name starts and ends with a letter or digit and has no two hyphens in a row".to_owned()
        );
    }
    Ok(())
}

/// The containers Azure reports in policy parameters of `object_type`, into state.
fn read_containers(instance: &BackupInstanceResource, state: &mut InstanceObject, object_type: &str) {
    let containers = datasource_parameters(instance, object_type).map(|p| &p["containersList"]);
    state.storage_account_container_names = string_list(containers);
}

/// The containers argument, for the Azure error codes about containers.
fn container_attribute(code: &str) -> Option<&'static str> {
    code.contains("container").then_some(attr::storage_account_container_names)
}

/// The containers argument as policy parameters of `object_type`.
fn container_parameters(arguments: &InstanceObject, object_type: &str) -> Result<Option<PolicyParameters>, ()> {
    Ok(arguments.storage_account_container_names.clone().map(|containers| PolicyParameters {
        backup_datasource_parameters_list: vec![json!({ "objectType": object_type, "containersList": containers })],
        ..PolicyParameters::default()
    }))
}

/// What blob and Data Lake backup need: Storage Account Backup Contributor on the account.
fn storage_account_needs(datasource: &GenericResourceId) -> Vec<Need> {
    vec![Need {
        role: "Storage Account Backup Contributor",
        roles: &[roles::STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR, roles::CONTRIBUTOR, roles::OWNER],
        scope: datasource.to_string(),
    }]
}

/// The hint for blob and Data Lake permission errors.
const STORAGE_PERMISSIONS_HINT: &str = "The backup vault's managed identity needs the \"Storage Account Backup \
Contributor\" role on the storage account. Role assignments can take a few minutes to take effect; make the backup \
instance depend on them (depends_on).";

/// Blob storage, operational (no containers) or vaulted (containers named):
/// `dataprotection_backup_instance_blob_storage`.
#[derive(Debug, Default)]
pub struct BlobStorage;

impl InstanceKind for BlobStorage {
    const TYPE_NAME: &'static str = "dataprotection_backup_instance_blob_storage";
    const DATASOURCE_TYPE: &'static str = "Microsoft.Storage/storageAccounts/blobServices";
    const RESOURCE_TYPE: &'static str = "Microsoft.Storage/storageAccounts";
    const NOUN: &'static str = "storage account";
    const PERMISSIONS_HINT: &'static str = STORAGE_PERMISSIONS_HINT;
    const UPDATED_BY_PUT: &'static [&'static str] = &[attr::storage_account_container_names];

    fn description() -> String {
        "Protects the blobs of a storage account with a blob backup policy in an Azure Backup vault: operational \
         backup (point-in-time restore in the account itself) and, with `storage_account_container_names`, vaulted \
         backup of those containers. Plan runs Azure's validateForBackup for new instances, so a missing role or \
         storage account fails the plan, not the apply."
            .to_owned()
    }

    fn attributes() -> Vec<Attribute> {
        vec![Attribute::optional(attr::storage_account_container_names, Type::list(Type::String)).description(
            "The containers vaulted backup copies to the vault. Required when the policy has vaulted backup \
             (`vault_default_retention_duration`); leave it unset for a policy with operational backup only. \
             Changing it updates the instance in place; removing it replaces the instance.",
        )]
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        validate_containers(config, diags, None);
        // Without containers the instance has operational backup only, which Azure does not stop
        // (UserErrorStopProtectionNotSupportedForBlobOperationalBackup).
        if config.attr(attr::storage_account_container_names).is_null() {
            let stop = "Azure does not stop the protection of operational blob backup \
                        (UserErrorStopProtectionNotSupportedForBlobOperationalBackup), and without \
                        storage_account_container_names this instance has operational backup only.";
            if config.attr(attr::retain_data_on_destroy).as_bool() == Some(true) {
                diags.attribute_error(
                    AttributePath::root(attr::retain_data_on_destroy),
                    "Operational blob backup cannot keep its data on destroy",
                    format!("{stop} Leave retain_data_on_destroy unset: destroying the instance deletes it."),
                );
            }
            if config.attr(attr::protection_state).as_str().is_some_and(|s| s.eq_ignore_ascii_case("ProtectionStopped"))
            {
                diags.attribute_error(
                    AttributePath::root(attr::protection_state),
                    "Operational blob backup cannot be stopped",
                    stop.to_owned(),
                );
            }
        }
    }

    fn policy_parameters(arguments: &InstanceObject) -> Result<Option<PolicyParameters>, ()> {
        container_parameters(arguments, "BlobBackupDatasourceParameters")
    }

    /// Vaulted backup is turned off by replacing the instance (as azurerm does): an instance whose containers are
    /// all removed would otherwise be sent again under its vaulted policy without any.
    fn replaced_by(prior: &Value, planned: &Value) -> Vec<AttributePath> {
        let name = attr::storage_account_container_names;
        if !prior.attr(name).is_null() && planned.attr(name).is_null() {
            vec![AttributePath::root(name)]
        } else {
            Vec::new()
        }
    }

    fn read_attributes(instance: &BackupInstanceResource, state: &mut InstanceObject) {
        read_containers(instance, state, "BlobBackupDatasourceParameters");
    }

    fn needs(datasource: &GenericResourceId, _: Option<&PolicyParameters>) -> Option<Vec<Need>> {
        Some(storage_account_needs(datasource))
    }

    fn attribute_for_code(code: &str) -> Option<&'static str> {
        container_attribute(code)
    }

    fn hint_for_code(code: &str) -> Option<&'static str> {
        if code.contains("nocontainersselected") {
            Some(
                "The backup policy has vaulted backup (vault_default_retention_duration): name the containers it copies \
                 in storage_account_container_names.",
            )
        } else if code.contains("unsupportedstorageaccounttype") {
            Some(
                "Blob backup does not protect storage accounts with a hierarchical namespace (Data Lake Storage): use \
                 dataprotection_backup_instance_data_lake_storage for them.",
            )
        } else {
            None
        }
    }
}

/// Data Lake Storage (storage accounts with a hierarchical namespace), vaulted backup of named containers:
/// `dataprotection_backup_instance_data_lake_storage`.
#[derive(Debug, Default)]
pub struct DataLakeStorage;

impl InstanceKind for DataLakeStorage {
    const TYPE_NAME: &'static str = "dataprotection_backup_instance_data_lake_storage";
    const DATASOURCE_TYPE: &'static str = "Microsoft.Storage/storageAccounts/adlsBlobServices";
    const RESOURCE_TYPE: &'static str = "Microsoft.Storage/storageAccounts";
    const NOUN: &'static str = "storage account";
    const PERMISSIONS_HINT: &'static str = STORAGE_PERMISSIONS_HINT;
    const UPDATED_BY_PUT: &'static [&'static str] = &[attr::storage_account_container_names];

    fn description() -> String {
        "Protects containers of an Azure Data Lake Storage account (a storage account with a hierarchical \
         namespace) with vaulted backup in an Azure Backup vault. Plan runs Azure's validateForBackup for new \
         instances, so a missing role or storage account fails the plan, not the apply."
            .to_owned()
    }

    fn attributes() -> Vec<Attribute> {
        vec![
            Attribute::required(attr::storage_account_container_names, Type::list(Type::String))
                .description("The containers backed up to the vault. Changing it updates the instance in place."),
        ]
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        validate_containers(config, diags, Some("Data Lake Storage backup copies named containers."));
    }

    fn policy_parameters(arguments: &InstanceObject) -> Result<Option<PolicyParameters>, ()> {
        container_parameters(arguments, "AdlsBlobBackupDatasourceParameters")
    }

    fn read_attributes(instance: &BackupInstanceResource, state: &mut InstanceObject) {
        read_containers(instance, state, "AdlsBlobBackupDatasourceParameters");
    }

    fn hint_for_code(code: &str) -> Option<&'static str> {
        code.contains("unsupportedstorageaccounttype").then_some(
            "Data Lake Storage backup protects storage accounts with a hierarchical namespace only: use \
             dataprotection_backup_instance_blob_storage for other storage accounts.",
        )
    }

    fn needs(datasource: &GenericResourceId, _: Option<&PolicyParameters>) -> Option<Vec<Need>> {
        Some(storage_account_needs(datasource))
    }

    fn attribute_for_code(code: &str) -> Option<&'static str> {
        container_attribute(code)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes clusters

model::attributes! {
    /// The `backup_datasource_parameters` block of a Kubernetes cluster's backup instance: what its backup covers.
    pub(crate) struct KubernetesParameters, names in aks {
        excluded_namespaces: Vec<String> => optional(Type::list(Type::String))
            .force_new()
            .description("Namespaces left out of the backup."),
        excluded_resource_types: Vec<String> => optional(Type::list(Type::String))
            .force_new()
            .description("Resource types left out of the backup, for example `v1/Secret`."),
        included_namespaces: Vec<String> => optional(Type::list(Type::String))
            .force_new()
            .description("Namespaces backed up; all when unset."),
        included_resource_types: Vec<String> => optional(Type::list(Type::String))
            .force_new()
            .description("Resource types backed up; all when unset."),
        label_selectors: Vec<String> => optional(Type::list(Type::String))
            .force_new()
            .description("Label selectors (`key=value`) that select the resources backed up."),
        cluster_scoped_resources_enabled: bool => optional(Type::Bool)
            .force_new()
            .description("Whether cluster-scoped resources are backed up. Defaults to `false`."),
        volume_snapshot_enabled: bool => optional(Type::Bool)
            .force_new()
            .description("Whether persistent volumes are snapshotted. Defaults to `false`."),
    }
}

/// The `objectType` of Azure's Kubernetes backup datasource parameters.
const KUBERNETES_PARAMETERS: &str = "KubernetesClusterBackupDatasourceParameters";

/// The lists of `backup_datasource_parameters`.
const KUBERNETES_LISTS: &[&str] = &[
    aks::excluded_namespaces,
    aks::excluded_resource_types,
    aks::included_namespaces,
    aks::included_resource_types,
    aks::label_selectors,
];

impl KubernetesParameters {
    /// The block's lists, with the JSON names Azure uses for them.
    fn lists(&self) -> [(&'static str, &Option<Vec<String>>); 5] {
        [
            ("excludedNamespaces", &self.excluded_namespaces),
            ("excludedResourceTypes", &self.excluded_resource_types),
            ("includedNamespaces", &self.included_namespaces),
            ("includedResourceTypes", &self.included_resource_types),
            ("labelSelectors", &self.label_selectors),
        ]
    }

    /// Azure's `KubernetesClusterBackupDatasourceParameters` for this block: the switches always (off when unset),
    /// the lists that are set.
    fn to_azure(&self) -> serde_json::Value {
        let mut json = serde_json::Map::new();
        json.insert("objectType".into(), json!(KUBERNETES_PARAMETERS));
        json.insert(
            "includeClusterScopeResources".into(),
            json!(self.cluster_scoped_resources_enabled.unwrap_or(false)),
        );
        json.insert("snapshotVolumes".into(), json!(self.volume_snapshot_enabled.unwrap_or(false)));
        for (key, items) in self.lists() {
            if let Some(items) = items {
                json.insert(key.into(), json!(items));
            }
        }
        serde_json::Value::Object(json)
    }

    /// The block as Azure's parameters `p` describe it: a list Azure leaves out or empty is unset.
    fn from_azure(p: &serde_json::Value) -> KubernetesParameters {
        let list = |key: &str| string_list(p.get(key));
        let switch = |key: &str| Some(p.get(key).and_then(serde_json::Value::as_bool).unwrap_or(false));
        KubernetesParameters {
            excluded_namespaces: list("excludedNamespaces"),
            excluded_resource_types: list("excludedResourceTypes"),
            included_namespaces: list("includedNamespaces"),
            included_resource_types: list("includedResourceTypes"),
            label_selectors: list("labelSelectors"),
            cluster_scoped_resources_enabled: switch("includeClusterScopeResources"),
            volume_snapshot_enabled: switch("snapshotVolumes"),
        }
    }
}

/// Azure Kubernetes Service clusters: `dataprotection_backup_instance_kubernetes_cluster`.
#[derive(Debug, Default)]
pub struct KubernetesCluster;

impl KubernetesCluster {
    fn parameters_block() -> NestedBlock {
        let mut block = NestedBlock::list(
            attr::backup_datasource_parameters,
            Block {
                attributes: KubernetesParameters::attributes(),
                description: "What the backup of the cluster covers; Azure's defaults apply when it is not set."
                    .to_owned(),
                ..Block::default()
            },
        )
        .force_new();
        block.max_items = 1;
        block
    }
}

impl InstanceKind for KubernetesCluster {
    const TYPE_NAME: &'static str = "dataprotection_backup_instance_kubernetes_cluster";
    const DATASOURCE_TYPE: &'static str = "Microsoft.ContainerService/managedClusters";
    const RESOURCE_TYPE: &'static str = "Microsoft.ContainerService/managedClusters";
    const NOUN: &'static str = "Kubernetes cluster";
    // Azure's support matrix for AKS backup: changing the policy of a backup instance is not supported.
    const POLICY_CHANGE_REPLACES: bool = true;
    const PERMISSIONS_HINT: &'static str = "The backup vault's managed identity needs the \"Reader\" role on the \
cluster and on the snapshot resource group, and the cluster's identity the \"Contributor\" role on the snapshot \
resource group. The cluster also needs the backup extension (Microsoft.DataProtection.Kubernetes) and a trusted access \
role binding for the vault (role Microsoft.DataProtection/backupVaults/backup-operator). Role assignments can take a \
few minutes to take effect; make the backup instance depend on them (depends_on).";
    const SPELLINGS: model::Spellings = &[(attr::snapshot_resource_group_id, Spelling::Id)];

    fn description() -> String {
        "Protects an Azure Kubernetes Service cluster with a Kubernetes backup policy in an Azure Backup vault. The \
         cluster needs the backup extension and a trusted access role binding for the vault before it is protected. \
         Plan runs Azure's validateForBackup for new instances, so missing prerequisites and roles fail the plan, not \
         the apply."
            .to_owned()
    }

    fn attributes() -> Vec<Attribute> {
        vec![snapshot_group_attribute("cluster's volume snapshots and backups")]
    }

    fn blocks() -> Vec<NestedBlock> {
        vec![Self::parameters_block()]
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        validate_snapshot_group(
            config,
            diags,
            "snapshot_resource_group_id is required for Kubernetes clusters: Azure keeps the backups there.",
        );
        // Azure's AKS backup support matrix: the vault and the cluster are in one subscription (and one region).
        let subscription = |name: &str| {
            let id = config.attr(name).as_str()?;
            let mut parts = id.trim_start_matches('/').split('/');
            parts.next().filter(|p| p.eq_ignore_ascii_case("subscriptions"))?;
            parts.next().map(str::to_ascii_lowercase)
        };
        if let (Some(vault), Some(cluster)) = (subscription(attr::vault_id), subscription(attr::datasource_id))
            && vault != cluster
        {
            diags.attribute_error(
                AttributePath::root(attr::datasource_id),
                "Cluster and vault in different subscriptions",
                format!(
                    "The cluster is in subscription {cluster} and the vault in {vault}; Azure backs up a Kubernetes \
                     cluster only with a Backup vault in its own subscription and region."
                ),
            );
        }
        if let Some(block) = config.attr(attr::backup_datasource_parameters).as_elements().and_then(|l| l.first()) {
            for name in KUBERNETES_LISTS {
                if let Value::List(items) = block.attr(name) {
                    for (i, item) in items.iter().enumerate() {
                        if item.as_str().is_some_and(|s| s.trim().is_empty()) {
                            diags.attribute_error(
                                AttributePath::root(attr::backup_datasource_parameters)
                                    .index(0)
                                    .attribute(name)
                                    .index(i as i64),
                                "Empty value",
                                format!("{name} holds an empty string."),
                            );
                        }
                    }
                }
            }
        }
    }

    fn policy_parameters(arguments: &InstanceObject) -> Result<Option<PolicyParameters>, ()> {
        let group = snapshot_group_argument(arguments)?;
        let block = arguments.backup_datasource_parameters.as_ref().and_then(|blocks| blocks.first());
        Ok(Some(PolicyParameters {
            data_store_parameters_list: group.iter().map(operational_store).collect(),
            backup_datasource_parameters_list: block.map(KubernetesParameters::to_azure).into_iter().collect(),
        }))
    }

    fn read_attributes(instance: &BackupInstanceResource, state: &mut InstanceObject) {
        read_snapshot_group(instance, state);
        state.backup_datasource_parameters =
            datasource_parameters(instance, KUBERNETES_PARAMETERS).map(|p| vec![KubernetesParameters::from_azure(p)]);
    }

    fn needs(datasource: &GenericResourceId, parameters: Option<&PolicyParameters>) -> Option<Vec<Need>> {
        let group = parameters.and_then(operational_resource_group)?;
        Some(vec![
            Need {
                role: "Reader",
                roles: &[roles::READER, roles::CONTRIBUTOR, roles::OWNER],
                scope: datasource.to_string(),
            },
            Need { role: "Reader", roles: &[roles::READER, roles::CONTRIBUTOR, roles::OWNER], scope: group },
        ])
    }

    fn attribute_for_code(code: &str) -> Option<&'static str> {
        if code.contains("snapshotrg") || code.contains("operationalstore") || code.contains("resourcegroup") {
            Some(attr::snapshot_resource_group_id)
        } else if code.contains("extension") || code.contains("trustedaccess") || code.contains("cluster") {
            Some(attr::datasource_id)
        } else {
            None
        }
    }

    fn hint_for_code(code: &str) -> Option<&'static str> {
        if code.contains("backupextension") {
            Some(
                "Install the backup extension on the cluster (extension type microsoft.dataprotection.kubernetes, for \
                 example with azurerm_kubernetes_cluster_extension), give its identity \"Storage Blob Data \
                 Contributor\" on its storage account, and make the backup instance depend on it.",
            )
        } else if code.contains("trustedaccess") {
            Some(
                "Bind the vault to the cluster with trusted access (role \
                 Microsoft.DataProtection/backupVaults/backup-operator, for example with \
                 azurerm_kubernetes_cluster_trusted_access_role_binding), and make the backup instance depend on it.",
            )
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Database servers

/// The roles a database server's backup needs: `role` on the server and Reader on its resource group.
fn server_needs(datasource: &GenericResourceId, role: &'static str, guid: &'static [&'static str]) -> Vec<Need> {
    vec![
        Need { role, roles: guid, scope: datasource.to_string() },
        Need {
            role: "Reader",
            roles: &[roles::READER, roles::CONTRIBUTOR, roles::OWNER],
            scope: resource_group_of(datasource),
        },
    ]
}

/// Azure Database for PostgreSQL flexible servers: `dataprotection_backup_instance_postgresql_flexible_server`.
#[derive(Debug, Default)]
pub struct PostgreSqlFlexibleServer;

impl InstanceKind for PostgreSqlFlexibleServer {
    const TYPE_NAME: &'static str = "dataprotection_backup_instance_postgresql_flexible_server";
    const DATASOURCE_TYPE: &'static str = "Microsoft.DBforPostgreSQL/flexibleServers";
    const RESOURCE_TYPE: &'static str = "Microsoft.DBforPostgreSQL/flexibleServers";
    const NOUN: &'static str = "PostgreSQL flexible server";
    const PERMISSIONS_HINT: &'static str = "The backup vault's managed identity needs the \"PostgreSQL Flexible \
Server Long Term Retention Backup Role\" on the server and the \"Reader\" role on the server's resource group. Role \
assignments can take a few minutes to take effect; make the backup instance depend on them (depends_on).";

    fn description() -> String {
        "Protects an Azure Database for PostgreSQL flexible server with long-term retention backups (a PostgreSQL \
         flexible server backup policy) in an Azure Backup vault. Plan runs Azure's validateForBackup for new \
         instances, so a missing role fails the plan, not the apply."
            .to_owned()
    }

    fn policy_parameters(_: &InstanceObject) -> Result<Option<PolicyParameters>, ()> {
        Ok(None)
    }

    fn needs(datasource: &GenericResourceId, _: Option<&PolicyParameters>) -> Option<Vec<Need>> {
        Some(server_needs(
            datasource,
            "PostgreSQL Flexible Server Long Term Retention Backup Role",
            &[roles::POSTGRESQL_LTR_BACKUP, roles::CONTRIBUTOR, roles::OWNER],
        ))
    }
}

/// Azure Database for MySQL flexible servers: `dataprotection_backup_instance_mysql_flexible_server`.
#[derive(Debug, Default)]
pub struct MySqlFlexibleServer;

impl InstanceKind for MySqlFlexibleServer {
    const TYPE_NAME: &'static str = "dataprotection_backup_instance_mysql_flexible_server";
    const DATASOURCE_TYPE: &'static str = "Microsoft.DBforMySQL/flexibleServers";
    const RESOURCE_TYPE: &'static str = "Microsoft.DBforMySQL/flexibleServers";
    const NOUN: &'static str = "MySQL flexible server";
    const PERMISSIONS_HINT: &'static str = "The backup vault's managed identity needs the \"MySQL Backup And Export \
Operator\" role on the server and the \"Reader\" role on the server's resource group. Role assignments can take a few \
minutes to take effect; make the backup instance depend on them (depends_on).";

    fn description() -> String {
        "Protects an Azure Database for MySQL flexible server with long-term retention backups (a MySQL flexible \
         server backup policy) in an Azure Backup vault. Plan runs Azure's validateForBackup for new instances, so a \
         missing role fails the plan, not the apply."
            .to_owned()
    }

    fn policy_parameters(_: &InstanceObject) -> Result<Option<PolicyParameters>, ()> {
        Ok(None)
    }

    fn needs(datasource: &GenericResourceId, _: Option<&PolicyParameters>) -> Option<Vec<Need>> {
        Some(server_needs(
            datasource,
            "MySQL Backup And Export Operator",
            &[roles::MYSQL_BACKUP_EXPORT_OPERATOR, roles::CONTRIBUTOR, roles::OWNER],
        ))
    }
}
