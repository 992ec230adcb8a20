//! An emulator of the Azure endpoints the provider uses, served over HTTPS on loopback.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod error;
pub mod swagger;
mod util;
