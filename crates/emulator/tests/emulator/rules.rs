//! Azure's rules as the emulator applies them: one protection per disk, the vault identity's roles, policies in
//! use, missing resources, invalid bodies and IDs — each with the status, error code and body shape of the service.

use crate::support;

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{LroTiming, ProtectionErrorRequest, Scenario};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{assert_error, disk_instance, disk_properties, header, instance_path, vault_path};

fn validate_body(disk: &str) -> Value {
    json!({ "backupInstance": disk_instance(disk, world::POLICY_DAILY)["properties"] })
}

#[tokio::test]
async fn a_disk_can_be_protected_only_once() {
    let test = support::start().await;
    test.fast();
    test.protect("first", world::DISK_APP_01, world::POLICY_DAILY).await;

    // validateForBackup answers synchronously with the body of the Microsoft docs trace.
    let response = test
        .post(&test.arm(&format!("{}/validateForBackup", vault_path())), Some(&validate_body(world::DISK_APP_01)))
        .await;
    let body = assert_error(response, StatusCode::BAD_REQUEST, "UserErrorDppDatasourceAlreadyProtected").await;
    let error = &body["error"];
    assert_eq!(error["message"], format!("Datasource is already protected under the Backup vault {}.", vault_path()));
    assert_eq!(error["target"], Value::Null);
    assert_eq!(error["details"], Value::Null);
    let info = &error["additionalInfo"][0];
    assert_eq!(info["type"], "UserFacingError");
    assert_eq!(info["info"]["code"], "UserErrorDppDatasourceAlreadyProtected");
    assert_eq!(info["info"]["isRetryable"], false);
    assert_eq!(info["info"]["innerError"], Value::Null);
    let action = info["info"]["recommendedAction"][0].as_str().unwrap();
    assert!(action.starts_with("Delete the backup instance first from the Backup vault"), "{action}");
    assert_eq!(info["info"]["properties"]["ActivityId"].as_str().unwrap().len(), 36);

    // Another instance for the same disk is refused; the same instance may be updated.
    let response =
        test.put(&test.arm(&instance_path("second")), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    assert_error(response, StatusCode::BAD_REQUEST, "UserErrorDppDatasourceAlreadyProtected").await;
    let response =
        test.put(&test.arm(&instance_path("FIRST")), &disk_instance(world::DISK_APP_01, world::POLICY_4H)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    // An instance cannot move to another datasource.
    let response =
        test.put(&test.arm(&instance_path("first")), &disk_instance(world::DISK_APP_02, world::POLICY_4H)).await;
    assert_error(response, StatusCode::BAD_REQUEST, "BMSUserErrorInvalidInput").await;
}

#[tokio::test]
async fn validation_fails_when_the_vault_identity_lacks_disk_backup_reader() {
    let test = support::start().await;
    let response = test
        .post(&test.arm(&format!("{}/validateForBackup", vault_path())), Some(&validate_body(world::DISK_UNAUTHORIZED)))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let async_operation = header(&response, "azure-asyncoperation");
    let location = header(&response, "location");
    assert!(async_operation.contains("/backupVaults/vault-demo/operationStatus/"), "{async_operation}");
    assert!(location.contains("/locations/westus/operationResults/"), "{location}");
    let status = test.wait(&async_operation).await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "UserErrorMissingRequiredPermissions");
    assert_eq!(status["error"]["message"], "Appropriate permissions to perform the operation is missing.");
    let info = &status["error"]["additionalInfo"][0]["info"];
    assert_eq!(info["code"], "UserErrorMissingRequiredPermissions");
    let detail = info["innerError"]["additionalInfo"]["DetailedNonLocalisedMessage"].as_str().unwrap();
    assert!(detail.contains(world::VAULT_PRINCIPAL_ID) && detail.contains("Disk Backup Reader"), "{detail}");
    assert!(detail.contains(&world::disk_id(world::DISK_UNAUTHORIZED)), "{detail}");
    // The Location URL answers with the error itself.
    assert_error(test.get(&location).await, StatusCode::BAD_REQUEST, "UserErrorMissingRequiredPermissions").await;

    // A disk the vault may read validates.
    let response = test
        .post(&test.arm(&format!("{}/validateForBackup", vault_path())), Some(&validate_body(world::DISK_APP_01)))
        .await;
    let status = test.wait(&header(&response, "azure-asyncoperation")).await;
    assert_eq!(status["status"], "Succeeded", "{status}");
    let job: Value = test.get(&header(&response, "location")).await.json().await.unwrap();
    assert_eq!(job["objectType"], "OperationJobExtendedInfo");
}

#[tokio::test]
async fn validation_fails_without_disk_snapshot_contributor_on_the_snapshot_group() {
    let test = support::start().await;
    test.fast();
    let group = world::resource_group_id("rg-other-snapshots");
    assert_eq!(test.put(&test.arm(&group), &json!({"location": "westus"})).await.status(), StatusCode::CREATED);
    let body =
        json!({ "backupInstance": disk_properties(&world::disk_id(world::DISK_APP_01), world::POLICY_DAILY, &group) });
    let response = test.post(&test.arm(&format!("{}/validateForBackup", vault_path())), Some(&body)).await;
    let status = test.wait(&header(&response, "azure-asyncoperation")).await;
    assert_eq!(status["status"], "Failed");
    let detail =
        status["error"]["additionalInfo"][0]["info"]["innerError"]["additionalInfo"]["DetailedNonLocalisedMessage"]
            .to_string();
    assert!(detail.contains("Disk Snapshot Contributor") && detail.contains("rg-other-snapshots"), "{detail}");

    // Granting the role through the role assignment API fixes it.
    let assignment =
        format!("{group}/providers/Microsoft.Authorization/roleAssignments/2b1f0d4e-8c4a-4d8e-9f7a-0c6e5b3d2a19");
    let grant = json!({"properties": {
        "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/7efff54f-a5b4-42b5-a1c5-5411624893ce", world::SUBSCRIPTION_ID),
        "principalId": world::VAULT_PRINCIPAL_ID,
        "principalType": "ServicePrincipal",
    }});
    let response = test.put(&test.arm(&assignment), &grant).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["properties"]["scope"], group);
    let response = test.post(&test.arm(&format!("{}/validateForBackup", vault_path())), Some(&body)).await;
    assert_eq!(test.wait(&header(&response, "azure-asyncoperation")).await["status"], "Succeeded");
}

#[tokio::test]
async fn creating_an_instance_without_permissions_ends_in_configuring_protection_failed() {
    let test = support::start().await;
    let response =
        test.put(&test.arm(&instance_path("bi")), &disk_instance(world::DISK_UNAUTHORIZED, world::POLICY_DAILY)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED, "the PUT is accepted; the operation fails");
    let status = test.wait(&header(&response, "azure-asyncoperation")).await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "UserErrorMissingRequiredPermissions");
    let instance: Value = test.get(&test.arm(&instance_path("bi"))).await.json().await.unwrap();
    assert_eq!(instance["properties"]["provisioningState"], "Failed");
    assert_eq!(instance["properties"]["currentProtectionState"], "ConfiguringProtectionFailed");
    assert_eq!(instance["properties"]["protectionStatus"]["status"], "ConfiguringProtectionFailed");
    assert_eq!(
        instance["properties"]["protectionStatus"]["errorDetails"]["code"],
        "UserErrorMissingRequiredPermissions"
    );
    assert_eq!(instance["properties"]["protectionErrorDetails"]["code"], "UserErrorMissingRequiredPermissions");
}

#[tokio::test]
async fn new_vault_identities_are_granted_roles_unless_the_setting_is_off() {
    for auto_grant in [true, false] {
        let test = support::start().await;
        test.fast();
        test.state().set_auto_grant_vault_roles(auto_grant);
        let vault = world::vault_id().replace(world::VAULT_NAME, "vault-new");
        let body = json!({"location": "westus", "identity": {"type": "SystemAssigned"},
                          "properties": {"storageSettings": [{"datastoreType": "VaultStore", "type": "LocallyRedundant"}]}});
        let response = test.put(&test.arm(&vault), &body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: Value = response.json().await.unwrap();
        let principal = created["identity"]["principalId"].as_str().unwrap().to_owned();
        let policy = json!({"properties": dataprotection_policy()});
        assert_eq!(test.put(&test.arm(&format!("{vault}/backupPolicies/p")), &policy).await.status(), StatusCode::OK);
        let instance = json!({"backupInstance": {
            "objectType": "BackupInstance",
            "dataSourceInfo": {"objectType": "Datasource", "datasourceType": "Microsoft.Compute/disks", "resourceID": world::disk_id(world::DISK_UNAUTHORIZED)},
            "policyInfo": {"policyId": format!("{vault}/backupPolicies/p"), "policyParameters": {"dataStoreParametersList": [{
                "objectType": "AzureOperationalStoreParameters", "dataStoreType": "OperationalStore",
                "resourceGroupId": world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP)}]}},
        }});
        let response = test.post(&test.arm(&format!("{vault}/validateForBackup")), Some(&instance)).await;
        let status = test.wait(&header(&response, "azure-asyncoperation")).await;
        let expected = if auto_grant { "Succeeded" } else { "Failed" };
        assert_eq!(status["status"], expected, "auto grant {auto_grant}: {status}");
        let granted = test
            .state()
            .inventory()
            .role_assignments
            .iter()
            .filter(|assignment| assignment.principal_id == principal)
            .count();
        // Disk Backup Reader, Disk Snapshot Contributor, Storage Account Backup Contributor, Reader, the PostgreSQL
        // long-term retention role and MySQL Backup And Export Operator.
        assert_eq!(granted, if auto_grant { 6 } else { 0 });
    }
}

pub(crate) fn dataprotection_policy() -> Value {
    serde_json::from_str(
        r#"{"objectType":"BackupPolicy","datasourceTypes":["Microsoft.Compute/disks"],"policyRules":[
        {"name":"BackupHourly","objectType":"AzureBackupRule",
         "backupParameters":{"objectType":"AzureBackupParams","backupType":"Incremental"},
         "dataStore":{"dataStoreType":"OperationalStore","objectType":"DataStoreInfoBase"},
         "trigger":{"objectType":"ScheduleBasedTriggerContext","schedule":{"repeatingTimeIntervals":["R/2024-01-01T02:00:00+00:00/PT4H"]},
                    "taggingCriteria":[{"isDefault":true,"taggingPriority":99,"tagInfo":{"id":"Default_","tagName":"Default"}}]}},
        {"name":"Default","objectType":"AzureRetentionRule","isDefault":true,"lifecycles":[{"deleteAfter":{"objectType":"AbsoluteDeleteOption","duration":"P7D"},
         "sourceDataStore":{"dataStoreType":"OperationalStore","objectType":"DataStoreInfoBase"},"targetDataStoreCopySettings":[]}]}]}"#,
    )
    .unwrap()
}

