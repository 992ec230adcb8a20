//! Acceptance tests: the real terraform CLI and the real provider binary against the emulator over HTTPS on
//! loopback, one module per resource or concern.

// The generator `cargo xtask docs` runs; the docs test uses part of it.
#[allow(dead_code)]
#[path = "../../xtask/src/docs.rs"]
mod docs_generator;
#[path = "../support/mod.rs"]
mod support;
use support::terraform_version;

mod backup_instance;
mod backup_policy_disk;
mod backup_vault;
mod complete_example;
mod data_sources;
mod docs;
mod examples;
mod functions;
mod kind_rules;
mod kinds;
mod moved_from_azurerm;
mod plan_shows;
mod policy_criteria;
mod recorded_spellings;
mod refresh;
mod release;
mod service_rules;
mod validate_once;
mod vault_security;
