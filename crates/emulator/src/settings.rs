//! Run-time settings: operation timing and outcomes, throttling, auto-granted roles, token lifetime, paging.
//!
//! Every field has a default, so a scenario file or `PUT /_emulator/settings` only names what it changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The kinds of long-running work the emulator tracks. Each is named after the ARM operation that starts it, so
/// the names match the journal's `operation` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OperationKind {
    /// PUT of a backup instance (create or update).
    #[serde(rename = "BackupInstances_CreateOrUpdate")]
    BackupInstanceCreateOrUpdate,
    /// DELETE of a backup instance.
    #[serde(rename = "BackupInstances_Delete")]
    BackupInstanceDelete,
    /// POST validateForBackup.
    #[serde(rename = "BackupInstances_ValidateForBackup")]
    ValidateForBackup,
    /// POST validateForModifyBackup.
    #[serde(rename = "BackupInstances_ValidateForModifyBackup")]
    ValidateForModifyBackup,
    /// POST backup (an ad hoc backup).
    #[serde(rename = "BackupInstances_AdhocBackup")]
    AdhocBackup,
    /// POST stopProtection.
    #[serde(rename = "BackupInstances_StopProtection")]
    StopProtection,
    /// POST suspendBackups.
    #[serde(rename = "BackupInstances_SuspendBackups")]
    SuspendBackups,
    /// POST resumeProtection.
    #[serde(rename = "BackupInstances_ResumeProtection")]
    ResumeProtection,
    /// POST resumeBackups.
    #[serde(rename = "BackupInstances_ResumeBackups")]
    ResumeBackups,
    /// POST sync.
    #[serde(rename = "BackupInstances_SyncBackupInstance")]
    SyncBackupInstance,
    /// PUT of a new backup vault.
    #[serde(rename = "BackupVaults_CreateOrUpdate")]
    BackupVaultCreateOrUpdate,
    /// PATCH of a backup vault.
    #[serde(rename = "BackupVaults_Update")]
    BackupVaultUpdate,
    /// DELETE of a backup vault.
    #[serde(rename = "BackupVaults_Delete")]
    BackupVaultDelete,
    /// DELETE of a resource group.
    #[serde(rename = "ResourceGroups_Delete")]
    ResourceGroupDelete,
    /// Not an ARM operation: after a create succeeds, the instance stays `ConfiguringProtection` for this long
    /// (counted in GETs of the instance, or milliseconds) before it reaches `ProtectionConfigured`.
    #[serde(rename = "ProtectionConfiguration")]
    ProtectionConfiguration,
    /// Registration of a resource provider in a subscription (POST `.../providers/{namespace}/register`): it is
    /// `Registering` for this long (counted in GETs of the provider, or milliseconds), then `Registered`.
    #[serde(rename = "Providers_Register")]
    ProviderRegistration,
}

impl OperationKind {
    /// The name used in settings, journals and docs.
    pub fn name(self) -> &'static str {
        match self {
            OperationKind::BackupInstanceCreateOrUpdate => "BackupInstances_CreateOrUpdate",
            OperationKind::BackupInstanceDelete => "BackupInstances_Delete",
            OperationKind::ValidateForBackup => "BackupInstances_ValidateForBackup",
            OperationKind::ValidateForModifyBackup => "BackupInstances_ValidateForModifyBackup",
            OperationKind::AdhocBackup => "BackupInstances_AdhocBackup",
            OperationKind::StopProtection => "BackupInstances_StopProtection",
            OperationKind::SuspendBackups => "BackupInstances_SuspendBackups",
            OperationKind::ResumeProtection => "BackupInstances_ResumeProtection",
            OperationKind::ResumeBackups => "BackupInstances_ResumeBackups",
            OperationKind::SyncBackupInstance => "BackupInstances_SyncBackupInstance",
            OperationKind::BackupVaultCreateOrUpdate => "BackupVaults_CreateOrUpdate",
            OperationKind::BackupVaultUpdate => "BackupVaults_Update",
            OperationKind::BackupVaultDelete => "BackupVaults_Delete",
            OperationKind::ResourceGroupDelete => "ResourceGroups_Delete",
            OperationKind::ProtectionConfiguration => "ProtectionConfiguration",
            OperationKind::ProviderRegistration => "Providers_Register",
        }
    }
}

