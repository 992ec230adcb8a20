//! Resource groups, vaults, policies and role assignments.

use crate::settings::Spellings;
use crate::util::set_field;
use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Policy, ResourceGroup, RoleAssignment, Vault, VaultIdentity, World};
use crate::error::ArmError;
use crate::ids;
use crate::util::new_uuid;

/// Vault properties that the service computes; a request's values for them are ignored.
const VAULT_READ_ONLY: &[&str] = &[
    "provisioningState",
    "resourceMoveState",
    "resourceMoveDetails",
    "isVaultProtectedByResourceGuard",
    "secureScore",
    "bcdrSecurityLevel",
];

/// The properties of a vault created without any: locally redundant, soft delete on for 14 days.
pub(crate) fn default_vault_properties() -> Value {
    json!({
        "storageSettings": [{ "datastoreType": "VaultStore", "type": "LocallyRedundant" }],
        "securitySettings": { "softDeleteSettings": { "state": "On", "retentionDurationInDays": 14.0 } },
    })
}

/// Removes read-only vault properties from a request's `properties`.
pub(crate) fn client_vault_properties(properties: Option<&Value>) -> Value {
    let mut properties = properties.cloned().filter(Value::is_object).unwrap_or_else(default_vault_properties);
    if let Some(object) = properties.as_object_mut() {
        for key in VAULT_READ_ONLY {
            object.remove(*key);
        }
    }
    properties
}

impl World {
    pub fn add_resource_group(
        &mut self,
        subscription: &str,
        name: &str,
        location: &str,
        tags: Option<BTreeMap<String, String>>,
    ) {
        let id = ids::resource_group_id(subscription, name);
        let group = ResourceGroup {
            id: id.clone(),
            name: name.to_owned(),
            subscription: subscription.to_owned(),
            location: location.to_owned(),
            tags,
        };
        self.resource_groups.insert(id.to_ascii_lowercase(), group);
    }

    pub fn render_resource_group(group: &ResourceGroup) -> Value {
        let mut value = json!({
            "id": group.id,
            "name": group.name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": group.location,
            "properties": { "provisioningState": "Succeeded" },
        });
        if let Some(tags) = &group.tags {
            set_field(&mut value, "tags", json!(tags));
        }
        value
    }

    /// What deleting a resource group would fail on: vaults that still hold backup instances.
    pub fn resource_group_blockers(&self, group_key: &str) -> Vec<String> {
        self.vaults
            .iter()
            .filter(|(key, vault)| key.starts_with(&format!("{group_key}/")) && !vault.instances.is_empty())
            .map(|(_, vault)| vault.id.clone())
            .collect()
    }

    /// Deletes a resource group and everything in it.
    pub fn remove_resource_group(&mut self, group_key: &str) {
        let prefix = format!("{group_key}/");
        let vaults: Vec<String> = self.vaults.keys().filter(|key| key.starts_with(&prefix)).cloned().collect();
        for vault in vaults {
            self.remove_vault(&vault);
        }
        for resource_type in super::kinds::resource_types() {
            resource_type.remove_in_group(self, &prefix);
        }
        let assignments: Vec<String> = self
            .role_assignments
            .values()
            .filter(|assignment| ids::scope_covers(group_key, &assignment.scope_key))
            .map(|assignment| assignment.id.to_ascii_lowercase())
            .collect();
        for assignment in assignments {
            self.remove_role_assignment(&assignment);
        }
        self.resource_groups.remove(group_key);
    }

    /// Creates a vault; returns its key. The identity's principal is generated when not given.
    #[allow(clippy::too_many_arguments)]
    pub fn add_vault(
        &mut self,
        group: (&str, &str),
        name: &str,
        location: &str,
        identity: Option<Option<String>>,
        properties: Value,
        tags: Option<Value>,
        provisioning_state: &str,
        auto_grant: bool,
        now_ms: u64,
    ) -> String {
        let (subscription, resource_group) = group;
        let id = ids::vault_id(subscription, resource_group, name);
        let key = id.to_ascii_lowercase();
        let tenant = self.tenant_of(subscription);
        let identity = identity.map(|principal| VaultIdentity {
            principal_id: principal.unwrap_or_else(new_uuid),
            tenant_id: tenant.clone(),
        });
        if let Some(identity) = &identity {
            self.directory.insert(identity.principal_id.to_ascii_lowercase(), format!("identity of {id}"));
            if auto_grant {
                self.grant_vault_roles(subscription, &identity.principal_id, now_ms);
            }
        }
        let vault = Vault {
            id,
            name: name.to_owned(),
            subscription: subscription.to_owned(),
            resource_group: resource_group.to_owned(),
            location: location.to_owned(),
            tags,
            properties,
            identity,
            user_identities: BTreeMap::new(),
            guard_proxy: None,
            provisioning_state: provisioning_state.to_owned(),
            policies: BTreeMap::new(),
            instances: BTreeMap::new(),
            deleted_instances: BTreeMap::new(),
            created_through_api: false,
        };
        self.vaults.insert(key.clone(), vault);
        key
    }

