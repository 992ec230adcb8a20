//! A backup instance's life on the emulator: metadata, create, poll, configure, update, list, act, delete, with
//! the headers ARM's long-running operation contract requires (CONTRACT.md §4 and §5).

use crate::support;

use std::time::Duration;

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{LroTiming, OperationKind, Scenario};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{API, assert_error, disk_instance, header, instance_path, vault_path};

#[tokio::test]
async fn metadata_endpoints_point_at_the_emulator_in_both_forms() {
    let test = support::start().await;
    let base = test.base().to_owned();
    let current: Value = test
        .client
        .get(test.url("/metadata/endpoints?api-version=2022-09-01"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["resourceManager"], format!("{base}/"));
    assert_eq!(current["authentication"]["loginEndpoint"], base);
    assert_eq!(current["authentication"]["audiences"][0], format!("{base}/"));
    assert_eq!(current["name"], "DataProtectionEmulator");

    let legacy: Value = test
        .client
        .get(test.url("/metadata/endpoints?api-version=2019-05-01"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let clouds = legacy.as_array().expect("the 2019-05-01 form is an array");
    assert_eq!(clouds.len(), 1);
    assert_eq!(clouds[0]["resourceManager"], format!("{base}/"));
    assert_eq!(clouds[0]["authentication"]["loginEndpoint"], format!("{base}/"));

    let response = test.client.get(test.url("/metadata/endpoints?api-version=2000-01-01")).send().await.unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "InvalidApiVersionParameter").await;
}

#[tokio::test]
async fn create_poll_configure_and_delete_follow_the_lro_contract() {
    let test = support::start().await;
    let base = test.base().to_owned();

    // PUT: 202 with no body (as recorded at 2025-07-01 and 2026-03-01), and absolute, signed LRO URLs on the
    // emulator: the status at vault scope, the result under the instance.
    let response =
        test.put(&test.arm(&instance_path("bi-app-01")), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let async_operation = header(&response, "azure-asyncoperation");
    let location = header(&response, "location");
    assert!(async_operation.starts_with(&format!("{base}{}/operationStatus/", vault_path())), "{async_operation}");
    assert!(async_operation.contains(&format!("?api-version={API}&t=")), "{async_operation}");
    assert!(location.starts_with(&format!("{base}{}/operationResults/", instance_path("bi-app-01"))), "{location}");
    assert_eq!(header(&response, "retry-after"), "1");
    assert_eq!(header(&response, "retry-after-ms"), "200");
    assert_eq!(header(&response, "x-ms-ratelimit-remaining-subscription-writes"), "199");
    assert!(response.bytes().await.unwrap().is_empty(), "the PUT's 202 has no body");
    let created: Value = test.get(&test.arm(&instance_path("bi-app-01"))).await.json().await.unwrap();
    assert_eq!(created["properties"]["provisioningState"], "Provisioning");
    assert_eq!(created["properties"]["currentProtectionState"], "ConfiguringProtection");
    assert_eq!(created["properties"]["protectionStatus"]["status"], "ConfiguringProtection");
    // A new instance's ID comes back as the request spelled it.
    assert_eq!(created["id"], instance_path("bi-app-01"));

    // The operation answers `Inprogress` (lower-case p) once, then `Succeeded`.
    // (The GET above counted as the one poll: a second instance shows the status document's own answers.)
    let first = test.get(&async_operation).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["status"], "Succeeded");
    assert!(first["endTime"].as_str().is_some_and(|end| end.ends_with('Z')), "{first}");
    let operation_id = async_operation.split("/operationStatus/").nth(1).unwrap().split('?').next().unwrap();
    assert_eq!(first["name"], operation_id);
    let pending =
        test.put(&test.arm(&instance_path("bi-app-02")), &disk_instance(world::DISK_APP_02, world::POLICY_DAILY)).await;
    let pending_status = header(&pending, "azure-asyncoperation");
    let running = test.get(&pending_status).await;
    assert_eq!(header(&running, "retry-after"), "1");
    let running: Value = running.json().await.unwrap();
    assert_eq!(running["status"], "Inprogress");
    assert_eq!(running["endTime"], "0001-01-01T00:00:00Z");
    test.state().advance_clock(Duration::from_millis(1_000));
    let done: Value = test.get(&pending_status).await.json().await.unwrap();
    assert_eq!(done["status"], "Succeeded");
    assert_ne!(done["endTime"], "0001-01-01T00:00:00Z");

    // The Location URL now returns the resource, as the synchronous PUT would have.
    let result = test.get(&location).await;
    assert_eq!(result.status(), StatusCode::OK);
    let result: Value = result.json().await.unwrap();
    assert_eq!(result["name"], "bi-app-01");

    // Provisioned, then protection is configured on a later read.
    let configuring: Value = test.get(&test.arm(&instance_path("bi-app-01"))).await.json().await.unwrap();
    assert_eq!(configuring["properties"]["provisioningState"], "Succeeded");
    assert_eq!(configuring["properties"]["currentProtectionState"], "ConfiguringProtection");
    let configured: Value = test.get(&test.arm(&instance_path("bi-app-01"))).await.json().await.unwrap();
    assert_eq!(configured["properties"]["currentProtectionState"], "ProtectionConfigured");
    assert_eq!(configured["properties"]["protectionStatus"]["status"], "ProtectionConfigured");

    // DELETE: 202 with the status at vault scope and the result at location scope; then the instance is gone.
    let response = test.delete(&test.arm(&instance_path("bi-app-01"))).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&response, "x-ms-ratelimit-remaining-subscription-deletes"), "199");
    let scope =
        format!("{base}/subscriptions/{}/providers/Microsoft.DataProtection/locations/westus", world::SUBSCRIPTION_ID);
    let async_operation = header(&response, "azure-asyncoperation");
    let location = header(&response, "location");
    assert!(async_operation.starts_with(&format!("{base}{}/operationStatus/", vault_path())), "{async_operation}");
    assert!(location.starts_with(&format!("{scope}/operationResults/")), "{location}");
    assert!(response.bytes().await.unwrap().is_empty(), "a 202 has no body");
    let deleting: Value = test.get(&test.arm(&instance_path("bi-app-01"))).await.json().await.unwrap();
    assert_eq!(deleting["properties"]["provisioningState"], "Deleting");
    let status = test.wait(&async_operation).await;
    assert_eq!(status["status"], "Succeeded");
    let result = test.get(&location).await;
    assert_eq!(result.status(), StatusCode::OK, "recorded: a delete's result is 200 with the job information");
    assert!(header(&result, "azure-asyncoperation").starts_with(&format!("{scope}/operationStatus/")));
    let result: Value = result.json().await.unwrap();
    assert_eq!(result, json!({"objectType": "OperationJobExtendedInfo"}));
    assert_error(
        test.get(&test.arm(&instance_path("bi-app-01"))).await,
        StatusCode::NOT_FOUND,
        "UserErrorGenericResourceNotFound",
    )
    .await;
    // Deleting what does not exist is a well-formed request: 204.
    assert_eq!(test.delete(&test.arm(&instance_path("bi-app-01"))).await.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn location_polling_answers_202_until_the_result() {
    let test = support::start().await;
    test.state().set_lro_timing(OperationKind::BackupInstanceCreateOrUpdate, LroTiming::with_delays(2, 0, 15, None));
    let response =
        test.put(&test.arm(&instance_path("bi")), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    assert_eq!(header(&response, "retry-after"), "15");
    assert_eq!(header(&response, "retry-after-ms"), "", "no retry-after-ms unless configured");
    let location = header(&response, "location");
    for _ in 0..2 {
        let pending = test.get(&location).await;
        assert_eq!(pending.status(), StatusCode::ACCEPTED);
        assert_eq!(header(&pending, "location"), location);
        assert_eq!(header(&pending, "retry-after"), "15");
        assert!(pending.bytes().await.unwrap().is_empty());
    }
    let done = test.get(&location).await;
    assert_eq!(done.status(), StatusCode::OK);
    let body: Value = done.json().await.unwrap();
    assert_eq!(body["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn operations_timed_in_milliseconds_finish_without_polls() {
    let test = support::start().await;
    test.state().set_default_lro_timing(LroTiming::with_delays(0, 400, 1, Some(50)));
    let response =
        test.put(&test.arm(&instance_path("bi")), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    let async_operation = header(&response, "azure-asyncoperation");
    let early: Value = test.get(&async_operation).await.json().await.unwrap();
    assert_eq!(early["status"], "Inprogress");
    test.state().advance_clock(Duration::from_millis(450));
    // Not polled since: the instance itself shows the finished operation.
    let instance: Value = test.get(&test.arm(&instance_path("bi"))).await.json().await.unwrap();
    assert_eq!(instance["properties"]["provisioningState"], "Succeeded");
    let done: Value = test.get(&async_operation).await.json().await.unwrap();
    assert_eq!(done["status"], "Succeeded");
}

#[tokio::test]
async fn a_policy_change_goes_through_updating_protection() {
    let test = support::start().await;
    test.protect("bi", world::DISK_APP_01, world::POLICY_DAILY).await;
    let response =
        test.put(&test.arm(&instance_path("bi")), &disk_instance(world::DISK_APP_01, world::POLICY_4H)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED, "an update answers 202, as recorded");
    let async_operation = header(&response, "azure-asyncoperation");
    assert!(!async_operation.is_empty(), "an update is a long-running operation too");
    assert!(response.bytes().await.unwrap().is_empty());
    let updating: Value = test.get(&test.arm(&instance_path("bi"))).await.json().await.unwrap();
    assert_eq!(updating["properties"]["currentProtectionState"], "UpdatingProtection");
    assert_eq!(updating["properties"]["provisioningState"], "Updating");
    assert_eq!(test.wait(&async_operation).await["status"], "Succeeded");
    let updated: Value = test.get(&test.arm(&instance_path("bi"))).await.json().await.unwrap();
    assert_eq!(updated["properties"]["currentProtectionState"], "ProtectionConfigured");
    assert_eq!(updated["properties"]["policyInfo"]["policyId"], world::policy_id(world::POLICY_4H));
    // The old policy is free again; the new one is in use.
    let old = test.delete(&test.arm(&world::policy_id(world::POLICY_DAILY))).await;
    assert_eq!(old.status(), StatusCode::OK);
    let new = test.delete(&test.arm(&world::policy_id(world::POLICY_4H))).await;
    assert_error(new, StatusCode::BAD_REQUEST, "UserErrorDppPolicyObjectInUse").await;
}

#[tokio::test]
async fn list_pages_with_absolute_next_links() {
    let scenario = Scenario::default_world().with_protected_disks(5, |i| (format!("disk-page-{i}"), format!("BI-{i}")));
    let test = support::start_with(scenario).await;
    test.state().update_settings(|settings| settings.page_size = 2);
    let mut url = test.arm(&format!("{}/backupInstances", vault_path()));
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        assert!(pages < 10, "paging never ends: {names:?}");
        let page: Value = test.get(&url).await.json().await.unwrap();
        pages += 1;
        names.extend(
            page["value"].as_array().unwrap().iter().map(|instance| instance["name"].as_str().unwrap().to_owned()),
        );
        match page["nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with(test.base()) && next.contains(&format!("api-version={API}")), "{next}");
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, vec!["BI-0", "BI-1", "BI-2", "BI-3", "BI-4"]);
}

#[tokio::test]
async fn paths_and_names_match_without_case() {
    let test = support::start().await;
    test.protect("Mixed-Case", world::DISK_APP_01, world::POLICY_DAILY).await;
    let shouted = instance_path("MIXED-case")
        .replace("resourceGroups", "RESOURCEGROUPS")
        .replace("Microsoft.DataProtection", "MICROSOFT.dataprotection")
        .replace("backupVaults", "BACKUPVAULTS")
        .replace("vault-demo", "VAULT-DEMO")
        .replace("rg-backup", "RG-Backup")
        .replace("backupInstances", "backupinstances");
    let response = test.get(&test.arm(&shouted)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let instance: Value = response.json().await.unwrap();
    assert_eq!(instance["name"], "Mixed-Case", "the name keeps the case it was created with");
}

#[tokio::test]
async fn api_versions_are_checked_as_arm_does() {
    let test = support::start().await;
    let path = instance_path("none");
    let missing = test.get(&test.url(&path)).await;
    assert_error(missing, StatusCode::BAD_REQUEST, "MissingApiVersionParameter").await;
    let malformed = test.get(&test.url(&format!("{path}?api-version=yesterday"))).await;
    assert_error(malformed, StatusCode::BAD_REQUEST, "InvalidApiVersionParameter").await;
    let old = test.get(&test.url(&format!("{path}?api-version=2021-01-01"))).await;
    let body = assert_error(old, StatusCode::BAD_REQUEST, "NoRegisteredProviderFound").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("2026-06-01"), "{body}");
    for version in dataprotection_emulator::DATA_PROTECTION_API_VERSIONS {
        let response = test.get(&test.url(&format!("{}?api-version={version}", vault_path()))).await;
        assert_eq!(response.status(), StatusCode::OK, "{version}");
    }
}

#[tokio::test]
async fn every_response_carries_request_ids_and_echoes_the_correlation_id() {
    let test = support::start().await;
    let correlation = "6f1c9f0e-2b7e-4d55-9d8a-0f4d2f3c1a11";
    for url in [
        test.arm(&vault_path()),
        test.arm(&instance_path("missing")),
        test.url("/metadata/endpoints?api-version=2022-09-01"),
    ] {
        let response = test
            .client
            .get(&url)
            .bearer_auth(&test.token)
            .header("x-ms-correlation-request-id", correlation)
            .send()
            .await
            .unwrap();
        assert_eq!(header(&response, "x-ms-correlation-request-id"), correlation, "{url}");
        let request_id = header(&response, "x-ms-request-id");
        assert_eq!(request_id.len(), 36, "{url}: {request_id}");
    }
    let response = test.get(&test.arm(&vault_path())).await;
    assert_eq!(header(&response, "x-ms-correlation-request-id").len(), 36, "a new one when the client sends none");
}

#[tokio::test]
async fn instance_actions_are_long_running_operations() {
    let test = support::start().await;
    test.fast();
    test.protect("bi", world::DISK_APP_01, world::POLICY_DAILY).await;
    let act = |action: &'static str, body: Option<Value>| {
        let test = &test;
        async move {
            let response = test.post(&test.arm(&format!("{}/{action}", instance_path("bi"))), body.as_ref()).await;
            assert_eq!(response.status(), StatusCode::ACCEPTED, "{action}");
            let async_operation = header(&response, "azure-asyncoperation");
            let location = header(&response, "location");
            assert!(async_operation.contains("/backupVaults/vault-demo/operationStatus/"), "{async_operation}");
            assert!(location.contains("/locations/westus/operationResults/"), "{location}");
            assert_eq!(test.wait(&async_operation).await["status"], "Succeeded", "{action}");
            let instance: Value = test.get(&test.arm(&instance_path("bi"))).await.json().await.unwrap();
            (instance["properties"]["currentProtectionState"].as_str().unwrap().to_owned(), location)
        }
    };
    // Resuming what is protected already is a synchronous 200 without a body or an operation (recorded).
    let resume = test.post(&test.arm(&format!("{}/resumeProtection", instance_path("bi"))), None).await;
    assert_eq!(resume.status(), StatusCode::OK);
    assert_eq!(header(&resume, "azure-asyncoperation"), "");
    assert_eq!(header(&resume, "location"), "");
    assert!(resume.bytes().await.unwrap().is_empty());
    assert_eq!(act("stopProtection", None).await.0, "ProtectionStopped");
    assert_eq!(act("resumeProtection", None).await.0, "ProtectionConfigured");
    assert_eq!(act("suspendBackups", Some(json!({}))).await.0, "BackupSchedulesSuspended");
    assert_eq!(act("resumeBackups", None).await.0, "ProtectionConfigured");
    let (state, location) =
        act("backup", Some(json!({"backupRuleOptions": {"ruleName": "BackupDaily", "triggerOption": {"retentionTagOverride": "Default"}}}))).await;
    assert_eq!(state, "ProtectionConfigured");
    let job: Value = test.get(&location).await.json().await.unwrap();
    assert_eq!(job["objectType"], "OperationJobExtendedInfo");
    assert_eq!(job["jobId"].as_str().unwrap().len(), 36);
    assert_eq!(act("sync", Some(json!({"syncType": "Default"}))).await.0, "ProtectionConfigured");

    // Actions that need a body refuse an empty one.
    let response = test.post(&test.arm(&format!("{}/sync", instance_path("bi"))), None).await;
    assert_error(response, StatusCode::BAD_REQUEST, "InvalidRequestContent").await;
    // An action on a missing instance is a not-found error.
    let response = test.post(&test.arm(&format!("{}/stopProtection", instance_path("nope"))), None).await;
    assert_error(response, StatusCode::NOT_FOUND, "UserErrorGenericResourceNotFound").await;
    // A method the route does not serve.
    let response = test.send(Method::PATCH, &test.arm(&instance_path("bi")), Some(&json!({}))).await;
    assert_error(response, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed").await;
}

#[tokio::test]
async fn the_extension_route_finds_the_instance_protecting_a_disk() {
    let test = support::start().await;
    test.fast();
    test.protect("bi", world::DISK_APP_02, world::POLICY_DAILY).await;
    let url =
        test.arm(&format!("{}/providers/Microsoft.DataProtection/backupInstances", world::disk_id(world::DISK_APP_02)));
    let found: Value = test.get(&url).await.json().await.unwrap();
    assert!(found["value"][0]["id"].as_str().unwrap().eq_ignore_ascii_case(&instance_path("bi")));
    let url =
        test.arm(&format!("{}/providers/Microsoft.DataProtection/backupInstances", world::disk_id(world::DISK_APP_01)));
    let none: Value = test.get(&url).await.json().await.unwrap();
    assert_eq!(none["value"], json!([]));
}

#[tokio::test]
async fn resource_groups_disks_and_vaults_have_their_arm_lifecycles() {
    let test = support::start().await;
    let group = world::resource_group_id("rg-new");
    let created = test.put(&test.arm(&group), &json!({"location": "West US"})).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(test.put(&test.arm(&group), &json!({"location": "westus"})).await.status(), StatusCode::OK);
    assert_error(
        test.put(&test.arm(&group), &json!({"location": "eastus"})).await,
        StatusCode::BAD_REQUEST,
        "InvalidResourceGroupLocation",
    )
    .await;
    assert_error(test.put(&test.arm(&group), &json!({})).await, StatusCode::BAD_REQUEST, "LocationRequired").await;
    assert_eq!(test.send(Method::HEAD, &test.arm(&group), None).await.status(), StatusCode::NO_CONTENT);

    let disk = format!("{group}/providers/Microsoft.Compute/disks/d1");
    let response = test
        .put(
            &test.arm(&disk),
            &json!({"location": "westus", "properties": {"diskSizeGB": 8, "creationData": {"createOption": "Empty"}}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["properties"]["diskSizeGB"], 8);

    let vault = format!("{group}/providers/Microsoft.DataProtection/backupVaults/vault-two");
    let body = json!({
        "location": "westus",
        "identity": {"type": "SystemAssigned"},
        "properties": {"storageSettings": [{"datastoreType": "VaultStore", "type": "LocallyRedundant"}]},
    });
    let response = test.put(&test.arm(&vault), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // As recorded: Azure-AsyncOperation at vault scope only, no Location.
    let async_operation = header(&response, "azure-asyncoperation");
    assert!(async_operation.contains("/backupVaults/vault-two/operationStatus/"), "{async_operation}");
    assert_eq!(header(&response, "location"), "");
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["properties"]["provisioningState"], "Provisioning");
    assert_eq!(created["identity"]["type"], "SystemAssigned");
    assert_eq!(created["identity"]["principalId"].as_str().unwrap().len(), 36);
    assert_eq!(test.wait(&async_operation).await["status"], "Succeeded");
    let result: Value = test.get(&test.arm(&vault)).await.json().await.unwrap();
    assert_eq!(result["properties"]["provisioningState"], "Succeeded");
    // A PUT of the existing vault: 201 again, Updating, followed the same way (recorded in 2023 and 2026).
    let response = test.put(&test.arm(&vault), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let async_operation = header(&response, "azure-asyncoperation");
    assert!(async_operation.contains("/backupVaults/vault-two/operationStatus/"), "{async_operation}");
    assert_eq!(header(&response, "location"), "");
    let updating: Value = response.json().await.unwrap();
    assert_eq!(updating["properties"]["provisioningState"], "Updating");
    assert_eq!(test.wait(&async_operation).await["status"], "Succeeded");
    // A PATCH is long-running too: 202 with Location, then the vault.
    let patched = test.send(Method::PATCH, &test.arm(&vault), Some(&json!({"tags": {"env": "test"}}))).await;
    assert_eq!(patched.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&patched, "azure-asyncoperation"), "");
    let result: Value = test.follow_location(&header(&patched, "location")).await.json().await.unwrap();
    assert_eq!(result["tags"]["env"], "test");
    let vault_body: Value = test.get(&test.arm(&vault)).await.json().await.unwrap();
    assert_eq!(vault_body["properties"]["provisioningState"], "Succeeded");

    // Deleting the group is a long-running operation that removes what it holds.
    let response = test.delete(&test.arm(&group)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = header(&response, "location");
    assert!(location.contains(&format!("/subscriptions/{}/operationresults/", world::SUBSCRIPTION_ID)), "{location}");
    let mut status = StatusCode::ACCEPTED;
    for _ in 0..10 {
        status = test.get(&location).await.status();
        if status != StatusCode::ACCEPTED {
            break;
        }
    }
    assert_eq!(status, StatusCode::OK);
    assert_eq!(test.send(Method::HEAD, &test.arm(&group), None).await.status(), StatusCode::NOT_FOUND);
    assert_error(test.get(&test.arm(&disk)).await, StatusCode::NOT_FOUND, "ResourceGroupNotFound").await;
}
