//! The emulator's shared state, and the controls tests use on it directly.

use crate::util::set_field;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::EmulatorError;
use super::error::user_facing_error;
use super::faults::{FaultRule, FaultSet};
use super::inventory::{Inventory, InventoryInstance, InventoryRoleAssignment, InventoryVault};
use super::journal::{Journal, JournalEntry};
use super::scenario::Scenario;
use super::settings::{LroTiming, OperationKind, OutcomeRule, Settings, ThrottleSettings, merge_patch};
use super::throttle::Throttle;
use super::tokens::TokenSigner;
use super::util::{lock, new_uuid};
use super::world::{InstanceKey, World, protection_status_for};

/// Everything behind the emulator's lock.
pub(crate) struct Core {
    pub world: World,
    pub settings: Settings,
    pub throttle: Throttle,
}

/// The state of one emulator: its world, settings, faults, journal and token key.
///
/// Handlers share it through an `Arc`; in-process tests get it from `Emulator::state()` and use the methods below
/// to change settings, inject faults and read the journal and inventory without going through HTTP.
pub struct EmulatorState {
    pub(crate) core: Mutex<Core>,
    pub(crate) faults: Mutex<FaultSet>,
    pub(crate) journal: Mutex<Journal>,
    pub(crate) signer: TokenSigner,
    clock_offset_ms: AtomicI64,
    /// When set (non-zero), the clock stands still at this wall-clock time, moved only by `advance_clock`.
    frozen_at_ms: AtomicU64,
    /// Requests being answered right now (latency faults included).
    in_flight: AtomicUsize,
    /// Told when the last request in flight ends.
    idle: tokio::sync::Notify,
    started: Instant,
    base_url: RwLock<Option<String>>,
}

/// A request in flight; dropping it (answered, or cancelled with its connection) ends it.
pub(crate) struct InFlight(Arc<EmulatorState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl std::fmt::Debug for EmulatorState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("EmulatorState").field("base_url", &self.base_url()).finish_non_exhaustive()
    }
}

impl EmulatorState {
    /// State for a scenario, with a fresh token-signing key.
    pub fn new(scenario: Scenario) -> Result<EmulatorState, EmulatorError> {
        let signer = TokenSigner::generate().map_err(EmulatorError::Scenario)?;
        EmulatorState::with_signer(scenario, signer)
    }

    pub(crate) fn with_signer(scenario: Scenario, signer: TokenSigner) -> Result<EmulatorState, EmulatorError> {
        let now = wall_clock_ms();
        let world = World::from_scenario(&scenario, now).map_err(EmulatorError::Scenario)?;
        let mut faults = FaultSet::default();
        for rule in &scenario.faults {
            faults.add(rule.clone()).map_err(EmulatorError::Scenario)?;
        }
        Ok(EmulatorState {
            core: Mutex::new(Core {
                world,
                settings: scenario.settings.unwrap_or_default(),
                throttle: Throttle::default(),
            }),
            faults: Mutex::new(faults),
            journal: Mutex::new(Journal::default()),
            signer,
            clock_offset_ms: AtomicI64::new(0),
            frozen_at_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            idle: tokio::sync::Notify::new(),
            started: Instant::now(),
            base_url: RwLock::new(None),
        })
    }

    /// The emulator's clock: wall-clock Unix milliseconds plus whatever [`advance_clock`](Self::advance_clock)
    /// added. Token expiry, operation timing and throttling all run on it.
    pub fn now_ms(&self) -> u64 {
        let offset = self.clock_offset_ms.load(Ordering::Relaxed);
        let frozen = self.frozen_at_ms.load(Ordering::Relaxed);
        let base = if frozen == 0 { wall_clock_ms() } else { frozen };
        base.saturating_add_signed(offset)
    }

    /// Stops the emulator's clock (`true`) where it is, so that only [`advance_clock`](Self::advance_clock) moves
    /// it: token expiry, operation timing, soft delete retention and role propagation then depend on what a test
    /// says, not on how fast the machine is. `false` lets it run again from where it stands.
    pub fn freeze_clock(&self, frozen: bool) {
        let now = self.now_ms();
        if frozen {
            self.clock_offset_ms.store(0, Ordering::Relaxed);
            self.frozen_at_ms.store(now.max(1), Ordering::Relaxed);
        } else {
            self.frozen_at_ms.store(0, Ordering::Relaxed);
            let offset = i64::try_from(now).unwrap_or(i64::MAX) - i64::try_from(wall_clock_ms()).unwrap_or(i64::MAX);
            self.clock_offset_ms.store(offset, Ordering::Relaxed);
        }
    }

