//! Data Lake Storage Gen2 backup (`Microsoft.Storage/storageAccounts/adlsBlobServices`): an account with a
//! hierarchical namespace, at least one existing container, and Storage Account Backup Contributor for the vault's
//! identity.

use super::super::World;
use super::resource_type::ResourceType;
use super::storage_accounts::{StorageAccounts, check_containers_and_role};
use super::{DefaultWorld, InstanceRequest, Kind, PolicyLimits, deferred};
use crate::error::ArmError;
use crate::ids::{self, BuiltInRole};
use crate::scenario::{Scenario, StorageAccountSeed};

/// The default world's Data Lake Storage Gen2 account (`isHnsEnabled`); containers [`ADLS_CONTAINERS`].
pub const STORAGE_ACCOUNT_ADLS: &str = "stlakedata01";
/// The containers of [`STORAGE_ACCOUNT_ADLS`].
pub const ADLS_CONTAINERS: [&str; 2] = ["raw", "curated"];

/// The Data Lake Storage kind.
pub(super) struct DataLake;

impl Kind for DataLake {
    fn datasource_type(&self) -> &'static str {
        "Microsoft.Storage/storageAccounts/adlsBlobServices"
    }

    fn resource_type(&self) -> &'static dyn ResourceType {
        &StorageAccounts
    }

    fn not_found_code(&self) -> &'static str {
        "UserErrorStorageAccountNotFound"
    }

    fn policy_limits(&self) -> Option<PolicyLimits> {
        Some(PolicyLimits {
            backup_rule_required: true,
            backup_store: "VaultStore",
            backup_type: "Discrete",
            intervals: &["P1D", "P1W"],
            retention_stores: &["VaultStore"],
            vaulted_backup_pairs_rule_and_retention: false,
            max_retention_days: None,
        })
    }

    fn check_instance(&self, world: &World, instance: &InstanceRequest<'_>) -> Result<Option<ArmError>, ArmError> {
        let Some(account) = world.datasources.storage_accounts.get(&instance.datasource.key()) else {
            return Ok(None);
        };
        if !account.hns {
            return deferred(
                "UserErrorUnsupportedStorageAccountType",
                format!(
                    "The storage account '{}' has no hierarchical namespace; Data Lake Storage backup needs an \
                     account with isHnsEnabled.",
                    account.id
                ),
                "Protect the account with a blob (blobServices) backup instead.",
                instance.activity_id,
            );
        }
        check_containers_and_role(world, account, instance, true)
    }

    fn vault_roles(&self) -> &'static [BuiltInRole] {
        &[ids::STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR]
    }

    /// A Data Lake Storage Gen2 account with two containers, and Storage Account Backup Contributor for the vault on
    /// the subscription.
    fn add_to_default_world(&self, world: &mut DefaultWorld, scenario: &mut Scenario) {
        scenario.storage_accounts.push(StorageAccountSeed {
            subscription_id: None,
            resource_group: world.workload_resource_group.to_owned(),
            name: STORAGE_ACCOUNT_ADLS.to_owned(),
            location: None,
            is_hns_enabled: true,
            containers: ADLS_CONTAINERS.iter().map(|name| (*name).to_owned()).collect(),
        });
        world.grant_vault_on_subscription(&ids::STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR);
    }
}
