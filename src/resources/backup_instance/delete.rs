//! Delete: the instance with its recovery points, or (`retain_data_on_destroy`) its protection stopped and the
//! recovery points kept.

use crate::arm::error::{ArmError, ErrorKind};
use crate::arm::ids::BackupInstanceId;
use crate::arm::pipeline::CallContext;
use crate::arm::protection::NotGone;
use crate::plugin::interface::{ApplyRequest, ApplyResponse};
use crate::plugin::value::Value;
use crate::resources::common::{arm_error, format_duration};
use crate::resources::configuration::Configured;
use crate::resources::instance_kinds::InstanceKind;
use crate::resources::managed::Call;

use super::{CHECK_AFTER_FAILURE, STOPPED_STATE, attr, hint_for};

/// True when destroying the instance in `state` stops protection and keeps its recovery points.
pub(super) fn retains_data(state: &Value) -> bool {
    state.attr(attr::retain_data_on_destroy).as_bool() == Some(true)
}

/// stopProtection, followed to its end. An instance that no longer exists has nothing to stop.
async fn stop_protection(configured: &Configured, call: &CallContext, id: &BackupInstanceId) -> Result<(), ArmError> {
    let client = &configured.client;
    if let Some(mut operation) = client.begin_stop_protection(call, id).await? {
        operation.wait(call).await?;
    }
    Ok(())
}

/// Whether a GET finds the instance gone after its delete failed with `error` (a DELETE that took effect although
/// its answer, its operation's status or the confirming GET was lost). False when that cannot be told.
async fn gone_after_failed_delete(client: &crate::arm::ArmClient, id: &BackupInstanceId, error: &ArmError) -> bool {
    if matches!(error.kind, ErrorKind::Refused | ErrorKind::Authentication) {
        return false;
    }
    let call = CallContext::new(
        std::time::Instant::now(),
        CHECK_AFTER_FAILURE,
        format!("check after a failed delete ({})", format_duration(CHECK_AFTER_FAILURE)),
        tokio_util::sync::CancellationToken::new(),
    );
    matches!(client.get_backup_instance(&call, id).await, Ok(None))
}

/// Why a delete did not end cleanly.
struct DeleteFailure {
    error: ArmError,
    /// Azure reported the delete as done, and only reading the instance back failed.
    unconfirmed: bool,
}

/// DELETE, follow the operation, and GET until Azure reports 404.
async fn delete_and_confirm(
    configured: &Configured,
    call: &CallContext,
    id: &BackupInstanceId,
) -> Result<(), DeleteFailure> {
    let client = &configured.client;
    let failed = |error: ArmError| DeleteFailure { error, unconfirmed: false };
    if let Some(mut operation) = client.begin_delete_backup_instance(call, id).await.map_err(failed)? {
        operation.wait(call).await.map_err(failed)?;
    }
    let what = format!("deleting backup instance {id}");
    client
        .wait_until_gone(call, &what, || async {
            Ok(client.get_backup_instance_polled(call, id).await?.map(|(_, delay)| delay))
        })
        .await
        .map_err(|not_gone| match not_gone {
            NotGone::Unreadable(error) => DeleteFailure { error, unconfirmed: true },
            NotGone::StillThere(error) => failed(error),
        })
}

/// Deletes the instance and confirms it is gone, or stops its protection and keeps it when it retains its data.
pub(super) async fn delete<K: InstanceKind>(
    azure: &Call,
    id: &BackupInstanceId,
    request: &ApplyRequest,
) -> ApplyResponse {
    let mut response = ApplyResponse::default();
    let prior = &request.prior_state;
    let (configured, call) = (&azure.configured, &azure.context);
    if retains_data(prior) {
        let stopped =
            prior.attr(attr::protection_state).as_str().is_some_and(|s| s.eq_ignore_ascii_case(STOPPED_STATE));
        let result = if stopped { Ok(()) } else { stop_protection(configured, call, id).await };
        match result {
            Ok(()) => {
                response.diagnostics.warning(
                    "Backup instance kept in Azure with its recovery points",
                    format!(
                        "Protection of {id} was stopped and its recovery points were kept \
                         (retain_data_on_destroy = true). It is no longer in Terraform's state, and it keeps \
                         costing storage until it is deleted in Azure."
                    ),
                );
                response.new_state = Value::Null;
            }
            Err(error) => {
                arm_error(&mut response.diagnostics, &error, None, hint_for::<K>(&error));
                response.new_state = prior.clone();
            }
        }
        return response;
    }
    match delete_and_confirm(configured, call, id).await {
        Ok(()) => response.new_state = Value::Null,
        Err(DeleteFailure { error, unconfirmed: true }) => {
            // Azure said the delete is done; the GET that double-checks it is what failed.
            response.diagnostics.warning(
                format!("Backup instance {} deleted", id.name),
                format!(
                    "Azure reported the delete as finished. Reading the backup instance back to confirm it failed \
                     ({}), so it is removed from state on Azure's word.",
                    error.summary()
                ),
            );
            response.new_state = Value::Null;
        }
        Err(DeleteFailure { error, .. }) if gone_after_failed_delete(&configured.client, id, &error).await => {
            // Following the delete failed, but it did its work: state must not keep what no longer exists.
            response.diagnostics.warning(
                format!("Backup instance {} deleted", id.name),
                format!(
                    "Following the delete did not succeed ({}), but a final check found that the backup instance \
                     no longer exists, so it is removed from state.",
                    error.summary()
                ),
            );
            response.new_state = Value::Null;
        }
        Err(DeleteFailure { error, .. }) => {
            arm_error(&mut response.diagnostics, &error, None, hint_for::<K>(&error));
            response.new_state = prior.clone();
        }
    }
    response
}
