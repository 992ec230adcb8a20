//! Long-running operations: their lifecycle, and what finishing each kind does to the world.

use serde_json::{Value, json};

use super::{Operation, Progress, Status, Target, Timer, World};
use crate::settings::{LroTiming, OperationKind, Outcome, OutcomeRule};
use crate::util::new_uuid;

/// How an operation is going to end.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Planned {
    Succeed,
    /// Fail with this error object and `Location` status.
    Fail(Value, u16),
    Cancel(Value),
}

impl Planned {
    /// The plan for an injected outcome, or `None` for "succeed" (which leaves the world's own rules in charge).
    pub fn from_injected(rule: &OutcomeRule) -> Option<(Planned, bool)> {
        let error = |default_code: &str, default_message: &str| {
            json!({
                "code": rule.code.as_deref().unwrap_or(default_code),
                "message": rule.message.as_deref().unwrap_or(default_message),
            })
        };
        match rule.outcome {
            Outcome::Succeed => None,
            Outcome::Fail => Some((
                Planned::Fail(
                    error("EmulatorInjectedFailure", "The operation failed (a failure injected by the emulator)."),
                    500,
                ),
                false,
            )),
            Outcome::Cancel => {
                Some((Planned::Cancel(error("OperationCanceled", "The operation was canceled.")), false))
            }
            Outcome::NeverFinish => Some((Planned::Succeed, true)),
        }
    }
}

/// Everything needed to start an operation.
pub(crate) struct OperationSpec {
    pub kind: OperationKind,
    pub subscription: String,
    pub resource_group: Option<String>,
    pub vault: Option<String>,
    pub instance: Option<String>,
    pub location: String,
    pub target: Option<Target>,
    pub timing: LroTiming,
    pub planned: Planned,
    pub never_finish: bool,
    pub api_version: String,
    pub creates: bool,
    pub configure_timing: Option<LroTiming>,
    pub job: bool,
}

impl World {
    /// Starts an operation and returns its ID.
    pub fn start_operation(&mut self, spec: OperationSpec, now_ms: u64) -> String {
        let id = crate::util::new_operation_id();
        let progress = Progress::new(&spec.timing, now_ms);
        let operation = Operation {
            id: id.clone(),
            kind: spec.kind,
            subscription: spec.subscription,
            resource_group: spec.resource_group,
            vault: spec.vault,
            instance: spec.instance,
            location: crate::util::normalize_location(&spec.location),
            target: spec.target.clone(),
            status: Status::InProgress,
            start_ms: now_ms,
            end_ms: None,
            progress,
            never_finish: spec.never_finish,
            planned: spec.planned,
            error: None,
            error_status: 400,
            job_id: spec.job.then(new_uuid),
            not_before_ms: now_ms.saturating_add(spec.timing.requested_delay_ms()),
            timing: spec.timing,
            api_version: spec.api_version,
            creates: spec.creates,
            configure_timing: spec.configure_timing,
        };
        self.insert_operation(operation);
        let key = id.to_ascii_lowercase();
        if let Some(Target::Instance(instance)) = &spec.target
            && let Some(instance) = self.instance_mut(instance)
        {
            instance.pending_operation = Some(key.clone());
        }
        if !spec.never_finish && progress.polls_left == 0 {
            self.schedule(progress.due_ms, Timer::Operation(key.clone()));
            // An operation with no wait at all is already done when the first poll arrives; finishing it here
            // keeps GETs of the resource consistent with that.
            if progress.due_ms <= now_ms {
                self.finish_operation(&key, now_ms);
            }
        }
        id
    }

    pub(super) fn insert_operation(&mut self, operation: Operation) {
        let key = operation.id.to_ascii_lowercase();
        if self.operations.insert(key.clone(), operation).is_none() {
            self.operation_order.push_back(key);
        }
        while self.operations.len() > super::OPERATION_CAPACITY {
            let Some(oldest) = self.operation_order.pop_front() else { break };
            let running = self.operations.get(&oldest).is_some_and(|operation| operation.status == Status::InProgress);
            if running {
                self.operation_order.push_back(oldest);
                if self.operation_order.len() <= 1 {
                    break;
                }
                continue;
            }
            self.operations.remove(&oldest);
        }
    }

