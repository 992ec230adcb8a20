//! A Terraform provider for Azure Backup's Data Protection API, and an emulator of that API.
//!
//! Data flows one way: Terraform → [`plugin`] (decode, dispatch) → [`resources`] (decide) → [`arm`] (talk to
//! Azure) → back. The [`emulator`] stands in for Azure in tests and demos.

pub mod arm;
pub mod emulator;
pub mod plugin;
pub mod provider;
pub mod resources;
