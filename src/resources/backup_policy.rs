//! The backup policy resources: `dataprotection_backup_policy_disk` for managed disks, and
//! `dataprotection_backup_policy_<kind>` for the other datasources ([`super::policy_kinds`] says what differs).
//!
//! Azure does not change a policy in place, so every argument replaces it, and Azure refuses to delete a
//! policy that backup instances use (`UserErrorDppPolicyObjectInUse`). The documented path is
//! `lifecycle { create_before_destroy = true }` with a name that changes with the settings: Terraform creates
//! the new policy, updates the instances to it in place, and deletes the old policy last. A delete waits for the
//! instances that the same apply moves off the policy and fails naming those that stay (see `moves.rs`).
//! Validate checks the ISO 8601 schedule and durations (`iso8601.rs`) and the time zone (`time_zones.rs`) offline;
//! policy calls are synchronous.

use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::arm::error::ArmError;
use crate::arm::ids::{BackupInstanceId, BackupPolicyId, BackupVaultId, same_id};
use crate::arm::models::{
    BackupCriteria, BackupPolicy, BackupPolicyResource, BackupSchedule, DataStoreInfo, DayOfMonth, DeleteOption,
    PolicyRule, RetentionTag, SourceLifeCycle, TaggingCriteria, Trigger,
};
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::interface::{ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, ReadResponse};
use crate::plugin::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use crate::plugin::value::{Type, Value};

use super::common::{self, DEFAULT_TIMEOUTS, arm_error};
use super::iso8601::{
    check_iso_duration, check_repeating_interval_of, check_retention_limit, check_rfc3339, instant_key, same_instant,
};
use super::managed::{Call, ManagedResource, PlanContext};
use super::model::{self, Spelling};
use super::moves::Moves;
use super::policy_kinds::{DAYS_OF_WEEK, DiskPolicy, MONTHS_OF_YEAR, OPERATIONAL_STORE, PolicyKind, WEEKS_OF_MONTH};
use super::time_zones::check_time_zone;

/// The resource type name of the managed disk policy.
pub const TYPE_NAME: &str = DiskPolicy::TYPE_NAME;

/// The backup intervals Azure allows for managed disks.
pub const DISK_INTERVALS: &[&str] = DiskPolicy::INTERVALS;
/// The absolute criteria a disk policy's retention rule may select backups by.
pub const ABSOLUTE_CRITERIA: &[&str] = DiskPolicy::CRITERIA;

/// The name of the retention rule (and tag) that keeps every backup not claimed by another rule.
const DEFAULT_RULE: &str = "Default";
/// The priority of the default tag, as the service's own examples give it.
const DEFAULT_TAG_PRIORITY: i64 = 99;
/// The name of a blob policy's operational default rule beside a vaulted one (Azure CLI's name for it).
const DEFAULT_OPERATIONAL_RULE: &str = "Default_OperationalStore";

/// The hint for a policy that Azure refuses to delete because instances use it, when the provider cannot tell which.
pub(crate) const IN_USE_HINT: &str = "Azure does not delete a backup policy that backup instances use. Move each \
backup instance on this policy to another policy (its backup_policy_id) or delete it, then apply again. If this \
policy is being replaced because its settings changed, give it lifecycle { create_before_destroy = true } and a name \
that changes with its settings: Terraform then creates the new policy, moves the backup instances to it in place, and \
deletes this policy last.";

/// The hint for instances that stay on a policy being deleted.
const STAYING_HINT: &str = "Move each of them to another backup policy in this configuration (its \
backup_policy_id) or delete it (remove its resource; an instance this configuration does not manage has to be moved \
or deleted in Azure, or imported first), then apply again. An instance that refers to this policy (backup_policy_id = \
<policy resource>.id) is updated only after the policy is deleted, unless the policy has lifecycle { \
create_before_destroy = true }: set that on the policy in one apply and remove it in the next, or move the instances \
in one apply and remove the policy in the next. If this policy is being replaced because its settings changed, give \
it create_before_destroy and a name that changes with its settings, so that the instances move to the new policy \
before this one is deleted.";

/// How often a delete that waits for instances to leave its policy looks at the vault again, besides when a move
/// in this process starts or ends.
const LOOK_AGAIN: Duration = Duration::from_secs(5);

/// A backup policy resource of kind `K`: `dataprotection_backup_policy_disk` for managed disks.
#[derive(Debug)]
pub(crate) struct BackupPolicyType<K = DiskPolicy>(std::marker::PhantomData<fn() -> K>);

impl<K> Default for BackupPolicyType<K> {
    fn default() -> Self {
        BackupPolicyType(std::marker::PhantomData)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Model

model::attributes! {
    /// A backup policy's attributes, in schema order, declared once for every kind: its arguments as a
    /// configuration or plan holds them ([`PolicyObject::read_arguments`]), and its state as written back to
    /// Terraform ([`model::write`]). Blobs have an operational and a vaulted retention where the other kinds have
    /// one default retention; `where` says which kinds have an attribute.
    pub(crate) struct PolicyObject, names in attr, for K: PolicyKind {
        id: String => computed(Type::String).description("The ARM ID of the backup policy.")
            | "The ARM ID of the backup policy: `{vault_id}/backupPolicies/{name}`.",
        name: String => required(Type::String)
            .force_new()
            .description("The name of the backup policy: 3 to 150 letters, digits and hyphens."),
        vault_id: String => required(Type::String)
            .force_new()
            .description("The ARM ID of the backup vault the policy belongs to."),
        backup_repeating_time_intervals: Vec<String> =>
            required_when(Type::list(Type::String), !K::OPERATIONAL_TIER)
                .force_new()
                .description(schedule_description::<K>()),
        operational_default_retention_duration: String where K::OPERATIONAL_TIER => optional(Type::String)
            .force_new()
            .description(
                "Operational backup: how long restore points are kept in the storage account itself, as an ISO 8601 \
                 duration such as `P30D`. Set it, `vault_default_retention_duration`, or both.",
            ),
        vault_default_retention_duration: String where K::OPERATIONAL_TIER => optional(Type::String)
            .force_new()
            .description(
                "Vaulted backup: how long backups are kept in the vault unless a retention rule keeps them longer, as \
                 an ISO 8601 duration such as `P30D`. Needs `backup_repeating_time_intervals`, and the backup \
                 instances name their containers.",
            ),
        default_retention_duration: String where !K::OPERATIONAL_TIER => required(Type::String)
            .force_new()
            .description(format!(
                "How long backups are kept in the {} unless a retention rule keeps them longer, as an ISO 8601 \
                 duration such as `P7D`.",
                store_noun::<K>()
            )),
        time_zone: String => optional_computed(Type::String).force_new().description(
            "The time zone of the schedule: a Windows time zone ID such as `UTC` or `W. Europe Standard Time`, or an \
             offset such as `+05:30`. Azure's default applies when it is not set.",
        ),
        retention_rule: Vec<RetentionRuleObject>,
        timeouts: serde_json::Value,
    }
}

model::attributes! {
    /// One `retention_rule` block, declared once for every kind. A rule selects backups by `absolute_criteria`, or
    /// (every kind but disks) by the calendar: `days_of_week` (blobs: or `days_of_month`), narrowed by
    /// `weeks_of_month` and `months_of_year`; `scheduled_backup_times` goes with either.
    pub(crate) struct RetentionRuleObject, names in rule_attr, for K: PolicyKind {
        name: String => required(Type::String).description(format!(
            "The name of the retention rule, for example `Daily` or `Weekly`; `{DEFAULT_RULE}` is reserved for the \
             default retention."
        )),
        duration: String => required(Type::String).description(
            "How long the backups this rule selects are kept, as an ISO 8601 duration such as `P7D` or `P4W`.",
        ),
        priority: i64 => required(Type::Number).description(format!(
            "The rule's priority when several rules select the same backup: the lowest number wins (the default \
             rule has {DEFAULT_TAG_PRIORITY})."
        )),
        absolute_criteria: String => required_when(Type::String, !K::CALENDAR_CRITERIA)
            .description(absolute_criteria_description::<K>()),
        days_of_week: Vec<String> where K::CALENDAR_CRITERIA => optional(Type::set(Type::String)).description(format!(
            "Selects the backups taken on these days of the week: {}. Set it or `absolute_criteria`, not both.",
            listed(DAYS_OF_WEEK)
        )),
        weeks_of_month: Vec<String> where K::CALENDAR_CRITERIA => optional(Type::set(Type::String))
            .description(format!(
                "Narrows `days_of_week` to these weeks of the month: {}. Needs `days_of_week`.",
                listed(WEEKS_OF_MONTH)
            )),
        months_of_year: Vec<String> where K::CALENDAR_CRITERIA => optional(Type::set(Type::String))
            .description(format!(
                "Narrows `days_of_week` to these months: {}. Needs `days_of_week`.",
                listed(MONTHS_OF_YEAR)
            )),
        scheduled_backup_times: Vec<String> where K::CALENDAR_CRITERIA => optional(Type::set(Type::String))
            .description(
                "The backup times the rule applies to, as RFC 3339 date-times such as `2024-01-07T02:00:00Z` (the \
                 time of day counts; use the schedule's start).",
            ),
        /// Blobs: days of the month, 1 to 28, or 0 for the last day.
        days_of_month: Vec<i64> where days_of_month_criteria::<K>() => optional(Type::set(Type::Number))
            .description(
                "Selects the backups taken on these days of the month: `1` to `28`, or `0` for the last day. Set it \
                 or `days_of_week` (not both), and not with `absolute_criteria`; `weeks_of_month` and \
                 `months_of_year` narrow it.",
            ),
    }
}

/// Whether retention rules of kind `K` may select backups by day of the month: a calendar criterion, for the kinds
/// that have both.
const fn days_of_month_criteria<K: PolicyKind>() -> bool {
    K::CALENDAR_CRITERIA && K::DAYS_OF_MONTH
}

/// The description of `backup_repeating_time_intervals` for kind `K`.
fn schedule_description<K: PolicyKind>() -> String {
    let schedule = format!(
        "When backups run, as ISO 8601 repeating intervals `R/<start>/<interval>`, for example `{}`. {} allow the \
         intervals {}.",
        K::EXAMPLE_INTERVAL,
        capitalized(K::NOUN),
        listed(K::INTERVALS)
    );
    if K::OPERATIONAL_TIER {
        format!("{schedule} Vaulted backup: required with `{}`.", attr::vault_default_retention_duration)
    } else {
        schedule
    }
}

/// The description of a retention rule's `absolute_criteria` for kind `K`.
fn absolute_criteria_description<K: PolicyKind>() -> String {
    let criteria = listed(K::CRITERIA);
    if K::CALENDAR_CRITERIA {
        format!("Which backups the rule selects: one of {criteria}. Set it or `{}`, not both.", rule_attr::days_of_week)
    } else {
        format!("Which backups the rule selects: one of {criteria}.")
    }
}

/// Where kind `K` keeps its backups, in words: `operational store` or `vault`.
fn store_noun<K: PolicyKind>() -> &'static str {
    if K::STORE == OPERATIONAL_STORE { "operational store" } else { "vault" }
}

/// One retention rule with all its required arguments known.
#[derive(Clone, Debug, Default, PartialEq)]
struct RetentionRule {
    name: String,
    duration: String,
    priority: i64,
    absolute_criteria: Option<String>,
    days_of_week: Option<Vec<String>>,
    weeks_of_month: Option<Vec<String>>,
    months_of_year: Option<Vec<String>>,
    scheduled_backup_times: Option<Vec<String>>,
    /// Blobs: days of the month, 1 to 28, or 0 for the last day.
    days_of_month: Option<Vec<i64>>,
}

/// The set attributes of a retention rule that select backups by the calendar, with the values each takes.
const CALENDAR_SETS: [(&str, &[&str]); 3] = [
    (rule_attr::days_of_week, DAYS_OF_WEEK),
    (rule_attr::weeks_of_month, WEEKS_OF_MONTH),
    (rule_attr::months_of_year, MONTHS_OF_YEAR),
];

/// `days_of_month`'s number for the last day of the month (Azure's `isLast`), as azurerm writes it.
const LAST_DAY_OF_MONTH: i64 = 0;

/// A set as Terraform holds it: `None` when empty (Azure answers `[]` or nothing for "not set"), otherwise sorted
/// without repeats: Terraform gives sets no order, and plan compares values as they are.
fn set_of<T: Ord>(values: Option<Vec<T>>) -> Option<Vec<T>> {
    let mut values = values?;
    values.sort();
    values.dedup();
    (!values.is_empty()).then_some(values)
}

/// `values` with each one in Azure's spelling from `allowed` where it is one of them, ignoring case.
fn in_azure_spelling(values: Option<Vec<String>>, allowed: &[&str]) -> Option<Vec<String>> {
    let values: Vec<String> = values?
        .into_iter()
        .map(|v| allowed.iter().find(|a| a.eq_ignore_ascii_case(&v)).map_or(v, |a| (*a).to_owned()))
        .collect();
    (!values.is_empty()).then_some(values)
}

impl RetentionRule {
    /// The rule of a configuration or plan; `None` when its name, duration or priority is missing.
    fn from_object(rule: RetentionRuleObject) -> Option<RetentionRule> {
        Some(RetentionRule {
            name: rule.name?,
            duration: rule.duration?,
            priority: rule.priority?,
            absolute_criteria: rule.absolute_criteria,
            days_of_week: rule.days_of_week,
            weeks_of_month: rule.weeks_of_month,
            months_of_year: rule.months_of_year,
            scheduled_backup_times: rule.scheduled_backup_times,
            days_of_month: rule.days_of_month,
        })
    }

