//! The reliability suite's harness: the steps a create, update, read, import and destroy make, the faults the
//! emulator injects, one generic scenario that drives the real terraform CLI through a fault (or a signal) at one
//! step, and the invariant checked afterwards: state matches the emulator (tainted is fine, orphaned is not) and
//! the next run converges.
// Each test binary uses part of this module.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{FaultAction, FaultRule, LroTiming, OperationKind, Outcome, ProtectionErrorRequest};

use crate::support::terraform::{Run, Workspace, fast_timing, instance_block};

/// The resource address every scenario uses.
pub const ADDRESS: &str = "dataprotection_backup_instance.bi";
/// The instance name every scenario uses.
pub const NAME: &str = "bi-reliability";
/// The resource timeouts in scenarios: short, so that a persistent fault meets the deadline quickly, and still
/// about 20 times what a fault-free create takes here.
pub const TIMEOUT_SECONDS: u64 = 4;
/// Latency injected by the "latency beyond the timeout" fault.
pub const LATENCY_MS: u64 = 6_000;
/// Rules are added with this count, so that the number of times a rule acted can be read back.
const RULE_BUDGET: u32 = 100_000;

/// The terraform command a step belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `terraform apply` of a new instance (plan runs validateForBackup, apply re-plans and validates again).
    Create,
    /// `terraform apply` of a policy change (update in place).
    Update,
    /// `terraform apply -refresh-only` (ReadResource).
    Read,
    /// `terraform apply` with an `import` block.
    Import,
    /// `terraform destroy`.
    Destroy,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Command::Create => "create",
            Command::Update => "update",
            Command::Read => "read",
            Command::Import => "import",
            Command::Destroy => "destroy",
        })
    }
}

/// One request a command makes, named by the emulator's journal operation and the number of earlier requests of
/// that operation in the same command.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// The command.
    pub command: Command,
    /// A short name for reports.
    pub name: &'static str,
    /// The journal's operation name.
    pub operation: &'static str,
    /// Requests of that operation in the command before this step's.
    pub skip: u32,
    /// Whether the request starts a long-running operation (operation outcomes apply to it).
    pub starts_operation: bool,
    /// Whether the instance's protection is awaited after this step (ProtectionError applies to it).
    pub awaits_protection: bool,
    /// What the error must say was being done (any of these).
    pub context: &'static [&'static str],
}

const GET: &str = "BackupInstances_Get";
/// A refresh reads the vault's list (refresh_by_list, on by default); an instance it does not hold is read with a GET.
const LIST: &str = "BackupInstances_List";
const PUT: &str = "BackupInstances_CreateOrUpdate";
const DELETE: &str = "BackupInstances_Delete";
const VALIDATE: &str = "BackupInstances_ValidateForBackup";
const VALIDATE_MODIFY: &str = "BackupInstances_ValidateForModifyBackup";
/// validateForBackup, the PUT and the DELETE are followed at vault scope, as recorded; validateForModifyBackup (no
/// recording) at location scope.
const LOCATION_STATUS: &str = "OperationStatus_Get";
const VAULT_STATUS: &str = "OperationStatusBackupVaultContext_Get";
/// The status reads of the validation before the PUT's: the plan walk's (the apply walk takes its record and does not
/// validate again), answering one `Inprogress`, then `Succeeded` (`fast_timing`).
const VALIDATE_POLLS: u32 = 2;

const fn step(command: Command, name: &'static str, operation: &'static str, skip: u32) -> Step {
    Step {
        command,
        name,
        operation,
        skip,
        starts_operation: false,
        awaits_protection: false,
        context: &["backup instance"],
    }
}

