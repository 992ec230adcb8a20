//! The contract with the published API: every backup-instance and operation-status response the emulator
//! produces validates against the definitions of dataprotection.json (2026-06-01), and every request example in
//! spec/azure/examples is accepted with one of its documented status codes, its documented headers, and a body
//! that matches the operation's response schema.

use crate::rules::kind_policy;
use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::scenario::{
    BackupInstanceSeed, ClusterExtensionSeed, KubernetesClusterSeed, OperationSeed, PolicySeed, ResourceGroupSeed,
    RoleAssignmentSeed, StorageAccountSeed, SubscriptionSeed, TrustedAccessRoleBindingSeed, VaultSeed,
};
use dataprotection_emulator::swagger::{Direction, Spec};
use dataprotection_emulator::{LroTiming, OperationKind, Outcome, OutcomeRule, ProtectionErrorRequest, Scenario};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{TestEmulator, disk_instance, header, instance_path, vault_path};

use crate::keywords::Keywords;

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/azure")
}

/// The spec, read from the files in the repository.
fn spec() -> Spec {
    let read = |path: &str| std::fs::read_to_string(spec_dir().join(path)).unwrap();
    Spec::from_documents(
        ("dataprotection.json", &read("dataprotection.json")),
        &[
            ("types.json", &read("common-types/resource-management/v5/types.json")),
            ("managedidentity.json", &read("common-types/resource-management/v5/managedidentity.json")),
        ],
    )
    .unwrap()
}

