//! Interrupts and kills: Ctrl-C (SIGINT to terraform's process group) and SIGKILL of the provider process while
//! each step's request is in flight, and StopProvider during a long wait between polls. After a Ctrl-C, state
//! matches the emulator (tainted is fine, orphaned is not); after a kill, which leaves the provider no chance to
//! report, the next run converges. `RELIABILITY_FILTER=a,b` runs only the scenarios whose name contains `a` or `b`.

use crate::reliability_support;
use crate::support;

use std::time::{Duration, Instant};

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{LroTiming, OperationKind};
use reliability_support::{
    ADDRESS, Case, Command, Disruption, STEPS, converge, flatten, invariant, output_problems, run_all, selected,
    send_signal, summarize,
};
use support::terraform::Workspace;

/// Scenarios run at once.
const PARALLEL: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_or_a_killed_provider_at_every_step_and_the_next_run_converges() {
    let started = Instant::now();
    let cases: Vec<Case> = STEPS
        .iter()
        .flat_map(|step| {
            [Disruption::Interrupt, Disruption::KillProvider].map(|disruption| Case { step: *step, disruption })
        })
        .collect();
    let cases = selected(cases);
    if cases.is_empty() {
        return;
    }
    let reports = run_all(cases, PARALLEL).await;
    summarize("interrupts and kills", &reports, started);
}

/// Terraform calls StopProvider after Ctrl-C. While the provider waits out a long delay between polls (the
/// operation asks for 60 s), the stop must end the wait at once, and what Azure accepted must stay in state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_provider_ends_a_long_wait_between_polls_at_once() {
    let ws = Workspace::start().await;
    ws.emulator
        .state()
        .set_lro_timing(OperationKind::BackupInstanceCreateOrUpdate, LroTiming::with_delays(0, 600_000, 60, None));
    // The default timeouts (create: 30m): the 60 s wait fits in them, so only the stop can cut it short.
    ws.write(&support::terraform::instance_block(
        "bi",
        reliability_support::NAME,
        world::DISK_APP_01,
        world::POLICY_DAILY,
    ));
    ws.emulator.state().clear_journal();
    let child =
        ws.command(&["apply", "-auto-approve", "-no-color"]).process_group(0).spawn().expect("terraform starts");
    let pgid = child.id().expect("pid");
    let accepted = ws
        .wait_for_journal(Duration::from_secs(60), |j| {
            j.iter().any(|e| e.operation == "BackupInstances_CreateOrUpdate")
        })
        .await;
    assert!(accepted, "the PUT was sent");
    // The provider is now sleeping until the next poll, 60 s away.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let interrupted = Instant::now();
    assert!(send_signal("-INT", &format!("-{pgid}")));
    let output =
        tokio::time::timeout(Duration::from_secs(50), child.wait_with_output()).await.expect("terraform ends").unwrap();
    let stopped_after = interrupted.elapsed();
    let out = format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    println!("terraform ended {stopped_after:?} after Ctrl-C (the next poll was 60 s away)");
    assert!(stopped_after < Duration::from_secs(30), "the stop did not cut the 60 s wait short: {stopped_after:?}");
    assert!(!output.status.success(), "{out}");
    assert!(output_problems(&out).is_empty(), "{out}");
    assert!(flatten(&out).contains("asked the provider to stop"), "the error says why it ended: {out}");
    // The PUT's operation is followed at vault scope (so is validateForBackup's, before the PUT).
    let journal = ws.journal();
    let put = journal.iter().position(|e| e.operation == "BackupInstances_CreateOrUpdate").expect("the PUT");
    let polls = journal[put..].iter().filter(|e| e.operation == "OperationStatusBackupVaultContext_Get").count();
    assert_eq!(polls, 0, "no poll of the PUT's operation before the 60 s Azure asked for");
    let instance = ws.resource(ADDRESS).unwrap_or_else(|| panic!("the accepted instance is in state:\n{out}"));
    assert_eq!(instance["status"], "tainted");
    let (problems, _, _) = invariant(&ws, false);
    assert!(problems.is_empty(), "{problems:?}");
    ws.emulator.state().set_lro_timing(OperationKind::BackupInstanceCreateOrUpdate, support::terraform::fast_timing());
    ws.emulator.state().advance_clock(Duration::from_secs(700));
    let problems = converge(&ws, Command::Create, false).await;
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(ws.instance_ids(), vec![world::backup_instance_id(reliability_support::NAME)]);
}
