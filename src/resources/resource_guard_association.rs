//! `dataprotection_backup_vault_resource_guard_association`: a backup vault's association with a resource guard
//! (the vault's resource guard proxy, `{vault}/backupResourceGuardProxies/DppResourceGuardProxy`), which turns on
//! multi-user authorisation (MUA) for the vault.
//!
//! While the association exists, Azure asks for an authorisation from the resource guard before each critical
//! operation on the vault that the guard does not exclude: deleting a backup instance, stopping or suspending its
//! protection, changing its policy, restoring, reducing immutability, changing the encryption settings, and
//! deleting the association itself. Such an authorisation is an `unlockDelete` call (for the deletes) that only a
//! principal with rights on the guard (in its own subscription, usually held by a security administrator) can make.
//!
//! Destroy follows Azure's rule for disabling MUA: it POSTs `unlockDelete` naming the guard's
//! `deleteResourceGuardProxyRequests` request and the association, then DELETEs it. When the principal Terraform
//! runs as has no rights on the guard, the unlock fails and the association stays, as MUA intends.

use async_trait::async_trait;

use crate::arm::error::ArmError;
use crate::arm::ids::{BackupVaultId, ResourceGuardId, ResourceGuardProxyId};
use crate::arm::models::{ResourceGuardProxy, ResourceGuardProxyResource, UnlockDeleteRequest};
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::interface::{ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, ReadResponse};
use crate::plugin::schema::{Block, Schema};
use crate::plugin::value::{Type, Value};

use super::common::{self, DEFAULT_TIMEOUTS, arm_error};
use super::managed::{Call, ManagedResource, PlanContext};
use super::model::{self, Spelling};

/// The resource type name.
pub const TYPE_NAME: &str = "dataprotection_backup_vault_resource_guard_association";

/// The name Azure gives a vault's one resource guard proxy.
pub const PROXY_NAME: &str = ResourceGuardProxyId::NAME;

/// The critical operation that deleting the association is.
const PROXY_DELETE: &str = "Microsoft.DataProtection/backupVaults/backupResourceGuardProxies/delete";

/// The `dataprotection_backup_vault_resource_guard_association` resource.
#[derive(Debug, Default)]
pub struct ResourceGuardAssociationType;

model::attributes! {
    /// An association's attributes, in schema order.
    pub(crate) struct AssociationObject, names in attr {
        id: String => computed(Type::String)
            .description("The ARM ID of the association: the vault's resource guard proxy."),
        vault_id: String => required(Type::String)
            .force_new()
            .description("The ARM ID of the backup vault that the resource guard protects."),
        resource_guard_id: String => required(Type::String)
            .force_new()
            .description("The ARM ID of the resource guard (`dataprotection_resource_guard`), in any subscription."),
        timeouts: serde_json::Value,
    }
}

const SPELLINGS: model::Spellings =
    &[(attr::id, Spelling::Id), (attr::vault_id, Spelling::Id), (attr::resource_guard_id, Spelling::Id)];

fn proxy_id(vault: BackupVaultId) -> ResourceGuardProxyId {
    ResourceGuardProxyId { vault, name: PROXY_NAME.to_owned() }
}

/// The state of an association as Azure reports it, keeping the spellings of `prior` that are the same value.
fn state_from_azure(prior: &Value, id: &ResourceGuardProxyId, proxy: &ResourceGuardProxyResource) -> Value {
    let state = AssociationObject {
        id: Some(id.to_string()),
        vault_id: Some(id.vault.to_string()),
        resource_guard_id: proxy
            .properties
            .resource_guard_resource_id
            .clone()
            .or_else(|| prior.attr(attr::resource_guard_id).as_str().map(str::to_owned)),
        timeouts: None,
    };
    model::read_back(&state, ResourceGuardAssociationType::state_type(), prior, SPELLINGS)
}

fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Associates a backup vault with a resource guard, which turns on multi-user authorisation \
                          for the vault's critical operations. Destroying the association is itself a critical \
                          operation: it needs an authorisation from the resource guard."
                .to_owned(),
            attributes: AssociationObject::attributes(),
            blocks: vec![common::timeouts_block(DEFAULT_TIMEOUTS)],
            deprecated: false,
        }
        .with_force_new_sentences("resource guard association"),
    }
}

fn validate_config(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(id) = config.attr(attr::vault_id).as_str()
        && let Err(e) = id.parse::<BackupVaultId>()
    {
        diags.attribute_error(AttributePath::root(attr::vault_id), "Invalid backup vault ID", format!("{e}."));
    }
    if let Some(id) = config.attr(attr::resource_guard_id).as_str()
        && let Err(e) = id.parse::<ResourceGuardId>()
    {
        diags.attribute_error(
            AttributePath::root(attr::resource_guard_id),
            "Invalid resource guard ID",
            format!("{e}."),
        );
    }
    common::validate_timeouts(config, &mut diags);
    diags
}

