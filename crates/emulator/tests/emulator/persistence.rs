//! Persistence and shutdown: the state directory keeps the CA, the token key and the world across restarts;
//! shutdown is graceful; the binary prints its address and saves on SIGTERM.

use crate::support;

use std::time::{Duration, Instant};

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{Scenario, WorldSource};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{assert_error, disk_instance, header, instance_path, vault_path};

#[tokio::test]
async fn a_restart_in_the_same_directory_restores_the_world_the_ca_and_tokens() {
    let test = support::start().await;
    test.fast();
    test.protect("kept", world::DISK_APP_01, world::POLICY_DAILY).await;
    let group = world::resource_group_id("rg-added");
    assert_eq!(test.put(&test.arm(&group), &json!({"location": "westus"})).await.status(), StatusCode::CREATED);
    test.state().update_settings(|settings| settings.page_size = 3);
    let ca_before = std::fs::read(test.emulator.ca_pem_path()).unwrap();
    let support::TestEmulator { emulator, dir, client, token } = test;
    assert_eq!(emulator.world_source(), WorldSource::Scenario);
    emulator.shutdown().await.unwrap();
    assert!(dir.path().join("world.json").is_file());
    {
        use std::os::unix::fs::PermissionsExt as _;
        for file in ["world.json", "ca-key.pem", "token-signing-key"] {
            let mode = std::fs::metadata(dir.path().join(file)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{file} holds secrets");
        }
    }
    assert!(!dir.path().join("address").exists(), "the address file goes with the server");

    // A different scenario is ignored: the saved world wins.
    let emulator = dataprotection_emulator::Emulator::start(dataprotection_emulator::EmulatorConfig {
        state_dir: dir.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        scenario: Some(Scenario::default()),
    })
    .await
    .unwrap();
    assert_eq!(emulator.world_source(), WorldSource::Restored);
    assert_eq!(std::fs::read(emulator.ca_pem_path()).unwrap(), ca_before, "the CA is kept");
    assert_eq!(std::fs::read_to_string(dir.path().join("address")).unwrap().trim(), emulator.base_url());
    // The old client (trusting the old CA file) and the old token both still work.
    let url = format!("{}{}?api-version=2025-07-01", emulator.base_url(), instance_path("kept"));
    let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let instance: Value = response.json().await.unwrap();
    assert_eq!(instance["properties"]["currentProtectionState"], "ProtectionConfigured");
    let group_url = format!("{}{group}?api-version=2025-07-01", emulator.base_url());
    assert_eq!(client.get(&group_url).bearer_auth(&token).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(emulator.state().settings().page_size, 3);
    // The disk is still protected by the restored instance.
    let again = client
        .put(format!("{}{}?api-version=2025-07-01", emulator.base_url(), instance_path("other")))
        .bearer_auth(&token)
        .json(&disk_instance(world::DISK_APP_01, world::POLICY_DAILY))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    emulator.shutdown().await.unwrap();
}

/// Resource guards, a vault's association with one, and a vault's user-assigned identities and customer-managed
/// key are in the saved world: after a restart every one of them answers as before.
#[tokio::test]
async fn guards_associations_identities_and_keys_survive_a_restart() {
    let test = support::start().await;
    test.fast();
    let group = world::resource_group_id(world::BACKUP_RESOURCE_GROUP);
    let guard = format!("{group}/providers/Microsoft.DataProtection/resourceGuards/guard-kept");
    let body = json!({"location": world::LOCATION, "tags": {"owner": "security"},
        "properties": {"vaultCriticalOperationExclusionList": ["Microsoft.DataProtection/backupVaults/backupInstances/write"]}});
    assert_eq!(test.put(&test.arm(&guard), &body).await.status(), StatusCode::CREATED);
    let proxy = format!("{}/backupResourceGuardProxies/DppResourceGuardProxy", vault_path());
    let response = test.put(&test.arm(&proxy), &json!({"properties": {"resourceGuardResourceId": guard}})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let uai = format!("{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-kept");
    let vault = support::put_secured_vault(&test, "vault-kept", &uai).await;

    let paths = [guard, proxy, vault.clone(), vault_path()];
    let mut before = Vec::new();
    for path in &paths {
        let response = test.get(&test.arm(path)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        before.push(response.json::<Value>().await.unwrap());
    }
    assert!(before[2]["identity"]["userAssignedIdentities"][&uai]["principalId"].is_string(), "{}", before[2]);
    assert_eq!(before[3]["properties"]["isVaultProtectedByResourceGuard"], true);

    let support::TestEmulator { emulator, dir, .. } = test;
    emulator.shutdown().await.unwrap();
    let restarted = support::start_in(dir, None).await;
    assert_eq!(restarted.emulator.world_source(), WorldSource::Restored);
    for (path, before) in paths.iter().zip(&before) {
        let after: Value = restarted.get(&restarted.arm(path)).await.json().await.unwrap();
        assert_eq!(&after, before, "{path} answers as before the restart");
    }
    // The association still guards: its delete needs an authorisation, as before.
    let proxy = &paths[1];
    assert_error(
        restarted.delete(&restarted.arm(proxy)).await,
        StatusCode::BAD_REQUEST,
        "UserErrorMUAOperationNotUnlocked",
    )
    .await;

    // A scenario whose association names a guard it does not have is refused, naming both.
    let mut scenario = restarted.state().snapshot();
    scenario.resource_guards.clear();
    let dir = tempfile::tempdir().unwrap();
    let error = dataprotection_emulator::Emulator::start(dataprotection_emulator::EmulatorConfig {
        state_dir: dir.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        scenario: Some(scenario),
    })
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains(&format!("vault '{}'", world::VAULT_NAME)) && error.contains("guard-kept"), "{error}");
}

#[tokio::test]
async fn running_operations_survive_a_restart() {
    let test = support::start().await;
    test.state().set_default_lro_timing(dataprotection_emulator::LroTiming::with_delays(1, 0, 1, Some(1)));
    let response =
        test.put(&test.arm(&instance_path("bi")), &disk_instance(world::DISK_APP_02, world::POLICY_DAILY)).await;
    let operation = header(&response, "azure-asyncoperation");
    let support::TestEmulator { emulator, dir, token, .. } = test;
    emulator.shutdown().await.unwrap();
    let restarted = support::start_in(dir, None).await;
    let moved = operation.replace(&operation[..operation.find("/subscriptions").unwrap()], restarted.base());
    let first: Value = restarted.send_as(&token, Method::GET, &moved, None).await.json().await.unwrap();
    assert_eq!(first["status"], "Inprogress");
    assert_eq!(restarted.wait(&moved).await["status"], "Succeeded");
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish() {
    let test = support::start().await;
    test.state()
        .add_fault(
            serde_json::from_value(
                json!({"operation": "BackupVaults_Get", "count": 1, "action": {"type": "latency", "ms": 400}}),
            )
            .unwrap(),
        )
        .unwrap();
    let client = test.client.clone();
    let url = test.arm(&vault_path());
    let token = test.token.clone();
    let request =
        tokio::spawn(async move { client.get(url).bearer_auth(token).send().await.map(|response| response.status()) });
    // The rule is gone once it has acted: the request is in flight.
    for _ in 0..500 {
        if test.state().faults().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(test.state().faults().is_empty(), "the request never arrived");
    let started = Instant::now();
    test.emulator.shutdown().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200), "shutdown waited for the request");
    assert_eq!(request.await.unwrap().unwrap(), StatusCode::OK);
}

#[tokio::test]
async fn only_loopback_addresses_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let error = dataprotection_emulator::Emulator::start(dataprotection_emulator::EmulatorConfig {
        state_dir: dir.path().to_path_buf(),
        listen: "0.0.0.0:0".parse().unwrap(),
        scenario: None,
    })
    .await
    .unwrap_err();
    assert!(error.to_string().contains("loopback"), "{error}");
}

#[tokio::test]
async fn the_binary_prints_its_address_and_saves_on_sigterm() {
    use tokio::io::AsyncBufReadExt as _;
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_dataprotection-emulator"))
        .args(["--state-dir", dir.path().to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let base = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await.unwrap().unwrap().unwrap();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    assert_eq!(std::fs::read_to_string(dir.path().join("address")).unwrap().trim(), base);

    let client = support::client_for(&dir.path().join("ca.pem"));
    let metadata: Value = client
        .get(format!("{base}/metadata/endpoints?api-version=2022-09-01"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resourceManager"], format!("{base}/"));

    let status = std::process::Command::new("kill").args(["-TERM", &child.id().unwrap().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), child.wait()).await.unwrap().unwrap();
    assert!(exit.success(), "{exit:?}");
    let saved = Scenario::from_json(&std::fs::read_to_string(dir.path().join("world.json")).unwrap()).unwrap();
    assert_eq!(saved.vaults[0].name, world::VAULT_NAME);
    assert!(!dir.path().join("address").exists());
}

#[tokio::test]
async fn the_binary_refuses_bad_arguments() {
    let binary = env!("CARGO_BIN_EXE_dataprotection-emulator");
    let dir = tempfile::tempdir().unwrap();
    for arguments in [
        vec!["--listen", "0.0.0.0:0", "--state-dir", dir.path().to_str().unwrap()],
        vec!["--listen", "127.0.0.1:0"],
        vec!["--bogus"],
    ] {
        let output = tokio::process::Command::new(binary).args(&arguments).output().await.unwrap();
        assert_eq!(output.status.code(), Some(2), "{arguments:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("usage:"), "{arguments:?}");
    }
    let scenario = dir.path().join("broken.json");
    std::fs::write(&scenario, "{\"disks\": 3}").unwrap();
    let output = tokio::process::Command::new(binary)
        .args(["--state-dir", dir.path().join("state").to_str().unwrap(), "--scenario", scenario.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("parsing scenario"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
