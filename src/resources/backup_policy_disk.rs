//! `dataprotection_backup_policy_disk`: a backup policy for managed disks in a backup vault.
//!
//! Azure does not change a policy in place, so every argument replaces it, and Azure refuses to delete a
//! policy that backup instances use (`UserErrorDppPolicyObjectInUse`). The documented path is
//! `lifecycle { create_before_destroy = true }` with a name that changes with the settings: Terraform creates
//! the new policy, updates the instances to it in place, and deletes the old policy last. Validate checks the
//! ISO 8601 schedule and durations and the time zone offline; policy calls are synchronous.

use async_trait::async_trait;

use crate::arm::error::ArmError;
use crate::arm::ids::{BackupPolicyId, BackupVaultId, same_id};
use crate::arm::models::{
    BackupCriteria, BackupPolicy, BackupPolicyResource, BackupSchedule, DISK_DATASOURCE_TYPE, DataStoreInfo,
    DeleteOption, PolicyRule, RetentionTag, SourceLifeCycle, TaggingCriteria, Trigger,
};
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::interface::{ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, ReadResponse};
use crate::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::plugin::value::{Type, Value};

use super::common::{self, DEFAULT_TIMEOUTS, arm_error};
use super::managed::{Call, ManagedResource, PlanContext};
use super::model::{self, Spelling};

/// The resource type name.
pub const TYPE_NAME: &str = "dataprotection_backup_policy_disk";

/// The backup intervals Azure allows for managed disks.
pub const DISK_INTERVALS: &[&str] = &["PT4H", "PT6H", "PT8H", "PT12H", "P1D"];
/// The absolute criteria a retention rule may select backups by.
pub const ABSOLUTE_CRITERIA: &[&str] = &["AllBackup", "FirstOfDay", "FirstOfWeek", "FirstOfMonth", "FirstOfYear"];

/// The name of the retention rule (and tag) that keeps every backup not claimed by another rule.
const DEFAULT_RULE: &str = "Default";
/// The priority of the default tag, as the service's own examples give it.
const DEFAULT_TAG_PRIORITY: i64 = 99;
const OPERATIONAL_STORE: &str = "OperationalStore";

/// The hint for a policy that cannot be deleted because instances use it.
pub(crate) const IN_USE_HINT: &str = "Azure does not change a disk backup policy in place, and does not delete one \
that backup instances use. Give the policy lifecycle { create_before_destroy = true } and a name that changes with \
its settings: Terraform then creates the new policy, moves the backup instances to it in place, and deletes this \
policy last.";

/// The `dataprotection_backup_policy_disk` resource.
#[derive(Debug, Default)]
pub struct BackupPolicyDiskType;

// ---------------------------------------------------------------------------------------------------------------
// ISO 8601, as far as backup schedules use it

/// A calendar date and time with an optional offset, as `R/<start>/<interval>` starts:
/// `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]`.
fn check_date_time(text: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{text:?} is not a date and time of the form YYYY-MM-DDThh:mm:ss+hh:mm: {why}"));
    let Some((date, time)) = text.split_once('T') else { return bad("there is no \"T\" between date and time") };
    let date: Vec<&str> = date.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if date.len() != 3 || !digits(date[0], 4) || !digits(date[1], 2) || !digits(date[2], 2) {
        return bad("the date must be YYYY-MM-DD");
    }
    let (year, month, day): (u32, u32, u32) =
        (date[0].parse().unwrap_or(0), date[1].parse().unwrap_or(0), date[2].parse().unwrap_or(0));
    if !(1..=12).contains(&month) {
        return bad("the month must be 01 to 12");
    }
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=days_in_month).contains(&day) {
        return bad(&format!("the month has no day {day}"));
    }
    let (clock, offset) = match time.find(['Z', '+', '-']) {
        Some(i) => time.split_at(i),
        None => (time, ""),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len()) || !digits(parts[0], 2) || !digits(parts[1], 2) {
        return bad("the time must be hh:mm or hh:mm:ss");
    }
    if parts[0].parse::<u32>().unwrap_or(99) > 23 || parts[1].parse::<u32>().unwrap_or(99) > 59 {
        return bad("the hour must be 00 to 23 and the minute 00 to 59");
    }
    if let Some(seconds) = parts.get(2) {
        let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, "0"));
        if !digits(whole, 2) || whole.parse::<u32>().unwrap_or(99) > 59 {
            return bad("the seconds must be 00 to 59");
        }
        if fraction.is_empty() || fraction.len() > 7 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return bad("fractions of a second must be 1 to 7 digits");
        }
    }
    if !offset.is_empty() && offset != "Z" {
        check_offset(offset).map_err(|why| format!("{text:?} has an invalid offset: {why}"))?;
    }
    Ok(())
}

/// `±hh:mm` with hh up to 14.
fn check_offset(text: &str) -> Result<(), String> {
    let rest = text.strip_prefix(['+', '-']).ok_or("an offset starts with + or -")?;
    let (hours, minutes) = rest.split_once(':').ok_or("an offset is ±hh:mm")?;
    let two = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two(hours) || !two(minutes) {
        return Err("an offset is ±hh:mm".to_owned());
    }
    if hours.parse::<u32>().unwrap_or(99) > 14 || minutes.parse::<u32>().unwrap_or(99) > 59 {
        return Err("an offset is at most 14 hours".to_owned());
    }
    Ok(())
}

