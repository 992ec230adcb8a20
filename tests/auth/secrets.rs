//! Secrets stay secret: with `TF_LOG=TRACE`, neither the client secret, nor an OIDC ID token, nor any access
//! token the emulator issued appears in terraform's output, its log, or the state files.

use crate::auth_support;
use crate::support;

use std::ffi::OsString;

use auth_support::*;
use dataprotection_emulator::Scenario;
use dataprotection_emulator::default_world as world;
use dataprotection_emulator::scenario::{PrincipalKind, PrincipalSeed};
use support::terraform::{Run, Workspace, instance_block};

const TRACE_CLIENT_ID: &str = "00000000-0000-0000-0000-00000000c0b1";

/// The places a secret could end up: each run's stdout and stderr, log files and state files.
fn places(ws: &Workspace, runs: &[(&str, &Run)], files: &[&std::path::Path]) -> Vec<(String, String)> {
    let mut places = Vec::new();
    for (name, run) in runs {
        places.push((format!("{name} stdout"), run.stdout.clone()));
        places.push((format!("{name} stderr"), run.stderr.clone()));
    }
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        places.push((file.display().to_string(), text));
    }
    let state = std::fs::read_to_string(ws.work_dir().join("terraform.tfstate")).expect("terraform.tfstate");
    places.push(("terraform.tfstate".to_owned(), state));
    if let Ok(backup) = std::fs::read_to_string(ws.work_dir().join("terraform.tfstate.backup")) {
        places.push(("terraform.tfstate.backup".to_owned(), backup));
    }
    places
}

fn check(places: &[(String, String)], secrets: &[(String, String)]) {
    let places: Vec<(&str, &str)> = places.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let secrets: Vec<(&str, &str)> = secrets.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_nothing_leaks(&places, &secrets);
}

#[tokio::test]
async fn trace_logs_output_and_state_hold_no_secret_and_no_token() {
    let secret = format!("trace-secret-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    let mut scenario = Scenario::default_world();
    scenario.principals.push(PrincipalSeed {
        kind: PrincipalKind::ServicePrincipal,
        client_id: TRACE_CLIENT_ID.into(),
        client_secret: Some(secret.clone()),
        ..PrincipalSeed::default()
    });
    let ws = Workspace::with_scenario(scenario).await;
    write_main(
        &ws,
        &format!(
            "  tenant_id     = \"{}\"\n  client_id     = \"{TRACE_CLIENT_ID}\"\n  client_secret = \"{secret}\"",
            world::TENANT_ID
        ),
        &instance_block("bi", "bi-trace", world::DISK_APP_01, world::POLICY_DAILY),
    );
    let logs = ws.work_dir().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let trace = |file: Option<&str>| {
        let mut env = vec![var("TF_LOG", "TRACE")];
        if let Some(file) = file {
            env.push(var("TF_LOG_PATH", logs.join(file)));
        }
        env
    };

    let apply = terraform_ok_with(&ws, &["apply", "-auto-approve"], &trace(Some("apply.log"))).await;
    // The log goes to stderr when TF_LOG_PATH is not set.
    let plan = terraform_ok_with(&ws, &["plan", "-detailed-exitcode"], &trace(None)).await;
    let destroy = terraform_ok_with(&ws, &["destroy", "-auto-approve"], &trace(Some("destroy.log"))).await;
    assert!(ws.instance_ids().is_empty(), "the destroy ran");

    // The runs were logged in full, the provider's own lines included, so looking through them means something.
    let apply_log = std::fs::read_to_string(logs.join("apply.log")).unwrap();
    for expected in [
        "[TRACE]",
        "signed in",
        "azure request",
        "backupInstances/bi-trace",
        "provider.terraform-provider-dataprotection",
    ] {
        assert!(apply_log.contains(expected), "the apply log has no {expected:?}");
    }
    assert!(plan.stderr.contains("[TRACE]") && plan.stderr.contains("signed in"), "the plan logged to stderr");

    let issued = ws.emulator.state().issued_tokens();
    let sign_ins = sign_ins(&ws);
    assert!(sign_ins.len() >= 4, "apply (plan and apply), plan, destroy (plan and apply): {}", sign_ins.len());
    assert_eq!(issued.len(), sign_ins.len(), "every token the emulator issued came from one of these sign-ins");
    assert!(sign_ins.iter().all(|e| e.principal.as_deref() == Some(TRACE_CLIENT_ID)));

    let mut secrets = vec![("the client secret".to_owned(), secret.clone())];
    secrets.extend(issued.iter().enumerate().map(|(n, token)| (format!("issued token {}", n + 1), token.clone())));
    let places = places(
        &ws,
        &[("apply", &apply), ("plan", &plan), ("destroy", &destroy)],
        &[&logs.join("apply.log"), &logs.join("destroy.log")],
    );
    check(&places, &secrets);

    // The checks would have caught a leak: the secret is in main.tf, and a token is a JWT.
    let config = std::fs::read_to_string(ws.work_dir().join("main.tf")).unwrap();
    assert!(config.contains(&secret));
    assert_eq!(jwts_in(&format!("Bearer {}", issued[0])), vec![issued[0].clone()]);
}

#[tokio::test]
async fn an_oidc_id_token_stays_out_of_trace_logs_and_state() {
    let ws = Workspace::start().await;
    let id_token = oidc_id_token("repo:dpkit/demo:ref:refs/heads/main");
    write_main(
        &ws,
        &format!(
            "  use_oidc   = true\n  tenant_id  = \"{}\"\n  client_id  = \"{}\"\n  oidc_token = \"{id_token}\"",
            world::TENANT_ID,
            world::OIDC_CLIENT_ID
        ),
        &instance_block("bi", "bi-trace-oidc", world::DISK_APP_01, world::POLICY_DAILY),
    );
    let log = ws.work_dir().join("apply.log");
    let env: Vec<(&str, OsString)> = vec![var("TF_LOG", "TRACE"), var("TF_LOG_PATH", &log)];
    let apply = terraform_ok_with(&ws, &["apply", "-auto-approve"], &env).await;
    let plan = terraform_ok_with(&ws, &["plan"], &env[..1]).await;
    assert!(ws.resource("dataprotection_backup_instance.bi").is_some(), "the apply ran");
    assert!(plan.stderr.contains("signed in"));
    let issued = ws.emulator.state().issued_tokens();
    assert_eq!(issued.len(), 3);
    let mut secrets = vec![("the OIDC ID token".to_owned(), id_token.clone())];
    secrets.extend(issued.iter().enumerate().map(|(n, token)| (format!("issued token {}", n + 1), token.clone())));
    check(&places(&ws, &[("apply", &apply), ("plan", &plan)], &[&log]), &secrets);
}
