//! The emulated world: subscriptions, principals, resource groups, the datasources of every kind (`kinds`), role
//! assignments, vaults, policies, backup instances and operations, with the rules the real service applies to them.
//!
//! Every map is keyed by the lowercase ARM ID (see `ids::key`), so lookups are one hash or tree access and names
//! match without case, as in ARM. Names keep the case they were created with.

mod instances;
pub(crate) mod kinds;
mod operations;
mod resources;
mod seed;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, VecDeque};

use serde_json::Value;

pub(crate) use instances::{InstanceView, protection_status_for, render_instance};
pub(crate) use kinds::check_policy;
pub(crate) use operations::{OperationScope, OperationSpec, Planned, ScopeKind};
pub(crate) use resources::client_vault_properties;

use super::scenario::{PrincipalKind, Scenario};
use super::settings::{LroTiming, OperationKind};

/// The most operations kept; the oldest finished ones are forgotten first.
const OPERATION_CAPACITY: usize = 50_000;

pub(crate) struct Subscription {
    pub id: String,
    pub tenant_id: String,
    pub display_name: String,
    /// Namespaces not (yet) registered, by lower-case name. Absent namespaces are registered.
    pub unregistered: BTreeMap<String, Registration>,
}

impl Subscription {
    /// `namespace`'s registration state: `Registered`, `NotRegistered` or `Registering`. A registration ends once
    /// it has been read `Registering` as often as `timing.polls` asks (`read`: this call is such a read) and
    /// `timing.ms` have passed.
    pub fn registration_state(&mut self, namespace: &str, timing: &LroTiming, now: u64, read: bool) -> &'static str {
        let key = namespace.to_ascii_lowercase();
        let Some(registration) = self.unregistered.get_mut(&key) else {
            return "Registered";
        };
        let Some((since, reads)) = registration.registering.as_mut() else {
            return "NotRegistered";
        };
        if *reads >= timing.polls && now >= *since + timing.ms {
            self.unregistered.remove(&key);
            return "Registered";
        }
        if read {
            *reads += 1;
        }
        "Registering"
    }

    /// Starts registering `namespace` (nothing to do when it is registered or being registered).
    pub fn register(&mut self, namespace: &str, now: u64) {
        if let Some(registration) = self.unregistered.get_mut(&namespace.to_ascii_lowercase()) {
            registration.registering.get_or_insert((now, 0));
        }
    }
}

/// A resource provider that is not registered in a subscription, or is being registered.
pub(crate) struct Registration {
    /// The namespace as the scenario or the client spelled it.
    pub namespace: String,
    /// When a client asked to register it, and how many reads have seen it `Registering` since.
    pub registering: Option<(u64, u32)>,
}

#[derive(Clone)]
pub(crate) struct Principal {
    pub kind: PrincipalKind,
    pub client_id: String,
    pub object_id: String,
    pub tenant_id: String,
    pub display_name: String,
    pub client_secret: Option<String>,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub audience: Option<String>,
    pub identity_header: Option<String>,
    pub system_assigned: bool,
}

pub(crate) struct ResourceGroup {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub location: String,
    pub tags: Option<BTreeMap<String, String>>,
}

pub(crate) struct VaultIdentity {
    pub principal_id: String,
    pub tenant_id: String,
}

/// A resource guard.
pub(crate) struct ResourceGuard {
    pub id: String,
    pub name: String,
    pub location: String,
    pub tags: Option<Value>,
    /// The critical operations it does not protect.
    pub exclusions: Vec<String>,
}

/// A vault's association with a resource guard (its resource guard proxy).
pub(crate) struct GuardProxy {
    pub name: String,
    /// The guard's ARM ID as the request spelled it.
    pub guard_id: String,
    pub last_updated: String,
    /// Deletes authorised by `unlockDelete`: the lowercase ARM ID of the object and when the authorisation ends
    /// (emulator milliseconds).
    pub unlocked: Vec<(String, u64)>,
}

/// A user-assigned identity of a vault: the IDs Azure reports of it.
pub(crate) struct UserIdentity {
    pub principal_id: String,
    pub client_id: String,
}

