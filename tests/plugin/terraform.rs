//! End to end with the real `terraform` CLI: plan, apply, plan again (no changes), update, destroy, and an
//! attribute-path diagnostic shown on the right line, against `terraform-provider-plugintest` (a Cargo
//! example built by `cargo test`, see tests/support/plugintest_provider.rs).
//!
//! Each test owns its environment: its own CLI configuration (dev_overrides; `terraform init` is never run),
//! its own folders, no inherited `TF_*` settings. A missing `terraform` fails the test.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const PROVIDER_BINARY: &str = "terraform-provider-plugintest";

/// The example binary next to this test's own target folder (`target/<profile>/examples/`), built once per run:
/// `cargo test` builds examples, but `cargo test --test plugin` alone does not, and an older build would be tested
/// in its place.
fn provider_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let test_binary = std::env::current_exe().expect("test binary path");
            let profile_dir = test_binary.parent().and_then(Path::parent).expect("target/<profile>");
            let mut build = Command::new(env!("CARGO"));
            build.args(["build", "--quiet", "--example", PROVIDER_BINARY]).current_dir(env!("CARGO_MANIFEST_DIR"));
            if profile_dir.file_name().is_some_and(|name| name == "release") {
                build.arg("--release");
            }
            let status = build.status().expect("cargo runs");
            assert!(status.success(), "building the test provider failed: {status}");
            let binary = profile_dir.join("examples").join(PROVIDER_BINARY);
            assert!(binary.exists(), "{} is missing after its build", binary.display());
            binary
        })
        .clone()
}

struct Workspace {
    _root: tempfile::TempDir,
    work: PathBuf,
    cli_config: PathBuf,
}

impl Workspace {
    fn new(main_tf: &str) -> Workspace {
        let root = tempfile::tempdir().expect("temporary folder");
        let bin = root.path().join("bin");
        let work = root.path().join("work");
        std::fs::create_dir_all(&bin).expect("bin folder");
        std::fs::create_dir_all(&work).expect("work folder");
        std::fs::copy(provider_binary(), bin.join(PROVIDER_BINARY)).expect("copy the provider");
        let cli_config = root.path().join("terraform.rc");
        let config = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"example.local/test/plugintest\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            bin.display()
        );
        std::fs::write(&cli_config, config).expect("CLI config");
        std::fs::write(work.join("main.tf"), main_tf).expect("main.tf");
        Workspace { _root: root, work, cli_config }
    }

    fn terraform(&self, args: &[&str]) -> Output {
        match self.command(args).output() {
            Ok(output) => output,
            Err(error) => panic!("cannot run `terraform` ({error}); it must be on PATH for this test"),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        crate::terraform_version::require_terraform();
        let mut command = Command::new("terraform");
        command.args(args).current_dir(&self.work);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TF_") {
                command.env_remove(&key);
            }
        }
        command
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env("NO_COLOR", "1");
        command
    }

    fn expect_success(&self, args: &[&str]) -> String {
        let output = self.terraform(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "terraform {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
        stdout
    }
}

const HEADER: &str = r#"terraform {
  required_providers {
    plugintest = { source = "example.local/test/plugintest" }
  }
}

provider "plugintest" {}
"#;

fn config(tags: &str) -> String {
    format!(
        r#"{HEADER}
resource "plugintest_thing" "a" {{
  name   = "first"
  tags   = [{tags}]
  secret = "hunter2"

  timeouts {{
    create = "5m"
  }}
}}

resource "plugintest_thing" "b" {{
  name = "second"
}}

# Planned with a refined unknown (a known "c-" prefix) and a list holding an unknown element.
resource "plugintest_thing" "c" {{
  name = "c-${{plugintest_thing.a.id}}"
  tags = [plugintest_thing.b.id, "k"]
}}

output "a_id" {{
  value = plugintest_thing.a.id
}}

output "c_id" {{
  value = plugintest_thing.c.id
}}
"#
    )
}

