//! `dataprotection_backup_instances` data source: every backup instance of a vault, following Azure's pages
//! (`nextLink`) to the end.

use std::sync::Arc;

use async_trait::async_trait;

use super::configuration::ProviderConfiguration;
use crate::arm::ids::BackupVaultId;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::interface::{Context, DataReadRequest, DataReadResponse, DataSource};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::value::{Type, Value};

use super::common::arm_error;
use super::common::{
    call, config_id, configured, read_timeout, read_timeouts_block, required_config_id, validate_read_timeout,
};
use super::data_backup_instance::{INSTANCE_ATTRIBUTES, instance_attributes, instance_object_type};

/// The data source type name.
pub const TYPE_NAME: &str = "dataprotection_backup_instances";

/// The `dataprotection_backup_instances` data source.
#[derive(Debug)]
pub struct BackupInstancesDataSource {
    configuration: Arc<ProviderConfiguration>,
}

impl BackupInstancesDataSource {
    /// The data source, sharing the provider's configuration.
    pub fn new(configuration: Arc<ProviderConfiguration>) -> BackupInstancesDataSource {
        BackupInstancesDataSource { configuration }
    }
}

fn schema() -> Schema {
    let fields = INSTANCE_ATTRIBUTES.iter().map(|(name, _)| format!("`{name}`")).collect::<Vec<_>>().join(", ");
    Schema {
        version: 0,
        block: Block {
            description: "Lists the backup instances of an Azure Backup vault, all pages of them.".to_owned(),
            attributes: vec![
                Attribute::required("vault_id", Type::String).description("The ARM ID of the backup vault."),
                Attribute::computed("id", Type::String).description("The ARM ID of the backup vault, as read."),
                Attribute::computed("backup_instances", Type::list(instance_object_type())).description(format!(
                    "The vault's backup instances, in the order Azure lists them. Each has `id`, {fields}, as in the \
                     `dataprotection_backup_instance` data source."
                )),
            ],
            blocks: vec![read_timeouts_block()],
            deprecated: false,
        },
    }
}

#[async_trait]
impl DataSource for BackupInstancesDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        config_id::<BackupVaultId>(config, "vault_id", "backup vault", &mut diags);
        validate_read_timeout(config, &mut diags);
        diags
    }

    async fn read(&self, ctx: &Context, request: DataReadRequest) -> DataReadResponse {
        let mut response = DataReadResponse::default();
        let Some(configured) = configured(&self.configuration, &mut response.diagnostics) else { return response };
        let Some(vault) =
            required_config_id::<BackupVaultId>(&request.config, "vault_id", "backup vault", &mut response.diagnostics)
        else {
            return response;
        };
        let call = call(ctx, read_timeout(&request.config), "read timeout");
        match configured.client.list_backup_instances(&call, &vault).await {
            Ok(instances) => {
                let items = instances.iter().map(|i| instance_attributes(None, i)).collect();
                response.state = Value::object([
                    ("vault_id", request.config.attr("vault_id").clone()),
                    ("id", Value::from(vault.to_string())),
                    ("backup_instances", Value::List(items)),
                    ("timeouts", request.config.attr("timeouts").clone()),
                ]);
            }
            Err(error) => {
                let path = (error.status == Some(404)).then(|| AttributePath::root("vault_id"));
                arm_error(&mut response.diagnostics, &error, path, None);
            }
        }
        response
    }
}