    /// The requests being answered right now, latency faults included.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Waits until no request is being answered (or `timeout` passes; then `false`): a readiness signal for tests
    /// that must know everything a client sent has taken effect, instead of a sleep.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let waiting = async {
            loop {
                let notified = self.idle.notified();
                if self.in_flight() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, waiting).await.is_ok()
    }

    /// Counts a request in flight until the guard is dropped.
    pub(crate) fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    /// Moves the emulator's clock forward: tokens expire, timed operations finish and throttling buckets refill
    /// as if that much time had passed.
    pub fn advance_clock(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.clock_offset_ms.fetch_add(by, Ordering::Relaxed);
    }

    /// Milliseconds since the emulator started (the journal's `at_ms`).
    pub(crate) fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The base URL clients reach the emulator at, once it is serving.
    pub fn base_url(&self) -> Option<String> {
        self.base_url.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    pub(crate) fn set_base_url(&self, url: String) {
        *self.base_url.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(url);
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        lock(&self.core).settings.clone()
    }

    /// Changes settings in place. Throttling buckets start full again afterwards.
    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        let mut core = lock(&self.core);
        change(&mut core.settings);
        core.throttle.reset();
    }

    /// Applies a JSON merge patch to the settings (what `PUT /_emulator/settings` does).
    pub fn patch_settings(&self, patch: &Value) -> Result<Settings, String> {
        let mut core = lock(&self.core);
        let mut current = serde_json::to_value(&core.settings).map_err(|error| error.to_string())?;
        merge_patch(&mut current, patch);
        let settings: Settings =
            serde_json::from_value(current).map_err(|error| format!("invalid settings: {error}"))?;
        core.settings = settings.clone();
        core.throttle.reset();
        Ok(settings)
    }

    /// Sets the timing of one operation kind.
    pub fn set_lro_timing(&self, kind: OperationKind, timing: LroTiming) {
        self.update_settings(|settings| {
            settings.lro.insert(kind, timing);
        });
    }

    /// Sets the timing of every operation kind without its own.
    pub fn set_default_lro_timing(&self, timing: LroTiming) {
        self.update_settings(|settings| settings.lro_default = timing);
    }

    /// Makes the next operations of a kind fail, cancel or never finish.
    pub fn inject_outcome(&self, kind: OperationKind, rule: OutcomeRule) {
        self.update_settings(|settings| {
            settings.outcomes.insert(kind, rule);
        });
    }

    /// Replaces the throttling settings.
    pub fn set_throttling(&self, throttling: ThrottleSettings) {
        self.update_settings(|settings| settings.throttling = throttling);
    }

    /// Turns the automatic role grants for new vault identities on or off.
    pub fn set_auto_grant_vault_roles(&self, enabled: bool) {
        self.update_settings(|settings| settings.auto_grant_vault_roles = enabled);
    }

    /// Adds a fault rule; returns it with its ID.
    pub fn add_fault(&self, rule: FaultRule) -> Result<FaultRule, String> {
        lock(&self.faults).add(rule)
    }

    /// The fault rules in force.
    pub fn faults(&self) -> Vec<FaultRule> {
        lock(&self.faults).list()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// Removes one fault rule; whether it existed.
    pub fn remove_fault(&self, id: u64) -> bool {
        lock(&self.faults).remove(id)
    }

    /// The journal, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.journal).since(0)
    }

    /// Journal entries after sequence number `seq`.
    pub fn journal_since(&self, seq: u64) -> Vec<JournalEntry> {
        lock(&self.journal).since(seq)
    }

    /// Empties the journal.
    pub fn clear_journal(&self) {
        lock(&self.journal).clear();
    }

    pub(crate) fn record(&self, entry: JournalEntry) {
        let capacity = lock(&self.core).settings.journal_capacity;
        lock(&self.journal).record(entry, capacity);
    }

    /// Issues an access token for ARM to a principal, as the token endpoint would (for tests that are not about
    /// sign-in).
    pub fn issue_token(&self, client_id: &str) -> Result<String, String> {
        let core = lock(&self.core);
        let principal = core
            .world
            .principals
            .get(&client_id.to_ascii_lowercase())
            .ok_or_else(|| format!("no principal with client ID '{client_id}'"))?;
        let now = self.now_ms() / 1000;
        let (token, _) = self.signer.issue(
            "https://management.core.windows.net/",
            &principal.tenant_id,
            &principal.client_id,
            &principal.object_id,
            now,
            core.settings.token_lifetime_seconds,
        );
        Ok(token)
    }

    /// Every access token issued since the emulator started (sign-ins, managed identity and [`Self::issue_token`];
    /// the latest 10,000), oldest first: tests check that none of them ends up in a log or a state file.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.signer.issued()
    }

    /// Ends every operation that an injected `never_finish` outcome keeps running, with the result it would
    /// otherwise have had, so that a test can show what happens once Azure recovers. Returns how many ended.
    pub fn finish_stuck_operations(&self) -> usize {
        let now = self.now_ms();
        lock(&self.core).world.release_never_finishing(now)
    }

    /// Puts a backup instance (by ARM ID) into `ProtectionError` with `protectionStatus.errorDetails`.
    pub fn set_protection_error(&self, request: &ProtectionErrorRequest) -> Result<(), String> {
        let id = super::ids::ArmId::parse(&request.backup_instance_id)
            .filter(|id| id.is_type("Microsoft.DataProtection", &["backupVaults", "backupInstances"]))
            .ok_or_else(|| format!("'{}' is not a backup instance ID", request.backup_instance_id))?;
        let key = id.key();
        let (vault, name) = key.rsplit_once("/backupinstances/").ok_or("not a backup instance ID")?;
        let key = InstanceKey { vault: vault.to_owned(), name: name.to_owned() };
        let recommended: Vec<&str> = request.recommended_action.iter().map(String::as_str).collect();
        let mut error = user_facing_error(
            request.code.as_deref().unwrap_or("UserErrorDiskBackupDiskOrMSIPermissionsNotPresent"),
            request.message.as_deref().unwrap_or(
                "Invalid disk or Azure Backup Service requires additional permissions on the Disk to do this operation",
            ),
            &recommended,
            &new_uuid(),
        );
        if request.recommended_action.is_empty() {
            set_field(
                &mut error,
                "recommendedAction",
                serde_json::json!([
                    "Grant the Backup vault's managed identity the appropriate permissions on the disk."
                ]),
            );
        }
        let mut core = lock(&self.core);
        if core.world.set_protection_error(&key, error) {
            Ok(())
        } else {
            Err(format!("backup instance '{}' not found", request.backup_instance_id))
        }
    }

    /// What the emulated world holds now.
    pub fn inventory(&self) -> Inventory {
        let now = self.now_ms();
        let mut core = lock(&self.core);
        core.world.settle(now);
        inventory_of(&core.world)
    }

    /// The whole state as a scenario (what persistence writes).
    pub fn snapshot(&self) -> Scenario {
        let core = lock(&self.core);
        let mut scenario = core.world.to_scenario();
        scenario.settings = Some(core.settings.clone());
        drop(core);
        scenario.faults = self.faults();
        scenario
    }
}