/// Every step of every command, in order.
pub const STEPS: &[Step] = &[
    Step {
        starts_operation: true,
        context: &["validating backup instance"],
        ..step(Command::Create, "validate", VALIDATE, 0)
    },
    Step { context: &["validating backup instance"], ..step(Command::Create, "validate poll", VAULT_STATUS, 0) },
    Step {
        context: &["creating backup instance", "reading backup instance"],
        ..step(Command::Create, "existence GET", GET, 0)
    },
    Step { starts_operation: true, context: &["creating backup instance"], ..step(Command::Create, "PUT", PUT, 0) },
    Step { context: &["creating backup instance"], ..step(Command::Create, "PUT poll", VAULT_STATUS, VALIDATE_POLLS) },
    Step {
        awaits_protection: true,
        context: &["reading backup instance", "waiting for backup instance"],
        ..step(Command::Create, "GET after PUT", GET, 1)
    },
    Step {
        starts_operation: true,
        context: &["validating the change of backup instance"],
        ..step(Command::Update, "validate", VALIDATE_MODIFY, 0)
    },
    Step {
        context: &["validating the change of backup instance"],
        ..step(Command::Update, "validate poll", LOCATION_STATUS, 0)
    },
    // The update starts from the object Azure holds: one GET before the PUT.
    Step { context: &["updating backup instance"], ..step(Command::Update, "GET before PUT", GET, 0) },
    Step { starts_operation: true, context: &["updating backup instance"], ..step(Command::Update, "PUT", PUT, 0) },
    Step { context: &["updating backup instance"], ..step(Command::Update, "PUT poll", VAULT_STATUS, 0) },
    Step {
        awaits_protection: true,
        context: &["reading backup instance", "waiting for backup instance"],
        ..step(Command::Update, "GET after PUT", GET, 1)
    },
    Step {
        context: &["reading backup instance", "listing the backup instances"],
        ..step(Command::Read, "list", LIST, 0)
    },
    Step {
        context: &["reading backup instance", "listing the backup instances"],
        ..step(Command::Import, "list", LIST, 0)
    },
    Step {
        starts_operation: true,
        context: &["deleting backup instance"],
        ..step(Command::Destroy, "DELETE", DELETE, 0)
    },
    Step { context: &["deleting backup instance"], ..step(Command::Destroy, "DELETE poll", VAULT_STATUS, 0) },
    Step {
        context: &["deleting backup instance", "reading backup instance"],
        ..step(Command::Destroy, "confirm GET", GET, 0)
    },
];

/// The faults the emulator can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After: 1`, for every try.
    Throttled,
    /// 500.
    InternalError,
    /// 503.
    Unavailable,
    /// 408.
    RequestTimeout,
    /// The connection closes before the request is processed.
    Dropped,
    /// The request takes effect, then the connection closes without an answer.
    DroppedAfterProcessing,
    /// The request takes effect; the answer's body is not JSON.
    MalformedBody,
    /// The request takes effect; the answer's body is cut short and the connection closes.
    TruncatedBody,
    /// The answer comes later than the resource's timeout.
    LatencyBeyondTimeout,
    /// The operation the request starts ends `Failed`.
    OperationFailed,
    /// The operation the request starts ends `Canceled`.
    OperationCanceled,
    /// The operation the request starts never finishes.
    OperationNeverFinishes,
    /// Protection ends in `ProtectionError` instead of `ProtectionConfigured`.
    ProtectionError,
}

/// Every fault, in report order.
pub const FAULTS: &[Fault] = &[
    Fault::Throttled,
    Fault::InternalError,
    Fault::Unavailable,
    Fault::RequestTimeout,
    Fault::Dropped,
    Fault::DroppedAfterProcessing,
    Fault::MalformedBody,
    Fault::TruncatedBody,
    Fault::LatencyBeyondTimeout,
    Fault::OperationFailed,
    Fault::OperationCanceled,
    Fault::OperationNeverFinishes,
    Fault::ProtectionError,
];

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fault::Throttled => "429 + Retry-After",
            Fault::InternalError => "500",
            Fault::Unavailable => "503",
            Fault::RequestTimeout => "408",
            Fault::Dropped => "dropped connection",
            Fault::DroppedAfterProcessing => "dropped after processing",
            Fault::MalformedBody => "malformed body",
            Fault::TruncatedBody => "truncated body",
            Fault::LatencyBeyondTimeout => "latency beyond timeout",
            Fault::OperationFailed => "operation Failed",
            Fault::OperationCanceled => "operation Canceled",
            Fault::OperationNeverFinishes => "operation never finishes",
            Fault::ProtectionError => "ProtectionError",
        })
    }
}

