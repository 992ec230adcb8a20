//! Operation status (`Azure-AsyncOperation` targets) and operation results (`Location` targets), at every scope
//! the service uses.

use crate::util::set_field;
use axum::http::{HeaderName, Method, StatusCode, header};
use serde_json::{Value, json};

use super::{Context, Reply, retry_headers};
use crate::error::{ArmError, arm};
use crate::settings::{OperationKind, Spellings};
use crate::util::{format_precise, format_seconds, lock};
use crate::world::{InstanceKey, OperationScope, ScopeKind, Status, Target, World, render_instance};

/// What an unfinished operation reports as its end time, exactly as the service does (recorded in 2025 and 2026,
/// with the `Z` the 2021 docs trace in CONTRACT.md §4 lacked).
const NO_END_TIME: &str = "0001-01-01T00:00:00Z";

fn find(context: &Context<'_>, world: &World, scope: &OperationScope<'_>, id: &str) -> Result<String, ArmError> {
    if context.method != Method::GET && context.method != Method::HEAD {
        return Err(arm::method_not_allowed(context.method.as_str()));
    }
    // A polling URL handed out with ARM's signed tail must come back with it intact (one without it is served
    // too, as clients that build status URLs themselves send them).
    if let Some(signature) = context.query.get("s") {
        let ticks = context.query.get("t").map(String::as_str).unwrap_or_default();
        if !crate::util::polling_signature_matches(&context.path, ticks, signature) {
            return Err(ArmError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "InvalidPollingUrlSignature",
                "The signature of the polling URL does not match its path; use the URL exactly as it was returned.",
            ));
        }
    }
    world.find_operation(id, scope).ok_or_else(|| arm::dpp_not_found("operation", id, &context.activity_id))
}

/// GET of an operation status URL: always 200 with the operation resource while it can be read.
pub(super) fn status(context: &Context<'_>, scope: &OperationScope<'_>, id: &str) -> Result<Reply, ArmError> {
    let mut core = lock(&context.state.core);
    let key = find(context, &core.world, scope, id)?;
    let early = core.world.poll_operation(&key, context.now).unwrap_or(false);
    let operation =
        core.world.operations.get(&key).ok_or_else(|| arm::dpp_not_found("operation", id, &context.activity_id))?;
    let mut body = json!({
        "id": context.path,
        "name": operation.id,
        "status": operation.status.as_str(),
        "startTime": format_precise(operation.start_ms),
        "endTime": operation.end_ms.map_or_else(|| NO_END_TIME.to_owned(), format_seconds),
    });
    if let Some(error) = &operation.error {
        set_field(&mut body, "error", error.clone());
    }
    if operation.status == Status::Succeeded
        && let Some(job) = &operation.job_id
        && operation.kind == OperationKind::AdhocBackup
    {
        set_field(&mut body, "properties", json!({ "objectType": "OperationJobExtendedInfo", "jobId": job }));
    }
    let headers = if operation.status == Status::InProgress { retry_headers(operation) } else { Vec::new() };
    let mut reply = Reply::json(StatusCode::OK, body).with_headers(headers);
    reply.early = early;
    Ok(reply)
}

/// GET of an operation result URL: 202 without a body while running; then what the original request would have
/// answered synchronously, or the operation's error with an error status.
pub(super) fn result(context: &Context<'_>, scope: &OperationScope<'_>, id: &str) -> Result<Reply, ArmError> {
    let mut core = lock(&context.state.core);
    let key = find(context, &core.world, scope, id)?;
    let early = core.world.poll_operation(&key, context.now).unwrap_or(false);
    let operation =
        core.world.operations.get(&key).ok_or_else(|| arm::dpp_not_found("operation", id, &context.activity_id))?;
    let mut reply = match operation.status {
        Status::InProgress => {
            let mut headers: Vec<(HeaderName, String)> = vec![(header::LOCATION, context.request_url())];
            headers.extend(retry_headers(operation));
            Reply::empty(StatusCode::ACCEPTED).with_headers(headers)
        }
        Status::Failed | Status::Canceled => {
            let body = operation
                .error
                .clone()
                .unwrap_or_else(|| json!({ "code": "OperationFailed", "message": "The operation failed." }));
            let status = StatusCode::from_u16(operation.error_status).unwrap_or(StatusCode::BAD_REQUEST);
            return Err(ArmError { status, body, headers: Vec::new() });
        }
        Status::Succeeded => {
            let spellings = &core.settings.spellings;
            let reply = success(
                context,
                &core.world,
                spellings,
                operation.kind,
                operation.target.as_ref(),
                operation.job_id.as_deref(),
            )?;
            if let ScopeKind::Location(location) = scope.kind {
                // Recorded: a location-scope result names the location-scope status URL once it is over.
                let status_path = format!(
                    "{}/operationStatus/{}",
                    super::instances::location_scope(scope.subscription, location),
                    operation.id
                );
                reply.with_headers(vec![(
                    HeaderName::from_static("azure-asyncoperation"),
                    context.polling_url(&status_path),
                )])
            } else {
                reply
            }
        }
    };
    reply.early = early;
    Ok(reply)
}

fn success(
    context: &Context<'_>,
    world: &World,
    spellings: &Spellings,
    kind: OperationKind,
    target: Option<&Target>,
    job: Option<&str>,
) -> Result<Reply, ArmError> {
    // Recorded: `{"objectType": "OperationJobExtendedInfo"}`, with the job's ID when the operation started a job.
    let job_info = |job: Option<&str>| match job {
        Some(job) => json!({ "objectType": "OperationJobExtendedInfo", "jobId": job }),
        None => json!({ "objectType": "OperationJobExtendedInfo" }),
    };
    Ok(match (kind, target) {
        (OperationKind::BackupInstanceCreateOrUpdate, Some(Target::Instance(key))) => {
            let instance = world.instance(key).ok_or_else(|| gone(context, key))?;
            Reply::json(StatusCode::OK, render_instance(instance, spellings))
        }
        (OperationKind::BackupVaultCreateOrUpdate | OperationKind::BackupVaultUpdate, Some(Target::Vault(key))) => {
            match world.vaults.get(key) {
                Some(vault) => Reply::json(StatusCode::OK, World::render_vault(vault, spellings)),
                None => Reply::empty(StatusCode::NO_CONTENT),
            }
        }
        (OperationKind::ResourceGroupDelete | OperationKind::ProviderRegistration, _) => {
            Reply::json(StatusCode::OK, Value::Null).without_body()
        }
        // Deletes, validations and the instance actions: recorded as 200 with the job information (not 204).
        _ => Reply::json(StatusCode::OK, job_info(job)),
    })
}

fn gone(context: &Context<'_>, key: &InstanceKey) -> ArmError {
    arm::dpp_not_found("backup instance", &format!("{}/backupinstances/{}", key.vault, key.name), &context.activity_id)
}

impl Reply {
    fn without_body(mut self) -> Reply {
        self.body = None;
        self
    }
}
