//! Request and response bodies of the Data Protection API (2026-06-01), limited to what the provider reads
//! or sends. Unknown fields are ignored on input; absent optional fields are left out on output.

use serde::{Deserialize, Deserializer, Serialize};

/// Reads `null` as the type's default: Azure sends `"details": null` and similar where the spec says array.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The managed disk datasource type.
pub const DISK_DATASOURCE_TYPE: &str = "Microsoft.Compute/disks";

/// `BackupInstanceResource`: the ARM envelope around a backup instance.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct BackupInstanceResource {
    /// The instance's ARM ID (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The instance name (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The ARM type (read-only).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// The instance itself.
    pub properties: BackupInstance,
}

/// `BackupInstance`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BackupInstance {
    /// Display name; the provider sends the instance name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// What is protected.
    #[serde(default, deserialize_with = "nullable")]
    pub data_source_info: Datasource,
    /// Which policy protects it.
    #[serde(default, deserialize_with = "nullable")]
    pub policy_info: PolicyInfo,
    /// Protection status (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protection_status: Option<ProtectionStatusDetails>,
    /// Current protection state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_protection_state: Option<String>,
    /// The error behind a protection error state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protection_error_details: Option<UserFacingError>,
    /// Provisioning state (read-only, free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<String>,
    /// Always `BackupInstance`.
    #[serde(default, deserialize_with = "nullable")]
    pub object_type: String,
}

/// `Datasource`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Datasource {
    /// Datasource type, for example `Microsoft.Compute/disks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datasource_type: Option<String>,
    /// Always `Datasource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    /// ARM ID of the protected resource.
    #[serde(rename = "resourceID", default, deserialize_with = "nullable")]
    pub resource_id: String,
    /// Region of the protected resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_location: Option<String>,
    /// Name of the protected resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// ARM type of the protected resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// URI of the protected resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_uri: Option<String>,
}

/// `PolicyInfo`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyInfo {
    /// ARM ID of the backup policy.
    #[serde(default, deserialize_with = "nullable")]
    pub policy_id: String,
    /// Policy version (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_version: Option<String>,
    /// Datastore parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_parameters: Option<PolicyParameters>,
}

/// `PolicyParameters`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyParameters {
    /// One entry per datastore; disks use a single operational-store entry.
    #[serde(default, deserialize_with = "nullable")]
    pub data_store_parameters_list: Vec<DataStoreParameters>,
}

/// `DataStoreParameters` (the provider only sends `AzureOperationalStoreParameters`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DataStoreParameters {
    /// The discriminator, `AzureOperationalStoreParameters`.
    #[serde(default, deserialize_with = "nullable")]
    pub object_type: String,
    /// `OperationalStore`, `VaultStore` or `ArchiveStore`.
    #[serde(default, deserialize_with = "nullable")]
    pub data_store_type: String,
    /// The snapshot resource group, for operational store parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group_id: Option<String>,
}

/// `ProtectionStatusDetails`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProtectionStatusDetails {
    /// Status, an open set of strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The error when protection failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_details: Option<UserFacingError>,
}

/// `UserFacingError`: the error the Data Protection service means users to read.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserFacingError {
    /// Error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Target of the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What the user should do.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub recommended_action: Vec<String>,
    /// The inner error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_error: Option<InnerError>,
    /// Whether retrying may help.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_retryable: Option<bool>,
    /// Whether the user caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_user_error: Option<bool>,
    /// Nested errors.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<UserFacingError>,
}

/// `InnerError` of a [`UserFacingError`].
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InnerError {
    /// Inner code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `CloudError`: `{"error": {...}}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct CloudError {
    /// The error.
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

/// `Error` / common-types `ErrorDetail`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// Error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Nested errors.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
    /// Additional information; the Data Protection service puts a `UserFacingError` here.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub additional_info: Vec<AdditionalInfo>,
}

/// `ErrorAdditionalInfo`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct AdditionalInfo {
    /// The kind of information, for example `UserFacingError`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub info_type: Option<String>,
    /// The information itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<serde_json::Value>,
}

/// `OperationResource`: what an `Azure-AsyncOperation` URL answers.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    /// Status: Succeeded, Failed and Canceled end the operation; anything else means it is running.
    #[serde(default)]
    pub status: Option<String>,
    /// The error when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    /// Some services report the state here instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
}

/// `ValidateForBackupRequest`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateForBackupRequest {
    /// The instance that would be created.
    pub backup_instance: BackupInstance,
}

/// A page of a list operation.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    /// The items.
    #[serde(default, deserialize_with = "nullable")]
    pub value: Vec<T>,
    /// The URL of the next page.
    #[serde(default)]
    pub next_link: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_instance_parses() {
        let text = include_str!("../../spec/azure/examples/BackupInstanceOperations/GetBackupInstance.json");
        let example: serde_json::Value = serde_json::from_str(text).unwrap();
        let body = example["responses"]["200"]["body"].clone();
        let bi: BackupInstanceResource = serde_json::from_value(body).unwrap();
        assert!(bi.id.as_deref().unwrap().contains("/backupInstances/"));
        assert_eq!(bi.properties.object_type, "BackupInstance");
        assert!(!bi.properties.policy_info.policy_id.is_empty());
        assert!(!bi.properties.data_source_info.resource_id.is_empty());
    }

    #[test]
    fn nulls_where_arrays_belong_are_tolerated() {
        let e: CloudError =
            serde_json::from_str(r#"{"error":{"code":"C","message":"M","details":null,"additionalInfo":null}}"#)
                .unwrap();
        assert_eq!(e.error.unwrap().code.as_deref(), Some("C"));
    }

    #[test]
    fn disk_body_serialises_with_the_wire_names() {
        let bi = BackupInstance {
            friendly_name: Some("bi".into()),
            data_source_info: Datasource {
                datasource_type: Some(DISK_DATASOURCE_TYPE.into()),
                object_type: Some("Datasource".into()),
                resource_id: "/d".into(),
                ..Datasource::default()
            },
            policy_info: PolicyInfo {
                policy_id: "/p".into(),
                policy_version: None,
                policy_parameters: Some(PolicyParameters {
                    data_store_parameters_list: vec![DataStoreParameters {
                        object_type: "AzureOperationalStoreParameters".into(),
                        data_store_type: "OperationalStore".into(),
                        resource_group_id: Some("/rg".into()),
                    }],
                }),
            },
            object_type: "BackupInstance".into(),
            ..BackupInstance::default()
        };
        let json = serde_json::to_value(&bi).unwrap();
        assert_eq!(json["dataSourceInfo"]["resourceID"], "/d");
        assert_eq!(json["policyInfo"]["policyParameters"]["dataStoreParametersList"][0]["resourceGroupId"], "/rg");
        assert!(json.get("protectionStatus").is_none());
        assert!(json["policyInfo"].get("policyVersion").is_none());
    }
}
