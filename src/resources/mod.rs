//! The resource and data source types, one file each.

pub mod backup_instance;
pub mod backup_policy;
pub mod backup_vault;
pub mod backup_vault_customer_managed_key;
pub mod common;
pub mod configuration;
pub mod data_backup_instance;
pub mod data_backup_instances;
pub mod data_backup_policy;
pub mod data_backup_vault;
pub(crate) mod data_source;
pub(crate) mod from_azurerm;
pub mod instance_kinds;
pub(crate) mod iso8601;
pub(crate) mod kinds;
pub(crate) mod managed;
pub(crate) mod model;
pub(crate) mod moves;
pub mod policy_kinds;
pub mod resource_guard;
pub mod resource_guard_association;
pub(crate) mod time_zones;
pub(crate) mod validated;

use std::sync::Arc;

use crate::plugin::interface::{DataSource, Resource};
pub use configuration::{Configured, NotReady, ProviderConfiguration};

/// Every resource type, sharing the provider's configuration: the backup instance of each kind, the vault, and the
/// backup policy of each kind.
pub fn all(configuration: &Arc<ProviderConfiguration>) -> Vec<Arc<dyn Resource>> {
    let mut resources = kinds::instance_resources(configuration);
    resources.push(Arc::new(managed::Managed::new(backup_vault::BackupVaultType, configuration.clone())));
    resources.extend(kinds::policy_resources(configuration));
    resources.push(Arc::new(managed::Managed::new(
        backup_vault_customer_managed_key::CustomerManagedKeyType,
        configuration.clone(),
    )));
    resources.push(Arc::new(managed::Managed::new(resource_guard::ResourceGuardType, configuration.clone())));
    resources.push(Arc::new(managed::Managed::new(
        resource_guard_association::ResourceGuardAssociationType,
        configuration.clone(),
    )));
    resources
}

/// Every data source type: the backup instance and instances, the vault, and the backup policy of each kind.
pub fn all_data_sources(configuration: &Arc<ProviderConfiguration>) -> Vec<Arc<dyn DataSource>> {
    let mut data_sources: Vec<Arc<dyn DataSource>> = vec![
        Arc::new(data_backup_instance::BackupInstanceDataSource::new(configuration.clone())),
        Arc::new(data_backup_instances::BackupInstancesDataSource::new(configuration.clone())),
        Arc::new(data_backup_vault::BackupVaultDataSource::new(configuration.clone())),
    ];
    data_sources.extend(kinds::policy_data_sources(configuration));
    data_sources
}
