//! `dataprotection_backup_instance` data source: one backup instance, by its ARM ID.

use async_trait::async_trait;

use super::backup_instance::{derived_datasource_type, snapshot_resource_group};
use crate::arm::ArmClient;
use crate::arm::ids::{BackupInstanceId, GenericResourceId};
use crate::arm::models::BackupInstanceResource;
use crate::arm::pipeline::CallContext;
use crate::arm::protection::current_state;
use crate::plugin::schema::Attribute;
use crate::plugin::value::{Type, Value};

use super::data_source::{Lookup, LookupDataSource, LookupError};
use super::model;

/// The data source type name.
pub const TYPE_NAME: &str = "dataprotection_backup_instance";

model::attributes! {
    /// A backup instance of any datasource kind as this data source and the elements of
    /// `dataprotection_backup_instances` show it.
    pub(crate) struct InstanceSummary, names in summary {
        id: String => computed(Type::String)
            .description("The ARM ID of the backup instance: `{vault_id}/backupInstances/{name}`."),
        name: String => computed(Type::String).description("The name of the backup instance."),
        vault_id: String => computed(Type::String)
            .description("The ARM ID of the backup vault the instance belongs to."),
        datasource_id: String => computed(Type::String).description(
            "The ARM ID of the protected resource: a managed disk, storage account, Kubernetes cluster or database \
             server.",
        ),
        datasource_type: String => computed(Type::String).description(
            "The datasource type, for example `Microsoft.Compute/disks` or \
             `Microsoft.Storage/storageAccounts/blobServices`.",
        ),
        resource_type: String => computed(Type::String).description(
            "The resource type of this provider that manages this kind of backup instance, for example \
             `dataprotection_backup_instance` (managed disks) or `dataprotection_backup_instance_blob_storage`: what \
             to import it into. Null for a datasource kind this provider does not manage.",
        ),
        location: String => computed(Type::String).description("The region of the protected resource."),
        backup_policy_id: String => computed(Type::String)
            .description("The ARM ID of the backup policy that protects it."),
        snapshot_resource_group_id: String => computed(Type::String)
            .description("The ARM ID of the resource group that holds the snapshots (operational store)."),
        protection_state: String => computed(Type::String).description(
            "The current protection state, for example `ProtectionConfigured`, `ProtectionError` or \
             `ProtectionStopped`.",
        ),
    }
}

/// The type of one instance in `dataprotection_backup_instances`.
pub(crate) fn instance_object_type() -> &'static Type {
    static TYPE: std::sync::OnceLock<Type> = std::sync::OnceLock::new();
    TYPE.get_or_init(|| Type::object(InstanceSummary::attributes().into_iter().map(|a| (a.name, a.ty))))
}

/// The attributes of an instance as Azure reports it (IDs in Azure's spelling, the instance ID canonical).
pub(crate) fn instance_attributes(fallback_id: Option<&BackupInstanceId>, instance: &BackupInstanceResource) -> Value {
    let p = &instance.properties;
    let id = instance.id.as_deref().and_then(|i| i.parse::<BackupInstanceId>().ok()).or_else(|| fallback_id.cloned());
    let datasource_type = p.data_source_info.datasource_type.clone().or_else(|| {
        p.data_source_info.resource_id.parse::<GenericResourceId>().ok().map(|d| derived_datasource_type(&d))
    });
    let snapshot_rg = snapshot_resource_group(instance);
    let resource_type = datasource_type.as_deref().and_then(super::kinds::by_datasource_type).map(|k| k.instance_type);
    let protection_state = current_state(instance);
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let summary = InstanceSummary {
        id: id.as_ref().map(ToString::to_string),
        name: id.as_ref().map(|i| i.name.clone()).or_else(|| instance.name.clone()),
        vault_id: id.as_ref().map(|i| i.vault.to_string()),
        datasource_id: non_empty(&p.data_source_info.resource_id),
        datasource_type,
        resource_type: resource_type.map(str::to_owned),
        location: p.data_source_info.resource_location.clone(),
        backup_policy_id: non_empty(&p.policy_info.policy_id),
        snapshot_resource_group_id: snapshot_rg,
        protection_state,
    };
    model::write(&summary, instance_object_type())
}

/// The `dataprotection_backup_instance` data source.
pub(crate) type BackupInstanceDataSource = LookupDataSource<BackupInstanceLookup>;

/// How the data source finds a backup instance: by its ARM ID.
#[derive(Debug)]
pub struct BackupInstanceLookup;

