//! A Terraform provider for Azure Backup's Data Protection API.
//!
//! Data flows one way: Terraform → [`plugin`] (decode, dispatch) → [`resources`] (decide) → [`arm`] (talk to
//! Azure) → back. The emulator that stands in for Azure in tests and demos is a
//! crate of its own, `dataprotection-emulator`.

pub mod arm;
pub mod functions;
pub mod plugin;
pub mod provider;
pub mod resources;
