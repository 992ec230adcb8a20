//! The rules on a backup policy beyond the swagger: its datasource types are ones the service knows, and its rules
//! stay within the [`PolicyLimits`] of each kind it names.

use serde_json::Value;

use super::ALL;

/// Datasource types the emulator accepts in policies without rules of their own: the spec examples' PostgreSQL
/// single-server kinds and the flexible-server database type older azurerm versions sent.
const OTHER_KNOWN_TYPES: &[&str] =
    &["OssDB", "Microsoft.DBforPostgreSQL/servers/databases", "Microsoft.DBforPostgreSQL/flexibleServers/databases"];

/// What a kind allows in a policy.
pub(crate) struct PolicyLimits {
    /// A backup rule is required (blob policies may have only an operational retention rule).
    pub backup_rule_required: bool,
    /// The data store of the backup rule.
    pub backup_store: &'static str,
    /// The backup type of the backup rule.
    pub backup_type: &'static str,
    /// The durations the backup rule's schedule may repeat at.
    pub intervals: &'static [&'static str],
    /// The data stores retention rules may keep backups in.
    pub retention_stores: &'static [&'static str],
    /// A backup rule comes with a default retention rule in `VaultStore`, and `VaultStore` retention only with a
    /// backup rule that fills it (blobs, whose operational backup needs no backup rule).
    pub vaulted_backup_pairs_rule_and_retention: bool,
}