pub(crate) struct Vault {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub resource_group: String,
    pub location: String,
    pub tags: Option<Value>,
    /// The vault's `properties` without the read-only ones, which are rendered from the fields below.
    pub properties: Value,
    pub identity: Option<VaultIdentity>,
    /// The user-assigned identities, by ARM ID as the request spelled it.
    pub user_identities: BTreeMap<String, UserIdentity>,
    /// The vault's association with a resource guard.
    pub guard_proxy: Option<GuardProxy>,
    pub provisioning_state: String,
    pub policies: BTreeMap<String, Policy>,
    pub instances: BTreeMap<String, Instance>,
    /// Soft-deleted backup instances, by lower-case name, until they are purged or undeleted.
    pub deleted_instances: BTreeMap<String, DeletedInstance>,
    /// Created by a PUT to this emulator, not seeded: a new vault, whose ID the service answers as the request
    /// spelled it (older ones may come back as `/resourcegroups/.../BackupVaults/...`).
    pub created_through_api: bool,
}

impl Vault {
    /// The soft delete state (`Off`, `On` or `AlwaysOn`) and retention in days of the vault's settings.
    pub fn soft_delete(&self) -> (&str, u64) {
        let settings = self.properties.pointer("/securitySettings/softDeleteSettings");
        let state = settings.and_then(|s| s.get("state")).and_then(Value::as_str).unwrap_or("Off");
        // Any case: real vaults answer (and clients send back) `ON` and `OFF`.
        let state =
            ["Off", "On", "AlwaysOn"].into_iter().find(|known| known.eq_ignore_ascii_case(state)).unwrap_or(state);
        let days = settings.and_then(|s| s.get("retentionDurationInDays")).and_then(Value::as_f64).unwrap_or(14.0);
        (state, days as u64)
    }
}

/// A backup instance deleted from a vault with soft delete on: kept, `SoftDeleted`, until its purge time.
pub(crate) struct DeletedInstance {
    pub instance: Instance,
    pub deleted_ms: u64,
    pub purge_ms: u64,
    pub activity_id: String,
}

pub(crate) struct Policy {
    pub id: String,
    pub name: String,
    pub properties: Value,
}

/// Identifies a backup instance: the vault's key and the instance's lowercase name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct InstanceKey {
    pub vault: String,
    pub name: String,
}

/// Counts status reads and time until something finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    pub polls_left: u32,
    pub due_ms: u64,
}

impl Progress {
    pub fn new(timing: &LroTiming, now_ms: u64) -> Progress {
        Progress { polls_left: timing.polls, due_ms: now_ms.saturating_add(timing.ms) }
    }

    /// Records one observation; true when the work is done (before counting this observation).
    pub fn observe(&mut self, now_ms: u64) -> bool {
        if self.polls_left == 0 && now_ms >= self.due_ms {
            return true;
        }
        self.polls_left = self.polls_left.saturating_sub(1);
        false
    }
}

pub(crate) struct Instance {
    pub id: String,
    pub name: String,
    /// The client's `properties`, without the read-only ones.
    pub properties: serde_json::Map<String, Value>,
    pub tags: Option<Value>,
    pub datasource_key: String,
    pub policy_key: String,
    pub provisioning_state: String,
    pub protection_state: String,
    pub protection_error: Option<Value>,
    pub pending_operation: Option<String>,
    /// After a create: when `ConfiguringProtection` turns into `ProtectionConfigured`.
    pub configuring: Option<Progress>,
}

pub(crate) struct RoleAssignment {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub scope_key: String,
    pub role_guid: String,
    pub principal_id: String,
    pub principal_type: String,
    pub created_ms: u64,
    /// When the assignment takes effect for the service's checks (role assignments take minutes in Azure).
    pub effective_ms: u64,
}

/// What a running operation works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Instance(InstanceKey),
    Vault(String),
    ResourceGroup(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    InProgress,
    Succeeded,
    Failed,
    Canceled,
}

