//! Backup instances' protection states, as the Data Protection service reports them, and the waits that follow
//! them: until protection reaches a state, and until a deleted resource is gone.

use std::future::Future;
use std::time::Duration;

use super::error::{ArmError, ErrorKind};
use super::ids::BackupInstanceId;
use super::models::BackupInstanceResource;
use super::pipeline::{CallContext, Clock};
use super::poller::{PollSchedule, Wake, wait_for_next_poll};

/// Protection is configured and backups run.
pub const CONFIGURED: &str = "ProtectionConfigured";
/// Azure is still setting protection up: keep waiting.
pub const PENDING: &[&str] = &["ConfiguringProtection", "UpdatingProtection"];
/// Configuring protection failed: the instance must be sent again (or synced).
pub const FAILED: &[&str] = &["ConfiguringProtectionFailed", "ProtectionError"];
/// Protection stopped, recovery points kept (stopProtection).
pub const STOPPED: &str = "ProtectionStopped";
/// Backups suspended, recovery points kept (suspendBackups).
pub const SUSPENDED: &str = "BackupSchedulesSuspended";
/// Every spelling of suspended backups Azure reports.
pub const SUSPENDED_ANY: &[&str] = &["BackupSchedulesSuspended", "RetentionSchedulesSuspended"];

/// The states of a deleted instance that a vault with soft delete keeps.
pub const SOFT_DELETED: &[&str] = &["SoftDeleted", "SoftDeleting"];

/// Whether Azure reports `instance` soft-deleted (or being soft-deleted).
pub fn is_soft_deleted(instance: &BackupInstanceResource) -> bool {
    let p = &instance.properties;
    let states =
        [p.current_protection_state.as_deref(), p.protection_status.as_ref().and_then(|s| s.status.as_deref())];
    states.into_iter().flatten().any(|state| is_one_of(state, SOFT_DELETED))
}

/// True when `state` is one of `states`, ignoring case.
pub fn is_one_of(state: &str, states: &[&str]) -> bool {
    states.iter().any(|s| s.eq_ignore_ascii_case(state))
}

/// The current protection state of an instance: `currentProtectionState`, else `protectionStatus.status`.
pub fn current_state(instance: &BackupInstanceResource) -> Option<String> {
    let p = &instance.properties;
    p.current_protection_state
        .clone()
        .or_else(|| p.protection_status.as_ref().and_then(|s| s.status.clone()))
        .filter(|s| !s.is_empty())
}

/// The error for a protection state that is neither pending nor wanted: Azure's own error details when it gave
/// them.
pub fn protection_error(instance: &BackupInstanceResource, state: &str) -> ArmError {
    let p = &instance.properties;
    let details = p
        .protection_status
        .as_ref()
        .and_then(|s| s.error_details.clone())
        .or_else(|| p.protection_error_details.clone());
    let mut error = match details {
        Some(details) => ArmError::from_user_facing(ErrorKind::ProtectionFailed, &details),
        None => ArmError::new(
            ErrorKind::ProtectionFailed,
            format!("the backup instance's protection state became {state}, and Azure gave no details"),
        ),
    };
    error.details.insert(0, format!("Protection state: {state}"));
    error
}

/// Why [`wait_until_gone`] did not see the resource disappear.
#[derive(Debug)]
pub enum NotGone {
    /// A GET failed: whether the resource is gone is not known.
    Unreadable(ArmError),
    /// The resource was still there at the deadline, or Terraform asked the provider to stop.
    StillThere(ArmError),
}

impl NotGone {
    /// The error, whichever kind.
    pub fn into_error(self) -> ArmError {
        match self {
            NotGone::Unreadable(e) | NotGone::StillThere(e) => e,
        }
    }
}

/// Follows a backup instance (first read: `instance`, with the delay it asked for) until its protection state is
/// `target`, reading it again with `get` (the instance with the delay it asks for, `None` when it is gone),
/// honouring the delays Azure asks for, the call's deadline and Terraform's stop. `seen` is called with every read,
/// so that the caller's state stays right to save even when this fails. Pending states are waited out; any other
/// state is Azure's error.
pub async fn wait_for_protection_state<F, Fut>(
    clock: &dyn Clock,
    call: &CallContext,
    id: &BackupInstanceId,
    target: &str,
    (mut instance, mut delay): (BackupInstanceResource, Option<Duration>),
    mut seen: impl FnMut(&BackupInstanceResource) + Send,
    mut get: F,
) -> Result<BackupInstanceResource, ArmError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<(BackupInstanceResource, Option<Duration>)>, ArmError>>,
{
    let what = || format!("waiting for backup instance {id}");
    let mut reads = 0;
    loop {
        seen(&instance);
        let current = current_state(&instance);
        match current.as_deref() {
            Some(s) if s.eq_ignore_ascii_case(target) => return Ok(instance),
            None => {}
            Some(s) if is_one_of(s, PENDING) => {}
            Some(s) => return Err(protection_error(&instance, s).context(what())),
        }
        let next_poll = clock.now() + delay.unwrap_or_else(|| PollSchedule::Write.delay(reads));
        reads += 1;
        let stopped = || {
            ArmError::new(
                ErrorKind::Stopped,
                "Terraform asked the provider to stop while protection was being configured",
            )
            .context(what())
        };
        if wait_for_next_poll(clock, call, next_poll, stopped).await? == Wake::Deadline {
            let mut e = ArmError::new(
                ErrorKind::Timeout,
                format!(
                    "the backup instance was still {} when the {} ran out",
                    current.as_deref().unwrap_or("without a protection state"),
                    call.timeout_label
                ),
            )
            .context(what());
            e.recommended_actions.push(
                "Protection is still being configured in Azure. Run terraform again later to pick up the result, \
                     or raise the timeout in the timeouts block."
                    .to_owned(),
            );
            return Err(e);
        }
        (instance, delay) = get().await?.ok_or_else(|| {
            ArmError::new(
                ErrorKind::InvalidResponse,
                "the backup instance disappeared while protection was being configured",
            )
            .context(what())
        })?;
    }
}

