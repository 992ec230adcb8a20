//! The configurations and IDs the backup instance's unit tests share.

use crate::arm::models::DISK_DATASOURCE_TYPE;
use crate::plugin::value::Value;
use crate::resources::instance_kinds::Disk;
use crate::resources::model;

use super::{BackupInstanceType, InstanceKind, InstanceObject, Model, attr};
use crate::resources::managed::ManagedResource;

pub(super) const VAULT: &str =
    "/subscriptions/s1/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo";
pub(super) const DISK: &str =
    "/subscriptions/s1/resourceGroups/rg-workload/providers/Microsoft.Compute/disks/disk-app-01";

pub(super) const ACCOUNT: &str =
    "/subscriptions/s1/resourceGroups/rg-workload/providers/Microsoft.Storage/storageAccounts/sa1";
pub(super) const CLUSTER: &str =
    "/subscriptions/s1/resourceGroups/rg-workload/providers/Microsoft.ContainerService/managedClusters/aks1";
pub(super) const PG: &str =
    "/subscriptions/s1/resourceGroups/rg-db/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg1";
pub(super) const MYSQL: &str =
    "/subscriptions/s1/resourceGroups/rg-db/providers/Microsoft.DBforMySQL/flexibleServers/my1";

/// A disk backup instance's configuration.
pub(super) fn config() -> Value {
    let config = InstanceObject {
        name: Some("bi-1".into()),
        vault_id: Some(VAULT.into()),
        datasource_id: Some(DISK.into()),
        location: Some("West US".into()),
        backup_policy_id: Some(format!("{VAULT}/backupPolicies/policy-disk-daily")),
        snapshot_resource_group_id: Some("/subscriptions/s2/resourceGroups/rg-snapshots".into()),
        ..InstanceObject::default()
    };
    model::write(&config, BackupInstanceType::<Disk>::state_type())
}

/// The state of the instance of [`config`], protection configured.
pub(super) fn prior_state() -> Value {
    let mut prior = config();
    prior.set_attr(attr::id, Value::from(format!("{VAULT}/backupInstances/bi-1")));
    prior.set_attr(attr::datasource_type, Value::from(DISK_DATASOURCE_TYPE));
    prior.set_attr(attr::protection_state, Value::from("ProtectionConfigured"));
    prior
}

/// A configuration of kind `K`: every attribute of its schema, null unless given.
pub(super) fn config_of<K: InstanceKind>(datasource: &str, set: &[(&str, Value)]) -> Value {
    let config = InstanceObject {
        name: Some("bi-1".into()),
        vault_id: Some(VAULT.into()),
        datasource_id: Some(datasource.into()),
        location: Some("westus".into()),
        backup_policy_id: Some(format!("{VAULT}/backupPolicies/p1")),
        ..InstanceObject::default()
    };
    let mut c = model::write(&config, BackupInstanceType::<K>::state_type());
    for (name, value) in set {
        c.set_attr(name, value.clone());
    }
    c
}

/// A list of strings.
pub(super) fn strings(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| Value::from(*i)).collect())
}

/// The properties of the body Azure is sent for `config`.
pub(super) fn body_of<K: InstanceKind>(config: &Value) -> serde_json::Value {
    let model = Model::from_value::<K>(config).expect("a known configuration");
    serde_json::to_value(model.to_resource()).unwrap()["properties"].clone()
}