/// How long an operation runs and what delay the emulator asks clients to wait between polls.
///
/// An operation finishes when both conditions hold: it has answered `polls` status reads with `Inprogress` (reads of
/// its `Azure-AsyncOperation` or `Location` URL, or of the resource it works on), and `ms` milliseconds have passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LroTiming {
    /// Status reads answered `Inprogress` before the operation finishes.
    pub polls: u32,
    /// Minimum run time in milliseconds.
    pub ms: u64,
    /// The `Retry-After` header, in whole seconds (ARM's contract: an integer number of seconds).
    pub retry_after_seconds: u64,
    /// When set, also send `retry-after-ms` (and `x-ms-retry-after-ms`), which Azure SDK pollers prefer, so tests
    /// can poll fast while `Retry-After` stays realistic.
    pub retry_after_ms: Option<u64>,
    /// Answer as the recorded service does: no `Retry-After`, `retry-after-ms` or `x-ms-retry-after-ms` on the
    /// answer that starts the operation nor on its polls, so clients wait their own interval (the recordings of
    /// 2025 and 2026 carry none on instance PUTs and DELETEs, vault creates and deletes, or status polls). Off by
    /// default, because tests rely on the short delays the emulator asks for.
    pub as_recorded: bool,
}

impl Default for LroTiming {
    fn default() -> Self {
        LroTiming::with_delays(1, 0, 1, Some(200))
    }
}

impl LroTiming {
    /// A timing that sends its retry headers: `polls` and `ms` as in the fields, `Retry-After: retry_after_seconds`
    /// and, when given, `retry-after-ms`.
    pub const fn with_delays(polls: u32, ms: u64, retry_after_seconds: u64, retry_after_ms: Option<u64>) -> Self {
        LroTiming { polls, ms, retry_after_seconds, retry_after_ms, as_recorded: false }
    }

    /// The same timing, answering without retry headers as the recorded service does.
    pub const fn recorded(mut self) -> Self {
        self.as_recorded = true;
        self
    }

    /// The delay a client is asked to wait, in milliseconds: `retry-after-ms` when sent, else `Retry-After`; none
    /// (0) when the timing answers as recorded.
    pub fn requested_delay_ms(&self) -> u64 {
        if self.as_recorded {
            return 0;
        }
        self.retry_after_ms.unwrap_or(self.retry_after_seconds.saturating_mul(1000))
    }
}

/// How an operation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It succeeds (unless the emulator's rules make it fail).
    #[default]
    Succeed,
    /// It ends `Failed` with an error.
    Fail,
    /// It ends `Canceled`.
    Cancel,
    /// It stays `Inprogress` forever.
    NeverFinish,
}

/// An injected outcome for the next operations of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRule {
    /// The outcome.
    pub outcome: Outcome,
    /// How many operations it applies to; unlimited when absent.
    #[serde(default)]
    pub count: Option<u32>,
    /// The error code of a failed or canceled operation.
    #[serde(default)]
    pub code: Option<String>,
    /// The error message of a failed or canceled operation.
    #[serde(default)]
    pub message: Option<String>,
}

/// A token bucket: `capacity` requests at once, refilled at `refill_per_second`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSpec {
    /// The bucket size.
    pub capacity: f64,
    /// Tokens added per second.
    pub refill_per_second: f64,
}

