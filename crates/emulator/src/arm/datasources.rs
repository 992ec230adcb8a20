//! The routes of the resource types datasources are (managed disks, storage accounts, AKS clusters, flexible
//! servers): each kind's module serves its own (`world::kinds`); this hands it the request and sends its answer.

use super::{Context, Reply};
use crate::error::ArmError;
use crate::util::lock;
use crate::world::kinds::{DatasourcePath, ResourceRequest};

/// Serves one datasource route.
pub(super) fn datasource(
    context: &Context<'_>,
    subscription: &str,
    resource_group: &str,
    path: &DatasourcePath,
) -> Result<Reply, ArmError> {
    let mut guard = lock(&context.state.core);
    let body = || context.required_body();
    let request = ResourceRequest {
        method: &context.method,
        subscription,
        resource_group,
        path,
        body: &body,
        now_ms: context.now,
    };
    let answer = path.resource_type.serve(&mut guard.world, &request)?;
    Ok(match answer.body {
        Some(body) => Reply::json(answer.status, body),
        None => Reply::empty(answer.status),
    })
}