    /// The rule as the `retention_rule` block of kind `K` holds it: the attributes the kind has, sets sorted.
    fn to_object<K: PolicyKind>(&self) -> RetentionRuleObject {
        let calendar = |values: &Option<Vec<String>>| set_of(values.clone().filter(|_| K::CALENDAR_CRITERIA));
        RetentionRuleObject {
            name: Some(self.name.clone()),
            duration: Some(self.duration.clone()),
            priority: Some(self.priority),
            absolute_criteria: self.absolute_criteria.clone(),
            days_of_week: calendar(&self.days_of_week),
            weeks_of_month: calendar(&self.weeks_of_month),
            months_of_year: calendar(&self.months_of_year),
            scheduled_backup_times: calendar(&self.scheduled_backup_times),
            days_of_month: set_of(self.days_of_month.clone().filter(|_| days_of_month_criteria::<K>())),
        }
    }

    /// The tagging criteria Azure is sent for this rule.
    fn criteria(&self) -> BackupCriteria {
        let nonempty = |values: &Option<Vec<String>>| values.clone().filter(|v| !v.is_empty());
        BackupCriteria {
            object_type: "ScheduleBasedBackupCriteria".to_owned(),
            absolute_criteria: self.absolute_criteria.clone().map(|c| vec![c]),
            days_of_the_week: nonempty(&self.days_of_week),
            weeks_of_the_month: nonempty(&self.weeks_of_month),
            months_of_year: nonempty(&self.months_of_year),
            schedule_times: nonempty(&self.scheduled_backup_times),
            days_of_month: self.days_of_month.as_ref().filter(|d| !d.is_empty()).map(|days| {
                days.iter().map(|&d| DayOfMonth { date: Some(d), is_last: Some(d == LAST_DAY_OF_MONTH) }).collect()
            }),
        }
    }

    /// The rule as Azure's tagging criteria describe it; scheduled times keep `prior`'s spelling where they name
    /// the same instant.
    fn from_azure(
        name: &str,
        duration: String,
        tag: Option<&TaggingCriteria>,
        prior: Option<&RetentionRuleObject>,
    ) -> Self {
        let criteria = tag.and_then(|t| t.criteria.as_ref()).and_then(|c| c.first()).cloned().unwrap_or_default();
        let prior_times = prior.and_then(|r| r.scheduled_backup_times.clone()).unwrap_or_default();
        let times = criteria.schedule_times.map(|times| {
            times
                .into_iter()
                .map(|t| prior_times.iter().find(|p| same_instant(p, &t)).cloned().unwrap_or(t))
                .collect::<Vec<_>>()
        });
        RetentionRule {
            name: name.to_owned(),
            duration,
            priority: tag.map(|t| t.tagging_priority).unwrap_or_default(),
            absolute_criteria: criteria.absolute_criteria.and_then(|c| c.into_iter().next()),
            days_of_week: in_azure_spelling(criteria.days_of_the_week, DAYS_OF_WEEK),
            weeks_of_month: in_azure_spelling(criteria.weeks_of_the_month, WEEKS_OF_MONTH),
            months_of_year: in_azure_spelling(criteria.months_of_year, MONTHS_OF_YEAR),
            scheduled_backup_times: times.filter(|t| !t.is_empty()),
            days_of_month: criteria
                .days_of_month
                .map(|days| {
                    days.iter()
                        .map(|d| if d.is_last == Some(true) { LAST_DAY_OF_MONTH } else { d.date.unwrap_or_default() })
                        .collect::<Vec<_>>()
                })
                .filter(|d| !d.is_empty()),
        }
    }
}

/// The arguments of a planned policy, all known.
#[derive(Clone, Debug, PartialEq)]
struct Model {
    id: BackupPolicyId,
    /// The schedule; empty for a blob policy with operational backup only.
    intervals: Vec<String>,
    /// How long backups are kept in the kind's store unless a rule keeps them longer.
    default_retention: Option<String>,
    /// Blobs: how long the operational tier keeps its restore points.
    operational_retention: Option<String>,
    time_zone: Option<String>,
    rules: Vec<RetentionRule>,
}

fn data_store(store: &str) -> DataStoreInfo {
    DataStoreInfo { data_store_type: store.to_owned(), object_type: "DataStoreInfoBase".to_owned() }
}

fn retention_rule(name: &str, is_default: bool, duration: &str, store: &str) -> PolicyRule {
    PolicyRule {
        name: name.to_owned(),
        object_type: "AzureRetentionRule".to_owned(),
        is_default: Some(is_default),
        lifecycles: Some(vec![SourceLifeCycle {
            delete_after: DeleteOption {
                duration: duration.to_owned(),
                object_type: "AbsoluteDeleteOption".to_owned(),
            },
            source_data_store: data_store(store),
            target_data_store_copy_settings: Vec::new(),
        }]),
        ..PolicyRule::default()
    }
}

/// The attributes Azure may spell differently from the configuration, and how they compare: plan keeps the
/// configuration's spelling when it is the same value, and read keeps the saved one.
const SPELLINGS: model::Spellings = &[
    (attr::id, Spelling::Id),
    (attr::name, Spelling::Text),
    (attr::vault_id, Spelling::Id),
    (attr::time_zone, Spelling::Text),
];

impl Model {
    /// Reads a fully known planned state (or config) of kind `K`. `None` when something is unknown or invalid.
    fn from_value<K: PolicyKind>(value: &Value) -> Option<Model> {
        let mut value = value.clone();
        // Unknown at apply only when it was not configured: Azure's default applies.
        if value.attr(attr::time_zone).is_unknown() {
            value.set_attr(attr::time_zone, Value::Null);
        }
        let arguments = PolicyObject::read_arguments::<K>(&value)?;
        let rules = arguments.retention_rule.unwrap_or_default();
        Some(Model {
            id: BackupPolicyId { vault: arguments.vault_id?.parse().ok()?, name: arguments.name? },
            intervals: arguments.backup_repeating_time_intervals.unwrap_or_default(),
            default_retention: arguments.default_retention_duration.or(arguments.vault_default_retention_duration),
            operational_retention: arguments.operational_default_retention_duration,
            time_zone: arguments.time_zone,
            rules: rules.into_iter().map(RetentionRule::from_object).collect::<Option<_>>()?,
        })
    }

    /// The policy Azure is sent: one backup rule (the schedule, tagging every backup), the default retention
    /// rule, and one retention rule per `retention_rule`, tied to its tag by name; for blobs, the operational
    /// tier's default rule beside them or alone.
    fn to_resource<K: PolicyKind>(&self) -> BackupPolicyResource {
        let mut tags = vec![TaggingCriteria {
            criteria: None,
            is_default: true,
            tagging_priority: DEFAULT_TAG_PRIORITY,
            tag_info: RetentionTag { id: Some(format!("{DEFAULT_RULE}_")), tag_name: DEFAULT_RULE.to_owned() },
        }];
        for rule in &self.rules {
            tags.push(TaggingCriteria {
                criteria: Some(vec![rule.criteria()]),
                is_default: false,
                tagging_priority: rule.priority,
                tag_info: RetentionTag { id: Some(format!("{}_", rule.name)), tag_name: rule.name.clone() },
            });
        }
        let every = |interval: &str| self.intervals.iter().all(|i| i.ends_with(interval));
        let name = if every("/P1D") {
            "BackupDaily"
        } else if every("/P1W") {
            "BackupWeekly"
        } else {
            "BackupHourly"
        };
        let mut rules = Vec::new();
        if self.intervals.is_empty() {
            // Operational blob backup is continuous: no schedule, only the retention of its restore points.
        } else {
            rules.push(PolicyRule {
                name: name.to_owned(),
                object_type: "AzureBackupRule".to_owned(),
                backup_parameters: Some(
                    serde_json::json!({"objectType": "AzureBackupParams", "backupType": K::BACKUP_TYPE}),
                ),
                data_store: Some(data_store(K::STORE)),
                trigger: Some(Trigger {
                    object_type: "ScheduleBasedTriggerContext".to_owned(),
                    schedule: Some(BackupSchedule {
                        repeating_time_intervals: self.intervals.clone(),
                        time_zone: self.time_zone.clone(),
                    }),
                    tagging_criteria: tags,
                }),
                ..PolicyRule::default()
            });
        }
        if let Some(duration) = &self.default_retention {
            rules.push(retention_rule(DEFAULT_RULE, true, duration, K::STORE));
        }
        if let Some(duration) = &self.operational_retention {
            let name = if self.default_retention.is_some() { DEFAULT_OPERATIONAL_RULE } else { DEFAULT_RULE };
            rules.push(retention_rule(name, true, duration, OPERATIONAL_STORE));
        }
        for rule in &self.rules {
            rules.push(retention_rule(&rule.name, false, &rule.duration, K::STORE));
        }
        BackupPolicyResource {
            properties: BackupPolicy {
                object_type: "BackupPolicy".to_owned(),
                datasource_types: vec![K::DATASOURCE_TYPE.to_owned()],
                policy_rules: rules,
            },
            ..BackupPolicyResource::default()
        }
    }
}

/// Whether two lists of retention rules are the same rules: sets compared without order, and backup times as
/// instants.
fn same_rules(a: &Value, b: &Value) -> bool {
    fn canonical(rules: &Value) -> Option<Vec<RetentionRuleObject>> {
        let mut rules: Vec<RetentionRuleObject> = model::read(rules)?;
        for rule in &mut rules {
            if let Some(times) = &mut rule.scheduled_backup_times {
                *times = times.iter().map(|t| instant_key(t)).collect();
            }
            for set in [&mut rule.days_of_week, &mut rule.weeks_of_month, &mut rule.months_of_year] {
                set.iter_mut().for_each(|s| s.sort());
            }
            rule.scheduled_backup_times.iter_mut().for_each(|s| s.sort());
            rule.days_of_month.iter_mut().for_each(|d| d.sort_unstable());
        }
        Some(rules)
    }
    a == b || canonical(a).is_some_and(|a| Some(a) == canonical(b))
}

/// The duration of a retention rule's lifecycle in `store` (or its first one).
fn rule_duration(rule: &PolicyRule, store: &str) -> Option<String> {
    let lifecycles = rule.lifecycles.as_ref()?;
    lifecycles
        .iter()
        .find(|l| l.source_data_store.data_store_type.eq_ignore_ascii_case(store))
        .or_else(|| lifecycles.first())
        .map(|l| l.delete_after.duration.clone())
}

/// Whether a retention rule keeps backups in `store`.
fn keeps_in(rule: &PolicyRule, store: &str) -> bool {
    rule.lifecycles
        .as_ref()
        .is_some_and(|l| l.iter().any(|l| l.source_data_store.data_store_type.eq_ignore_ascii_case(store)))
}

/// A policy's attributes as Azure reports them.
struct FromAzure {
    intervals: Option<Vec<String>>,
    time_zone: Option<String>,
    default: Option<String>,
    operational: Option<String>,
    rules: Vec<RetentionRuleObject>,
}

/// The policy's arguments as Azure reports them. Retention rules come in the order of `prior`'s rules where their
/// names match, Azure's order after that.
fn attributes_from_azure<K: PolicyKind>(prior: &Value, policy: &BackupPolicyResource) -> FromAzure {
    let rules = &policy.properties.policy_rules;
    let is = |rule: &PolicyRule, kind: &str| rule.object_type.eq_ignore_ascii_case(kind);
    let trigger = rules.iter().filter(|r| is(r, "AzureBackupRule")).find_map(|r| r.trigger.as_ref());
    let schedule = trigger.and_then(|t| t.schedule.as_ref());
    let intervals = schedule.map(|s| s.repeating_time_intervals.clone());
    let time_zone = schedule.and_then(|s| s.time_zone.clone()).filter(|z| !z.is_empty());
    let is_default = |r: &PolicyRule| is(r, "AzureRetentionRule") && r.is_default == Some(true);
    let default_in = |store: &str| {
        let mut defaults = rules.iter().filter(|r| is_default(r));
        let found = if K::OPERATIONAL_TIER { defaults.find(|r| keeps_in(r, store)) } else { defaults.next() };
        found.and_then(|r| rule_duration(r, store))
    };
    let default = default_in(K::STORE);
    let operational = if K::OPERATIONAL_TIER { default_in(OPERATIONAL_STORE) } else { None };
    let tags = trigger.map(|t| t.tagging_criteria.as_slice()).unwrap_or_default();
    let prior_rules: Vec<RetentionRuleObject> = model::read(prior.attr(attr::retention_rule)).unwrap_or_default();
    let named =
        |rule: &RetentionRuleObject, name: &str| rule.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name));
    let mut found: Vec<RetentionRule> = rules
        .iter()
        .filter(|r| is(r, "AzureRetentionRule") && r.is_default != Some(true))
        .map(|r| {
            let tag = tags.iter().find(|t| t.tag_info.tag_name.eq_ignore_ascii_case(&r.name));
            let prior = prior_rules.iter().find(|p| named(p, &r.name));
            RetentionRule::from_azure(&r.name, rule_duration(r, K::STORE).unwrap_or_default(), tag, prior)
        })
        .collect();
    found.sort_by_key(|r| prior_rules.iter().position(|p| named(p, &r.name)).unwrap_or(usize::MAX));
    let rules = found.iter().map(RetentionRule::to_object::<K>).collect();
    FromAzure { intervals, time_zone, default, operational, rules }
}

