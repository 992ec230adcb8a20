//! The snapshot (operational store) resource group of a disk or AKS instance: the `resourceGroupId` of its
//! `AzureOperationalStoreParameters`, which must be given, be a resource group ID and exist.

use axum::http::StatusCode;
use serde_json::Value;

use super::super::World;
use super::policy::text;
use crate::error::ArmError;
use crate::ids::ArmId;

/// The snapshot resource group an instance's `properties` name, as given.
fn snapshot_resource_group(properties: &Value) -> Option<String> {
    properties
        .pointer("/policyInfo/policyParameters/dataStoreParametersList")?
        .as_array()?
        .iter()
        .find(|parameters| text(parameters, "/objectType") == Some("AzureOperationalStoreParameters"))
        .and_then(|parameters| text(parameters, "/resourceGroupId"))
        .map(str::to_owned)
}

/// The snapshot resource group of an instance, checked: given, a resource group ID, existing.
pub(super) fn checked_snapshot_group(world: &World, properties: &Value, activity_id: &str) -> Result<ArmId, ArmError> {
    let snapshot_group = snapshot_resource_group(properties).ok_or_else(|| {
        ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            "UserErrorOperationalStoreParametersNotProvided",
            "Could not perform the operation as Snapshot Data store Resource Group parameter is not provided",
            &["Provide the snapshot data store resource group parameter. The snapshot data store resource \
               group is the location where the disk snapshots are stored."],
            activity_id,
        )
    })?;
    let group = ArmId::parse(&snapshot_group).filter(ArmId::is_resource_group).ok_or_else(|| {
        ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            "UserErrorInvalidOperationalStoreResourceGroup",
            format!("Snapshot Data store Resource Group provided is invalid: '{snapshot_group}'"),
            &["Provide a valid resource group for the snapshot data store."],
            activity_id,
        )
    })?;
    if !world.resource_groups.contains_key(&group.key()) {
        return Err(ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            "UserErrorSnapshotRGNotFound",
            "Could not perform the operation as Snapshot Data store Resource Group does not exist.",
            &["Create the resource group and provide the required permissions on it."],
            activity_id,
        ));
    }
    Ok(group)
}
