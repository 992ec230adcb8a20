//! Ten thousand backup instances in one vault: every one is found by name and listed once, page by page. That
//! they cost no more per request than ten is measured by `make bench` (emulator_scale_*).

use crate::support;

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{LroTiming, Scenario, ThrottleSettings};
use reqwest::StatusCode;
use serde_json::Value;
use support::{disk_instance, instance_path, vault_path};

fn world_with(instances: usize) -> Scenario {
    Scenario::default_world().with_protected_disks(instances, |i| (format!("disk-{i:05}"), format!("bi-{i:05}")))
}

#[tokio::test]
async fn ten_thousand_instances_are_listed_page_by_page_and_found_by_name() {
    // How long these requests take against 10 and 10,000 instances is a figure of `make bench`
    // (emulator_scale_*), not a test: a test asserts behaviour, never speed.
    let large = support::start_with(world_with(10_000)).await;
    large.state().set_throttling(ThrottleSettings { enabled: false, ..ThrottleSettings::default() });
    large.state().set_default_lro_timing(LroTiming::with_delays(0, 0, 1, Some(1)));
    assert_eq!(large.state().inventory().backup_instances.len(), 10_000);
    assert_eq!(large.get(&large.arm(&instance_path("bi-09999"))).await.status(), StatusCode::OK);
    let body = disk_instance(world::DISK_APP_01, world::POLICY_DAILY);
    assert!(large.put(&large.arm(&instance_path("bi-measured")), &body).await.status().is_success());

    // Paging reaches the last instance without skipping or repeating any.
    large.state().update_settings(|settings| settings.page_size = 1000);
    let mut url = large.arm(&format!("{}/backupInstances", vault_path()));
    let mut seen = 0;
    let mut last = String::new();
    for page_number in 0.. {
        assert!(page_number <= 10, "more pages than 10,001 instances need");
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