/// The state of a policy as Azure reports it, keeping `prior`'s spellings where they are equivalent.
fn state_from_azure<K: PolicyKind>(prior: &Value, id: &BackupPolicyId, policy: &BackupPolicyResource) -> Value {
    let reported = policy.id.as_deref().and_then(|i| i.parse::<BackupPolicyId>().ok()).unwrap_or_else(|| id.clone());
    let found = attributes_from_azure::<K>(prior, policy);
    let (default, vault_default, operational) =
        if K::OPERATIONAL_TIER { (None, found.default, found.operational) } else { (found.default, None, None) };
    let state = PolicyObject {
        id: Some(reported.to_string()),
        name: Some(reported.name.clone()),
        vault_id: Some(reported.vault.to_string()),
        backup_repeating_time_intervals: found.intervals,
        operational_default_retention_duration: operational,
        vault_default_retention_duration: vault_default,
        default_retention_duration: default,
        time_zone: found.time_zone,
        // A list of blocks is never null in a configuration: no rules is the empty list.
        retention_rule: Some(found.rules),
        timeouts: None,
    };
    model::read_back(&state, BackupPolicyType::<K>::state_type(), prior, SPELLINGS)
}

/// The attributes of a policy of kind `K` for its data source (no `timeouts`).
pub(crate) fn data_source_state<K: PolicyKind>(id: &BackupPolicyId, policy: &BackupPolicyResource) -> Value {
    let mut state = state_from_azure::<K>(&Value::Null, id, policy);
    if let Value::Object(entries) = &mut state {
        entries.remove(attr::timeouts);
    }
    state
}

/// When Azure says the policy is for another datasource than `K`'s: the summary and the detail of the error. `verb`
/// says what the type does (`manages`, `reads`) and `advice` how to use the type that fits (`Manage it with`).
pub(crate) fn wrong_kind<K: PolicyKind>(
    id: &BackupPolicyId,
    policy: &BackupPolicyResource,
    verb: &str,
    advice: &str,
) -> Option<(String, String)> {
    let types = &policy.properties.datasource_types;
    if types.is_empty() || types.iter().any(|t| t.eq_ignore_ascii_case(K::DATASOURCE_TYPE)) {
        return None;
    }
    let fits = types
        .iter()
        .find_map(|t| super::kinds::by_datasource_type(t).map(|k| k.policy_type))
        .map(|r| format!("{advice} {r}."))
        .unwrap_or_else(|| format!("This provider {verb} no other kind of backup policy."));
    Some((
        format!("Backup policy {} is for {}", id.name, types.join(", ")),
        format!(
            "{} {verb} backup policies for {} ({}); {id} is for {}. {fits}",
            K::TYPE_NAME,
            K::NOUN,
            K::DATASOURCE_TYPE,
            types.join(", ")
        ),
    ))
}

/// The attributes of the data source of kind `K`, derived from the resource's declaration and schema so that what
/// the resource gains the data source shows too: `id` required, every other attribute computed, and each nested
/// block (but `timeouts`) a computed list of objects.
pub(crate) fn data_source_schema_attributes<K: PolicyKind>() -> Vec<Attribute> {
    let mut attributes = PolicyObject::data_source_attributes::<K>(&[attr::id]);
    for nested in block::<K>().blocks.into_iter().filter(|b| b.type_name != attr::timeouts) {
        let element = nested.block.value_type();
        let ty = match nested.nesting {
            Nesting::Set => Type::set(element),
            Nesting::Single | Nesting::Group => element,
            Nesting::List | Nesting::Map => Type::list(element),
        };
        let names: Vec<&str> = nested.block.attributes.iter().map(|a| a.name.as_str()).collect();
        let description = format!("{} Each has {}.", nested.block.description, listed(&names));
        attributes.push(Attribute::computed(&nested.type_name, ty).description(description));
    }
    attributes
}

// ---------------------------------------------------------------------------------------------------------------
// Schema and validation

/// The type of one retention rule of a disk policy.
#[cfg(test)]
pub(crate) fn retention_rule_type() -> Type {
    retention_rule_type_of::<DiskPolicy>()
}

/// The type of one retention rule of kind `K`: the object type of its `retention_rule` block, as the policy data
/// sources list it.
#[cfg(test)]
pub(crate) fn retention_rule_type_of<K: PolicyKind>() -> Type {
    BackupPolicyType::<K>::cached_schema()
        .block
        .blocks
        .iter()
        .find(|b| b.type_name == attr::retention_rule)
        .map(|b| b.block.value_type())
        .expect("every policy kind has retention rules")
}

/// The ways of writing a list of values in docs: `` `a`, `b` ``.
fn listed(values: &[&str]) -> String {
    values.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
}

fn schema<K: PolicyKind>() -> Schema {
    Schema { version: 0, block: block::<K>().with_force_new_sentences("backup policy") }
}

/// The resource's block, before the force-new sentences: the data source derives its attributes from it.
fn block<K: PolicyKind>() -> Block {
    let rule = NestedBlock::list(
        attr::retention_rule,
        Block {
            attributes: RetentionRuleObject::attributes::<K>(),
            description: format!(
                "A retention rule that keeps some backups in the {} longer than the default retention.",
                store_noun::<K>()
            ),
            ..Block::default()
        },
    )
    .force_new();
    Block {
        description: format!(
            "Manages a backup policy for {} in an Azure Backup vault. Azure does not change a policy in place and \
             does not delete one in use, so every argument replaces the policy: give it `lifecycle {{ \
             create_before_destroy = true }}` and a name that changes with its settings, and backup instances \
             move to the new policy before the old one is deleted.",
            K::NOUN
        ),
        attributes: PolicyObject::attributes::<K>(),
        blocks: vec![rule, common::timeouts_block(DEFAULT_TIMEOUTS)],
        deprecated: false,
    }
}

/// `text` with its first letter in upper case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// `^[-a-zA-Z0-9]{3,150}$`.
fn check_policy_name(name: &str) -> Result<(), String> {
    if (3..=150).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(())
    } else {
        Err(format!("{name:?} is not a valid backup policy name: use 3 to 150 letters, digits and hyphens"))
    }
}

/// Offline checks; unknown values are skipped.
fn validate_config<K: PolicyKind>(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(name) = config.attr(attr::name).as_str()
        && let Err(reason) = check_policy_name(name)
    {
        diags.attribute_error(AttributePath::root(attr::name), "Invalid backup policy name", format!("{reason}."));
    }
    if let Some(vault) = config.attr(attr::vault_id).as_str()
        && let Err(e) = vault.parse::<BackupVaultId>()
    {
        diags.attribute_error(AttributePath::root(attr::vault_id), "Invalid backup vault ID", format!("{e}."));
    }
    if let Some(intervals) = config.attr(attr::backup_repeating_time_intervals).as_elements() {
        if intervals.is_empty() {
            diags.attribute_error(
                AttributePath::root(attr::backup_repeating_time_intervals),
                "Missing backup schedule",
                format!("Give at least one repeating interval, for example {}.", K::EXAMPLE_INTERVAL),
            );
        }
        for (i, interval) in intervals.iter().enumerate() {
            if let Some(text) = interval.as_str()
                && let Err(reason) = check_repeating_interval_of::<K>(text)
            {
                diags.attribute_error(
                    AttributePath::root(attr::backup_repeating_time_intervals).index(i as i64),
                    "Invalid backup schedule",
                    format!("{reason}."),
                );
            }
        }
    }
    for name in [
        attr::default_retention_duration,
        attr::vault_default_retention_duration,
        attr::operational_default_retention_duration,
    ] {
        if let Some(text) = config.attr(name).as_str()
            && let Err(reason) = check_iso_duration(text).and_then(|()| check_retention_limit::<K>(text))
        {
            diags.attribute_error(AttributePath::root(name), "Invalid retention duration", format!("{reason}."));
        }
    }
    if K::OPERATIONAL_TIER {
        validate_tiers(config, &mut diags);
    }
    if let Some(text) = config.attr(attr::time_zone).as_str()
        && let Err(reason) = check_time_zone(text)
    {
        diags.attribute_error(AttributePath::root(attr::time_zone), "Invalid time zone", format!("{reason}."));
    }
    let mut names: Vec<String> = Vec::new();
    for (i, rule) in config.attr(attr::retention_rule).as_elements().unwrap_or_default().iter().enumerate() {
        let path = |attribute: &str| AttributePath::root(attr::retention_rule).index(i as i64).attribute(attribute);
        if let Some(name) = rule.attr(rule_attr::name).as_str() {
            if name.trim().is_empty() {
                diags.attribute_error(path(rule_attr::name), "Invalid retention rule name", "The name is empty.");
            } else if name.eq_ignore_ascii_case(DEFAULT_RULE) {
                diags.attribute_error(
                    path(rule_attr::name),
                    "Invalid retention rule name",
                    format!("{DEFAULT_RULE:?} is the default rule's name; set the default retention instead."),
                );
            } else if names.contains(&name.to_ascii_lowercase()) {
                diags.attribute_error(
                    path(rule_attr::name),
                    "Duplicate retention rule",
                    format!("Two retention rules are named {name:?}; names must differ (ignoring case)."),
                );
            } else if let Err(reason) = crate::arm::ids::check_name(name) {
                diags.attribute_error(path(rule_attr::name), "Invalid retention rule name", format!("{reason}."));
            }
            names.push(name.to_ascii_lowercase());
        }
        if let Some(text) = rule.attr(rule_attr::duration).as_str()
            && let Err(reason) = check_iso_duration(text).and_then(|()| check_retention_limit::<K>(text))
        {
            diags.attribute_error(path(rule_attr::duration), "Invalid retention duration", format!("{reason}."));
        }
        if let Some(priority) = rule.attr(rule_attr::priority).as_number()
            && priority.as_i64().is_none_or(|p| p < 0)
        {
            diags.attribute_error(
                path(rule_attr::priority),
                "Invalid retention rule priority",
                format!("{priority} is not a whole number of zero or more."),
            );
        }
        if K::CALENDAR_CRITERIA {
            validate_calendar(rule, &path, K::DAYS_OF_MONTH, &mut diags);
        }
        if let Some(criteria) = rule.attr(rule_attr::absolute_criteria).as_str()
            && !K::CRITERIA.contains(&criteria)
        {
            diags.attribute_error(
                path(rule_attr::absolute_criteria),
                "Invalid absolute criteria",
                format!(
                    "{criteria:?} is not one of {} (values are case-sensitive) for {}.",
                    K::CRITERIA.join(", "),
                    K::NOUN
                ),
            );
        }
    }
    common::validate_timeouts(config, &mut diags);
    diags
}