impl Fault {
    /// Whether the fault can happen at `step`.
    pub fn applies_to(self, step: &Step) -> bool {
        match self {
            Fault::OperationFailed | Fault::OperationCanceled | Fault::OperationNeverFinishes => step.starts_operation,
            Fault::ProtectionError => step.awaits_protection,
            _ => true,
        }
    }

    /// The message Azure gives with this fault, which the error must quote; `None` when Azure says nothing.
    pub fn azure_text(self, step: &Step) -> Option<String> {
        let tag = format!("injected at {} {}", step.command, step.name);
        match self {
            Fault::Throttled => Some(format!("Too many requests, {tag}")),
            Fault::InternalError => Some(format!("Internal error, {tag}")),
            Fault::Unavailable => Some(format!("Service unavailable, {tag}")),
            Fault::RequestTimeout => Some(format!("Request timed out, {tag}")),
            Fault::OperationFailed => Some(format!("The operation failed, {tag}")),
            Fault::OperationCanceled => Some(format!("The operation was canceled, {tag}")),
            Fault::ProtectionError => Some(format!("Protection failed, {tag}")),
            _ => None,
        }
    }

    /// The rule that injects the fault at `step` (none for ProtectionError, which a watcher injects).
    fn rule(self, step: &Step) -> Option<FaultRule> {
        let text = self.azure_text(step);
        let status = |status: u16, code: &str, retry_after: Option<u64>| FaultAction::Status {
            status,
            retry_after,
            code: Some(code.to_owned()),
            message: text.clone(),
        };
        let outcome = |outcome: Outcome, code: &str| FaultAction::Operation {
            outcome,
            code: Some(code.to_owned()),
            message: text.clone(),
        };
        let action = match self {
            // An import reads with the default 5m timeout (Terraform gives import no timeouts block): there Azure
            // asks for a wait longer than that, which the provider must report at once instead of sitting it out.
            Fault::Throttled if step.command == Command::Import => status(429, "TooManyRequests", Some(600)),
            Fault::Throttled => status(429, "TooManyRequests", Some(1)),
            Fault::InternalError => status(500, "InternalServerError", None),
            Fault::Unavailable => status(503, "ServiceUnavailable", None),
            Fault::RequestTimeout => status(408, "RequestTimeout", None),
            Fault::Dropped => FaultAction::Drop { after_processing: false },
            Fault::DroppedAfterProcessing => FaultAction::Drop { after_processing: true },
            Fault::MalformedBody => FaultAction::MalformedBody,
            Fault::TruncatedBody => FaultAction::TruncatedBody,
            Fault::LatencyBeyondTimeout => FaultAction::Latency { ms: LATENCY_MS },
            Fault::OperationFailed => outcome(Outcome::Fail, "UserErrorInjectedFailure"),
            Fault::OperationCanceled => outcome(Outcome::Cancel, "OperationCanceled"),
            Fault::OperationNeverFinishes => outcome(Outcome::NeverFinish, "NeverFinishes"),
            Fault::ProtectionError => return None,
        };
        Some(rule_at(step, action, RULE_BUDGET))
    }
}

/// A rule acting on `step`'s request (and, with a budget over 1, on every later request of that operation).
pub fn rule_at(step: &Step, action: FaultAction, count: u32) -> FaultRule {
    FaultRule {
        id: 0,
        method: None,
        path_contains: None,
        path_regex: None,
        operation: Some(step.operation.to_owned()),
        skip: step.skip,
        count: Some(count),
        action,
    }
}

/// What a scenario does at its step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disruption {
    /// A fault that lasts until the scenario clears it.
    Fault(Fault),
    /// Ctrl-C: SIGINT to terraform's process group while the step's request is in flight.
    Interrupt,
    /// SIGKILL to the provider process while the step's request is in flight.
    KillProvider,
}

impl fmt::Display for Disruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disruption::Fault(fault) => write!(f, "{fault}"),
            Disruption::Interrupt => f.write_str("SIGINT to terraform's process group"),
            Disruption::KillProvider => f.write_str("provider killed (SIGKILL)"),
        }
    }
}

/// One scenario: a step and what happens there.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// The step.
    pub step: Step,
    /// The disruption.
    pub disruption: Disruption,
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {} / {}", self.step.command, self.step.name, self.disruption)
    }
}

