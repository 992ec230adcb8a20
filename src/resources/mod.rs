//! The resource and data source types, one file each.

pub mod backup_instance;
pub mod backup_policy;
pub mod backup_vault;
pub mod common;
pub mod configuration;
pub mod data_backup_instance;
pub mod data_backup_instances;
pub mod data_backup_policy_disk;
pub mod data_backup_vault;
pub mod instance_kinds;
pub(crate) mod iso8601;
pub(crate) mod managed;
pub(crate) mod model;
pub(crate) mod moves;
pub mod policy_kinds;
pub(crate) mod time_zones;
pub(crate) mod validated;

use std::sync::Arc;

use crate::plugin::interface::{DataSource, Resource};
use backup_instance::BackupInstanceType;
use backup_policy::BackupPolicyType;
pub use configuration::{Configured, NotReady, ProviderConfiguration};
use instance_kinds::{
    BlobStorage, DataLakeStorage, Disk, KubernetesCluster, MySqlFlexibleServer, PostgreSqlFlexibleServer,
};
use policy_kinds::{
    BlobStoragePolicy, DataLakeStoragePolicy, DiskPolicy, KubernetesClusterPolicy, MySqlFlexibleServerPolicy,
    PostgreSqlFlexibleServerPolicy,
};

/// Every resource type, sharing the provider's configuration.
pub fn all(configuration: &Arc<ProviderConfiguration>) -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(managed::Managed::new(backup_instance::BackupInstanceType::<Disk>::default(), configuration.clone())),
        Arc::new(managed::Managed::new(BackupInstanceType::<BlobStorage>::default(), configuration.clone())),
        Arc::new(managed::Managed::new(BackupInstanceType::<DataLakeStorage>::default(), configuration.clone())),
        Arc::new(managed::Managed::new(BackupInstanceType::<KubernetesCluster>::default(), configuration.clone())),
        Arc::new(managed::Managed::new(
            BackupInstanceType::<PostgreSqlFlexibleServer>::default(),
            configuration.clone(),
        )),
        Arc::new(managed::Managed::new(BackupInstanceType::<MySqlFlexibleServer>::default(), configuration.clone())),
        Arc::new(managed::Managed::new(backup_vault::BackupVaultType, configuration.clone())),
        Arc::new(managed::Managed::new(BackupPolicyType::<DiskPolicy>::default(), configuration.clone())),
        Arc::new(managed::Managed::new(BackupPolicyType::<BlobStoragePolicy>::default(), configuration.clone())),
        Arc::new(managed::Managed::new(BackupPolicyType::<DataLakeStoragePolicy>::default(), configuration.clone())),
        Arc::new(managed::Managed::new(BackupPolicyType::<KubernetesClusterPolicy>::default(), configuration.clone())),
        Arc::new(managed::Managed::new(
            BackupPolicyType::<PostgreSqlFlexibleServerPolicy>::default(),
            configuration.clone(),
        )),
        Arc::new(managed::Managed::new(
            BackupPolicyType::<MySqlFlexibleServerPolicy>::default(),
            configuration.clone(),
        )),
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
