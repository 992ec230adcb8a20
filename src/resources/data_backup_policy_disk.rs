//! `dataprotection_backup_policy_disk` data source: one disk backup policy, by its ARM ID.

use async_trait::async_trait;

use crate::arm::ArmClient;
use crate::arm::error::ArmError;
use crate::arm::ids::BackupPolicyId;
use crate::arm::pipeline::CallContext;
use crate::plugin::schema::Attribute;
use crate::plugin::value::{Type, Value};

use super::backup_policy::{data_source_attributes, retention_rule_type};
use super::data_source::{Lookup, LookupDataSource};

/// The data source type name.
pub const TYPE_NAME: &str = "dataprotection_backup_policy_disk";

/// The `dataprotection_backup_policy_disk` data source.
pub(crate) type BackupPolicyDiskDataSource = LookupDataSource<BackupPolicyDiskLookup>;

/// How the data source finds a disk backup policy: by its ARM ID.
#[derive(Debug)]
pub struct BackupPolicyDiskLookup;

#[async_trait]
impl Lookup for BackupPolicyDiskLookup {
    type Key = BackupPolicyId;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KEY: &'static str = "id";
    const KIND: &'static str = "backup policy";
    const CHECK: &'static str = "Check the vault and the policy name.";

    fn description() -> String {
        "Reads a backup policy for managed disks by its ARM ID, for example to protect disks with a policy managed \
         elsewhere."
            .to_owned()
    }

    fn attributes() -> Vec<Attribute> {
        attributes()
    }

    async fn find(client: &ArmClient, call: &CallContext, id: &BackupPolicyId) -> Result<Option<Value>, ArmError> {
        Ok(client.read_backup_policy(call, id).await?.map(|policy| data_source_attributes(id, &policy)))
    }
}

fn attributes() -> Vec<Attribute> {
    let computed = |name: &str, ty: Type, text: &str| Attribute::computed(name, ty).description(text);
    vec![
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
    ]
}
