//! Shared test support. Each test crate uses part of it.
#![allow(dead_code)]

pub mod docs;
pub mod terraform;
