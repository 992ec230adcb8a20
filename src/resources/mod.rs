//! The resource and data source types, one file each.

pub mod backup_instance;
pub mod backup_policy_disk;
pub mod backup_vault;
pub mod common;
mod helpers;

use std::sync::Arc;

use crate::plugin::provider::{DataSource, Resource};
use crate::provider::ProviderState;

/// Every resource type, sharing the provider's configuration.
pub fn all(state: &Arc<ProviderState>) -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(backup_instance::BackupInstanceType::new(state.clone())),
        Arc::new(backup_vault::BackupVaultType::new(state.clone())),
        Arc::new(backup_policy_disk::BackupPolicyDiskType::new(state.clone())),
    ]
}

/// Every data source type.
pub fn all_data_sources(_state: &Arc<ProviderState>) -> Vec<Arc<dyn DataSource>> {
    Vec::new()
}