/// An ISO 8601 duration: `P[nY][nM][nW][nD][T[nH][nM][nS]]`, with at least one non-zero component.
pub(crate) fn check_iso_duration(text: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{text:?} is not an ISO 8601 duration such as P7D, P4W or PT12H: {why}"));
    let Some(rest) = text.strip_prefix('P') else { return bad("it must start with P") };
    let (date, time) = match rest.split_once('T') {
        Some((date, "")) => return bad(&format!("nothing follows the T in {date}T")),
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let mut any = false;
    let mut non_zero = false;
    for (part, units) in [(date, "YMWD"), (time.unwrap_or(""), "HMS")] {
        let mut order = 0;
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let Some(position) = units.find(c) else {
                return bad(&format!("{c:?} is not a unit here (use {units})"));
            };
            if number.is_empty() {
                return bad(&format!("the unit {c} has no number"));
            }
            if position < order {
                return bad("the units are out of order");
            }
            order = position + 1;
            any = true;
            non_zero |= number.bytes().any(|b| b != b'0');
            number.clear();
        }
        if !number.is_empty() {
            return bad(&format!("the number {number} has no unit"));
        }
    }
    if !any {
        return bad("it has no component");
    }
    if !non_zero {
        return bad("it is zero");
    }
    Ok(())
}

/// A backup schedule: `R/<start>/<interval>` with one of the disk intervals.
pub(crate) fn check_repeating_interval(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.split('/').collect();
    if parts.len() != 3 {
        return Err(format!(
            "{text:?} is not a repeating interval of the form R/<start>/<interval>, for example \
             R/2024-01-01T02:00:00+00:00/PT4H"
        ));
    }
    match parts[0] {
        "R" => {}
        r if r.starts_with('R') => {
            return Err(format!("{text:?} has a repetition count ({r}); backup schedules repeat forever: use R/"));
        }
        _ => return Err(format!("{text:?} must start with R/ (a repeating interval)")),
    }
    check_date_time(parts[1])?;
    if !DISK_INTERVALS.contains(&parts[2]) {
        return Err(format!(
            "{text:?} repeats every {}, but managed disks can be backed up only every {}",
            parts[2],
            DISK_INTERVALS.join(", ")
        ));
    }
    Ok(())
}

/// Windows time zone IDs (CLDR `windowsZones`, plus two older Windows IDs), which backup schedules use.
const WINDOWS_TIME_ZONES: &[&str] = &[
    "Dateline Standard Time",
    "UTC-11",
    "Aleutian Standard Time",
    "Hawaiian Standard Time",
    "Marquesas Standard Time",
    "Alaskan Standard Time",
    "UTC-09",
    "Pacific Standard Time (Mexico)",
    "UTC-08",
    "Pacific Standard Time",
    "US Mountain Standard Time",
    "Mountain Standard Time (Mexico)",
    "Mountain Standard Time",
    "Yukon Standard Time",
    "Central America Standard Time",
    "Central Standard Time",
    "Easter Island Standard Time",
    "Central Standard Time (Mexico)",
    "Canada Central Standard Time",
    "SA Pacific Standard Time",
    "Eastern Standard Time (Mexico)",
    "Eastern Standard Time",
    "Haiti Standard Time",
    "Cuba Standard Time",
    "US Eastern Standard Time",
    "Turks And Caicos Standard Time",
    "Paraguay Standard Time",
    "Atlantic Standard Time",
    "Venezuela Standard Time",
    "Central Brazilian Standard Time",
    "SA Western Standard Time",
    "Pacific SA Standard Time",
    "Newfoundland Standard Time",
    "Tocantins Standard Time",
    "E. South America Standard Time",
    "SA Eastern Standard Time",
    "Argentina Standard Time",
    "Greenland Standard Time",
    "Montevideo Standard Time",
    "Magallanes Standard Time",
    "Saint Pierre Standard Time",
    "Bahia Standard Time",
    "UTC-02",
    "Mid-Atlantic Standard Time",
    "Azores Standard Time",
    "Cape Verde Standard Time",
    "UTC",
    "GMT Standard Time",
    "Greenwich Standard Time",
    "Sao Tome Standard Time",
    "Morocco Standard Time",
    "W. Europe Standard Time",
    "Central Europe Standard Time",
    "Romance Standard Time",
    "Central European Standard Time",
    "W. Central Africa Standard Time",
    "Jordan Standard Time",
    "GTB Standard Time",
    "Middle East Standard Time",
    "Egypt Standard Time",
    "E. Europe Standard Time",
    "Syria Standard Time",
    "West Bank Standard Time",
    "South Africa Standard Time",
    "FLE Standard Time",
    "Israel Standard Time",
    "South Sudan Standard Time",
    "Kaliningrad Standard Time",
    "Sudan Standard Time",
    "Libya Standard Time",
    "Namibia Standard Time",
    "Arabic Standard Time",
    "Turkey Standard Time",
    "Arab Standard Time",
    "Belarus Standard Time",
    "Russian Standard Time",
    "E. Africa Standard Time",
    "Iran Standard Time",
    "Arabian Standard Time",
    "Astrakhan Standard Time",
    "Azerbaijan Standard Time",
    "Russia Time Zone 3",
    "Mauritius Standard Time",
    "Saratov Standard Time",
    "Georgian Standard Time",
    "Volgograd Standard Time",
    "Caucasus Standard Time",
    "Afghanistan Standard Time",
    "West Asia Standard Time",
    "Ekaterinburg Standard Time",
    "Pakistan Standard Time",
    "Qyzylorda Standard Time",
    "India Standard Time",
    "Sri Lanka Standard Time",
    "Nepal Standard Time",
    "Central Asia Standard Time",
    "Bangladesh Standard Time",
    "Omsk Standard Time",
    "Myanmar Standard Time",
    "SE Asia Standard Time",
    "Altai Standard Time",
    "W. Mongolia Standard Time",
    "North Asia Standard Time",
    "N. Central Asia Standard Time",
    "Tomsk Standard Time",
    "China Standard Time",
    "North Asia East Standard Time",
    "Singapore Standard Time",
    "W. Australia Standard Time",
    "Taipei Standard Time",
    "Ulaanbaatar Standard Time",
    "Aus Central W. Standard Time",
    "Transbaikal Standard Time",
    "Tokyo Standard Time",
    "North Korea Standard Time",
    "Korea Standard Time",
    "Yakutsk Standard Time",
    "Cen. Australia Standard Time",
    "AUS Central Standard Time",
    "E. Australia Standard Time",
    "AUS Eastern Standard Time",
    "West Pacific Standard Time",
    "Tasmania Standard Time",
    "Vladivostok Standard Time",
    "Lord Howe Standard Time",
    "Bougainville Standard Time",
    "Russia Time Zone 10",
    "Magadan Standard Time",
    "Norfolk Standard Time",
    "Sakhalin Standard Time",
    "Central Pacific Standard Time",
    "Russia Time Zone 11",
    "New Zealand Standard Time",
    "UTC+12",
    "Fiji Standard Time",
    "Kamchatka Standard Time",
    "Chatham Islands Standard Time",
    "UTC+13",
    "Tonga Standard Time",
    "Samoa Standard Time",
    "Line Islands Standard Time",
];

