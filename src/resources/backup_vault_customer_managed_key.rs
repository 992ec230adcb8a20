//! `dataprotection_backup_vault_customer_managed_key`: the customer-managed key that encrypts a backup vault's
//! data (the vault's `securitySettings.encryptionSettings`).
//!
//! This resource alone owns `encryptionSettings`: it PATCHes nothing else, and `dataprotection_backup_vault` never
//! sends or reads it. Azure never turns the encryption off once it is on (the spec: `Disabled` "can not be set once
//! Encryption State is 'Enabled'"), so destroy removes the resource from Terraform's state only, with a warning
//! (at plan and at apply) that the vault stays encrypted with the key: the key must stay available for as long as
//! the vault holds backup data.

use async_trait::async_trait;

use crate::arm::error::{ArmError, ErrorKind};
use crate::arm::ids::BackupVaultId;
use crate::arm::models::{
    BackupVaultResource, CmkKekIdentity, CmkKeyVaultProperties, EncryptionSettings, PatchBackupVaultInput,
    PatchBackupVaultRequest, SecuritySettings,
};
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::interface::{ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, ReadResponse};
use crate::plugin::schema::{Block, Schema};
use crate::plugin::value::{Type, Value};

use super::backup_vault::check_user_assigned_identity_id;
use super::common::{self, DEFAULT_TIMEOUTS, arm_error};
use super::managed::{Call, ManagedResource, PlanContext};
use super::model::{self, Spelling};

/// The resource type name.
pub const TYPE_NAME: &str = "dataprotection_backup_vault_customer_managed_key";

/// The `dataprotection_backup_vault_customer_managed_key` resource.
#[derive(Debug, Default)]
pub struct CustomerManagedKeyType;

model::attributes! {
    /// The attributes, in schema order.
    pub(crate) struct CmkObject, names in attr {
        id: String => computed(Type::String).description("The ARM ID of the backup vault whose key this is."),
        vault_id: String => required(Type::String)
            .force_new()
            .description("The ARM ID of the backup vault to encrypt with the key."),
        key_vault_key_id: String => required(Type::String).description(
            "The ID of the Key Vault key, `https://{vault}.vault.azure.net/keys/{name}` with or without a version \
             (without one, Azure follows the key's latest version). The vault's identity needs Get, Wrap Key and \
             Unwrap Key permissions on it.",
        ),
        user_assigned_identity_id: String => optional(Type::String).description(
            "The ARM ID of one of the vault's user-assigned identities (`identity_ids`) that reads the key. Without \
             it, the vault's system-assigned identity reads the key.",
        ),
        timeouts: serde_json::Value,
    }
}

const SPELLINGS: model::Spellings = &[
    (attr::id, Spelling::Id),
    (attr::vault_id, Spelling::Id),
    (attr::user_assigned_identity_id, Spelling::Id),
    (attr::key_vault_key_id, Spelling::Text),
];

/// The encryption settings for a key and identity.
fn encryption(key: &str, identity: Option<&str>) -> EncryptionSettings {
    EncryptionSettings {
        state: Some("Enabled".to_owned()),
        key_vault_properties: Some(CmkKeyVaultProperties { key_uri: Some(key.to_owned()) }),
        kek_identity: Some(match identity {
            Some(id) => {
                CmkKekIdentity { identity_type: Some("UserAssigned".to_owned()), identity_id: Some(id.to_owned()) }
            }
            None => CmkKekIdentity { identity_type: Some("SystemAssigned".to_owned()), identity_id: None },
        }),
    }
}

/// The PATCH that names the encryption settings alone.
fn patch(settings: EncryptionSettings) -> PatchBackupVaultRequest {
    PatchBackupVaultRequest {
        properties: Some(PatchBackupVaultInput {
            security_settings: Some(SecuritySettings {
                encryption_settings: Some(settings),
                ..SecuritySettings::default()
            }),
            feature_settings: None,
        }),
        ..PatchBackupVaultRequest::default()
    }
}

/// The vault's encryption settings when its encryption is on.
fn enabled(vault: &BackupVaultResource) -> Option<&EncryptionSettings> {
    vault
        .properties
        .security_settings
        .as_ref()
        .and_then(|s| s.encryption_settings.as_ref())
        .filter(|e| !e.state.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("Disabled")))
        .filter(|e| e.key_vault_properties.as_ref().and_then(|k| k.key_uri.as_ref()).is_some())
}

fn state_from_azure(prior: &Value, id: &BackupVaultId, settings: &EncryptionSettings) -> Value {
    let identity = settings
        .kek_identity
        .as_ref()
        .filter(|k| k.identity_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("UserAssigned")))
        .and_then(|k| k.identity_id.clone());
    let state = CmkObject {
        id: Some(id.to_string()),
        vault_id: Some(id.to_string()),
        key_vault_key_id: settings.key_vault_properties.as_ref().and_then(|k| k.key_uri.clone()),
        user_assigned_identity_id: identity,
        timeouts: None,
    };
    model::read_back(&state, CustomerManagedKeyType::state_type(), prior, SPELLINGS)
}

fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Encrypts a backup vault's data with a customer-managed key. Azure never turns this \
                          encryption off: destroying this resource removes it from Terraform's state only, and the \
                          vault stays encrypted with the key."
                .to_owned(),
            attributes: CmkObject::attributes(),
            blocks: vec![common::timeouts_block(DEFAULT_TIMEOUTS)],
            deprecated: false,
        }
        .with_force_new_sentences("customer managed key"),
    }
}

/// `https://{vault}.{domain}/keys/{name}[/{version}]`.
fn check_key_id(key: &str) -> Result<(), String> {
    let ok = key.strip_prefix("https://").is_some_and(|rest| {
        let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        matches!(parts.as_slice(), [host, "keys", name] | [host, "keys", name, _] if host.contains('.') && !name.is_empty())
    });
    if ok {
        Ok(())
    } else {
        Err(format!("{key:?} is not a Key Vault key ID: https://{{vault}}.vault.azure.net/keys/{{name}}[/{{version}}]"))
    }
}

fn validate_config(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(id) = config.attr(attr::vault_id).as_str()
        && let Err(e) = id.parse::<BackupVaultId>()
    {
        diags.attribute_error(AttributePath::root(attr::vault_id), "Invalid backup vault ID", format!("{e}."));
    }
    if let Some(key) = config.attr(attr::key_vault_key_id).as_str()
        && let Err(reason) = check_key_id(key)
    {
        diags.attribute_error(
            AttributePath::root(attr::key_vault_key_id),
            "Invalid Key Vault key ID",
            format!("{reason}."),
        );
    }
    if let Some(id) = config.attr(attr::user_assigned_identity_id).as_str()
        && let Err(reason) = check_user_assigned_identity_id(id)
    {
        diags.attribute_error(
            AttributePath::root(attr::user_assigned_identity_id),
            "Invalid user-assigned identity ID",
            format!("{reason}."),
        );
    }
    common::validate_timeouts(config, &mut diags);
    diags
}

const STAYS: &str = "Azure never turns a backup vault's customer-managed key encryption off once it is on. \
                     Destroying this resource only removes it from Terraform's state: the vault stays encrypted with \
                     the key, and the key (and the identity's access to it) must stay available for as long as the \
                     vault holds backup data. To stop using the key, delete the vault itself.";

/// PATCHes the settings, follows the operation and reads the vault back.
async fn apply_settings(
    azure: &Call,
    id: &BackupVaultId,
    settings: EncryptionSettings,
    planned: &Value,
) -> Result<Value, ArmError> {
    let (call, client) = (&azure.context, azure.client());
    let what = format!("setting the customer-managed key of backup vault {id}");
    let mut operation = client.begin_patch_backup_vault(call, id, &patch(settings), &what).await?;
    operation.wait(call).await?;
    let vault = client.get_backup_vault(call, id).await?.ok_or_else(|| {
        ArmError::new(ErrorKind::InvalidResponse, "the backup vault does not exist after its update")
            .context(what.clone())
    })?;
    let settings = enabled(&vault).ok_or_else(|| {
        ArmError::new(
            ErrorKind::InvalidResponse,
            "Azure accepted the key, but the vault reports no encryption settings",
        )
        .context(what.clone())
    })?;
    Ok(state_from_azure(planned, id, settings))
}

fn planned_settings(planned: &Value) -> Option<(BackupVaultId, EncryptionSettings)> {
    let arguments = CmkObject::read_arguments(planned)?;
    let id: BackupVaultId = arguments.vault_id?.parse().ok()?;
    Some((id, encryption(&arguments.key_vault_key_id?, arguments.user_assigned_identity_id.as_deref())))
}

#[async_trait]
impl ManagedResource for CustomerManagedKeyType {
    type Id = BackupVaultId;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "customer managed key";

    fn schema() -> Schema {
        schema()
    }

    fn validate(config: &Value) -> Diagnostics {
        validate_config(config)
    }