    /// A status read of an operation: counts towards its completion, finishes it when due, and reports whether
    /// the read came before the delay the emulator asked for.
    pub fn poll_operation(&mut self, key: &str, now_ms: u64) -> Option<bool> {
        let operation = self.operations.get_mut(key)?;
        let early = now_ms < operation.not_before_ms;
        self.observe_operation(key, now_ms);
        if let Some(operation) = self.operations.get_mut(key)
            && operation.status == Status::InProgress
        {
            operation.not_before_ms = now_ms.saturating_add(operation.timing.requested_delay_ms());
        }
        Some(early)
    }

    /// Counts one observation of a running operation and finishes it when it is due.
    pub fn observe_operation(&mut self, key: &str, now_ms: u64) {
        let Some(operation) = self.operations.get_mut(key) else { return };
        if operation.status != Status::InProgress {
            return;
        }
        let done = operation.progress.observe(now_ms);
        if done && !operation.never_finish {
            self.finish_operation(key, now_ms);
        }
    }

    /// Lets every operation that was told never to finish end now, as planned otherwise (an outage in Azure is
    /// over). Returns how many ended.
    pub fn release_never_finishing(&mut self, now_ms: u64) -> usize {
        let stuck: Vec<String> = self
            .operations
            .iter()
            .filter(|(_, operation)| operation.status == Status::InProgress && operation.never_finish)
            .map(|(key, _)| key.clone())
            .collect();
        for key in &stuck {
            if let Some(operation) = self.operations.get_mut(key) {
                operation.never_finish = false;
            }
            self.finish_operation(key, now_ms);
        }
        stuck.len()
    }

