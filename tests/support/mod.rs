//! Shared by the provider's integration tests: a terraform workspace over an emulator of its own, and the check of
//! terraform's version.
// Each test binary uses part of this module.
#![allow(dead_code)]

pub mod terraform;
pub mod terraform_version;
