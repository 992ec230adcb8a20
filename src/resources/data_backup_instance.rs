//! `dataprotection_backup_instance` data source: one backup instance, by its ARM ID.

use std::sync::Arc;

use async_trait::async_trait;

use super::backup_instance::{derived_datasource_type, snapshot_resource_group};
use super::configuration::ProviderConfiguration;
use crate::arm::ids::{BackupInstanceId, GenericResourceId};
use crate::arm::models::BackupInstanceResource;
use crate::arm::protection::current_state;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::interface::{Context, DataReadRequest, DataReadResponse, DataSource};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::value::{Type, Value};

use super::common::{
    call, config_id, configured, data_source_found, read_timeout, read_timeouts_block, required_config_id,
    validate_read_timeout,
};

/// The data source type name.
pub const TYPE_NAME: &str = "dataprotection_backup_instance";

/// The computed attributes of a backup instance, with their descriptions: shared by this data source and the
/// elements of `dataprotection_backup_instances`.
pub(crate) const INSTANCE_ATTRIBUTES: &[(&str, &str)] = &[
    ("name", "The name of the backup instance."),
    ("vault_id", "The ARM ID of the backup vault the instance belongs to."),
    (
        "datasource_id",
        "The ARM ID of the protected resource: a managed disk, storage account, Kubernetes cluster or database server.",
    ),
    (
        "datasource_type",
        "The datasource type, for example `Microsoft.Compute/disks` or `Microsoft.Storage/storageAccounts/blobServices`.",
    ),
    (
        "resource_type",
        "The resource type of this provider that manages this kind of backup instance, for example \
         `dataprotection_backup_instance` (managed disks) or `dataprotection_backup_instance_blob_storage`: what to \
         import it into. Null for a datasource kind this provider does not manage.",
    ),
    ("location", "The region of the protected resource."),
    ("backup_policy_id", "The ARM ID of the backup policy that protects it."),
    ("snapshot_resource_group_id", "The ARM ID of the resource group that holds the snapshots (operational store)."),
    (
        "protection_state",
        "The current protection state, for example `ProtectionConfigured`, `ProtectionError` or `ProtectionStopped`.",
    ),
];

/// The type of one instance in `dataprotection_backup_instances`.
pub(crate) fn instance_object_type() -> Type {
    Type::object(
        std::iter::once(("id", Type::String)).chain(INSTANCE_ATTRIBUTES.iter().map(|(name, _)| (*name, Type::String))),
    )
}

/// The attributes of an instance as Azure reports it (IDs in Azure's spelling, the instance ID canonical).
pub(crate) fn instance_attributes(fallback_id: Option<&BackupInstanceId>, instance: &BackupInstanceResource) -> Value {
    let p = &instance.properties;
    let id = instance.id.as_deref().and_then(|i| i.parse::<BackupInstanceId>().ok()).or_else(|| fallback_id.cloned());
    let datasource_type = p.data_source_info.datasource_type.clone().or_else(|| {
        p.data_source_info.resource_id.parse::<GenericResourceId>().ok().map(|d| derived_datasource_type(&d))
    });
    let snapshot_rg = snapshot_resource_group(instance);
    let resource_type = datasource_type.as_deref().and_then(super::instance_kinds::resource_type_for);
    let protection_state = current_state(instance);
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Value::object([
        ("id", Value::from(id.as_ref().map(ToString::to_string))),
        ("name", Value::from(id.as_ref().map(|i| i.name.clone()).or_else(|| instance.name.clone()))),
        ("vault_id", Value::from(id.as_ref().map(|i| i.vault.to_string()))),
        ("datasource_id", Value::from(non_empty(&p.data_source_info.resource_id))),
        ("datasource_type", Value::from(datasource_type)),
        ("resource_type", Value::from(resource_type)),
        ("location", Value::from(p.data_source_info.resource_location.clone())),
        ("backup_policy_id", Value::from(non_empty(&p.policy_info.policy_id))),
        ("snapshot_resource_group_id", Value::from(snapshot_rg)),
        ("protection_state", Value::from(protection_state)),
    ])
}

/// The `dataprotection_backup_instance` data source.
#[derive(Debug)]
pub struct BackupInstanceDataSource {
    configuration: Arc<ProviderConfiguration>,
}

impl BackupInstanceDataSource {
    /// The data source, sharing the provider's configuration.
    pub fn new(configuration: Arc<ProviderConfiguration>) -> BackupInstanceDataSource {
        BackupInstanceDataSource { configuration }
    }
}

fn schema() -> Schema {
    let mut attributes = vec![
        Attribute::required("id", Type::String)
            .description("The ARM ID of the backup instance: `{vault_id}/backupInstances/{name}`."),
    ];
    attributes.extend(
        INSTANCE_ATTRIBUTES.iter().map(|(name, text)| Attribute::computed(name, Type::String).description(*text)),
    );
    Schema {
        version: 0,
        block: Block {
            description: "Reads a backup instance of an Azure Backup vault (of any datasource kind) by its ARM ID."
                .to_owned(),
            attributes,
            blocks: vec![read_timeouts_block()],
            deprecated: false,
        },
    }
}

#[async_trait]
impl DataSource for BackupInstanceDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        config_id::<BackupInstanceId>(config, "id", "backup instance", &mut diags);
        validate_read_timeout(config, &mut diags);
        diags
    }

    async fn read(&self, ctx: &Context, request: DataReadRequest) -> DataReadResponse {
        let mut response = DataReadResponse::default();
        let Some(configured) = configured(&self.configuration, &mut response.diagnostics) else { return response };
        let Some(id) =
            required_config_id::<BackupInstanceId>(&request.config, "id", "backup instance", &mut response.diagnostics)
        else {
            return response;
        };
        let call = call(ctx, read_timeout(&request.config), "read timeout");
        let found = configured.client.read_backup_instance(&call, &id).await;
        let check = "Check the vault and the instance name; instances are listed by the dataprotection_backup_instances \
                     data source.";
        data_source_found(&mut response, &request.config, found, "backup instance", &id, check, |instance| {
            instance_attributes(Some(&id), &instance)
        });
        response
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
        assert_eq!(value.as_entries().unwrap().len(), INSTANCE_ATTRIBUTES.len() + 1);
        let Type::Object(fields) = instance_object_type() else { panic!() };
        assert!(value.as_entries().unwrap().keys().eq(fields.keys()));
    }

    #[test]
    fn bad_ids_are_refused_offline() {
        let source = BackupInstanceDataSource::new(Arc::new(ProviderConfiguration::default()));
        let config = Value::object([("id", Value::from("/subscriptions/s1/resourceGroups/rg"))]);
        assert!(source.validate(&config).has_errors());
        assert!(source.validate(&Value::object([("id", Value::from(ID))])).is_empty());
    }
}
