//! What each datasource kind asks of a backup instance and of a backup policy: the datasource exists, the policy
//! is made for it, the kind's prerequisites (containers, HNS, the AKS backup extension and trusted access) and the
//! roles the vault's identity (and for AKS the cluster's) needs. Codes are Azure's where Microsoft's
//! troubleshooting pages give them; docs/emulator.md lists the ones that are the emulator's choice.

use axum::http::StatusCode;
use serde_json::Value;

use super::{Vault, World};
use crate::error::ArmError;
use crate::ids::{self, ArmId};

/// The kinds of datasource the emulator applies rules to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DatasourceKind {
    Disk,
    Blob,
    Adls,
    Kubernetes,
    PostgreSql,
    MySql,
}

/// Datasource types the emulator accepts in policies without rules of their own: the spec examples' PostgreSQL
/// single-server kinds and the flexible-server database type older azurerm versions sent.
const OTHER_KNOWN_TYPES: &[&str] =
    &["OssDB", "Microsoft.DBforPostgreSQL/servers/databases", "Microsoft.DBforPostgreSQL/flexibleServers/databases"];

/// The role a trusted access binding must grant a backup vault.
pub(crate) const BACKUP_OPERATOR_ROLE: &str = "Microsoft.DataProtection/backupVaults/backup-operator";

impl DatasourceKind {
    const ALL: [DatasourceKind; 6] = [
        DatasourceKind::Disk,
        DatasourceKind::Blob,
        DatasourceKind::Adls,
        DatasourceKind::Kubernetes,
        DatasourceKind::PostgreSql,
        DatasourceKind::MySql,
    ];

    /// The kind a `datasourceType` names (without case, as the service compares them).
    pub fn from_type(datasource_type: &str) -> Option<DatasourceKind> {
        Self::ALL.into_iter().find(|kind| kind.datasource_type().eq_ignore_ascii_case(datasource_type))
    }

    /// The `datasourceType` of the kind.
    pub fn datasource_type(self) -> &'static str {
        match self {
            DatasourceKind::Disk => "Microsoft.Compute/disks",
            DatasourceKind::Blob => "Microsoft.Storage/storageAccounts/blobServices",
            DatasourceKind::Adls => "Microsoft.Storage/storageAccounts/adlsBlobServices",
            DatasourceKind::Kubernetes => "Microsoft.ContainerService/managedClusters",
            DatasourceKind::PostgreSql => "Microsoft.DBforPostgreSQL/flexibleServers",
            DatasourceKind::MySql => "Microsoft.DBforMySQL/flexibleServers",
        }
    }

    /// The ARM namespace and resource type of the resource the instance's `resourceID` names.
    fn resource_type(self) -> (&'static str, &'static str, &'static str) {
        match self {
            DatasourceKind::Disk => ("Microsoft.Compute", "disks", "managed disk"),
            DatasourceKind::Blob | DatasourceKind::Adls => ("Microsoft.Storage", "storageAccounts", "storage account"),
            DatasourceKind::Kubernetes => ("Microsoft.ContainerService", "managedClusters", "Kubernetes cluster"),
            DatasourceKind::PostgreSql => {
                ("Microsoft.DBforPostgreSQL", "flexibleServers", "PostgreSQL flexible server")
            }
            DatasourceKind::MySql => ("Microsoft.DBforMySQL", "flexibleServers", "MySQL flexible server"),
        }
    }

    /// Whether `id` names a resource of the kind's resource type.
    pub fn matches(self, id: &ArmId) -> bool {
        let (namespace, kind, _) = self.resource_type();
        id.resource_group.is_some() && id.is_type(namespace, &[kind])
    }

    /// What the resource is called in messages.
    pub fn noun(self) -> &'static str {
        self.resource_type().2
    }
}

/// What a kind allows in a policy.
struct PolicyLimits {
    /// A backup rule is required (blob policies may have only an operational retention rule).
    backup_rule_required: bool,
    backup_store: &'static str,
    backup_type: &'static str,
    intervals: &'static [&'static str],
    retention_stores: &'static [&'static str],
}