impl Status {
    /// The status string the service uses (note the lowercase p in `Inprogress`, CONTRACT.md §4).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "Inprogress",
            Status::Succeeded => "Succeeded",
            Status::Failed => "Failed",
            Status::Canceled => "Canceled",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text.to_ascii_lowercase().as_str() {
            "inprogress" | "running" | "accepted" => Some(Status::InProgress),
            "succeeded" => Some(Status::Succeeded),
            "failed" => Some(Status::Failed),
            "canceled" | "cancelled" => Some(Status::Canceled),
            _ => None,
        }
    }
}

pub(crate) struct Operation {
    pub id: String,
    pub kind: OperationKind,
    pub subscription: String,
    pub resource_group: Option<String>,
    pub vault: Option<String>,
    /// The instance's name, for `{BI}/operationResults/{id}`.
    pub instance: Option<String>,
    pub location: String,
    pub target: Option<Target>,
    pub status: Status,
    pub start_ms: u64,
    pub end_ms: Option<u64>,
    pub progress: Progress,
    pub never_finish: bool,
    pub planned: Planned,
    pub error: Option<Value>,
    /// The HTTP status the `Location` URL answers with once the operation failed.
    pub error_status: u16,
    pub job_id: Option<String>,
    pub timing: LroTiming,
    /// Polls arriving before this time came earlier than the emulator asked.
    pub not_before_ms: u64,
    pub api_version: String,
    /// A create (rather than an update) of a backup instance.
    pub creates: bool,
    /// Timing of the protection configuration that follows a successful create.
    pub configure_timing: Option<LroTiming>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timer {
    Operation(String),
    Configure(InstanceKey),
}

pub(crate) struct World {
    pub default_tenant: String,
    pub subscriptions: HashMap<String, Subscription>,
    /// Principals that can sign in, by lowercase client ID.
    pub principals: HashMap<String, Principal>,
    /// Every known directory object (principals and vault identities), by lowercase object ID.
    pub directory: HashMap<String, String>,
    pub resource_groups: HashMap<String, ResourceGroup>,
    /// The datasources of every kind.
    pub datasources: kinds::Datasources,
    pub vaults: HashMap<String, Vault>,
    /// Resource guards, by lowercase ARM ID.
    pub resource_guards: HashMap<String, ResourceGuard>,
    pub role_assignments: HashMap<String, RoleAssignment>,
    pub assignments_by_principal: HashMap<String, BTreeSet<String>>,
    /// Protected datasources (lowercase IDs) and the instance that protects each.
    pub protected: HashMap<String, InstanceKey>,
    /// Instances using each policy.
    pub policy_users: HashMap<String, BTreeSet<InstanceKey>>,
    pub operations: HashMap<String, Operation>,
    operation_order: VecDeque<String>,
    timers: BinaryHeap<Reverse<(u64, Timer)>>,
    /// The emulator's clock as of the request being handled (set by [`World::settle`]).
    pub now_ms: u64,
}

impl World {
    pub fn empty(default_tenant: &str) -> World {
        World {
            default_tenant: default_tenant.to_owned(),
            subscriptions: HashMap::new(),
            principals: HashMap::new(),
            directory: HashMap::new(),
            resource_groups: HashMap::new(),
            datasources: kinds::Datasources::default(),
            vaults: HashMap::new(),
            resource_guards: HashMap::new(),
            role_assignments: HashMap::new(),
            assignments_by_principal: HashMap::new(),
            protected: HashMap::new(),
            policy_users: HashMap::new(),
            operations: HashMap::new(),
            operation_order: VecDeque::new(),
            timers: BinaryHeap::new(),
            now_ms: 0,
        }
    }

    /// The known tenants.
    pub fn has_tenant(&self, tenant: &str) -> bool {
        self.default_tenant.eq_ignore_ascii_case(tenant)
            || self.subscriptions.values().any(|subscription| subscription.tenant_id.eq_ignore_ascii_case(tenant))
            || self.principals.values().any(|principal| principal.tenant_id.eq_ignore_ascii_case(tenant))
    }

    pub fn instance(&self, key: &InstanceKey) -> Option<&Instance> {
        self.vaults.get(&key.vault)?.instances.get(&key.name)
    }

    pub fn instance_mut(&mut self, key: &InstanceKey) -> Option<&mut Instance> {
        self.vaults.get_mut(&key.vault)?.instances.get_mut(&key.name)
    }

