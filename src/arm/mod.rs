//! The Azure Resource Manager client: typed IDs, the HTTP pipeline, long-running operations and errors.
//!
//! The modules are layers, and each imports only the ones below it (the test below checks it), bottom first:
//! `models`, `ids`, `error`, `auth`; `registration`, then `pipeline`, the path every request takes; `poller`;
//! `protection` (states and the waits that follow them) and `listing` (per-vault lists); `client`, the typed calls
//! of [`ArmClient`]; `roles`.

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

#[cfg(test)]
mod tests {
    /// The modules bottom first, with their code (tests left out: they may use any module).
    const LAYERS: &[(&str, &str)] = &[
        ("models", include_str!("models.rs")),
        ("ids", include_str!("ids.rs")),
        ("error", include_str!("error.rs")),
        ("auth", include_str!("auth.rs")),
        ("registration", include_str!("registration.rs")),
        ("pipeline", include_str!("pipeline.rs")),
        ("poller", include_str!("poller.rs")),
        ("protection", include_str!("protection.rs")),
        ("listing", include_str!("listing.rs")),
        ("client", include_str!("client.rs")),
        ("roles", include_str!("roles.rs")),
    ];

    #[test]
    fn each_module_imports_only_the_modules_below_it() {
        let mut wrong = Vec::new();
        for (position, (module, source)) in LAYERS.iter().enumerate() {
            let code = source.split("#[cfg(test)]").next().unwrap_or_default();
            for (other_position, (other, _)) in LAYERS.iter().enumerate().filter(|(p, _)| *p >= position) {
                let named =
                    [format!("super::{other}::"), format!("super::{other}}}"), format!("crate::arm::{other}::")]
                        .iter()
                        .any(|path| code.contains(path.as_str()));
                if named && other_position != position {
                    wrong.push(format!("{module} uses {other}"));
                }
            }
        }
        assert!(wrong.is_empty(), "modules that use a module above them: {wrong:?}");
    }
}
