//! The terraform CLI the tests drive must be one this provider is built for: 1.11 or newer (protocol 6.8).

use std::sync::OnceLock;

/// The oldest Terraform release the tests accept.
const OLDEST: (u64, u64) = (1, 11);

/// Fails the test, once per test binary and with a clear message, when `terraform` is missing from PATH or older
/// than 1.11; otherwise returns its version.
pub fn require_terraform() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let output = std::process::Command::new("terraform")
            .args(["version", "-json"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .unwrap_or_else(|e| panic!("terraform could not be started (it must be on PATH): {e}"));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("`terraform version -json` did not answer JSON ({e}): {output:?}"));
        let version = json["terraform_version"].as_str().expect("terraform_version").to_owned();
        let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        assert!(
            (major, minor) >= OLDEST,
            "these tests need Terraform {}.{} or newer on PATH; found {version}",
            OLDEST.0,
            OLDEST.1
        );
        version
    })
}
