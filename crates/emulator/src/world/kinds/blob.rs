//! Blob backup (`Microsoft.Storage/storageAccounts/blobServices`): an account without a hierarchical namespace;
//! operational backup needs no containers, vaulted backup names existing ones; Storage Account Backup Contributor
//! for the vault's identity. Operational backup cannot be stopped, only deleted.

use axum::http::StatusCode;
use serde_json::Value;

use super::super::{Instance, World};
use super::policy::has_vaulted_backup;
use super::resource_type::ResourceType;
use super::storage_accounts::{StorageAccounts, check_containers_and_role, containers_of};
use super::{DefaultWorld, InstanceRequest, Kind, PolicyLimits, deferred};
use crate::error::ArmError;
use crate::ids::{self, BuiltInRole};
use crate::scenario::{Scenario, StorageAccountSeed};

/// The default world's storage account whose blobs the vault may back up (no hierarchical namespace);
/// containers [`BLOB_CONTAINERS`].
pub const STORAGE_ACCOUNT_BLOB: &str = "stappdata01";
/// The containers of [`STORAGE_ACCOUNT_BLOB`].
pub const BLOB_CONTAINERS: [&str; 2] = ["invoices", "reports"];

/// The blob kind.
pub(super) struct Blob;

impl Kind for Blob {
    fn datasource_type(&self) -> &'static str {
        "Microsoft.Storage/storageAccounts/blobServices"
    }

    fn resource_type(&self) -> &'static dyn ResourceType {
        &StorageAccounts
    }

    fn not_found_code(&self) -> &'static str {
        "UserErrorStorageAccountNotFound"
    }

    fn policy_limits(&self) -> Option<PolicyLimits> {
        Some(PolicyLimits {
            backup_rule_required: false,
            backup_store: "VaultStore",
            backup_type: "Discrete",
            intervals: &["P1D", "P1W"],
            retention_stores: &["OperationalStore", "VaultStore"],
            vaulted_backup_pairs_rule_and_retention: true,
            max_retention_days: None,
        })
    }

    fn check_instance(&self, world: &World, instance: &InstanceRequest<'_>) -> Result<Option<ArmError>, ArmError> {
        let Some(account) = world.datasources.storage_accounts.get(&instance.datasource.key()) else {
            return Ok(None);
        };
        if account.hns {
            return deferred(
                "UserErrorUnsupportedStorageAccountType",
                format!(
                    "The storage account '{}' has a hierarchical namespace (Data Lake Storage Gen2), which blob \
                     backup does not support.",
                    account.id
                ),
                "Protect the account with a Data Lake Storage (adlsBlobServices) backup instead.",
                instance.activity_id,
            );
        }
        check_containers_and_role(world, account, instance, has_vaulted_backup(instance.policy))
    }

    fn vault_roles(&self) -> &'static [BuiltInRole] {
        &[ids::STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR]
    }

    /// Operational blob backup (no containers: no vaulted backup) cannot be stopped, only deleted (the blob
    /// backup troubleshooting page lists the code).
    fn refuse_stop_protection(&self, instance: &Instance, activity_id: &str) -> Option<ArmError> {
        if !containers_of(&Value::Object(instance.properties.clone())).is_empty() {
            return None;
        }
        Some(ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            "UserErrorStopProtectionNotSupportedForBlobOperationalBackup",
            format!(
                "Stop protection is not supported for operational backup of blobs (backup instance '{}').",
                instance.name
            ),
            &["Delete the backup instance to stop operational backup of the storage account."],
            activity_id,
        ))
    }

    /// A storage account with two containers, and Storage Account Backup Contributor for the vault on the
    /// subscription.
    fn add_to_default_world(&self, world: &mut DefaultWorld, scenario: &mut Scenario) {
        scenario.storage_accounts.push(StorageAccountSeed {
            subscription_id: None,
            resource_group: world.workload_resource_group.to_owned(),
            name: STORAGE_ACCOUNT_BLOB.to_owned(),
            location: None,
            is_hns_enabled: false,
            containers: BLOB_CONTAINERS.iter().map(|name| (*name).to_owned()).collect(),
        });
        world.grant_vault_on_subscription(&ids::STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR);
    }
}
