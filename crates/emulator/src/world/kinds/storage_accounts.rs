//! Storage accounts (`Microsoft.Storage/storageAccounts`) and their blob containers: what blob and Data Lake
//! Storage backup protect. They hold only what the backup rules look at (the account exists, where, whether its
//! namespace is hierarchical, its containers); their PUTs and DELETEs are synchronous.

use std::collections::{BTreeMap, HashMap};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::super::World;
use super::policy::text;
use super::resource_type::{
    Answer, ArmType, DatasourceRoute, Put, RequestGroup, ResourceRequest, ResourceType, TypeInfo, created_or_ok,
    deleted, list_only, placed, placement,
};
use super::roles::{Need, missing_permission};
use super::{InstanceRequest, deferred};
use crate::error::{ArmError, arm};
use crate::ids;
use crate::inventory::InventoryDatasource;
use crate::scenario::{Scenario, StorageAccountSeed};

/// Storage accounts.
pub(crate) struct StorageAccounts;

/// A storage account.
pub(crate) struct StorageAccount {
    pub id: String,
    pub name: String,
    pub location: String,
    /// `properties.isHnsEnabled`: a Data Lake Storage Gen2 account.
    pub hns: bool,
    /// Blob containers, by lower-case name; the value keeps the name's case.
    pub containers: BTreeMap<String, String>,
}

const ACCOUNTS: &str = "storageAccounts";
const CONTAINERS: &str = "storageAccounts/{}/blobServices/default/containers";

const ROUTES: &[DatasourceRoute] = &[
    DatasourceRoute {
        path: ACCOUNTS,
        list: "StorageAccounts_ListByResourceGroup",
        get: "StorageAccounts_GetProperties",
        put: "StorageAccounts_Create",
        delete: "StorageAccounts_Delete",
    },
    DatasourceRoute {
        path: CONTAINERS,
        list: "BlobContainers_List",
        get: "BlobContainers_Get",
        put: "BlobContainers_Create",
        delete: "BlobContainers_Delete",
    },
];

/// The containers a blob or Data Lake Storage instance names: `containersList` of its `Blob...` or
/// `AdlsBlob...` `BackupDatasourceParameters`.
pub(super) fn containers_of(properties: &Value) -> Vec<String> {
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

/// What blob and Data Lake Storage backup both ask of an instance once its account's namespace is right: the
/// containers it names (at least one when `containers_required`) exist, and the vault holds Storage Account Backup
/// Contributor on the account.
pub(super) fn check_containers_and_role(
    world: &World,
    account: &StorageAccount,
    instance: &InstanceRequest<'_>,
    containers_required: bool,
) -> Result<Option<ArmError>, ArmError> {
    let containers = containers_of(instance.properties);
    if containers.is_empty() && containers_required {
        return deferred(
            "UserErrorNoContainersSelectedForOperation",
            "No containers selected for operation.".to_owned(),
            "Select at least one container of the storage account for vaulted backup and retry.",
            instance.activity_id,
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
                "Incorrect containers selected for operation: the storage account '{}' has no container {}.",
                account.id,
                missing.join(", ")
            ),
            "Select only containers that exist in the storage account and retry.",
            instance.activity_id,
        );
    }
    Ok(missing_permission(
        world,
        instance.vault,
        &[Need::vault(
            instance.datasource.clone(),
            &ids::STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR,
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
        )],
        instance.activity_id,
    ))
}

/// Adds (or replaces) a storage account.
pub(super) fn add(world: &mut World, group_id: &str, name: &str, location: &str, hns: bool, containers: &[String]) {
    let id = StorageAccounts.id(group_id, name);
    let containers = containers.iter().map(|name| (name.to_ascii_lowercase(), name.clone())).collect();
    let account =
        StorageAccount { id: id.clone(), name: name.to_owned(), location: location.to_owned(), hns, containers };
    world.datasources.storage_accounts.insert(id.to_ascii_lowercase(), account);
}

fn render(account: &StorageAccount) -> Value {
    json!({
        "id": account.id,
        "name": account.name,
        "type": StorageAccounts.full_type(),
        "location": account.location,
        "kind": "StorageV2",
        "sku": { "name": "Standard_LRS", "tier": "Standard" },
        "properties": { "provisioningState": "Succeeded", "isHnsEnabled": account.hns },
    })
}

fn render_container(account: &StorageAccount, name: &str) -> Value {
    json!({
        "id": format!("{}/blobServices/default/containers/{name}", account.id),
        "name": name,
        "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
        "properties": { "publicAccess": "None", "leaseStatus": "Unlocked", "leaseState": "Available",
                        "hasImmutabilityPolicy": false, "hasLegalHold": false, "deleted": false },
    })
}