#[test]
fn plan_apply_replan_update_and_destroy() {
    let workspace = Workspace::new(&config(r#""x", "y""#));

    let plan = workspace.expect_success(&["plan", "-no-color", "-input=false"]);
    assert!(plan.contains("Plan: 3 to add, 0 to change, 0 to destroy."), "{plan}");
    assert!(plan.contains("(sensitive value)"), "the secret is hidden: {plan}");
    assert!(plan.contains("(known after apply)"), "{plan}");
    assert!(plan.contains("create = \"5m\""), "the timeouts block is planned: {plan}");
    assert!(!plan.contains("hunter2"));

    let apply = workspace.expect_success(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(apply.contains("Apply complete! Resources: 3 added, 0 changed, 0 destroyed."), "{apply}");
    assert!(apply.contains("a_id = \"thing-first\""), "{apply}");
    assert!(apply.contains("c_id = \"thing-c-thing-first\""), "{apply}");

    let output = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    let replan = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "a second plan finds no changes:\n{replan}");
    assert!(replan.contains("No changes."), "{replan}");

    std::fs::write(workspace.work.join("main.tf"), config(r#""x", "z""#)).expect("update main.tf");
    let update = workspace.expect_success(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(update.contains("Resources: 0 added, 1 changed, 0 destroyed."), "{update}");

    let state = workspace.expect_success(&["show", "-json", "-no-color"]);
    let state: serde_json::Value = serde_json::from_str(&state).expect("state JSON");
    let resources = &state["values"]["root_module"]["resources"];
    let a = resources.as_array().expect("resources").iter().find(|r| r["name"] == "a").expect("resource a");
    assert_eq!(a["values"]["tags"], serde_json::json!(["x", "z"]));
    assert_eq!(a["values"]["size"], 1);
    assert_eq!(a["values"]["timeouts"], serde_json::json!({"create": "5m"}));

    let destroy = workspace.expect_success(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(destroy.contains("Destroy complete! Resources: 3 destroyed."), "{destroy}");
}

#[test]
fn attribute_errors_point_at_the_right_lines() {
    let main_tf = format!(
        r#"{HEADER}
resource "plugintest_thing" "bad" {{
  name = "bad!"

  timeouts {{
    create = "soon"
  }}
}}
"#
    );
    let name_line = main_tf.lines().position(|l| l.contains("\"bad!\"")).expect("name line") + 1;
    let create_line = main_tf.lines().position(|l| l.contains("\"soon\"")).expect("create line") + 1;
    let workspace = Workspace::new(&main_tf);

    let output = workspace.terraform(&["validate", "-no-color"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let name_error = stderr.find("Error: Invalid name").expect("name error shown");
    assert!(stderr[name_error..].contains(&format!("on main.tf line {name_line}")), "{stderr}");
    let create_error = stderr.find("Error: Invalid duration").expect("duration error shown");
    assert!(stderr[create_error..].contains(&format!("on main.tf line {create_line}")), "{stderr}");
    // Terraform passes RUST_BACKTRACE=1 from this machine's environment on; diagnostics never carry one.
    assert!(!stderr.contains("backtrace"), "{stderr}");
}

#[test]
fn ctrl_c_stops_an_in_flight_create_and_keeps_it_in_the_state() {
    let main_tf = format!(
        r#"{HEADER}
resource "plugintest_thing" "slow" {{
  name          = "slow"
  wait_for_stop = true
}}
"#
    );
    let workspace = Workspace::new(&main_tf);
    let waiting_file = workspace.work.join("provider-is-waiting");
    // Its own process group, like a shell job: Ctrl-C reaches terraform and the providers it started.
    let mut child = workspace
        .command(&["apply", "-auto-approve", "-no-color", "-input=false"])
        .env("PLUGINTEST_WAITING_FILE", &waiting_file)
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run `terraform` ({error}); it must be on PATH for this test"));
    let stdout = child.stdout.take().expect("stdout");
    let (lines, received) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut seen = Vec::new();
    loop {
        let line = received.recv_timeout(Duration::from_secs(30)).expect("terraform starts creating");
        let creating = line.contains("plugintest_thing.slow: Creating...");
        seen.push(line);
        if creating {
            break;
        }
    }
    // Once ApplyResourceChange is waiting in the provider (it says so in a file), press Ctrl-C.
    let waiting = (0..3_000).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        waiting_file.exists()
    });
    assert!(waiting, "the create never reached the provider: {seen:?}");
    let group = format!("-{}", child.id());
    let kill = Command::new("kill").args(["-INT", "--", &group]).status().expect("kill runs");
    assert!(kill.success());

    let (done, finished) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let output = child.wait_with_output();
        let _ = done.send(());
        output
    });
    finished.recv_timeout(Duration::from_secs(20)).expect("terraform ends soon after Ctrl-C");
    let output = waiter.join().expect("waiter").expect("terraform output");
    reader.join().expect("reader");
    seen.extend(received.try_iter());
    let stdout = seen.join("\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("Interrupt received"), "{stdout}");
    assert!(stderr.contains("Interrupted while creating"), "the provider saw StopProvider:\n{stderr}");
    assert!(!stderr.contains("Plugin did not respond"), "the provider survived SIGINT:\n{stderr}");

    let list = workspace.expect_success(&["state", "list", "-no-color"]);
    assert_eq!(list.trim(), "plugintest_thing.slow", "the created object is kept in the state");
    let state = workspace.expect_success(&["show", "-json", "-no-color"]);
    let state: serde_json::Value = serde_json::from_str(&state).expect("state JSON");
    let slow = &state["values"]["root_module"]["resources"][0];
    assert_eq!(slow["values"]["id"], "thing-slow");
    assert_eq!(slow["tainted"], true, "a create that ended in an error is tainted");
}
