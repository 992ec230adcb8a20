//! `dataprotection_backup_vault` data source: one backup vault, by its ARM ID.

use std::sync::Arc;

use async_trait::async_trait;

use super::configuration::ProviderConfiguration;
use crate::arm::ids::BackupVaultId;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::interface::{Context, DataReadRequest, DataReadResponse, DataSource};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::value::{Type, Value};

use super::backup_vault::state_from_azure;
use super::common::{
    call, config_id, configured, data_source_found, read_timeout, read_timeouts_block, required_config_id,
    validate_read_timeout,
};

/// The data source type name.
pub const TYPE_NAME: &str = "dataprotection_backup_vault";

/// The `dataprotection_backup_vault` data source.
#[derive(Debug)]
pub struct BackupVaultDataSource {
    configuration: Arc<ProviderConfiguration>,
}

impl BackupVaultDataSource {
    /// The data source, sharing the provider's configuration.
    pub fn new(configuration: Arc<ProviderConfiguration>) -> BackupVaultDataSource {
        BackupVaultDataSource { configuration }
    }
}

fn schema() -> Schema {
    let computed = |name: &str, ty: Type, text: &str| Attribute::computed(name, ty).description(text);
    Schema {
        version: 0,
        block: Block {
            description: "Reads an Azure Backup vault by its ARM ID, for example to grant its managed identity roles."
                .to_owned(),
            attributes: vec![
                Attribute::required("id", Type::String).description("The ARM ID of the backup vault."),
                computed("name", Type::String, "The name of the backup vault."),
                computed("resource_group_id", Type::String, "The ARM ID of the vault's resource group."),
                computed("location", Type::String, "The region of the vault."),
                computed("datastore_type", Type::String, "The datastore of the vault's storage setting."),
                computed("redundancy", Type::String, "The redundancy of the vault's storage."),
                computed("soft_delete", Type::String, "The soft delete state: `Off`, `On` or `AlwaysOn`."),
                computed("retention_duration_in_days", Type::Number, "How many days soft-deleted backup data is kept."),
                computed("immutability", Type::String, "The immutability state: `Disabled`, `Unlocked` or `Locked`."),
                computed("identity_type", Type::String, "The vault's managed identity type."),
                computed(
                    "identity_principal_id",
                    Type::String,
                    "The object (principal) ID of the vault's system-assigned identity, for role assignments.",
                ),
                computed("identity_tenant_id", Type::String, "The tenant of the vault's system-assigned identity."),
                computed("tags", Type::map(Type::String), "The vault's tags."),
            ],
            blocks: vec![read_timeouts_block()],
            deprecated: false,
        },
    }
}

#[async_trait]
impl DataSource for BackupVaultDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        config_id::<BackupVaultId>(config, "id", "backup vault", &mut diags);
        validate_read_timeout(config, &mut diags);
        diags
    }

    async fn read(&self, ctx: &Context, request: DataReadRequest) -> DataReadResponse {
        let mut response = DataReadResponse::default();
        let Some(configured) = configured(&self.configuration, &mut response.diagnostics) else { return response };
        let Some(id) =
            required_config_id::<BackupVaultId>(&request.config, "id", "backup vault", &mut response.diagnostics)
        else {
            return response;
        };
        let call = call(ctx, read_timeout(&request.config), "read timeout");
        let found = configured.client.get_backup_vault(&call, &id).await;
        data_source_found(
            &mut response,
            &request.config,
            found,
            "backup vault",
            &id,
            "Check the subscription, resource group and name.",
            |vault| state_from_azure(&Value::Null, &id, &vault),
        );
        response
    }
}
