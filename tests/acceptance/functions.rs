//! Acceptance tests of the provider functions (`provider::dataprotection::parse_backup_*_id` and
//! `build_backup_*_id`): `terraform console` on a configuration without a provider block (Terraform calls functions
//! on a provider it has not configured), outputs in `terraform apply`, and the errors users see.

use crate::support;

use std::process::Stdio;

use dataprotection_emulator::default_world as world;
use support::terraform::{Run, Workspace};
use tokio::io::AsyncWriteExt;

/// The output with every run of whitespace made one space: terraform wraps long diagnostic lines.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes a `main.tf` with the terraform block alone: no provider block, nothing to configure.
fn write_without_provider_block(ws: &Workspace) {
    let text =
        "terraform {\n  required_providers {\n    dataprotection = { source = \"dpkit/dataprotection\" }\n  }\n}\n";
    std::fs::write(ws.work_dir().join("main.tf"), text).expect("main.tf");
}

/// `terraform console` with `expression` on its standard input.
async fn console(ws: &Workspace, expression: &str) -> Run {
    let mut child = ws.command(&["console", "-no-color"]).stdin(Stdio::piped()).spawn().expect("terraform starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(format!("{expression}\n").as_bytes()).await.expect("writing the expression");
    drop(stdin);
    let output = child.wait_with_output().await.expect("terraform console ends");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn assert_no_backtrace(text: &str) {
    assert!(!text.contains("stack backtrace") && !text.contains("panicked"), "backtrace in output:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_answer_in_console_without_a_configured_provider() {
    let ws = Workspace::start().await;
    write_without_provider_block(&ws);
    let vault = world::vault_id();
    let policy_lower = world::policy_id("Disk-Daily").to_ascii_lowercase().replace("disk-daily", "Disk-Daily");

    let run = console(&ws, &format!("provider::dataprotection::parse_backup_policy_id(\"{policy_lower}\")")).await;
    assert_eq!(run.code, 0, "{}", run.output());
    let out = run.stdout;
    assert!(out.contains(&format!("\"id\" = \"{vault}/backupPolicies/Disk-Daily\"")), "canonical spelling:\n{out}");
    assert!(out.contains(&format!("\"vault_id\" = \"{vault}\"")), "{out}");
    assert!(out.contains("\"backup_policy_name\" = \"Disk-Daily\""), "{out}");
    assert!(out.contains(&format!("\"subscription_id\" = \"{}\"", world::SUBSCRIPTION_ID)), "{out}");
    assert!(out.contains(&format!("\"resource_group_name\" = \"{}\"", world::BACKUP_RESOURCE_GROUP)), "{out}");

    let build = format!(
        "provider::dataprotection::build_backup_instance_id(\"{}\", \"{}\", \"{}\", \"bi-1\")",
        world::SUBSCRIPTION_ID,
        world::BACKUP_RESOURCE_GROUP,
        world::VAULT_NAME
    );
    let run = console(&ws, &format!("provider::dataprotection::parse_backup_instance_id({build}).id")).await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(run.stdout.trim(), format!("\"{}\"", world::backup_instance_id("bi-1")), "build and parse agree");

    // A policy ID given to the instance parser: the wrong segment, and the function that fits.
    let run =
        console(&ws, &format!("provider::dataprotection::parse_backup_instance_id(\"{vault}/backupPolicies/p1\")"))
            .await;
    assert_ne!(run.code, 0, "{}", run.output());
    let text = flat(&run.output());
    assert!(text.contains("Invalid value for \"id\" parameter"), "the argument is named: {text}");
    assert!(text.contains("expected the segment \"backupInstances\" but found \"backupPolicies\""), "{text}");
    assert!(text.contains("It is a backup policy ID: use provider::dataprotection::parse_backup_policy_id"), "{text}");
    assert_no_backtrace(&text);

    // A misspelt segment.
    let misspelt = vault.replace("/resourceGroups/", "/resourceGroup/");
    let run = console(&ws, &format!("provider::dataprotection::parse_backup_vault_id(\"{misspelt}\")")).await;
    assert_ne!(run.code, 0, "{}", run.output());
    let text = flat(&run.output());
    assert!(text.contains("expected the segment \"resourceGroups\" but found \"resourceGroup\""), "{text}");

    // An empty name, on the argument that holds it.
    let run = console(&ws, "provider::dataprotection::build_backup_policy_id(\"s\", \"rg\", \"v\", \"\")").await;
    assert_ne!(run.code, 0, "{}", run.output());
    let text = flat(&run.output());
    assert!(text.contains("Invalid value for \"backup_policy_name\" parameter"), "{text}");
    assert!(text.contains("backup_policy_name is empty"), "{text}");
    assert_no_backtrace(&text);

    assert!(ws.journal().is_empty(), "functions call nothing in Azure: {:?}", ws.journal());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_results_reach_outputs_and_data_sources_in_apply() {
    let ws = Workspace::start().await;
    ws.write(&format!(
        r#"locals {{
  vault_id = provider::dataprotection::build_backup_vault_id("{subscription}", "{group}", "{vault}")
}}

data "dataprotection_backup_vault" "vault" {{
  id = local.vault_id
}}

output "vault" {{
  value = provider::dataprotection::parse_backup_vault_id(lower(data.dataprotection_backup_vault.vault.id))
}}
"#,
        subscription = world::SUBSCRIPTION_ID,
        group = world::BACKUP_RESOURCE_GROUP,
        vault = world::VAULT_NAME,
    ));
    let plan = ws.terraform_ok(&["plan"]).await;
    assert!(plan.stdout.contains("vault"), "{}", plan.stdout);
    ws.apply().await;
    let outputs = ws.terraform_ok(&["output", "-json"]).await;
    let outputs: serde_json::Value = serde_json::from_str(&outputs.stdout).expect("outputs are JSON");
    let vault = &outputs["vault"]["value"];
    // Every name in the default world's vault ID is lowercase, so only the fixed segments change back.
    assert_eq!(vault["id"], world::vault_id(), "ARM's spelling again: {outputs}");
    assert_eq!(vault["vault_name"], world::VAULT_NAME, "{outputs}");

    // A bad ID in the configuration fails the plan with the function's message and the line that calls it.
    ws.write("output \"bad\" {\n  value = provider::dataprotection::parse_backup_vault_id(\"/subscriptions/s\")\n}\n");
    let run = ws.terraform(&["plan"]).await;
    assert_ne!(run.code, 0, "{}", run.output());
    let text = flat(&run.output());
    assert!(text.contains("on main.tf line"), "{text}");
    assert!(text.contains("the segment \"resourceGroups\" is missing"), "{text}");
    assert_no_backtrace(&text);
}
