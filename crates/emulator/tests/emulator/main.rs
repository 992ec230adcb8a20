//! The emulator's integration tests, one module per concern, in one test binary: each test starts an emulator of
//! its own on 127.0.0.1:0 in a temporary folder.

mod support;

mod admin;
mod auth;
mod contract;
mod faults;
mod keywords;
mod lifecycle;
mod persistence;
mod recorded;
mod rules;
mod scale;
mod throttling;
