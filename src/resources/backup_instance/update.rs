//! Update: the steps from one protection state to another (a new policy, resuming, stopping, suspending), and what
//! a failed update left, in its error.

use std::time::Duration;

use crate::arm::client::InstanceAction;
use crate::arm::error::{ArmError, ErrorKind};
use crate::arm::ids::BackupInstanceId;
use crate::arm::models::BackupInstanceResource;
use crate::arm::pipeline::CallContext;
use crate::plugin::interface::{ApplyRequest, ApplyResponse};
use crate::plugin::value::Value;
use crate::resources::common::{arm_error, format_duration};
use crate::resources::instance_kinds::InstanceKind;
use crate::resources::managed::Call;

use super::plan::{body_changes, modify_body};
use super::{
    CHECK_AFTER_FAILURE, Model, PENDING_STATES, PROTECTION_ERROR_STATE, Private, STOPPED_STATE, SUSPENDED_STATE,
    SUSPENDED_STATES, TARGET_STATE, accepted, attr, attribute_for_code, hint_for, protection_state, state_from_azure,
};

/// After an accepted PUT: follow the operation, GET, and wait for protection. `state` is kept up to date with
/// what is known, so that it is right to save even when this fails.
pub(super) async fn finish_put<K: InstanceKind>(
    client: &crate::arm::ArmClient,
    call: &CallContext,
    operation: &mut crate::arm::poller::Operation,
    id: &BackupInstanceId,
    planned: &Value,
    state: &mut Value,
) -> Result<(), ArmError> {
    operation.wait(call).await?;
    let Some((instance, delay)) = client.get_backup_instance_polled(call, id).await? else {
        return Err(ArmError::new(
            ErrorKind::InvalidResponse,
            "Azure reported the operation as succeeded, but the backup instance does not exist",
        )
        .context(format!("waiting for backup instance {id}")));
    };
    await_state::<K>(client, call, id, planned, state, (instance, delay), TARGET_STATE).await
}

/// One thing an apply does to bring protection to the state the plan says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// PUT the instance (a new policy, or protection whose configuration failed), then wait for protection.
    Put,
    /// Wait for protection Azure is still configuring (an apply was interrupted while waiting).
    Wait,
    /// An action, then wait for the state it leads to.
    Act(InstanceAction, &'static str),
}

/// The steps from the protection state `current` (as last read from Azure) to `desired`, with or without a new
/// policy. Empty when there is nothing to tell Azure.
pub(super) fn update_steps(current: &str, desired: &str, same_policy: bool) -> Vec<Step> {
    let is = |states: &[&str]| states.iter().any(|s| s.eq_ignore_ascii_case(current));
    let wants = |state: &str| state.eq_ignore_ascii_case(desired);
    let mut steps = Vec::new();
    if !same_policy {
        steps.push(Step::Put);
    } else if is(PENDING_STATES) {
        steps.push(Step::Wait);
    } else if is(&[STOPPED_STATE]) {
        if !wants(STOPPED_STATE) {
            steps.push(Step::Act(InstanceAction::ResumeProtection, TARGET_STATE));
        }
    } else if is(SUSPENDED_STATES) {
        if !wants(SUSPENDED_STATE) {
            steps.push(Step::Act(InstanceAction::ResumeBackups, TARGET_STATE));
        }
    } else if is(&[PROTECTION_ERROR_STATE]) {
        // Protection was configured and later failed (a permission removed, say): Azure's sync retries what failed,
        // which is what brings it back once the cause is fixed.
        steps.push(Step::Act(InstanceAction::Sync, TARGET_STATE));
    } else if !is(&[TARGET_STATE]) {
        // Configuring protection failed, or a state this provider does not know: send the instance again.
        steps.push(Step::Put);
    }
    let reached = if steps.is_empty() { current } else { TARGET_STATE };
    if wants(STOPPED_STATE) && !reached.eq_ignore_ascii_case(STOPPED_STATE) {
        steps.push(Step::Act(InstanceAction::StopProtection, STOPPED_STATE));
    } else if wants(SUSPENDED_STATE) && !SUSPENDED_STATES.iter().any(|s| s.eq_ignore_ascii_case(reached)) {
        steps.push(Step::Act(InstanceAction::SuspendBackups, SUSPENDED_STATE));
    }
    steps
}

