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
    /// The longest a retention rule may keep backups, in days, where Microsoft documents it.
    pub max_retention_days: Option<u32>,
}

/// The days an ISO 8601 duration (`P360D`, `P12M`, `P1Y2M`) spans, with months of 30.44 and years of 365.25 days;
/// the time part is ignored. `None` when it is not such a duration.
fn approximate_days(text: &str) -> Option<f64> {
    let rest = text.strip_prefix('P')?;
    let date = rest.split_once('T').map_or(rest, |(date, _)| date);
    let (mut days, mut number) = (0.0, String::new());
    for c in date.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: f64 = number.parse().ok()?;
        number.clear();
        days += n * match c {
            'Y' => 365.25,
            'M' => 30.44,
            'W' => 7.0,
            'D' => 1.0,
            _ => return None,
        };
    }
    number.is_empty().then_some(days)
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
        check_criteria(kind.datasource_type(), kind.calendar_criteria(), policy)?;
    }
    Ok(())
}

/// `DayOfWeek`, `WeekNumber`, `Month` and `AbsoluteMarker` of the spec (open enums there; the service knows these).
const DAYS_OF_WEEK: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const WEEKS_OF_MONTH: &[&str] = &["First", "Second", "Third", "Fourth", "Last"];
const MONTHS_OF_YEAR: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const ABSOLUTE_MARKERS: &[&str] = &["AllBackup", "FirstOfDay", "FirstOfWeek", "FirstOfMonth", "FirstOfYear"];

