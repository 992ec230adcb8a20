//! The emulator against recorded Azure traffic: each step sends the request of one recorded exchange (the extracts
//! of the CLI and PowerShell recordings, referred to by extract and sequence number) to the emulator, and compares
//! what the recording shows: the status, whether `Azure-AsyncOperation`, `Location` and `Retry-After` are there and
//! at which scope, and the body's shape and key fields. The table is written from the recordings' facts, in the
//! emulator's world (its names, one subscription, `westus`); the steps run in order, like the recorded sessions.
//!
//! Every operation kind answers as recorded here (`LroTiming::recorded`: no retry headers), with one `Inprogress`
//! answer per operation.

use crate::support::{self, TestEmulator, disk_instance, header, instance_path, vault_path};

use dataprotection_emulator::LroTiming;
use dataprotection_emulator::default_world as world;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Where a polling URL of an answer points, or that the header is absent.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scope {
    /// The header is not there.
    Absent,
    /// Not compared (the extract does not say).
    Any,
    /// `{vault}/operationStatus/{id}`.
    Vault,
    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.DataProtection/locations/{l}/operationStatus/{id}`.
    GroupLocation,
    /// `/subscriptions/{s}/providers/Microsoft.DataProtection/locations/{l}/operation(Status|Results)/{id}`.
    Location,
    /// `{vault}/backupInstances/{name}/operationResults/{id}`.
    Instance,
}

/// A check of one field of a JSON body (a JSON pointer).
enum Field {
    Is(&'static str, &'static str),
    Equals(&'static str, String),
    Contains(&'static str, String),
    EndsWith(&'static str, &'static str),
    Present(&'static str),
}

/// The body of an answer.
enum Body {
    /// No body at all.
    Empty,
    /// A JSON object with these fields.
    Object(Vec<Field>),
    /// Exactly this JSON.
    Exactly(Value),
}

/// Which URL a step requests.
enum Target {
    /// An ARM path with an api-version.
    Arm(String, &'static str),
    /// The `Azure-AsyncOperation` of the last request that started an operation.
    AsyncOperation,
    /// Its `Location`.
    Location,
}

/// One recorded exchange, or a step that sets up what the next ones need (`recorded: None`).
struct Step {
    recorded: Option<&'static str>,
    method: Method,
    target: Target,
    body: Option<Value>,
    status: u16,
    async_operation: Scope,
    location: Scope,
    /// `Some(false)`: recorded without `Retry-After`; `None`: not compared.
    retry_after: Option<bool>,
    answer: Body,
    /// Poll the target until the operation is over before comparing (a status URL).
    until_done: bool,
}

impl Step {
    fn new(recorded: &'static str, method: Method, target: Target, status: u16) -> Step {
        Step {
            recorded: Some(recorded),
            method,
            target,
            body: None,
            status,
            async_operation: Scope::Absent,
            location: Scope::Absent,
            retry_after: Some(false),
            answer: Body::Empty,
            until_done: false,
        }
    }

    fn setup(method: Method, target: Target, body: Option<Value>, status: u16) -> Step {
        Step {
            recorded: None,
            body,
            retry_after: None,
            async_operation: Scope::Any,
            location: Scope::Any,
            answer: Body::Object(Vec::new()),
            ..Step::new("setup", method, target, status)
        }
    }

    fn body(mut self, body: Value) -> Step {
        self.body = Some(body);
        self
    }

    fn headers(mut self, async_operation: Scope, location: Scope) -> Step {
        self.async_operation = async_operation;
        self.location = location;
        self
    }

    fn retry_after(mut self, expected: Option<bool>) -> Step {
        self.retry_after = expected;
        self
    }

    fn answer(mut self, answer: Body) -> Step {
        self.answer = answer;
        self
    }

    fn until_done(mut self) -> Step {
        self.until_done = true;
        self
    }
}

const API: &str = "2025-07-01";
const SOFT_DELETE_VAULT: &str = "vault-sd";
const NEW_VAULT: &str = "vault-recorded";

fn other_vault(name: &str) -> String {
    vault_path().replace(world::VAULT_NAME, name)
}

fn in_vault(vault: &str, name: &str) -> String {
    format!("{}/backupInstances/{name}", other_vault(vault))
}

fn arm(path: String) -> Target {
    Target::Arm(path, API)
}

fn vault_body(soft_delete: &str) -> Value {
    json!({"location": world::LOCATION, "identity": {"type": "SystemAssigned"}, "properties": {
        "storageSettings": [{"datastoreType": "VaultStore", "type": "LocallyRedundant"}],
        "securitySettings": {"softDeleteSettings": {"state": soft_delete, "retentionDurationInDays": 14}}}})
}

/// An instance of disk-app-01 in `vault` with its policy `daily`.
fn instance_in(vault: &str) -> Value {
    let mut body = disk_instance(world::DISK_APP_01, world::POLICY_DAILY);
    body["properties"]["policyInfo"]["policyId"] = json!(format!("{}/backupPolicies/daily", other_vault(vault)));
    body
}

/// The recorded sessions, in the emulator's world: the soft-delete session of `cli_softdelete_disk` (a disk
/// protected in a soft-delete vault, deleted, protected in another vault, undeleted, resumed), the update of
/// `cli_update_policy`, the actions of `cli_stop_protection` and `cli_blob_create_delete`, and the vault
/// lifecycles of `cli_vault_create_delete`, `cli_vault_update_2022-12-01` and `ps_vault_update_2026-06-01`.
fn steps() -> Vec<Step> {
    use Method as M;
    use Scope::{Absent, Any, GroupLocation, Instance, Location, Vault};
    let sd_instance = in_vault(SOFT_DELETE_VAULT, "bi-sd");
    let new_instance = instance_path("bi-new");
    let vault_id = other_vault(SOFT_DELETE_VAULT);
    let policy = json!({"properties": crate::rules::dataprotection_policy()});
    vec![
        // A soft-delete vault whose instance protects disk-app-01.
        Step::setup(M::PUT, arm(vault_id.clone()), Some(vault_body("On")), 201),
        Step::setup(M::GET, Target::AsyncOperation, None, 200).until_done(),
        Step::setup(M::PUT, arm(format!("{vault_id}/backupPolicies/daily")), Some(policy), 200),
        Step::setup(M::PUT, arm(sd_instance.clone()), Some(instance_in(SOFT_DELETE_VAULT)), 202),
        Step::setup(M::GET, Target::AsyncOperation, None, 200).until_done(),
        Step::setup(M::GET, arm(sd_instance.clone()), None, 200),
        Step::setup(M::GET, arm(sd_instance.clone()), None, 200),
        // cli_softdelete_disk.
        Step::new("cli_softdelete_disk 0: DELETE of an absent instance", M::DELETE, arm(instance_path("absent")), 204),
        Step::new("cli_softdelete_disk 1: empty deletedBackupInstances", M::GET, arm(format!("{}/deletedBackupInstances", vault_path())), 200)
            .retry_after(None)
            .answer(Body::Exactly(json!({"value": []}))),
        Step::new("cli_softdelete_disk 2: undelete of nothing", M::POST, arm(format!("{}/deletedBackupInstances/absent/undelete", vault_path())), 404)
            .retry_after(None)
            .answer(Body::Object(vec![Field::Is("/error/code", "UserErrorGenericResourceNotFound")])),
        Step::new("cli_softdelete_disk 3: resume of a protected instance", M::POST, arm(format!("{sd_instance}/resumeProtection")), 200),
        Step::new("cli_softdelete_disk 5: DELETE in a soft-delete vault", M::DELETE, arm(sd_instance.clone()), 202)
            .headers(Vault, Location),
        Step::new("cli_softdelete_disk 6: delete Inprogress", M::GET, Target::AsyncOperation, 200).answer(Body::Object(vec![
            Field::Is("/status", "Inprogress"),
            Field::Is("/endTime", "0001-01-01T00:00:00Z"),
            Field::Present("/startTime"),
        ])),
        Step::new("cli_softdelete_disk 7: delete Succeeded", M::GET, Target::AsyncOperation, 200)
            .answer(Body::Object(vec![Field::Is("/status", "Succeeded"), Field::EndsWith("/endTime", "Z")])),
        Step::new("cli_softdelete_disk 8: the delete's result", M::GET, Target::Location, 200)
            .headers(Location, Absent)
            .retry_after(None)
            .answer(Body::Exactly(json!({"objectType": "OperationJobExtendedInfo"}))),
        Step::new("cli_softdelete_disk 9: the soft-deleted instance is listed", M::GET, arm(format!("{vault_id}/deletedBackupInstances")), 200)
            .retry_after(None)
            .answer(Body::Object(vec![
                Field::Is("/value/0/properties/currentProtectionState", "SoftDeleted"),
                Field::Is("/value/0/properties/objectType", "DeletedBackupInstance"),
                Field::Present("/value/0/properties/deletionInfo/scheduledPurgeTime"),
            ])),
        Step::new("cli_softdelete_disk 11: validateForBackup in another vault", M::POST, arm(format!("{}/validateForBackup", vault_path())), 202)
            .body(json!({"backupInstance": disk_instance(world::DISK_APP_01, world::POLICY_DAILY)["properties"]}))
            .headers(Vault, Location)
            .retry_after(None),
        Step::new("cli_softdelete_disk 12: validation Succeeded", M::GET, Target::AsyncOperation, 200)
            .until_done()
            .answer(Body::Object(vec![Field::Is("/status", "Succeeded")])),
        Step::new("cli_softdelete_disk 12: the validation's result", M::GET, Target::Location, 200)
            .headers(Location, Absent)
            .retry_after(None)
            .answer(Body::Exactly(json!({"objectType": "OperationJobExtendedInfo"}))),
        Step::new("cli_softdelete_disk 13: PUT of a new instance", M::PUT, arm(new_instance.clone()), 202)
            .body(disk_instance(world::DISK_APP_01, world::POLICY_DAILY))
            .headers(Vault, Instance),
        Step::new("cli_softdelete_disk 14: create Succeeded", M::GET, Target::AsyncOperation, 200)
            .until_done()
            .answer(Body::Object(vec![Field::Is("/status", "Succeeded")])),
        Step::new("cli_softdelete_disk 15: the create's result is the instance", M::GET, Target::Location, 200)
            .retry_after(None)
            .answer(Body::Object(vec![
                Field::Is("/name", "bi-new"),
                Field::Is("/properties/objectType", "BackupInstance"),
                Field::Contains("/properties/dataSourceInfo/resourceID", "/resourceGroups/".to_owned()),
            ])),
        Step::new("cli_softdelete_disk 16: undelete", M::POST, arm(format!("{vault_id}/deletedBackupInstances/bi-sd/undelete")), 200),
        Step::new("cli_softdelete_disk 17: back ProtectionStopped", M::GET, arm(sd_instance.clone()), 200)
            .retry_after(None)
            .answer(Body::Object(vec![Field::Is("/properties/currentProtectionState", "ProtectionStopped")])),
        Step::new("cli_softdelete_disk 18: resume while another vault protects the disk", M::POST, arm(format!("{sd_instance}/resumeProtection")), 400)
            .retry_after(None)
            .answer(Body::Object(vec![
                Field::Is("/error/code", "UserErrorDppDatasourceAlreadyHasBackupInstance"),
                Field::Contains(
                    "/error/message",
                    format!(
                        "Datasource is already associated with the backup instance {} in the Backup vault {} with the protection status as",
                        world::DISK_APP_01,
                        vault_path()
                    ),
                ),
                Field::Is("/error/additionalInfo/0/type", "UserFacingError"),
                Field::Is("/error/additionalInfo/0/info/code", "UserErrorDppDatasourceAlreadyHasBackupInstance"),
                Field::Contains(
                    "/error/additionalInfo/0/info/recommendedAction/0",
                    "to re-protect the datasource in any other vault".to_owned(),
                ),
            ])),
        Step::new("cli_softdelete_disk 19: DELETE of the other vault's instance", M::DELETE, arm(new_instance.clone()), 202)
            .headers(Vault, Any),
        Step::setup(M::GET, Target::AsyncOperation, None, 200).until_done(),
        Step::new("cli_softdelete_disk 20: resume of the stopped instance", M::POST, arm(format!("{sd_instance}/resumeProtection")), 202)
            .headers(Vault, Location),
        Step::new("cli_softdelete_disk 21: resume Succeeded", M::GET, Target::AsyncOperation, 200)
            .until_done()
            .answer(Body::Object(vec![Field::Is("/status", "Succeeded")])),
        Step::new("cli_softdelete_disk 21: the resume's result", M::GET, Target::Location, 200)
            .headers(Location, Absent)
            .retry_after(None)
            .answer(Body::Exactly(json!({"objectType": "OperationJobExtendedInfo"}))),
        // cli_update_policy, cli_stop_protection, cli_blob_create_delete.
        Step::new("cli_update_policy 1: PUT of an existing instance", M::PUT, arm(sd_instance.clone()), 202)
            .body(instance_in(SOFT_DELETE_VAULT))
            .headers(Vault, Instance),
        Step::setup(M::GET, Target::AsyncOperation, None, 200).until_done(),
        Step::new("cli_blob_create_delete 4: ad hoc backup", M::POST, arm(format!("{sd_instance}/backup")), 202)
            .body(json!({"backupRuleOptions": {"ruleName": "BackupHourly", "triggerOption": {"retentionTagOverride": "Default"}}}))
            .headers(Vault, Location)
            .retry_after(None),
        Step::setup(M::GET, Target::AsyncOperation, None, 200).until_done(),
        Step::new("cli_stop_protection 0: stopProtection", M::POST, arm(format!("{sd_instance}/stopProtection")), 202)
            .headers(Vault, Location)
            .retry_after(None),
        Step::setup(M::GET, Target::AsyncOperation, None, 200).until_done(),
        // cli_vault_create_delete, cli_vault_update_2022-12-01, ps_vault_update_2026-06-01.
        Step::new("cli_vault_create_delete 0: PUT of a new vault", M::PUT, arm(other_vault(NEW_VAULT)), 201)
            .body(vault_body("On"))
            .headers(Vault, Absent)
            .answer(Body::Object(vec![
                Field::Is("/properties/provisioningState", "Provisioning"),
                Field::Is("/properties/securitySettings/softDeleteSettings/state", "On"),
                Field::Equals("/id", other_vault(NEW_VAULT)),
            ])),
        Step::new("cli_vault_create_delete 1: create Inprogress", M::GET, Target::AsyncOperation, 200)
            .answer(Body::Object(vec![Field::Is("/status", "Inprogress"), Field::Is("/endTime", "0001-01-01T00:00:00Z")])),
        Step::new("cli_vault_create_delete 2: create Succeeded", M::GET, Target::AsyncOperation, 200)
            .answer(Body::Object(vec![Field::Is("/status", "Succeeded"), Field::EndsWith("/endTime", "Z")])),
        Step::new("cli_vault_create_delete 3: the vault", M::GET, arm(other_vault(NEW_VAULT)), 200)
            .retry_after(None)
            .answer(Body::Object(vec![Field::Is("/properties/provisioningState", "Succeeded")])),
        Step::new("cli_vault_update_2022-12-01 1: PUT of the existing vault", M::PUT, arm(other_vault(NEW_VAULT)), 201)
            .body(vault_body("Off"))
            .headers(Vault, Absent)
            .answer(Body::Object(vec![
                Field::Is("/properties/provisioningState", "Updating"),
                Field::Is("/properties/securitySettings/softDeleteSettings/state", "Off"),
            ])),
        Step::setup(M::GET, Target::AsyncOperation, None, 200).until_done(),
        // The 2026-06-01 update carried Retry-After: 10, the 2022-12-01 one none: not compared.
        Step::new("ps_vault_update_2026-06-01 1: PUT of the existing vault with soft delete ON", M::PUT, Target::Arm(other_vault(NEW_VAULT), "2026-06-01"), 201)
            .body(vault_body("ON"))
            .headers(Vault, Absent)
            .retry_after(None)
            .answer(Body::Object(vec![Field::Is("/properties/provisioningState", "Updating")])),
        Step::new("ps_vault_update_2026-06-01 2: update Succeeded", M::GET, Target::AsyncOperation, 200)
            .until_done()
            .answer(Body::Object(vec![Field::Is("/status", "Succeeded")])),
        Step::new("cli_vault_create_delete 5: DELETE of the empty vault", M::DELETE, arm(other_vault(NEW_VAULT)), 202)
            .headers(GroupLocation, Location),
        Step::new("cli_vault_create_delete 6: delete Succeeded", M::GET, Target::AsyncOperation, 200)
            .until_done()
            .answer(Body::Object(vec![
                Field::Is("/status", "Succeeded"),
                Field::Contains("/id", format!("/resourceGroups/{}/providers/Microsoft.DataProtection/locations/", world::BACKUP_RESOURCE_GROUP)),
            ])),
        Step::new("cli_vault_create_delete 7: the delete's result", M::GET, Target::Location, 200)
            .headers(Location, Absent)
            .retry_after(None)
            .answer(Body::Exactly(json!({"objectType": "OperationJobExtendedInfo"}))),
    ]
}

/// The scope a polling URL points at, and whether it carries ARM's signed tail.
fn scope_of(url: &str) -> (Scope, bool) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path = path.split_once("://").and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..])).unwrap_or(path);
    let lower = path.to_ascii_lowercase();
    let segments: Vec<&str> = lower.split('/').collect();
    let scope = match segments.as_slice() {
        [
            "",
            "subscriptions",
            _,
            "providers",
            "microsoft.dataprotection",
            "locations",
            _,
            "operationstatus" | "operationresults",
            _,
        ] => Scope::Location,
        [
            "",
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.dataprotection",
            "locations",
            _,
            "operationstatus",
            _,
        ] => Scope::GroupLocation,
        [
            "",
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.dataprotection",
            "backupvaults",
            _,
            "operationstatus",
            _,
        ] => Scope::Vault,
        [
            "",
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.dataprotection",
            "backupvaults",
            _,
            "backupinstances",
            _,
            "operationresults",
            _,
        ] => Scope::Instance,
        _ => panic!("a polling URL at no scope the service uses: {url}"),
    };
    let parameter =
        |name: &str| query.split('&').find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')));
    let signed = parameter("t").is_some_and(|t| t.parse::<u64>().is_ok())
        && parameter("c").is_some_and(|c| c.len() > 2_500)
        && parameter("s").is_some_and(|s| !s.is_empty())
        && parameter("h").is_some_and(|h| !h.is_empty());
    (scope, signed)
}

fn check_scope(what: &str, name: &str, value: &str, expected: Scope) {
    match expected {
        Scope::Any => {}
        Scope::Absent => assert!(value.is_empty(), "{what}: {name} must be absent, got {value}"),
        expected => {
            assert!(!value.is_empty(), "{what}: {name} missing");
            let (scope, signed) = scope_of(value);
            assert_eq!(scope, expected, "{what}: {name} {value}");
            assert!(signed, "{what}: {name} lacks ARM's signed tail (t, c of about 2.6 KB, s, h): {value}");
        }
    }
}

fn check_body(what: &str, bytes: &[u8], expected: &Body) {
    match expected {
        Body::Empty => assert!(bytes.is_empty(), "{what}: no body expected, got {}", String::from_utf8_lossy(bytes)),
        Body::Exactly(value) => {
            let body: Value = serde_json::from_slice(bytes).unwrap_or_else(|_| panic!("{what}: a JSON body"));
            assert_eq!(&body, value, "{what}");
        }
        Body::Object(fields) => {
            let body: Value = serde_json::from_slice(bytes).unwrap_or_else(|_| panic!("{what}: a JSON body"));
            assert!(body.is_object(), "{what}: an object, got {body}");
            for field in fields {
                let (pointer, ok) = match field {
                    Field::Is(pointer, value) => {
                        (pointer, body.pointer(pointer).and_then(Value::as_str) == Some(value))
                    }
                    Field::Equals(pointer, value) => {
                        (pointer, body.pointer(pointer).and_then(Value::as_str) == Some(value.as_str()))
                    }
                    Field::Contains(pointer, part) => (
                        pointer,
                        body.pointer(pointer).and_then(Value::as_str).is_some_and(|text| text.contains(part.as_str())),
                    ),
                    Field::EndsWith(pointer, end) => {
                        (pointer, body.pointer(pointer).and_then(Value::as_str).is_some_and(|text| text.ends_with(end)))
                    }
                    Field::Present(pointer) => (pointer, body.pointer(pointer).is_some_and(|value| !value.is_null())),
                };
                assert!(ok, "{what}: {pointer} does not match: {body}");
            }
        }
    }
}

async fn run(test: &TestEmulator, steps: Vec<Step>) -> usize {
    let (mut async_operation, mut location) = (String::new(), String::new());
    let mut compared = 0;
    for step in steps {
        let what = step.recorded.unwrap_or("setup");
        let url = match &step.target {
            Target::Arm(path, api) => format!("{}{path}?api-version={api}", test.base()),
            Target::AsyncOperation => async_operation.clone(),
            Target::Location => location.clone(),
        };
        let mut response = test.send(step.method.clone(), &url, step.body.as_ref()).await;
        if step.until_done {
            for _ in 0..100 {
                let status: Value = test.get(&url).await.json().await.unwrap_or_default();
                if status["status"] != "Inprogress" {
                    break;
                }
            }
            response = test.get(&url).await;
        }
        assert_eq!(response.status(), StatusCode::from_u16(step.status).unwrap(), "{what}: {url}");
        let (found_async, found_location) = (header(&response, "azure-asyncoperation"), header(&response, "location"));
        if let Some(expected) = step.retry_after {
            assert_eq!(!header(&response, "retry-after").is_empty(), expected, "{what}: Retry-After");
            assert_eq!(!header(&response, "retry-after-ms").is_empty(), expected, "{what}: retry-after-ms");
        }
        if step.method != Method::GET && (!found_async.is_empty() || !found_location.is_empty()) {
            (async_operation, location) = (found_async.clone(), found_location.clone());
        }
        let bytes = response.bytes().await.expect("the body");
        if step.recorded.is_some() {
            check_scope(what, "Azure-AsyncOperation", &found_async, step.async_operation);
            check_scope(what, "Location", &found_location, step.location);
            check_body(what, &bytes, &step.answer);
            compared += 1;
        }
    }
    compared
}

#[tokio::test]
async fn the_emulator_answers_the_recorded_requests_as_azure_did() {
    let test = support::start().await;
    // As recorded: no retry headers, one Inprogress answer per operation.
    test.state().set_default_lro_timing(LroTiming::with_delays(1, 0, 1, Some(1)).recorded());
    let compared = run(&test, steps()).await;
    assert_eq!(compared, 35, "every recorded step ran");
    // The disk is protected once, and the emulator's saved world loads again (a disk protected twice did not).
    let inventory = test.state().inventory();
    let disk = inventory.disks.iter().find(|disk| disk.id == world::disk_id(world::DISK_APP_01)).expect("the disk");
    assert!(disk.protected_by.as_deref().is_some_and(|id| id.ends_with("/backupInstances/bi-sd")), "{disk:?}");
    let snapshot = test.state().snapshot();
    let restarted = support::start_with(snapshot).await;
    assert_eq!(restarted.get(&restarted.arm(&in_vault(SOFT_DELETE_VAULT, "bi-sd"))).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_polling_url_with_a_tampered_signature_is_refused_and_one_without_the_tail_is_served() {
    let test = support::start().await;
    test.state().set_default_lro_timing(LroTiming::with_delays(3, 0, 1, Some(1)));
    let response =
        test.put(&test.arm(&instance_path("bi")), &disk_instance(world::DISK_APP_01, world::POLICY_DAILY)).await;
    let status_url = header(&response, "azure-asyncoperation");
    assert!(status_url.len() > 2_600, "{}", status_url.len());
    assert_eq!(test.get(&status_url).await.status(), StatusCode::OK);
    let (untailed, _) = status_url.split_once("&t=").unwrap();
    assert_eq!(test.get(untailed).await.status(), StatusCode::OK);
    let signature = status_url.split("&s=").nth(1).unwrap().split('&').next().unwrap();
    let tampered = status_url.replace(&format!("&s={signature}"), "&s=AAAA");
    assert_eq!(test.get(&tampered).await.status(), StatusCode::BAD_REQUEST);
    // A pending result names itself as the next Location, signature and all.
    let location = header(&response, "location");
    let pending = test.get(&location).await;
    assert_eq!(pending.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&pending, "location"), location);
}
