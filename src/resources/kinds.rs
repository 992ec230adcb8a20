//! Every datasource kind the provider protects, listed once: the backup instance kind and the backup policy kind of
//! each. The provider's resource list, the policy data sources and the lookups by datasource type and by ARM type come from this one table,
//! so a new kind is one line here plus its two kind impls (`instance_kinds.rs`, `policy_kinds.rs`).

use std::sync::Arc;

use crate::plugin::interface::{DataSource, Resource};

use super::backup_instance::BackupInstanceType;
use super::backup_policy::BackupPolicyType;
use super::configuration::ProviderConfiguration;
use super::data_backup_policy::BackupPolicyDataSource;
use super::instance_kinds::{
    BlobStorage, DataLakeStorage, Disk, InstanceKind, KubernetesCluster, MySqlFlexibleServer, PostgreSqlFlexibleServer,
};
use super::managed::Managed;
use super::policy_kinds::{
    BlobStoragePolicy, DataLakeStoragePolicy, DiskPolicy, KubernetesClusterPolicy, MySqlFlexibleServerPolicy,
    PolicyKind, PostgreSqlFlexibleServerPolicy,
};

/// One datasource kind: the names its two resource types go by, and what Azure calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kind {
    /// The backup instance resource type, for example `dataprotection_backup_instance_blob_storage`.
    pub instance_type: &'static str,
    /// The backup policy resource type, for example `dataprotection_backup_policy_blob_storage`.
    pub policy_type: &'static str,
    /// Azure's `datasourceType`, for example `Microsoft.Storage/storageAccounts/blobServices`.
    pub datasource_type: &'static str,
    /// The ARM type of the protected resource, for example `Microsoft.Storage/storageAccounts`.
    pub resource_type: &'static str,
}

/// The table: each line is an instance kind and the policy kind of the same datasource.
macro_rules! kinds {
    ($( $instance:ty => $policy:ty ),* $(,)?) => {
        /// Every kind, in the order of the table.
        pub(crate) const KINDS: &[Kind] = &[$(
            Kind {
                instance_type: <$instance as InstanceKind>::TYPE_NAME,
                policy_type: <$policy as PolicyKind>::TYPE_NAME,
                datasource_type: <$instance as InstanceKind>::DATASOURCE_TYPE,
                resource_type: <$instance as InstanceKind>::RESOURCE_TYPE,
            },
        )*];

        /// A policy kind is for the datasource of the instance kind beside it.
        const _: () = {$(
            assert!(same(<$instance as InstanceKind>::DATASOURCE_TYPE, <$policy as PolicyKind>::DATASOURCE_TYPE));
        )*};

        /// The backup instance resources of every kind, sharing the provider's configuration.
        pub(crate) fn instance_resources(configuration: &Arc<ProviderConfiguration>) -> Vec<Arc<dyn Resource>> {
            vec![$(
                Arc::new(Managed::new(BackupInstanceType::<$instance>::default(), configuration.clone())),
            )*]
        }

        /// The backup policy data sources of every kind, sharing the provider's configuration.
        pub(crate) fn policy_data_sources(configuration: &Arc<ProviderConfiguration>) -> Vec<Arc<dyn DataSource>> {
            vec![$(
                Arc::new(BackupPolicyDataSource::<$policy>::new(configuration.clone())),
            )*]
        }

        /// The backup policy resources of every kind, sharing the provider's configuration.
        pub(crate) fn policy_resources(configuration: &Arc<ProviderConfiguration>) -> Vec<Arc<dyn Resource>> {
            vec![$(
                Arc::new(Managed::new(BackupPolicyType::<$policy>::default(), configuration.clone())),
            )*]
        }
    };
}

kinds! {
    Disk => DiskPolicy,
    BlobStorage => BlobStoragePolicy,
    DataLakeStorage => DataLakeStoragePolicy,
    KubernetesCluster => KubernetesClusterPolicy,
    PostgreSqlFlexibleServer => PostgreSqlFlexibleServerPolicy,
    MySqlFlexibleServer => MySqlFlexibleServerPolicy,
}

/// Byte equality of two strings, usable in constants.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The kind whose datasource type is `datasource_type` (without case).
pub(crate) fn by_datasource_type(datasource_type: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.datasource_type.eq_ignore_ascii_case(datasource_type))
}

/// The backup instance resource types that protect a resource of ARM type `arm_type` (without case).
pub(crate) fn instance_types_protecting(arm_type: &str) -> Vec<&'static str> {
    KINDS.iter().filter(|k| k.resource_type.eq_ignore_ascii_case(arm_type)).map(|k| k.instance_type).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_found_by_its_datasource_type_and_protected_resource() {
        for kind in KINDS {
            assert_eq!(by_datasource_type(&kind.datasource_type.to_ascii_uppercase()), Some(kind));
            assert!(instance_types_protecting(kind.resource_type).contains(&kind.instance_type));
        }
        assert_eq!(by_datasource_type("Microsoft.Unknown/things"), None);
        let names: std::collections::BTreeSet<_> =
            KINDS.iter().flat_map(|k| [k.instance_type, k.policy_type]).collect();
        assert_eq!(names.len(), 2 * KINDS.len(), "every resource type name is used once");
    }
}