#[tokio::test]
async fn a_policy_in_use_cannot_be_deleted() {
    let test = support::start().await;
    test.fast();
    test.protect("bi", world::DISK_APP_01, world::POLICY_DAILY).await;
    let policy = test.arm(&world::policy_id(world::POLICY_DAILY));
    let body = assert_error(test.delete(&policy).await, StatusCode::BAD_REQUEST, "UserErrorDppPolicyObjectInUse").await;
    assert_eq!(
        body["error"]["message"],
        "Cannot delete the backup policy as one or more backup instances have been configured for protection with \
         this policy.",
        "Azure's message, naming no instance"
    );
    assert_eq!(body["error"]["additionalInfo"][0]["info"]["code"], "UserErrorDppPolicyObjectInUse");
    let response = test.delete(&test.arm(&instance_path("bi"))).await;
    test.wait(&header(&response, "azure-asyncoperation")).await;
    assert_eq!(test.delete(&policy).await.status(), StatusCode::OK);
    assert_eq!(test.delete(&policy).await.status(), StatusCode::NO_CONTENT);
    assert_error(test.get(&policy).await, StatusCode::NOT_FOUND, "UserErrorGenericResourceNotFound").await;
}

#[tokio::test]
async fn missing_resources_get_their_not_found_errors() {
    let test = support::start().await;
    // A disk that does not exist.
    let response = test.put(&test.arm(&instance_path("bi")), &disk_instance("disk-missing", world::POLICY_DAILY)).await;
    let body = assert_error(response, StatusCode::BAD_REQUEST, "UserErrorManagedDiskNotFound").await;
    assert_eq!(body["error"]["additionalInfo"][0]["info"]["code"], "UserErrorManagedDiskNotFound");
    // A policy that does not exist.
    let response =
        test.put(&test.arm(&instance_path("bi")), &disk_instance(world::DISK_APP_01, "policy-missing")).await;
    assert_error(response, StatusCode::NOT_FOUND, "UserErrorGenericResourceNotFound").await;
    // A vault that does not exist, and a resource group that does not exist.
    let missing_vault = instance_path("bi").replace(world::VAULT_NAME, "vault-missing");
    let body = assert_error(test.get(&test.arm(&missing_vault)).await, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    assert!(
        body["error"]["message"].as_str().unwrap().contains("Microsoft.DataProtection/backupVaults/vault-missing"),
        "{body}"
    );
    let response = test.put(&test.arm(&missing_vault), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    assert_error(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let missing_group = vault_path().replace(world::BACKUP_RESOURCE_GROUP, "rg-missing");
    assert_error(test.get(&test.arm(&missing_group)).await, StatusCode::NOT_FOUND, "ResourceGroupNotFound").await;
    // A snapshot resource group that does not exist.
    let body = json!({"properties": disk_properties(&world::disk_id(world::DISK_APP_01), world::POLICY_DAILY, &world::resource_group_id("rg-gone"))});
    assert_error(
        test.put(&test.arm(&instance_path("bi")), &body).await,
        StatusCode::BAD_REQUEST,
        "UserErrorSnapshotRGNotFound",
    )
    .await;
    // A subscription that does not exist, and one that is not a GUID.
    let other = vault_path().replace(world::SUBSCRIPTION_ID, "11111111-2222-3333-4444-555555555555");
    assert_error(test.get(&test.arm(&other)).await, StatusCode::NOT_FOUND, "SubscriptionNotFound").await;
    let bad = vault_path().replace(world::SUBSCRIPTION_ID, "not-a-guid");
    assert_error(test.get(&test.arm(&bad)).await, StatusCode::BAD_REQUEST, "InvalidSubscriptionId").await;
    // An operation that does not exist.
    let status = format!("{}/operationStatus/bm9uZQ==", vault_path());
    assert_error(test.get(&test.arm(&status)).await, StatusCode::NOT_FOUND, "UserErrorGenericResourceNotFound").await;
    // Paths the emulator does not serve.
    let network =
        world::resource_group_id(world::WORKLOAD_RESOURCE_GROUP) + "/providers/Microsoft.Network/virtualNetworks/vnet";
    assert_error(test.get(&test.arm(&network)).await, StatusCode::CONFLICT, "MissingSubscriptionRegistration").await;
    assert_error(
        test.get(&test.arm(&format!("{}/backupJobs", vault_path()))).await,
        StatusCode::NOT_FOUND,
        "InvalidResourceType",
    )
    .await;
}

#[tokio::test]
async fn invalid_bodies_and_ids_get_arm_errors() {
    let test = support::start().await;
    let url = test.arm(&instance_path("bi"));
    let raw = |body: &'static str| {
        let test = &test;
        let url = url.clone();
        async move {
            test.client
                .put(url)
                .bearer_auth(&test.token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_error(raw("").await, StatusCode::BAD_REQUEST, "InvalidRequestContent").await;
    assert_error(raw("{\"properties\": ").await, StatusCode::BAD_REQUEST, "InvalidRequestContent").await;
    assert_error(raw("{}").await, StatusCode::BAD_REQUEST, "BMSUserErrorInvalidInput").await;

    let mutate = |change: &dyn Fn(&mut Value)| {
        let mut body = disk_instance(world::DISK_APP_01, world::POLICY_DAILY);
        change(&mut body);
        body
    };
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "wrong objectType",
            mutate(&|body| body["properties"]["objectType"] = json!("Nope")),
            StatusCode::BAD_REQUEST,
            "BMSUserErrorInvalidInput",
        ),
        (
            "missing objectType",
            mutate(&|body| {
                body["properties"].as_object_mut().unwrap().remove("objectType");
            }),
            StatusCode::BAD_REQUEST,
            "BMSUserErrorInvalidInput",
        ),
        (
            "unknown data store parameters",
            mutate(&|body| {
                body["properties"]["policyInfo"]["policyParameters"]["dataStoreParametersList"][0]["objectType"] =
                    json!("TapeStoreParameters")
            }),
            StatusCode::BAD_REQUEST,
            "BMSUserErrorInvalidInput",
        ),
        (
            "wrong datasource objectType",
            mutate(&|body| body["properties"]["dataSourceInfo"]["objectType"] = json!("DatasourceSet")),
            StatusCode::BAD_REQUEST,
            "BMSUserErrorInvalidInput",
        ),
        (
            "resourceID of the wrong type",
            mutate(&|body| body["properties"]["dataSourceInfo"]["resourceID"] = json!(42)),
            StatusCode::BAD_REQUEST,
            "BMSUserErrorInvalidInput",
        ),
        (
            "resourceID that is no ARM ID",
            mutate(&|body| body["properties"]["dataSourceInfo"]["resourceID"] = json!("disk-app-01")),
            StatusCode::BAD_REQUEST,
            "BMSUserErrorInvalidInput",
        ),
        (
            "policyId that is no policy",
            mutate(&|body| body["properties"]["policyInfo"]["policyId"] = json!(world::vault_id())),
            StatusCode::BAD_REQUEST,
            "BMSUserErrorInvalidInput",
        ),
        (
            "no policyInfo",
            mutate(&|body| {
                body["properties"].as_object_mut().unwrap().remove("policyInfo");
            }),
            StatusCode::BAD_REQUEST,
            "BMSUserErrorInvalidInput",
        ),
        (
            "no snapshot resource group",
            mutate(&|body| body["properties"]["policyInfo"]["policyParameters"]["dataStoreParametersList"] = json!([])),
            StatusCode::BAD_REQUEST,
            "UserErrorOperationalStoreParametersNotProvided",
        ),
        (
            "a snapshot resource group ID that is not one",
            mutate(&|body| {
                body["properties"]["policyInfo"]["policyParameters"]["dataStoreParametersList"][0]["resourceGroupId"] =
                    json!(world::disk_id(world::DISK_APP_02))
            }),
            StatusCode::BAD_REQUEST,
            "UserErrorInvalidOperationalStoreResourceGroup",
        ),
    ];
    for (what, body, status, code) in cases {
        let response = test.put(&url, &body).await;
        assert_eq!(response.status(), status, "{what}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], code, "{what}: {error}");
    }
    let unknown = assert_error(
        test.put(
            &url,
            &mutate(&|body| {
                body["properties"]["policyInfo"]["policyParameters"]["dataStoreParametersList"][0]["objectType"] =
                    json!("TapeStoreParameters")
            }),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BMSUserErrorInvalidInput",
    )
    .await;
    assert!(
        unknown["error"]["message"].as_str().unwrap().contains("'TapeStoreParameters' is not a known objectType"),
        "{unknown}"
    );
    assert!(test.state().inventory().backup_instances.is_empty(), "nothing invalid was stored");
}

#[tokio::test]
async fn garbage_never_panics_and_always_gets_an_arm_error() {
    let test = support::start().await;
    // Hundreds of writes would otherwise be throttled before they reach the handlers.
    test.state().update_settings(|settings| settings.throttling.enabled = false);
    let subscription = format!("/subscriptions/{}", world::SUBSCRIPTION_ID);
    let paths = [
        "/".to_owned(),
        "/subscriptions".to_owned(),
        subscription.clone(),
        format!("{subscription}/resourceGroups"),
        format!("{subscription}/resourceGroups/%ff%fe"),
        format!("{subscription}/resourceGroups/rg/providers"),
        format!("{subscription}/providers/Microsoft.DataProtection/locations/westus/operationStatus"),
        format!("{subscription}/providers/Microsoft.Authorization/roleAssignments/not-a-guid"),
        format!("{}/backupInstances/a/b/c/d", vault_path()),
        format!("{}/backupInstances/%2F..%2F", vault_path()),
        format!("{}/backupPolicies/p/extra", vault_path()),
        "/_emulator/nothing".to_owned(),
    ];
    let bodies = [
        None,
        Some("null"),
        Some("[]"),
        Some("\"text\""),
        Some("{\"properties\": []}"),
        Some("{\"properties\":{\"objectType\":7}}"),
        Some("\u{0}\u{1}"),
    ];
    for path in &paths {
        for method in [Method::GET, Method::PUT, Method::POST, Method::DELETE, Method::PATCH] {
            for body in bodies {
                let mut request = test.client.request(method.clone(), test.arm(path)).bearer_auth(&test.token);
                if let Some(body) = body {
                    request = request.header("content-type", "application/json").body(body);
                }
                let response = request.send().await.unwrap();
                let status = response.status();
                assert!(status.as_u16() < 500, "{method} {path} {body:?}: {status}");
                if !status.is_success() {
                    let text = response.text().await.unwrap();
                    let error: Value =
                        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"));
                    assert!(
                        error["error"]["code"].is_string() && error["error"]["message"].is_string(),
                        "{method} {path}: {text}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn deleting_a_protected_disk_puts_its_instance_in_protection_error() {
    let test = support::start().await;
    test.fast();
    test.protect("bi", world::DISK_APP_02, world::POLICY_DAILY).await;
    assert_eq!(test.delete(&test.arm(&world::disk_id(world::DISK_APP_02))).await.status(), StatusCode::OK);
    let instance: Value = test.get(&test.arm(&instance_path("bi"))).await.json().await.unwrap();
    assert_eq!(instance["properties"]["currentProtectionState"], "ProtectionError");
    assert_eq!(instance["properties"]["protectionStatus"]["errorDetails"]["code"], "UserErrorManagedDiskNotFound");
}

#[tokio::test]
async fn an_injected_protection_error_shows_until_sync() {
    let test = support::start().await;
    test.fast();
    test.protect("bi", world::DISK_APP_01, world::POLICY_DAILY).await;
    test.state()
        .set_protection_error(&ProtectionErrorRequest {
            backup_instance_id: instance_path("BI"),
            code: Some("UserErrorDiskBackupSnapshotRGOrMSIPermissionsNotPresent".into()),
            message: Some(
                "Could not perform the operation as Snapshot Data store Resource Group no longer exists.".into(),
            ),
            recommended_action: vec!["Create a resource group and grant the vault's identity access.".into()],
        })
        .unwrap();
    let instance: Value = test.get(&test.arm(&instance_path("bi"))).await.json().await.unwrap();
    let properties = &instance["properties"];
    assert_eq!(properties["currentProtectionState"], "ProtectionError");
    assert_eq!(properties["protectionStatus"]["status"], "ProtectionError");
    let details = &properties["protectionStatus"]["errorDetails"];
    assert_eq!(details["code"], "UserErrorDiskBackupSnapshotRGOrMSIPermissionsNotPresent");
    assert_eq!(details["recommendedAction"][0], "Create a resource group and grant the vault's identity access.");
    assert_eq!(properties["protectionErrorDetails"], *details);
    let response =
        test.post(&test.arm(&format!("{}/sync", instance_path("bi"))), Some(&json!({"syncType": "ForceResync"}))).await;
    test.wait(&header(&response, "azure-asyncoperation")).await;
    let instance: Value = test.get(&test.arm(&instance_path("bi"))).await.json().await.unwrap();
    assert_eq!(instance["properties"]["currentProtectionState"], "ProtectionConfigured");
    assert!(instance["properties"].get("protectionErrorDetails").is_none());
}

#[tokio::test]
async fn a_second_write_during_an_operation_is_told_to_retry() {
    let test = support::start().await;
    test.state().set_default_lro_timing(LroTiming::with_delays(5, 0, 1, Some(1)));
    let response =
        test.put(&test.arm(&instance_path("bi")), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let again = test.delete(&test.arm(&instance_path("bi"))).await;
    assert!(!header(&again, "retry-after").is_empty());
    assert_error(again, StatusCode::TOO_MANY_REQUESTS, "RetryableErrorDueToAnotherOperation").await;
}

#[tokio::test]
async fn role_assignments_follow_arm_rules() {
    let test = support::start().await;
    let scope = world::disk_id(world::DISK_UNAUTHORIZED);
    let url = |name: &str| test.arm(&format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"));
    let name = "9d3c1a4b-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    let body = |role: &str, principal: &str| json!({"properties": {"roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{role}", world::SUBSCRIPTION_ID), "principalId": principal}});
    let reader = "3e5e47e6-65f7-47ef-90b5-e5dd4d455f24";
    assert_eq!(test.put(&url(name), &body(reader, world::VAULT_PRINCIPAL_ID)).await.status(), StatusCode::CREATED);
    assert_eq!(test.put(&url(name), &body(reader, world::VAULT_PRINCIPAL_ID)).await.status(), StatusCode::OK);
    assert_error(
        test.put(&url(name), &body(reader, world::CLIENT_OBJECT_ID)).await,
        StatusCode::BAD_REQUEST,
        "RoleAssignmentUpdateNotPermitted",
    )
    .await;
    let other = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    assert_error(
        test.put(&url(other), &body(reader, world::VAULT_PRINCIPAL_ID)).await,
        StatusCode::CONFLICT,
        "RoleAssignmentExists",
    )
    .await;
    assert_error(
        test.put(&url("not-a-guid"), &body(reader, world::VAULT_PRINCIPAL_ID)).await,
        StatusCode::BAD_REQUEST,
        "InvalidRoleAssignmentId",
    )
    .await;
    assert_error(
        test.put(&url(other), &body("00000000-1111-2222-3333-444444444444", world::VAULT_PRINCIPAL_ID)).await,
        StatusCode::BAD_REQUEST,
        "RoleDefinitionDoesNotExist",
    )
    .await;
    assert_error(
        test.put(&url(other), &body(reader, "99999999-9999-9999-9999-999999999999")).await,
        StatusCode::BAD_REQUEST,
        "PrincipalNotFound",
    )
    .await;
    let list = test.arm(&format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments?$filter=principalId eq '{}'",
        world::VAULT_PRINCIPAL_ID
    ));
    let listed: Value = test.get(&list).await.json().await.unwrap();
    // The one at the disk, and those above it (the default world's grants on the subscription).
    let at_disk = listed["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|assignment| assignment["properties"]["scope"].as_str().unwrap().eq_ignore_ascii_case(&scope))
        .count();
    assert_eq!(at_disk, 1, "{listed}");
    // With the role the unauthorized disk validates.
    let response = test
        .post(&test.arm(&format!("{}/validateForBackup", vault_path())), Some(&validate_body(world::DISK_UNAUTHORIZED)))
        .await;
    assert_eq!(test.wait(&header(&response, "azure-asyncoperation")).await["status"], "Succeeded");
    assert_eq!(test.delete(&url(name)).await.status(), StatusCode::OK);
    assert_eq!(test.delete(&url(name)).await.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn scenarios_that_contradict_themselves_are_refused() {
    let mut scenario = Scenario::default_world();
    scenario.disks.push(dataprotection_emulator::scenario::DiskSeed {
        resource_group: "rg-nowhere".into(),
        name: "d".into(),
        ..Default::default()
    });
    let error = dataprotection_emulator::EmulatorState::new(scenario).unwrap_err();
    assert!(error.to_string().contains("rg-nowhere"), "{error}");
}

#[tokio::test]
async fn an_unregistered_subscription_answers_409_until_the_namespace_is_registered() {
    let mut scenario = Scenario::default_world();
    scenario.subscriptions[0].unregistered_providers = vec!["Microsoft.DataProtection".to_owned()];
    let test = support::start_with(scenario).await;
    test.state().set_lro_timing(
        dataprotection_emulator::OperationKind::ProviderRegistration,
        LroTiming::with_delays(2, 0, 10, Some(50)),
    );
    let body =
        assert_error(test.get(&test.arm(&vault_path())).await, StatusCode::CONFLICT, "MissingSubscriptionRegistration")
            .await;
    assert_eq!(
        body["error"]["message"],
        "The subscription is not registered to use namespace 'Microsoft.DataProtection'. See \
         https://aka.ms/rps-not-found for how to register subscriptions."
    );
    assert_eq!(body["error"]["details"][0]["target"], "Microsoft.DataProtection");
    // Other namespaces are registered: the disks answer.
    let disk = test.get(&test.arm(&world::disk_id(world::DISK_APP_01))).await;
    assert_eq!(disk.status(), StatusCode::OK);

    let provider = format!("/subscriptions/{}/providers/Microsoft.DataProtection", world::SUBSCRIPTION_ID);
    let read = |response: reqwest::Response| async move {
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["registrationState"].as_str().unwrap().to_owned()
    };
    assert_eq!(read(test.get(&test.arm(&provider)).await).await, "NotRegistered");
    let registering = test.post(&test.arm(&format!("{provider}/register")), None).await;
    assert_eq!(header(&registering, "retry-after-ms"), "50");
    assert_eq!(read(registering).await, "Registering");
    assert_error(test.get(&test.arm(&vault_path())).await, StatusCode::CONFLICT, "MissingSubscriptionRegistration")
        .await;
    assert_eq!(read(test.get(&test.arm(&provider)).await).await, "Registering");
    assert_eq!(read(test.get(&test.arm(&provider)).await).await, "Registering");
    assert_eq!(read(test.get(&test.arm(&provider)).await).await, "Registered");
    assert_eq!(test.get(&test.arm(&vault_path())).await.status(), StatusCode::OK);
    // The saved world keeps what is still unregistered: nothing now.
    assert!(test.state().snapshot().subscriptions[0].unregistered_providers.is_empty());
}

#[tokio::test]
async fn from_2025_09_01_vaults_must_have_soft_delete_always_on() {
    let test = support::start().await;
    test.fast();
    let newer = |path: &str| test.arm(path).replace(support::API, "2026-06-01");
    // The default world's vault has soft delete Off: an instance PUT and a validation are refused on 2026-06-01...
    let body = disk_instance(world::DISK_APP_01, world::POLICY_DAILY);
    let refused = test.put(&newer(&instance_path("new")), &body).await;
    let error = assert_error(refused, StatusCode::BAD_REQUEST, "UserErrorAlwaysOnSoftDeleteRequired").await;
    assert_eq!(
        error["error"]["message"],
        "This API version requires backup vaults to have the soft delete setting configured to Enable Always-On Soft Delete."
    );
    let validate = format!("{}/validateForBackup", vault_path());
    let refused = test.post(&newer(&validate), Some(&validate_body(world::DISK_APP_01))).await;
    assert_error(refused, StatusCode::BAD_REQUEST, "UserErrorAlwaysOnSoftDeleteRequired").await;
    // ... and so is a vault created with Azure's default (On) or a PATCH that keeps it On.
    let new_vault = vault_path().replace(world::VAULT_NAME, "vault-newer");
    let vault_body = json!({"location": world::LOCATION, "properties": {
        "storageSettings": [{"datastoreType": "VaultStore", "type": "LocallyRedundant"}],
        "securitySettings": {"softDeleteSettings": {"state": "On", "retentionDurationInDays": 14}}}});
    assert_error(
        test.put(&newer(&new_vault), &vault_body).await,
        StatusCode::BAD_REQUEST,
        "UserErrorAlwaysOnSoftDeleteRequired",
    )
    .await;
    // 2025-07-01 accepts both.
    assert_eq!(test.put(&test.arm(&instance_path("new")), &body).await.status(), StatusCode::ACCEPTED);
    assert_eq!(test.put(&test.arm(&new_vault), &vault_body).await.status(), StatusCode::CREATED);
    // An update of an existing vault is not refused: the recorded PUT at 2026-06-01 with soft delete "ON" was
    // accepted (201, Updating, followed through Azure-AsyncOperation).
    let mut upper = vault_body.clone();
    upper["properties"]["securitySettings"]["softDeleteSettings"]["state"] = json!("ON");
    let updated = test.put(&newer(&new_vault), &upper).await;
    assert_eq!(updated.status(), StatusCode::CREATED);
    assert!(header(&updated, "azure-asyncoperation").contains("/backupVaults/vault-newer/operationStatus/"));
    assert_eq!(header(&updated, "location"), "");
    // AlwaysOn satisfies the newer version.
    let always_on = json!({"properties": {"securitySettings": {"softDeleteSettings": {"state": "AlwaysOn"}}}});
    let patched = test.send(Method::PATCH, &newer(&new_vault), Some(&always_on)).await;
    assert_eq!(patched.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn deleted_instances_in_a_soft_delete_vault_are_kept_listed_and_undeleted() {
    let mut scenario = Scenario::default_world();
    scenario.vaults[0].properties = None; // Azure's default: soft delete On, 14 days.
    let test = support::start_with(scenario).await;
    test.fast();
    test.protect("kept", world::DISK_APP_01, world::POLICY_DAILY).await;
    test.delete_and_wait(&instance_path("kept")).await;
    assert_eq!(test.get(&test.arm(&instance_path("kept"))).await.status(), StatusCode::NOT_FOUND);
    let list: Value =
        test.get(&test.arm(&format!("{}/deletedBackupInstances", vault_path()))).await.json().await.unwrap();
    let deleted = &list["value"][0];
    assert_eq!(deleted["type"], "Microsoft.DataProtection/backupVaults/deletedBackupInstances");
    assert_eq!(deleted["properties"]["objectType"], "DeletedBackupInstance");
    assert_eq!(deleted["properties"]["currentProtectionState"], "SoftDeleted");
    // The vault cannot go, and the disk cannot be protected again in it, while the instance is kept.
    assert_error(test.delete(&test.arm(&vault_path())).await, StatusCode::BAD_REQUEST, "UserErrorBackupVaultNotEmpty")
        .await;
    let again =
        test.put(&test.arm(&instance_path("again")), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    assert_error(again, StatusCode::BAD_REQUEST, "UserErrorDppDatasourceAlreadyHasBackupInstance").await;
    // Undelete: at once, protection stopped.
    let undelete = test.post(&test.arm(&format!("{}/deletedBackupInstances/kept/undelete", vault_path())), None).await;
    assert_eq!(undelete.status(), StatusCode::OK);
    let back: Value = test.get(&test.arm(&instance_path("kept"))).await.json().await.unwrap();
    assert_eq!(back["properties"]["currentProtectionState"], "ProtectionStopped");
    let none = test.post(&test.arm(&format!("{}/deletedBackupInstances/kept/undelete", vault_path())), None).await;
    assert_error(none, StatusCode::NOT_FOUND, "UserErrorGenericResourceNotFound").await;
}

#[tokio::test]
async fn a_role_assignment_made_through_arm_takes_effect_after_the_propagation_delay() {
    let test = support::start().await;
    test.fast();
    test.state().update_settings(|s| s.role_propagation_ms = 60_000);
    let validate = || async {
        let response = test
            .post(
                &test.arm(&format!("{}/validateForBackup", vault_path())),
                Some(&validate_body(world::DISK_UNAUTHORIZED)),
            )
            .await;
        test.wait(&header(&response, "azure-asyncoperation")).await["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(validate().await, "Failed");
    let assignment = format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/6f5c1a54-0a2b-4e52-8a55-3a3f1f6b9a01",
        world::disk_id(world::DISK_UNAUTHORIZED)
    );
    let body = json!({"properties": {
        "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/3e5e47e6-65f7-47ef-90b5-e5dd4d455f24", world::SUBSCRIPTION_ID),
        "principalId": world::VAULT_PRINCIPAL_ID, "principalType": "ServicePrincipal"}});
    assert_eq!(test.put(&test.arm(&assignment), &body).await.status(), StatusCode::CREATED);
    // Listed at once (with its createdOn), not yet in effect for the service's checks.
    let listed: Value = test.get(&test.arm(&assignment)).await.json().await.unwrap();
    assert!(listed["properties"]["createdOn"].is_string());
    assert_eq!(validate().await, "Failed");
    test.state().advance_clock(std::time::Duration::from_secs(61));
    assert_eq!(validate().await, "Succeeded");
}

#[tokio::test]
async fn a_vault_that_takes_one_instance_write_at_a_time_refuses_the_second() {
    let test = support::start().await;
    test.state().update_settings(|s| s.instance_writes_per_vault = Some(1));
    // The first create runs (its operation needs a poll to end); a second instance's PUT meets it.
    test.state().set_default_lro_timing(LroTiming::with_delays(1, 0, 1, Some(1)));
    let first =
        test.put(&test.arm(&instance_path("one")), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let second =
        test.put(&test.arm(&instance_path("two")), &disk_instance(world::DISK_APP_02, world::POLICY_DAILY)).await;
    assert_error(second, StatusCode::CONFLICT, "UserErrorConcurrentBackupInstanceOperation").await;
    // Once the first has ended, the second goes through.
    test.wait(&header(&first, "azure-asyncoperation")).await;
    let second =
        test.put(&test.arm(&instance_path("two")), &disk_instance(world::DISK_APP_02, world::POLICY_DAILY)).await;
    assert_eq!(second.status(), StatusCode::ACCEPTED);
}

/// The default world plus storage account `stblob01` in the workload group and an operational blob policy, without
/// the vault identity's roles on the subscription (so that each test grants what it needs).
fn blob_world() -> Scenario {
    let mut scenario = Scenario::default_world();
    let subscription = format!("/subscriptions/{}", world::SUBSCRIPTION_ID);
    scenario.role_assignments.retain(|assignment| {
        !(assignment.principal_id == world::VAULT_PRINCIPAL_ID && assignment.scope == subscription)
    });
    scenario.storage_accounts.push(dataprotection_emulator::scenario::StorageAccountSeed {
        resource_group: world::WORKLOAD_RESOURCE_GROUP.into(),
        name: "stblob01".into(),
        ..Default::default()
    });
    scenario.policies.push(dataprotection_emulator::scenario::PolicySeed {
        resource_group: world::BACKUP_RESOURCE_GROUP.into(),
        vault: world::VAULT_NAME.into(),
        name: "policy-blob".into(),
        properties: Some(json!({
            "objectType": "BackupPolicy",
            "datasourceTypes": ["Microsoft.Storage/storageAccounts/blobServices"],
            "policyRules": [{"name": "Default", "objectType": "AzureRetentionRule", "isDefault": true,
                "lifecycles": [{"deleteAfter": {"objectType": "AbsoluteDeleteOption", "duration": "P30D"},
                    "sourceDataStore": {"dataStoreType": "OperationalStore", "objectType": "DataStoreInfoBase"},
                    "targetDataStoreCopySettings": []}]}]
        })),
        ..Default::default()
    });
    scenario
}

fn account_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Storage/storageAccounts/{name}",
        world::resource_group_id(world::WORKLOAD_RESOURCE_GROUP)
    )
}

/// An operational blob backup instance of storage account `account` with `policy`.
fn blob_properties(account: &str, policy: &str) -> Value {
    json!({
        "objectType": "BackupInstance",
        "friendlyName": account,
        "dataSourceInfo": {"objectType": "Datasource", "datasourceType": "Microsoft.Storage/storageAccounts/blobServices",
            "resourceType": "Microsoft.Storage/storageAccounts", "resourceID": account_id(account),
            "resourceUri": account_id(account), "resourceName": account, "resourceLocation": world::LOCATION},
        "policyInfo": {"policyId": world::policy_id(policy)}
    })
}

#[tokio::test]
async fn blob_backup_needs_the_account_a_blob_policy_and_storage_account_backup_contributor() {
    let test = support::start_with(blob_world()).await;
    test.fast();
    let test = &test;
    let validate = |properties: Value| async move {
        let url = test.arm(&format!("{}/validateForBackup", vault_path()));
        test.post(&url, Some(&json!({ "backupInstance": properties }))).await
    };
    // A storage account that does not exist.
    let response = validate(blob_properties("stmissing", "policy-blob")).await;
    assert_error(response, StatusCode::BAD_REQUEST, "UserErrorStorageAccountNotFound").await;
    // A disk policy for blobs.
    let response = validate(blob_properties("stblob01", world::POLICY_DAILY)).await;
    assert_error(response, StatusCode::BAD_REQUEST, "UserErrorDatasourceAndPolicyTypeMismatch").await;
    // The vault's identity lacks Storage Account Backup Contributor on the account.
    let response = validate(blob_properties("stblob01", "policy-blob")).await;
    let status = test.wait(&header(&response, "azure-asyncoperation")).await;
    assert_eq!(status["status"], "Failed");
    let detail =
        status["error"]["additionalInfo"][0]["info"]["innerError"]["additionalInfo"]["DetailedNonLocalisedMessage"]
            .as_str()
            .unwrap()
            .to_owned();
    assert!(
        detail.contains("Storage Account Backup Contributor") && detail.contains(&account_id("stblob01")),
        "{detail}"
    );
    // Granted: validation passes, the instance is created and protected, and the account cannot be protected twice.
    let assignment = format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/8b1c1e6a-2f0e-4f55-9e3a-8d1f7c2b5a10",
        account_id("stblob01")
    );
    let body = json!({"properties": {
        "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1", world::SUBSCRIPTION_ID),
        "principalId": world::VAULT_PRINCIPAL_ID, "principalType": "ServicePrincipal"}});
    assert_eq!(test.put(&test.arm(&assignment), &body).await.status(), StatusCode::CREATED);
    let response = validate(blob_properties("stblob01", "policy-blob")).await;
    assert_eq!(test.wait(&header(&response, "azure-asyncoperation")).await["status"], "Succeeded");
    let created = test
        .put(&test.arm(&instance_path("blob-1")), &json!({"properties": blob_properties("stblob01", "policy-blob")}))
        .await;
    assert_eq!(created.status(), StatusCode::ACCEPTED);
    assert_eq!(test.wait(&header(&created, "azure-asyncoperation")).await["status"], "Succeeded");
    let again = test
        .put(&test.arm(&instance_path("blob-2")), &json!({"properties": blob_properties("stblob01", "policy-blob")}))
        .await;
    assert_error(again, StatusCode::BAD_REQUEST, "UserErrorDppDatasourceAlreadyProtected").await;
}

#[tokio::test]
async fn storage_accounts_are_served_and_saved() {
    let test = support::start_with(blob_world()).await;
    let account = account_id("stblob01");
    let body: Value = test.get(&test.arm(&account)).await.json().await.unwrap();
    assert_eq!(body["type"], "Microsoft.Storage/storageAccounts");
    assert_eq!(body["location"], world::LOCATION);
    let created = test
        .put(
            &test.arm(&account_id("stnew")),
            &json!({"location": "westus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let list: Value = test
        .get(&test.arm(&format!(
            "{}/providers/Microsoft.Storage/storageAccounts",
            world::resource_group_id(world::WORKLOAD_RESOURCE_GROUP)
        )))
        .await
        .json()
        .await
        .unwrap();
    // The default world's two accounts, stblob01 and stnew.
    assert_eq!(list["value"].as_array().unwrap().len(), 4);
    assert_eq!(test.delete(&test.arm(&account_id("stnew"))).await.status(), StatusCode::OK);
    assert_error(test.get(&test.arm(&account_id("stnew"))).await, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let saved = test.state().snapshot();
    let names: Vec<&str> = saved.storage_accounts.iter().map(|account| account.name.as_str()).collect();
    assert_eq!(names, ["stappdata01", "stblob01", "stlakedata01"]);
}

/// Every datasource resource type is served by one handler, so each answers the same way: a new resource 201 and
/// a second PUT 200, GET and HEAD 200 with its type, its group's list holds it, a PATCH 405, a DELETE 200 and then
/// 204, a GET of what is gone 404 `ResourceNotFound`, and any request in a missing resource group (the list's POST
/// included) 404 `ResourceGroupNotFound` before its method is judged.
#[tokio::test]
async fn every_datasource_type_answers_the_same_way() {
    let test = support::start().await;
    let name = "uniform-01";
    let types = [
        (world::disk_id(name), "Microsoft.Compute/disks"),
        (world::storage_account_id(name), "Microsoft.Storage/storageAccounts"),
        (world::kubernetes_cluster_id(name), "Microsoft.ContainerService/managedClusters"),
        (world::postgresql_server_id(name), "Microsoft.DBforPostgreSQL/flexibleServers"),
        (world::mysql_server_id(name), "Microsoft.DBforMySQL/flexibleServers"),
    ];
    for (id, full_type) in types {
        let body = json!({"location": world::LOCATION});
        assert_eq!(test.put(&test.arm(&id), &body).await.status(), StatusCode::CREATED, "{full_type}");
        assert_eq!(test.put(&test.arm(&id), &body).await.status(), StatusCode::OK, "{full_type}");
        let got: Value = test.get(&test.arm(&id)).await.json().await.unwrap();
        assert!(got["type"].as_str().unwrap().eq_ignore_ascii_case(full_type), "{got}");
        assert_eq!(got["id"], id.as_str());
        assert_eq!(test.send(Method::HEAD, &test.arm(&id), None).await.status(), StatusCode::OK, "{full_type}");
        let group = world::resource_group_id(world::WORKLOAD_RESOURCE_GROUP);
        let list: Value = test.get(&test.arm(&format!("{group}/providers/{full_type}"))).await.json().await.unwrap();
        assert!(list["value"].as_array().unwrap().iter().any(|item| item["id"] == id.as_str()), "{list}");
        let patched = test.send(Method::PATCH, &test.arm(&id), Some(&body)).await;
        assert_error(patched, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed").await;
        assert_eq!(test.delete(&test.arm(&id)).await.status(), StatusCode::OK, "{full_type}");
        assert_eq!(test.delete(&test.arm(&id)).await.status(), StatusCode::NO_CONTENT, "{full_type}");
        assert_error(test.get(&test.arm(&id)).await, StatusCode::NOT_FOUND, "ResourceNotFound").await;
        let elsewhere = id.replace(world::WORKLOAD_RESOURCE_GROUP, "rg-missing");
        assert_error(test.get(&test.arm(&elsewhere)).await, StatusCode::NOT_FOUND, "ResourceGroupNotFound").await;
        let list_elsewhere = format!("{}/providers/{full_type}", world::resource_group_id("rg-missing"));
        let posted = test.post(&test.arm(&list_elsewhere), None).await;
        assert_error(posted, StatusCode::NOT_FOUND, "ResourceGroupNotFound").await;
    }
}

/// A policy of `datasource_type` in the default vault: `backup` an `AzureBackupRule` (store, backup type,
/// interval) if any, and default retention rules in `retention_stores`.
pub(crate) fn kind_policy(
    datasource_type: &str,
    backup: Option<(&str, &str, &str)>,
    retention_stores: &[&str],
) -> Value {
    let mut rules: Vec<Value> = backup
        .map(|(store, backup_type, interval)| {
            json!({"name": "BackupIntervals", "objectType": "AzureBackupRule",
                   "backupParameters": {"objectType": "AzureBackupParams", "backupType": backup_type},
                   "dataStore": {"dataStoreType": store, "objectType": "DataStoreInfoBase"},
                   "trigger": {"objectType": "ScheduleBasedTriggerContext",
                               "schedule": {"repeatingTimeIntervals": [format!("R/2024-01-01T02:00:00+00:00/{interval}")], "timeZone": "UTC"},
                               "taggingCriteria": [{"isDefault": true, "taggingPriority": 99, "tagInfo": {"id": "Default_", "tagName": "Default"}}]}})
        })
        .into_iter()
        .collect();
    for store in retention_stores {
        let name = if *store == "OperationalStore" && retention_stores.len() > 1 {
            "Default_OperationalStore"
        } else {
            "Default"
        };
        rules.push(json!({"name": name, "objectType": "AzureRetentionRule", "isDefault": true,
            "lifecycles": [{"deleteAfter": {"objectType": "AbsoluteDeleteOption", "duration": "P30D"},
                "sourceDataStore": {"dataStoreType": store, "objectType": "DataStoreInfoBase"},
                "targetDataStoreCopySettings": []}]}));
    }
    json!({"properties": {"objectType": "BackupPolicy", "datasourceTypes": [datasource_type], "policyRules": rules}})
}

/// PUTs a policy into the default vault and asserts it is accepted.
async fn put_policy(test: &support::TestEmulator, name: &str, policy: &Value) {
    let response = test.put(&test.arm(&world::policy_id(name)), policy).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
}

/// Instance properties for a datasource of the new kinds, as the provider sends them (with `dataSourceSetInfo`).
fn kind_properties(datasource_type: &str, resource_type: &str, id: &str, policy: &str, parameters: Value) -> Value {
    let name = id.rsplit('/').next().unwrap();
    let info = |object_type: &str| {
        json!({"objectType": object_type, "datasourceType": datasource_type, "resourceType": resource_type,
               "resourceID": id, "resourceUri": id, "resourceName": name, "resourceLocation": world::LOCATION})
    };
    let mut properties = json!({
        "objectType": "BackupInstance", "friendlyName": name,
        "dataSourceInfo": info("Datasource"), "dataSourceSetInfo": info("DatasourceSet"),
        "policyInfo": {"policyId": world::policy_id(policy)}
    });
    if !parameters.is_null() {
        properties["policyInfo"]["policyParameters"] = parameters;
    }
    properties
}

const BLOB: &str = "Microsoft.Storage/storageAccounts/blobServices";
const ADLS: &str = "Microsoft.Storage/storageAccounts/adlsBlobServices";
const AKS: &str = "Microsoft.ContainerService/managedClusters";
const POSTGRESQL: &str = "Microsoft.DBforPostgreSQL/flexibleServers";
const MYSQL: &str = "Microsoft.DBforMySQL/flexibleServers";

fn containers(object_type: &str, names: &[&str]) -> Value {
    json!({"backupDatasourceParametersList": [{"objectType": object_type, "containersList": names}]})
}

fn aks_parameters(snapshot_group: Option<&str>) -> Value {
    let mut parameters = json!({"backupDatasourceParametersList": [{
        "objectType": "KubernetesClusterBackupDatasourceParameters", "snapshotVolumes": true,
        "includeClusterScopeResources": true, "excludedNamespaces": ["kube-system"]}]});
    if let Some(group) = snapshot_group {
        parameters["dataStoreParametersList"] = json!([{"objectType": "AzureOperationalStoreParameters",
            "dataStoreType": "OperationalStore", "resourceGroupId": world::resource_group_id(group)}]);
    }
    parameters
}

/// validateForBackup of `properties`: the synchronous error code, or the operation's end (status and error code).
async fn validate_outcome(test: &support::TestEmulator, properties: &Value) -> (String, String) {
    let url = test.arm(&format!("{}/validateForBackup", vault_path()));
    let response = test.post(&url, Some(&json!({ "backupInstance": properties }))).await;
    if response.status() != StatusCode::ACCEPTED {
        let body: Value = response.json().await.unwrap();
        return ("Refused".to_owned(), body["error"]["code"].as_str().unwrap_or_default().to_owned());
    }
    let status = test.wait(&header(&response, "azure-asyncoperation")).await;
    (status["status"].as_str().unwrap().to_owned(), status["error"]["code"].as_str().unwrap_or_default().to_owned())
}

fn outcome(status: &str, code: &str) -> (String, String) {
    (status.to_owned(), code.to_owned())
}

#[tokio::test]
async fn blob_backup_checks_hns_containers_and_refuses_to_stop_operational_backup() {
    let test = support::start().await;
    test.fast();
    put_policy(&test, "policy-blob-operational", &kind_policy(BLOB, None, &["OperationalStore"])).await;
    put_policy(
        &test,
        "policy-blob-vaulted",
        &kind_policy(BLOB, Some(("VaultStore", "Discrete", "P1D")), &["VaultStore", "OperationalStore"]),
    )
    .await;
    let account = |name: &str| world::storage_account_id(name);
    let blob = |name: &str, policy: &str, parameters: Value| {
        kind_properties(BLOB, "Microsoft.Storage/storageAccounts", &account(name), policy, parameters)
    };
    // An HNS account is not for blob backup.
    let hns = blob(world::STORAGE_ACCOUNT_ADLS, "policy-blob-operational", Value::Null);
    assert_eq!(validate_outcome(&test, &hns).await, outcome("Failed", "UserErrorUnsupportedStorageAccountType"));
    // Vaulted backup needs containers, and ones the account has.
    let none = blob(world::STORAGE_ACCOUNT_BLOB, "policy-blob-vaulted", Value::Null);
    assert_eq!(validate_outcome(&test, &none).await, outcome("Failed", "UserErrorNoContainersSelectedForOperation"));
    let wrong = blob(
        world::STORAGE_ACCOUNT_BLOB,
        "policy-blob-vaulted",
        containers("BlobBackupDatasourceParameters", &["invoices", "missing"]),
    );
    assert_eq!(
        validate_outcome(&test, &wrong).await,
        outcome("Failed", "UserErrorIncorrectContainersSelectedForOperation")
    );
    let vaulted = blob(
        world::STORAGE_ACCOUNT_BLOB,
        "policy-blob-vaulted",
        containers("BlobBackupDatasourceParameters", &["INVOICES"]),
    );
    assert_eq!(validate_outcome(&test, &vaulted).await, outcome("Succeeded", ""));
    // A disk policy for blobs.
    let mismatch = blob(world::STORAGE_ACCOUNT_BLOB, world::POLICY_DAILY, Value::Null);
    assert_eq!(
        validate_outcome(&test, &mismatch).await,
        outcome("Refused", "UserErrorDatasourceAndPolicyTypeMismatch")
    );

    // Operational backup only: protected, but stopProtection is refused.
    let operational = blob(world::STORAGE_ACCOUNT_BLOB, "policy-blob-operational", Value::Null);
    let created = test.put(&test.arm(&instance_path("blob-op")), &json!({ "properties": operational })).await;
    assert_eq!(created.status(), StatusCode::ACCEPTED);
    assert_eq!(test.wait(&header(&created, "azure-asyncoperation")).await["status"], "Succeeded");
    let stop = test.post(&test.arm(&format!("{}/stopProtection", instance_path("blob-op"))), None).await;
    assert_error(stop, StatusCode::BAD_REQUEST, "UserErrorStopProtectionNotSupportedForBlobOperationalBackup").await;
    // With containers (vaulted backup) it may be stopped.
    let updated = test.put(&test.arm(&instance_path("blob-op")), &json!({ "properties": vaulted })).await;
    assert_eq!(updated.status(), StatusCode::ACCEPTED);
    test.wait(&header(&updated, "azure-asyncoperation")).await;
    let stop = test.post(&test.arm(&format!("{}/stopProtection", instance_path("blob-op"))), None).await;
    assert_eq!(stop.status(), StatusCode::ACCEPTED);
}

/// validateForModifyBackup of instance `name` with `properties`: the synchronous error code, or the operation's
/// end (status and error code), with the answer of its `Location` URL (status and error code or `objectType`).
async fn modify_outcome(test: &support::TestEmulator, name: &str, properties: &Value) -> (String, String, u16, String) {
    let url = test.arm(&format!("{}/validateForModifyBackup", instance_path(name)));
    let response = test.post(&url, Some(&json!({ "backupInstance": properties }))).await;
    if response.status() != StatusCode::ACCEPTED {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        return (
            "Refused".to_owned(),
            body["error"]["code"].as_str().unwrap_or_default().to_owned(),
            status,
            String::new(),
        );
    }
    for wanted in ["azure-asyncoperation", "location", "retry-after"] {
        assert!(!header(&response, wanted).is_empty(), "202 carries {wanted}");
    }
    // Followed at location scope, as validateForBackup is.
    let scope = format!("/providers/Microsoft.DataProtection/locations/{}/operation", world::LOCATION);
    assert!(header(&response, "azure-asyncoperation").contains(&format!("{scope}Status/")));
    assert!(header(&response, "location").contains(&format!("{scope}Results/")));
    let result_url = header(&response, "location");
    let status = test.wait(&header(&response, "azure-asyncoperation")).await;
    let result = test.get(&result_url).await;
    let result_status = result.status().as_u16();
    let result_body: Value = result.json().await.unwrap_or_default();
    let said = result_body["error"]["code"].as_str().or(result_body["objectType"].as_str()).unwrap_or_default();
    (
        status["status"].as_str().unwrap().to_owned(),
        status["error"]["code"].as_str().unwrap_or_default().to_owned(),
        result_status,
        said.to_owned(),
    )
}

#[tokio::test]
async fn validate_for_modify_backup_runs_the_put_rules_and_leaves_the_instance_as_it_is() {
    let test = support::start().await;
    test.fast();
    let vaulted = kind_policy(BLOB, Some(("VaultStore", "Discrete", "P1D")), &["VaultStore", "OperationalStore"]);
    put_policy(&test, "policy-blob-vaulted", &vaulted).await;
    put_policy(
        &test,
        "policy-blob-weekly",
        &kind_policy(BLOB, Some(("VaultStore", "Discrete", "P1W")), &["VaultStore"]),
    )
    .await;
    let blob = |policy: &str, names: &[&str]| {
        kind_properties(
            BLOB,
            "Microsoft.Storage/storageAccounts",
            &world::storage_account_id(world::STORAGE_ACCOUNT_BLOB),
            policy,
            containers("BlobBackupDatasourceParameters", names),
        )
    };
    let instance_url = test.arm(&instance_path("blob-mod"));
    let created = test.put(&instance_url, &json!({ "properties": blob("policy-blob-vaulted", &["invoices"]) })).await;
    assert_eq!(created.status(), StatusCode::ACCEPTED);
    assert_eq!(test.wait(&header(&created, "azure-asyncoperation")).await["status"], "Succeeded");
    let before: Value = test.get(&instance_url).await.json().await.unwrap();
    assert_eq!(before["properties"]["currentProtectionState"], "ProtectionConfigured", "{before}");
    // Each validation answers Inprogress once, so that the instance can be looked at while it runs.
    test.state().set_lro_timing(
        dataprotection_emulator::OperationKind::ValidateForModifyBackup,
        LroTiming::with_delays(1, 0, 1, Some(1)),
    );

    // A container the account lacks: the operation fails as the PUT's protection would, with Azure's code.
    let wrong = blob("policy-blob-vaulted", &["invoices", "missing"]);
    let code = "UserErrorIncorrectContainersSelectedForOperation";
    assert_eq!(modify_outcome(&test, "blob-mod", &wrong).await, ("Failed".into(), code.into(), 400, code.into()));
    // No containers for a policy with vaulted backup.
    let none = kind_properties(
        BLOB,
        "Microsoft.Storage/storageAccounts",
        &world::storage_account_id(world::STORAGE_ACCOUNT_BLOB),
        "policy-blob-vaulted",
        Value::Null,
    );
    let code = "UserErrorNoContainersSelectedForOperation";
    assert_eq!(modify_outcome(&test, "blob-mod", &none).await, ("Failed".into(), code.into(), 400, code.into()));
    // A policy of another datasource type, and one that does not exist: refused at once, as a PUT is.
    let mismatch = blob(world::POLICY_DAILY, &["invoices"]);
    let (status, code, http, _) = modify_outcome(&test, "blob-mod", &mismatch).await;
    assert_eq!((status.as_str(), code.as_str(), http), ("Refused", "UserErrorDatasourceAndPolicyTypeMismatch", 400));
    let (status, _, http, _) = modify_outcome(&test, "blob-mod", &blob("policy-gone", &["invoices"])).await;
    assert_eq!((status.as_str(), http), ("Refused", 404));
    // A good change: another policy and another container that exists.
    let good = blob("policy-blob-weekly", &["invoices", "reports"]);
    assert_eq!(
        modify_outcome(&test, "blob-mod", &good).await,
        ("Succeeded".into(), String::new(), 200, "OperationJobExtendedInfo".into())
    );
    // An instance that does not exist.
    let (status, code, http, _) = modify_outcome(&test, "nothing-here", &good).await;
    assert_eq!((status.as_str(), code.as_str(), http), ("Refused", "UserErrorGenericResourceNotFound", 404));

    // Nothing of it changed the instance.
    let after: Value = test.get(&instance_url).await.json().await.unwrap();
    for field in ["currentProtectionState", "provisioningState", "policyInfo", "protectionStatus"] {
        assert_eq!(after["properties"][field], before["properties"][field], "{field}: {after}");
    }
    let puts = test.state().journal().iter().filter(|e| e.operation == "BackupInstances_CreateOrUpdate").count();
    assert_eq!(puts, 1, "only the create was a PUT");
}

#[tokio::test]
async fn adls_backup_needs_an_hns_account_and_its_containers() {
    let test = support::start().await;
    test.fast();
    put_policy(&test, "policy-adls", &kind_policy(ADLS, Some(("VaultStore", "Discrete", "P1W")), &["VaultStore"]))
        .await;
    let adls = |name: &str, names: Option<&[&str]>| {
        let parameters = names.map_or(Value::Null, |names| containers("AdlsBlobBackupDatasourceParameters", names));
        kind_properties(
            ADLS,
            "Microsoft.Storage/storageAccounts",
            &world::storage_account_id(name),
            "policy-adls",
            parameters,
        )
    };
    assert_eq!(
        validate_outcome(&test, &adls(world::STORAGE_ACCOUNT_BLOB, Some(&["invoices"]))).await,
        outcome("Failed", "UserErrorUnsupportedStorageAccountType")
    );
    assert_eq!(
        validate_outcome(&test, &adls(world::STORAGE_ACCOUNT_ADLS, None)).await,
        outcome("Failed", "UserErrorNoContainersSelectedForOperation")
    );
    assert_eq!(
        validate_outcome(&test, &adls(world::STORAGE_ACCOUNT_ADLS, Some(&["raw", "gold"]))).await,
        outcome("Failed", "UserErrorIncorrectContainersSelectedForOperation")
    );
    assert_eq!(
        validate_outcome(&test, &adls("stnothere", Some(&["raw"]))).await,
        outcome("Refused", "UserErrorStorageAccountNotFound")
    );
    assert_eq!(
        validate_outcome(&test, &adls(world::STORAGE_ACCOUNT_ADLS, Some(&["raw", "curated"]))).await,
        outcome("Succeeded", "")
    );
}

#[tokio::test]
async fn aks_backup_needs_the_extension_trusted_access_roles_and_keeps_its_policy() {
    let test = support::start().await;
    test.fast();
    put_policy(
        &test,
        "policy-aks",
        &kind_policy(AKS, Some(("OperationalStore", "Incremental", "PT4H")), &["OperationalStore"]),
    )
    .await;
    put_policy(
        &test,
        "policy-aks-daily",
        &kind_policy(AKS, Some(("OperationalStore", "Incremental", "P1D")), &["OperationalStore"]),
    )
    .await;
    let cluster = world::kubernetes_cluster_id(world::AKS_CLUSTER);
    let aks = |policy: &str, snapshot_group: Option<&str>| {
        kind_properties(AKS, AKS, &cluster, policy, aks_parameters(snapshot_group))
    };
    let ready = aks("policy-aks", Some(world::SNAPSHOT_RESOURCE_GROUP));
    assert_eq!(validate_outcome(&test, &ready).await, outcome("Succeeded", ""));
    assert_eq!(
        validate_outcome(&test, &aks("policy-aks", None)).await,
        outcome("Refused", "UserErrorOperationalStoreParametersNotProvided")
    );
    assert_eq!(
        validate_outcome(&test, &aks("policy-aks", Some("rg-missing"))).await,
        outcome("Refused", "UserErrorSnapshotRGNotFound")
    );
    let missing_cluster = kind_properties(
        AKS,
        AKS,
        &world::kubernetes_cluster_id("aks-missing"),
        "policy-aks",
        aks_parameters(Some(world::SNAPSHOT_RESOURCE_GROUP)),
    );
    assert_eq!(validate_outcome(&test, &missing_cluster).await, outcome("Refused", "UserErrorDatasourceNotFound"));
    // A cluster in another region than the vault (AKS backup support matrix: one region, one subscription).
    let east = world::kubernetes_cluster_id("aks-east");
    let made = test.put(&test.arm(&east), &json!({"location": "eastus", "identity": {"type": "SystemAssigned"}})).await;
    assert!(made.status().is_success(), "{}", made.status());
    let elsewhere =
        kind_properties(AKS, AKS, &east, "policy-aks", aks_parameters(Some(world::SNAPSHOT_RESOURCE_GROUP)));
    assert_eq!(
        validate_outcome(&test, &elsewhere).await,
        outcome("Refused", "UserErrorVaultAndDatasourceNotColocated")
    );
    // The cluster's identity needs Contributor on the snapshot resource group: the workload group has none.
    let url = test.arm(&format!("{}/validateForBackup", vault_path()));
    let body = json!({"backupInstance": aks("policy-aks", Some(world::WORKLOAD_RESOURCE_GROUP))});
    let response = test.post(&url, Some(&body)).await;
    let status = test.wait(&header(&response, "azure-asyncoperation")).await;
    assert_eq!(status["error"]["code"], "UserErrorMissingRequiredPermissions", "{status}");
    let detail =
        status["error"]["additionalInfo"][0]["info"]["innerError"]["additionalInfo"]["DetailedNonLocalisedMessage"]
            .as_str()
            .unwrap();
    assert!(detail.contains(world::AKS_CLUSTER_PRINCIPAL_ID) && detail.contains("Contributor"), "{detail}");

    // Protected; moving it to another policy is refused.
    let created = test.put(&test.arm(&instance_path("aks")), &json!({ "properties": ready })).await;
    assert_eq!(created.status(), StatusCode::ACCEPTED);
    assert_eq!(test.wait(&header(&created, "azure-asyncoperation")).await["status"], "Succeeded");
    let moved = aks("policy-aks-daily", Some(world::SNAPSHOT_RESOURCE_GROUP));
    let response = test.put(&test.arm(&instance_path("aks")), &json!({ "properties": moved })).await;
    assert_error(response, StatusCode::BAD_REQUEST, "UserErrorPolicyChangeNotSupported").await;
    let delete = test.delete(&test.arm(&instance_path("aks"))).await;
    test.wait(&header(&delete, "azure-asyncoperation")).await;

    // Without the trusted access binding, then without the extension.
    let binding = format!("{cluster}/trustedAccessRoleBindings/{}", world::AKS_TRUSTED_ACCESS_BINDING);
    assert_eq!(test.delete(&test.arm(&binding)).await.status(), StatusCode::OK);
    assert_eq!(
        validate_outcome(&test, &ready).await,
        outcome("Failed", "UserErrorTrustedAccessGatewayReturnedForbidden")
    );
    let extension =
        format!("{cluster}/providers/Microsoft.KubernetesConfiguration/extensions/{}", world::AKS_BACKUP_EXTENSION);
    assert_eq!(test.delete(&test.arm(&extension)).await.status(), StatusCode::OK);
    assert_eq!(
        validate_outcome(&test, &ready).await,
        outcome("Failed", "UserErrorKubernetesBackupExtensionNotFoundError")
    );
}

#[tokio::test]
async fn flexible_servers_need_their_backup_role_on_the_server_and_reader_on_its_group() {
    // The default world without the vault identity's roles on the subscription.
    let mut scenario = Scenario::default_world();
    let subscription = format!("/subscriptions/{}", world::SUBSCRIPTION_ID);
    scenario.role_assignments.retain(|assignment| {
        !(assignment.principal_id == world::VAULT_PRINCIPAL_ID && assignment.scope == subscription)
    });
    let test = support::start_with(scenario).await;
    test.fast();
    let test = &test;
    for (kind, server, role, role_guid, policy) in [
        (
            POSTGRESQL,
            world::postgresql_server_id(world::POSTGRESQL_SERVER),
            "PostgreSQL Flexible Server Long Term Retention Backup Role",
            "c088a766-074b-43ba-90d4-1fb21feae531",
            "policy-pg",
        ),
        (
            MYSQL,
            world::mysql_server_id(world::MYSQL_SERVER),
            "MySQL Backup And Export Operator",
            "d18ad5f3-1baf-4119-b49b-d944edb1f9d0",
            "policy-mysql",
        ),
    ] {
        put_policy(test, policy, &kind_policy(kind, Some(("VaultStore", "Full", "P1W")), &["VaultStore"])).await;
        let properties = kind_properties(kind, kind, &server, policy, Value::Null);
        let detail = |status: &Value| {
            status["error"]["additionalInfo"][0]["info"]["innerError"]["additionalInfo"]["DetailedNonLocalisedMessage"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        let validate = || async {
            let url = test.arm(&format!("{}/validateForBackup", vault_path()));
            let response = test.post(&url, Some(&json!({ "backupInstance": properties }))).await;
            test.wait(&header(&response, "azure-asyncoperation")).await
        };
        let status = validate().await;
        assert!(detail(&status).contains(role) && detail(&status).contains(&server), "{status}");
        let grant = |scope: &str, role: &str| {
            let url = test.arm(&format!(
                "{scope}/providers/Microsoft.Authorization/roleAssignments/{}",
                dataprotection_emulator_uuid(scope, role)
            ));
            let body = json!({"properties": {
                "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{role}", world::SUBSCRIPTION_ID),
                "principalId": world::VAULT_PRINCIPAL_ID}});
            async move { assert_eq!(test.put(&url, &body).await.status(), StatusCode::CREATED) }
        };
        grant(&server, role_guid).await;
        let group = world::resource_group_id(world::WORKLOAD_RESOURCE_GROUP);
        if kind == POSTGRESQL {
            // Reader on the server's resource group too (MySQL, next, finds it granted).
            let status = validate().await;
            assert!(detail(&status).contains("Reader") && detail(&status).contains(&format!("'{group}'")), "{status}");
            grant(&group, "acdd72a7-3385-48ef-bd42-f606fba81ae7").await;
        }
        assert_eq!(validate().await["status"], "Succeeded");
        // A disk policy for the server is refused at once.
        let mismatch = kind_properties(kind, kind, &server, world::POLICY_DAILY, Value::Null);
        assert_eq!(
            validate_outcome(test, &mismatch).await,
            outcome("Refused", "UserErrorDatasourceAndPolicyTypeMismatch")
        );
    }
}

/// A role assignment name (a GUID) per scope and role, so the same grant is not made twice.
fn dataprotection_emulator_uuid(scope: &str, role: &str) -> String {
    let mut hash: u128 = 0xcbf2_9ce4_8422_2325;
    for byte in scope.bytes().chain(role.bytes()) {
        hash = (hash ^ u128::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let hex = format!("{hash:032x}");
    format!("{}-{}-4{}-8{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

#[tokio::test]
async fn policies_of_the_other_kinds_follow_their_limits() {
    let test = support::start().await;
    let refused = [
        kind_policy(POSTGRESQL, Some(("VaultStore", "Full", "P1D")), &["VaultStore"]),
        kind_policy(MYSQL, Some(("OperationalStore", "Full", "P1W")), &["VaultStore"]),
        kind_policy(AKS, Some(("OperationalStore", "Incremental", "PT4H")), &["VaultStore"]),
        kind_policy(AKS, Some(("VaultStore", "Incremental", "PT4H")), &["OperationalStore"]),
        kind_policy(ADLS, Some(("VaultStore", "Full", "P1D")), &["VaultStore"]),
        kind_policy(ADLS, None, &["VaultStore"]),
        kind_policy(BLOB, None, &[]),
        kind_policy(BLOB, Some(("VaultStore", "Discrete", "PT4H")), &["VaultStore"]),
        kind_policy("Microsoft.Unknown/things", None, &["VaultStore"]),
    ];
    for policy in &refused {
        let response = test.put(&test.arm(&world::policy_id("p")), policy).await;
        let body = assert_error(response, StatusCode::BAD_REQUEST, "BMSUserErrorInvalidInput").await;
        assert!(
            body["error"]["message"].as_str().unwrap().starts_with("Input provided for the call is invalid"),
            "{body}"
        );
    }
    for policy in [
        kind_policy(POSTGRESQL, Some(("VaultStore", "Full", "P1W")), &["VaultStore"]),
        kind_policy(MYSQL, Some(("VaultStore", "Full", "P1W")), &["VaultStore"]),
        kind_policy(AKS, Some(("OperationalStore", "Incremental", "PT12H")), &["OperationalStore"]),
        kind_policy(ADLS, Some(("VaultStore", "Discrete", "P1D")), &["VaultStore"]),
        kind_policy(BLOB, None, &["OperationalStore"]),
        kind_policy(BLOB, Some(("VaultStore", "Discrete", "P1W")), &["VaultStore"]),
    ] {
        put_policy(&test, "p", &policy).await;
    }
}

#[tokio::test]
async fn clusters_servers_containers_and_their_sub_resources_are_served_and_saved() {
    let test = support::start().await;
    let cluster = world::kubernetes_cluster_id(world::AKS_CLUSTER);
    let body: Value = test.get(&test.arm(&cluster)).await.json().await.unwrap();
    assert_eq!(body["identity"]["principalId"], world::AKS_CLUSTER_PRINCIPAL_ID);
    let extensions: Value = test
        .get(&test.arm(&format!("{cluster}/providers/Microsoft.KubernetesConfiguration/extensions")))
        .await
        .json()
        .await
        .unwrap();
    let extension = &extensions["value"][0]["properties"];
    assert_eq!(extension["extensionType"], "microsoft.dataprotection.kubernetes");
    assert_eq!(extension["provisioningState"], "Succeeded");
    assert_eq!(extension["aksAssignedIdentity"]["principalId"], world::AKS_EXTENSION_PRINCIPAL_ID);
    let binding: Value = test
        .get(&test.arm(&format!("{cluster}/trustedAccessRoleBindings/{}", world::AKS_TRUSTED_ACCESS_BINDING)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(binding["properties"]["sourceResourceId"], world::vault_id());
    // A Data Protection role for something that is not a backup vault is refused, as the service does.
    let response = test
        .put(
            &test.arm(&format!("{cluster}/trustedAccessRoleBindings/wrong")),
            &json!({"properties": {"sourceResourceId": world::disk_id(world::DISK_APP_01),
                                   "roles": ["Microsoft.DataProtection/backupVaults/backup-operator"]}}),
        )
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "InvalidParameter").await;
    // A new cluster, extension and container; a new PostgreSQL server.
    let new_cluster = world::kubernetes_cluster_id("aks-new");
    assert_eq!(test.put(&test.arm(&new_cluster), &json!({"location": "westus"})).await.status(), StatusCode::CREATED);
    let response = test
        .put(
            &test.arm(&format!("{new_cluster}/providers/Microsoft.KubernetesConfiguration/extensions/backup")),
            &json!({"properties": {"extensionType": "Microsoft.DataProtection.Kubernetes"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let containers =
        format!("{}/blobServices/default/containers", world::storage_account_id(world::STORAGE_ACCOUNT_BLOB));
    assert_eq!(test.put(&test.arm(&format!("{containers}/archive")), &json!({})).await.status(), StatusCode::CREATED);
    let listed: Value = test.get(&test.arm(&containers)).await.json().await.unwrap();
    assert_eq!(listed["value"].as_array().unwrap().len(), 3, "{listed}");
    let account: Value =
        test.get(&test.arm(&world::storage_account_id(world::STORAGE_ACCOUNT_ADLS))).await.json().await.unwrap();
    assert_eq!(account["properties"]["isHnsEnabled"], true);
    let server = world::postgresql_server_id("psql-new");
    assert_eq!(test.put(&test.arm(&server), &json!({"location": "westus"})).await.status(), StatusCode::CREATED);
    let servers: Value = test
        .get(&test.arm(&format!(
            "{}/providers/Microsoft.DBforPostgreSQL/flexibleServers",
            world::resource_group_id(world::WORKLOAD_RESOURCE_GROUP)
        )))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(servers["value"].as_array().unwrap().len(), 2);
    let mysql: Value = test.get(&test.arm(&world::mysql_server_id(world::MYSQL_SERVER))).await.json().await.unwrap();
    assert_eq!(mysql["type"], "Microsoft.DBforMySQL/flexibleServers");
    assert_eq!(test.delete(&test.arm(&server)).await.status(), StatusCode::OK);
    assert_eq!(test.delete(&test.arm(&server)).await.status(), StatusCode::NO_CONTENT);
    // The sub-resources of a cluster that does not exist.
    let missing = world::kubernetes_cluster_id("aks-missing");
    assert_error(
        test.get(&test.arm(&format!("{missing}/trustedAccessRoleBindings"))).await,
        StatusCode::NOT_FOUND,
        "ParentResourceNotFound",
    )
    .await;

    // Saved with the world and shown in the inventory.
    let saved = test.state().snapshot();
    let clusters: Vec<&str> = saved.kubernetes_clusters.iter().map(|cluster| cluster.name.as_str()).collect();
    assert_eq!(clusters, ["aks-app-01", "aks-new"]);
    assert_eq!(saved.kubernetes_clusters[0].trusted_access_role_bindings.len(), 1);
    assert_eq!(saved.kubernetes_clusters[1].extensions[0].extension_type, "Microsoft.DataProtection.Kubernetes");
    let account = saved.storage_accounts.iter().find(|account| account.name == world::STORAGE_ACCOUNT_BLOB).unwrap();
    assert_eq!(account.containers, ["archive", "invoices", "reports"]);
    assert_eq!(saved.postgresql_flexible_servers.len(), 1);
    assert_eq!(saved.mysql_flexible_servers.len(), 1);
    let inventory = test.state().inventory();
    let types: Vec<&str> = inventory.datasources.iter().map(|d| d.resource_type.as_str()).collect();
    assert_eq!(inventory.datasources.len(), 6, "{types:?}");
}

/// Stopping protection and suspending backups in a vault that a resource guard protects need the guard's request
/// in `resourceGuardOperationRequests`, as the spec's MUA examples send it; a guard that excludes the operation
/// lets it through without one.
#[tokio::test]
async fn guarded_stop_and_suspend_need_the_guards_operation_request() {
    let test = support::start().await;
    test.fast();
    test.protect("bi-mua", world::DISK_APP_01, world::POLICY_DAILY).await;
    let group = world::resource_group_id(world::BACKUP_RESOURCE_GROUP);
    let guard = format!("{group}/providers/Microsoft.DataProtection/resourceGuards/guard-actions");
    let body = json!({"location": world::LOCATION, "properties": {"vaultCriticalOperationExclusionList": []}});
    assert_eq!(test.put(&test.arm(&guard), &body).await.status(), StatusCode::CREATED);
    let proxy = format!("{}/backupResourceGuardProxies/DppResourceGuardProxy", vault_path());
    let answer: Value = test
        .put(&test.arm(&proxy), &json!({"properties": {"resourceGuardResourceId": guard}}))
        .await
        .json()
        .await
        .unwrap();
    let request_for = |operation: &str| {
        answer["properties"]["resourceGuardOperationDetails"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["vaultCriticalOperation"] == operation)
            .map(|d| d["defaultResourceRequest"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{operation} is listed: {answer}"))
    };
    let suspend = request_for("Microsoft.DataProtection/backupVaults/backupInstances/suspendBackups/action");
    assert_eq!(suspend, format!("{guard}/dppDisableSuspendBackupsRequests/default"));
    let stop = request_for("Microsoft.DataProtection/backupVaults/backupInstances/stopProtection/action");

    let url = |action: &str| test.arm(&format!("{}/{action}", instance_path("bi-mua")));
    let code = "UserErrorResourceGuardOperationRequestMissing";
    assert_error(test.post(&url("stopProtection"), None).await, StatusCode::BAD_REQUEST, code).await;
    let other = json!({"resourceGuardOperationRequests": [suspend]});
    assert_error(test.post(&url("stopProtection"), Some(&other)).await, StatusCode::BAD_REQUEST, code).await;
    assert_error(test.post(&url("suspendBackups"), Some(&json!({}))).await, StatusCode::BAD_REQUEST, code).await;

    let response = test.post(&url("suspendBackups"), Some(&json!({"resourceGuardOperationRequests": [suspend]}))).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(test.wait(&header(&response, "azure-asyncoperation")).await["status"], "Succeeded");
    let response = test.post(&url("stopProtection"), Some(&json!({"resourceGuardOperationRequests": [stop]}))).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(test.wait(&header(&response, "azure-asyncoperation")).await["status"], "Succeeded");

    // A guard that excludes stopping protection lets it through without a request.
    let body = json!({"location": world::LOCATION, "properties": {"vaultCriticalOperationExclusionList":
        ["Microsoft.DataProtection/backupVaults/backupInstances/stopProtection/action"]}});
    assert_eq!(test.put(&test.arm(&guard), &body).await.status(), StatusCode::OK);
    let response = test.post(&url("resumeProtection"), None).await;
    assert_eq!(test.wait(&header(&response, "azure-asyncoperation")).await["status"], "Succeeded");
    let response = test.post(&url("stopProtection"), None).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED, "{}", response.text().await.unwrap());
}
