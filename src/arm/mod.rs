//! The Azure Resource Manager client: typed IDs, the HTTP pipeline, long-running operations and errors.

pub mod auth;
pub mod client;
pub mod error;
pub mod ids;
pub mod listing;
pub mod models;
pub mod pipeline;
pub mod poller;
pub mod protection;
pub mod registration;
pub mod roles;

pub use client::{API_VERSION, ArmClient};
pub use error::{ArmError, ErrorKind};