/// The retention tags' criteria (`ScheduleBasedBackupCriteria`) of every backup rule: known values (any case);
/// absolute criteria or the calendar, not both; weeks of the month and months only with days of the week or of the
/// month; a tag that is not the default selects some backups; and the calendar only for kinds that have it.
fn check_criteria(name: &str, calendar_allowed: bool, policy: &Value) -> Result<(), String> {
    let strings = |criteria: &Value, field: &str| -> Vec<String> {
        criteria
            .get(field)
            .and_then(Value::as_array)
            .map(|values| values.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect())
            .unwrap_or_default()
    };
    for (index, rule) in rules_of(policy, "AzureBackupRule") {
        let tags = rule.pointer("/trigger/taggingCriteria").and_then(Value::as_array);
        for (tag_index, tag) in tags.into_iter().flatten().enumerate() {
            let is_default = tag.get("isDefault").and_then(Value::as_bool) == Some(true);
            let all = tag.get("criteria").and_then(Value::as_array);
            let at = |position: usize| {
                format!("policyRules[{index}].trigger.taggingCriteria[{tag_index}].criteria[{position}]")
            };
            if !is_default && all.is_none_or(|all| all.is_empty()) {
                return Err(format!(
                    "policyRules[{index}].trigger.taggingCriteria[{tag_index}] ('{}') selects no backups: give it \
                     criteria",
                    text(tag, "/tagInfo/tagName").unwrap_or_default()
                ));
            }
            for (position, criteria) in all.into_iter().flatten().enumerate() {
                for (field, allowed) in [
                    ("absoluteCriteria", ABSOLUTE_MARKERS),
                    ("daysOfTheWeek", DAYS_OF_WEEK),
                    ("weeksOfTheMonth", WEEKS_OF_MONTH),
                    ("monthsOfYear", MONTHS_OF_YEAR),
                ] {
                    if let Some(bad) = strings(criteria, field)
                        .into_iter()
                        .find(|value| !allowed.iter().any(|a| a.eq_ignore_ascii_case(value)))
                    {
                        return Err(format!(
                            "{}.{field} '{bad}' is not valid (valid: {})",
                            at(position),
                            allowed.join(", ")
                        ));
                    }
                }
                let month_days = criteria.get("daysOfMonth").and_then(Value::as_array);
                for (day_index, day) in month_days.into_iter().flatten().enumerate() {
                    let is_last = day.get("isLast").and_then(Value::as_bool) == Some(true);
                    let date = day.get("date").and_then(Value::as_i64);
                    if !is_last && !date.is_some_and(|d| (1..=28).contains(&d)) {
                        return Err(format!(
                            "{}.daysOfMonth[{day_index}]: the date must be 1 to 28, or isLast true for the last day",
                            at(position)
                        ));
                    }
                }
                let absolute = !strings(criteria, "absoluteCriteria").is_empty();
                let days_of_week = !strings(criteria, "daysOfTheWeek").is_empty();
                let days_of_month =
                    criteria.get("daysOfMonth").and_then(Value::as_array).is_some_and(|d| !d.is_empty());
                let narrowing: Vec<&str> = ["weeksOfTheMonth", "monthsOfYear"]
                    .into_iter()
                    .filter(|field| !strings(criteria, field).is_empty())
                    .collect();
                let calendar = days_of_week || days_of_month || !narrowing.is_empty();
                if calendar && !calendar_allowed {
                    return Err(format!(
                        "{}: {name} retention selects backups by absoluteCriteria only; daysOfTheWeek, \
                         weeksOfTheMonth, monthsOfYear and daysOfMonth are not supported",
                        at(position)
                    ));
                }
                if absolute && calendar {
                    return Err(format!(
                        "{}: absoluteCriteria cannot be combined with daysOfTheWeek, weeksOfTheMonth, monthsOfYear or \
                         daysOfMonth",
                        at(position)
                    ));
                }
                if days_of_week && days_of_month {
                    return Err(format!("{}: give daysOfTheWeek or daysOfMonth, not both", at(position)));
                }
                if let Some(field) = narrowing.first()
                    && !days_of_week
                    && !days_of_month
                {
                    return Err(format!("{}.{field} needs daysOfTheWeek or daysOfMonth", at(position)));
                }
                if !is_default && !absolute && !calendar {
                    return Err(format!(
                        "{}: give absoluteCriteria or daysOfTheWeek (or daysOfMonth) to select backups",
                        at(position)
                    ));
                }
            }
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
            let duration = text(lifecycle, "/deleteAfter/duration").unwrap_or_default();
            if let (Some(limit), Some(days)) = (limits.max_retention_days, approximate_days(duration))
                && days > f64::from(limit) + 0.5
            {
                return Err(format!(
                    "policyRules[{index}].lifecycles[{position}].deleteAfter.duration '{duration}' is longer than \
                     the {limit} days {name} backups can be retained"
                ));
            }
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

    /// A policy of `datasource_type` whose backup rule tags backups with `criteria` (besides the default tag).
    fn tagged(datasource_type: &str, store: &str, backup_type: &str, interval: &str, criteria: Value) -> Value {
        let mut rule = backup_rule(store, backup_type, interval);
        rule["trigger"]["taggingCriteria"] = json!([
            {"isDefault": true, "taggingPriority": 99, "tagInfo": {"tagName": "Default"}},
            {"isDefault": false, "taggingPriority": 20, "tagInfo": {"tagName": "Monthly"}, "criteria": criteria}
        ]);
        policy(datasource_type, json!([rule, retention("Default", store)]))
    }

    #[test]
    fn aks_retention_is_at_most_360_days() {
        let aks = |duration: &str| {
            let mut kept = retention("Default", "OperationalStore");
            kept["lifecycles"][0]["deleteAfter"]["duration"] = json!(duration);
            policy(
                "Microsoft.ContainerService/managedClusters",
                json!([backup_rule("OperationalStore", "Incremental", "P1W"), kept]),
            )
        };
        assert_eq!(check_policy(&aks("P360D")), Ok(()));
        assert_eq!(check_policy(&aks("P51W")), Ok(()));
        let error = check_policy(&aks("P12M")).expect_err("refused");
        assert!(error.contains("'P12M' is longer than the 360 days"), "{error}");
        assert_eq!(approximate_days("P1Y2M3D"), Some(365.25 + 60.88 + 3.0));
        assert_eq!(approximate_days("7D"), None);
    }

    #[test]
    fn retention_tags_select_by_absolute_criteria_or_the_calendar() {
        let aks = |criteria: Value| {
            tagged("Microsoft.ContainerService/managedClusters", "OperationalStore", "Incremental", "P1W", criteria)
        };
        let pg = |criteria: Value| {
            tagged("Microsoft.DBforPostgreSQL/flexibleServers", "VaultStore", "Full", "P1W", criteria)
        };
        let disk =
            |criteria: Value| tagged("Microsoft.Compute/disks", "OperationalStore", "Incremental", "P1D", criteria);
        let criteria = |fields: Value| {
            let mut c = json!({"objectType": "ScheduleBasedBackupCriteria"});
            c.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
            json!([c])
        };
        let ok = [
            aks(criteria(json!({"absoluteCriteria": ["FirstOfDay"]}))),
            aks(criteria(json!({"daysOfTheWeek": ["Thursday"], "monthsOfYear": ["November"],
                                "weeksOfTheMonth": ["First"], "scheduleTimes": ["2021-05-23T02:30:00Z"]}))),
            pg(criteria(json!({"daysOfTheWeek": ["Tuesday"], "weeksOfTheMonth": ["First", "Last"]}))),
            pg(criteria(json!({"absoluteCriteria": ["FirstOfWeek"], "daysOfTheWeek": []}))),
            pg(criteria(json!({"daysOfMonth": [{"date": 15, "isLast": false}, {"date": 0, "isLast": true}],
                               "monthsOfYear": ["June"]}))),
            disk(criteria(json!({"absoluteCriteria": ["FirstOfWeek"]}))),
        ];
        for policy in &ok {
            assert_eq!(check_policy(policy), Ok(()), "{policy}");
        }
        let bad = [
            (disk(criteria(json!({"daysOfTheWeek": ["Monday"]}))), "absoluteCriteria only"),
            (
                pg(criteria(json!({"absoluteCriteria": ["FirstOfWeek"], "daysOfTheWeek": ["Monday"]}))),
                "cannot be combined",
            ),
            (pg(criteria(json!({"weeksOfTheMonth": ["First"]}))), "weeksOfTheMonth needs daysOfTheWeek"),
            (pg(criteria(json!({"monthsOfYear": ["May"]}))), "monthsOfYear needs daysOfTheWeek"),
            (pg(criteria(json!({"daysOfTheWeek": ["Funday"]}))), "daysOfTheWeek 'Funday' is not valid"),
            (pg(criteria(json!({"daysOfTheWeek": ["Monday"], "weeksOfTheMonth": ["Fifth"]}))), "'Fifth'"),
            (pg(criteria(json!({"scheduleTimes": ["2021-05-23T02:30:00Z"]}))), "to select backups"),
            (pg(json!([])), "selects no backups"),
            (pg(criteria(json!({"daysOfMonth": [{"date": 29, "isLast": false}]}))), "1 to 28"),
            (pg(criteria(json!({"daysOfMonth": [{"date": 1}], "daysOfTheWeek": ["Monday"]}))), "not both"),
        ];
        for (policy, expected) in &bad {
            let error = check_policy(policy).expect_err("refused");
            assert!(error.contains(expected), "{error} should mention {expected}");
        }
    }
}