    /// Grants a new vault identity, on its subscription, the roles every datasource kind needs of it
    /// (`auto_grant_vault_roles`).
    pub fn grant_vault_roles(&mut self, subscription: &str, principal_id: &str, now_ms: u64) {
        let scope = format!("/subscriptions/{subscription}");
        for role in super::kinds::vault_roles() {
            let _ = self.add_role_assignment(&new_uuid(), &scope, role.guid, principal_id, "ServicePrincipal", now_ms);
        }
    }

    /// A vault as ARM answers it, in the spellings the scenario asks for (see [`Spellings`]).
    pub fn render_vault(vault: &Vault, spellings: &Spellings) -> Value {
        let mut properties = vault.properties.clone();
        if spellings.soft_delete_upper_case
            && let Some(state) = properties.pointer_mut("/securitySettings/softDeleteSettings/state")
        {
            let upper = match state.as_str() {
                Some(text) if text.eq_ignore_ascii_case("On") => Some("ON"),
                Some(text) if text.eq_ignore_ascii_case("Off") => Some("OFF"),
                _ => None,
            };
            if let Some(upper) = upper {
                *state = upper.into();
            }
        }
        if let Some(object) = properties.as_object_mut() {
            object.insert("provisioningState".to_owned(), json!(vault.provisioning_state));
            object.insert("isVaultProtectedByResourceGuard".to_owned(), json!(vault.guard_proxy.is_some()));
            object.insert("secureScore".to_owned(), json!("Minimum"));
            object.insert("bcdrSecurityLevel".to_owned(), json!("Poor"));
            object.insert("resourceMoveState".to_owned(), json!("Unknown"));
        }
        let mut identity = match &vault.identity {
            Some(identity) => {
                json!({ "type": "SystemAssigned", "principalId": identity.principal_id, "tenantId": identity.tenant_id })
            }
            None => json!({ "type": "None" }),
        };
        if !vault.user_identities.is_empty() {
            let kind = if vault.identity.is_some() { "SystemAssigned,UserAssigned" } else { "UserAssigned" };
            set_field(&mut identity, "type", json!(kind));
            let identities: serde_json::Map<String, Value> = vault
                .user_identities
                .iter()
                .map(|(id, identity)| {
                    (id.clone(), json!({ "principalId": identity.principal_id, "clientId": identity.client_id }))
                })
                .collect();
            set_field(&mut identity, "userAssignedIdentities", Value::Object(identities));
        }
        let mut value = json!({
            "id": if spellings.legacy_ids_for_seeded_vaults && !vault.created_through_api {
                crate::util::service_spelling(&vault.id)
            } else {
                vault.id.clone()
            },
            "name": vault.name,
            "type": "Microsoft.DataProtection/backupVaults",
            "location": vault.location,
            "identity": identity,
            "properties": properties,
        });
        if let Some(tags) = &vault.tags {
            set_field(&mut value, "tags", tags.clone());
        }
        value
    }

    /// Deletes a vault with its policies and instances.
    pub fn remove_vault(&mut self, vault_key: &str) {
        let Some(vault) = self.vaults.get(vault_key) else { return };
        let instances: Vec<super::InstanceKey> = vault
            .instances
            .keys()
            .map(|name| super::InstanceKey { vault: vault_key.to_owned(), name: name.clone() })
            .collect();
        for instance in instances {
            self.remove_instance(&instance);
        }
        self.vaults.remove(vault_key);
    }

    pub fn add_policy(&mut self, vault_key: &str, name: &str, properties: Value) -> Option<&Policy> {
        let vault = self.vaults.get_mut(vault_key)?;
        let id = format!("{}/backupPolicies/{name}", vault.id);
        let lower = name.to_ascii_lowercase();
        vault.policies.insert(lower.clone(), Policy { id, name: name.to_owned(), properties });
        vault.policies.get(&lower)
    }