/// ARM throttling (CONTRACT.md §6): token buckets per subscription and principal, per kind of request, plus a
/// subscription-wide bucket `global_multiplier` times larger shared by all principals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleSettings {
    /// Whether ARM requests are throttled at all.
    pub enabled: bool,
    /// Multiplies every capacity and refill rate (0.1 makes tests hit the limits ten times sooner).
    pub scale: f64,
    /// GET and HEAD.
    pub reads: BucketSpec,
    /// PUT, PATCH and POST.
    pub writes: BucketSpec,
    /// DELETE.
    pub deletes: BucketSpec,
    /// The subscription-wide limit as a multiple of the per-principal one.
    pub global_multiplier: f64,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings {
            enabled: true,
            scale: 1.0,
            reads: BucketSpec { capacity: 250.0, refill_per_second: 25.0 },
            writes: BucketSpec { capacity: 200.0, refill_per_second: 10.0 },
            deletes: BucketSpec { capacity: 200.0, refill_per_second: 10.0 },
            global_multiplier: 15.0,
        }
    }
}

/// Spellings the real service uses in some answers, each recorded, each off by default (answers then spell IDs
/// as the request did and soft delete as the spec does). A scenario turns on those it wants clients to survive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Spellings {
    /// Soft delete states in upper case, `ON` and `OFF` (`AlwaysOn` unchanged), as vaults answer in recordings of
    /// 2024 to 2026.
    pub soft_delete_upper_case: bool,
    /// Vaults seeded from the scenario (the older ones) answer their ID as `/resourcegroups/.../BackupVaults/...`;
    /// vaults created through the API keep the request's spelling, so one list mixes both, as recorded.
    pub legacy_ids_for_seeded_vaults: bool,
    /// `dataSourceInfo.resourceID` of backup instances spelled with `/resourcegroups/` in lower case, as GETs of
    /// older instances answered in recordings although the PUT sent `resourceGroups`.
    pub datasource_id_lower_case_resource_groups: bool,
}

/// All run-time settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Timing of every operation kind without its own entry in `lro`.
    pub lro_default: LroTiming,
    /// Timing per operation kind.
    pub lro: BTreeMap<OperationKind, LroTiming>,
    /// Injected outcomes per operation kind.
    pub outcomes: BTreeMap<OperationKind, OutcomeRule>,
    /// ARM throttling.
    pub throttling: ThrottleSettings,
    /// New vault identities get, on their subscription, the roles every datasource kind needs of them, so every
    /// datasource and snapshot resource group there is covered. Turn off to test missing permissions.
    pub auto_grant_vault_roles: bool,
    /// From api-version 2025-09-01 on, vault creates and backup instance PUTs and validations are refused unless the
    /// vault's soft delete is `AlwaysOn` (updates of an existing vault are not: a recorded update at 2026-06-01 with
    /// soft delete `ON` was accepted). Turn off to test newer versions with other states.
    pub always_on_soft_delete_from_2025_09_01: bool,
    /// How long a role assignment created through ARM takes to take effect for validateForBackup and protection,
    /// in milliseconds (Azure: up to 10 or 30 minutes, Microsoft's docs say). Seeded and auto-granted ones take
    /// effect at once.
    pub role_propagation_ms: u64,
    /// When set, a backup instance PUT is refused (409) while this many create or update operations of other
    /// instances run in the same vault, as the service refused parallel instance creates in one vault
    /// (azurerm #26911). Unset: no limit.
    pub instance_writes_per_vault: Option<u32>,
    /// While protection is being configured, a GET of the instance carries the `ProtectionConfiguration` timing's
    /// retry headers, so that tests poll fast. The real service sends none there (`false` answers as it does, and
    /// clients wait their own interval).
    pub delay_on_instance_gets: bool,
    /// Whether a GET of a soft-deleted backup instance answers 200 with it (`SoftDeleted`) instead of 404. Azure's
    /// documents do not say which it does; clients must survive both.
    pub soft_deleted_instances_visible: bool,
    /// Recorded spellings of IDs and soft delete states, each off by default.
    pub spellings: Spellings,
    /// Whether a vault's `backupInstances` list also holds its soft-deleted instances (`SoftDeleted`, on the last
    /// page). Azure's documents do not say that it never does; clients must leave them out either way.
    #[serde(default)]
    pub soft_deleted_instances_listed: bool,
    /// Lifetime of issued access tokens, in seconds.
    pub token_lifetime_seconds: u64,
    /// Backup instances per page of a List response.
    pub page_size: usize,
    /// How many requests the journal keeps (the oldest are dropped first).
    pub journal_capacity: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lro_default: LroTiming::default(),
            lro: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            throttling: ThrottleSettings::default(),
            auto_grant_vault_roles: true,
            always_on_soft_delete_from_2025_09_01: true,
            role_propagation_ms: 0,
            instance_writes_per_vault: None,
            delay_on_instance_gets: true,
            soft_deleted_instances_visible: false,
            spellings: Spellings::default(),
            soft_deleted_instances_listed: false,
            token_lifetime_seconds: 3599,
            page_size: 200,
            journal_capacity: 100_000,
        }
    }
}

