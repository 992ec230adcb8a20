//! `dataprotection_backup_policy_<kind>` data sources: one backup policy of a kind, by its ARM ID. One generic
//! lookup serves every kind of [`super::policy_kinds`]; its attributes are derived from the kind's resource schema
//! (`backup_policy.rs`), so what a policy resource gains, its data source shows without another edit. A policy of
//! another kind is an error on `id` that names the data source that reads it.

use std::marker::PhantomData;

use async_trait::async_trait;

use crate::arm::ArmClient;
use crate::arm::ids::BackupPolicyId;
use crate::arm::pipeline::CallContext;
use crate::plugin::schema::Attribute;
use crate::plugin::value::Value;

use super::backup_policy::{attr, data_source_schema_attributes, data_source_state, wrong_kind};
use super::data_source::{Lookup, LookupDataSource, LookupError};
use super::policy_kinds::PolicyKind;

/// The `dataprotection_backup_policy_<kind>` data source of kind `K`.
pub(crate) type BackupPolicyDataSource<K> = LookupDataSource<BackupPolicyLookup<K>>;

/// How the data source finds a backup policy of kind `K`: by its ARM ID.
#[derive(Debug)]
pub struct BackupPolicyLookup<K>(PhantomData<fn() -> K>);

#[async_trait]
impl<K: PolicyKind> Lookup for BackupPolicyLookup<K> {
    type Key = BackupPolicyId;
    const TYPE_NAME: &'static str = K::TYPE_NAME;
    const KEY: &'static str = attr::id;
    const KIND: &'static str = "backup policy";
    const CHECK: &'static str = "Check the vault and the policy name.";

    fn description() -> String {
        format!(
            "Reads a backup policy for {} by its ARM ID, for example to protect them with a policy managed \
             elsewhere. A policy for another kind of datasource is an error on `id`.",
            K::NOUN
        )
    }

    fn attributes() -> Vec<Attribute> {
        data_source_schema_attributes::<K>()
    }

    async fn find(client: &ArmClient, call: &CallContext, id: &BackupPolicyId) -> Result<Option<Value>, LookupError> {
        let Some(policy) = client.read_backup_policy(call, id).await? else { return Ok(None) };
        if let Some((summary, detail)) = wrong_kind::<K>(id, &policy, "reads", "Read it with the data source") {
            return Err(LookupError::Refused { summary, detail });
        }
        Ok(Some(data_source_state::<K>(id, &policy)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::value::Type;
    use crate::resources::backup_policy::BackupPolicyType;
    use crate::resources::managed::ManagedResource;
    use crate::resources::policy_kinds::{
        BlobStoragePolicy, DataLakeStoragePolicy, DiskPolicy, KubernetesClusterPolicy, MySqlFlexibleServerPolicy,
        PostgreSqlFlexibleServerPolicy,
    };

    /// The data source of kind `K` has every attribute and block of the resource (but `timeouts`), of the same
    /// type, computed, with `id` alone required.
    fn mirrors_the_resource<K: PolicyKind>() {
        let resource = BackupPolicyType::<K>::schema();
        let Type::Object(mut expected) = resource.block.value_type() else { panic!("an object type") };
        expected.remove(attr::timeouts);
        let attributes = BackupPolicyLookup::<K>::attributes();
        let found: std::collections::BTreeMap<String, Type> =
            attributes.iter().map(|a| (a.name.clone(), a.ty.clone())).collect();
        assert_eq!(found, expected, "{}", K::TYPE_NAME);
        for attribute in &attributes {
            assert!(!attribute.force_new && !attribute.optional, "{}.{}", K::TYPE_NAME, attribute.name);
            assert!(!attribute.description.contains("forces a new"), "{}.{}", K::TYPE_NAME, attribute.name);
            assert!(!attribute.description.is_empty(), "{}.{}", K::TYPE_NAME, attribute.name);
            assert_eq!(attribute.required, attribute.name == attr::id, "{}.{}", K::TYPE_NAME, attribute.name);
            assert_eq!(attribute.computed, attribute.name != attr::id, "{}.{}", K::TYPE_NAME, attribute.name);
        }
        assert!(BackupPolicyLookup::<K>::description().contains(K::NOUN));
    }

    #[test]
    fn every_kind_mirrors_its_resource() {
        mirrors_the_resource::<DiskPolicy>();
        mirrors_the_resource::<BlobStoragePolicy>();
        mirrors_the_resource::<DataLakeStoragePolicy>();
        mirrors_the_resource::<KubernetesClusterPolicy>();
        mirrors_the_resource::<PostgreSqlFlexibleServerPolicy>();
        mirrors_the_resource::<MySqlFlexibleServerPolicy>();
    }
}