/// A retention rule's calendar criteria: Azure's values, and which combinations select backups. `path` names an
/// attribute of the rule. Unknown values are taken as set and not checked further.
fn validate_calendar(
    rule: &Value,
    path: &dyn Fn(&str) -> AttributePath,
    days_of_month_allowed: bool,
    diags: &mut Diagnostics,
) {
    use rule_attr::{
        absolute_criteria, days_of_month, days_of_week, months_of_year, scheduled_backup_times, weeks_of_month,
    };
    let set = |name: &str| !rule.attr(name).is_null();
    if let Some(days) = rule.attr(days_of_month).as_elements() {
        if days.is_empty() {
            diags.attribute_error(
                path(days_of_month),
                "Empty retention criteria",
                format!(
                    "Give at least one day of the month (1 to 28, or 0 for the last day), or remove {days_of_month}."
                ),
            );
        }
        for day in days.iter().filter_map(Value::as_number) {
            if day.as_i64().is_none_or(|d| !(0..=28).contains(&d)) {
                diags.attribute_error(
                    path(days_of_month),
                    "Invalid retention criteria",
                    format!("{day} is not a day of the month Azure takes: 1 to 28, or 0 for the last day."),
                );
            }
        }
    }
    for (name, allowed) in CALENDAR_SETS {
        let Some(values) = rule.attr(name).as_elements() else { continue };
        if values.is_empty() {
            diags.attribute_error(
                path(name),
                "Empty retention criteria",
                format!("Give at least one of {}, or remove {name}.", allowed.join(", ")),
            );
        }
        for value in values.iter().filter_map(Value::as_str) {
            if !allowed.contains(&value) {
                diags.attribute_error(
                    path(name),
                    "Invalid retention criteria",
                    format!("{value:?} is not one of {} (values are case-sensitive).", allowed.join(", ")),
                );
            }
        }
    }
    if let Some(times) = rule.attr(scheduled_backup_times).as_elements() {
        if times.is_empty() {
            diags.attribute_error(
                path(scheduled_backup_times),
                "Empty retention criteria",
                format!("Give at least one RFC 3339 date and time, or remove {scheduled_backup_times}."),
            );
        }
        for time in times.iter().filter_map(Value::as_str) {
            if let Err(reason) = check_rfc3339(time) {
                diags.attribute_error(path(scheduled_backup_times), "Invalid backup time", format!("{reason}."));
            }
        }
    }
    let absolute = set(absolute_criteria);
    let by_day_of_month = set(days_of_month);
    let mut calendar: Vec<&str> = CALENDAR_SETS.iter().map(|(name, _)| *name).filter(|name| set(name)).collect();
    if by_day_of_month {
        calendar.push(days_of_month);
    }
    let days =
        if days_of_month_allowed { format!("{days_of_week} or {days_of_month}") } else { days_of_week.to_owned() };
    if absolute && !calendar.is_empty() {
        for name in &calendar {
            diags.attribute_error(
                path(name),
                "Conflicting retention criteria",
                format!(
                    "A retention rule selects backups by {absolute_criteria} or by the calendar ({days_of_week}, with \
                     {weeks_of_month} and {months_of_year}), not both: remove {name} or {absolute_criteria}. To keep \
                     both kinds of backup, write two retention rules."
                ),
            );
        }
    } else if by_day_of_month && set(days_of_week) {
        diags.attribute_error(
            path(days_of_month),
            "Conflicting retention criteria",
            format!(
                "A retention rule selects backups by {days_of_week} or by {days_of_month}, not both: remove one, or \
                 write two retention rules."
            ),
        );
    } else if !absolute && !set(days_of_week) && !by_day_of_month {
        if calendar.is_empty() {
            diags.attribute_error(
                path(absolute_criteria),
                "Missing retention criteria",
                format!(
                    "Say which backups the rule keeps: set {absolute_criteria} (for example FirstOfWeek) or {days}."
                ),
            );
        }
        for name in calendar {
            diags.attribute_error(
                path(name),
                "Missing days of the week",
                format!("{name} narrows {days}: set {days_of_week} (for example [\"Sunday\"]) too."),
            );
        }
    }
}

