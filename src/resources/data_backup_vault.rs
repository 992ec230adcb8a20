//! `dataprotection_backup_vault` data source: one backup vault, by its ARM ID.

use async_trait::async_trait;

use crate::arm::ArmClient;
use crate::arm::ids::BackupVaultId;
use crate::arm::pipeline::CallContext;
use crate::plugin::schema::Attribute;
use crate::plugin::value::Value;

use super::backup_vault::{VaultObject, attr, state_from_azure};
use super::data_source::{Lookup, LookupDataSource, LookupError};

/// The data source type name.
pub const TYPE_NAME: &str = "dataprotection_backup_vault";

/// The `dataprotection_backup_vault` data source.
pub(crate) type BackupVaultDataSource = LookupDataSource<BackupVaultLookup>;

/// How the data source finds a backup vault: by its ARM ID, with the resource's attributes.
#[derive(Debug)]
pub struct BackupVaultLookup;

#[async_trait]
impl Lookup for BackupVaultLookup {
    type Key = BackupVaultId;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KEY: &'static str = attr::id;
    const KIND: &'static str = "backup vault";
    const CHECK: &'static str = "Check the subscription, resource group and name.";

    fn description() -> String {
        "Reads an Azure Backup vault by its ARM ID, for example to grant its managed identity roles.".to_owned()
    }

    fn attributes() -> Vec<Attribute> {
        VaultObject::data_source_attributes(&[attr::id])
    }

    async fn find(client: &ArmClient, call: &CallContext, id: &BackupVaultId) -> Result<Option<Value>, LookupError> {
        Ok(client.get_backup_vault(call, id).await?.map(|vault| state_from_azure(&Value::Null, id, &vault)))
    }
}