/// Unlocks the delete of the association with the request the proxy names for it (or the guard's default one),
/// then deletes it.
async fn unlock_and_delete(azure: &Call, id: &ResourceGuardProxyId) -> Result<(), ArmError> {
    let (call, client) = (&azure.context, azure.client());
    let Some(proxy) = client.get_resource_guard_proxy(call, id).await? else { return Ok(()) };
    let named = proxy.properties.resource_guard_operation_details.iter().find_map(|d| {
        d.vault_critical_operation
            .as_deref()
            .filter(|op| op.eq_ignore_ascii_case(PROXY_DELETE))
            .and(d.default_resource_request.clone())
    });
    let request = named.or_else(|| {
        proxy
            .properties
            .resource_guard_resource_id
            .as_ref()
            .map(|guard| format!("{guard}/deleteResourceGuardProxyRequests/default"))
    });
    if let Some(request) = request {
        let body = UnlockDeleteRequest {
            resource_guard_operation_requests: vec![request],
            resource_to_be_deleted: id.to_string(),
        };
        client.unlock_delete(call, id, &body).await?;
    }
    client.delete_resource_guard_proxy(call, id).await?;
    Ok(())
}

#[async_trait]
impl ManagedResource for ResourceGuardAssociationType {
    type Id = ResourceGuardProxyId;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "resource guard association";

    fn schema() -> Schema {
        schema()
    }

    fn validate(config: &Value) -> Diagnostics {
        validate_config(config)
    }

    async fn plan_create(&self, _cx: &PlanContext<'_>, _request: &PlanRequest, _response: &mut PlanResponse) {}

    async fn plan_update(&self, _cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        common::plan_update(ResourceGuardAssociationType::cached_schema(), SPELLINGS, request, response);
    }

    async fn create(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let planned = &request.planned_state;
        let (Some(vault), Some(guard)) = (
            planned.attr(attr::vault_id).as_str().and_then(|v| v.parse::<BackupVaultId>().ok()),
            planned.attr(attr::resource_guard_id).as_str().and_then(|g| g.parse::<ResourceGuardId>().ok()),
        ) else {
            response.diagnostics.error("Association arguments not known", "This is a bug in the provider.");
            return response;
        };
        let (call, client) = (&azure.context, azure.client());
        let id = proxy_id(vault);
        let what = format!("associating backup vault {} with resource guard {guard}", id.vault);
        match client.get_resource_guard_proxy(call, &id).await {
            Ok(None) => {}
            Ok(Some(existing)) => {
                let with = existing.properties.resource_guard_resource_id.unwrap_or_default();
                common::already_exists(
                    &mut response.diagnostics,
                    "resource guard association",
                    TYPE_NAME,
                    &id.to_string(),
                    &format!(" (with resource guard {with})"),
                );
                return response;
            }
            Err(error) => {
                arm_error(&mut response.diagnostics, &error.context(what), None, None);
                return response;
            }
        }
        let body = ResourceGuardProxyResource {
            properties: ResourceGuardProxy {
                resource_guard_resource_id: Some(guard.to_string()),
                ..ResourceGuardProxy::default()
            },
            ..ResourceGuardProxyResource::default()
        };
        match client.put_resource_guard_proxy(call, &id, &body, &what).await {
            Ok(proxy) => response.new_state = state_from_azure(planned, &id, &proxy),
            Err(error) => arm_error(&mut response.diagnostics, &error, None, None),
        }
        response
    }

    async fn update(&self, _azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        // Only timeouts change in place.
        ApplyResponse { new_state: request.planned_state.clone(), ..ApplyResponse::default() }
    }

    async fn delete(&self, azure: &Call, id: &ResourceGuardProxyId, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        match unlock_and_delete(azure, id).await {
            Ok(()) => response.new_state = Value::Null,
            Err(error) => {
                let hint = "Removing a vault's resource guard is a critical operation: Azure lets it happen only \
                            after an unlockDelete authorised by the resource guard. The principal Terraform runs as \
                            needs the Backup MUA Operator role (or an approved just-in-time request) on the resource \
                            guard; ask its security administrator, then destroy again.";
                arm_error(&mut response.diagnostics, &error, None, Some(hint));
                response.new_state = request.prior_state.clone();
            }
        }
        response
    }

    async fn read(
        &self,
        azure: &Call,
        id: &ResourceGuardProxyId,
        current: &Value,
        _response: &mut ReadResponse,
    ) -> Result<Option<Value>, ArmError> {
        let found = azure.client().get_resource_guard_proxy(&azure.context, id).await?;
        Ok(found.map(|proxy| state_from_azure(current, id, &proxy)))
    }

    fn import_attributes(id: &ResourceGuardProxyId) -> Vec<(&'static str, String)> {
        vec![(attr::vault_id, id.vault.to_string())]
    }
}
