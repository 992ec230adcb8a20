//! The registry docs in `docs/` are generated from terraform's own view of the provider schema plus the templates
//! and examples (xtask/src/docs.rs); this test fails when the committed files differ from what the generator
//! produces. `make docs` (`cargo xtask docs`) writes them.

use std::path::Path;

use crate::docs_generator::{differences, generate, provider_schema};
use crate::support::terraform::PROVIDER;

fn provider_dir() -> &'static Path {
    Path::new(PROVIDER).parent().expect("provider folder")
}

#[test]
fn committed_docs_match_the_generator() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let generated = generate(root, provider_dir()).expect("rendering the docs");
    let problems = differences(&generated, &root.join("docs"));
    assert!(problems.is_empty(), "{}\nrun `make docs`", problems.join("\n"));
}

#[test]
fn every_attribute_is_described() {
    let provider = provider_schema(provider_dir()).expect("the provider schema");
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
    for (name, function) in provider["functions"].as_object().into_iter().flatten() {
        for key in ["summary", "description"] {
            if function[key].as_str().is_none_or(|d| d.trim().is_empty()) {
                missing.push(format!("function {name}: {key}"));
            }
        }
        for parameter in function["parameters"].as_array().into_iter().flatten() {
            if parameter["description"].as_str().is_none_or(|d| d.trim().is_empty()) {
                missing.push(format!("function {name}: parameter {}", parameter["name"]));
            }
        }
    }
    assert!(missing.is_empty(), "attributes without a description: {missing:?}");
}

#[test]
fn every_function_has_a_page() {
    let provider = provider_schema(provider_dir()).expect("the provider schema");
    let functions: Vec<&String> = provider["functions"].as_object().expect("the provider's functions").keys().collect();
    assert_eq!(functions.len(), 6, "{functions:?}");
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/functions");
    for name in functions {
        let page = std::fs::read_to_string(docs.join(format!("{name}.md"))).expect("the function's page");
        assert!(page.contains(&format!("# function: {name}")) && page.contains("## Arguments"), "{name}");
        assert!(page.contains(&format!("provider::dataprotection::{name}(")), "{name}'s page shows a call");
    }
}
