//! The fault matrix: every step a create, update, read, import and destroy makes, times every fault the emulator
//! can inject, each driven through the real terraform CLI. After each: state matches the emulator (tainted is
//! fine, orphaned is not), the error says what failed in Azure's words when Azure gave any, and the next run
//! converges. `RELIABILITY_FILTER=a,b` runs only the scenarios whose name contains `a` or `b`.

use crate::reliability_support;

use std::time::Instant;

use reliability_support::{Case, Disruption, FAULTS, STEPS, run_all, selected, summarize};

/// Scenarios run at once: each is mostly waiting on the emulator's delays and the resource deadline.
const PARALLEL: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_at_every_step_keeps_state_true_and_the_next_run_converges() {
    let started = Instant::now();
    let cases: Vec<Case> = STEPS
        .iter()
        .flat_map(|step| {
            FAULTS
                .iter()
                .filter(|fault| fault.applies_to(step))
                .map(|fault| Case { step: *step, disruption: Disruption::Fault(*fault) })
        })
        .collect();
    let cases = selected(cases);
    assert!(!cases.is_empty(), "no scenario selected");
    let reports = run_all(cases, PARALLEL).await;
    summarize("fault matrix", &reports, started);
}