/// A blob policy's tiers: operational, vaulted, or both; the vaulted tier has a schedule and the rules. Values
/// still unknown are taken as set.
fn validate_tiers(config: &Value, diags: &mut Diagnostics) {
    use attr::{
        backup_repeating_time_intervals as schedule_name, operational_default_retention_duration as operational_name,
        retention_rule, time_zone, vault_default_retention_duration as vaulted_name,
    };
    let set = |name: &str| !config.attr(name).is_null();
    let (operational, vaulted) = (set(operational_name), set(vaulted_name));
    let schedule = set(schedule_name);
    let rules = config.attr(retention_rule).as_elements().is_some_and(|r| !r.is_empty());
    if !operational && !vaulted {
        diags.error(
            "No retention",
            format!("Set {operational_name} (operational backup), {vaulted_name} (vaulted backup), or both."),
        );
    }
    if vaulted && !schedule {
        diags.attribute_error(
            AttributePath::root(schedule_name),
            "Missing backup schedule",
            format!("Vaulted backup ({vaulted_name}) runs on a schedule: set {schedule_name}."),
        );
    }
    if !vaulted && schedule {
        diags.attribute_error(
            AttributePath::root(vaulted_name),
            "Missing vault retention",
            format!(
                "{schedule_name} schedules vaulted backups: set {vaulted_name} too, or remove the schedule for \
                 operational backup only."
            ),
        );
    }
    if !schedule && set(time_zone) {
        diags.attribute_error(
            AttributePath::root(time_zone),
            "Time zone without a schedule",
            format!(
                "The time zone is the schedule's ({schedule_name}); operational backup has none. Remove {time_zone}, \
                 or schedule vaulted backup."
            ),
        );
    }
    if !vaulted && rules {
        diags.attribute_error(
            AttributePath::root(retention_rule),
            "Retention rules need vaulted backup",
            format!("Retention rules keep vaulted backups: set {vaulted_name} and a schedule, or remove them."),
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Operations

impl<K: PolicyKind> BackupPolicyType<K> {
    fn plan_new(request: &PlanRequest, response: &mut PlanResponse) {
        let planned = &mut response.planned_state;
        if request.config.attr(attr::time_zone).is_null() {
            planned.set_attr(attr::time_zone, Value::Unknown);
        }
    }

    async fn plan_change(cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        let replaced = common::plan_update_with(
            BackupPolicyType::<K>::cached_schema(),
            SPELLINGS,
            request,
            response,
            |prior, response| {
                if same_rules(prior.attr(attr::retention_rule), response.planned_state.attr(attr::retention_rule)) {
                    // Sets in another order, or a backup time spelled with another offset: the same rules.
                    response.requires_replace.retain(|path| *path != AttributePath::root(attr::retention_rule));
                }
            },
        );
        if !replaced {
            return;
        }
        let prior = &request.prior_state;
        let planned = &mut response.planned_state;
        if request.config.attr(attr::time_zone).is_null() {
            planned.set_attr(attr::time_zone, Value::Unknown);
        }
        if planned.attr(attr::name) == prior.attr(attr::name)
            && planned.attr(attr::vault_id) == prior.attr(attr::vault_id)
        {
            Self::warn_if_in_use(cx, prior, &mut response.diagnostics).await;
        }
    }

    /// A replacement that keeps the name keeps the ID: it can work only once no instance uses the old policy.
    /// Says so when instances use it (a failed lookup only skips the warning).
    async fn warn_if_in_use(cx: &PlanContext<'_>, prior: &Value, diags: &mut Diagnostics) {
        let Some(Ok(id)) = prior.attr(attr::id).as_str().map(str::parse::<BackupPolicyId>) else { return };
        let Ok(configured) = cx.configured() else { return };
        let timeouts = common::timeouts(prior, DEFAULT_TIMEOUTS);
        let call = cx.call(timeouts.read, "read timeout");
        let users: Vec<String> = match configured.client.list_backup_instances(&call, &id.vault).await {
            Ok(instances) => instances
                .iter()
                .filter(|i| same_id(&i.properties.policy_info.policy_id, &id.to_string()))
                .map(|i| i.name.clone().unwrap_or_default())
                .collect(),
            Err(error) => {
                tracing::debug!(error = %error, "could not list the vault's backup instances; no in-use check");
                return;
            }
        };
        if users.is_empty() {
            return;
        }
        diags.attribute_warning(
            AttributePath::root(attr::name),
            format!("Backup policy {} is in use and its replacement keeps its name", id.name),
            format!(
                "Backup instances use this policy ({}). Azure does not delete a policy in use \
                 (UserErrorDppPolicyObjectInUse), and the replacement has the same name, so the same ID: with \
                 create_before_destroy its create fails because the name is taken, and without it the delete fails. \
                 Change the name together with the settings (for example name = \"{}\") and set \
                 lifecycle {{ create_before_destroy = true }}: the instances then move to the new policy in place \
                 before the old one is deleted.",
                users.join(", "),
                K::EXAMPLE_NAME
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Delete: retiring a policy that instances leave in the same apply

/// Why a policy was not deleted.
#[derive(Debug)]
enum Refusal {
    /// Backup instances use the policy and are not moving away from it in this apply: their IDs.
    Staying(Vec<String>),
    /// The deadline passed (or Terraform stopped) while these instances were still leaving the policy.
    StillLeaving { leaving: Vec<String>, stopped: bool },
    /// Azure's error; `in_use` when it is `UserErrorDppPolicyObjectInUse`.
    Azure { error: ArmError, in_use: bool },
}

impl Refusal {
    fn azure(error: ArmError) -> Refusal {
        let in_use = is_in_use(&error);
        Refusal::Azure { error, in_use }
    }

    fn report(&self, id: &BackupPolicyId, timeout_label: &str, diags: &mut Diagnostics) {
        let list = |ids: &[String]| ids.iter().map(|i| format!("  - {i}")).collect::<Vec<_>>().join("\n");
        match self {
            Refusal::Staying(staying) => diags.error(
                format!("Backup policy {} is still used by backup instances", id.name),
                format!(
                    "Azure does not delete a backup policy that backup instances use (UserErrorDppPolicyObjectInUse). \
                     These backup instances use {}, and no update that moves them to another policy ran in this apply \
                     while the delete waited:\n\n{}\n\n{STAYING_HINT}",
                    id,
                    list(staying)
                ),
            ),
            Refusal::StillLeaving { leaving, stopped } => diags.error(
                format!("Backup instances still leaving backup policy {}", id.name),
                format!(
                    "{} while these backup instances were moving from backup policy {id} to another policy:\n\n{}\n\n\
                     The policy is kept. Once their updates are done, apply again to delete it.",
                    if *stopped {
                        "Terraform stopped the delete".to_owned()
                    } else {
                        format!("The {timeout_label} ended")
                    },
                    list(leaving)
                ),
            ),
            Refusal::Azure { error, in_use } => arm_error(diags, error, None, in_use.then_some(IN_USE_HINT)),
        }
    }
}

fn is_in_use(error: &ArmError) -> bool {
    error.code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("UserErrorDppPolicyObjectInUse"))
}

/// The IDs of the vault's backup instances that use policy `id`.
async fn holders(azure: &Call, id: &BackupPolicyId) -> Result<Vec<String>, ArmError> {
    let policy = id.to_string();
    let instances = azure.client().list_backup_instances(&azure.context, &id.vault).await?;
    Ok(instances
        .into_iter()
        .filter(|i| same_id(&i.properties.policy_info.policy_id, &policy))
        .filter_map(|i| i.name)
        .map(|name| BackupInstanceId { vault: id.vault.clone(), name }.to_string())
        .collect())
}

/// Deletes policy `id` once no backup instance uses it, within the call's deadline.
///
/// Terraform runs the update of an instance that leaves the policy and the delete of the policy side by side, so
/// the delete lists the instances that hold the policy and asks this process's [`Moves`] which of them are leaving:
/// those are waited for. The others are waited for only while moves may still come (a move in flight, or one that
/// started or ended within [`super::moves::SETTLE_WINDOW`], counting the delete's own start); then the delete fails
/// naming them. A delete that Azure still refuses as in use (a move it has not caught up with) is tried again.
async fn retire(azure: &Call, id: &BackupPolicyId) -> Result<(), Refusal> {
    let (call, client) = (&azure.context, azure.client());
    let policy = id.to_string();
    let moves = Moves::global();
    let mut changes = moves.subscribe();
    let started = Instant::now();
    let mut reported: Option<Vec<String>> = None;
    loop {
        changes.borrow_and_update();
        let holders = match holders(azure, id).await {
            Ok(holders) => holders,
            Err(error) => {
                // Without the list, only Azure can say whether the policy is in use.
                tracing::debug!(error = %error, "could not list the vault's backup instances");
                return client.delete_backup_policy(call, id).await.map(|_| ()).map_err(Refusal::azure);
            }
        };
        let now = Instant::now();
        let view = moves.view(&policy);
        let mut wake = now + LOOK_AGAIN;
        let refusal = if holders.is_empty() {
            match client.delete_backup_policy(call, id).await {
                Ok(_) => return Ok(()),
                Err(error) if is_in_use(&error) => {
                    tracing::info!(policy = %id, "Azure still counts the backup policy in use; trying again");
                    Refusal::azure(error)
                }
                Err(error) => return Err(Refusal::azure(error)),
            }
        } else {
            let (leaving, staying): (Vec<String>, Vec<String>) =
                holders.iter().cloned().partition(|instance| view.is_leaving(instance));
            if !staying.is_empty() {
                match view.settles_at(started) {
                    Some(end) if now >= end => return Err(Refusal::Staying(staying)),
                    Some(end) => wake = wake.min(end),
                    None => {}
                }
            }
            if reported.as_ref() != Some(&holders) {
                tracing::info!(
                    policy = %id,
                    leaving = %leaving.join(", "),
                    not_moving = %staying.join(", "),
                    "waiting for the backup instances that use the backup policy to move to another policy"
                );
                reported = Some(holders);
            }
            if staying.is_empty() {
                Refusal::StillLeaving { leaving, stopped: false }
            } else {
                Refusal::Staying(staying)
            }
        };
        if now >= call.deadline {
            return Err(refusal);
        }
        tokio::select! {
            Ok(()) = changes.changed() => {}
            () = tokio::time::sleep_until(wake.min(call.deadline).into()) => {}
            () = call.stop.cancelled() => {
                return Err(match refusal {
                    Refusal::StillLeaving { leaving, .. } => Refusal::StillLeaving { leaving, stopped: true },
                    other => other,
                });
            }
        }
        // At the deadline, what was seen last is the answer (a list now would only time out).
        if Instant::now() >= call.deadline {
            return Err(refusal);
        }
    }
}

#[async_trait]
impl<K: PolicyKind> ManagedResource for BackupPolicyType<K> {
    type Id = BackupPolicyId;
    const TYPE_NAME: &'static str = K::TYPE_NAME;
    const KIND: &'static str = "backup policy";

    fn schema() -> Schema {
        schema::<K>()
    }

    fn validate(config: &Value) -> Diagnostics {
        validate_config::<K>(config)
    }

    async fn plan_create(&self, _cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        Self::plan_new(request, response);
    }

    async fn plan_update(&self, cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        Self::plan_change(cx, request, response).await;
    }

    async fn create(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let Some(model) = Model::from_value::<K>(&request.planned_state) else {
            response.diagnostics.error(
                "Backup policy arguments not known",
                "Some arguments were still unknown when the policy was to be created. This is a bug in the provider.",
            );
            return response;
        };
        let (call, client) = (&azure.context, azure.client());
        let id = &model.id;
        match client.get_backup_policy(call, id).await {
            Ok(None) => {}
            Ok(Some(_)) => {
                common::already_exists(
                    &mut response.diagnostics,
                    "backup policy",
                    K::TYPE_NAME,
                    &id.to_string(),
                    "If this creates the replacement of a policy with lifecycle { create_before_destroy = true }, the \
                     old policy still exists: give the new one another name (a name that changes with the settings).\n\n",
                );
                return response;
            }
            Err(error) => {
                arm_error(
                    &mut response.diagnostics,
                    &error.context(format!("creating backup policy {id}")),
                    None,
                    None,
                );
                return response;
            }
        }
        match client.put_backup_policy(call, id, &model.to_resource::<K>()).await {
            Ok(policy) => response.new_state = state_from_azure::<K>(&request.planned_state, id, &policy),
            Err(error) => {
                // An answer that was lost or unreadable may still have created the policy: keep it tracked.
                if error.status.is_none()
                    && let Ok(Some(policy)) = client.get_backup_policy(call, id).await
                {
                    response.new_state = state_from_azure::<K>(&request.planned_state, id, &policy);
                }
                arm_error(&mut response.diagnostics, &error, None, None);
            }
        }
        response
    }

    /// Every argument replaces the policy: an update only changes Terraform-side settings (timeouts).
    async fn update(&self, _azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        ApplyResponse { new_state: request.planned_state.clone(), ..ApplyResponse::default() }
    }

    /// Deletes the policy once no backup instance uses it: instances that this apply moves to another policy
    /// are waited for; instances that stay make the delete fail, naming them (see [`retire`]).
    async fn delete(&self, azure: &Call, id: &BackupPolicyId, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse { new_state: request.prior_state.clone(), ..ApplyResponse::default() };
        match retire(azure, id).await {
            Ok(()) => response.new_state = Value::Null,
            Err(refusal) => refusal.report(id, &azure.context.timeout_label, &mut response.diagnostics),
        }
        response
    }

    async fn read(
        &self,
        azure: &Call,
        id: &BackupPolicyId,
        current: &Value,
        response: &mut ReadResponse,
    ) -> Result<Option<Value>, ArmError> {
        let Some(policy) = azure.client().read_backup_policy(&azure.context, id).await? else { return Ok(None) };
        // Imported into the wrong resource type: say which one manages it.
        if let Some((summary, detail)) = wrong_kind::<K>(id, &policy, "manages", "Manage it with") {
            response.diagnostics.error(summary, detail);
        }
        Ok(Some(state_from_azure::<K>(current, id, &policy)))
    }

    fn import_attributes(id: &BackupPolicyId) -> Vec<(&'static str, String)> {
        vec![(attr::name, id.name.clone()), (attr::vault_id, id.vault.to_string())]
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::plugin::interface::{Context, ImportRequest, Resource};
    use crate::resources::ProviderConfiguration;
    use crate::resources::managed::Managed;

    const VAULT: &str =
        "/subscriptions/s1/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo";

    impl RetentionRule {
        /// The rule as a value of the `retention_rule` block of kind `K`.
        pub(super) fn to_value<K: PolicyKind>(&self) -> Value {
            model::write(&self.to_object::<K>(), &retention_rule_type_of::<K>())
        }
    }

    fn rule(name: &str, duration: &str, priority: i64, criteria: &str) -> Value {
        rule_of::<DiskPolicy>(name, duration, priority, criteria)
    }

    /// A retention rule of kind `K` with absolute criteria.
    fn rule_of<K: PolicyKind>(name: &str, duration: &str, priority: i64, criteria: &str) -> Value {
        RetentionRule {
            name: name.into(),
            duration: duration.into(),
            priority,
            absolute_criteria: Some(criteria.into()),
            ..RetentionRule::default()
        }
        .to_value::<K>()
    }

    fn config() -> Value {
        Value::object([
            (attr::id, Value::Null),
            (attr::name, Value::from("disk-4h-p7d")),
            (attr::vault_id, Value::from(VAULT)),
            (attr::backup_repeating_time_intervals, Value::List(vec![Value::from("R/2024-01-01T02:00:00+00:00/PT4H")])),
            (attr::default_retention_duration, Value::from("P7D")),
            (attr::time_zone, Value::from("W. Europe Standard Time")),
            (attr::retention_rule, Value::List(vec![rule("Daily", "P14D", 25, "FirstOfDay")])),
            (attr::timeouts, Value::Null),
        ])
    }

    fn paths(d: &Diagnostics) -> Vec<String> {
        d.iter().map(|d| d.attribute.as_ref().map(|p| p.to_string()).unwrap_or_default()).collect()
    }

    #[test]
    fn a_good_config_validates_and_bad_values_point_at_their_attribute() {
        assert!(validate_config::<DiskPolicy>(&config()).is_empty());
        let mut c = config();
        c.set_attr(attr::name, Value::from("p"));
        c.set_attr(attr::vault_id, Value::from("/subscriptions/s1"));
        c.set_attr(
            attr::backup_repeating_time_intervals,
            Value::List(vec![Value::from("R/2024-01-01T02:00:00+00:00/PT4H"), Value::from("R/2024/PT4H")]),
        );
        c.set_attr(attr::default_retention_duration, Value::from("7 days"));
        c.set_attr(attr::time_zone, Value::from("Mars/Olympus"));
        c.set_attr(
            attr::retention_rule,
            Value::List(vec![
                rule("Default", "P14D", 25, "FirstOfDay"),
                rule("Weekly", "P4", 1, "FirstOfWeek"),
                rule("weekly", "P4W", -1, "EveryOther"),
            ]),
        );
        assert_eq!(
            paths(&validate_config::<DiskPolicy>(&c)),
            vec![
                attr::name,
                attr::vault_id,
                "backup_repeating_time_intervals[1]",
                attr::default_retention_duration,
                attr::time_zone,
                "retention_rule[0].name",
                "retention_rule[1].duration",
                "retention_rule[2].name",
                "retention_rule[2].priority",
                "retention_rule[2].absolute_criteria",
            ]
        );
        let mut c = config();
        c.set_attr(attr::backup_repeating_time_intervals, Value::List(vec![]));
        assert_eq!(paths(&validate_config::<DiskPolicy>(&c)), vec!["backup_repeating_time_intervals"]);
        let mut c = config();
        for name in [
            attr::name,
            attr::vault_id,
            attr::backup_repeating_time_intervals,
            attr::default_retention_duration,
            attr::time_zone,
        ] {
            c.set_attr(name, Value::Unknown);
        }
        assert!(validate_config::<DiskPolicy>(&c).is_empty());
    }

    #[test]
    fn the_body_matches_the_disk_policy_shape_and_reads_back() {
        let model = Model::from_value::<DiskPolicy>(&config()).unwrap();
        let body = serde_json::to_value(model.to_resource::<DiskPolicy>()).unwrap();
        let p = &body["properties"];
        assert_eq!(p["objectType"], "BackupPolicy");
        assert_eq!(p["datasourceTypes"], serde_json::json!(["Microsoft.Compute/disks"]));
        let backup = &p["policyRules"][0];
        assert_eq!(backup["objectType"], "AzureBackupRule");
        assert_eq!(backup["backupParameters"]["backupType"], "Incremental");
        assert_eq!(backup["dataStore"]["dataStoreType"], "OperationalStore");
        let trigger = &backup["trigger"];
        assert_eq!(trigger["objectType"], "ScheduleBasedTriggerContext");
        assert_eq!(trigger["schedule"]["repeatingTimeIntervals"][0], "R/2024-01-01T02:00:00+00:00/PT4H");
        assert_eq!(trigger["schedule"]["timeZone"], "W. Europe Standard Time");
        assert_eq!(trigger["taggingCriteria"][0]["tagInfo"]["tagName"], "Default");
        assert_eq!(trigger["taggingCriteria"][0]["taggingPriority"], 99);
        assert_eq!(trigger["taggingCriteria"][1]["tagInfo"]["tagName"], "Daily");
        assert_eq!(trigger["taggingCriteria"][1]["criteria"][0]["absoluteCriteria"][0], "FirstOfDay");
        assert_eq!(p["policyRules"][1]["isDefault"], true);
        assert_eq!(p["policyRules"][1]["lifecycles"][0]["deleteAfter"]["duration"], "P7D");
        assert_eq!(p["policyRules"][1]["lifecycles"][0]["deleteAfter"]["objectType"], "AbsoluteDeleteOption");
        assert_eq!(p["policyRules"][2]["name"], "Daily");
        assert_eq!(p["policyRules"][2]["isDefault"], false);

        let mut stored = model.to_resource::<DiskPolicy>();
        stored.id = Some(format!("{VAULT}/backupPolicies/disk-4h-p7d").to_lowercase());
        let state = state_from_azure::<DiskPolicy>(&config(), &model.id, &stored);
        for name in [
            attr::name,
            attr::vault_id,
            attr::backup_repeating_time_intervals,
            attr::default_retention_duration,
            attr::time_zone,
        ] {
            assert_eq!(state.attr(name), config().attr(name), "{name}");
        }
        assert_eq!(state.attr(attr::retention_rule), config().attr(attr::retention_rule));
        assert_eq!(state.attr(attr::id).as_str(), Some(format!("{VAULT}/backupPolicies/disk-4h-p7d").as_str()));
    }

    #[test]
    fn the_emulators_seeded_policies_read_back() {
        let properties = serde_json::json!({
            "objectType": "BackupPolicy", "datasourceTypes": ["Microsoft.Compute/disks"],
            "policyRules": [
                {"name": "BackupDaily", "objectType": "AzureBackupRule",
                 "backupParameters": {"objectType": "AzureBackupParams", "backupType": "Incremental"},
                 "dataStore": {"dataStoreType": "OperationalStore", "objectType": "DataStoreInfoBase"},
                 "trigger": {"objectType": "ScheduleBasedTriggerContext",
                   "schedule": {"repeatingTimeIntervals": ["R/2024-01-01T02:00:00+00:00/P1D"], "timeZone": "UTC"},
                   "taggingCriteria": [{"isDefault": true, "taggingPriority": 99, "tagInfo": {"id": "Default_", "tagName": "Default"}}]}},
                {"name": "Default", "objectType": "AzureRetentionRule", "isDefault": true,
                 "lifecycles": [{"deleteAfter": {"objectType": "AbsoluteDeleteOption", "duration": "P7D"},
                   "sourceDataStore": {"dataStoreType": "OperationalStore", "objectType": "DataStoreInfoBase"},
                   "targetDataStoreCopySettings": []}]}]});
        let policy: BackupPolicyResource =
            serde_json::from_value(serde_json::json!({"properties": properties})).unwrap();
        let id: BackupPolicyId = format!("{VAULT}/backupPolicies/policy-disk-daily").parse().unwrap();
        let state = data_source_state::<DiskPolicy>(&id, &policy);
        assert_eq!(state.attr(attr::default_retention_duration).as_str(), Some("P7D"));
        assert_eq!(state.attr(attr::time_zone).as_str(), Some("UTC"));
        assert_eq!(state.attr(attr::retention_rule), &Value::List(vec![]));
        assert!(state.attr(attr::timeouts).is_null() && !state.as_entries().unwrap().contains_key(attr::timeouts));
    }

    #[test]
    fn retention_rules_keep_the_configured_order() {
        let mut c = config();
        c.set_attr(
            attr::retention_rule,
            Value::List(vec![rule("Weekly", "P4W", 20, "FirstOfWeek"), rule("Daily", "P14D", 25, "FirstOfDay")]),
        );
        let model = Model::from_value::<DiskPolicy>(&c).unwrap();
        let mut stored = model.to_resource::<DiskPolicy>();
        // Azure answers the rules in another order.
        stored.properties.policy_rules.swap(2, 3);
        let state = state_from_azure::<DiskPolicy>(&c, &model.id, &stored);
        assert_eq!(state.attr(attr::retention_rule), c.attr(attr::retention_rule));
    }

    async fn plan_update(prior: Value, config: Value) -> PlanResponse {
        let mut proposed = config.clone();
        proposed.set_attr(attr::id, prior.attr(attr::id).clone());
        let request = PlanRequest { prior_state: prior, proposed_new_state: proposed, config, prior_private: vec![] };
        let mut response =
            PlanResponse { planned_state: request.proposed_new_state.clone(), ..PlanResponse::default() };
        let state = ProviderConfiguration::default();
        let cx = PlanContext { ctx: &Context::default(), configuration: &state };
        BackupPolicyType::<DiskPolicy>::plan_change(&cx, &request, &mut response).await;
        response
    }

    #[tokio::test]
    async fn every_change_replaces_and_spellings_do_not() {
        let mut prior = config();
        prior.set_attr(attr::id, Value::from(format!("{VAULT}/backupPolicies/disk-4h-p7d")));
        let mut c = config();
        c.set_attr(attr::vault_id, Value::from(VAULT.to_lowercase()));
        c.set_attr(attr::time_zone, Value::from("w. europe standard time"));
        let response = plan_update(prior.clone(), c).await;
        assert!(response.requires_replace.is_empty());
        assert_eq!(response.planned_state, prior);

        let mut c = config();
        c.set_attr(attr::default_retention_duration, Value::from("P14D"));
        c.set_attr(attr::retention_rule, Value::List(vec![rule("Daily", "P30D", 25, "FirstOfDay")]));
        let response = plan_update(prior, c).await;
        assert_eq!(
            response.requires_replace,
            vec![AttributePath::root(attr::default_retention_duration), AttributePath::root(attr::retention_rule)]
        );
        assert!(response.planned_state.attr(attr::id).is_unknown());
    }

    #[tokio::test]
    async fn import_builds_a_full_state_from_the_id() {
        let resource =
            Managed::new(BackupPolicyType::<DiskPolicy>::default(), Arc::new(ProviderConfiguration::default()));
        let id = format!("{VAULT}/backupPolicies/p1");
        let response = resource.import(&Context::default(), ImportRequest { id: id.clone() }).await;
        let state = &response.imported[0].state;
        assert_eq!(state.attr(attr::vault_id).as_str(), Some(VAULT));
        assert_eq!(state.as_entries().unwrap().len(), config().as_entries().unwrap().len());
        let bad = resource.import(&Context::default(), ImportRequest { id: VAULT.into() }).await;
        assert!(bad.diagnostics.has_errors());
    }

    // -----------------------------------------------------------------------------------------------------------
    // The other kinds

    use crate::resources::policy_kinds::{
        BlobStoragePolicy, KubernetesClusterPolicy, PostgreSqlFlexibleServerPolicy, VAULT_STORE,
    };

    /// A configuration of kind `K`: every attribute of its schema, null unless given.
    fn config_of<K: PolicyKind>(set: &[(&str, Value)]) -> Value {
        let Type::Object(types) = BackupPolicyType::<K>::cached_schema().block.value_type() else {
            panic!("an object type")
        };
        let mut c = Value::object(types.keys().map(|name| (name.as_str(), Value::Null)));
        c.set_attr(attr::name, Value::from("policy-1"));
        c.set_attr(attr::vault_id, Value::from(VAULT));
        c.set_attr(attr::retention_rule, Value::List(vec![]));
        for (name, value) in set {
            c.set_attr(name, value.clone());
        }
        c
    }

    fn intervals(text: &str) -> Value {
        Value::List(vec![Value::from(text)])
    }

    fn stores(rule: &PolicyRule) -> Vec<String> {
        rule.lifecycles.iter().flatten().map(|l| l.source_data_store.data_store_type.clone()).collect()
    }

    #[test]
    fn blob_operational_backup_is_a_retention_rule_alone() {
        let c = config_of::<BlobStoragePolicy>(&[(attr::operational_default_retention_duration, Value::from("P30D"))]);
        assert!(validate_config::<BlobStoragePolicy>(&c).is_empty());
        let model = Model::from_value::<BlobStoragePolicy>(&c).unwrap();
        let policy = model.to_resource::<BlobStoragePolicy>();
        assert_eq!(policy.properties.datasource_types, vec!["Microsoft.Storage/storageAccounts/blobServices"]);
        let rules = &policy.properties.policy_rules;
        assert_eq!(rules.len(), 1, "{rules:?}");
        assert_eq!((rules[0].name.as_str(), rules[0].is_default), ("Default", Some(true)));
        assert_eq!(stores(&rules[0]), vec![OPERATIONAL_STORE]);
        let state = state_from_azure::<BlobStoragePolicy>(&c, &model.id, &policy);
        assert_eq!(state.attr(attr::operational_default_retention_duration).as_str(), Some("P30D"));
        assert!(state.attr(attr::vault_default_retention_duration).is_null());
        assert!(state.attr(attr::backup_repeating_time_intervals).is_null());
    }

    #[test]
    fn blob_vaulted_and_operational_backup_keep_one_default_rule_per_store() {
        let c = config_of::<BlobStoragePolicy>(&[
            (attr::operational_default_retention_duration, Value::from("P30D")),
            (attr::vault_default_retention_duration, Value::from("P90D")),
            (attr::backup_repeating_time_intervals, intervals("R/2024-01-01T02:00:00+00:00/P1D")),
            (
                attr::retention_rule,
                Value::List(vec![rule_of::<BlobStoragePolicy>("Monthly", "P12M", 20, "FirstOfMonth")]),
            ),
        ]);
        assert!(validate_config::<BlobStoragePolicy>(&c).is_empty());
        let model = Model::from_value::<BlobStoragePolicy>(&c).unwrap();
        let policy = model.to_resource::<BlobStoragePolicy>();
        let rules = &policy.properties.policy_rules;
        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, vec!["BackupDaily", "Default", "Default_OperationalStore", "Monthly"]);
        let backup = serde_json::to_value(&rules[0]).unwrap();
        assert_eq!(backup["backupParameters"]["backupType"], "Discrete");
        assert_eq!(backup["dataStore"]["dataStoreType"], VAULT_STORE);
        assert_eq!(stores(&rules[1]), vec![VAULT_STORE]);
        assert_eq!(stores(&rules[2]), vec![OPERATIONAL_STORE]);
        assert_eq!(stores(&rules[3]), vec![VAULT_STORE]);
        let state = state_from_azure::<BlobStoragePolicy>(&c, &model.id, &policy);
        for name in [
            attr::operational_default_retention_duration,
            attr::vault_default_retention_duration,
            attr::retention_rule,
            attr::backup_repeating_time_intervals,
        ] {
            assert_eq!(state.attr(name), c.attr(name), "{name}");
        }
    }

    #[test]
    fn blob_tiers_are_checked_offline() {
        let errors = |set: &[(&str, Value)]| {
            validate_config::<BlobStoragePolicy>(&config_of::<BlobStoragePolicy>(set))
                .iter()
                .map(|d| (d.attribute.as_ref().map(|p| p.to_string()).unwrap_or_default(), d.summary.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(errors(&[]), vec![(String::new(), "No retention".to_owned())]);
        assert_eq!(
            errors(&[
                (attr::operational_default_retention_duration, Value::from("P30D")),
                (attr::time_zone, Value::from("UTC")),
            ]),
            vec![(attr::time_zone.to_owned(), "Time zone without a schedule".to_owned())]
        );
        assert_eq!(
            errors(&[(attr::vault_default_retention_duration, Value::from("P30D"))]),
            vec![(attr::backup_repeating_time_intervals.to_owned(), "Missing backup schedule".to_owned())]
        );
        assert_eq!(
            errors(&[
                (attr::operational_default_retention_duration, Value::from("P30D")),
                (attr::backup_repeating_time_intervals, intervals("R/2024-01-01T02:00:00+00:00/PT4H")),
            ]),
            vec![
                ("backup_repeating_time_intervals[0]".to_owned(), "Invalid backup schedule".to_owned()),
                (attr::vault_default_retention_duration.to_owned(), "Missing vault retention".to_owned()),
            ]
        );
    }

    #[test]
    fn database_and_kubernetes_policies_keep_to_their_kinds() {
        let c = config_of::<PostgreSqlFlexibleServerPolicy>(&[
            (attr::backup_repeating_time_intervals, intervals("R/2024-01-07T02:00:00+00:00/P1W")),
            (attr::default_retention_duration, Value::from("P3M")),
            (
                attr::retention_rule,
                Value::List(vec![rule_of::<PostgreSqlFlexibleServerPolicy>("Yearly", "P10Y", 10, "FirstOfYear")]),
            ),
        ]);
        assert!(validate_config::<PostgreSqlFlexibleServerPolicy>(&c).is_empty());
        let model = Model::from_value::<PostgreSqlFlexibleServerPolicy>(&c).unwrap();
        let policy = model.to_resource::<PostgreSqlFlexibleServerPolicy>();
        let backup = serde_json::to_value(&policy.properties.policy_rules[0]).unwrap();
        assert_eq!(backup["name"], "BackupWeekly");
        assert_eq!(backup["backupParameters"]["backupType"], "Full");
        assert_eq!(backup["dataStore"]["dataStoreType"], VAULT_STORE);
        let state = state_from_azure::<PostgreSqlFlexibleServerPolicy>(&c, &model.id, &policy);
        assert_eq!(state.attr(attr::default_retention_duration).as_str(), Some("P3M"));
        assert_eq!(state.attr(attr::retention_rule), c.attr(attr::retention_rule));

        let mut long = c.clone();
        long.set_attr(
            attr::retention_rule,
            Value::List(vec![rule_of::<PostgreSqlFlexibleServerPolicy>("Yearly", "P11Y", 10, "FirstOfYear")]),
        );
        assert_eq!(
            paths(&validate_config::<PostgreSqlFlexibleServerPolicy>(&long)),
            vec!["retention_rule[0].duration"]
        );
        long.set_attr(
            attr::retention_rule,
            Value::List(vec![rule_of::<PostgreSqlFlexibleServerPolicy>("Yearly", "P120M", 10, "FirstOfYear")]),
        );
        assert!(validate_config::<PostgreSqlFlexibleServerPolicy>(&long).is_empty(), "120 months are 10 years");
        long.set_attr(attr::default_retention_duration, Value::from("P3654D"));
        assert_eq!(
            paths(&validate_config::<PostgreSqlFlexibleServerPolicy>(&long)),
            vec!["default_retention_duration"]
        );

        let mut daily = c.clone();
        daily.set_attr(attr::backup_repeating_time_intervals, intervals("R/2024-01-07T02:00:00+00:00/P1D"));
        let d = validate_config::<PostgreSqlFlexibleServerPolicy>(&daily);
        assert_eq!(paths(&d), vec!["backup_repeating_time_intervals[0]"]);
        assert!(
            d.iter().next().unwrap().detail.contains("PostgreSQL flexible servers can be backed up only every P1W")
        );

        let k8s = config_of::<KubernetesClusterPolicy>(&[
            (attr::backup_repeating_time_intervals, intervals("R/2024-01-01T02:00:00+00:00/PT4H")),
            (attr::default_retention_duration, Value::from("P7D")),
            (
                attr::retention_rule,
                Value::List(vec![rule_of::<KubernetesClusterPolicy>("Monthly", "P30D", 10, "FirstOfMonth")]),
            ),
        ]);
        assert_eq!(
            paths(&validate_config::<KubernetesClusterPolicy>(&k8s)),
            vec!["retention_rule[0].absolute_criteria"]
        );
        let policy =
            Model::from_value::<KubernetesClusterPolicy>(&k8s).unwrap().to_resource::<KubernetesClusterPolicy>();
        let backup = serde_json::to_value(&policy.properties.policy_rules[0]).unwrap();
        assert_eq!(backup["dataStore"]["dataStoreType"], OPERATIONAL_STORE);
        assert_eq!(backup["backupParameters"]["backupType"], "Incremental");
    }

    // -----------------------------------------------------------------------------------------------------------
    // Every kind's schedule intervals, from a table of its own (not from the kind's constants, so that a kind that
    // comes to accept a wrong interval fails here, not only in the docs)

    use crate::resources::policy_kinds::{DataLakeStoragePolicy, MySqlFlexibleServerPolicy};

    /// Checks that each `allowed` interval validates in a configuration of kind `K` (otherwise valid with `base`),
    /// and that each `refused` one is an error on that very element of `backup_repeating_time_intervals`.
    fn intervals_of<K: PolicyKind>(base: &[(&str, Value)], allowed: &[&str], refused: &[&str]) {
        let start = K::EXAMPLE_INTERVAL.rsplit_once('/').map(|(start, _)| start).unwrap();
        let with = |interval: &str| {
            let mut c = config_of::<K>(base);
            let first = Value::from(K::EXAMPLE_INTERVAL);
            c.set_attr(
                attr::backup_repeating_time_intervals,
                Value::List(vec![first, Value::from(format!("{start}/{interval}"))]),
            );
            validate_config::<K>(&c)
        };
        for interval in allowed {
            let d = with(interval);
            assert!(d.is_empty(), "{}: {interval} is allowed, yet: {:?}", K::TYPE_NAME, d.iter().collect::<Vec<_>>());
        }
        for interval in refused {
            let d = with(interval);
            assert_eq!(paths(&d), vec!["backup_repeating_time_intervals[1]"], "{}: {interval}", K::TYPE_NAME);
            let diagnostic = d.iter().next().unwrap();
            assert_eq!(diagnostic.severity, crate::plugin::diagnostics::Severity::Error);
            assert!(diagnostic.detail.contains(interval) || diagnostic.summary.contains(interval), "{diagnostic:?}");
        }
    }

    #[test]
    fn each_kind_allows_exactly_its_intervals() {
        const NEVER: &[&str] = &["PT30M", "P2D", "P1M", "P1Y", "pt4h", "P1DT"];
        let hourly = ["PT4H", "PT6H", "PT8H", "PT12H"];
        let refused = |extra: &[&'static str]| [extra, NEVER].concat();
        let retention = [(attr::default_retention_duration, Value::from("P7D"))];
        intervals_of::<DiskPolicy>(&retention, &[&hourly[..], &["P1D"]].concat(), &refused(&["P1W", "PT1H", "PT2H"]));
        intervals_of::<KubernetesClusterPolicy>(&retention, &[&hourly[..], &["P1D", "P1W"]].concat(), &refused(&[]));
        let vaulted = [(attr::vault_default_retention_duration, Value::from("P30D"))];
        intervals_of::<BlobStoragePolicy>(&vaulted, &["P1D", "P1W"], &refused(&hourly));
        let lake = [(attr::default_retention_duration, Value::from("P30D"))];
        intervals_of::<DataLakeStoragePolicy>(&lake, &["P1D", "P1W"], &refused(&hourly));
        let weekly = [(attr::default_retention_duration, Value::from("P3M"))];
        let daily_or_more = refused(&[&hourly[..], &["P1D"]].concat());
        intervals_of::<PostgreSqlFlexibleServerPolicy>(&weekly, &["P1W"], &daily_or_more);
        intervals_of::<MySqlFlexibleServerPolicy>(&weekly, &["P1W"], &daily_or_more);
    }
}

#[cfg(test)]
mod calendar_tests {
    use super::*;
    use crate::resources::policy_kinds::{
        BlobStoragePolicy, DataLakeStoragePolicy, KubernetesClusterPolicy, MySqlFlexibleServerPolicy,
        PostgreSqlFlexibleServerPolicy,
    };

    const VAULT: &str =
        "/subscriptions/s1/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo";

    fn set(values: &[&str]) -> Value {
        Value::Set(values.iter().map(|v| Value::from(*v)).collect())
    }

    /// A retention rule of kind `K`: every attribute null unless given.
    fn rule_with<K: PolicyKind>(name: &str, set_to: &[(&str, Value)]) -> Value {
        let mut rule = RetentionRule { name: name.into(), duration: "P12W".into(), priority: 20, ..Default::default() }
            .to_value::<K>();
        for (attribute, value) in set_to {
            rule.set_attr(attribute, value.clone());
        }
        rule
    }

    /// A PostgreSQL flexible server policy (weekly) with these retention rules.
    fn weekly<K: PolicyKind>(rules: Vec<Value>) -> Value {
        let Type::Object(types) = BackupPolicyType::<K>::cached_schema().block.value_type() else {
            panic!("an object type")
        };
        let mut c = Value::object(types.keys().map(|name| (name.as_str(), Value::Null)));
        c.set_attr(attr::name, Value::from("policy-1"));
        c.set_attr(attr::vault_id, Value::from(VAULT));
        let start = K::EXAMPLE_INTERVAL.rsplit_once('/').unwrap().0;
        c.set_attr(attr::backup_repeating_time_intervals, Value::List(vec![Value::from(format!("{start}/P1W"))]));
        let retention =
            if K::OPERATIONAL_TIER { attr::vault_default_retention_duration } else { attr::default_retention_duration };
        c.set_attr(retention, Value::from("P4W"));
        c.set_attr(attr::retention_rule, Value::List(rules));
        c
    }

    fn errors<K: PolicyKind>(rules: Vec<Value>) -> Vec<(String, String, String)> {
        validate_config::<K>(&weekly::<K>(rules))
            .iter()
            .map(|d| {
                (d.attribute.as_ref().map(|p| p.to_string()).unwrap_or_default(), d.summary.clone(), d.detail.clone())
            })
            .collect()
    }

    #[test]
    fn disks_have_absolute_criteria_only_and_the_others_the_calendar_too() {
        let names = |ty: Type| match ty {
            Type::Object(types) => types.keys().cloned().collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            names(retention_rule_type()),
            vec![rule_attr::absolute_criteria, rule_attr::duration, rule_attr::name, rule_attr::priority]
        );
        let calendar = [
            rule_attr::absolute_criteria,
            rule_attr::days_of_week,
            rule_attr::duration,
            rule_attr::months_of_year,
            rule_attr::name,
            rule_attr::priority,
            rule_attr::scheduled_backup_times,
            rule_attr::weeks_of_month,
        ];
        let mut blob = calendar.to_vec();
        blob.insert(1, rule_attr::days_of_month);
        assert_eq!(names(retention_rule_type_of::<BlobStoragePolicy>()), blob);
        assert_eq!(names(retention_rule_type_of::<DataLakeStoragePolicy>()), calendar);
        assert_eq!(names(retention_rule_type_of::<KubernetesClusterPolicy>()), calendar);
        assert_eq!(names(retention_rule_type_of::<PostgreSqlFlexibleServerPolicy>()), calendar);
        assert_eq!(names(retention_rule_type_of::<MySqlFlexibleServerPolicy>()), calendar);
    }

    #[test]
    fn calendar_criteria_are_sent_and_read_back_in_the_configured_spelling() {
        let rules = vec![
            rule_with::<PostgreSqlFlexibleServerPolicy>(
                "Monthly",
                &[
                    (rule_attr::days_of_week, set(&["Sunday"])),
                    (rule_attr::weeks_of_month, set(&["First", "Last"])),
                    (rule_attr::months_of_year, set(&["January", "July"])),
                    (rule_attr::scheduled_backup_times, set(&["2024-01-07T02:00:00Z"])),
                ],
            ),
            rule_with::<PostgreSqlFlexibleServerPolicy>(
                "Weekly",
                &[(rule_attr::absolute_criteria, Value::from("FirstOfWeek"))],
            ),
        ];
        let c = weekly::<PostgreSqlFlexibleServerPolicy>(rules);
        assert!(validate_config::<PostgreSqlFlexibleServerPolicy>(&c).is_empty());
        let model = Model::from_value::<PostgreSqlFlexibleServerPolicy>(&c).unwrap();
        let mut policy = model.to_resource::<PostgreSqlFlexibleServerPolicy>();
        let body = serde_json::to_value(&policy.properties.policy_rules[0]).unwrap();
        let monthly = &body["trigger"]["taggingCriteria"][1]["criteria"][0];
        assert_eq!(monthly["objectType"], "ScheduleBasedBackupCriteria");
        assert_eq!(monthly["daysOfTheWeek"], serde_json::json!(["Sunday"]));
        assert_eq!(monthly["weeksOfTheMonth"], serde_json::json!(["First", "Last"]));
        assert_eq!(monthly["monthsOfYear"], serde_json::json!(["January", "July"]));
        assert_eq!(monthly["scheduleTimes"], serde_json::json!(["2024-01-07T02:00:00Z"]));
        assert!(monthly.get("absoluteCriteria").is_none(), "{monthly}");
        let weekly_criteria = &body["trigger"]["taggingCriteria"][2]["criteria"][0];
        assert_eq!(weekly_criteria["absoluteCriteria"], serde_json::json!(["FirstOfWeek"]));
        assert!(weekly_criteria.get("daysOfTheWeek").is_none(), "{weekly_criteria}");

        // Azure answers in its own order, spelling and offset, with empty lists for what is not set.
        let Some(trigger) = policy.properties.policy_rules[0].trigger.as_mut() else { panic!("a trigger") };
        let criteria = trigger.tagging_criteria[1].criteria.as_mut().unwrap();
        criteria[0].weeks_of_the_month = Some(vec!["last".into(), "First".into()]);
        criteria[0].months_of_year = Some(vec!["July".into(), "JANUARY".into()]);
        criteria[0].schedule_times = Some(vec!["2024-01-07T02:00:00+00:00".into()]);
        criteria[0].absolute_criteria = Some(vec![]);
        let state = state_from_azure::<PostgreSqlFlexibleServerPolicy>(&c, &model.id, &policy);
        assert_eq!(state.attr(attr::retention_rule), c.attr(attr::retention_rule));
        // Read without a prior state (import): Azure's values, in one order.
        let imported = state_from_azure::<PostgreSqlFlexibleServerPolicy>(&Value::Null, &model.id, &policy);
        let monthly = &imported.attr(attr::retention_rule).as_elements().unwrap()[0];
        assert_eq!(monthly.attr(rule_attr::weeks_of_month), &set(&["First", "Last"]));
        assert_eq!(monthly.attr(rule_attr::scheduled_backup_times), &set(&["2024-01-07T02:00:00+00:00"]));
        assert!(monthly.attr(rule_attr::absolute_criteria).is_null());
    }

    #[test]
    fn the_same_rules_in_another_order_or_offset_do_not_replace() {
        let a = Value::List(vec![rule_with::<KubernetesClusterPolicy>(
            "Weekly",
            &[
                (rule_attr::days_of_week, set(&["Sunday", "Monday"])),
                (rule_attr::scheduled_backup_times, set(&["2024-01-07T02:00:00Z"])),
            ],
        )]);
        let b = Value::List(vec![rule_with::<KubernetesClusterPolicy>(
            "Weekly",
            &[
                (rule_attr::days_of_week, set(&["Monday", "Sunday"])),
                (rule_attr::scheduled_backup_times, set(&["2024-01-07T07:30:00+05:30"])),
            ],
        )]);
        assert!(same_rules(&a, &b));
        let c = Value::List(vec![rule_with::<KubernetesClusterPolicy>(
            "Weekly",
            &[(rule_attr::days_of_week, set(&["Monday"]))],
        )]);
        assert!(!same_rules(&a, &c));
    }

    #[test]
    fn calendar_criteria_are_checked_offline_naming_the_attribute() {
        type K = KubernetesClusterPolicy;
        let only = |set_to: &[(&str, Value)]| errors::<K>(vec![rule_with::<K>("Weekly", set_to)]);
        let at = |found: Vec<(String, String, String)>| {
            found.into_iter().map(|(path, summary, _)| (path, summary)).collect::<Vec<_>>()
        };
        assert!(only(&[(rule_attr::days_of_week, set(&["Sunday"]))]).is_empty());
        assert!(only(&[(rule_attr::absolute_criteria, Value::from("FirstOfDay"))]).is_empty());
        assert!(
            only(&[
                (rule_attr::absolute_criteria, Value::from("FirstOfWeek")),
                (rule_attr::scheduled_backup_times, set(&["2024-01-01T02:00:00Z"]))
            ])
            .is_empty()
        );
        assert_eq!(
            at(only(&[(rule_attr::days_of_week, set(&["sunday", "Funday"]))])),
            vec![
                ("retention_rule[0].days_of_week".to_owned(), "Invalid retention criteria".to_owned()),
                ("retention_rule[0].days_of_week".to_owned(), "Invalid retention criteria".to_owned()),
            ]
        );
        assert_eq!(
            at(only(&[(rule_attr::days_of_week, set(&["Monday"])), (rule_attr::weeks_of_month, set(&["Fifth"]))])),
            vec![("retention_rule[0].weeks_of_month".to_owned(), "Invalid retention criteria".to_owned())]
        );
        assert_eq!(
            at(only(&[(rule_attr::days_of_week, set(&["Monday"])), (rule_attr::months_of_year, set(&["Jan"]))])),
            vec![("retention_rule[0].months_of_year".to_owned(), "Invalid retention criteria".to_owned())]
        );
        assert_eq!(
            at(only(&[
                (rule_attr::days_of_week, set(&["Monday"])),
                (rule_attr::scheduled_backup_times, set(&["02:00"]))
            ])),
            vec![("retention_rule[0].scheduled_backup_times".to_owned(), "Invalid backup time".to_owned())]
        );
        assert_eq!(
            at(only(&[(rule_attr::weeks_of_month, set(&["First"])), (rule_attr::months_of_year, set(&["May"]))])),
            vec![
                ("retention_rule[0].weeks_of_month".to_owned(), "Missing days of the week".to_owned()),
                ("retention_rule[0].months_of_year".to_owned(), "Missing days of the week".to_owned()),
            ]
        );
        assert_eq!(
            at(only(&[
                (rule_attr::absolute_criteria, Value::from("FirstOfWeek")),
                (rule_attr::days_of_week, set(&["Monday"]))
            ])),
            vec![("retention_rule[0].days_of_week".to_owned(), "Conflicting retention criteria".to_owned())]
        );
        assert_eq!(
            at(only(&[])),
            vec![("retention_rule[0].absolute_criteria".to_owned(), "Missing retention criteria".to_owned())]
        );
        assert_eq!(
            at(only(&[(rule_attr::days_of_week, set(&[]))])),
            vec![("retention_rule[0].days_of_week".to_owned(), "Empty retention criteria".to_owned())]
        );
        let detail = &only(&[(rule_attr::days_of_week, set(&["Funday"]))])[0].2;
        assert!(detail.contains("\"Funday\" is not one of Monday, Tuesday"), "{detail}");
        // Unknown values are checked at apply, once known.
        assert!(
            only(&[(rule_attr::days_of_week, Value::Unknown), (rule_attr::weeks_of_month, set(&["First"]))]).is_empty()
        );
    }

    #[test]
    fn blob_rules_may_select_days_of_the_month() {
        type K = BlobStoragePolicy;
        let days = |values: &[i64]| Value::Set(values.iter().map(|d| Value::from(*d)).collect());
        let c = weekly::<K>(vec![rule_with::<K>(
            "MonthEnds",
            &[(rule_attr::days_of_month, days(&[15, 0])), (rule_attr::months_of_year, set(&["June", "December"]))],
        )]);
        assert!(validate_config::<K>(&c).is_empty());
        let model = Model::from_value::<K>(&c).unwrap();
        let policy = model.to_resource::<K>();
        let body = serde_json::to_value(&policy.properties.policy_rules[0]).unwrap();
        let criteria = &body["trigger"]["taggingCriteria"][1]["criteria"][0];
        assert_eq!(
            criteria["daysOfMonth"],
            serde_json::json!([{"date": 15, "isLast": false}, {"date": 0, "isLast": true}]),
            "{criteria}"
        );
        let state = state_from_azure::<K>(&c, &model.id, &policy);
        let rule = &state.attr(attr::retention_rule).as_elements().unwrap()[0];
        assert_eq!(rule.attr(rule_attr::days_of_month), &days(&[0, 15]), "one order, whatever the configuration's");
        assert!(same_rules(state.attr(attr::retention_rule), c.attr(attr::retention_rule)));

        let at = |set_to: &[(&str, Value)]| {
            errors::<K>(vec![rule_with::<K>("Days", set_to)])
                .into_iter()
                .map(|(path, summary, _)| (path, summary))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            at(&[(rule_attr::days_of_month, days(&[29]))]),
            vec![("retention_rule[0].days_of_month".to_owned(), "Invalid retention criteria".to_owned())]
        );
        assert_eq!(
            at(&[(rule_attr::days_of_month, days(&[1])), (rule_attr::days_of_week, set(&["Monday"]))]),
            vec![("retention_rule[0].days_of_month".to_owned(), "Conflicting retention criteria".to_owned())]
        );
        assert_eq!(
            at(&[(rule_attr::days_of_month, days(&[1])), (rule_attr::absolute_criteria, Value::from("FirstOfMonth"))]),
            vec![("retention_rule[0].days_of_month".to_owned(), "Conflicting retention criteria".to_owned())]
        );
        // Only blobs have it.
        let Type::Object(lake) = retention_rule_type_of::<DataLakeStoragePolicy>() else { panic!("an object type") };
        assert!(!lake.contains_key(rule_attr::days_of_month));
    }

    #[test]
    fn every_kind_but_disks_takes_weekly_calendar_rules() {
        let days = [(rule_attr::days_of_week, set(&["Sunday"])), (rule_attr::weeks_of_month, set(&["Last"]))];
        assert!(errors::<BlobStoragePolicy>(vec![rule_with::<BlobStoragePolicy>("Last", &days)]).is_empty());
        assert!(errors::<DataLakeStoragePolicy>(vec![rule_with::<DataLakeStoragePolicy>("Last", &days)]).is_empty());
        assert!(
            errors::<KubernetesClusterPolicy>(vec![rule_with::<KubernetesClusterPolicy>("Last", &days)]).is_empty()
        );
        assert!(
            errors::<MySqlFlexibleServerPolicy>(vec![rule_with::<MySqlFlexibleServerPolicy>("Last", &days)]).is_empty()
        );
    }
}
