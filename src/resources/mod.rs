//! The resource and data source types, one file each.

pub mod backup_instance;
pub mod backup_policy_disk;
pub mod backup_vault;
pub mod common;
pub mod configuration;
pub mod data_backup_instance;
pub mod data_backup_instances;
pub mod data_backup_policy_disk;
pub mod data_backup_vault;
pub(crate) mod managed;
pub(crate) mod model;

use std::sync::Arc;

use crate::plugin::interface::{DataSource, Resource};
pub use configuration::{Configured, NotReady, ProviderConfiguration};

/// Every resource type, sharing the provider's configuration.
pub fn all(configuration: &Arc<ProviderConfiguration>) -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(managed::Managed::new(backup_instance::BackupInstanceType::default(), configuration.clone())),
        Arc::new(managed::Managed::new(backup_vault::BackupVaultType, configuration.clone())),
        Arc::new(managed::Managed::new(backup_policy_disk::BackupPolicyDiskType, configuration.clone())),
    ]
}

/// Every data source type.
pub fn all_data_sources(configuration: &Arc<ProviderConfiguration>) -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(data_backup_instance::BackupInstanceDataSource::new(configuration.clone())),
        Arc::new(data_backup_instances::BackupInstancesDataSource::new(configuration.clone())),
        Arc::new(data_backup_vault::BackupVaultDataSource::new(configuration.clone())),
        Arc::new(data_backup_policy_disk::BackupPolicyDiskDataSource::new(configuration.clone())),
    ]
}