    /// Ends an operation as planned and applies its effect.
    pub fn finish_operation(&mut self, key: &str, now_ms: u64) {
        let Some(operation) = self.operations.get_mut(key) else { return };
        if operation.status != Status::InProgress {
            return;
        }
        let (status, error, error_status) = match &operation.planned {
            Planned::Succeed => (Status::Succeeded, None, 400),
            Planned::Fail(error, status) => (Status::Failed, Some(error.clone()), *status),
            Planned::Cancel(error) => (Status::Canceled, Some(error.clone()), 400),
        };
        operation.status = status;
        operation.error = error.clone();
        operation.error_status = error_status;
        operation.end_ms = Some(now_ms);
        let kind = operation.kind;
        let target = operation.target.clone();
        let creates = operation.creates;
        let configure_timing = operation.configure_timing.clone();
        let succeeded = status == Status::Succeeded;
        match (kind, target) {
            (OperationKind::BackupInstanceCreateOrUpdate, Some(Target::Instance(instance_key))) => {
                let mut schedule = None;
                if let Some(instance) = self.instance_mut(&instance_key) {
                    instance.pending_operation = None;
                    if succeeded {
                        instance.provisioning_state = "Succeeded".to_owned();
                        instance.protection_error = None;
                        if creates {
                            let timing = configure_timing.unwrap_or_default();
                            let progress = Progress::new(&timing, now_ms);
                            instance.protection_state = "ConfiguringProtection".to_owned();
                            if progress.polls_left == 0 && progress.due_ms <= now_ms {
                                instance.protection_state = "ProtectionConfigured".to_owned();
                            } else {
                                instance.configuring = Some(progress);
                                if progress.polls_left == 0 {
                                    schedule = Some(progress.due_ms);
                                }
                            }
                        } else {
                            instance.protection_state = "ProtectionConfigured".to_owned();
                        }
                    } else {
                        instance.provisioning_state = "Failed".to_owned();
                        instance.protection_state = "ConfiguringProtectionFailed".to_owned();
                        instance.protection_error = error.as_ref().map(super::instances::user_facing_from_error);
                    }
                }
                if let Some(due) = schedule {
                    self.schedule(due, Timer::Configure(instance_key));
                }
            }
            (OperationKind::BackupInstanceDelete, Some(Target::Instance(instance_key))) => {
                if succeeded {
                    self.delete_instance(&instance_key, now_ms);
                } else if let Some(instance) = self.instance_mut(&instance_key) {
                    instance.pending_operation = None;
                    instance.provisioning_state = "Succeeded".to_owned();
                }
            }
            (_, Some(Target::Instance(instance_key))) => {
                let resumed =
                    if succeeded && matches!(kind, OperationKind::ResumeProtection | OperationKind::ResumeBackups) {
                        self.instance(&instance_key).map(|instance| instance.datasource_key.clone())
                    } else {
                        None
                    };
                if let Some(datasource) = resumed {
                    // An instance undeleted while another protected its datasource protects it again once resumed
                    // (the resume is refused while the other one still does).
                    self.protected.entry(datasource).or_insert_with(|| instance_key.clone());
                }
                if let Some(instance) = self.instance_mut(&instance_key) {
                    instance.pending_operation = None;
                    if succeeded {
                        let next = match kind {
                            OperationKind::StopProtection => Some("ProtectionStopped"),
                            OperationKind::SuspendBackups => Some("BackupSchedulesSuspended"),
                            OperationKind::ResumeProtection | OperationKind::ResumeBackups => {
                                Some("ProtectionConfigured")
                            }
                            OperationKind::SyncBackupInstance => {
                                instance.protection_error = None;
                                Some("ProtectionConfigured")
                            }
                            _ => None,
                        };
                        if let Some(next) = next {
                            instance.protection_state = next.to_owned();
                        }
                    }
                }
            }
            (
                OperationKind::BackupVaultCreateOrUpdate | OperationKind::BackupVaultUpdate,
                Some(Target::Vault(vault_key)),
            ) => {
                if let Some(vault) = self.vaults.get_mut(&vault_key) {
                    vault.provisioning_state = if succeeded { "Succeeded" } else { "Failed" }.to_owned();
                }
            }
            (OperationKind::BackupVaultDelete, Some(Target::Vault(vault_key))) if succeeded => {
                self.remove_vault(&vault_key);
            }
            (OperationKind::ResourceGroupDelete, Some(Target::ResourceGroup(group_key))) if succeeded => {
                self.remove_resource_group(&group_key);
            }
            _ => {}
        }
    }

    /// An operation by ID, as seen from a status URL's scope. Scopes that do not contain the operation do not
    /// find it, as in the service.
    pub fn find_operation(&self, id: &str, scope: &OperationScope<'_>) -> Option<String> {
        let key = id.to_ascii_lowercase();
        let operation = self.operations.get(&key)?;
        let same =
            |own: &Option<String>, wanted: &str| own.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(wanted));
        let visible = operation.subscription.eq_ignore_ascii_case(scope.subscription)
            && match scope.kind {
                ScopeKind::Location(location) => crate::util::normalize_location(location) == operation.location,
                ScopeKind::ResourceGroup(group) => same(&operation.resource_group, group),
                ScopeKind::Vault(group, vault) => {
                    same(&operation.resource_group, group) && same(&operation.vault, vault)
                }
                ScopeKind::Instance(group, vault, instance) => {
                    same(&operation.resource_group, group)
                        && same(&operation.vault, vault)
                        && same(&operation.instance, instance)
                }
                ScopeKind::Subscription => true,
            };
        visible.then_some(key)
    }
}

/// Where a status URL looks for an operation.
pub(crate) struct OperationScope<'a> {
    pub subscription: &'a str,
    pub kind: ScopeKind<'a>,
}

pub(crate) enum ScopeKind<'a> {
    Subscription,
    Location(&'a str),
    ResourceGroup(&'a str),
    Vault(&'a str, &'a str),
    Instance(&'a str, &'a str, &'a str),
}
