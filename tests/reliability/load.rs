//! Load: 400 backup instances in one configuration against the emulator with ARM's default throttling buckets
//! (writes: 200 at once, 10 per second; reads: 250, 25 per second). The apply completes with zero errors, every
//! 429 absorbed by waiting as Azure asked; a refresh of the same instances reads them with one list of the vault.

use crate::reliability_support;
use crate::support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::journal::JournalEntry;
use dataprotection_emulator::{Scenario, ThrottleSettings};
use reliability_support::output_problems;
use support::terraform::{Workspace, instance_block};

/// Enough to exceed the read bucket (250 + 25/s) in the apply's polls (and, read one by one, in a refresh). The
/// same at 1,000 instances took six minutes, most of it the write bucket's refill (docs/reliability.md).
const INSTANCES: usize = 400;

fn disk_name(index: usize) -> String {
    format!("disk-load-{index:04}")
}

/// The default world plus one disk per instance, each of which the vault may back up.
fn scenario() -> Scenario {
    Scenario::default_world().with_backup_ready_disks(INSTANCES, disk_name)
}

/// What the journal says about a run: requests per status, 429s per operation, and retries after a 429 that
/// came sooner than the shortest delay the emulator ever asks for (1 s).
struct Traffic {
    requests: usize,
    by_status: BTreeMap<u16, usize>,
    throttled_by_operation: BTreeMap<String, usize>,
    early_retries: Vec<String>,
    unexpected: Vec<String>,
}

fn traffic(journal: &[JournalEntry]) -> Traffic {
    let mut by_status = BTreeMap::new();
    let mut throttled_by_operation = BTreeMap::new();
    let mut early_retries = Vec::new();
    let mut unexpected = Vec::new();
    // The last 429 per (correlation ID, method, path): the pipeline retries with the same correlation ID.
    let mut last_throttled: HashMap<(String, String, String), u64> = HashMap::new();
    for entry in journal {
        *by_status.entry(entry.status).or_insert(0) += 1;
        let key = (entry.correlation_id.clone(), entry.method.clone(), entry.path.to_ascii_lowercase());
        if let Some(at) = last_throttled.remove(&key)
            && entry.at_ms < at + 1_000
        {
            early_retries.push(format!("{} {} retried {} ms after a 429", entry.method, entry.path, entry.at_ms - at));
        }
        match entry.status {
            429 => {
                *throttled_by_operation.entry(entry.operation.clone()).or_insert(0) += 1;
                last_throttled.insert(key, entry.at_ms);
            }
            200..=299 => {}
            // The existence check before each create.
            404 if entry.operation == "BackupInstances_Get" && entry.method == "GET" => {}
            _ => unexpected.push(format!("{} {} {} ({})", entry.status, entry.method, entry.path, entry.operation)),
        }
    }
    Traffic { requests: journal.len(), by_status, throttled_by_operation, early_retries, unexpected }
}

fn report(what: &str, t: &Traffic, elapsed: Duration) -> usize {
    let throttled: usize = t.throttled_by_operation.values().sum();
    println!(
        "{what}: {:.0} s, {} requests, {throttled} answered 429 and retried ({:?}), statuses {:?}",
        elapsed.as_secs_f64(),
        t.requests,
        t.throttled_by_operation,
        t.by_status
    );
    throttled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_hundred_instances_apply_and_refresh_under_arms_default_throttling() {
    let ws = Workspace::with_scenario(scenario()).await;
    ws.emulator.state().set_throttling(ThrottleSettings::default());
    let defaults = ThrottleSettings::default();
    assert_eq!((defaults.writes.capacity, defaults.writes.refill_per_second), (200.0, 10.0));
    assert_eq!((defaults.reads.capacity, defaults.reads.refill_per_second), (250.0, 25.0));

    let mut body = String::new();
    for index in 0..INSTANCES {
        body.push_str(&instance_block(
            &format!("bi{index:04}"),
            &format!("bi-load-{index:04}"),
            &disk_name(index),
            world::POLICY_DAILY,
        ));
    }
    ws.write(&body);

    ws.emulator.state().clear_journal();
    let started = Instant::now();
    let run = ws.terraform(&["apply", "-auto-approve"]).await;
    let apply_time = started.elapsed();
    assert_eq!(run.code, 0, "the apply failed:\n{}", &run.output()[run.output().len().saturating_sub(20_000)..]);
    assert!(output_problems(&run.output()).is_empty());
    assert!(run.stdout.contains(&format!("{INSTANCES} added, 0 changed, 0 destroyed")), "{}", run.stdout);
    assert!(!run.output().contains("Error"), "no error in the output");
    let journal = ws.journal();
    let apply = traffic(&journal);
    let apply_throttled = report("apply", &apply, apply_time);
    assert!(
        apply.unexpected.is_empty(),
        "answers other than 2xx, 429 and the existence checks' 404: {:?}",
        apply.unexpected
    );
    assert!(apply.early_retries.is_empty(), "{:?}", apply.early_retries);
    assert!(apply_throttled > 0, "the buckets must have been exceeded: thousands of polls against 250 reads + 25/s");
    let writes = journal.iter().filter(|e| e.method == "PUT" || e.method == "POST").count();
    println!(
        "apply of {INSTANCES}: {writes} writes (validateForBackup twice per instance, then the PUT), 429s included"
    );

    let (state, _, problems) = reliability_support::state_instances(&ws);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(state.len(), INSTANCES);
    assert_eq!(reliability_support::emulator_instances(&ws), state, "state and the emulator hold the same instances");
    let configured = ws
        .emulator
        .state()
        .inventory()
        .backup_instances
        .iter()
        .filter(|b| b.protection_state == "ProtectionConfigured")
        .count();
    assert_eq!(configured, INSTANCES);

    ws.emulator.state().clear_journal();
    let started = Instant::now();
    let (code, plan) = ws.plan_code().await;
    let refresh_time = started.elapsed();
    assert_eq!(
        code,
        0,
        "the refresh finds nothing to change:\n{}",
        &plan.output()[plan.output().len().saturating_sub(20_000)..]
    );
    let refresh = traffic(&ws.journal());
    let refresh_throttled = report("refresh", &refresh, refresh_time);
    assert!(refresh.unexpected.is_empty(), "{:?}", refresh.unexpected);
    assert!(refresh.early_retries.is_empty(), "{:?}", refresh.early_retries);
    // One list of the vault (two pages of 200) answers every instance's refresh: no GET, nothing throttled.
    let journal = ws.journal();
    let pages = journal.iter().filter(|e| e.operation == "BackupInstances_List" && e.status == 200).count();
    let gets = journal.iter().filter(|e| e.operation == "BackupInstances_Get").count();
    assert_eq!((pages, gets), (2, 0), "the vault listed once, page by page, and no instance read alone");
    assert_eq!(refresh_throttled, 0, "two list pages stay far inside the read bucket");
    println!("refresh of {INSTANCES}: {pages} list pages, {gets} GETs, {refresh_throttled} answered 429");
}