pub(super) fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn rules_of<'a>(policy: &'a Value, object_type: &str) -> Vec<(usize, &'a Value)> {
    policy
        .get("policyRules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, rule)| text(rule, "/objectType") == Some(object_type))
        .collect()
}

/// Whether a policy backs up to the vault tier (an `AzureBackupRule` into `VaultStore`).
pub(super) fn has_vaulted_backup(policy: &Value) -> bool {
    rules_of(policy, "AzureBackupRule").iter().any(|(_, rule)| {
        text(rule, "/dataStore/dataStoreType").is_some_and(|store| store.eq_ignore_ascii_case("VaultStore"))
    })
}

/// The `datasourceTypes` of a policy.
pub(crate) fn policy_types(policy: &Value) -> Vec<String> {
    policy
        .get("datasourceTypes")
        .and_then(Value::as_array)
        .map(|types| types.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The rules on a backup policy's `properties` beyond the swagger: the datasource types are ones the service
/// knows, and for every kind with [`PolicyLimits`] the backup rule's data store, backup type and interval and the
/// retention rules' data stores are ones the kind allows. The error is the detail of a `BMSUserErrorInvalidInput`.
pub(crate) fn check_policy(policy: &Value) -> Result<(), String> {
    let types = policy_types(policy);
    for (index, datasource_type) in types.iter().enumerate() {
        let known = super::named(datasource_type).is_some()
            || OTHER_KNOWN_TYPES.iter().any(|known| known.eq_ignore_ascii_case(datasource_type));
        if !known {
            let mut names: Vec<&str> = ALL.iter().map(|kind| kind.datasource_type()).collect();
            names.extend(OTHER_KNOWN_TYPES);
            return Err(format!(
                "datasourceTypes[{index}] '{datasource_type}' is not a datasource type the service supports ({})",
                names.join(", ")
            ));
        }
    }
    for kind in types.iter().filter_map(|datasource_type| super::named(datasource_type)) {
        if let Some(limits) = kind.policy_limits() {
            check_limits(kind.datasource_type(), &limits, policy)?;
        }
    }
    Ok(())
}

fn check_limits(name: &str, limits: &PolicyLimits, policy: &Value) -> Result<(), String> {
    let backup_rules = rules_of(policy, "AzureBackupRule");
    if limits.backup_rule_required && backup_rules.is_empty() {
        return Err(format!("a {name} policy needs an AzureBackupRule"));
    }
    for (index, rule) in &backup_rules {
        let store = text(rule, "/dataStore/dataStoreType").unwrap_or_default();
        if !store.eq_ignore_ascii_case(limits.backup_store) {
            return Err(format!(
                "policyRules[{index}].dataStore.dataStoreType '{store}' is not supported for {name}; use {}",
                limits.backup_store
            ));
        }
        let backup_type = text(rule, "/backupParameters/backupType").unwrap_or_default();
        if !backup_type.eq_ignore_ascii_case(limits.backup_type) {
            return Err(format!(
                "policyRules[{index}].backupParameters.backupType '{backup_type}' is not supported for {name}; use {}",
                limits.backup_type
            ));
        }
        let intervals = rule.pointer("/trigger/schedule/repeatingTimeIntervals").and_then(Value::as_array);
        for (position, interval) in intervals.into_iter().flatten().enumerate() {
            let interval = interval.as_str().unwrap_or_default();
            let duration = interval.rsplit('/').next().unwrap_or_default();
            if !limits.intervals.iter().any(|allowed| allowed.eq_ignore_ascii_case(duration)) {
                return Err(format!(
                    "policyRules[{index}].trigger.schedule.repeatingTimeIntervals[{position}] '{interval}': the \
                     interval '{duration}' is not supported for {name} (supported: {})",
                    limits.intervals.join(", ")
                ));
            }
        }
    }
    let retention_rules = rules_of(policy, "AzureRetentionRule");
    let mut default_stores = Vec::new();
    let mut vault_retention = false;
    for (index, rule) in &retention_rules {
        let lifecycles = rule.get("lifecycles").and_then(Value::as_array);
        for (position, lifecycle) in lifecycles.into_iter().flatten().enumerate() {
            let store = text(lifecycle, "/sourceDataStore/dataStoreType").unwrap_or_default();
            if !limits.retention_stores.iter().any(|allowed| allowed.eq_ignore_ascii_case(store)) {
                return Err(format!(
                    "policyRules[{index}].lifecycles[{position}].sourceDataStore.dataStoreType '{store}' is not \
                     supported for {name} (supported: {})",
                    limits.retention_stores.join(", ")
                ));
            }
            vault_retention |= store.eq_ignore_ascii_case("VaultStore");
            if rule.get("isDefault").and_then(Value::as_bool) == Some(true) {
                default_stores.push(store.to_owned());
            }
        }
    }
    if default_stores.is_empty() {
        return Err(format!("a {name} policy needs a default AzureRetentionRule (isDefault true)"));
    }
    if limits.vaulted_backup_pairs_rule_and_retention {
        let default_vault = default_stores.iter().any(|store| store.eq_ignore_ascii_case("VaultStore"));
        if !backup_rules.is_empty() && !default_vault {
            return Err(format!("a {name} policy with vaulted backup needs a default retention rule in VaultStore"));
        }
        if backup_rules.is_empty() && vault_retention {
            return Err(format!(
                "a {name} policy that keeps backups in VaultStore needs an AzureBackupRule that schedules them"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(datasource_type: &str, rules: Value) -> Value {
        json!({"objectType": "BackupPolicy", "datasourceTypes": [datasource_type], "policyRules": rules})
    }

    fn backup_rule(store: &str, backup_type: &str, interval: &str) -> Value {
        json!({"name": "BackupIntervals", "objectType": "AzureBackupRule",
               "backupParameters": {"objectType": "AzureBackupParams", "backupType": backup_type},
               "dataStore": {"dataStoreType": store, "objectType": "DataStoreInfoBase"},
               "trigger": {"objectType": "ScheduleBasedTriggerContext",
                           "schedule": {"repeatingTimeIntervals": [format!("R/2024-01-01T02:00:00+00:00/{interval}")]},
                           "taggingCriteria": []}})
    }

    fn retention(name: &str, store: &str) -> Value {
        json!({"name": name, "objectType": "AzureRetentionRule", "isDefault": true,
               "lifecycles": [{"deleteAfter": {"objectType": "AbsoluteDeleteOption", "duration": "P30D"},
                               "sourceDataStore": {"dataStoreType": store, "objectType": "DataStoreInfoBase"}}]})
    }

    #[test]
    fn policies_follow_their_kind() {
        let pg = "Microsoft.DBforPostgreSQL/flexibleServers";
        let aks = "Microsoft.ContainerService/managedClusters";
        let blob = "Microsoft.Storage/storageAccounts/blobServices";
        let adls = "Microsoft.Storage/storageAccounts/adlsBlobServices";
        let ok = [
            policy(pg, json!([backup_rule("VaultStore", "Full", "P1W"), retention("Default", "VaultStore")])),
            policy(
                aks,
                json!([
                    backup_rule("OperationalStore", "Incremental", "PT4H"),
                    retention("Default", "OperationalStore")
                ]),
            ),
            policy(blob, json!([retention("Default", "OperationalStore")])),
            policy(
                blob,
                json!([
                    backup_rule("VaultStore", "Discrete", "P1D"),
                    retention("Default", "VaultStore"),
                    retention("Default_OperationalStore", "OperationalStore")
                ]),
            ),
            policy(adls, json!([backup_rule("VaultStore", "Discrete", "P1W"), retention("Default", "VaultStore")])),
            policy("OssDB", json!([])),
            policy("Microsoft.Compute/disks", json!([])),
        ];
        for policy in &ok {
            assert_eq!(check_policy(policy), Ok(()), "{policy}");
        }
        let bad = [
            (policy("Microsoft.Foo/bars", json!([])), "not a datasource type"),
            (policy(pg, json!([backup_rule("VaultStore", "Full", "P1D"), retention("Default", "VaultStore")])), "P1D"),
            (
                policy(pg, json!([backup_rule("OperationalStore", "Full", "P1W"), retention("Default", "VaultStore")])),
                "use VaultStore",
            ),
            (policy(pg, json!([retention("Default", "VaultStore")])), "needs an AzureBackupRule"),
            (
                policy(
                    aks,
                    json!([
                        backup_rule("OperationalStore", "Incremental", "PT2H"),
                        retention("Default", "OperationalStore")
                    ]),
                ),
                "PT2H",
            ),
            (
                policy(
                    aks,
                    json!([backup_rule("OperationalStore", "Incremental", "PT4H"), retention("Default", "VaultStore")]),
                ),
                "VaultStore",
            ),
            (
                policy(
                    aks,
                    json!([backup_rule("OperationalStore", "Full", "PT4H"), retention("Default", "OperationalStore")]),
                ),
                "Incremental",
            ),
            (
                policy(
                    adls,
                    json!([backup_rule("VaultStore", "Discrete", "P1D"), retention("Default", "OperationalStore")]),
                ),
                "OperationalStore",
            ),
            (policy(blob, json!([])), "default AzureRetentionRule"),
            (
                policy(
                    blob,
                    json!([backup_rule("VaultStore", "Discrete", "P1D"), retention("Default", "OperationalStore")]),
                ),
                "default retention rule in VaultStore",
            ),
            (policy(blob, json!([retention("Default", "VaultStore")])), "schedules them"),
        ];
        for (policy, expected) in &bad {
            let error = check_policy(policy).expect_err("refused");
            assert!(error.contains(expected), "{error} should mention {expected}");
        }
    }
}