    async fn plan_create(&self, _cx: &PlanContext<'_>, _request: &PlanRequest, _response: &mut PlanResponse) {}

    async fn plan_update(&self, _cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        if common::plan_update(CustomerManagedKeyType::cached_schema(), SPELLINGS, request, response) {
            response.diagnostics.attribute_warning(
                AttributePath::root(attr::vault_id),
                "The old vault keeps its customer-managed key",
                STAYS,
            );
        }
    }

    async fn plan_destroy(&self, _cx: &PlanContext<'_>, prior: &Value, diagnostics: &mut Diagnostics) {
        let key = prior.attr(attr::key_vault_key_id).as_str().unwrap_or_default();
        let vault = prior.attr(attr::vault_id).as_str().unwrap_or_default();
        diagnostics.warning(
            "The backup vault stays encrypted with its customer-managed key",
            format!("Backup vault {vault} keeps key {key}. {STAYS}"),
        );
    }

    async fn create(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let Some((id, settings)) = planned_settings(&request.planned_state) else {
            response.diagnostics.error("Customer-managed key arguments not known", "This is a bug in the provider.");
            return response;
        };
        let what = format!("setting the customer-managed key of backup vault {id}");
        match azure.client().get_backup_vault(&azure.context, &id).await {
            Ok(Some(vault)) => {
                if let Some(existing) = enabled(&vault) {
                    let key =
                        existing.key_vault_properties.as_ref().and_then(|k| k.key_uri.clone()).unwrap_or_default();
                    common::already_exists(
                        &mut response.diagnostics,
                        "customer managed key",
                        TYPE_NAME,
                        &id.to_string(),
                        &format!(" (key {key})"),
                    );
                    return response;
                }
            }
            Ok(None) => {
                response.diagnostics.attribute_error(
                    AttributePath::root(attr::vault_id),
                    "Backup vault not found",
                    format!("Backup vault {id} does not exist."),
                );
                return response;
            }
            Err(error) => {
                arm_error(&mut response.diagnostics, &error.context(what), None, None);
                return response;
            }
        }
        match apply_settings(azure, &id, settings, &request.planned_state).await {
            Ok(state) => response.new_state = state,
            Err(error) => {
                // Azure may have taken the key: keep the object, so that the next plan reads what is there.
                arm_error(&mut response.diagnostics, &error, None, None);
                let mut state = request.planned_state.clone();
                state.set_attr(attr::id, Value::from(id.to_string()));
                response.new_state = state;
            }
        }
        response
    }

    async fn update(&self, azure: &Call, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let prior = &request.prior_state;
        let (Some((id, before)), Some((_, after))) =
            (planned_settings(prior), planned_settings(&request.planned_state))
        else {
            response.diagnostics.error("Customer-managed key arguments not known", "This is a bug in the provider.");
            response.new_state = prior.clone();
            return response;
        };
        if before == after {
            response.new_state = request.planned_state.clone();
            return response;
        }
        match apply_settings(azure, &id, after, &request.planned_state).await {
            Ok(state) => response.new_state = state,
            Err(error) => {
                arm_error(&mut response.diagnostics, &error, None, None);
                response.new_state = prior.clone();
            }
        }
        response
    }

    async fn delete(&self, _azure: &Call, id: &BackupVaultId, request: &ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let key = request.prior_state.attr(attr::key_vault_key_id).as_str().unwrap_or_default();
        tracing::info!(vault = %id, "customer-managed key removed from state; the vault stays encrypted");
        response.diagnostics.warning(
            "The backup vault stays encrypted with its customer-managed key",
            format!("Backup vault {id} keeps key {key}. {STAYS}"),
        );
        response.new_state = Value::Null;
        response
    }

    async fn read(
        &self,
        azure: &Call,
        id: &BackupVaultId,
        current: &Value,
        _response: &mut ReadResponse,
    ) -> Result<Option<Value>, ArmError> {
        let found = azure.client().get_backup_vault(&azure.context, id).await?;
        Ok(found.as_ref().and_then(enabled).map(|settings| state_from_azure(current, id, settings)))
    }

    fn import_attributes(id: &BackupVaultId) -> Vec<(&'static str, String)> {
        vec![(attr::vault_id, id.to_string())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patch_names_the_encryption_settings_alone() {
        let body = serde_json::to_value(patch(encryption("https://kv.vault.azure.net/keys/k1", None))).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"properties": {"securitySettings": {"encryptionSettings": {
                "state": "Enabled",
                "keyVaultProperties": {"keyUri": "https://kv.vault.azure.net/keys/k1"},
                "kekIdentity": {"identityType": "SystemAssigned"}
            }}}})
        );
        let uai = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u";
        let body = serde_json::to_value(encryption("https://kv.vault.azure.net/keys/k1/v1", Some(uai))).unwrap();
        assert_eq!(body["kekIdentity"], serde_json::json!({"identityType": "UserAssigned", "identityId": uai}));
    }

    #[test]
    fn key_ids_are_key_vault_keys() {
        for good in ["https://kv.vault.azure.net/keys/k1", "https://kv.vault.azure.net/keys/k1/0123abc"] {
            assert!(check_key_id(good).is_ok(), "{good}");
        }
        for bad in ["kv/keys/k1", "https://kv.vault.azure.net/secrets/k1", "https://kv.vault.azure.net/keys/"] {
            assert!(check_key_id(bad).is_err(), "{bad}");
        }
    }
}