/// What a scenario found.
#[derive(Debug)]
pub struct Report {
    /// The scenario.
    pub case: Case,
    /// How many requests the fault acted on (or signals sent).
    pub injected: u32,
    /// Whether the disrupted command failed.
    pub command_failed: bool,
    /// Whether an instance existed in the emulator but not in state right after the disrupted command.
    pub orphan_after_command: bool,
    /// Whether the instance was tainted in state after the disrupted command.
    pub tainted: bool,
    /// What did not hold; empty when everything did.
    pub problems: Vec<String>,
    /// Wall time of the scenario.
    pub elapsed: Duration,
}

/// Collapses whitespace and Terraform's box-drawing margins, so that wrapped diagnostics can be searched.
pub fn flatten(text: &str) -> String {
    text.replace(['│', '╷', '╵'], " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Things no output may ever show.
pub fn output_problems(output: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for marker in ["panicked at", "stack backtrace", "rust_begin_unwind", "RUST_BACKTRACE"] {
        if output.contains(marker) {
            problems.push(format!("the output shows {marker:?}"));
        }
    }
    // Messages name the timeout once: "the create timeout (4s) ran out", not "... (4s) timeout ran out".
    if flatten(output).contains(") timeout") {
        problems.push("a message says \"timeout\" twice".to_owned());
    }
    problems
}

/// The timeouts block every scenario's configuration carries.
fn timeouts_block() -> String {
    let t = format!("\"{TIMEOUT_SECONDS}s\"");
    format!("  timeouts {{\n    create = {t}\n    read   = {t}\n    update = {t}\n    delete = {t}\n  }}\n")
}

/// The scenario's instance, with short timeouts.
pub fn config(policy: &str, import: bool) -> String {
    let block = instance_block("bi", NAME, world::DISK_APP_01, policy);
    let body = block.trim_end().strip_suffix('}').expect("a block");
    let mut text = format!("{body}{}}}\n", timeouts_block());
    if import {
        text.push_str(&format!("\nimport {{\n  to = {ADDRESS}\n  id = \"{}\"\n}}\n", world::backup_instance_id(NAME)));
    }
    text
}

/// The backup instance IDs in state (lower case), and whether any is tainted or lacks an ID.
pub fn state_instances(ws: &Workspace) -> (BTreeSet<String>, bool, Vec<String>) {
    let state = read_state(ws);
    let mut ids = BTreeSet::new();
    let mut tainted = false;
    let mut problems = Vec::new();
    for resource in state["resources"].as_array().into_iter().flatten() {
        if resource["type"] != "dataprotection_backup_instance" {
            continue;
        }
        for instance in resource["instances"].as_array().into_iter().flatten() {
            tainted |= instance["status"] == "tainted";
            match instance["attributes"]["id"].as_str() {
                Some(id) if !id.is_empty() => {
                    ids.insert(id.to_ascii_lowercase());
                }
                _ => problems.push(format!("a state entry has no ID: {instance}")),
            }
        }
    }
    (ids, tainted, problems)
}

/// The state file, parsed; null when there is none or it is empty (terraform leaves an empty file when a first
/// import fails).
pub fn read_state(ws: &Workspace) -> serde_json::Value {
    match std::fs::read(ws.work_dir().join("terraform.tfstate")) {
        Ok(bytes) if !bytes.iter().all(u8::is_ascii_whitespace) => {
            serde_json::from_slice(&bytes).expect("the state file is JSON")
        }
        _ => serde_json::Value::Null,
    }
}

/// The backup instance IDs the emulator holds (lower case).
pub fn emulator_instances(ws: &Workspace) -> BTreeSet<String> {
    ws.instance_ids().into_iter().map(|id| id.to_ascii_lowercase()).collect()
}

/// The invariant: every instance in state exists in the emulator, and (unless `unmanaged_ok`) every instance in
/// the emulator is in state.
pub fn invariant(ws: &Workspace, unmanaged_ok: bool) -> (Vec<String>, bool, bool) {
    let (state, tainted, mut problems) = state_instances(ws);
    let azure = emulator_instances(ws);
    let orphans: Vec<_> = azure.difference(&state).cloned().collect();
    let phantoms: Vec<_> = state.difference(&azure).cloned().collect();
    if !orphans.is_empty() && !unmanaged_ok {
        problems.push(format!("orphaned (in the emulator, not in state): {orphans:?}"));
    }
    if !phantoms.is_empty() {
        problems.push(format!("in state but not in the emulator: {phantoms:?}"));
    }
    (problems, tainted, !orphans.is_empty())
}

/// Terraform's arguments for a command.
fn command_args(command: Command) -> &'static [&'static str] {
    match command {
        Command::Create | Command::Update | Command::Import => &["apply", "-auto-approve", "-no-color"],
        Command::Read => &["apply", "-refresh-only", "-auto-approve", "-no-color"],
        Command::Destroy => &["destroy", "-auto-approve", "-no-color"],
    }
}

/// Brings the workspace to where `command` starts: nothing for a create, an instance in state for an update,
/// read or destroy, an instance that exists only in the emulator for an import.
pub async fn prepare(ws: &Workspace, command: Command) {
    match command {
        Command::Create => ws.write(&config(world::POLICY_DAILY, false)),
        Command::Update | Command::Read | Command::Destroy => {
            ws.write(&config(world::POLICY_DAILY, false));
            ws.apply().await;
            if command == Command::Update {
                ws.write(&config(world::POLICY_4H, false));
            }
        }
        Command::Import => {
            ws.create_out_of_band(NAME, world::DISK_APP_01, world::POLICY_DAILY).await;
            ws.write(&config(world::POLICY_DAILY, true));
        }
    }
    // Quiet: no operation of the preparation left running.
    let _ = ws.emulator.state().inventory();
    ws.emulator.state().clear_journal();
}

/// Runs terraform for `command`, in its own process group, and hands the child to `during` while it runs.
async fn run_command(ws: &Workspace, command: Command, during: impl AsyncFnOnce(u32)) -> Run {
    let child = ws.command(command_args(command)).process_group(0).spawn().expect("terraform starts");
    let pid = child.id().expect("terraform's pid");
    let mut wait = tokio::spawn(child.wait_with_output());
    during(pid).await;
    let output = match tokio::time::timeout(COMMAND_LIMIT, &mut wait).await {
        Ok(output) => output.expect("task").expect("terraform's output"),
        Err(_) => {
            // Hung: end terraform and its provider (its own process group), and report it.
            send_signal("-KILL", &format!("-{pid}"));
            let output = wait.await.expect("task").expect("terraform's output");
            let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            stderr.push_str(&format!("\n{HUNG}: terraform did not end within {COMMAND_LIMIT:?}"));
            return Run { code: -1, stdout: String::from_utf8_lossy(&output.stdout).into_owned(), stderr };
        }
    };
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// How long a disrupted command may run before it counts as hung.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);
/// Marks a hung command in its output.
const HUNG: &str = "HUNG";

/// Sends `signal` to a process group (`-pgid`) or a process, with `--` so that a negative ID is not an option.
pub fn send_signal(signal: &str, target: &str) -> bool {
    std::process::Command::new("kill").args([signal, "--", target]).status().map(|s| s.success()).unwrap_or(false)
}

/// The provider processes terraform (`parent`) has started, found through /proc.
pub fn provider_children(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // pid (comm) state ppid ...: comm may hold spaces, so read from the last ')'.
        let Some((head, tail)) = stat.rsplit_once(')') else { continue };
        let comm = head.split_once('(').map(|(_, c)| c).unwrap_or("");
        let ppid = tail.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) && comm.starts_with("terraform-provi") {
            found.push(pid);
        }
    }
    found
}

