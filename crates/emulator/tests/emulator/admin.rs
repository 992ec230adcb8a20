//! The admin API under /_emulator/: the request journal (with early polls), the inventory, settings, protection
//! errors, the clock and tokens.

use crate::support;

use std::time::Duration;

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{JournalEntry, LroTiming};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{assert_error, disk_instance, header, instance_path, vault_path};

async fn journal(test: &support::TestEmulator, query: &str) -> Vec<JournalEntry> {
    let response = test.client.get(test.url(&format!("/_emulator/journal{query}"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_journal_records_each_request_and_flags_early_polls() {
    let test = support::start().await;
    test.state().set_default_lro_timing(LroTiming::with_delays(2, 0, 1, Some(300)));
    let response =
        test.put(&test.arm(&instance_path("bi")), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    let operation = header(&response, "azure-asyncoperation");
    test.get(&operation).await; // immediately: early
    // The emulator's clock moves on instead of the test sleeping.
    test.state().advance_clock(Duration::from_millis(350));
    test.get(&operation).await; // after the requested delay: not early
    test.state().advance_clock(Duration::from_millis(350));
    let done: Value = test.get(&operation).await.json().await.unwrap();
    assert_eq!(done["status"], "Succeeded");

    let entries = journal(&test, "").await;
    let names: Vec<&str> = entries.iter().map(|entry| entry.operation.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "Token",
            "BackupInstances_CreateOrUpdate",
            "OperationStatusBackupVaultContext_Get",
            "OperationStatusBackupVaultContext_Get",
            "OperationStatusBackupVaultContext_Get"
        ]
    );
    let early: Vec<bool> = entries.iter().map(|entry| entry.early).collect();
    assert_eq!(early, vec![false, false, true, false, false]);
    let put = &entries[1];
    assert_eq!(put.method, "PUT");
    assert_eq!(put.path, instance_path("bi"));
    assert_eq!(put.query.as_deref(), Some("api-version=2025-07-01"));
    assert_eq!(put.status, 202);
    assert_eq!(put.principal.as_deref(), Some(world::CLIENT_ID));
    assert_eq!(put.request_id, header(&response, "x-ms-request-id"));
    assert!(entries.windows(2).all(|pair| pair[0].seq < pair[1].seq && pair[0].at_ms <= pair[1].at_ms));

    let later = journal(&test, &format!("?since={}", put.seq)).await;
    assert_eq!(later.len(), 3);
    assert_eq!(
        test.client.delete(test.url("/_emulator/journal")).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert!(journal(&test, "").await.is_empty());
    test.get(&test.arm(&vault_path())).await;
    let after = journal(&test, "").await;
    assert_eq!(after.len(), 1);
    assert!(after[0].seq > entries.last().unwrap().seq, "sequence numbers are never reused");
}

#[tokio::test]
async fn the_journal_keeps_the_newest_entries_up_to_its_capacity() {
    let test = support::start().await;
    test.state().update_settings(|settings| settings.journal_capacity = 3);
    for _ in 0..5 {
        test.get(&test.arm(&vault_path())).await;
    }
    let entries = test.state().journal();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[2].seq, 6);
}

#[tokio::test]
async fn the_inventory_shows_instances_with_their_states() {
    let test = support::start().await;
    test.fast();
    test.protect("bi", world::DISK_APP_01, world::POLICY_DAILY).await;
    let inventory: Value =
        test.client.get(test.url("/_emulator/inventory")).send().await.unwrap().json().await.unwrap();
    assert_eq!(inventory["subscriptions"], json!([world::SUBSCRIPTION_ID]));
    assert_eq!(inventory["resource_groups"].as_array().unwrap().len(), 3);
    let instance = &inventory["backup_instances"][0];
    assert_eq!(instance["id"], instance_path("bi"));
    assert_eq!(instance["datasource_id"], world::disk_id(world::DISK_APP_01));
    assert_eq!(instance["policy_id"], world::policy_id(world::POLICY_DAILY));
    assert_eq!(instance["protection_state"], "ProtectionConfigured");
    assert_eq!(instance["provisioning_state"], "Succeeded");
    let vault = &inventory["vaults"][0];
    assert_eq!(vault["id"], vault_path());
    assert_eq!(vault["identity_principal_id"], world::VAULT_PRINCIPAL_ID);
    assert_eq!(vault["policies"].as_array().unwrap().len(), 2);
    let disks = inventory["disks"].as_array().unwrap();
    let protected: Vec<&Value> = disks.iter().filter(|disk| !disk["protected_by"].is_null()).collect();
    assert_eq!(protected.len(), 1);
    assert_eq!(protected[0]["protected_by"], instance_path("bi"));
    let roles: Vec<&str> =
        inventory["role_assignments"].as_array().unwrap().iter().map(|role| role["role"].as_str().unwrap()).collect();
    assert_eq!(roles.iter().filter(|role| **role == "Disk Backup Reader").count(), 2);
    assert_eq!(roles.iter().filter(|role| **role == "Disk Snapshot Contributor").count(), 1);
}

#[tokio::test]
async fn settings_are_read_and_patched_over_http() {
    let test = support::start().await;
    let settings: Value = test.client.get(test.url("/_emulator/settings")).send().await.unwrap().json().await.unwrap();
    assert_eq!(settings["throttling"]["reads"]["capacity"], 250.0);
    assert_eq!(settings["lro_default"]["retry_after_ms"], 200);
    let patch = json!({"lro": {"BackupInstances_Delete": {"polls": 3, "ms": 0, "retry_after_seconds": 30}}, "throttling": {"scale": 0.5}});
    let response = test.client.put(test.url("/_emulator/settings")).json(&patch).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["throttling"]["scale"], 0.5);
    assert_eq!(updated["throttling"]["enabled"], true, "a merge patch keeps the rest");
    test.fast();
    test.protect("bi", world::DISK_APP_01, world::POLICY_DAILY).await;
    let response = test.delete(&test.arm(&instance_path("bi"))).await;
    assert_eq!(header(&response, "retry-after"), "30");
    assert_eq!(header(&response, "x-ms-ratelimit-remaining-subscription-deletes"), "99");

    let invalid = test.client.put(test.url("/_emulator/settings")).json(&json!({"page_sise": 3})).send().await.unwrap();
    assert_error(invalid, StatusCode::BAD_REQUEST, "InvalidRequestContent").await;
    let not_json = test.client.put(test.url("/_emulator/settings")).body("{").send().await.unwrap();
    assert_error(not_json, StatusCode::BAD_REQUEST, "InvalidRequestContent").await;
}

#[tokio::test]
async fn protection_errors_are_injected_over_http() {
    let test = support::start().await;
    test.fast();
    test.protect("bi", world::DISK_APP_01, world::POLICY_DAILY).await;
    let response = test
        .client
        .post(test.url("/_emulator/backup-instances/protection-error"))
        .json(&json!({"backup_instance_id": instance_path("bi"), "code": "UserErrorNotEnoughPermissionOnDisk",
                      "message": "Azure Backup Service requires additional permissions on the Disk to do this operation."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let instance: Value = test.get(&test.arm(&instance_path("bi"))).await.json().await.unwrap();
    assert_eq!(instance["properties"]["currentProtectionState"], "ProtectionError");
    assert_eq!(
        instance["properties"]["protectionStatus"]["errorDetails"]["code"],
        "UserErrorNotEnoughPermissionOnDisk"
    );
    let missing = test
        .client
        .post(test.url("/_emulator/backup-instances/protection-error"))
        .json(&json!({"backup_instance_id": instance_path("nope")}))
        .send()
        .await
        .unwrap();
    assert_error(missing, StatusCode::NOT_FOUND, "NotFound").await;
}

#[tokio::test]
async fn the_clock_and_tokens_are_controlled_over_http() {
    let test = support::start().await;
    let response = test
        .client
        .post(test.url("/_emulator/tokens"))
        .json(&json!({"client_id": world::OIDC_CLIENT_ID}))
        .send()
        .await
        .unwrap();
    let token = response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        test.send_as(&token, reqwest::Method::GET, &test.arm(&vault_path()), None).await.status(),
        StatusCode::OK
    );
    let before = test.state().now_ms();
    let response =
        test.client.post(test.url("/_emulator/clock/advance")).json(&json!({"seconds": 7200})).send().await.unwrap();
    let now = response.json::<Value>().await.unwrap()["now_unix_ms"].as_u64().unwrap();
    assert!(now >= before + 7_200_000);
    assert_error(
        test.send_as(&token, reqwest::Method::GET, &test.arm(&vault_path()), None).await,
        StatusCode::UNAUTHORIZED,
        "ExpiredAuthenticationToken",
    )
    .await;
    let unknown = test.client.get(test.url("/_emulator/nothing-here")).send().await.unwrap();
    assert_error(unknown, StatusCode::NOT_FOUND, "NotFound").await;
    let state: Value = test.client.get(test.url("/_emulator/state")).send().await.unwrap().json().await.unwrap();
    assert_eq!(state["vaults"][0]["name"], world::VAULT_NAME);
}

#[tokio::test]
async fn a_frozen_clock_moves_only_when_told_and_requests_in_flight_are_counted() {
    let test = support::start().await;
    let state = test.state();
    state.freeze_clock(true);
    let frozen = state.now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert_eq!(state.now_ms(), frozen, "the clock stands still");
    state.advance_clock(std::time::Duration::from_secs(90));
    assert_eq!(state.now_ms(), frozen + 90_000, "and moves exactly as far as told");
    state.freeze_clock(false);
    assert!(state.now_ms() >= frozen + 90_000, "running again from where it stood");

    // A request held by a latency fault is in flight until it is answered; wait_idle says when.
    state
        .add_fault(dataprotection_emulator::FaultRule {
            id: 0,
            method: None,
            path_contains: None,
            path_regex: None,
            operation: Some("BackupVaults_Get".to_owned()),
            skip: 0,
            count: Some(1),
            action: dataprotection_emulator::FaultAction::Latency { ms: 300 },
        })
        .unwrap();
    let url = test.arm(&support::vault_path());
    let watch = async {
        for _ in 0..100 {
            if state.in_flight() > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let seen = state.in_flight();
        (seen, state.wait_idle(std::time::Duration::from_secs(10)).await, state.in_flight())
    };
    let (response, (seen, idle, after)) = tokio::join!(test.get(&url), watch);
    assert_eq!(seen, 1, "the held request is counted");
    assert!(idle, "and wait_idle returns once it is answered");
    assert_eq!(after, 0);
    assert_eq!(response.status(), reqwest::StatusCode::OK);
}