    pub fn render_policy(policy: &Policy) -> Value {
        json!({
            "id": policy.id,
            "name": policy.name,
            "type": "Microsoft.DataProtection/backupVaults/backupPolicies",
            "properties": policy.properties,
        })
    }

    /// Adds a role assignment, with ARM's checks.
    /// Makes a role assignment take effect `delay_ms` after its creation (a new assignment made through ARM).
    pub fn delay_role_assignment(&mut self, id: &str, delay_ms: u64) {
        if let Some(assignment) = self.role_assignments.get_mut(&id.to_ascii_lowercase()) {
            assignment.effective_ms = assignment.created_ms + delay_ms;
        }
    }

    pub fn add_role_assignment(
        &mut self,
        name: &str,
        scope: &str,
        role: &str,
        principal_id: &str,
        principal_type: &str,
        now_ms: u64,
    ) -> Result<(&RoleAssignment, bool), ArmError> {
        if !crate::util::is_guid(name) {
            return Err(ArmError::new(
                StatusCode::BAD_REQUEST,
                "InvalidRoleAssignmentId",
                format!("The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."),
            ));
        }
        let role_guid = ids::built_in_role(role).map(|role| role.guid).ok_or_else(|| {
            ArmError::new(
                StatusCode::BAD_REQUEST,
                "RoleDefinitionDoesNotExist",
                format!(
                    "The specified role definition with ID '{}' does not exist.",
                    role.rsplit('/').next().unwrap_or(role)
                ),
            )
        })?;
        let scope_key = ids::key(scope);
        let id = format!("{}/providers/Microsoft.Authorization/roleAssignments/{name}", scope.trim_end_matches('/'));
        let key = id.to_ascii_lowercase();
        let principal_key = principal_id.to_ascii_lowercase();
        let created = match self.role_assignments.get(&key) {
            Some(existing) => {
                if existing.role_guid != role_guid || !existing.principal_id.eq_ignore_ascii_case(principal_id) {
                    return Err(ArmError::new(
                        StatusCode::BAD_REQUEST,
                        "RoleAssignmentUpdateNotPermitted",
                        "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                    ));
                }
                false
            }
            None => {
                let duplicate = self.assignments_by_principal.get(&principal_key).is_some_and(|keys| {
                    keys.iter()
                        .filter_map(|other| self.role_assignments.get(other))
                        .any(|other| other.role_guid == role_guid && other.scope_key == scope_key)
                });
                if duplicate {
                    return Err(ArmError::new(
                        StatusCode::CONFLICT,
                        "RoleAssignmentExists",
                        "The role assignment already exists.",
                    ));
                }
                let assignment = RoleAssignment {
                    id,
                    name: name.to_owned(),
                    scope: scope.trim_end_matches('/').to_owned(),
                    scope_key,
                    role_guid: role_guid.to_owned(),
                    principal_id: principal_id.to_owned(),
                    principal_type: principal_type.to_owned(),
                    created_ms: now_ms,
                    effective_ms: now_ms,
                };
                self.assignments_by_principal.entry(principal_key).or_default().insert(key.clone());
                self.role_assignments.insert(key.clone(), assignment);
                true
            }
        };
        match self.role_assignments.get(&key) {
            Some(assignment) => Ok((assignment, created)),
            None => Err(ArmError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "role assignment lost")),
        }
    }

    pub fn remove_role_assignment(&mut self, key: &str) -> Option<RoleAssignment> {
        let assignment = self.role_assignments.remove(key)?;
        if let Some(keys) = self.assignments_by_principal.get_mut(&assignment.principal_id.to_ascii_lowercase()) {
            keys.remove(key);
        }
        Some(assignment)
    }

    pub fn render_role_assignment(assignment: &RoleAssignment) -> Value {
        let subscription = ids::ArmId::parse(&assignment.scope).map(|id| id.subscription).unwrap_or_default();
        let created = crate::util::format_precise(assignment.created_ms);
        json!({
            "id": assignment.id,
            "name": assignment.name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": ids::role_definition_id(&subscription, &assignment.role_guid),
                "principalId": assignment.principal_id,
                "principalType": assignment.principal_type,
                "scope": assignment.scope,
                "condition": null,
                "conditionVersion": null,
                "createdOn": created,
                "updatedOn": created,
                "createdBy": null,
                "updatedBy": null,
                "delegatedManagedIdentityResourceId": null,
                "description": null,
            },
        })
    }
}
