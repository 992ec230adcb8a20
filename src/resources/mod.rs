//! The resource and data source types, one file each.

pub mod backup_instance;
pub mod common;

use std::sync::Arc;

use crate::plugin::provider::{DataSource, Resource};
use crate::provider::ProviderState;

/// Every resource type, sharing the provider's configuration.
pub fn all(state: &Arc<ProviderState>) -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(backup_instance::BackupInstanceType::new(state.clone()))]
}

/// Every data source type.
pub fn all_data_sources(_state: &Arc<ProviderState>) -> Vec<Arc<dyn DataSource>> {
    Vec::new()
}
