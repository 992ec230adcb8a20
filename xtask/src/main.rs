//! Project tasks, run with `cargo xtask TASK`.
//!
//! - `docs`: builds the provider, asks terraform for its schema, and writes `docs/` from it, `templates/` and
//!   `examples/` (`make docs`). `docs --check` writes nothing and fails when the committed pages differ.

mod docs;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask docs [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["docs"] => write_docs(false),
        ["docs", "--check"] => write_docs(true),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root: the workspace this task belongs to.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Builds the provider binary (debug) and returns the folder it is in.
fn build_provider(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--package", "terraform-provider-dataprotection", "--bin"])
        .arg("terraform-provider-dataprotection")
        .current_dir(root)
        .status()
        .map_err(|e| format!("cargo could not be started: {e}"))?;
    if !status.success() {
        return Err(format!("building the provider failed: {status}"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    Ok(target.join("debug"))
}

fn write_docs(check: bool) -> Result<(), String> {
    let root = root();
    let generated = docs::generate(&root, &build_provider(&root)?)?;
    let docs_dir = root.join("docs");
    if !check {
        for (path, text) in &generated {
            let target = docs_dir.join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            std::fs::write(&target, text).map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    let problems = docs::differences(&generated, &docs_dir);
    if problems.is_empty() {
        println!("docs/: {} pages, as the generator makes them", generated.len());
        Ok(())
    } else {
        Err(format!("{}\nrun `make docs`", problems.join("\n")))
    }
}