/// A schedule's time zone: a Windows time zone ID (any case), or the indicators the 2026-06-01 API describes:
/// `Z` or an offset `±hh:mm`.
pub(crate) fn check_time_zone(text: &str) -> Result<(), String> {
    if WINDOWS_TIME_ZONES.iter().any(|z| z.eq_ignore_ascii_case(text)) || text == "Z" {
        return Ok(());
    }
    if text.starts_with(['+', '-']) {
        return check_offset(text).map_err(|why| format!("{text:?} is not a valid offset: {why}"));
    }
    Err(format!(
        "{text:?} is not a time zone backup schedules know: use a Windows time zone ID such as \"UTC\", \
         \"W. Europe Standard Time\" or \"Pacific Standard Time\", or an offset such as \"+05:30\""
    ))
}

/// `^[-a-zA-Z0-9]{3,150}$`.
fn check_policy_name(name: &str) -> Result<(), String> {
    if (3..=150).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(())
    } else {
        Err(format!("{name:?} is not a valid backup policy name: use 3 to 150 letters, digits and hyphens"))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Model

/// One `retention_rule` block.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
struct RetentionRule {
    name: String,
    duration: String,
    priority: i64,
    absolute_criteria: String,
}

impl RetentionRule {
    fn to_value(&self) -> Value {
        Value::object([
            ("name", Value::from(self.name.as_str())),
            ("duration", Value::from(self.duration.as_str())),
            ("priority", Value::from(self.priority)),
            ("absolute_criteria", Value::from(self.absolute_criteria.as_str())),
        ])
    }
}

/// The arguments of a planned policy, all known.
#[derive(Clone, Debug, PartialEq)]
struct Model {
    id: BackupPolicyId,
    intervals: Vec<String>,
    default_retention: String,
    time_zone: Option<String>,
    rules: Vec<RetentionRule>,
}

fn data_store() -> DataStoreInfo {
    DataStoreInfo { data_store_type: OPERATIONAL_STORE.to_owned(), object_type: "DataStoreInfoBase".to_owned() }
}

fn retention_rule(name: &str, is_default: bool, duration: &str) -> PolicyRule {
    PolicyRule {
        name: name.to_owned(),
        object_type: "AzureRetentionRule".to_owned(),
        is_default: Some(is_default),
        lifecycles: Some(vec![SourceLifeCycle {
            delete_after: DeleteOption {
                duration: duration.to_owned(),
                object_type: "AbsoluteDeleteOption".to_owned(),
            },
            source_data_store: data_store(),
            target_data_store_copy_settings: Vec::new(),
        }]),
        ..PolicyRule::default()
    }
}

/// The arguments as a configuration or plan holds them: read in one place ([`model::read`]), all known.
#[derive(serde::Deserialize)]
struct Arguments {
    name: String,
    vault_id: String,
    backup_repeating_time_intervals: Vec<String>,
    default_retention_duration: String,
    time_zone: Option<String>,
    retention_rule: Option<Vec<RetentionRule>>,
}

/// The attributes Azure may spell differently from the configuration, and how they compare: plan keeps the
/// configuration's spelling when it is the same value, and read keeps the saved one.
const SPELLINGS: model::Spellings =
    &[("id", Spelling::Id), ("name", Spelling::Text), ("vault_id", Spelling::Id), ("time_zone", Spelling::Text)];

impl Model {
    /// Reads a fully known planned state (or config). `None` when something is unknown or invalid.
    fn from_value(value: &Value) -> Option<Model> {
        let mut value = value.clone();
        // Unknown at apply only when it was not configured: Azure's default applies.
        if value.attr("time_zone").is_unknown() {
            value.set_attr("time_zone", Value::Null);
        }
        let arguments: Arguments = model::read(&value)?;
        Some(Model {
            id: BackupPolicyId { vault: arguments.vault_id.parse().ok()?, name: arguments.name },
            intervals: arguments.backup_repeating_time_intervals,
            default_retention: arguments.default_retention_duration,
            time_zone: arguments.time_zone,
            rules: arguments.retention_rule.unwrap_or_default(),
        })
    }

    /// The policy Azure is sent: one backup rule (the schedule, tagging every backup), the default retention
    /// rule, and one retention rule per `retention_rule`, tied to its tag by name.
    fn to_resource(&self) -> BackupPolicyResource {
        let mut tags = vec![TaggingCriteria {
            criteria: None,
            is_default: true,
            tagging_priority: DEFAULT_TAG_PRIORITY,
            tag_info: RetentionTag { id: Some(format!("{DEFAULT_RULE}_")), tag_name: DEFAULT_RULE.to_owned() },
        }];
        for rule in &self.rules {
            tags.push(TaggingCriteria {
                criteria: Some(vec![BackupCriteria {
                    object_type: "ScheduleBasedBackupCriteria".to_owned(),
                    absolute_criteria: Some(vec![rule.absolute_criteria.clone()]),
                }]),
                is_default: false,
                tagging_priority: rule.priority,
                tag_info: RetentionTag { id: Some(format!("{}_", rule.name)), tag_name: rule.name.clone() },
            });
        }
        let daily = self.intervals.iter().all(|i| i.ends_with("/P1D"));
        let mut rules = vec![PolicyRule {
            name: if daily { "BackupDaily" } else { "BackupHourly" }.to_owned(),
            object_type: "AzureBackupRule".to_owned(),
            backup_parameters: Some(
                serde_json::json!({"objectType": "AzureBackupParams", "backupType": "Incremental"}),
            ),
            data_store: Some(data_store()),
            trigger: Some(Trigger {
                object_type: "ScheduleBasedTriggerContext".to_owned(),
                schedule: Some(BackupSchedule {
                    repeating_time_intervals: self.intervals.clone(),
                    time_zone: self.time_zone.clone(),
                }),
                tagging_criteria: tags,
            }),
            ..PolicyRule::default()
        }];
        rules.push(retention_rule(DEFAULT_RULE, true, &self.default_retention));
        for rule in &self.rules {
            rules.push(retention_rule(&rule.name, false, &rule.duration));
        }
        BackupPolicyResource {
            properties: BackupPolicy {
                object_type: "BackupPolicy".to_owned(),
                datasource_types: vec![DISK_DATASOURCE_TYPE.to_owned()],
                policy_rules: rules,
            },
            ..BackupPolicyResource::default()
        }
    }
}

/// The duration of a retention rule's operational-store lifecycle (or its first one).
fn rule_duration(rule: &PolicyRule) -> Option<String> {
    let lifecycles = rule.lifecycles.as_ref()?;
    lifecycles
        .iter()
        .find(|l| l.source_data_store.data_store_type.eq_ignore_ascii_case(OPERATIONAL_STORE))
        .or_else(|| lifecycles.first())
        .map(|l| l.delete_after.duration.clone())
}

/// The policy's arguments as Azure reports them: `(intervals, time zone, default retention, retention rules)`.
/// Retention rules come in the order of `prior`'s rules where their names match, Azure's order after that.
fn attributes_from_azure(prior: &Value, policy: &BackupPolicyResource) -> (Value, Value, Value, Value) {
    let rules = &policy.properties.policy_rules;
    let is = |rule: &PolicyRule, kind: &str| rule.object_type.eq_ignore_ascii_case(kind);
    let trigger = rules.iter().filter(|r| is(r, "AzureBackupRule")).find_map(|r| r.trigger.as_ref());
    let schedule = trigger.and_then(|t| t.schedule.as_ref());
    let intervals = schedule
        .map(|s| Value::List(s.repeating_time_intervals.iter().map(|i| Value::from(i.as_str())).collect()))
        .unwrap_or(Value::Null);
    let time_zone = Value::from(schedule.and_then(|s| s.time_zone.clone()).filter(|z| !z.is_empty()));
    let default = rules
        .iter()
        .find(|r| is(r, "AzureRetentionRule") && r.is_default == Some(true))
        .and_then(rule_duration)
        .map(Value::from)
        .unwrap_or(Value::Null);
    let tags = trigger.map(|t| t.tagging_criteria.as_slice()).unwrap_or_default();
    let mut found: Vec<RetentionRule> = rules
        .iter()
        .filter(|r| is(r, "AzureRetentionRule") && r.is_default != Some(true))
        .map(|r| {
            let tag = tags.iter().find(|t| t.tag_info.tag_name.eq_ignore_ascii_case(&r.name));
            RetentionRule {
                name: r.name.clone(),
                duration: rule_duration(r).unwrap_or_default(),
                priority: tag.map(|t| t.tagging_priority).unwrap_or_default(),
                absolute_criteria: tag
                    .and_then(|t| t.criteria.as_ref())
                    .and_then(|c| c.iter().find_map(|c| c.absolute_criteria.as_ref()?.first().cloned()))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let prior_names: Vec<String> = prior
        .attr("retention_rule")
        .as_elements()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.attr("name").as_str().map(str::to_ascii_lowercase))
        .collect();
    found.sort_by_key(|r| prior_names.iter().position(|n| *n == r.name.to_ascii_lowercase()).unwrap_or(usize::MAX));
    // A list of blocks is never null in a configuration: no rules is the empty list.
    let retention_rules = Value::List(found.iter().map(RetentionRule::to_value).collect());
    (intervals, time_zone, default, retention_rules)
}

/// The state of a policy as Azure reports it, keeping `prior`'s spellings where they are equivalent.
fn state_from_azure(prior: &Value, id: &BackupPolicyId, policy: &BackupPolicyResource) -> Value {
    let reported = policy.id.as_deref().and_then(|i| i.parse::<BackupPolicyId>().ok()).unwrap_or_else(|| id.clone());
    let (intervals, time_zone, default, rules) = attributes_from_azure(prior, policy);
    let mut state = Value::object([
        ("id", Value::from(reported.to_string())),
        ("name", Value::from(reported.name.clone())),
        ("vault_id", Value::from(reported.vault.to_string())),
        ("backup_repeating_time_intervals", intervals),
        ("default_retention_duration", default),
        ("time_zone", time_zone),
        ("retention_rule", rules),
        ("timeouts", prior.attr("timeouts").clone()),
    ]);
    model::keep_spellings(prior, &mut state, SPELLINGS);
    state
}

/// The policy's attributes for the data source (no `timeouts`).
pub(crate) fn data_source_attributes(id: &BackupPolicyId, policy: &BackupPolicyResource) -> Value {
    let mut state = state_from_azure(&Value::Null, id, policy);
    if let Value::Object(entries) = &mut state {
        entries.remove("timeouts");
    }
    state
}

// ---------------------------------------------------------------------------------------------------------------
// Schema and validation

/// The type of one retention rule, for the data source's computed list.
pub(crate) fn retention_rule_type() -> Type {
    Type::object([
        ("name", Type::String),
        ("duration", Type::String),
        ("priority", Type::Number),
        ("absolute_criteria", Type::String),
    ])
}

/// The schema, built once: plan and read consult it for every object.
fn cached_schema() -> &'static Schema {
    static SCHEMA: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(schema)
}

fn schema() -> Schema {
    let criteria = ABSOLUTE_CRITERIA.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
    let rule = NestedBlock::list(
        "retention_rule",
        Block {
            attributes: vec![
                Attribute::required("name", Type::String).description(format!(
                    "The name of the retention rule, for example `Daily` or `Weekly`; `{DEFAULT_RULE}` is reserved \
                     for `default_retention_duration`."
                )),
                Attribute::required("duration", Type::String).description(
                    "How long the backups this rule selects are kept, as an ISO 8601 duration such as `P7D` or `P4W`.",
                ),
                Attribute::required("priority", Type::Number).description(format!(
                    "The rule's priority when several rules select the same backup: the lowest number wins (the \
                     default rule has {DEFAULT_TAG_PRIORITY})."
                )),
                Attribute::required("absolute_criteria", Type::String)
                    .description(format!("Which backups the rule selects: one of {criteria}.")),
            ],
            description: "A retention rule that keeps some backups longer than `default_retention_duration`."
                .to_owned(),
            ..Block::default()
        },
    )
    .force_new();
    Schema {
        version: 0,
        block: Block {
            description: "Manages a backup policy for managed disks in an Azure Backup vault. Azure does not change a \
                          policy in place and does not delete one in use, so every argument replaces the policy: give \
                          it `lifecycle { create_before_destroy = true }` and a name that changes with its settings, \
                          and backup instances move to the new policy before the old one is deleted."
                .to_owned(),
            attributes: vec![
                Attribute::computed("id", Type::String).description("The ARM ID of the backup policy."),
                Attribute::required("name", Type::String)
                    .force_new()
                    .description("The name of the backup policy: 3 to 150 letters, digits and hyphens."),
                Attribute::required("vault_id", Type::String)
                    .force_new()
                    .description("The ARM ID of the backup vault the policy belongs to."),
                Attribute::required("backup_repeating_time_intervals", Type::list(Type::String))
                    .force_new()
                    .description(format!(
                        "When backups run, as ISO 8601 repeating intervals `R/<start>/<interval>`, for example \
                     `R/2024-01-01T02:00:00+00:00/PT4H`. Managed disks allow the intervals {}.",
                        DISK_INTERVALS.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
                    )),
                Attribute::required("default_retention_duration", Type::String).force_new().description(
                    "How long backups are kept unless a retention rule keeps them longer, as an ISO 8601 duration \
                     such as `P7D`.",
                ),
                Attribute::optional_computed("time_zone", Type::String).force_new().description(
                    "The time zone of the schedule: a Windows time zone ID such as `UTC` or `W. Europe Standard \
                     Time`, or an offset such as `+05:30`. Azure's default applies when it is not set.",
                ),
            ],
            blocks: vec![rule, common::timeouts_block(DEFAULT_TIMEOUTS)],
            deprecated: false,
        }
        .with_force_new_sentences("backup policy"),
    }
}

/// Offline checks; unknown values are skipped.
fn validate_config(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(name) = config.attr("name").as_str()
        && let Err(reason) = check_policy_name(name)
    {
        diags.attribute_error(AttributePath::root("name"), "Invalid backup policy name", format!("{reason}."));
    }
    if let Some(vault) = config.attr("vault_id").as_str()
        && let Err(e) = vault.parse::<BackupVaultId>()
    {
        diags.attribute_error(AttributePath::root("vault_id"), "Invalid backup vault ID", format!("{e}."));
    }
    if let Some(intervals) = config.attr("backup_repeating_time_intervals").as_elements() {
        if intervals.is_empty() {
            diags.attribute_error(
                AttributePath::root("backup_repeating_time_intervals"),
                "Missing backup schedule",
                "Give at least one repeating interval, for example R/2024-01-01T02:00:00+00:00/PT4H.",
            );
        }
        for (i, interval) in intervals.iter().enumerate() {
            if let Some(text) = interval.as_str()
                && let Err(reason) = check_repeating_interval(text)
            {
                diags.attribute_error(
                    AttributePath::root("backup_repeating_time_intervals").index(i as i64),
                    "Invalid backup schedule",
                    format!("{reason}."),
                );
            }
        }
    }
    if let Some(text) = config.attr("default_retention_duration").as_str()
        && let Err(reason) = check_iso_duration(text)
    {
        diags.attribute_error(
            AttributePath::root("default_retention_duration"),
            "Invalid retention duration",
            format!("{reason}."),
        );
    }
    if let Some(text) = config.attr("time_zone").as_str()
        && let Err(reason) = check_time_zone(text)
    {
        diags.attribute_error(AttributePath::root("time_zone"), "Invalid time zone", format!("{reason}."));
    }
    let mut names: Vec<String> = Vec::new();
    for (i, rule) in config.attr("retention_rule").as_elements().unwrap_or_default().iter().enumerate() {
        let path = |attribute: &str| AttributePath::root("retention_rule").index(i as i64).attribute(attribute);
        if let Some(name) = rule.attr("name").as_str() {
            if name.trim().is_empty() {
                diags.attribute_error(path("name"), "Invalid retention rule name", "The name is empty.");
            } else if name.eq_ignore_ascii_case(DEFAULT_RULE) {
                diags.attribute_error(
                    path("name"),
                    "Invalid retention rule name",
                    format!("{DEFAULT_RULE:?} is the default rule's name; set default_retention_duration instead."),
                );
            } else if names.contains(&name.to_ascii_lowercase()) {
                diags.attribute_error(
                    path("name"),
                    "Duplicate retention rule",
                    format!("Two retention rules are named {name:?}; names must differ (ignoring case)."),
                );
            } else if let Err(reason) = crate::arm::ids::check_name(name) {
                diags.attribute_error(path("name"), "Invalid retention rule name", format!("{reason}."));
            }
            names.push(name.to_ascii_lowercase());
        }
        if let Some(text) = rule.attr("duration").as_str()
            && let Err(reason) = check_iso_duration(text)
        {
            diags.attribute_error(path("duration"), "Invalid retention duration", format!("{reason}."));
        }
        if let Some(priority) = rule.attr("priority").as_number()
            && priority.as_i64().is_none_or(|p| p < 0)
        {
            diags.attribute_error(
                path("priority"),
                "Invalid retention rule priority",
                format!("{priority} is not a whole number of zero or more."),
            );
        }
        if let Some(criteria) = rule.attr("absolute_criteria").as_str()
            && !ABSOLUTE_CRITERIA.contains(&criteria)
        {
            diags.attribute_error(
                path("absolute_criteria"),
                "Invalid absolute criteria",
                format!("{criteria:?} is not one of {} (values are case-sensitive).", ABSOLUTE_CRITERIA.join(", ")),
            );
        }
    }
    common::validate_timeouts(config, &mut diags);
    diags
}

// ---------------------------------------------------------------------------------------------------------------
// Operations

impl BackupPolicyDiskType {
    fn plan_new(request: &PlanRequest, response: &mut PlanResponse) {
        let planned = &mut response.planned_state;
        if request.config.attr("time_zone").is_null() {
            planned.set_attr("time_zone", Value::Unknown);
        }
    }

    async fn plan_change(cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        let prior = &request.prior_state;
        let planned = &mut response.planned_state;
        model::keep_spellings(prior, planned, SPELLINGS);
        response.requires_replace = common::requires_replace(cached_schema(), prior, planned);
        if response.requires_replace.is_empty() {
            return;
        }
        planned.set_attr("id", Value::Unknown);
        if request.config.attr("time_zone").is_null() {
            planned.set_attr("time_zone", Value::Unknown);
        }
        if planned.attr("name") == prior.attr("name") && planned.attr("vault_id") == prior.attr("vault_id") {
            Self::warn_if_in_use(cx, prior, &mut response.diagnostics).await;
        }
    }

    /// A replacement that keeps the name keeps the ID: it can work only once no instance uses the old policy.
    /// Says so when instances use it (a failed lookup only skips the warning).
    async fn warn_if_in_use(cx: &PlanContext<'_>, prior: &Value, diags: &mut Diagnostics) {
        let Some(Ok(id)) = prior.attr("id").as_str().map(str::parse::<BackupPolicyId>) else { return };
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
            AttributePath::root("name"),
            format!("Backup policy {} is in use and its replacement keeps its name", id.name),
            format!(
                "Backup instances use this policy ({}). Azure does not delete a policy in use \
                 (UserErrorDppPolicyObjectInUse), and the replacement has the same name, so the same ID: with \
                 create_before_destroy its create fails because the name is taken, and without it the delete fails. \
                 Change the name together with the settings (for example name = \"disk-daily-p14d\") and set \
                 lifecycle {{ create_before_destroy = true }}: the instances then move to the new policy in place \
                 before the old one is deleted.",
                users.join(", ")
            ),
        );
    }
}

#[async_trait]
impl ManagedResource for BackupPolicyDiskType {
    type Id = BackupPolicyId;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "backup policy";

    fn schema() -> Schema {
        schema()
    }

    fn validate(config: &Value) -> Diagnostics {
        validate_config(config)
    }

    async fn plan_create(&self, _cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        Self::plan_new(request, response);
    }

    async fn plan_update(&self, cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        Self::plan_change(cx, request, response).await;
    }

    async fn create(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let Some(model) = Model::from_value(&request.planned_state) else {
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
                    TYPE_NAME,
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
        match client.put_backup_policy(call, id, &model.to_resource()).await {
            Ok(policy) => response.new_state = state_from_azure(&request.planned_state, id, &policy),
            Err(error) => {
                // An answer that was lost or unreadable may still have created the policy: keep it tracked.
                if error.status.is_none()
                    && let Ok(Some(policy)) = client.get_backup_policy(call, id).await
                {
                    response.new_state = state_from_azure(&request.planned_state, id, &policy);
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

    async fn delete(&self, azure: &Call, id: &BackupPolicyId, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse { new_state: request.prior_state.clone(), ..ApplyResponse::default() };
        match azure.client().delete_backup_policy(&azure.context, id).await {
            Ok(_) => response.new_state = Value::Null,
            Err(error) => {
                let in_use =
                    error.code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("UserErrorDppPolicyObjectInUse"));
                arm_error(&mut response.diagnostics, &error, None, in_use.then_some(IN_USE_HINT));
            }
        }
        response
    }

    async fn read(
        &self,
        azure: &Call,
        id: &BackupPolicyId,
        current: &Value,
        _response: &mut ReadResponse,
    ) -> Result<Option<Value>, ArmError> {
        let found = azure.client().read_backup_policy(&azure.context, id).await?;
        Ok(found.map(|policy| state_from_azure(current, id, &policy)))
    }

    fn import_attributes(id: &BackupPolicyId) -> Vec<(&'static str, String)> {
        vec![("name", id.name.clone()), ("vault_id", id.vault.to_string())]
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

    fn rule(name: &str, duration: &str, priority: i64, criteria: &str) -> Value {
        RetentionRule { name: name.into(), duration: duration.into(), priority, absolute_criteria: criteria.into() }
            .to_value()
    }

    fn config() -> Value {
        Value::object([
            ("id", Value::Null),
            ("name", Value::from("disk-4h-p7d")),
            ("vault_id", Value::from(VAULT)),
            ("backup_repeating_time_intervals", Value::List(vec![Value::from("R/2024-01-01T02:00:00+00:00/PT4H")])),
            ("default_retention_duration", Value::from("P7D")),
            ("time_zone", Value::from("W. Europe Standard Time")),
            ("retention_rule", Value::List(vec![rule("Daily", "P14D", 25, "FirstOfDay")])),
            ("timeouts", Value::Null),
        ])
    }

    fn paths(d: &Diagnostics) -> Vec<String> {
        d.iter().map(|d| d.attribute.as_ref().map(|p| p.to_string()).unwrap_or_default()).collect()
    }

    #[test]
    fn iso_durations() {
        for good in ["P7D", "P4W", "P1Y", "P1Y2M3DT4H5M6S", "PT12H", "PT1M", "P30D", "P0DT1H"] {
            assert!(check_iso_duration(good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("7D", "start with P"),
            ("P", "no component"),
            ("PT", "nothing follows the T"),
            ("P0D", "zero"),
            ("P7", "no unit"),
            ("PD", "has no number"),
            ("P1D2Y", "out of order"),
            ("P1H", "not a unit"),
            ("PT1D", "not a unit"),
            ("P-1D", "not a unit"),
            ("p7d", "start with P"),
        ] {
            let e = check_iso_duration(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn repeating_intervals() {
        for good in [
            "R/2024-01-01T02:00:00+00:00/PT4H",
            "R/2021-07-01T19:00:00Z/P1D",
            "R/2024-02-29T23:59/PT12H",
            "R/2023-10-15T14:30:45.123+05:30/PT6H",
            "R/2023-10-15T14:30:00-08:00/PT8H",
            "R/2023-10-15T14:30:00/P1D",
        ] {
            assert!(check_repeating_interval(good).is_ok(), "{good}: {:?}", check_repeating_interval(good));
        }
        for (bad, why) in [
            ("R/2024-01-01T02:00:00+00:00", "R/<start>/<interval>"),
            ("R5/2024-01-01T02:00:00+00:00/PT4H", "repetition count"),
            ("X/2024-01-01T02:00:00+00:00/PT4H", "must start with R/"),
            ("R/2024-01-01T02:00:00+00:00/PT5H", "every PT4H, PT6H"),
            ("R/2024-01-01T02:00:00+00:00/P1W", "only every"),
            ("R/2023-02-29T02:00:00Z/P1D", "no day 29"),
            ("R/2024-13-01T02:00:00Z/P1D", "month"),
            ("R/2024-01-01T24:00:00Z/P1D", "hour"),
            ("R/2024-01-01T1430/P1D", "hh:mm"),
            ("R/2024-01-01 02:00:00Z/P1D", "\"T\""),
            ("R/2024-01-01T02:00:00+15:00/P1D", "14 hours"),
            ("R/2024-01-01T02:00:00+0530/P1D", "±hh:mm"),
            ("R/2024-01-01T02:00:60Z/P1D", "seconds"),
            ("R/2024-1-01T02:00:00Z/P1D", "YYYY-MM-DD"),
        ] {
            let e = check_repeating_interval(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn time_zones() {
        for good in ["UTC", "utc", "W. Europe Standard Time", "Pacific Standard Time (Mexico)", "Z", "+05:30", "-08:00"]
        {
            assert!(check_time_zone(good).is_ok(), "{good}");
        }
        for bad in ["Europe/Berlin", "CET", "W Europe Standard Time", "+5:30", "+15:00", ""] {
            assert!(check_time_zone(bad).is_err(), "{bad}");
        }
        assert_eq!(WINDOWS_TIME_ZONES.len(), 141);
    }

    #[test]
    fn a_good_config_validates_and_bad_values_point_at_their_attribute() {
        assert!(validate_config(&config()).is_empty());
        let mut c = config();
        c.set_attr("name", Value::from("p"));
        c.set_attr("vault_id", Value::from("/subscriptions/s1"));
        c.set_attr(
            "backup_repeating_time_intervals",
            Value::List(vec![Value::from("R/2024-01-01T02:00:00+00:00/PT4H"), Value::from("R/2024/PT4H")]),
        );
        c.set_attr("default_retention_duration", Value::from("7 days"));
        c.set_attr("time_zone", Value::from("Mars/Olympus"));
        c.set_attr(
            "retention_rule",
            Value::List(vec![
                rule("Default", "P14D", 25, "FirstOfDay"),
                rule("Weekly", "P4", 1, "FirstOfWeek"),
                rule("weekly", "P4W", -1, "EveryOther"),
            ]),
        );
        assert_eq!(
            paths(&validate_config(&c)),
            vec![
                "name",
                "vault_id",
                "backup_repeating_time_intervals[1]",
                "default_retention_duration",
                "time_zone",
                "retention_rule[0].name",
                "retention_rule[1].duration",
                "retention_rule[2].name",
                "retention_rule[2].priority",
                "retention_rule[2].absolute_criteria",
            ]
        );
        let mut c = config();
        c.set_attr("backup_repeating_time_intervals", Value::List(vec![]));
        assert_eq!(paths(&validate_config(&c)), vec!["backup_repeating_time_intervals"]);
        let mut c = config();
        for name in ["name", "vault_id", "backup_repeating_time_intervals", "default_retention_duration", "time_zone"] {
            c.set_attr(name, Value::Unknown);
        }
        assert!(validate_config(&c).is_empty());
    }

    #[test]
    fn the_body_matches_the_disk_policy_shape_and_reads_back() {
        let model = Model::from_value(&config()).unwrap();
        let body = serde_json::to_value(model.to_resource()).unwrap();
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

        let mut stored = model.to_resource();
        stored.id = Some(format!("{VAULT}/backupPolicies/disk-4h-p7d").to_lowercase());
        let state = state_from_azure(&config(), &model.id, &stored);
        for name in ["name", "vault_id", "backup_repeating_time_intervals", "default_retention_duration", "time_zone"] {
            assert_eq!(state.attr(name), config().attr(name), "{name}");
        }
        assert_eq!(state.attr("retention_rule"), config().attr("retention_rule"));
        assert_eq!(state.attr("id").as_str(), Some(format!("{VAULT}/backupPolicies/disk-4h-p7d").as_str()));
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
        let state = data_source_attributes(&id, &policy);
        assert_eq!(state.attr("default_retention_duration").as_str(), Some("P7D"));
        assert_eq!(state.attr("time_zone").as_str(), Some("UTC"));
        assert_eq!(state.attr("retention_rule"), &Value::List(vec![]));
        assert!(state.attr("timeouts").is_null() && !state.as_entries().unwrap().contains_key("timeouts"));
    }

    #[test]
    fn retention_rules_keep_the_configured_order() {
        let mut c = config();
        c.set_attr(
            "retention_rule",
            Value::List(vec![rule("Weekly", "P4W", 20, "FirstOfWeek"), rule("Daily", "P14D", 25, "FirstOfDay")]),
        );
        let model = Model::from_value(&c).unwrap();
        let mut stored = model.to_resource();
        // Azure answers the rules in another order.
        stored.properties.policy_rules.swap(2, 3);
        let state = state_from_azure(&c, &model.id, &stored);
        assert_eq!(state.attr("retention_rule"), c.attr("retention_rule"));
    }

    async fn plan_update(prior: Value, config: Value) -> PlanResponse {
        let mut proposed = config.clone();
        proposed.set_attr("id", prior.attr("id").clone());
        let request = PlanRequest { prior_state: prior, proposed_new_state: proposed, config, prior_private: vec![] };
        let mut response =
            PlanResponse { planned_state: request.proposed_new_state.clone(), ..PlanResponse::default() };
        let state = ProviderConfiguration::default();
        let cx = PlanContext { ctx: &Context::default(), configuration: &state };
        BackupPolicyDiskType::plan_change(&cx, &request, &mut response).await;
        response
    }

    #[tokio::test]
    async fn every_change_replaces_and_spellings_do_not() {
        let mut prior = config();
        prior.set_attr("id", Value::from(format!("{VAULT}/backupPolicies/disk-4h-p7d")));
        let mut c = config();
        c.set_attr("vault_id", Value::from(VAULT.to_lowercase()));
        c.set_attr("time_zone", Value::from("w. europe standard time"));
        let response = plan_update(prior.clone(), c).await;
        assert!(response.requires_replace.is_empty());
        assert_eq!(response.planned_state, prior);

        let mut c = config();
        c.set_attr("default_retention_duration", Value::from("P14D"));
        c.set_attr("retention_rule", Value::List(vec![rule("Daily", "P30D", 25, "FirstOfDay")]));
        let response = plan_update(prior, c).await;
        assert_eq!(
            response.requires_replace,
            vec![AttributePath::root("default_retention_duration"), AttributePath::root("retention_rule")]
        );
        assert!(response.planned_state.attr("id").is_unknown());
    }

    #[tokio::test]
    async fn import_builds_a_full_state_from_the_id() {
        let resource = Managed::new(BackupPolicyDiskType, Arc::new(ProviderConfiguration::default()));
        let id = format!("{VAULT}/backupPolicies/p1");
        let response = resource.import(&Context::default(), ImportRequest { id: id.clone() }).await;
        let state = &response.imported[0].state;
        assert_eq!(state.attr("vault_id").as_str(), Some(VAULT));
        assert_eq!(state.as_entries().unwrap().len(), config().as_entries().unwrap().len());
        let bad = resource.import(&Context::default(), ImportRequest { id: VAULT.into() }).await;
        assert!(bad.diagnostics.has_errors());
    }
}