/// Collects responses and the definitions they must match.
#[derive(Default)]
struct Collected(Vec<(String, &'static str, Value)>);

impl Collected {
    fn add(&mut self, what: impl Into<String>, definition: &'static str, body: Value) {
        self.0.push((what.into(), definition, body));
    }

    /// Every body matches its definition, as the emulator's validator and the second judge (the keywords the
    /// validator does not check) see it.
    fn assert_valid(&self, spec: &Spec) {
        let judge = Keywords::load(&spec_dir());
        let mut failures = Vec::new();
        for (what, definition, body) in &self.0 {
            if let Err(violations) = spec.validate(definition, body, Direction::Response) {
                failures.push(format!("{what} as {definition}: {violations:?}\n{body}"));
            }
            let broken = judge.check(definition, body);
            if !broken.is_empty() {
                failures.push(format!("{what} as {definition}, keywords: {broken:?}\n{body}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} responses do not match the spec:\n{}",
            failures.len(),
            self.0.len(),
            failures.join("\n")
        );
    }

    fn count(&self, definition: &str) -> usize {
        self.0.iter().filter(|(_, name, _)| *name == definition).count()
    }
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

/// Polls an operation status URL to its end, collecting every answer.
async fn poll(test: &TestEmulator, collected: &mut Collected, what: &str, url: &str) -> Value {
    for _ in 0..1_000 {
        let status = json_of(test.get(url).await).await;
        collected.add(format!("{what} status {}", status["status"]), "OperationResource", status.clone());
        if status["status"] != "Inprogress" {
            return status;
        }
    }
    panic!("{what} never ended: {url}");
}

#[tokio::test]
async fn every_instance_and_operation_response_matches_the_spec() {
    let spec = spec();
    let test = support::start().await;
    test.state().set_default_lro_timing(LroTiming::with_delays(2, 0, 1, Some(1)));
    let mut collected = Collected::default();
    let instance_url = test.arm(&instance_path("bi"));

    // Create: the 202 (no body), every status of the operation, the result, and each state of the instance.
    let response = test.put(&instance_url, &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    let (status_url, result_url) = (header(&response, "azure-asyncoperation"), header(&response, "location"));
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert!(response.bytes().await.unwrap().is_empty(), "the PUT's 202 has no body");
    collected.add("GET while provisioning", "BackupInstanceResource", json_of(test.get(&instance_url).await).await);
    assert_eq!(test.get(&result_url).await.status(), StatusCode::ACCEPTED);
    poll(&test, &mut collected, "create", &status_url).await;
    collected.add("operation result", "BackupInstanceResource", json_of(test.get(&result_url).await).await);
    for state in ["configuring", "configured"] {
        collected.add(format!("GET {state}"), "BackupInstanceResource", json_of(test.get(&instance_url).await).await);
    }

    // Update, list, actions (with the job of an ad hoc backup) and injected errors.
    let response = test.put(&instance_url, &disk_instance(world::DISK_APP_01, world::POLICY_4H)).await;
    let status_url = header(&response, "azure-asyncoperation");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    collected.add("GET updating", "BackupInstanceResource", json_of(test.get(&instance_url).await).await);
    poll(&test, &mut collected, "update", &status_url).await;
    collected.add(
        "list",
        "BackupInstanceResourceList",
        json_of(test.get(&test.arm(&format!("{}/backupInstances", vault_path()))).await).await,
    );
    for (action, body) in [
        ("stopProtection", None),
        ("resumeProtection", None),
        ("suspendBackups", None),
        ("resumeBackups", None),
        (
            "backup",
            Some(
                json!({"backupRuleOptions": {"ruleName": "BackupHourly", "triggerOption": {"retentionTagOverride": "Default"}}}),
            ),
        ),
    ] {
        let response = test.post(&test.arm(&format!("{}/{action}", instance_path("bi"))), body.as_ref()).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{action}");
        let (status_url, result_url) = (header(&response, "azure-asyncoperation"), header(&response, "location"));
        let last = poll(&test, &mut collected, action, &status_url).await;
        if action == "backup" {
            assert_eq!(last["properties"]["objectType"], "OperationJobExtendedInfo");
            collected.add("backup result", "OperationJobExtendedInfo", json_of(test.get(&result_url).await).await);
        }
        collected.add(
            format!("GET after {action}"),
            "BackupInstanceResource",
            json_of(test.get(&instance_url).await).await,
        );
    }
    test.state()
        .set_protection_error(&ProtectionErrorRequest {
            backup_instance_id: instance_path("bi"),
            ..ProtectionErrorRequest::default()
        })
        .unwrap();
    collected.add("GET in ProtectionError", "BackupInstanceResource", json_of(test.get(&instance_url).await).await);

    // Failures: missing permissions (create and validate), injected failure and cancellation.
    let failing_url = test.arm(&instance_path("failing"));
    let response = test.put(&failing_url, &disk_instance(world::DISK_UNAUTHORIZED, world::POLICY_DAILY)).await;
    let status_url = header(&response, "azure-asyncoperation");
    assert_eq!(poll(&test, &mut collected, "failing create", &status_url).await["status"], "Failed");
    collected.add(
        "GET ConfiguringProtectionFailed",
        "BackupInstanceResource",
        json_of(test.get(&failing_url).await).await,
    );
    let validate = json!({"backupInstance": disk_instance(world::DISK_APP_02, world::POLICY_DAILY)["properties"]});
    let response = test.post(&test.arm(&format!("{}/validateForBackup", vault_path())), Some(&validate)).await;
    let (status_url, result_url) = (header(&response, "azure-asyncoperation"), header(&response, "location"));
    poll(&test, &mut collected, "validate", &status_url).await;
    collected.add("validate result", "OperationJobExtendedInfo", json_of(test.get(&result_url).await).await);
    test.state().inject_outcome(
        OperationKind::ValidateForBackup,
        OutcomeRule { outcome: Outcome::Cancel, count: Some(1), code: None, message: None },
    );
    let response = test.post(&test.arm(&format!("{}/validateForBackup", vault_path())), Some(&validate)).await;
    assert_eq!(
        poll(&test, &mut collected, "canceled validate", &header(&response, "azure-asyncoperation")).await["status"],
        "Canceled"
    );
    test.state().inject_outcome(
        OperationKind::BackupInstanceDelete,
        OutcomeRule { outcome: Outcome::Fail, count: Some(1), code: None, message: None },
    );
    let response = test.delete(&failing_url).await;
    assert_eq!(
        poll(&test, &mut collected, "failed delete", &header(&response, "azure-asyncoperation")).await["status"],
        "Failed"
    );

    // A delete that succeeds, and a vault create (vault scope).
    let response = test.delete(&instance_url).await;
    poll(&test, &mut collected, "delete", &header(&response, "azure-asyncoperation")).await;
    let vault = world::vault_id().replace(world::VAULT_NAME, "vault-contract");
    let response = test
        .put(&test.arm(&vault), &json!({"location": "westus", "identity": {"type": "SystemAssigned"}, "properties": {"storageSettings": [{"datastoreType": "VaultStore", "type": "LocallyRedundant"}]}}))
        .await;
    let status_url = header(&response, "azure-asyncoperation");
    collected.add("vault PUT 201", "BackupVaultResource", json_of(response).await);
    poll(&test, &mut collected, "vault create", &status_url).await;
    collected.add("vault GET", "BackupVaultResource", json_of(test.get(&test.arm(&vault)).await).await);
    collected.add(
        "policy GET",
        "BaseBackupPolicyResource",
        json_of(test.get(&test.arm(&world::policy_id(world::POLICY_DAILY))).await).await,
    );

    // (Twelve: instance PUTs answer 202 without a body.)
    assert!(collected.count("BackupInstanceResource") >= 12, "{}", collected.count("BackupInstanceResource"));
    assert!(collected.count("OperationResource") >= 20, "{}", collected.count("OperationResource"));
    collected.assert_valid(&spec);

    // The check is not vacuous: a response broken the way a buggy emulator might break it fails.
    let mut broken = Collected::default();
    let mut instance = json_of(test.get(&failing_url).await).await;
    instance["properties"]["protectionStatus"]["errorDetails"]["isRetryable"] = json!("no");
    broken.add("broken instance", "BackupInstanceResource", instance);
    let result = std::panic::catch_unwind(|| broken.assert_valid(&spec));
    assert!(result.is_err(), "a wrong type in errorDetails must be caught");
}

/// The scenario the examples assume: their subscriptions, resource groups, vaults, policies, instances and
/// operations. `with_example_instance` adds `testInstance1` in PratikPrivatePreviewVault1, which the examples
/// that read, delete or back it up need, and the ones that create or validate it must not find.
fn examples_world(with_example_instance: bool) -> Scenario {
    const SUBSCRIPTION: &str = "04cf684a-d41f-4550-9f70-7708a3a2283b";
    const OTHER_SUBSCRIPTION: &str = "0b352192-dcac-4cc7-992e-a96190ccc68c";
    let postgres = |database: &str| {
        format!(
            "/subscriptions/f75d8d8b-6735-4697-82e1-1a7a3ff0d5d4/resourceGroups/viveksipgtest/providers/Microsoft.DBforPostgreSQL/servers/viveksipgtest/databases/{database}"
        )
    };
    let mut scenario = Scenario::default_world();
    for id in [SUBSCRIPTION, OTHER_SUBSCRIPTION] {
        scenario.subscriptions.push(SubscriptionSeed { id: id.into(), ..SubscriptionSeed::default() });
    }
    for (subscription, group) in [
        (SUBSCRIPTION, "000pikumar"),
        (SUBSCRIPTION, "testrg"),
        (SUBSCRIPTION, "SampleResourceGroup"),
        (OTHER_SUBSCRIPTION, "SampleResourceGroup"),
    ] {
        scenario.resource_groups.push(ResourceGroupSeed {
            subscription_id: Some(subscription.into()),
            name: group.into(),
            location: "westus".into(),
            tags: None,
        });
    }
    let vaults = [
        (SUBSCRIPTION, "000pikumar", "PratikPrivatePreviewVault1"),
        (SUBSCRIPTION, "testrg", "testvault"),
        (SUBSCRIPTION, "SampleResourceGroup", "swaggerExample"),
        (OTHER_SUBSCRIPTION, "SampleResourceGroup", "swaggerExample"),
    ];
    let policy = json!({
        "objectType": "BackupPolicy",
        "datasourceTypes": ["Microsoft.DBforPostgreSQL/servers/databases"],
        "policyRules": [
            {"name": "BackupWeekly", "objectType": "AzureBackupRule",
             "backupParameters": {"objectType": "AzureBackupParams", "backupType": "Full"},
             "dataStore": {"dataStoreType": "VaultStore", "objectType": "DataStoreInfoBase"},
             "trigger": {"objectType": "ScheduleBasedTriggerContext", "schedule": {"repeatingTimeIntervals": ["R/2019-11-20T08:00:00-08:00/P1W"]},
                         "taggingCriteria": [{"isDefault": true, "taggingPriority": 99, "tagInfo": {"tagName": "Default"}}]}},
            {"name": "Default", "objectType": "AzureRetentionRule", "isDefault": true,
             "lifecycles": [{"deleteAfter": {"objectType": "AbsoluteDeleteOption", "duration": "P3M"},
                             "sourceDataStore": {"dataStoreType": "VaultStore", "objectType": "DataStoreInfoBase"}}]},
        ],
    });
    for (subscription, group, vault) in vaults {
        scenario.vaults.push(VaultSeed {
            subscription_id: Some(subscription.into()),
            resource_group: group.into(),
            name: vault.into(),
            identity: true,
            ..VaultSeed::default()
        });
        scenario.policies.push(PolicySeed {
            subscription_id: Some(subscription.into()),
            resource_group: group.into(),
            vault: vault.into(),
            name: "PratikPolicy1".into(),
            properties: Some(policy.clone()),
            ..PolicySeed::default()
        });
    }
    let mut instance = |group: &str, vault: &str, name: &str, database: &str| {
        scenario.backup_instances.push(BackupInstanceSeed {
            subscription_id: Some(SUBSCRIPTION.into()),
            resource_group: group.into(),
            vault: vault.into(),
            name: name.into(),
            datasource_id: Some(postgres(database)),
            policy: Some("PratikPolicy1".into()),
            ..BackupInstanceSeed::default()
        });
    };
    instance("testrg", "testvault", "testbi", "testbi-db");
    instance("SampleResourceGroup", "swaggerExample", "testInstance1", "sample-db");
    if with_example_instance {
        instance("000pikumar", "PratikPrivatePreviewVault1", "testInstance1", "testdb");
    }
    add_kind_examples(&mut scenario);
    scenario.operations.push(OperationSeed {
        id: "MjkxOTMyODMtYTE3My00YzJjLTg5NjctN2E4MDIxNDA3NjA2OzdjNGE2ZWRjLWJjMmItNDRkYi1hYzMzLWY1YzEwNzk5Y2EyOA=="
            .into(),
        kind: OperationKind::ValidateForBackup,
        subscription_id: Some(OTHER_SUBSCRIPTION.into()),
        location: "WestUS".into(),
        resource_group: Some("SampleResourceGroup".into()),
        vault: Some("swaggerExample".into()),
        backup_instance: None,
        status: "Succeeded".into(),
        error: None,
        job_id: Some("c60cb49-63e8-4b21-b9bd-26277b3fdfae".into()),
        start_unix_ms: Some(1_574_243_384_047),
        end_unix_ms: Some(1_574_243_386_000),
        polls_left: None,
        due_unix_ms: None,
        never_finish: false,
        api_version: None,
    });
    scenario.operations.push(OperationSeed {
        id: "YWUzNDFkMzQtZmM5OS00MmUyLWEzNDMtZGJkMDIxZjlmZjgzOzdmYzBiMzhmLTc2NmItNDM5NS05OWQ1LTVmOGEzNzg4MWQzNA=="
            .into(),
        kind: OperationKind::BackupInstanceCreateOrUpdate,
        subscription_id: Some(SUBSCRIPTION.into()),
        location: "westus".into(),
        resource_group: Some("SampleResourceGroup".into()),
        vault: Some("swaggerExample".into()),
        backup_instance: Some("testInstance1".into()),
        status: "Succeeded".into(),
        error: None,
        job_id: None,
        start_unix_ms: None,
        end_unix_ms: None,
        polls_left: None,
        due_unix_ms: None,
        never_finish: false,
        api_version: None,
    });
    scenario
}

/// The AKS example's subscription, resource group (also its snapshot resource group), vault, policy and cluster.
const AKS: (&str, &str, &str, &str, &str) =
    ("62b829ee-7936-40c9-a1c9-47a93f9f3965", "aksrg", "aksvault", "akspolicy", "akscluster");
/// The ADLS example's subscription, resource group, vault, policy and storage account.
const ADLS: (&str, &str, &str, &str, &str) =
    ("54707983-993e-43de-8d94-074451394eda", "adlsrg", "adlsvault", "adlspolicy", "adlsstorageaccount");
const AKS_VAULT_PRINCIPAL: &str = "00000000-0000-0000-0000-0000000aa001";
const AKS_CLUSTER_PRINCIPAL: &str = "00000000-0000-0000-0000-0000000aa002";
const ADLS_VAULT_PRINCIPAL: &str = "00000000-0000-0000-0000-0000000aa003";

/// What the AKS and ADLS examples (PutBackupInstance_KubernetesClusterBackupDatasourceParameters.json and
/// PutBackupInstance_ADLSBlobBackupDatasourceParameters.json) assume: the cluster with the backup extension, a
/// trusted access binding for the vault and the roles the rules ask for; the HNS account with `container1`; and a
/// policy of each kind.
fn add_kind_examples(scenario: &mut Scenario) {
    let (aks_subscription, aks_group, aks_vault, aks_policy, cluster) = AKS;
    let (adls_subscription, adls_group, adls_vault, adls_policy, account) = ADLS;
    let group_id = |subscription: &str, group: &str| format!("/subscriptions/{subscription}/resourceGroups/{group}");
    let vault_id = |subscription: &str, group: &str, vault: &str| {
        format!("{}/providers/Microsoft.DataProtection/backupVaults/{vault}", group_id(subscription, group))
    };
    for (subscription, group, vault, principal) in [
        (aks_subscription, aks_group, aks_vault, AKS_VAULT_PRINCIPAL),
        (adls_subscription, adls_group, adls_vault, ADLS_VAULT_PRINCIPAL),
    ] {
        scenario.subscriptions.push(SubscriptionSeed { id: subscription.into(), ..SubscriptionSeed::default() });
        scenario.resource_groups.push(ResourceGroupSeed {
            subscription_id: Some(subscription.into()),
            name: group.into(),
            location: "westus".into(),
            tags: None,
        });
        scenario.vaults.push(VaultSeed {
            subscription_id: Some(subscription.into()),
            resource_group: group.into(),
            name: vault.into(),
            identity: true,
            identity_principal_id: Some(principal.into()),
            ..VaultSeed::default()
        });
    }
    for (subscription, group, vault, name, policy) in [
        (
            aks_subscription,
            aks_group,
            aks_vault,
            aks_policy,
            kind_policy(
                "Microsoft.ContainerService/managedClusters",
                Some(("OperationalStore", "Incremental", "PT4H")),
                &["OperationalStore"],
            ),
        ),
        (
            adls_subscription,
            adls_group,
            adls_vault,
            adls_policy,
            kind_policy(
                "Microsoft.Storage/storageAccounts/adlsBlobServices",
                Some(("VaultStore", "Discrete", "P1W")),
                &["VaultStore"],
            ),
        ),
    ] {
        scenario.policies.push(PolicySeed {
            subscription_id: Some(subscription.into()),
            resource_group: group.into(),
            vault: vault.into(),
            name: name.into(),
            properties: Some(policy["properties"].clone()),
            ..PolicySeed::default()
        });
    }
    scenario.kubernetes_clusters.push(KubernetesClusterSeed {
        subscription_id: Some(aks_subscription.into()),
        resource_group: aks_group.into(),
        name: cluster.into(),
        identity_principal_id: Some(AKS_CLUSTER_PRINCIPAL.into()),
        extensions: vec![ClusterExtensionSeed {
            name: "azure-aks-backup".into(),
            extension_type: "Microsoft.DataProtection.Kubernetes".into(),
            ..ClusterExtensionSeed::default()
        }],
        trusted_access_role_bindings: vec![TrustedAccessRoleBindingSeed {
            name: "aksvault-binding".into(),
            source_resource_id: vault_id(aks_subscription, aks_group, aks_vault),
            roles: vec!["Microsoft.DataProtection/backupVaults/backup-operator".into()],
        }],
        ..KubernetesClusterSeed::default()
    });
    scenario.storage_accounts.push(StorageAccountSeed {
        subscription_id: Some(adls_subscription.into()),
        resource_group: adls_group.into(),
        name: account.into(),
        is_hns_enabled: true,
        containers: vec!["container1".into()],
        ..StorageAccountSeed::default()
    });
    let grant = |scope: String, role: &str, principal: &str| RoleAssignmentSeed {
        name: None,
        scope,
        role: role.into(),
        principal_id: principal.into(),
        principal_type: Some("ServicePrincipal".into()),
    };
    scenario.role_assignments.extend([
        grant(group_id(aks_subscription, aks_group), "Reader", AKS_VAULT_PRINCIPAL),
        grant(group_id(aks_subscription, aks_group), "Contributor", AKS_CLUSTER_PRINCIPAL),
        grant(
            format!(
                "{}/providers/Microsoft.Storage/storageAccounts/{account}",
                group_id(adls_subscription, adls_group)
            ),
            "Storage Account Backup Contributor",
            ADLS_VAULT_PRINCIPAL,
        ),
    ]);
}

/// The PUT examples of the AKS and ADLS kinds: the emulator accepts their request bodies (the IDs are those of the
/// seeded world) and answers 201 in the example's shape: the same resource type and ID, the properties the example
/// answers with (the client's echoed back, the read-only ones computed), then protection configured.
#[tokio::test]
async fn the_aks_and_adls_put_examples_are_accepted_and_answered_in_their_shape() {
    for file in [
        "PutBackupInstance_KubernetesClusterBackupDatasourceParameters.json",
        "PutBackupInstance_ADLSBlobBackupDatasourceParameters.json",
    ] {
        let path = spec_dir().join("examples/BackupInstanceOperations").join(file);
        let example: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let parameters = &example["parameters"];
        let name = parameters["backupInstanceName"].as_str().unwrap();
        let vault = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.DataProtection/backupVaults/{}",
            parameters["subscriptionId"].as_str().unwrap(),
            parameters["resourceGroupName"].as_str().unwrap(),
            parameters["vaultName"].as_str().unwrap()
        );
        let test = support::start_with(examples_world(false)).await;
        test.state().update_settings(|settings| settings.always_on_soft_delete_from_2025_09_01 = false);
        let url = format!("{}{vault}/backupInstances/{name}?api-version=2026-06-01", test.base());
        let request = &parameters["parameters"];

        // validateForBackup accepts the same instance and its operation succeeds.
        let validate = format!("{}{vault}/validateForBackup?api-version=2026-06-01", test.base());
        let body = json!({"backupInstance": request["properties"]});
        let response = test.send(Method::POST, &validate, Some(&body)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{file}");
        assert_eq!(test.wait(&header(&response, "azure-asyncoperation")).await["status"], "Succeeded", "{file}");

        let response = test.send(Method::PUT, &url, Some(request)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{file}");
        let operation = header(&response, "azure-asyncoperation");
        assert!(response.bytes().await.unwrap().is_empty(), "{file}: the PUT's 202 has no body");
        let answered: Value = test.get(&url).await.json().await.unwrap();
        let expected = &example["responses"]["201"]["body"];
        assert_eq!(answered["type"], expected["type"], "{file}");
        assert_eq!(answered["name"], name, "{file}");
        assert!(
            answered["id"].as_str().unwrap().eq_ignore_ascii_case(&format!("{vault}/backupInstances/{name}")),
            "{file}: {}",
            answered["id"]
        );
        let properties = answered["properties"].as_object().unwrap();
        for key in expected["properties"].as_object().unwrap().keys() {
            assert!(properties.contains_key(key), "{file}: the answer lacks properties.{key}: {answered}");
        }
        for key in ["dataSourceInfo", "dataSourceSetInfo", "friendlyName", "objectType", "policyInfo"] {
            assert_eq!(answered["properties"][key], request["properties"][key], "{file}: properties.{key}");
        }
        assert_eq!(answered["properties"]["provisioningState"], "Provisioning", "{file}");
        assert_eq!(test.wait(&operation).await["status"], "Succeeded", "{file}");
        // Protection is configured after as many reads of the instance as the timing asks (one by default).
        let mut state = Value::Null;
        for _ in 0..5 {
            let read: Value = test.get(&url).await.json().await.unwrap();
            state = read["properties"]["currentProtectionState"].clone();
            if state == "ProtectionConfigured" {
                break;
            }
        }
        assert_eq!(state, "ProtectionConfigured", "{file}");
    }
}

/// What the swagger says about one operation.
struct OperationSpec {
    method: Method,
    path: String,
    body_parameter: Option<String>,
    responses: BTreeMap<String, Value>,
}

fn operations(document: &Value) -> BTreeMap<String, OperationSpec> {
    let mut found = BTreeMap::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else { continue };
            let body_parameter = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|parameter| parameter.get("in").and_then(Value::as_str) == Some("body"))
                .and_then(|parameter| parameter["name"].as_str())
                .map(str::to_owned);
            let responses = operation["responses"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(code, response)| (code.clone(), response.clone()))
                .collect();
            found.insert(
                id.to_owned(),
                OperationSpec {
                    method: method.to_uppercase().parse().unwrap(),
                    path: path.clone(),
                    body_parameter,
                    responses,
                },
            );
        }
    }
    found
}

fn example_files(directory: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            example_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "json") {
            files.push(path);
        }
    }
}

#[tokio::test]
async fn every_request_example_is_accepted_with_a_documented_status() {
    let spec = spec();
    let judge = Keywords::load(&spec_dir());
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(spec_dir().join("dataprotection.json")).unwrap()).unwrap();
    let operations = operations(&document);
    let mut files = Vec::new();
    example_files(&spec_dir().join("examples"), &mut files);
    files.sort();
    assert_eq!(files.len(), 18, "the examples copied into spec/azure/examples");

    let mut checked = Vec::new();
    for file in &files {
        let example: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let operation_id = example["operationId"].as_str().unwrap();
        let operation = operations.get(operation_id).unwrap_or_else(|| panic!("{operation_id} is not in the swagger"));
        let parameters = &example["parameters"];
        let mut path = operation.path.clone();
        for (name, value) in parameters.as_object().unwrap() {
            if let Some(value) = value.as_str() {
                let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
                path = path.replace(&format!("{{{name}}}"), &encoded);
            }
        }
        assert!(!path.contains('{'), "{}: unfilled path {path}", file.display());
        let api_version = parameters["api-version"].as_str().unwrap();
        let body = operation.body_parameter.as_ref().and_then(|name| parameters.get(name)).cloned();

        let needs_instance =
            !matches!(operation_id, "BackupInstances_CreateOrUpdate" | "BackupInstances_ValidateForBackup");
        let test = support::start_with(examples_world(needs_instance)).await;
        // The examples are of 2026-06-01, whose rule that vaults have soft delete AlwaysOn has its own test
        // (rules.rs); their vault here keeps Azure's default.
        test.state().update_settings(|settings| settings.always_on_soft_delete_from_2025_09_01 = false);
        let url = format!("{}{path}?api-version={api_version}", test.base());
        let response = test.send(operation.method.clone(), &url, body.as_ref()).await;
        let status = response.status().as_u16().to_string();
        let documented: Vec<&String> = example["responses"].as_object().unwrap().keys().collect();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        assert!(
            documented.contains(&&status),
            "{}: {operation_id} answered {status} (documented: {documented:?}): {text}",
            file.display()
        );

        let declared = &operation.responses[&status];
        for name in declared.get("headers").and_then(Value::as_object).into_iter().flatten().map(|(name, _)| name) {
            assert!(
                headers.contains_key(name.as_str()),
                "{}: {status} lacks the declared header {name}",
                file.display()
            );
        }
        if let Some(reference) = declared.pointer("/schema/$ref").and_then(Value::as_str) {
            let definition = reference.rsplit('/').next().unwrap();
            let body: Value = serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{}: {status} body is not JSON: {text}", file.display()));
            if let Err(violations) = spec.validate(definition, &body, Direction::Response) {
                panic!("{}: the {status} body does not match {definition}: {violations:?}\n{text}", file.display());
            }
            let broken = judge.check(definition, &body);
            if !broken.is_empty() {
                panic!("{}: the {status} body breaks {definition}'s keywords: {broken:?}\n{text}", file.display());
            }
        }
        checked.push(format!("{operation_id} {status}"));
    }
    assert_eq!(checked.len(), files.len(), "{checked:?}");
}

/// Resource guards, a vault's resource guard proxy and its `unlockDelete`, and a vault with user-assigned
/// identities, cross-region restore and a customer-managed key: every answer matches the spec.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_guard_proxy_and_vault_security_responses_match_the_spec() {
    let spec = spec();
    let test = support::start().await;
    let mut collected = Collected::default();
    let group = world::resource_group_id(world::BACKUP_RESOURCE_GROUP);
    let guard = format!("{group}/providers/Microsoft.DataProtection/resourceGuards/guard-1");
    let body = json!({"location": world::LOCATION, "tags": {"a": "b"},
        "properties": {"vaultCriticalOperationExclusionList": ["Microsoft.DataProtection/backupVaults/backupInstances/delete"]}});
    let response = test.put(&test.arm(&guard), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    collected.add("guard PUT", "ResourceGuardResource", json_of(response).await);
    let response = test.put(&test.arm(&guard), &body).await;
    assert_eq!(response.status(), StatusCode::OK, "a PUT of an existing guard");
    collected.add("guard GET", "ResourceGuardResource", json_of(test.get(&test.arm(&guard)).await).await);

    let proxy = format!("{}/backupResourceGuardProxies/DppResourceGuardProxy", vault_path());
    let response = test.put(&test.arm(&proxy), &json!({"properties": {"resourceGuardResourceId": guard}})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer = json_of(response).await;
    let details = answer["properties"]["resourceGuardOperationDetails"].as_array().unwrap().clone();
    let operations: Vec<&str> = details.iter().filter_map(|d| d["vaultCriticalOperation"].as_str()).collect();
    assert_eq!(
        operations,
        [
            "Microsoft.DataProtection/backupVaults/backupResourceGuardProxies/delete",
            "Microsoft.DataProtection/backupVaults/backupInstances/stopProtection/action",
            "Microsoft.DataProtection/backupVaults/backupInstances/suspendBackups/action",
        ],
        "the excluded instance delete is not listed: {answer}"
    );
    collected.add("proxy PUT", "ResourceGuardProxyBaseResource", answer);
    collected.add("proxy GET", "ResourceGuardProxyBaseResource", json_of(test.get(&test.arm(&proxy)).await).await);
    let vault = json_of(test.get(&test.arm(&vault_path())).await).await;
    assert_eq!(vault["properties"]["isVaultProtectedByResourceGuard"], true);

    assert_eq!(test.delete(&test.arm(&proxy)).await.status(), StatusCode::BAD_REQUEST, "not unlocked");
    assert_eq!(test.delete(&test.arm(&guard)).await.status(), StatusCode::CONFLICT, "in use");
    let unlock = json!({"resourceGuardOperationRequests": [details[0]["defaultResourceRequest"]],
        "resourceToBeDeleted": proxy});
    let response = test.post(&test.arm(&format!("{proxy}/unlockDelete")), Some(&unlock)).await;
    assert_eq!(response.status(), StatusCode::OK);
    collected.add("unlockDelete", "UnlockDeleteResponse", json_of(response).await);
    assert_eq!(test.delete(&test.arm(&proxy)).await.status(), StatusCode::OK);
    assert_eq!(test.get(&test.arm(&proxy)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(test.delete(&test.arm(&guard)).await.status(), StatusCode::OK);

    // A geo-redundant vault with both identities, cross-region restore and a customer-managed key.
    let uai = format!("{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1");
    let vault = support::put_secured_vault(&test, "vault-sec", &uai).await;
    let answer = json_of(test.get(&test.arm(&vault)).await).await;
    assert_eq!(answer["identity"]["type"], "SystemAssigned,UserAssigned");
    assert!(answer["identity"]["userAssignedIdentities"][&uai]["principalId"].is_string(), "{answer}");
    collected.add("vault with identities and a key", "BackupVaultResource", answer);
    let off = json!({"properties": {"featureSettings": {"crossRegionRestoreSettings": {"state": "Disabled"}}}});
    assert_eq!(test.send(Method::PATCH, &test.arm(&vault), Some(&off)).await.status(), StatusCode::BAD_REQUEST);

    collected.assert_valid(&spec);
}