impl Settings {
    /// The timing of one operation kind.
    pub fn timing(&self, kind: OperationKind) -> &LroTiming {
        self.lro.get(&kind).unwrap_or(&self.lro_default)
    }

    /// Takes the injected outcome for the next operation of `kind`, counting it down.
    pub(crate) fn take_outcome(&mut self, kind: OperationKind) -> Option<OutcomeRule> {
        let rule = self.outcomes.get_mut(&kind)?;
        let taken = rule.clone();
        if let Some(count) = rule.count.as_mut() {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.outcomes.remove(&kind);
            }
        }
        Some(taken)
    }
}

/// Applies a JSON merge patch (RFC 7396) to `target`: objects merge key by key, `null` removes a key, anything
/// else replaces.
pub(crate) fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(target), serde_json::Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key.clone()).or_insert(serde_json::Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partial_settings_take_defaults() {
        let settings: Settings = serde_json::from_value(json!({"throttling": {"scale": 0.5}, "page_size": 2})).unwrap();
        assert_eq!(settings.page_size, 2);
        assert_eq!(settings.throttling.scale, 0.5);
        assert!(settings.throttling.enabled);
        assert_eq!(settings.timing(OperationKind::AdhocBackup), &LroTiming::default());
        assert!(serde_json::from_value::<Settings>(json!({"page_sise": 2})).is_err());
    }

    #[test]
    fn a_timing_as_recorded_asks_for_no_delay_and_defaults_to_off() {
        let timing: LroTiming = serde_json::from_value(json!({"polls": 2})).unwrap();
        assert!(!timing.as_recorded);
        assert_eq!(timing.requested_delay_ms(), 200);
        let recorded = LroTiming::with_delays(2, 0, 10, None).recorded();
        assert_eq!(recorded.requested_delay_ms(), 0);
        let patched: LroTiming = serde_json::from_value(json!({"as_recorded": true})).unwrap();
        assert_eq!(patched, LroTiming::default().recorded());
        let spellings: Settings =
            serde_json::from_value(json!({"spellings": {"soft_delete_upper_case": true}})).unwrap();
        assert!(spellings.spellings.soft_delete_upper_case && !spellings.spellings.legacy_ids_for_seeded_vaults);
        assert!(serde_json::from_value::<Settings>(json!({"spellings": {"upper": true}})).is_err());
    }

    #[test]
    fn outcomes_count_down_and_disappear() {
        let mut settings: Settings = serde_json::from_value(json!({
            "outcomes": {"BackupInstances_Delete": {"outcome": "fail", "count": 2, "code": "Boom"}}
        }))
        .unwrap();
        assert_eq!(settings.take_outcome(OperationKind::BackupInstanceDelete).unwrap().outcome, Outcome::Fail);
        assert!(settings.take_outcome(OperationKind::BackupInstanceDelete).is_some());
        assert!(settings.take_outcome(OperationKind::BackupInstanceDelete).is_none());
        assert!(settings.take_outcome(OperationKind::AdhocBackup).is_none());
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": {"b": 1, "c": 2}, "d": [1]});
        merge_patch(&mut target, &json!({"a": {"b": null, "e": 3}, "d": [2, 3]}));
        assert_eq!(target, json!({"a": {"c": 2, "e": 3}, "d": [2, 3]}));
    }
}
