//! Shared by the provider's integration tests: a terraform workspace over an emulator of its own, and the
//! documentation generator.
// Each test binary uses part of this module.
#![allow(dead_code)]

pub mod docs;
pub mod terraform;
pub mod terraform_version;