/// Waits until rule `id` has acted (it disappears once its count is used up), up to `timeout`.
async fn wait_rule_used(ws: &Workspace, id: u64, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if !ws.emulator.state().faults().iter().any(|r| r.id == id) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// Puts the instance into ProtectionError once its operation is over: while protection is being configured
/// after a create, or once an update's new policy is in place (the provider's next GET is held back meanwhile).
fn spawn_protection_error_watcher(ws: &Workspace, step: &Step, text: String) -> (Arc<AtomicBool>, Arc<AtomicBool>) {
    ws.emulator.state().add_fault(rule_at(step, FaultAction::Latency { ms: 500 }, 1)).expect("valid rule");
    let new_policy = world::policy_id(world::POLICY_4H).to_ascii_lowercase();
    let stop = Arc::new(AtomicBool::new(false));
    let fired = Arc::new(AtomicBool::new(false));
    // Protection stays "configuring" until the watcher acts.
    ws.emulator
        .state()
        .set_lro_timing(OperationKind::ProtectionConfiguration, LroTiming::with_delays(1_000_000, 0, 1, Some(50)));
    let state = ws.emulator.state();
    let (stop_flag, fired_flag) = (stop.clone(), fired.clone());
    tokio::spawn(async move {
        while !stop_flag.load(Ordering::SeqCst) {
            let inventory = state.inventory();
            if let Some(instance) = inventory.backup_instances.iter().find(|b| {
                b.pending_operation.is_none()
                    && (b.protection_state == "ConfiguringProtection" || b.policy_id.eq_ignore_ascii_case(&new_policy))
            }) {
                let request = ProtectionErrorRequest {
                    backup_instance_id: instance.id.clone(),
                    code: Some("UserErrorDiskBackupDiskOrMSIPermissionsNotPresent".to_owned()),
                    message: Some(text.clone()),
                    recommended_action: vec!["Grant the vault's identity the roles it needs.".to_owned()],
                };
                if state.set_protection_error(&request).is_ok() {
                    fired_flag.store(true, Ordering::SeqCst);
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    (stop, fired)
}

/// Runs one scenario end to end and reports what held.
pub async fn run_case(case: Case) -> Report {
    let started = Instant::now();
    let ws = Workspace::start().await;
    let step = case.step;
    prepare(&ws, step.command).await;
    let state = ws.emulator.state();

    let mut injected = 0u32;
    let mut problems = Vec::new();
    let mut rule_id = None;
    let mut watcher = None;
    let run = match case.disruption {
        Disruption::Fault(Fault::ProtectionError) => {
            let text = Fault::ProtectionError.azure_text(&step).unwrap_or_default();
            watcher = Some(spawn_protection_error_watcher(&ws, &step, text));
            run_command(&ws, step.command, async |_| {}).await
        }
        Disruption::Fault(fault) => {
            let rule = state.add_fault(fault.rule(&step).expect("a rule")).expect("valid rule");
            rule_id = Some(rule.id);
            run_command(&ws, step.command, async |_| {}).await
        }
        Disruption::Interrupt | Disruption::KillProvider => {
            // The step's request hangs long enough to be interrupted; it is in flight once the rule has acted.
            let rule = state.add_fault(rule_at(&step, FaultAction::Latency { ms: 30_000 }, 1)).expect("valid rule");
            let disruption = case.disruption;
            let ws_ref = &ws;
            let problems_ref = &mut problems;
            let injected_ref = &mut injected;
            run_command(&ws, step.command, async move |pid| {
                if !wait_rule_used(ws_ref, rule.id, Duration::from_secs(60)).await {
                    problems_ref.push("the step was never reached".to_owned());
                    return;
                }
                let sent = match disruption {
                    Disruption::Interrupt => send_signal("-INT", &format!("-{pid}")),
                    _ => {
                        let children = provider_children(pid);
                        !children.is_empty() && children.iter().all(|child| send_signal("-KILL", &child.to_string()))
                    }
                };
                if sent {
                    *injected_ref += 1;
                } else {
                    problems_ref.push("the signal could not be sent".to_owned());
                }
            })
            .await
        }
    };
    if let Some((stop, fired)) = &watcher {
        stop.store(true, Ordering::SeqCst);
        injected += u32::from(fired.load(Ordering::SeqCst));
    }
    if let Some(id) = rule_id {
        let left = state.faults().iter().find(|r| r.id == id).and_then(|r| r.count).unwrap_or(0);
        injected += RULE_BUDGET - left;
    }
    if case.disruption == Disruption::Fault(Fault::LatencyBeyondTimeout) {
        // Anything the slow requests would still do has happened before the invariant is checked: the emulator
        // says when none is in flight any more (bounded, so that a regression fails instead of hanging).
        if !state.wait_idle(Duration::from_millis(LATENCY_MS * 5)).await {
            problems.push(format!("requests were still in flight {} ms after the command", LATENCY_MS * 5));
        }
    }
    state.clear_faults();
    if injected == 0 {
        problems.push("the disruption never happened: the scenario proves nothing".to_owned());
    }

    let output = run.output();
    let flat = flatten(&output);
    problems.extend(output_problems(&output));
    if output.contains(HUNG) {
        problems.push(format!("terraform hung for {COMMAND_LIMIT:?}"));
    }
    let command_failed = run.code != 0;
    if command_failed && matches!(case.disruption, Disruption::Fault(_)) {
        if !step.context.iter().any(|c| flat.contains(c)) {
            problems.push(format!("the error does not say what failed (one of {:?})", step.context));
        }
        if let Disruption::Fault(fault) = case.disruption
            && let Some(text) = fault.azure_text(&step)
            && !flat.contains(&text)
        {
            problems.push(format!("the error does not quote Azure's message {text:?}"));
        }
    }
    if case.disruption == Disruption::Interrupt && !command_failed {
        problems.push("an interrupted command reported success".to_owned());
    }

    // The invariant, right after the disrupted command. A killed provider cannot report what it did, so only
    // convergence is asked of that case; an import has not happened yet when it fails.
    let (invariant_problems, tainted, orphan_after_command) = invariant(&ws, step.command == Command::Import);
    if case.disruption != Disruption::KillProvider {
        problems.extend(invariant_problems);
    }

    // Azure recovers: operations held forever end, protection completes normally, and what was still running
    // finishes (the emulator ends operations when they are read; in Azure they end on their own).
    state.finish_stuck_operations();
    state.set_lro_timing(OperationKind::ProtectionConfiguration, fast_timing());
    settle(&ws).await;
    let killed = case.disruption == Disruption::KillProvider;
    problems.extend(converge(&ws, step.command, killed).await);

    if !problems.is_empty() {
        problems.push(format!("output of the disrupted command:\n{output}"));
    }
    Report { case, injected, command_failed, orphan_after_command, tainted, problems, elapsed: started.elapsed() }
}

/// Reads every backup instance that has an operation running until none has, as time would end them in Azure.
pub async fn settle(ws: &Workspace) {
    for _ in 0..50 {
        let pending: Vec<String> = ws
            .emulator
            .state()
            .inventory()
            .backup_instances
            .into_iter()
            .filter(|b| b.pending_operation.is_some())
            .map(|b| b.id)
            .collect();
        if pending.is_empty() {
            return;
        }
        for id in pending {
            ws.arm(reqwest::Method::GET, &id, None).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The next run converges: it succeeds, a plan afterwards is empty, and state and emulator agree exactly.
///
/// After a kill (`killed`), the provider could not tell Terraform about an instance Azure had already accepted:
/// the next apply must then refuse to take it over, name the import that brings it under this state, and converge
/// once that import is done.
pub async fn converge(ws: &Workspace, command: Command, killed: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let args: &[&str] =
        if command == Command::Destroy { &["destroy", "-auto-approve"] } else { &["apply", "-auto-approve"] };
    let mut run = ws.terraform(args).await;
    problems.extend(output_problems(&run.output()));
    let id = world::backup_instance_id(NAME);
    let import_line = format!("terraform import dataprotection_backup_instance.<name> '{id}'");
    if killed && run.code != 0 && flatten(&run.output()).contains(&import_line) {
        if !emulator_instances(ws).contains(&id.to_ascii_lowercase()) {
            problems.push("the next apply asked for the import of an instance that does not exist".to_owned());
        }
        let import = ws.terraform(&["import", ADDRESS, &id]).await;
        if import.code != 0 {
            problems.push(format!("the import the error named failed:\n{}", import.output()));
            return problems;
        }
        run = ws.terraform(args).await;
        problems.extend(output_problems(&run.output()));
    }
    if run.code != 0 {
        problems.push(format!("the next `terraform {}` failed:\n{}", args[0], run.output()));
        return problems;
    }
    let (mut invariant_problems, tainted, _) = invariant(ws, false);
    problems.append(&mut invariant_problems);
    if tainted {
        problems.push("still tainted after the next run".to_owned());
    }
    let azure = emulator_instances(ws);
    if command == Command::Destroy {
        if !azure.is_empty() {
            problems.push(format!("destroy left {azure:?}"));
        }
        return problems;
    }
    if azure.len() != 1 {
        problems.push(format!("expected exactly one instance after the next apply, found {azure:?}"));
    }
    let inventory = ws.emulator.state().inventory();
    if let Some(instance) = inventory.backup_instances.first() {
        let policy = if command == Command::Update { world::POLICY_4H } else { world::POLICY_DAILY };
        if !instance.policy_id.eq_ignore_ascii_case(&world::policy_id(policy)) {
            problems.push(format!("the instance has policy {} instead of {policy}", instance.policy_id));
        }
        if instance.protection_state != "ProtectionConfigured" {
            problems.push(format!("the instance is {} after the next apply", instance.protection_state));
        }
    }
    let (code, plan) = ws.plan_code().await;
    if code != 0 {
        problems.push(format!("the plan after the next apply is not empty (exit {code}):\n{}", plan.output()));
    }
    problems
}

/// The cases whose name contains one of the comma-separated parts of `RELIABILITY_FILTER` (all when it is unset).
pub fn selected(cases: Vec<Case>) -> Vec<Case> {
    match std::env::var("RELIABILITY_FILTER") {
        Ok(filter) if !filter.is_empty() => {
            cases.into_iter().filter(|c| filter.split(',').any(|part| c.to_string().contains(part.trim()))).collect()
        }
        _ => cases,
    }
}

/// Runs `cases` with at most `parallel` at once, and returns their reports in the order given.
pub async fn run_all(cases: Vec<Case>, parallel: usize) -> Vec<Report> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut tasks = Vec::new();
    let order = cases.clone();
    for case in cases {
        let semaphore = semaphore.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await.expect("semaphore");
            let report = run_case(case).await;
            println!(
                "{} {case} ({:.1} s)",
                if report.problems.is_empty() { "held  " } else { "FAILED" },
                report.elapsed.as_secs_f64()
            );
            report
        }));
    }
    let mut reports = Vec::new();
    for (task, case) in tasks.into_iter().zip(order) {
        reports.push(task.await.unwrap_or_else(|panic| Report {
            case,
            injected: 0,
            command_failed: false,
            orphan_after_command: false,
            tainted: false,
            problems: vec![format!("the scenario panicked: {panic}")],
            elapsed: Duration::ZERO,
        }));
    }
    reports
}

/// Prints a table of the reports, and fails with every problem found.
pub fn summarize(title: &str, reports: &[Report], started: Instant) {
    let failed: Vec<&Report> = reports.iter().filter(|r| !r.problems.is_empty()).collect();
    println!("\n{title}: {} scenarios in {:.0} s", reports.len(), started.elapsed().as_secs_f64());
    println!(
        "{:<55} {:>8} {:>7} {:>7} {:>7} {:>6} {:>6}",
        "scenario", "injected", "failed", "tainted", "orphan", "holds", "secs"
    );
    for r in reports {
        println!(
            "{:<55} {:>8} {:>7} {:>7} {:>7} {:>6} {:>6.1}",
            r.case.to_string(),
            r.injected,
            r.command_failed,
            r.tainted,
            r.orphan_after_command,
            r.problems.is_empty(),
            r.elapsed.as_secs_f64()
        );
    }
    let injected: u32 = reports.iter().map(|r| r.injected).sum();
    println!(
        "{title}: scenarios {}, held {}, disruptions injected {injected}, commands failed {}, left tainted {}",
        reports.len(),
        reports.len() - failed.len(),
        reports.iter().filter(|r| r.command_failed).count(),
        reports.iter().filter(|r| r.tainted).count(),
    );
    if !failed.is_empty() {
        let mut text = String::new();
        for r in &failed {
            text.push_str(&format!("\n=== {} ===\n{}\n", r.case, r.problems.join("\n")));
        }
        panic!("{} of {} scenarios did not hold:{text}", failed.len(), reports.len());
    }
}