#[async_trait]
impl Lookup for BackupInstanceLookup {
    type Key = BackupInstanceId;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KEY: &'static str = summary::id;
    const KIND: &'static str = "backup instance";
    const CHECK: &'static str = "Check the vault and the instance name; instances are listed by the \
                                 dataprotection_backup_instances data source.";

    fn description() -> String {
        "Reads a backup instance of an Azure Backup vault (of any datasource kind) by its ARM ID.".to_owned()
    }

    fn attributes() -> Vec<Attribute> {
        InstanceSummary::data_source_attributes(&[summary::id])
    }

    async fn find(client: &ArmClient, call: &CallContext, id: &BackupInstanceId) -> Result<Option<Value>, LookupError> {
        Ok(client.read_backup_instance(call, id).await?.map(|instance| instance_attributes(Some(id), &instance)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "/subscriptions/s1/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/v1/backupInstances/bi-1";

    #[test]
    fn attributes_come_from_the_instance() {
        let instance: BackupInstanceResource = serde_json::from_value(serde_json::json!({
            "id": ID.to_lowercase(),
            "properties": {
                "objectType": "BackupInstance",
                "dataSourceInfo": {"resourceID": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/disks/d1",
                                   "resourceLocation": "westus"},
                "policyInfo": {"policyId": "/p", "policyParameters": {"dataStoreParametersList": [
                    {"objectType": "AzureOperationalStoreParameters", "dataStoreType": "OperationalStore", "resourceGroupId": "/rg"}]}},
                "protectionStatus": {"status": "ProtectionStopped"}
            }
        }))
        .unwrap();
        let value = instance_attributes(None, &instance);
        assert_eq!(value.attr("name").as_str(), Some("bi-1"));
        // Azure's lower-cased ID is read back in canonical form.
        assert_eq!(value.attr("id").as_str(), Some(ID));
        assert_eq!(value.attr("vault_id").as_str(), ID.split("/backupInstances").next());
        assert_eq!(value.attr("datasource_type").as_str(), Some("Microsoft.Compute/disks"));
        assert_eq!(value.attr("snapshot_resource_group_id").as_str(), Some("/rg"));
        assert_eq!(value.attr("protection_state").as_str(), Some("ProtectionStopped"));
        assert_eq!(value.as_entries().unwrap().len(), InstanceSummary::attributes().len());
        let Type::Object(fields) = instance_object_type() else { panic!() };
        assert!(value.as_entries().unwrap().keys().eq(fields.keys()));
    }

    /// The data source describes instances of every kind in its own words, so its schema is not derived from the
    /// resources' (one per kind); what it shares with them must still be the same attribute.
    #[test]
    fn what_it_shares_with_the_instance_resources_is_their_attribute() {
        use crate::resources::backup_instance::{BackupInstanceType, attr};
        use crate::resources::instance_kinds::Disk;
        use crate::resources::managed::ManagedResource;
        let configuration = std::sync::Arc::new(super::super::ProviderConfiguration::default());
        let schemas: Vec<_> =
            super::super::kinds::instance_resources(&configuration).iter().map(|r| r.schema()).collect();
        for attribute in InstanceSummary::attributes() {
            let theirs: Vec<_> =
                schemas.iter().filter_map(|s| s.block.attributes.iter().find(|a| a.name == attribute.name)).collect();
            if attribute.name == summary::resource_type {
                assert!(theirs.is_empty(), "resource_type is the data source's own");
                continue;
            }
            assert!(!theirs.is_empty(), "{} is an attribute of an instance resource", attribute.name);
            for a in theirs {
                assert_eq!(a.ty, attribute.ty, "{}", attribute.name);
            }
        }
        // What the data source leaves out of the managed disk's instance is Terraform's, not Azure's.
        let disk = <BackupInstanceType<Disk> as ManagedResource>::schema();
        let left_out: Vec<_> = disk
            .block
            .attributes
            .iter()
            .filter(|a| !InstanceSummary::attributes().iter().any(|s| s.name == a.name))
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(left_out, vec![attr::retain_data_on_destroy]);
    }

    #[test]
    fn bad_ids_are_refused_offline() {
        use crate::plugin::interface::DataSource;
        let source = BackupInstanceDataSource::new(std::sync::Arc::new(super::super::ProviderConfiguration::default()));
        let config = Value::object([("id", Value::from("/subscriptions/s1/resourceGroups/rg"))]);
        assert!(source.validate(&config).has_errors());
        assert!(source.validate(&Value::object([("id", Value::from(ID))])).is_empty());
    }
}