/// After a delete: GETs (through `get`, which answers the delay Azure asks for, or `None` once the resource is
/// gone) until Azure reports 404, honouring the delays, the call's deadline and Terraform's stop.
pub async fn wait_until_gone<F, Fut>(
    clock: &dyn Clock,
    call: &CallContext,
    what: &str,
    mut get: F,
) -> Result<(), NotGone>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<Option<Duration>>, ArmError>>,
{
    let mut reads = 0;
    loop {
        let Some(delay) = get().await.map_err(NotGone::Unreadable)? else { return Ok(()) };
        let next_poll = clock.now() + delay.unwrap_or_else(|| PollSchedule::Write.delay(reads));
        reads += 1;
        let stopped =
            || ArmError::new(ErrorKind::Stopped, "Terraform asked the provider to stop").context(what.to_owned());
        match wait_for_next_poll(clock, call, next_poll, stopped).await.map_err(NotGone::StillThere)? {
            Wake::Due => {}
            Wake::Deadline => {
                return Err(NotGone::StillThere(
                    ArmError::new(
                        ErrorKind::Timeout,
                        format!(
                            "Azure finished the delete, but the resource still existed when the {} ran out",
                            call.timeout_label
                        ),
                    )
                    .context(what.to_owned()),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::arm::pipeline::testing::TestClock;

    const ID: &str =
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/b";

    fn instance(state: &str) -> BackupInstanceResource {
        let mut instance = BackupInstanceResource::default();
        instance.properties.current_protection_state = Some(state.to_owned());
        instance
    }

    fn call(clock: &TestClock) -> CallContext {
        CallContext::new(clock.now(), Duration::from_secs(60), "read timeout (5m)", Default::default())
    }

    /// One read of a wait: the instance and the pause Azure asked for.
    type Read = Result<Option<(BackupInstanceResource, Option<Duration>)>, ArmError>;

    /// Answers the reads of a wait from `reads`, in order.
    fn reads(reads: Vec<(&str, Option<Duration>)>) -> impl FnMut() -> std::future::Ready<Read> {
        let reads =
            Mutex::new(reads.into_iter().map(|(state, delay)| (instance(state), delay)).collect::<VecDeque<_>>());
        move || std::future::ready(Ok(Some(reads.lock().unwrap().pop_front().expect("the test ran out of reads"))))
    }

    #[tokio::test]
    async fn pending_protection_is_waited_out_as_azure_asks() {
        let clock = TestClock::new();
        let call = call(&clock);
        let mut seen = Vec::new();
        let first = (instance("ConfiguringProtection"), Some(Duration::from_secs(30)));
        let record = |i: &BackupInstanceResource| seen.push(current_state(i).unwrap_or_default());
        let get = reads(vec![("ProtectionConfigured", None)]);
        let found =
            wait_for_protection_state(&clock, &call, &ID.parse().unwrap(), CONFIGURED, first, record, get).await;
        assert_eq!(current_state(&found.unwrap()).as_deref(), Some(CONFIGURED));
        assert_eq!(seen, vec!["ConfiguringProtection", "ProtectionConfigured"]);
        assert_eq!(clock.elapsed(), Duration::from_secs(30), "one poll, when Azure asked for it");
    }

    #[tokio::test]
    async fn a_wait_that_outlives_the_timeout_ends_at_the_deadline_and_names_it() {
        let clock = TestClock::new();
        let call = call(&clock);
        let first = (instance("ConfiguringProtection"), Some(Duration::from_secs(40)));
        let get = reads(vec![("ConfiguringProtection", Some(Duration::from_secs(40)))]);
        let error = wait_for_protection_state(&clock, &call, &ID.parse().unwrap(), CONFIGURED, first, |_| {}, get)
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::Timeout);
        assert!(error.message.contains("ConfiguringProtection when the read timeout (5m) ran out"), "{error}");
        assert_eq!(clock.elapsed(), Duration::from_secs(60), "not at the last poll (40 s), at the deadline");
    }

    #[tokio::test]
    async fn a_failed_state_is_azures_error_at_once() {
        let clock = TestClock::new();
        let call = call(&clock);
        let first = (instance("ProtectionError"), None);
        let error =
            wait_for_protection_state(&clock, &call, &ID.parse().unwrap(), CONFIGURED, first, |_| {}, reads(vec![]))
                .await
                .unwrap_err();
        assert_eq!(error.kind, ErrorKind::ProtectionFailed);
        assert!(error.details.contains(&"Protection state: ProtectionError".to_owned()), "{error:?}");
        assert_eq!(clock.elapsed(), Duration::ZERO);
    }
}
