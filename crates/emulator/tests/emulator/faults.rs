//! Fault injection: status codes, latency, dropped connections, malformed and truncated bodies, and operations
//! that fail, cancel or never finish — from the admin API, the Rust API and the scenario file.

use crate::support;

use std::time::{Duration, Instant};

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{FaultAction, FaultRule, OperationKind, Outcome, OutcomeRule, Scenario};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{assert_error, disk_instance, header, instance_path, vault_path};

async fn add_fault(test: &support::TestEmulator, rule: Value) -> Value {
    let response = test.client.post(test.url("/_emulator/faults")).json(&rule).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "adding {rule}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn status_faults_answer_with_cloud_errors_and_retry_after() {
    let test = support::start().await;
    let added = add_fault(
        &test,
        json!({"method": "GET", "path_contains": "/backupVaults/vault-demo", "count": 1,
                                        "action": {"type": "status", "status": 503, "retry_after": 7}}),
    )
    .await;
    assert_eq!(added["id"], 1);
    let url = test.arm(&vault_path());
    let response = test.get(&url).await;
    assert_eq!(header(&response, "retry-after"), "7");
    assert!(!header(&response, "x-ms-request-id").is_empty());
    assert_error(response, StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable").await;
    assert_eq!(test.get(&url).await.status(), StatusCode::OK, "count 1: only once");

    for (status, code) in
        [(429, "TooManyRequests"), (500, "InternalServerError"), (408, "RequestTimeout"), (504, "GatewayTimeout")]
    {
        add_fault(
            &test,
            json!({"path_contains": "vault-demo", "count": 1, "action": {"type": "status", "status": status}}),
        )
        .await;
        assert_error(test.get(&url).await, StatusCode::from_u16(status).unwrap(), code).await;
    }
    add_fault(
        &test,
        json!({"count": 1, "action": {"type": "status", "status": 409, "code": "Conflict", "message": "Busy."}}),
    )
    .await;
    let body = assert_error(test.get(&url).await, StatusCode::CONFLICT, "Conflict").await;
    assert_eq!(body["error"]["message"], "Busy.");
    let journal = test.state().journal();
    assert_eq!(journal.iter().filter(|entry| entry.status >= 400).count(), 6);
}

#[tokio::test]
async fn faults_match_on_operation_names_regexes_and_skip_counts() {
    let test = support::start().await;
    test.state()
        .add_fault(FaultRule {
            id: 0,
            method: None,
            path_contains: None,
            path_regex: None,
            operation: Some("OperationStatusBackupVaultContext_Get".into()),
            skip: 1,
            count: Some(1),
            action: FaultAction::Status { status: 500, retry_after: None, code: None, message: None },
        })
        .unwrap();
    let response =
        test.put(&test.arm(&instance_path("bi")), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED, "the PUT is not matched");
    let operation = header(&response, "azure-asyncoperation");
    assert_eq!(test.get(&operation).await.status(), StatusCode::OK, "the first poll is skipped");
    assert_eq!(test.get(&operation).await.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(test.get(&operation).await.status(), StatusCode::OK);

    add_fault(&test, json!({"path_regex": "/disks/disk-app-0[12]$", "action": {"type": "status", "status": 503}}))
        .await;
    assert_eq!(
        test.get(&test.arm(&world::disk_id(world::DISK_APP_02))).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(test.get(&test.arm(&world::disk_id(world::DISK_UNAUTHORIZED))).await.status(), StatusCode::OK);
    let invalid = test
        .client
        .post(test.url("/_emulator/faults"))
        .json(&json!({"path_regex": "(", "action": {"type": "drop"}}))
        .send()
        .await
        .unwrap();
    assert_error(invalid, StatusCode::BAD_REQUEST, "InvalidRequestContent").await;
    let listed: Value = test.client.get(test.url("/_emulator/faults")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "the used-up rule is gone: {listed}");
    assert_eq!(
        test.client.delete(test.url("/_emulator/faults")).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(test.get(&test.arm(&world::disk_id(world::DISK_APP_02))).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn latency_is_added_before_the_answer() {
    let test = support::start().await;
    add_fault(&test, json!({"operation": "BackupVaults_Get", "action": {"type": "latency", "ms": 1500}})).await;
    let started = Instant::now();
    assert_eq!(test.get(&test.arm(&vault_path())).await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(1500), "{:?}", started.elapsed());
    // Another operation is not delayed: it answers well before the injected latency could have passed.
    let started = Instant::now();
    test.get(&test.arm(&world::disk_id(world::DISK_APP_01))).await;
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
}

#[tokio::test]
async fn dropped_connections_fail_the_request_before_or_after_processing() {
    let test = support::start().await;
    add_fault(&test, json!({"method": "PUT", "count": 1, "action": {"type": "drop"}})).await;
    let url = test.arm(&instance_path("bi"));
    let body = disk_instance(world::DISK_APP_01, world::POLICY_DAILY);
    let error = test.client.put(&url).bearer_auth(&test.token).json(&body).send().await.unwrap_err();
    assert!(!error.is_status() && !error.is_timeout(), "{error:?}");
    assert!(test.state().inventory().backup_instances.is_empty(), "dropped before processing");
    assert_eq!(test.state().journal().last().unwrap().status, 0);

    add_fault(&test, json!({"method": "PUT", "count": 1, "action": {"type": "drop", "after_processing": true}})).await;
    assert!(test.client.put(&url).bearer_auth(&test.token).json(&body).send().await.is_err());
    let inventory = test.state().inventory();
    assert_eq!(inventory.backup_instances.len(), 1, "the PUT took effect although its answer was lost");
    assert_eq!(inventory.backup_instances[0].id, instance_path("bi"));
    // The connection pool recovers: the next request works.
    assert_eq!(test.get(&url).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn malformed_and_truncated_bodies_break_json_parsing() {
    let test = support::start().await;
    let url = test.arm(&vault_path());
    add_fault(&test, json!({"operation": "BackupVaults_Get", "count": 1, "action": {"type": "malformed_body"}})).await;
    let response = test.get(&url).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.bytes().await.unwrap();
    assert!(serde_json::from_slice::<Value>(&text).is_err(), "{}", String::from_utf8_lossy(&text));

    // Over HTTP/1.1 the headers arrive with the full Content-Length, then the body stops short.
    let http1 = support::http1_client_for(&test.emulator.ca_pem_path());
    add_fault(&test, json!({"operation": "BackupVaults_Get", "count": 1, "action": {"type": "truncated_body"}})).await;
    let response = http1.get(&url).bearer_auth(&test.token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "headers arrive");
    let expected: usize = header(&response, "content-length").parse().unwrap();
    assert!(expected > 100);
    let error = response.bytes().await.unwrap_err();
    assert!(error.is_body() || error.is_decode(), "{error:?}");
    // Over HTTP/2 the stream is reset part-way.
    add_fault(&test, json!({"operation": "BackupVaults_Get", "count": 1, "action": {"type": "truncated_body"}})).await;
    let outcome = match test.client.get(&url).bearer_auth(&test.token).send().await {
        Ok(response) => response.bytes().await.map(|bytes| bytes.len()),
        Err(error) => Err(error),
    };
    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(test.get(&url).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn faults_on_the_token_endpoint_answer_in_entras_shape() {
    let test = support::start().await;
    add_fault(&test, json!({"operation": "Token", "count": 1, "action": {"type": "status", "status": 503}})).await;
    let response = test
        .token_request(
            world::TENANT_ID,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", world::CLIENT_ID),
                ("client_secret", world::CLIENT_SECRET),
                ("scope", "https://management.azure.com/.default"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
}

#[tokio::test]
async fn operations_fail_cancel_or_never_finish_as_injected() {
    let test = support::start().await;
    test.fast();
    let state = test.state();
    state.inject_outcome(
        OperationKind::BackupInstanceCreateOrUpdate,
        OutcomeRule {
            outcome: Outcome::Fail,
            count: Some(1),
            code: Some("UserErrorSnapshotRGNotFound".into()),
            message: Some("Gone.".into()),
        },
    );
    let create = |name: &'static str, disk: &'static str| {
        let test = &test;
        async move {
            let response = test.put(&test.arm(&instance_path(name)), &disk_instance(disk, world::POLICY_DAILY)).await;
            assert_eq!(response.status(), StatusCode::ACCEPTED);
            (header(&response, "azure-asyncoperation"), header(&response, "location"))
        }
    };
    let (operation, location) = create("failing", world::DISK_APP_01).await;
    let status = test.wait(&operation).await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"], json!({"code": "UserErrorSnapshotRGNotFound", "message": "Gone."}));
    assert_error(test.get(&location).await, StatusCode::INTERNAL_SERVER_ERROR, "UserErrorSnapshotRGNotFound").await;
    let instance: Value = test.get(&test.arm(&instance_path("failing"))).await.json().await.unwrap();
    assert_eq!(instance["properties"]["currentProtectionState"], "ConfiguringProtectionFailed");
    assert_eq!(instance["properties"]["protectionStatus"]["errorDetails"]["code"], "UserErrorSnapshotRGNotFound");

    state.inject_outcome(
        OperationKind::BackupInstanceDelete,
        OutcomeRule { outcome: Outcome::Cancel, count: Some(1), code: None, message: None },
    );
    let response = test.delete(&test.arm(&instance_path("failing"))).await;
    let status = test.wait(&header(&response, "azure-asyncoperation")).await;
    assert_eq!(status["status"], "Canceled");
    assert_eq!(status["error"]["code"], "OperationCanceled");
    assert_eq!(
        test.get(&test.arm(&instance_path("failing"))).await.status(),
        StatusCode::OK,
        "a canceled delete leaves the instance"
    );

    state.inject_outcome(
        OperationKind::ValidateForBackup,
        OutcomeRule { outcome: Outcome::NeverFinish, count: None, code: None, message: None },
    );
    let body = json!({"backupInstance": disk_instance(world::DISK_APP_02, world::POLICY_DAILY)["properties"]});
    let response = test.post(&test.arm(&format!("{}/validateForBackup", vault_path())), Some(&body)).await;
    let operation = header(&response, "azure-asyncoperation");
    for _ in 0..20 {
        let status: Value = test.get(&operation).await.json().await.unwrap();
        assert_eq!(status["status"], "Inprogress");
    }
    state.advance_clock(Duration::from_secs(30 * 60));
    let status: Value = test.get(&operation).await.json().await.unwrap();
    assert_eq!(status["status"], "Inprogress", "never means never");
    assert_eq!(test.get(&header(&response, "location")).await.status(), StatusCode::ACCEPTED);

    // The next create succeeds: the injected failure had a count of one.
    let (operation, _) = create("working", world::DISK_APP_02).await;
    assert_eq!(test.wait(&operation).await["status"], "Succeeded");
}

#[tokio::test]
async fn a_fault_rule_can_decide_how_the_operation_it_matches_ends() {
    let test = support::start().await;
    test.fast();
    add_fault(
        &test,
        json!({"method": "PUT", "path_contains": "/backupInstances/doomed", "count": 1,
                            "action": {"type": "operation", "outcome": "fail", "code": "BMSUserErrorInvalidInput"}}),
    )
    .await;
    let response =
        test.put(&test.arm(&instance_path("doomed")), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    let status = test.wait(&header(&response, "azure-asyncoperation")).await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "BMSUserErrorInvalidInput");
    let response =
        test.put(&test.arm(&instance_path("fine")), &disk_instance(world::DISK_APP_02, world::POLICY_DAILY)).await;
    assert_eq!(test.wait(&header(&response, "azure-asyncoperation")).await["status"], "Succeeded");
}

#[tokio::test]
async fn faults_and_outcomes_from_the_scenario_file_apply_from_the_start() {
    let mut scenario = Scenario::default_world();
    let extra: Scenario = serde_json::from_value(json!({
        "faults": [{"operation": "BackupVaults_Get", "count": 2, "action": {"type": "status", "status": 500}}],
        "settings": {"outcomes": {"BackupInstances_ValidateForBackup": {"outcome": "cancel"}}, "page_size": 7},
    }))
    .unwrap();
    scenario.faults = extra.faults;
    scenario.settings = extra.settings;
    let test = support::start_with(scenario).await;
    test.fast();
    assert_eq!(test.state().settings().page_size, 7);
    for _ in 0..2 {
        assert_eq!(test.get(&test.arm(&vault_path())).await.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
    assert_eq!(test.get(&test.arm(&vault_path())).await.status(), StatusCode::OK);
    let body = json!({"backupInstance": disk_instance(world::DISK_APP_01, world::POLICY_DAILY)["properties"]});
    let response = test.post(&test.arm(&format!("{}/validateForBackup", vault_path())), Some(&body)).await;
    assert_eq!(test.wait(&header(&response, "azure-asyncoperation")).await["status"], "Canceled");
}