/// Runs `steps` for the instance of `model`. `state` is kept up to date with what is known once Azure has
/// accepted a step, so that it is right to save even when this fails; `sent` turns true once a request that
/// changes the instance has been sent.
pub(super) async fn run_steps<K: InstanceKind>(
    client: &crate::arm::ArmClient,
    call: &CallContext,
    model: &Model,
    planned: &Value,
    (state, sent): (&mut Value, &mut bool),
    steps: &[Step],
) -> Result<(), ArmError> {
    let id = &model.id;
    for step in steps {
        let (what, target) = match step {
            Step::Put => {
                let what = format!("updating backup instance {id}");
                // Start from the object Azure holds, so that what this resource does not manage is kept.
                let existing = client.get_backup_instance(call, id).await.map_err(|e| e.context(what.clone()))?;
                let body = modify_body::<K>(model, existing.as_ref());
                *sent = true;
                let mut operation = client.begin_put_backup_instance(call, id, &body, &what).await?;
                // Accepted: the protection state is Azure's to tell from here on.
                *state = accepted(planned);
                finish_put::<K>(client, call, &mut operation, id, planned, state).await?;
                continue;
            }
            Step::Wait => (format!("waiting for backup instance {id}"), TARGET_STATE),
            Step::Act(action, target) => {
                let what = format!("{} of backup instance {id}", action.describe());
                *sent = true;
                let Some(mut operation) = client.begin_instance_action(call, id, *action).await? else {
                    return Err(
                        ArmError::new(ErrorKind::InvalidResponse, "the backup instance no longer exists").context(what)
                    );
                };
                *state = accepted(planned);
                operation.wait(call).await?;
                (what, *target)
            }
        };
        let Some((instance, delay)) = client.get_backup_instance_polled(call, id).await? else {
            return Err(ArmError::new(ErrorKind::InvalidResponse, "the backup instance no longer exists").context(what));
        };
        await_state::<K>(client, call, id, planned, state, (instance, delay), target).await?;
    }
    Ok(())
}

/// Follows the instance (first read: `instance`, with the delay it asked for) until its protection state is
/// `target`. `state` is kept up to date with every read, so that it is right to save even when this fails.
async fn await_state<K: InstanceKind>(
    client: &crate::arm::ArmClient,
    call: &CallContext,
    id: &BackupInstanceId,
    planned: &Value,
    state: &mut Value,
    first: (BackupInstanceResource, Option<Duration>),
    target: &str,
) -> Result<(), ArmError> {
    let seen = |instance: &BackupInstanceResource| *state = state_from_azure::<K>(planned, id, instance);
    client.wait_for_protection_state(call, id, target, first, seen).await.map(|_| ())
}

/// True when `error` means Azure never took the request that failed: it was not sent, or Azure refused it outright.
fn refused_outright(error: &ArmError) -> bool {
    match error.kind {
        ErrorKind::Refused | ErrorKind::Authentication => true,
        ErrorKind::Response => error.status.is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429),
        _ => false,
    }
}

/// What a failed update left, for its error (`error`). Unless Azure plainly refused the first step, the instance
/// is read back (within [`CHECK_AFTER_FAILURE`], as the update's own deadline may be over) and `state` keeps what
/// Azure reports; the sentence says which state the instance is in and how the next plan and apply converge.
async fn after_failed_update<K: InstanceKind>(
    client: &crate::arm::ArmClient,
    id: &BackupInstanceId,
    (prior, planned): (&Value, &Value),
    state: &mut Value,
    error: &ArmError,
) -> String {
    let accepted = state != prior;
    if !accepted && refused_outright(error) {
        return format!("Azure did not accept the change, so backup instance {id} is as it was.");
    }
    let call = CallContext::new(
        std::time::Instant::now(),
        CHECK_AFTER_FAILURE,
        format!("check after a failed update ({})", format_duration(CHECK_AFTER_FAILURE)),
        tokio_util::sync::CancellationToken::new(),
    );
    let instance = match client.get_backup_instance(&call, id).await {
        Ok(Some(instance)) => instance,
        Ok(None) => {
            return format!(
                "Backup instance {id} no longer exists in Azure: the next refresh removes it from state and the next \
                 plan creates it."
            );
        }
        Err(check) => {
            return format!(
                "Backup instance {id} could not be read back to tell what Azure made of the change ({}): the next \
                 refresh reads it, and the next plan shows what remains to change.",
                check.summary()
            );
        }
    };
    *state = state_from_azure::<K>(if accepted { planned } else { prior }, id, &instance);
    let Some(current) = protection_state(&instance) else {
        return format!(
            "Azure reports no protection state for backup instance {id}; the next plan shows what remains to change."
        );
    };
    let desired = planned.attr(attr::protection_state).as_str().unwrap_or(TARGET_STATE);
    let next = match update_steps(&current, desired, true).first() {
        None => {
            return format!(
                "Azure reports backup instance {id} in state {current}; the next plan shows what remains to change."
            );
        }
        Some(Step::Put) => "sends the instance again".to_owned(),
        Some(Step::Wait) => "waits for Azure to finish configuring protection".to_owned(),
        Some(Step::Act(action, _)) => format!("runs {}", action.describe()),
    };
    format!(
        "The backup instance is left in the state Azure reports, {current}: the next plan shows protection_state \
         changing back to {desired}, and the next apply {next}."
    )
}

