//! An emulator of the Azure endpoints the provider uses, served over HTTPS on loopback.
//!
//! It answers as Azure does: cloud metadata (`/metadata/endpoints`), Entra's token endpoint and an App Service
//! managed identity endpoint, and Azure Resource Manager for resource groups, the datasources of every kind (managed
//! disks, storage accounts, AKS clusters, flexible servers), role assignments, backup vaults, backup policies and
//! backup instances (api-version 2026-06-01 and the stable versions from 2025-07-01), with the service's
//! long-running operations, errors, rules and throttling (azure-spec/CONTRACT.md).
//! An admin API under `/_emulator/` injects faults, changes timing and shows the journal and the inventory.
//!
//! Start it in-process with [`Emulator::start`], or mount [`app`] in your own server; docs/emulator.md describes
//! the default world, the scenario format and the admin API.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod admin;
mod arm;
pub mod default_world;
pub mod error;
pub mod faults;
mod front;
mod identity;
mod ids;
mod inventory;
pub mod journal;
mod metadata;
mod routes;
pub mod scenario;
mod server;
pub mod settings;
mod state;
pub mod swagger;
mod throttle;
mod tls;
mod tokens;
mod util;
mod world;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

pub use arm::DATA_PROTECTION_API_VERSIONS;
pub use error::ArmError;
pub use faults::{FaultAction, FaultRule};
pub use inventory::{
    Inventory, InventoryDatasource, InventoryDisk, InventoryInstance, InventoryRoleAssignment, InventoryVault,
};
pub use journal::JournalEntry;
pub use metadata::CLOUD_NAME;
pub use scenario::Scenario;
pub use server::{ADDRESS_FILE, Emulator, EmulatorConfig, WORLD_FILE, WorldSource};
pub use settings::{LroTiming, OperationKind, Outcome, OutcomeRule, Settings, Spellings, ThrottleSettings};
pub use state::{EmulatorState, ProtectionErrorRequest};
pub use tls::CA_FILE;

/// Why the emulator could not start or stop.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The scenario (or the saved world) is inconsistent.
    #[error("invalid scenario: {0}")]
    Scenario(String),
    /// Only loopback addresses are served.
    #[error("refusing to listen on {0}: the emulator only listens on loopback addresses (127.0.0.1, ::1)")]
    NotLoopback(SocketAddr),
    /// The listen address could not be bound.
    #[error("binding {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// A file in the state directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The CA or server certificate could not be made or loaded.
    #[error("tls: {0}")]
    Tls(String),
}

impl EmulatorError {
    fn io(path: &Path, source: std::io::Error) -> EmulatorError {
        EmulatorError::Io { path: path.display().to_string(), source }
    }
}

/// Writes a file only its owner can read (keys, and saved worlds, which hold the scenario's secrets).
fn write_private(path: &Path, contents: &[u8]) -> Result<(), EmulatorError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|source| EmulatorError::io(path, source))?;
    file.write_all(contents).map_err(|source| EmulatorError::io(path, source))
}

/// The emulator as an axum router over shared state: every endpoint, the journal and fault injection. Serve it
/// over TLS yourself, or let [`Emulator::start`] do it (dropped-connection faults need the latter).
pub fn app(state: Arc<EmulatorState>) -> Router {
    let served = Router::new()
        .route("/metadata/endpoints", get(metadata::endpoints))
        .route("/{tenant}/oauth2/v2.0/token", post(identity::token))
        .route("/msi/token", get(identity::managed_identity))
        .route("/msi/token/", get(identity::managed_identity))
        .fallback(arm::dispatch)
        .layer(axum::middleware::from_fn_with_state(state.clone(), front::front));
    served.nest("/_emulator", admin::router()).with_state(state)
}