fn limits(kind: DatasourceKind) -> Option<PolicyLimits> {
    const VAULT: &[&str] = &["VaultStore"];
    Some(match kind {
        DatasourceKind::Disk => return None,
        DatasourceKind::Blob => PolicyLimits {
            backup_rule_required: false,
            backup_store: "VaultStore",
            backup_type: "Discrete",
            intervals: &["P1D", "P1W"],
            retention_stores: &["OperationalStore", "VaultStore"],
        },
        DatasourceKind::Adls => PolicyLimits {
            backup_rule_required: true,
            backup_store: "VaultStore",
            backup_type: "Discrete",
            intervals: &["P1D", "P1W"],
            retention_stores: VAULT,
        },
        DatasourceKind::Kubernetes => PolicyLimits {
            backup_rule_required: true,
            backup_store: "OperationalStore",
            backup_type: "Incremental",
            intervals: &["PT4H", "PT6H", "PT8H", "PT12H", "P1D"],
            retention_stores: &["OperationalStore"],
        },
        DatasourceKind::PostgreSql | DatasourceKind::MySql => PolicyLimits {
            backup_rule_required: true,
            backup_store: "VaultStore",
            backup_type: "Full",
            intervals: &["P1W"],
            retention_stores: VAULT,
        },
    })
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn rules_of<'a>(policy: &'a Value, object_type: &str) -> Vec<(usize, &'a Value)> {
    policy
        .get("policyRules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, rule)| text(rule, "/objectType") == Some(object_type))
        .collect()
}

/// Whether a policy backs up to the vault tier (an `AzureBackupRule` into `VaultStore`).
pub(crate) fn has_vaulted_backup(policy: &Value) -> bool {
    rules_of(policy, "AzureBackupRule").iter().any(|(_, rule)| {
        text(rule, "/dataStore/dataStoreType").is_some_and(|store| store.eq_ignore_ascii_case("VaultStore"))
    })
}

/// The `datasourceTypes` of a policy.
pub(crate) fn policy_types(policy: &Value) -> Vec<String> {
    policy
        .get("datasourceTypes")
        .and_then(Value::as_array)
        .map(|types| types.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The rules on a backup policy's `properties` beyond the swagger: the datasource types are ones the service
/// knows, and for blobs, ADLS, AKS and PostgreSQL and MySQL flexible servers the backup rule's data store, backup
/// type and interval and the retention rules' data stores are ones the kind allows. Disk policies are checked
/// against the swagger only, as before. The error is the detail of a `BMSUserErrorInvalidInput`.
pub(crate) fn check_policy(policy: &Value) -> Result<(), String> {
    let types = policy_types(policy);
    for (index, datasource_type) in types.iter().enumerate() {
        let known = DatasourceKind::from_type(datasource_type).is_some()
            || OTHER_KNOWN_TYPES.iter().any(|known| known.eq_ignore_ascii_case(datasource_type));
        if !known {
            let mut names: Vec<&str> = DatasourceKind::ALL.iter().map(|kind| kind.datasource_type()).collect();
            names.extend(OTHER_KNOWN_TYPES);
            return Err(format!(
                "datasourceTypes[{index}] '{datasource_type}' is not a datasource type the service supports ({})",
                names.join(", ")
            ));
        }
    }
    for kind in types.iter().filter_map(|datasource_type| DatasourceKind::from_type(datasource_type)) {
        if let Some(limits) = limits(kind) {
            check_limits(kind, &limits, policy)?;
        }
    }
    Ok(())
}

fn check_limits(kind: DatasourceKind, limits: &PolicyLimits, policy: &Value) -> Result<(), String> {
    let name = kind.datasource_type();
    let backup_rules = rules_of(policy, "AzureBackupRule");
    if limits.backup_rule_required && backup_rules.is_empty() {
        return Err(format!("a {name} policy needs an AzureBackupRule"));
    }
    for (index, rule) in &backup_rules {
        let store = text(rule, "/dataStore/dataStoreType").unwrap_or_default();
        if !store.eq_ignore_ascii_case(limits.backup_store) {
            return Err(format!(
                "policyRules[{index}].dataStore.dataStoreType '{store}' is not supported for {name}; use {}",
                limits.backup_store
            ));
        }
        let backup_type = text(rule, "/backupParameters/backupType").unwrap_or_default();
        if !backup_type.eq_ignore_ascii_case(limits.backup_type) {
            return Err(format!(
                "policyRules[{index}].backupParameters.backupType '{backup_type}' is not supported for {name}; use {}",
                limits.backup_type
            ));
        }
        let intervals = rule.pointer("/trigger/schedule/repeatingTimeIntervals").and_then(Value::as_array);
        for (position, interval) in intervals.into_iter().flatten().enumerate() {
            let interval = interval.as_str().unwrap_or_default();
            let duration = interval.rsplit('/').next().unwrap_or_default();
            if !limits.intervals.iter().any(|allowed| allowed.eq_ignore_ascii_case(duration)) {
                return Err(format!(
                    "policyRules[{index}].trigger.schedule.repeatingTimeIntervals[{position}] '{interval}': the \
                     interval '{duration}' is not supported for {name} (supported: {})",
                    limits.intervals.join(", ")
                ));
            }
        }
    }
    let retention_rules = rules_of(policy, "AzureRetentionRule");
    let mut default_stores = Vec::new();
    let mut vault_retention = false;
    for (index, rule) in &retention_rules {
        let lifecycles = rule.get("lifecycles").and_then(Value::as_array);
        for (position, lifecycle) in lifecycles.into_iter().flatten().enumerate() {
            let store = text(lifecycle, "/sourceDataStore/dataStoreType").unwrap_or_default();
            if !limits.retention_stores.iter().any(|allowed| allowed.eq_ignore_ascii_case(store)) {
                return Err(format!(
                    "policyRules[{index}].lifecycles[{position}].sourceDataStore.dataStoreType '{store}' is not \
                     supported for {name} (supported: {})",
                    limits.retention_stores.join(", ")
                ));
            }
            vault_retention |= store.eq_ignore_ascii_case("VaultStore");
            if rule.get("isDefault").and_then(Value::as_bool) == Some(true) {
                default_stores.push(store.to_owned());
            }
        }
    }
    if default_stores.is_empty() {
        return Err(format!("a {name} policy needs a default AzureRetentionRule (isDefault true)"));
    }
    // Blob: vaulted backup needs both its schedule and its default vault retention, and only with each other.
    if kind == DatasourceKind::Blob {
        let default_vault = default_stores.iter().any(|store| store.eq_ignore_ascii_case("VaultStore"));
        if !backup_rules.is_empty() && !default_vault {
            return Err(format!("a {name} policy with vaulted backup needs a default retention rule in VaultStore"));
        }
        if backup_rules.is_empty() && vault_retention {
            return Err(format!(
                "a {name} policy that keeps backups in VaultStore needs an AzureBackupRule that schedules them"
            ));
        }
    }
    Ok(())
}

/// The containers a blob or ADLS instance names: `containersList` of its `Blob...` or `AdlsBlob...`
/// `BackupDatasourceParameters`.
pub(crate) fn containers_of(properties: &Value) -> Vec<String> {
    properties
        .pointer("/policyInfo/policyParameters/backupDatasourceParametersList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|parameters| {
            matches!(
                text(parameters, "/objectType"),
                Some("BlobBackupDatasourceParameters" | "AdlsBlobBackupDatasourceParameters")
            )
        })
        .flat_map(|parameters| parameters.get("containersList").and_then(Value::as_array).into_iter().flatten())
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Whether an instance backs up blobs with operational backup only: a blob instance that names no containers.
pub(crate) fn is_operational_blob_backup(instance: &super::Instance) -> bool {
    let properties = Value::Object(instance.properties.clone());
    text(&properties, "/dataSourceInfo/datasourceType")
        .is_some_and(|datasource_type| DatasourceKind::from_type(datasource_type) == Some(DatasourceKind::Blob))
        && containers_of(&properties).is_empty()
}

/// A role the instance needs: who needs it (`None`: the vault's identity), where, which role (GUID and name),
/// and an action it grants (for the message).
pub(super) struct Need<'a> {
    pub principal: Option<(&'a str, String)>,
    pub scope: ArmId,
    pub role: &'static str,
    pub role_name: &'static str,
    pub action: &'static str,
}

impl Need<'_> {
    fn vault(scope: ArmId, role: &'static str, role_name: &'static str, action: &'static str) -> Need<'static> {
        Need { principal: None, scope, role, role_name, action }
    }
}

impl World {
    /// 400 when the datasource of `kind` that `datasource` names does not exist.
    pub(super) fn check_datasource_exists(
        &self,
        kind: DatasourceKind,
        datasource: &ArmId,
        activity_id: &str,
    ) -> Result<(), ArmError> {
        let key = datasource.key();
        let id = datasource.canonical();
        let (exists, code) = match kind {
            // Disks keep their own check (UserErrorManagedDiskNotFound), which also covers untyped disk IDs.
            DatasourceKind::Disk => return Ok(()),
            DatasourceKind::Blob | DatasourceKind::Adls => {
                (self.storage_accounts.contains_key(&key), "UserErrorStorageAccountNotFound")
            }
            DatasourceKind::Kubernetes => (self.kubernetes_clusters.contains_key(&key), "UserErrorDatasourceNotFound"),
            DatasourceKind::PostgreSql | DatasourceKind::MySql => {
                (self.flexible_servers.contains_key(&key), "UserErrorDatasourceNotFound")
            }
        };
        if exists {
            return Ok(());
        }
        Err(ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            code,
            format!("Could not perform the operation as the {} '{id}' does not exist.", kind.noun()),
            &[&format!("Check the {} ID; a resource that was deleted or moved must be protected again.", kind.noun())],
            activity_id,
        ))
    }

    /// The rules of `kind` beyond existence: synchronous failures are errors, and the failure the operation will
    /// end with (a prerequisite or role the service finds missing while it works) is the `Ok` value.
    pub(super) fn kind_rules(
        &self,
        kind: DatasourceKind,
        vault: &Vault,
        datasource: &ArmId,
        properties: &Value,
        policy: &Value,
        activity_id: &str,
    ) -> Result<Option<ArmError>, ArmError> {
        let deferred = |code: &str, message: String, action: &str| {
            Ok(Some(ArmError::user_facing(StatusCode::BAD_REQUEST, code, message, &[action], activity_id)))
        };
        match kind {
            DatasourceKind::Disk => {
                let group = self.snapshot_group(properties, activity_id)?;
                Ok(self.missing_permission(
                    vault,
                    &[
                        Need::vault(
                            datasource.clone(),
                            ids::DISK_BACKUP_READER,
                            "Disk Backup Reader",
                            "Microsoft.Compute/disks/beginGetAccess/action",
                        ),
                        Need::vault(
                            group,
                            ids::DISK_SNAPSHOT_CONTRIBUTOR,
                            "Disk Snapshot Contributor",
                            "Microsoft.Compute/snapshots/write",
                        ),
                    ],
                    activity_id,
                ))
            }
            DatasourceKind::Blob | DatasourceKind::Adls => {
                let Some(account) = self.storage_accounts.get(&datasource.key()) else { return Ok(None) };
                let id = &account.id;
                if kind == DatasourceKind::Blob && account.hns {
                    return deferred(
                        "UserErrorUnsupportedStorageAccountType",
                        format!(
                            "The storage account '{id}' has a hierarchical namespace (Data Lake Storage Gen2), which \
                             blob backup does not support."
                        ),
                        "Protect the account with a Data Lake Storage (adlsBlobServices) backup instead.",
                    );
                }
                if kind == DatasourceKind::Adls && !account.hns {
                    return deferred(
                        "UserErrorUnsupportedStorageAccountType",
                        format!(
                            "The storage account '{id}' has no hierarchical namespace; Data Lake Storage backup needs \
                             an account with isHnsEnabled."
                        ),
                        "Protect the account with a blob (blobServices) backup instead.",
                    );
                }
                let containers = containers_of(properties);
                if containers.is_empty() && (kind == DatasourceKind::Adls || has_vaulted_backup(policy)) {
                    return deferred(
                        "UserErrorNoContainersSelectedForOperation",
                        "No containers selected for operation.".to_owned(),
                        "Select at least one container of the storage account for vaulted backup and retry.",
                    );
                }
                let missing: Vec<&str> = containers
                    .iter()
                    .filter(|name| !account.containers.contains_key(&name.to_ascii_lowercase()))
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() {
                    return deferred(
                        "UserErrorIncorrectContainersSelectedForOperation",
                        format!(
                            "Incorrect containers selected for operation: the storage account '{id}' has no container \
                             {}.",
                            missing.join(", ")
                        ),
                        "Select only containers that exist in the storage account and retry.",
                    );
                }
                Ok(self.missing_permission(
                    vault,
                    &[Need::vault(
                        datasource.clone(),
                        ids::STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR,
                        "Storage Account Backup Contributor",
                        "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                    )],
                    activity_id,
                ))
            }
            DatasourceKind::Kubernetes => {
                let group = self.snapshot_group(properties, activity_id)?;
                let Some(cluster) = self.kubernetes_clusters.get(&datasource.key()) else { return Ok(None) };
                // Azure's AKS backup support matrix: the vault and the cluster are in one region and one
                // subscription. (The code is the emulator's choice.)
                let same_region = crate::util::normalize_location(&cluster.location)
                    == crate::util::normalize_location(&vault.location);
                if !same_region || !datasource.subscription.eq_ignore_ascii_case(&vault.subscription) {
                    return Err(ArmError::user_facing(
                        StatusCode::BAD_REQUEST,
                        "UserErrorVaultAndDatasourceNotColocated",
                        format!(
                            "The Kubernetes cluster {} ({}) and the Backup vault {} ({}) must be in the same region \
                             and subscription.",
                            cluster.id, cluster.location, vault.id, vault.location
                        ),
                        &["Protect the cluster with a Backup vault in its own region and subscription."],
                        activity_id,
                    ));
                }
                let holder = format!("The managed identity of the Kubernetes cluster {}", cluster.id);
                let needs = [
                    Need::vault(
                        datasource.clone(),
                        ids::READER,
                        "Reader",
                        "Microsoft.KubernetesConfiguration/extensions/read",
                    ),
                    Need::vault(
                        group.clone(),
                        ids::READER,
                        "Reader",
                        "Microsoft.Resources/subscriptions/resourceGroups/read",
                    ),
                    Need {
                        principal: Some((cluster.principal_id.as_str(), holder)),
                        scope: group,
                        role: ids::CONTRIBUTOR,
                        role_name: "Contributor",
                        action: "Microsoft.Compute/snapshots/write",
                    },
                ];
                if let Some(error) = self.missing_permission(vault, &needs, activity_id) {
                    return Ok(Some(error));
                }
                let extensions: Vec<_> = cluster
                    .extensions
                    .values()
                    .filter(|extension| {
                        extension.extension_type.eq_ignore_ascii_case(super::datasources::BACKUP_EXTENSION_TYPE)
                    })
                    .collect();
                if extensions.is_empty() {
                    return deferred(
                        "UserErrorKubernetesBackupExtensionNotFoundError",
                        format!("The backup extension is not installed on the Kubernetes cluster {}.", cluster.id),
                        "Install the backup extension (microsoft.dataprotection.kubernetes) on the cluster and retry.",
                    );
                }
                if !extensions.iter().any(|extension| extension.provisioning_state.eq_ignore_ascii_case("Succeeded")) {
                    return deferred(
                        "UserErrorKubernetesBackupExtensionHasErrors",
                        format!(
                            "The backup extension on the Kubernetes cluster {} is not in the Succeeded state.",
                            cluster.id
                        ),
                        "Fix or reinstall the backup extension on the cluster and retry.",
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
                            "The Trusted Access role binding is missing/has gotten removed from the cluster {} (none \
                             grants the Backup vault {} the role {BACKUP_OPERATOR_ROLE}).",
                            cluster.id, vault.id
                        ),
                        "Create a trusted access role binding on the cluster for the Backup vault and retry.",
                    );
                }
                Ok(None)
            }
            DatasourceKind::PostgreSql | DatasourceKind::MySql => {
                let (role, role_name, action) = if kind == DatasourceKind::PostgreSql {
                    (
                        ids::POSTGRESQL_LONG_TERM_RETENTION_BACKUP,
                        "PostgreSQL Flexible Server Long Term Retention Backup Role",
                        "Microsoft.DBforPostgreSQL/flexibleServers/ltrBackupOperations/read",
                    )
                } else {
                    (
                        ids::MYSQL_BACKUP_AND_EXPORT_OPERATOR,
                        "MySQL Backup And Export Operator",
                        "Microsoft.DBforMySQL/flexibleServers/backupAndExport/action",
                    )
                };
                let group = datasource
                    .resource_group
                    .as_deref()
                    .and_then(|group| ArmId::parse(&ids::resource_group_id(&datasource.subscription, group)));
                let mut needs = vec![Need::vault(datasource.clone(), role, role_name, action)];
                if let Some(group) = group {
                    needs.push(Need::vault(
                        group,
                        ids::READER,
                        "Reader",
                        "Microsoft.Resources/subscriptions/resourceGroups/read",
                    ));
                }
                Ok(self.missing_permission(vault, &needs, activity_id))
            }
        }
    }

    /// The snapshot resource group of a disk or AKS instance, checked: given, a resource group ID, existing.
    fn snapshot_group(&self, properties: &Value, activity_id: &str) -> Result<ArmId, ArmError> {
        let snapshot_group = super::instances::snapshot_resource_group(properties).ok_or_else(|| {
            ArmError::user_facing(
                StatusCode::BAD_REQUEST,
                "UserErrorOperationalStoreParametersNotProvided",
                "Could not perform the operation as Snapshot Data store Resource Group parameter is not provided",
                &["Provide the snapshot data store resource group parameter. The snapshot data store resource \
                   group is the location where the disk snapshots are stored."],
                activity_id,
            )
        })?;
        let group = ArmId::parse(&snapshot_group).filter(ArmId::is_resource_group).ok_or_else(|| {
            ArmError::user_facing(
                StatusCode::BAD_REQUEST,
                "UserErrorInvalidOperationalStoreResourceGroup",
                format!("Snapshot Data store Resource Group provided is invalid: '{snapshot_group}'"),
                &["Provide a valid resource group for the snapshot data store."],
                activity_id,
            )
        })?;
        if !self.resource_groups.contains_key(&group.key()) {
            return Err(ArmError::user_facing(
                StatusCode::BAD_REQUEST,
                "UserErrorSnapshotRGNotFound",
                "Could not perform the operation as Snapshot Data store Resource Group does not exist.",
                &["Create the resource group and provide the required permissions on it."],
                activity_id,
            ));
        }
        Ok(group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(datasource_type: &str, rules: Value) -> Value {
        json!({"objectType": "BackupPolicy", "datasourceTypes": [datasource_type], "policyRules": rules})
    }

    fn backup_rule(store: &str, backup_type: &str, interval: &str) -> Value {
        json!({"name": "BackupIntervals", "objectType": "AzureBackupRule",
               "backupParameters": {"objectType": "AzureBackupParams", "backupType": backup_type},
               "dataStore": {"dataStoreType": store, "objectType": "DataStoreInfoBase"},
               "trigger": {"objectType": "ScheduleBasedTriggerContext",
                           "schedule": {"repeatingTimeIntervals": [format!("R/2024-01-01T02:00:00+00:00/{interval}")]},
                           "taggingCriteria": []}})
    }

    fn retention(name: &str, store: &str) -> Value {
        json!({"name": name, "objectType": "AzureRetentionRule", "isDefault": true,
               "lifecycles": [{"deleteAfter": {"objectType": "AbsoluteDeleteOption", "duration": "P30D"},
                               "sourceDataStore": {"dataStoreType": store, "objectType": "DataStoreInfoBase"}}]})
    }

    #[test]
    fn policies_follow_their_kind() {
        let pg = "Microsoft.DBforPostgreSQL/flexibleServers";
        let aks = "Microsoft.ContainerService/managedClusters";
        let blob = "Microsoft.Storage/storageAccounts/blobServices";
        let adls = "Microsoft.Storage/storageAccounts/adlsBlobServices";
        let ok = [
            policy(pg, json!([backup_rule("VaultStore", "Full", "P1W"), retention("Default", "VaultStore")])),
            policy(
                aks,
                json!([
                    backup_rule("OperationalStore", "Incremental", "PT4H"),
                    retention("Default", "OperationalStore")
                ]),
            ),
            policy(blob, json!([retention("Default", "OperationalStore")])),
            policy(
                blob,
                json!([
                    backup_rule("VaultStore", "Discrete", "P1D"),
                    retention("Default", "VaultStore"),
                    retention("Default_OperationalStore", "OperationalStore")
                ]),
            ),
            policy(adls, json!([backup_rule("VaultStore", "Discrete", "P1W"), retention("Default", "VaultStore")])),
            policy("OssDB", json!([])),
            policy("Microsoft.Compute/disks", json!([])),
        ];
        for policy in &ok {
            assert_eq!(check_policy(policy), Ok(()), "{policy}");
        }
        let bad = [
            (policy("Microsoft.Foo/bars", json!([])), "not a datasource type"),
            (policy(pg, json!([backup_rule("VaultStore", "Full", "P1D"), retention("Default", "VaultStore")])), "P1D"),
            (
                policy(pg, json!([backup_rule("OperationalStore", "Full", "P1W"), retention("Default", "VaultStore")])),
                "use VaultStore",
            ),
            (policy(pg, json!([retention("Default", "VaultStore")])), "needs an AzureBackupRule"),
            (
                policy(
                    aks,
                    json!([
                        backup_rule("OperationalStore", "Incremental", "PT2H"),
                        retention("Default", "OperationalStore")
                    ]),
                ),
                "PT2H",
            ),
            (
                policy(
                    aks,
                    json!([backup_rule("OperationalStore", "Incremental", "PT4H"), retention("Default", "VaultStore")]),
                ),
                "VaultStore",
            ),
            (
                policy(
                    aks,
                    json!([backup_rule("OperationalStore", "Full", "PT4H"), retention("Default", "OperationalStore")]),
                ),
                "Incremental",
            ),
            (
                policy(
                    adls,
                    json!([backup_rule("VaultStore", "Discrete", "P1D"), retention("Default", "OperationalStore")]),
                ),
                "OperationalStore",
            ),
            (policy(blob, json!([])), "default AzureRetentionRule"),
            (
                policy(
                    blob,
                    json!([backup_rule("VaultStore", "Discrete", "P1D"), retention("Default", "OperationalStore")]),
                ),
                "default retention rule in VaultStore",
            ),
            (policy(blob, json!([retention("Default", "VaultStore")])), "schedules them"),
        ];
        for (policy, expected) in &bad {
            let error = check_policy(policy).expect_err("refused");
            assert!(error.contains(expected), "{error} should mention {expected}");
        }
    }

    #[test]
    fn kinds_are_found_without_case_and_match_their_resource_ids() {
        assert_eq!(
            DatasourceKind::from_type("Microsoft.ContainerService/managedclusters"),
            Some(DatasourceKind::Kubernetes)
        );
        assert_eq!(DatasourceKind::from_type("OssDB"), None);
        let cluster =
            ArmId::parse("/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/c")
                .unwrap();
        assert!(DatasourceKind::Kubernetes.matches(&cluster));
        assert!(!DatasourceKind::Blob.matches(&cluster));
    }
}
