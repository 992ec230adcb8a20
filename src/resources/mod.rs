//! The resource and data source types, one file each.

pub mod backup_instance;
pub mod backup_policy_disk;
pub mod backup_vault;
pub mod common;
pub mod data_backup_instance;
pub mod data_backup_instances;
pub mod data_backup_policy_disk;
pub mod data_backup_vault;
pub(crate) mod managed;

use std::sync::Arc;

use crate::plugin::provider::{DataSource, Resource};
use crate::provider::ProviderState;

/// Every resource type, sharing the provider's configuration.
pub fn all(state: &Arc<ProviderState>) -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(managed::Managed::new(backup_instance::BackupInstanceType::default(), state.clone())),
        Arc::new(managed::Managed::new(backup_vault::BackupVaultType, state.clone())),
        Arc::new(managed::Managed::new(backup_policy_disk::BackupPolicyDiskType, state.clone())),
    ]
}

/// Every data source type.
pub fn all_data_sources(state: &Arc<ProviderState>) -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(data_backup_instance::BackupInstanceDataSource::new(state.clone())),
        Arc::new(data_backup_instances::BackupInstancesDataSource::new(state.clone())),
        Arc::new(data_backup_vault::BackupVaultDataSource::new(state.clone())),
        Arc::new(data_backup_policy_disk::BackupPolicyDiskDataSource::new(state.clone())),
    ]
}
