//! The roles a backup instance needs, and the error the service ends its operation with when one is missing.

use axum::http::StatusCode;
use serde_json::json;

use super::super::{Vault, World};
use crate::error::{ArmError, user_facing_error};
use crate::ids::{self, ArmId, BuiltInRole};
use crate::util::set_field;

/// A role the instance needs: who needs it (`None`: the vault's identity), where, which role, and an action it
/// grants (for the message).
pub(super) struct Need<'a> {
    pub principal: Option<(&'a str, String)>,
    pub scope: ArmId,
    pub role: &'static BuiltInRole,
    pub action: &'static str,
}

impl Need<'_> {
    /// A role the vault's identity needs.
    pub fn vault(scope: ArmId, role: &'static BuiltInRole, action: &'static str) -> Need<'static> {
        Need { principal: None, scope, role, action }
    }
}

/// The first missing role of `needed`, as the failure the operation ends with. Owner and Contributor count for
/// any role.
pub(super) fn missing_permission(
    world: &World,
    vault: &Vault,
    needed: &[Need<'_>],
    activity_id: &str,
) -> Option<ArmError> {
    let vault_principal = vault.identity.as_ref().map(|identity| identity.principal_id.as_str());
    let (principal, holder, scope, role, action) = needed.iter().find_map(|need| {
        let (principal, holder) = match &need.principal {
            Some((principal, holder)) => (Some(*principal), holder.as_str()),
            None => (vault_principal, "The vault's managed identity"),
        };
        let granted = principal.is_some_and(|principal| {
            world.has_role(principal, &need.scope.key(), &[need.role.guid, ids::OWNER.guid, ids::CONTRIBUTOR.guid])
        });
        (!granted).then(|| (principal, holder, need.scope.canonical(), need.role.name, need.action))
    })?;
    let client = principal.unwrap_or("(the vault has no managed identity)");
    let detail = format!(
        "Validate for Protection failed. Exception Message: The client '{client}' with object id '{client}' does \
         not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. \
         {holder} needs the {role} role there. If access was recently granted, please refresh your credentials."
    );
    let message = "Appropriate permissions to perform the operation is missing.";
    let mut info = user_facing_error(
        "UserErrorMissingRequiredPermissions",
        message,
        &["Grant appropriate permissions to perform this operation as mentioned at \
           https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation."],
        activity_id,
    );
    set_field(
        &mut info,
        "innerError",
        json!({
            "code": "UserErrorMissingRequiredPermissions",
            "additionalInfo": { "DetailedNonLocalisedMessage": detail },
        }),
    );
    Some(ArmError {
        status: StatusCode::BAD_REQUEST,
        body: json!({
            "additionalInfo": [{ "type": "UserFacingError", "info": info }],
            "code": "UserErrorMissingRequiredPermissions",
            "message": message,
        }),
        headers: Vec::new(),
    })
}
