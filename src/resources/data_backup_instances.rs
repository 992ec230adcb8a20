//! `dataprotection_backup_instances` data source: every backup instance of a vault, following Azure's pages
//! (`nextLink`) to the end.

use async_trait::async_trait;

use crate::arm::ArmClient;
use crate::arm::ids::BackupVaultId;
use crate::arm::pipeline::CallContext;
use crate::plugin::schema::Attribute;
use crate::plugin::value::{Type, Value};

use super::data_backup_instance::{InstanceSummary, instance_attributes, instance_object_type, summary};
use super::data_source::{Lookup, LookupDataSource, LookupError};
use super::model;

/// The data source type name.
pub const TYPE_NAME: &str = "dataprotection_backup_instances";

model::attributes! {
    /// The instances of a vault, as this data source shows them.
    pub(crate) struct VaultInstances, names in attr {
        vault_id: String => required(Type::String).description("The ARM ID of the backup vault."),
        id: String => computed(Type::String).description("The ARM ID of the backup vault, as read."),
        backup_instances: Vec<InstanceSummary> => computed(Type::list(instance_object_type().clone())).description(
            format!(
                "The vault's backup instances, in the order Azure lists them. Each has `id`, {}, as in the \
                 `dataprotection_backup_instance` data source.",
                InstanceSummary::attributes()
                    .iter()
                    .filter(|a| a.name != summary::id)
                    .map(|a| format!("`{}`", a.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        ),
        timeouts: serde_json::Value,
    }
}

/// The `dataprotection_backup_instances` data source.
pub(crate) type BackupInstancesDataSource = LookupDataSource<BackupInstancesLookup>;

/// How the data source finds the instances: by the vault's ARM ID, every page of them.
#[derive(Debug)]
pub struct BackupInstancesLookup;

#[async_trait]
impl Lookup for BackupInstancesLookup {
    type Key = BackupVaultId;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KEY: &'static str = attr::vault_id;
    const KIND: &'static str = "backup vault";
    const CHECK: &'static str = "Check the subscription, resource group and vault name.";

    fn description() -> String {
        "Lists the backup instances of an Azure Backup vault, all pages of them.".to_owned()
    }

    fn attributes() -> Vec<Attribute> {
        VaultInstances::attributes()
    }

    /// A vault Azure does not have is Azure's 404, which the adapter puts on `vault_id`.
    async fn find(client: &ArmClient, call: &CallContext, vault: &BackupVaultId) -> Result<Option<Value>, LookupError> {
        let instances = client.list_backup_instances(call, vault).await?;
        Ok(Some(Value::object([
            (attr::id, Value::from(vault.to_string())),
            (attr::backup_instances, Value::List(instances.iter().map(|i| instance_attributes(None, i)).collect())),
        ])))
    }
}