/// Brings the instance from its state in `request` to the planned one: the steps between protection states, and
/// what a failed one left.
pub(super) async fn update<K: InstanceKind>(azure: &Call, request: &ApplyRequest) -> ApplyResponse {
    let mut response = ApplyResponse::default();
    let prior = &request.prior_state;
    let planned = &request.planned_state;
    let same_policy = !body_changes::<K>(prior, planned);
    let current = prior.attr(attr::protection_state).as_str().unwrap_or("");
    let desired = planned.attr(attr::protection_state).as_str().unwrap_or(TARGET_STATE);
    let steps = update_steps(current, desired, same_policy);
    if steps.is_empty() {
        // Only Terraform-side settings (timeouts, retain_data_on_destroy) changed: nothing to tell Azure.
        response.private = Private::of_state(planned);
        response.new_state = planned.clone();
        return response;
    }
    let Some(model) = Model::from_value::<K>(planned) else {
        response.diagnostics.error("Backup instance arguments not known", "This is a bug in the provider.");
        response.new_state = prior.clone();
        return response;
    };
    // Until Azure accepts a step, the state stays what it was.
    let mut state = prior.clone();
    // A policy delete in this apply waits for instances that leave its policy.
    let policy_move = crate::resources::moves::begin_policy_move(prior, planned);
    let client = azure.client();
    let mut sent = false;
    let result = run_steps::<K>(client, &azure.context, &model, planned, (&mut state, &mut sent), &steps).await;
    if let Some(policy_move) = policy_move {
        policy_move.finish(result.is_ok());
    }
    if let Err(error) = result {
        let left = if sent {
            after_failed_update::<K>(client, &model.id, (prior, planned), &mut state, &error).await
        } else {
            // Only reads failed: Azure was asked for nothing, and the state holds the last read.
            format!(
                "Nothing was sent to change backup instance {}, so it is as Azure last reported it: the next plan \
                 shows what remains to change.",
                model.id
            )
        };
        let hint = match hint_for::<K>(&error) {
            Some(hint) => format!("{hint}\n\n{left}"),
            None => left,
        };
        arm_error(&mut response.diagnostics, &error, attribute_for_code::<K>(error.code.as_deref()), Some(&hint));
    }
    response.private = Private::of_state(&state);
    response.new_state = state;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_request_azure_never_took_counts_as_refused_outright() {
        let answered = |status: u16| {
            let mut error = ArmError::new(ErrorKind::Response, "no");
            error.status = Some(status);
            error
        };
        assert!(refused_outright(&answered(400)));
        assert!(refused_outright(&answered(409)));
        assert!(refused_outright(&ArmError::new(ErrorKind::Authentication, "no token")));
        for maybe_taken in [answered(408), answered(429), answered(500), answered(503)] {
            assert!(!refused_outright(&maybe_taken), "{maybe_taken:?}");
        }
        assert!(!refused_outright(&ArmError::new(ErrorKind::Transport, "reset")));
        assert!(!refused_outright(&ArmError::new(ErrorKind::Timeout, "deadline")));
        assert!(!refused_outright(&ArmError::new(ErrorKind::OperationFailed, "failed")));
    }

    #[test]
    fn update_steps_go_from_the_current_state_to_the_wanted_one() {
        use InstanceAction::*;
        let resume = Step::Act(ResumeProtection, TARGET_STATE);
        let stop = Step::Act(StopProtection, STOPPED_STATE);
        for (current, desired, same_policy, steps) in [
            ("ProtectionConfigured", TARGET_STATE, true, vec![]),
            ("ProtectionConfigured", TARGET_STATE, false, vec![Step::Put]),
            ("ConfiguringProtection", TARGET_STATE, true, vec![Step::Wait]),
            ("ProtectionError", TARGET_STATE, true, vec![Step::Act(Sync, TARGET_STATE)]),
            ("ProtectionError", TARGET_STATE, false, vec![Step::Put]),
            ("ConfiguringProtectionFailed", TARGET_STATE, true, vec![Step::Put]),
            ("ProtectionStopped", TARGET_STATE, true, vec![resume]),
            ("ProtectionStopped", STOPPED_STATE, true, vec![]),
            ("BackupSchedulesSuspended", TARGET_STATE, true, vec![Step::Act(ResumeBackups, TARGET_STATE)]),
            ("RetentionSchedulesSuspended", SUSPENDED_STATE, true, vec![]),
            ("ProtectionConfigured", STOPPED_STATE, true, vec![stop]),
            ("ProtectionConfigured", STOPPED_STATE, false, vec![Step::Put, stop]),
            ("ProtectionStopped", SUSPENDED_STATE, true, vec![resume, Step::Act(SuspendBackups, SUSPENDED_STATE)]),
        ] {
            assert_eq!(update_steps(current, desired, same_policy), steps, "{current} -> {desired}");
        }
    }
}
