//! Create: an ID Azure holds already is refused, the PUT is followed until protection is configured (sent again
//! while a role Azure has not applied yet is missing), and a failure keeps in state whatever Azure may have created.

use crate::arm::error::{ArmError, ErrorKind};
use crate::arm::ids::BackupInstanceId;
use crate::arm::pipeline::CallContext;
use crate::arm::roles::RolesHeld;
use crate::plugin::interface::{ApplyRequest, ApplyResponse};
use crate::plugin::value::Value;
use crate::resources::common::{arm_error, format_duration};
use crate::resources::instance_kinds::InstanceKind;
use crate::resources::managed::Call;

use super::plan::{already_exists, roles_held};
use super::update::{Step, finish_put, run_steps, update_steps};
use super::{CHECK_AFTER_FAILURE, Model, Private, TARGET_STATE, accepted, attr, attribute_for_code, hint_for};

/// Whether an instance may exist after its create PUT failed with `error`: a GET says so, or cannot say
/// otherwise when the PUT may have reached Azure.
async fn exists_after_failed_put(client: &crate::arm::ArmClient, id: &BackupInstanceId, error: &ArmError) -> bool {
    let call = CallContext::new(
        std::time::Instant::now(),
        CHECK_AFTER_FAILURE,
        format!("check after a failed create ({})", format_duration(CHECK_AFTER_FAILURE)),
        tokio_util::sync::CancellationToken::new(),
    );
    match client.get_backup_instance(&call, id).await {
        Ok(found) => {
            if found.is_some() {
                tracing::warn!(id = %id, "the create failed, but the backup instance exists; keeping it in state");
            }
            found.is_some()
        }
        Err(check) => {
            let maybe_sent = !matches!(error.kind, ErrorKind::Refused | ErrorKind::Authentication);
            tracing::warn!(id = %id, error = %check, "could not check whether the failed create took effect");
            maybe_sent
        }
    }
}

/// Creates the planned instance: PUT, the operation, protection, then the protection state the plan asks for.
pub(super) async fn create<K: InstanceKind>(azure: &Call, request: &ApplyRequest) -> ApplyResponse {
    let mut response = ApplyResponse::default();
    let Some(model) = Model::from_value::<K>(&request.planned_state) else {
        response.diagnostics.error(
            "Backup instance arguments not known",
            "Some arguments were still unknown when the instance was to be created. This is a bug in the provider.",
        );
        return response;
    };
    let (call, client) = (&azure.context, azure.client());
    let id = &model.id;
    let what = format!("creating backup instance {id}");

    // An instance with this ID that exists now is not this state's: its create was planned as new, and a
    // create cut off after Azure accepted it is in state already (tainted). Only a PUT of this very call that
    // took effect although its answer was lost is taken as this state's, further down.
    match client.get_backup_instance(call, id).await {
        Ok(None) => {}
        Ok(Some(existing)) => {
            already_exists::<K>(&mut response.diagnostics, id, &existing);
            return response;
        }
        Err(error) => {
            arm_error(&mut response.diagnostics, &error.context(what.clone()), None, None);
            return response;
        }
    }

    let mut operation = match client.begin_put_backup_instance(call, id, &model.to_resource(), &what).await {
        Ok(operation) => operation,
        Err(error) => {
            let path = attribute_for_code::<K>(error.code.as_deref());
            arm_error(&mut response.diagnostics, &error, path, hint_for::<K>(&error));
            // An earlier try may have taken effect even though the last one failed (an answer lost on the
            // way back, a stop or a deadline while the request was in flight): keep what exists.
            if exists_after_failed_put(client, id, &error).await {
                let mut state = accepted(&request.planned_state);
                state.set_attr(attr::id, Value::from(id.to_string()));
                response.private = Private::of_state(&state);
                response.new_state = state;
            }
            return response;
        }
    };
    // Azure has accepted the PUT: the instance may exist from here on, so every return carries its ID.
    let mut state = accepted(&request.planned_state);
    state.set_attr(attr::id, Value::from(id.to_string()));
    tracing::info!(id = %id, "backup instance accepted; following the operation");
    let planned = &request.planned_state;
    let mut result = finish_put::<K>(client, call, &mut operation, id, planned, &mut state).await;
    // Protection failed for a permission the vault's identity holds but Azure has not applied yet (no
    // validation at plan, or roles assigned between plan and apply): send the instance again once it has.
    let mut propagation = client.role_propagation();
    while let Err(error) = &result
        && error.code.as_deref() == Some("UserErrorMissingRequiredPermissions")
        && propagation.fits_before(call.deadline)
        && matches!(roles_held::<K>(client, call, &model).await, Ok(RolesHeld::All(..)))
    {
        tracing::info!(
            id = %id,
            pause_s = propagation.pause().as_secs(),
            "protection failed for roles the vault's identity holds but Azure has not applied yet; sending the \
             instance again after a pause"
        );
        if !propagation.sleep(call).await {
            break;
        }
        result = run_steps::<K>(client, call, &model, planned, (&mut state, &mut true), &[Step::Put]).await;
    }
    if result.is_ok() {
        // Protection is configured; a configuration that asks for it stopped or suspended gets that next.
        let steps =
            update_steps(TARGET_STATE, planned.attr(attr::protection_state).as_str().unwrap_or(TARGET_STATE), true);
        result = run_steps::<K>(client, call, &model, planned, (&mut state, &mut true), &steps).await;
    }
    if let Err(error) = result {
        let path = attribute_for_code::<K>(error.code.as_deref());
        let hint = match error.kind {
            // Cut off while Azure was still at work: Terraform keeps the instance, tainted.
            ErrorKind::Stopped | ErrorKind::Timeout => Some(format!(
                "{id} exists in Azure and is kept in Terraform's state, marked tainted, so nothing is orphaned. \
                 Azure goes on configuring its protection. As it stands, the next apply replaces it (deletes \
                 it and creates it again). To keep it instead, run terraform untaint <address of this {}> once \
                 Azure reports it ProtectionConfigured; the next plan then shows whatever is left to do.",
                K::TYPE_NAME
            )),
            _ => hint_for::<K>(&error).map(str::to_owned),
        };
        arm_error(&mut response.diagnostics, &error, path, hint.as_deref());
    }
    response.private = Private::of_state(&state);
    response.new_state = state;
    response
}
