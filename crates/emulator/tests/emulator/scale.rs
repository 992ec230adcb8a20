//! Ten thousand backup instances do not slow the emulator down: GET, PUT and List cost about what they cost in a
//! nearly empty vault (lookups are keyed, List pages through an ordered map).

use crate::support;

use std::time::{Duration, Instant};

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::scenario::{BackupInstanceSeed, DiskSeed};
use dataprotection_emulator::{LroTiming, Scenario, ThrottleSettings};
use reqwest::StatusCode;
use serde_json::Value;
use support::{TestEmulator, disk_instance, instance_path, vault_path};

fn world_with(instances: usize) -> Scenario {
    let mut scenario = Scenario::default_world();
    for index in 0..instances {
        let disk = format!("disk-{index:05}");
        scenario.disks.push(DiskSeed {
            resource_group: world::WORKLOAD_RESOURCE_GROUP.into(),
            name: disk.clone(),
            ..DiskSeed::default()
        });
        scenario.backup_instances.push(BackupInstanceSeed {
            resource_group: world::BACKUP_RESOURCE_GROUP.into(),
            vault: world::VAULT_NAME.into(),
            name: format!("bi-{index:05}"),
            datasource_id: Some(world::disk_id(&disk)),
            policy: Some(world::POLICY_DAILY.into()),
            snapshot_resource_group_id: Some(world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP)),
            ..BackupInstanceSeed::default()
        });
    }
    scenario
}

/// Median time of `rounds` runs of a request.
async fn median<F, Fut>(rounds: usize, mut request: F) -> Duration
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = StatusCode>,
{
    let mut times = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let started = Instant::now();
        let status = request(round).await;
        times.push(started.elapsed());
        assert!(status.is_success(), "{status}");
    }
    times.sort();
    times[rounds / 2]
}

struct Timings {
    get: Duration,
    put: Duration,
    list: Duration,
}

async fn measure(test: &TestEmulator, existing: &str) -> Timings {
    test.state().set_throttling(ThrottleSettings { enabled: false, ..ThrottleSettings::default() });
    test.state().set_default_lro_timing(LroTiming { polls: 0, ms: 0, retry_after_seconds: 1, retry_after_ms: Some(1) });
    let get_url = test.arm(&instance_path(existing));
    let get = median(300, |_| async { test.get(&get_url).await.status() }).await;
    let put = median(100, |round| {
        let body =
            disk_instance(world::DISK_APP_01, if round % 2 == 0 { world::POLICY_4H } else { world::POLICY_DAILY });
        async move { test.put(&test.arm(&instance_path("bi-measured")), &body).await.status() }
    })
    .await;
    let list_url = test.arm(&format!("{}/backupInstances", vault_path()));
    let list = median(30, |_| async { test.get(&list_url).await.status() }).await;
    Timings { get, put, list }
}

#[tokio::test]
async fn ten_thousand_instances_cost_no_more_per_request_than_ten() {
    let small = support::start_with(world_with(10)).await;
    small.state().update_settings(|settings| settings.page_size = 10);
    let baseline = measure(&small, "bi-00005").await;

    let large = support::start_with(world_with(10_000)).await;
    large.state().update_settings(|settings| settings.page_size = 10);
    assert_eq!(large.state().inventory().backup_instances.len(), 10_000);
    let loaded = measure(&large, "bi-09999").await;

    let slack = Duration::from_millis(2);
    for (what, before, after) in
        [("GET", baseline.get, loaded.get), ("PUT", baseline.put, loaded.put), ("List", baseline.list, loaded.list)]
    {
        eprintln!("{what}: {before:?} with 10 instances, {after:?} with 10,000");
        assert!(after <= before * 3 + slack, "{what} slowed from {before:?} to {after:?} with 10,000 instances");
    }

    // Paging reaches the last instance without skipping or repeating any.
    large.state().update_settings(|settings| settings.page_size = 1000);
    let mut url = large.arm(&format!("{}/backupInstances", vault_path()));
    let mut seen = 0;
    let mut last = String::new();
    loop {
        let page: Value = large.get(&url).await.json().await.unwrap();
        for instance in page["value"].as_array().unwrap() {
            let name = instance["name"].as_str().unwrap().to_owned();
            assert!(name > last, "{name} after {last}");
            last = name;
            seen += 1;
        }
        match page["nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, 10_001, "10,000 seeded and the measured one");
}