    /// Puts an instance into `ProtectionError` with the given `UserFacingError`.
    pub fn set_protection_error(&mut self, key: &InstanceKey, error: Value) -> bool {
        let Some(instance) = self.instance_mut(key) else { return false };
        instance.protection_state = "ProtectionError".to_owned();
        instance.protection_error = Some(error);
        instance.configuring = None;
        true
    }

    /// The tenant owning a subscription.
    pub fn tenant_of(&self, subscription: &str) -> String {
        self.subscriptions
            .get(&subscription.to_ascii_lowercase())
            .map_or_else(|| self.default_tenant.clone(), |subscription| subscription.tenant_id.clone())
    }

    /// Finishes whatever is due by `now_ms` without being observed: operations and protection configurations
    /// timed in milliseconds only.
    pub fn settle(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        for vault in self.vaults.values_mut() {
            if !vault.deleted_instances.is_empty() {
                vault.deleted_instances.retain(|_, deleted| deleted.purge_ms > now_ms);
            }
        }
        while let Some(Reverse((due, _))) = self.timers.peek() {
            if *due > now_ms {
                break;
            }
            let Some(Reverse((_, timer))) = self.timers.pop() else { break };
            match timer {
                Timer::Operation(key) => {
                    let ready = self.operations.get(&key).is_some_and(|operation| {
                        operation.status == Status::InProgress
                            && !operation.never_finish
                            && operation.progress.polls_left == 0
                    });
                    if ready {
                        self.finish_operation(&key, now_ms);
                    }
                }
                Timer::Configure(instance) => {
                    if let Some(instance) = self.instance_mut(&instance)
                        && instance.configuring.is_some_and(|progress| progress.polls_left == 0)
                    {
                        instance.configuring = None;
                        if instance.protection_state == "ConfiguringProtection" {
                            instance.protection_state = "ProtectionConfigured".to_owned();
                        }
                    }
                }
            }
        }
    }

    fn schedule(&mut self, due_ms: u64, timer: Timer) {
        self.timers.push(Reverse((due_ms, timer)));
    }

    /// Whether the principal (object ID) holds one of `roles` (GUIDs) on `resource_key` or a scope above it.
    pub fn has_role(&self, principal_id: &str, resource_key: &str, roles: &[&str]) -> bool {
        let Some(assignments) = self.assignments_by_principal.get(&principal_id.to_ascii_lowercase()) else {
            return false;
        };
        assignments.iter().filter_map(|key| self.role_assignments.get(key)).any(|assignment| {
            assignment.effective_ms <= self.now_ms
                && roles.iter().any(|role| role.eq_ignore_ascii_case(&assignment.role_guid))
                && super::ids::scope_covers(&assignment.scope_key, resource_key)
        })
    }
}

/// Where a scenario's entries go: their subscription (the scenario's first when they name none) and their resource
/// group, which the scenario must hold.
pub(crate) struct Seeding {
    first_subscription: Option<String>,
    /// The emulator's clock when the scenario is loaded.
    pub now_ms: u64,
}

impl Seeding {
    pub fn new(scenario: &Scenario, now_ms: u64) -> Seeding {
        Seeding {
            first_subscription: scenario.subscriptions.first().map(|subscription| subscription.id.clone()),
            now_ms,
        }
    }

    /// The subscription an entry (`what`) names, else the scenario's first.
    pub fn subscription_of(&self, given: &Option<String>, what: &str) -> Result<String, String> {
        given
            .clone()
            .or_else(|| self.first_subscription.clone())
            .ok_or_else(|| format!("{what}: no subscription given and none in the scenario"))
    }

    /// The ID and region of the resource group an entry (`what`) is in.
    pub fn group_of(
        &self,
        world: &World,
        subscription: &Option<String>,
        group: &str,
        what: String,
    ) -> Result<(String, String), String> {
        let subscription = self.subscription_of(subscription, &what)?;
        let group_key = super::ids::resource_group_id(&subscription, group).to_ascii_lowercase();
        world
            .resource_groups
            .get(&group_key)
            .map(|group| (group.id.clone(), group.location.clone()))
            .ok_or_else(|| format!("{what}: resource group '{group}' is not in the scenario"))
    }
}
