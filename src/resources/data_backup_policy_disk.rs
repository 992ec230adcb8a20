//! `dataprotection_backup_policy_disk` data source: one disk backup policy, by its ARM ID.

use std::sync::Arc;

use async_trait::async_trait;

use super::configuration::ProviderConfiguration;
use crate::arm::ids::BackupPolicyId;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::interface::{Context, DataReadRequest, DataReadResponse, DataSource};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::value::{Type, Value};

use super::backup_policy::{data_source_attributes, retention_rule_type};
use super::common::{
    call, config_id, configured, data_source_found, read_timeout, read_timeouts_block, required_config_id,
    validate_read_timeout,
};

/// The data source type name.
pub const TYPE_NAME: &str = "dataprotection_backup_policy_disk";

/// The `dataprotection_backup_policy_disk` data source.
#[derive(Debug)]
pub struct BackupPolicyDiskDataSource {
    configuration: Arc<ProviderConfiguration>,
}

impl BackupPolicyDiskDataSource {
    /// The data source, sharing the provider's configuration.
    pub fn new(configuration: Arc<ProviderConfiguration>) -> BackupPolicyDiskDataSource {
        BackupPolicyDiskDataSource { configuration }
    }
}

fn schema() -> Schema {
    let computed = |name: &str, ty: Type, text: &str| Attribute::computed(name, ty).description(text);
    Schema {
        version: 0,
        block: Block {
            description: "Reads a backup policy for managed disks by its ARM ID, for example to protect disks with a \
                          policy managed elsewhere."
                .to_owned(),
            attributes: vec![
                Attribute::required("id", Type::String)
                    .description("The ARM ID of the backup policy: `{vault_id}/backupPolicies/{name}`."),
                computed("name", Type::String, "The name of the backup policy."),
                computed("vault_id", Type::String, "The ARM ID of the backup vault the policy belongs to."),
                computed(
                    "backup_repeating_time_intervals",
                    Type::list(Type::String),
                    "When backups run, as ISO 8601 repeating intervals.",
                ),
                computed(
                    "default_retention_duration",
                    Type::String,
                    "How long backups are kept unless a retention rule keeps them longer (ISO 8601).",
                ),
                computed("time_zone", Type::String, "The time zone of the schedule."),
                computed(
                    "retention_rule",
                    Type::list(retention_rule_type()),
                    "The retention rules besides the default one: `name`, `duration`, `priority` and \
                     `absolute_criteria` each.",
                ),
            ],
            blocks: vec![read_timeouts_block()],
            deprecated: false,
        },
    }
}

#[async_trait]
impl DataSource for BackupPolicyDiskDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        config_id::<BackupPolicyId>(config, "id", "backup policy", &mut diags);
        validate_read_timeout(config, &mut diags);
        diags
    }

    async fn read(&self, ctx: &Context, request: DataReadRequest) -> DataReadResponse {
        let mut response = DataReadResponse::default();
        let Some(configured) = configured(&self.configuration, &mut response.diagnostics) else { return response };
        let Some(id) =
            required_config_id::<BackupPolicyId>(&request.config, "id", "backup policy", &mut response.diagnostics)
        else {
            return response;
        };
        let call = call(ctx, read_timeout(&request.config), "read timeout");
        let found = configured.client.read_backup_policy(&call, &id).await;
        data_source_found(
            &mut response,
            &request.config,
            found,
            "backup policy",
            &id,
            "Check the vault and the policy name.",
            |policy| data_source_attributes(&id, &policy),
        );
        response
    }
}
