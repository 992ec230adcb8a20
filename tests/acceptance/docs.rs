//! The registry docs in `docs/` are generated from terraform's own view of the provider schema plus the templates
//! and examples; this test fails when the committed files differ from what the generator produces.
//! `make docs` (DOCS_UPDATE=1) writes them.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::docs::{Page, render};
use support::terraform::PROVIDER;

const ADDRESS: &str = "registry.terraform.io/dpkit/dataprotection";

/// The provider schema as `terraform providers schema -json` reports it.
fn provider_schema() -> serde_json::Value {
    let temp = tempfile::tempdir().expect("temporary folder");
    let provider_dir = Path::new(PROVIDER).parent().expect("provider folder");
    let cli_config = temp.path().join("terraform.rc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"dpkit/dataprotection\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            provider_dir.display()
        ),
    )
    .unwrap();
    std::fs::write(
        temp.path().join("main.tf"),
        "terraform {\n  required_providers {\n    dataprotection = { source = \"dpkit/dataprotection\" }\n  }\n}\n",
    )
    .unwrap();
    let output = Command::new("terraform")
        .args(["providers", "schema", "-json"])
        .current_dir(temp.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", temp.path())
        .env("TF_CLI_CONFIG_FILE", &cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap_or_else(|e| panic!("terraform could not be started (it must be on PATH): {e}"));
    assert!(output.status.success(), "terraform providers schema failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("schema JSON");
    json["provider_schemas"][ADDRESS].clone()
}

/// One page per provider, resource and data source; each needs a template.
fn pages(root: &Path, provider: &serde_json::Value) -> Vec<Page> {
    let mut pages =
        vec![Page { template: "index.md.tmpl".into(), output: "index.md".into(), schema: "provider".into() }];
    for (kind, folder) in [("resource_schemas", "resources"), ("data_source_schemas", "data-sources")] {
        let types = provider[kind].as_object().cloned().unwrap_or_default();
        for name in types.keys() {
            let short = name.strip_prefix("dataprotection_").expect("every type has the provider's prefix");
            let template = format!("{folder}/{short}.md.tmpl");
            assert!(root.join("templates").join(&template).exists(), "{name} has no template at templates/{template}");
            pages.push(Page { template, output: format!("{folder}/{short}.md"), schema: format!("{kind}.{name}") });
        }
    }
    pages
}

/// Every committed doc page, relative to docs/.
fn committed(docs: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    for folder in ["", "resources", "data-sources"] {
        let Ok(entries) = std::fs::read_dir(docs.join(folder)) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "md") && path.is_file() {
                let relative = Path::new(folder).join(path.file_name().unwrap());
                files.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    files
}

/// Pages hand-written for people working on the project rather than for the registry.
const PROJECT_DOCS: &[&str] = &["architecture.md", "emulator.md", "performance.md", "reliability.md"];

#[test]
fn committed_docs_match_the_generator() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let provider = provider_schema();
    assert!(provider.is_object(), "terraform reported no schema for {ADDRESS}");
    let pages = pages(root, &provider);
    let generated = render(root, &provider, &pages).expect("rendering the docs");
    let docs = root.join("docs");
    if std::env::var_os("DOCS_UPDATE").is_some() {
        for (path, text) in &generated {
            let target = docs.join(path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, text).unwrap();
        }
    }
    let on_disk = committed(&docs);
    for (path, text) in &generated {
        let found = on_disk.get(path).unwrap_or_else(|| panic!("docs/{} is missing; run `make docs`", path.display()));
        assert!(found == text, "docs/{} differs from the generator's output; run `make docs`", path.display());
    }
    for path in on_disk.keys() {
        let project_doc = path.parent() == Some(Path::new("")) && PROJECT_DOCS.contains(&path.to_str().unwrap_or(""));
        assert!(generated.contains_key(path) || project_doc, "docs/{} is not generated from anything", path.display());
    }
}

#[test]
fn every_attribute_is_described() {
    let provider = provider_schema();
    let mut missing = Vec::new();
    fn walk(block: &serde_json::Value, path: &str, missing: &mut Vec<String>) {
        for (name, attribute) in block["attributes"].as_object().into_iter().flatten() {
            if attribute["description"].as_str().is_none_or(|d| d.trim().is_empty()) {
                missing.push(format!("{path}.{name}"));
            }
        }
        for (name, nested) in block["block_types"].as_object().into_iter().flatten() {
            walk(&nested["block"], &format!("{path}.{name}"), missing);
        }
    }
    walk(&provider["provider"]["block"], "provider", &mut missing);
    for kind in ["resource_schemas", "data_source_schemas"] {
        for (name, schema) in provider[kind].as_object().into_iter().flatten() {
            walk(&schema["block"], name, &mut missing);
        }
    }
    assert!(missing.is_empty(), "attributes without a description: {missing:?}");
}
