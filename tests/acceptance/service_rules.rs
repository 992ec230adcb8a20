//! Azure's service rules that a first real apply or destroy meets, with the real terraform CLI and provider
//! against the emulator: resource provider registration, soft delete, role propagation, parallel operations in
//! one vault.

use crate::support;

use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{LroTiming, OperationKind, Scenario};
use support::terraform::{Workspace, instance_block};

/// The output with every run of whitespace made one space: terraform wraps long diagnostic lines.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The operations of the journal, without token requests and metadata reads.
fn arm_ops(ws: &Workspace) -> Vec<String> {
    ws.journal().into_iter().map(|e| e.operation).filter(|o| o != "Token" && o != "Metadata_Endpoints").collect()
}

fn unregistered_world() -> Scenario {
    let mut scenario = Scenario::default_world();
    scenario.subscriptions[0].unregistered_providers = vec!["Microsoft.DataProtection".to_owned()];
    scenario
}

const REGISTRATION: LroTiming = LroTiming { polls: 2, ms: 0, retry_after_seconds: 10, retry_after_ms: Some(100) };

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_not_registered_for_data_protection_is_registered_by_the_first_plan() {
    let ws = Workspace::with_scenario(unregistered_world()).await;
    ws.emulator.state().set_lro_timing(OperationKind::ProviderRegistration, REGISTRATION);
    ws.write(&instance_block("bi", "bi-registered", world::DISK_APP_01, world::POLICY_DAILY));
    ws.emulator.state().clear_journal();
    ws.terraform_ok(&["apply", "-auto-approve"]).await;
    let ops = arm_ops(&ws);
    // The first Data Protection request of the plan met the 409; one registration, read until it was done; then
    // every request went through.
    assert_eq!(ops.iter().filter(|o| *o == "Providers_Register").count(), 1, "{ops:?}");
    assert_eq!(ops.iter().filter(|o| *o == "Providers_Get").count(), 3, "{ops:?}");
    let first_register = ops.iter().position(|o| o == "Providers_Register").unwrap();
    assert!(ops[..first_register].iter().all(|o| !o.starts_with("Providers_")), "{ops:?}");
    assert!(ws.emulator.state().snapshot().subscriptions[0].unregistered_providers.is_empty());
    assert_eq!(ws.instance_ids().len(), 1);
    let (code, _) = ws.plan_code().await;
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_provider_registration_leaves_the_subscription_alone_and_says_how_to_register() {
    let ws = Workspace::with_scenario(unregistered_world()).await;
    let body = instance_block("bi", "bi-unregistered", world::DISK_APP_01, world::POLICY_DAILY);
    let provider = ws.provider_block();
    ws.write(&body);
    let main = std::fs::read_to_string(ws.work_dir().join("main.tf")).unwrap();
    let skipping = provider.replace(
        "provider \"dataprotection\" {\n",
        "provider \"dataprotection\" {\n  skip_provider_registration = true\n",
    );
    std::fs::write(ws.work_dir().join("main.tf"), main.replace(&provider, &skipping)).unwrap();
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1);
    let text = flat(&run.output());
    assert!(text.contains("The subscription is not registered to use namespace 'Microsoft.DataProtection'"), "{text}");
    assert!(text.contains("Code: MissingSubscriptionRegistration"), "{text}");
    assert!(text.contains("az provider register --namespace"), "{text}");
    assert!(!arm_ops(&ws).iter().any(|o| o.starts_with("Providers_")), "nothing registered");
}