impl StorageAccounts {
    fn container(
        &self,
        world: &mut World,
        request: &ResourceRequest<'_>,
        group: &RequestGroup,
        account_name: &str,
    ) -> Result<Answer, ArmError> {
        let account_id = self.id(&group.id, account_name);
        let account = world
            .datasources
            .storage_accounts
            .get_mut(&account_id.to_ascii_lowercase())
            .ok_or_else(|| arm::parent_not_found(&account_id))?;
        let Some(name) = &request.path.name else {
            return list_only(request, || {
                account.containers.iter().map(|(key, name)| (key.clone(), render_container(account, name))).collect()
            });
        };
        let key = name.to_ascii_lowercase();
        match *request.method {
            Method::PUT => {
                let created = !account.containers.contains_key(&key);
                account.containers.entry(key).or_insert_with(|| name.clone());
                Ok(Answer::json(created_or_ok(created), render_container(account, name)))
            }
            Method::DELETE => Ok(deleted(account.containers.remove(&key).is_some())),
            _ => {
                let stored = account.containers.get(&key).ok_or_else(|| {
                    arm::resource_not_found(
                        "Microsoft.Storage/storageAccounts/blobServices/containers",
                        &format!("{account_name}/default/{name}"),
                        request.resource_group,
                    )
                })?;
                Ok(Answer::json(StatusCode::OK, render_container(account, stored)))
            }
        }
    }
}

placed!(StorageAccount);
placement!(StorageAccountSeed);

impl ArmType for StorageAccounts {
    type Item = StorageAccount;
    type Seed = StorageAccountSeed;

    fn info(&self) -> &'static TypeInfo {
        &TypeInfo {
            namespace: "Microsoft.Storage",
            type_name: ACCOUNTS,
            noun: "storage account",
            with: Some("(and blob containers)"),
            known_at_subscription_scope: false,
            routes: ROUTES,
        }
    }

    fn stored<'w>(&self, world: &'w World) -> &'w HashMap<String, StorageAccount> {
        &world.datasources.storage_accounts
    }

    fn stored_mut<'w>(&self, world: &'w mut World) -> &'w mut HashMap<String, StorageAccount> {
        &mut world.datasources.storage_accounts
    }

    fn render(&self, account: &StorageAccount) -> Value {
        render(account)
    }

    /// `properties.isHnsEnabled` as given, else as it was; the containers stay.
    fn put(&self, world: &mut World, put: &Put<'_>) -> Result<(), ArmError> {
        let existing = world.datasources.storage_accounts.get(&put.id.to_ascii_lowercase());
        let hns = put
            .body
            .pointer("/properties/isHnsEnabled")
            .and_then(Value::as_bool)
            .or_else(|| existing.map(|account| account.hns))
            .unwrap_or(false);
        let containers: Vec<String> =
            existing.map(|account| account.containers.values().cloned().collect()).unwrap_or_default();
        add(world, &put.group.id, put.name, &put.group.location(put.body), hns, &containers);
        Ok(())
    }

    fn serve_below(
        &self,
        world: &mut World,
        request: &ResourceRequest<'_>,
        group: &RequestGroup,
        account: &str,
    ) -> Result<Answer, ArmError> {
        self.container(world, request, group, account)
    }

    fn seeds<'s>(&self, scenario: &'s Scenario) -> &'s [StorageAccountSeed] {
        &scenario.storage_accounts
    }

    fn seeds_mut<'s>(&self, scenario: &'s mut Scenario) -> &'s mut Vec<StorageAccountSeed> {
        &mut scenario.storage_accounts
    }

    fn add_seed(&self, world: &mut World, group_id: &str, location: &str, seed: &StorageAccountSeed, _now_ms: u64) {
        add(world, group_id, &seed.name, location, seed.is_hns_enabled, &seed.containers);
    }

    fn to_seed(&self, account: &StorageAccount, subscription_id: String, resource_group: String) -> StorageAccountSeed {
        StorageAccountSeed {
            subscription_id: Some(subscription_id),
            resource_group,
            name: account.name.clone(),
            location: Some(account.location.clone()),
            is_hns_enabled: account.hns,
            containers: account.containers.values().cloned().collect(),
        }
    }

    fn describe(&self, account: &StorageAccount, entry: &mut InventoryDatasource) {
        entry.is_hns_enabled = Some(account.hns);
        entry.children = account.containers.values().cloned().collect();
    }
}