/// Puts a backup instance into `ProtectionError` (`POST /_emulator/backup-instances/protection-error`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtectionErrorRequest {
    /// The instance's ARM ID.
    pub backup_instance_id: String,
    /// The error code (default `UserErrorDiskBackupDiskOrMSIPermissionsNotPresent`).
    #[serde(default)]
    pub code: Option<String>,
    /// The error message.
    #[serde(default)]
    pub message: Option<String>,
    /// Recommended actions.
    #[serde(default)]
    pub recommended_action: Vec<String>,
}

fn inventory_of(world: &World) -> Inventory {
    let protected_by = |key: &str| {
        world.protected.get(key).and_then(|instance| world.instance(instance)).map(|instance| instance.id.clone())
    };
    let mut inventory = Inventory {
        subscriptions: world.subscriptions.values().map(|subscription| subscription.id.clone()).collect(),
        resource_groups: world.resource_groups.values().map(|group| group.id.clone()).collect(),
        ..Inventory::default()
    };
    for resource_type in super::world::kinds::resource_types() {
        resource_type.inventory(world, &protected_by, &mut inventory);
    }
    for vault in world.vaults.values() {
        inventory.vaults.push(InventoryVault {
            id: vault.id.clone(),
            location: vault.location.clone(),
            provisioning_state: vault.provisioning_state.clone(),
            identity_principal_id: vault.identity.as_ref().map(|identity| identity.principal_id.clone()),
            policies: vault.policies.values().map(|policy| policy.id.clone()).collect(),
        });
        for instance in vault.instances.values() {
            let text = |object: &str, field: &str| {
                instance
                    .properties
                    .get(object)
                    .and_then(|value| value.get(field))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            inventory.backup_instances.push(InventoryInstance {
                id: instance.id.clone(),
                datasource_id: text("dataSourceInfo", "resourceID"),
                policy_id: text("policyInfo", "policyId"),
                protection_state: instance.protection_state.clone(),
                protection_status: protection_status_for(&instance.protection_state).to_owned(),
                provisioning_state: instance.provisioning_state.clone(),
                pending_operation: instance
                    .pending_operation
                    .as_ref()
                    .and_then(|key| world.operations.get(key))
                    .map(|operation| operation.id.clone()),
                protection_error: instance.protection_error.clone(),
            });
        }
    }
    inventory.role_assignments = world
        .role_assignments
        .values()
        .map(|assignment| InventoryRoleAssignment {
            id: assignment.id.clone(),
            scope: assignment.scope.clone(),
            role: super::ids::built_in_role(&assignment.role_guid)
                .map_or_else(|| assignment.role_guid.clone(), |role| role.name.to_owned()),
            principal_id: assignment.principal_id.clone(),
        })
        .collect();
    inventory.running_operations =
        world.operations.values().filter(|operation| operation.status == super::world::Status::InProgress).count();
    inventory.subscriptions.sort();
    inventory.resource_groups.sort();
    inventory.disks.sort_by(|a, b| a.id.cmp(&b.id));
    inventory.datasources.sort_by(|a, b| a.id.cmp(&b.id));
    inventory.vaults.sort_by(|a, b| a.id.cmp(&b.id));
    inventory.backup_instances.sort_by(|a, b| a.id.cmp(&b.id));
    inventory.role_assignments.sort_by(|a, b| a.id.cmp(&b.id));
    inventory
}

/// Wall-clock Unix milliseconds.
fn wall_clock_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}
