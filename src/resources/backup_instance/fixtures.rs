//! The configurations and IDs the backup instance's unit tests share.

use crate::arm::models::DISK_DATASOURCE_TYPE;
use crate::plugin::value::{Type, Value};

use super::schema::state_type;
use super::{InstanceKind, Model, attr};

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
    Value::object([
        (attr::id, Value::Null),
        (attr::name, Value::from("bi-1")),
        (attr::vault_id, Value::from(VAULT)),
        (attr::datasource_id, Value::from(DISK)),
        (attr::datasource_type, Value::Null),
        (attr::location, Value::from("West US")),
        (attr::backup_policy_id, Value::from(format!("{VAULT}/backupPolicies/policy-disk-daily"))),
        (attr::snapshot_resource_group_id, Value::from("/subscriptions/s2/resourceGroups/rg-snapshots")),
        (attr::protection_state, Value::Null),
        (attr::retain_data_on_destroy, Value::Null),
        (attr::timeouts, Value::Null),
    ])
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
    let Type::Object(types) = state_type::<K>() else { panic!("an object type") };
    let mut c = Value::object(types.keys().map(|name| (name.as_str(), Value::Null)));
    c.set_attr(attr::name, Value::from("bi-1"));
    c.set_attr(attr::vault_id, Value::from(VAULT));
    c.set_attr(attr::datasource_id, Value::from(datasource));
    c.set_attr(attr::location, Value::from("westus"));
    c.set_attr(attr::backup_policy_id, Value::from(format!("{VAULT}/backupPolicies/p1")));
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
