//! Every example passes `terraform fmt -check` and `terraform validate` against the built provider.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::terraform::PROVIDER;

fn terraform(dir: &Path, home: &Path, cli_config: Option<&Path>, args: &[&str]) -> (bool, String) {
    let mut command = Command::new("terraform");
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("CHECKPOINT_DISABLE", "1");
    if let Some(config) = cli_config {
        command.env("TF_CLI_CONFIG_FILE", config);
    }
    let output =
        command.output().unwrap_or_else(|e| panic!("terraform could not be started (it must be on PATH): {e}"));
    (
        output.status.success(),
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
    )
}

/// Every folder under examples/ that holds .tf files.
fn example_dirs(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.join("examples")];
    while let Some(dir) = stack.pop() {
        let mut has_tf = false;
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            found.push(dir);
        }
    }
    found.sort();
    found
}

#[test]
fn examples_are_formatted_and_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let temp = tempfile::tempdir().unwrap();
    let cli_config = temp.path().join("terraform.rc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"dpkit/dataprotection\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            Path::new(PROVIDER).parent().unwrap().display()
        ),
    )
    .unwrap();
    let dirs = example_dirs(root);
    assert!(dirs.len() >= 3, "examples found: {dirs:?}");
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.strip_prefix(root).unwrap().display().to_string();
        let (ok, out) = terraform(dir, temp.path(), None, &["fmt", "-check", "-diff", "-no-color"]);
        if !ok {
            failures.push(format!("{name}: terraform fmt -check\n{out}"));
        }
        // Validate a copy, with the provider's source declared when a snippet does not declare it.
        let copy = temp.path().join(name.replace('/', "_"));
        std::fs::create_dir_all(&copy).unwrap();
        let mut declares = false;
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "tf") {
                let text = std::fs::read_to_string(&path).unwrap();
                declares |= text.contains("required_providers");
                std::fs::write(copy.join(path.file_name().unwrap()), text).unwrap();
            }
        }
        if !declares {
            std::fs::write(
                copy.join("zz_providers.tf"),
                "terraform {\n  required_providers {\n    dataprotection = { source = \"dpkit/dataprotection\" }\n  }\n}\n",
            )
            .unwrap();
        }
        let (ok, out) = terraform(&copy, temp.path(), Some(&cli_config), &["validate", "-no-color"]);
        if !ok {
            failures.push(format!("{name}: terraform validate\n{out}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
