//! The release path: `scripts/release.sh` packages the provider, and `terraform init` installs it from a
//! filesystem mirror, recording the same `h1:` hash the package's mirror metadata announces.

use crate::support;

use std::path::Path;
use std::process::Command;

use support::terraform::PROVIDER;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn sha256_hex(bytes: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn run(command: &mut Command) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?} could not start: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

fn terraform(dir: &Path, cli_config: &Path, args: &[&str]) -> String {
    run(Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1"))
}

#[test]
fn a_release_installs_from_a_mirror_with_a_matching_lock_hash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let temp = tempfile::tempdir().expect("temporary folder");
    let dist = temp.path().join("dist");
    run(Command::new(root.join("scripts/release.sh")).arg(&dist).arg(PROVIDER));

    let (os, arch) = (std::env::consts::OS, if std::env::consts::ARCH == "x86_64" { "amd64" } else { "arm64" });
    let zip_name = format!("terraform-provider-dataprotection_{VERSION}_{os}_{arch}.zip");
    let zip = std::fs::read(dist.join(&zip_name)).expect("the zip");
    let sums =
        std::fs::read_to_string(dist.join(format!("terraform-provider-dataprotection_{VERSION}_SHA256SUMS"))).unwrap();
    assert!(sums.contains(&format!("{}  {zip_name}", sha256_hex(&zip))), "SHA256SUMS lists the zip's digest:\n{sums}");
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dist.join(format!("terraform-provider-dataprotection_{VERSION}_manifest.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["metadata"]["protocol_versions"], serde_json::json!(["6.0"]));

    // The zip holds exactly the binary, under the name Terraform looks for.
    let listing = run(Command::new("unzip").arg("-Z1").arg(dist.join(&zip_name)));
    assert_eq!(listing.trim(), format!("terraform-provider-dataprotection_v{VERSION}"));

    let mirror = dist.join("mirror");
    let package = mirror.join("registry.terraform.io/dpkit/dataprotection");
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(package.join(format!("{VERSION}.json"))).unwrap()).unwrap();
    let hashes = &meta["archives"][format!("{os}_{arch}")]["hashes"];
    let h1 = hashes.as_array().unwrap().iter().filter_map(|h| h.as_str()).find(|h| h.starts_with("h1:")).unwrap();
    let zh = format!("zh:{}", sha256_hex(&zip));
    assert!(hashes.as_array().unwrap().iter().any(|h| h.as_str() == Some(zh.as_str())), "{hashes}");

    let work = temp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let cli_config = temp.path().join("terraform.rc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/dpkit/dataprotection\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/dpkit/dataprotection\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    std::fs::write(
        work.join("main.tf"),
        "terraform {\n  required_providers {\n    dataprotection = {\n      source  = \"dpkit/dataprotection\"\n      version = \"~> 0.1\"\n    }\n  }\n}\n",
    )
    .unwrap();
    terraform(&work, &cli_config, &["init", "-no-color"]);
    let lock = std::fs::read_to_string(work.join(".terraform.lock.hcl")).expect("terraform init writes a lock file");
    assert!(lock.contains("provider \"registry.terraform.io/dpkit/dataprotection\""), "{lock}");
    assert!(lock.contains(&format!("version     = \"{VERSION}\"")), "{lock}");
    assert!(lock.contains(&format!("\"{h1}\"")), "the lock file records the package's h1 hash {h1}:\n{lock}");

    let version = terraform(&work, &cli_config, &["version"]);
    assert!(version.contains(&format!("provider registry.terraform.io/dpkit/dataprotection v{VERSION}")), "{version}");
}
